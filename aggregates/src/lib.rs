//! Scriptorium's write side: the aggregates, their commands, events and errors.
//!
//! Pure: `handle` decides from the aggregate's state and the command alone. Facts from
//! elsewhere (the clock, the chosen author, settings) arrive inside the command.

pub mod author;
pub mod common;
pub mod order;
pub mod shift;
pub mod user;

pub use common::{Actor, Kopecks, Role, UnknownCode, CURRENCY};
