//! One error type for every handler, answered as `application/problem+json`.

use aggregates::user::UserError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An error, as `application/problem+json` (RFC 9457).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// What kind of error: a URI naming it.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
}

use crate::app::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or a parameter could not be read at all.
    #[error("{0}")]
    BadRequest(String),
    #[error("not logged in")]
    Unauthorized,
    /// A signed request (the payment provider's) whose signature does not hold.
    #[error("{0}")]
    BadSignature(String),
    #[error("{0}")]
    Forbidden(String),
    /// Unknown, or not the caller's to see.
    #[error("not found")]
    NotFound,
    /// No route has this path: the router's fallback, told apart from an unknown resource.
    #[error("no such endpoint")]
    NoSuchEndpoint,
    /// The path exists, but not with this method.
    #[error("this endpoint does not take this method")]
    MethodNotAllowed,
    /// Not allowed in the current state.
    #[error("{0}")]
    Conflict(String),
    /// A value out of range.
    #[error("{0}")]
    Unprocessable(String),
    /// Too many tries: again after this many seconds (`Retry-After`).
    #[error("{1}")]
    TooManyRequests(i64, String),
    /// A body larger than the service reads (the upload limit).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// An upload of a type the service does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Anything else: logged in full, answered with a generic body.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NoSuchEndpoint => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "request failed");
                "something went wrong on our side; nothing was changed".to_string()
            }
            other => other.to_string(),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let slug = title.to_lowercase().replace(' ', "-");
        let body = Problem {
            kind: format!("https://scriptorium.example/problems/{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail,
        };
        let body = serde_json::to_string(&body).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyRequests(seconds, _) = self {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(seconds.max(1)),
            );
        }
        res
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// The one mapping of the application's errors to answers.
impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Order(e) if e.is_not_found() => ApiError::NotFound,
            AppError::Order(e) if e.is_invalid_value() => ApiError::Unprocessable(e.to_string()),
            AppError::Order(e) => ApiError::Conflict(e.to_string()),
            AppError::User(UserError::NotFound) => ApiError::NotFound,
            AppError::User(e) if e.is_invalid_value() => ApiError::Unprocessable(e.to_string()),
            AppError::User(e) => ApiError::Conflict(e.to_string()),
            AppError::Author(e) if e.is_invalid_value() => ApiError::Unprocessable(e.to_string()),
            AppError::Author(e) => ApiError::Conflict(e.to_string()),
            AppError::Account(e) if e.is_invalid_value() => ApiError::Unprocessable(e.to_string()),
            AppError::Account(e) => ApiError::Conflict(e.to_string()),
            AppError::Points(e) if e.is_invalid_value() => ApiError::Unprocessable(e.to_string()),
            AppError::Points(e) => ApiError::Conflict(e.to_string()),
            AppError::Settings(e) => ApiError::Unprocessable(e.to_string()),
            AppError::Catalogue(e) if e.is_not_found() => ApiError::NotFound,
            AppError::Catalogue(e) => ApiError::Unprocessable(e.to_string()),
            AppError::Shift(e) if e.is_invalid_value() => ApiError::Unprocessable(e.to_string()),
            AppError::Shift(e) => ApiError::Conflict(e.to_string()),
            AppError::ReadyWork(e) if e.is_not_found() => ApiError::NotFound,
            AppError::ReadyWork(e) if e.is_invalid_value() => {
                ApiError::Unprocessable(e.to_string())
            }
            AppError::ReadyWork(e) => ApiError::Conflict(e.to_string()),
            AppError::Purchase(e) if e.is_not_found() => ApiError::NotFound,
            AppError::Purchase(e) if e.is_invalid_value() => ApiError::Unprocessable(e.to_string()),
            AppError::Purchase(e) => ApiError::Conflict(e.to_string()),
            AppError::NotFound => ApiError::NotFound,
            AppError::BadCredentials => ApiError::Unauthorized,
            e @ (AppError::TooManyAttempts(seconds) | AppError::TooManyResets(seconds)) => {
                ApiError::TooManyRequests(seconds, e.to_string())
            }
            AppError::TooLarge(why) => ApiError::PayloadTooLarge(why),
            AppError::UnsupportedType(why) => ApiError::UnsupportedMediaType(why),
            AppError::BadSignature(e) => ApiError::BadSignature(e.to_string()),
            AppError::Forbidden(why) => ApiError::Forbidden(why),
            AppError::Invalid(why) => ApiError::Unprocessable(why),
            AppError::Conflict(why) => ApiError::Conflict(why),
            e @ AppError::LostRace(_) => ApiError::Conflict(e.to_string()),
            e @ AppError::Behind => ApiError::Conflict(e.to_string()),
            AppError::Infrastructure(e) => ApiError::Internal(e),
        }
    }
}
