//! Stage time limits and deadlines: an order over a limit is flagged a problem once, by
//! the SLA worker on the service's clock; the flag clears when the order moves on; the
//! manager's table, the reports and the admin's and manager's mail show it; the timer is
//! the order table's, so it survives a restart. On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use aggregates::Role;
use chrono::{TimeZone, Utc};
use common::{accepted_order, Accepted, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    an_order_over_its_stage_limit_is_flagged_once_and_cleared_on_its_next_status,
    a_deadline_passed_before_delivery_is_flagged_once_until_the_work_is_delivered,
    a_pending_timer_survives_a_restart,
    stage_limits_are_settings_with_a_history_and_bad_ones_change_nothing,
);

/// A service whose workers poll every 50 ms.
async fn sla_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await
}

fn instant(v: &Value) -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .to_utc()
}

fn set_clock(t: &TestApp, at: chrono::DateTime<Utc>) {
    t.clock.advance(at - t.clock.now());
}

async fn sweep(t: &TestApp) -> usize {
    scriptorium::process::sla::flag_due(&t.application.app)
        .await
        .expect("an SLA round")
        .flagged
}

async fn order(t: &TestApp, token: &str, id: &str) -> Value {
    t.get(&format!("/api/orders/{id}"), token).await.ok(200)
}

