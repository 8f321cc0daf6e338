//! The author endpoints: profiles and ratings (admin), the author list (staff), one author
//! (staff, the author themself) and the author's queue of offers. One file per action.

mod list;
mod queue;
mod set;
mod show;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The author routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list))
        .routes(routes!(set::set_profile, show::show))
        .routes(routes!(queue::queue))
}

/// The 404 of an operation on one author.
const NOT_AN_AUTHOR: &str = "unknown user, not an author, or not one the caller may see";
