//! Loyalty points: the client's own (`GET /api/me/points`, with their referral link) and
//! any client's for the staff who answer for them (`GET /api/clients/{id}/points`).

use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::points::PointsView;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// The points routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(mine))
        .routes(routes!(client))
}

/// My points and referral link
///
/// The caller's points (1 point = 1 kopeck): the balance, every entry oldest first
/// (`cashback` of their completed orders, `referral` of the orders of clients who
/// registered through their link, `spent` on a first half, `returned` when that order
/// failed) and the referral link to share.
#[utoipa::path(
    get,
    path = "/api/me/points",
    tag = "points",
    operation_id = "myPoints",
    extensions(("x-roles" = json!(roles(Action::ReadOwnPoints))), ("x-action" = json!(action(Action::ReadOwnPoints)))),
    responses(
        (status = 200, description = "the caller's points", body = PointsView),
    ),
)]
async fn mine(State(app): State<App>, caller: Caller) -> Result<Json<PointsView>, ApiError> {
    Ok(Json(app.my_points(&caller.actor()).await?))
}

/// A client's points
///
/// Any client's points and referral link, for the staff who answer for them.
#[utoipa::path(
    get,
    path = "/api/clients/{id}/points",
    tag = "points",
    operation_id = "clientPoints",
    extensions(("x-roles" = json!(roles(Action::ReadClientPoints))), ("x-action" = json!(action(Action::ReadClientPoints)))),
    params(("id" = Uuid, Path, description = "the client (their user id)")),
    responses(
        (status = 200, description = "the client's points", body = PointsView),
        (status = 404, description = "no such client"),
    ),
)]
async fn client(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<PointsView>, ApiError> {
    Ok(Json(app.points_of_client(&caller.actor(), id).await?))
}
