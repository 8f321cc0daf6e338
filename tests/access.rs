//! Who may see and do what: role scoping, 403 for a role that may not act, 404 for an
//! order that is not the caller's to see. On SQLite and on Postgres.

mod common;

use aggregates::Role;
use common::{order_body, Backend, TestApp};
use serde_json::{json, Value};

on_both!(
    a_client_sees_only_their_own_orders_and_gets_404_for_anyone_elses,
    an_author_sees_only_orders_offered_to_them,
    a_declined_author_is_not_offered_the_order_again_but_another_author_can_take_it,
    each_role_gets_403_for_actions_outside_its_role,
    an_order_routed_to_one_manager_is_hidden_from_another_but_not_from_the_admin,
    a_blocked_user_is_shut_out_at_once_until_unblocked,
    only_an_admin_creates_staff_accounts,
    a_client_reads_the_history_of_their_order_without_the_author_fee,
    the_system_chooses_an_author_when_the_manager_names_none,
    the_order_list_filters_searches_and_sorts_exactly,
);

/// Places an order with this topic; returns its id.
async fn place(t: &TestApp, client: &str, topic: &str) -> String {
    let mut body = order_body();
    body["topic"] = json!(topic);
    let o = t.post("/api/orders", client, body).await.ok(201);
    o["id"].as_str().unwrap().to_string()
}

async fn price(t: &TestApp, manager: &str, id: &str) {
    t.put(
        &format!("/api/orders/{id}/price"),
        manager,
        json!({"price": 250001, "author_fee": 100000}),
    )
    .await
    .ok(200);
}

async fn offer(t: &TestApp, manager: &str, id: &str, author_id: &str) {
    t.post(
        &format!("/api/orders/{id}/offer"),
        manager,
        json!({"author_id": author_id}),
    )
    .await
    .ok(200);
}

async fn accept(t: &TestApp, author: &str, id: &str) {
    let o = t
        .post(&format!("/api/orders/{id}/offer/accept"), author, json!({}))
        .await
        .ok(200);
    assert_eq!(o["status"], "awaiting_prepayment");
}

async fn decline(t: &TestApp, author: &str, id: &str) {
    let o = t
        .post(
            &format!("/api/orders/{id}/offer/decline"),
            author,
            json!({"reason": "busy"}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "new");
}

/// The ids of a list page, in order, after checking that `total` is `total`.
#[track_caller]
fn ids(page: &Value, total: i64) -> Vec<String> {
    assert_eq!(page["total"], total, "{page}");
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

/// The numbers of a list page, in order, after checking that `total` matches them all.
#[track_caller]
fn numbers(page: &Value) -> Vec<i64> {
    let items = page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"));
    assert_eq!(page["total"], items.len() as i64, "{page}");
    items
        .iter()
        .map(|o| o["number"].as_i64().unwrap())
        .collect()
}

/// The numbers of the orders `token` sees with this query string.
async fn numbers_of(t: &TestApp, token: &str, query: String) -> Vec<i64> {
    numbers(&t.get(&format!("/api/orders?{query}"), token).await.ok(200))
}

/// Percent-encodes a query value (UTF-8).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether any object anywhere in `v` has the key `key`.
fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(key) || m.values().any(|x| has_key(x, key)),
        Value::Array(a) => a.iter().any(|x| has_key(x, key)),
        _ => false,
    }
}

