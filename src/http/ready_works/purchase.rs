//! `POST /api/ready-works/{id}/purchase`: a client, or a guest with a contact, buys a work.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NO_WORK;
use crate::app::checkout::Contact;
use crate::app::policy::Action;
use crate::app::shop::PurchaseView;
use crate::app::App;
use crate::http::auth::ReqId;
use crate::http::error::ApiError;
use crate::http::extract::{MaybeCaller, OptBody, Path};
use crate::http::openapi::{action, roles};
use crate::http::orders::place::ContactBody;

/// Who buys without a token (a logged-in client sends no body, or `{}`).
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = PurchaseRequest)]
pub(crate) struct PurchaseBody {
    /// A guest's contact, as at checkout: a new email gets an account whose password is
    /// emailed; an existing client's email a mail asking them to log in (the answer is
    /// the same).
    #[serde(default)]
    contact: Option<ContactBody>,
}

/// Buy a ready-made work
///
/// A purchase to pay in full (`POST /api/purchases/{id}/payments`, or the provider's
/// notification with `purchase_id`); once paid, the work is emailed to the buyer.
#[utoipa::path(
    post,
    path = "/api/ready-works/{id}/purchase",
    tag = "shop",
    operation_id = "buyReadyWork",
    extensions(("x-roles" = json!(roles(Action::BuyReadyWork))), ("x-action" = json!(action(Action::BuyReadyWork)))),
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "the work")),
    request_body = PurchaseBody,
    responses(
        (status = 201, description = "the purchase, awaiting its payment", body = PurchaseView),
        (status = 401, description = "no token and no contact, or a token that is not valid"),
        (status = 404, description = NO_WORK),
        (status = 409, description = "the work is delisted, or a guest's email is a staff member's or a blocked account's: log in"),
        (status = 422, description = "bad contact data, or contact with a token"),
    ),
)]
pub(super) async fn purchase(
    State(app): State<App>,
    MaybeCaller(caller): MaybeCaller,
    ReqId(request_id): ReqId,
    Path(id): Path<Uuid>,
    OptBody(body): OptBody<serde_json::Value>,
) -> Result<(StatusCode, Json<PurchaseView>), ApiError> {
    // The policy's no (and the missing log-in) before the body's shape, as at checkout.
    let has_contact = body.get("contact").is_some_and(|c| !c.is_null());
    match &caller {
        Some(c) => c.may(Action::BuyReadyWork)?,
        None if !has_contact => return Err(ApiError::Unauthorized),
        None => {}
    }
    let b: PurchaseBody = if body.is_null() {
        PurchaseBody::default()
    } else {
        crate::http::extract::shape(body)?
    };
    let purchase = match (caller, b.contact) {
        (Some(c), None) => app.buy_ready_work(&c.ctx(), id).await?,
        (Some(_), Some(_)) => {
            return Err(ApiError::Unprocessable(
                "contact is for buying without a token: a logged-in client buys as themselves"
                    .into(),
            ));
        }
        (None, Some(c)) => {
            let contact = Contact {
                email: c.email,
                full_name: c.full_name,
                language: c.language,
            };
            app.buy_ready_work_as_guest(&request_id, contact, id)
                .await?
        }
        (None, None) => return Err(ApiError::Unauthorized),
    };
    Ok((StatusCode::CREATED, Json(purchase)))
}
