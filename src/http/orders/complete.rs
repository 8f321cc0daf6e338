//! `POST /api/orders/{id}/complete`: the client accepts the work and rates it 1..5.

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

/// The client's rating of the work.
#[derive(Deserialize, ToSchema)]
#[schema(as = Completion)]
pub(crate) struct CompleteBody {
    #[schema(minimum = 1, maximum = 5)]
    rating: i64,
    #[serde(default)]
    #[schema(default = "")]
    review: String,
    /// Put the rating and review on the site's public reviews (`GET /api/reviews`; never
    /// the client's name).
    #[serde(default)]
    #[schema(default = false)]
    publish: bool,
}

/// Accept the work and rate it
#[utoipa::path(
    post,
    path = "/api/orders/{id}/complete",
    tag = "orders",
    operation_id = "completeOrder",
    extensions(("x-roles" = json!(roles(Action::CompleteOrder))), ("x-action" = json!(action(Action::CompleteOrder)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = CompleteBody,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "not allowed in the order's status"),
        (status = 422, description = "a rating outside 1..5"),
    ),
)]
pub(super) async fn complete(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<CompleteBody>,
) -> Result<Json<OrderView>, ApiError> {
    let order = app
        .complete_order(&caller.ctx(), id, b.rating, b.review, b.publish)
        .await?;
    Ok(Json(order))
}
