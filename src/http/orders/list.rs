//! `GET /api/orders`: the orders the caller may see, filtered, sorted and paged.

use std::collections::HashMap;

use aggregates::order::OrderStatus;
use axum::extract::{Query, State};
use axum::Json;
use projections::order_list::{ListQuery, Sort};
use uuid::Uuid;

use crate::app::views::OrderPage;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;

/// The last page the order list serves.
pub(crate) const MAX_PAGE: i64 = 1000;
/// Orders per page of the list unless `per_page` says otherwise.
pub(crate) const DEFAULT_PER_PAGE: i64 = 20;
/// The largest page of the order list.
pub(crate) const MAX_PER_PAGE: i64 = 100;

/// Parses the list query by hand so that every bad value gets a precise 422.
fn list_query(params: &HashMap<String, String>) -> Result<ListQuery, ApiError> {
    let bad = |m: String| ApiError::Unprocessable(m);
    let int = |name: &str, default: i64, max: i64| -> Result<i64, ApiError> {
        match params.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(bad(format!(
                    "{name} must be a whole number from 1 to {max}"
                ))),
            },
        }
    };
    Ok(ListQuery {
        status: params
            .get("status")
            .map(|s| OrderStatus::parse(s).ok_or_else(|| bad(format!("unknown status {s:?}"))))
            .transpose()?,
        author_id: params
            .get("author_id")
            .map(|s| Uuid::parse_str(s).map_err(|_| bad("author_id must be a UUID".into())))
            .transpose()?,
        problem: params
            .get("problem")
            .map(|s| match s.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(bad("problem must be true or false".into())),
            })
            .transpose()?,
        q: params.get("q").cloned(),
        sort: params
            .get("sort")
            .map(|s| {
                Sort::parse(s).ok_or_else(|| {
                    bad("sort must be one of number, -number, deadline, -deadline".into())
                })
            })
            .transpose()?
            .unwrap_or_default(),
        page: int("page", 1, MAX_PAGE)?,
        per_page: int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
    })
}

pub(super) async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<OrderPage>, ApiError> {
    let query = list_query(&params)?;
    Ok(Json(app.list_orders(&caller.actor(), &query).await?))
}
