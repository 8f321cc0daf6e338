//! Given/when/then tests of the `AuthorAccount` aggregate.

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::*;

fn order(n: u128) -> Uuid {
    Uuid::from_u128(1000 + n)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 12, 0, 0).unwrap()
}

fn given(events: Vec<AccountEvent>) -> AggregateTestExecutor<AuthorAccount> {
    TestFramework::<AuthorAccount>::with(()).given(events)
}

fn state(events: Vec<AccountEvent>) -> AuthorAccount {
    let mut account = AuthorAccount::default();
    for event in events {
        account.apply(event);
    }
    account
}

fn fee(n: u128, amount: i64) -> AccountCommand {
    AccountCommand::CreditFee {
        order_id: order(n),
        amount,
        at: now(),
    }
}

fn fee_credited(n: u128, amount: i64) -> AccountEvent {
    AccountEvent::FeeCredited {
        order_id: order(n),
        amount,
        at: now(),
    }
}

fn compensation(n: u128, amount: i64) -> AccountCommand {
    AccountCommand::CreditCompensation {
        order_id: order(n),
        amount,
        at: now(),
    }
}

fn compensated(n: u128, amount: i64) -> AccountEvent {
    AccountEvent::CompensationCredited {
        order_id: order(n),
        amount,
        at: now(),
    }
}

fn payout(reference: &str, amount: i64) -> AccountCommand {
    AccountCommand::RecordPayout {
        reference: reference.to_string(),
        amount,
        at: now(),
    }
}

fn paid(reference: &str, amount: i64) -> AccountEvent {
    AccountEvent::PayoutRecorded {
        reference: reference.to_string(),
        amount,
        at: now(),
    }
}

// ---------------------------------------------------------------- credits

#[tokio::test]
async fn a_completed_orders_fee_is_credited() {
    given(vec![])
        .when_async(fee(1, 50_000))
        .await
        .then_expect_events(vec![fee_credited(1, 50_000)]);
    let account = state(vec![fee_credited(1, 50_000), fee_credited(2, 7)]);
    assert_eq!(account.balance, 50_007);
    assert!(account.credited.contains(&order(1)));
}

#[tokio::test]
async fn an_orders_fee_is_credited_once() {
    given(vec![fee_credited(1, 50_000)])
        .when_async(fee(1, 50_000))
        .await
        .then_expect_events(vec![]);
    // Even should a repeat carry another amount: the order was credited.
    given(vec![fee_credited(1, 50_000)])
        .when_async(fee(1, 60_000))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_fee_of_nothing_appends_nothing_and_a_negative_one_is_refused() {
    given(vec![])
        .when_async(fee(1, 0))
        .await
        .then_expect_events(vec![]);
    given(vec![])
        .when_async(fee(1, -1))
        .await
        .then_expect_error(AccountError::NegativeFee);
}

#[tokio::test]
async fn a_compensation_is_credited_once_per_order_beside_its_fee() {
    given(vec![fee_credited(1, 100)])
        .when_async(compensation(1, 30))
        .await
        .then_expect_events(vec![compensated(1, 30)]);
    given(vec![compensated(1, 30)])
        .when_async(compensation(1, 30))
        .await
        .then_expect_events(vec![]);
    given(vec![])
        .when_async(compensation(1, 0))
        .await
        .then_expect_error(AccountError::AmountNotPositive);
    assert_eq!(
        state(vec![fee_credited(1, 100), compensated(1, 30)]).balance,
        130
    );
}

#[tokio::test]
async fn a_credit_the_balance_cannot_hold_is_refused() {
    given(vec![fee_credited(1, i64::MAX)])
        .when_async(fee(2, 1))
        .await
        .then_expect_error(AccountError::BalanceOverflow);
}

// ---------------------------------------------------------------- payouts

#[tokio::test]
async fn a_payout_up_to_the_balance_is_recorded() {
    given(vec![fee_credited(1, 100_000)])
        .when_async(payout("PAY-1", 100_000))
        .await
        .then_expect_events(vec![paid("PAY-1", 100_000)]);
    let account = state(vec![fee_credited(1, 100_000), paid("PAY-1", 40_000)]);
    assert_eq!(account.balance, 60_000);
    assert_eq!(account.payouts.get("PAY-1"), Some(&40_000));
}

#[tokio::test]
async fn a_payout_above_the_balance_is_refused() {
    given(vec![fee_credited(1, 99_999)])
        .when_async(payout("PAY-1", 100_000))
        .await
        .then_expect_error(AccountError::AboveBalance {
            amount: 100_000,
            balance: 99_999,
        });
    given(vec![])
        .when_async(payout("PAY-1", 1))
        .await
        .then_expect_error(AccountError::AboveBalance {
            amount: 1,
            balance: 0,
        });
}

#[tokio::test]
async fn the_same_reference_twice_is_one_payout() {
    let history = vec![fee_credited(1, 100_000), paid("PAY-1", 60_000)];
    // Already paid: no second payout, even though the balance could not pay it again.
    given(history.clone())
        .when_async(payout("PAY-1", 60_000))
        .await
        .then_expect_events(vec![]);
    given(history)
        .when_async(payout("PAY-1", 10_000))
        .await
        .then_expect_error(AccountError::ReferenceUsed {
            reference: "PAY-1".into(),
            amount: 60_000,
        });
}

#[tokio::test]
async fn a_payout_needs_a_positive_amount_and_a_reference() {
    let history = vec![fee_credited(1, 100_000)];
    for amount in [0, -5] {
        given(history.clone())
            .when_async(payout("PAY-1", amount))
            .await
            .then_expect_error(AccountError::AmountNotPositive);
    }
    given(history.clone())
        .when_async(payout("   ", 10))
        .await
        .then_expect_error(AccountError::EmptyReference);
    // The reference is recorded trimmed.
    given(history)
        .when_async(payout(" PAY-2 ", 10))
        .await
        .then_expect_events(vec![paid("PAY-2", 10)]);
}

#[test]
fn refusals_say_whether_a_value_or_the_state_is_wrong() {
    assert!(AccountError::AmountNotPositive.is_invalid_value());
    assert!(AccountError::EmptyReference.is_invalid_value());
    assert!(!AccountError::AboveBalance {
        amount: 1,
        balance: 0
    }
    .is_invalid_value());
}

#[test]
fn the_state_survives_a_snapshot_round_trip() {
    let account = state(vec![
        fee_credited(1, 100_000),
        compensated(2, 500),
        paid("PAY-1", 40_000),
    ]);
    let json = serde_json::to_value(&account).unwrap();
    let back: AuthorAccount = serde_json::from_value(json).unwrap();
    assert_eq!(back, account);
    assert_eq!(back.balance, 60_500);
}
