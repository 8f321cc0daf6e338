//! `GET /api/orders/{id}/messages`: the order's conversation as the caller may see it.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use crate::app::messages::MessageView;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// The order's conversation
///
/// Oldest first, between the client, the company (the order's manager, an admin) and the
/// author who took the order. A held message (it seemed to carry an email, a phone number,
/// a link or a handle) reaches only its sender and the company until the manager approves
/// it; a rejected one never reaches the other parties. The client never sees who the
/// author is, nor the author the client: only the side that wrote (`from_role`). Any other
/// caller, an author the order is only offered to included, gets a 404.
#[utoipa::path(
    get,
    path = "/api/orders/{id}/messages",
    tag = "orders",
    operation_id = "listMessages",
    extensions(("x-roles" = json!(roles(Action::ReadMessages))), ("x-action" = json!(action(Action::ReadMessages)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the messages the caller may see", body = Vec<MessageView>),
        (status = 404, description = "unknown order, or a conversation that is not the caller's (never told apart)"),
    ),
)]
pub(super) async fn messages(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    Ok(Json(app.messages(&caller.actor(), id).await?))
}
