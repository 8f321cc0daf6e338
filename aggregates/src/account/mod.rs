//! The `AuthorAccount` aggregate: what the company owes one author (one per author, id =
//! the author's user id). Credited with the author's fee when an order completes and with a
//! compensation granted on a failed order (each once per order), debited by payouts (each
//! once per reference); the balance never goes negative.

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::AuthorAccount;
pub use commands::AccountCommand;
pub use error::AccountError;
pub use events::AccountEvent;
