//! User management by the admin.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{Body, Caller, OptBody, Path};
use super::openapi::{action, roles};
use crate::app::policy::Action;
use crate::app::schemas::RoleSchema;
use crate::app::views::{CompanyDetails, UserView};
use crate::app::App;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(block))
        .routes(routes!(unblock))
        .routes(routes!(set_company, clear_company))
}

/// Make a client's account a company's
///
/// With the company's name, tax id (INN) and contact person; the client's orders placed
/// from now on are companies' in the reports. A manager or an admin for any client, a
/// client for their own account.
#[utoipa::path(
    put,
    path = "/api/users/{id}/company",
    tag = "users",
    operation_id = "setCompany",
    extensions(("x-roles" = json!(roles(Action::SetCompany))), ("x-action" = json!(action(Action::SetCompany)))),
    params(("id" = Uuid, Path, description = "the client")),
    request_body = CompanyDetails,
    responses(
        (status = 200, description = "the client, a company's account", body = UserView),
        (status = 404, description = "no such user (or, for a client, not themselves)"),
        (status = 409, description = "the user is staff, not a client"),
        (status = 422, description = "an empty or too long name or contact person, or a tax id that is not an INN"),
    ),
)]
async fn set_company(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(body): Body<serde_json::Value>,
) -> Result<Json<UserView>, ApiError> {
    // The policy's no before the body's shape.
    caller.may(Action::SetCompany)?;
    let company: CompanyDetails = super::extract::shape(body)?;
    Ok(Json(
        app.set_company(&caller.ctx(), id, Some(&company)).await?,
    ))
}

/// Make a client's account an individual's again
#[utoipa::path(
    delete,
    path = "/api/users/{id}/company",
    tag = "users",
    operation_id = "clearCompany",
    extensions(("x-roles" = json!(roles(Action::SetCompany))), ("x-action" = json!(action(Action::SetCompany)))),
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "the client, an individual's account", body = UserView),
        (status = 404, description = "no such user (or, for a client, not themselves)"),
        (status = 409, description = "the user is staff, not a client"),
    ),
)]
async fn clear_company(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(app.set_company(&caller.ctx(), id, None).await?))
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
    extensions(("x-roles" = json!(roles(Action::ManageUsers))), ("x-action" = json!(action(Action::ManageUsers)))),
    request_body = NewUser,
    responses(
        (status = 201, description = "the new user", body = UserView),
        (status = 409, description = "a user with this email already exists"),
        (status = 422, description = "an unknown role, not an email address, an empty name or a bad password"),
    ),
)]
async fn create(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let user = app
        .create_account(&caller.ctx(), &b.email, &b.full_name, &b.role, &b.password)
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Every user
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "users",
    operation_id = "listUsers",
    extensions(("x-roles" = json!(roles(Action::ManageUsers))), ("x-action" = json!(action(Action::ManageUsers)))),
    responses((status = 200, description = "the user directory", body = Vec<UserView>)),
)]
async fn list(State(app): State<App>, caller: Caller) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(app.list_users(&caller.actor()).await?))
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
    extensions(("x-roles" = json!(roles(Action::ManageUsers))), ("x-action" = json!(action(Action::ManageUsers)))),
    params(("id" = Uuid, Path, description = "the user")),
    request_body = Option<BlockReason>,
    responses(
        (status = 200, description = "the user, now blocked", body = UserView),
        (status = 404, description = "no such user"),
        (status = 409, description = "already blocked, or an admin blocking themselves"),
    ),
)]
async fn block(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(body): OptBody<BlockReason>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(app.block_user(&caller.ctx(), id, body.reason).await?))
}

/// Unblock a user
#[utoipa::path(
    post,
    path = "/api/users/{id}/unblock",
    tag = "users",
    operation_id = "unblockUser",
    extensions(("x-roles" = json!(roles(Action::ManageUsers))), ("x-action" = json!(action(Action::ManageUsers)))),
    params(("id" = Uuid, Path, description = "the user")),
    responses(
        (status = 200, description = "the user, no longer blocked", body = UserView),
        (status = 404, description = "no such user"),
        (status = 409, description = "the user is not blocked"),
    ),
)]
async fn unblock(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(app.unblock_user(&caller.ctx(), id).await?))
}
