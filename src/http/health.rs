//! Liveness and readiness.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::error::ApiError;
use crate::app::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
}

/// Ready when the database answers; reports the projection checkpoint.
async fn readyz(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    app.db.fetch_one("SELECT 1 AS one", &[]).await?;
    let c = app.projector.checkpoint();
    Ok(Json(
        json!({"status": "ready", "projection": {"tx": c.tx, "position": c.position}}),
    ))
}
