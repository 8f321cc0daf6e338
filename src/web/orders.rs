//! `/orders` (the caller's orders; for staff the order table with filters, sort and
//! paging kept in the URL) and `/orders/{id}` (the order, its timeline in words, its
//! files and what the visitor may do to it now), with the client's actions.

use std::collections::HashMap;

use aggregates::order::{Half, Order, OrderCommand};
use aggregates::Role;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::i18n::Tr;
use super::session::Visitor;
use super::{after, page, Form, Frame, PageError, Path};
use crate::app::views::{EventView, OrderPage, OrderSummary, OrderView};
use crate::app::{App, AppError};
use crate::http::orders::list::{list_query, SORTS};

/// One row of the table, as the page shows it.
pub struct Row {
    pub o: OrderSummary,
    pub status: &'static str,
    pub deadline: String,
    pub price: String,
    pub paid: String,
    pub due: String,
    /// The order's problems in words (empty without one).
    pub problem: String,
    /// Where it came from, in words.
    pub source: &'static str,
}

/// An order's problems in the visitor's words: the stage limit broken, the deadline passed.
pub(crate) fn problem_words(tr: Tr, o: &OrderSummary) -> String {
    let mut words = Vec::new();
    if let Some(h) = o.stage_limit_hours {
        words.push(format!(
            "{} «{}» > {h} {}",
            tr.t("problem.stage"),
            tr.status(o.status.as_str()),
            tr.t("problem.hours")
        ));
    }
    if o.deadline_breach {
        words.push(tr.t("problem.deadline").to_string());
    }
    words.join("; ")
}

impl Row {
    pub(crate) fn of(tr: Tr, o: OrderSummary) -> Row {
        // Nothing is due on a finished order (a failed one's money goes back by refunds).
        let due = o
            .price
            .filter(|_| !o.status.is_terminal())
            .map(|p| p - o.paid - o.points)
            .filter(|d| *d > 0);
        Row {
            problem: problem_words(tr, &o),
            source: tr.t(&format!("source.{}", o.source.as_str())),
            status: tr.status(o.status.as_str()),
            deadline: tr.date(&o.deadline),
            price: tr.money_opt(&o.price),
            paid: tr.money(o.paid),
            due: tr.money_opt(&due),
            o,
        }
    }
}

#[derive(Template)]
#[template(path = "web/orders.html")]
struct List {
    f: Frame,
    /// The client's own list (no filters, amounts due) or the staff's table.
    client: bool,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    /// The query as asked, for the filter form and the paging links.
    status: String,
    q: String,
    problem: bool,
    /// The source filter as asked (empty: any) and the choices.
    source: String,
    sources: Vec<(&'static str, &'static str)>,
    /// The client kind filter as asked: `true` (companies), `false` (individuals), empty.
    corporate: String,
    unrouted: bool,
    /// Whether the unrouted filter means anything to this visitor (who sees every order).
    sees_unrouted: bool,
    sort: String,
    sorts: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    prev: Option<String>,
    next: Option<String>,
    error: Option<String>,
    /// A manager's shift: on or off (`None` for everyone else).
    on_shift: Option<bool>,
    /// The messages waiting for this manager's (or admin's) approval.
    held: Vec<crate::app::messages::HeldMessageView>,
    /// A client's loyalty points and referral link.
    points: Option<PointsSection>,
}

/// A client's points as their order list shows them.
pub struct PointsSection {
    pub balance: i64,
    /// Each entry: when, what (in words), the points (signed), the balance after.
    pub entries: Vec<(String, &'static str, String, i64)>,
    /// The full referral link to share.
    pub link: String,
}

impl PointsSection {
    async fn of(app: &App, tr: Tr, actor: &aggregates::Actor) -> Result<PointsSection, AppError> {
        let p = app.my_points(actor).await?;
        Ok(PointsSection {
            balance: p.balance,
            entries: p
                .entries
                .into_iter()
                .rev()
                .map(|e| {
                    let sign = if e.kind == "spent" { "−" } else { "+" };
                    let at = chrono::DateTime::parse_from_rfc3339(&e.at)
                        .map(|t| tr.at(&t.to_utc()))
                        .unwrap_or(e.at);
                    (
                        at,
                        tr.t(&format!("points.{}", e.kind)),
                        format!("{sign}{}", e.points),
                        e.balance,
                    )
                })
                .collect(),
            link: format!(
                "{}{}",
                app.config.public_url.trim_end_matches('/'),
                p.referral_link
            ),
        })
    }
}

/// The query string of the list with `page` instead.
fn with_page(params: &HashMap<String, String>, page: i64) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, v)| k.as_str() != "page" && !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pairs.sort();
    pairs.push(("page".into(), page.to_string()));
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let q: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    format!("/orders?{}", q.join("&"))
}

