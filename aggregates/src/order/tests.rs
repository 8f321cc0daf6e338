//! Given/when/then tests of the `Order` aggregate: every command, legal and illegal.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::*;
use crate::{Actor, Kopecks, Role};

// ---------------------------------------------------------------- fixtures

const PRICE: Kopecks = 1_000_000;
const FEE: Kopecks = 600_000;
const HALF: Kopecks = 500_000;
const GUARANTEE_DAYS: u32 = 14;

fn client() -> Uuid {
    Uuid::from_u128(1)
}
fn other_client() -> Uuid {
    Uuid::from_u128(2)
}
fn manager_id() -> Uuid {
    Uuid::from_u128(10)
}
fn author() -> Uuid {
    Uuid::from_u128(20)
}
fn other_author() -> Uuid {
    Uuid::from_u128(21)
}

fn manager() -> Actor {
    Actor::new(manager_id(), Role::Manager)
}
fn other_manager() -> Actor {
    Actor::new(Uuid::from_u128(11), Role::Manager)
}
fn admin() -> Actor {
    Actor::new(Uuid::from_u128(30), Role::Admin)
}
fn client_actor() -> Actor {
    Actor::new(client(), Role::Client)
}

/// The service clock's "now" in most commands.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 12, 0, 0).unwrap()
}
fn later(hours: i64) -> DateTime<Utc> {
    now() + TimeDelta::hours(hours)
}
fn offer_expiry() -> DateTime<Utc> {
    later(2)
}
fn guarantee_until() -> DateTime<Utc> {
    now() + TimeDelta::days(i64::from(GUARANTEE_DAYS))
}
fn deadline() -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 4, 1).unwrap()
}

fn file(name: &str) -> FileRef {
    FileRef {
        id: Uuid::from_u128(100),
        name: name.to_string(),
        size: 1234,
        content_type: "application/pdf".to_string(),
        sha256: "ab".repeat(32),
    }
}

fn order() -> TestFramework<Order> {
    TestFramework::<Order>::with(())
}
fn given(events: Vec<OrderEvent>) -> AggregateTestExecutor<Order> {
    order().given(events)
}

/// The state after `events`.
fn state(events: Vec<OrderEvent>) -> Order {
    let mut order = Order::default();
    for event in events {
        order.apply(event);
    }
    order
}

fn then(
    mut events: Vec<OrderEvent>,
    more: impl IntoIterator<Item = OrderEvent>,
) -> Vec<OrderEvent> {
    events.extend(more);
    events
}

/// `events` as they would be had the order never been routed.
fn unrouted(events: Vec<OrderEvent>) -> Vec<OrderEvent> {
    events
        .into_iter()
        .filter(|e| !matches!(e, OrderEvent::RoutedToManager { .. }))
        .collect()
}

// --- event fixtures, one per status, each building on the previous one

fn placed_event() -> OrderEvent {
    OrderEvent::OrderPlaced {
        number: 42,
        client_id: client(),
        work_type: "essay".to_string(),
        subject: "history".to_string(),
        topic: "The Hanseatic League".to_string(),
        pages: 12,
        deadline: deadline(),
        requirements: "APA style".to_string(),
        currency: "RUB".to_string(),
        source: OrderSource::Site,
        repeats: None,
        corporate: false,
    }
}
fn placed() -> Vec<OrderEvent> {
    vec![placed_event()]
}
fn routed() -> Vec<OrderEvent> {
    then(
        placed(),
        [OrderEvent::RoutedToManager {
            manager_id: manager_id(),
        }],
    )
}
fn price_set(price: Kopecks, author_fee: Kopecks) -> OrderEvent {
    OrderEvent::PriceSet {
        price,
        author_fee,
        first_half: price / 2,
        second_half: price - price / 2,
    }
}
fn priced() -> Vec<OrderEvent> {
    then(routed(), [price_set(PRICE, FEE)])
}
fn offered_event(author_id: Uuid) -> OrderEvent {
    OrderEvent::AuthorOffered {
        author_id,
        expires_at: offer_expiry(),
    }
}
fn offered() -> Vec<OrderEvent> {
    then(priced(), [offered_event(author())])
}
fn declined() -> Vec<OrderEvent> {
    then(
        offered(),
        [OrderEvent::OfferDeclined {
            author_id: author(),
            reason: "busy".to_string(),
        }],
    )
}
fn accepted() -> Vec<OrderEvent> {
    then(
        offered(),
        [OrderEvent::OfferAccepted {
            author_id: author(),
        }],
    )
}
fn payment(half: Half, amount: Kopecks, payment_id: &str) -> OrderEvent {
    OrderEvent::PaymentReceived {
        half,
        amount,
        payment_id: payment_id.to_string(),
    }
}
fn first_paid() -> OrderEvent {
    payment(Half::First, HALF, "pay-1")
}
fn second_paid() -> OrderEvent {
    payment(Half::Second, HALF, "pay-2")
}
fn in_progress() -> Vec<OrderEvent> {
    then(accepted(), [first_paid()])
}
fn draft_review() -> Vec<OrderEvent> {
    then(
        in_progress(),
        [OrderEvent::DraftSubmitted {
            file: file("draft.pdf"),
        }],
    )
}
fn half_ready() -> Vec<OrderEvent> {
    then(draft_review(), [OrderEvent::DraftApproved])
}
fn rework() -> Vec<OrderEvent> {
    then(
        draft_review(),
        [OrderEvent::DraftRejected {
            comment: "too short".to_string(),
        }],
    )
}
fn final_review() -> Vec<OrderEvent> {
    then(
        half_ready(),
        [OrderEvent::FinalSubmitted {
            file: file("final.pdf"),
        }],
    )
}
fn final_review_paid() -> Vec<OrderEvent> {
    then(
        half_ready(),
        [
            second_paid(),
            OrderEvent::FinalSubmitted {
                file: file("final.pdf"),
            },
        ],
    )
}
fn fully_ready() -> Vec<OrderEvent> {
    then(final_review(), [OrderEvent::FinalApproved])
}
fn delivered() -> Vec<OrderEvent> {
    then(
        final_review_paid(),
        [
            OrderEvent::FinalApproved,
            OrderEvent::OrderDelivered {
                guarantee_until: guarantee_until(),
            },
        ],
    )
}
fn completed() -> Vec<OrderEvent> {
    then(
        delivered(),
        [OrderEvent::OrderCompleted {
            rating: Some(5),
            review: "great".to_string(),
        }],
    )
}
fn failed() -> Vec<OrderEvent> {
    then(
        in_progress(),
        [OrderEvent::OrderFailed {
            reason: "client refused".to_string(),
            by: Role::Manager,
        }],
    )
}

/// One fixture per status, with the status it produces.
fn every_status() -> Vec<(OrderStatus, Vec<OrderEvent>)> {
    vec![
        (OrderStatus::New, priced()),
        (OrderStatus::Offered, offered()),
        (OrderStatus::AwaitingPrepayment, accepted()),
        (OrderStatus::InProgress, in_progress()),
        (OrderStatus::DraftReview, draft_review()),
        (OrderStatus::HalfReady, half_ready()),
        (OrderStatus::Rework, rework()),
        (OrderStatus::FinalReview, final_review()),
        (OrderStatus::FullyReady, fully_ready()),
        (OrderStatus::Delivered, delivered()),
        (OrderStatus::Completed, completed()),
        (OrderStatus::Failed, failed()),
    ]
}

fn statuses_other_than(allowed: &[OrderStatus]) -> Vec<(OrderStatus, Vec<OrderEvent>)> {
    every_status()
        .into_iter()
        .filter(|(status, _)| !allowed.contains(status))
        .collect()
}

// --- command fixtures

fn place_order() -> OrderCommand {
    OrderCommand::PlaceOrder {
        number: 42,
        client_id: client(),
        work_type: "essay".to_string(),
        subject: "history".to_string(),
        topic: "The Hanseatic League".to_string(),
        pages: 12,
        deadline: deadline(),
        requirements: "APA style".to_string(),
        manager_id: None,
        source: OrderSource::Site,
        repeats: None,
        corporate: false,
        at: now(),
    }
}
fn place_with(edit: impl FnOnce(&mut OrderCommand)) -> OrderCommand {
    let mut command = place_order();
    edit(&mut command);
    command
}
fn route(manager_id: Uuid) -> OrderCommand {
    OrderCommand::RouteToManager {
        manager_id,
        at: now(),
    }
}
fn reassign(manager_id: Uuid) -> OrderCommand {
    OrderCommand::ReassignManager {
        manager_id,
        at: now(),
    }
}
fn set_price(actor: Actor, price: Kopecks, author_fee: Kopecks) -> OrderCommand {
    OrderCommand::SetPrice {
        actor,
        price,
        author_fee,
        at: now(),
    }
}
fn offer(actor: Actor, author_id: Uuid) -> OrderCommand {
    OrderCommand::OfferToAuthor {
        actor,
        author_id,
        expires_at: offer_expiry(),
        at: now(),
    }
}
fn accept(author_id: Uuid, at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::AcceptOffer { author_id, at }
}
fn decline(author_id: Uuid) -> OrderCommand {
    OrderCommand::DeclineOffer {
        author_id,
        reason: "busy".to_string(),
        at: now(),
    }
}
fn expire(at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::ExpireOffer { at, next: None }
}
fn expire_to(at: DateTime<Utc>, author_id: Uuid, expires_at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::ExpireOffer {
        at,
        next: Some(NextOffer {
            author_id,
            expires_at,
        }),
    }
}
fn pay(half: Half, amount: Kopecks, payment_id: &str) -> OrderCommand {
    OrderCommand::RecordPayment {
        half,
        amount,
        payment_id: payment_id.to_string(),
        guarantee_days: GUARANTEE_DAYS,
        at: now(),
    }
}
fn submit_draft(author_id: Uuid) -> OrderCommand {
    OrderCommand::SubmitDraft {
        author_id,
        file: file("draft.pdf"),
        at: now(),
    }
}
fn submit_final(author_id: Uuid) -> OrderCommand {
    OrderCommand::SubmitFinal {
        author_id,
        file: file("final.pdf"),
        at: now(),
    }
}
fn approve_draft(actor: Actor) -> OrderCommand {
    OrderCommand::ApproveDraft { actor, at: now() }
}
fn reject_draft(actor: Actor) -> OrderCommand {
    OrderCommand::RejectDraft {
        actor,
        comment: "too short".to_string(),
        at: now(),
    }
}
fn approve_final(actor: Actor) -> OrderCommand {
    OrderCommand::ApproveFinal {
        actor,
        guarantee_days: GUARANTEE_DAYS,
        at: now(),
    }
}
fn reject_final(actor: Actor) -> OrderCommand {
    OrderCommand::RejectFinal {
        actor,
        comment: "sources missing".to_string(),
        at: now(),
    }
}
fn request_revision(client_id: Uuid, at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::RequestRevision {
        client_id,
        comment: "expand chapter 2".to_string(),
        at,
    }
}
fn complete(client_id: Uuid, rating: u8) -> OrderCommand {
    OrderCommand::Complete {
        client_id,
        rating,
        review: "thanks".to_string(),
        publish: false,
        at: later(1),
    }
}
fn close(at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::CloseAfterGuarantee { at }
}
fn cancel(actor: Actor) -> OrderCommand {
    OrderCommand::Cancel {
        actor,
        reason: "client refused".to_string(),
        at: now(),
    }
}
fn failed_by(by: Role) -> OrderEvent {
    OrderEvent::OrderFailed {
        reason: "client refused".to_string(),
        by,
    }
}
fn routed_to(manager: Actor) -> OrderEvent {
    OrderEvent::RoutedToManager {
        manager_id: manager.id,
    }
}

// ---------------------------------------------------------------- status codes

