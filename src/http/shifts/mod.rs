//! The shift endpoints of API.md: a manager starts and ends their own shift; staff see
//! who is on shift. One small file per action.

mod end;
mod list;
mod start;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The shift routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(start::start))
        .routes(routes!(end::end))
        .routes(routes!(list::list))
}
