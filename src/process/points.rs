//! The points worker (decision 026): an order's completion credits its client with the
//! cashback share in force of the money they paid for it, and the client who invited them
//! (their registration's referrer) with the referral share in force; an order that fails
//! gives the points spent on it back. Reacts to the order events of the log from its own
//! checkpoint (`process:points`); each command is caused by its event, and the
//! `ClientPoints` aggregate credits an order once and returns a spend once, so a reaction
//! repeated after a crash (or a reset checkpoint) changes nothing. The shares are read
//! when the worker reacts; the points credited are in the events, which the read models
//! fold, so a replay never recomputes them from today's settings.

use std::time::Duration;

use aggregates::order::{Order, OrderEvent};
use aggregates::points::{share_of, PointsCommand};
use aggregates::Role;
use async_trait::async_trait;
use projections::StoredEvent;
use uuid::Uuid;

use super::log::{FromLog, Reactor};
use crate::app::{App, AppError, Ctx};

/// Credits and returns clients' points from the orders' events.
pub struct Points;

/// The order events that move points.
const REACTS_TO: [&str; 2] = ["OrderCompleted", "OrderFailed"];

/// The worker of the registry.
pub fn worker() -> FromLog<Points> {
    FromLog {
        reactor: Points,
        every: Duration::from_millis(500),
    }
}

/// The money the client paid for a completed order: what cashback and referral shares are
/// of (points paid no cashback).
pub fn paid_in_money(order: &Order) -> i64 {
    (order.paid() - order.refunded).max(0)
}

#[async_trait]
impl Reactor for Points {
    fn name(&self) -> &'static str {
        "points"
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
        let ctx = Ctx::system(&format!("points-{}", ev.cursor.position))
            .caused_by_event(ev.cursor.position);
        // A terminal order's stream never changes again: what it paid is final.
        let order = app.order_state(order_id).await?;
        let at = ev.meta.at;
        match event {
            OrderEvent::OrderCompleted { .. } => {
                let client = order.client_id;
                // Points debited for the order that it never took (a crash between the
                // debit and the order's command) come back.
                if order.points == 0 {
                    let back = PointsCommand::Return { order_id, at };
                    app.client_points(client, back, &ctx).await?;
                }
                let base = paid_in_money(&order);
                let cashback = PointsCommand::CreditCashback {
                    order_id,
                    points: share_of(base, app.cashback_percent().await?),
                    at,
                };
                app.client_points(client, cashback, &ctx).await?;
                let user = app.user_state(client).await?;
                if let Some(referrer) = user.referred_by.filter(|r| *r != client) {
                    let theirs = app.user_state(referrer).await?;
                    if theirs.exists && theirs.role == Some(Role::Client) {
                        let share = PointsCommand::CreditReferral {
                            order_id,
                            referred_client: client,
                            points: share_of(base, app.referral_percent().await?),
                            at,
                        };
                        app.client_points(referrer, share, &ctx).await?;
                    }
                }
            }
            OrderEvent::OrderFailed { .. } => {
                let back = PointsCommand::Return { order_id, at };
                app.client_points(order.client_id, back, &ctx).await?;
            }
            _ => {}
        }
        Ok(())
    }
}
