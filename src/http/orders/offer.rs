//! `POST /api/orders/{id}/offer`: a manager offers the order to an author, named or
//! chosen by the system.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::views::OfferMade;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, OptBody, Path};

#[derive(Deserialize, Default)]
pub(crate) struct OfferBody {
    author_id: Option<Uuid>,
}

pub(super) async fn offer(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<OfferBody>,
) -> Result<Json<OfferMade>, ApiError> {
    Ok(Json(app.offer_order(&caller.ctx(), id, b.author_id).await?))
}
