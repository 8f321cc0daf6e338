//! Offers that run out pass to the next author automatically, exactly once.

mod common;

use std::time::Duration;

use aggregates::Role;
use common::{order_body, Backend, TestApp};
use serde_json::{json, Value};

on_both!(an_offer_past_its_time_passes_to_the_next_author_once_and_then_returns_to_new);

async fn order_state(t: &TestApp, token: &str, id: &str) -> Value {
    t.get(&format!("/api/orders/{id}"), token).await.ok(200)
}

/// Waits (the process manager ticks every second) until the order's offer is no
/// longer with `author`.
async fn offer_moves_from(t: &TestApp, token: &str, id: &str, author: &str) -> Value {
    for _ in 0..60 {
        let o = order_state(t, token, id).await;
        if o["offered_to"] != author {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the offer to {author} never expired");
}

async fn an_offer_past_its_time_passes_to_the_next_author_once_and_then_returns_to_new(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Client").await;
    let (_, manager) = t.manager_on_shift("Manager").await;
    let (a, _) = t.user(Role::Author, "Author A").await;
    let (b, _) = t.user(Role::Author, "Author B").await;
    let id = t.post("/api/orders", &client, order_body()).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.put(
        &format!("/api/orders/{id}/price"),
        &manager,
        json!({"price": 100000}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/offer"),
        &manager,
        json!({"author_id": a}),
    )
    .await
    .ok(200);

    // Not yet due: nothing happens.
    assert_eq!(
        scriptorium::process::offers::expire_offers(&t.application.app)
            .await
            .unwrap(),
        0
    );

    // An hour later the offer passes to B, in one step.
    t.clock.advance(chrono::Duration::hours(25));
    let o = offer_moves_from(&t, &manager, &id, &a).await;
    assert_eq!(o["status"], "offered");
    assert_eq!(o["offered_to"], b.as_str());
    let events = t
        .get(&format!("/api/orders/{id}/events"), &manager)
        .await
        .ok(200);
    let tail: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(tail, ["AuthorOffered", "OfferExpired"]);
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(last["data"]["author_id"], b.as_str());
    assert_eq!(
        last["actor"]["id"],
        uuid::Uuid::nil().to_string(),
        "the system made the offer"
    );

    // Firing again changes nothing.
    let before = t.event_count().await;
    assert_eq!(
        scriptorium::process::offers::expire_offers(&t.application.app)
            .await
            .unwrap(),
        0
    );
    assert_eq!(t.event_count().await, before);

    // B's offer runs out too: nobody is left, the order waits for its manager.
    t.clock.advance(chrono::Duration::hours(25));
    let o = offer_moves_from(&t, &manager, &id, &b).await;
    assert_eq!(o["status"], "new");
    assert!(o["offered_to"].is_null());
    let events = t
        .get(&format!("/api/orders/{id}/events"), &manager)
        .await
        .ok(200);
    let offers = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "AuthorOffered")
        .count();
    let expiries = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "OfferExpired")
        .count();
    assert_eq!((offers, expiries), (2, 2));
    // Nobody is offered twice, so a manager's `{}` finds nobody either.
    t.post(&format!("/api/orders/{id}/offer"), &manager, json!({}))
        .await
        .problem(409);
}
