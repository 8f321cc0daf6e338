//! The auditor's endpoint: the global event log in feed order. (An order as it stood at a
//! past moment is `GET /api/orders/{id}?as_of=`, in `orders/show.rs`.)

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use projections::feed;
use projections::{Cursor, Db};
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::Caller;
use crate::app::orders::{event_data, event_hash};
use crate::app::policy::Action;
use crate::app::App;
/// Events per page of the audit log unless `limit` says otherwise.
pub(super) const DEFAULT_LIMIT: i64 = 100;
/// The largest page of the audit log.
pub(super) const MAX_LIMIT: i64 = 1000;

/// The audit routes.
pub fn router() -> Router<App> {
    Router::new().route("/api/audit/events", get(events))
}

/// The feed cursor of the event at `position`; the start of the log for 0.
async fn cursor_at(db: &Db, position: i64) -> Result<Option<Cursor>, ApiError> {
    if position == 0 {
        return Ok(Some(Cursor::default()));
    }
    let sql = if db.is_postgres() {
        "SELECT tx_id::text::bigint AS tx, position FROM events WHERE position = $1"
    } else {
        "SELECT 0 AS tx, position FROM events WHERE position = $1"
    };
    let row = db
        .fetch_optional(sql, &projections::args![position])
        .await?;
    Ok(match row {
        Some(r) => Some(Cursor {
            tx: r.int("tx")?,
            position: r.int("position")?,
        }),
        None => None,
    })
}

/// `GET /api/audit/events?after=&limit=`: the global log in feed order, a page at a time.
async fn events(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.may(Action::ReadAuditLog)?;
    let after = match params.get("after").map(|s| s.trim()) {
        None | Some("") => 0,
        Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::Unprocessable(
                "after must be the position of an event (a whole number, 0 for the start)".into(),
            )
        })?,
    };
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                ))
            })?,
    };
    let cursor = cursor_at(&app.db, after)
        .await?
        .ok_or_else(|| ApiError::Unprocessable(format!("there is no event at position {after}")))?;
    let page = feed::read_after(&app.db, cursor, limit, None).await?;
    let next_after = page.last().map_or(after, |e| e.cursor.position);
    let items: Vec<Value> = page
        .iter()
        .map(|e| {
            json!({
                "position": e.cursor.position,
                "aggregate_type": e.aggregate_type,
                "aggregate_id": e.aggregate_id,
                "sequence": e.sequence,
                "type": e.event_type,
                "version": e.event_version,
                "at": e.meta.at.to_rfc3339(),
                "actor": {"id": e.meta.actor_id, "role": e.meta.actor_role},
                "request_id": e.meta.request_id,
                "causation_id": e.meta.causation_id,
                "hash": event_hash(e),
                "prev_hash": e.metadata.get(crate::chain::PREV_HASH).cloned().unwrap_or(Value::Null),
                "data": event_data(&e.payload),
            })
        })
        .collect();
    Ok(Json(json!({"events": items, "next_after": next_after})))
}
