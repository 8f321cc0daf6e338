//! The `Catalogue` aggregate's state (the seeded defaults with every change applied), its
//! decisions ([`Catalogue::decide`]) and the look-ups the service makes of it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::commands::CatalogueCommand;
use super::error::CatalogueError;
use super::events::{CatalogueEvent, EntryKind, EntryValue};
use super::{MAX_CODE_CHARS, MAX_EXTRA_PRICE, MAX_NAME_CHARS};
use crate::author::subject_key;
use crate::Kopecks;

/// One entry as it stands: retired entries stay (their code may come back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub kind: EntryKind,
    pub code: String,
    pub name: String,
    /// Kopecks; an extra's only.
    pub price: Option<Kopecks>,
    pub active: bool,
}

impl CatalogueEntry {
    fn value(&self) -> EntryValue {
        EntryValue {
            name: self.name.clone(),
            price: self.price,
        }
    }
}

/// The catalogue before an admin changes anything: the work types and subjects the
/// service took before it had a catalogue (the site's four work types and a translation;
/// the subjects its authors write on), and no extras (each has a price the admin sets).
pub fn defaults() -> Vec<CatalogueEntry> {
    let work_types = [
        ("essay", "Эссе"),
        ("term_paper", "Курсовая"),
        ("thesis", "Дипломная"),
        ("report", "Реферат"),
        ("translation", "Перевод"),
    ];
    let subjects = [
        ("history", "History"),
        ("law", "Law"),
        ("economics", "Economics"),
        ("philology", "Philology"),
        ("sociology", "Sociology"),
        ("mathematics", "Mathematics"),
        ("physics", "Physics"),
        ("astrophysics", "Astrophysics"),
        ("chemistry", "Chemistry"),
        ("biology", "Biology"),
        ("philosophy", "Philosophy"),
        ("psychology", "Psychology"),
        ("pedagogy", "Pedagogy"),
        ("art", "Art"),
        ("computer_science", "Computer science"),
        ("istoriya", "История"),
        ("pravo", "Право"),
        ("ekonomika", "Экономика"),
    ];
    let entry = |kind, (code, name): (&str, &str)| CatalogueEntry {
        kind,
        code: code.to_string(),
        name: name.to_string(),
        price: None,
        active: true,
    };
    work_types
        .into_iter()
        .map(|e| entry(EntryKind::WorkType, e))
        .chain(subjects.into_iter().map(|e| entry(EntryKind::Subject, e)))
        .collect()
}

/// The catalogue: every entry by kind and code, the seeded defaults included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub entries: BTreeMap<EntryKind, BTreeMap<String, CatalogueEntry>>,
}

impl Default for Catalogue {
    /// The seeded catalogue ([`defaults`]): what holds before any event.
    fn default() -> Self {
        let mut c = Catalogue {
            entries: BTreeMap::new(),
        };
        for e in defaults() {
            c.put(e);
        }
        c
    }
}

impl Catalogue {
    /// The defaults with these entries (as an admin left them) over them: the catalogue a
    /// read model holds.
    pub fn with(entries: impl IntoIterator<Item = CatalogueEntry>) -> Catalogue {
        let mut c = Catalogue::default();
        for e in entries {
            c.put(e);
        }
        c
    }

    fn put(&mut self, e: CatalogueEntry) {
        self.entries
            .entry(e.kind)
            .or_default()
            .insert(e.code.clone(), e);
    }

    /// The entry with this code, retired or not.
    pub fn get(&self, kind: EntryKind, code: &str) -> Option<&CatalogueEntry> {
        self.entries.get(&kind)?.get(code)
    }

