//! `POST /api/purchases/{id}/payments`: a purchase's payment in full, taken by hand.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::shop::{NewPurchasePayment, PurchaseView};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// A purchase's payment in full.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewPurchasePayment)]
pub(crate) struct PaymentBody {
    /// Kopecks; exactly the purchase's price.
    #[schema(minimum = 1)]
    amount: i64,
    /// The payment provider's (or the bank's) id of it; the same again is harmless.
    #[schema(min_length = 1, max_length = 200)]
    payment_id: String,
}

/// Record a purchase's payment taken by hand
///
/// The same `payment_id` again is harmless; once paid, the work is emailed to the buyer.
#[utoipa::path(
    post,
    path = "/api/purchases/{id}/payments",
    tag = "shop",
    operation_id = "recordPurchasePayment",
    extensions(("x-roles" = json!(roles(Action::RecordPurchasePayment))), ("x-action" = json!(action(Action::RecordPurchasePayment)))),
    params(("id" = Uuid, Path, description = "the purchase")),
    request_body = PaymentBody,
    responses(
        (status = 200, description = "the purchase as it now stands", body = PurchaseView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "the wrong amount, already paid with another payment id, or a payment id that already paid something else"),
        (status = 422, description = "an amount that is not positive, or a payment_id of 0 or more than 200 characters"),
    ),
)]
pub(super) async fn payment(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<PaymentBody>,
) -> Result<Json<PurchaseView>, ApiError> {
    let payment = NewPurchasePayment {
        amount: b.amount,
        payment_id: b.payment_id,
    };
    Ok(Json(
        app.record_purchase_payment(&caller.ctx(), id, payment)
            .await?,
    ))
}
