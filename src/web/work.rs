//! The staff's work on orders: the author's offers queue (`/offers`: **Take it** /
//! **Decline**, active works with their uploads) and the forms of an order's page for
//! the author (take, decline, upload the draft and the final work) and the manager (price
//! and fee, offer, review, refund), and the manager's shift.
//!
//! Each form calls the same application service as its JSON endpoint, with the visitor
//! as the caller: the access policy and the order's own rules decide, as for the API.

use aggregates::order::{FileKind, FileRef, Order, OrderChanges, OrderCommand};
use aggregates::Role;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::orders::Row;
use super::session::{Member, Visitor};
use super::{after, page, Form, Frame, PageError, Path};
use crate::app::authors::PendingOffer;
use crate::app::orders::{Upload, Verdict};
use crate::app::payments::NewRefund;
use crate::app::policy::{self, Action};
use crate::app::{App, AppError};
use crate::http::orders::list::list_query;

/// An amount typed in roubles (`2500`, `2 500,50`, `2500.5`) in kopecks.
pub fn parse_rubles(field: &str, s: &str) -> Result<i64, AppError> {
    let bad = || {
        AppError::Invalid(format!(
            "{field}: «{s}» is not an amount in roubles, such as 2500 or 2500.50"
        ))
    };
    let clean: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '₽')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (whole, frac) = clean.split_once('.').unwrap_or((&clean, ""));
    if whole.is_empty()
        || whole.len() > 12
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let rubles: i64 = whole.parse().map_err(|_| bad())?;
    let kopecks: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    Ok(rubles * 100 + kopecks)
}

/// Kopecks as the order form writes roubles back (`2500.50`), for a form's value.
pub fn rubles_value(kopecks: i64) -> String {
    if kopecks % 100 == 0 {
        (kopecks / 100).to_string()
    } else {
        format!("{}.{:02}", kopecks / 100, kopecks % 100)
    }
}

/// A placeholder file for asking the order whether it would take an upload now.
fn probe_file() -> FileRef {
    FileRef {
        id: Uuid::nil(),
        name: "probe".into(),
        size: 1,
        content_type: "text/plain".into(),
        sha256: String::new(),
    }
}

/// What the staff may do to an order now: each form is shown only when the access policy
/// says yes and the order, as it stands, would accept the command.
#[derive(Default)]
pub struct StaffCan {
    pub take: bool,
    pub upload_draft: bool,
    pub upload_final: bool,
    pub price: bool,
    pub offer: bool,
    pub review_draft: bool,
    pub review_final: bool,
    pub refund: bool,
    pub hide_review: bool,
    /// Change the order's details (before the first half).
    pub edit: bool,
    /// Lower the price (before the first half, once priced).
    pub discount: bool,
    /// Propose a new deadline to the client (after the first half, before delivery).
    pub propose_deadline: bool,
    /// Add and remove extras (before the first half).
    pub extras: bool,
}

impl StaffCan {
    pub fn any(&self) -> bool {
        self.take
            || self.upload_draft
            || self.upload_final
            || self.price
            || self.offer
            || self.review_draft
            || self.review_final
            || self.refund
            || self.hide_review
            || self.edit
            || self.discount
            || self.propose_deadline
            || self.extras
    }
}

