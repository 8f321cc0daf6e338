//! `POST /api/payouts`: the payout clerk records a payout to an author.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::ledger::{NewPayout, PayoutView};
use crate::app::policy::Action;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller};
use crate::http::openapi::{action, roles};

/// A payout to an author.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewPayout)]
pub(crate) struct PayoutBody {
    /// The author (their user id).
    author_id: Uuid,
    /// Kopecks, positive, at most the author's balance.
    #[schema(minimum = 1)]
    amount: i64,
    /// The payout clerk's reference of the transfer (trimmed); the same again is the same
    /// payout.
    #[schema(min_length = 1, max_length = 200)]
    reference: String,
}

/// Record a payout
///
/// The author's account refuses a payout above its balance. The same `reference` with the
/// same amount again records nothing and answers the first payout (200 instead of 201);
/// with another amount it is refused (409).
#[utoipa::path(
    post,
    path = "/api/payouts",
    tag = "payouts",
    operation_id = "recordPayout",
    extensions(("x-roles" = json!(roles(Action::RecordPayout))), ("x-action" = json!(action(Action::RecordPayout)))),
    request_body = PayoutBody,
    responses(
        (status = 201, description = "the payout recorded, with the author's new balance", body = PayoutView),
        (status = 200, description = "the payout of this reference, recorded before", body = PayoutView),
        (status = 404, description = "unknown user, or not an author"),
        (status = 409, description = "above the author's balance, or the reference used for another amount"),
        (status = 422, description = "an amount that is not positive, or an empty reference or one of more than 200 characters"),
    ),
)]
pub(super) async fn record(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<PayoutBody>,
) -> Result<(StatusCode, Json<PayoutView>), ApiError> {
    let payout = NewPayout {
        author_id: b.author_id,
        amount: b.amount,
        reference: b.reference,
    };
    let (view, recorded) = app.record_payout(&caller.ctx(), payout).await?;
    let status = if recorded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ledger::MAX_REFERENCE_CHARS;
    use utoipa::PartialSchema;

    #[test]
    fn the_documented_reference_limit_is_the_one_checked() {
        let schema = serde_json::to_value(PayoutBody::schema()).unwrap();
        assert_eq!(
            schema["properties"]["reference"]["maxLength"],
            MAX_REFERENCE_CHARS
        );
    }
}