async fn a_client_sees_only_their_own_orders_and_gets_404_for_anyone_elses(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, anna) = t.user(Role::Client, "Anna Client").await;
    let (_, boris) = t.user(Role::Client, "Boris Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;
    let a1 = place(&t, &anna, "Anna's first").await;
    let a2 = place(&t, &anna, "Anna's second").await;
    let b1 = place(&t, &boris, "Boris's only").await;

    // Anna's first order gets an approved draft she may download.
    price(&t, &manager, &a1).await;
    offer(&t, &manager, &a1, &author_id).await;
    accept(&t, &author, &a1).await;
    t.post(
        &format!("/api/orders/{a1}/payments"),
        &manager,
        json!({"half": "first", "amount": 125000, "payment_id": "p1"}),
    )
    .await
    .ok(200);
    let o = t
        .upload(
            &format!("/api/orders/{a1}/draft"),
            &author,
            "draft.pdf",
            b"%PDF draft",
        )
        .await
        .ok(200);
    let file = o["files"][0]["id"].as_str().unwrap().to_string();
    let approved = t
        .post(
            &format!("/api/orders/{a1}/draft/approve"),
            &manager,
            json!({}),
        )
        .await
        .ok(200);

    // Anna reaches all of it: her order, its events, its history and the draft itself.
    let paths = [
        format!("/api/orders/{a1}"),
        format!("/api/orders/{a1}/events"),
        format!("/api/orders/{a1}/history"),
        format!("/api/orders/{a1}/files/{file}"),
    ];
    let order = t.get(&paths[0], &anna).await.ok(200);
    assert_eq!(order["id"], a1.as_str(), "{order}");
    assert_eq!(order["topic"], "Anna's first", "{order}");
    assert_eq!(order["status"], approved["status"], "{order}");
    assert_eq!(order["paid"], 125000, "{order}");
    let files: Vec<&Value> = order["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert_eq!(files, [file.as_str()], "{order}");
    let steps = |events: &Value| -> Vec<(i64, String)> {
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["sequence"].as_i64().unwrap(),
                    e["type"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let events = t.get(&paths[1], &anna).await.ok(200);
    let staff_events = t.get(&paths[1], &manager).await.ok(200);
    assert_eq!(steps(&events), steps(&staff_events), "the whole log of it");
    let types: Vec<String> = steps(&events).into_iter().map(|(_, t)| t).collect();
    assert_eq!(types.first().map(String::as_str), Some("OrderPlaced"));
    assert_eq!(types.last().map(String::as_str), Some("DraftApproved"));
    let history = t.get(&paths[2], &anna).await.ok(200);
    let history = history.as_array().unwrap();
    // One entry per change a client may see, in order.
    let told: Vec<&str> = history
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    let visible: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| !matches!(*t, "RoutedToManager" | "OfferDeclined" | "OfferExpired"))
        .collect();
    assert_eq!(told, visible, "{history:?}");
    assert_eq!(
        history.last().map(|h| &h["status"]),
        Some(&order["status"]),
        "{history:?}"
    );
    let file_bytes = t.get(&paths[3], &anna).await;
    assert_eq!(file_bytes.status, 200);
    assert_eq!(file_bytes.bytes, b"%PDF draft");
    // Boris gets exactly what an unknown order gets: 404, never 403.
    let unknown = uuid::Uuid::new_v4();
    let not_found = t
        .get(&format!("/api/orders/{unknown}"), &boris)
        .await
        .problem(404);
    for path in &paths {
        let detail = t.get(path, &boris).await.problem(404);
        assert_eq!(detail, not_found, "{path}");
    }
    // Nor can he act on Anna's order.
    let before = t.event_count().await;
    t.post(
        &format!("/api/orders/{a2}/cancel"),
        &boris,
        json!({"reason": "not mine"}),
    )
    .await
    .problem(404);
    assert_eq!(t.event_count().await, before);
    assert_eq!(
        t.get(&format!("/api/orders/{a2}"), &anna).await.ok(200)["status"],
        "new"
    );

    // Each lists only their own.
    let mut mine = ids(&t.get("/api/orders", &anna).await.ok(200), 2);
    mine.sort();
    let mut expected = vec![a1.clone(), a2.clone()];
    expected.sort();
    assert_eq!(mine, expected);
    assert_eq!(ids(&t.get("/api/orders", &boris).await.ok(200), 1), [b1]);
}

async fn an_author_sees_only_orders_offered_to_them(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (ivan_id, ivan) = t.user(Role::Author, "Ivan Petrov").await;
    let (_, pavel) = t.user(Role::Author, "Pavel Sidorov").await;
    let o1 = place(&t, &client, "Offered to Ivan").await;
    let o2 = place(&t, &client, "Offered to nobody").await;
    price(&t, &manager, &o1).await;
    price(&t, &manager, &o2).await;

    // Before any offer an author sees nothing.
    ids(&t.get("/api/orders", &ivan).await.ok(200), 0);
    t.get(&format!("/api/orders/{o1}"), &ivan)
        .await
        .problem(404);

    offer(&t, &manager, &o1, &ivan_id).await;
    assert_eq!(
        ids(&t.get("/api/orders", &ivan).await.ok(200), 1),
        [o1.as_str()]
    );
    assert_eq!(
        t.get(&format!("/api/orders/{o1}"), &ivan).await.ok(200)["status"],
        "offered"
    );
    t.get(&format!("/api/orders/{o2}"), &ivan)
        .await
        .problem(404);
    t.get(&format!("/api/orders/{o2}/events"), &ivan)
        .await
        .problem(404);

    // Pavel was never offered it: 404 for reading, accepting and declining.
    let before = t.event_count().await;
    ids(&t.get("/api/orders", &pavel).await.ok(200), 0);
    t.get(&format!("/api/orders/{o1}"), &pavel)
        .await
        .problem(404);
    t.post(&format!("/api/orders/{o1}/offer/accept"), &pavel, json!({}))
        .await
        .problem(404);
    t.post(
        &format!("/api/orders/{o1}/offer/decline"),
        &pavel,
        json!({"reason": "not mine"}),
    )
    .await
    .problem(404);
    assert_eq!(t.event_count().await, before);
    assert_eq!(
        t.get(&format!("/api/orders/{o1}"), &ivan).await.ok(200)["offered_to"],
        ivan_id.as_str()
    );

    // Declined: gone from Ivan's list, still readable since it was offered to him.
    decline(&t, &ivan, &o1).await;
    ids(&t.get("/api/orders", &ivan).await.ok(200), 0);
    let seen = t.get(&format!("/api/orders/{o1}"), &ivan).await.ok(200);
    assert_eq!(seen["status"], "new");
    assert!(seen["author_id"].is_null());
}

async fn a_declined_author_is_not_offered_the_order_again_but_another_author_can_take_it(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (ivan_id, ivan) = t.user(Role::Author, "Ivan Petrov").await;
    let (pavel_id, pavel) = t.user(Role::Author, "Pavel Sidorov").await;
    let id = place(&t, &client, "A topic").await;
    price(&t, &manager, &id).await;
    offer(&t, &manager, &id, &ivan_id).await;
    decline(&t, &ivan, &id).await;

    let before = t.event_count().await;
    let detail = t
        .post(
            &format!("/api/orders/{id}/offer"),
            &manager,
            json!({"author_id": ivan_id}),
        )
        .await
        .problem(409);
    assert!(detail.contains("declined"), "{detail}");
    assert_eq!(t.event_count().await, before);

    offer(&t, &manager, &id, &pavel_id).await;
    // Ivan cannot take the offer made to Pavel.
    let before = t.event_count().await;
    t.post(&format!("/api/orders/{id}/offer/accept"), &ivan, json!({}))
        .await
        .problem(409);
    assert_eq!(t.event_count().await, before);
    accept(&t, &pavel, &id).await;
    let o = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(o["status"], "awaiting_prepayment");
    assert_eq!(o["author_id"], pavel_id.as_str());
    assert_eq!(o["author_name"], "Pavel Sidorov");
}

async fn each_role_gets_403_for_actions_outside_its_role(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;
    let id = place(&t, &client, "A topic").await;
    price(&t, &manager, &id).await;
    offer(&t, &manager, &id, &author_id).await;
    accept(&t, &author, &id).await;
    let before = (
        t.event_count().await,
        t.get(&format!("/api/orders/{id}"), &manager).await.ok(200),
    );

    // Placing is for clients.
    t.post("/api/orders", &manager, order_body())
        .await
        .problem(403);
    t.post("/api/orders", &author, order_body())
        .await
        .problem(403);
    // Pricing is for managers.
    t.put(
        &format!("/api/orders/{id}/price"),
        &client,
        json!({"price": 1000, "author_fee": 500}),
    )
    .await
    .problem(403);
    t.put(
        &format!("/api/orders/{id}/price"),
        &author,
        json!({"price": 1000, "author_fee": 500}),
    )
    .await
    .problem(403);
    // Payments are taken by managers and payout clerks.
    let payment = json!({"half": "first", "amount": 125000, "payment_id": "p1"});
    t.post(
        &format!("/api/orders/{id}/payments"),
        &author,
        payment.clone(),
    )
    .await
    .problem(403);
    t.post(&format!("/api/orders/{id}/payments"), &client, payment)
        .await
        .problem(403);
    // Offers are made by managers.
    t.post(
        &format!("/api/orders/{id}/offer"),
        &client,
        json!({"author_id": author_id}),
    )
    .await
    .problem(403);
    // Payouts are the payout clerk's; the settings the admin's.
    for token in [&client, &author, &manager] {
        t.post(
            "/api/payouts",
            token,
            json!({"author_id": author_id, "amount": 1, "reference": "R-1"}),
        )
        .await
        .problem(403);
        t.put("/api/settings", token, json!({"payout_threshold": 1}))
            .await
            .problem(403);
    }
    t.get("/api/payouts/due", &manager).await.problem(403);
    t.get(&format!("/api/authors/{author_id}/ledger"), &client)
        .await
        .problem(403);

    let after = (
        t.event_count().await,
        t.get(&format!("/api/orders/{id}"), &manager).await.ok(200),
    );
    assert_eq!(after, before);
    assert_eq!(
        ids(&t.get("/api/orders", &client).await.ok(200), 1),
        [id.as_str()]
    );
}

async fn an_order_routed_to_one_manager_is_hidden_from_another_but_not_from_the_admin(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (maria_id, maria) = t.manager_on_shift("Maria Manager").await;
    let (oleg_id, oleg) = t.user(Role::Manager, "Oleg Manager").await;
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let (author_id, _) = t.user(Role::Author, "Ivan Petrov").await;
    let claimed = place(&t, &client, "Routed to Maria").await;
    assert_eq!(t.wait_routed(&claimed).await, maria_id);
    // Oleg goes on shift with no orders: the next one is his.
    t.post("/api/shifts/start", &oleg, json!({})).await.ok(200);
    let unclaimed = place(&t, &client, "Routed to Oleg").await;
    assert_eq!(t.wait_routed(&unclaimed).await, oleg_id);
    price(&t, &maria, &claimed).await;

    let before = t.event_count().await;
    t.get(&format!("/api/orders/{claimed}"), &oleg)
        .await
        .problem(404);
    t.get(&format!("/api/orders/{claimed}/events"), &oleg)
        .await
        .problem(404);
    t.put(
        &format!("/api/orders/{claimed}/price"),
        &oleg,
        json!({"price": 1000, "author_fee": 500}),
    )
    .await
    .problem(404);
    t.post(
        &format!("/api/orders/{claimed}/offer"),
        &oleg,
        json!({"author_id": author_id}),
    )
    .await
    .problem(404);
    assert_eq!(t.event_count().await, before);
    assert_eq!(
        ids(&t.get("/api/orders", &oleg).await.ok(200), 1),
        [unclaimed.as_str()]
    );

    assert_eq!(
        ids(&t.get("/api/orders?sort=number", &maria).await.ok(200), 1),
        [claimed.as_str()]
    );
    assert_eq!(
        ids(&t.get("/api/orders?sort=number", &admin).await.ok(200), 2),
        [claimed.as_str(), unclaimed.as_str()]
    );
    let o = t
        .get(&format!("/api/orders/{claimed}"), &admin)
        .await
        .ok(200);
    assert_eq!(o["manager_id"], maria_id.as_str());
    assert_eq!(o["price"], 250001);
}

async fn a_blocked_user_is_shut_out_at_once_until_unblocked(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (admin_id, admin) = t.user(Role::Admin, "Alla Admin").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let me = t.get("/api/me", &client).await.ok(200);
    let email = me["email"].as_str().unwrap().to_string();
    let password = "correct horse battery";

    // Only an admin blocks.
    let before = t.event_count().await;
    t.post(
        &format!("/api/users/{client_id}/block"),
        &manager,
        json!({"reason": "spam"}),
    )
    .await
    .problem(403);
    t.post(&format!("/api/users/{client_id}/block"), &client, json!({}))
        .await
        .problem(403);
    assert_eq!(t.event_count().await, before);
    t.get("/api/me", &client).await.ok(200);

    // An admin cannot block themselves.
    t.post(&format!("/api/users/{admin_id}/block"), &admin, json!({}))
        .await
        .problem(409);
    assert_eq!(t.event_count().await, before);
    t.get("/api/me", &admin).await.ok(200);

    // Blocked: the existing token stops working at once, and so does logging in.
    let u = t
        .post(
            &format!("/api/users/{client_id}/block"),
            &admin,
            json!({"reason": "spam"}),
        )
        .await
        .ok(200);
    assert_eq!(u["blocked"], true);
    t.get("/api/me", &client).await.problem(403);
    t.get("/api/orders", &client).await.problem(403);
    t.post("/api/orders", &client, order_body())
        .await
        .problem(403);
    let blocked_events = t.event_count().await;
    t.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
    .problem(403);
    assert_eq!(t.event_count().await, blocked_events);

    // Unblocked: the old token and a fresh login both work.
    let u = t
        .post(
            &format!("/api/users/{client_id}/unblock"),
            &admin,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(u["blocked"], false);
    assert_eq!(t.get("/api/me", &client).await.ok(200)["id"], client_id);
    let fresh = t.login(&email, password).await;
    assert_eq!(t.get("/api/me", &fresh).await.ok(200)["id"], client_id);
    t.post("/api/orders", &client, order_body()).await.ok(201);
}

async fn only_an_admin_creates_staff_accounts(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let staff = |email: &str, role: &str| json!({"email": email, "full_name": "Boris Manager", "role": role, "password": "long enough password"});

    let before = t.event_count().await;
    let detail = t
        .post("/api/users", &admin, staff("boris@example.com", "overlord"))
        .await
        .problem(422);
    assert!(detail.contains("role"), "{detail}");
    t.post("/api/users", &client, staff("boris@example.com", "manager"))
        .await
        .problem(403);
    t.post("/api/users", &manager, staff("boris@example.com", "admin"))
        .await
        .problem(403);
    assert_eq!(t.event_count().await, before);
    t.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": "boris@example.com", "password": "long enough password"})),
    )
    .await
    .problem(401);

    let u = t
        .post("/api/users", &admin, staff("Boris@Example.com", "manager"))
        .await
        .ok(201);
    assert_eq!(u["role"], "manager");
    assert_eq!(u["email"], "boris@example.com");
    assert_eq!(u["full_name"], "Boris Manager");
    assert_eq!(t.event_count().await, before + 1);
    let boris = t.login("boris@example.com", "long enough password").await;
    let me = t.get("/api/me", &boris).await.ok(200);
    assert_eq!(me["id"], u["id"]);
    assert_eq!(me["role"], "manager");
    // A manager indeed: sees the order table, may not place orders.
    t.get("/api/orders", &boris).await.ok(200);
    t.post("/api/orders", &boris, order_body())
        .await
        .problem(403);
}

async fn a_client_reads_the_history_of_their_order_without_the_author_fee(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;
    let id = place(&t, &client, "A topic").await;
    price(&t, &manager, &id).await;
    offer(&t, &manager, &id, &author_id).await;
    accept(&t, &author, &id).await;

    let events = t
        .get(&format!("/api/orders/{id}/events"), &client)
        .await
        .ok(200);
    let types: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "OrderPlaced",
            "RoutedToManager",
            "PriceSet",
            "AuthorOffered",
            "OfferAccepted"
        ]
    );
    assert_eq!(events[0]["actor"]["id"], client_id.as_str());
    assert_eq!(events[2]["data"]["price"], 250001);
    for e in events.as_array().unwrap() {
        assert!(
            !has_key(&e["data"], "author_fee"),
            "the client sees the author's fee: {e}"
        );
    }
    // The same history as the manager reads it does carry the fee.
    let staff_view = t
        .get(&format!("/api/orders/{id}/events"), &manager)
        .await
        .ok(200);
    assert_eq!(staff_view[2]["data"]["author_fee"], 100000);
    // Nor does the fee show in the client's order or list.
    let o = t.get(&format!("/api/orders/{id}"), &client).await.ok(200);
    assert!(!has_key(&o, "author_fee"), "{o}");
    let list = t.get("/api/orders", &client).await.ok(200);
    assert!(!has_key(&list, "author_fee"), "{list}");
}

