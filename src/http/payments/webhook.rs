//! `POST /api/payments/webhook`: the payment provider notifies a payment, signed.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::orders::NewPayment;
use crate::app::payments::ProviderPayment;
use crate::app::shop::{NewPurchasePayment, PurchaseReceipt};
use crate::app::views::PaymentReceipt;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::openapi::PUBLIC;
use crate::http::RequestId;

/// The header the provider signs a notification in.
const SIGNATURE: &str = "x-signature";

/// The provider's notification of one payment.
#[derive(Deserialize, ToSchema)]
#[schema(as = PaymentNotification)]
pub(crate) struct WebhookBody {
    /// The provider's id of the payment; the same again is harmless.
    #[schema(min_length = 1, max_length = 200)]
    payment_id: String,
    order_id: Uuid,
    /// `first` or `second`.
    #[schema(examples("first"))]
    half: String,
    /// Kopecks; exactly the half's amount.
    #[schema(minimum = 1)]
    amount: i64,
}

/// The provider's notification of a ready-made work's purchase, paid in full.
#[derive(Deserialize, ToSchema)]
#[schema(as = PurchasePaymentNotification)]
pub(crate) struct PurchaseWebhookBody {
    /// The provider's id of the payment; the same again is harmless.
    #[schema(min_length = 1, max_length = 200)]
    payment_id: String,
    purchase_id: Uuid,
    /// Kopecks; exactly the purchase's price.
    #[schema(minimum = 1)]
    amount: i64,
}

/// A notification of an order's half or of a purchase (told apart by `order_id` or
/// `purchase_id`).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum Notification {
    Order(WebhookBody),
    Purchase(PurchaseWebhookBody),
}

/// What a notification recorded: an order's half, or a purchase.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum Receipt {
    Order(PaymentReceipt),
    Purchase(PurchaseReceipt),
}

/// Receive a payment notification
///
/// Authenticated by its signature, not a token: `X-Signature: t=<unix seconds>,v1=<hex
/// HMAC-SHA256 of "<t>.<raw body>">` with `PAYMENT_WEBHOOK_SECRET` (or
/// `PAYMENT_WEBHOOK_SECRET_PREVIOUS` during a rotation); several `v1=` may be sent, one
/// must match; `t` at most 300 s from the service's clock. The same `payment_id` again
/// records nothing and answers 200. A ready-made work's purchase is notified with
/// `purchase_id` instead of `order_id`, and no `half`: it is paid in full.
#[utoipa::path(
    post,
    path = "/api/payments/webhook",
    tag = "payments",
    operation_id = "paymentWebhook",
    extensions(("x-roles" = json!(PUBLIC))),
    params(("X-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">[,v1=…]")),
    request_body = Notification,
    responses(
        (status = 200, description = "the payment, recorded now or before", body = Receipt),
        (status = 401, description = "no secret configured, or a missing, malformed, wrong or stale signature"),
        (status = 404, description = "no such order or purchase"),
        (status = 409, description = "the wrong amount for the half, a payment id that already paid another order or half, the half already paid with another payment id, the second half before the first, or not allowed in the order's status"),
        (status = 422, description = "a half other than first or second, an amount that is not positive, or a payment_id of 0 or more than 200 characters"),
    ),
)]
pub(super) async fn webhook(
    State(app): State<App>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Receipt>, ApiError> {
    let body = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let header = headers.get(SIGNATURE).map(|v| v.to_str().unwrap_or(""));
    let signed = app.verify_webhook(header, &body)?;
    let b: Notification = serde_json::from_slice(signed.body()).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not a notification of an order's half (order_id, half) or of a \
             purchase (purchase_id): {e}"
        ))
    })?;
    let b = match b {
        Notification::Order(b) => b,
        Notification::Purchase(p) => {
            let payment = NewPurchasePayment {
                amount: p.amount,
                payment_id: p.payment_id,
            };
            return Ok(Json(Receipt::Purchase(
                app.receive_purchase_payment(signed, &request_id, p.purchase_id, payment)
                    .await?,
            )));
        }
    };
    let notified = ProviderPayment {
        order_id: b.order_id,
        payment: NewPayment {
            half: b.half,
            amount: b.amount,
            payment_id: b.payment_id,
        },
    };
    Ok(Json(Receipt::Order(
        app.receive_payment(signed, &request_id, notified).await?,
    )))
}
