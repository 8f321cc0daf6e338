//! `GET /api/orders/{id}/files/{file_id}`: a file of the order, if it reaches the caller.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

// The answer's body as the document describes it.
/// The file's bytes as uploaded.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct FileBytes(Vec<u8>);

/// Download a file of the order
///
/// A client gets only approved files, and the final work only when both halves are paid.
#[utoipa::path(
    get,
    path = "/api/orders/{id}/files/{file_id}",
    tag = "orders",
    operation_id = "downloadFile",
    extensions(("x-roles" = json!(roles(Action::ReadOrders))), ("x-action" = json!(action(Action::ReadOrders)))),
    params(
        ("id" = Uuid, Path, description = "the order"),
        ("file_id" = Uuid, Path, description = "the file"),
    ),
    responses(
        (
            status = 200,
            description = "the file, with the content type it was uploaded with",
            content_type = "*/*",
            body = inline(FileBytes),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"…\"")),
        ),
        (status = 404, description = "unknown order or file, or one the caller may not have yet"),
    ),
)]
pub(super) async fn download(
    State(app): State<App>,
    caller: Caller,
    Path((id, file_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let (file, bytes) = app.download(&caller.actor(), id, file_id).await?;
    Ok(attachment(file, bytes))
}

/// A stored file as a download: its type, and its name as the attachment's (quotes and
/// line breaks of the name made harmless).
pub(crate) fn attachment(file: projections::order_list::FileRow, bytes: Vec<u8>) -> Response {
    named_attachment(&file.name, file.content_type, bytes)
}

/// Bytes as a download named `name` of `content_type` (see [`attachment`]).
pub(crate) fn named_attachment(name: &str, content_type: String, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(['"', '\\', '\r', '\n'], "_")
    );
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
