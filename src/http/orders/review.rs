//! `POST /api/orders/{id}/draft/approve`, `/draft/reject`, `/final/approve`,
//! `/final/reject`: a manager's verdict on the work under review.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::CommentBody;
use crate::app::orders::Verdict;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, OptBody, Path};

async fn review(
    app: App,
    caller: Caller,
    id: Uuid,
    verdict: Verdict,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.review(&caller.ctx(), id, verdict).await?))
}

pub(super) async fn approve_draft(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    review(app, caller, id, Verdict::ApproveDraft).await
}

pub(super) async fn reject_draft(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<OrderView>, ApiError> {
    let verdict = Verdict::RejectDraft { comment: b.comment };
    review(app, caller, id, verdict).await
}

pub(super) async fn approve_final(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    review(app, caller, id, Verdict::ApproveFinal).await
}

pub(super) async fn reject_final(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<OrderView>, ApiError> {
    let verdict = Verdict::RejectFinal { comment: b.comment };
    review(app, caller, id, verdict).await
}
