//! Concurrent commands on one order: exactly one of two conflicting commands wins, a
//! command that is still legal after losing a race is retried and succeeds, and the
//! order's event sequence never has a gap.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Backend, TestApp};
use cqrs_es::persist::SerializedEvent;
use scriptorium::store::AppendHook;
use serde_json::json;

on_both!(
    two_payments_of_the_same_half_race_and_exactly_one_is_recorded,
    two_different_legal_commands_racing_both_succeed,
    many_racing_cancellations_leave_one_winner_and_no_gaps,
);

/// An order in `awaiting_prepayment` (price 100 000); returns (manager, author, client, id).
async fn awaiting_prepayment(t: &TestApp) -> (String, String, String, String) {
    let s = common::accepted_order_priced(t, json!({"price": 100000})).await;
    (s.manager, s.author, s.client, s.order)
}

/// The order's sequences are exactly 1..=n.
async fn assert_no_gaps(t: &TestApp, token: &str, id: &str) -> usize {
    let events = t
        .get(&format!("/api/orders/{id}/events"), token)
        .await
        .ok(200);
    let seqs: Vec<i64> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gap in {seqs:?}"
    );
    seqs.len()
}

async fn two_payments_of_the_same_half_race_and_exactly_one_is_recorded(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (manager, _, _, id) = awaiting_prepayment(&t).await;
    let path = format!("/api/orders/{id}/payments");
    let (a, b) = tokio::join!(
        t.post(
            &path,
            &manager,
            json!({"half": "first", "amount": 50000, "payment_id": "A"})
        ),
        t.post(
            &path,
            &manager,
            json!({"half": "first", "amount": 50000, "payment_id": "B"})
        ),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    let loser = if a.status == 409 { a } else { b };
    loser.problem(409);
    let order = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(order["paid"], 50000, "exactly one payment is recorded");
    assert_eq!(order["status"], "in_progress");
    let events = t
        .get(&format!("/api/orders/{id}/events"), &manager)
        .await
        .ok(200);
    let payments = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "PaymentReceived")
        .count();
    assert_eq!(payments, 1);
    assert_no_gaps(&t, &manager, &id).await;
}

/// Holds each of the first two appends to order `id` until both have come to append (so
/// both were decided on the same state and race for one sequence), and records the first
/// sequence of every append to it; `false` in the record when the other never came.
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

async fn two_different_legal_commands_racing_both_succeed(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (manager, author, _, id) = awaiting_prepayment(&t).await;
    t.post(
        &format!("/api/orders/{id}/payments"),
        &manager,
        json!({"half": "first", "amount": 50000, "payment_id": "1"}),
    )
    .await
    .ok(200);
    // The second half and the draft are independent: whichever loses the race is retried.
    let appends = race_the_first_two_appends(&t, &id);
    let (pay_path, draft_path) = (
        format!("/api/orders/{id}/payments"),
        format!("/api/orders/{id}/draft"),
    );
    let (pay, draft) = tokio::join!(
        t.post(
            &pay_path,
            &manager,
            json!({"half": "second", "amount": 50000, "payment_id": "2"})
        ),
        t.upload(&draft_path, &author, "d.pdf", b"draft"),
    );
    t.application.app.order_repo.before_append(None);
    assert_eq!(pay.status, 200, "{}", pay.body);
    assert_eq!(draft.status, 200, "{}", draft.body);
    // Both were decided on one state and appended at one sequence; the loser was retried
    // on the winner's stream and appended after it.
    let appends = appends.lock().unwrap().clone();
    assert_eq!(
        appends.len(),
        3,
        "two racing appends and one retry: {appends:?}"
    );
    assert!(
        appends[0].1 && appends[1].1,
        "both commands came to append together: {appends:?}"
    );
    assert_eq!(appends[0].0, appends[1].0, "they raced: {appends:?}");
    assert!(
        appends[2].0 > appends[0].0,
        "the retry appended after the winner: {appends:?}"
    );
    let order = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(order["paid"], 100000);
    assert_eq!(order["status"], "draft_review");
    assert_eq!(assert_no_gaps(&t, &manager, &id).await, 8);
}

async fn many_racing_cancellations_leave_one_winner_and_no_gaps(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (manager, _, _, id) = awaiting_prepayment(&t).await;
    // Eight concurrent cancellations by the manager: one wins, the rest find it failed.
    let path = format!("/api/orders/{id}/cancel");
    let bodies: Vec<_> = (0..8)
        .map(|i| json!({"reason": format!("attempt {i}")}))
        .collect();
    let calls = bodies.iter().map(|b| t.post(&path, &manager, b.clone()));
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let conflicts = results.iter().filter(|r| r.status == 409).count();
    assert_eq!((ok, conflicts), (1, 7));
    let order = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(order["status"], "failed");
    let n = assert_no_gaps(&t, &manager, &id).await;
    let events = t
        .get(&format!("/api/orders/{id}/events"), &manager)
        .await
        .ok(200);
    assert_eq!(events[n - 1]["type"], "OrderFailed");
    assert_eq!(
        events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "OrderFailed")
            .count(),
        1
    );
}
