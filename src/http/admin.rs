//! The admin's view of the mail outbox (API.md): `GET /api/admin/outbox?status=` and
//! `POST /api/admin/outbox/{id}/retry`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::extract::{Caller, Path};
use super::openapi::{action, roles};
use crate::app::outbox::OutboxItem;
use crate::app::policy::Action;
use crate::app::App;

/// The outbox routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(outbox))
        .routes(routes!(retry))
}

/// Which mails to list, for the document ([`outbox`] reads them by hand, so that a bad
/// value gets a precise 422).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct OutboxParams {
    /// `pending`, `failed` or `sent`; none: every mail.
    #[param(value_type = Option<String>, pattern = "^(pending|failed|sent)$")]
    status: Option<String>,
    /// At most this many, newest first (1..1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

/// The mail outbox
///
/// What the service owes by email: pending mails with their attempts and last error,
/// failed ones (10 attempts) waiting for a retry, and sent ones. Newest first.
#[utoipa::path(
    get,
    path = "/api/admin/outbox",
    tag = "admin",
    operation_id = "listOutbox",
    extensions(("x-roles" = json!(roles(Action::ReadOutbox))), ("x-action" = json!(action(Action::ReadOutbox)))),
    params(OutboxParams),
    responses(
        (status = 200, description = "the mails, newest first", body = Vec<OutboxItem>),
        (status = 422, description = "an unknown status, or a limit outside 1..1000"),
    ),
)]
async fn outbox(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<OutboxItem>>, ApiError> {
    let limit = params
        .get("limit")
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| ApiError::Unprocessable("limit must be a number".into()))
        })
        .transpose()?;
    let status = params.get("status").map(String::as_str);
    Ok(Json(app.list_outbox(&caller.ctx(), status, limit).await?))
}

/// Send a mail again
///
/// A failed mail (or one still waiting) is sent now, with a fresh run of attempts.
#[utoipa::path(
    post,
    path = "/api/admin/outbox/{id}/retry",
    tag = "admin",
    operation_id = "retryMail",
    extensions(("x-roles" = json!(roles(Action::RetryMail))), ("x-action" = json!(action(Action::RetryMail)))),
    params(("id" = i64, Path, description = "the mail")),
    responses(
        (status = 200, description = "the mail, pending again", body = OutboxItem),
        (status = 404, description = "no such mail"),
        (status = 409, description = "the mail has been sent already"),
    ),
)]
async fn retry(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OutboxItem>, ApiError> {
    // The id is read after the policy's yes: a non-admin is refused whatever they name.
    Ok(Json(app.retry_mail(&caller.ctx(), &id).await?))
}
