//! `POST /api/orders/{id}/offer`: a manager offers the order to an author, named or
//! chosen by the system.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::views::OfferMade;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, OptBody, Path};
use crate::http::openapi::{action, roles};

/// Whom to offer the order to; the body may be left out.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = OfferTo)]
pub(crate) struct OfferBody {
    /// The author; left out, the system chooses.
    author_id: Option<Uuid>,
}

/// Offer the order to an author
///
/// With `author_id`, to that author; with `{}` or no body, to the best-rated eligible
/// author. The offer expires after the configured time and then passes to the next author.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/offer",
    tag = "orders",
    operation_id = "offerOrder",
    extensions(("x-roles" = json!(roles(Action::OfferOrder))), ("x-action" = json!(action(Action::OfferOrder)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = Option<OfferBody>,
    responses(
        (status = 200, description = "the offer made", body = OfferMade),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "nobody is eligible, the author is blocked or already declined, or not allowed in the order's status"),
        (status = 422, description = "`author_id` is not an author"),
    ),
)]
pub(super) async fn offer(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<OfferBody>,
) -> Result<Json<OfferMade>, ApiError> {
    Ok(Json(app.offer_order(&caller.ctx(), id, b.author_id).await?))
}
