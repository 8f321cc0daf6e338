//! Where orders come from: a client on the site, a guest's checkout, a manager taking one
//! by phone (for a client found by email or created on the spot); the table shows and
//! filters the source; a client repeats a finished order. On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use aggregates::Role;
use common::{accepted_order, order_body, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    a_manager_takes_an_order_by_phone_for_a_new_or_a_known_client,
    orders_carry_their_source_and_the_table_filters_by_it,
    a_client_repeats_a_finished_order_and_only_that,
);

fn phone_body(email: &str, name: &str) -> Value {
    let mut body = order_body();
    body["client"] = json!({"email": email, "full_name": name});
    body
}

/// The account mails (credentials, log-in notices) the outbox holds for `recipient`.
async fn mail_kinds(t: &TestApp, recipient: &str, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let rows = t
            .application
            .app
            .db
            .fetch_all(
                "SELECT kind FROM mail_outbox WHERE recipient = $1 \
                 AND kind IN ('credentials', 'login_notice') ORDER BY id",
                &projections::args![recipient],
            )
            .await
            .expect("the outbox");
        let kinds: Vec<String> = rows.iter().map(|r| r.text("kind").unwrap()).collect();
        if kinds.len() >= n {
            return kinds;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} mails to {recipient}");
}

async fn a_manager_takes_an_order_by_phone_for_a_new_or_a_known_client(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (manager_id, manager) = t.manager_on_shift("Maria Manager").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;

    // A new client: created on the spot, the order theirs and routed to the manager.
    let o = t
        .post(
            "/api/orders/by-phone",
            &manager,
            phone_body("caller@example.com", "Petr Caller"),
        )
        .await
        .ok(201);
    assert_eq!(o["source"], "manager");
    assert_eq!(o["manager_id"], manager_id.as_str());
    let client_id = o["client_id"].as_str().expect("the client").to_string();
    let events = t
        .get(
            &format!("/api/orders/{}/events", o["id"].as_str().unwrap()),
            &manager,
        )
        .await
        .ok(200);
    assert_eq!(events[0]["type"], "OrderPlaced");
    assert_eq!(
        events[0]["actor"]["id"],
        manager_id.as_str(),
        "the manager's act"
    );
    assert_eq!(events[0]["data"]["source"], "manager");
    assert_eq!(events[0]["data"]["client_id"], client_id.as_str());
    // Their credentials by mail, as at checkout.
    assert_eq!(
        mail_kinds(&t, "caller@example.com", 1).await[0],
        "credentials"
    );
    let users = t.get("/api/users", &admin).await.ok(200);
    let caller = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "caller@example.com")
        .expect("the new client");
    assert_eq!(caller["role"], "client");
    assert_eq!(caller["id"], client_id.as_str());

    // A known client: found by email, no second account; told to log in.
    let again = t
        .post(
            "/api/orders/by-phone",
            &manager,
            phone_body("CALLER@example.com", "Petr Caller"),
        )
        .await
        .ok(201);
    assert_eq!(again["client_id"], client_id.as_str());
    assert_eq!(
        mail_kinds(&t, "caller@example.com", 2).await,
        vec!["credentials", "login_notice"]
    );

    // An admin takes one too; it goes by the routing rule (to the manager on shift).
    let by_admin = t
        .post(
            "/api/orders/by-phone",
            &admin,
            phone_body("other@example.com", "Olga Other"),
        )
        .await
        .ok(201);
    assert_eq!(by_admin["source"], "manager");
    assert_eq!(
        t.wait_routed(by_admin["id"].as_str().unwrap()).await,
        manager_id
    );

    // Not for clients or authors; bad data and staff emails change nothing.
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, author) = t.user(Role::Author, "Ivan Author").await;
    let before = t.event_count().await;
    for token in [&client, &author] {
        t.post(
            "/api/orders/by-phone",
            token,
            phone_body("x@example.com", "X"),
        )
        .await
        .problem(403);
    }
    t.post(
        "/api/orders/by-phone",
        &manager,
        phone_body("not-an-email", "X"),
    )
    .await
    .problem(422);
    t.post(
        "/api/orders/by-phone",
        &manager,
        phone_body("y@example.com", " "),
    )
    .await
    .problem(422);
    let mut past = phone_body("z@example.com", "Z");
    past["deadline"] = json!("2020-01-01");
    t.post("/api/orders/by-phone", &manager, past)
        .await
        .problem(422);
    let admin_email = t.get("/api/me", &admin).await.ok(200)["email"]
        .as_str()
        .unwrap()
        .to_string();
    t.post(
        "/api/orders/by-phone",
        &manager,
        phone_body(&admin_email, "Ada"),
    )
    .await
    .problem(409);
    let mut no_client = order_body();
    no_client["client"] = Value::Null;
    t.post("/api/orders/by-phone", &manager, no_client)
        .await
        .problem(400);
    t.call(
        "POST",
        "/api/orders/by-phone",
        None,
        Some(phone_body("a@example.com", "A")),
    )
    .await
    .problem(401);
    assert_eq!(t.event_count().await, before, "nothing appended");
    t.workers_caught_up().await;
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn orders_carry_their_source_and_the_table_filters_by_it(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let site = t.post("/api/orders", &client, order_body()).await.ok(201);
    assert_eq!(site["source"], "site");
    let mut guest = order_body();
    guest["contact"] = json!({"email": "guest@example.com", "full_name": "Gleb Guest"});
    let guest = t
        .call("POST", "/api/orders", None, Some(guest))
        .await
        .ok(201);
    assert_eq!(guest["source"], "guest_checkout");
    let phone = t
        .post(
            "/api/orders/by-phone",
            &manager,
            phone_body("caller@example.com", "Petr Caller"),
        )
        .await
        .ok(201);
    for (source, order) in [
        ("site", &site),
        ("guest_checkout", &guest),
        ("manager", &phone),
    ] {
        let page = t
            .get(&format!("/api/orders?source={source}"), &manager)
            .await
            .ok(200);
        assert_eq!(page["total"], 1, "{source}: {page}");
        assert_eq!(page["items"][0]["id"], order["id"]);
        assert_eq!(page["items"][0]["source"], source);
    }
    assert_eq!(t.get("/api/orders", &manager).await.ok(200)["total"], 3);
    t.get("/api/orders?source=fax", &manager).await.problem(422);
    // A client's own list is scoped as ever.
    assert_eq!(
        t.get("/api/orders?source=guest_checkout", &client)
            .await
            .ok(200)["total"],
        0
    );
}

