//! User management by the admin.

use aggregates::user::UserCommand;
use aggregates::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::User;
use super::error::ApiError;
use super::extract::{Body, Caller, OptBody, Path};
use super::openapi::RoleSchema;
use crate::app::App;

/// Who may manage users.
const ADMIN: &[Role] = &[Role::Admin];

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(block))
        .routes(routes!(unblock))
}

/// A new user of any role.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewUser {
    #[schema(format = Email)]
    pub email: String,
    #[schema(min_length = 1)]
    pub full_name: String,
    #[schema(value_type = RoleSchema)]
    pub role: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

/// Create a user of any role
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "users",
    operation_id = "createUser",
    extensions(("x-roles" = json!(ADMIN))),
    request_body = NewUser,
    responses(
        (status = 201, description = "the new user", body = User),
        (status = 409, description = "a user with this email already exists"),
        (status = 422, description = "an unknown role, not an email address, an empty name or a bad password"),
    ),
)]
async fn create(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.require(ADMIN)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| ApiError::Unprocessable(format!("unknown role {:?}", b.role)))?;
    let id = app
        .create_user(&b.email, &b.full_name, role, &b.password, &caller.ctx())
        .await?;
    let user = projections::users::by_id(&app.db, id)
        .await?
        .ok_or_else(|| ApiError::internal("created user missing from the directory"))?;
    Ok((StatusCode::CREATED, Json(User::from(&user))))
}

/// Every user
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "users",
    operation_id = "listUsers",
    extensions(("x-roles" = json!(ADMIN))),
    responses((status = 200, description = "the user directory", body = Vec<User>)),
)]
async fn list(State(app): State<App>, caller: Caller) -> Result<Json<Vec<User>>, ApiError> {
    caller.require(ADMIN)?;
    let users = projections::users::list(&app.db, None).await?;
    Ok(Json(users.iter().map(User::from).collect()))
}

/// Why a user is blocked; the body may be left out.
#[derive(Debug, Serialize, Deserialize, Default, ToSchema)]
pub struct BlockReason {
    /// Why; kept in the log.
    #[serde(default)]
    pub reason: String,
}

/// Block a user
///
/// The user's existing tokens stop working at once.
#[utoipa::path(
    post,
    path = "/api/users/{id}/block",
    tag = "users",
    operation_id = "blockUser",
    extensions(("x-roles" = json!(ADMIN))),
    params(("id" = Uuid, Path, description = "the user")),
    request_body = Option<BlockReason>,
    responses(
        (status = 200, description = "the user, now blocked", body = User),
        (status = 404, description = "no such user"),
        (status = 409, description = "already blocked, or an admin blocking themselves"),
    ),
)]
async fn block(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(body): OptBody<BlockReason>,
) -> Result<Json<User>, ApiError> {
    caller.require(ADMIN)?;
    if id == caller.user.id {
        return Err(ApiError::Conflict(
            "an admin cannot block themselves".into(),
        ));
    }
    let cmd = UserCommand::Block {
        by: caller.user.id,
        reason: body.reason,
    };
    app.user(id, cmd, &caller.ctx()).await?;
    respond(&app, id).await
}

/// Unblock a user
#[utoipa::path(
    post,
    path = "/api/users/{id}/unblock",
    tag = "users",
    operation_id = "unblockUser",
    extensions(("x-roles" = json!(ADMIN))),
    params(("id" = Uuid, Path, description = "the user")),
    responses(
        (status = 200, description = "the user, no longer blocked", body = User),
        (status = 404, description = "no such user"),
        (status = 409, description = "the user is not blocked"),
    ),
)]
async fn unblock(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<User>, ApiError> {
    caller.require(ADMIN)?;
    app.user(
        id,
        UserCommand::Unblock { by: caller.user.id },
        &caller.ctx(),
    )
    .await?;
    respond(&app, id).await
}

async fn respond(app: &App, id: Uuid) -> Result<Json<User>, ApiError> {
    let user = projections::users::by_id(&app.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(User::from(&user)))
}
