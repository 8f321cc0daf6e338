//! Payments from the provider's signed webhook and by hand, under one set of rules (a
//! payment id pays one half of one order, once; the exact half; halves that sum to the
//! price), and refunds of a failed order with the author's compensation.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aggregates::Role;
use common::{accepted_order, Accepted, Backend, Resp, TestApp};
use cqrs_es::persist::SerializedEvent;
use hmac::{Hmac, Mac};
use scriptorium::store::AppendHook;
use serde_json::{json, Value};
use sha2::Sha256;

on_both!(
    a_signed_notification_pays_the_half_as_the_system,
    a_notification_signed_with_another_key_or_for_another_body_is_refused,
    a_signature_301_seconds_old_or_ahead_is_refused,
    a_notification_signed_with_the_previous_key_is_accepted,
    one_matching_v1_among_several_is_enough,
    without_a_secret_every_notification_is_refused,
    a_missing_or_malformed_signature_is_refused,
    the_same_payment_delivered_twice_is_recorded_once,
    the_same_payment_delivered_twice_at_once_is_recorded_once,
    a_payment_id_already_used_on_another_order_or_half_is_a_409,
    a_wrong_amount_is_a_409_and_appends_nothing,
    the_halves_of_an_odd_price_sum_to_it_exactly,
    refunds_add_up_to_what_was_paid_and_not_a_kopeck_more,
    only_a_failed_order_is_refunded,
    bad_refund_values_are_a_422_and_change_nothing,
    the_author_is_compensated_once_and_at_most_their_fee,
    a_refund_repeated_with_its_idempotency_key_is_recorded_once,
);

const SECRET: &str = "whsec-current";
const PREVIOUS: &str = "whsec-before-rotation";

/// A service that verifies the provider's notifications with both keys.
async fn with_secrets(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.payment_webhook_secret = Some(SECRET.into());
        c.payment_webhook_secret_previous = Some(PREVIOUS.into());
    })
    .await
}

/// Hex HMAC-SHA256 of `"<t>.<body>"` under `secret`.
fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The service clock's time in unix seconds, `offset` seconds on.
fn at(t: &TestApp, offset: i64) -> i64 {
    t.clock.now().timestamp() + offset
}

/// Posts `body` to the webhook with this `X-Signature` (none when `None`).
async fn deliver_with(t: &TestApp, body: &Value, signature: Option<&str>) -> Resp {
    let headers: Vec<(&str, &str)> = signature.map(|s| ("x-signature", s)).into_iter().collect();
    t.call_with(
        "POST",
        "/api/payments/webhook",
        None,
        Some(body.clone()),
        &headers,
    )
    .await
}

/// Posts `body` to the webhook, signed now with the current key.
async fn deliver(t: &TestApp, body: &Value) -> Resp {
    let ts = at(t, 0);
    let header = format!("t={ts},v1={}", sign(SECRET, ts, &body.to_string()));
    deliver_with(t, body, Some(&header)).await
}

fn notification(order: &str, half: &str, amount: i64, payment_id: &str) -> Value {
    json!({"payment_id": payment_id, "order_id": order, "half": half, "amount": amount})
}

/// The order's events of this type.
async fn events_of(t: &TestApp, token: &str, id: &str, event_type: &str) -> Vec<Value> {
    let events = t
        .get(&format!("/api/orders/{id}/events"), token)
        .await
        .ok(200);
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == event_type)
        .cloned()
        .collect()
}

/// The order as its manager sees it.
async fn order(t: &TestApp, s: &Accepted) -> Value {
    t.get(&format!("/api/orders/{}", s.order), &s.manager)
        .await
        .ok(200)
}

/// `scriptorium replay --verify` finds the read models equal to a rebuild.
fn replay_verifies(t: &TestApp) {
    let out = common::replay(t, true);
    assert!(
        out.status.success(),
        "replay --verify: {}{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    );
}

async fn a_signed_notification_pays_the_half_as_the_system(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let receipt = deliver(&t, &notification(&s.order, "first", 125000, "prov-1"))
        .await
        .ok(200);
    assert_eq!(
        receipt,
        json!({"order_id": s.order, "payment_id": "prov-1", "half": "first",
               "amount": 125000, "recorded": true})
    );
    let o = order(&t, &s).await;
    assert_eq!(
        (o["status"].as_str(), o["paid"].as_i64()),
        (Some("in_progress"), Some(125000))
    );
    let paid = events_of(&t, &s.manager, &s.order, "PaymentReceived").await;
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0]["data"]["payment_id"], "prov-1");
    assert_eq!(
        paid[0]["actor"]["role"], "admin",
        "the system's: {}",
        paid[0]
    );
    assert_eq!(paid[0]["actor"]["id"], uuid::Uuid::nil().to_string());
}

