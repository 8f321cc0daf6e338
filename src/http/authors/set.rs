//! `PUT /api/authors/{id}`: an admin sets an author's profile and rating.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::authors::{AuthorDetail, NewProfile};
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// An author's profile as the admin sets it.
#[derive(Deserialize, ToSchema)]
#[schema(as = AuthorProfile)]
pub(crate) struct ProfileBody {
    /// What the author writes on (1..=50, each at most 100 characters; compared
    /// case-insensitively, whitespace collapsed).
    subjects: Vec<String>,
    /// 1..=5 (two decimals); required the first time, left out keeps the current one.
    #[schema(minimum = 1, maximum = 5)]
    rating: Option<f64>,
    /// How many active orders (offered now, or accepted and not finished) the author may
    /// have at once: 1..=100.
    #[schema(minimum = 1, maximum = 100)]
    max_active_orders: i64,
    /// Whether the author takes new orders; left out keeps the current (a new profile: yes).
    available: Option<bool>,
}

/// Set an author's profile and rating
///
/// A rating different from the current one replaces it and becomes the prior of the
/// formula (docs/rating.md).
#[utoipa::path(
    put,
    path = "/api/authors/{id}",
    tag = "authors",
    operation_id = "setAuthorProfile",
    extensions(("x-roles" = json!(roles(Action::ManageAuthors))), ("x-action" = json!(action(Action::ManageAuthors)))),
    params(("id" = Uuid, Path, description = "the author (their user id)")),
    request_body = ProfileBody,
    responses(
        (status = 200, description = "the author", body = AuthorDetail),
        (status = 404, description = "unknown user"),
        (status = 422, description = "not an author, or a value out of range (subjects, rating, maximum)"),
    ),
)]
pub(super) async fn set_profile(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<ProfileBody>,
) -> Result<Json<AuthorDetail>, ApiError> {
    let new = NewProfile {
        subjects: b.subjects,
        rating: b.rating,
        max_active_orders: b.max_active_orders,
        available: b.available,
    };
    Ok(Json(app.set_author_profile(&caller.ctx(), id, new).await?))
}
