//! Loyalty points and referrals (docs/decisions/026): the two shares in the settings, the
//! cashback and the referral share credited once per completed order (even when the worker
//! reacts again after a crash, with other shares in force by then), points spent on a first
//! half within their limits, the reduced first half paid, a failed order's points given
//! back, the reports' figures, who reads whose points, and a replay that agrees.

mod common;

use std::time::Duration;

use aggregates::points::PointsCommand;
use aggregates::Role;
use common::{accepted_order, Accepted, Backend, TestApp};
use scriptorium::Ctx;
use serde_json::{json, Value};
use uuid::Uuid;

on_both!(
    the_settings_carry_the_cashback_and_referral_shares,
    a_completed_order_credits_its_cashback_once_even_after_a_crash,
    a_referred_clients_order_credits_the_referrer,
    points_pay_part_of_the_first_half_and_the_rest_is_paid_in_money,
    points_beyond_their_limits_are_refused_and_change_nothing,
    a_first_half_covered_by_points_is_paid,
    a_failed_order_gives_the_points_back_and_refunds_only_money,
    who_reads_whose_points,
    a_long_points_history_loads_from_its_snapshot,
);

/// Credits `points` to the client as the points worker would for a completed order.
async fn credit(t: &TestApp, client_id: &str, points: i64) {
    let cmd = PointsCommand::CreditCashback {
        order_id: Uuid::new_v4(),
        points,
        at: t.clock.now(),
    };
    t.application
        .app
        .client_points(client_id.parse().unwrap(), cmd, &Ctx::system("test-setup"))
        .await
        .expect("credit the client");
}

