//! The auditor's endpoint: the global event log in feed order. (An order as it stood at a
//! past moment is `GET /api/orders/{id}?as_of=`, in `orders/show.rs`.)

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use projections::feed::StoredEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::extract::Caller;
use super::openapi::{action, roles};
use crate::app::orders::event_data;
use crate::app::policy::Action;
use crate::app::views::EventView;
use crate::app::App;

/// Events per page of the audit log unless `limit` says otherwise.
pub(super) const DEFAULT_LIMIT: i64 = 100;
/// The largest page of the audit log.
pub(super) const MAX_LIMIT: i64 = 1000;

/// The audit routes.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(events))
}

/// One event of the global log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEvent {
    #[serde(flatten)]
    pub event: EventView,
    #[schema(examples("Order", "User"))]
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// The hash of the event before it in the log; null for the first, or one written
    /// before the hash chain.
    #[schema(required = true, pattern = "^[0-9a-f]{64}$")]
    pub prev_hash: Option<String>,
}

impl From<&StoredEvent> for AuditEvent {
    fn from(e: &StoredEvent) -> AuditEvent {
        AuditEvent {
            event: EventView::of(e, event_data(&e.payload)),
            aggregate_type: e.aggregate_type.clone(),
            aggregate_id: e.aggregate_id.clone(),
            prev_hash: e
                .metadata
                .get(crate::chain::PREV_HASH)
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

/// One page of the global log.
#[derive(Debug, Clone, Serialize, ToSchema)]
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

/// The global event log, in order
///
/// Pass the previous page's `next_after` as `after` to read on.
#[utoipa::path(
    get,
    path = "/api/audit/events",
    tag = "audit",
    operation_id = "auditEvents",
    extensions(("x-roles" = json!(roles(Action::ReadAuditLog))), ("x-action" = json!(action(Action::ReadAuditLog)))),
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
    // Who may read the log is asked before the query is read (and again by the service).
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
    let page = app.audit_log(&caller.actor(), after, limit).await?;
    Ok(Json(AuditPage {
        events: page.events.iter().map(AuditEvent::from).collect(),
        next_after: page.next_after,
    }))
}