pub async fn list(
    State(app): State<App>,
    v: Visitor,
    Query(mut params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    let actor = member.actor();
    // An empty field of the filter form means "any".
    params.retain(|k, val| !val.trim().is_empty() && k != "lang");
    let (query, error) = match list_query(&params) {
        Ok(q) => (q, None),
        Err(e) => (
            list_query(&HashMap::new()).expect("the default query"),
            Some(e.to_string()),
        ),
    };
    let OrderPage {
        items,
        total,
        page: at,
        per_page,
    } = app.list_orders(&actor, &query).await?;
    let pages = ((total + per_page - 1) / per_page).max(1);
    let tr = v.tr;
    let sees_all = matches!(actor.role, Role::Admin | Role::Auditor | Role::PayoutClerk);
    page(List {
        f: Frame::of(&v),
        client: actor.role == Role::Client,
        rows: items.into_iter().map(|o| Row::of(tr, o)).collect(),
        total,
        page: at,
        pages,
        status: params.get("status").cloned().unwrap_or_default(),
        q: params.get("q").cloned().unwrap_or_default(),
        problem: params.get("problem").is_some_and(|p| p == "true"),
        source: params.get("source").cloned().unwrap_or_default(),
        corporate: params.get("corporate").cloned().unwrap_or_default(),
        sources: aggregates::order::OrderSource::ALL
            .iter()
            .map(|s| (s.as_str(), tr.t(&format!("source.{}", s.as_str()))))
            .collect(),
        unrouted: params.get("unrouted").is_some_and(|p| p == "true"),
        sees_unrouted: sees_all,
        on_shift: super::work::on_shift(&app, &v).await,
        held: if crate::app::policy::authorize(&actor, crate::app::policy::Action::ModerateMessage)
            .is_ok()
        {
            app.held_messages(&actor).await?
        } else {
            Vec::new()
        },
        points: if actor.role == Role::Client {
            Some(PointsSection::of(&app, tr, &actor).await?)
        } else {
            None
        },
        sort: params
            .get("sort")
            .cloned()
            .unwrap_or_else(|| SORTS[0].into()),
        sorts: SORTS.iter().map(|s| (*s, sort_key(s))).collect(),
        statuses: STATUSES.iter().map(|s| (*s, tr.status(s))).collect(),
        prev: (at > 1).then(|| with_page(&params, at - 1)),
        next: (at < pages).then(|| with_page(&params, at + 1)),
        error,
    })
}

fn sort_key(s: &str) -> &'static str {
    match s {
        "-number" => "orders.sort.-number",
        "deadline" => "orders.sort.deadline",
        "-deadline" => "orders.sort.-deadline",
        _ => "orders.sort.number",
    }
}

const STATUSES: [&str; 12] = [
    "new",
    "offered",
    "awaiting_prepayment",
    "in_progress",
    "draft_review",
    "half_ready",
    "rework",
    "final_review",
    "fully_ready",
    "delivered",
    "completed",
    "failed",
];

/// One entry of the timeline, in words.
pub struct Entry {
    pub at: String,
    pub what: &'static str,
    pub detail: String,
    pub who: &'static str,
}

