//! `POST /api/orders/{id}/refunds`: a manager refunds a failed order, in one or more
//! parts, and may compensate its author.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::payments::NewRefund;
use crate::app::policy::Action;
use crate::app::views::RefundMade;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// A refund of (part of) what the client paid.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewRefund)]
pub(crate) struct RefundBody {
    /// Kopecks given back; with the refunds before, at most what was paid.
    #[schema(minimum = 1)]
    amount: i64,
    /// Why; kept in the log and shown to the client. (Read as empty when left out, and
    /// refused as such.)
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    reason: String,
    /// Kopecks paid to the order's author for the work done: at most their fee, once
    /// per order.
    #[schema(minimum = 1)]
    compensation: Option<i64>,
}

/// Refund a failed order
///
/// Only for a failed (cancelled) order, at most what was paid over all its refunds; with
/// `compensation`, the author is granted that much of their fee for the work done
/// (their ledger credits it).
#[utoipa::path(
    post,
    path = "/api/orders/{id}/refunds",
    tag = "orders",
    operation_id = "recordRefund",
    extensions(("x-roles" = json!(roles(Action::RecordRefund))), ("x-action" = json!(action(Action::RecordRefund)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = RefundBody,
    responses(
        (status = 201, description = "the refund, with the order's totals after it", body = RefundMade),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "the order has not failed, the refunds would be above what was paid, or a compensation above the author's fee, a second one, or for an order without an author"),
        (status = 422, description = "an amount or a compensation that is not positive, or an empty reason"),
    ),
)]
pub(super) async fn refund(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<RefundBody>,
) -> Result<(StatusCode, Json<RefundMade>), ApiError> {
    let refund = NewRefund {
        amount: b.amount,
        reason: b.reason,
        compensation: b.compensation,
    };
    let made = app.record_refund(&caller.ctx(), id, refund).await?;
    Ok((StatusCode::CREATED, Json(made)))
}