#[test]
fn every_status_code_parses_back_to_its_status() {
    for status in OrderStatus::ALL {
        assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        assert_eq!(status.to_string(), status.as_str());
    }
    assert_eq!(OrderStatus::parse("cancelled"), None);
    assert_eq!(OrderStatus::default(), OrderStatus::New);
}

#[test]
fn status_codes_are_the_serialized_form() {
    for status in OrderStatus::ALL {
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{}\"", status.as_str()));
    }
    assert_eq!(
        OrderStatus::AwaitingPrepayment.as_str(),
        "awaiting_prepayment"
    );
}

#[test]
fn each_fixture_reaches_the_status_it_is_named_for() {
    for (status, events) in every_status() {
        assert_eq!(state(events).status, status);
    }
}

#[test]
fn an_order_survives_a_snapshot_round_trip() {
    let order = state(delivered());
    let json = serde_json::to_string(&order).unwrap();
    let back: Order = serde_json::from_str(&json).unwrap();
    assert_eq!(back, order);
}

// ---------------------------------------------------------------- PlaceOrder

#[test]
fn placing_an_order_records_it_in_rubles() {
    given(vec![])
        .when(place_order())
        .then_expect_events(placed());
}

#[test]
fn placing_an_order_trims_its_text_fields() {
    given(vec![])
        .when(place_with(|c| {
            if let OrderCommand::PlaceOrder {
                work_type, topic, ..
            } = c
            {
                *work_type = "  essay ".to_string();
                *topic = "\tThe Hanseatic League\n".to_string();
            }
        }))
        .then_expect_events(placed());
}

#[test]
fn a_placed_order_is_new_and_unrouted() {
    let order = state(placed());
    assert!(order.placed);
    assert_eq!(order.status, OrderStatus::New);
    assert_eq!(order.number, 42);
    assert_eq!(order.client_id, client());
    assert_eq!(order.currency, "RUB");
    assert_eq!(order.manager_id, None);
    assert_eq!(order.paid(), 0);
}

#[test]
fn an_order_cannot_be_placed_twice() {
    given(placed())
        .when(place_order())
        .then_expect_error(OrderError::AlreadyPlaced);
}

#[test]
fn pages_must_be_between_one_and_a_thousand() {
    for pages in [0, 1001] {
        given(vec![])
            .when(place_with(|c| {
                if let OrderCommand::PlaceOrder { pages: p, .. } = c {
                    *p = pages;
                }
            }))
            .then_expect_error(OrderError::InvalidPages);
    }
    for pages in [1, 1000] {
        let events = given(vec![])
            .when(place_with(|c| {
                if let OrderCommand::PlaceOrder { pages: p, .. } = c {
                    *p = pages;
                }
            }))
            .inspect_result()
            .unwrap();
        assert_eq!(events.len(), 1);
    }
}

#[test]
fn a_blank_work_type_subject_or_topic_is_refused() {
    let blank = |field: &'static str| {
        place_with(move |c| {
            if let OrderCommand::PlaceOrder {
                work_type,
                subject,
                topic,
                ..
            } = c
            {
                let target = match field {
                    "work_type" => work_type,
                    "subject" => subject,
                    _ => topic,
                };
                *target = "   ".to_string();
            }
        })
    };
    for field in ["work_type", "subject", "topic"] {
        given(vec![])
            .when(blank(field))
            .then_expect_error(OrderError::EmptyField(field));
    }
}

#[test]
fn a_deadline_in_the_past_is_refused() {
    given(vec![])
        .when(place_with(|c| {
            if let OrderCommand::PlaceOrder { deadline, .. } = c {
                *deadline = NaiveDate::from_ymd_opt(2030, 2, 28).unwrap();
            }
        }))
        .then_expect_error(OrderError::DeadlineInPast);
}

#[test]
fn a_deadline_of_today_is_accepted() {
    let events = given(vec![])
        .when(place_with(|c| {
            if let OrderCommand::PlaceOrder { deadline, .. } = c {
                *deadline = now().date_naive();
            }
        }))
        .inspect_result()
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn every_other_command_on_an_unplaced_order_is_refused() {
    let commands = vec![
        route(manager_id()),
        set_price(admin(), PRICE, FEE),
        offer(admin(), author()),
        accept(author(), now()),
        decline(author()),
        expire(now()),
        pay(Half::First, HALF, "pay-1"),
        submit_draft(author()),
        approve_draft(admin()),
        reject_draft(admin()),
        submit_final(author()),
        approve_final(admin()),
        reject_final(admin()),
        request_revision(client(), now()),
        complete(client(), 5),
        close(now()),
        cancel(admin()),
    ];
    for command in commands {
        given(vec![])
            .when(command)
            .then_expect_error(OrderError::NotPlaced);
    }
}

// ---------------------------------------------------------------- RouteToManager

#[test]
fn routing_an_order_records_its_manager() {
    given(placed())
        .when(route(manager_id()))
        .then_expect_events(vec![routed_to(manager())]);
}

#[test]
fn routing_again_to_the_same_manager_changes_nothing() {
    given(routed())
        .when(route(manager_id()))
        .then_expect_events(vec![]);
}

#[test]
fn routing_an_order_that_has_a_manager_changes_nothing() {
    for (_, events) in statuses_other_than(&[OrderStatus::Completed, OrderStatus::Failed]) {
        given(events)
            .when(route(other_manager().id))
            .then_expect_events(vec![]);
    }
}

#[test]
fn an_unrouted_open_order_is_routed_in_any_status() {
    for (_, events) in statuses_other_than(&[OrderStatus::Completed, OrderStatus::Failed]) {
        given(unrouted(events))
            .when(route(other_manager().id))
            .then_expect_events(vec![routed_to(other_manager())]);
    }
}

#[test]
fn an_open_order_can_be_reassigned_to_another_manager() {
    for (_, events) in statuses_other_than(&[OrderStatus::Completed, OrderStatus::Failed]) {
        given(events)
            .when(reassign(other_manager().id))
            .then_expect_events(vec![routed_to(other_manager())]);
    }
    given(routed())
        .when(reassign(manager_id()))
        .then_expect_events(vec![]);
    assert_eq!(
        state(then(routed(), [routed_to(other_manager())])).manager_id,
        Some(other_manager().id)
    );
}

#[test]
fn a_finished_order_cannot_be_routed() {
    given(completed())
        .when(route(other_manager().id))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Completed));
    given(failed())
        .when(route(other_manager().id))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Failed));
    given(unrouted(failed()))
        .when(route(other_manager().id))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Failed));
    given(completed())
        .when(reassign(other_manager().id))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Completed));
}

// ---------------------------------------------------------------- SetPrice

#[test]
fn setting_the_price_splits_it_into_two_halves() {
    given(routed())
        .when(set_price(manager(), PRICE, FEE))
        .then_expect_events(vec![OrderEvent::PriceSet {
            price: PRICE,
            author_fee: FEE,
            first_half: HALF,
            second_half: HALF,
        }]);
}

#[test]
fn an_odd_price_splits_into_halves_that_sum_to_it() {
    given(routed())
        .when(set_price(manager(), 250_001, 100_000))
        .then_expect_events(vec![OrderEvent::PriceSet {
            price: 250_001,
            author_fee: 100_000,
            first_half: 125_000,
            second_half: 125_001,
        }]);
}

#[test]
fn a_new_order_can_be_repriced() {
    given(priced())
        .when(set_price(manager(), 2 * PRICE, FEE))
        .then_expect_events(vec![price_set(2 * PRICE, FEE)]);
    given(declined())
        .when(set_price(manager(), 2 * PRICE, FEE))
        .then_expect_events(vec![price_set(2 * PRICE, FEE)]);
}

#[test]
fn a_manager_claims_an_unrouted_order_by_pricing_it() {
    given(placed())
        .when(set_price(manager(), PRICE, FEE))
        .then_expect_events(vec![routed_to(manager()), price_set(PRICE, FEE)]);
}

#[test]
fn another_manager_cannot_price_a_routed_order() {
    given(routed())
        .when(set_price(other_manager(), PRICE, FEE))
        .then_expect_error(OrderError::RoutedToAnotherManager);
}

#[test]
fn an_admin_prices_any_order_without_claiming_it() {
    given(routed())
        .when(set_price(admin(), PRICE, FEE))
        .then_expect_events(vec![price_set(PRICE, FEE)]);
    given(placed())
        .when(set_price(admin(), PRICE, FEE))
        .then_expect_events(vec![price_set(PRICE, FEE)]);
}

#[test]
fn a_price_must_be_positive() {
    for price in [0, -100] {
        given(routed())
            .when(set_price(manager(), price, 0))
            .then_expect_error(OrderError::InvalidPrice);
    }
}

#[test]
fn a_price_above_the_cap_is_refused() {
    given(routed())
        .when(set_price(manager(), crate::order::MAX_PRICE + 1, 0))
        .then_expect_error(OrderError::InvalidPrice);
    given(routed())
        .when(set_price(manager(), i64::MAX, 0))
        .then_expect_error(OrderError::InvalidPrice);
}

#[test]
fn texts_longer_than_their_field_allows_are_refused() {
    given(priced())
        .when(edit_cmd(changes(|c| c.topic = Some("т".repeat(501)))))
        .then_expect_error(OrderError::TooLong {
            field: "topic",
            max: 500,
        });
}

#[test]
fn a_refused_claiming_command_emits_nothing() {
    given(placed())
        .when(set_price(manager(), 0, 0))
        .then_expect_error(OrderError::InvalidPrice);
}

#[test]
fn the_authors_fee_must_be_between_zero_and_the_price() {
    for fee in [-1, PRICE + 1] {
        given(routed())
            .when(set_price(manager(), PRICE, fee))
            .then_expect_error(OrderError::InvalidAuthorFee);
    }
    for fee in [0, PRICE] {
        given(routed())
            .when(set_price(manager(), PRICE, fee))
            .then_expect_events(vec![price_set(PRICE, fee)]);
    }
}

