//! `GET /api/settings`: the settings in force.

use axum::extract::State;
use axum::Json;

use crate::app::policy::Action;
use crate::app::settings::SettingsView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The settings in force
///
/// Those an admin set, the configured defaults for the others.
#[utoipa::path(
    get,
    path = "/api/settings",
    tag = "settings",
    operation_id = "showSettings",
    extensions(("x-roles" = json!(roles(Action::ReadSettings))), ("x-action" = json!(action(Action::ReadSettings)))),
    responses(
        (status = 200, description = "the settings", body = SettingsView),
    ),
)]
pub(super) async fn show(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(app.show_settings(&caller.actor()).await?))
}
