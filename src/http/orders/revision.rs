//! `POST /api/orders/{id}/revision`: the client asks for changes.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::{CommentBody, NOT_YOURS};
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, OptBody, Path};
use crate::http::openapi::{action, roles};

/// Ask for a revision of the delivered work
///
/// Within the guarantee period after delivery.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/revision",
    tag = "orders",
    operation_id = "requestRevision",
    extensions(("x-roles" = json!(roles(Action::RequestRevision))), ("x-action" = json!(action(Action::RequestRevision)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = Option<CommentBody>,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "not delivered, or the guarantee period has ended"),
    ),
)]
pub(super) async fn revision(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(
        app.request_revision(&caller.ctx(), id, b.comment).await?,
    ))
}
