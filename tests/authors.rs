//! Authors' profiles and ratings: who may set and read them, what a bad value answers, and
//! how client ratings and rejected drafts move a rating (with its history).

mod common;

use std::time::Duration;

use aggregates::Role;
use common::{accepted_order, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    an_admin_sets_a_profile_and_bad_values_append_nothing,
    who_may_read_and_set_authors,
    a_rejected_draft_and_a_client_rating_move_the_rating_with_its_history,
    the_command_line_sets_a_profile,
    a_long_profile_history_loads_from_its_snapshot,
);

async fn the_command_line_sets_a_profile(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (id, _) = t.bare_user(Role::Author, "Ivan Petrov").await;
    let out = common::scriptorium(
        &t,
        &[
            "author",
            "profile",
            "--id",
            &id,
            "--subjects",
            "History,Law",
            "--rating",
            "4.5",
            "--max-active",
            "7",
        ],
    );
    let stdout = common::text(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        common::text(&out.stderr)
    );
    assert!(stdout.contains("rating 4.50"), "{stdout}");
    let a = t.get(&format!("/api/authors/{id}"), &admin).await.ok(200);
    assert_eq!(a["subjects"], json!(["History", "Law"]));
    assert_eq!(a["rating"], 4.5);
    assert_eq!(a["max_active_orders"], 7);
    // A bad value is refused with the reason, and a non-zero exit.
    let out = common::scriptorium(
        &t,
        &[
            "author",
            "profile",
            "--id",
            &id,
            "--subjects",
            "History",
            "--max-active",
            "0",
        ],
    );
    assert!(!out.status.success());
    assert!(
        common::text(&out.stderr).contains("maximum"),
        "{}",
        common::text(&out.stderr)
    );
}

fn profile() -> Value {
    json!({"subjects": ["История", "  Law  and  Order "], "rating": 4.25, "max_active_orders": 3})
}

async fn an_admin_sets_a_profile_and_bad_values_append_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (client_id, _) = t.user(Role::Client, "Anna Client").await;
    let (id, _) = t.bare_user(Role::Author, "Ivan Petrov").await;
    let path = format!("/api/authors/{id}");

    let a = t.put(&path, &admin, profile()).await.ok(200);
    assert_eq!(a["id"], id.as_str());
    assert_eq!(a["full_name"], "Ivan Petrov");
    assert_eq!(a["rating"], 4.25);
    assert_eq!(a["subjects"], json!(["История", "Law and Order"]));
    assert_eq!(a["max_active_orders"], 3);
    assert_eq!(a["available"], true);
    assert_eq!(a["active_orders"], 0);
    assert_eq!(a["rating_history"][0]["cause"], "set_by_admin");
    assert_eq!(a["rating_history"][0]["rating"], 4.25);

    // The same again changes nothing; availability alone is kept when left out.
    let before = t.event_count().await;
    t.put(&path, &admin, profile()).await.ok(200);
    assert_eq!(t.event_count().await, before);
    let mut off = profile();
    off["available"] = json!(false);
    assert_eq!(t.put(&path, &admin, off).await.ok(200)["available"], false);
    let mut no_rating = profile();
    no_rating.as_object_mut().unwrap().remove("rating");
    let a = t.put(&path, &admin, no_rating).await.ok(200);
    assert_eq!(
        (a["available"].clone(), a["rating"].clone()),
        (json!(false), json!(4.25))
    );

    // Bad values: 422, nothing appended.
    let (fresh, _) = t.bare_user(Role::Author, "New Author").await;
    let before = t.event_count().await;
    for (field, value) in [
        ("subjects", json!([])),
        ("subjects", json!(["  "])),
        ("subjects", json!(["x".repeat(101)])),
        ("rating", json!(0)),
        ("rating", json!(5.5)),
        ("max_active_orders", json!(0)),
        ("max_active_orders", json!(101)),
        ("max_active_orders", json!(-1)),
    ] {
        let mut body = profile();
        body[field] = value.clone();
        let detail = t.put(&path, &admin, body).await.problem(422);
        assert!(!detail.is_empty(), "{field} {value}");
    }
    // A new author's first profile needs a rating.
    let mut no_rating = profile();
    no_rating.as_object_mut().unwrap().remove("rating");
    t.put(&format!("/api/authors/{fresh}"), &admin, no_rating)
        .await
        .problem(422);
    // Not an author: 422; nobody: 404.
    t.put(&format!("/api/authors/{client_id}"), &admin, profile())
        .await
        .problem(422);
    t.put(
        &format!("/api/authors/{}", uuid::Uuid::new_v4()),
        &admin,
        profile(),
    )
    .await
    .problem(404);
    assert_eq!(t.event_count().await, before, "nothing appended");
}

