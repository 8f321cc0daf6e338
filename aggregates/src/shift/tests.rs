//! Given/when/then tests of the `Shift` aggregate, and table tests of the routing choice.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 9, 0, 0).unwrap()
}
fn later(minutes: i64) -> DateTime<Utc> {
    now() + TimeDelta::minutes(minutes)
}

fn given(events: Vec<ShiftEvent>) -> AggregateTestExecutor<Shift> {
    TestFramework::<Shift>::with(()).given(events)
}

fn state(events: Vec<ShiftEvent>) -> Shift {
    let mut shift = Shift::default();
    for event in events {
        shift.apply(event);
    }
    shift
}

fn started() -> Vec<ShiftEvent> {
    vec![ShiftEvent::ShiftStarted { at: now() }]
}
fn ended() -> Vec<ShiftEvent> {
    vec![
        ShiftEvent::ShiftStarted { at: now() },
        ShiftEvent::ShiftEnded { at: later(480) },
    ]
}

// ---------------------------------------------------------------- StartShift / EndShift

#[test]
fn a_manager_starts_a_shift() {
    given(vec![])
        .when(ShiftCommand::StartShift { at: now() })
        .then_expect_events(started());
    let shift = state(started());
    assert!(shift.is_on_shift());
    assert_eq!(shift.on_shift_since, Some(now()));
    assert_eq!(shift.shifts_started, 1);
}

#[test]
fn a_manager_on_shift_cannot_start_another() {
    given(started())
        .when(ShiftCommand::StartShift { at: later(1) })
        .then_expect_error(ShiftError::AlreadyOnShift);
}

#[test]
fn a_manager_ends_their_shift() {
    given(started())
        .when(ShiftCommand::EndShift { at: later(480) })
        .then_expect_events(vec![ShiftEvent::ShiftEnded { at: later(480) }]);
    let shift = state(ended());
    assert!(!shift.is_on_shift());
    assert_eq!(shift.on_shift_since, None);
    assert_eq!(shift.last_ended_at, Some(later(480)));
}

#[test]
fn a_manager_off_shift_cannot_end_one() {
    given(vec![])
        .when(ShiftCommand::EndShift { at: now() })
        .then_expect_error(ShiftError::NotOnShift);
    given(ended())
        .when(ShiftCommand::EndShift { at: later(500) })
        .then_expect_error(ShiftError::NotOnShift);
}

#[test]
fn a_new_shift_starts_after_one_ended() {
    given(ended())
        .when(ShiftCommand::StartShift { at: later(1440) })
        .then_expect_events(vec![ShiftEvent::ShiftStarted { at: later(1440) }]);
    let mut events = ended();
    events.push(ShiftEvent::ShiftStarted { at: later(1440) });
    let shift = state(events);
    assert_eq!(shift.on_shift_since, Some(later(1440)));
    assert_eq!(shift.shifts_started, 2);
}

#[test]
fn a_shift_ends_even_if_the_clock_is_behind_its_start() {
    given(started())
        .when(ShiftCommand::EndShift { at: later(-1) })
        .then_expect_events(vec![ShiftEvent::ShiftEnded { at: later(-1) }]);
}

#[test]
fn shift_errors_are_state_conflicts() {
    assert!(!ShiftError::AlreadyOnShift.is_invalid_value());
    assert!(!ShiftError::NotOnShift.is_invalid_value());
}

#[test]
fn shift_event_types_are_stable() {
    use cqrs_es::DomainEvent;
    assert_eq!(started()[0].event_type(), "ShiftStarted");
    assert_eq!(ended()[1].event_type(), "ShiftEnded");
}

#[test]
fn a_shift_survives_a_snapshot_round_trip() {
    let shift = state(ended());
    let json = serde_json::to_string(&shift).unwrap();
    assert_eq!(serde_json::from_str::<Shift>(&json).unwrap(), shift);
}

// ---------------------------------------------------------------- choose_manager

fn manager(id: u128, open_orders: u32, since_minutes: i64) -> OnShiftManager {
    OnShiftManager {
        manager_id: Uuid::from_u128(id),
        open_orders,
        on_shift_since: later(since_minutes),
    }
}

#[test]
fn nobody_on_shift_routes_nowhere() {
    assert_eq!(choose_manager(&[]), None);
    assert!(route_backlog(&[], 3).is_empty());
}

#[test]
fn the_only_manager_on_shift_gets_the_order() {
    assert_eq!(
        choose_manager(&[manager(1, 40, 0)]),
        Some(Uuid::from_u128(1))
    );
}

#[test]
fn the_least_loaded_manager_gets_the_order() {
    let on_shift = [manager(1, 3, 0), manager(2, 1, 30), manager(3, 2, -60)];
    assert_eq!(choose_manager(&on_shift), Some(Uuid::from_u128(2)));
}

#[test]
fn equal_loads_go_to_the_manager_on_shift_longest() {
    let on_shift = [manager(1, 2, 30), manager(2, 2, -60), manager(3, 2, 0)];
    assert_eq!(choose_manager(&on_shift), Some(Uuid::from_u128(2)));
}

#[test]
fn full_ties_go_to_the_smaller_id_whatever_the_input_order() {
    let a = manager(7, 2, 0);
    let b = manager(5, 2, 0);
    let c = manager(9, 2, 0);
    for on_shift in [[a, b, c], [c, b, a], [b, c, a]] {
        assert_eq!(choose_manager(&on_shift), Some(Uuid::from_u128(5)));
    }
}

#[test]
fn a_waiting_backlog_is_spread_by_load() {
    // 5 and 0 open orders: the second takes the first five waiting orders, then they alternate
    // (the tie goes to the one on shift longest, the first).
    let on_shift = [manager(1, 5, -60), manager(2, 0, 0)];
    let two = Uuid::from_u128(2);
    let one = Uuid::from_u128(1);
    assert_eq!(
        route_backlog(&on_shift, 8),
        vec![two, two, two, two, two, one, two, one]
    );
    assert_eq!(route_backlog(&on_shift, 0), Vec::<Uuid>::new());
}

#[test]
fn a_backlog_for_one_manager_goes_to_them_alone() {
    let one = Uuid::from_u128(1);
    assert_eq!(route_backlog(&[manager(1, 0, 0)], 3), vec![one, one, one]);
}
