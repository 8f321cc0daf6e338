//! Extractors: the authenticated caller, and JSON bodies whose rejections are problems.

use aggregates::{Actor, Role};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use projections::users::UserRow;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::error::ApiError;
use super::RequestId;
use crate::app::{App, Ctx};

/// A logged-in, unblocked user making this request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRow,
    pub request_id: String,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::new(self.user.id, self.user.role)
    }

    pub fn ctx(&self) -> Ctx {
        Ctx::request(self.actor(), &self.request_id)
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// 403 unless the access policy lets the caller do `action`.
    pub fn may(&self, action: crate::app::policy::Action) -> Result<(), ApiError> {
        Ok(crate::app::policy::authorize(&self.actor(), action)?)
    }
}

pub fn request_id(parts: &Parts) -> String {
    parts
        .extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The bearer token of a request, if it sent one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The user id of a live session with this token (blocked or not), if there is one.
pub async fn session_user(app: &App, token: &str) -> Result<Option<Uuid>, ApiError> {
    let row = app
        .db
        .fetch_optional(
            "SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2",
            &projections::args![crate::auth::token_hash(token), app.clock.now().to_rfc3339()],
        )
        .await?;
    Ok(row.map(|r| r.uuid("user_id")).transpose()?)
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Caller, ApiError> {
        let token = bearer_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let user = app
            .sessions
            .user(
                &app.db,
                &crate::auth::token_hash(token),
                &app.clock.now().to_rfc3339(),
            )
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if user.blocked {
            return Err(ApiError::Forbidden("this account is blocked".into()));
        }
        Ok(Caller {
            user,
            request_id: request_id(parts),
        })
    }
}

/// The caller when the request sent a token (an invalid, expired or blocked one is
/// refused as by [`Caller`]); `None` when it sent none (checkout without registration).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<App> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<MaybeCaller, ApiError> {
        if parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .is_none()
        {
            return Ok(MaybeCaller(None));
        }
        Caller::from_request_parts(parts, app)
            .await
            .map(|c| MaybeCaller(Some(c)))
    }
}

/// A body axum could not read, as a problem: 413 when over the body limit, else 400.
fn rejected(status: axum::http::StatusCode, text: String) -> ApiError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("the body is larger than the service takes: {text}"))
    } else {
        ApiError::BadRequest(text)
    }
}

/// A JSON body; anything unreadable is a 400 problem (413 when too large), never axum's
/// plain-text answer.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => {
                check_texts(&v)?;
                shape(v).map(Body)
            }
            Err(e) => Err(rejected(e.status(), e.body_text())),
        }
    }
}

/// JSON does not tell `1` from `1.0`: a number with no fraction is an integer wherever the
/// document says one (serde would refuse `1.0` for an `i64`). Only numbers a double holds
/// exactly (|n| ≤ 2^53) are read so; a larger or fractional one stays what it is, and is
/// refused where an integer is asked for.
pub fn integral_numbers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// The longest string any JSON body may hold, in characters: above every field's own
/// limit (a topic's 500, a message's 4000), so that no text of any route is unbounded.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// 422 when a string of the body (a value or a key, at any depth) is longer than
/// [`MAX_TEXT_CHARS`].
pub fn check_texts(v: &serde_json::Value) -> Result<(), ApiError> {
    use serde_json::Value;
    let too_long = |s: &str| s.len() > MAX_TEXT_CHARS && s.chars().count() > MAX_TEXT_CHARS;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if too_long(s) => {
                return Err(ApiError::Unprocessable(format!(
                    "a text is longer than {MAX_TEXT_CHARS} characters"
                )))
            }
            Value::Array(items) => stack.extend(items),
            Value::Object(m) => {
                if m.keys().any(|k| too_long(k)) {
                    return Err(ApiError::Unprocessable(format!(
                        "a text is longer than {MAX_TEXT_CHARS} characters"
                    )));
                }
                stack.extend(m.values());
            }
            _ => {}
        }
    }
    Ok(())
}

/// A JSON body read as a [`serde_json::Value`] first, so the access policy can say no
/// before its shape is judged, then as `T`: unreadable is the same 400 as [`Body`]'s.
pub fn shape<T: DeserializeOwned>(mut body: serde_json::Value) -> Result<T, ApiError> {
    integral_numbers(&mut body);
    serde_json::from_value(body).map_err(|e| {
        ApiError::BadRequest(format!(
            "Failed to deserialize the JSON body into the target type: {e}"
        ))
    })
}

/// A JSON body that may be absent: an empty body reads as `T::default()`.
pub struct OptBody<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptBody(T::default()));
        }
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::BadRequest(format!("the body is not valid JSON for this request: {e}"))
        })?;
        check_texts(&v)?;
        integral_numbers(&mut v);
        serde_json::from_value(v).map(OptBody).map_err(|e| {
            ApiError::BadRequest(format!("the body is not valid JSON for this request: {e}"))
        })
    }
}

/// A path parameter; one that cannot be an id (not a UUID) names nothing: 404 problem.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_| ApiError::NotFound)
    }
}

/// The client's address: the TCP peer, when the service is served with it (not through
/// a test's in-process router).
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::integral_numbers;

    #[test]
    fn a_number_without_a_fraction_reads_as_an_integer_and_no_other() {
        let mut v = json!({"price": 250000.0, "pages": [12.0, 1.5], "big": 1e300, "n": -3.0});
        integral_numbers(&mut v);
        assert_eq!(
            v,
            json!({"price": 250000, "pages": [12, 1.5], "big": 1e300, "n": -3})
        );
        assert!(v["price"].is_i64() && v["pages"][0].is_i64() && v["n"].is_i64());
        assert!(v["pages"][1].is_f64() && v["big"].is_f64());
    }
}
