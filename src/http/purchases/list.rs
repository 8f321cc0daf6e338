//! `GET /api/purchases`: the caller's purchases (a client's own; staff every one).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::policy::Action;
use crate::app::shop::PurchasePage;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The page of purchases asked for.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct PurchaseParams {
    #[param(minimum = 1, maximum = 10000, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// List purchases
///
/// A client's own purchases; staff every one. Newest first.
#[utoipa::path(
    get,
    path = "/api/purchases",
    tag = "shop",
    operation_id = "listPurchases",
    extensions(("x-roles" = json!(roles(Action::ReadPurchases))), ("x-action" = json!(action(Action::ReadPurchases)))),
    params(PurchaseParams),
    responses(
        (status = 200, description = "one page of the purchases and how many there are", body = PurchasePage),
        (status = 422, description = "a page or per_page out of range"),
    ),
)]
pub(super) async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<PurchasePage>, ApiError> {
    let int = |k: &str, default: i64| -> Result<i64, ApiError> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| ApiError::Unprocessable(format!("{k} must be a whole number"))),
        }
    };
    Ok(Json(
        app.list_purchases(&caller.actor(), int("page", 1)?, int("per_page", 20)?)
            .await?,
    ))
}
