//! The `Catalogue` aggregate: what an order may be made of, managed by an admin at run
//! time (one stream, [`CATALOGUE_ID`]): work types, subjects and extras (additional
//! services with a price). Until an admin changes an entry, the seeded default catalogue
//! ([`defaults`]) holds; every change is an attributed event (decision 025).

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{defaults, Catalogue, CatalogueEntry};
pub use commands::CatalogueCommand;
pub use error::CatalogueError;
pub use events::{CatalogueEvent, EntryKind, EntryValue};

/// The id of the one catalogue stream.
pub const CATALOGUE_ID: &str = "00000000-0000-0000-0000-00000000ca7a";

/// The longest code of an entry.
pub const MAX_CODE_CHARS: usize = 40;
/// The longest name of an entry.
pub const MAX_NAME_CHARS: usize = 200;
/// The highest price of an extra: 1 000 000.00 RUB.
pub const MAX_EXTRA_PRICE: i64 = 100_000_000;
