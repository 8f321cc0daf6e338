//! What each instance remembers (the streams of recent aggregates, who a token belongs to)
//! never makes it decide or answer on stale state: two instances of the service share one
//! database, and each acts on what the other has just done.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aggregates::order::{Order, OrderStatus};
use aggregates::Role;
use common::*;
use cqrs_es::persist::SerializedEvent;
use scriptorium::store::{AppendHook, SnapshotStore};
use serde_json::json;

on_both!(
    a_command_on_a_stream_another_instance_moved_on_is_decided_on_the_stored_state,
    an_account_another_instance_moved_on_is_decided_on_the_stored_state,
    a_token_stops_working_on_every_instance_when_its_user_is_blocked,
    a_session_ended_on_one_instance_ends_on_every_instance,
    nothing_to_do_on_a_remembered_state_is_decided_again_on_the_stored_one,
);

/// Two services on one fresh database, each with its own files folder.
async fn two_instances(backend: Backend) -> (TestApp, TestApp) {
    two_instances_with(backend, |_| {}).await
}

/// [`two_instances`] with both configurations edited first.
async fn two_instances_with(
    backend: Backend,
    edit: impl Fn(&mut scriptorium::Config),
) -> (TestApp, TestApp) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, dir.path()).await;
    let a = TestApp::on_with(backend, &url, dir, &edit).await;
    let b = TestApp::on_with(backend, &url, tempfile::tempdir().expect("temp dir"), &edit).await;
    (a, b)
}

/// The order's status as `instance` knows it: from the stream it remembers, if it does.
async fn status_in(instance: &TestApp, id: uuid::Uuid) -> OrderStatus {
    instance
        .application
        .app
        .order_state(id)
        .await
        .expect("order state")
        .status
}

/// The number of events of the order's stream that `instance` holds: the remembered one,
/// else the stored one.
async fn remembered_len(instance: &TestApp, id: &str) -> usize {
    instance
        .application
        .app
        .order_repo
        .stream::<Order>(id)
        .await
        .expect("stream")
        .len()
}

/// The number of events the store holds for the order.
async fn stored(instance: &TestApp, id: &str) -> usize {
    projections::feed::stream(&instance.application.app.db, "Order", id)
        .await
        .expect("stored stream")
        .len()
}

