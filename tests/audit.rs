//! The auditor's tools: the tamper-evident hash chain and `scriptorium audit verify`, the
//! global audit feed, and an order as it stood at a past moment. On SQLite and Postgres.

mod common;

use std::collections::{HashMap, HashSet};

use aggregates::Role;
use chrono::Duration;
use common::{audit_verify, order_body, text, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    audit_verify_passes_on_an_untouched_store_and_names_a_hand_edited_event,
    audit_verify_finds_a_deleted_middle_event,
    every_event_carries_a_hash_linked_to_the_event_before_it_in_its_stream,
    as_of_returns_the_order_as_it_stood_at_each_past_moment,
    as_of_is_for_auditors_and_admins_and_checks_its_time,
    the_audit_feed_pages_through_every_event_exactly_once_in_order,
    the_audit_feed_is_for_auditors_and_admins_and_refuses_bad_paging,
);

/// The people of an order's life.
struct People {
    client: String,
    manager: String,
    author: String,
    author_id: String,
}

async fn people(t: &TestApp) -> People {
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;
    People {
        client,
        manager,
        author,
        author_id,
    }
}

/// Drives one order from placement to the client's rating; returns its id.
async fn whole_order(t: &TestApp, p: &People) -> String {
    let id = t.post("/api/orders", &p.client, order_body()).await.ok(201)["id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = |tail: &str| format!("/api/orders/{id}{tail}");
    t.put(
        &path("/price"),
        &p.manager,
        json!({"price": 250001, "author_fee": 100000}),
    )
    .await
    .ok(200);
    t.post(
        &path("/offer"),
        &p.manager,
        json!({"author_id": p.author_id}),
    )
    .await
    .ok(200);
    t.post(&path("/offer/accept"), &p.author, json!({}))
        .await
        .ok(200);
    t.post(
        &path("/payments"),
        &p.manager,
        json!({"half": "first", "amount": 125000, "payment_id": format!("{id}-1")}),
    )
    .await
    .ok(200);
    t.upload(
        &path("/final"),
        &p.author,
        "final.pdf",
        b"%PDF the whole work",
    )
    .await
    .ok(200);
    t.post(&path("/final/approve"), &p.manager, json!({}))
        .await
        .ok(200);
    let o = t
        .post(
            &path("/payments"),
            &p.manager,
            json!({"half": "second", "amount": 125001, "payment_id": format!("{id}-2")}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "delivered");
    let o = t
        .post(
            &path("/complete"),
            &p.client,
            json!({"rating": 5, "review": "fine"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "completed");
    id
}

/// The sequence of the order's first event of this type.
async fn sequence_of(t: &TestApp, token: &str, id: &str, event_type: &str) -> i64 {
    let events = t
        .get(&format!("/api/orders/{id}/events"), token)
        .await
        .ok(200);
    events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == event_type)
        .and_then(|e| e["sequence"].as_i64())
        .unwrap_or_else(|| panic!("order {id} has no {event_type}: {events}"))
}

async fn audit_verify_passes_on_an_untouched_store_and_names_a_hand_edited_event(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let p = people(&t).await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(whole_order(&t, &p).await);
    }
    t.workers_caught_up().await;
    let events = t.event_count().await;

    let out = audit_verify(&t);
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    // Three users, three orders, a shift, the author's account and the client's points.
    assert!(
        stdout.contains(&format!("{events} events in 10 streams")) && stdout.contains("intact"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{events} events checked")) && stderr.contains("events/s"),
        "progress goes to stderr: {stderr}"
    );

    // Someone lowers the price of the second order by hand.
    let victim = &orders[1];
    let sequence = sequence_of(&t, &p.manager, victim, "PriceSet").await;
    let edited = t
        .application
        .app
        .db
        .execute(
            "UPDATE events SET payload = \
             '{\"PriceSet\":{\"price\":2,\"author_fee\":0,\"first_half\":1,\"second_half\":1}}' \
             WHERE aggregate_type = 'Order' AND aggregate_id = $1 AND sequence = $2",
            &projections::args![victim.as_str(), sequence],
        )
        .await
        .expect("edit an event by hand");
    assert_eq!(edited, 1);

    let out = audit_verify(&t);
    assert!(
        !out.status.success(),
        "a hand-edited event must fail the audit"
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "Order {victim} sequence {sequence}: content changed"
        )),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("broken:")).count(),
        1,
        "only the edited stream is broken: {stdout}"
    );
    assert!(text(&out.stderr).contains("1 of 10 streams have a broken link"));
}

