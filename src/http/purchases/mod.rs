//! Purchases of ready-made works, one small file per action: the buyer's and staff's
//! reads, the payment taken by hand, and the paid file for its buyer. (The provider's
//! notification of a purchase's payment is the payment webhook's.)

mod file;
mod list;
mod payment;
mod show;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The purchase routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list::list))
        .routes(routes!(show::show))
        .routes(routes!(payment::payment))
        .routes(routes!(file::file))
}

/// The 404 of an operation on one purchase.
const NOT_YOURS: &str = "unknown purchase, or not one the caller may see (never told apart)";
