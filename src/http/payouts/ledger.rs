//! `GET /api/authors/{id}/ledger`: an author's ledger with a running balance.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use crate::app::ledger::LedgerView;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// An author's ledger
///
/// Every credit (an order's fee at its completion), compensation and payout, oldest first,
/// each with the balance after it. An author reads only their own.
#[utoipa::path(
    get,
    path = "/api/authors/{id}/ledger",
    tag = "payouts",
    operation_id = "authorLedger",
    extensions(("x-roles" = json!(roles(Action::ReadLedger))), ("x-action" = json!(action(Action::ReadLedger)))),
    params(("id" = Uuid, Path, description = "the author (their user id)")),
    responses(
        (status = 200, description = "the author's balance and entries", body = LedgerView),
        (status = 404, description = "unknown user, not an author, or another author's ledger"),
    ),
)]
pub(super) async fn ledger(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<LedgerView>, ApiError> {
    Ok(Json(app.author_ledger(&caller.actor(), id).await?))
}
