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

pub use aggregate::{Order, OrderStatus};
pub use commands::{NextOffer, OrderCommand};
pub use error::OrderError;
pub use events::{FileKind, FileRef, Half, OrderEvent};
pub use messages::{
    find_contact, party_of, ContactKind, MessageState, MessageStatus, MAX_MESSAGE_CHARS,
};
