//! Which on-shift manager a placed order is routed to. Pure: the service gathers the facts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A manager who is on shift now, as the router sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnShiftManager {
    pub manager_id: Uuid,
    /// Orders routed to this manager that are not completed or failed
    /// (`!OrderStatus::is_terminal()`), whether or not they are on shift.
    pub open_orders: u32,
    /// When their current shift started ([`super::Shift::on_shift_since`]).
    pub on_shift_since: DateTime<Utc>,
}

impl OnShiftManager {
    /// The order in which managers are preferred: fewest open orders, then on shift longest
    /// (earliest start), then the smaller id, so the choice never depends on input order.
    fn preference(&self) -> (u32, DateTime<Utc>, Uuid) {
        (self.open_orders, self.on_shift_since, self.manager_id)
    }
}

/// The manager a placed order goes to: among `on_shift` (everyone on shift now, in any
/// order), the one with the fewest open orders; ties go to the one on shift longest, then to
/// the smaller id. `None` when nobody is on shift: the order waits unrouted until a manager
/// starts a shift (then see [`route_backlog`]).
pub fn choose_manager(on_shift: &[OnShiftManager]) -> Option<Uuid> {
    on_shift
        .iter()
        .min_by_key(|m| m.preference())
        .map(|m| m.manager_id)
}

/// The managers `waiting` unrouted orders go to, oldest order first: each is routed by
/// [`choose_manager`] as if the ones before it had already been routed (each adds one to
/// its manager's open orders). Empty when nobody is on shift.
pub fn route_backlog(on_shift: &[OnShiftManager], waiting: usize) -> Vec<Uuid> {
    let mut managers = on_shift.to_vec();
    let mut routes = Vec::with_capacity(if managers.is_empty() { 0 } else { waiting });
    for _ in 0..waiting {
        let Some(chosen) = managers.iter_mut().min_by_key(|m| m.preference()) else {
            break;
        };
        chosen.open_orders = chosen.open_orders.saturating_add(1);
        routes.push(chosen.manager_id);
    }
    routes
}
