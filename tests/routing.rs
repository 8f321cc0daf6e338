//! Shifts and the routing of placed orders to the on-shift manager with the fewest open
//! orders (ties: on shift longest), on both backends.

mod common;

use aggregates::Role;
use chrono::Duration;
use common::{order_body, replay, text, Backend, TestApp};
use scriptorium::process::Worker;
use serde_json::{json, Value};

async fn place(t: &TestApp, client: &str) -> String {
    let o = t.post("/api/orders", client, order_body()).await.ok(201);
    o["id"].as_str().expect("id").to_string()
}

/// The manager an order is routed to, as an admin reads it (null when unrouted).
async fn manager_of(t: &TestApp, admin: &str, id: &str) -> Value {
    t.get(&format!("/api/orders/{id}"), admin).await.ok(200)["manager_id"].clone()
}

async fn total(t: &TestApp, path: &str, token: &str) -> i64 {
    t.get(path, token).await.ok(200)["total"]
        .as_i64()
        .expect("total")
}

#[track_caller]
fn replay_verifies(t: &TestApp) {
    let out = replay(t, true);
    assert!(
        out.status.success(),
        "replay --verify: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

async fn the_least_loaded_manager_on_shift_gets_the_order(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (a_id, _a) = t.manager_on_shift("Manager A").await;
    let first = place(&t, &client).await;
    let second = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &first).await, json!(a_id));
    assert_eq!(manager_of(&t, &admin, &second).await, json!(a_id));

    t.clock.advance(Duration::minutes(5));
    let (b_id, _b) = t.manager_on_shift("Manager B").await;
    // A has 2 open orders, B none: B takes the next two.
    for _ in 0..2 {
        let id = place(&t, &client).await;
        assert_eq!(manager_of(&t, &admin, &id).await, json!(b_id));
    }
    // A cancelled order is no longer open: A (1 open) is now the least loaded.
    t.post(
        &format!("/api/orders/{first}/cancel"),
        &client,
        json!({"reason": "changed my mind"}),
    )
    .await
    .ok(200);
    let id = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &id).await, json!(a_id));

    let shifts = t.get("/api/shifts", &admin).await.ok(200);
    assert_eq!(
        shifts
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["manager_id"].clone(), m["open_orders"].clone()))
            .collect::<Vec<_>>(),
        vec![(json!(a_id), json!(2)), (json!(b_id), json!(2))],
        "longest on shift first, with open orders: {shifts}"
    );
    replay_verifies(&t);
}

async fn ties_go_to_the_manager_on_shift_longest(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    // B starts first, though created second (ids and names say nothing).
    let (a_id, a) = t.user(Role::Manager, "Manager A").await;
    let (b_id, _b) = t.manager_on_shift("Manager B").await;
    t.clock.advance(Duration::minutes(30));
    t.post("/api/shifts/start", &a, json!({})).await.ok(200);
    let id = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &id).await, json!(b_id));
    // 1 : 0 now: A's turn; then 1 : 1, a tie again: B's.
    let next = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &next).await, json!(a_id));
    let third = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &third).await, json!(b_id));
}