async fn a_notification_signed_with_another_key_or_for_another_body_is_refused(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let body = notification(&s.order, "first", 125000, "prov-1");
    let before = t.event_count().await;
    let ts = at(&t, 0);
    let wrong_key = format!(
        "t={ts},v1={}",
        sign("not-our-secret", ts, &body.to_string())
    );
    let detail = deliver_with(&t, &body, Some(&wrong_key)).await.problem(401);
    assert!(detail.contains("signature"), "{detail}");
    // A signature of another body (the amount changed on the way).
    let other = notification(&s.order, "first", 1, "prov-1").to_string();
    let for_other = format!("t={ts},v1={}", sign(SECRET, ts, &other));
    deliver_with(&t, &body, Some(&for_other)).await.problem(401);
    // The right signature under another time than the one signed.
    let moved = format!("t={},v1={}", ts + 1, sign(SECRET, ts, &body.to_string()));
    deliver_with(&t, &body, Some(&moved)).await.problem(401);
    assert_eq!(t.event_count().await, before, "nothing appended");
    assert_eq!(order(&t, &s).await["paid"], 0);
}

async fn a_signature_301_seconds_old_or_ahead_is_refused(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let body = notification(&s.order, "first", 125000, "prov-1");
    let before = t.event_count().await;
    for offset in [-301, 301] {
        let ts = at(&t, offset);
        let header = format!("t={ts},v1={}", sign(SECRET, ts, &body.to_string()));
        let detail = deliver_with(&t, &body, Some(&header)).await.problem(401);
        assert!(detail.contains("300"), "{offset} s: {detail}");
    }
    assert_eq!(t.event_count().await, before, "nothing appended");
    // Within the five minutes either way (the service's clock, not the machine's).
    t.clock.advance(chrono::Duration::days(3));
    let ts = at(&t, -299);
    let header = format!("t={ts},v1={}", sign(SECRET, ts, &body.to_string()));
    deliver_with(&t, &body, Some(&header)).await.ok(200);
    assert_eq!(order(&t, &s).await["paid"], 125000);
}

async fn a_notification_signed_with_the_previous_key_is_accepted(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let body = notification(&s.order, "first", 125000, "prov-1");
    let ts = at(&t, 0);
    let header = format!("t={ts},v1={}", sign(PREVIOUS, ts, &body.to_string()));
    deliver_with(&t, &body, Some(&header)).await.ok(200);
    assert_eq!(order(&t, &s).await["paid"], 125000);

    // Only the previous key: still verified (the current one is not required).
    let only_previous = TestApp::spawn_with(backend, |c| {
        c.payment_webhook_secret_previous = Some(PREVIOUS.into());
    })
    .await;
    let s = accepted_order(&only_previous).await;
    let body = notification(&s.order, "first", 125000, "prov-2");
    let ts = at(&only_previous, 0);
    let header = format!("t={ts},v1={}", sign(PREVIOUS, ts, &body.to_string()));
    deliver_with(&only_previous, &body, Some(&header))
        .await
        .ok(200);
}

async fn one_matching_v1_among_several_is_enough(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let body = notification(&s.order, "first", 125000, "prov-1");
    let ts = at(&t, 0);
    let good = sign(SECRET, ts, &body.to_string());
    let bad = sign("stale-key", ts, &body.to_string());
    // Unknown schemes and a value that is not hex are passed over.
    let header = format!("t={ts},v0=abc,v1={bad},v1=not-hex,v1={good}");
    deliver_with(&t, &body, Some(&header)).await.ok(200);
    assert_eq!(order(&t, &s).await["paid"], 125000);
    // Several, none matching.
    let second = notification(&s.order, "second", 125001, "prov-2");
    let header = format!("t={ts},v1={bad},v1={}", "0".repeat(64));
    deliver_with(&t, &second, Some(&header)).await.problem(401);
}

