//! `POST /api/orders/{id}/payments`: a payment of one half taken by hand.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::orders::NewPayment;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};

#[derive(Deserialize)]
pub(crate) struct PaymentBody {
    half: String,
    amount: i64,
    payment_id: String,
}

pub(super) async fn payment(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<PaymentBody>,
) -> Result<Json<OrderView>, ApiError> {
    let payment = NewPayment {
        half: b.half,
        amount: b.amount,
        payment_id: b.payment_id,
    };
    let order = app.record_payment(&caller.ctx(), id, payment).await?;
    Ok(Json(order))
}
