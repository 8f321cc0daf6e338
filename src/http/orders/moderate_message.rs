//! `POST /api/orders/{id}/messages/{message_id}/approve` and `/reject`: the order's
//! manager (or an admin) decides on a held message.

use axum::extract::State;
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

/// Let a held message through
///
/// The other parties see it from now on (and hear of it in their next digest).
#[utoipa::path(
    post,
    path = "/api/orders/{id}/messages/{message_id}/approve",
    tag = "orders",
    operation_id = "approveMessage",
    extensions(("x-roles" = json!(roles(Action::ModerateMessage))), ("x-action" = json!(action(Action::ModerateMessage)))),
    params(
        ("id" = Uuid, Path, description = "the order"),
        ("message_id" = Uuid, Path, description = "the held message"),
    ),
    responses(
        (status = 200, description = "the message, now visible", body = MessageView),
        (status = 404, description = "unknown order or message, or an order that is not the caller's"),
        (status = 409, description = "the message is not held (never was, approved already, or rejected)"),
    ),
)]
pub(super) async fn approve_message(
    State(app): State<App>,
    caller: Caller,
    Path((id, message_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<MessageView>, ApiError> {
    Ok(Json(
        app.approve_message(&caller.ctx(), id, message_id).await?,
    ))
}

/// Why a held message is refused.
#[derive(Deserialize, ToSchema)]
#[schema(as = MessageRejection)]
pub(crate) struct RejectBody {
    /// Shown to the message's sender. (Read as empty when left out, and refused as such.)
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    reason: String,
}

/// Refuse a held message
///
/// The other parties never see it; its sender sees it rejected, with the reason.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/messages/{message_id}/reject",
    tag = "orders",
    operation_id = "rejectMessage",
    extensions(("x-roles" = json!(roles(Action::ModerateMessage))), ("x-action" = json!(action(Action::ModerateMessage)))),
    params(
        ("id" = Uuid, Path, description = "the order"),
        ("message_id" = Uuid, Path, description = "the held message"),
    ),
    request_body = RejectBody,
    responses(
        (status = 200, description = "the message, now rejected", body = MessageView),
        (status = 404, description = "unknown order or message, or an order that is not the caller's"),
        (status = 409, description = "the message is not held (never was, approved, or rejected already)"),
        (status = 422, description = "no reason given"),
    ),
)]
pub(super) async fn reject_message(
    State(app): State<App>,
    caller: Caller,
    Path((id, message_id)): Path<(Uuid, Uuid)>,
    Body(b): Body<RejectBody>,
) -> Result<Json<MessageView>, ApiError> {
    Ok(Json(
        app.reject_message(&caller.ctx(), id, message_id, b.reason)
            .await?,
    ))
}
