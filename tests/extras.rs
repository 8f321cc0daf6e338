//! The catalogue of work types, subjects and extras an admin manages (each change an
//! attributed event, its history for the admin and the auditor), orders that must name
//! its entries, and extras a manager adds to an order before the first half: the price
//! and the halves follow to the kopeck, the client sees and hears of each. On SQLite and
//! PostgreSQL.

mod common;

use std::time::Duration;

use aggregates::Role;
use common::{accepted_order, order_body, Accepted, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    anyone_reads_the_catalogue_and_only_an_admin_changes_it,
    orders_must_name_a_work_type_and_subject_of_the_catalogue,
    extras_move_the_price_and_the_halves_to_the_kopeck_before_the_first_half,
    an_extra_before_the_price_is_part_of_the_price_once_it_is_set,
);

fn replay_verifies(t: &TestApp) {
    let out = common::replay(t, true);
    assert!(
        out.status.success(),
        "{}\n{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    );
}

async fn catalogue(t: &TestApp) -> Value {
    t.call("GET", "/api/catalogue", None, None).await.ok(200)
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|e| e["code"].as_str().expect("a code").to_string())
        .collect()
}

/// An admin's token, with the extras `urgent` (1 500.01 RUB) and `slides` (800.00 RUB).
async fn admin_with_extras(t: &TestApp) -> String {
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    for (code, name, price) in [
        ("urgent", "Urgent delivery", 150_001),
        ("slides", "Presentation slides", 80_000),
    ] {
        t.put(
            &format!("/api/catalogue/extras/{code}"),
            &admin,
            json!({"name": name, "price": price}),
        )
        .await
        .ok(200);
    }
    admin
}

