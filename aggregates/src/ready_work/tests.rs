//! Given/when/then tests of the `ReadyWork` aggregate.

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::{Aggregate, DomainEvent};
use uuid::Uuid;

use super::*;
use crate::common::{Actor, Role};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 9, 0, 0).unwrap()
}
fn manager() -> Actor {
    Actor::new(Uuid::from_u128(1), Role::Manager)
}
fn admin() -> Actor {
    Actor::new(Uuid::from_u128(2), Role::Admin)
}
fn file() -> WorkFile {
    WorkFile {
        name: "essay.pdf".into(),
        size: 12,
        content_type: "application/pdf".into(),
        sha256: "ab".repeat(32),
    }
}
fn given(events: Vec<ReadyWorkEvent>) -> AggregateTestExecutor<ReadyWork> {
    TestFramework::<ReadyWork>::with(()).given(events)
}
fn list(actor: Actor, title: &str, pages: u32, price: i64) -> ReadyWorkCommand {
    ReadyWorkCommand::List {
        actor,
        title: title.into(),
        subject: "History".into(),
        work_type: "essay".into(),
        pages,
        price,
        description: " The Tsars ".into(),
        file: file(),
        at: now(),
    }
}
fn listed() -> Vec<ReadyWorkEvent> {
    vec![ReadyWorkEvent::WorkListed {
        title: "Peter I".into(),
        subject: "History".into(),
        work_type: "essay".into(),
        pages: 12,
        price: 150_000,
        description: "The Tsars".into(),
        file: file(),
        by: manager().id,
    }]
}
fn delist(actor: Actor, reason: &str) -> ReadyWorkCommand {
    ReadyWorkCommand::Delist {
        actor,
        reason: reason.into(),
        at: now(),
    }
}
fn state(events: Vec<ReadyWorkEvent>) -> ReadyWork {
    let mut w = ReadyWork::default();
    for e in events {
        w.apply(e);
    }
    w
}

#[tokio::test]
async fn a_manager_lists_a_work_trimmed() {
    given(vec![])
        .when_async(list(manager(), " Peter I ", 12, 150_000))
        .await
        .then_expect_events(listed());
    let w = state(listed());
    assert!(w.on_sale());
    assert_eq!((w.price, w.pages), (150_000, 12));
    assert_eq!(w.file, Some(file()));
}

#[tokio::test]
async fn an_admin_lists_too_but_no_one_else() {
    let mut by_admin = listed();
    if let ReadyWorkEvent::WorkListed { by, .. } = &mut by_admin[0] {
        *by = admin().id;
    }
    given(vec![])
        .when_async(list(admin(), "Peter I", 12, 150_000))
        .await
        .then_expect_events(by_admin);
    for role in [Role::Client, Role::Author, Role::PayoutClerk, Role::Auditor] {
        given(vec![])
            .when_async(list(Actor::new(Uuid::from_u128(9), role), "t", 1, 1))
            .await
            .then_expect_error(ReadyWorkError::NotStaff);
    }
}

#[tokio::test]
async fn a_listing_out_of_range_is_refused() {
    given(vec![])
        .when_async(list(manager(), "  ", 12, 100))
        .await
        .then_expect_error(ReadyWorkError::EmptyField("title"));
    for pages in [0, 1001] {
        given(vec![])
            .when_async(list(manager(), "t", pages, 100))
            .await
            .then_expect_error(ReadyWorkError::InvalidPages);
    }
    for price in [0, -1] {
        given(vec![])
            .when_async(list(manager(), "t", 1, price))
            .await
            .then_expect_error(ReadyWorkError::InvalidPrice);
    }
    let mut empty = list(manager(), "t", 1, 1);
    if let ReadyWorkCommand::List { file, .. } = &mut empty {
        file.size = 0;
    }
    given(vec![])
        .when_async(empty)
        .await
        .then_expect_error(ReadyWorkError::EmptyField("file"));
    given(listed())
        .when_async(list(manager(), "t", 1, 1))
        .await
        .then_expect_error(ReadyWorkError::AlreadyListed);
    assert!(ReadyWorkError::InvalidPrice.is_invalid_value());
    assert!(!ReadyWorkError::AlreadyDelisted.is_invalid_value());
}

#[tokio::test]
async fn staff_delist_a_listed_work_once_with_a_reason() {
    given(listed())
        .when_async(delist(admin(), " plagiarism "))
        .await
        .then_expect_events(vec![ReadyWorkEvent::WorkDelisted {
            reason: "plagiarism".into(),
            by: admin().id,
        }]);
    let mut gone = listed();
    gone.push(ReadyWorkEvent::WorkDelisted {
        reason: "x".into(),
        by: manager().id,
    });
    assert!(!state(gone.clone()).on_sale());
    given(gone)
        .when_async(delist(manager(), "again"))
        .await
        .then_expect_error(ReadyWorkError::AlreadyDelisted);
    given(vec![])
        .when_async(delist(manager(), "x"))
        .await
        .then_expect_error(ReadyWorkError::NotListed);
    assert!(ReadyWorkError::NotListed.is_not_found());
    given(listed())
        .when_async(delist(manager(), " "))
        .await
        .then_expect_error(ReadyWorkError::EmptyField("reason"));
    given(listed())
        .when_async(delist(Actor::new(Uuid::from_u128(3), Role::Client), "x"))
        .await
        .then_expect_error(ReadyWorkError::NotStaff);
}

#[test]
fn ready_work_event_types_are_stable() {
    assert_eq!(listed()[0].event_type(), "WorkListed");
    let d = ReadyWorkEvent::WorkDelisted {
        reason: "x".into(),
        by: Uuid::nil(),
    };
    assert_eq!(d.event_type(), "WorkDelisted");
}
