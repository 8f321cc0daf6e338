//! What a block does beyond the blocked user's own sessions: a blocked author's pending
//! offers are withdrawn and pass to the next eligible author (the weighted draw, as when
//! an offer expires); a blocked manager's open orders are routed again to the managers on
//! shift, or wait unrouted for the next shift when nobody is on one.
//!
//! A [`Reactor`] over User events (checkpoint `process:blocking`). It acts on the user's
//! state now, not the event's: a block already undone changes nothing, and every command
//! is one the order takes once (a withdrawn offer, a released or re-routed order is no
//! longer the blocked user's), so reacting again changes nothing (decision 006).

use std::time::Duration;

use aggregates::order::{NextOffer, OrderCommand};
use aggregates::shift::choose_manager;
use aggregates::Role;
use async_trait::async_trait;
use projections::StoredEvent;
use uuid::Uuid;

use super::log::{FromLog, Reactor};
use crate::app::{App, AppError, Ctx};

/// Orders handled per look at the table.
const PAGE: i64 = 200;

/// The blocking reactor.
pub struct Blocking;

/// The reactor as a worker: polls the log every second.
pub fn worker() -> FromLog<Blocking> {
    FromLog {
        reactor: Blocking,
        every: Duration::from_secs(1),
    }
}

#[async_trait]
impl Reactor for Blocking {
    fn name(&self) -> &'static str {
        "blocking"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["User"]
    }

    fn payloads_of(&self) -> Option<&'static [&'static str]> {
        Some(&[])
    }

    async fn react(&self, app: &App, event: &StoredEvent) -> Result<(), AppError> {
        if event.event_type != "UserBlocked" {
            return Ok(());
        }
        let user_id = Uuid::parse_str(&event.aggregate_id)
            .map_err(|e| AppError::Infrastructure(format!("a user id: {e}")))?;
        let user = app.user_state(user_id).await?;
        if !user.blocked {
            return Ok(());
        }
        let ctx = Ctx::system(&format!("blocking-{}", event.cursor.position))
            .caused_by_event(event.cursor.position);
        match user.role {
            Some(Role::Author) => withdraw_offers(app, user_id, &ctx).await,
            Some(Role::Manager) => route_again(app, user_id, &ctx).await,
            _ => Ok(()),
        }
    }
}

/// Orders of the table matching `sql` (`$1` the user), up to [`PAGE`].
async fn orders(app: &App, sql: &str, user: Uuid) -> Result<Vec<Uuid>, AppError> {
    app.fence_for_decision().await?;
    let rows = app
        .db
        .fetch_all(sql, &projections::args![user, PAGE])
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.uuid("id"))
        .collect::<Result<_, _>>()?)
}

/// Each order offered to the blocked author passes to the next eligible one (or back to
/// its manager when nobody is left).
async fn withdraw_offers(app: &App, author: Uuid, ctx: &Ctx) -> Result<(), AppError> {
    loop {
        let offered = orders(
            app,
            "SELECT id FROM order_list WHERE status = 'offered' AND offered_to = $1 \
             ORDER BY number LIMIT $2",
            author,
        )
        .await?;
        for &id in &offered {
            let now = app.clock.now();
            let ttl = app.offer_ttl().await?;
            // The next author's lock is held until the offer to them is committed.
            let (next, _lock) = match crate::offers::choose_locked(app, id, None).await? {
                crate::offers::Choice::Author(author_id, lock) => (
                    Some(NextOffer {
                        author_id,
                        expires_at: now + ttl,
                    }),
                    Some(lock),
                ),
                _ => (None, None),
            };
            let cmd = OrderCommand::WithdrawOffer {
                author_id: author,
                next,
                at: now,
            };
            match app.order(id, cmd, ctx).await {
                Err(e) if e.is_refusal() => {}
                other => other?,
            }
            tracing::info!(order = %id, %author, next = ?next.map(|n| n.author_id), "offer withdrawn: the author is blocked");
        }
        if (offered.len() as i64) < PAGE {
            return Ok(());
        }
    }
}

/// Each open order of the blocked manager goes to the manager on shift with the fewest
/// open orders, or waits unrouted when nobody is on shift.
async fn route_again(app: &App, manager: Uuid, ctx: &Ctx) -> Result<(), AppError> {
    loop {
        let open = orders(
            app,
            "SELECT id FROM order_list WHERE manager_id = $1 \
             AND status NOT IN ('completed', 'failed') ORDER BY number LIMIT $2",
            manager,
        )
        .await?;
        for &id in &open {
            // The blocked manager is not on shift (a blocked user never is).
            let on_shift = super::routing::on_shift_now(app).await?;
            let at = app.clock.now();
            let cmd = match choose_manager(&on_shift) {
                Some(to) => OrderCommand::ReassignManager { manager_id: to, at },
                None => OrderCommand::ReleaseFromManager {
                    manager_id: manager,
                    at,
                },
            };
            let to = match &cmd {
                OrderCommand::ReassignManager { manager_id, .. } => Some(*manager_id),
                _ => None,
            };
            match app.order_at(id, cmd, ctx).await {
                Ok(Some(position)) => {
                    if let Some(to) = to {
                        super::routing::routed_in_flight(app, position, to);
                    }
                }
                Ok(None) => {}
                Err(e) if e.is_refusal() => {}
                Err(e) => return Err(e),
            }
            tracing::info!(order = %id, from = %manager, to = ?to, "routed again: the manager is blocked");
        }
        if (open.len() as i64) < PAGE {
            return Ok(());
        }
    }
}
