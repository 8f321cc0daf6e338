//! `GET /api/authors/{id}`: one author with their rating's history.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::NOT_AN_AUTHOR;
use crate::app::authors::AuthorDetail;
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// One author with their rating's history
///
/// Staff read any author; an author reads only their own profile.
#[utoipa::path(
    get,
    path = "/api/authors/{id}",
    tag = "authors",
    operation_id = "showAuthor",
    extensions(("x-roles" = json!(roles(Action::ReadAuthors))), ("x-action" = json!(action(Action::ReadAuthors)))),
    params(("id" = Uuid, Path, description = "the author (their user id)")),
    responses(
        (status = 200, description = "the author", body = AuthorDetail),
        (status = 404, description = NOT_AN_AUTHOR),
    ),
)]
pub(super) async fn show(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<AuthorDetail>, ApiError> {
    Ok(Json(app.show_author(&caller.actor(), id).await?))
}
