//! `GET /api/authors`: every author with their load and rating.

use axum::extract::State;
use axum::Json;

use crate::app::authors::AuthorSummary;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// Every author with their load and rating
#[utoipa::path(
    get,
    path = "/api/authors",
    tag = "authors",
    operation_id = "listAuthors",
    extensions(("x-roles" = json!(roles(Action::ListAuthors))), ("x-action" = json!(action(Action::ListAuthors)))),
    responses((status = 200, description = "the authors, by name", body = Vec<AuthorSummary>)),
)]
pub(super) async fn list(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<AuthorSummary>>, ApiError> {
    Ok(Json(app.list_authors(&caller.actor()).await?))
}