/// The client's points once they have `n` entries (the worker credits in the background).
async fn points_of(t: &TestApp, token: &str, n: usize) -> Value {
    for _ in 0..200 {
        let p = t.get("/api/me/points", token).await.ok(200);
        if p["entries"].as_array().map_or(0, Vec::len) >= n {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the points never reached {n} entries");
}

fn replay_verifies(t: &TestApp) {
    let out = common::replay(t, true);
    assert!(
        out.status.success(),
        "replay --verify: {}{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    );
}

/// Runs the points worker's rounds until it has caught up; returns how many it handled.
async fn run_points_worker(app: &scriptorium::App) -> usize {
    use scriptorium::process::Worker;
    let worker = scriptorium::process::points::worker();
    let mut handled = 0;
    loop {
        let round = worker.run_once(app).await.unwrap();
        handled += round.handled;
        if !round.more {
            return handled;
        }
    }
}

/// An order of the client `client` (token), priced at 250 001 kopecks (halves 125 000 and
/// 125 001), taken by an author: its first half is due.
async fn accepted_for(t: &TestApp, client_id: &str, client: &str) -> Accepted {
    let (manager_id, manager) = t.manager_on_shift("Mark Manager").await;
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;
    let order = t
        .post("/api/orders", client, common::order_body())
        .await
        .ok(201);
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(t.wait_routed(&id).await, manager_id);
    t.put(
        &format!("/api/orders/{id}/price"),
        &manager,
        json!({"price": 250001, "author_fee": 100000}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/offer"),
        &manager,
        json!({"author_id": author_id}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/offer/accept"),
        &author,
        json!({}),
    )
    .await
    .ok(200);
    Accepted {
        client: client.to_string(),
        client_id: client_id.to_string(),
        manager,
        manager_id,
        author,
        author_id,
        order: id,
    }
}

async fn spend(t: &TestApp, a: &Accepted, points: Value) -> common::Resp {
    t.post(
        &format!("/api/orders/{}/points", a.order),
        &a.client,
        json!({ "points": points }),
    )
    .await
}

async fn pay_first(t: &TestApp, a: &Accepted, amount: i64) -> common::Resp {
    t.post(
        &format!("/api/orders/{}/payments", a.order),
        &a.manager,
        json!({"half": "first", "amount": amount, "payment_id": format!("{}-1", a.order)}),
    )
    .await
}

async fn the_settings_carry_the_cashback_and_referral_shares(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let s = t.get("/api/settings", &admin).await.ok(200);
    // The configured defaults until an admin sets them.
    assert_eq!(s["cashback_percent"], 5);
    assert_eq!(s["referral_percent"], 3);
    let s = t
        .put(
            "/api/settings",
            &admin,
            json!({"cashback_percent": 10, "referral_percent": 4}),
        )
        .await
        .ok(200);
    assert_eq!(s["cashback_percent"], 10);
    assert_eq!(s["referral_percent"], 4);
    assert_eq!(t.application.app.cashback_percent().await.unwrap(), 10);
    assert_eq!(t.application.app.referral_percent().await.unwrap(), 4);
    let history = t.get("/api/settings/history", &admin).await.ok(200);
    let changes: Vec<(String, i64, i64)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["setting"].as_str().unwrap().to_string(),
                c["old"].as_i64().unwrap(),
                c["new"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        changes.contains(&("cashback_percent".into(), 5, 10)),
        "{changes:?}"
    );
    assert!(
        changes.contains(&("referral_percent".into(), 3, 4)),
        "{changes:?}"
    );
    // Out of range: nothing changes at all.
    let before = t.event_count().await;
    for bad in [
        json!({"cashback_percent": 101}),
        json!({"referral_percent": -1}),
        json!({"cashback_percent": 1, "referral_percent": 200}),
    ] {
        t.put("/api/settings", &admin, bad).await.problem(422);
    }
    assert_eq!(t.event_count().await, before);
    let s = t.get("/api/settings", &admin).await.ok(200);
    assert_eq!(
        (
            s["cashback_percent"].as_i64(),
            s["referral_percent"].as_i64()
        ),
        (Some(10), Some(4))
    );
    // A client neither reads nor sets them.
    t.get("/api/settings", &client).await.problem(403);
    t.put("/api/settings", &client, json!({"cashback_percent": 50}))
        .await
        .problem(403);
}

async fn a_completed_order_credits_its_cashback_once_even_after_a_crash(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    common::delivered_and_completed(&t, &a, json!({"rating": 5, "review": "Good"})).await;
    // 5 % of the 250 001 kopecks paid, rounded down: 12 500 points.
    let p = points_of(&t, &a.client, 1).await;
    assert_eq!(p["balance"], 12500);
    let e = &p["entries"][0];
    assert_eq!(e["kind"], "cashback");
    assert_eq!(e["points"], 12500);
    assert_eq!(e["order_id"], a.order.as_str());
    assert_eq!(e["balance"], 12500);
    // It is part of the client's history: an event of their points, caused by the
    // completion.
    let meta = t
        .application
        .app
        .db
        .fetch_one(
            "SELECT CAST(metadata AS text) AS m FROM events \
             WHERE aggregate_type = 'ClientPoints' AND aggregate_id = $1",
            &projections::args![a.client_id.as_str()],
        )
        .await
        .unwrap()
        .text("m")
        .unwrap();
    assert!(meta.contains("\"causation_id\":\"event:"), "{meta}");

    // The share changes; then a crash before the checkpoint moved: the worker reacts to
    // the whole log again, on an instance whose own workers are off.
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    t.put("/api/settings", &admin, json!({"cashback_percent": 20}))
        .await
        .ok(200);
    t.workers_caught_up().await;
    let url = t.application.app.config.database_url.clone();
    let TestApp {
        application,
        dir,
        backend,
        ..
    } = t;
    application.stop().await;
    let t = TestApp::on_with(backend, &url, dir, |c| c.run_workers = false).await;
    let app = &t.application.app;
    app.db
        .execute(
            "DELETE FROM projection_checkpoints WHERE name = 'process:points'",
            &[],
        )
        .await
        .unwrap();
    let before = t.event_count().await;
    run_points_worker(app).await;
    assert_eq!(t.event_count().await, before, "nothing credited twice");
    let p = t.get("/api/me/points", &a.client).await.ok(200);
    assert_eq!(p["balance"], 12500);
    assert_eq!(p["entries"].as_array().unwrap().len(), 1);
    // The replay folds the credited events: the points stay those of the share in force
    // when the order completed.
    replay_verifies(&t);
    let p = t.get("/api/me/points", &a.client).await.ok(200);
    assert_eq!(p["balance"], 12500);
}

async fn a_referred_clients_order_credits_the_referrer(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (rita_id, rita) = t.user(Role::Client, "Rita Referrer").await;
    let mine = t.get("/api/me/points", &rita).await.ok(200);
    assert_eq!(mine["balance"], 0);
    let code = mine["referral_code"].as_str().unwrap().to_string();
    assert_eq!(mine["referral_link"], format!("/register?ref={code}"));
    // A friend registers through Rita's link.
    let friend = t
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(
                json!({"email": "friend@example.com", "password": "s3cret-enough",
                        "full_name": "Fedor Friend", "ref": code}),
            ),
        )
        .await
        .ok(201);
    let friend_id = friend["id"].as_str().unwrap().to_string();
    // A bad link never blocks a registration: it names nobody.
    let stranger = t
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(
                json!({"email": "stranger@example.com", "password": "s3cret-enough",
                        "full_name": "Stas Stranger", "ref": "not-a-code"}),
            ),
        )
        .await
        .ok(201);
    let app = &t.application.app;
    let registration = |id: String| async move {
        app.db
            .fetch_one(
                "SELECT CAST(payload AS text) AS p FROM events \
                 WHERE aggregate_type = 'User' AND aggregate_id = $1 AND sequence = 1",
                &projections::args![id.as_str()],
            )
            .await
            .unwrap()
            .text("p")
            .unwrap()
    };
    let theirs = registration(friend_id.clone()).await;
    assert!(theirs.contains(&rita_id), "{theirs}");
    let strangers = registration(stranger["id"].as_str().unwrap().to_string()).await;
    assert!(!strangers.contains("referred_by"), "{strangers}");

    let token = t.login("friend@example.com", "s3cret-enough").await;
    let a = accepted_for(&t, &friend_id, &token).await;
    common::delivered_and_completed(&t, &a, json!({"rating": 4, "review": ""})).await;
    // The friend: 5 % cashback; Rita: 3 % of the same 250 001 kopecks.
    let f = points_of(&t, &token, 1).await;
    assert_eq!(f["balance"], 12500);
    let r = points_of(&t, &rita, 1).await;
    assert_eq!(r["balance"], 7500);
    let e = &r["entries"][0];
    assert_eq!(e["kind"], "referral");
    assert_eq!(e["order_id"], a.order.as_str());
    assert_eq!(e["points"], 7500);
    // Staff see it too.
    let (_, auditor) = t.user(Role::Auditor, "Olga Auditor").await;
    let seen = t
        .get(&format!("/api/clients/{rita_id}/points"), &auditor)
        .await
        .ok(200);
    assert_eq!(seen["balance"], 7500);
    t.workers_caught_up().await;
    replay_verifies(&t);
}

async fn points_pay_part_of_the_first_half_and_the_rest_is_paid_in_money(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    credit(&t, &a.client_id, 50_000).await;
    let o = spend(&t, &a, json!(30_000)).await.ok(200);
    assert_eq!(o["status"], "awaiting_prepayment");
    assert_eq!(o["points"], 30000);
    assert_eq!(o["first_half"], 125000);
    assert_eq!(o["first_half_due"], 95000);
    // The same spend again changes nothing.
    let before = t.event_count().await;
    spend(&t, &a, json!(30_000)).await.ok(200);
    assert_eq!(t.event_count().await, before);
    // The first half is now 95 000 in money: the whole half is refused, the rest taken.
    pay_first(&t, &a, 125_000).await.problem(409);
    let o = pay_first(&t, &a, 95_000).await.ok(200);
    assert_eq!(o["status"], "in_progress");
    assert_eq!(o["paid"], 95000);
    let p = points_of(&t, &a.client, 2).await;
    assert_eq!(p["balance"], 20000);
    assert_eq!(p["entries"][1]["kind"], "spent");
    assert_eq!(p["entries"][1]["points"], 30000);
    assert_eq!(p["entries"][1]["order_id"], a.order.as_str());
    // The history of the order says so.
    let events = t
        .get(&format!("/api/orders/{}/events", a.order), &a.client)
        .await
        .ok(200);
    let applied = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "PointsApplied")
        .expect("a PointsApplied event");
    assert_eq!(applied["data"]["points"], 30000);
    assert_eq!(applied["data"]["first_half_due"], 95000);

    // The rest of the lifecycle: money and points make the price; the cashback is of the
    // money paid (95 000 + 125 001 = 220 001 → 11 000).
    common::completed_after_first_half(&t, &a, json!({"rating": 5, "review": ""})).await;
    let o = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200);
    assert_eq!(o["status"], "completed");
    assert_eq!(
        o["paid"].as_i64().unwrap() + o["points"].as_i64().unwrap(),
        250001
    );
    let p = points_of(&t, &a.client, 3).await;
    assert_eq!(p["entries"][2]["kind"], "cashback");
    assert_eq!(p["entries"][2]["points"], 11000);
    assert_eq!(p["balance"], 31000);

    // The reports: issued (the 50 000 credited and the 11 000 cashback), spent, outstanding.
    t.workers_caught_up().await;
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let day = t.clock.now().date_naive().to_string();
    let s = t
        .get(&format!("/api/reports/summary?from={day}&to={day}"), &admin)
        .await
        .ok(200);
    assert_eq!(s["points_issued"], 61000);
    assert_eq!(s["points_spent"], 30000);
    assert_eq!(s["points_outstanding"], 31000);
    assert_eq!(s["payments"], 220001);
    let daily = t
        .get(&format!("/api/reports/daily?from={day}&to={day}"), &admin)
        .await
        .ok(200);
    assert_eq!(daily[0]["points_issued"], 61000);
    assert_eq!(daily[0]["points_spent"], 30000);
    replay_verifies(&t);
}

async fn points_beyond_their_limits_are_refused_and_change_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let (_, other) = t.user(Role::Client, "Olga Other").await;
    credit(&t, &a.client_id, 1_000).await;
    t.workers_caught_up().await;
    let before = t.event_count().await;
    // More than the balance.
    let why = spend(&t, &a, json!(2_000)).await.problem(409);
    assert!(why.contains("balance"), "{why}");
    credit(&t, &a.client_id, 200_000).await;
    let before_more = t.event_count().await;
    assert_eq!(before_more, before + 1);
    // More than the half (125 000), not positive, not a number.
    let why = spend(&t, &a, json!(125_001)).await.problem(422);
    assert!(why.contains("first half"), "{why}");
    spend(&t, &a, json!(0)).await.problem(422);
    spend(&t, &a, json!(-5)).await.problem(422);
    spend(&t, &a, json!("many")).await.problem(400);
    // Someone else's order: 404 for another client, 403 for the staff.
    t.post(
        &format!("/api/orders/{}/points", a.order),
        &other,
        json!({"points": 100}),
    )
    .await
    .problem(404);
    t.post(
        &format!("/api/orders/{}/points", a.order),
        &a.manager,
        json!({"points": 100}),
    )
    .await
    .problem(403);
    t.post(
        &format!("/api/orders/{}/points", Uuid::new_v4()),
        &a.client,
        json!({"points": 100}),
    )
    .await
    .problem(404);
    assert_eq!(t.event_count().await, before_more, "nothing appended");
    // An order no author took yet: nothing is due.
    let early = t
        .post("/api/orders", &a.client, common::order_body())
        .await
        .ok(201);
    let early = Accepted {
        client: a.client.clone(),
        client_id: a.client_id.clone(),
        manager: a.manager.clone(),
        manager_id: a.manager_id.clone(),
        author: a.author.clone(),
        author_id: a.author_id.clone(),
        order: early["id"].as_str().unwrap().to_string(),
    };
    t.workers_caught_up().await;
    let n = t.event_count().await;
    spend(&t, &early, json!(100)).await.problem(409);
    // After the first half is paid: too late.
    pay_first(&t, &a, 125_000).await.ok(200);
    t.workers_caught_up().await;
    let n2 = t.event_count().await;
    assert!(n2 > n);
    spend(&t, &a, json!(100)).await.problem(409);
    assert_eq!(t.event_count().await, n2, "nothing appended");
    let p = t.get("/api/me/points", &a.client).await.ok(200);
    assert_eq!(p["balance"], 201000);
}

