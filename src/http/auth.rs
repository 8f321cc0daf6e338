//! Sign-up, log-in and "who am I".

use aggregates::Role;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{Body, Caller};
use super::openapi::{RoleSchema, ANYONE, PUBLIC};
use crate::app::{App, Ctx};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(me))
}

/// The public view of a user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    #[schema(format = Email)]
    pub email: String,
    pub full_name: String,
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    /// A blocked user can neither log in nor use a token issued before.
    pub blocked: bool,
}

impl From<&projections::users::UserRow> for User {
    fn from(u: &projections::users::UserRow) -> User {
        User {
            id: u.id,
            email: u.email.clone(),
            full_name: u.full_name.clone(),
            role: u.role,
            blocked: u.blocked,
        }
    }
}

/// A sign-up.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Registration {
    #[schema(format = Email)]
    pub email: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    #[schema(min_length = 1)]
    pub full_name: String,
}

/// Extracts the request id without requiring a caller.
pub struct ReqId(pub String);

impl axum::extract::FromRequestParts<App> for ReqId {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, ApiError> {
        Ok(ReqId(super::extract::request_id(parts)))
    }
}

/// Sign up as a client
#[utoipa::path(
    post,
    path = "/api/auth/register",
    tag = "auth",
    operation_id = "register",
    extensions(("x-roles" = json!(PUBLIC))),
    request_body = Registration,
    responses(
        (status = 201, description = "the new client", body = User),
        (status = 409, description = "a user with this email already exists"),
        (status = 422, description = "not an email address, an empty name, or a password of fewer than 8 or more than 256 characters"),
    ),
)]
async fn register(
    State(app): State<App>,
    ReqId(request_id): ReqId,
    Body(b): Body<Registration>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let mut ctx = Ctx::system(&request_id);
    // Self-registration is attributed to the new client once their id exists.
    ctx.actor.role = Role::Client;
    let id = app
        .create_user(&b.email, &b.full_name, Role::Client, &b.password, &ctx)
        .await?;
    let user = projections::users::by_id(&app.db, id)
        .await?
        .ok_or_else(|| ApiError::internal("registered user missing from the directory"))?;
    Ok((StatusCode::CREATED, Json(User::from(&user))))
}

/// A log-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// A new session: its bearer token and whose it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    /// For `Authorization: Bearer <token>`.
    pub token: String,
    pub user: User,
}

/// Log in
///
/// Returns a bearer token for `Authorization: Bearer <token>`. An Idempotency-Key is
/// accepted but the answer (a live token) is never stored.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    operation_id = "login",
    extensions(("x-roles" = json!(PUBLIC))),
    request_body = Credentials,
    responses(
        (status = 200, description = "a new session", body = Session),
        (status = 401, description = "unknown email or wrong password"),
        (status = 403, description = "the account is blocked"),
    ),
)]
async fn login(
    State(app): State<App>,
    Body(b): Body<Credentials>,
) -> Result<Json<Session>, ApiError> {
    let bad = || ApiError::Unauthorized;
    let email = b.email.trim().to_lowercase();
    let row = app
        .db
        .fetch_optional(
            "SELECT user_id, password_hash FROM credentials WHERE email = $1",
            &projections::args![email],
        )
        .await?
        .ok_or_else(bad)?;
    if !crate::auth::verify_password(b.password, row.text("password_hash")?).await {
        return Err(bad());
    }
    let user = projections::users::by_id(&app.db, row.uuid("user_id")?)
        .await?
        .ok_or_else(bad)?;
    if user.blocked {
        return Err(ApiError::Forbidden("this account is blocked".into()));
    }
    let token = crate::auth::new_token();
    let now = app.clock.now();
    app.db
        .execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &projections::args![
                crate::auth::token_hash(&token),
                user.id,
                now.to_rfc3339(),
                (now + app.config.token_ttl).to_rfc3339()
            ],
        )
        .await?;
    Ok(Json(Session {
        token,
        user: User::from(&user),
    }))
}

/// Who am I
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "auth",
    operation_id = "me",
    extensions(("x-roles" = json!(ANYONE))),
    responses((status = 200, description = "the caller", body = User)),
)]
async fn me(caller: Caller) -> Json<User> {
    Json(User::from(&caller.user))
}
