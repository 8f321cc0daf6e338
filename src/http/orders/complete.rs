//! `POST /api/orders/{id}/complete`: the client accepts the work and rates it 1..5.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};

#[derive(Deserialize)]
pub(crate) struct CompleteBody {
    rating: i64,
    #[serde(default)]
    review: String,
}

pub(super) async fn complete(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<CompleteBody>,
) -> Result<Json<OrderView>, ApiError> {
    let order = app
        .complete_order(&caller.ctx(), id, b.rating, b.review)
        .await?;
    Ok(Json(order))
}
