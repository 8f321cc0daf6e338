//! The `Order` aggregate: one commissioned work from placement to completion or failure.

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;
mod transitions;

pub use aggregate::{Order, OrderStatus};
pub use commands::{NextOffer, OrderChanges, OrderCommand};
pub use error::OrderError;
pub use events::{Breach, FileKind, FileRef, Half, OrderEdit, OrderEvent, OrderSource};
