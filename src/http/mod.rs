//! The thin HTTP layer: handlers translate requests into commands and queries.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod authors;
pub mod catalogue;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod messages;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod payments;
pub mod payouts;
pub mod points;
pub mod purchases;
pub mod ready_works;
pub mod reports;
pub mod reviews;
pub mod settings;
pub mod shifts;
pub mod users;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;
use crate::config::Config;

/// The request's id: taken from `X-Request-Id` when the caller sent a sane one.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    // Every log line of the request carries its id (and the events it appends do, in
    // their metadata: `Ctx::request`).
    let span = tracing::info_span!("request", request_id = %id);
    let mut res = tracing::Instrument::instrument(next.run(req), span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// A read waits until the read models include every event committed before it, by any
/// instance ([`App::fence`]): commands answer without waiting for the projections, and
/// reads still see every answered command (health checks and metrics excepted: they must
/// not wait, and they measure the lag).
async fn fence_reads(
    axum::extract::State(app): axum::extract::State<App>,
    req: Request,
    next: Next,
) -> Response {
    let read = req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
    if read && !matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics") {
        app.fence().await;
    }
    next.run(req).await
}

/// The largest body of a request that is not an upload (JSON, a page's form): no command
/// needs more, and a body read whole (as JSON is, into a tree several times its size)
/// must not let anyone fill the memory with the uploads' allowance.
pub const MAX_SMALL_BODY: usize = 1024 * 1024;

/// Holds every body but a multipart upload's to [`MAX_SMALL_BODY`]: 413 at once when its
/// declared length is over, and a 413 from whatever reads it when it grows past.
async fn small_bodies(req: Request, next: Next) -> Response {
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        });
    if multipart {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_SMALL_BODY as u64) {
        return error::ApiError::PayloadTooLarge(format!(
            "a body other than an upload is at most {MAX_SMALL_BODY} bytes"
        ))
        .into_response();
    }
    next.run(req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, MAX_SMALL_BODY))))
        .await
}

/// The largest request body read: the largest upload plus room for the multipart framing.
pub fn body_limit(config: &Config) -> usize {
    config.max_upload_bytes + 64 * 1024
}

/// Every route, with the OpenAPI document of those routed through `routes!(…)`.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(orders::router())
        .merge(payments::router())
        .merge(authors::router())
        .merge(shifts::router())
        .merge(reports::router())
        .merge(payouts::router())
        .merge(settings::router())
        .merge(catalogue::router())
        .merge(audit::router())
        .merge(admin::router())
        .merge(reviews::router())
        .merge(messages::router())
        .merge(ready_works::router())
        .merge(purchases::router())
        .merge(points::router())
        .merge(openapi::router())
        .merge(ops::router())
}

/// The service's routes with their middleware (CORS when configured, security headers,
/// request id, metrics and the request's log line, idempotency keys, read fence, body
/// limit).
pub fn router(app: App) -> Router {
    let limit = body_limit(&app.config);
    let origins: std::sync::Arc<[String]> = app.config.cors_origins.clone().into();
    openapi::build();
    let (routes, _) = routes().split_for_parts();
    let router = routes
        .merge(crate::web::router(app.clone()))
        .fallback(|| async { error::ApiError::NoSuchEndpoint })
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(app.clone(), fence_reads))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            idempotency::idempotency,
        ))
        .layer(middleware::from_fn(small_bodies))
        .layer(middleware::from_fn_with_state(app.clone(), ops::observe))
        .layer(middleware::from_fn(request_id))
        .with_state(app);
    // CORS only for configured origins; the headers on every answer, preflights included.
    let router = if origins.is_empty() {
        router
    } else {
        router.layer(middleware::from_fn_with_state(origins, ops::cors))
    };
    router.layer(middleware::from_fn(ops::security_headers))
}
