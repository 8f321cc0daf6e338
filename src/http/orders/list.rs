//! `GET /api/orders`: the orders the caller may see, filtered, sorted and paged.

use std::collections::HashMap;

use aggregates::order::{OrderSource, OrderStatus};
use axum::extract::{Query, State};
use axum::Json;
use projections::order_list::{ListQuery, Sort};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::policy::Action;
use crate::app::schemas::{OrderSourceSchema, OrderStatusSchema};
use crate::app::views::OrderPage;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The last page the order list serves.
pub(crate) const MAX_PAGE: i64 = 1000;
/// Orders per page of the list unless `per_page` says otherwise.
pub(crate) const DEFAULT_PER_PAGE: i64 = 20;
/// The largest page of the order list.
pub(crate) const MAX_PER_PAGE: i64 = 100;
/// The values of `sort`: by number or by deadline, `-` for descending.
pub(crate) const SORTS: [&str; 4] = ["number", "-number", "deadline", "-deadline"];

/// The query of `GET /api/orders`, for the document: [`list_query`] reads it by hand to
/// answer each bad value with a precise 422. (utoipa takes only literals for the limits;
/// a test checks they are the constants above.)
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct ListParams {
    /// Only orders in this status.
    #[param(value_type = Option<OrderStatusSchema>)]
    status: Option<String>,
    /// Only orders of this author.
    author_id: Option<Uuid>,
    /// Only orders flagged (true) or not (false) as a problem.
    problem: Option<bool>,
    /// Only orders from this source.
    #[param(value_type = Option<OrderSourceSchema>)]
    source: Option<String>,
    /// Only companies' orders (true) or individuals' (false).
    corporate: Option<bool>,
    /// `true`: only orders no manager has yet, waiting for one to start a shift (for those
    /// who see every order: a manager's own orders are all routed).
    #[param(default = false)]
    unrouted: Option<bool>,
    /// An order number, or text in the topic.
    q: Option<String>,
    /// The order of the items; `-` for descending.
    #[param(schema_with = sort_schema)]
    sort: Option<String>,
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1000, default = 1)]
    page: Option<i64>,
    /// Items per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

fn sort_schema() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(SORTS))
        .default(Some(SORTS[0].into()))
}

/// Parses the list query by hand so that every bad value gets a precise 422.
pub(crate) fn list_query(params: &HashMap<String, String>) -> Result<ListQuery, ApiError> {
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
        source: params
            .get("source")
            .map(|s| OrderSource::parse(s).ok_or_else(|| bad(format!("unknown source {s:?}"))))
            .transpose()?,
        corporate: params
            .get("corporate")
            .map(|s| match s.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(bad("corporate must be true or false".into())),
            })
            .transpose()?,
        unrouted: params
            .get("unrouted")
            .map(|s| match s.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(bad("unrouted must be true or false".into())),
            })
            .transpose()?
            .unwrap_or(false),
        q: params.get("q").cloned(),
        sort: params
            .get("sort")
            .map(|s| {
                Sort::parse(s)
                    .ok_or_else(|| bad(format!("sort must be one of {}", SORTS.join(", "))))
            })
            .transpose()?
            .unwrap_or_default(),
        page: int("page", 1, MAX_PAGE)?,
        per_page: int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
    })
}

/// The orders the caller may see
///
/// A client sees their own orders; an author those assigned or offered to them; a manager
/// those routed to them; admin, auditor and payout clerk every order (`unrouted=true`:
/// those waiting for a manager). Items carry no `files`.
#[utoipa::path(
    get,
    path = "/api/orders",
    tag = "orders",
    operation_id = "listOrders",
    extensions(("x-roles" = json!(roles(Action::ReadOrders))), ("x-action" = json!(action(Action::ReadOrders)))),
    params(ListParams),
    responses(
        (status = 200, description = "one page of the list", body = OrderPage),
        (status = 422, description = "a parameter out of range: an unknown status or sort, a page outside its range, an author_id that is not a UUID, an unknown source, problem or unrouted neither true nor false"),
    ),
)]
pub(super) async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<OrderPage>, ApiError> {
    let query = list_query(&params)?;
    Ok(Json(app.list_orders(&caller.actor(), &query).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_sort_is_read_and_the_default_is_the_first() {
        for s in SORTS {
            assert!(Sort::parse(s).is_some(), "{s}");
        }
        assert_eq!(Sort::parse(SORTS[0]), Some(Sort::default()));
        assert!(Sort::parse("sideways").is_none());
    }
}
