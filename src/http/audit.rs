//! The auditor's endpoint: the global event log in feed order. (An order as it stood at a
//! past moment is `GET /api/orders/{id}?as_of=`, in `orders/show.rs`.)

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use projections::feed::{self, StoredEvent};
use projections::{Cursor, Db};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

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
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(events))
}

/// One event of an order's stream.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// 1, 2, 3, … within its stream.
    #[schema(minimum = 1)]
    pub sequence: i64,
    /// Its place in the global log.
    pub position: i64,
    #[serde(rename = "type")]
    #[schema(examples("OrderPlaced"))]
    pub event_type: String,
    pub version: String,
    /// When it happened (RFC 3339).
    #[schema(format = DateTime)]
    pub at: String,
    #[schema(inline)]
    pub actor: EventActor,
    /// The request that caused it.
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// Hex SHA-256 of the event; null for one written before the hash chain.
    #[schema(required = true, pattern = "^[0-9a-f]{64}$")]
    pub hash: Option<String>,
    /// The event's own fields.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// Who caused an event: null for the system.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventActor {
    #[schema(required = true)]
    pub id: Option<Uuid>,
    #[schema(required = true)]
    pub role: Option<String>,
}

impl Event {
    /// The event as the log stores it, with `data` as given.
    pub fn new(e: &StoredEvent, data: Value) -> Event {
        Event {
            sequence: e.sequence,
            position: e.cursor.position,
            event_type: e.event_type.clone(),
            version: e.event_version.clone(),
            at: e.meta.at.to_rfc3339(),
            actor: EventActor {
                id: e.meta.actor_id,
                role: e.meta.actor_role.clone(),
            },
            request_id: e.meta.request_id.clone(),
            hash: event_hash(e).as_str().map(str::to_string),
            data,
        }
    }
}

/// One event of the global log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    #[serde(flatten)]
    pub event: Event,
    #[schema(examples("Order", "User"))]
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// The hash of the event before it in the log; null for the first, or one written
    /// before the hash chain.
    #[schema(required = true, pattern = "^[0-9a-f]{64}$")]
    pub prev_hash: Option<String>,
}

/// One page of the global log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// `after` for the next page; the same as this one's when nothing was left.
    #[schema(minimum = 0)]
    pub next_after: i64,
}

/// The query of `GET /api/audit/events`, for the document: the handler reads it by hand
/// to answer each bad value with a precise 422.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The position of the last event already read; 0 for the start.
    #[param(minimum = 0, default = 0)]
    pub after: Option<i64>,
    /// Events per page.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
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

/// The global event log, in order
///
/// Pass the previous page's `next_after` as `after` to read on.
#[utoipa::path(
    get,
    path = "/api/audit/events",
    tag = "audit",
    operation_id = "auditEvents",
    extensions(("x-roles" = json!(Action::ReadAuditLog.roles()))),
    params(AuditQuery),
    responses(
        (status = 200, description = "one page of the log", body = AuditPage),
        (status = 422, description = "`after` is not the position of an event, or `limit` out of range"),
    ),
)]
async fn events(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<AuditPage>, ApiError> {
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
    let events = page
        .iter()
        .map(|e| AuditEvent {
            event: Event::new(e, event_data(&e.payload)),
            aggregate_type: e.aggregate_type.clone(),
            aggregate_id: e.aggregate_id.clone(),
            prev_hash: e
                .metadata
                .get(crate::chain::PREV_HASH)
                .and_then(Value::as_str)
                .map(str::to_string),
        })
        .collect();
    Ok(Json(AuditPage { events, next_after }))
}