async fn the_system_chooses_an_author_when_the_manager_names_none(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (ivan_id, ivan) = t.user(Role::Author, "Ivan Petrov").await;
    let (pavel_id, pavel) = t.user(Role::Author, "Pavel Sidorov").await;
    let id = place(&t, &client, "A topic").await;
    price(&t, &manager, &id).await;
    let path = format!("/api/orders/{id}/offer");
    let token_of = |author: &str| if author == ivan_id { &ivan } else { &pavel };

    let first = t.post(&path, &manager, json!({})).await.ok(200);
    let chosen = first["author_id"].as_str().unwrap().to_string();
    assert!(
        chosen == ivan_id || chosen == pavel_id,
        "{chosen} is not an author"
    );
    assert!(first["expires_at"].is_string());
    let o = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(o["status"], "offered");
    assert_eq!(o["offered_to"], chosen.as_str());
    decline(&t, token_of(&chosen), &id).await;

    // The one who declined is not chosen again.
    let second = t.post(&path, &manager, json!({})).await.ok(200);
    let other = second["author_id"].as_str().unwrap().to_string();
    assert_ne!(other, chosen);
    assert!(other == ivan_id || other == pavel_id, "{other}");
    decline(&t, token_of(&other), &id).await;

    // Everybody declined: nobody is eligible.
    let before = t.event_count().await;
    t.post(&path, &manager, json!({})).await.problem(409);
    assert_eq!(t.event_count().await, before);
    let o = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(o["status"], "new");
    assert!(o["offered_to"].is_null());
}

