//! The director's reports: sums per day and per period from the log's events, equal to a
//! replay, on SQLite and on Postgres.

mod common;

use aggregates::Role;
use common::{accepted_order, Accepted, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    the_summary_counts_money_and_orders_of_its_period,
    the_daily_report_has_every_day_and_the_summary_equals_its_sum,
    only_auditors_and_admins_read_reports_and_bad_periods_are_refused,
);

/// Pays both halves of an accepted order and has the final work delivered and the
/// order completed by its client.
async fn complete(t: &TestApp, s: &Accepted) {
    let id = &s.order;
    for (half, amount) in [("first", 125000), ("second", 125001)] {
        t.post(
            &format!("/api/orders/{id}/payments"),
            &s.manager,
            json!({"half": half, "amount": amount, "payment_id": format!("{id}-{half}")}),
        )
        .await
        .ok(200);
    }
    t.upload(
        &format!("/api/orders/{id}/final"),
        &s.author,
        "final.pdf",
        b"complete work",
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
    let o = t
        .post(
            &format!("/api/orders/{id}/complete"),
            &s.client,
            json!({"rating": 5, "review": "Good"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "completed");
}

fn day(t: &TestApp) -> String {
    t.clock.now().date_naive().to_string()
}

async fn summary(t: &TestApp, token: &str, query: &str) -> Value {
    t.get(&format!("/api/reports/summary{query}"), token)
        .await
        .ok(200)
}

async fn the_summary_counts_money_and_orders_of_its_period(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, auditor) = t.user(Role::Auditor, "Olga Auditor").await;
    let day1 = day(&t);
    // Day 1: an order completed at 250 001 (both halves paid), a second one paid in its
    // first half only.
    let done = accepted_order(&t).await;
    complete(&t, &done).await;
    let half = accepted_order(&t).await;
    t.post(
        &format!("/api/orders/{}/payments", half.order),
        &half.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "half-first"}),
    )
    .await
    .ok(200);
    // Day 2: the half-paid order fails and 25 000 of its first half is refunded; a third
    // order is placed and failed by its manager.
    t.clock.advance(chrono::Duration::days(1));
    let day2 = day(&t);
    t.post(
        &format!("/api/orders/{}/cancel", half.order),
        &half.manager,
        json!({"reason": "the client changed their mind"}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{}/refunds", half.order),
        &half.manager,
        json!({"amount": 25000, "reason": "the work had not started"}),
    )
    .await
    .ok(201);
    let failed = accepted_order(&t).await;
    t.post(
        &format!("/api/orders/{}/cancel", failed.order),
        &failed.manager,
        json!({"reason": "the client is gone"}),
    )
    .await
    .ok(200);

    let all = summary(&t, &auditor, "").await;
    assert_eq!(all["payments"], 250001 + 125000);
    assert_eq!(all["revenue"], 250001 + 125000 - 25000);
    assert_eq!(all["refunds"], 25000);
    assert_eq!(all["orders_placed"], 3);
    assert_eq!(all["orders_completed"], 1);
    assert_eq!(all["orders_failed"], 2);
    assert_eq!(all["average_check"], 250001);
    assert_eq!(all["by_status"]["completed"], 1);
    assert_eq!(all["by_status"]["failed"], 2);
    assert_eq!(all["sla_breaches"], 0);
    assert!(all["from"].is_null() && all["to"].is_null());

    let first = summary(&t, &auditor, &format!("?from={day1}&to={day1}")).await;
    assert_eq!(first["payments"], 250001 + 125000);
    assert_eq!(first["refunds"], 0);
    assert_eq!(first["orders_placed"], 2);
    assert_eq!(first["orders_failed"], 0);
    assert_eq!(first["from"], day1.as_str());
    // The orders placed that day, by their status now.
    assert_eq!(first["by_status"], json!({"completed": 1, "failed": 1}));

    let second = summary(&t, &auditor, &format!("?from={day2}")).await;
    assert_eq!(second["payments"], 0);
    assert_eq!(second["refunds"], 25000);
    assert_eq!(second["revenue"], -25000);
    assert_eq!(second["orders_placed"], 1);
    assert_eq!(second["orders_failed"], 2);
    assert_eq!(second["average_check"], 0);
    assert_eq!(second["by_status"], json!({"failed": 1}));

    // The same figures after a rebuild from the log.
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    assert_eq!(summary(&t, &auditor, "").await, all);
}

async fn the_daily_report_has_every_day_and_the_summary_equals_its_sum(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Adam Admin").await;
    let from = day(&t);
    let s = accepted_order(&t).await;
    complete(&t, &s).await;
    t.clock.advance(chrono::Duration::days(2));
    let s = accepted_order(&t).await;
    complete(&t, &s).await;
    let to = day(&t);

    let days = t
        .get(&format!("/api/reports/daily?from={from}&to={to}"), &admin)
        .await
        .ok(200);
    let days = days.as_array().expect("a list");
    assert_eq!(days.len(), 3, "every day of the period: {days:?}");
    assert_eq!(days[0]["date"], from.as_str());
    assert_eq!(days[2]["date"], to.as_str());
    assert_eq!(days[1]["revenue"], 0, "a quiet day is there with zeros");
    assert_eq!(days[1]["orders_completed"], 0);
    for d in [&days[0], &days[2]] {
        assert_eq!(d["revenue"], 250001);
        assert_eq!(d["orders_completed"], 1);
        assert_eq!(d["average_check"], 250001);
        assert_eq!(d["payouts"], 0);
    }
    let total: i64 = days.iter().map(|d| d["revenue"].as_i64().unwrap()).sum();
    let all = summary(&t, &admin, &format!("?from={from}&to={to}")).await;
    assert_eq!(all["revenue"], total);
    assert_eq!(all["orders_completed"], 2);

    // Without a period: the 30 days up to today.
    let recent = t.get("/api/reports/daily", &admin).await.ok(200);
    let recent = recent.as_array().expect("a list");
    assert_eq!(recent.len(), 30);
    assert_eq!(recent[29]["date"], to.as_str());
    assert_eq!(recent[29]["revenue"], 250001);
}

async fn only_auditors_and_admins_read_reports_and_bad_periods_are_refused(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    for role in [Role::Client, Role::Author, Role::Manager, Role::PayoutClerk] {
        let (_, token) = t.user(role, "Someone Else").await;
        for path in ["/api/reports/summary", "/api/reports/daily"] {
            t.get(path, &token).await.problem(403);
        }
    }
    for path in ["/api/reports/summary", "/api/reports/daily"] {
        t.call("GET", path, None, None).await.problem(401);
    }
    let (_, auditor) = t.user(Role::Auditor, "Olga Auditor").await;
    for query in [
        "?from=yesterday",
        "?to=2026-13-01",
        "?from=2026-03-02&to=2026-03-01",
    ] {
        for path in ["/api/reports/summary", "/api/reports/daily"] {
            let why = t
                .get(&format!("{path}{query}"), &auditor)
                .await
                .problem(422);
            assert!(why.contains("from") || why.contains("to"), "{why}");
        }
    }
    let why = t
        .get("/api/reports/daily?from=2025-01-01&to=2026-03-01", &auditor)
        .await
        .problem(422);
    assert!(why.contains("366"), "{why}");
    t.get("/api/reports/daily?from=2025-03-02&to=2026-03-01", &auditor)
        .await
        .ok(200);
}
