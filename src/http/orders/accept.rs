//! `POST /api/orders/{id}/offer/accept`: the offered author takes the order.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};

pub(super) async fn accept(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.accept_offer(&caller.ctx(), id).await?))
}
