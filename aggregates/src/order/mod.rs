//! The `Order` aggregate: one commissioned work from placement to completion or failure.

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod message_tests;
mod messages;
#[cfg(test)]
mod tests;
mod transitions;

pub use aggregate::{max_chars, Order, OrderStatus, MAX_PRICE, POINTS_PAYMENT};
pub use commands::{NextOffer, OrderChanges, OrderCommand};
pub use error::OrderError;
pub use events::{Breach, FileKind, FileRef, Half, OrderEdit, OrderEvent, OrderExtra, OrderSource};
pub use messages::{
    find_contact, party_of, ContactKind, MessageState, MessageStatus, MAX_MESSAGE_CHARS,
};