async fn a_command_on_a_stream_another_instance_moved_on_is_decided_on_the_stored_state(
    backend: Backend,
) {
    // No workers: one reading the order (the mail deriver on B's payment, say) would
    // refresh what A remembers before the test looks at it.
    let (a, b) = two_instances_with(backend, |c| c.run_workers = false).await;
    let (_, client) = a.user(Role::Client, "Anna Client").await;
    let (_, manager) = a.manager_on_shift("Maria Manager").await;
    let (author_id, author) = a.user(Role::Author, "Ivan Petrov").await;
    let order = a.post("/api/orders", &client, order_body()).await.ok(201);
    let id = order["id"].as_str().expect("id").to_string();

    // B prices it, and so remembers the order as priced and offered to nobody.
    b.put(
        &format!("/api/orders/{id}/price"),
        &manager,
        json!({"price": 250001, "author_fee": 100000}),
    )
    .await
    .ok(200);
    // A moves it on: offered, accepted.
    a.post(
        &format!("/api/orders/{id}/offer"),
        &manager,
        json!({"author_id": author_id}),
    )
    .await
    .ok(200);
    a.post(
        &format!("/api/orders/{id}/offer/accept"),
        &author,
        json!({}),
    )
    .await
    .ok(200);
    // B really remembers the order as it priced it; the store has it accepted.
    let uuid: uuid::Uuid = id.parse().unwrap();
    assert_eq!(status_in(&b, uuid).await, OrderStatus::New);
    assert_eq!(
        stored(&a, &id).await,
        5,
        "placed, routed, priced, offered, accepted"
    );
    assert_eq!(
        remembered_len(&b, &id).await,
        3,
        "B remembers the stream as it left it"
    );

    // On what B remembers, the first half cannot be taken yet (nobody accepted); on the
    // stored state it can, and it is.
    let pay =
        |amount: i64, pid: &str| json!({"half": "first", "amount": amount, "payment_id": pid});
    let o = b
        .post(
            &format!("/api/orders/{id}/payments"),
            &manager,
            pay(125000, "pay-1"),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "in_progress");
    assert_eq!(o["paid"], 125000);
    // A refusal on the stored state stays a refusal, and appends nothing.
    let before = a.event_count().await;
    b.post(
        &format!("/api/orders/{id}/payments"),
        &manager,
        pay(125000, "pay-other"),
    )
    .await
    .problem(409);
    assert_eq!(a.event_count().await, before);

    // A remembers the order as waiting for the first half: its cancellation is appended
    // after B's payment, not over it (the lost race is retried on the stored state).
    assert_eq!(status_in(&a, uuid).await, OrderStatus::AwaitingPrepayment);
    let appends: Arc<Mutex<Vec<usize>>> = Arc::default();
    let record = appends.clone();
    let hook: AppendHook = Arc::new(move |events: &[SerializedEvent]| {
        record.lock().unwrap().push(events[0].sequence);
        Box::pin(async {})
    });
    a.application.app.order_repo.before_append(Some(hook));
    let o = a
        .post(
            &format!("/api/orders/{id}/cancel"),
            &manager,
            json!({"reason": "the client is gone"}),
        )
        .await
        .ok(200);
    a.application.app.order_repo.before_append(None);
    assert_eq!(o["status"], "failed");
    assert_eq!(o["paid"], 125000);
    assert_eq!(
        *appends.lock().unwrap(),
        [6, 7],
        "appended over the payment on what A remembered, then after it"
    );

    let events = b
        .get(&format!("/api/orders/{id}/events"), &manager)
        .await
        .ok(200);
    let events = events.as_array().expect("events");
    let sequences: Vec<i64> = events
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequences, (1..=events.len() as i64).collect::<Vec<_>>());
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let paid = types.iter().position(|t| *t == "PaymentReceived");
    let failed = types.iter().position(|t| *t == "OrderFailed");
    assert!(
        paid.is_some() && failed.is_some() && paid < failed,
        "{types:?}"
    );
    assert_eq!(types.iter().filter(|t| **t == "PaymentReceived").count(), 1);
    // Both instances' answers and reads agree.
    let seen_a = a.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    let seen_b = b.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(seen_a, seen_b);
    // The hash chain links every event to the one before it, whoever appended it.
    let out = audit_verify(&a);
    assert!(
        out.status.success(),
        "audit verify failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn a_token_stops_working_on_every_instance_when_its_user_is_blocked(backend: Backend) {
    let (a, b) = two_instances(backend).await;
    let (_, admin) = a.user(Role::Admin, "Alla Admin").await;
    let (client_id, client) = a.user(Role::Client, "Anna Client").await;
    if backend == Backend::Postgres {
        // B remembers tokens once it listens for changes of the directory.
        let t0 = Instant::now();
        while !b.application.app.sessions.trusted() {
            assert!(t0.elapsed() < Duration::from_secs(10), "B never listened");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // B answers (and, on PostgreSQL, remembers whose token it is).
    b.get("/api/me", &client).await.ok(200);
    b.get("/api/me", &client).await.ok(200);
    // The proof: a change made behind the service's back (no notification) does not show
    // on PostgreSQL, where B answers from what it remembers, and shows at once on SQLite,
    // where nothing is remembered.
    let rename = |name: &str| {
        let db = a.application.app.db.clone();
        let (name, id) = (name.to_string(), client_id.clone());
        async move {
            db.execute(
                "UPDATE users SET full_name = $1 WHERE id = $2",
                &projections::args![name.as_str(), id.as_str()],
            )
            .await
            .expect("rename by hand")
        }
    };
    rename("Renamed By Hand").await;
    let me = b.get("/api/me", &client).await.ok(200);
    let expected = match backend {
        Backend::Postgres => "Anna Client",
        Backend::Sqlite => "Renamed By Hand",
    };
    assert_eq!(me["full_name"], expected, "{me}");
    rename("Anna Client").await;

    a.post(
        &format!("/api/users/{client_id}/block"),
        &admin,
        json!({"reason": "spam"}),
    )
    .await
    .ok(200);
    // A shuts the token out at once; B as soon as the change reaches it (the
    // notification is sent by the commit that changed the directory).
    a.get("/api/me", &client).await.problem(403);
    let t0 = Instant::now();
    loop {
        let r = b.get("/api/me", &client).await;
        if r.status == 403 {
            break;
        }
        assert_eq!(r.status, 200);
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "B still lets a blocked user in"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    b.get("/api/orders", &client).await.problem(403);

    a.post(
        &format!("/api/users/{client_id}/unblock"),
        &admin,
        json!({}),
    )
    .await
    .ok(200);
    a.get("/api/me", &client).await.ok(200);
    let t0 = Instant::now();
    while b.get("/api/me", &client).await.status != 200 {
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "B still shuts an unblocked user out"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Credits `amount` to the author's account through `instance`, as its ledger worker would.
async fn credit_on(instance: &TestApp, author_id: &str, amount: i64) {
    let cmd = aggregates::account::AccountCommand::CreditFee {
        order_id: uuid::Uuid::new_v4(),
        amount,
        at: instance.clock.now(),
    };
    instance
        .application
        .app
        .account(
            author_id.parse().unwrap(),
            cmd,
            &scriptorium::app::Ctx::system("test-credit"),
        )
        .await
        .expect("credit the author");
}

/// An author's account (snapshotted, its state remembered after each command) moved by
/// both instances: each decides on the stored state when the other moved it, so the
/// balance is exact and a payout never goes above it.
async fn an_account_another_instance_moved_on_is_decided_on_the_stored_state(backend: Backend) {
    let (a, b) = two_instances(backend).await;
    let (author_id, _) = a.user(Role::Author, "Ivan Petrov").await;
    let (_, clerk) = a.user(Role::PayoutClerk, "Paula Clerk").await;
    let store = |i: &TestApp| i.application.app.account_store.clone();
    credit_on(&a, &author_id, 100_000).await;
    assert!(store(&a).remembers(&author_id), "A remembers what it left");
    // B credits on the stored state (it remembers nothing), and A's memory is now stale.
    credit_on(&b, &author_id, 50_000).await;
    assert_eq!(
        store(&a)
            .current(&author_id)
            .await
            .expect("A's state")
            .balance,
        100_000,
        "A really remembers the balance as it left it"
    );
    // On A's memory 150 000 is above the balance; on the stored state it is the balance.
    let p = a
        .post(
            "/api/payouts",
            &clerk,
            json!({"author_id": author_id, "amount": 150_000, "reference": "PAY-1"}),
        )
        .await
        .ok(201);
    assert_eq!(p["balance"], 0);
    // B remembers 150 000: its payout loses the race for the sequence, is decided again
    // on the stored state (nothing left) and refused, appending nothing.
    assert_eq!(
        store(&b)
            .current(&author_id)
            .await
            .expect("B's state")
            .balance,
        150_000
    );
    let before = a.event_count().await;
    b.post(
        "/api/payouts",
        &clerk,
        json!({"author_id": author_id, "amount": 1, "reference": "PAY-2"}),
    )
    .await
    .problem(409);
    assert_eq!(a.event_count().await, before, "nothing appended");
    // More credits on both: every one counts, and the chain stays intact.
    for i in 0..4 {
        credit_on(if i % 2 == 0 { &a } else { &b }, &author_id, 1_000).await;
    }
    let stored = store(&a).stored(&author_id).await.expect("stored state");
    assert_eq!(stored.balance, 4_000);
    assert_eq!(stored.credited.len(), 6);
    assert_eq!(stored, store(&b).current(&author_id).await.unwrap());
    let out = common::audit_verify(&a);
    assert!(out.status.success(), "{}", common::text(&out.stdout));
}

/// B has seen (and, on PostgreSQL, remembers) a client's two tokens. A log-out through A
/// ends that token on B, and a password change through A every earlier one, within a
/// second: A tells B, as the users projection does, not B's cache's age.
async fn a_session_ended_on_one_instance_ends_on_every_instance(backend: Backend) {
    let (a, b) = two_instances(backend).await;
    let (_, first) = a.user(Role::Client, "Anna Client").await;
    let email = a.get("/api/me", &first).await.ok(200)["email"]
        .as_str()
        .unwrap()
        .to_string();
    let second = a.login(&email, "correct horse battery").await;
    if backend == Backend::Postgres {
        let t0 = Instant::now();
        while !b.application.app.sessions.trusted() {
            assert!(t0.elapsed() < Duration::from_secs(10), "B never listened");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for token in [&first, &second] {
        b.get("/api/me", token).await.ok(200);
        b.get("/api/me", token).await.ok(200);
    }
    let gone_on_b = |token: String| {
        let b = &b;
        async move {
            let t0 = Instant::now();
            while b.get("/api/me", &token).await.status != 401 {
                assert!(
                    t0.elapsed() < Duration::from_secs(1),
                    "B still lets an ended session in"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    let r = a.call("POST", "/api/auth/logout", Some(&first), None).await;
    assert_eq!(r.status.as_u16(), 204);
    gone_on_b(first.clone()).await;
    b.get("/api/me", &second).await.ok(200);

    let fresh = a
        .post(
            "/api/me/password",
            &second,
            json!({"old_password": "correct horse battery", "new_password": "a new and long secret 9"}),
        )
        .await
        .ok(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    gone_on_b(second.clone()).await;
    b.get("/api/me", &fresh).await.ok(200);
}

/// Runs a points command through `instance` as its points worker would.
async fn points_on(instance: &TestApp, client_id: &str, cmd: aggregates::points::PointsCommand) {
    instance
        .application
        .app
        .client_points(
            client_id.parse().unwrap(),
            cmd,
            &scriptorium::app::Ctx::system("test-points"),
        )
        .await
        .expect("the points command");
}

/// A remembers a client's points; B records a spend on an order; the order fails and A is
/// told to give the spend back. On A's memory there is no spend (nothing to do), on the
/// stored state there is: A decides again on the stored state and the points come back.
async fn nothing_to_do_on_a_remembered_state_is_decided_again_on_the_stored_one(backend: Backend) {
    use aggregates::points::PointsCommand;
    let (a, b) = two_instances(backend).await;
    let (client_id, _) = a.user(Role::Client, "Anna Client").await;
    let order_id = uuid::Uuid::new_v4();
    let credit = PointsCommand::CreditCashback {
        order_id: uuid::Uuid::new_v4(),
        points: 700,
        at: a.clock.now(),
    };
    points_on(&a, &client_id, credit).await;
    let spend = PointsCommand::Spend {
        order_id,
        points: 500,
        at: b.clock.now(),
    };
    points_on(&b, &client_id, spend).await;
    let give_back = PointsCommand::Return {
        order_id,
        at: a.clock.now(),
    };
    points_on(&a, &client_id, give_back).await;
    let stored = SnapshotStore::<aggregates::points::ClientPoints>::new(
        scriptorium::store::Repo::new(&a.application.app.db),
        scriptorium::app::LONG_STREAM_SNAPSHOT_EVERY,
        "1",
    )
    .stored(&client_id)
    .await
    .unwrap();
    assert_eq!(stored.balance, 700, "the spend was given back");
    assert!(stored.spent.is_empty());
}
