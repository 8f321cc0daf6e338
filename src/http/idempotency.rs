//! `Idempotency-Key` on POST requests (API.md; docs/decisions/003-idempotency-keys.md).
//!
//! A POST carrying the header is fingerprinted (method, path, body) and claims its key in
//! `idempotency_keys`, scoped by the caller. The first request runs and its answer is
//! stored; a repeat of the same request gets that answer back (`Idempotency-Replayed:
//! true`) and runs nothing; the same key on another request is a 422; a repeat while the
//! first still runs is a 409. A 5xx answer releases the key so the client may retry.

use std::panic::AssertUnwindSafe;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Duration};
use futures::FutureExt as _;
use projections::args;
use sha2::{Digest, Sha256};
use tracing::Instrument as _;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{bearer_token, session_user};
use crate::app::App;

/// The request header that carries the key.
pub const KEY_HEADER: &str = "idempotency-key";
/// The answer header that marks a stored answer given back.
pub const REPLAYED_HEADER: &str = "idempotency-replayed";
/// An in-progress claim older than this is abandoned (its process died) and is taken over.
pub const CLAIM_TIMEOUT: Duration = Duration::seconds(60);
/// The scope of requests without a valid bearer token (sign-up, checkout without an account).
pub const ANONYMOUS_SCOPE: &str = "anonymous";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Paths whose answers are never stored, so a key on them is checked and otherwise ignored:
/// a log-in's answer is a live bearer token, which must not sit in plain text in a table
/// (only tokens' hashes are kept), and a log-in appends nothing to the log.
/// A password change answers with a new session's token too.
pub(super) const NEVER_STORED: &[&str] = &["/api/auth/login", "/api/me/password"];

/// The scope of a logged-in caller's keys.
pub fn user_scope(user_id: Uuid) -> String {
    format!("user:{user_id}")
}

/// The middleware: passes through everything but a POST with `Idempotency-Key`.
pub async fn idempotency(State(app): State<App>, req: Request, next: Next) -> Response {
    handle(app, req, next)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle(app: App, req: Request, next: Next) -> Result<Response, ApiError> {
    if req.method() != Method::POST {
        return Ok(next.run(req).await);
    }
    let Some(key) = key_of(req.headers())? else {
        return Ok(next.run(req).await);
    };
    if NEVER_STORED.contains(&req.uri().path()) {
        return Ok(next.run(req).await);
    }
    let scope = match bearer_token(req.headers()) {
        Some(token) => match session_user(&app, token).await? {
            Some(user) => user_scope(user),
            // An unknown, expired or ended token: the operation answers 401 itself (a key
            // must not turn that into a replay or a 422 for another request).
            None => return Ok(next.run(req).await),
        },
        // Without a token only a public operation runs; any other answers 401, whatever
        // key came with it.
        None if !public(&req) => return Ok(next.run(req).await),
        None => ANONYMOUS_SCOPE.to_string(),
    };

    let (parts, body) = req.into_parts();
    let limit = super::body_limit(&app.config);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let why = format!("the body could not be read (at most {limit} bytes are accepted): {e}");
        if e.to_string().contains("length limit") {
            ApiError::PayloadTooLarge(why)
        } else {
            ApiError::BadRequest(why)
        }
    })?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str());
    let fingerprint = fingerprint(parts.method.as_str(), path, content_type, &bytes).await;
    let req = Request::from_parts(parts, Body::from(bytes));

    // From the claim on, the request runs in its own task: a client that hangs up does not
    // cancel a command half-way, and the answer is still stored for the client's retry.
    let key = Key { scope, key };
    let task = tokio::spawn(claim_and_run(app, key, fingerprint, req, next).in_current_span());
    task.await
        .map_err(|e| ApiError::internal(format!("an idempotent request's task failed: {e}")))
}

/// Whether the request is for an operation the OpenAPI document says needs no token.
fn public(req: &Request) -> bool {
    req.extensions()
        .get::<axum::extract::MatchedPath>()
        .is_some_and(|p| super::openapi::is_public(req.method().as_str(), p.as_str()))
}