async fn who_may_read_and_set_authors(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, clerk) = t.user(Role::PayoutClerk, "Pavel Clerk").await;
    let (_, auditor) = t.user(Role::Auditor, "Aud Itor").await;
    let (ivan, ivan_token) = t.user(Role::Author, "Ivan Petrov").await;
    let (_, other_author) = t.user(Role::Author, "Oleg Other").await;
    let path = format!("/api/authors/{ivan}");

    for token in [&manager, &client, &clerk, &auditor, &ivan_token] {
        t.put(&path, token, profile()).await.problem(403);
    }
    let list = t.get("/api/authors", &manager).await.ok(200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ivan Petrov", "Oleg Other"], "by name");
    assert_eq!(list[0]["rating"], 3.0);
    assert_eq!(list[0]["subjects"], json!(["History", "Law"]));
    assert_eq!(list[0]["max_active_orders"], 100);
    t.get("/api/authors", &admin).await.ok(200);
    for token in [&client, &clerk, &auditor, &ivan_token] {
        t.get("/api/authors", token).await.problem(403);
    }

    // One author: staff, the auditor, and the author themself; another author is told
    // nothing.
    for token in [&admin, &manager, &auditor, &ivan_token] {
        let a = t.get(&path, token).await.ok(200);
        assert_eq!(a["id"], ivan.as_str());
        assert!(a["rating_history"].is_array());
    }
    t.get(&path, &other_author).await.problem(404);
    for token in [&client, &clerk] {
        t.get(&path, token).await.problem(403);
    }
    t.get(&format!("/api/authors/{}", uuid::Uuid::new_v4()), &admin)
        .await
        .problem(404);
}

