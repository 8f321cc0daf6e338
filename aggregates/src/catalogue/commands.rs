use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::EntryKind;
use crate::Kopecks;

/// What can be asked of the catalogue (an admin's request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CatalogueCommand {
    /// Adds the entry, or changes its name or price, or brings a retired one back; the
    /// same values as now change nothing. `price`: an extra's, required; none for others.
    SetEntry {
        kind: EntryKind,
        code: String,
        name: String,
        price: Option<Kopecks>,
        at: DateTime<Utc>,
    },
    /// Retires the entry (an active one: else it is not in the catalogue).
    RetireEntry {
        kind: EntryKind,
        code: String,
        at: DateTime<Utc>,
    },
}
