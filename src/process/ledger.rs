//! The ledger worker: an order's completion credits its author with the order's fee, and a
//! compensation granted on an order credits the author it names. Reacts to the order
//! events of the log from its own checkpoint (`process:ledger`); each command is caused by
//! its event and the `AuthorAccount` aggregate credits an order's fee, or its compensation,
//! once, so a reaction repeated after a crash changes nothing.

use std::time::Duration;

use aggregates::account::AccountCommand;
use aggregates::order::OrderEvent;
use async_trait::async_trait;
use projections::StoredEvent;
use uuid::Uuid;

use super::log::{FromLog, Reactor};
use crate::app::{App, AppError, Ctx};

/// Credits authors' accounts from the orders' events.
pub struct Ledger;

/// The order events that credit an author.
const REACTS_TO: [&str; 2] = ["OrderCompleted", "CompensationGranted"];

/// The worker of the registry.
pub fn worker() -> FromLog<Ledger> {
    FromLog {
        reactor: Ledger,
        every: Duration::from_millis(500),
    }
}

#[async_trait]
impl Reactor for Ledger {
    fn name(&self) -> &'static str {
        "ledger"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Order"]
    }

    fn payloads_of(&self) -> Option<&'static [&'static str]> {
        Some(&REACTS_TO)
    }

    async fn react(&self, app: &App, ev: &StoredEvent) -> Result<(), AppError> {
        if !REACTS_TO.contains(&ev.event_type.as_str()) {
            return Ok(());
        }
        let event: OrderEvent = ev.decode().map_err(AppError::infrastructure)?;
        let order_id: Uuid = ev
            .aggregate_id
            .parse()
            .map_err(|_| AppError::infrastructure("an order id that is not a UUID"))?;
        let (author_id, cmd) = match event {
            OrderEvent::OrderCompleted { .. } => {
                // The order's author and fee never change once the work was accepted.
                let order = app.order_state(order_id).await?;
                let (Some(author_id), Some(amount)) = (order.author_id, order.author_fee) else {
                    tracing::warn!(order = %order_id, "a completed order without an author or a fee");
                    return Ok(());
                };
                let cmd = AccountCommand::CreditFee {
                    order_id,
                    amount,
                    at: ev.meta.at,
                };
                (author_id, cmd)
            }
            OrderEvent::CompensationGranted {
                author_id,
                amount,
                at,
            } => (
                author_id,
                AccountCommand::CreditCompensation {
                    order_id,
                    amount,
                    at,
                },
            ),
            _ => return Ok(()),
        };
        let ctx = Ctx::system(&format!("ledger-{}", ev.cursor.position))
            .caused_by_event(ev.cursor.position);
        app.account(author_id, cmd, &ctx).await.map(|_| ())
    }
}
