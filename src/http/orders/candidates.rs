//! `GET /api/orders/{id}/candidates`: the authors the order may be offered to, with their
//! chances in the automatic choice.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::authors::CandidateView;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// The order's eligible authors
///
/// Exactly those `POST …/offer {}` draws from (author role, not blocked, a profile,
/// available, the order's subject, under their limit, never offered this order), each
/// with the probability of being drawn (proportional to rating; they sum to 1), in the
/// draw's order.
#[utoipa::path(
    get,
    path = "/api/orders/{id}/candidates",
    tag = "orders",
    operation_id = "orderCandidates",
    extensions(("x-roles" = json!(roles(Action::ReadCandidates))), ("x-action" = json!(action(Action::ReadCandidates)))),
    params(("id" = Uuid, Path, description = "the order")),
    responses(
        (status = 200, description = "the candidates", body = Vec<CandidateView>),
        (status = 404, description = NOT_YOURS),
    ),
)]
pub(super) async fn candidates(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<CandidateView>>, ApiError> {
    Ok(Json(app.order_candidates(&caller.ctx(), id).await?))
}
