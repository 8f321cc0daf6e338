//! The offer-expiry worker: offers that run out pass to the next author by rating,
//! automatically.

use std::time::Duration;

use aggregates::order::{NextOffer, OrderCommand};
use async_trait::async_trait;
use uuid::Uuid;

use super::{Round, Worker};
use crate::app::{App, AppError, Ctx};

/// Orders looked at per round.
const ROUND: i64 = 100;

/// Expires every offer past its time, each round (`process:offers`).
pub struct OfferExpiry;

#[async_trait]
impl Worker for OfferExpiry {
    fn name(&self) -> &'static str {
        "offers"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(1)
    }

    async fn run_once(&self, app: &App) -> Result<Round, AppError> {
        let r = expire_due(app).await?;
        Ok(Round {
            handled: r.expired,
            // A full page that moved: the rest follows at once.
            more: r.looked_at as i64 >= ROUND && r.expired > 0,
        })
    }
}

/// What became of one order's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The order took the command: the offer ended (and the next one began).
    Expired,
    /// The order refused: its state moved on meanwhile (accepted, declined, already
    /// expired). Nothing to do, ever.
    NoLongerDue,
    /// The order kept changing under the command, through every retry: still due,
    /// tried again next round.
    LostRace,
}

/// Sorts a command's result: a refusal is [`Outcome::NoLongerDue`], a lost race is
/// [`Outcome::LostRace`], any other error (the database, a decode) is the round's.
pub fn classify(result: Result<(), AppError>) -> Result<Outcome, AppError> {
    match result {
        Ok(()) => Ok(Outcome::Expired),
        Err(AppError::LostRace(_)) => Ok(Outcome::LostRace),
        Err(e) if e.is_refusal() => Ok(Outcome::NoLongerDue),
        Err(e) => Err(e),
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expiry {
    /// Orders due when the round began.
    pub looked_at: usize,
    pub expired: usize,
    pub no_longer_due: usize,
    /// Orders whose command lost every race: left for the next round.
    pub lost_races: Vec<Uuid>,
}

/// Expires every offer past its time; returns how many it expired.
pub async fn expire_offers(app: &App) -> Result<usize, AppError> {
    Ok(expire_due(app).await?.expired)
}

/// Expires every offer past its time (up to [`ROUND`] of them), offering each order to
/// the next eligible author in the same command (or returning it to `new` when nobody is
/// left). Each command is caused by the offer it ends (`event:<position>` of its
/// `AuthorOffered`).
pub async fn expire_due(app: &App) -> Result<Expiry, AppError> {
    let now = app.clock.now();
    // The table must include every offer made (and answered) so far.
    app.fence_for_decision().await?;
    let due = app
        .db
        .fetch_all(
            "SELECT id FROM order_list WHERE status = 'offered' AND offer_expires_at <= $1 \
             ORDER BY offer_expires_at, number LIMIT $2",
            &projections::args![now.to_rfc3339(), ROUND],
        )
        .await?;
    let ttl = app.offer_ttl().await?;
    let mut round = Expiry {
        looked_at: due.len(),
        ..Expiry::default()
    };
    for row in due {
        let id: Uuid = row.uuid("id")?;
        // The next author's lock is held until the expiry (and the offer to them) is
        // committed.
        let (next, _lock) = match crate::offers::choose_locked(app, id, None).await {
            Ok(crate::offers::Choice::Author(author_id, lock)) => (
                Some(NextOffer {
                    author_id,
                    expires_at: now + ttl,
                }),
                Some(lock),
            ),
            Ok(_) => (None, None),
            Err(AppError::LostRace(_) | AppError::Behind) => {
                round.lost_races.push(id);
                continue;
            }
            Err(e) => return Err(e),
        };
        let cmd = OrderCommand::ExpireOffer { at: now, next };
        let ctx = Ctx::system(&format!("offer-expiry-{id}"));
        let ctx = match offer_made(app, id).await? {
            Some(position) => ctx.caused_by_event(position),
            None => ctx.caused_by(format!("offer-expiry:{id}")),
        };
        match classify(app.order(id, cmd, &ctx).await)? {
            Outcome::Expired => {
                round.expired += 1;
                tracing::info!(order = %id, next = ?next.map(|n| n.author_id), "offer expired");
            }
            Outcome::NoLongerDue => {
                round.no_longer_due += 1;
                tracing::debug!(order = %id, "offer no longer due");
            }
            Outcome::LostRace => {
                round.lost_races.push(id);
                tracing::warn!(order = %id, "expiring the offer kept losing the race; again next round");
            }
        }
    }
    Ok(round)
}

/// The log position of the order's latest offer (`AuthorOffered`), the event an expiry
/// ends.
async fn offer_made(app: &App, id: Uuid) -> Result<Option<i64>, AppError> {
    let row = app
        .db
        .fetch_optional(
            "SELECT position FROM events WHERE aggregate_type = 'Order' AND aggregate_id = $1 \
             AND event_type = 'AuthorOffered' ORDER BY sequence DESC LIMIT 1",
            &projections::args![id.to_string()],
        )
        .await?;
    Ok(row.map(|r| r.int("position")).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aggregates::order::OrderError;

    #[test]
    fn a_refusal_is_no_longer_due_a_lost_race_is_retried_and_the_rest_fails_the_round() {
        assert_eq!(classify(Ok(())).unwrap(), Outcome::Expired);
        for refusal in [
            AppError::Order(OrderError::OfferNotExpired),
            AppError::Order(OrderError::WrongStatus(
                aggregates::order::OrderStatus::InProgress,
            )),
            AppError::Conflict("no eligible author".into()),
        ] {
            assert_eq!(classify(Err(refusal)).unwrap(), Outcome::NoLongerDue);
        }
        assert_eq!(
            classify(Err(AppError::LostRace("order"))).unwrap(),
            Outcome::LostRace
        );
        for failure in [
            AppError::Infrastructure("the database is gone".into()),
            AppError::NotFound,
        ] {
            assert!(classify(Err(failure)).is_err());
        }
    }
}
