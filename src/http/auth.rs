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
use crate::app::views::{CompanyDetails, UserView};
use crate::app::App;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(language))
        .routes(routes!(logout))
        .routes(routes!(change_password))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
}

/// A request for a password-reset link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    #[schema(format = Email)]
    pub email: String,
}

/// The one answer to every password-reset request.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ResetRequested {
    pub detail: String,
}

/// What every password-reset request is told, registered email or not.
pub const RESET_REQUESTED: &str =
    "if this email belongs to an account, a link to set a new password has been sent to it";

/// Ask for a password-reset link
///
/// For a registered, unblocked account, a mail with a one-time link to
/// `/reset-password?token=…`. The answer and its time are the same for any email.
#[utoipa::path(
    post,
    path = "/api/auth/password-reset",
    tag = "auth",
    operation_id = "requestPasswordReset",
    extensions(("x-roles" = json!(PUBLIC))),
    request_body = ResetRequest,
    responses(
        (status = 202, description = "the same answer whatever the email", body = ResetRequested),
        (status = 422, description = "not an email address"),
        (status = 429, description = "too many requests for this email or from this address: try again after `Retry-After` seconds", headers(("Retry-After" = i64, description = "seconds to wait"))),
    ),
)]
async fn request_password_reset(
    State(app): State<App>,
    super::extract::ClientAddr(address): super::extract::ClientAddr,
    Body(b): Body<ResetRequest>,
) -> Result<(StatusCode, Json<ResetRequested>), ApiError> {
    app.request_password_reset(&b.email, address).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ResetRequested {
            detail: RESET_REQUESTED.into(),
        }),
    ))
}

/// A new password with the token of a reset link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirmation {
    pub token: String,
    #[schema(min_length = 8, max_length = 256)]
    pub new_password: String,
}

/// Set a new password with a reset link
///
/// The link works once and until it expires; using it spends every other link of the
/// account, and every session of the account ends.
#[utoipa::path(
    post,
    path = "/api/auth/password-reset/confirm",
    tag = "auth",
    operation_id = "confirmPasswordReset",
    extensions(("x-roles" = json!(PUBLIC))),
    request_body = ResetConfirmation,
    responses(
        (status = 204, description = "the password is set; every session of the account has ended"),
        (status = 422, description = "the link is unknown, used or expired, or the password is too short, too long or too common"),
    ),
)]
async fn confirm_password_reset(
    State(app): State<App>,
    Body(b): Body<ResetConfirmation>,
) -> Result<StatusCode, ApiError> {
    app.confirm_password_reset(&b.token, &b.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Log out
///
/// Ends the session of the token sent: it no longer works, here or on the pages.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    operation_id = "logout",
    extensions(("x-roles" = json!(ANYONE))),
    responses((status = 204, description = "the token no longer works")),
)]
async fn logout(
    State(app): State<App>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    caller.may(crate::app::policy::Action::OwnAccount)?;
    if let Some(token) = super::extract::bearer_token(&headers) {
        app.log_out(token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A change of one's password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub old_password: String,
    #[schema(min_length = 8, max_length = 256)]
    pub new_password: String,
}

/// Change my password
///
/// With the current password. Every session of the caller ends (other devices are logged
/// out, a stolen token stops working); the answer is a new session for this caller.
#[utoipa::path(
    post,
    path = "/api/me/password",
    tag = "auth",
    operation_id = "changePassword",
    extensions(("x-roles" = json!(ANYONE))),
    request_body = PasswordChange,
    responses(
        (status = 200, description = "a new session; every earlier token of the caller no longer works", body = Session),
        (status = 422, description = "the current password is not right, or the new one is too short, too long, too common or the same"),
    ),
)]
async fn change_password(
    State(app): State<App>,
    caller: Caller,
    Body(body): Body<serde_json::Value>,
) -> Result<Json<Session>, ApiError> {
    caller.may(crate::app::policy::Action::OwnAccount)?;
    let b: PasswordChange = super::extract::shape(body)?;
    Ok(Json(
        app.change_password(&caller.ctx(), &b.old_password, &b.new_password)
            .await?,
    ))
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
    /// For a company's account: its details (left out or null: an individual's).
    #[serde(default)]
    pub company: Option<CompanyDetails>,
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
        (status = 422, description = "not an email address, an empty name, a password of fewer than 8 or more than 256 characters, or bad company details"),
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
            b.company.as_ref(),
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
        (status = 429, description = "too many failed log-ins to this account or from this address: try again after `Retry-After` seconds", headers(("Retry-After" = i64, description = "seconds to wait"))),
    ),
)]
async fn login(
    State(app): State<App>,
    super::extract::ClientAddr(address): super::extract::ClientAddr,
    Body(b): Body<Credentials>,
) -> Result<Json<Session>, ApiError> {
    Ok(Json(app.log_in_from(&b.email, &b.password, address).await?))
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
