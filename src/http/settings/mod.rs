//! The service's settings: read (staff), changed (admin), and their history (admin,
//! auditor). One file per action.

mod history;
mod set;
mod show;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The settings routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(show::show, set::set))
        .routes(routes!(history::history))
}
