//! Corporate clients (issue 16): a client's account may be a company's (name, tax id,
//! contact person), at sign-up or later; the orders placed from then on are companies',
//! filterable in the table; the reports split revenue and the average check between
//! individuals and companies. On SQLite and PostgreSQL.

mod common;

use aggregates::Role;
use common::{delivered_and_completed, order_body, Accepted, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    a_company_signs_up_with_its_details_and_bad_details_create_nobody,
    who_may_make_an_account_a_companys,
    a_companys_orders_say_so_from_then_on_and_filter,
    the_reports_split_revenue_and_the_average_check,
);

fn acme() -> Value {
    json!({"name": "Acme LLC", "tax_id": "7707083893", "contact_person": "Ivan Petrov"})
}

async fn user_count(t: &TestApp) -> i64 {
    t.application
        .app
        .db
        .fetch_one("SELECT COUNT(*) AS n FROM credentials", &[])
        .await
        .expect("count")
        .int("n")
        .expect("n")
}

async fn a_company_signs_up_with_its_details_and_bad_details_create_nobody(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let reg = |email: &str, company: Value| json!({"email": email, "password": "correct horse battery", "full_name": "Ivan Petrov", "company": company});
    let u = t
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(reg("buyer@acme.example", acme())),
        )
        .await
        .ok(201);
    assert_eq!(u["company"], acme());
    // An individual's sign-up says so.
    let i = t
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"email": "anna@example.com", "password": "correct horse battery", "full_name": "Anna"})),
        )
        .await
        .ok(201);
    assert_eq!(i["company"], Value::Null);

    let before = user_count(&t).await;
    let events = t.event_count().await;
    for (email, company) in [
        (
            "a@x.example",
            json!({"name": "Acme", "tax_id": "7707083894", "contact_person": "Ivan"}),
        ),
        (
            "b@x.example",
            json!({"name": "Acme", "tax_id": "12345", "contact_person": "Ivan"}),
        ),
        (
            "c@x.example",
            json!({"name": "  ", "tax_id": "7707083893", "contact_person": "Ivan"}),
        ),
        (
            "d@x.example",
            json!({"name": "Acme", "tax_id": "7707083893", "contact_person": ""}),
        ),
    ] {
        let detail = t
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(reg(email, company)),
            )
            .await
            .problem(422);
        assert!(
            detail.contains("tax id") || detail.contains("company"),
            "{detail}"
        );
    }
    // A company without its fields is unreadable.
    t.call(
        "POST",
        "/api/auth/register",
        None,
        Some(reg("e@x.example", json!({"name": "Acme"}))),
    )
    .await
    .problem(400);
    assert_eq!(user_count(&t).await, before, "no account was created");
    assert_eq!(t.event_count().await, events, "nothing was appended");
    let token = t.login("buyer@acme.example", "correct horse battery").await;
    let me = t.get("/api/me", &token).await.ok(200);
    assert_eq!(me["company"]["tax_id"], "7707083893");
}

async fn who_may_make_an_account_a_companys(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let (other_id, _) = t.user(Role::Client, "Boris Client").await;
    let (manager_id, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, author) = t.user(Role::Author, "Ivan Author").await;
    let (_, clerk) = t.user(Role::PayoutClerk, "Pavel Clerk").await;
    let (_, auditor) = t.user(Role::Auditor, "Olga Auditor").await;
    let path = |id: &str| format!("/api/users/{id}/company");

    // The client for themselves.
    let me = t.put(&path(&client_id), &client, acme()).await.ok(200);
    assert_eq!(me["company"], acme());
    // Not for someone else, and the other roles not at all (before the body is read).
    t.put(&path(&other_id), &client, acme()).await.problem(404);
    for token in [&author, &clerk, &auditor] {
        t.put(&path(&other_id), token, acme()).await.problem(403);
        t.put(&path(&other_id), token, json!("not a company"))
            .await
            .problem(403);
    }
    // A manager or an admin for any client.
    let events = t.event_count().await;
    let changed = json!({"name": "Beta JSC", "tax_id": "500100732259", "contact_person": "Boris"});
    let b = t
        .put(&path(&other_id), &manager, changed.clone())
        .await
        .ok(200);
    assert_eq!(b["company"], changed);
    assert_eq!(t.event_count().await, events + 1);
    // The same details again: nothing appended.
    t.put(&path(&other_id), &admin, changed.clone())
        .await
        .ok(200);
    assert_eq!(t.event_count().await, events + 1);
    // Staff are never companies; unknown users are not found; bad details change nothing.
    t.put(&path(&manager_id), &admin, acme()).await.problem(409);
    t.put(&path(&uuid::Uuid::new_v4().to_string()), &admin, acme())
        .await
        .problem(404);
    let bad = json!({"name": "Beta JSC", "tax_id": "500100732250", "contact_person": "Boris"});
    t.put(&path(&other_id), &admin, bad).await.problem(422);
    assert_eq!(t.event_count().await, events + 1);

    // An individual again.
    let i = t
        .call("DELETE", &path(&other_id), Some(&admin), None)
        .await
        .ok(200);
    assert_eq!(i["company"], Value::Null);
    let users = t.get("/api/users", &admin).await.ok(200);
    let row = |id: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&client_id)["company"], acme());
    assert_eq!(row(&other_id)["company"], Value::Null);
    t.call("DELETE", &path(&client_id), Some(&author), None)
        .await
        .problem(403);

    // The history says who did what.
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

