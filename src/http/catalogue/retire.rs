//! `DELETE /api/catalogue/{kind}/{code}`: an admin retires an entry.

use axum::extract::State;
use axum::Json;

use crate::app::catalogue::CatalogueView;
use crate::app::policy::Action;
use crate::app::schemas::CatalogueKindSchema;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// Retire a catalogue entry
///
/// New orders (and edits, listings and extras added from now on) may no longer name it;
/// orders that do keep it. One `CatalogueEntryRetired` event. `PUT` brings it back.
#[utoipa::path(
    delete,
    path = "/api/catalogue/{kind}/{code}",
    tag = "catalogue",
    operation_id = "retireCatalogueEntry",
    extensions(("x-roles" = json!(roles(Action::ManageCatalogue))), ("x-action" = json!(action(Action::ManageCatalogue)))),
    params(
        ("kind" = CatalogueKindSchema, Path, description = "`work-types`, `subjects` or `extras`"),
        ("code" = String, Path, description = "the entry's code"),
    ),
    responses(
        (status = 200, description = "the catalogue now in force", body = CatalogueView),
        (status = 404, description = "a kind that is none of the three, or no such entry in force"),
    ),
)]
pub(super) async fn retire(
    State(app): State<App>,
    caller: Caller,
    Path((kind, code)): Path<(String, String)>,
) -> Result<Json<CatalogueView>, ApiError> {
    caller.may(Action::ManageCatalogue)?;
    let kind = super::kind(&kind)?;
    Ok(Json(
        app.retire_catalogue_entry(&caller.ctx(), kind, &code)
            .await?,
    ))
}
