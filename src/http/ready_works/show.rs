//! `GET /api/ready-works/{id}`: one work, for anyone.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::NO_WORK;
use crate::app::shop::ReadyWorkView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{MaybeCaller, Path};
use crate::http::openapi::PUBLIC;

/// Read a ready-made work
///
/// Anyone; a delisted work too (`on_sale` false). Never its file.
#[utoipa::path(
    get,
    path = "/api/ready-works/{id}",
    tag = "shop",
    operation_id = "showReadyWork",
    extensions(("x-roles" = json!(PUBLIC))),
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "the work")),
    responses(
        (status = 200, description = "the work", body = ReadyWorkView),
        (status = 404, description = NO_WORK),
    ),
)]
pub(super) async fn show(
    State(app): State<App>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<ReadyWorkView>, ApiError> {
    let actor = caller.map(|c| c.actor());
    Ok(Json(app.show_ready_work(actor.as_ref(), id).await?))
}
