//! The authors' money: an author's ledger (the author, the payout clerk, the auditor, the
//! admin), the payouts due and a payout recorded (the payout clerk). One file per action.

mod due;
mod ledger;
mod record;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The ledger and payout routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(ledger::ledger))
        .routes(routes!(due::due))
        .routes(routes!(record::record))
}
