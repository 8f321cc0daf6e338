//! The public reviews of API.md: `GET /api/reviews` (anyone) and
//! `POST /api/reviews/{order_id}/hide` (the order's manager, an admin).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::HeaderName;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::policy::Action;
use crate::app::reviews::ReviewView;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles, PUBLIC};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(hide))
}

/// The page of the reviews asked for.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct ReviewParams {
    /// The page, from 1.
    #[param(minimum = 1, maximum = 10000, default = 1)]
    page: Option<i64>,
    /// Reviews per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// The published reviews
///
/// What clients published when they accepted their work, newest first: the rating, the
/// text, the work type and subject, the date; never a name. Hidden ones are left out.
/// `X-Total-Count` says how many there are, `X-Rating-Average` their mean rating (absent
/// before the first).
#[utoipa::path(
    get,
    path = "/api/reviews",
    tag = "reviews",
    operation_id = "listReviews",
    extensions(("x-roles" = json!(PUBLIC))),
    params(ReviewParams),
    responses(
        (status = 200, description = "one page of the reviews", body = Vec<ReviewView>,
            headers(
                ("X-Total-Count" = i64, description = "how many reviews are shown in all"),
                ("X-Rating-Average" = String, description = "their mean rating, two decimals"),
            )),
        (status = 422, description = "a page or per_page out of range"),
    ),
)]
pub(super) async fn list(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let int = |k: &str, default: i64| -> Result<i64, ApiError> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| ApiError::Unprocessable(format!("{k} must be a whole number"))),
        }
    };
    let r = app
        .list_reviews(int("page", 1)?, int("per_page", 20)?)
        .await?;
    let mut res = Json(r.items).into_response();
    let h = res.headers_mut();
    if let Ok(v) = r.total.to_string().parse() {
        h.insert(HeaderName::from_static("x-total-count"), v);
    }
    if let Some(Ok(v)) = r.average.map(|a| format!("{a:.2}").parse()) {
        h.insert(HeaderName::from_static("x-rating-average"), v);
    }
    Ok(res)
}

/// Why a review is hidden.
#[derive(Deserialize, ToSchema)]
#[schema(as = HideReason)]
pub(crate) struct HideBody {
    /// Kept in the order's history. (Read as empty when left out, and refused as such.)
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    reason: String,
}

/// Hide a published review
///
/// The order's manager or an admin takes its review off the site.
#[utoipa::path(
    post,
    path = "/api/reviews/{order_id}/hide",
    tag = "reviews",
    operation_id = "hideReview",
    extensions(("x-roles" = json!(roles(Action::HideReview))), ("x-action" = json!(action(Action::HideReview)))),
    params(("order_id" = Uuid, Path, description = "the order whose review it is")),
    request_body = HideBody,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = "no such order, or not one the caller sees"),
        (status = 409, description = "the order's review is not published, or already hidden"),
        (status = 422, description = "no reason given"),
    ),
)]
pub(super) async fn hide(
    State(app): State<App>,
    caller: Caller,
    Path(order_id): Path<Uuid>,
    Body(b): Body<HideBody>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(
        app.hide_review(&caller.ctx(), order_id, b.reason).await?,
    ))
}