async fn with_nobody_on_shift_an_order_waits_until_a_shift_starts(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, auditor) = t.user(Role::Auditor, "Audrey Auditor").await;
    let (m_id, manager) = t.user(Role::Manager, "Late Manager").await;
    let first = place(&t, &client).await;
    let second = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &first).await, Value::Null);

    // Admins (and those who see every order) find them waiting; a manager does not.
    let waiting = t.get("/api/orders?unrouted=true", &admin).await.ok(200);
    assert_eq!(waiting["total"], 2);
    assert_eq!(waiting["items"].as_array().unwrap().len(), 2);
    assert_eq!(total(&t, "/api/orders?unrouted=true", &auditor).await, 2);
    assert_eq!(
        total(&t, "/api/orders?unrouted=true&status=new", &admin).await,
        2
    );
    assert_eq!(total(&t, "/api/orders", &manager).await, 0);
    assert_eq!(total(&t, "/api/orders?unrouted=true", &manager).await, 0);
    t.get(&format!("/api/orders/{first}"), &manager)
        .await
        .problem(404);
    t.put(
        &format!("/api/orders/{first}/price"),
        &manager,
        json!({"price": 100000}),
    )
    .await
    .problem(404);
    let bad = t.get("/api/orders?unrouted=yes", &admin).await.problem(422);
    assert!(bad.contains("unrouted"), "{bad}");

    // A shift starts: the backlog is routed, oldest first.
    let shift = t
        .post("/api/shifts/start", &manager, json!({}))
        .await
        .ok(200);
    assert_eq!(shift["on_shift"], true);
    assert_eq!(t.wait_routed(&first).await, m_id);
    assert_eq!(t.wait_routed(&second).await, m_id);
    assert_eq!(total(&t, "/api/orders?unrouted=true", &admin).await, 0);
    assert_eq!(total(&t, "/api/orders", &manager).await, 2);
    t.put(
        &format!("/api/orders/{first}/price"),
        &manager,
        json!({"price": 100000}),
    )
    .await
    .ok(200);
    replay_verifies(&t);
}

async fn a_manager_who_ends_a_shift_keeps_their_orders(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (a_id, a) = t.manager_on_shift("Manager A").await;
    let mine = place(&t, &client).await;
    let ended = t.post("/api/shifts/end", &a, json!({})).await.ok(200);
    assert_eq!(ended["on_shift"], false);
    assert_eq!(ended["on_shift_since"], Value::Null);
    assert!(ended["last_ended_at"].is_string());
    assert_eq!(ended["shifts_started"], 1);

    // Nobody on shift: the next order waits; A's stays A's.
    let waiting = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &waiting).await, Value::Null);
    let (b_id, _b) = t.manager_on_shift("Manager B").await;
    assert_eq!(t.wait_routed(&waiting).await, b_id);
    assert_eq!(manager_of(&t, &admin, &mine).await, json!(a_id));
    let later = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &later).await, json!(b_id));

    assert_eq!(total(&t, "/api/orders", &a).await, 1);
    t.get(&format!("/api/orders/{mine}"), &a).await.ok(200);
    t.put(
        &format!("/api/orders/{mine}/price"),
        &a,
        json!({"price": 100000}),
    )
    .await
    .ok(200);
    let shifts = t.get("/api/shifts", &admin).await.ok(200);
    assert_eq!(shifts.as_array().unwrap().len(), 1, "{shifts}");
    assert_eq!(shifts[0]["manager_id"], json!(b_id));
    assert_eq!(shifts[0]["full_name"], "Manager B");
    assert_eq!(shifts[0]["open_orders"], 2);

    // A second shift counts.
    let again = t.post("/api/shifts/start", &a, json!({})).await.ok(200);
    assert_eq!(again["shifts_started"], 2);
    replay_verifies(&t);
}

async fn a_blocked_manager_is_routed_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (m_id, _) = t.manager_on_shift("Maria Manager").await;
    t.post(&format!("/api/users/{m_id}/block"), &admin, json!({}))
        .await
        .ok(200);
    assert_eq!(t.get("/api/shifts", &admin).await.ok(200), json!([]));
    let waiting = place(&t, &client).await;
    assert_eq!(manager_of(&t, &admin, &waiting).await, Value::Null);
    // Unblocked, still on shift: they take the waiting order, and the next ones.
    t.post(&format!("/api/users/{m_id}/unblock"), &admin, json!({}))
        .await
        .ok(200);
    assert_eq!(t.wait_routed(&waiting).await, m_id);
    let id = place(&t, &client).await;
    assert_eq!(t.wait_routed(&id).await, m_id);
}