async fn audit_verify_finds_a_deleted_middle_event(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let p = people(&t).await;
    let id = whole_order(&t, &p).await;
    let other = whole_order(&t, &p).await;
    assert!(audit_verify(&t).status.success());

    let sequence = sequence_of(&t, &p.manager, &id, "OfferAccepted").await;
    let deleted = t
        .application
        .app
        .db
        .execute(
            "DELETE FROM events WHERE aggregate_type = 'Order' AND aggregate_id = $1 AND sequence = $2",
            &projections::args![id.as_str(), sequence],
        )
        .await
        .expect("delete an event by hand");
    assert_eq!(deleted, 1);

    let out = audit_verify(&t);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "Order {id} sequence {sequence}: missing (the next stored event is sequence {})",
            sequence + 1
        )),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&other),
        "the other order is intact: {stdout}"
    );
}

async fn every_event_carries_a_hash_linked_to_the_event_before_it_in_its_stream(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let p = people(&t).await;
    let id = whole_order(&t, &p).await;

    let events = t
        .get(&format!("/api/orders/{id}/events"), &p.client)
        .await
        .ok(200);
    let hashes: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["hash"].as_str().expect("every event has a hash"))
        .collect();
    assert!(hashes
        .iter()
        .all(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())));
    assert_eq!(
        hashes.iter().collect::<HashSet<_>>().len(),
        hashes.len(),
        "hashes are distinct"
    );

    let (_, auditor) = t.user(Role::Auditor, "Alla Auditor").await;
    let total = usize::try_from(t.event_count().await).unwrap();
    let mut last: HashMap<(String, String), (i64, String)> = HashMap::new();
    for e in read_feed(&t, &auditor, 1000, total).await {
        let stream = (
            e["aggregate_type"].as_str().unwrap().to_string(),
            e["aggregate_id"].as_str().unwrap().to_string(),
        );
        let (want_sequence, want_prev) = last
            .get(&stream)
            .map(|(s, h)| (s + 1, h.clone()))
            .unwrap_or((1, "0".repeat(64)));
        assert_eq!(e["sequence"], want_sequence, "{e}");
        assert_eq!(e["prev_hash"], want_prev.as_str(), "{e}");
        last.insert(
            stream,
            (want_sequence, e["hash"].as_str().unwrap().to_string()),
        );
    }
    let order_head = &last[&("Order".to_string(), id.clone())];
    assert_eq!(order_head.1, *hashes.last().unwrap());
}

