//! `POST /api/orders/{id}/offer/decline`: the offered author declines.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::ReasonBody;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, OptBody, Path};

pub(super) async fn decline(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<ReasonBody>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.decline_offer(&caller.ctx(), id, b.reason).await?))
}