/// The key of the request: `None` without the header, 400 when it is malformed.
fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(KEY_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    if values.next().is_some()
        || bytes.is_empty()
        || bytes.len() > MAX_KEY_LEN
        || !bytes.iter().all(u8::is_ascii_graphic)
    {
        return Err(ApiError::BadRequest(format!(
            "the Idempotency-Key header must be sent once, as 1 to {MAX_KEY_LEN} visible ASCII characters"
        )));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// What a request is, for telling a repeat from another request with the same key: hex
/// SHA-256 over its method, path (with the query) and body. A `multipart/form-data` body
/// counts by its parts (names, file names, content types, contents), so a retry that
/// encodes the same upload with a new boundary is the same request.
pub async fn fingerprint(method: &str, path: &str, content_type: &str, body: &Bytes) -> String {
    let mut h = Sha256::new();
    field(&mut h, method.as_bytes());
    field(&mut h, path.as_bytes());
    match multipart_digest(content_type, body).await {
        Some(parts) => {
            field(&mut h, b"multipart");
            field(&mut h, &parts);
        }
        None => {
            field(&mut h, b"raw");
            field(&mut h, body);
        }
    }
    hex::encode(h.finalize())
}

/// Feeds one length-prefixed field, so that no two sequences of fields hash alike.
fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

fn opt_field(h: &mut Sha256, bytes: Option<&[u8]>) {
    match bytes {
        None => h.update([0]),
        Some(b) => {
            h.update([1]);
            field(h, b);
        }
    }
}

/// The digest of a multipart body's parts; `None` when it is not a readable multipart body.
async fn multipart_digest(content_type: &str, body: &Bytes) -> Option<Vec<u8>> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let body = body.clone();
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut h = Sha256::new();
    while let Some(part) = multipart.next_field().await.ok()? {
        opt_field(&mut h, part.name().map(str::as_bytes));
        opt_field(&mut h, part.file_name().map(str::as_bytes));
        let content_type = part.content_type().map(ToString::to_string);
        opt_field(&mut h, content_type.as_deref().map(str::as_bytes));
        field(&mut h, &part.bytes().await.ok()?);
    }
    Some(h.finalize().to_vec())
}

/// A key in its caller's scope.
struct Key {
    scope: String,
    key: String,
}

/// The outcome of claiming a key.
enum Claim {
    /// This request holds the claim (with this claim id) and runs.
    Mine(String),
    /// The first request's answer, to give back.
    Replay(Stored),
}

/// A stored answer.
struct Stored {
    status: StatusCode,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl IntoResponse for Stored {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body).into_response();
        let headers = res.headers_mut();
        headers.remove(header::CONTENT_TYPE);
        if let Some(ct) = self
            .content_type
            .and_then(|ct| HeaderValue::from_str(&ct).ok())
        {
            headers.insert(header::CONTENT_TYPE, ct);
        }
        headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        res
    }
}

