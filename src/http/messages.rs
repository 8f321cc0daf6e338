//! `GET /api/messages/held`: the managers' queue of messages waiting for approval, across
//! their orders (the conversations themselves are under `/api/orders/{id}/messages`).

use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::messages::HeldMessageView;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(held))
}

/// The messages waiting for approval
///
/// Oldest first, at most 200: on the orders routed to the calling manager, on every order
/// for an admin. Each seemed to carry a contact; approve or reject it on its order.
#[utoipa::path(
    get,
    path = "/api/messages/held",
    tag = "orders",
    operation_id = "heldMessages",
    extensions(("x-roles" = json!(roles(Action::ModerateMessage))), ("x-action" = json!(action(Action::ModerateMessage)))),
    responses(
        (status = 200, description = "the held messages, with their orders", body = Vec<HeldMessageView>),
    ),
)]
pub(super) async fn held(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<HeldMessageView>>, ApiError> {
    Ok(Json(app.held_messages(&caller.actor()).await?))
}
