//! `scriptorium replay` and `replay --verify` against live databases.

mod common;

use aggregates::Role;
use common::{order_body, replay, text, Backend, TestApp};
use serde_json::json;

on_both!(
    verify_passes_on_live_projections_and_finds_a_row_edited_by_hand,
    replay_swaps_in_rebuilt_tables_while_the_service_runs,
    swapped_tables_keep_every_index_and_the_shadow_is_gone,
);

/// A few orders in different states; returns (manager token, first order id).
async fn some_orders(t: &TestApp) -> (String, String) {
    let (_, client) = t.user(Role::Client, "Replay Client").await;
    let (_, manager) = t.manager_on_shift("Replay Manager").await;
    let (author_id, author) = t.user(Role::Author, "Replay Author").await;
    let mut first = String::new();
    for i in 0..4 {
        let id = t.post("/api/orders", &client, order_body()).await.ok(201)["id"]
            .as_str()
            .unwrap()
            .to_string();
        if i == 0 {
            first = id.clone();
        }
        if i >= 1 {
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
        }
        if i >= 2 {
            t.post(
                &format!("/api/orders/{id}/offer/accept"),
                &author,
                json!({}),
            )
            .await
            .ok(200);
            t.post(
                &format!("/api/orders/{id}/payments"),
                &manager,
                json!({"half": "first", "amount": 150000, "payment_id": format!("p{i}")}),
            )
            .await
            .ok(200);
            t.upload(
                &format!("/api/orders/{id}/draft"),
                &author,
                "d.pdf",
                b"draft",
            )
            .await
            .ok(200);
        }
        if i == 3 {
            t.post(
                &format!("/api/orders/{id}/draft/reject"),
                &manager,
                json!({"comment": "no"}),
            )
            .await
            .ok(200);
        }
    }
    (manager, first)
}

async fn verify_passes_on_live_projections_and_finds_a_row_edited_by_hand(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (manager, first) = some_orders(&t).await;

    let out = replay(&t, true);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("equal the replay"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("events/s"),
        "progress is shown: {}",
        text(&out.stderr)
    );

    // A row edited by hand is found, with the differing rows printed.
    t.application
        .app
        .db
        .execute(
            "UPDATE order_list SET status = 'completed', paid = 1 WHERE id = $1",
            &projections::args![first.as_str()],
        )
        .await
        .unwrap();
    t.application
        .app
        .db
        .execute("DELETE FROM users WHERE role = 'author'", &[])
        .await
        .unwrap();
    let out = replay(&t, true);
    assert!(
        !out.status.success(),
        "verify must fail: {}",
        text(&out.stdout)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("order_list: 1 row(s) only in the live table, 1 only in the rebuild"),
        "{stdout}"
    );
    assert!(
        stdout.contains("users: 0 row(s) only in the live table, 1 only in the rebuild"),
        "{stdout}"
    );
    assert!(stdout.contains(&first), "{stdout}");
    assert!(
        text(&out.stderr).contains("differ"),
        "{}",
        text(&out.stderr)
    );
    // Verifying changed nothing.
    let o = t
        .get(&format!("/api/orders/{first}"), &manager)
        .await
        .ok(200);
    assert_eq!(o["status"], "completed");
}

async fn replay_swaps_in_rebuilt_tables_while_the_service_runs(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (manager, first) = some_orders(&t).await;
    t.application
        .app
        .db
        .execute(
            "UPDATE order_list SET status = 'failed' WHERE id = $1",
            &projections::args![first.as_str()],
        )
        .await
        .unwrap();
    t.application
        .app
        .db
        .execute("DELETE FROM client_order_history", &[])
        .await
        .unwrap();

    let out = replay(&t, false);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("swapped in the rebuilt tables"),
        "{}",
        text(&out.stdout)
    );

    let o = t
        .get(&format!("/api/orders/{first}"), &manager)
        .await
        .ok(200);
    assert_eq!(o["status"], "new", "the rebuilt row is live");
    let out = replay(&t, true);
    assert!(out.status.success(), "{}", text(&out.stdout));

    // The service goes on projecting on top of the swapped tables.
    let (_, client) = t.user(Role::Client, "After Replay").await;
    let id = t.post("/api/orders", &client, order_body()).await.ok(201)["id"].clone();
    let page = t.get("/api/orders?per_page=100", &manager).await.ok(200);
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == id));
    assert_eq!(page["total"], 5);
    let out = replay(&t, true);
    assert!(out.status.success(), "{}", text(&out.stdout));
}

/// The tables replay rebuilds and swaps: every table of every projection.
fn read_model_tables() -> Vec<&'static str> {
    projections::all()
        .iter()
        .flat_map(|p| p.tables().iter().copied())
        .collect()
}

/// The read models' index definitions (and, on PostgreSQL, their constraints), sorted; plus
/// what is left of replay shadows (schemas or files).
async fn layout(t: &TestApp, backend: Backend) -> (Vec<String>, Vec<String>) {
    let db = &t.application.app.db;
    let tables = read_model_tables()
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let (defs, leftovers) = match backend {
        Backend::Postgres => {
            let defs = db
                .fetch_all(
                    &format!(
                        "SELECT indexdef AS d FROM pg_indexes \
                         WHERE schemaname = current_schema() AND tablename IN ({tables}) \
                         UNION ALL \
                         SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
                         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
                           AND conrelid::regclass::text IN ({tables})"
                    ),
                    &[],
                )
                .await
                .unwrap();
            let schemas = db
                .fetch_all(
                    "SELECT nspname AS d FROM pg_namespace WHERE nspname LIKE 'replay\\_%'",
                    &[],
                )
                .await
                .unwrap();
            (defs, schemas.iter().map(|r| r.text("d").unwrap()).collect())
        }
        Backend::Sqlite => {
            let defs = db
                .fetch_all(
                    &format!(
                        "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS d \
                         FROM sqlite_master WHERE tbl_name IN ({tables})"
                    ),
                    &[],
                )
                .await
                .unwrap();
            // The shadow file sits next to the database (test.replay-<id>.db).
            let files = std::fs::read_dir(t.data_dir().parent().unwrap())
                .map(|dir| {
                    dir.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().to_string())
                        .filter(|n| n.contains("replay"))
                        .collect()
                })
                .unwrap_or_default();
            (defs, files)
        }
    };
    let mut defs: Vec<String> = defs.iter().map(|r| r.text("d").unwrap()).collect();
    defs.sort();
    (defs, leftovers)
}

async fn swapped_tables_keep_every_index_and_the_shadow_is_gone(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (manager, first) = some_orders(&t).await;
    let (before, _) = layout(&t, backend).await;
    assert!(
        before.iter().any(|d| d.contains("order_list_status")),
        "{before:?}"
    );
    // Every swapped table is in the layout compared (each has a key at least).
    for table in read_model_tables() {
        assert!(
            before.iter().any(|d| d.contains(table)),
            "{table} is missing from {before:?}"
        );
    }
    assert!(read_model_tables().contains(&"order_counts"));

    let out = replay(&t, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (after, leftovers) = layout(&t, backend).await;
    assert_eq!(
        before, after,
        "the swapped tables have the live ones' indexes"
    );
    assert!(leftovers.is_empty(), "the shadow is dropped: {leftovers:?}");

    // Verifying after the swap finds nothing, and the service reads the swapped tables.
    let out = replay(&t, true);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let (after_verify, leftovers) = layout(&t, backend).await;
    assert_eq!(before, after_verify);
    assert!(leftovers.is_empty(), "{leftovers:?}");
    t.get(&format!("/api/orders/{first}"), &manager)
        .await
        .ok(200);
}
