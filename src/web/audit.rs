//! `/audit` (the auditor): any order's full event history as stored — every field, who,
//! when, the request and the hash — the order as it stood at a chosen moment, and the
//! result of recomputing the order's hash chain.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use uuid::Uuid;

use super::orders::Row;
use super::session::Visitor;
use super::{page, Frame, PageError};
use crate::app::{App, AppError};
use crate::http::orders::list::list_query;

pub struct Line {
    pub sequence: i64,
    pub position: i64,
    pub at: String,
    pub what: &'static str,
    pub event_type: String,
    pub who: String,
    pub request_id: String,
    pub data: String,
    pub hash: String,
}

/// The order as it stood at the moment asked.
pub struct Past {
    pub at: String,
    /// `None`: it had not been placed yet.
    pub row: Option<Row>,
}

#[derive(Template)]
#[template(path = "web/audit.html")]
struct Audit {
    f: Frame,
    order: String,
    as_of: String,
    time: String,
    error: Option<String>,
    found: Option<Row>,
    lines: Vec<Line>,
    /// The events checked and the first broken link, if any.
    chain: Option<(u64, Option<String>)>,
    past: Option<Past>,
}

/// The order an auditor typed: its id, or its number.
async fn find(app: &App, actor: &aggregates::Actor, asked: &str) -> Result<Option<Uuid>, AppError> {
    if let Ok(id) = Uuid::parse_str(asked) {
        return Ok(Some(id));
    }
    let Ok(number) = asked.trim_start_matches('№').trim().parse::<i64>() else {
        return Err(AppError::Invalid(format!(
            "«{asked}» is neither an order's number nor its id"
        )));
    };
    let mut q = HashMap::new();
    q.insert("q".to_string(), number.to_string());
    q.insert("per_page".to_string(), "100".to_string());
    let page = app
        .list_orders(
            actor,
            &list_query(&q).map_err(|e| AppError::Invalid(e.to_string()))?,
        )
        .await?;
    Ok(page
        .items
        .into_iter()
        .find(|o| o.number == number)
        .map(|o| o.id))
}

pub async fn audit(
    State(app): State<App>,
    v: Visitor,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    let actor = m.actor();
    crate::app::policy::authorize(&actor, crate::app::policy::Action::ReadAuditLog)?;
    let tr = v.tr;
    let asked = q
        .get("order")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let as_of = q
        .get("as_of")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let time = q
        .get("time")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mut out = Audit {
        f: Frame::of(&v),
        order: asked.clone(),
        as_of: as_of.clone(),
        time: time.clone(),
        error: None,
        found: None,
        lines: Vec::new(),
        chain: None,
        past: None,
    };
    if asked.is_empty() {
        return page(out);
    }
    let id = match find(&app, &actor, &asked).await {
        Ok(Some(id)) => id,
        Ok(None) => {
            out.error = Some(tr.t("audit.no_order").to_string());
            return page(out);
        }
        Err(e) => {
            out.error = Some(e.to_string());
            return page(out);
        }
    };
    let view = match app.show_order(&actor, id).await {
        Ok(view) => view,
        Err(AppError::NotFound) => {
            out.error = Some(tr.t("audit.no_order").to_string());
            return page(out);
        }
        Err(e) => return Err(e.into()),
    };
    out.found = Some(Row::of(tr, view.order));
    let events = app.order_events(&actor, id).await?;
    out.lines = events
        .iter()
        .map(|e| Line {
            sequence: e.sequence,
            position: e.position,
            at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            what: tr.event(&e.event_type),
            event_type: e.event_type.clone(),
            who: match (&e.actor.role, &e.actor.id) {
                (_, Some(id)) if id.is_nil() => tr.t("role.system").to_string(),
                (Some(r), Some(id)) => format!("{} {id}", tr.role(r)),
                (Some(r), None) => tr.role(r).to_string(),
                _ => tr.t("role.system").to_string(),
            },
            request_id: e.request_id.clone().unwrap_or_default(),
            data: serde_json::to_string_pretty(&e.data).unwrap_or_default(),
            hash: e.hash.as_str().unwrap_or("—").to_string(),
        })
        .collect();
    let report = app.check_order_chain(&actor, id).await?;
    out.chain = Some((report.events, report.broken.first().map(|b| b.to_string())));
    if !as_of.is_empty() {
        let at = NaiveDate::parse_from_str(&as_of, "%Y-%m-%d")
            .ok()
            .and_then(|d| {
                let t = if time.is_empty() {
                    Some(NaiveTime::from_hms_opt(23, 59, 59).expect("a time"))
                } else {
                    NaiveTime::parse_from_str(&time, "%H:%M").ok()
                }?;
                Some(d.and_time(t).and_utc())
            });
        match at {
            None => out.error = Some(tr.t("audit.bad_moment").to_string()),
            Some(at) => {
                let row = match app.order_as_of(&actor, id, at).await {
                    Ok(past) => Some(Row::of(tr, past.order.order)),
                    Err(AppError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                };
                out.past = Some(Past {
                    at: tr.at(&at),
                    row,
                });
            }
        }
    }
    page(out)
}
