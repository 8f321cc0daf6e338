//! `GET /api/ready-works/{id}/file`: the work's file, for staff only.

use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use super::NO_WORK;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};
use crate::http::orders::download::{named_attachment, FileBytes};

/// Download a ready-made work's file
///
/// Staff only: the public never gets it; a buyer gets it by mail once paid, and from
/// `GET /api/purchases/{id}/file`.
#[utoipa::path(
    get,
    path = "/api/ready-works/{id}/file",
    tag = "shop",
    operation_id = "downloadReadyWork",
    extensions(("x-roles" = json!(roles(Action::ReadWorkFile))), ("x-action" = json!(action(Action::ReadWorkFile)))),
    params(("id" = Uuid, Path, description = "the work")),
    responses(
        (
            status = 200,
            description = "the file, with the content type it was uploaded with",
            content_type = "*/*",
            body = inline(FileBytes),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"…\"")),
        ),
        (status = 404, description = NO_WORK),
    ),
)]
pub(super) async fn file(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let (file, bytes) = app.ready_work_file(&caller.ctx(), id).await?;
    Ok(named_attachment(&file.name, file.content_type, bytes))
}
