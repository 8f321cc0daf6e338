//! Sign-up, log-in and "who am I".

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::extract::{Body, Caller};
use super::openapi::{ANYONE, PUBLIC};
use crate::app::users::Session;
use crate::app::views::UserView;
use crate::app::App;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(language))
}

/// The language of one's mail and pages.
#[derive(Debug, serde::Serialize, Deserialize, ToSchema)]
pub struct LanguageChoice {
    /// `ru` (the default) or `en`.
    #[schema(value_type = crate::app::schemas::LanguageSchema)]
    pub language: String,
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
    /// The referral code of the client who invited them (`/register?ref=<code>`); a code
    /// that names no client is ignored.
    #[serde(default, rename = "ref")]
    #[schema(rename = "ref")]
    pub referral: Option<String>,
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
        (status = 201, description = "the new client", body = UserView),
        (status = 409, description = "a user with this email already exists"),
        (status = 422, description = "not an email address, an empty name, or a password of fewer than 8 or more than 256 characters"),
    ),
)]
async fn register(
    State(app): State<App>,
    ReqId(request_id): ReqId,
    Body(b): Body<Registration>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let user = app
        .register(
            &request_id,
            &b.email,
            &b.full_name,
            &b.password,
            b.referral.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// A log-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    pub email: String,
    pub password: String,
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
    Ok(Json(app.log_in(&b.email, &b.password).await?))
}

/// Who am I
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "auth",
    operation_id = "me",
    extensions(("x-roles" = json!(ANYONE))),
    responses((status = 200, description = "the caller", body = UserView)),
)]
async fn me(caller: Caller) -> Json<UserView> {
    Json(UserView::from(&caller.user))
}

/// Choose my language
///
/// The language of the caller's mail (and pages): `ru`, the default, or `en`.
#[utoipa::path(
    put,
    path = "/api/me/language",
    tag = "auth",
    operation_id = "chooseLanguage",
    extensions(("x-roles" = json!(ANYONE))),
    request_body = LanguageChoice,
    responses(
        (status = 200, description = "the language now", body = LanguageChoice),
        (status = 422, description = "neither ru nor en"),
    ),
)]
async fn language(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<LanguageChoice>,
) -> Result<Json<LanguageChoice>, ApiError> {
    let language = app.choose_language(&caller.ctx(), &b.language).await?;
    Ok(Json(LanguageChoice { language }))
}
