//! `GET /api/catalogue/history`: every change of the catalogue.

use axum::extract::State;
use axum::Json;

use crate::app::catalogue::CatalogueChangeView;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The catalogue's history
///
/// Every change of an entry, oldest first, with the entry before and after and who made it.
#[utoipa::path(
    get,
    path = "/api/catalogue/history",
    tag = "catalogue",
    operation_id = "catalogueHistory",
    extensions(("x-roles" = json!(roles(Action::ReadCatalogueHistory))), ("x-action" = json!(action(Action::ReadCatalogueHistory)))),
    responses(
        (status = 200, description = "the changes", body = Vec<CatalogueChangeView>),
    ),
)]
pub(super) async fn history(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<CatalogueChangeView>>, ApiError> {
    Ok(Json(app.catalogue_history(&caller.actor()).await?))
}
