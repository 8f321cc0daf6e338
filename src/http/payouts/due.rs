//! `GET /api/payouts/due`: the authors due for a payout.

use axum::extract::State;
use axum::Json;

use crate::app::ledger::PayoutDue;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The payouts due
///
/// The authors whose balance is at or above the payout threshold in force
/// (`GET /api/settings`), largest balance first.
#[utoipa::path(
    get,
    path = "/api/payouts/due",
    tag = "payouts",
    operation_id = "payoutsDue",
    extensions(("x-roles" = json!(roles(Action::ReadPayoutsDue))), ("x-action" = json!(action(Action::ReadPayoutsDue)))),
    responses(
        (status = 200, description = "the authors due, with their balance", body = Vec<PayoutDue>),
    ),
)]
pub(super) async fn due(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<PayoutDue>>, ApiError> {
    Ok(Json(app.payouts_due(&caller.actor()).await?))
}