/// Waits until the order's `problem` is `flagged` as the manager's table shows it.
async fn problem_becomes(t: &TestApp, token: &str, id: &str, flagged: bool) -> Value {
    for _ in 0..200 {
        let o = order(t, token, id).await;
        if o["problem"] == flagged {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {id} never had problem = {flagged}");
}

/// The `ProblemFlagged` events of the order, as its history shows them.
async fn flags(t: &TestApp, token: &str, id: &str) -> Vec<Value> {
    t.get(&format!("/api/orders/{id}/events"), token)
        .await
        .ok(200)
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "ProblemFlagged")
        .cloned()
        .collect()
}

async fn email_of(t: &TestApp, id: &str) -> String {
    t.application
        .app
        .db
        .fetch_one(
            "SELECT email FROM users WHERE id = $1",
            &projections::args![id],
        )
        .await
        .expect("the user")
        .text("email")
        .expect("email")
}

/// The recipients of the outbox's problem mails, sorted; waits for `n` of them.
async fn problem_mails(t: &TestApp, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let rows = t
            .application
            .app
            .db
            .fetch_all(
                "SELECT recipient FROM mail_outbox WHERE kind = 'problem' ORDER BY recipient",
                &[],
            )
            .await
            .expect("the outbox");
        if rows.len() >= n {
            return rows.iter().map(|r| r.text("recipient").unwrap()).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} problem mails in the outbox");
}

async fn pay(t: &TestApp, a: &Accepted, half: &str, amount: i64) {
    t.post(
        &format!("/api/orders/{}/payments", a.order),
        &a.manager,
        json!({"half": half, "amount": amount, "payment_id": format!("{}-{half}", a.order)}),
    )
    .await
    .ok(200);
}

async fn upload(t: &TestApp, a: &Accepted, kind: &str) {
    t.upload(
        &format!("/api/orders/{}/{kind}", a.order),
        &a.author,
        "work.txt",
        b"the work",
    )
    .await
    .ok(200);
}

async fn approve(t: &TestApp, a: &Accepted, kind: &str) {
    t.post(
        &format!("/api/orders/{}/{kind}/approve", a.order),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
}

async fn summary(t: &TestApp, admin: &str) -> Value {
    t.get("/api/reports/summary", admin).await.ok(200)
}

fn replay_verifies(t: &TestApp) {
    let out = common::replay(t, true);
    assert!(
        out.status.success(),
        "replay --verify failed:\n{}\n{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    );
}

async fn an_order_over_its_stage_limit_is_flagged_once_and_cleared_on_its_next_status(
    backend: Backend,
) {
    let t = sla_app(backend).await;
    let (admin_id, admin) = t.user(Role::Admin, "Ada Admin").await;
    let a = accepted_order(&t).await;
    pay(&t, &a, "first", 125000).await;
    upload(&t, &a, "draft").await;
    let s = t
        .put(
            "/api/settings",
            &admin,
            json!({"stage_limits_hours": {"draft_review": 4}}),
        )
        .await
        .ok(200);
    assert_eq!(s["stage_limits_hours"], json!({"draft_review": 4}));

    // Three hours in review: within the limit.
    t.clock.advance(chrono::Duration::hours(3));
    assert_eq!(sweep(&t).await, 0);
    assert_eq!(order(&t, &a.manager, &a.order).await["problem"], false);

    // Five: over it. The worker flags it, naming the limit.
    t.clock.advance(chrono::Duration::hours(2));
    let o = problem_becomes(&t, &a.manager, &a.order, true).await;
    let reason = o["problem_reason"].as_str().expect("a reason");
    assert!(
        reason.contains("draft_review") && reason.contains("4 h"),
        "{reason}"
    );
    let table = t.get("/api/orders?problem=true", &a.manager).await.ok(200);
    assert_eq!(table["total"], 1);
    assert_eq!(table["items"][0]["id"], a.order.as_str());
    assert_eq!(table["items"][0]["problem_reason"], reason);
    assert_eq!(
        t.get("/api/orders?problem=false", &a.manager).await.ok(200)["total"],
        0
    );

    // Once: another round, and more time, flag nothing more.
    assert_eq!(sweep(&t).await, 0);
    t.clock.advance(chrono::Duration::hours(10));
    assert_eq!(sweep(&t).await, 0);
    let flagged = flags(&t, &a.manager, &a.order).await;
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0]["data"]["breach"]["kind"], "stage_limit");
    assert_eq!(flagged[0]["data"]["breach"]["status"], "draft_review");
    assert_eq!(flagged[0]["data"]["breach"]["limit_hours"], 4);
    // The service's own act (the system actor), not a person's.
    assert_eq!(flagged[0]["actor"]["id"], uuid::Uuid::nil().to_string());

    // The order's manager and the admin are told, once each.
    let mut expected = vec![
        email_of(&t, &a.manager_id).await,
        email_of(&t, &admin_id).await,
    ];
    expected.sort();
    assert_eq!(problem_mails(&t, 2).await, expected);

    // Counted in the reports as an SLA breach.
    assert_eq!(summary(&t, &admin).await["sla_breaches"], 1);

    // The order moves on: the flag clears, and the new stage has its own clock.
    approve(&t, &a, "draft").await;
    let o = order(&t, &a.manager, &a.order).await;
    assert_eq!(o["status"], "half_ready");
    assert_eq!(o["problem"], false);
    assert_eq!(o["problem_reason"], Value::Null);
    assert_eq!(
        t.get("/api/orders?problem=true", &a.manager).await.ok(200)["total"],
        0
    );
    t.clock.advance(chrono::Duration::hours(100));
    assert_eq!(sweep(&t).await, 0, "half_ready has no limit");
    assert_eq!(summary(&t, &admin).await["sla_breaches"], 1);
    t.workers_caught_up().await;
    replay_verifies(&t);
}

async fn a_deadline_passed_before_delivery_is_flagged_once_until_the_work_is_delivered(
    backend: Backend,
) {
    let t = sla_app(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let a = accepted_order(&t).await;
    pay(&t, &a, "first", 125000).await;

    // The deadline (2026-04-15) is the client's to its last minute.
    set_clock(&t, Utc.with_ymd_and_hms(2026, 4, 15, 23, 59, 0).unwrap());
    assert_eq!(sweep(&t).await, 0);
    assert_eq!(order(&t, &a.manager, &a.order).await["problem"], false);

    set_clock(&t, Utc.with_ymd_and_hms(2026, 4, 16, 0, 30, 0).unwrap());
    let o = problem_becomes(&t, &a.manager, &a.order, true).await;
    assert!(
        o["problem_reason"]
            .as_str()
            .is_some_and(|r| r.contains("deadline 2026-04-15")),
        "{o}"
    );
    assert_eq!(sweep(&t).await, 0);

    // A draft is not the work: still late.
    upload(&t, &a, "draft").await;
    approve(&t, &a, "draft").await;
    pay(&t, &a, "second", 125001).await;
    upload(&t, &a, "final").await;
    assert_eq!(order(&t, &a.manager, &a.order).await["problem"], true);
    assert_eq!(sweep(&t).await, 0);

    // Delivered: nothing is owed, the flag clears and never comes back.
    approve(&t, &a, "final").await;
    let o = order(&t, &a.manager, &a.order).await;
    assert_eq!(o["status"], "delivered");
    assert_eq!(o["problem"], false);
    t.clock.advance(chrono::Duration::days(3));
    assert_eq!(sweep(&t).await, 0);
    let flagged = flags(&t, &a.manager, &a.order).await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["data"]["breach"]["kind"], "deadline");
    assert_eq!(flagged[0]["data"]["breach"]["deadline"], "2026-04-15");
    let s = summary(&t, &admin).await;
    assert_eq!(s["sla_breaches"], 1);
    // A day's report counts it on the day it was flagged.
    let days = t
        .get("/api/reports/daily?from=2026-04-16&to=2026-04-16", &admin)
        .await
        .ok(200);
    assert_eq!(days[0]["sla_breaches"], 1, "{days}");
    t.workers_caught_up().await;
    replay_verifies(&t);
}

async fn a_pending_timer_survives_a_restart(backend: Backend) {
    let db_dir = tempfile::tempdir().expect("temp dir");
    let url = common::fresh_database(backend, db_dir.path()).await;
    let before = TestApp::on_with(backend, &url, tempfile::tempdir().unwrap(), |c| {
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await;
    let (_, admin) = before.user(Role::Admin, "Ada Admin").await;
    let a = accepted_order(&before).await;
    pay(&before, &a, "first", 125000).await;
    before
        .put(
            "/api/settings",
            &admin,
            json!({"stage_limits_hours": {"in_progress": 48}}),
        )
        .await
        .ok(200);
    let since = instant(&order(&before, &a.manager, &a.order).await["updated_at"]);
    before.clock.advance(chrono::Duration::hours(24));
    assert_eq!(sweep(&before).await, 0);

    // The service stops with the timer running and starts again a day later (its clock
    // starts where the first one did).
    before.application.stop().await;
    let after = TestApp::on_with(backend, &url, tempfile::tempdir().unwrap(), |c| {
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await;
    after.clock.advance(chrono::Duration::hours(47));
    assert_eq!(sweep(&after).await, 0, "47 hours in progress");
    assert_eq!(order(&after, &a.manager, &a.order).await["problem"], false);
    after.clock.advance(chrono::Duration::hours(2));
    let o = problem_becomes(&after, &a.manager, &a.order, true).await;
    assert_eq!(o["status"], "in_progress");
    let flagged = flags(&after, &a.manager, &a.order).await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["data"]["breach"]["status"], "in_progress");
    assert_eq!(flagged[0]["data"]["breach"]["limit_hours"], 48);
    // The stage's clock began when the first half was paid, before the restart.
    assert_eq!(instant(&flagged[0]["data"]["breach"]["since"]), since);
    after.workers_caught_up().await;
    replay_verifies(&after);
}

async fn stage_limits_are_settings_with_a_history_and_bad_ones_change_nothing(backend: Backend) {
    let t = sla_app(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, manager) = t.user(Role::Manager, "Mark Manager").await;
    let s = t.get("/api/settings", &admin).await.ok(200);
    assert_eq!(s["stage_limits_hours"], json!({}));
    let s = t
        .put(
            "/api/settings",
            &admin,
            json!({"stage_limits_hours": {"offered": 24, "final_review": 8}}),
        )
        .await
        .ok(200);
    assert_eq!(
        s["stage_limits_hours"],
        json!({"offered": 24, "final_review": 8})
    );
    // 0 removes a limit; the others stay.
    let s = t
        .put(
            "/api/settings",
            &admin,
            json!({"stage_limits_hours": {"offered": 0}}),
        )
        .await
        .ok(200);
    assert_eq!(s["stage_limits_hours"], json!({"final_review": 8}));

    // A status that takes no limit, an unknown one, a value out of range: 422, nothing changes.
    for bad in [
        json!({"stage_limits_hours": {"delivered": 5}}),
        json!({"stage_limits_hours": {"sleeping": 5}}),
        json!({"stage_limits_hours": {"rework": -1}}),
        json!({"stage_limits_hours": {"rework": 9000}}),
        json!({"stage_limits_hours": {"rework": 5, "completed": 1}}),
    ] {
        t.put("/api/settings", &admin, bad.clone())
            .await
            .problem(422);
    }
    t.put(
        "/api/settings",
        &manager,
        json!({"stage_limits_hours": {"rework": 5}}),
    )
    .await
    .problem(403);
    let s = t.get("/api/settings", &admin).await.ok(200);
    assert_eq!(s["stage_limits_hours"], json!({"final_review": 8}));

    // Each change is in the history, by name, old and new.
    let h = t.get("/api/settings/history", &admin).await.ok(200);
    let mut changes: Vec<(String, i64, i64)> = h
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
    // The first two were one change, at once.
    changes[..2].sort();
    assert_eq!(
        changes,
        vec![
            ("stage_limit_hours_final_review".to_string(), 0, 8),
            ("stage_limit_hours_offered".to_string(), 0, 24),
            ("stage_limit_hours_offered".to_string(), 24, 0),
        ]
    );
    replay_verifies(&t);
}
