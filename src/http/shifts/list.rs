//! `GET /api/shifts`: who is on shift now.

use axum::extract::State;
use axum::Json;

use crate::app::policy::Action;
use crate::app::shifts::OnShiftView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The managers on shift
///
/// Longest on shift first, each with their open orders (routed to them, neither
/// completed nor failed): what the router chooses by.
#[utoipa::path(
    get,
    path = "/api/shifts",
    tag = "shifts",
    operation_id = "listShifts",
    extensions(("x-roles" = json!(roles(Action::ReadShifts))), ("x-action" = json!(action(Action::ReadShifts)))),
    responses(
        (status = 200, description = "the managers on shift now", body = Vec<OnShiftView>),
    ),
)]
pub(super) async fn list(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<OnShiftView>>, ApiError> {
    Ok(Json(app.on_shift(&caller.actor()).await?))
}
