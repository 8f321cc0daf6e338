//! The router: a placed order goes to the on-shift manager with the fewest open orders
//! (ties: on shift longest, `aggregates::shift::choose_manager`); with nobody on shift it
//! waits, and a manager who starts a shift takes the waiting orders, oldest first, shared
//! out by the same rule (`route_backlog`).
//!
//! A [`Reactor`] over the Order, Shift and User events (checkpoint `process:routing`):
//! an unblocked user may be a manager on shift, who takes the waiting orders too. Each
//! effect is a `RouteToManager`, which an order that already has a manager takes as a
//! no-op: reacting again after a crash, or over the whole log after a reset, never moves
//! an order (docs/decisions/006). Woken at once by a placement or a shift's start
//! ([`crate::app::AppInner::routing_wake`]), so an order is routed within milliseconds.

use std::time::Duration;

use aggregates::order::OrderCommand;
use aggregates::shift::{choose_manager, route_backlog, OnShiftManager};
use async_trait::async_trait;
use projections::shifts;
use projections::StoredEvent;
use tokio::sync::Notify;
use uuid::Uuid;

use super::log::{FromLog, Reactor};
use crate::app::{App, AppError, Ctx};

/// Waiting orders routed per look at the table when a shift starts.
const BACKLOG_PAGE: i64 = 500;

/// The routing reactor.
pub struct Routing;

/// The router as a worker: polls the log every second, and at once when woken.
pub fn worker() -> FromLog<Routing> {
    FromLog {
        reactor: Routing,
        every: Duration::from_secs(1),
    }
}

#[async_trait]
impl Reactor for Routing {
    fn name(&self) -> &'static str {
        "routing"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Order", "Shift", "User"]
    }

    /// It goes by the event's type and its aggregate's id alone.
    fn payloads_of(&self) -> Option<&'static [&'static str]> {
        Some(&[])
    }

    fn wake<'a>(&self, app: &'a App) -> Option<&'a Notify> {
        Some(&app.routing_wake)
    }

    async fn react(&self, app: &App, event: &StoredEvent) -> Result<(), AppError> {
        let ctx = Ctx::system(&format!("routing-{}", event.cursor.position))
            .caused_by_event(event.cursor.position);
        match (event.aggregate_type.as_str(), event.event_type.as_str()) {
            ("Order", "OrderPlaced") => {
                let id = Uuid::parse_str(&event.aggregate_id)
                    .map_err(|e| AppError::Infrastructure(format!("an order id: {e}")))?;
                route_placed(app, id, &ctx).await
            }
            ("Shift", "ShiftStarted") | ("User", "UserUnblocked") => route_waiting(app, &ctx).await,
            _ => Ok(()),
        }
    }
}

/// Routes a placed order, unless it has a manager already (routed by a shift's start, or
/// by this very reaction before a crash) or nobody is on shift.
async fn route_placed(app: &App, id: Uuid, ctx: &Ctx) -> Result<(), AppError> {
    let order = app.order_state(id).await?;
    if order.manager_id.is_some() || order.status.is_terminal() {
        return Ok(());
    }
    // The counts must include every route made before (by this worker or another).
    app.fence_for_decision().await?;
    let on_shift = on_shift_now(app).await?;
    let Some(manager_id) = choose_manager(&on_shift) else {
        return Ok(());
    };
    route(app, id, manager_id, ctx).await
}

/// The managers on shift now with their open orders: the read models' counts plus the
/// routes this instance made that they do not count yet, so that placements in quick
/// succession are shared out even before the projections have caught up. (Routes made by
/// other instances meanwhile are counted once the projections have them.)
pub async fn on_shift_now(app: &App) -> Result<Vec<OnShiftManager>, AppError> {
    let (rows, at) = shifts::on_shift_at(&app.db).await?;
    let mut managers: Vec<OnShiftManager> = rows.iter().map(|m| m.candidate()).collect();
    let mut in_flight = app
        .routes_in_flight
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    in_flight.retain(|(cursor, _)| *cursor > app.projector.checkpoint());
    for (cursor, manager) in in_flight.iter() {
        if *cursor > at {
            if let Some(m) = managers.iter_mut().find(|m| m.manager_id == *manager) {
                m.open_orders = m.open_orders.saturating_add(1);
            }
        }
    }
    Ok(managers)
}

/// The manager a placement is routed to in its own append (the placement's answer then
/// names them): the same rule as the reactor, over [`on_shift_now`]; `None` when nobody
/// is on shift. The reactor stays the guarantee: an order placed unrouted is routed when
/// it reads the placement (or a shift's start).
pub async fn manager_for_placement(app: &App) -> Result<Option<Uuid>, AppError> {
    Ok(choose_manager(&on_shift_now(app).await?))
}

/// Counts a route this instance made at `at` in [`on_shift_now`] until the read models
/// have it.
pub fn routed_in_flight(app: &App, at: projections::Cursor, manager_id: Uuid) {
    app.routes_in_flight
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((at, manager_id));
}

/// Routes the orders waiting for a manager, oldest first, among those on shift now.
async fn route_waiting(app: &App, ctx: &Ctx) -> Result<(), AppError> {
    loop {
        app.fence_for_decision().await?;
        let on_shift: Vec<_> = shifts::on_shift(&app.db)
            .await?
            .iter()
            .map(|m| m.candidate())
            .collect();
        if on_shift.is_empty() {
            return Ok(());
        }
        let waiting = shifts::unrouted_orders(&app.db, BACKLOG_PAGE).await?;
        let routes = route_backlog(&on_shift, waiting.len());
        for (order, manager) in waiting.iter().zip(&routes) {
            match route(app, *order, *manager, ctx).await {
                // Failed meanwhile (the table lagged): nothing to route.
                Err(e) if e.is_refusal() => {}
                other => other?,
            }
        }
        if (waiting.len() as i64) < BACKLOG_PAGE {
            return Ok(());
        }
    }
}

async fn route(app: &App, id: Uuid, manager_id: Uuid, ctx: &Ctx) -> Result<(), AppError> {
    let cmd = OrderCommand::RouteToManager {
        manager_id,
        at: app.clock.now(),
    };
    if let Some(at) = app.order_at(id, cmd, ctx).await? {
        routed_in_flight(app, at, manager_id);
    }
    Ok(())
}