/// Polls the author until their rating history has `n` entries.
async fn history_of(t: &TestApp, token: &str, id: &str, n: usize) -> Value {
    for _ in 0..100 {
        let a = t.get(&format!("/api/authors/{id}"), token).await.ok(200);
        if a["rating_history"].as_array().unwrap().len() >= n {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the rating history of {id} never reached {n} entries");
}

async fn a_rejected_draft_and_a_client_rating_move_the_rating_with_its_history(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    let id = &s.order;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let start = history_of(&t, &admin, &s.author_id, 1).await;
    assert_eq!(start["rating"], 3.0);

    let pay = |half: &str, amount: i64, pid: &str| json!({"half": half, "amount": amount, "payment_id": pid});
    t.post(
        &format!("/api/orders/{id}/payments"),
        &s.manager,
        pay("first", 125000, "p-1"),
    )
    .await
    .ok(200);
    t.upload(
        &format!("/api/orders/{id}/draft"),
        &s.author,
        "d.pdf",
        b"draft",
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/draft/reject"),
        &s.manager,
        json!({"comment": "Too short"}),
    )
    .await
    .ok(200);
    let after_rejection = history_of(&t, &s.author, &s.author_id, 2).await;
    let rejected = after_rejection["rating"].as_f64().unwrap();
    assert!(
        rejected < 3.0,
        "a rejected draft lowers the rating: {rejected}"
    );
    let entry = &after_rejection["rating_history"][1];
    assert_eq!(entry["cause"], "rejection");
    assert_eq!(entry["order_id"], id.as_str());

    t.upload(
        &format!("/api/orders/{id}/final"),
        &s.author,
        "f.pdf",
        b"final",
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/payments"),
        &s.manager,
        pay("second", 125001, "p-2"),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/final/approve"),
        &s.manager,
        json!({}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/complete"),
        &s.client,
        json!({"rating": 5, "review": "Excellent"}),
    )
    .await
    .ok(200);
    let done = history_of(&t, &s.manager, &s.author_id, 3).await;
    let rated = done["rating"].as_f64().unwrap();
    assert!(
        rated > rejected,
        "five stars raise it: {rejected} → {rated}"
    );
    assert!((1.0..=5.0).contains(&rated));
    let entry = &done["rating_history"][2];
    assert_eq!(entry["cause"], "client_rating");
    assert_eq!(entry["stars"], 5);
    assert_eq!(entry["order_id"], id.as_str());
    // The completed order no longer occupies the author.
    assert_eq!(done["active_orders"], 0);

    // Each cause counted once, whatever the worker sees again: its commands are caused by
    // the events they react to.
    let events = t
        .application
        .app
        .db
        .fetch_all(
            "SELECT CAST(metadata AS text) AS metadata FROM events WHERE aggregate_type = 'Author' AND aggregate_id = $1 \
             ORDER BY sequence",
            &projections::args![s.author_id.as_str()],
        )
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        4,
        "profile, admin's rating, rejection, client rating"
    );
    let last: Value = serde_json::from_str(&events[3].text("metadata").unwrap()).unwrap();
    assert!(
        last["causation_id"].as_str().unwrap().starts_with("event:"),
        "{last}"
    );

    // The worker reacting to the whole log again (a crash before its checkpoint moved)
    // appends nothing: on an instance whose own workers are off, so nothing else moves
    // the checkpoint meanwhile.
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
            "DELETE FROM projection_checkpoints WHERE name = 'process:ratings'",
            &[],
        )
        .await
        .unwrap();
    let before = t.event_count().await;
    use scriptorium::process::Worker;
    let worker = scriptorium::process::ratings::worker();
    let mut handled = 0;
    loop {
        let round = worker.run_once(app).await.unwrap();
        handled += round.handled;
        if !round.more {
            break;
        }
    }
    assert!(
        handled >= 2,
        "reacted to the completion and the rejection again: {handled}"
    );
    assert_eq!(t.event_count().await, before, "each cause counted once");

    let out = common::replay(&t, true);
    assert!(
        out.status.success(),
        "replay --verify: {}{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    );
}

/// An author whose profile and rating changed many times loads from a snapshot and the
/// events after it (decision 033): the same state as the whole stream, in a process that
/// remembers nothing too, and the answers go on.
async fn a_long_profile_history_loads_from_its_snapshot(backend: Backend) {
    use cqrs_es::persist::PersistedEventStore;
    use cqrs_es::EventStore;
    use scriptorium::store::{Repo, SnapshotStore};

    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (id, _) = t.bare_user(Role::Author, "Ivan Petrov").await;
    let path = format!("/api/authors/{id}");
    for i in 0..120 {
        let mut p = profile();
        p["max_active_orders"] = json!(1 + i % 5);
        t.put(&path, &admin, p).await.ok(200);
    }
    let app = &t.application.app;
    let snapshot = app
        .db
        .fetch_one(
            "SELECT sequence FROM aggregate_snapshots WHERE aggregate_type = 'Author' \
             AND aggregate_id = $1",
            &projections::args![id.as_str()],
        )
        .await
        .unwrap()
        .int("sequence")
        .unwrap();
    assert!(snapshot >= 100, "a snapshot at {snapshot}");
    let whole = PersistedEventStore::<Repo, aggregates::author::Author>::new_event_store(
        Repo::new(&app.db),
    )
    .load_aggregate(&id)
    .await
    .unwrap()
    .aggregate;
    assert_eq!(whole.profile.as_ref().unwrap().max_active_orders, 5);
    let fresh = SnapshotStore::<aggregates::author::Author>::new(
        Repo::new(&app.db),
        scriptorium::app::LONG_STREAM_SNAPSHOT_EVERY,
        "1",
    );
    assert_eq!(fresh.stored(&id).await.unwrap(), whole);
    let mut p = profile();
    p["max_active_orders"] = json!(2);
    let a = t.put(&path, &admin, p).await.ok(200);
    assert_eq!(a["max_active_orders"], 2);
    assert_eq!(a["rating"], 4.25);
}
