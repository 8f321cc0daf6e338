//! `POST /api/orders/{id}/messages`: a party writes in the order's conversation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::messages::MessageView;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// A new message.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewMessage)]
pub(crate) struct MessageBody {
    /// Trimmed; 1 to 4000 characters. (Read as empty when left out, and refused as such.)
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 4000)]
    text: String,
}

/// Write a message
///
/// The order's client, its manager or an admin, or the author who took it. A message of
/// the client or the author that seems to carry an email, a phone number, a link or a
/// messenger handle is held (`held: true`) until the manager approves it; the company's
/// messages never are. The other parties hear of new messages by email, one digest each.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/messages",
    tag = "orders",
    operation_id = "postMessage",
    extensions(("x-roles" = json!(roles(Action::PostMessage))), ("x-action" = json!(action(Action::PostMessage)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = MessageBody,
    responses(
        (status = 201, description = "the message, as its sender sees it", body = MessageView),
        (status = 404, description = "unknown order, or a conversation that is not the caller's (never told apart)"),
        (status = 409, description = "the order is completed or failed"),
        (status = 422, description = "an empty text, or one longer than 4000 characters"),
    ),
)]
pub(super) async fn post_message(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<MessageBody>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let m = app.post_message(&caller.ctx(), id, b.text).await?;
    Ok((StatusCode::CREATED, Json(m)))
}
