//! `POST /api/orders/by-phone`: a manager takes an order by phone for a client.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::place::ContactBody;
use crate::app::checkout::Contact;
use crate::app::orders::NewOrder;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller};
use crate::http::openapi::{action, roles};

/// An order taken by phone: the order and who it is for.
#[derive(Deserialize, ToSchema)]
#[schema(as = PhoneOrder)]
pub(crate) struct PhoneBody {
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
    /// The client: found by email, or created with this name (their password is mailed
    /// as at checkout).
    client: ContactBody,
}

/// Take an order by phone
///
/// A manager (or admin) places an order for a client found by email, or created on the
/// spot; the client is mailed their credentials or a notice to log in, as at checkout.
/// The order's source is `manager`; a manager's own order is routed to them.
#[utoipa::path(
    post,
    path = "/api/orders/by-phone",
    tag = "orders",
    operation_id = "placeOrderByPhone",
    extensions(("x-roles" = json!(roles(Action::PlaceOrderByPhone))), ("x-action" = json!(action(Action::PlaceOrderByPhone)))),
    request_body = PhoneBody,
    responses(
        (status = 201, description = "the new order, numbered", body = OrderView),
        (status = 409, description = "the email is a staff member's or a blocked account's"),
        (status = 422, description = "pages outside 1..1000, an empty field, a deadline in the past, or bad contact data"),
    ),
)]
pub(super) async fn by_phone(
    State(app): State<App>,
    caller: Caller,
    Body(body): Body<serde_json::Value>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    // The policy's no before the body's shape, as for every other operation.
    caller.may(Action::PlaceOrderByPhone)?;
    let b: PhoneBody = crate::http::extract::shape(body)?;
    let new = NewOrder {
        work_type: b.work_type,
        subject: b.subject,
        topic: b.topic,
        pages: b.pages,
        deadline: b.deadline,
        requirements: b.requirements,
        source: aggregates::order::OrderSource::Manager,
        repeats: None,
    };
    let contact = Contact {
        email: b.client.email,
        full_name: b.client.full_name,
        language: b.client.language,
    };
    let order = app.place_by_phone(&caller.ctx(), contact, new).await?;
    Ok((StatusCode::CREATED, Json(order)))
}