#[test]
fn the_price_is_fixed_once_the_order_leaves_new() {
    for (status, events) in statuses_other_than(&[OrderStatus::New]) {
        given(events)
            .when(set_price(admin(), -1, 0))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- OfferToAuthor

#[test]
fn a_priced_order_is_offered_to_an_author() {
    given(priced())
        .when(offer(manager(), author()))
        .then_expect_events(vec![offered_event(author())]);
    let order = state(offered());
    assert_eq!(order.status, OrderStatus::Offered);
    assert_eq!(order.offered_to, Some(author()));
    assert_eq!(order.offer_expires_at, Some(offer_expiry()));
}

#[test]
fn an_unpriced_order_cannot_be_offered() {
    given(routed())
        .when(offer(manager(), author()))
        .then_expect_error(OrderError::PriceNotSet);
}

#[test]
fn an_author_who_declined_is_not_offered_the_order_again() {
    given(declined())
        .when(offer(manager(), author()))
        .then_expect_error(OrderError::AuthorAlreadyDeclined);
    given(declined())
        .when(offer(manager(), other_author()))
        .then_expect_events(vec![offered_event(other_author())]);
}

#[test]
fn an_offer_must_expire_after_it_is_made() {
    given(priced())
        .when(OrderCommand::OfferToAuthor {
            actor: manager(),
            author_id: author(),
            expires_at: now(),
            at: now(),
        })
        .then_expect_error(OrderError::InvalidExpiry);
}

#[test]
fn only_a_new_order_can_be_offered() {
    for (status, events) in statuses_other_than(&[OrderStatus::New]) {
        given(events)
            .when(offer(admin(), other_author()))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

#[test]
fn a_manager_claims_an_unrouted_order_by_offering_it() {
    given(unrouted(priced()))
        .when(offer(manager(), author()))
        .then_expect_events(vec![routed_to(manager()), offered_event(author())]);
}

#[test]
fn another_manager_cannot_offer_a_routed_order() {
    given(priced())
        .when(offer(other_manager(), author()))
        .then_expect_error(OrderError::RoutedToAnotherManager);
}

#[test]
fn an_admin_offers_a_routed_order_without_claiming_it() {
    given(priced())
        .when(offer(admin(), author()))
        .then_expect_events(vec![offered_event(author())]);
}

// ---------------------------------------------------------------- AcceptOffer

#[test]
fn the_offered_author_takes_the_order() {
    given(offered())
        .when(accept(author(), later(1)))
        .then_expect_events(vec![OrderEvent::OfferAccepted {
            author_id: author(),
        }]);
    let order = state(accepted());
    assert_eq!(order.status, OrderStatus::AwaitingPrepayment);
    assert_eq!(order.author_id, Some(author()));
    assert_eq!(order.offered_to, None);
}

#[test]
fn another_author_cannot_take_the_offer() {
    given(offered())
        .when(accept(other_author(), now()))
        .then_expect_error(OrderError::NotOfferedToYou);
}

#[test]
fn an_expired_offer_cannot_be_taken() {
    given(offered())
        .when(accept(author(), offer_expiry()))
        .then_expect_error(OrderError::OfferExpired);
}

#[test]
fn an_order_not_on_offer_cannot_be_taken() {
    for (status, events) in statuses_other_than(&[OrderStatus::Offered]) {
        given(events)
            .when(accept(author(), now()))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- DeclineOffer

#[test]
fn a_declined_order_returns_to_new() {
    given(offered())
        .when(decline(author()))
        .then_expect_events(vec![OrderEvent::OfferDeclined {
            author_id: author(),
            reason: "busy".to_string(),
        }]);
    let order = state(declined());
    assert_eq!(order.status, OrderStatus::New);
    assert_eq!(order.declined_by, vec![author()]);
    assert_eq!(order.offered_to, None);
    assert_eq!(order.offer_expires_at, None);
}

#[test]
fn another_author_cannot_decline_the_offer() {
    given(offered())
        .when(decline(other_author()))
        .then_expect_error(OrderError::NotOfferedToYou);
}

#[test]
fn an_order_not_on_offer_cannot_be_declined() {
    for (status, events) in statuses_other_than(&[OrderStatus::Offered]) {
        given(events)
            .when(decline(author()))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- ExpireOffer

#[test]
fn an_offer_past_its_time_expires() {
    given(offered())
        .when(expire(offer_expiry()))
        .then_expect_events(vec![OrderEvent::OfferExpired {
            author_id: author(),
        }]);
}

#[test]
fn an_expired_offer_returns_the_order_to_new_and_is_not_repeated() {
    let expired = then(
        offered(),
        [OrderEvent::OfferExpired {
            author_id: author(),
        }],
    );
    let order = state(expired.clone());
    assert_eq!(order.status, OrderStatus::New);
    assert_eq!(order.declined_by, vec![author()]);
    assert_eq!(order.offered_to, None);
    given(expired)
        .when(offer(manager(), author()))
        .then_expect_error(OrderError::AuthorAlreadyDeclined);
}

#[test]
fn an_expired_offer_passes_to_the_next_author_in_the_same_step() {
    let next = Uuid::from_u128(0x77);
    given(offered())
        .when(expire_to(offer_expiry(), next, later(500)))
        .then_expect_events(vec![
            OrderEvent::OfferExpired {
                author_id: author(),
            },
            OrderEvent::AuthorOffered {
                author_id: next,
                expires_at: later(500),
            },
        ]);
    let order = state(then(
        offered(),
        [
            OrderEvent::OfferExpired {
                author_id: author(),
            },
            OrderEvent::AuthorOffered {
                author_id: next,
                expires_at: later(500),
            },
        ],
    ));
    assert_eq!(order.status, OrderStatus::Offered);
    assert_eq!(order.offered_to, Some(next));
}

#[test]
fn an_expired_offer_never_passes_back_to_the_same_author_or_one_who_declined() {
    given(offered())
        .when(expire_to(offer_expiry(), author(), later(500)))
        .then_expect_error(OrderError::AuthorAlreadyDeclined);
    given(offered())
        .when(expire_to(
            offer_expiry(),
            Uuid::from_u128(0x77),
            offer_expiry(),
        ))
        .then_expect_error(OrderError::InvalidExpiry);
}

#[test]
fn a_timer_firing_twice_expires_the_offer_once() {
    let next = Uuid::from_u128(0x77);
    let once = then(
        offered(),
        [
            OrderEvent::OfferExpired {
                author_id: author(),
            },
            OrderEvent::AuthorOffered {
                author_id: next,
                expires_at: later(500),
            },
        ],
    );
    // The second firing sees the new offer, which has not run out.
    given(once)
        .when(expire_to(offer_expiry(), Uuid::from_u128(0x78), later(600)))
        .then_expect_error(OrderError::OfferNotExpired);
}

#[test]
fn a_running_offer_does_not_expire() {
    given(offered())
        .when(expire(later(1)))
        .then_expect_error(OrderError::OfferNotExpired);
}

#[test]
fn an_order_not_on_offer_cannot_expire() {
    for (status, events) in statuses_other_than(&[OrderStatus::Offered]) {
        given(events)
            .when(expire(later(100)))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- RecordPayment

#[test]
fn the_first_half_starts_the_work() {
    given(accepted())
        .when(pay(Half::First, HALF, "pay-1"))
        .then_expect_events(vec![first_paid()]);
    let order = state(in_progress());
    assert_eq!(order.status, OrderStatus::InProgress);
    assert_eq!(order.first_payment.as_deref(), Some("pay-1"));
    assert_eq!(order.paid(), HALF);
}

#[test]
fn the_first_half_must_be_the_exact_amount() {
    given(accepted())
        .when(pay(Half::First, HALF - 1, "pay-1"))
        .then_expect_error(OrderError::WrongAmount {
            half: Half::First,
            expected: HALF,
            got: HALF - 1,
        });
}

#[test]
fn the_first_half_is_only_taken_once_an_author_is_found() {
    given(priced())
        .when(pay(Half::First, HALF, "pay-1"))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::New));
    given(offered())
        .when(pay(Half::First, HALF, "pay-1"))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Offered));
    given(then(accepted(), [failed_by(Role::Client)]))
        .when(pay(Half::First, HALF, "pay-1"))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Failed));
}

#[test]
fn a_payment_needs_a_payment_id() {
    given(accepted())
        .when(pay(Half::First, HALF, "  "))
        .then_expect_error(OrderError::EmptyField("payment_id"));
}

#[test]
fn a_repeated_payment_notification_changes_nothing() {
    given(in_progress())
        .when(pay(Half::First, HALF, "pay-1"))
        .then_expect_events(vec![]);
    given(delivered())
        .when(pay(Half::First, HALF, "pay-1"))
        .then_expect_events(vec![]);
    given(delivered())
        .when(pay(Half::Second, HALF, "pay-2"))
        .then_expect_events(vec![]);
    given(completed())
        .when(pay(Half::Second, HALF, "pay-2"))
        .then_expect_events(vec![]);
}

#[test]
fn a_paid_half_cannot_be_paid_again_with_another_payment() {
    given(in_progress())
        .when(pay(Half::First, HALF, "pay-9"))
        .then_expect_error(OrderError::HalfAlreadyPaid(Half::First));
    given(delivered())
        .when(pay(Half::Second, HALF, "pay-9"))
        .then_expect_error(OrderError::HalfAlreadyPaid(Half::Second));
}

#[test]
fn a_second_half_before_the_first_is_refused() {
    given(accepted())
        .when(pay(Half::Second, HALF, "pay-2"))
        .then_expect_error(OrderError::FirstHalfNotPaid);
    given(priced())
        .when(pay(Half::Second, HALF, "pay-2"))
        .then_expect_error(OrderError::FirstHalfNotPaid);
}

#[test]
fn the_second_half_can_be_paid_at_any_time_during_the_work() {
    for events in [
        in_progress(),
        draft_review(),
        half_ready(),
        rework(),
        final_review(),
    ] {
        let status = state(events.clone()).status;
        given(events.clone())
            .when(pay(Half::Second, HALF, "pay-2"))
            .then_expect_events(vec![second_paid()]);
        let order = state(then(events, [second_paid()]));
        assert_eq!(order.status, status, "paying must not move {status}");
        assert_eq!(order.paid(), PRICE);
    }
}

#[test]
fn the_second_half_on_a_fully_ready_order_delivers_it() {
    given(fully_ready())
        .when(pay(Half::Second, HALF, "pay-2"))
        .then_expect_events(vec![
            second_paid(),
            OrderEvent::OrderDelivered {
                guarantee_until: guarantee_until(),
            },
        ]);
}

#[test]
fn the_second_half_must_be_the_exact_amount() {
    given(half_ready())
        .when(pay(Half::Second, PRICE, "pay-2"))
        .then_expect_error(OrderError::WrongAmount {
            half: Half::Second,
            expected: HALF,
            got: PRICE,
        });
}

#[test]
fn the_second_half_is_not_taken_for_a_failed_order() {
    given(failed())
        .when(pay(Half::Second, HALF, "pay-2"))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Failed));
}

#[test]
fn halves_of_an_odd_price_are_paid_to_the_kopeck() {
    let events: Vec<OrderEvent> = accepted()
        .into_iter()
        .map(|e| match e {
            OrderEvent::PriceSet { .. } => price_set(250_001, 100_000),
            other => other,
        })
        .collect();
    given(events.clone())
        .when(pay(Half::First, 125_001, "pay-1"))
        .then_expect_error(OrderError::WrongAmount {
            half: Half::First,
            expected: 125_000,
            got: 125_001,
        });
    let events = then(events, [payment(Half::First, 125_000, "pay-1")]);
    given(events.clone())
        .when(pay(Half::Second, 125_001, "pay-2"))
        .then_expect_events(vec![payment(Half::Second, 125_001, "pay-2")]);
    let order = state(then(events, [payment(Half::Second, 125_001, "pay-2")]));
    assert_eq!(order.paid(), 250_001);
    assert!(order.fully_paid());
}

// ---------------------------------------------------------------- SubmitDraft

#[test]
fn the_author_uploads_a_draft_for_review() {
    given(in_progress())
        .when(submit_draft(author()))
        .then_expect_events(vec![OrderEvent::DraftSubmitted {
            file: file("draft.pdf"),
        }]);
    let order = state(draft_review());
    assert_eq!(order.status, OrderStatus::DraftReview);
    assert_eq!(order.files, vec![(FileKind::Draft, file("draft.pdf"))]);
}

#[test]
fn only_the_assigned_author_uploads_a_draft() {
    given(in_progress())
        .when(submit_draft(other_author()))
        .then_expect_error(OrderError::NotYourWork);
}

#[test]
fn a_draft_before_an_author_is_assigned_is_refused() {
    given(offered())
        .when(submit_draft(author()))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Offered));
}

