//! `POST /api/orders/{id}/draft` and `/final`: the assigned author uploads the work
//! (`multipart/form-data` with one `file` part).

use aggregates::order::FileKind;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::Json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::orders::Upload;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

// The upload as the document describes it; `read_upload` reads it.
/// An upload: one `file` part (others are ignored).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// The work: pdf, docx, doc, odt, rtf, txt or zip, told by its content; its name is
    /// kept (without any folder) with the extension of that type.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// A `file` part as the service keeps it: its name without any folder (a name never
/// becomes a path), its content type, its bytes; `None` when it is empty.
pub(crate) async fn file_part(
    field: axum::extract::multipart::Field<'_>,
) -> Result<Option<Upload>, axum::extract::multipart::MultipartError> {
    let name = field
        .file_name()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "upload".to_string());
    let content_type = field
        .content_type()
        .unwrap_or("application/octet-stream")
        .to_string();
    let bytes = field.bytes().await?;
    Ok((!bytes.is_empty()).then_some(Upload {
        bytes,
        name,
        content_type,
    }))
}

/// A multipart body that could not be read: 413 when it is over the body limit, else 400.
pub(crate) fn unreadable(what: &str, e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!(
            "the upload is larger than the service takes: {}",
            e.body_text()
        ))
    } else {
        ApiError::BadRequest(format!("{what}: {}", e.body_text()))
    }
}

/// Reads the one `file` part of a multipart upload.
async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected multipart/form-data with a `file` part: {}",
            e.body_text()
        ))
    })?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| unreadable("unreadable multipart body", e))?
    {
        if field.name() != Some("file") {
            continue;
        }
        return file_part(field)
            .await
            .map_err(|e| unreadable("unreadable file part", e))?
            .ok_or_else(|| ApiError::Unprocessable("the file is empty".into()));
    }
    Err(ApiError::BadRequest(
        "the multipart body has no `file` part".into(),
    ))
}

async fn upload(
    app: App,
    caller: Caller,
    id: Uuid,
    multipart: Result<Multipart, MultipartRejection>,
    kind: FileKind,
) -> Result<Json<OrderView>, ApiError> {
    let ctx = caller.ctx();
    // Asked before the body is read: a refused caller's upload is never looked at.
    let may = app.may_submit_work(&ctx, id).await?;
    let upload = read_upload(multipart).await?;
    Ok(Json(app.submit_work(may, kind, upload).await?))
}

/// Upload the 50% draft
///
/// Only the assigned author.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/draft",
    tag = "orders",
    operation_id = "uploadDraft",
    extensions(("x-roles" = json!(roles(Action::SubmitWork))), ("x-action" = json!(action(Action::SubmitWork)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 400, description = "not multipart/form-data, or no `file` part"),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "not the caller's work, or not allowed in the order's status"),
        (status = 413, description = "the file is larger than the upload limit"),
        (status = 415, description = "the file's content is not pdf, docx, doc, odt, rtf, txt or zip"),
        (status = 422, description = "the file is empty"),
    ),
)]
pub(super) async fn upload_draft(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<OrderView>, ApiError> {
    upload(app, caller, id, multipart, FileKind::Draft).await
}

/// Upload the final work
///
/// Only the assigned author.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/final",
    tag = "orders",
    operation_id = "uploadFinal",
    extensions(("x-roles" = json!(roles(Action::SubmitWork))), ("x-action" = json!(action(Action::SubmitWork)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 400, description = "not multipart/form-data, or no `file` part"),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "not the caller's work, or not allowed in the order's status"),
        (status = 413, description = "the file is larger than the upload limit"),
        (status = 415, description = "the file's content is not pdf, docx, doc, odt, rtf, txt or zip"),
        (status = 422, description = "the file is empty"),
    ),
)]
pub(super) async fn upload_final(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<OrderView>, ApiError> {
    upload(app, caller, id, multipart, FileKind::Final).await
}
