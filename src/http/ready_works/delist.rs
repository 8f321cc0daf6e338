//! `POST /api/ready-works/{id}/delist`: staff take a work off sale.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NO_WORK;
use crate::app::policy::Action;
use crate::app::shop::ReadyWorkView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// Why a work is delisted.
#[derive(Deserialize, ToSchema)]
#[schema(as = DelistReason)]
pub(crate) struct DelistBody {
    /// Kept in the work's history. (Read as empty when left out, and refused as such.)
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    reason: String,
}

/// Delist a ready-made work
///
/// A manager or an admin takes the work off sale: it cannot be bought from then on
/// (purchases made before stay payable).
#[utoipa::path(
    post,
    path = "/api/ready-works/{id}/delist",
    tag = "shop",
    operation_id = "delistReadyWork",
    extensions(("x-roles" = json!(roles(Action::DelistReadyWork))), ("x-action" = json!(action(Action::DelistReadyWork)))),
    params(("id" = Uuid, Path, description = "the work")),
    request_body = DelistBody,
    responses(
        (status = 200, description = "the work, off sale", body = ReadyWorkView),
        (status = 404, description = NO_WORK),
        (status = 409, description = "already delisted"),
        (status = 422, description = "no reason given"),
    ),
)]
pub(super) async fn delist(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<DelistBody>,
) -> Result<Json<ReadyWorkView>, ApiError> {
    Ok(Json(
        app.delist_ready_work(&caller.ctx(), id, b.reason).await?,
    ))
}
