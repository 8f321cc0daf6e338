//! `POST /api/orders/{id}/deadline/accept` and `/decline`: the client answers the
//! deadline their manager proposed after the first half.

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

/// Accept the proposed deadline
///
/// The deadline moves to the one proposed (`DeadlineMoved`).
#[utoipa::path(
    post,
    path = "/api/orders/{id}/deadline/accept",
    tag = "orders",
    operation_id = "acceptDeadline",
    extensions(("x-roles" = json!(roles(Action::AnswerDeadline))), ("x-action" = json!(action(Action::AnswerDeadline)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the order with its new deadline", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "no deadline is proposed, or the work is delivered"),
    ),
)]
pub(super) async fn accept(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.answer_deadline(&caller.ctx(), id, true).await?))
}

/// Decline the proposed deadline
///
/// The old deadline stands (`DeadlineProposalDeclined`).
#[utoipa::path(
    post,
    path = "/api/orders/{id}/deadline/decline",
    tag = "orders",
    operation_id = "declineDeadline",
    extensions(("x-roles" = json!(roles(Action::AnswerDeadline))), ("x-action" = json!(action(Action::AnswerDeadline)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the order, its deadline unchanged", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "no deadline is proposed, or the work is delivered"),
    ),
)]
pub(super) async fn decline(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.answer_deadline(&caller.ctx(), id, false).await?))
}
