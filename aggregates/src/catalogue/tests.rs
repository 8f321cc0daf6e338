//! Given/when/then tests of the `Catalogue` aggregate.

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 12, 0, 0).unwrap()
}

fn given(events: Vec<CatalogueEvent>) -> AggregateTestExecutor<Catalogue> {
    TestFramework::<Catalogue>::with(()).given(events)
}

fn set(kind: EntryKind, code: &str, name: &str, price: Option<i64>) -> CatalogueCommand {
    CatalogueCommand::SetEntry {
        kind,
        code: code.into(),
        name: name.into(),
        price,
        at: now(),
    }
}

fn value(name: &str, price: Option<i64>) -> EntryValue {
    EntryValue {
        name: name.into(),
        price,
    }
}

fn urgent_added() -> CatalogueEvent {
    CatalogueEvent::CatalogueEntrySet {
        kind: EntryKind::Extra,
        code: "urgent".into(),
        old: None,
        new: value("Urgent delivery", Some(150_000)),
        at: now(),
    }
}

#[test]
fn the_seeded_catalogue_holds_the_work_types_and_subjects_in_use_and_no_extras() {
    let c = Catalogue::default();
    for code in ["essay", "term_paper", "thesis", "report"] {
        assert!(c.work_type(code).is_some(), "{code}");
    }
    assert!(c.work_type("poem").is_none());
    // Subjects match whatever their case and spacing.
    assert_eq!(
        c.subject("  history ").map(|e| e.code.as_str()),
        Some("history")
    );
    assert_eq!(
        c.subject("ИСТОРИЯ").map(|e| e.code.as_str()),
        Some("istoriya")
    );
    assert!(c.subject("Alchemy").is_none());
    assert_eq!(c.active(EntryKind::Extra).count(), 0);
}

#[test]
fn an_admin_adds_an_extra_with_its_price() {
    given(vec![])
        .when(set(
            EntryKind::Extra,
            "urgent",
            " Urgent   delivery ",
            Some(150_000),
        ))
        .then_expect_events(vec![urgent_added()]);
}

#[test]
fn the_same_values_change_nothing_and_a_new_price_names_the_old() {
    given(vec![urgent_added()])
        .when(set(
            EntryKind::Extra,
            "urgent",
            "Urgent delivery",
            Some(150_000),
        ))
        .then_expect_events(vec![]);
    given(vec![urgent_added()])
        .when(set(
            EntryKind::Extra,
            "urgent",
            "Urgent delivery",
            Some(200_000),
        ))
        .then_expect_events(vec![CatalogueEvent::CatalogueEntrySet {
            kind: EntryKind::Extra,
            code: "urgent".into(),
            old: Some(value("Urgent delivery", Some(150_000))),
            new: value("Urgent delivery", Some(200_000)),
            at: now(),
        }]);
}

#[test]
fn bad_values_are_refused() {
    for (cmd, err) in [
        (
            set(EntryKind::Extra, "Urgent!", "x", Some(1)),
            CatalogueError::InvalidCode,
        ),
        (
            set(EntryKind::Extra, "", "x", Some(1)),
            CatalogueError::InvalidCode,
        ),
        (
            set(EntryKind::Extra, "urgent", "   ", Some(1)),
            CatalogueError::InvalidName,
        ),
        (
            set(EntryKind::Extra, "urgent", "Urgent", None),
            CatalogueError::InvalidPrice,
        ),
        (
            set(EntryKind::Extra, "urgent", "Urgent", Some(0)),
            CatalogueError::InvalidPrice,
        ),
        (
            set(EntryKind::WorkType, "poem", "Poem", Some(100)),
            CatalogueError::PriceNotTaken(EntryKind::WorkType),
        ),
        (
            set(EntryKind::Subject, "hist2", "HISTORY", None),
            CatalogueError::DuplicateName {
                kind: EntryKind::Subject,
                name: "HISTORY".into(),
                code: "history".into(),
            },
        ),
    ] {
        given(vec![]).when(cmd).then_expect_error(err);
    }
}

#[test]
fn a_retired_entry_is_no_longer_in_force_and_may_come_back() {
    let retired = CatalogueEvent::CatalogueEntryRetired {
        kind: EntryKind::WorkType,
        code: "essay".into(),
        old: value("Эссе", None),
        at: now(),
    };
    given(vec![])
        .when(CatalogueCommand::RetireEntry {
            kind: EntryKind::WorkType,
            code: "essay".into(),
            at: now(),
        })
        .then_expect_events(vec![retired.clone()]);
    given(vec![retired.clone()])
        .when(CatalogueCommand::RetireEntry {
            kind: EntryKind::WorkType,
            code: "essay".into(),
            at: now(),
        })
        .then_expect_error(CatalogueError::NotInCatalogue {
            kind: EntryKind::WorkType,
            code: "essay".into(),
        });
    let mut c = Catalogue::default();
    c.apply(retired.clone());
    assert!(c.work_type("essay").is_none());
    assert!(!c.get(EntryKind::WorkType, "essay").unwrap().active);
    given(vec![retired])
        .when(set(EntryKind::WorkType, "essay", "Эссе", None))
        .then_expect_events(vec![CatalogueEvent::CatalogueEntrySet {
            kind: EntryKind::WorkType,
            code: "essay".into(),
            old: Some(value("Эссе", None)),
            new: value("Эссе", None),
            at: now(),
        }]);
}

#[test]
fn a_read_models_rows_over_the_defaults_make_the_same_catalogue_as_the_events() {
    let mut folded = Catalogue::default();
    folded.apply(urgent_added());
    let rows = folded
        .entries
        .values()
        .flat_map(|m| m.values().cloned())
        .filter(|e| e.kind == EntryKind::Extra);
    assert_eq!(Catalogue::with(rows), folded);
    for k in EntryKind::ALL {
        assert_eq!(EntryKind::parse(k.as_str()), Some(k));
        assert_eq!(
            serde_json::to_value(k).unwrap(),
            serde_json::json!(k.as_str())
        );
    }
}