/// The `changed` mails to the order's client, oldest first; waits for `n`.
async fn change_mails(t: &TestApp, a: &Accepted, n: usize) -> Vec<Value> {
    let email = t.get("/api/me", &a.client).await.ok(200)["email"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..200 {
        let rows = t
            .application
            .app
            .db
            .fetch_all(
                "SELECT params FROM mail_outbox WHERE recipient = $1 AND kind = 'changed' ORDER BY id",
                &projections::args![email.as_str()],
            )
            .await
            .unwrap();
        if rows.len() >= n {
            return rows
                .iter()
                .map(|r| serde_json::from_str(&r.text("params").unwrap()).unwrap())
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} change mails");
}

async fn anyone_reads_the_catalogue_and_only_an_admin_changes_it(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    // The seeded catalogue: the work types and subjects in use before it existed, no extras.
    let c = catalogue(&t).await;
    let work_types = codes(&c["work_types"]);
    for code in ["essay", "term_paper", "thesis", "report"] {
        assert!(work_types.contains(&code.to_string()), "{work_types:?}");
    }
    assert!(c["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "History"));
    assert_eq!(c["extras"], json!([]));

    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, auditor) = t.user(Role::Auditor, "Arkady Auditor").await;
    let urgent = json!({"name": "Urgent delivery", "price": 150_001});
    let before = t.event_count().await;
    for token in [&manager, &client, &auditor] {
        t.put("/api/catalogue/extras/urgent", token, urgent.clone())
            .await
            .problem(403);
        t.call(
            "DELETE",
            "/api/catalogue/work-types/essay",
            Some(token),
            None,
        )
        .await
        .problem(403);
    }
    t.call(
        "PUT",
        "/api/catalogue/extras/urgent",
        None,
        Some(urgent.clone()),
    )
    .await
    .problem(401);
    for (path, body, status) in [
        (
            "/api/catalogue/extras/urgent",
            json!({"name": "Urgent"}),
            422,
        ),
        (
            "/api/catalogue/extras/urgent",
            json!({"name": "Urgent", "price": 0}),
            422,
        ),
        (
            "/api/catalogue/work-types/poem",
            json!({"name": "Poem", "price": 100}),
            422,
        ),
        (
            "/api/catalogue/extras/Urgent!",
            json!({"name": "Urgent", "price": 100}),
            422,
        ),
        (
            "/api/catalogue/extras/urgent",
            json!({"name": "  ", "price": 100}),
            422,
        ),
        // Another code for a subject of the same name (whatever its case).
        (
            "/api/catalogue/subjects/hist",
            json!({"name": "HISTORY"}),
            422,
        ),
        ("/api/catalogue/colours/red", json!({"name": "Red"}), 404),
        (
            "/api/catalogue/extras/urgent",
            json!({"name": "Urgent", "price": 100, "colour": "red"}),
            400,
        ),
    ] {
        t.put(path, &admin, body).await.problem(status);
    }
    t.call("DELETE", "/api/catalogue/extras/urgent", Some(&admin), None)
        .await
        .problem(404);
    assert_eq!(t.event_count().await, before, "nothing appended");

    // An admin adds an extra: anyone sees it with its price.
    let c = t
        .put("/api/catalogue/extras/urgent", &admin, urgent.clone())
        .await
        .ok(200);
    assert_eq!(
        c["extras"],
        json!([{"code": "urgent", "name": "Urgent delivery", "price": 150_001}])
    );
    assert_eq!(catalogue(&t).await["extras"], c["extras"]);
    // The same again records nothing.
    let before = t.event_count().await;
    t.put("/api/catalogue/extras/urgent", &admin, urgent.clone())
        .await
        .ok(200);
    assert_eq!(t.event_count().await, before);
    // A new price, a new work type, a retired subject.
    t.put(
        "/api/catalogue/extras/urgent",
        &admin,
        json!({"name": "Urgent delivery", "price": 200_000}),
    )
    .await
    .ok(200);
    t.put(
        "/api/catalogue/work-types/poem",
        &admin,
        json!({"name": "Поэма"}),
    )
    .await
    .ok(200);
    let c = t
        .call("DELETE", "/api/catalogue/subjects/law", Some(&admin), None)
        .await
        .ok(200);
    assert!(codes(&c["work_types"]).contains(&"poem".to_string()));
    assert!(!codes(&c["subjects"]).contains(&"law".to_string()));
    assert_eq!(c["extras"][0]["price"], 200_000);

    // The history: each change, attributed, for the admin and the auditor only.
    let admin_id = t.get("/api/me", &admin).await.ok(200)["id"].clone();
    let history = t.get("/api/catalogue/history", &auditor).await.ok(200);
    let h: Vec<(String, String, String)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["changed_by"], admin_id);
            (
                c["kind"].as_str().unwrap().to_string(),
                c["code"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |k: &str, c: &str, a: &str| (k.to_string(), c.to_string(), a.to_string());
    assert_eq!(
        h,
        vec![
            row("extra", "urgent", "set"),
            row("extra", "urgent", "set"),
            row("work_type", "poem", "set"),
            row("subject", "law", "retired"),
        ]
    );
    assert_eq!(history[0]["old_name"], Value::Null);
    assert_eq!(history[1]["old_price"], 150_001);
    assert_eq!(history[1]["price"], 200_000);
    assert_eq!(history[3]["name"], "Law");
    assert_eq!(
        t.get("/api/catalogue/history", &admin).await.ok(200),
        history
    );
    for token in [&manager, &client] {
        t.get("/api/catalogue/history", token).await.problem(403);
    }
    t.workers_caught_up().await;
    replay_verifies(&t);
}

/// How many orders there are, as the admin's list says.
async fn order_total(t: &TestApp, admin: &str) -> Value {
    t.get("/api/orders", admin).await.ok(200)["total"].clone()
}

async fn orders_must_name_a_work_type_and_subject_of_the_catalogue(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let with = |k: &str, v: &str| {
        let mut b = order_body();
        b[k] = json!(v);
        b
    };
    let before = (t.event_count().await, order_total(&t, &admin).await);
    for body in [with("work_type", "poem"), with("subject", "Alchemy")] {
        let detail = t
            .post("/api/orders", &client, body.clone())
            .await
            .problem(422);
        assert!(detail.contains("not in the catalogue"), "{detail}");
        // Checkout without registration and an order by phone alike; no account made.
        let mut guest = body.clone();
        guest["contact"] = json!({"email": "new.guest@example.com", "full_name": "New Guest"});
        t.call("POST", "/api/orders", None, Some(guest))
            .await
            .problem(422);
        let mut phone = body.clone();
        phone["client"] = json!({"email": "caller@example.com", "full_name": "Caller"});
        t.post("/api/orders/by-phone", &manager, phone)
            .await
            .problem(422);
    }
    assert_eq!(
        (t.event_count().await, order_total(&t, &admin).await),
        before,
        "nothing appended"
    );
    // A subject matches whatever its case and spacing.
    let o = t
        .post("/api/orders", &client, with("subject", "  history "))
        .await
        .ok(201);
    let id = o["id"].as_str().unwrap().to_string();
    t.wait_routed(&id).await;

    // Retired: no longer accepted; added: accepted.
    t.call(
        "DELETE",
        "/api/catalogue/work-types/term_paper",
        Some(&admin),
        None,
    )
    .await
    .ok(200);
    t.put(
        "/api/catalogue/subjects/alchemy",
        &admin,
        json!({"name": "Alchemy"}),
    )
    .await
    .ok(200);
    t.post("/api/orders", &client, order_body())
        .await
        .problem(422);
    let o = t
        .post(
            "/api/orders",
            &client,
            json!({"work_type": "essay", "subject": "alchemy", "topic": "Lead into gold",
                   "pages": 5, "deadline": "2026-04-15"}),
        )
        .await
        .ok(201);
    assert_eq!(o["subject"], "alchemy");

    // An edit to an unknown value changes nothing; to a known one, it is recorded. The
    // order's own work type, retired since, may be sent back as it is.
    let path = format!("/api/orders/{id}");
    let before = t.event_count().await;
    for body in [
        json!({"work_type": "poem"}),
        json!({"subject": "Astrology"}),
    ] {
        t.call("PATCH", &path, Some(&manager), Some(body))
            .await
            .problem(422);
    }
    assert_eq!(t.event_count().await, before);
    let o = t
        .call(
            "PATCH",
            &path,
            Some(&manager),
            Some(json!({"work_type": "term_paper", "subject": "Alchemy", "pages": 30})),
        )
        .await
        .ok(200);
    assert_eq!(o["subject"], "Alchemy");
    assert_eq!(o["work_type"], "term_paper");
    assert_eq!(o["pages"], 30);
    t.workers_caught_up().await;
    replay_verifies(&t);
}

async fn extras_move_the_price_and_the_halves_to_the_kopeck_before_the_first_half(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let admin = admin_with_extras(&t).await;
    // Priced at 250 001 (halves 125 000 and 125 001), fee 100 000.
    let a = accepted_order(&t).await;
    let extras = format!("/api/orders/{}/extras", a.order);
    let (_, other_manager) = t.user(Role::Manager, "Oleg Other").await;

    let before = t.event_count().await;
    for (token, body, status) in [
        (&a.client, json!({"code": "urgent"}), 403),
        (&a.author, json!({"code": "urgent"}), 403),
        (&other_manager, json!({"code": "urgent"}), 404),
        (&a.manager, json!({"code": "massage"}), 422),
        (&a.manager, json!({"code": 7}), 400),
    ] {
        t.post(&extras, token, body).await.problem(status);
    }
    t.call(
        "DELETE",
        &format!("{extras}/urgent"),
        Some(&a.manager),
        None,
    )
    .await
    .problem(404);
    assert_eq!(t.event_count().await, before, "nothing appended");

    let o = t
        .post(&extras, &a.manager, json!({"code": "urgent"}))
        .await
        .ok(200);
    assert_eq!(o["price"], 400_002);
    assert_eq!(o["first_half"], 200_001);
    assert_eq!(o["second_half"], 200_001);
    assert_eq!(
        o["extras"],
        json!([{"code": "urgent", "name": "Urgent delivery", "price": 150_001}])
    );
    t.post(&extras, &a.manager, json!({"code": "urgent"}))
        .await
        .problem(409);
    // The catalogue's price moves; the order keeps the price it got the extra at.
    t.put(
        "/api/catalogue/extras/urgent",
        &admin,
        json!({"name": "Urgent delivery", "price": 300_000}),
    )
    .await
    .ok(200);
    let o = t
        .post(&extras, &a.manager, json!({"code": "slides"}))
        .await
        .ok(200);
    assert_eq!(o["price"], 480_002);
    assert_eq!(
        (o["first_half"].clone(), o["second_half"].clone()),
        (json!(240_001), json!(240_001))
    );
    // Removed: the price it was added at comes off, to the kopeck.
    let o = t
        .call(
            "DELETE",
            &format!("{extras}/urgent"),
            Some(&a.manager),
            None,
        )
        .await
        .ok(200);
    assert_eq!(o["price"], 330_001);
    assert_eq!(o["first_half"], 165_000);
    assert_eq!(o["second_half"], 165_001);
    assert_eq!(
        o["extras"],
        json!([{"code": "slides", "name": "Presentation slides", "price": 80_000}])
    );
    // A retired extra is no longer added.
    t.call("DELETE", "/api/catalogue/extras/urgent", Some(&admin), None)
        .await
        .ok(200);
    t.post(&extras, &a.manager, json!({"code": "urgent"}))
        .await
        .problem(422);

    // The client sees the extras in the order (the table says what the answer said) and
    // in their timeline, and is mailed each change.
    let seen = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200);
    assert_eq!(seen["extras"], o["extras"]);
    assert_eq!(seen["price"], 330_001);
    let history = t
        .get(&format!("/api/orders/{}/history", a.order), &a.client)
        .await
        .ok(200);
    let notes: Vec<(String, String)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["event"].as_str().unwrap().starts_with("Extra"))
        .map(|h| {
            (
                h["event"].as_str().unwrap().to_string(),
                h["note"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        notes,
        vec![
            (
                "ExtraAdded".to_string(),
                "extra added: Urgent delivery, 150001 kopecks; price 400002 kopecks".to_string()
            ),
            (
                "ExtraAdded".to_string(),
                "extra added: Presentation slides, 80000 kopecks; price 480002 kopecks".to_string()
            ),
            (
                "ExtraRemoved".to_string(),
                "extra removed: Urgent delivery, 150001 kopecks; price 330001 kopecks".to_string()
            ),
        ]
    );
    let mails = change_mails(&t, &a, 3).await;
    assert_eq!(
        mails[0]["changes"],
        json!([
            ["extra", "—", "Urgent delivery"],
            ["price", "250001", "400002"]
        ])
    );
    assert_eq!(
        mails[2]["changes"],
        json!([
            ["extra", "Urgent delivery", "—"],
            ["price", "480002", "330001"]
        ])
    );

    // The client pays the new first half; then the extras are fixed.
    t.post(
        &format!("/api/orders/{}/payments", a.order),
        &a.manager,
        json!({"half": "first", "amount": 165_000, "payment_id": "p-1"}),
    )
    .await
    .ok(200);
    let before = t.event_count().await;
    let detail = t
        .post(&extras, &a.manager, json!({"code": "slides"}))
        .await
        .problem(409);
    assert!(detail.contains("first half"), "{detail}");
    let detail = t
        .call(
            "DELETE",
            &format!("{extras}/slides"),
            Some(&a.manager),
            None,
        )
        .await
        .problem(409);
    assert!(detail.contains("first half"), "{detail}");
    assert_eq!(t.event_count().await, before, "nothing appended");
    let o = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200);
    assert_eq!(
        (o["price"].clone(), o["paid"].clone()),
        (json!(330_001), json!(165_000))
    );
    t.workers_caught_up().await;
    replay_verifies(&t);
}

async fn an_extra_before_the_price_is_part_of_the_price_once_it_is_set(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    admin_with_extras(&t).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let o = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = o["id"].as_str().unwrap().to_string();
    t.wait_routed(&id).await;
    let o = t
        .post(
            &format!("/api/orders/{id}/extras"),
            &manager,
            json!({"code": "slides"}),
        )
        .await
        .ok(200);
    assert_eq!(o["price"], Value::Null);
    assert_eq!(o["extras"][0]["price"], 80_000);
    // An hour later the manager prices the work; the extra comes on top.
    t.clock.advance(chrono::Duration::hours(1));
    let o = t
        .put(
            &format!("/api/orders/{id}/price"),
            &manager,
            json!({"price": 100_001, "author_fee": 50_000}),
        )
        .await
        .ok(200);
    assert_eq!(o["price"], 180_001);
    assert_eq!(o["first_half"], 90_000);
    assert_eq!(o["second_half"], 90_001);
    // As it stood in between: the extra, no price yet.
    let (_, auditor) = t.user(Role::Auditor, "Arkady Auditor").await;
    let past = t
        .get(
            &format!("/api/orders/{id}?as_of=2026-03-02T09:30:00Z"),
            &auditor,
        )
        .await
        .ok(200);
    assert_eq!(past["extras"], o["extras"]);
    assert_eq!(past["price"], Value::Null);
    let now = t.get(&format!("/api/orders/{id}"), &auditor).await.ok(200);
    assert_eq!(now["extras"], o["extras"]);
    t.workers_caught_up().await;
    replay_verifies(&t);
}
