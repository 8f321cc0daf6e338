use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::Kopecks;

/// What a catalogue entry is. Its wire name is also its name in events and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A kind of work (`essay`, `term_paper`): an order names its code.
    WorkType,
    /// A subject area: an order names it (matched whatever its case and spacing).
    Subject,
    /// An additional service a manager adds to an order, at its price.
    Extra,
}

impl EntryKind {
    pub const ALL: [EntryKind; 3] = [EntryKind::WorkType, EntryKind::Subject, EntryKind::Extra];

    /// The wire name (`work_type`, `subject`, `extra`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::WorkType => "work_type",
            EntryKind::Subject => "subject",
            EntryKind::Extra => "extra",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entry's name and (an extra's) price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryValue {
    pub name: String,
    /// Kopecks; an extra's only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Kopecks>,
}

/// Everything that can happen to the catalogue. Type strings never change once shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CatalogueEvent {
    /// An admin added an entry (`old`: none), changed its name or price, or brought a
    /// retired one back (`old`: as it was).
    CatalogueEntrySet {
        kind: EntryKind,
        code: String,
        old: Option<EntryValue>,
        new: EntryValue,
        at: DateTime<Utc>,
    },
    /// An admin retired an entry: new orders may no longer name it; orders that do keep it.
    CatalogueEntryRetired {
        kind: EntryKind,
        code: String,
        old: EntryValue,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for CatalogueEvent {
    fn event_type(&self) -> String {
        match self {
            CatalogueEvent::CatalogueEntrySet { .. } => "CatalogueEntrySet",
            CatalogueEvent::CatalogueEntryRetired { .. } => "CatalogueEntryRetired",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
