//! `POST /api/orders`: a client places an order.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::orders::NewOrder;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller};
use crate::http::openapi::roles;

/// A new order.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewOrder)]
pub(crate) struct PlaceBody {
    #[schema(min_length = 1, examples("term_paper"))]
    work_type: String,
    #[schema(min_length = 1)]
    subject: String,
    #[schema(min_length = 1)]
    topic: String,
    #[schema(minimum = 1, maximum = 1000)]
    pages: i64,
    /// Not in the past.
    deadline: NaiveDate,
    #[serde(default)]
    #[schema(default = "")]
    requirements: String,
}

/// Place an order
#[utoipa::path(
    post,
    path = "/api/orders",
    tag = "orders",
    operation_id = "placeOrder",
    extensions(("x-roles" = json!(roles(Action::PlaceOrder)))),
    request_body = PlaceBody,
    responses(
        (status = 201, description = "the new order, numbered", body = OrderView),
        (status = 422, description = "pages outside 1..1000, an empty field, or a deadline in the past"),
    ),
)]
pub(super) async fn place(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<PlaceBody>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let new = NewOrder {
        work_type: b.work_type,
        subject: b.subject,
        topic: b.topic,
        pages: b.pages,
        deadline: b.deadline,
        requirements: b.requirements,
    };
    let order = app.place_order(&caller.ctx(), new).await?;
    Ok((StatusCode::CREATED, Json(order)))
}
