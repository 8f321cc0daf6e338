//! Given/when/then tests of the order's conversation: who may post, what is held, who
//! moderates, and what each refusal is.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::*;
use crate::{Actor, Role};

fn client() -> Actor {
    Actor::new(Uuid::from_u128(1), Role::Client)
}
fn other_client() -> Actor {
    Actor::new(Uuid::from_u128(2), Role::Client)
}
fn manager() -> Actor {
    Actor::new(Uuid::from_u128(10), Role::Manager)
}
fn other_manager() -> Actor {
    Actor::new(Uuid::from_u128(11), Role::Manager)
}
fn author() -> Actor {
    Actor::new(Uuid::from_u128(20), Role::Author)
}
fn other_author() -> Actor {
    Actor::new(Uuid::from_u128(21), Role::Author)
}
fn admin() -> Actor {
    Actor::new(Uuid::from_u128(30), Role::Admin)
}
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 12, 0, 0).unwrap()
}
fn msg(n: u128) -> Uuid {
    Uuid::from_u128(1000 + n)
}

fn routed() -> Vec<OrderEvent> {
    vec![
        OrderEvent::OrderPlaced {
            number: 7,
            client_id: client().id,
            work_type: "essay".into(),
            subject: "history".into(),
            topic: "The Hansa".into(),
            pages: 12,
            deadline: NaiveDate::from_ymd_opt(2030, 4, 1).unwrap(),
            requirements: String::new(),
            currency: "RUB".into(),
            source: Default::default(),
            repeats: None,
            corporate: false,
        },
        OrderEvent::RoutedToManager {
            manager_id: manager().id,
        },
        OrderEvent::PriceSet {
            price: 100_000,
            author_fee: 50_000,
            first_half: 50_000,
            second_half: 50_000,
        },
    ]
}

fn offered() -> Vec<OrderEvent> {
    let mut e = routed();
    e.push(OrderEvent::AuthorOffered {
        author_id: author().id,
        expires_at: now() + TimeDelta::hours(2),
    });
    e
}

fn accepted() -> Vec<OrderEvent> {
    let mut e = offered();
    e.push(OrderEvent::OfferAccepted {
        author_id: author().id,
    });
    e
}

fn given(events: Vec<OrderEvent>) -> AggregateTestExecutor<Order> {
    TestFramework::<Order>::with(()).given(events)
}

fn post(actor: Actor, id: Uuid, text: &str) -> OrderCommand {
    OrderCommand::PostMessage {
        actor,
        message_id: id,
        text: text.into(),
        at: now(),
    }
}

fn posted(actor: Actor, id: Uuid, text: &str, held_for: Option<ContactKind>) -> OrderEvent {
    OrderEvent::MessagePosted {
        message_id: id,
        by: actor.role,
        sender_id: actor.id,
        text: text.into(),
        held: held_for.is_some(),
        held_for,
        at: now(),
    }
}

/// An accepted order with one held message of the client's.
fn with_held() -> Vec<OrderEvent> {
    let mut e = accepted();
    e.push(posted(
        client(),
        msg(1),
        "call me +7 900 123-45-67",
        Some(ContactKind::Phone),
    ));
    e
}

fn approve(actor: Actor, id: Uuid) -> OrderCommand {
    OrderCommand::ApproveMessage {
        actor,
        message_id: id,
        text: "call me +7 900 123-45-67".into(),
        at: now(),
    }
}

fn reject(actor: Actor, id: Uuid, reason: &str) -> OrderCommand {
    OrderCommand::RejectMessage {
        actor,
        message_id: id,
        reason: reason.into(),
        at: now(),
    }
}

fn state(events: Vec<OrderEvent>) -> Order {
    let mut o = Order::default();
    for e in events {
        o.apply(e);
    }
    o
}

#[tokio::test]
async fn each_party_posts_a_plain_message_that_is_not_held() {
    for actor in [client(), manager(), admin(), author()] {
        given(accepted())
            .when_async(post(actor, msg(1), "  When is the draft due?  "))
            .await
            .then_expect_events(vec![posted(actor, msg(1), "When is the draft due?", None)]);
    }
}

#[tokio::test]
async fn a_contact_from_the_client_or_the_author_is_held_and_says_which() {
    given(accepted())
        .when_async(post(client(), msg(1), "mail me at anna@mail.ru"))
        .await
        .then_expect_events(vec![posted(
            client(),
            msg(1),
            "mail me at anna@mail.ru",
            Some(ContactKind::Email),
        )]);
    given(accepted())
        .when_async(post(author(), msg(1), "my site ivan-writer.ru"))
        .await
        .then_expect_events(vec![posted(
            author(),
            msg(1),
            "my site ivan-writer.ru",
            Some(ContactKind::Link),
        )]);
    let s = state(with_held());
    assert_eq!(s.message(msg(1)).unwrap().status, MessageStatus::Held);
}

#[tokio::test]
async fn the_company_is_never_held() {
    for actor in [manager(), admin()] {
        given(accepted())
            .when_async(post(actor, msg(1), "our line: +7 495 000-00-00"))
            .await
            .then_expect_events(vec![posted(
                actor,
                msg(1),
                "our line: +7 495 000-00-00",
                None,
            )]);
    }
}

#[tokio::test]
async fn an_author_speaks_only_once_they_took_the_order() {
    given(offered())
        .when_async(post(author(), msg(1), "hello"))
        .await
        .then_expect_error(OrderError::NotYourWork);
    given(accepted())
        .when_async(post(other_author(), msg(1), "hello"))
        .await
        .then_expect_error(OrderError::NotYourWork);
}

