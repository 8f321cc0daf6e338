//! `GET /api/orders/{id}/events`: the order's whole history from the log, oldest first.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::views::EventView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// The order's whole history from the log
///
/// Oldest first. A client is not shown `author_fee` in the data. The conversation's events
/// follow its list's rule: a held or rejected message only to its sender and the company,
/// no sender's id to a client or an author, none to whoever does not read the conversation.
#[utoipa::path(
    get,
    path = "/api/orders/{id}/events",
    tag = "orders",
    operation_id = "orderEvents",
    extensions(("x-roles" = json!(roles(Action::ReadOrders))), ("x-action" = json!(action(Action::ReadOrders)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the order's events", body = Vec<EventView>),
        (status = 404, description = NOT_YOURS),
    ),
)]
pub(super) async fn events(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    Ok(Json(app.order_events(&caller.actor(), id).await?))
}
