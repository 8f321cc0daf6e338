//! The `User` aggregate: identity, role and blocking. Secrets (password hashes, tokens)
//! never enter its events; the service keeps them in its credentials table.

mod aggregate;
mod commands;
mod company;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{parse_email, parse_language, User, LANGUAGES};
pub use commands::UserCommand;
pub use company::{valid_inn, Company, MAX_COMPANY_TEXT};
pub use error::UserError;
pub use events::UserEvent;