async fn a_first_half_covered_by_points_is_paid(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    credit(&t, &a.client_id, 125_000).await;
    let o = spend(&t, &a, json!(125_000)).await.ok(200);
    assert_eq!(o["status"], "in_progress");
    assert_eq!(o["first_half_due"], 0);
    assert_eq!(o["paid"], 0);
    // Nothing more is taken for the first half; the second is paid in money as always.
    pay_first(&t, &a, 125_000).await.problem(409);
    common::completed_after_first_half(&t, &a, json!({"rating": 5, "review": ""})).await;
    let o = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200);
    assert_eq!(o["status"], "completed");
    assert_eq!(o["paid"], 125001);
    // Cashback of the money paid: 5 % of 125 001 → 6 250.
    let p = points_of(&t, &a.client, 3).await;
    assert_eq!(p["balance"], 6250);
    t.workers_caught_up().await;
    replay_verifies(&t);
}

async fn a_failed_order_gives_the_points_back_and_refunds_only_money(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    credit(&t, &a.client_id, 50_000).await;
    spend(&t, &a, json!(30_000)).await.ok(200);
    pay_first(&t, &a, 95_000).await.ok(200);
    t.post(
        &format!("/api/orders/{}/cancel", a.order),
        &a.manager,
        json!({"reason": "the client refused"}),
    )
    .await
    .ok(200);
    let p = points_of(&t, &a.client, 3).await;
    assert_eq!(p["entries"][2]["kind"], "returned");
    assert_eq!(p["entries"][2]["points"], 30000);
    assert_eq!(p["balance"], 50000);
    // Only the money paid goes back as money.
    let refunds = format!("/api/orders/{}/refunds", a.order);
    t.post(
        &refunds,
        &a.manager,
        json!({"amount": 125_000, "reason": "cancelled"}),
    )
    .await
    .problem(409);
    t.post(
        &refunds,
        &a.manager,
        json!({"amount": 95_000, "reason": "cancelled"}),
    )
    .await
    .ok(201);
    t.workers_caught_up().await;
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let s = t.get("/api/reports/summary", &admin).await.ok(200);
    assert_eq!(s["points_spent"], 0, "spent and returned");
    assert_eq!(s["points_outstanding"], 50000);
    replay_verifies(&t);
}

