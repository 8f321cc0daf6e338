//! The order list's `total` comes from counters (`order_counts`) for the manager's and the
//! admin's list (and the admin's `?unrouted=true`), unfiltered or by status: it must always
//! equal a `COUNT(*)` of the order table, through routing, status changes, reassignment,
//! cancellations and a replay.

mod common;

use aggregates::order::{OrderCommand, OrderStatus};
use aggregates::Role;
use common::{order_body, replay, text, Backend, TestApp};
use projections::Arg;
use scriptorium::Ctx;
use serde_json::json;
use uuid::Uuid;

on_both!(
    totals_stay_exact_through_routing_status_changes_and_reassignment,
    totals_with_other_filters_still_count_the_table,
    a_database_migrated_with_orders_already_in_it_starts_exact,
    replay_verify_finds_the_counters_equal_to_a_rebuild,
);

/// Which orders a viewer's list holds.
#[derive(Clone)]
enum Seen {
    /// Every order (admin).
    All,
    /// The orders routed to this manager.
    Manager(String),
    /// The orders no manager has yet (an admin's `?unrouted=true`).
    Unrouted,
}

/// Whose list a check reads, and the same visibility as SQL.
struct Viewer {
    name: &'static str,
    token: String,
    seen: Seen,
}

/// The truth: a `COUNT(*)` of the order table, computed here.
async fn counted(t: &TestApp, seen: &Seen, status: Option<&str>) -> i64 {
    let mut conds = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    match seen {
        Seen::All => {}
        Seen::Manager(m) => {
            args.push(Arg::from(m.as_str()));
            conds.push(format!("manager_id = ${}", args.len()));
        }
        Seen::Unrouted => conds.push("manager_id IS NULL".to_string()),
    }
    if let Some(s) = status {
        args.push(Arg::from(s));
        conds.push(format!("status = ${}", args.len()));
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    t.application
        .app
        .db
        .fetch_one(
            &format!("SELECT COUNT(*) AS n FROM order_list {filter}"),
            &args,
        )
        .await
        .expect("count")
        .int("n")
        .expect("n")
}

/// Every viewer's total, unfiltered and for every status, equals the table's count;
/// returns the viewers' unfiltered totals.
async fn assert_exact(t: &TestApp, viewers: &[&Viewer]) -> Vec<i64> {
    let mut totals = Vec::new();
    for v in viewers {
        let statuses = std::iter::once(None).chain(OrderStatus::ALL.map(|s| Some(s.as_str())));
        for status in statuses {
            let mut query = Vec::new();
            if let Some(s) = status {
                query.push(format!("status={s}"));
            }
            if matches!(v.seen, Seen::Unrouted) {
                query.push("unrouted=true".to_string());
            }
            let path = format!("/api/orders?{}", query.join("&"));
            let page = t.get(&path, &v.token).await.ok(200);
            let want = counted(t, &v.seen, status).await;
            assert_eq!(
                page["total"], want,
                "{} {path}: total against COUNT(*) of the table",
                v.name
            );
            if status.is_none() {
                totals.push(want);
            }
        }
    }
    totals
}

async fn place(t: &TestApp, client: &str) -> String {
    t.post("/api/orders", client, order_body()).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn totals_stay_exact_through_routing_status_changes_and_reassignment(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Count Client").await;
    let (a_id, a) = t.user(Role::Manager, "Manager A").await;
    let (b_id, b) = t.user(Role::Manager, "Manager B").await;
    let (_, admin) = t.user(Role::Admin, "Count Admin").await;
    let (author_id, author) = t.user(Role::Author, "Count Author").await;
    let va = Viewer {
        name: "manager A",
        token: a.clone(),
        seen: Seen::Manager(a_id.clone()),
    };
    let vb = Viewer {
        name: "manager B",
        token: b.clone(),
        seen: Seen::Manager(b_id.clone()),
    };
    let vadmin = Viewer {
        name: "admin",
        token: admin.clone(),
        seen: Seen::All,
    };
    let vwaiting = Viewer {
        name: "admin, unrouted",
        token: admin.clone(),
        seen: Seen::Unrouted,
    };
    let all = [&va, &vb, &vadmin, &vwaiting];

    // An empty table.
    assert_eq!(assert_exact(&t, &all).await, [0, 0, 0, 0]);

    // Nobody on shift: unrouted orders, which no manager sees.
    let o1 = place(&t, &client).await;
    let o2 = place(&t, &client).await;
    let o3 = place(&t, &client).await;
    assert_eq!(assert_exact(&t, &all).await, [0, 0, 3, 3]);

    // A starts a shift and takes the backlog; B, later, takes the next order.
    t.post("/api/shifts/start", &a, json!({})).await.ok(200);
    assert_eq!(assert_exact(&t, &all).await, [3, 0, 3, 0]);
    t.clock.advance(chrono::Duration::minutes(1));
    t.post("/api/shifts/start", &b, json!({})).await.ok(200);
    let o4 = place(&t, &client).await;
    assert_eq!(t.wait_routed(&o4).await, b_id);
    assert_eq!(assert_exact(&t, &all).await, [3, 1, 4, 0]);

    // o1 through offered to awaiting_prepayment: the status counters move.
    t.put(
        &format!("/api/orders/{o1}/price"),
        &a,
        json!({"price": 300000}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{o1}/offer"),
        &a,
        json!({"author_id": author_id}),
    )
    .await
    .ok(200);
    assert_eq!(
        t.get("/api/orders?status=offered", &a).await.ok(200)["total"],
        1
    );
    assert_eq!(
        t.get("/api/orders?status=offered", &b).await.ok(200)["total"],
        0
    );
    assert_exact(&t, &all).await;
    t.post(
        &format!("/api/orders/{o1}/offer/accept"),
        &author,
        json!({}),
    )
    .await
    .ok(200);
    assert_eq!(
        t.get("/api/orders?status=offered", &a).await.ok(200)["total"],
        0
    );
    assert_eq!(
        t.get("/api/orders?status=awaiting_prepayment", &admin)
            .await
            .ok(200)["total"],
        1
    );
    assert_exact(&t, &all).await;

    // o2 is handed over from A to B.
    t.application
        .app
        .order(
            Uuid::parse_str(&o2).unwrap(),
            OrderCommand::ReassignManager {
                manager_id: Uuid::parse_str(&b_id).unwrap(),
                at: t.clock.now(),
            },
            &Ctx::system("test-reassign"),
        )
        .await
        .expect("reassign o2 to B");
    assert_eq!(assert_exact(&t, &all).await, [2, 2, 4, 0]);

    // The client cancels A's o3: failed, still A's.
    t.post(
        &format!("/api/orders/{o3}/cancel"),
        &client,
        json!({"reason": "changed my mind"}),
    )
    .await
    .ok(200);
    assert_eq!(
        t.get("/api/orders?status=failed", &a).await.ok(200)["total"],
        1
    );
    assert_eq!(
        t.get("/api/orders?status=new", &a).await.ok(200)["total"],
        0
    );
    assert_eq!(assert_exact(&t, &all).await, [2, 2, 4, 0]);

    // Both end their shifts: the next order waits; A, back first, takes it.
    t.post("/api/shifts/end", &a, json!({})).await.ok(200);
    t.post("/api/shifts/end", &b, json!({})).await.ok(200);
    let o5 = place(&t, &client).await;
    assert_eq!(assert_exact(&t, &all).await, [2, 2, 5, 1]);
    t.post("/api/shifts/start", &a, json!({})).await.ok(200);
    assert_eq!(t.wait_routed(&o5).await, a_id);
    assert_eq!(assert_exact(&t, &all).await, [3, 2, 5, 0]);

    // More orders, and several commands on one order in quick succession.
    for _ in 0..3 {
        let id = place(&t, &client).await;
        t.put(
            &format!("/api/orders/{id}/price"),
            &a,
            json!({"price": 100000}),
        )
        .await
        .ok(200);
        t.post(
            &format!("/api/orders/{id}/offer"),
            &a,
            json!({"author_id": author_id}),
        )
        .await
        .ok(200);
    }
    assert_eq!(assert_exact(&t, &all).await, [6, 2, 8, 0]);

    // The page agrees with its total when everything fits on it.
    let page = t.get("/api/orders?per_page=100", &a).await.ok(200);
    assert_eq!(page["items"].as_array().unwrap().len() as i64, 6);

    // A counter that drifts is caught by the comparison above: break one by hand.
    t.application
        .app
        .db
        .execute(
            "UPDATE order_counts SET n = n + 1 WHERE scope = 'all' AND status = 'offered'",
            &[],
        )
        .await
        .unwrap();
    let page = t.get("/api/orders?status=offered", &admin).await.ok(200);
    assert_ne!(
        page["total"],
        counted(&t, &Seen::All, Some("offered")).await,
        "the total is read from the counters"
    );
}

async fn totals_with_other_filters_still_count_the_table(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Filter Client").await;
    let (_, manager) = t.manager_on_shift("Filter Manager").await;
    let (author_id, author) = t.user(Role::Author, "Filter Author").await;
    for i in 0..3 {
        let mut body = order_body();
        if i == 2 {
            body["topic"] = json!("Stochastic models of queueing systems");
        }
        let id = t.post("/api/orders", &client, body).await.ok(201)["id"]
            .as_str()
            .unwrap()
            .to_string();
        if i == 0 {
            t.put(
                &format!("/api/orders/{id}/price"),
                &manager,
                json!({"price": 300000}),
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
        }
    }
    let total = |path: &'static str| {
        let t = &t;
        let manager = manager.clone();
        async move { t.get(path, &manager).await.ok(200)["total"].clone() }
    };
    assert_eq!(total("/api/orders").await, 3);
    assert_eq!(total("/api/orders?q=novgorod").await, 2);
    assert_eq!(total("/api/orders?q=queueing&status=new").await, 1);
    assert_eq!(total("/api/orders?q=%20%20").await, 3);
    assert_eq!(total("/api/orders?problem=false").await, 3);
    assert_eq!(total("/api/orders?problem=true").await, 0);
    let by_author = format!("/api/orders?author_id={author_id}");
    assert_eq!(t.get(&by_author, &manager).await.ok(200)["total"], 1);
    assert_eq!(
        t.get(&format!("{by_author}&status=new"), &manager)
            .await
            .ok(200)["total"],
        0
    );
    // A client's and an author's lists count their own scope.
    assert_eq!(t.get("/api/orders", &client).await.ok(200)["total"], 3);
    assert_eq!(t.get("/api/orders", &author).await.ok(200)["total"], 1);
}

async fn a_database_migrated_with_orders_already_in_it_starts_exact(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let url = t.application.app.config.database_url.clone();
    let (_, client) = t.user(Role::Client, "Old Client").await;
    let (manager_id, manager) = t.manager_on_shift("Old Manager").await;
    let (_, admin) = t.user(Role::Admin, "Old Admin").await;
    for i in 0..4 {
        let id = place(&t, &client).await;
        if i % 2 == 0 {
            t.put(
                &format!("/api/orders/{id}/price"),
                &manager,
                json!({"price": 300000}),
            )
            .await
            .ok(200);
        }
    }
    // Back to the database as it was before the counters: no table, migration not applied.
    let db = t.application.app.db.clone();
    db.execute("DROP TABLE order_counts", &[]).await.unwrap();
    if backend == Backend::Postgres {
        db.execute("DROP INDEX IF EXISTS order_list_topic_trgm", &[])
            .await
            .unwrap();
    }
    db.execute("DELETE FROM _sqlx_migrations WHERE version = 4", &[])
        .await
        .unwrap();
    let TestApp {
        application, dir, ..
    } = t;
    application.stop().await;
    drop(db);

    // Starting again migrates, and the migration counts what the table holds.
    let t = TestApp::on(backend, &url, dir).await;
    let vm = Viewer {
        name: "manager",
        token: manager,
        seen: Seen::Manager(manager_id),
    };
    let va = Viewer {
        name: "admin",
        token: admin,
        seen: Seen::All,
    };
    assert_eq!(assert_exact(&t, &[&vm, &va]).await, [4, 4]);
    // And goes on counting.
    place(&t, &client).await;
    assert_eq!(assert_exact(&t, &[&vm, &va]).await, [5, 5]);
}

async fn replay_verify_finds_the_counters_equal_to_a_rebuild(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Replay Count Client").await;
    let (a_id, a) = t.manager_on_shift("Replay Manager A").await;
    t.clock.advance(chrono::Duration::minutes(1));
    let (b_id, b) = t.manager_on_shift("Replay Manager B").await;
    let (author_id, author) = t.user(Role::Author, "Replay Count Author").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let id = place(&t, &client).await;
        let manager = if t.wait_routed(&id).await == a_id {
            &a
        } else {
            &b
        };
        if i >= 1 {
            t.put(
                &format!("/api/orders/{id}/price"),
                manager,
                json!({"price": 300000}),
            )
            .await
            .ok(200);
            t.post(
                &format!("/api/orders/{id}/offer"),
                manager,
                json!({"author_id": author_id}),
            )
            .await
            .ok(200);
        }
        if i >= 3 {
            t.post(
                &format!("/api/orders/{id}/offer/accept"),
                &author,
                json!({}),
            )
            .await
            .ok(200);
        }
        ids.push(id);
    }
    // A reassignment and a cancellation: counters that went up and back down to zero.
    t.application
        .app
        .order(
            Uuid::parse_str(&ids[1]).unwrap(),
            OrderCommand::ReassignManager {
                manager_id: Uuid::parse_str(&a_id).unwrap(),
                at: t.clock.now(),
            },
            &Ctx::system("test-reassign"),
        )
        .await
        .unwrap();
    t.post(
        &format!("/api/orders/{}/cancel", ids[0]),
        &client,
        json!({"reason": "no longer needed"}),
    )
    .await
    .ok(200);

    let out = replay(&t, true);
    assert!(
        out.status.success(),
        "replay --verify: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("equal the replay"),
        "{}",
        text(&out.stdout)
    );

    // A counter changed by hand is a difference the replay finds, and a swap repairs it.
    t.application
        .app
        .db
        .execute(
            "UPDATE order_counts SET n = n + 5 WHERE scope = 'all' AND status = 'offered'",
            &[],
        )
        .await
        .unwrap();
    let out = replay(&t, true);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout)
            .contains("order_counts: 1 row(s) only in the live table, 1 only in the rebuild"),
        "{}",
        text(&out.stdout)
    );
    let out = replay(&t, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = t.get("/api/orders?status=offered", &b).await.ok(200);
    assert_eq!(
        page["total"],
        counted(&t, &Seen::Manager(b_id.clone()), Some("offered")).await,
        "the swapped-in counters are exact again"
    );
}
