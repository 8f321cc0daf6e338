//! `GET /api/orders/{id}/offers`: every offer of the order and how it ended.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::authors::OfferView;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// The order's offers
///
/// Oldest first: to whom, when, until when, and how each ended (pending, accepted,
/// declined with the author's reason, expired).
#[utoipa::path(
    get,
    path = "/api/orders/{id}/offers",
    tag = "orders",
    operation_id = "orderOffers",
    extensions(("x-roles" = json!(roles(Action::ReadCandidates))), ("x-action" = json!(action(Action::ReadCandidates)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the offers", body = Vec<OfferView>),
        (status = 404, description = NOT_YOURS),
    ),
)]
pub(super) async fn offers(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<OfferView>>, ApiError> {
    Ok(Json(app.order_offers(&caller.ctx(), id).await?))
}
