//! `GET /api/offers`: the author's queue, the offers waiting for their answer.

use axum::extract::State;
use axum::Json;

use crate::app::authors::PendingOffer;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The caller's pending offers
///
/// What the author needs to decide (number, work type, subject, topic, pages, deadline,
/// fee, when the offer expires); never who the client is. Soonest to expire first.
#[utoipa::path(
    get,
    path = "/api/offers",
    tag = "authors",
    operation_id = "myOffers",
    extensions(("x-roles" = json!(roles(Action::ReadOffers))), ("x-action" = json!(action(Action::ReadOffers)))),
    responses((status = 200, description = "the offers waiting for the caller", body = Vec<PendingOffer>)),
)]
pub(super) async fn queue(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<PendingOffer>>, ApiError> {
    Ok(Json(app.my_offers(&caller.actor()).await?))
}
