//! The `Shift` aggregate: whether a manager is on shift and since when (one per manager,
//! id = the manager's user id), and [`choose_manager`], the pure routing choice of the
//! on-shift manager a placed order goes to.

mod aggregate;
mod commands;
mod error;
mod events;
mod routing;
#[cfg(test)]
mod tests;

pub use aggregate::Shift;
pub use commands::ShiftCommand;
pub use error::ShiftError;
pub use events::ShiftEvent;
pub use routing::{choose_manager, route_backlog, OnShiftManager};
