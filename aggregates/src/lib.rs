//! Scriptorium's write side: the aggregates, their commands, events and errors.
//!
//! Pure: `handle` decides from the aggregate's state and the command alone. Facts from
//! elsewhere (the clock, the chosen author, settings) arrive inside the command. The rules
//! the service applies over its read models (routing to a manager, who may be offered an
//! order, the rating formula, the weighted choice of an author) are pure functions here too,
//! so the service's tests and these ones check the same rule.

pub mod account;
pub mod author;
pub mod catalogue;
pub mod common;
pub mod order;
pub mod points;
pub mod purchase;
pub mod ready_work;
pub mod settings;
pub mod shift;
pub mod user;

pub use common::{Actor, Kopecks, Role, UnknownCode, CURRENCY};
