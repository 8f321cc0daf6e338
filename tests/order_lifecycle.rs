//! Whole order lifecycles through the real router, on SQLite and on Postgres.

mod common;

use aggregates::Role;
use common::{accepted_order, order_body, Accepted, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    a_complete_order_runs_from_registration_to_a_rating,
    a_rejected_draft_sends_the_work_back_for_rework,
    a_client_may_ask_for_a_revision_after_delivery_within_the_guarantee,
    an_order_can_fail_before_delivery_and_not_after,
    the_final_approved_before_the_second_half_waits_in_fully_ready,
);

/// The manager's table row of one order.
async fn table_row(t: &TestApp, manager: &str, id: &str) -> Value {
    let page = t.get("/api/orders?per_page=100", manager).await.ok(200);
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|o| o["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("order {id} is not in the manager's table: {page}"))
}

/// `POST /api/orders/{id}/{action}` by `token`, which must be refused with a 409 that
/// appends no event and leaves the order as `viewer` reads it; returns the problem's detail.
async fn refused(
    t: &TestApp,
    viewer: &str,
    id: &str,
    action: &str,
    token: &str,
    body: Value,
) -> String {
    let state = async || {
        let order = t.get(&format!("/api/orders/{id}"), viewer).await.ok(200);
        (t.event_count().await, order)
    };
    let before = state().await;
    let detail = t
        .post(&format!("/api/orders/{id}/{action}"), token, body)
        .await
        .problem(409);
    assert_eq!(
        state().await,
        before,
        "a refused {action} appended an event or changed the order"
    );
    detail
}

#[track_caller]
fn assert_row(row: &Value, status: &str, price: Option<i64>, paid: i64) {
    assert_eq!(row["status"], status, "{row}");
    assert_eq!(row["price"], json!(price), "{row}");
    assert_eq!(row["paid"], paid, "{row}");
    assert_eq!(row["currency"], "RUB", "{row}");
}

async fn a_complete_order_runs_from_registration_to_a_rating(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;

    // Register and log in through the API.
    let me = t
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"email": "Olga@Example.com", "password": "s3cret-enough", "full_name": "Olga Smirnova"})),
        )
        .await
        .ok(201);
    assert_eq!(me["role"], "client");
    assert_eq!(me["email"], "olga@example.com");
    let client = t.login("olga@example.com", "s3cret-enough").await;
    assert_eq!(t.get("/api/me", &client).await.ok(200)["id"], me["id"]);

    // Place.
    let order = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(order["number"], 1);
    assert_eq!(order["status"], "new");
    assert_eq!(order["client_id"], me["id"]);
    assert!(order["author_name"].is_null());
    assert_row(&table_row(&t, &manager, &id).await, "new", None, 0);

    // Price: halves sum to the price exactly.
    let o = t
        .put(
            &format!("/api/orders/{id}/price"),
            &manager,
            json!({"price": 250001, "author_fee": 100000}),
        )
        .await
        .ok(200);
    assert_eq!(
        (o["first_half"].as_i64(), o["second_half"].as_i64()),
        (Some(125000), Some(125001))
    );
    assert_eq!(o["author_fee"], 100000);
    let row = table_row(&t, &manager, &id).await;
    assert_row(&row, "new", Some(250001), 0);
    assert!(
        row["manager_id"].is_string(),
        "the pricing manager claims the order"
    );

    // Offer and accept.
    let offer = t
        .post(
            &format!("/api/orders/{id}/offer"),
            &manager,
            json!({"author_id": author_id}),
        )
        .await
        .ok(200);
    assert_eq!(offer["author_id"], author_id.as_str());
    assert!(offer["expires_at"].is_string());
    assert_row(
        &table_row(&t, &manager, &id).await,
        "offered",
        Some(250001),
        0,
    );
    let offers = t.get("/api/orders", &author).await.ok(200);
    assert_eq!(
        offers["total"], 1,
        "the author sees the order offered to them"
    );
    t.post(
        &format!("/api/orders/{id}/offer/accept"),
        &author,
        json!({}),
    )
    .await
    .ok(200);
    let row = table_row(&t, &manager, &id).await;
    assert_row(&row, "awaiting_prepayment", Some(250001), 0);
    assert_eq!(row["author_name"], "Ivan Petrov");

    // First half.
    let pay = |half: &str, amount: i64, pid: &str| json!({"half": half, "amount": amount, "payment_id": pid});
    t.post(
        &format!("/api/orders/{id}/payments"),
        &manager,
        pay("first", 125000, "pay-1"),
    )
    .await
    .ok(200);
    assert_row(
        &table_row(&t, &manager, &id).await,
        "in_progress",
        Some(250001),
        125000,
    );

    // Draft, approved: the client can download it.
    let o = t
        .upload(
            &format!("/api/orders/{id}/draft"),
            &author,
            "draft.pdf",
            b"%PDF draft half",
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "draft_review");
    assert_eq!(o["files"][0]["kind"], "draft");
    assert_eq!(o["files"][0]["size"], 15);
    assert_eq!(o["files"][0]["sha256"].as_str().unwrap().len(), 64);
    let draft_id = o["files"][0]["id"].as_str().unwrap().to_string();
    assert_row(
        &table_row(&t, &manager, &id).await,
        "draft_review",
        Some(250001),
        125000,
    );
    let seen = t.get(&format!("/api/orders/{id}"), &client).await.ok(200);
    assert_eq!(
        seen["files"],
        json!([]),
        "an unapproved draft is not shown to the client"
    );
    t.post(
        &format!("/api/orders/{id}/draft/approve"),
        &manager,
        json!({}),
    )
    .await
    .ok(200);
    assert_row(
        &table_row(&t, &manager, &id).await,
        "half_ready",
        Some(250001),
        125000,
    );
    let file = t
        .get(&format!("/api/orders/{id}/files/{draft_id}"), &client)
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.bytes, b"%PDF draft half");

    // Second half while the author works on.
    t.post(
        &format!("/api/orders/{id}/payments"),
        &manager,
        pay("second", 125001, "pay-2"),
    )
    .await
    .ok(200);
    assert_row(
        &table_row(&t, &manager, &id).await,
        "half_ready",
        Some(250001),
        250001,
    );

    // Final, approved with both halves paid: delivered.
    let o = t
        .upload(
            &format!("/api/orders/{id}/final"),
            &author,
            "final.pdf",
            b"%PDF the whole work",
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "final_review");
    assert_row(
        &table_row(&t, &manager, &id).await,
        "final_review",
        Some(250001),
        250001,
    );
    let o = t
        .post(
            &format!("/api/orders/{id}/final/approve"),
            &manager,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "delivered");
    assert!(o["guarantee_until"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-16"));
    assert_row(
        &table_row(&t, &manager, &id).await,
        "delivered",
        Some(250001),
        250001,
    );
    let seen = t.get(&format!("/api/orders/{id}"), &client).await.ok(200);
    assert_eq!(
        seen["files"].as_array().unwrap().len(),
        2,
        "draft and final reach the client"
    );
    assert!(
        seen.get("author_fee").is_none(),
        "the client never sees the author's fee"
    );

    // Complete with a rating.
    let o = t
        .post(
            &format!("/api/orders/{id}/complete"),
            &client,
            json!({"rating": 5, "review": "Excellent"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "completed");
    assert_eq!(o["rating"], 5);
    assert_row(
        &table_row(&t, &manager, &id).await,
        "completed",
        Some(250001),
        250001,
    );

    // The history is complete, ordered and attributed.
    let events = t
        .get(&format!("/api/orders/{id}/events"), &manager)
        .await
        .ok(200);
    let types: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "OrderPlaced",
            "RoutedToManager",
            "PriceSet",
            "AuthorOffered",
            "OfferAccepted",
            "PaymentReceived",
            "DraftSubmitted",
            "DraftApproved",
            "PaymentReceived",
            "FinalSubmitted",
            "FinalApproved",
            "OrderDelivered",
            "OrderCompleted"
        ]
    );
    let seqs: Vec<i64> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=13).collect::<Vec<_>>());
    assert_eq!(events[0]["actor"]["role"], "client");
    assert_eq!(events[0]["actor"]["id"], me["id"]);
    assert_eq!(events[4]["actor"]["id"], author_id.as_str());
    assert!(events[0]["request_id"].is_string());
    let request = events[0]["request_id"].as_str().unwrap();
    assert_eq!(events[0]["causation_id"], format!("request:{request}"));
    assert_eq!(events[0]["at"], "2026-03-02T09:00:00+00:00");

    // The client's history shows each step with its status.
    let history = t
        .get(&format!("/api/orders/{id}/history"), &client)
        .await
        .ok(200);
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "completed");
    assert_eq!(last["note"], "rated 5");
}

