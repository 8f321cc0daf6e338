//! The `ReadyWork` aggregate: a finished work the shop sells (one stream per work): who
//! listed it, what it is, its price and its file, and whether it has been delisted. A work
//! sells many times; each sale is a `Purchase` of its own (`crate::purchase`).

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::ReadyWork;
pub use commands::ReadyWorkCommand;
pub use error::ReadyWorkError;
pub use events::{ReadyWorkEvent, WorkFile};