    /// The entries of a kind in force, by code.
    pub fn active(&self, kind: EntryKind) -> impl Iterator<Item = &CatalogueEntry> {
        self.entries
            .get(&kind)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|e| e.active)
    }

    /// The work type in force with this code.
    pub fn work_type(&self, code: &str) -> Option<&CatalogueEntry> {
        self.get(EntryKind::WorkType, code.trim())
            .filter(|e| e.active)
    }

    /// The subject in force with this name, whatever its case and spacing
    /// ([`subject_key`], as authors' subjects are matched).
    pub fn subject(&self, name: &str) -> Option<&CatalogueEntry> {
        let key = subject_key(name);
        self.active(EntryKind::Subject)
            .find(|e| subject_key(&e.name) == key)
    }

    /// The extra in force with this code.
    pub fn extra(&self, code: &str) -> Option<&CatalogueEntry> {
        self.get(EntryKind::Extra, code.trim()).filter(|e| e.active)
    }

    /// Decides what `command` means: one event, none when nothing changes, or why not.
    pub fn decide(&self, command: CatalogueCommand) -> Result<Vec<CatalogueEvent>, CatalogueError> {
        match command {
            CatalogueCommand::SetEntry {
                kind,
                code,
                name,
                price,
                at,
            } => self.set(kind, code, name, price, at),
            CatalogueCommand::RetireEntry { kind, code, at } => self.retire(kind, code, at),
        }
    }

    fn set(
        &self,
        kind: EntryKind,
        code: String,
        name: String,
        price: Option<Kopecks>,
        at: DateTime<Utc>,
    ) -> Result<Vec<CatalogueEvent>, CatalogueError> {
        let code = parse_code(&code)?;
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(CatalogueError::InvalidName);
        }
        match (kind, price) {
            (EntryKind::Extra, Some(p)) if (1..=MAX_EXTRA_PRICE).contains(&p) => {}
            (EntryKind::Extra, _) => return Err(CatalogueError::InvalidPrice),
            (_, Some(_)) => return Err(CatalogueError::PriceNotTaken(kind)),
            (_, None) => {}
        }
        if kind == EntryKind::Subject {
            // An order names a subject: two entries of one name would be one subject.
            if let Some(other) = self.subject(&name).filter(|other| other.code != code) {
                return Err(CatalogueError::DuplicateName {
                    kind,
                    name,
                    code: other.code.clone(),
                });
            }
        }
        let new = EntryValue { name, price };
        let old = self.get(kind, &code);
        if old.is_some_and(|o| o.active && o.value() == new) {
            return Ok(vec![]);
        }
        Ok(vec![CatalogueEvent::CatalogueEntrySet {
            kind,
            code,
            old: old.map(CatalogueEntry::value),
            new,
            at,
        }])
    }

    fn retire(
        &self,
        kind: EntryKind,
        code: String,
        at: DateTime<Utc>,
    ) -> Result<Vec<CatalogueEvent>, CatalogueError> {
        let code = code.trim().to_string();
        match self.get(kind, &code).filter(|e| e.active) {
            Some(e) => Ok(vec![CatalogueEvent::CatalogueEntryRetired {
                kind,
                old: e.value(),
                code,
                at,
            }]),
            None => Err(CatalogueError::NotInCatalogue { kind, code }),
        }
    }
}

/// A code: trimmed, 1..=[`MAX_CODE_CHARS`] of `a-z`, `0-9`, `_`, `-`.
fn parse_code(code: &str) -> Result<String, CatalogueError> {
    let code = code.trim();
    let ok = !code.is_empty()
        && code.len() <= MAX_CODE_CHARS
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(code.to_string())
    } else {
        Err(CatalogueError::InvalidCode)
    }
}

impl Aggregate for Catalogue {
    const TYPE: &'static str = "Catalogue";
    type Command = CatalogueCommand;
    type Event = CatalogueEvent;
    type Error = CatalogueError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            CatalogueEvent::CatalogueEntrySet {
                kind, code, new, ..
            } => self.put(CatalogueEntry {
                kind,
                code,
                name: new.name,
                price: new.price,
                active: true,
            }),
            CatalogueEvent::CatalogueEntryRetired {
                kind, code, old, ..
            } => self.put(CatalogueEntry {
                kind,
                code,
                name: old.name,
                price: old.price,
                active: false,
            }),
        }
    }
}