pub fn staff_can(app: &App, v: &Visitor, state: &Order) -> StaffCan {
    let Some(user) = &v.user else {
        return StaffCan::default();
    };
    let actor = aggregates::Actor::new(user.id, user.role);
    let may = |a| policy::authorize(&actor, a).is_ok();
    let at = app.clock.now();
    let accepts = |cmd: OrderCommand| state.decide(cmd).is_ok();
    StaffCan {
        take: may(Action::AnswerOffer)
            && accepts(OrderCommand::AcceptOffer {
                author_id: user.id,
                at,
            }),
        upload_draft: may(Action::SubmitWork)
            && accepts(OrderCommand::SubmitDraft {
                author_id: user.id,
                file: probe_file(),
                at,
            }),
        upload_final: may(Action::SubmitWork)
            && accepts(OrderCommand::SubmitFinal {
                author_id: user.id,
                file: probe_file(),
                at,
            }),
        price: may(Action::SetPrice)
            && accepts(OrderCommand::SetPrice {
                actor,
                price: 100,
                author_fee: 0,
                at,
            }),
        offer: may(Action::OfferOrder)
            && accepts(OrderCommand::OfferToAuthor {
                actor,
                author_id: Uuid::new_v4(),
                expires_at: at + chrono::Duration::hours(1),
                at,
            }),
        review_draft: may(Action::Review) && accepts(OrderCommand::ApproveDraft { actor, at }),
        review_final: may(Action::Review)
            && accepts(OrderCommand::ApproveFinal {
                actor,
                guarantee_days: 0,
                at,
            }),
        hide_review: may(Action::HideReview)
            && accepts(OrderCommand::HideReview {
                actor,
                reason: "probe".into(),
                at,
            }),
        edit: may(Action::EditOrder)
            && accepts(OrderCommand::EditOrder {
                actor,
                changes: OrderChanges {
                    topic: Some(state.topic.clone()),
                    ..OrderChanges::default()
                },
                at,
            }),
        discount: may(Action::EditOrder)
            && accepts(OrderCommand::EditOrder {
                actor,
                changes: OrderChanges::default(),
                at,
            })
            && state.first_payment.is_none()
            && state.price.is_some(),
        // An extra no order has: the order would take it, were it in the catalogue.
        extras: may(Action::ChangeExtras)
            && accepts(OrderCommand::AddExtra {
                actor,
                code: format!("probe-{}", Uuid::new_v4()),
                name: "probe".into(),
                price: 1,
                at,
            }),
        propose_deadline: may(Action::EditOrder)
            && state.first_payment.is_some()
            && state.proposed_deadline.is_none()
            && state.status.awaits_delivery()
            && state.deadline.is_some_and(|d| {
                accepts(OrderCommand::EditOrder {
                    actor,
                    changes: OrderChanges {
                        deadline: d.checked_add_days(chrono::Days::new(1)),
                        ..OrderChanges::default()
                    },
                    at,
                })
            }),
        refund: may(Action::RecordRefund)
            && accepts(OrderCommand::RecordRefund {
                actor,
                refund_id: Uuid::new_v4(),
                amount: 1,
                reason: "probe".into(),
                compensation: None,
                at,
            }),
    }
}

/// One author the manager may offer the order to, with their chance in the draw.
pub struct Candidate {
    pub author_id: Uuid,
    pub full_name: String,
    pub rating: String,
    /// Percent, one decimal.
    pub percent: String,
}

/// One offer made of the order, with its outcome.
pub struct OfferLine {
    pub full_name: String,
    pub offered_at: String,
    pub outcome: &'static str,
    pub reason: String,
}

/// The manager's view of the order's authors: the eligible ones with their chances, and
/// every offer made so far with how it ended.
pub async fn candidates(
    app: &App,
    m: &Member,
    v: &Visitor,
    id: Uuid,
    offer: bool,
) -> (Vec<Candidate>, Vec<OfferLine>) {
    let actor = m.actor();
    if policy::authorize(&actor, Action::ReadCandidates).is_err() {
        return (Vec::new(), Vec::new());
    }
    let ctx = m.ctx();
    let tr = v.tr;
    let list = if offer {
        app.order_candidates(&ctx, id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let offers = app.order_offers(&ctx, id).await.unwrap_or_default();
    (
        list.into_iter()
            .map(|c| Candidate {
                author_id: c.author_id,
                full_name: c.full_name,
                rating: format!("{:.2}", c.rating),
                percent: format!("{:.1}", c.probability * 100.0),
            })
            .collect(),
        offers
            .into_iter()
            .map(|o| OfferLine {
                full_name: o.full_name,
                offered_at: chrono::DateTime::parse_from_rfc3339(&o.offered_at)
                    .map(|t| tr.at(&t.to_utc()))
                    .unwrap_or(o.offered_at),
                outcome: tr.t(&format!("offer.{}", o.outcome)),
                reason: o.reason.unwrap_or_default(),
            })
            .collect(),
    )
}

// ---- The author's queue.

pub struct OfferCard {
    pub o: PendingOffer,
    pub deadline: String,
    pub fee: String,
    pub expires: String,
}

pub struct Work {
    pub row: Row,
    pub upload_draft: bool,
    pub upload_final: bool,
}

#[derive(Template)]
#[template(path = "web/offers.html")]
struct Offers {
    f: Frame,
    offers: Vec<OfferCard>,
    works: Vec<Work>,
}

/// `/offers`: the author's pending offers, and the works they have taken.
pub async fn offers(State(app): State<App>, v: Visitor) -> Result<Response, PageError> {
    let m = v.require()?;
    let actor = m.actor();
    let tr = v.tr;
    let pending = app.my_offers(&actor).await?;
    let offers = pending
        .into_iter()
        .map(|o| OfferCard {
            deadline: tr.date(&o.deadline),
            fee: tr.money_opt(&o.fee),
            expires: o
                .expires_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| tr.at(&t.to_utc()))
                .unwrap_or_else(|| "—".into()),
            o,
        })
        .collect();
    // Every order of the author's, newest first, page by page: the active ones are kept.
    let mut mine = Vec::new();
    for n in 1.. {
        let mut query = std::collections::HashMap::new();
        query.insert("per_page".to_string(), "100".to_string());
        query.insert("sort".to_string(), "-number".to_string());
        query.insert("page".to_string(), n.to_string());
        let list = app
            .list_orders(
                &actor,
                &list_query(&query).map_err(|e| PageError::BadRequest(e.to_string()))?,
            )
            .await?;
        let last = list.items.is_empty() || n * list.per_page >= list.total;
        mine.extend(list.items);
        if last {
            break;
        }
    }
    let mut works = Vec::new();
    for o in mine {
        if o.status.is_terminal() || o.author_id != Some(actor.id) {
            continue;
        }
        let state = app.order_state(o.id).await?;
        let can = staff_can(&app, &v, &state);
        works.push(Work {
            row: Row::of(tr, o),
            upload_draft: can.upload_draft,
            upload_final: can.upload_final,
        });
    }
    page(Offers {
        f: Frame::of(&v),
        offers,
        works,
    })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    _csrf: String,
}

/// **Take it**: the offered author accepts.
pub async fn take(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.accept_offer(&m.ctx(), id).await;
    let to = if result.is_ok() {
        format!("/orders/{id}")
    } else {
        "/offers".to_string()
    };
    after(&v, &to, result)
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    reason: String,
}

/// **Decline**, with the reason the manager will read.
pub async fn decline(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    // The manager reads why: the page asks for a reason (the API takes an empty one).
    let result = match form.reason.trim() {
        "" => Err(AppError::Invalid("say why you decline the offer".into())),
        reason => app.decline_offer(&m.ctx(), id, reason.to_string()).await,
    };
    after(&v, "/offers", result)
}

/// Reads a page's upload form: its CSRF token and its one `file` part.
async fn read_form_upload(mut multipart: Multipart) -> Result<(String, Option<Upload>), PageError> {
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    let mut csrf = String::new();
    let mut upload = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("_csrf") => csrf = field.text().await.map_err(bad)?,
            Some("file") => {
                upload = crate::http::orders::upload::file_part(field)
                    .await
                    .map_err(bad)?;
            }
            _ => {}
        }
    }
    Ok((csrf, upload))
}

