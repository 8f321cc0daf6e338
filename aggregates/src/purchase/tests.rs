//! Given/when/then tests of the `Purchase` aggregate.

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::{Aggregate, DomainEvent};
use uuid::Uuid;

use super::*;
use crate::common::{Actor, Role};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 9, 0, 0).unwrap()
}
fn client() -> Actor {
    Actor::new(Uuid::from_u128(7), Role::Client)
}
fn work(on_sale: bool) -> WorkOnSale {
    WorkOnSale {
        work_id: Uuid::from_u128(5),
        title: "Peter I".into(),
        price: 150_000,
        on_sale,
    }
}
fn given(events: Vec<PurchaseEvent>) -> AggregateTestExecutor<Purchase> {
    TestFramework::<Purchase>::with(()).given(events)
}
fn made() -> Vec<PurchaseEvent> {
    vec![PurchaseEvent::PurchaseMade {
        work_id: Uuid::from_u128(5),
        buyer_id: client().id,
        title: "Peter I".into(),
        price: 150_000,
    }]
}
fn paid() -> Vec<PurchaseEvent> {
    let mut e = made();
    e.push(PurchaseEvent::PurchasePaid {
        amount: 150_000,
        payment_id: "p-1".into(),
    });
    e
}
fn pay(amount: i64, id: &str) -> PurchaseCommand {
    PurchaseCommand::RecordPayment {
        amount,
        payment_id: id.into(),
        at: now(),
    }
}
fn state(events: Vec<PurchaseEvent>) -> Purchase {
    let mut p = Purchase::default();
    for e in events {
        p.apply(e);
    }
    p
}

#[tokio::test]
async fn a_client_buys_a_work_on_sale_at_its_price() {
    given(vec![])
        .when_async(PurchaseCommand::Make {
            buyer: client(),
            work: work(true),
            at: now(),
        })
        .await
        .then_expect_events(made());
    let p = state(made());
    assert_eq!(p.status, PurchaseStatus::AwaitingPayment);
    assert_eq!((p.price, p.buyer_id), (150_000, client().id));
}

#[tokio::test]
async fn a_delisted_work_cannot_be_bought() {
    given(vec![])
        .when_async(PurchaseCommand::Make {
            buyer: client(),
            work: work(false),
            at: now(),
        })
        .await
        .then_expect_error(PurchaseError::WorkNotOnSale);
}

#[tokio::test]
async fn only_a_client_buys_and_only_once_per_purchase() {
    for role in [Role::Manager, Role::Admin, Role::Author] {
        given(vec![])
            .when_async(PurchaseCommand::Make {
                buyer: Actor::new(Uuid::from_u128(8), role),
                work: work(true),
                at: now(),
            })
            .await
            .then_expect_error(PurchaseError::NotAClient);
    }
    given(made())
        .when_async(PurchaseCommand::Make {
            buyer: client(),
            work: work(true),
            at: now(),
        })
        .await
        .then_expect_error(PurchaseError::AlreadyMade);
}

#[tokio::test]
async fn a_purchase_is_paid_in_full_once() {
    given(made())
        .when_async(pay(150_000, " p-1 "))
        .await
        .then_expect_events(vec![PurchaseEvent::PurchasePaid {
            amount: 150_000,
            payment_id: "p-1".into(),
        }]);
    let p = state(paid());
    assert_eq!(p.status, PurchaseStatus::Paid);
    assert_eq!(p.status.as_str(), "paid");
    // The same payment again changes nothing; another id is refused.
    given(paid())
        .when_async(pay(150_000, "p-1"))
        .await
        .then_expect_events(vec![]);
    given(paid())
        .when_async(pay(150_000, "p-2"))
        .await
        .then_expect_error(PurchaseError::AlreadyPaid);
}

#[tokio::test]
async fn a_wrong_or_bad_payment_is_refused() {
    given(made())
        .when_async(pay(100_000, "p-1"))
        .await
        .then_expect_error(PurchaseError::WrongAmount {
            expected: 150_000,
            got: 100_000,
        });
    given(made())
        .when_async(pay(0, "p-1"))
        .await
        .then_expect_error(PurchaseError::InvalidAmount);
    given(made())
        .when_async(pay(150_000, " "))
        .await
        .then_expect_error(PurchaseError::EmptyPaymentId);
    given(vec![])
        .when_async(pay(150_000, "p-1"))
        .await
        .then_expect_error(PurchaseError::NotMade);
    assert!(PurchaseError::NotMade.is_not_found());
    assert!(PurchaseError::InvalidAmount.is_invalid_value());
    assert!(!PurchaseError::WrongAmount {
        expected: 1,
        got: 2
    }
    .is_invalid_value());
}

#[test]
fn purchase_event_types_are_stable() {
    assert_eq!(made()[0].event_type(), "PurchaseMade");
    assert_eq!(paid()[1].event_type(), "PurchasePaid");
}
