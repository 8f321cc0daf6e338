//! `PUT /api/orders/{id}/price`: a manager sets the price and the author's fee.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};

#[derive(Deserialize)]
pub(crate) struct PriceBody {
    price: i64,
    author_fee: Option<i64>,
}

pub(super) async fn set_price(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<PriceBody>,
) -> Result<Json<OrderView>, ApiError> {
    let order = app
        .set_price(&caller.ctx(), id, b.price, b.author_fee)
        .await?;
    Ok(Json(order))
}
