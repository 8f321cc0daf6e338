//! `POST /api/orders/{id}/draft/approve`, `/draft/reject`, `/final/approve`,
//! `/final/reject`: a manager's verdict on the work under review.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::{CommentBody, NOT_YOURS};
use crate::app::orders::Verdict;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, OptBody, Path};
use crate::http::openapi::{action, roles};

async fn review(
    app: App,
    caller: Caller,
    id: Uuid,
    verdict: Verdict,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.review(&caller.ctx(), id, verdict).await?))
}

/// Approve the draft
#[utoipa::path(
    post,
    path = "/api/orders/{id}/draft/approve",
    tag = "orders",
    operation_id = "approveDraft",
    extensions(("x-roles" = json!(roles(Action::Review))), ("x-action" = json!(action(Action::Review)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "no draft under review"),
    ),
)]
pub(super) async fn approve_draft(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    review(app, caller, id, Verdict::ApproveDraft).await
}

/// Send the draft back to the author
#[utoipa::path(
    post,
    path = "/api/orders/{id}/draft/reject",
    tag = "orders",
    operation_id = "rejectDraft",
    extensions(("x-roles" = json!(roles(Action::Review))), ("x-action" = json!(action(Action::Review)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = Option<CommentBody>,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "no draft under review"),
    ),
)]
pub(super) async fn reject_draft(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<OrderView>, ApiError> {
    let verdict = Verdict::RejectDraft { comment: b.comment };
    review(app, caller, id, verdict).await
}

/// Approve the final work
#[utoipa::path(
    post,
    path = "/api/orders/{id}/final/approve",
    tag = "orders",
    operation_id = "approveFinal",
    extensions(("x-roles" = json!(roles(Action::Review))), ("x-action" = json!(action(Action::Review)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "no final work under review"),
    ),
)]
pub(super) async fn approve_final(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    review(app, caller, id, Verdict::ApproveFinal).await
}

/// Send the final work back to the author
#[utoipa::path(
    post,
    path = "/api/orders/{id}/final/reject",
    tag = "orders",
    operation_id = "rejectFinal",
    extensions(("x-roles" = json!(roles(Action::Review))), ("x-action" = json!(action(Action::Review)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = Option<CommentBody>,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "no final work under review"),
    ),
)]
pub(super) async fn reject_final(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<OrderView>, ApiError> {
    let verdict = Verdict::RejectFinal { comment: b.comment };
    review(app, caller, id, verdict).await
}
