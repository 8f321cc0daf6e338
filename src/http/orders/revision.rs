//! `POST /api/orders/{id}/revision`: the client asks for changes.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::CommentBody;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, OptBody, Path};

pub(super) async fn revision(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(
        app.request_revision(&caller.ctx(), id, b.comment).await?,
    ))
}
