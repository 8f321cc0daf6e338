//! `POST /api/orders/{id}/offer/decline`: the offered author declines.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::{ReasonBody, NOT_YOURS};
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, OptBody, Path};
use crate::http::openapi::{action, roles};

/// Decline the order offered to me
#[utoipa::path(
    post,
    path = "/api/orders/{id}/offer/decline",
    tag = "orders",
    operation_id = "declineOffer",
    extensions(("x-roles" = json!(roles(Action::AnswerOffer))), ("x-action" = json!(action(Action::AnswerOffer)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = Option<ReasonBody>,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "not offered to the caller"),
    ),
)]
pub(super) async fn decline(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<ReasonBody>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.decline_offer(&caller.ctx(), id, b.reason).await?))
}
