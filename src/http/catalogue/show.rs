//! `GET /api/catalogue`: the catalogue in force, for anyone.

use axum::extract::State;
use axum::Json;

use crate::app::catalogue::CatalogueView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::openapi::PUBLIC;

/// The catalogue
///
/// The work types, subjects and extras (with their prices) an order may name now: the
/// seeded defaults and every change an admin made. Anyone, without a token.
#[utoipa::path(
    get,
    path = "/api/catalogue",
    tag = "catalogue",
    operation_id = "showCatalogue",
    extensions(("x-roles" = json!(PUBLIC))),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "the catalogue in force", body = CatalogueView),
    ),
)]
pub(super) async fn show(State(app): State<App>) -> Result<Json<CatalogueView>, ApiError> {
    Ok(Json(app.show_catalogue().await?))
}
