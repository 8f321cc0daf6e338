//! `POST /api/shifts/start`: a manager starts their shift.

use axum::extract::State;
use axum::Json;

use crate::app::policy::Action;
use crate::app::shifts::ShiftView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// Start my shift
///
/// Orders placed from now on may be routed to the caller (to the on-shift manager with
/// the fewest open orders), and the orders waiting for a manager are routed at once.
#[utoipa::path(
    post,
    path = "/api/shifts/start",
    tag = "shifts",
    operation_id = "startShift",
    extensions(("x-roles" = json!(roles(Action::WorkShift))), ("x-action" = json!(action(Action::WorkShift)))),
    responses(
        (status = 200, description = "the caller's shift as it now stands", body = ShiftView),
        (status = 409, description = "the caller is already on shift"),
    ),
)]
pub(super) async fn start(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<ShiftView>, ApiError> {
    Ok(Json(app.start_shift(&caller.ctx()).await?))
}