async fn who_reads_whose_points(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    credit(&t, &client_id, 700).await;
    let mine = points_of(&t, &client, 1).await;
    assert_eq!(mine["balance"], 700);
    for role in [Role::Manager, Role::Auditor, Role::Admin] {
        let (_, staff) = t.user(role, "Staff Member").await;
        let p = t
            .get(&format!("/api/clients/{client_id}/points"), &staff)
            .await
            .ok(200);
        assert_eq!(p, mine, "{role}");
        t.get(&format!("/api/clients/{}/points", Uuid::new_v4()), &staff)
            .await
            .problem(404);
        // A staff member is no client: no points of their own to read.
        t.get("/api/me/points", &staff).await.problem(403);
    }
    for role in [Role::Author, Role::PayoutClerk] {
        let (_, other) = t.user(role, "Someone Else").await;
        t.get(&format!("/api/clients/{client_id}/points"), &other)
            .await
            .problem(403);
    }
    let (_, another) = t.user(Role::Client, "Olga Other").await;
    t.get(&format!("/api/clients/{client_id}/points"), &another)
        .await
        .problem(403);
    let theirs = t.get("/api/me/points", &another).await.ok(200);
    assert_eq!(theirs["balance"], 0);
    assert_ne!(theirs["referral_code"], mine["referral_code"]);
}