async fn without_a_secret_every_notification_is_refused(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    let body = notification(&s.order, "first", 125000, "prov-1");
    let before = t.event_count().await;
    let ts = at(&t, 0);
    for key in [SECRET, "", "anything"] {
        let header = format!("t={ts},v1={}", sign(key, ts, &body.to_string()));
        let detail = deliver_with(&t, &body, Some(&header)).await.problem(401);
        assert!(detail.contains("no webhook secret"), "{detail}");
    }
    deliver_with(&t, &body, None).await.problem(401);
    assert_eq!(t.event_count().await, before);
}

async fn a_missing_or_malformed_signature_is_refused(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let body = notification(&s.order, "first", 125000, "prov-1");
    let (_, admin) = t.user(Role::Admin, "Admin").await;
    let before = t.event_count().await;
    let ts = at(&t, 0);
    let good = sign(SECRET, ts, &body.to_string());
    deliver_with(&t, &body, None).await.problem(401);
    for header in [
        String::new(),
        good.clone(),
        format!("v1={good}"),
        format!("t={ts}"),
        format!("t=soon,v1={good}"),
        format!("t={ts},t={ts},v1={good}"),
    ] {
        deliver_with(&t, &body, Some(&header)).await.problem(401);
    }
    // A bearer token is no substitute for the signature.
    let res = t
        .call("POST", "/api/payments/webhook", Some(&admin), Some(body))
        .await;
    res.problem(401);
    assert_eq!(t.event_count().await, before);
}

async fn the_same_payment_delivered_twice_is_recorded_once(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let body = notification(&s.order, "first", 125000, "prov-1");
    assert_eq!(deliver(&t, &body).await.ok(200)["recorded"], true);
    let after_first = t.event_count().await;
    let again = deliver(&t, &body).await.ok(200);
    assert_eq!(again["recorded"], false, "{again}");
    // And once more by hand, with the same id: the same rules, the same answer.
    let o = t
        .post(
            &format!("/api/orders/{}/payments", s.order),
            &s.manager,
            json!({"half": "first", "amount": 125000, "payment_id": "prov-1"}),
        )
        .await
        .ok(200);
    assert_eq!(o["paid"], 125000);
    assert_eq!(t.event_count().await, after_first, "nothing appended");
    assert_eq!(
        events_of(&t, &s.manager, &s.order, "PaymentReceived")
            .await
            .len(),
        1
    );
}

/// Holds each of the first two appends to order `id` until both have come to append
/// (both decided on the same state), and records the sequence each append starts at.
fn race_the_first_two_appends(t: &TestApp, id: &str) -> Arc<Mutex<Vec<(usize, bool)>>> {
    let appends: Arc<Mutex<Vec<(usize, bool)>>> = Arc::default();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let (id, record) = (id.to_string(), appends.clone());
    let hook: AppendHook = Arc::new(move |events: &[SerializedEvent]| {
        let first = &events[0];
        let mine = first.aggregate_id == id;
        let nth = if mine {
            let mut record = record.lock().unwrap();
            record.push((first.sequence, true));
            record.len()
        } else {
            0
        };
        let (barrier, record) = (barrier.clone(), record.clone());
        Box::pin(async move {
            if mine && nth <= 2 {
                let met = tokio::time::timeout(Duration::from_secs(10), barrier.wait())
                    .await
                    .is_ok();
                record.lock().unwrap()[nth - 1].1 = met;
            }
        })
    });
    t.application.app.order_repo.before_append(Some(hook));
    appends
}

async fn the_same_payment_delivered_twice_at_once_is_recorded_once(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let body = notification(&s.order, "first", 125000, "prov-1");
    let appends = race_the_first_two_appends(&t, &s.order);
    let (a, b) = tokio::join!(deliver(&t, &body), deliver(&t, &body));
    t.application.app.order_repo.before_append(None);
    assert_eq!(
        (a.status.as_u16(), b.status.as_u16()),
        (200, 200),
        "{} / {}",
        a.body,
        b.body
    );
    let mut recorded = [a.body["recorded"].clone(), b.body["recorded"].clone()];
    recorded.sort_by_key(|v| v.to_string());
    assert_eq!(
        recorded,
        [json!(false), json!(true)],
        "one of them recorded it"
    );
    // Both were decided on one state and raced for one sequence; the loser, retried,
    // found the payment recorded and appended nothing.
    let appends = appends.lock().unwrap().clone();
    assert_eq!(
        appends.len(),
        2,
        "two racing appends, no third: {appends:?}"
    );
    assert!(
        appends[0].1 && appends[1].1,
        "they came together: {appends:?}"
    );
    assert_eq!(appends[0].0, appends[1].0, "they raced: {appends:?}");
    assert_eq!(
        events_of(&t, &s.manager, &s.order, "PaymentReceived")
            .await
            .len(),
        1
    );
    assert_eq!(order(&t, &s).await["paid"], 125000);
}