#[tokio::test]
async fn strangers_and_staff_outside_the_conversation_are_refused() {
    given(accepted())
        .when_async(post(other_client(), msg(1), "hello"))
        .await
        .then_expect_error(OrderError::NotYourOrder);
    given(accepted())
        .when_async(post(other_manager(), msg(1), "hello"))
        .await
        .then_expect_error(OrderError::RoutedToAnotherManager);
    for role in [Role::PayoutClerk, Role::Auditor] {
        given(accepted())
            .when_async(post(Actor::new(Uuid::from_u128(40), role), msg(1), "hi"))
            .await
            .then_expect_error(OrderError::NotAParty(role));
    }
}

#[tokio::test]
async fn a_message_is_not_empty_nor_longer_than_the_limit() {
    given(accepted())
        .when_async(post(client(), msg(1), " \n "))
        .await
        .then_expect_error(OrderError::EmptyField("text"));
    let long = "я".repeat(MAX_MESSAGE_CHARS + 1);
    given(accepted())
        .when_async(post(client(), msg(1), &long))
        .await
        .then_expect_error(OrderError::MessageTooLong {
            max: MAX_MESSAGE_CHARS,
            got: MAX_MESSAGE_CHARS + 1,
        });
    // Exactly the limit, in characters (not bytes), is fine.
    let full = "я".repeat(MAX_MESSAGE_CHARS);
    given(accepted())
        .when_async(post(client(), msg(1), &full))
        .await
        .then_expect_events(vec![posted(client(), msg(1), &full, None)]);
    assert!(OrderError::MessageTooLong { max: 1, got: 2 }.is_invalid_value());
}

#[tokio::test]
async fn a_finished_order_takes_no_more_messages_and_an_id_is_used_once() {
    let mut failed = accepted();
    failed.push(OrderEvent::OrderFailed {
        reason: "client left".into(),
        by: Role::Manager,
    });
    given(failed)
        .when_async(post(client(), msg(1), "hello?"))
        .await
        .then_expect_error(OrderError::WrongStatus(OrderStatus::Failed));
    given(with_held())
        .when_async(post(client(), msg(1), "again"))
        .await
        .then_expect_error(OrderError::DuplicateMessage);
}

#[tokio::test]
async fn the_orders_manager_or_an_admin_approves_a_held_message_once() {
    for actor in [manager(), admin()] {
        given(with_held())
            .when_async(approve(actor, msg(1)))
            .await
            .then_expect_events(vec![OrderEvent::MessageApproved {
                message_id: msg(1),
                from: Role::Client,
                text: "call me +7 900 123-45-67".into(),
                at: now(),
            }]);
    }
    let mut approved = with_held();
    approved.push(OrderEvent::MessageApproved {
        message_id: msg(1),
        from: Role::Client,
        text: "x".into(),
        at: now(),
    });
    assert_eq!(
        state(approved.clone()).message(msg(1)).unwrap().status,
        MessageStatus::Visible
    );
    given(approved)
        .when_async(approve(manager(), msg(1)))
        .await
        .then_expect_error(OrderError::MessageNotHeld);
    given(with_held())
        .when_async(approve(other_manager(), msg(1)))
        .await
        .then_expect_error(OrderError::RoutedToAnotherManager);
    given(with_held())
        .when_async(approve(client(), msg(1)))
        .await
        .then_expect_error(OrderError::NotYourOrder);
    given(with_held())
        .when_async(approve(author(), msg(1)))
        .await
        .then_expect_error(OrderError::NotYourOrder);
    given(with_held())
        .when_async(approve(manager(), msg(9)))
        .await
        .then_expect_error(OrderError::UnknownMessage(msg(9)));
    assert!(OrderError::UnknownMessage(msg(9)).is_not_found());
}

#[tokio::test]
async fn a_rejected_message_stays_rejected_and_needs_a_reason() {
    given(with_held())
        .when_async(reject(manager(), msg(1), "  a phone number  "))
        .await
        .then_expect_events(vec![OrderEvent::MessageRejected {
            message_id: msg(1),
            reason: "a phone number".into(),
            at: now(),
        }]);
    given(with_held())
        .when_async(reject(manager(), msg(1), " "))
        .await
        .then_expect_error(OrderError::EmptyField("reason"));
    let mut rejected = with_held();
    rejected.push(OrderEvent::MessageRejected {
        message_id: msg(1),
        reason: "contact".into(),
        at: now(),
    });
    assert_eq!(
        state(rejected.clone()).message(msg(1)).unwrap().status,
        MessageStatus::Rejected
    );
    given(rejected.clone())
        .when_async(approve(manager(), msg(1)))
        .await
        .then_expect_error(OrderError::MessageAlreadyRejected);
    given(rejected)
        .when_async(reject(admin(), msg(1), "again"))
        .await
        .then_expect_error(OrderError::MessageAlreadyRejected);
    // A plain message was never held: nothing to moderate.
    let mut plain = accepted();
    plain.push(posted(client(), msg(2), "hello", None));
    given(plain)
        .when_async(reject(manager(), msg(2), "no"))
        .await
        .then_expect_error(OrderError::MessageNotHeld);
}

#[test]
fn messages_move_no_status() {
    let before = state(accepted()).status;
    let after = state(with_held()).status;
    assert_eq!(before, after);
    assert_eq!(
        before.after(&OrderEvent::MessageRejected {
            message_id: msg(1),
            reason: "x".into(),
            at: now(),
        }),
        before
    );
}
