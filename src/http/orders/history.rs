//! `GET /api/orders/{id}/history`: the client-facing history (status changes with notes).

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::views::HistoryView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// The order's history as its client sees it
///
/// Status changes with a note each, oldest first; internal steps (routing, declined and
/// expired offers) left out.
#[utoipa::path(
    get,
    path = "/api/orders/{id}/history",
    tag = "orders",
    operation_id = "orderHistory",
    extensions(("x-roles" = json!(roles(Action::ReadOrders))), ("x-action" = json!(action(Action::ReadOrders)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the history", body = Vec<HistoryView>),
        (status = 404, description = NOT_YOURS),
    ),
)]
pub(super) async fn history(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<HistoryView>>, ApiError> {
    Ok(Json(app.order_history(&caller.actor(), id).await?))
}
