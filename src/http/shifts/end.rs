//! `POST /api/shifts/end`: a manager ends their shift.

use axum::extract::State;
use axum::Json;

use crate::app::policy::Action;
use crate::app::shifts::ShiftView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// End my shift
///
/// No new orders are routed to the caller; the orders they have stay theirs.
#[utoipa::path(
    post,
    path = "/api/shifts/end",
    tag = "shifts",
    operation_id = "endShift",
    extensions(("x-roles" = json!(roles(Action::WorkShift))), ("x-action" = json!(action(Action::WorkShift)))),
    responses(
        (status = 200, description = "the caller's shift as it now stands", body = ShiftView),
        (status = 409, description = "the caller is not on shift"),
    ),
)]
pub(super) async fn end(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<ShiftView>, ApiError> {
    Ok(Json(app.end_shift(&caller.ctx()).await?))
}
