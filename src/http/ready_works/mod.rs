//! The ready-made works shop of API.md, one small file per action: staff list a work
//! (multipart, with its file) and delist it; anyone browses the catalogue and reads a
//! work (never its file); a client, or a guest with a contact, buys one.

mod create;
mod delist;
mod file;
mod list;
mod purchase;
mod show;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The shop's routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create::create, list::list))
        .routes(routes!(show::show))
        .routes(routes!(delist::delist))
        .routes(routes!(file::file))
        .routes(routes!(purchase::purchase))
}

/// The 404 of an operation on one work.
const NO_WORK: &str = "no such ready-made work";
