//! `PUT /api/orders/{id}/price`: a manager sets the price and the author's fee.

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

/// The price of an order and the author's fee.
#[derive(Deserialize, ToSchema)]
#[schema(as = Pricing)]
pub(crate) struct PriceBody {
    /// Kopecks, positive: the work's price. Extras already on the order come on top (the
    /// order's `price` is the whole).
    price: i64,
    /// Kopecks, 0..price; when left out, the configured percentage of the work's price.
    author_fee: Option<i64>,
}

/// Price the order
#[utoipa::path(
    put,
    path = "/api/orders/{id}/price",
    tag = "orders",
    operation_id = "setPrice",
    extensions(("x-roles" = json!(roles(Action::SetPrice))), ("x-action" = json!(action(Action::SetPrice)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = PriceBody,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "not allowed in the order's status, or routed to another manager"),
        (status = 422, description = "a price that is not positive, or a fee outside 0..price"),
    ),
)]
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