async fn a_payment_id_already_used_on_another_order_or_half_is_a_409(backend: Backend) {
    let t = with_secrets(backend).await;
    let a = accepted_order(&t).await;
    let b = accepted_order(&t).await;
    deliver(&t, &notification(&a.order, "first", 125000, "prov-1"))
        .await
        .ok(200);
    // The payments table has it once the read models include it (within milliseconds;
    // a read waits for them), and a command reads the table as it stands.
    order(&t, &a).await;
    let before = t.event_count().await;
    let detail = deliver(&t, &notification(&b.order, "first", 125000, "prov-1"))
        .await
        .problem(409);
    assert!(detail.contains("another order"), "{detail}");
    // By hand, the same rule.
    let detail = t
        .post(
            &format!("/api/orders/{}/payments", b.order),
            &b.manager,
            json!({"half": "first", "amount": 125000, "payment_id": "prov-1"}),
        )
        .await
        .problem(409);
    assert!(detail.contains("another order"), "{detail}");
    // The other half of the same order.
    let detail = deliver(&t, &notification(&a.order, "second", 125001, "prov-1"))
        .await
        .problem(409);
    assert!(detail.contains("first half"), "{detail}");
    assert_eq!(t.event_count().await, before, "nothing appended");
    assert_eq!(order(&t, &b).await["status"], "awaiting_prepayment");
    // Its own id pays it.
    deliver(&t, &notification(&b.order, "first", 125000, "prov-2"))
        .await
        .ok(200);
    replay_verifies(&t);
}

async fn a_wrong_amount_is_a_409_and_appends_nothing(backend: Backend) {
    let t = with_secrets(backend).await;
    let s = accepted_order(&t).await;
    let before = t.event_count().await;
    for amount in [124999, 125001, 250001] {
        let detail = deliver(&t, &notification(&s.order, "first", amount, "prov-1"))
            .await
            .problem(409);
        assert!(detail.contains("125000"), "{detail}");
    }
    t.post(
        &format!("/api/orders/{}/payments", s.order),
        &s.manager,
        json!({"half": "first", "amount": 1, "payment_id": "hand-1"}),
    )
    .await
    .problem(409);
    // Not a positive amount, not a half: a 422, nothing appended either.
    deliver(&t, &notification(&s.order, "first", 0, "prov-1"))
        .await
        .problem(422);
    deliver(&t, &notification(&s.order, "third", 125000, "prov-1"))
        .await
        .problem(422);
    assert_eq!(t.event_count().await, before, "nothing appended");
    let o = order(&t, &s).await;
    assert_eq!(
        (o["status"].as_str(), o["paid"].as_i64()),
        (Some("awaiting_prepayment"), Some(0))
    );
    // The refused id was never recorded: the right amount under it is taken.
    deliver(&t, &notification(&s.order, "first", 125000, "prov-1"))
        .await
        .ok(200);
    // An unknown order is a 404.
    let unknown = uuid::Uuid::new_v4().to_string();
    deliver(&t, &notification(&unknown, "first", 125000, "prov-9"))
        .await
        .problem(404);
}

async fn the_halves_of_an_odd_price_sum_to_it_exactly(backend: Backend) {
    let t = with_secrets(backend).await;
    // accepted_order prices it at 250 001 kopecks.
    let s = accepted_order(&t).await;
    let o = order(&t, &s).await;
    let (price, first, second) = (
        o["price"].as_i64().unwrap(),
        o["first_half"].as_i64().unwrap(),
        o["second_half"].as_i64().unwrap(),
    );
    assert_eq!((price, first, second), (250001, 125000, 125001));
    assert_eq!(first + second, price);
    deliver(&t, &notification(&s.order, "first", first, "prov-1"))
        .await
        .ok(200);
    deliver(&t, &notification(&s.order, "second", second, "prov-2"))
        .await
        .ok(200);
    let o = order(&t, &s).await;
    assert_eq!(o["paid"], price, "every kopeck of the price, no more");
}