async fn the_order_list_filters_searches_and_sorts_exactly(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, other_client) = t.user(Role::Client, "Boris Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let (ivan_id, ivan) = t.user(Role::Author, "Ivan Petrov").await;
    let (pavel_id, pavel) = t.user(Role::Author, "Pavel Sidorov").await;
    // Numbers 1 to 4.
    let o1 = place(&t, &client, "История Новгорода").await;
    let o2 = place(&t, &client, "The Novgorod Republic and its trade").await;
    place(&t, &client, "Quantum mechanics for beginners").await;
    place(&t, &other_client, "Медицина в Древней Руси").await;
    // 1: accepted by Ivan; 2: accepted by Pavel and in progress; 3, 4: new.
    for (id, author_id, author) in [(&o1, &ivan_id, &ivan), (&o2, &pavel_id, &pavel)] {
        price(&t, &manager, id).await;
        offer(&t, &manager, id, author_id).await;
        accept(&t, author, id).await;
    }
    t.post(
        &format!("/api/orders/{o2}/payments"),
        &manager,
        json!({"half": "first", "amount": 125000, "payment_id": "p2"}),
    )
    .await
    .ok(200);

    let list = |query: String| numbers_of(&t, &admin, query);
    let empty: [i64; 0] = [];

    // Status.
    assert_eq!(list("status=new".into()).await, [3, 4]);
    assert_eq!(list("status=awaiting_prepayment".into()).await, [1]);
    assert_eq!(list("status=in_progress".into()).await, [2]);
    assert_eq!(list("status=completed".into()).await, empty);

    // Topic text, case-insensitive, Cyrillic included.
    let cases: [(&str, Vec<i64>); 8] = [
        ("новгород", vec![1]),
        ("НОВГОРОД", vec![1]),
        ("История", vec![1]),
        ("novgorod", vec![2]),
        ("NOVGOROD", vec![2]),
        ("quantum", vec![3]),
        ("руси", vec![4]),
        ("no such topic", vec![]),
    ];
    for (q, expected) in cases {
        assert_eq!(list(format!("q={}", encode(q))).await, expected, "q={q}");
    }
    // A number.
    assert_eq!(list("q=3".into()).await, [3]);
    assert_eq!(list("q=2".into()).await, [2]);
    assert_eq!(list("q=99".into()).await, empty);

    // Sorting.
    assert_eq!(list("sort=-number".into()).await, [4, 3, 2, 1]);
    assert_eq!(list("sort=number".into()).await, [1, 2, 3, 4]);
    assert_eq!(list(String::new()).await, [1, 2, 3, 4]);

    // The author.
    assert_eq!(list(format!("author_id={ivan_id}")).await, [1]);
    assert_eq!(list(format!("author_id={pavel_id}")).await, [2]);
    assert_eq!(
        list(format!("author_id={}", uuid::Uuid::new_v4())).await,
        empty
    );

    // Combined.
    assert_eq!(list("status=new&sort=-number".into()).await, [4, 3]);
    assert_eq!(
        list(format!("q={}&sort=-number", encode("o"))).await,
        [3, 2]
    );
    assert_eq!(
        list(format!("status=awaiting_prepayment&author_id={pavel_id}")).await,
        empty
    );

    // The same filters within a caller's scope.
    let page = t
        .get(&format!("/api/orders?q={}", encode("новгород")), &client)
        .await
        .ok(200);
    assert_eq!(ids(&page, 1), [o1.as_str()]);
    let page = t.get("/api/orders?sort=-number", &client).await.ok(200);
    assert_eq!(numbers(&page), [3, 2, 1]);
    let page = t
        .get(&format!("/api/orders?q={}", encode("руси")), &client)
        .await
        .ok(200);
    assert_eq!(numbers(&page), empty);
    let page = t.get("/api/orders?status=in_progress", &ivan).await.ok(200);
    assert_eq!(numbers(&page), empty);
    let page = t.get("/api/orders?q=novgorod", &pavel).await.ok(200);
    assert_eq!(ids(&page, 1), [o2.as_str()]);
}