/// A client of many orders: their points load from a snapshot and the events after it
/// (decision 033), a state equal to the whole stream's, here and in a process that
/// remembers nothing.
async fn a_long_points_history_loads_from_its_snapshot(backend: Backend) {
    use cqrs_es::persist::PersistedEventStore;
    use cqrs_es::EventStore;
    use scriptorium::store::{Repo, SnapshotStore};

    let t = TestApp::spawn(backend).await;
    let (client_id, client) = t.user(Role::Client, "Loyal Client").await;
    for _ in 0..230 {
        credit(&t, &client_id, 10).await;
    }
    let app = &t.application.app;
    let snapshot = app
        .db
        .fetch_one(
            "SELECT sequence FROM aggregate_snapshots WHERE aggregate_type = 'ClientPoints' \
             AND aggregate_id = $1",
            &projections::args![client_id.as_str()],
        )
        .await
        .unwrap()
        .int("sequence")
        .unwrap();
    assert!(snapshot >= 200, "a snapshot at {snapshot}");
    let whole = PersistedEventStore::<Repo, aggregates::points::ClientPoints>::new_event_store(
        Repo::new(&app.db),
    )
    .load_aggregate(&client_id)
    .await
    .unwrap()
    .aggregate;
    assert_eq!(whole.balance, 2_300);
    // Another process: the snapshot and the events after it give the same state.
    let fresh = SnapshotStore::<aggregates::points::ClientPoints>::new(
        Repo::new(&app.db),
        scriptorium::app::LONG_STREAM_SNAPSHOT_EVERY,
        "1",
    );
    assert_eq!(fresh.stored(&client_id).await.unwrap(), whole);
    // And a command after it, in this process, on the state it remembers.
    credit(&t, &client_id, 5).await;
    let p = points_of(&t, &client, 231).await;
    assert_eq!(p["balance"], 2_305);
    replay_verifies(&t);
}