async fn a_client_repeats_a_finished_order_and_only_that(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let repeat = format!("/api/orders/{}/repeat", a.order);
    // Not finished yet: 409, nothing placed.
    let before = t.event_count().await;
    t.post(&repeat, &a.client, json!({"deadline": "2026-06-01"}))
        .await
        .problem(409);
    assert_eq!(t.event_count().await, before);
    common::delivered_and_completed(&t, &a, json!({"rating": 5, "review": "Good"})).await;

    // Another client, the author, a manager: not theirs to repeat.
    let (_, other) = t.user(Role::Client, "Olga Other").await;
    t.post(&repeat, &other, json!({"deadline": "2026-06-01"}))
        .await
        .problem(404);
    t.post(&repeat, &a.author, json!({"deadline": "2026-06-01"}))
        .await
        .problem(403);
    t.post(&repeat, &a.client, json!({"deadline": "2020-01-01"}))
        .await
        .problem(422);
    t.post(&repeat, &a.client, json!({})).await.problem(400);

    let first = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200);
    let second = t
        .post(&repeat, &a.client, json!({"deadline": "2026-06-01"}))
        .await
        .ok(201);
    assert_ne!(second["id"], first["id"]);
    assert_eq!(second["status"], "new");
    assert_eq!(second["repeats"], a.order.as_str());
    assert_eq!(second["deadline"], "2026-06-01");
    assert_eq!(second["number"], first["number"].as_i64().unwrap() + 1);
    for field in ["work_type", "subject", "topic", "pages", "requirements"] {
        assert_eq!(second[field], first[field], "{field}");
    }
    assert_eq!(second["source"], "site");
    assert_eq!(second["price"], Value::Null, "priced again by its manager");
    assert_eq!(first["repeats"], Value::Null);
    t.workers_caught_up().await;
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}
