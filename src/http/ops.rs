//! What every answer gets, and `GET /metrics` (decision 029): the security headers, CORS
//! for the configured origins only, and each request counted, timed and logged with its
//! route template, status and request id.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::openapi::PUBLIC;
use super::RequestId;
use crate::app::App;
use crate::metrics::{
    COMMIT_BATCHES, COMMIT_COMMANDS, HTTP_DURATION, HTTP_REQUESTS, OUTBOX_MAILS,
    OUTBOX_OLDEST_DUE_SECONDS, PROJECTION_LAG_EVENTS, PROJECTION_LAG_SECONDS,
};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// The headers every answer carries unless it set its own (the pages set a CSP of their
/// own, with their styles and images): nothing here may be framed, sniffed into another
/// type, or leak its address to another site.
const HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
];

/// Adds [`HEADERS`] to every answer, keeping those an answer set itself.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in HEADERS {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    res
}

/// What a cross-origin caller may send and read.
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key, x-request-id";
const EXPOSE_HEADERS: &str = "x-request-id, idempotency-replayed, retry-after, location";

/// CORS for the origins of `SCRIPTORIUM_CORS_ORIGINS` (only added when there are some):
/// a preflight from one of them is answered 204 with what it may send; its other requests
/// get its origin echoed. Any other origin gets no CORS header (its preflight goes on to
/// the router, which has no `OPTIONS` route). No credentials: the API's token travels in
/// `Authorization`, and the pages' cookie is never offered to another origin.
pub async fn cors(
    State(origins): State<std::sync::Arc<[String]>>,
    req: Request,
    next: Next,
) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| {
            o.to_str()
                .is_ok_and(|o| origins.iter().any(|a| a.eq_ignore_ascii_case(o)))
        })
        .cloned();
    let Some(origin) = origin else {
        let mut res = next.run(req).await;
        vary_origin(res.headers_mut());
        return res;
    };
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        vary_origin(h);
        return res;
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    vary_origin(h);
    res
}

/// The answer depends on `Origin` (a cache must not serve one origin's to another).
fn vary_origin(h: &mut HeaderMap) {
    h.append(header::VARY, HeaderValue::from_static("origin"));
}

/// Counts and times every request by its route template (`/api/orders/{id}`, never the
/// path itself: one series per route, whatever the ids) and status, and logs it with its
/// request id. Runs after routing, where the template is known; an unrouted request is
/// `unmatched`.
pub async fn observe(State(app): State<App>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    // Any token is a method to HTTP: only the standard ones are labels of their own, so
    // made-up methods cannot grow the series without end.
    let method = match method.as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "OTHER",
    };
    let status = res.status().as_u16();
    app.metrics.record(|| {
        metrics::counter!(
            HTTP_REQUESTS,
            "method" => method.to_string(),
            "route" => route.clone(),
            "status" => status.to_string()
        )
        .increment(1);
        metrics::histogram!(HTTP_DURATION, "method" => method.to_string(), "route" => route.clone())
            .record(elapsed.as_secs_f64());
    });
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        millis = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    res
}

// The answer's body as the document describes it.
/// Prometheus' text exposition format (version 0.0.4).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[expect(dead_code, reason = "only describes the body in the OpenAPI document")]
pub(crate) struct MetricsText(String);

/// Metrics
///
/// The service's metrics in Prometheus' text format: requests by route template and
/// status, their latency histograms, events appended by aggregate type, worker errors,
/// and, measured at each scrape, the projections' lag and the mail outbox's backlog.
/// Public unless `SCRIPTORIUM_METRICS_TOKEN` is set; then its bearer token is required.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    extensions(("x-roles" = json!(PUBLIC))),
    responses(
        (status = 200, description = "the metrics, as Prometheus text (version 0.0.4)", body = inline(MetricsText), content_type = "text/plain"),
        (status = 401, description = "SCRIPTORIUM_METRICS_TOKEN is set and the request does not carry it"),
    ),
)]
async fn metrics(State(app): State<App>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = &app.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
            return Err(ApiError::Unauthorized);
        }
    }
    // The gauges are measured now; a database that does not answer leaves them as they
    // were (and `/readyz` says so).
    match app.projection_lag().await {
        Ok(lag) => app.metrics.record(|| {
            metrics::gauge!(PROJECTION_LAG_EVENTS).set(lag.events as f64);
            metrics::gauge!(PROJECTION_LAG_SECONDS).set(lag.seconds as f64);
        }),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot measure the projections' lag"),
    }
    let (batches, commands) = app.order_repo.committer().totals();
    app.metrics.record(|| {
        metrics::counter!(COMMIT_BATCHES).absolute(batches);
        metrics::counter!(COMMIT_COMMANDS).absolute(commands);
    });
    match app.outbox_backlog().await {
        Ok(b) => app.metrics.record(|| {
            metrics::gauge!(OUTBOX_MAILS, "status" => "pending").set(b.pending as f64);
            metrics::gauge!(OUTBOX_MAILS, "status" => "failed").set(b.failed as f64);
            metrics::gauge!(OUTBOX_OLDEST_DUE_SECONDS).set(b.oldest_due_seconds as f64);
        }),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox"),
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response())
}

/// Compares two secrets in time that does not depend on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