async fn starting_twice_or_ending_off_shift_is_a_conflict(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let detail = t
        .post("/api/shifts/end", &manager, json!({}))
        .await
        .problem(409);
    assert!(detail.contains("not on shift"), "{detail}");
    t.post("/api/shifts/start", &manager, json!({}))
        .await
        .ok(200);
    let before = t.event_count().await;
    let detail = t
        .post("/api/shifts/start", &manager, json!({}))
        .await
        .problem(409);
    assert!(detail.contains("already on shift"), "{detail}");
    assert_eq!(t.event_count().await, before, "a refusal appends nothing");
    t.post("/api/shifts/end", &manager, json!({})).await.ok(200);
    let detail = t
        .post("/api/shifts/end", &manager, json!({}))
        .await
        .problem(409);
    assert!(detail.contains("not on shift"), "{detail}");
}

async fn only_managers_work_shifts(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    for role in [
        Role::Client,
        Role::Author,
        Role::PayoutClerk,
        Role::Auditor,
        Role::Admin,
    ] {
        let (_, token) = t.user(role, "Not A Manager").await;
        for path in ["/api/shifts/start", "/api/shifts/end"] {
            t.post(path, &token, json!({})).await.problem(403);
        }
        let read = t.get("/api/shifts", &token).await;
        if role == Role::Admin {
            read.ok(200);
        } else {
            read.problem(403);
        }
    }
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    assert_eq!(t.get("/api/shifts", &manager).await.ok(200), json!([]));
    t.call("POST", "/api/shifts/start", None, None)
        .await
        .problem(401);
}

async fn a_manager_sees_only_the_orders_routed_to_them(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (a_id, a) = t.manager_on_shift("Manager A").await;
    t.clock.advance(Duration::minutes(1));
    let (b_id, b) = t.manager_on_shift("Manager B").await;
    let first = place(&t, &client).await;
    let second = place(&t, &client).await;
    assert_eq!(t.wait_routed(&first).await, a_id);
    assert_eq!(t.wait_routed(&second).await, b_id);

    for (me, mine, theirs) in [(&a, &first, &second), (&b, &second, &first)] {
        let list = t.get("/api/orders", me).await.ok(200);
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["id"], json!(mine));
        assert_eq!(total(&t, "/api/orders?status=new", me).await, 1);
        t.get(&format!("/api/orders/{mine}"), me).await.ok(200);
        t.get(&format!("/api/orders/{theirs}"), me)
            .await
            .problem(404);
        t.get(&format!("/api/orders/{theirs}/events"), me)
            .await
            .problem(404);
        t.put(
            &format!("/api/orders/{theirs}/price"),
            me,
            json!({"price": 100000}),
        )
        .await
        .problem(404);
        t.post(
            &format!("/api/orders/{theirs}/cancel"),
            me,
            json!({"reason": "not mine"}),
        )
        .await
        .problem(404);
    }
    assert_eq!(total(&t, "/api/orders", &admin).await, 2);
    // An admin acts on any order, routed or not, without taking it over.
    t.put(
        &format!("/api/orders/{first}/price"),
        &admin,
        json!({"price": 100000}),
    )
    .await
    .ok(200);
    assert_eq!(manager_of(&t, &admin, &first).await, json!(a_id));
}

/// Counts `RoutedToManager` events per order.
async fn routes_of(t: &TestApp, id: &str) -> i64 {
    t.application
        .app
        .db
        .fetch_one(
            "SELECT COUNT(*) AS n FROM events WHERE aggregate_type = 'Order' \
             AND aggregate_id = $1 AND event_type = 'RoutedToManager'",
            &[projections::Arg::from(id)],
        )
        .await
        .expect("count routes")
        .int("n")
        .expect("n")
}

