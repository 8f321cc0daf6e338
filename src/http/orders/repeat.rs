//! `POST /api/orders/{id}/repeat`: the client orders a finished order again.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
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

/// When the repeated work is due.
#[derive(Deserialize, ToSchema)]
#[schema(as = RepeatOrder)]
pub(crate) struct RepeatBody {
    /// Not in the past.
    deadline: NaiveDate,
}

/// Repeat a finished order
///
/// A new order with the first one's work type, subject, topic, pages and requirements,
/// due by `deadline`; it names the first (`repeats`) and is placed and routed like any.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/repeat",
    tag = "orders",
    operation_id = "repeatOrder",
    extensions(("x-roles" = json!(roles(Action::PlaceOrder))), ("x-action" = json!(action(Action::PlaceOrder)))),
    params(("id" = Uuid, Path, description = "the finished order")),
    request_body = RepeatBody,
    responses(
        (status = 201, description = "the new order, numbered", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "the order is not finished (completed or failed)"),
        (status = 422, description = "a deadline in the past"),
    ),
)]
pub(super) async fn repeat(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<RepeatBody>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let order = app.repeat_order(&caller.ctx(), id, b.deadline).await?;
    Ok((StatusCode::CREATED, Json(order)))
}
