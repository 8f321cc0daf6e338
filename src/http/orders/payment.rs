//! `POST /api/orders/{id}/payments`: a payment of one half taken by hand.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::ToSchema;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::orders::NewPayment;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// The halves of a price, as `half` names them (`app::orders::parse_half` reads them).
const HALVES: [&str; 2] = ["first", "second"];

/// A payment of one half.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewPayment)]
pub(crate) struct PaymentBody {
    /// Which half it pays.
    #[schema(schema_with = half_schema)]
    half: String,
    /// Kopecks; exactly the half's amount.
    #[schema(minimum = 1)]
    amount: i64,
    /// The payment provider's id of it; the same again for the same half is harmless.
    #[schema(min_length = 1, max_length = 200)]
    payment_id: String,
}

fn half_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("which half it pays"))
        .enum_values(Some(HALVES))
}

/// Record a payment taken by hand
///
/// The same `payment_id` again for the same half is harmless.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/payments",
    tag = "orders",
    operation_id = "recordPayment",
    extensions(("x-roles" = json!(roles(Action::RecordPayment))), ("x-action" = json!(action(Action::RecordPayment)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = PaymentBody,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "the wrong amount for the half, the half already paid with another payment id, the second half before the first, no price yet, or not allowed in the order's status"),
        (status = 422, description = "a half other than first or second, an amount that is not positive, or a payment_id of 0 or more than 200 characters"),
    ),
)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::orders::parse_half;
    use crate::app::values::PaymentId;
    use utoipa::PartialSchema;

    #[test]
    fn the_documented_values_are_the_ones_read() {
        for half in HALVES {
            assert!(parse_half(half).is_ok(), "{half}");
        }
        assert!(parse_half("third").is_err());
        let schema = serde_json::to_value(PaymentBody::schema()).unwrap();
        assert_eq!(
            schema["properties"]["payment_id"]["maxLength"],
            PaymentId::MAX_LEN
        );
    }
}
