//! Offers that run out pass to the next author by rating, automatically.

use aggregates::order::{NextOffer, OrderCommand};
use uuid::Uuid;

use crate::app::AppError;
use crate::app::{App, Ctx};

/// Orders looked at per round.
const ROUND: i64 = 100;

/// Expires every offer past its time, offering each order to the next eligible author in
/// the same command (or returning it to `new` when nobody is left). Returns how many
/// offers it expired. An order whose state moved on meanwhile (accepted, already expired)
/// is refused by the aggregate and skipped.
pub async fn expire_offers(app: &App) -> Result<usize, AppError> {
    let now = app.clock.now();
    // The table must include every offer made (and answered) so far.
    app.fence().await;
    let due = app
        .db
        .fetch_all(
            "SELECT id FROM order_list WHERE status = 'offered' AND offer_expires_at <= $1 \
             ORDER BY offer_expires_at, number LIMIT $2",
            &projections::args![now.to_rfc3339(), ROUND],
        )
        .await?;
    let mut expired = 0;
    for row in due {
        let id: Uuid = row.uuid("id")?;
        let next = crate::offers::choose_author(app, id)
            .await?
            .map(|author_id| NextOffer {
                author_id,
                expires_at: now + app.config.offer_ttl,
            });
        let cmd = OrderCommand::ExpireOffer { at: now, next };
        let ctx = Ctx::system(&format!("offer-expiry-{id}"));
        match app.order(id, cmd, &ctx).await {
            Ok(()) => {
                expired += 1;
                tracing::info!(order = %id, next = ?next.map(|n| n.author_id), "offer expired");
            }
            // Accepted, declined or expired in the meantime: nothing to do.
            Err(AppError::Conflict(reason)) => {
                tracing::debug!(order = %id, %reason, "offer no longer due");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}
