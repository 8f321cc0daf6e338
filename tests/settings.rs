//! The settings: who reads and changes them, a partial change recording only what changed
//! (with its history), bad values, and the settings in force where the service uses them
//! (the default fee share, the offer's time).

mod common;

use aggregates::Role;
use common::{accepted_order_priced, order_body, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    an_admin_changes_settings_in_part_and_the_history_says_what_changed,
    bad_settings_are_refused_and_change_nothing,
    each_role_reads_and_changes_the_settings_it_may,
    the_fee_share_setting_prices_an_order_without_a_fee,
    the_offer_time_setting_wins_over_the_configuration,
);

fn defaults() -> Value {
    json!({
        "payout_threshold": 100000,
        "author_fee_percent": 50,
        "guarantee_days": 14,
        "offer_ttl_hours": 24,
        "stage_limits_hours": {},
        "cashback_percent": 5,
        "referral_percent": 3,
    })
}

async fn an_admin_changes_settings_in_part_and_the_history_says_what_changed(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (admin_id, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, auditor) = t.user(Role::Auditor, "Artem Auditor").await;
    assert_eq!(t.get("/api/settings", &admin).await.ok(200), defaults());
    assert_eq!(
        t.get("/api/settings/history", &auditor).await.ok(200),
        json!([])
    );

    let before = t.event_count().await;
    let s = t
        .put("/api/settings", &admin, json!({"payout_threshold": 50000}))
        .await
        .ok(200);
    let mut want = defaults();
    want["payout_threshold"] = json!(50000);
    assert_eq!(s, want, "only the threshold changed");
    assert_eq!(t.event_count().await, before + 1);
    assert_eq!(t.get("/api/settings", &admin).await.ok(200), want);

    // The same value again, and the empty change: nothing recorded.
    t.put("/api/settings", &admin, json!({"payout_threshold": 50000}))
        .await
        .ok(200);
    t.put("/api/settings", &admin, json!({})).await.ok(200);
    assert_eq!(t.event_count().await, before + 1);

    // Two settings given, one of them as it is: one event, one change.
    let s = t
        .put(
            "/api/settings",
            &admin,
            json!({"author_fee_percent": 40, "guarantee_days": 14}),
        )
        .await
        .ok(200);
    want["author_fee_percent"] = json!(40);
    assert_eq!(s, want);
    assert_eq!(t.event_count().await, before + 2);

    let history = t.get("/api/settings/history", &auditor).await.ok(200);
    let changes: Vec<_> = history
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
    assert_eq!(
        changes,
        [
            ("payout_threshold".to_string(), 100000, 50000),
            ("author_fee_percent".to_string(), 50, 40),
        ]
    );
    assert_eq!(history[0]["changed_by"], admin_id.as_str());
    assert!(history[0]["at"].is_string());

    let out = common::replay(&t, true);
    assert!(
        out.status.success(),
        "replay --verify: {}{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    );
}

async fn bad_settings_are_refused_and_change_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let before = t.event_count().await;
    for body in [
        json!({"payout_threshold": 0}),
        json!({"payout_threshold": 1_000_000_001i64}),
        json!({"author_fee_percent": -1}),
        json!({"author_fee_percent": 101}),
        json!({"guarantee_days": 0}),
        json!({"guarantee_days": 366}),
        json!({"offer_ttl_hours": 0}),
        json!({"offer_ttl_hours": 721}),
        // One bad value spoils the whole change.
        json!({"payout_threshold": 50000, "author_fee_percent": 150}),
    ] {
        let detail = t
            .put("/api/settings", &admin, body.clone())
            .await
            .problem(422);
        assert!(detail.contains("between"), "{body}: {detail}");
    }
    for body in [
        json!({"payout_threshold": "much"}),
        json!({"payout_threshold": 1.5}),
        // A setting this version does not know.
        json!({"loyalty_percent": 5}),
    ] {
        t.put("/api/settings", &admin, body).await.problem(400);
    }
    assert_eq!(t.event_count().await, before, "nothing appended");
    assert_eq!(t.get("/api/settings", &admin).await.ok(200), defaults());
}

async fn each_role_reads_and_changes_the_settings_it_may(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let change = json!({"payout_threshold": 70000});
    for role in Role::ALL {
        let (_, token) = t.user(role, "Some One").await;
        let reads = !matches!(role, Role::Client | Role::Author);
        let read = t.get("/api/settings", &token).await;
        if reads {
            read.ok(200);
        } else {
            read.problem(403);
        }
        let history = t.get("/api/settings/history", &token).await;
        if matches!(role, Role::Auditor | Role::Admin) {
            history.ok(200);
        } else {
            history.problem(403);
        }
        let put = t.put("/api/settings", &token, change.clone()).await;
        if role == Role::Admin {
            put.ok(200);
        } else {
            put.problem(403);
        }
    }
}

async fn the_fee_share_setting_prices_an_order_without_a_fee(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    t.put("/api/settings", &admin, json!({"author_fee_percent": 30}))
        .await
        .ok(200);
    // 30% of 100 001 kopecks is 30 000.3: rounded down to the kopeck.
    let s = accepted_order_priced(&t, json!({"price": 100001})).await;
    let o = t
        .get(&format!("/api/orders/{}", s.order), &s.manager)
        .await
        .ok(200);
    assert_eq!(o["author_fee"], 30000);
    // A fee given is the manager's, whatever the setting.
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let order = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = order["id"].as_str().unwrap().to_string();
    let manager_id = t.wait_routed(&id).await;
    assert_eq!(manager_id, s.manager_id);
    let o = t
        .put(
            &format!("/api/orders/{id}/price"),
            &s.manager,
            json!({"price": 100001, "author_fee": 12345}),
        )
        .await
        .ok(200);
    assert_eq!(o["author_fee"], 12345);
}

async fn the_offer_time_setting_wins_over_the_configuration(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (manager_id, manager) = t.manager_on_shift("Maria Manager").await;
    let (author_id, _) = t.user(Role::Author, "Ivan Petrov").await;
    t.put("/api/settings", &admin, json!({"offer_ttl_hours": 2}))
        .await
        .ok(200);
    let order = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(t.wait_routed(&id).await, manager_id);
    t.put(
        &format!("/api/orders/{id}/price"),
        &manager,
        json!({"price": 100000}),
    )
    .await
    .ok(200);
    let offer = t
        .post(
            &format!("/api/orders/{id}/offer"),
            &manager,
            json!({"author_id": author_id}),
        )
        .await
        .ok(200);
    let expires: chrono::DateTime<chrono::Utc> =
        offer["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, t.clock.now() + chrono::Duration::hours(2));
}
