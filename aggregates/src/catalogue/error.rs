use thiserror::Error;

use super::events::EntryKind;

/// Why the catalogue refused a command.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogueError {
    // --- values out of range: 422 ---
    #[error("a code is 1 to {max} characters of a-z, 0-9, _ and -", max = super::MAX_CODE_CHARS)]
    InvalidCode,
    #[error("a name is 1 to {max} characters", max = super::MAX_NAME_CHARS)]
    InvalidName,
    #[error("an extra's price is a positive number of kopecks up to {max}", max = super::MAX_EXTRA_PRICE)]
    InvalidPrice,
    #[error("only an extra has a price; a {0} has none")]
    PriceNotTaken(EntryKind),
    #[error("the {kind} {name:?} is already in the catalogue as {code:?}")]
    DuplicateName {
        kind: EntryKind,
        name: String,
        code: String,
    },

    // --- no such entry: 404 ---
    #[error("the catalogue has no {kind} {code:?} in force")]
    NotInCatalogue { kind: EntryKind, code: String },
}

impl CatalogueError {
    /// The entry named does not exist (or is retired already): 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, CatalogueError::NotInCatalogue { .. })
    }
}
