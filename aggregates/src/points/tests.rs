//! Given/when/then tests of the `ClientPoints` aggregate.

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::*;

fn order(n: u128) -> Uuid {
    Uuid::from_u128(1000 + n)
}

fn friend() -> Uuid {
    Uuid::from_u128(7)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 12, 0, 0).unwrap()
}

fn given(events: Vec<PointsEvent>) -> AggregateTestExecutor<ClientPoints> {
    TestFramework::<ClientPoints>::with(()).given(events)
}

fn state(events: Vec<PointsEvent>) -> ClientPoints {
    let mut p = ClientPoints::default();
    for e in events {
        p.apply(e);
    }
    p
}

fn cashback(n: u128, points: i64) -> PointsEvent {
    PointsEvent::CashbackCredited {
        order_id: order(n),
        points,
        at: now(),
    }
}

fn spent(n: u128, points: i64) -> PointsEvent {
    PointsEvent::PointsSpent {
        order_id: order(n),
        points,
        at: now(),
    }
}

fn spend(n: u128, points: i64) -> PointsCommand {
    PointsCommand::Spend {
        order_id: order(n),
        points,
        at: now(),
    }
}

#[tokio::test]
async fn a_cashback_is_credited_once_per_order() {
    let credit = PointsCommand::CreditCashback {
        order_id: order(1),
        points: 500,
        at: now(),
    };
    given(vec![])
        .when_async(credit.clone())
        .await
        .then_expect_events(vec![cashback(1, 500)]);
    given(vec![cashback(1, 500)])
        .when_async(credit)
        .await
        .then_expect_events(vec![]);
    given(vec![])
        .when_async(PointsCommand::CreditCashback {
            order_id: order(2),
            points: 0,
            at: now(),
        })
        .await
        .then_expect_events(vec![]);
    given(vec![])
        .when_async(PointsCommand::CreditCashback {
            order_id: order(2),
            points: -1,
            at: now(),
        })
        .await
        .then_expect_error(PointsError::NegativeCredit);
}

#[tokio::test]
async fn a_referral_share_is_credited_once_per_order_apart_from_cashback() {
    let credit = PointsCommand::CreditReferral {
        order_id: order(1),
        referred_client: friend(),
        points: 300,
        at: now(),
    };
    let credited = PointsEvent::ReferralCredited {
        order_id: order(1),
        referred_client: friend(),
        points: 300,
        at: now(),
    };
    // The client's own cashback of the same order id does not count as the referral.
    given(vec![cashback(1, 500)])
        .when_async(credit.clone())
        .await
        .then_expect_events(vec![credited.clone()]);
    given(vec![credited])
        .when_async(credit)
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_spend_is_at_most_the_balance_and_once_per_order() {
    given(vec![cashback(1, 500)])
        .when_async(spend(2, 500))
        .await
        .then_expect_events(vec![spent(2, 500)]);
    given(vec![cashback(1, 500)])
        .when_async(spend(2, 501))
        .await
        .then_expect_error(PointsError::AboveBalance {
            points: 501,
            balance: 500,
        });
    given(vec![cashback(1, 500)])
        .when_async(spend(2, 0))
        .await
        .then_expect_error(PointsError::NotPositive);
    // The same spend again is the same spend; another amount on the order is refused.
    given(vec![cashback(1, 500), spent(2, 200)])
        .when_async(spend(2, 200))
        .await
        .then_expect_events(vec![]);
    given(vec![cashback(1, 500), spent(2, 200)])
        .when_async(spend(2, 100))
        .await
        .then_expect_error(PointsError::AlreadySpentOnOrder { points: 200 });
}

#[tokio::test]
async fn a_spend_comes_back_once() {
    let back = PointsCommand::Return {
        order_id: order(2),
        at: now(),
    };
    let returned = PointsEvent::PointsReturned {
        order_id: order(2),
        points: 200,
        at: now(),
    };
    given(vec![cashback(1, 500), spent(2, 200)])
        .when_async(back.clone())
        .await
        .then_expect_events(vec![returned.clone()]);
    given(vec![cashback(1, 500), spent(2, 200), returned])
        .when_async(back.clone())
        .await
        .then_expect_events(vec![]);
    given(vec![cashback(1, 500)])
        .when_async(back)
        .await
        .then_expect_events(vec![]);
}

#[test]
fn the_balance_follows_credits_spends_and_returns_and_never_goes_negative() {
    let p = state(vec![
        cashback(1, 500),
        spent(2, 200),
        PointsEvent::ReferralCredited {
            order_id: order(3),
            referred_client: friend(),
            points: 30,
            at: now(),
        },
    ]);
    assert_eq!(p.balance, 330);
    assert_eq!(p.spent.get(&order(2)), Some(&200));
    let p = state(vec![
        cashback(1, 500),
        spent(2, 200),
        PointsEvent::PointsReturned {
            order_id: order(2),
            points: 200,
            at: now(),
        },
    ]);
    assert_eq!(p.balance, 500);
    assert!(p.spent.is_empty());
    // Every spend is checked against the balance: it cannot go below zero.
    assert!(p.decide(spend(4, 501)).is_err());
    assert_eq!(share_of(250_001, 5), 12_500);
    assert_eq!(share_of(199, 1), 1);
    assert_eq!(share_of(-5, 5), 0);
    assert_eq!(share_of(1_000, 0), 0);
}
