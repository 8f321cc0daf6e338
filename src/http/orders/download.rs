//! `GET /api/orders/{id}/files/{file_id}`: a file of the order, if it reaches the caller.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};

pub(super) async fn download(
    State(app): State<App>,
    caller: Caller,
    Path((id, file_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let (file, bytes) = app.download(&caller.actor(), id, file_id).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file.name.replace(['"', '\\', '\r', '\n'], "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
