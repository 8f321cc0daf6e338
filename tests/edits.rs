//! A manager on the phone with a client edits the order and gives a discount before the
//! first half; afterwards only the deadline moves, when the client agrees. Every change
//! is an event with the old and new value, in the client's timeline and mailed to them.
//! On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use aggregates::Role;
use common::{accepted_order, Accepted, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    a_manager_edits_an_unpaid_order_and_the_client_sees_and_hears_of_each_change,
    bad_edits_and_edits_by_others_change_nothing,
    a_discount_lowers_the_price_and_the_halves_follow,
    after_the_first_half_the_deadline_moves_only_when_the_client_agrees,
);

async fn events_of(t: &TestApp, token: &str, id: &str) -> Vec<Value> {
    t.get(&format!("/api/orders/{id}/events"), token)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .clone()
}

/// The `changed` mails to the order's client, oldest first; waits for `n`.
async fn change_mails(t: &TestApp, a: &Accepted, n: usize) -> Vec<Value> {
    let email = t.get("/api/me", &a.client).await.ok(200)["email"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..200 {
        let rows = t
            .application
            .app
            .db
            .fetch_all(
                "SELECT params FROM mail_outbox WHERE recipient = $1 AND kind = 'changed' ORDER BY id",
                &projections::args![email.as_str()],
            )
            .await
            .unwrap();
        if rows.len() >= n {
            return rows
                .iter()
                .map(|r| serde_json::from_str(&r.text("params").unwrap()).unwrap())
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} change mails");
}

fn replay_verifies(t: &TestApp) {
    let out = common::replay(t, true);
    assert!(
        out.status.success(),
        "{}\n{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    );
}

async fn a_manager_edits_an_unpaid_order_and_the_client_sees_and_hears_of_each_change(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let path = format!("/api/orders/{}", a.order);
    let o = t
        .call(
            "PATCH",
            &path,
            Some(&a.manager),
            Some(json!({"topic": "Novgorod and the Hanse", "pages": 30, "deadline": "2026-05-01", "subject": "History"})),
        )
        .await
        .ok(200);
    assert_eq!(o["topic"], "Novgorod and the Hanse");
    assert_eq!(o["pages"], 30);
    assert_eq!(o["deadline"], "2026-05-01");
    // The table and the client's own view say the same.
    let seen = t.get(&path, &a.client).await.ok(200);
    assert_eq!(seen["topic"], "Novgorod and the Hanse");
    assert_eq!(
        t.get("/api/orders?q=hanse", &a.manager).await.ok(200)["total"],
        1,
        "the search finds the new topic"
    );
    // One event, each changed field with its old and new value (the subject did not change).
    let events = events_of(&t, &a.client, &a.order).await;
    let edited: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "OrderEdited")
        .collect();
    assert_eq!(edited.len(), 1);
    assert_eq!(
        edited[0]["data"]["edits"],
        json!([
            {"field": "topic", "old": "The Novgorod Republic and its trade", "new": "Novgorod and the Hanse"},
            {"field": "pages", "old": 25, "new": 30},
            {"field": "deadline", "old": "2026-04-15", "new": "2026-05-01"},
        ])
    );
    assert_eq!(edited[0]["actor"]["id"], a.manager_id.as_str());
    // Mailed to the client.
    let mails = change_mails(&t, &a, 1).await;
    assert_eq!(
        mails[0]["changes"],
        json!([
            [
                "topic",
                "The Novgorod Republic and its trade",
                "Novgorod and the Hanse"
            ],
            ["pages", "25", "30"],
            ["deadline", "2026-04-15", "2026-05-01"],
        ])
    );
    // The same values again: nothing recorded.
    let before = t.event_count().await;
    t.call(
        "PATCH",
        &path,
        Some(&a.manager),
        Some(json!({"topic": "Novgorod and the Hanse"})),
    )
    .await
    .ok(200);
    assert_eq!(t.event_count().await, before);
    t.workers_caught_up().await;
    replay_verifies(&t);
}

async fn bad_edits_and_edits_by_others_change_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let path = format!("/api/orders/{}", a.order);
    let (_, other_manager) = t.user(Role::Manager, "Oleg Other").await;
    let before = t.event_count().await;
    for (body, status) in [
        (json!({"pages": 0}), 422),
        (json!({"pages": 1001}), 422),
        (json!({"topic": "  "}), 422),
        (json!({"deadline": "2020-01-01"}), 422),
        (json!({"colour": "red"}), 400),
        (json!({"pages": "many"}), 400),
    ] {
        t.call("PATCH", &path, Some(&a.manager), Some(body.clone()))
            .await
            .problem(status);
    }
    t.call("PATCH", &path, Some(&a.client), Some(json!({"pages": 3})))
        .await
        .problem(403);
    t.call("PATCH", &path, Some(&a.author), Some(json!({"pages": 3})))
        .await
        .problem(403);
    t.call(
        "PATCH",
        &path,
        Some(&other_manager),
        Some(json!({"pages": 3})),
    )
    .await
    .problem(404);
    t.call("PATCH", &path, None, Some(json!({"pages": 3})))
        .await
        .problem(401);
    t.put(
        &format!("/api/orders/{}/discount", a.order),
        &a.client,
        json!({"price": 1000, "reason": "please"}),
    )
    .await
    .problem(403);
    assert_eq!(t.event_count().await, before, "nothing appended");
}

async fn a_discount_lowers_the_price_and_the_halves_follow(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    // Priced at 250 001 with a fee of 100 000.
    let a = accepted_order(&t).await;
    let discount = format!("/api/orders/{}/discount", a.order);
    let before = t.event_count().await;
    for (body, status) in [
        (json!({"price": 250001, "reason": "none"}), 422),
        (json!({"price": 0, "reason": "all"}), 422),
        (json!({"price": 200000, "reason": " "}), 422),
        (json!({"price": 99999, "reason": "below the fee"}), 409),
    ] {
        t.put(&discount, &a.manager, body).await.problem(status);
    }
    assert_eq!(t.event_count().await, before);
    let o = t
        .put(
            &discount,
            &a.manager,
            json!({"price": 200001, "reason": "a returning client"}),
        )
        .await
        .ok(200);
    assert_eq!(o["price"], 200001);
    assert_eq!(o["first_half"], 100000);
    assert_eq!(o["second_half"], 100001);
    let mails = change_mails(&t, &a, 1).await;
    assert_eq!(mails[0]["changes"], json!([["price", "250001", "200001"]]));
    assert_eq!(mails[0]["reason"], "a returning client");
    // The client pays the new halves; the old amount is refused.
    let pay = format!("/api/orders/{}/payments", a.order);
    t.post(
        &pay,
        &a.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "p-1"}),
    )
    .await
    .problem(409);
    t.post(
        &pay,
        &a.manager,
        json!({"half": "first", "amount": 100000, "payment_id": "p-1"}),
    )
    .await
    .ok(200);
    // Paid: no more discounts.
    t.put(
        &discount,
        &a.manager,
        json!({"price": 150000, "reason": "later"}),
    )
    .await
    .problem(409);
    let o = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200);
    assert_eq!(o["paid"], 100000);
    assert_eq!(o["price"], 200001);
    t.workers_caught_up().await;
    replay_verifies(&t);
}

