//! `POST /api/orders/{id}/cancel`: the client before work starts, a manager before
//! delivery.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// Why the order is cancelled.
#[derive(Deserialize, ToSchema)]
#[schema(as = CancelReason)]
pub(crate) struct CancelBody {
    /// Why; kept in the log and shown to the client. (Read as empty when left out, and
    /// refused as such.)
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    reason: String,
}

/// Cancel the order
///
/// A client before work starts (new, offered, awaiting_prepayment); a manager or admin
/// before delivery.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/cancel",
    tag = "orders",
    operation_id = "cancelOrder",
    extensions(("x-roles" = json!(roles(Action::CancelOrder))), ("x-action" = json!(action(Action::CancelOrder)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = CancelBody,
    responses(
        (status = 200, description = "the order as it now stands, failed", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "too late for the caller's role to cancel, or already over"),
        (status = 422, description = "an empty reason"),
    ),
)]
pub(super) async fn cancel(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<CancelBody>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.cancel_order(&caller.ctx(), id, b.reason).await?))
}
