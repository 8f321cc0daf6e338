//! Authors' money: `/ledger` (the author's own balance and entries; any author's for the
//! payout clerk, the auditor and the admin with `?author=`), `/payouts` (the payout
//! clerk: balances due, a payout recorded by a form, the latest payouts).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::session::Visitor;
use super::work::{parse_rubles, rubles_value};
use super::{after, page, Form, Frame, PageError};
use crate::app::ledger::NewPayout;
use crate::app::{App, AppError};

/// One entry of the ledger, in words.
pub struct Line {
    pub at: String,
    pub kind: &'static str,
    pub order_id: Option<Uuid>,
    pub reference: String,
    /// Signed: a payout is money out.
    pub amount: String,
    pub balance: String,
}

fn moment(tr: super::i18n::Tr, at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| tr.at(&t.to_utc()))
        .unwrap_or_else(|_| at.to_string())
}

#[derive(Template)]
#[template(path = "web/ledger.html")]
struct Ledger {
    f: Frame,
    name: String,
    own: bool,
    balance: String,
    lines: Vec<Line>,
}

/// `/ledger`: the author's own ledger; `?author=<id>` for the staff who may read any.
pub async fn ledger(
    State(app): State<App>,
    v: Visitor,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    let actor = m.actor();
    let id = match q.get("author").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => Uuid::parse_str(s).map_err(|_| PageError::NotFound)?,
        None => actor.id,
    };
    let view = app.author_ledger(&actor, id).await?;
    let tr = v.tr;
    let name = projections::users::by_id(&app.db, id)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?
        .map(|u| u.full_name)
        .unwrap_or_default();
    let lines = view
        .entries
        .iter()
        .rev()
        .map(|e| Line {
            at: moment(tr, &e.at),
            kind: tr.t(&format!("ledger.{}", e.kind)),
            order_id: e.order_id,
            reference: e.reference.clone().unwrap_or_default(),
            amount: if e.kind == "payout" {
                format!("−{}", tr.money(e.amount))
            } else {
                format!("+{}", tr.money(e.amount))
            },
            balance: tr.money(e.balance),
        })
        .collect();
    page(Ledger {
        f: Frame::of(&v),
        own: id == actor.id,
        name,
        balance: tr.money(view.balance),
        lines,
    })
}

pub struct Due {
    pub author_id: Uuid,
    pub full_name: String,
    pub balance: String,
    /// The whole balance in roubles, the form's suggestion.
    pub value: String,
}

pub struct Paid {
    pub author_id: Uuid,
    pub full_name: String,
    pub at: String,
    pub reference: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "web/payouts.html")]
struct Payouts {
    f: Frame,
    threshold: String,
    /// Whether the visitor may record a payout (the payout clerk), or only read.
    can_record: bool,
    due: Vec<Due>,
    paid: Vec<Paid>,
}

/// `/payouts`: the balances due, a form to record each payout, the latest payouts.
pub async fn payouts(State(app): State<App>, v: Visitor) -> Result<Response, PageError> {
    let m = v.require()?;
    let actor = m.actor();
    let tr = v.tr;
    let due = app.payouts_due(&actor).await?;
    let paid = app.recent_payouts(&actor, 50).await?;
    let threshold = app.payout_threshold().await?;
    page(Payouts {
        f: Frame::of(&v),
        threshold: tr.money(threshold),
        can_record: crate::app::policy::authorize(&actor, crate::app::policy::Action::RecordPayout)
            .is_ok(),
        due: due
            .into_iter()
            .map(|d| Due {
                author_id: d.author_id,
                full_name: d.full_name,
                balance: tr.money(d.balance),
                value: rubles_value(d.balance),
            })
            .collect(),
        paid: paid
            .into_iter()
            .map(|p| Paid {
                author_id: p.author_id,
                full_name: p.full_name,
                at: moment(tr, &p.at),
                reference: p.reference,
                amount: tr.money(p.amount),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct PayoutForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    author_id: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reference: String,
}

/// Records a payout, as `POST /api/payouts`: at most the balance; the same reference
/// again records nothing more.
pub async fn record(
    State(app): State<App>,
    v: Visitor,
    Form(form): Form<PayoutForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let author_id = Uuid::parse_str(form.author_id.trim())
            .map_err(|_| AppError::Invalid("no such author".into()))?;
        let amount = parse_rubles("amount", &form.amount)?;
        if form.reference.trim().is_empty() {
            return Err(AppError::Invalid(
                "a payout needs the reference of its bank transfer".into(),
            ));
        }
        app.record_payout(
            &m.ctx(),
            NewPayout {
                author_id,
                amount,
                reference: form.reference.clone(),
            },
        )
        .await
    }
    .await;
    after(&v, "/payouts", result)
}
