//! The auditor's endpoints: the global event log in feed order, and an order as it stood
//! at a past moment, folded from its events through the aggregate.

use std::collections::{HashMap, HashSet};

use aggregates::order::{FileKind, Order, OrderEvent};
use aggregates::Role;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use projections::feed::{self, StoredEvent};
use projections::order_list::{FileRow, OrderRow};
use projections::{Cursor, Db};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::Caller;
use crate::app::App;

/// Who may read the whole log and past states.
const AUDITORS: &[Role] = &[Role::Auditor, Role::Admin];
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

/// The payload of an externally tagged event: `{"Type": {...}}` → `{...}`, `"Type"` → `{}`.
pub fn event_data(payload: &Value) -> Value {
    match payload {
        Value::Object(m) if m.len() == 1 => m.values().next().cloned().unwrap_or(Value::Null),
        _ => json!({}),
    }
}

/// An event's own hash from its metadata (null for one written before the chain).
pub fn event_hash(e: &StoredEvent) -> Value {
    e.metadata
        .get(crate::chain::HASH)
        .cloned()
        .unwrap_or(Value::Null)
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
    extensions(("x-roles" = json!(AUDITORS))),
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
    caller.require(AUDITORS)?;
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

/// Reads `as_of`: RFC 3339; a `+` that a query string turned into a space is put back.
fn parse_as_of(raw: &str) -> Result<DateTime<Utc>, ApiError> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .or_else(|e| {
            if raw.contains(' ') {
                DateTime::parse_from_rfc3339(&raw.replace(' ', "+"))
            } else {
                Err(e)
            }
        })
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::Unprocessable(format!(
                "as_of must be an RFC 3339 time such as 2026-03-02T09:00:00Z, not {raw:?}"
            ))
        })
}

/// The order as it stood at `as_of` (auditor, admin), rendered as `GET /api/orders/{id}`
/// renders it, plus `as_of`; 404 if it had not been placed by then.
pub async fn order_as_of(
    app: &App,
    caller: &Caller,
    id: Uuid,
    raw_as_of: &str,
) -> Result<Json<Value>, ApiError> {
    caller.require(AUDITORS)?;
    let as_of = parse_as_of(raw_as_of)?;
    let events = feed::stream(&app.db, Order::TYPE, &id.to_string()).await?;
    // Times never go backwards within a stream, so this is the prefix up to `as_of`.
    let past: Vec<&StoredEvent> = events.iter().take_while(|e| e.meta.at <= as_of).collect();
    let (Some(first), Some(last)) = (past.first(), past.last()) else {
        return Err(ApiError::NotFound);
    };
    let mut order = Order::default();
    let mut uploaded_at: HashMap<Uuid, String> = HashMap::new();
    let mut approved: HashSet<Uuid> = HashSet::new();
    for e in &past {
        let event: OrderEvent = e.decode().map_err(|err| {
            ApiError::internal(format!(
                "order {id} event {} cannot be decoded: {err}",
                e.sequence
            ))
        })?;
        match &event {
            OrderEvent::DraftSubmitted { file } | OrderEvent::FinalSubmitted { file } => {
                uploaded_at.insert(file.id, e.meta.at.to_rfc3339());
            }
            OrderEvent::DraftApproved | OrderEvent::FinalApproved => {
                let kind = if matches!(event, OrderEvent::DraftApproved) {
                    FileKind::Draft
                } else {
                    FileKind::Final
                };
                // The approved file is the latest of its kind: the one under review.
                if let Some((_, f)) = order.files.iter().rev().find(|(k, _)| *k == kind) {
                    approved.insert(f.id);
                }
            }
            _ => {}
        }
        order.apply(event);
    }
    if !order.placed {
        return Err(ApiError::NotFound);
    }
    let author_name = match order.author_id {
        Some(a) => projections::users::by_id(&app.db, a)
            .await?
            .map(|u| u.full_name),
        None => None,
    };
    let row = OrderRow {
        id,
        number: order.number,
        status: order.status.as_str().to_string(),
        work_type: order.work_type.clone(),
        subject: order.subject.clone(),
        topic: order.topic.clone(),
        pages: i64::from(order.pages),
        deadline: order.deadline.map(|d| d.to_string()).unwrap_or_default(),
        requirements: order.requirements.clone(),
        currency: order.currency.clone(),
        price: order.price,
        author_fee: order.author_fee,
        first_half: order.first_half,
        second_half: order.second_half,
        paid: order.paid(),
        client_id: order.client_id,
        manager_id: order.manager_id,
        offered_to: order.offered_to,
        offer_expires_at: order.offer_expires_at.map(|t| t.to_rfc3339()),
        author_id: order.author_id,
        author_name,
        // Problem flags are not facts of the log; none is recorded as of a past moment.
        problem: false,
        draft_rejections: i64::from(order.draft_rejections),
        guarantee_until: order.guarantee_until.map(|t| t.to_rfc3339()),
        rating: order.rating.map(i64::from),
        failure_reason: order.failure_reason.clone(),
        placed_at: first.meta.at.to_rfc3339(),
        updated_at: last.meta.at.to_rfc3339(),
    };
    let files: Vec<FileRow> = order
        .files
        .iter()
        .map(|(kind, f)| FileRow {
            id: f.id,
            kind: match kind {
                FileKind::Draft => "draft",
                FileKind::Final => "final",
            }
            .to_string(),
            name: f.name.clone(),
            size: f.size,
            content_type: f.content_type.clone(),
            sha256: f.sha256.clone(),
            uploaded_at: uploaded_at.get(&f.id).cloned().unwrap_or_default(),
            approved: approved.contains(&f.id),
        })
        .collect();
    let mut v = super::orders::order_json(caller, &row, &files);
    v["as_of"] = json!(as_of.to_rfc3339());
    Ok(Json(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_reads_rfc_3339_and_a_plus_lost_in_a_query_string() {
        let want = "2026-03-02T06:00:00+00:00";
        assert_eq!(
            parse_as_of("2026-03-02T09:00:00+03:00")
                .unwrap()
                .to_rfc3339(),
            want
        );
        assert_eq!(
            parse_as_of("2026-03-02T09:00:00 03:00")
                .unwrap()
                .to_rfc3339(),
            want
        );
        assert_eq!(
            parse_as_of("2026-03-02T06:00:00Z").unwrap().to_rfc3339(),
            want
        );
        assert!(parse_as_of("yesterday").is_err());
        assert!(parse_as_of("2026-03-02").is_err());
    }

    #[test]
    fn event_data_unwraps_the_tag() {
        assert_eq!(
            event_data(&json!({"PriceSet": {"price": 1}})),
            json!({"price": 1})
        );
        assert_eq!(event_data(&json!("DraftApproved")), json!({}));
    }
}
