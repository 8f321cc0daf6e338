//! `GET /api/purchases/{id}/file`: the work of a paid purchase, for its buyer (and staff).

use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};
use crate::http::orders::download::{named_attachment, FileBytes};

/// Download a paid purchase's work
#[utoipa::path(
    get,
    path = "/api/purchases/{id}/file",
    tag = "shop",
    operation_id = "downloadPurchase",
    extensions(("x-roles" = json!(roles(Action::ReadPurchases))), ("x-action" = json!(action(Action::ReadPurchases)))),
    params(("id" = Uuid, Path, description = "the purchase")),
    responses(
        (
            status = 200,
            description = "the work, with the content type it was uploaded with",
            content_type = "*/*",
            body = inline(FileBytes),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"…\"")),
        ),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "not paid yet"),
    ),
)]
pub(super) async fn file(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let (file, bytes) = app.purchase_file(&caller.actor(), id).await?;
    Ok(named_attachment(&file.name, file.content_type, bytes))
}