/// An order whose first half (125 000) was paid and which a manager then cancelled.
async fn failed_after_payment(t: &TestApp) -> Accepted {
    let s = accepted_order(t).await;
    t.post(
        &format!("/api/orders/{}/payments", s.order),
        &s.manager,
        json!({"half": "first", "amount": 125000, "payment_id": format!("{}-1", s.order)}),
    )
    .await
    .ok(200);
    let o = t
        .post(
            &format!("/api/orders/{}/cancel", s.order),
            &s.manager,
            json!({"reason": "the client refused"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "failed");
    s
}

fn refund_path(s: &Accepted) -> String {
    format!("/api/orders/{}/refunds", s.order)
}

async fn refunds_add_up_to_what_was_paid_and_not_a_kopeck_more(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = failed_after_payment(&t).await;
    let before = t.event_count().await;
    let detail = t
        .post(
            &refund_path(&s),
            &s.manager,
            json!({"amount": 125001, "reason": "all of it"}),
        )
        .await
        .problem(409);
    assert!(detail.contains("above what was paid"), "{detail}");
    assert_eq!(t.event_count().await, before);

    let r = t
        .post(
            &refund_path(&s),
            &s.manager,
            json!({"amount": 100000, "reason": "most"}),
        )
        .await
        .ok(201);
    assert_eq!(
        (
            r["amount"].as_i64(),
            r["refunded"].as_i64(),
            r["paid"].as_i64()
        ),
        (Some(100000), Some(100000), Some(125000))
    );
    assert!(
        r["refund_id"].is_string() && r["compensation"].is_null(),
        "{r}"
    );
    let r = t
        .post(
            &refund_path(&s),
            &s.manager,
            json!({"amount": 25000, "reason": "the rest"}),
        )
        .await
        .ok(201);
    assert_eq!(r["refunded"], 125000);
    let detail = t
        .post(
            &refund_path(&s),
            &s.manager,
            json!({"amount": 1, "reason": "one more"}),
        )
        .await
        .problem(409);
    assert!(detail.contains("above what was paid"), "{detail}");

    let o = order(&t, &s).await;
    assert_eq!(
        (o["paid"].as_i64(), o["refunded"].as_i64()),
        (Some(125000), Some(125000))
    );
    let refunds = events_of(&t, &s.manager, &s.order, "RefundRecorded").await;
    let amounts: Vec<i64> = refunds
        .iter()
        .map(|e| e["data"]["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [100000, 25000]);
    assert_eq!(refunds[0]["data"]["reason"], "most");
    assert_eq!(refunds[0]["actor"]["id"], s.manager_id);
    // The client sees them in the order, its events and its history.
    let mine = t
        .get(&format!("/api/orders/{}", s.order), &s.client)
        .await
        .ok(200);
    assert_eq!(mine["refunded"], 125000);
    assert_eq!(
        events_of(&t, &s.client, &s.order, "RefundRecorded")
            .await
            .len(),
        2
    );
    let history = t
        .get(&format!("/api/orders/{}/history", s.order), &s.client)
        .await
        .ok(200);
    let notes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["event"] == "RefundRecorded")
        .filter_map(|h| h["note"].as_str())
        .collect();
    assert_eq!(
        notes,
        [
            "refunded 100000 kopecks: most",
            "refunded 25000 kopecks: the rest"
        ]
    );
    // And the auditor's feed decodes them like any other event.
    let (_, auditor) = t.user(Role::Auditor, "Audrey Auditor").await;
    let feed = t
        .get("/api/audit/events?limit=1000", &auditor)
        .await
        .ok(200);
    let in_feed = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "RefundRecorded")
        .count();
    assert_eq!(in_feed, 2, "{feed}");
    replay_verifies(&t);
}

async fn only_a_failed_order_is_refunded(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    t.post(
        &format!("/api/orders/{}/payments", s.order),
        &s.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "hand-1"}),
    )
    .await
    .ok(200);
    let before = t.event_count().await;
    let detail = t
        .post(
            &refund_path(&s),
            &s.manager,
            json!({"amount": 1000, "reason": "early"}),
        )
        .await
        .problem(409);
    assert!(detail.contains("in_progress"), "{detail}");
    assert_eq!(t.event_count().await, before);
    // Failed before anything was paid: nothing to give back.
    let unpaid = accepted_order(&t).await;
    t.post(
        &format!("/api/orders/{}/cancel", unpaid.order),
        &unpaid.manager,
        json!({"reason": "no payment"}),
    )
    .await
    .ok(200);
    t.post(
        &refund_path(&unpaid),
        &unpaid.manager,
        json!({"amount": 1, "reason": "x"}),
    )
    .await
    .problem(409);
    // Nobody but the order's manager (and an admin) refunds it.
    let failed = failed_after_payment(&t).await;
    t.post(
        &refund_path(&failed),
        &failed.client,
        json!({"amount": 1, "reason": "x"}),
    )
    .await
    .problem(403);
    t.post(
        &refund_path(&failed),
        &s.manager,
        json!({"amount": 1, "reason": "x"}),
    )
    .await
    .problem(404);
    let (_, admin) = t.user(Role::Admin, "Admin").await;
    t.post(
        &refund_path(&failed),
        &admin,
        json!({"amount": 1, "reason": "x"}),
    )
    .await
    .ok(201);
}

