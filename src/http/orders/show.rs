//! `GET /api/orders/{id}`: the order now, or with `?as_of=` as it stood then.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::policy::Action;
use crate::app::views::{OrderAsOf, OrderView};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// The order now, or as it stood at `as_of`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum Shown {
    Now(OrderView),
    Then(OrderAsOf),
}

/// The query of `GET /api/orders/{id}`, for the document: [`parse_as_of`] reads it.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct ShowParams {
    /// A past moment (RFC 3339): the order as it stood then. Only for the roles in the
    /// operation's `x-roles-as-of`.
    as_of: Option<DateTime<Utc>>,
}

/// One order
///
/// With `as_of` the order as it stood at that moment, rebuilt from the log; the answer
/// then carries `as_of` and `problem` is false.
#[utoipa::path(
    get,
    path = "/api/orders/{id}",
    tag = "orders",
    operation_id = "getOrder",
    extensions(
        ("x-roles" = json!(roles(Action::ReadOrders))), ("x-action" = json!(action(Action::ReadOrders))),
        ("x-roles-as-of" = json!(roles(Action::ReadPastState))),
    ),
    params(("id" = Uuid, Path, description = "the order"), ShowParams),
    responses(
        (status = 200, description = "the order, or with `as_of` the order as it stood then", body = inline(Shown)),
        (status = 403, description = "`as_of` from a role not in `x-roles-as-of`"),
        (status = 404, description = "unknown order, not one the caller may see, or not yet placed at `as_of`"),
        (status = 422, description = "`as_of` is not an RFC 3339 time"),
    ),
)]
pub(super) async fn show(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Shown>, ApiError> {
    let actor = caller.actor();
    Ok(Json(match params.get("as_of") {
        Some(raw) => {
            // Who may look into the past is asked before the time is read.
            caller.may(Action::ReadPastState)?;
            let as_of = parse_as_of(raw)?;
            Shown::Then(app.order_as_of(&actor, id, as_of).await?)
        }
        None => Shown::Now(app.show_order(&actor, id).await?),
    }))
}

/// Reads `as_of`: RFC 3339; a `+` that a query string turned into a space is put back.
pub(crate) fn parse_as_of(raw: &str) -> Result<DateTime<Utc>, ApiError> {
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
}