async fn orders_placed_before_the_router_ran_are_routed_once_after_a_restart(backend: Backend) {
    // Workers off and no routing at placement: orders are placed and a shift started,
    // and nothing routes them (as if the service died between the events and the
    // routes).
    let t = TestApp::spawn_with(backend, |c| {
        c.run_workers = false;
        c.route_on_placement = false;
    })
    .await;
    let url = t.application.app.config.database_url.clone();
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (a_id, _) = t.manager_on_shift("Manager A").await;
    t.clock.advance(Duration::minutes(1));
    let (b_id, _) = t.manager_on_shift("Manager B").await;
    let mut orders = Vec::new();
    for _ in 0..5 {
        orders.push(place(&t, &client).await);
    }
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    assert_eq!(total(&t, "/api/orders?unrouted=true", &admin).await, 5);
    let TestApp {
        application, dir, ..
    } = t;
    application.stop().await;

    // A new instance on the same database, with its workers: everything is routed.
    let t = TestApp::on(backend, &url, dir).await;
    let mut to_a = 0;
    for id in &orders {
        let m = t.wait_routed(id).await;
        assert!(m == a_id || m == b_id, "{m}");
        to_a += usize::from(m == a_id);
    }
    t.settle_routing().await;
    assert_eq!(
        to_a, 3,
        "shared out fairly, the longest on shift first on ties"
    );
    for id in &orders {
        assert_eq!(routes_of(&t, id).await, 1, "{id} routed once");
    }
    assert_eq!(total(&t, "/api/orders?unrouted=true", &admin).await, 0);
    t.workers_caught_up().await;
    let TestApp {
        application, dir, ..
    } = t;
    application.stop().await;

    // The router reacting again over the whole log (a reset checkpoint), twice, on an
    // instance whose own workers are off (nothing else moves the checkpoint): it reacts
    // to every placement and shift again, and appends nothing.
    let t = TestApp::on_with(backend, &url, dir, |c| c.run_workers = false).await;
    let before = t.event_count().await;
    let app = &t.application.app;
    for _ in 0..2 {
        let mut handled = 0;
        app.db
            .execute(
                "DELETE FROM projection_checkpoints WHERE name = 'process:routing'",
                &[],
            )
            .await
            .expect("reset the router");
        let worker = scriptorium::process::routing::worker();
        loop {
            let round = worker.run_once(app).await.expect("a round");
            handled += round.handled;
            if !round.more {
                break;
            }
        }
        assert!(handled >= orders.len() + 2, "reacted again: {handled}");
    }
    assert_eq!(t.event_count().await, before, "no new events");
    for id in &orders {
        assert_eq!(routes_of(&t, id).await, 1, "{id} still routed once");
    }
    replay_verifies(&t);
}

/// The router is woken by a placement and by a shift's start, not left to its poll: with
/// every worker's poll an hour long, ten placements are still routed (each one waited for
/// with the harness's 10 s limit), and so are the orders waiting when a shift starts.
async fn a_placed_order_is_routed_at_once_not_at_the_next_poll(backend: Backend) {
    let t = TestApp::spawn_with(backend, |c| {
        c.worker_poll = Some(std::time::Duration::from_secs(3600))
    })
    .await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    // Nobody on shift: placed and left waiting.
    let waiting = t.post("/api/orders", &client, order_body()).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (m_id, _) = t.manager_on_shift("Maria Manager").await;
    assert_eq!(
        t.wait_routed(&waiting).await,
        m_id,
        "routed when the shift started"
    );
    for _ in 0..10 {
        let o = t.call("POST", "/api/orders", Some(&client), Some(order_body()));
        let id = o.await.ok(201)["id"].as_str().unwrap().to_string();
        assert_eq!(t.wait_routed(&id).await, m_id);
    }
}

on_both!(
    a_placed_order_is_routed_at_once_not_at_the_next_poll,
    the_least_loaded_manager_on_shift_gets_the_order,
    ties_go_to_the_manager_on_shift_longest,
    with_nobody_on_shift_an_order_waits_until_a_shift_starts,
    a_manager_who_ends_a_shift_keeps_their_orders,
    starting_twice_or_ending_off_shift_is_a_conflict,
    a_blocked_manager_is_routed_nothing,
    only_managers_work_shifts,
    a_manager_sees_only_the_orders_routed_to_them,
    orders_placed_before_the_router_ran_are_routed_once_after_a_restart,
);