async fn as_of_returns_the_order_as_it_stood_at_each_past_moment(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let p = people(&t).await;
    let manager_id = t.get("/api/me", &p.manager).await.ok(200)["id"].clone();
    let (_, auditor) = t.user(Role::Auditor, "Alla Auditor").await;
    let step = || t.clock.advance(Duration::minutes(10));

    // 09:00 placed, 09:10 priced, 09:20 offered, 09:30 accepted, 09:40 first half, 09:50 draft.
    let id = t.post("/api/orders", &p.client, order_body()).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = |tail: &str| format!("/api/orders/{id}{tail}");
    step();
    t.put(
        &path("/price"),
        &p.manager,
        json!({"price": 250001, "author_fee": 100000}),
    )
    .await
    .ok(200);
    step();
    t.post(
        &path("/offer"),
        &p.manager,
        json!({"author_id": p.author_id}),
    )
    .await
    .ok(200);
    step();
    t.post(&path("/offer/accept"), &p.author, json!({}))
        .await
        .ok(200);
    step();
    t.post(
        &path("/payments"),
        &p.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "pay-1"}),
    )
    .await
    .ok(200);
    step();
    t.upload(&path("/draft"), &p.author, "draft.pdf", b"%PDF half")
        .await
        .ok(200);
    step();

    let at = |time: &str| {
        let path = path(&format!("?as_of=2026-03-02T{time}Z"));
        let auditor = auditor.clone();
        let t = &t;
        async move { t.get(&path, &auditor).await }
    };
    at("08:59:59").await.problem(404);

    let o = at("09:05:00").await.ok(200);
    assert_eq!(o["as_of"], "2026-03-02T09:05:00+00:00");
    assert_eq!(
        (&o["status"], &o["price"], &o["paid"]),
        (&json!("new"), &Value::Null, &json!(0))
    );
    assert_eq!(o["number"], 1);
    assert_eq!(o["topic"], order_body()["topic"]);
    assert_eq!(o["deadline"], "2026-04-15");
    // Routed at once to the manager on shift.
    assert_eq!(o["manager_id"], manager_id);
    assert!(o["author_name"].is_null());

    // An event's own moment is included.
    let o = at("09:10:00").await.ok(200);
    assert_eq!((&o["status"], &o["price"]), (&json!("new"), &json!(250001)));
    assert_eq!(
        (&o["first_half"], &o["second_half"], &o["author_fee"]),
        (&json!(125000), &json!(125001), &json!(100000))
    );
    assert_eq!(o["manager_id"], manager_id);

    let o = at("09:25:00").await.ok(200);
    assert_eq!(o["status"], "offered");
    assert_eq!(o["offered_to"], p.author_id.as_str());

    let o = at("09:35:00").await.ok(200);
    assert_eq!(o["status"], "awaiting_prepayment");
    assert_eq!(o["paid"], 0);
    assert_eq!(o["author_id"], p.author_id.as_str());
    assert_eq!(o["author_name"], "Ivan Petrov");

    let o = at("09:45:00").await.ok(200);
    assert_eq!(
        (&o["status"], &o["paid"]),
        (&json!("in_progress"), &json!(125000))
    );
    assert_eq!(o["files"], json!([]));

    let o = at("09:55:00").await.ok(200);
    assert_eq!(o["status"], "draft_review");
    assert_eq!(o["files"][0]["kind"], "draft");
    assert_eq!(o["files"][0]["uploaded_at"], "2026-03-02T09:50:00+00:00");
    assert_eq!(o["updated_at"], "2026-03-02T09:50:00+00:00");

    // As of now it is the order as the read model shows it, field for field.
    let mut then = at("10:00:00").await.ok(200);
    let now = t.get(&path(""), &auditor).await.ok(200);
    assert_eq!(
        then.as_object_mut().unwrap().remove("as_of"),
        Some(json!("2026-03-02T10:00:00+00:00"))
    );
    assert_eq!(then, now);
}

async fn as_of_is_for_auditors_and_admins_and_checks_its_time(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let p = people(&t).await;
    let (_, admin) = t.user(Role::Admin, "Adam Admin").await;
    let (_, auditor) = t.user(Role::Auditor, "Alla Auditor").await;
    let id = t.post("/api/orders", &p.client, order_body()).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let as_of = format!("/api/orders/{id}?as_of=2026-03-02T09:00:00Z");

    for token in [&p.client, &p.manager, &p.author] {
        t.get(&as_of, token).await.problem(403);
    }
    assert_eq!(t.get(&as_of, &admin).await.ok(200)["status"], "new");
    assert_eq!(t.get(&as_of, &auditor).await.ok(200)["status"], "new");
    // A `+` offset that the query string turned into a space still reads.
    assert_eq!(
        t.get(
            &format!("/api/orders/{id}?as_of=2026-03-02T12:00:00+03:00"),
            &auditor
        )
        .await
        .ok(200)["status"],
        "new"
    );

    for bad in ["yesterday", "2026-03-02", "2026-13-02T09:00:00Z", ""] {
        t.get(&format!("/api/orders/{id}?as_of={bad}"), &auditor)
            .await
            .problem(422);
    }
    t.get(
        &format!(
            "/api/orders/{}?as_of=2026-03-02T09:00:00Z",
            uuid::Uuid::new_v4()
        ),
        &auditor,
    )
    .await
    .problem(404);
    // Without as_of the client still sees their own order.
    t.get(&format!("/api/orders/{id}"), &p.client).await.ok(200);
}

