//! `GET /api/orders/{id}`: the order now, or with `?as_of=` as it stood then.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};

pub(super) async fn show(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let actor = caller.actor();
    Ok(match params.get("as_of") {
        Some(raw) => {
            // Who may look into the past is asked before the time is read.
            crate::app::policy::authorize(&actor, crate::app::policy::Action::ReadPastState)?;
            let as_of = parse_as_of(raw)?;
            Json(app.order_as_of(&actor, id, as_of).await?).into_response()
        }
        None => Json(app.show_order(&actor, id).await?).into_response(),
    })
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
