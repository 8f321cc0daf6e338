//! `POST /api/orders/{id}/points`: the client pays part of the first half with points.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// The points to spend on the first half.
#[derive(Deserialize, ToSchema)]
#[schema(as = SpendPoints)]
pub(crate) struct PointsBody {
    /// Points (1 point = 1 kopeck): at most the first half and at most the balance.
    #[schema(minimum = 1)]
    points: i64,
}

/// Pay part of the first half with points
///
/// The order's client spends loyalty points on its first half while it is due (an author
/// took the order, the half is not paid): at most the half, at most their balance, once
/// per order. The points are debited (`PointsSpent`) and recorded on the order
/// (`PointsApplied`); the first half then due in money is `first_half - points`, and
/// points that cover the whole half pay it (the work starts). The same points again change
/// nothing. If the order fails, the points come back.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/points",
    tag = "orders",
    operation_id = "spendPoints",
    extensions(("x-roles" = json!(roles(Action::SpendPoints))), ("x-action" = json!(action(Action::SpendPoints)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = PointsBody,
    responses(
        (status = 200, description = "the order with the points applied and the money still due", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "the first half is not due (no author yet, or already paid), other points are already applied, or the points are above the balance"),
        (status = 422, description = "points that are not positive, or above the first half"),
    ),
)]
pub(super) async fn spend_points(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(body): Body<serde_json::Value>,
) -> Result<Json<OrderView>, ApiError> {
    // The policy's no before the body's shape, as for every other operation.
    caller.may(Action::SpendPoints)?;
    let b: PointsBody = crate::http::extract::shape(body)?;
    Ok(Json(app.spend_points(&caller.ctx(), id, b.points).await?))
}
