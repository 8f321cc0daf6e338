//! Liveness and readiness.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::openapi::PUBLIC;
use crate::app::App;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The process is up.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Liveness {
    #[schema(inline)]
    pub status: Live,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Live {
    Ok,
}

/// The database answers; how far the projections have read the log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    #[schema(inline)]
    pub status: Ready,
    /// The last event the projections have applied (its transaction and position).
    pub projection: Checkpoint,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Ready {
    Ready,
}

/// A place in the event log.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Checkpoint {
    pub tx: i64,
    pub position: i64,
}

/// Liveness
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "healthz",
    extensions(("x-roles" = json!(PUBLIC))),
    responses((status = 200, description = "the process is up", body = Liveness)),
)]
async fn healthz() -> Json<Liveness> {
    Json(Liveness { status: Live::Ok })
}

/// Readiness
///
/// Ready when the database answers; reports how far the projections have read the log.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "readyz",
    extensions(("x-roles" = json!(PUBLIC))),
    responses(
        (status = 200, description = "the database answers", body = Readiness),
        (status = 500, description = "the database does not answer"),
    ),
)]
async fn readyz(State(app): State<App>) -> Result<Json<Readiness>, ApiError> {
    app.db.fetch_one("SELECT 1 AS one", &[]).await?;
    let c = app.projector.checkpoint();
    Ok(Json(Readiness {
        status: Ready::Ready,
        projection: Checkpoint {
            tx: c.tx,
            position: c.position,
        },
    }))
}