async fn upload(
    app: App,
    v: Visitor,
    id: Uuid,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    kind: FileKind,
) -> Result<Response, PageError> {
    let m = v.require()?;
    let multipart = multipart.map_err(|e| PageError::BadRequest(e.body_text()))?;
    let (csrf, file) = read_form_upload(multipart).await?;
    v.check_csrf(&csrf)?;
    let ctx = m.ctx();
    let result = async {
        let may = app.may_submit_work(&ctx, id).await?;
        let file = file.ok_or_else(|| AppError::Invalid("choose a file to upload".into()))?;
        app.submit_work(may, kind, file).await
    }
    .await;
    after(&v, &format!("/orders/{id}"), result)
}

pub async fn upload_draft(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    upload(app, v, id, multipart, FileKind::Draft).await
}

pub async fn upload_final(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    upload(app, v, id, multipart, FileKind::Final).await
}

// ---- The manager's forms.

#[derive(Deserialize)]
pub struct PriceForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    author_fee: String,
}

/// The price, and the author's fee (the settings' share when left empty).
pub async fn price(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<PriceForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let price = parse_rubles("price", &form.price)?;
        let fee = match form.author_fee.trim() {
            "" => None,
            s => Some(parse_rubles("author_fee", s)?),
        };
        app.set_price(&m.ctx(), id, price, fee).await
    }
    .await;
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    _csrf: String,
    topic: Option<String>,
    pages: Option<String>,
    deadline: Option<String>,
    requirements: Option<String>,
    work_type: Option<String>,
    subject: Option<String>,
}

/// The manager's edit of the order (as `PATCH /api/orders/{id}`): the fields the form
/// sends, of which only those changed are recorded; after the first half the form sends
/// the deadline alone, which becomes the proposal to the client.
pub async fn edit(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<EditForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let pages = form
            .pages
            .as_deref()
            .map(|p| {
                p.trim()
                    .parse::<i64>()
                    .map_err(|_| AppError::Invalid("pages must be a whole number".into()))
            })
            .transpose()?;
        let deadline = form
            .deadline
            .as_deref()
            .map(|d| {
                chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| AppError::Invalid("the deadline must be a date".into()))
            })
            .transpose()?;
        let edits = crate::app::orders::Edits {
            topic: form.topic,
            pages,
            deadline,
            requirements: form.requirements,
            work_type: form.work_type,
            subject: form.subject,
        };
        app.edit_order(&m.ctx(), id, edits).await
    }
    .await;
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct DiscountForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    reason: String,
}