#[test]
fn a_draft_is_taken_only_while_working_or_reworking() {
    for (status, events) in statuses_other_than(&[OrderStatus::InProgress, OrderStatus::Rework])
        .into_iter()
        .filter(|(_, events)| state(events.clone()).author_id.is_some())
    {
        given(events)
            .when(submit_draft(author()))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- ApproveDraft / RejectDraft

#[test]
fn an_approved_draft_is_half_ready() {
    given(draft_review())
        .when(approve_draft(manager()))
        .then_expect_events(vec![OrderEvent::DraftApproved]);
    assert_eq!(state(half_ready()).status, OrderStatus::HalfReady);
}

#[test]
fn a_rejected_draft_goes_to_rework_and_is_counted() {
    given(draft_review())
        .when(reject_draft(manager()))
        .then_expect_events(vec![OrderEvent::DraftRejected {
            comment: "too short".to_string(),
        }]);
    let order = state(rework());
    assert_eq!(order.status, OrderStatus::Rework);
    assert_eq!(order.draft_rejections, 1);
}

#[test]
fn a_reworked_draft_goes_back_to_review() {
    given(rework())
        .when(submit_draft(author()))
        .then_expect_events(vec![OrderEvent::DraftSubmitted {
            file: file("draft.pdf"),
        }]);
    let twice = then(
        rework(),
        [
            OrderEvent::DraftSubmitted {
                file: file("draft.pdf"),
            },
            OrderEvent::DraftRejected {
                comment: "still short".to_string(),
            },
        ],
    );
    assert_eq!(state(twice).draft_rejections, 2);
}

#[test]
fn drafts_are_reviewed_only_in_draft_review() {
    for (status, events) in statuses_other_than(&[OrderStatus::DraftReview]) {
        given(events.clone())
            .when(approve_draft(manager()))
            .then_expect_error(OrderError::WrongStatus(status));
        given(events)
            .when(reject_draft(manager()))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

#[test]
fn another_manager_cannot_review_the_draft() {
    given(draft_review())
        .when(approve_draft(other_manager()))
        .then_expect_error(OrderError::RoutedToAnotherManager);
    given(draft_review())
        .when(reject_draft(other_manager()))
        .then_expect_error(OrderError::RoutedToAnotherManager);
}

#[test]
fn a_manager_claims_an_unrouted_order_by_reviewing_its_draft() {
    given(unrouted(draft_review()))
        .when(approve_draft(manager()))
        .then_expect_events(vec![routed_to(manager()), OrderEvent::DraftApproved]);
    given(unrouted(draft_review()))
        .when(reject_draft(manager()))
        .then_expect_events(vec![
            routed_to(manager()),
            OrderEvent::DraftRejected {
                comment: "too short".to_string(),
            },
        ]);
}

#[test]
fn an_admin_reviews_any_draft() {
    given(draft_review())
        .when(approve_draft(admin()))
        .then_expect_events(vec![OrderEvent::DraftApproved]);
}

// ---------------------------------------------------------------- SubmitFinal

#[test]
fn the_author_uploads_the_final_work_for_review() {
    for events in [in_progress(), half_ready(), rework()] {
        given(events)
            .when(submit_final(author()))
            .then_expect_events(vec![OrderEvent::FinalSubmitted {
                file: file("final.pdf"),
            }]);
    }
    let order = state(final_review());
    assert_eq!(order.status, OrderStatus::FinalReview);
    assert_eq!(
        order.files,
        vec![
            (FileKind::Draft, file("draft.pdf")),
            (FileKind::Final, file("final.pdf"))
        ]
    );
}

#[test]
fn only_the_assigned_author_uploads_the_final_work() {
    given(half_ready())
        .when(submit_final(other_author()))
        .then_expect_error(OrderError::NotYourWork);
}

#[test]
fn a_final_before_an_author_is_assigned_is_refused() {
    given(priced())
        .when(submit_final(author()))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::New));
}

#[test]
fn the_final_work_is_taken_only_while_working() {
    let allowed = [
        OrderStatus::InProgress,
        OrderStatus::HalfReady,
        OrderStatus::Rework,
    ];
    for (status, events) in statuses_other_than(&allowed)
        .into_iter()
        .filter(|(_, events)| state(events.clone()).author_id.is_some())
    {
        given(events)
            .when(submit_final(author()))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- ApproveFinal / RejectFinal

#[test]
fn an_approved_final_with_both_halves_paid_is_delivered() {
    given(final_review_paid())
        .when(approve_final(manager()))
        .then_expect_events(vec![
            OrderEvent::FinalApproved,
            OrderEvent::OrderDelivered {
                guarantee_until: guarantee_until(),
            },
        ]);
    let order = state(delivered());
    assert_eq!(order.status, OrderStatus::Delivered);
    assert_eq!(order.guarantee_until, Some(guarantee_until()));
    assert_eq!(order.paid(), PRICE);
}

#[test]
fn the_guarantee_period_is_taken_from_the_command() {
    given(final_review_paid())
        .when(OrderCommand::ApproveFinal {
            actor: manager(),
            guarantee_days: 3,
            at: now(),
        })
        .then_expect_events(vec![
            OrderEvent::FinalApproved,
            OrderEvent::OrderDelivered {
                guarantee_until: now() + TimeDelta::days(3),
            },
        ]);
}

#[test]
fn an_absurdly_long_guarantee_saturates_instead_of_panicking() {
    let events = given(final_review_paid())
        .when(OrderCommand::ApproveFinal {
            actor: manager(),
            guarantee_days: u32::MAX,
            at: now(),
        })
        .inspect_result()
        .unwrap();
    assert_eq!(
        events.last(),
        Some(&OrderEvent::OrderDelivered {
            guarantee_until: DateTime::<Utc>::MAX_UTC
        })
    );
}

#[test]
fn an_approved_final_without_the_second_half_waits_fully_ready() {
    given(final_review())
        .when(approve_final(manager()))
        .then_expect_events(vec![OrderEvent::FinalApproved]);
    let order = state(fully_ready());
    assert_eq!(order.status, OrderStatus::FullyReady);
    assert_eq!(order.guarantee_until, None);
}

#[test]
fn a_rejected_final_goes_to_rework() {
    given(final_review())
        .when(reject_final(manager()))
        .then_expect_events(vec![OrderEvent::FinalRejected {
            comment: "sources missing".to_string(),
        }]);
    let reworking = then(
        final_review(),
        [OrderEvent::FinalRejected {
            comment: "sources missing".to_string(),
        }],
    );
    let order = state(reworking.clone());
    assert_eq!(order.status, OrderStatus::Rework);
    assert_eq!(order.final_rejections, 1);
    assert_eq!(order.draft_rejections, 0);
    given(reworking.clone())
        .when(submit_final(author()))
        .then_expect_events(vec![OrderEvent::FinalSubmitted {
            file: file("final.pdf"),
        }]);
    given(reworking)
        .when(submit_draft(author()))
        .then_expect_events(vec![OrderEvent::DraftSubmitted {
            file: file("draft.pdf"),
        }]);
}

#[test]
fn finals_are_reviewed_only_in_final_review() {
    for (status, events) in statuses_other_than(&[OrderStatus::FinalReview]) {
        given(events.clone())
            .when(approve_final(manager()))
            .then_expect_error(OrderError::WrongStatus(status));
        given(events)
            .when(reject_final(manager()))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

#[test]
fn another_manager_cannot_review_the_final() {
    given(final_review())
        .when(approve_final(other_manager()))
        .then_expect_error(OrderError::RoutedToAnotherManager);
    given(final_review())
        .when(reject_final(other_manager()))
        .then_expect_error(OrderError::RoutedToAnotherManager);
}

#[test]
fn a_manager_claims_an_unrouted_order_by_reviewing_its_final() {
    given(unrouted(final_review_paid()))
        .when(approve_final(manager()))
        .then_expect_events(vec![
            routed_to(manager()),
            OrderEvent::FinalApproved,
            OrderEvent::OrderDelivered {
                guarantee_until: guarantee_until(),
            },
        ]);
    given(unrouted(final_review()))
        .when(reject_final(manager()))
        .then_expect_events(vec![
            routed_to(manager()),
            OrderEvent::FinalRejected {
                comment: "sources missing".to_string(),
            },
        ]);
}

#[test]
fn an_admin_approves_any_final() {
    given(final_review())
        .when(approve_final(admin()))
        .then_expect_events(vec![OrderEvent::FinalApproved]);
}

// ---------------------------------------------------------------- RequestRevision

#[test]
fn the_client_asks_for_changes_on_the_preview() {
    given(half_ready())
        .when(request_revision(client(), now()))
        .then_expect_events(vec![OrderEvent::RevisionRequested {
            comment: "expand chapter 2".to_string(),
        }]);
}

#[test]
fn a_revision_within_the_guarantee_sends_the_work_back() {
    given(delivered())
        .when(request_revision(client(), guarantee_until()))
        .then_expect_events(vec![OrderEvent::RevisionRequested {
            comment: "expand chapter 2".to_string(),
        }]);
    let order = state(then(
        delivered(),
        [OrderEvent::RevisionRequested {
            comment: "expand chapter 2".to_string(),
        }],
    ));
    assert_eq!(order.status, OrderStatus::Rework);
    assert_eq!(order.guarantee_until, Some(guarantee_until()));
    assert_eq!(order.revision_requests, 1);
}

#[test]
fn a_revision_after_the_guarantee_is_refused() {
    given(delivered())
        .when(request_revision(
            client(),
            guarantee_until() + TimeDelta::seconds(1),
        ))
        .then_expect_error(OrderError::GuaranteeExpired);
}

#[test]
fn a_revised_work_is_delivered_again_with_a_new_guarantee() {
    let redo_at = now() + TimeDelta::days(10);
    let revised = then(
        delivered(),
        [
            OrderEvent::RevisionRequested {
                comment: "expand chapter 2".to_string(),
            },
            OrderEvent::FinalSubmitted {
                file: file("final-2.pdf"),
            },
        ],
    );
    given(revised)
        .when(OrderCommand::ApproveFinal {
            actor: manager(),
            guarantee_days: GUARANTEE_DAYS,
            at: redo_at,
        })
        .then_expect_events(vec![
            OrderEvent::FinalApproved,
            OrderEvent::OrderDelivered {
                guarantee_until: redo_at + TimeDelta::days(i64::from(GUARANTEE_DAYS)),
            },
        ]);
}

#[test]
fn only_the_orders_client_asks_for_a_revision() {
    given(half_ready())
        .when(request_revision(other_client(), now()))
        .then_expect_error(OrderError::NotYourOrder);
    given(delivered())
        .when(request_revision(other_client(), now()))
        .then_expect_error(OrderError::NotYourOrder);
}

#[test]
fn a_revision_is_asked_only_on_the_preview_or_the_delivered_work() {
    for (status, events) in statuses_other_than(&[OrderStatus::HalfReady, OrderStatus::Delivered]) {
        given(events)
            .when(request_revision(client(), now()))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- Complete

#[test]
fn the_client_accepts_the_work_with_a_rating_from_one_to_five() {
    for rating in [1, 5] {
        given(delivered())
            .when(complete(client(), rating))
            .then_expect_events(vec![OrderEvent::OrderCompleted {
                rating: Some(rating),
                review: "thanks".to_string(),
            }]);
    }
    let order = state(completed());
    assert_eq!(order.status, OrderStatus::Completed);
    assert_eq!(order.rating, Some(5));
    assert_eq!(order.review.as_deref(), Some("great"));
}

#[test]
fn a_rating_outside_one_to_five_is_refused() {
    for rating in [0, 6] {
        given(delivered())
            .when(complete(client(), rating))
            .then_expect_error(OrderError::InvalidRating);
    }
}

#[test]
fn only_the_orders_client_accepts_the_work() {
    given(delivered())
        .when(complete(other_client(), 5))
        .then_expect_error(OrderError::NotYourOrder);
}

#[test]
fn only_a_delivered_work_can_be_accepted() {
    for (status, events) in statuses_other_than(&[OrderStatus::Delivered]) {
        given(events)
            .when(complete(client(), 5))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- Public reviews

fn published() -> Vec<OrderEvent> {
    then(
        completed(),
        [OrderEvent::ReviewPublished {
            rating: 5,
            review: "great".to_string(),
            work_type: "essay".to_string(),
            subject: "history".to_string(),
        }],
    )
}

fn hide(actor: Actor, reason: &str) -> OrderCommand {
    OrderCommand::HideReview {
        actor,
        reason: reason.to_string(),
        at: later(2),
    }
}

#[test]
fn a_client_who_publishes_puts_the_rating_and_review_on_the_site_without_a_name() {
    given(delivered())
        .when(OrderCommand::Complete {
            client_id: client(),
            rating: 4,
            review: "clear".to_string(),
            publish: true,
            at: later(1),
        })
        .then_expect_events(vec![
            OrderEvent::OrderCompleted {
                rating: Some(4),
                review: "clear".to_string(),
            },
            OrderEvent::ReviewPublished {
                rating: 4,
                review: "clear".to_string(),
                work_type: "essay".to_string(),
                subject: "history".to_string(),
            },
        ]);
    let order = state(published());
    assert!(order.review_published && !order.review_hidden);
    assert_eq!(
        order.status,
        OrderStatus::Completed,
        "publishing moves no status"
    );
}

#[test]
fn the_orders_manager_or_an_admin_hides_a_published_review_once() {
    for actor in [manager(), admin()] {
        given(published())
            .when(hide(actor, "a phone number"))
            .then_expect_events(vec![OrderEvent::ReviewHidden {
                reason: "a phone number".to_string(),
            }]);
    }
    let hidden = then(
        published(),
        [OrderEvent::ReviewHidden {
            reason: "x".to_string(),
        }],
    );
    assert!(state(hidden.clone()).review_hidden);
    given(hidden)
        .when(hide(manager(), "again"))
        .then_expect_error(OrderError::ReviewAlreadyHidden);
    given(completed())
        .when(hide(manager(), "x"))
        .then_expect_error(OrderError::NoPublishedReview);
    given(published())
        .when(hide(other_manager(), "x"))
        .then_expect_error(OrderError::RoutedToAnotherManager);
    given(published())
        .when(hide(client_actor(), "x"))
        .then_expect_error(OrderError::NotYourOrder);
    given(published())
        .when(hide(manager(), " "))
        .then_expect_error(OrderError::EmptyField("reason"));
}

// ---------------------------------------------------------------- CloseAfterGuarantee

#[test]
fn an_order_closes_unrated_when_the_guarantee_ends() {
    let after = guarantee_until() + TimeDelta::seconds(1);
    given(delivered())
        .when(close(after))
        .then_expect_events(vec![OrderEvent::OrderCompleted {
            rating: None,
            review: String::new(),
        }]);
    let order = state(then(
        delivered(),
        [OrderEvent::OrderCompleted {
            rating: None,
            review: String::new(),
        }],
    ));
    assert_eq!(order.status, OrderStatus::Completed);
    assert_eq!(order.rating, None);
}

#[test]
fn an_order_does_not_close_while_the_guarantee_runs() {
    given(delivered())
        .when(close(guarantee_until()))
        .then_expect_error(OrderError::GuaranteeRunning);
}

#[test]
fn only_a_delivered_order_closes_after_the_guarantee() {
    for (status, events) in statuses_other_than(&[OrderStatus::Delivered]) {
        given(events)
            .when(close(guarantee_until() + TimeDelta::days(1)))
            .then_expect_error(OrderError::WrongStatus(status));
    }
}

// ---------------------------------------------------------------- Cancel

#[test]
fn the_client_cancels_before_work_starts() {
    for events in [priced(), offered(), accepted()] {
        given(events)
            .when(cancel(client_actor()))
            .then_expect_events(vec![failed_by(Role::Client)]);
    }
    let order = state(then(offered(), [failed_by(Role::Client)]));
    assert_eq!(order.status, OrderStatus::Failed);
    assert_eq!(order.failure_reason.as_deref(), Some("client refused"));
    assert_eq!(order.failed_by, Some(Role::Client));
    assert_eq!(order.offered_to, None);
}

#[test]
fn the_client_cannot_cancel_once_work_has_started() {
    let before_work = [
        OrderStatus::New,
        OrderStatus::Offered,
        OrderStatus::AwaitingPrepayment,
    ];
    for (_, events) in statuses_other_than(&before_work) {
        given(events)
            .when(cancel(client_actor()))
            .then_expect_error(OrderError::NotCancellable(Role::Client));
    }
}

#[test]
fn a_client_cannot_cancel_someone_elses_order() {
    given(priced())
        .when(cancel(Actor::new(other_client(), Role::Client)))
        .then_expect_error(OrderError::NotYourOrder);
}

#[test]
fn a_manager_or_admin_cancels_at_any_time_before_delivery() {
    let after_delivery = [
        OrderStatus::Delivered,
        OrderStatus::Completed,
        OrderStatus::Failed,
    ];
    for (_, events) in statuses_other_than(&after_delivery) {
        given(events.clone())
            .when(cancel(manager()))
            .then_expect_events(vec![failed_by(Role::Manager)]);
        given(events)
            .when(cancel(admin()))
            .then_expect_events(vec![failed_by(Role::Admin)]);
    }
}

#[test]
fn nobody_cancels_after_delivery() {
    for events in [delivered(), completed(), failed()] {
        given(events.clone())
            .when(cancel(manager()))
            .then_expect_error(OrderError::NotCancellable(Role::Manager));
        given(events)
            .when(cancel(admin()))
            .then_expect_error(OrderError::NotCancellable(Role::Admin));
    }
}

#[test]
fn another_manager_cannot_cancel_a_routed_order() {
    given(in_progress())
        .when(cancel(other_manager()))
        .then_expect_error(OrderError::RoutedToAnotherManager);
}

#[test]
fn a_manager_claims_an_unrouted_order_by_cancelling_it() {
    given(placed())
        .when(cancel(manager()))
        .then_expect_events(vec![routed_to(manager()), failed_by(Role::Manager)]);
}

#[test]
fn other_roles_cannot_cancel() {
    for role in [Role::Author, Role::PayoutClerk, Role::Auditor] {
        given(priced())
            .when(cancel(Actor::new(author(), role)))
            .then_expect_error(OrderError::NotCancellable(role));
    }
}

#[test]
fn a_cancellation_needs_a_reason() {
    given(priced())
        .when(OrderCommand::Cancel {
            actor: client_actor(),
            reason: " \n".to_string(),
            at: now(),
        })
        .then_expect_error(OrderError::EmptyField("reason"));
}

// ---------------------------------------------------------------- RecordRefund

fn refund_id(n: u128) -> Uuid {
    Uuid::from_u128(500 + n)
}
fn refund(actor: Actor, n: u128, amount: Kopecks, compensation: Option<Kopecks>) -> OrderCommand {
    OrderCommand::RecordRefund {
        actor,
        refund_id: refund_id(n),
        amount,
        reason: "the client refused".to_string(),
        compensation,
        at: now(),
    }
}
fn refunded(n: u128, amount: Kopecks) -> OrderEvent {
    OrderEvent::RefundRecorded {
        refund_id: refund_id(n),
        amount,
        reason: "the client refused".to_string(),
        at: now(),
    }
}
fn compensated(amount: Kopecks) -> OrderEvent {
    OrderEvent::CompensationGranted {
        author_id: author(),
        amount,
        at: now(),
    }
}
/// Failed with both halves paid: the whole price may be refunded.
fn failed_fully_paid() -> Vec<OrderEvent> {
    then(final_review_paid(), [failed_by(Role::Manager)])
}

#[test]
fn a_failed_order_refunds_what_was_paid() {
    given(failed())
        .when(refund(manager(), 1, HALF, None))
        .then_expect_events(vec![refunded(1, HALF)]);
    let order = state(then(failed(), [refunded(1, HALF)]));
    assert_eq!(order.status, OrderStatus::Failed, "a refund moves nothing");
    assert_eq!(order.refunded, HALF);
    assert_eq!(order.paid(), HALF, "what was paid stays what was paid");
}

#[test]
fn a_refund_above_what_was_paid_is_refused() {
    given(failed())
        .when(refund(manager(), 1, HALF + 1, None))
        .then_expect_error(OrderError::RefundAbovePaid {
            paid: HALF,
            refunded: 0,
            asked: HALF + 1,
        });
}

#[test]
fn partial_refunds_add_up_to_what_was_paid_and_not_a_kopeck_more() {
    let events = then(failed_fully_paid(), [refunded(1, 400_000)]);
    given(events.clone())
        .when(refund(manager(), 2, PRICE - 400_000, None))
        .then_expect_events(vec![refunded(2, PRICE - 400_000)]);
    let events = then(events, [refunded(2, PRICE - 400_000)]);
    assert_eq!(state(events.clone()).refunded, PRICE);
    given(events)
        .when(refund(manager(), 3, 1, None))
        .then_expect_error(OrderError::RefundAbovePaid {
            paid: PRICE,
            refunded: PRICE,
            asked: 1,
        });
}

#[test]
fn only_a_failed_order_is_refunded() {
    for (status, events) in statuses_other_than(&[OrderStatus::Failed]) {
        given(events)
            .when(refund(admin(), 1, 1, None))
            .then_expect_error(OrderError::NotRefundable(status));
    }
}

#[test]
fn a_failed_order_that_was_never_paid_has_nothing_to_refund() {
    given(then(accepted(), [failed_by(Role::Client)]))
        .when(refund(manager(), 1, 1, None))
        .then_expect_error(OrderError::RefundAbovePaid {
            paid: 0,
            refunded: 0,
            asked: 1,
        });
}

#[test]
fn a_refund_needs_a_positive_amount_and_a_reason() {
    for amount in [0, -1] {
        given(failed())
            .when(refund(manager(), 1, amount, None))
            .then_expect_error(OrderError::InvalidRefund);
    }
    let mut command = refund(manager(), 1, 1, None);
    if let OrderCommand::RecordRefund { reason, .. } = &mut command {
        *reason = "   ".to_string();
    }
    given(failed())
        .when(command)
        .then_expect_error(OrderError::EmptyField("reason"));
    assert!(OrderError::InvalidRefund.is_invalid_value());
    assert!(!OrderError::NotRefundable(OrderStatus::New).is_invalid_value());
}

#[test]
fn only_the_orders_manager_refunds_it() {
    given(failed())
        .when(refund(other_manager(), 1, 1, None))
        .then_expect_error(OrderError::RoutedToAnotherManager);
    given(failed())
        .when(refund(admin(), 1, 1, None))
        .then_expect_events(vec![refunded(1, 1)]);
}

#[test]
fn the_author_is_compensated_once_and_at_most_their_fee() {
    given(failed())
        .when(refund(manager(), 1, 1000, Some(FEE)))
        .then_expect_events(vec![refunded(1, 1000), compensated(FEE)]);
    given(failed())
        .when(refund(manager(), 1, 1000, Some(FEE + 1)))
        .then_expect_error(OrderError::CompensationAboveFee {
            fee: FEE,
            asked: FEE + 1,
        });
    let events = then(failed(), [refunded(1, 1000), compensated(100)]);
    assert_eq!(state(events.clone()).compensation, Some(100));
    given(events)
        .when(refund(manager(), 2, 1000, Some(100)))
        .then_expect_error(OrderError::AlreadyCompensated);
    for bad in [0, -5] {
        given(failed())
            .when(refund(manager(), 1, 1000, Some(bad)))
            .then_expect_error(OrderError::InvalidCompensation);
    }
}

#[test]
fn an_order_without_an_author_compensates_nobody() {
    // Cancelled while offered: no author took it (and nothing was paid to refund, so
    // the state is forced here to reach the rule).
    let mut order = state(then(offered(), [failed_by(Role::Manager)]));
    order.first_payment = Some("pay-1".to_string());
    order.first_half = Some(HALF);
    assert_eq!(
        order.decide(refund(manager(), 1, 1, Some(1))),
        Err(OrderError::NoAuthorToCompensate)
    );
    assert_eq!(
        order.decide(refund(manager(), 1, 1, None)),
        Ok(vec![refunded(1, 1)])
    );
}

#[test]
fn a_payment_id_of_one_half_does_not_pay_the_other() {
    given(in_progress())
        .when(pay(Half::Second, HALF, "pay-1"))
        .then_expect_error(OrderError::PaymentIdUsedForOtherHalf(Half::First));
}

// ---------------------------------------------------------------- the whole lifecycle

/// Runs `command` against `events` and appends what it emitted.
fn step(events: Vec<OrderEvent>, command: OrderCommand) -> Vec<OrderEvent> {
    let emitted = given(events.clone())
        .when(command)
        .inspect_result()
        .unwrap();
    then(events, emitted)
}

#[test]
fn an_order_walks_the_whole_lifecycle_through_commands_alone() {
    let mut events = step(vec![], place_order());
    let expect = |events: &Vec<OrderEvent>, status: OrderStatus| {
        assert_eq!(state(events.clone()).status, status);
    };
    expect(&events, OrderStatus::New);
    events = step(events, set_price(manager(), 250_001, 100_000));
    events = step(events, offer(manager(), other_author()));
    expect(&events, OrderStatus::Offered);
    events = step(events, expire(offer_expiry()));
    expect(&events, OrderStatus::New);
    events = step(events, offer(manager(), author()));
    events = step(events, accept(author(), later(1)));
    expect(&events, OrderStatus::AwaitingPrepayment);
    events = step(events, pay(Half::First, 125_000, "p1"));
    expect(&events, OrderStatus::InProgress);
    events = step(events, submit_draft(author()));
    expect(&events, OrderStatus::DraftReview);
    events = step(events, reject_draft(manager()));
    expect(&events, OrderStatus::Rework);
    events = step(events, submit_draft(author()));
    events = step(events, approve_draft(manager()));
    expect(&events, OrderStatus::HalfReady);
    events = step(events, submit_final(author()));
    expect(&events, OrderStatus::FinalReview);
    events = step(events, approve_final(manager()));
    expect(&events, OrderStatus::FullyReady);
    events = step(events, pay(Half::Second, 125_001, "p2"));
    expect(&events, OrderStatus::Delivered);
    events = step(events, pay(Half::Second, 125_001, "p2"));
    events = step(events, complete(client(), 4));
    expect(&events, OrderStatus::Completed);

    let order = state(events);
    assert_eq!(order.manager_id, Some(manager_id()));
    assert_eq!(order.author_id, Some(author()));
    assert_eq!(order.declined_by, vec![other_author()]);
    assert_eq!(order.draft_rejections, 1);
    assert_eq!(order.paid(), 250_001);
    assert_eq!(order.rating, Some(4));
    assert_eq!(order.files.len(), 3);
}

// ---------------------------------------------------------------- stage time limits

fn stage_breach(status: OrderStatus, limit_hours: u32) -> Breach {
    Breach::StageLimit {
        status,
        limit_hours,
        since: now(),
    }
}

fn flag(breach: Breach, stage: u32, at: DateTime<Utc>) -> OrderCommand {
    OrderCommand::FlagProblem { breach, stage, at }
}

#[test]
fn each_status_change_is_a_new_stage_and_other_events_are_not() {
    assert_eq!(state(placed()).stage, 0);
    assert_eq!(state(priced()).stage, 0);
    assert_eq!(state(offered()).stage, 1);
    assert_eq!(state(in_progress()).stage, 3);
    assert_eq!(state(draft_review()).stage, 4);
    // Declined: back to new, a stage of its own.
    assert_eq!(state(declined()).stage, 2);
}

#[test]
fn an_order_over_its_stage_limit_is_flagged_naming_the_limit() {
    let breach = stage_breach(OrderStatus::DraftReview, 4);
    given(draft_review())
        .when(flag(breach.clone(), 4, later(4)))
        .then_expect_events(vec![OrderEvent::ProblemFlagged {
            breach,
            at: later(4),
        }]);
}

#[test]
fn a_stage_breach_is_flagged_once() {
    let breach = stage_breach(OrderStatus::DraftReview, 4);
    let flagged = then(
        draft_review(),
        [OrderEvent::ProblemFlagged {
            breach: breach.clone(),
            at: later(4),
        }],
    );
    assert_eq!(state(flagged.clone()).breached_stage, Some(4));
    given(flagged)
        .when(flag(breach, 4, later(5)))
        .then_expect_events(vec![]);
}

#[test]
fn a_stage_limit_not_reached_yet_is_refused() {
    given(draft_review())
        .when(flag(stage_breach(OrderStatus::DraftReview, 4), 4, later(3)))
        .then_expect_error(OrderError::LimitNotReached);
}

#[test]
fn a_limit_of_zero_hours_is_no_limit() {
    given(draft_review())
        .when(flag(stage_breach(OrderStatus::DraftReview, 0), 4, later(3)))
        .then_expect_error(OrderError::InvalidLimit);
}

#[test]
fn a_stage_the_order_has_left_is_not_flagged() {
    // Seen in draft review (stage 4); the draft was approved meanwhile.
    given(half_ready())
        .when(flag(stage_breach(OrderStatus::DraftReview, 4), 4, later(9)))
        .then_expect_events(vec![]);
    // Back in draft review after a rework: a new stage, not the one seen.
    let again = then(
        rework(),
        [OrderEvent::DraftSubmitted {
            file: file("draft-2.pdf"),
        }],
    );
    assert_eq!(state(again.clone()).status, OrderStatus::DraftReview);
    given(again)
        .when(flag(stage_breach(OrderStatus::DraftReview, 4), 4, later(9)))
        .then_expect_events(vec![]);
}

#[test]
fn the_next_stage_can_be_flagged_again() {
    let first = stage_breach(OrderStatus::DraftReview, 4);
    let again = then(
        rework(),
        [OrderEvent::DraftSubmitted {
            file: file("draft-2.pdf"),
        }],
    );
    let mut events = draft_review();
    events.push(OrderEvent::ProblemFlagged {
        breach: first.clone(),
        at: later(4),
    });
    events.extend(again.into_iter().skip(draft_review().len()));
    let stage = state(events.clone()).stage;
    assert_eq!(stage, 6);
    given(events)
        .when(flag(first.clone(), stage, later(10)))
        .then_expect_events(vec![OrderEvent::ProblemFlagged {
            breach: first,
            at: later(10),
        }]);
}

#[test]
fn a_deadline_passed_before_delivery_is_flagged_once() {
    let breach = Breach::Deadline {
        deadline: deadline(),
    };
    let day_after = Utc.with_ymd_and_hms(2030, 4, 2, 0, 0, 0).unwrap();
    given(in_progress())
        .when(flag(breach.clone(), 3, day_after))
        .then_expect_events(vec![OrderEvent::ProblemFlagged {
            breach: breach.clone(),
            at: day_after,
        }]);
    // The deadline day itself is still the client's.
    let last_minute = Utc.with_ymd_and_hms(2030, 4, 1, 23, 59, 0).unwrap();
    given(in_progress())
        .when(flag(breach.clone(), 3, last_minute))
        .then_expect_error(OrderError::LimitNotReached);
    let flagged = then(
        in_progress(),
        [OrderEvent::ProblemFlagged {
            breach: breach.clone(),
            at: day_after,
        }],
    );
    given(flagged)
        .when(flag(breach.clone(), 3, day_after))
        .then_expect_events(vec![]);
    // Delivered: nothing is owed any more.
    given(delivered())
        .when(flag(breach, 3, day_after))
        .then_expect_events(vec![]);
}

#[test]
fn a_flag_changes_no_status() {
    let s = state(then(
        draft_review(),
        [OrderEvent::ProblemFlagged {
            breach: stage_breach(OrderStatus::DraftReview, 4),
            at: later(4),
        }],
    ));
    assert_eq!(s.status, OrderStatus::DraftReview);
    assert_eq!(s.stage, 4);
}

// ---------------------------------------------------------------- sources and repeats

#[test]
fn an_order_records_where_it_came_from_and_what_it_repeats() {
    let first = Uuid::from_u128(500);
    let taken_by = manager_id();
    let cmd = place_with(|c| {
        if let OrderCommand::PlaceOrder {
            source,
            repeats,
            manager_id,
            ..
        } = c
        {
            *source = OrderSource::Manager;
            *repeats = Some(first);
            *manager_id = Some(taken_by);
        }
    });
    let events = state(vec![]).decide(cmd).unwrap();
    let s = state(events.clone());
    assert_eq!(s.source, OrderSource::Manager);
    assert_eq!(s.repeats, Some(first));
    assert_eq!(s.manager_id, Some(manager_id()));
    assert!(matches!(
        &events[0],
        OrderEvent::OrderPlaced {
            source: OrderSource::Manager,
            repeats: Some(r),
            ..
        } if *r == first
    ));
}

#[test]
fn an_order_placed_before_sources_were_recorded_reads_as_placed_on_the_site() {
    let old = serde_json::json!({"OrderPlaced": {
        "number": 1, "client_id": client(), "work_type": "essay", "subject": "history",
        "topic": "t", "pages": 3, "deadline": "2030-04-01", "requirements": "",
        "currency": "RUB"
    }});
    let event: OrderEvent = serde_json::from_value(old).unwrap();
    assert!(matches!(
        event,
        OrderEvent::OrderPlaced {
            source: OrderSource::Site,
            repeats: None,
            ..
        }
    ));
    // And a new one without a repeat is written as before, plus its source.
    let v = serde_json::to_value(placed_event()).unwrap();
    assert_eq!(v["OrderPlaced"]["source"], "site");
    assert!(v["OrderPlaced"].get("repeats").is_none());
}

// ---------------------------------------------------------------- edits, discounts, deadlines

fn changes(edit: impl FnOnce(&mut OrderChanges)) -> OrderChanges {
    let mut c = OrderChanges::default();
    edit(&mut c);
    c
}

fn edit_cmd(c: OrderChanges) -> OrderCommand {
    OrderCommand::EditOrder {
        actor: manager(),
        changes: c,
        at: now(),
    }
}

fn discount_cmd(price: Kopecks, reason: &str) -> OrderCommand {
    OrderCommand::GiveDiscount {
        actor: manager(),
        price,
        reason: reason.to_string(),
        at: now(),
    }
}

#[test]
fn a_manager_edits_an_unpaid_order_and_each_change_has_its_old_and_new_value() {
    let new_deadline = NaiveDate::from_ymd_opt(2030, 5, 1).unwrap();
    given(accepted())
        .when(edit_cmd(changes(|c| {
            c.topic = Some("  The Hanse and Novgorod ".into());
            c.pages = Some(20);
            c.deadline = Some(new_deadline);
            // Unchanged: not an edit.
            c.subject = Some("history".into());
        })))
        .then_expect_events(vec![OrderEvent::OrderEdited {
            edits: vec![
                OrderEdit::Topic {
                    old: "The Hanseatic League".into(),
                    new: "The Hanse and Novgorod".into(),
                },
                OrderEdit::Pages { old: 12, new: 20 },
                OrderEdit::Deadline {
                    old: deadline(),
                    new: new_deadline,
                },
            ],
        }]);
    given(priced())
        .when(edit_cmd(changes(|c| c.subject = Some("history".into()))))
        .then_expect_events(vec![]);
}

#[test]
fn an_edit_is_checked_like_a_placement_and_by_the_orders_manager_only() {
    given(priced())
        .when(edit_cmd(changes(|c| c.pages = Some(0))))
        .then_expect_error(OrderError::InvalidPages);
    given(priced())
        .when(edit_cmd(changes(|c| c.topic = Some("   ".into()))))
        .then_expect_error(OrderError::EmptyField("topic"));
    given(priced())
        .when(edit_cmd(changes(|c| {
            c.deadline = Some(NaiveDate::from_ymd_opt(2030, 2, 1).unwrap())
        })))
        .then_expect_error(OrderError::DeadlineInPast);
    given(priced())
        .when(OrderCommand::EditOrder {
            actor: other_manager(),
            changes: changes(|c| c.pages = Some(3)),
            at: now(),
        })
        .then_expect_error(OrderError::RoutedToAnotherManager);
}

#[test]
fn after_the_first_half_only_the_deadline_moves_and_only_when_the_client_agrees() {
    let later_day = NaiveDate::from_ymd_opt(2030, 5, 10).unwrap();
    given(in_progress())
        .when(edit_cmd(changes(|c| c.topic = Some("Other".into()))))
        .then_expect_error(OrderError::PaidAlready);
    given(in_progress())
        .when(edit_cmd(changes(|c| {
            c.deadline = Some(later_day);
            c.pages = Some(30);
        })))
        .then_expect_error(OrderError::PaidAlready);
    given(in_progress())
        .when(edit_cmd(changes(|c| c.deadline = Some(later_day))))
        .then_expect_events(vec![OrderEvent::DeadlineProposed {
            deadline: later_day,
        }]);
    let proposed = then(
        in_progress(),
        [OrderEvent::DeadlineProposed {
            deadline: later_day,
        }],
    );
    // The deadline stands until the client answers.
    assert_eq!(state(proposed.clone()).deadline, Some(deadline()));
    given(proposed.clone())
        .when(edit_cmd(changes(|c| {
            c.deadline = Some(NaiveDate::from_ymd_opt(2030, 6, 1).unwrap())
        })))
        .then_expect_error(OrderError::DeadlineAlreadyProposed);
    given(proposed.clone())
        .when(OrderCommand::AnswerDeadline {
            client_id: other_client(),
            accept: true,
            at: now(),
        })
        .then_expect_error(OrderError::NotYourOrder);
    given(proposed.clone())
        .when(OrderCommand::AnswerDeadline {
            client_id: client(),
            accept: true,
            at: now(),
        })
        .then_expect_events(vec![OrderEvent::DeadlineMoved {
            old: deadline(),
            new: later_day,
        }]);
    given(proposed.clone())
        .when(OrderCommand::AnswerDeadline {
            client_id: client(),
            accept: false,
            at: now(),
        })
        .then_expect_events(vec![OrderEvent::DeadlineProposalDeclined {
            deadline: later_day,
        }]);
    given(in_progress())
        .when(OrderCommand::AnswerDeadline {
            client_id: client(),
            accept: true,
            at: now(),
        })
        .then_expect_error(OrderError::NoDeadlineProposed);
    let moved = state(then(
        proposed,
        [OrderEvent::DeadlineMoved {
            old: deadline(),
            new: later_day,
        }],
    ));
    assert_eq!(moved.deadline, Some(later_day));
    assert_eq!(moved.proposed_deadline, None);
}

#[test]
fn a_moved_deadline_may_be_breached_again() {
    let flagged = then(
        in_progress(),
        [OrderEvent::ProblemFlagged {
            breach: Breach::Deadline {
                deadline: deadline(),
            },
            at: later(24 * 40),
        }],
    );
    assert!(state(flagged.clone()).deadline_flagged);
    let later_day = NaiveDate::from_ymd_opt(2030, 5, 10).unwrap();
    let moved = then(
        flagged,
        [
            OrderEvent::DeadlineProposed {
                deadline: later_day,
            },
            OrderEvent::DeadlineMoved {
                old: deadline(),
                new: later_day,
            },
        ],
    );
    assert!(!state(moved).deadline_flagged);
}

#[test]
fn a_discount_lowers_the_price_and_the_halves_follow_to_the_kopeck() {
    given(priced())
        .when(discount_cmd(900_001, "a returning client"))
        .then_expect_events(vec![OrderEvent::DiscountGiven {
            old_price: PRICE,
            price: 900_001,
            first_half: 450_000,
            second_half: 450_001,
            reason: "a returning client".into(),
        }]);
    given(priced())
        .when(discount_cmd(PRICE, "none"))
        .then_expect_error(OrderError::NotADiscount {
            price: PRICE,
            asked: PRICE,
        });
    given(priced())
        .when(discount_cmd(0, "all of it"))
        .then_expect_error(OrderError::InvalidPrice);
    given(priced())
        .when(discount_cmd(500_000, "  "))
        .then_expect_error(OrderError::EmptyField("reason"));
    given(priced())
        .when(discount_cmd(FEE - 1, "below the fee"))
        .then_expect_error(OrderError::FeeAbovePrice {
            fee: FEE,
            price: FEE - 1,
        });
    given(routed())
        .when(discount_cmd(1, "no price yet"))
        .then_expect_error(OrderError::PriceNotSet);
    given(in_progress())
        .when(discount_cmd(900_000, "too late"))
        .then_expect_error(OrderError::PaidAlready);
}

// ---------------------------------------------------------------- extras

fn add_extra_cmd(actor: Actor, code: &str, price: Kopecks) -> OrderCommand {
    OrderCommand::AddExtra {
        actor,
        code: code.into(),
        name: format!("{code} service"),
        price,
        at: now(),
    }
}

// ---------------------------------------------------------------- loyalty points

fn apply_points(client_id: Uuid, points: Kopecks) -> OrderCommand {
    OrderCommand::ApplyPoints {
        client_id,
        points,
        at: now(),
    }
}

fn remove_extra_cmd(actor: Actor, code: &str) -> OrderCommand {
    OrderCommand::RemoveExtra {
        actor,
        code: code.into(),
        at: now(),
    }
}

fn extra_added(code: &str, price: Kopecks, new_price: Option<Kopecks>) -> OrderEvent {
    OrderEvent::ExtraAdded {
        code: code.into(),
        name: format!("{code} service"),
        price,
        new_price,
        first_half: new_price.map(|p| p / 2),
        second_half: new_price.map(|p| p - p / 2),
    }
}

fn points_applied(points: Kopecks) -> OrderEvent {
    OrderEvent::PointsApplied {
        points,
        first_half_due: HALF - points,
    }
}

#[test]
fn an_extra_raises_the_price_and_the_halves_follow_to_the_kopeck() {
    given(priced())
        .when(add_extra_cmd(manager(), "urgent", 150_001))
        .then_expect_events(vec![OrderEvent::ExtraAdded {
            code: "urgent".into(),
            name: "urgent service".into(),
            price: 150_001,
            new_price: Some(1_150_001),
            first_half: Some(575_000),
            second_half: Some(575_001),
        }]);
    let with = state(then(
        priced(),
        [extra_added("urgent", 150_001, Some(PRICE + 150_001))],
    ));
    assert_eq!(with.price, Some(1_150_001));
    assert_eq!(with.extras.len(), 1);
    assert_eq!(with.extras_total(), 150_001);
    // Removed: the price it was added at comes off.
    given(then(
        priced(),
        [extra_added("urgent", 150_001, Some(PRICE + 150_001))],
    ))
    .when(remove_extra_cmd(manager(), "urgent"))
    .then_expect_events(vec![OrderEvent::ExtraRemoved {
        code: "urgent".into(),
        name: "urgent service".into(),
        price: 150_001,
        new_price: Some(PRICE),
        first_half: Some(HALF),
        second_half: Some(HALF),
    }]);
}

#[test]
fn extras_before_the_price_are_added_to_the_price_when_it_is_set() {
    let with = then(routed(), [extra_added("slides", 80_000, None)]);
    assert_eq!(state(with.clone()).price, None);
    given(with)
        .when(set_price(manager(), PRICE, FEE))
        .then_expect_events(vec![OrderEvent::PriceSet {
            price: PRICE + 80_000,
            author_fee: FEE,
            first_half: (PRICE + 80_000) / 2,
            second_half: (PRICE + 80_000) - (PRICE + 80_000) / 2,
        }]);
}

#[test]
fn an_extra_is_added_once_removed_only_when_there_and_only_before_the_first_half() {
    let with = then(
        priced(),
        [extra_added("urgent", 1_000, Some(PRICE + 1_000))],
    );
    given(with.clone())
        .when(add_extra_cmd(manager(), "urgent", 1_000))
        .then_expect_error(OrderError::ExtraAlreadyAdded("urgent".into()));
    given(priced())
        .when(remove_extra_cmd(manager(), "urgent"))
        .then_expect_error(OrderError::ExtraNotOnOrder("urgent".into()));
    given(in_progress())
        .when(add_extra_cmd(manager(), "urgent", 1_000))
        .then_expect_error(OrderError::ExtrasAfterFirstHalf);
    given(priced())
        .when(add_extra_cmd(other_manager(), "urgent", 1_000))
        .then_expect_error(OrderError::RoutedToAnotherManager);
    given(priced())
        .when(add_extra_cmd(manager(), "urgent", 0))
        .then_expect_error(OrderError::InvalidPrice);
    given(failed())
        .when(add_extra_cmd(admin(), "urgent", 1_000))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Failed));
}

#[test]
fn removing_an_extra_after_a_discount_never_goes_below_the_fee() {
    // Priced 1 000 000 (fee 600 000), an extra of 300 000, then discounted to 800 000.
    let discounted = then(
        priced(),
        [
            extra_added("urgent", 300_000, Some(PRICE + 300_000)),
            OrderEvent::DiscountGiven {
                old_price: PRICE + 300_000,
                price: 800_000,
                first_half: 400_000,
                second_half: 400_000,
                reason: "loyal".into(),
            },
        ],
    );
    given(discounted)
        .when(remove_extra_cmd(manager(), "urgent"))
        .then_expect_error(OrderError::FeeAbovePrice {
            fee: FEE,
            price: 500_000,
        });
}

#[test]
fn points_pay_part_of_the_first_half_and_the_rest_is_due_in_money() {
    given(accepted())
        .when(apply_points(client(), 200_000))
        .then_expect_events(vec![points_applied(200_000)]);
    let o = state(then(accepted(), [points_applied(200_000)]));
    assert_eq!(o.status, OrderStatus::AwaitingPrepayment);
    assert_eq!(o.half_amount(Half::First), Some(HALF - 200_000));
    assert_eq!(o.half_amount(Half::Second), Some(PRICE - HALF));
    // The payment of the first half is the rest, no more and no less.
    given(then(accepted(), [points_applied(200_000)]))
        .when(pay(Half::First, HALF, "p1"))
        .then_expect_error(OrderError::WrongAmount {
            half: Half::First,
            expected: HALF - 200_000,
            got: HALF,
        });
    given(then(accepted(), [points_applied(200_000)]))
        .when(pay(Half::First, HALF - 200_000, "p1"))
        .then_expect_events(vec![payment(Half::First, HALF - 200_000, "p1")]);
    let paid = state(then(
        accepted(),
        [
            points_applied(200_000),
            payment(Half::First, HALF - 200_000, "p1"),
            payment(Half::Second, PRICE - HALF, "p2"),
        ],
    ));
    // Money and points together are the price; the money paid is what came in.
    assert_eq!(paid.paid() + paid.points, PRICE);
    assert_eq!(paid.paid(), PRICE - 200_000);
}

#[test]
fn points_covering_the_whole_first_half_pay_it() {
    given(accepted())
        .when(apply_points(client(), HALF))
        .then_expect_events(vec![OrderEvent::PointsApplied {
            points: HALF,
            first_half_due: 0,
        }]);
    let o = state(then(accepted(), [points_applied(HALF)]));
    assert_eq!(o.status, OrderStatus::InProgress);
    assert_eq!(o.first_payment.as_deref(), Some(POINTS_PAYMENT));
    assert_eq!(o.paid(), 0);
    // Nothing more is due on the first half; the second is paid as always.
    given(then(accepted(), [points_applied(HALF)]))
        .when(pay(Half::First, 1, "p1"))
        .then_expect_error(OrderError::HalfAlreadyPaid(Half::First));
    given(then(accepted(), [points_applied(HALF)]))
        .when(pay(Half::Second, PRICE - HALF, "p2"))
        .then_expect_events(vec![payment(Half::Second, PRICE - HALF, "p2")]);
    // The price no longer moves.
    given(then(accepted(), [points_applied(HALF)]))
        .when(discount_cmd(900_000, "late"))
        .then_expect_error(OrderError::PaidAlready);
}

#[test]
fn points_are_refused_above_the_half_twice_by_others_and_once_it_is_paid() {
    given(accepted())
        .when(apply_points(client(), HALF + 1))
        .then_expect_error(OrderError::PointsAboveHalf {
            half: HALF,
            asked: HALF + 1,
        });
    given(accepted())
        .when(apply_points(client(), 0))
        .then_expect_error(OrderError::InvalidPoints);
    given(accepted())
        .when(apply_points(other_client(), 100))
        .then_expect_error(OrderError::NotYourOrder);
    given(in_progress())
        .when(apply_points(client(), 100))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::InProgress));
    given(priced())
        .when(apply_points(client(), 100))
        .then_expect_error(OrderError::WrongStatus(OrderStatus::New));
    // The same points again change nothing; other points are refused.
    given(then(accepted(), [points_applied(100)]))
        .when(apply_points(client(), 100))
        .then_expect_events(vec![]);
    given(then(accepted(), [points_applied(100)]))
        .when(apply_points(client(), 200))
        .then_expect_error(OrderError::PointsAlreadyApplied { points: 100 });
    // A discount may not leave the points above the new first half.
    given(then(accepted(), [points_applied(400_000)]))
        .when(discount_cmd(700_000, "cheaper"))
        .then_expect_error(OrderError::DiscountBelowPoints {
            points: 400_000,
            first_half: 350_000,
        });
    given(then(accepted(), [points_applied(300_000)]))
        .when(discount_cmd(700_000, "cheaper"))
        .then_expect_events(vec![OrderEvent::DiscountGiven {
            old_price: PRICE,
            price: 700_000,
            first_half: 350_000,
            second_half: 350_000,
            reason: "cheaper".to_string(),
        }]);
}

#[test]
fn a_failed_orders_refund_never_gives_points_back_as_money() {
    let events = then(
        accepted(),
        [
            points_applied(200_000),
            payment(Half::First, HALF - 200_000, "p1"),
            OrderEvent::OrderFailed {
                reason: "refused".to_string(),
                by: Role::Manager,
            },
        ],
    );
    let refund = |amount| OrderCommand::RecordRefund {
        actor: manager(),
        refund_id: Uuid::from_u128(5),
        amount,
        reason: "back".to_string(),
        compensation: None,
        at: now(),
    };
    given(events.clone())
        .when(refund(HALF))
        .then_expect_error(OrderError::RefundAbovePaid {
            paid: HALF - 200_000,
            refunded: 0,
            asked: HALF,
        });
    assert!(state(events).decide(refund(HALF - 200_000)).is_ok());
}

mod money_property {
    //! After any sequence of prices, edits, discounts, extras, payments and deadline
    //! proposals, the halves sum to the price and nothing paid is lost.

    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Price(Kopecks),
        Discount(Kopecks),
        Edit(u32),
        Offer,
        Accept,
        PayFirst,
        PaySecond,
        Propose(u32),
        Answer(bool),
        AddExtra(u8, Kopecks),
        RemoveExtra(u8),
        Points(Kopecks),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (1i64..5_000_000).prop_map(Step::Price),
            (1i64..5_000_000).prop_map(Step::Discount),
            (1u32..1000).prop_map(Step::Edit),
            Just(Step::Offer),
            Just(Step::Accept),
            Just(Step::PayFirst),
            Just(Step::PaySecond),
            (1u32..60).prop_map(Step::Propose),
            any::<bool>().prop_map(Step::Answer),
            (0u8..3, 1i64..500_000).prop_map(|(c, p)| Step::AddExtra(c, p)),
            (0u8..3).prop_map(Step::RemoveExtra),
            (1i64..3_000_000).prop_map(Step::Points),
        ]
    }

    fn command(order: &Order, step: &Step) -> OrderCommand {
        let at = now();
        match step {
            Step::Price(p) => OrderCommand::SetPrice {
                actor: manager(),
                price: *p,
                author_fee: p / 3,
                at,
            },
            Step::Discount(p) => discount_cmd(*p, "a reason"),
            Step::Edit(pages) => edit_cmd(changes(|c| c.pages = Some(*pages))),
            Step::Offer => OrderCommand::OfferToAuthor {
                actor: manager(),
                author_id: author(),
                expires_at: later(2),
                at,
            },
            Step::Accept => OrderCommand::AcceptOffer {
                author_id: author(),
                at,
            },
            Step::PayFirst => OrderCommand::RecordPayment {
                half: Half::First,
                amount: order.half_amount(Half::First).unwrap_or(0),
                payment_id: "p1".into(),
                guarantee_days: 14,
                at,
            },
            Step::PaySecond => OrderCommand::RecordPayment {
                half: Half::Second,
                amount: order.second_half.unwrap_or(0),
                payment_id: "p2".into(),
                guarantee_days: 14,
                at,
            },
            Step::Propose(days) => edit_cmd(changes(|c| {
                c.deadline = Some(deadline() + chrono::Days::new(u64::from(*days)))
            })),
            Step::Answer(accept) => OrderCommand::AnswerDeadline {
                client_id: client(),
                accept: *accept,
                at,
            },
            Step::AddExtra(code, price) => OrderCommand::AddExtra {
                actor: manager(),
                code: format!("extra-{code}"),
                name: "an extra".into(),
                price: *price,
                at,
            },
            Step::RemoveExtra(code) => OrderCommand::RemoveExtra {
                actor: manager(),
                code: format!("extra-{code}"),
                at,
            },
            Step::Points(points) => OrderCommand::ApplyPoints {
                client_id: client(),
                points: *points,
                at,
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn the_halves_always_sum_to_the_price_and_payments_stay(steps in proptest::collection::vec(step(), 1..40)) {
            let mut order = state(routed());
            let mut paid_so_far = 0;
            for s in &steps {
                if let Ok(events) = order.decide(command(&order, s)) {
                    for e in events {
                        order.apply(e);
                    }
                }
                if let (Some(p), Some(a), Some(b)) = (order.price, order.first_half, order.second_half) {
                    prop_assert_eq!(a + b, p);
                    prop_assert_eq!(a, p / 2);
                    prop_assert!(order.author_fee.unwrap_or(0) <= p);
                }
                // Nothing paid is ever lost, and nothing is paid but a half of the price;
                // points pay at most the first half, and money and points never exceed it.
                prop_assert!(order.paid() >= paid_so_far);
                paid_so_far = order.paid();
                prop_assert!(order.points >= 0);
                prop_assert!(order.points <= order.first_half.unwrap_or(0));
                prop_assert!(order.paid() + order.points <= order.price.unwrap_or(0));
                if order.first_payment.is_some() {
                    // The first half is settled: money and points make it up exactly.
                    let second = if order.second_payment.is_some() { order.second_half.unwrap_or(0) } else { 0 };
                    prop_assert_eq!(order.paid() - second + order.points, order.first_half.unwrap_or(0));
                }
                if order.fully_paid() {
                    prop_assert_eq!(order.paid() + order.points, order.price.unwrap_or(0));
                }
                if order.first_payment.is_some() {
                    // After the first half, the price never moves again.
                    let price = order.price;
                    let after = order.decide(discount_cmd(1, "x"));
                    prop_assert!(after.is_err());
                    for cmd in [command(&order, &Step::AddExtra(3, 1)), command(&order, &Step::RemoveExtra(0))] {
                        prop_assert!(order.decide(cmd).is_err());
                    }
                    prop_assert_eq!(order.price, price);
                }
                // Each extra is on the order once.
                let mut codes: Vec<&str> = order.extras.iter().map(|e| e.code.as_str()).collect();
                codes.sort_unstable();
                codes.dedup();
                prop_assert_eq!(codes.len(), order.extras.len());
            }
        }
    }
}

// ---------------------------------------------------------------- blocking

#[test]
fn a_blocked_authors_offer_is_withdrawn_and_passes_on_in_one_step() {
    let next = NextOffer {
        author_id: other_author(),
        expires_at: later(24),
    };
    given(offered())
        .when(OrderCommand::WithdrawOffer {
            author_id: author(),
            next: Some(next),
            at: now(),
        })
        .then_expect_events(vec![
            OrderEvent::OfferWithdrawn {
                author_id: author(),
            },
            OrderEvent::AuthorOffered {
                author_id: other_author(),
                expires_at: later(24),
            },
        ]);
    // No longer theirs (taken, or offered to another): nothing.
    given(accepted())
        .when(OrderCommand::WithdrawOffer {
            author_id: author(),
            next: None,
            at: now(),
        })
        .then_expect_events(vec![]);
    let withdrawn = state(then(
        offered(),
        [OrderEvent::OfferWithdrawn {
            author_id: author(),
        }],
    ));
    assert_eq!(withdrawn.status, OrderStatus::New);
    assert_eq!(withdrawn.offered_to, None);
    assert!(withdrawn.declined_by.contains(&author()));
}

#[test]
fn a_blocked_managers_order_is_released_once() {
    given(priced())
        .when(OrderCommand::ReleaseFromManager {
            manager_id: manager_id(),
            at: now(),
        })
        .then_expect_events(vec![OrderEvent::ManagerReleased {
            manager_id: manager_id(),
        }]);
    given(priced())
        .when(OrderCommand::ReleaseFromManager {
            manager_id: other_manager().id,
            at: now(),
        })
        .then_expect_events(vec![]);
    let released = state(then(
        priced(),
        [OrderEvent::ManagerReleased {
            manager_id: manager_id(),
        }],
    ));
    assert_eq!(released.manager_id, None);
    assert_eq!(released.status, OrderStatus::New);
}

#[test]
fn a_company_order_says_so_and_an_old_event_reads_as_an_individuals() {
    let mut cmd = place_order();
    if let OrderCommand::PlaceOrder { corporate, .. } = &mut cmd {
        *corporate = true;
    }
    let events = Order::default().decide(cmd).unwrap();
    assert!(matches!(
        events[0],
        OrderEvent::OrderPlaced {
            corporate: true,
            ..
        }
    ));
    let mut order = Order::default();
    order.apply(events[0].clone());
    assert!(order.corporate);
    // An individual's event is stored as it was before the flag existed (the hash chain
    // of old events is unchanged) and reads back as an individual's.
    let json = serde_json::to_value(placed_event()).unwrap();
    assert!(json["OrderPlaced"].get("corporate").is_none());
    let back: OrderEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, placed_event());
}

#[test]
fn an_extra_is_not_removed_from_under_the_points_paying_the_first_half() {
    // An extra of 400 000 makes the first half 700 000; 600 000 points pay most of it.
    let with = then(
        accepted(),
        [
            extra_added("urgent", 400_000, Some(PRICE + 400_000)),
            OrderEvent::PointsApplied {
                points: 600_000,
                first_half_due: 100_000,
            },
        ],
    );
    assert_eq!(state(with.clone()).half_amount(Half::First), Some(100_000));
    given(with)
        .when(remove_extra_cmd(manager(), "urgent"))
        .then_expect_error(OrderError::DiscountBelowPoints {
            points: 600_000,
            first_half: HALF,
        });
}
