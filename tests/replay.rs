//! `scriptorium replay` and `replay --verify` against live databases.

mod common;

use std::process::Command;

use aggregates::Role;
use common::{order_body, Backend, TestApp};
use serde_json::json;

on_both!(
    verify_passes_on_live_projections_and_finds_a_row_edited_by_hand,
    replay_swaps_in_rebuilt_tables_while_the_service_runs,
);

fn replay(t: &TestApp, verify: bool) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scriptorium"));
    cmd.arg("replay")
        .env("DATABASE_URL", &t.application.app.config.database_url)
        .env("SCRIPTORIUM_DATA_DIR", t.data_dir())
        .env("RUST_LOG", "warn");
    if verify {
        cmd.arg("--verify");
    }
    cmd.output().expect("run scriptorium replay")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// A few orders in different states; returns (manager token, first order id).
async fn some_orders(t: &TestApp) -> (String, String) {
    let (_, client) = t.user(Role::Client, "Replay Client").await;
    let (_, manager) = t.user(Role::Manager, "Replay Manager").await;
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