/// A discount (as `PUT /api/orders/{id}/discount`), the new price in roubles.
pub async fn discount(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<DiscountForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let price = parse_rubles("price", &form.price)?;
        app.give_discount(&m.ctx(), id, price, form.reason).await
    }
    .await;
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct ExtraForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    code: String,
}

/// An extra of the catalogue added to the order (as `POST /api/orders/{id}/extras`).
pub async fn add_extra(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<ExtraForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.add_extra(&m.ctx(), id, &form.code).await;
    after(&v, &format!("/orders/{id}"), result)
}

/// An extra taken off the order (as `DELETE /api/orders/{id}/extras/{code}`).
pub async fn remove_extra(
    State(app): State<App>,
    v: Visitor,
    Path((id, code)): Path<(Uuid, String)>,
    Form(form): Form<ExtraForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.remove_extra(&m.ctx(), id, &code).await;
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    _csrf: String,
    /// Empty: the weighted draw chooses.
    #[serde(default)]
    author_id: String,
}

pub async fn offer(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<OfferForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let author = match form.author_id.trim() {
            "" => None,
            s => Some(
                Uuid::parse_str(s)
                    .map_err(|_| AppError::Invalid(format!("«{s}» is not an author's id")))?,
            ),
        };
        app.offer_order(&m.ctx(), id, author).await
    }
    .await;
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    _csrf: String,
    /// `draft` or `final`.
    #[serde(default)]
    stage: String,
    /// `approve` or `reject`.
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    comment: String,
}

pub async fn review(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let comment = form.comment.trim().to_string();
    let verdict = match (form.stage.as_str(), form.verdict.as_str()) {
        ("draft", "approve") => Verdict::ApproveDraft,
        ("draft", "reject") => Verdict::RejectDraft { comment },
        ("final", "approve") => Verdict::ApproveFinal,
        ("final", "reject") => Verdict::RejectFinal { comment },
        _ => return Err(PageError::BadRequest("no such verdict".into())),
    };
    let result = app.review(&m.ctx(), id, verdict).await;
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    compensation: String,
}

/// A refund to the client of a failed order, with a compensation for its author.
pub async fn refund(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<RefundForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let refund = NewRefund {
            amount: parse_rubles("amount", &form.amount)?,
            reason: form.reason.trim().to_string(),
            compensation: match form.compensation.trim() {
                "" => None,
                s => Some(parse_rubles("compensation", s)?),
            },
        };
        app.record_refund(&m.ctx(), id, refund).await
    }
    .await;
    after(&v, &format!("/orders/{id}"), result)
}

/// Takes the order's published review off the site.
pub async fn hide_review(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.hide_review(&m.ctx(), id, form.reason.clone()).await;
    after(&v, &format!("/orders/{id}"), result)
}

#[derive(Deserialize)]
pub struct ShiftForm {
    #[serde(default)]
    _csrf: String,
    /// `start` or `end`.
    #[serde(default)]
    action: String,
}

/// The manager starts or ends their shift (from the order table).
pub async fn shift(
    State(app): State<App>,
    v: Visitor,
    Form(form): Form<ShiftForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let ctx = m.ctx();
    let result = match form.action.as_str() {
        "start" => app.start_shift(&ctx).await,
        "end" => app.end_shift(&ctx).await,
        _ => return Err(PageError::BadRequest("start or end".into())),
    };
    after(&v, "/orders", result)
}

/// Whether the manager is on shift now (`None` for anyone else).
pub async fn on_shift(app: &App, v: &Visitor) -> Option<bool> {
    let user = v.user.as_ref().filter(|u| u.role == Role::Manager)?;
    let actor = aggregates::Actor::new(user.id, user.role);
    policy::authorize(&actor, Action::WorkShift).ok()?;
    app.shift_state(user.id).await.ok().map(|s| s.is_on_shift())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roubles_typed_in_a_form_are_kopecks() {
        assert_eq!(parse_rubles("p", "2500").unwrap(), 250_000);
        assert_eq!(parse_rubles("p", "2 500,50").unwrap(), 250_050);
        assert_eq!(parse_rubles("p", "2500.5").unwrap(), 250_050);
        assert_eq!(parse_rubles("p", "0.01").unwrap(), 1);
        assert_eq!(parse_rubles("p", "1\u{a0}000 ₽").unwrap(), 100_000);
        for bad in ["", "abc", "1.234", "-5", "1e3", ".5", "12345678901234"] {
            assert!(parse_rubles("p", bad).is_err(), "{bad}");
        }
        assert_eq!(rubles_value(250_050), "2500.50");
        assert_eq!(rubles_value(250_000), "2500");
    }
}
