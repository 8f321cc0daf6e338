//! `GET /api/settings/history`: every change of the settings.

use axum::extract::State;
use axum::Json;

use crate::app::policy::Action;
use crate::app::settings::SettingChangeView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The settings' history
///
/// Every change of a setting, oldest first, with the value before and after and who made it.
#[utoipa::path(
    get,
    path = "/api/settings/history",
    tag = "settings",
    operation_id = "settingsHistory",
    extensions(("x-roles" = json!(roles(Action::ReadSettingsHistory))), ("x-action" = json!(action(Action::ReadSettingsHistory)))),
    responses(
        (status = 200, description = "the changes", body = Vec<SettingChangeView>),
    ),
)]
pub(super) async fn history(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<SettingChangeView>>, ApiError> {
    Ok(Json(app.settings_history(&caller.actor()).await?))
}
