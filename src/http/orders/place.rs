//! `POST /api/orders`: a client places an order.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::checkout::Contact;
use crate::app::orders::NewOrder;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::auth::ReqId;
use crate::http::error::ApiError;
use crate::http::extract::{Body, MaybeCaller};
use crate::http::openapi::{action, roles};

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
    /// Checkout without registration: who orders, sent without a token. A new email gets
    /// an account whose password is emailed; an existing client's email only the order
    /// and a mail asking them to log in (the answer is the same).
    #[serde(default)]
    contact: Option<ContactBody>,
}

/// Who checks out without registering.
#[derive(Deserialize, ToSchema)]
#[schema(as = CheckoutContact)]
pub(crate) struct ContactBody {
    #[schema(format = "email", examples("guest@example.com"))]
    pub(crate) email: String,
    #[schema(min_length = 1)]
    pub(crate) full_name: String,
    /// The language of the account's mail: `ru` (the default) or `en`.
    #[serde(default)]
    #[schema(value_type = Option<crate::app::schemas::LanguageSchema>)]
    pub(crate) language: Option<String>,
}

/// Place an order
#[utoipa::path(
    post,
    path = "/api/orders",
    tag = "orders",
    operation_id = "placeOrder",
    extensions(("x-roles" = json!(roles(Action::PlaceOrder))), ("x-action" = json!(action(Action::PlaceOrder)))),
    request_body = PlaceBody,
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "the new order, numbered", body = OrderView),
        (status = 401, description = "no token and no contact, or a token that is not valid"),
        (status = 409, description = "checkout with the email of a staff member or a blocked account: log in"),
        (status = 422, description = "pages outside 1..1000, an empty field, a deadline in the past, bad contact data, or contact with a token"),
    ),
)]
pub(super) async fn place(
    State(app): State<App>,
    MaybeCaller(caller): MaybeCaller,
    ReqId(request_id): ReqId,
    Body(body): Body<serde_json::Value>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    // Without a token, only a checkout: anything else is the missing log-in (401), before
    // the body's shape.
    match &caller {
        None if body.get("contact").is_none_or(|c| c.is_null()) => {
            return Err(ApiError::Unauthorized)
        }
        // The policy's no before the body's shape, as for every other operation.
        Some(c) => c.may(Action::PlaceOrder)?,
        None => {}
    }
    let b: PlaceBody = crate::http::extract::shape(body)?;
    let new = NewOrder {
        work_type: b.work_type,
        subject: b.subject,
        topic: b.topic,
        pages: b.pages,
        deadline: b.deadline,
        requirements: b.requirements,
        source: aggregates::order::OrderSource::Site,
        repeats: None,
    };
    let order =
        match (caller, b.contact) {
            (Some(caller), None) => app.place_order(&caller.ctx(), new).await?,
            (Some(_), Some(_)) => return Err(ApiError::Unprocessable(
                "contact is for checkout without a token: a logged-in client orders as themselves"
                    .into(),
            )),
            (None, Some(c)) => {
                let contact = Contact {
                    email: c.email,
                    full_name: c.full_name,
                    language: c.language,
                };
                app.checkout(&request_id, contact, new).await?
            }
            (None, None) => return Err(ApiError::Unauthorized),
        };
    Ok((StatusCode::CREATED, Json(order)))
}
