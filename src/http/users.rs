//! User management by the admin.

use aggregates::user::UserCommand;
use aggregates::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::auth::user_json;
use super::error::ApiError;
use super::extract::{Body, Caller, OptBody, Path};
use crate::app::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/users", post(create).get(list))
        .route("/api/users/{id}/block", post(block))
        .route("/api/users/{id}/unblock", post(unblock))
}

#[derive(Deserialize)]
struct CreateBody {
    email: String,
    full_name: String,
    role: String,
    password: String,
}

async fn create(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(&[Role::Admin])?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| ApiError::Unprocessable(format!("unknown role {:?}", b.role)))?;
    let id = app
        .create_user(&b.email, &b.full_name, role, &b.password, &caller.ctx())
        .await?;
    let user = projections::users::by_id(&app.db, id)
        .await?
        .ok_or_else(|| ApiError::internal("created user missing from the directory"))?;
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

async fn list(State(app): State<App>, caller: Caller) -> Result<Json<Vec<Value>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let users = projections::users::list(&app.db, None).await?;
    Ok(Json(users.iter().map(user_json).collect()))
}

#[derive(Deserialize, Default)]
struct BlockBody {
    #[serde(default)]
    reason: String,
}

async fn block(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(body): OptBody<BlockBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Admin])?;
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

async fn unblock(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Admin])?;
    app.user(
        id,
        UserCommand::Unblock { by: caller.user.id },
        &caller.ctx(),
    )
    .await?;
    respond(&app, id).await
}

async fn respond(app: &App, id: Uuid) -> Result<Json<Value>, ApiError> {
    let user = projections::users::by_id(&app.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(user_json(&user)))
}
