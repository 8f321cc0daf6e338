//! `PUT /api/orders/{id}/discount`: a manager lowers the order's price.

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
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// The discounted price and why.
#[derive(Deserialize, ToSchema)]
#[schema(as = Discount)]
pub(crate) struct DiscountBody {
    /// The new price of the whole order, in kopecks: below the current one, and not below
    /// the author's fee.
    #[schema(minimum = 1)]
    price: i64,
    /// Why; kept in the log and shown to the client.
    #[schema(min_length = 1)]
    reason: String,
}

/// Give a discount
///
/// Before the first half is paid, the order's manager (or an admin) lowers the price of
/// the whole order; the halves follow (`price / 2` rounded down, and the rest). One
/// `DiscountGiven` event with the old and the new price, mailed to the client.
#[utoipa::path(
    put,
    path = "/api/orders/{id}/discount",
    tag = "orders",
    operation_id = "giveDiscount",
    extensions(("x-roles" = json!(roles(Action::EditOrder))), ("x-action" = json!(action(Action::EditOrder)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = DiscountBody,
    responses(
        (status = 200, description = "the order with its new price and halves", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "no price yet, the first half is paid, the order is over, the author's fee would be above the price, or it is another manager's"),
        (status = 422, description = "a price that is not positive or not below the current one, an empty reason"),
    ),
)]
pub(super) async fn discount(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<DiscountBody>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(
        app.give_discount(&caller.ctx(), id, b.price, b.reason)
            .await?,
    ))
}