async fn a_rejected_draft_sends_the_work_back_for_rework(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    let id = &s.order;
    t.post(
        &format!("/api/orders/{id}/payments"),
        &s.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "p1"}),
    )
    .await
    .ok(200);
    t.upload(
        &format!("/api/orders/{id}/draft"),
        &s.author,
        "d1.pdf",
        b"weak draft",
    )
    .await
    .ok(200);
    let o = t
        .post(
            &format!("/api/orders/{id}/draft/reject"),
            &s.manager,
            json!({"comment": "Too short"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "rework");
    assert_eq!(o["draft_rejections"], 1);
    assert_row(
        &table_row(&t, &s.manager, id).await,
        "rework",
        Some(250001),
        125000,
    );
    let seen = t.get(&format!("/api/orders/{id}"), &s.client).await.ok(200);
    assert_eq!(
        seen["files"],
        json!([]),
        "a rejected draft never reaches the client"
    );

    t.upload(
        &format!("/api/orders/{id}/draft"),
        &s.author,
        "d2.pdf",
        b"%PDF-1.4 better draft",
    )
    .await
    .ok(200);
    assert_row(
        &table_row(&t, &s.manager, id).await,
        "draft_review",
        Some(250001),
        125000,
    );
    t.post(
        &format!("/api/orders/{id}/draft/approve"),
        &s.manager,
        json!({}),
    )
    .await
    .ok(200);
    let seen = t.get(&format!("/api/orders/{id}"), &s.client).await.ok(200);
    assert_eq!(seen["status"], "half_ready");
    assert_eq!(seen["files"].as_array().unwrap().len(), 1);
    assert_eq!(
        seen["files"][0]["name"], "d2.pdf",
        "only the approved draft is shown"
    );

    // The client asks for changes on the preview: rework again.
    let o = t
        .post(
            &format!("/api/orders/{id}/revision"),
            &s.client,
            json!({"comment": "More sources please"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "rework");
    // A rejected final also goes back to rework.
    t.upload(
        &format!("/api/orders/{id}/final"),
        &s.author,
        "f.pdf",
        b"final v1",
    )
    .await
    .ok(200);
    let o = t
        .post(
            &format!("/api/orders/{id}/final/reject"),
            &s.manager,
            json!({"comment": "Formatting"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "rework");
}

/// Drives an accepted order to delivery; returns the setup.
async fn delivered_order(t: &TestApp) -> Accepted {
    let s = accepted_order(t).await;
    let id = &s.order;
    for (half, amount) in [("first", 125000), ("second", 125001)] {
        t.post(
            &format!("/api/orders/{id}/payments"),
            &s.manager,
            // A payment id pays one half of one order.
            json!({"half": half, "amount": amount, "payment_id": format!("{id}-{half}")}),
        )
        .await
        .ok(200);
    }
    t.upload(
        &format!("/api/orders/{id}/final"),
        &s.author,
        "final.pdf",
        b"complete work",
    )
    .await
    .ok(200);
    let o = t
        .post(
            &format!("/api/orders/{id}/final/approve"),
            &s.manager,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "delivered");
    s
}

async fn a_client_may_ask_for_a_revision_after_delivery_within_the_guarantee(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = delivered_order(&t).await;
    let id = &s.order;
    t.clock.advance(chrono::Duration::days(10));
    let o = t
        .post(
            &format!("/api/orders/{id}/revision"),
            &s.client,
            json!({"comment": "Chapter 2 needs a table"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "rework");
    assert_row(
        &table_row(&t, &s.manager, id).await,
        "rework",
        Some(250001),
        250001,
    );

    // Re-delivered: a fresh guarantee; past it, no more revisions.
    t.upload(
        &format!("/api/orders/{id}/final"),
        &s.author,
        "final2.pdf",
        b"complete work v2",
    )
    .await
    .ok(200);
    let o = t
        .post(
            &format!("/api/orders/{id}/final/approve"),
            &s.manager,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "delivered");
    assert!(o["guarantee_until"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-26"));
    t.clock.advance(chrono::Duration::days(15));
    let detail = refused(
        &t,
        &s.client,
        id,
        "revision",
        &s.client,
        json!({"comment": "late"}),
    )
    .await;
    assert!(detail.contains("guarantee"), "{detail}");
    assert_eq!(
        t.get(&format!("/api/orders/{id}"), &s.client).await.ok(200)["status"],
        "delivered"
    );
}

async fn an_order_can_fail_before_delivery_and_not_after(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    // A client cancels before work starts.
    let (_, client) = t.user(Role::Client, "Petr Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let o = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = o["id"].as_str().unwrap();
    let o = t
        .post(
            &format!("/api/orders/{id}/cancel"),
            &client,
            json!({"reason": "changed my mind"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "failed");
    assert_eq!(o["failure_reason"], "changed my mind");
    assert_row(&table_row(&t, &manager, id).await, "failed", None, 0);
    refused(
        &t,
        &manager,
        id,
        "cancel",
        &client,
        json!({"reason": "again"}),
    )
    .await;

    // After work started the client cannot; the manager can, until delivery.
    let s = accepted_order(&t).await;
    let id = &s.order;
    t.post(
        &format!("/api/orders/{id}/payments"),
        &s.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "p"}),
    )
    .await
    .ok(200);
    refused(
        &t,
        &s.manager,
        id,
        "cancel",
        &s.client,
        json!({"reason": "no"}),
    )
    .await;
    let o = t
        .post(
            &format!("/api/orders/{id}/cancel"),
            &s.manager,
            json!({"reason": "client stopped answering"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "failed");

    let d = delivered_order(&t).await;
    refused(
        &t,
        &d.manager,
        &d.order,
        "cancel",
        &d.manager,
        json!({"reason": "late"}),
    )
    .await;
    assert_eq!(
        t.get(&format!("/api/orders/{}", d.order), &d.manager)
            .await
            .ok(200)["status"],
        "delivered"
    );
    let _ = (&s.client_id, &s.manager_id, &s.author_id);
}

async fn the_final_approved_before_the_second_half_waits_in_fully_ready(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    let id = &s.order;
    t.post(
        &format!("/api/orders/{id}/payments"),
        &s.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "a"}),
    )
    .await
    .ok(200);
    let o = t
        .upload(
            &format!("/api/orders/{id}/final"),
            &s.author,
            "f.pdf",
            b"the work",
        )
        .await
        .ok(200);
    let final_id = o["files"][0]["id"].as_str().unwrap().to_string();
    let o = t
        .post(
            &format!("/api/orders/{id}/final/approve"),
            &s.manager,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "fully_ready");
    // Not released before the second half.
    let seen = t.get(&format!("/api/orders/{id}"), &s.client).await.ok(200);
    assert_eq!(seen["files"], json!([]));
    t.get(&format!("/api/orders/{id}/files/{final_id}"), &s.client)
        .await
        .problem(404);
    let o = t
        .post(
            &format!("/api/orders/{id}/payments"),
            &s.manager,
            json!({"half": "second", "amount": 125001, "payment_id": "b"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "delivered");
    assert_row(
        &table_row(&t, &s.manager, id).await,
        "delivered",
        Some(250001),
        250001,
    );
    let file = t
        .get(&format!("/api/orders/{id}/files/{final_id}"), &s.client)
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.bytes, b"the work");
}