/// The words of an event's own fields that matter to a reader.
fn detail(tr: Tr, e: &EventView) -> String {
    let d = &e.data;
    let text = |k: &str| d[k].as_str().unwrap_or("").to_string();
    let money = |k: &str| d[k].as_i64().map(|m| tr.money(m)).unwrap_or_default();
    match e.event_type.as_str() {
        "OrderPlaced" => format!(
            "«{}», {} {}",
            text("topic"),
            d["pages"],
            tr.t("field.pages").to_lowercase()
        ),
        "PriceSet" => money("price"),
        "PaymentReceived" => {
            let half = match d["half"].as_str() {
                Some("Second") | Some("second") => tr.t("order.second_half"),
                _ => tr.t("order.first_half"),
            };
            format!("{half}: {}", money("amount"))
        }
        "OfferDeclined" => text("reason"),
        "DraftRejected" | "FinalRejected" | "RevisionRequested" => text("comment"),
        "OrderEdited" => d["edits"]
            .as_array()
            .map(|edits| {
                edits
                    .iter()
                    .map(|e| {
                        let field = e["field"].as_str().unwrap_or("");
                        let shown = |v: &Value| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        format!(
                            "{}: {} → {}",
                            tr.t(&format!("field.{field}")),
                            shown(&e["old"]),
                            shown(&e["new"])
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default(),
        "DiscountGiven" => format!(
            "{} → {} — {}",
            money("old_price"),
            money("price"),
            text("reason")
        ),
        "ExtraAdded" | "ExtraRemoved" => {
            let sign = if e.event_type == "ExtraAdded" {
                "+"
            } else {
                "−"
            };
            match d["new_price"].as_i64() {
                Some(p) => format!(
                    "{}: {sign}{}; {} {}",
                    text("name"),
                    money("price"),
                    tr.t("orders.price").to_lowercase(),
                    tr.money(p)
                ),
                None => format!("{}: {sign}{}", text("name"), money("price")),
            }
        }
        "PointsApplied" => format!(
            "{} {} — {} {}",
            d["points"].as_i64().unwrap_or(0),
            tr.t("points.points").to_lowercase(),
            tr.t("order.left_to_pay"),
            money("first_half_due")
        ),
        "DeadlineProposed" | "DeadlineProposalDeclined" => text("deadline"),
        "DeadlineMoved" => format!("{} → {}", text("old"), text("new")),
        "ProblemFlagged" => {
            let b = &d["breach"];
            match b["kind"].as_str() {
                Some("stage_limit") => format!(
                    "{} «{}» > {} {}",
                    tr.t("problem.stage"),
                    tr.status(b["status"].as_str().unwrap_or("")),
                    b["limit_hours"],
                    tr.t("problem.hours")
                ),
                _ => format!("{} ({})", tr.t("problem.deadline"), text_of(b, "deadline")),
            }
        }
        "OrderFailed" | "ReviewHidden" | "MessageRejected" => text("reason"),
        // The side that wrote, never who; a held text reaches only those who may read it
        // (the history leaves it out for the others).
        "MessagePosted" => format!(
            "{}: {}",
            tr.role(d["by"].as_str().unwrap_or("")),
            text("text")
        ),
        "MessageApproved" => format!(
            "{}: {}",
            tr.role(d["from"].as_str().unwrap_or("")),
            text("text")
        ),
        "OrderCompleted" => match d["rating"].as_i64() {
            Some(r) => format!("{} {r}/5. {}", tr.t("field.rating"), text("review")),
            None => text("review"),
        },
        "RefundRecorded" => format!("{} — {}", money("amount"), text("reason")),
        "CompensationGranted" => money("amount"),
        "OrderDelivered" => match d["guarantee_until"].as_str() {
            Some(t) => match chrono::DateTime::parse_from_rfc3339(t) {
                Ok(t) => format!("{} {}", tr.t("order.guarantee_until"), tr.at(&t.to_utc())),
                Err(_) => String::new(),
            },
            None => String::new(),
        },
        "DraftSubmitted" | "FinalSubmitted" => text_of(&d["file"], "name"),
        _ => String::new(),
    }
}

fn text_of(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or("").to_string()
}

/// What the visitor may do to the order now: each button is shown only when the access
/// policy says yes and the order, in its current state, would accept the command.
#[derive(Default)]
pub struct Can {
    /// `first` or `second`, with the amount in words.
    pub pay: Option<(&'static str, String)>,
    pub revision: bool,
    pub complete: bool,
    pub cancel: bool,
    /// The client may order a finished order again.
    pub repeat: bool,
    /// The client may accept or decline the deadline proposed to them.
    pub answer_deadline: bool,
    /// The client may pay part of the first half with points: at most this many.
    pub points: Option<i64>,
}

impl Can {
    pub fn any(&self) -> bool {
        self.pay.is_some()
            || self.revision
            || self.complete
            || self.cancel
            || self.repeat
            || self.answer_deadline
            || self.points.is_some()
    }
}

fn can(app: &App, v: &Visitor, o: &OrderSummary, state: &Order, balance: i64) -> Can {
    let Some(user) = &v.user else {
        return Can::default();
    };
    let actor = aggregates::Actor::new(user.id, user.role);
    let may = |a| crate::app::policy::authorize(&actor, a).is_ok();
    let at = app.clock.now();
    let accepts = |cmd: OrderCommand| state.decide(cmd).is_ok();
    let mut can = Can::default();
    if may(crate::app::policy::Action::PayTest) && app.test_payments() {
        for (half, code, amount) in [
            (Half::First, "first", o.first_half_due.filter(|d| *d > 0)),
            (Half::Second, "second", o.second_half),
        ] {
            let Some(amount) = amount else { continue };
            let cmd = OrderCommand::RecordPayment {
                half,
                amount,
                payment_id: "probe".into(),
                guarantee_days: 0,
                at,
            };
            if can.pay.is_none() && accepts(cmd) {
                can.pay = Some((code, v.tr.money(amount)));
            }
        }
    }
    if may(crate::app::policy::Action::SpendPoints) && balance > 0 {
        let most = balance.min(o.first_half_due.unwrap_or(0));
        if most > 0
            && accepts(OrderCommand::ApplyPoints {
                client_id: user.id,
                points: most,
                at,
            })
        {
            can.points = Some(most);
        }
    }
    if may(crate::app::policy::Action::RequestRevision) {
        can.revision = accepts(OrderCommand::RequestRevision {
            client_id: user.id,
            comment: "probe".into(),
            at,
        });
    }
    if may(crate::app::policy::Action::AnswerDeadline) {
        can.answer_deadline = accepts(OrderCommand::AnswerDeadline {
            client_id: user.id,
            accept: false,
            at,
        });
    }
    if may(crate::app::policy::Action::PlaceOrder) {
        can.repeat = state.client_id == user.id && state.status.is_terminal();
    }
    if may(crate::app::policy::Action::CompleteOrder) {
        can.complete = accepts(OrderCommand::Complete {
            client_id: user.id,
            rating: 5,
            review: String::new(),
            publish: false,
            at,
        });
    }
    if may(crate::app::policy::Action::CancelOrder) {
        can.cancel = accepts(OrderCommand::Cancel {
            actor,
            reason: "probe".into(),
            at,
        });
    }
    can
}

#[derive(Template)]
#[template(path = "web/order.html")]
struct Show {
    f: Frame,
    o: Row,
    view: OrderView,
    timeline: Vec<Entry>,
    can: Can,
    staff: super::work::StaffCan,
    candidates: Vec<super::work::Candidate>,
    offers: Vec<super::work::OfferLine>,
    /// The price form's values, in roubles.
    price_value: String,
    fee_value: String,
    client: bool,
    /// The extras of the catalogue in force not on the order yet: code and "name, price"
    /// (for the staff's form).
    extra_choices: Vec<(String, String)>,
    /// The order's conversation, when the visitor reads it.
    conversation: Option<super::messages::Conversation>,
}

pub async fn show(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    let actor = member.actor();
    let view = app.show_order(&actor, id).await?;
    let events = app.order_events(&actor, id).await?;
    let state = app.order_state(id).await?;
    let tr = v.tr;
    let timeline = events
        .iter()
        .map(|e| Entry {
            at: tr.at(&e.at),
            what: tr.event(&e.event_type),
            detail: detail(tr, e),
            // The service's own acts carry the nil id; a client's id is withheld from an
            // author, the role still said.
            who: match (e.actor.id, e.actor.role.as_deref()) {
                (Some(id), _) if id.is_nil() => tr.t("role.system"),
                (_, Some(r)) => tr.role(r),
                _ => tr.t("role.system"),
            },
        })
        .collect();
    let staff = super::work::staff_can(&app, &v, &state);
    let (candidates, offers) = super::work::candidates(&app, &member, &v, id, staff.offer).await;
    let rubles = |k: Option<i64>| k.map(super::work::rubles_value).unwrap_or_default();
    let conversation = super::messages::conversation(&app, &v, id, &state).await?;
    let extra_choices = if staff.extras {
        app.catalogue()
            .await?
            .active(aggregates::catalogue::EntryKind::Extra)
            .filter(|e| !state.extras.iter().any(|x| x.code == e.code))
            .map(|e| {
                let price = e.price.map(|p| tr.money(p)).unwrap_or_default();
                (e.code.clone(), format!("{}, {price}", e.name))
            })
            .collect()
    } else {
        Vec::new()
    };
    let balance = if policy_allows(&actor, crate::app::policy::Action::SpendPoints) {
        app.my_points(&actor).await?.balance
    } else {
        0
    };
    page(Show {
        extra_choices,
        conversation,
        // The work's own price: the extras on the order come on top when it is set.
        price_value: rubles(view.order.price.map(|p| p - state.extras_total())),
        fee_value: rubles(view.order.author_fee.flatten()),
        staff,
        candidates,
        offers,
        can: can(&app, &v, &view.order, &state, balance),
        f: Frame::of(&v),
        o: Row::of(tr, view.order.clone()),
        view,
        timeline,
        client: actor.role == Role::Client,
    })
}

pub async fn download(
    State(app): State<App>,
    v: Visitor,
    Path((id, file_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    let (file, bytes) = app.download(&member.actor(), id, file_id).await?;
    Ok(crate::http::orders::download::attachment(file, bytes))
}

#[derive(Deserialize)]
pub struct PayForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    half: String,
}

/// The client pays the half due (a test payment: no provider is configured).
pub async fn pay(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<PayForm>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.pay_test(&member.ctx(), id, &form.half).await;
    after(&v, &format!("/orders/{id}"), result)
}

fn policy_allows(actor: &aggregates::Actor, action: crate::app::policy::Action) -> bool {
    crate::app::policy::authorize(actor, action).is_ok()
}

#[derive(Deserialize)]
pub struct PointsForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    points: String,
}

/// The client pays part of the first half with points (as `POST /api/orders/{id}/points`).
pub async fn spend_points(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<PointsForm>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = match form.points.trim().parse::<i64>() {
        Ok(points) => app.spend_points(&member.ctx(), id, points).await,
        Err(_) => Err(AppError::Invalid(format!(
            "points: «{}» is not a whole number",
            form.points
        ))),
    };
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    comment: String,
}

pub async fn revision(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<CommentForm>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app
        .request_revision(&member.ctx(), id, form.comment.trim().to_string())
        .await;
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    review: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    publish: Option<String>,
}

pub async fn complete(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<CompleteForm>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = match form.rating.trim().parse::<i64>() {
        Ok(r) => {
            app.complete_order(
                &member.ctx(),
                id,
                r,
                form.review.trim().to_string(),
                form.publish.is_some(),
            )
            .await
        }
        Err(_) => Err(crate::app::AppError::Invalid(
            "the rating is a whole number from 1 to 5".into(),
        )),
    };
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    _csrf: String,
    /// `accept` or `decline`.
    #[serde(default)]
    answer: String,
}

/// The client's answer to a proposed deadline.
pub async fn answer_deadline(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = match form.answer.as_str() {
        "accept" => app.answer_deadline(&member.ctx(), id, true).await,
        "decline" => app.answer_deadline(&member.ctx(), id, false).await,
        _ => Err(AppError::Invalid("the answer is accept or decline".into())),
    };
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct RepeatForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    deadline: String,
}

/// The client orders a finished order again, as `POST /api/orders/{id}/repeat`: to the new
/// order's page.
pub async fn repeat(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<RepeatForm>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = match NaiveDate::parse_from_str(form.deadline.trim(), "%Y-%m-%d") {
        Ok(deadline) => app.repeat_order(&member.ctx(), id, deadline).await,
        Err(_) => Err(AppError::Invalid("the deadline must be a date".into())),
    };
    let to = match &result {
        Ok(order) => format!("/orders/{}", order.order.id),
        Err(_) => format!("/orders/{id}"),
    };
    after(&v, &to, result)
}

pub async fn cancel(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    let member = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app
        .cancel_order(&member.ctx(), id, form.reason.trim().to_string())
        .await;
    after(&v, &format!("/orders/{id}"), result)
}
