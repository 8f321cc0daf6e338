//! Sign-up, log-in and "who am I".

use aggregates::Role;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::{Body, Caller};
use crate::app::{App, Ctx};

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/me", get(me))
}

/// The public view of a user.
pub fn user_json(u: &projections::users::UserRow) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "full_name": u.full_name,
        "role": u.role,
        "blocked": u.blocked,
    })
}

#[derive(Deserialize)]
struct RegisterBody {
    email: String,
    password: String,
    full_name: String,
}

/// Extracts the request id without requiring a caller.
pub struct ReqId(pub String);

impl axum::extract::FromRequestParts<App> for ReqId {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, ApiError> {
        Ok(ReqId(super::extract::request_id(parts)))
    }
}

async fn register(
    State(app): State<App>,
    ReqId(request_id): ReqId,
    Body(b): Body<RegisterBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut ctx = Ctx::system(&request_id);
    // Self-registration is attributed to the new client once their id exists.
    ctx.actor.role = Role::Client;
    let id = app
        .create_user(&b.email, &b.full_name, Role::Client, &b.password, &ctx)
        .await?;
    let user = projections::users::by_id(&app.db, id)
        .await?
        .ok_or_else(|| ApiError::internal("registered user missing from the directory"))?;
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

async fn login(State(app): State<App>, Body(b): Body<LoginBody>) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({"token": token, "user": user_json(&user)})))
}

async fn me(caller: Caller) -> Json<Value> {
    Json(user_json(&caller.user))
}
