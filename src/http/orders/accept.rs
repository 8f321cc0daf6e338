//! `POST /api/orders/{id}/offer/accept`: the offered author takes the order.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// Take the order offered to me
#[utoipa::path(
    post,
    path = "/api/orders/{id}/offer/accept",
    tag = "orders",
    operation_id = "acceptOffer",
    extensions(("x-roles" = json!(roles(Action::AnswerOffer))), ("x-action" = json!(action(Action::AnswerOffer)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "not offered to the caller, or the offer has expired"),
    ),
)]
pub(super) async fn accept(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.accept_offer(&caller.ctx(), id).await?))
}
