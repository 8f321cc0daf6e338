//! `GET /api/orders/{id}/history`: the client-facing history (status changes with notes).

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use crate::app::views::HistoryView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};

pub(super) async fn history(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<HistoryView>>, ApiError> {
    Ok(Json(app.order_history(&caller.actor(), id).await?))
}
