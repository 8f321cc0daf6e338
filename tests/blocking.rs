//! What a block does beyond the user's own sessions: a blocked author's pending offers
//! are withdrawn and pass to the next author; a blocked manager's open orders are routed
//! again, or wait for the next shift when nobody is on one. On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use aggregates::Role;
use common::{order_body, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    a_blocked_authors_pending_offer_passes_to_the_next_author,
    a_blocked_managers_open_orders_go_to_the_managers_on_shift,
    a_blocked_managers_orders_wait_for_the_next_shift_when_nobody_is_on_one,
);

async fn order(t: &TestApp, token: &str, id: &str) -> Value {
    t.get(&format!("/api/orders/{id}"), token).await.ok(200)
}

/// Waits until `check` holds of the order as `token` sees it.
async fn until(t: &TestApp, token: &str, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let o = order(t, token, id).await;
        if check(&o) {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {id} never got there: {}", order(t, token, id).await);
}

async fn place(t: &TestApp, client: &str) -> String {
    t.post("/api/orders", client, order_body()).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn block(t: &TestApp, admin: &str, user: &str) {
    t.post(
        &format!("/api/users/{user}/block"),
        admin,
        json!({"reason": "test"}),
    )
    .await
    .ok(200);
}

async fn types(t: &TestApp, token: &str, id: &str) -> Vec<String> {
    t.get(&format!("/api/orders/{id}/events"), token)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

async fn a_blocked_authors_pending_offer_passes_to_the_next_author(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (a, a_token) = t.user(Role::Author, "Author A").await;
    let (b, _) = t.user(Role::Author, "Author B").await;
    let id = place(&t, &client).await;
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

    block(&t, &admin, &a).await;
    // The offer passes to B in one step, by the system.
    let o = until(&t, &manager, &id, |o| o["offered_to"] == b.as_str()).await;
    assert_eq!(o["status"], "offered");
    let tail: Vec<String> = types(&t, &manager, &id)
        .await
        .into_iter()
        .rev()
        .take(2)
        .collect();
    assert_eq!(tail, ["AuthorOffered", "OfferWithdrawn"]);
    // A's token is refused (blocked); and A is no candidate for the order.
    t.get("/api/offers", &a_token).await.problem(403);
    let candidates = t
        .get(&format!("/api/orders/{id}/candidates"), &manager)
        .await
        .ok(200);
    assert!(
        candidates
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["author_id"] != a.as_str()),
        "{candidates}"
    );
    // Reacting again changes nothing.
    t.workers_caught_up().await;
    let before = t.event_count().await;
    t.application
        .app
        .db
        .execute(
            "UPDATE projection_checkpoints SET tx = 0, position = 0 WHERE name = 'process:blocking'",
            &[],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    t.workers_caught_up().await;
    assert_eq!(t.event_count().await, before);
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn a_blocked_managers_open_orders_go_to_the_managers_on_shift(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (m1, m1_token) = t.manager_on_shift("Maria First").await;
    let first = place(&t, &client).await;
    let second = place(&t, &client).await;
    assert_eq!(
        order(&t, &m1_token, &first).await["manager_id"],
        m1.as_str()
    );
    assert_eq!(
        order(&t, &m1_token, &second).await["manager_id"],
        m1.as_str()
    );
    let (m2, m2_token) = t.manager_on_shift("Mark Second").await;

    block(&t, &admin, &m1).await;
    for id in [&first, &second] {
        until(&t, &admin, id, |o| o["manager_id"] == m2.as_str()).await;
    }
    assert_eq!(t.get("/api/orders", &m2_token).await.ok(200)["total"], 2);
    // New orders skip the blocked manager.
    let third = place(&t, &client).await;
    assert_eq!(
        t.wait_routed(&third).await,
        m2,
        "nothing is routed to a blocked manager"
    );
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn a_blocked_managers_orders_wait_for_the_next_shift_when_nobody_is_on_one(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (m1, m1_token) = t.manager_on_shift("Maria First").await;
    let id = place(&t, &client).await;
    assert_eq!(order(&t, &m1_token, &id).await["manager_id"], m1.as_str());

    block(&t, &admin, &m1).await;
    let o = until(&t, &admin, &id, |o| o["manager_id"].is_null()).await;
    assert_eq!(o["status"], "new");
    let waiting = t.get("/api/orders?unrouted=true", &admin).await.ok(200);
    assert_eq!(waiting["total"], 1);
    assert!(types(&t, &admin, &id)
        .await
        .contains(&"ManagerReleased".to_string()));

    // The next manager to start a shift takes it.
    let (m2, _) = t.manager_on_shift("Mark Second").await;
    until(&t, &admin, &id, |o| o["manager_id"] == m2.as_str()).await;
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}