async fn claim_and_run(
    app: App,
    key: Key,
    fingerprint: String,
    req: Request,
    next: Next,
) -> Response {
    let claim_id = match claim(&app, &key, &fingerprint).await {
        Ok(Claim::Mine(claim_id)) => claim_id,
        Ok(Claim::Replay(stored)) => return stored.into_response(),
        Err(e) => return e.into_response(),
    };
    let res = match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(res) => res,
        Err(_) => ApiError::internal("the handler panicked").into_response(),
    };
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            release(&app, &key, &claim_id).await;
            return ApiError::internal(format!("the answer could not be read: {e}"))
                .into_response();
        }
    };
    if parts.status.is_server_error() {
        // Nothing to keep: the client may retry with the same key.
        release(&app, &key, &claim_id).await;
    } else if let Err(e) = complete(&app, &key, &claim_id, &parts, &bytes).await {
        tracing::error!(
            error = %e,
            "an idempotent answer could not be stored; its key stays claimed until the claim times out"
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Claims the key for this request, or finds what the first request with it left.
async fn claim(app: &App, key: &Key, fingerprint: &str) -> Result<Claim, ApiError> {
    // A key released by a failed first request between our insert and our read is
    // simply tried again.
    for _ in 0..3 {
        let now = app.clock.now();
        let claim_id = Uuid::new_v4().to_string();
        let mut tx = app.db.begin().await?;
        let inserted = tx
            .execute(
                "INSERT INTO idempotency_keys \
                 (scope, key, fingerprint, state, claim_id, created_at, claimed_at) \
                 VALUES ($1, $2, $3, 'in_progress', $4, $5, $5) \
                 ON CONFLICT (scope, key) DO NOTHING",
                &args![
                    key.scope.as_str(),
                    key.key.as_str(),
                    fingerprint,
                    claim_id.as_str(),
                    now.to_rfc3339()
                ],
            )
            .await?;
        let row = if inserted == 1 {
            None
        } else {
            tx.fetch_optional(
                "SELECT fingerprint, state, claim_id, claimed_at, status, content_type, body, \
                 body_encoding FROM idempotency_keys WHERE scope = $1 AND key = $2",
                &args![key.scope.as_str(), key.key.as_str()],
            )
            .await?
        };
        tx.commit().await?;
        if inserted == 1 {
            return Ok(Claim::Mine(claim_id));
        }
        let Some(row) = row else {
            continue;
        };
        if row.text("fingerprint")? != fingerprint {
            return Err(ApiError::Unprocessable(
                "this Idempotency-Key was already used for another request (another method, \
                 path or body); use a new key for a new request"
                    .into(),
            ));
        }
        if row.text("state")? == "done" {
            return Ok(Claim::Replay(stored(&row)?));
        }
        let claimed_at = DateTime::parse_from_rfc3339(&row.text("claimed_at")?).map_err(|e| {
            ApiError::internal(format!("bad claimed_at of an idempotency key: {e}"))
        })?;
        if now.signed_duration_since(claimed_at) < CLAIM_TIMEOUT {
            return Err(ApiError::Conflict(
                "a request with this Idempotency-Key is still being processed; retry later".into(),
            ));
        }
        // Abandoned: take it over, unless another request just did.
        let taken = app
            .db
            .execute(
                "UPDATE idempotency_keys SET claim_id = $1, claimed_at = $2 \
                 WHERE scope = $3 AND key = $4 AND state = 'in_progress' AND claim_id = $5",
                &args![
                    claim_id.as_str(),
                    now.to_rfc3339(),
                    key.scope.as_str(),
                    key.key.as_str(),
                    row.text("claim_id")?
                ],
            )
            .await?;
        if taken == 1 {
            tracing::warn!(scope = %key.scope, key = %key.key, "took over an abandoned idempotency claim");
            return Ok(Claim::Mine(claim_id));
        }
    }
    Err(ApiError::Conflict(
        "a request with this Idempotency-Key is still being processed; retry later".into(),
    ))
}

/// The answer stored in a done row.
fn stored(row: &projections::Row) -> Result<Stored, ApiError> {
    let status = row
        .opt_int("status")?
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| ApiError::internal("a done idempotency key without a valid status"))?;
    let body = row.opt_text("body")?.unwrap_or_default();
    let body = match row.opt_text("body_encoding")?.as_deref() {
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| ApiError::internal(format!("bad stored idempotent answer: {e}")))?,
        _ => body.into_bytes(),
    };
    Ok(Stored {
        status,
        content_type: row.opt_text("content_type")?,
        body,
    })
}

/// Stores the answer and marks the key done, if this request still holds the claim.
///
/// Answers here are JSON or problem JSON, stored as text. A body that is not UTF-8 (or
/// holds a NUL, which PostgreSQL text refuses) is stored as base64 rather than left out:
/// an answer that is not stored would let a repeat run the request again.
async fn complete(
    app: &App,
    key: &Key,
    claim_id: &str,
    parts: &axum::http::response::Parts,
    bytes: &Bytes,
) -> Result<(), ApiError> {
    let (body, encoding) = match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => (text.to_string(), "utf-8"),
        _ => (
            base64::engine::general_purpose::STANDARD.encode(bytes),
            "base64",
        ),
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let stored = app
        .db
        .execute(
            "UPDATE idempotency_keys SET state = 'done', status = $1, content_type = $2, \
             body = $3, body_encoding = $4, completed_at = $5 \
             WHERE scope = $6 AND key = $7 AND claim_id = $8 AND state = 'in_progress'",
            &args![
                i64::from(parts.status.as_u16()),
                content_type,
                body,
                encoding,
                app.clock.now().to_rfc3339(),
                key.scope.as_str(),
                key.key.as_str(),
                claim_id
            ],
        )
        .await?;
    if stored == 0 {
        tracing::warn!(
            scope = %key.scope,
            key = %key.key,
            "an idempotent request finished after its claim was taken over; its answer is not stored"
        );
    }
    Ok(())
}

/// Deletes the claim (if still ours), so the key may be used again.
async fn release(app: &App, key: &Key, claim_id: &str) {
    let released = app
        .db
        .execute(
            "DELETE FROM idempotency_keys \
             WHERE scope = $1 AND key = $2 AND claim_id = $3 AND state = 'in_progress'",
            &args![key.scope.as_str(), key.key.as_str(), claim_id],
        )
        .await;
    if let Err(e) = released {
        tracing::error!(error = %e, scope = %key.scope, key = %key.key,
            "an idempotency claim could not be released; it is taken over after the timeout");
    }
}
