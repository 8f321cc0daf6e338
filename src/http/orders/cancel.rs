//! `POST /api/orders/{id}/cancel`: the client before work starts, a manager before
//! delivery.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::ReasonBody;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};

pub(super) async fn cancel(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<ReasonBody>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.cancel_order(&caller.ctx(), id, b.reason).await?))
}