async fn after_the_first_half_the_deadline_moves_only_when_the_client_agrees(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let path = format!("/api/orders/{}", a.order);
    t.post(
        &format!("{path}/payments"),
        &a.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "p-1"}),
    )
    .await
    .ok(200);
    // Only the deadline, now.
    t.call("PATCH", &path, Some(&a.manager), Some(json!({"pages": 40})))
        .await
        .problem(409);
    t.call(
        "PATCH",
        &path,
        Some(&a.manager),
        Some(json!({"pages": 40, "deadline": "2026-05-01"})),
    )
    .await
    .problem(409);
    // Nothing to answer yet.
    t.post(&format!("{path}/deadline/accept"), &a.client, json!({}))
        .await
        .problem(409);
    let o = t
        .call(
            "PATCH",
            &path,
            Some(&a.manager),
            Some(json!({"deadline": "2026-05-01"})),
        )
        .await
        .ok(200);
    assert_eq!(
        o["deadline"], "2026-04-15",
        "the deadline stands until the client agrees"
    );
    assert_eq!(o["proposed_deadline"], "2026-05-01");
    let mails = change_mails(&t, &a, 1).await;
    assert_eq!(mails[0]["proposed_deadline"], "2026-05-01");
    // A second proposal waits for the first's answer.
    t.call(
        "PATCH",
        &path,
        Some(&a.manager),
        Some(json!({"deadline": "2026-06-01"})),
    )
    .await
    .problem(409);
    // Only the order's client answers.
    let (_, other) = t.user(Role::Client, "Olga Other").await;
    t.post(&format!("{path}/deadline/accept"), &other, json!({}))
        .await
        .problem(404);
    t.post(&format!("{path}/deadline/accept"), &a.manager, json!({}))
        .await
        .problem(403);
    // Declined: the old deadline stands, and a new proposal may follow.
    let o = t
        .post(&format!("{path}/deadline/decline"), &a.client, json!({}))
        .await
        .ok(200);
    assert_eq!(o["deadline"], "2026-04-15");
    assert_eq!(o["proposed_deadline"], Value::Null);
    t.call(
        "PATCH",
        &path,
        Some(&a.manager),
        Some(json!({"deadline": "2026-06-01"})),
    )
    .await
    .ok(200);
    let o = t
        .post(&format!("{path}/deadline/accept"), &a.client, json!({}))
        .await
        .ok(200);
    assert_eq!(o["deadline"], "2026-06-01");
    assert_eq!(o["proposed_deadline"], Value::Null);
    let types: Vec<String> = events_of(&t, &a.client, &a.order)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .filter(|t| t.starts_with("Deadline"))
        .collect();
    assert_eq!(
        types,
        vec![
            "DeadlineProposed",
            "DeadlineProposalDeclined",
            "DeadlineProposed",
            "DeadlineMoved"
        ]
    );
    let mails = change_mails(&t, &a, 3).await;
    assert_eq!(
        mails[2]["changes"],
        json!([["deadline", "2026-04-15", "2026-06-01"]])
    );
    t.workers_caught_up().await;
    replay_verifies(&t);
}