async fn bad_refund_values_are_a_422_and_change_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = failed_after_payment(&t).await;
    let before = t.event_count().await;
    for body in [
        json!({"amount": 0, "reason": "zero"}),
        json!({"amount": -5, "reason": "negative"}),
        json!({"amount": 100, "reason": "  "}),
        json!({"amount": 100}),
        json!({"amount": 100, "reason": "x", "compensation": 0}),
        json!({"amount": 100, "reason": "x", "compensation": -1}),
    ] {
        t.post(&refund_path(&s), &s.manager, body.clone())
            .await
            .problem(422);
    }
    t.post(
        &refund_path(&s),
        &s.manager,
        json!({"amount": "lots", "reason": "x"}),
    )
    .await
    .problem(400);
    assert_eq!(t.event_count().await, before);
    assert_eq!(order(&t, &s).await["refunded"], 0);
}

async fn the_author_is_compensated_once_and_at_most_their_fee(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    // The fee is 100 000 kopecks.
    let s = failed_after_payment(&t).await;
    let before = t.event_count().await;
    let detail = t
        .post(
            &refund_path(&s),
            &s.manager,
            json!({"amount": 1000, "reason": "part", "compensation": 100001}),
        )
        .await
        .problem(409);
    assert!(detail.contains("fee"), "{detail}");
    assert_eq!(
        t.event_count().await,
        before,
        "neither the refund nor the compensation"
    );
    let r = t
        .post(
            &refund_path(&s),
            &s.manager,
            json!({"amount": 1000, "reason": "part", "compensation": 100000}),
        )
        .await
        .ok(201);
    assert_eq!(r["compensation"], 100000);
    let granted = events_of(&t, &s.manager, &s.order, "CompensationGranted").await;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0]["data"]["author_id"], s.author_id);
    assert_eq!(granted[0]["data"]["amount"], 100000);
    assert!(granted[0]["data"]["at"].is_string());
    let detail = t
        .post(
            &refund_path(&s),
            &s.manager,
            json!({"amount": 1000, "reason": "again", "compensation": 1}),
        )
        .await
        .problem(409);
    assert!(detail.contains("already been compensated"), "{detail}");
    assert_eq!(order(&t, &s).await["compensation"], 100000);
    // What the author is paid stays between the company and the author.
    let mine = t
        .get(&format!("/api/orders/{}", s.order), &s.client)
        .await
        .ok(200);
    assert!(mine.get("compensation").is_none(), "{mine}");
    assert!(events_of(&t, &s.client, &s.order, "CompensationGranted")
        .await
        .is_empty());
    replay_verifies(&t);
}

async fn a_refund_repeated_with_its_idempotency_key_is_recorded_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = failed_after_payment(&t).await;
    let body = json!({"amount": 50000, "reason": "half back"});
    let first = t
        .call_with(
            "POST",
            &refund_path(&s),
            Some(&s.manager),
            Some(body.clone()),
            &[("idempotency-key", "refund-1")],
        )
        .await;
    let first_id = first.body["refund_id"].clone();
    first.ok(201);
    let again = t
        .call_with(
            "POST",
            &refund_path(&s),
            Some(&s.manager),
            Some(body),
            &[("idempotency-key", "refund-1")],
        )
        .await;
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.ok(201)["refund_id"], first_id);
    assert_eq!(
        events_of(&t, &s.manager, &s.order, "RefundRecorded")
            .await
            .len(),
        1
    );
    assert_eq!(order(&t, &s).await["refunded"], 50000);
}
