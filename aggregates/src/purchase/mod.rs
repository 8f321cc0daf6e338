//! The `Purchase` aggregate: one sale of a ready-made work (a work sells many times, so
//! each sale is its own stream): who buys it, at which price, and its one payment in full.
//! Paid by hand or by the provider's notification, with the rules of an order's half: the
//! exact amount, and a repeat of the same payment id changes nothing.

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{Purchase, PurchaseStatus};
pub use commands::{PurchaseCommand, WorkOnSale};
pub use error::PurchaseError;
pub use events::PurchaseEvent;
