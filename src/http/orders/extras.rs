//! `POST /api/orders/{id}/extras` and `DELETE /api/orders/{id}/extras/{code}`: a manager
//! adds an extra of the catalogue to an order, or removes one, before the first half.

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
use crate::http::extract::{shape, Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// The extra to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewExtra)]
pub(crate) struct ExtraBody {
    /// An extra's code in the catalogue in force (`GET /api/catalogue`).
    #[schema(min_length = 1, examples("urgent"))]
    code: String,
}

/// Add an extra
///
/// Before the first half is paid, the order's manager (or an admin) adds an extra service
/// of the catalogue at its price now: one `ExtraAdded` event; the price and the halves
/// follow to the kopeck (`price / 2` rounded down, and the rest). On an order not yet
/// priced the extra waits, and the price set later includes it. The client sees it in the
/// order, its timeline and a mail.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/extras",
    tag = "orders",
    operation_id = "addExtra",
    extensions(("x-roles" = json!(roles(Action::ChangeExtras))), ("x-action" = json!(action(Action::ChangeExtras)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = ExtraBody,
    responses(
        (status = 200, description = "the order with the extra, its new price and halves", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "the first half is paid, the order has this extra already, the order is over, or it is another manager's"),
        (status = 422, description = "no extra of this code in force in the catalogue"),
    ),
)]
pub(super) async fn add(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(body): Body<serde_json::Value>,
) -> Result<Json<OrderView>, ApiError> {
    // The policy's no before the body's shape.
    caller.may(Action::ChangeExtras)?;
    let b: ExtraBody = shape(body)?;
    Ok(Json(app.add_extra(&caller.ctx(), id, &b.code).await?))
}

/// Remove an extra
///
/// Before the first half is paid, the order's manager (or an admin) takes an extra off:
/// one `ExtraRemoved` event; the price it was added at comes off the order's, and the
/// halves follow.
#[utoipa::path(
    delete,
    path = "/api/orders/{id}/extras/{code}",
    tag = "orders",
    operation_id = "removeExtra",
    extensions(("x-roles" = json!(roles(Action::ChangeExtras))), ("x-action" = json!(action(Action::ChangeExtras)))),
    params(
        ("id" = Uuid, Path, description = "the order"),
        ("code" = String, Path, description = "the extra's code"),
    ),
    responses(
        (status = 200, description = "the order without the extra, with its new price and halves", body = OrderView),
        (status = 404, description = "unknown order, or not one the caller may see; or the order has no such extra"),
        (status = 409, description = "the first half is paid, the price would fall below the author's fee or to nothing (after a discount), the order is over, or it is another manager's"),
    ),
)]
pub(super) async fn remove(
    State(app): State<App>,
    caller: Caller,
    Path((id, code)): Path<(Uuid, String)>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.remove_extra(&caller.ctx(), id, &code).await?))
}
