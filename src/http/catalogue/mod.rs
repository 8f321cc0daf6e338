//! The catalogue of work types, subjects and extras: read (anyone), changed (admin), and
//! its history (admin, auditor). One file per action.

mod history;
mod retire;
mod set;
mod show;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The catalogue routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(show::show))
        .routes(routes!(history::history))
        .routes(routes!(set::set, retire::retire))
}

/// The kind a path names; 404 for any other.
fn kind(s: &str) -> Result<aggregates::catalogue::EntryKind, crate::http::error::ApiError> {
    crate::app::catalogue::kind_of_path(s).ok_or(crate::http::error::ApiError::NotFound)
}