/// Pages through the audit feed `limit` events at a time until it has `total` events;
/// an empty page before that (a running transaction holding the feed back) is retried.
async fn read_feed(t: &TestApp, token: &str, limit: usize, total: usize) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut after = None::<i64>;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while seen.len() < total {
        let path = match after {
            None => format!("/api/audit/events?limit={limit}"),
            Some(a) => format!("/api/audit/events?after={a}&limit={limit}"),
        };
        let page = t.get(&path, token).await.ok(200);
        let events = page["events"].as_array().expect("events").clone();
        assert!(events.len() <= limit, "{page}");
        let next = page["next_after"].as_i64().expect("next_after");
        match events.last() {
            Some(last) => assert_eq!(last["position"], next),
            None => {
                assert_eq!(next, after.unwrap_or(0));
                assert!(std::time::Instant::now() < deadline, "the feed stalled");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        seen.extend(events);
        after = Some(next);
    }
    seen
}

async fn the_audit_feed_pages_through_every_event_exactly_once_in_order(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let p = people(&t).await;
    let (_, auditor) = t.user(Role::Auditor, "Alla Auditor").await;
    let a = whole_order(&t, &p).await;
    let b = whole_order(&t, &p).await;
    // The workers' reactions (a rating, a ledger credit) are in the log too.
    t.workers_caught_up().await;
    let total = usize::try_from(t.event_count().await).unwrap();

    let seen = read_feed(&t, &auditor, 4, total).await;
    assert_eq!(seen.len(), total);
    let positions: Vec<i64> = seen
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "each event once, in order: {positions:?}"
    );
    let stored: HashSet<i64> = t
        .application
        .app
        .db
        .fetch_all("SELECT position FROM events", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.int("position").unwrap())
        .collect();
    assert_eq!(positions.iter().copied().collect::<HashSet<_>>(), stored);

    // Past the end: nothing, and the place stays.
    let last = *positions.last().unwrap();
    let page = t
        .get(&format!("/api/audit/events?after={last}"), &auditor)
        .await
        .ok(200);
    assert_eq!(page, json!({"events": [], "next_after": last}));

    // One page with everything, from the start (after=0 means the start too).
    let all = t
        .get("/api/audit/events?after=0&limit=1000", &auditor)
        .await
        .ok(200);
    assert_eq!(all["events"].as_array().unwrap(), &seen);

    // The entries say what happened, who did it, and in which stream.
    let placed = seen
        .iter()
        .find(|e| e["type"] == "OrderPlaced" && e["aggregate_id"] == a.as_str())
        .expect("the placement of the first order");
    assert_eq!(placed["aggregate_type"], "Order");
    assert_eq!(placed["sequence"], 1);
    assert_eq!(placed["actor"]["role"], "client");
    assert!(placed["actor"]["id"].is_string() && placed["request_id"].is_string());
    let request = placed["request_id"].as_str().unwrap();
    assert_eq!(placed["causation_id"], format!("request:{request}"));
    assert_eq!(placed["data"]["topic"], order_body()["topic"]);
    assert!(placed["at"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-02T09:00:00"));
    assert_eq!(placed["hash"].as_str().unwrap().len(), 64);
    assert!(placed["version"].is_string());
    let of_b = seen
        .iter()
        .filter(|e| e["aggregate_id"] == b.as_str())
        .count();
    assert!(of_b >= 9, "every event of the second order is there");
}

async fn the_audit_feed_is_for_auditors_and_admins_and_refuses_bad_paging(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let p = people(&t).await;
    let (_, admin) = t.user(Role::Admin, "Adam Admin").await;
    let (_, auditor) = t.user(Role::Auditor, "Alla Auditor").await;
    t.post("/api/orders", &p.client, order_body()).await.ok(201);

    for token in [&p.client, &p.manager, &p.author] {
        t.get("/api/audit/events", token).await.problem(403);
    }
    t.call("GET", "/api/audit/events", None, None)
        .await
        .problem(401);
    let page = t.get("/api/audit/events", &admin).await.ok(200);
    assert!(!page["events"].as_array().unwrap().is_empty());

    for bad in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "limit=-5",
        "after=-1",
        "after=first",
        "after=999999999",
    ] {
        t.get(&format!("/api/audit/events?{bad}"), &auditor)
            .await
            .problem(422);
    }
    let page = t
        .get("/api/audit/events?limit=1000", &auditor)
        .await
        .ok(200);
    assert!(page["events"].as_array().unwrap().len() <= 1000);
    let page = t.get("/api/audit/events?limit=1", &auditor).await.ok(200);
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
}
