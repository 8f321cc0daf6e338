//! The payment provider's endpoint of API.md: its signed notifications. (A payment taken
//! by hand is an order's: `orders/payment.rs`.)

mod webhook;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The payment routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(webhook::webhook))
}