/// An order of `client` (id `client_id`), priced at 250 001 with a fee of 100 000, offered
/// to and accepted by a fresh author, with the manager it was routed to.
async fn accepted_for(
    t: &TestApp,
    client_id: &str,
    client: &str,
    managers: &[(String, String)],
) -> Accepted {
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;
    let order = t.post("/api/orders", client, order_body()).await.ok(201);
    let id = order["id"].as_str().unwrap().to_string();
    let routed = t.wait_routed(&id).await;
    let (manager_id, manager) = managers
        .iter()
        .find(|(m, _)| *m == routed)
        .cloned()
        .expect("routed to one of the test's managers");
    t.put(
        &format!("/api/orders/{id}/price"),
        &manager,
        json!({"price": 250001, "author_fee": 100000}),
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
    Accepted {
        client: client.to_string(),
        client_id: client_id.to_string(),
        manager,
        manager_id,
        author,
        author_id,
        order: id,
    }
}

async fn a_companys_orders_say_so_from_then_on_and_filter(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let before = t.post("/api/orders", &client, order_body()).await.ok(201);
    assert_eq!(before["corporate"], false);
    t.put(&format!("/api/users/{client_id}/company"), &admin, acme())
        .await
        .ok(200);
    let after = t.post("/api/orders", &client, order_body()).await.ok(201);
    assert_eq!(after["corporate"], true);
    // The first order stays an individual's: it was placed so.
    let first = t
        .get(
            &format!("/api/orders/{}", before["id"].as_str().unwrap()),
            &client,
        )
        .await
        .ok(200);
    assert_eq!(first["corporate"], false);

    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    };
    let companies = t.get("/api/orders?corporate=true", &admin).await.ok(200);
    assert_eq!(ids(&companies), vec![after["id"].as_str().unwrap()]);
    assert_eq!(companies["total"], 1);
    let people = t.get("/api/orders?corporate=false", &admin).await.ok(200);
    assert_eq!(ids(&people), vec![before["id"].as_str().unwrap()]);
    let detail = t
        .get("/api/orders?corporate=maybe", &admin)
        .await
        .problem(422);
    assert!(detail.contains("corporate"), "{detail}");

    // A rebuilt table says the same.
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let again = t.get("/api/orders?corporate=true", &admin).await.ok(200);
    assert_eq!(again["total"], 1);
}

async fn the_reports_split_revenue_and_the_average_check(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, auditor) = t.user(Role::Auditor, "Olga Auditor").await;
    let managers = vec![t.manager_on_shift("Maria Manager").await];
    let (company_id, company) = t.user(Role::Client, "Ivan Buyer").await;
    t.put(
        &format!("/api/users/{company_id}/company"),
        &company,
        acme(),
    )
    .await
    .ok(200);
    let (person_id, person) = t.user(Role::Client, "Anna Client").await;

    // A company's order completed (250 001), another paid in its first half; an
    // individual's order completed.
    let c1 = accepted_for(&t, &company_id, &company, &managers).await;
    delivered_and_completed(&t, &c1, json!({"rating": 5})).await;
    let c2 = accepted_for(&t, &company_id, &company, &managers).await;
    t.post(
        &format!("/api/orders/{}/payments", c2.order),
        &c2.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "c2-first"}),
    )
    .await
    .ok(200);
    let p1 = accepted_for(&t, &person_id, &person, &managers).await;
    delivered_and_completed(&t, &p1, json!({"rating": 4})).await;

    let s = t.get("/api/reports/summary", &auditor).await.ok(200);
    let k = &s["by_client_kind"];
    assert_eq!(k["corporate"]["payments"], 250_001 + 125_000);
    assert_eq!(k["corporate"]["revenue"], 375_001);
    assert_eq!(k["corporate"]["orders_completed"], 1);
    assert_eq!(k["corporate"]["average_check"], 250_001);
    assert_eq!(k["individual"]["revenue"], 250_001);
    assert_eq!(k["individual"]["orders_completed"], 1);
    assert_eq!(k["individual"]["average_check"], 250_001);
    assert_eq!(
        k["corporate"]["revenue"].as_i64().unwrap() + k["individual"]["revenue"].as_i64().unwrap(),
        s["revenue"].as_i64().unwrap()
    );
    let today = t.clock.now().date_naive().to_string();
    let days = t
        .get(
            &format!("/api/reports/daily?from={today}&to={today}"),
            &auditor,
        )
        .await
        .ok(200);
    assert_eq!(days[0]["by_client_kind"], s["by_client_kind"]);

    // A rebuilt report says the same.
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let again = t.get("/api/reports/summary", &auditor).await.ok(200);
    assert_eq!(again["by_client_kind"], s["by_client_kind"]);
}
