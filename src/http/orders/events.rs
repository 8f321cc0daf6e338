//! `GET /api/orders/{id}/events`: the order's whole history from the log, oldest first.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use crate::app::views::EventView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};

pub(super) async fn events(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    Ok(Json(app.order_events(&caller.actor(), id).await?))
}
