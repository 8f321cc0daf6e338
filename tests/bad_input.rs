//! Bad input gets a clear answer and changes nothing: every refused request answers with
//! the right status as `application/problem+json`, appends no event and leaves the order
//! as it was. On SQLite and on Postgres.

mod common;

use aggregates::Role;
use axum::body::Body;
use axum::http::Request;
use common::{accepted_order, order_body, Accepted, Backend, Resp, TestApp};
use serde_json::{json, Value};

on_both!(
    a_malformed_or_misshapen_body_is_a_400_and_changes_nothing,
    order_values_out_of_range_are_a_422_and_place_nothing,
    a_refused_order_does_not_use_up_an_order_number,
    bad_list_parameters_are_a_422_and_good_ones_give_a_page,
    a_rating_outside_one_to_five_is_refused_and_the_order_stays_delivered,
    a_bad_price_is_a_422_and_the_order_stays_unpriced,
    a_payment_that_does_not_fit_is_a_409_and_a_repeated_payment_is_harmless,
    a_bad_draft_upload_is_refused_and_stores_nothing,
    bad_sign_ups_log_ins_and_tokens_are_refused,
    an_illegal_transition_is_a_409_that_names_the_problem,
    an_unknown_route_is_a_404_problem,
);

/// A request with a raw body of the given content type.
async fn raw(
    t: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: impl Into<Vec<u8>>,
) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body.into()))
        .expect("request");
    t.send(req).await
}

/// What must not change: the number of events and the order as `viewer` reads it back.
async fn state(t: &TestApp, viewer: &str, id: &str) -> (i64, Value) {
    let order = t.get(&format!("/api/orders/{id}"), viewer).await.ok(200);
    (t.event_count().await, order)
}

/// Every file in the file store.
fn stored_files(t: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&t.data_dir().join("files"), &mut out);
    out
}

/// An accepted order with the first half paid: the author is working on it.
async fn order_in_progress(t: &TestApp) -> Accepted {
    let s = accepted_order(t).await;
    let o = t
        .post(
            &format!("/api/orders/{}/payments", s.order),
            &s.manager,
            // A payment id pays one half of one order.
            json!({"half": "first", "amount": 125000, "payment_id": format!("{}-first", s.order)}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "in_progress");
    s
}

/// Both halves paid and the final work approved: delivered to the client.
async fn delivered_order(t: &TestApp) -> Accepted {
    let s = order_in_progress(t).await;
    let id = &s.order;
    t.post(
        &format!("/api/orders/{id}/payments"),
        &s.manager,
        json!({"half": "second", "amount": 125001, "payment_id": format!("{id}-second")}),
    )
    .await
    .ok(200);
    t.upload(
        &format!("/api/orders/{id}/final"),
        &s.author,
        "final.pdf",
        b"complete work",
    )
    .await
    .ok(200);
    let o = t
        .post(
            &format!("/api/orders/{id}/final/approve"),
            &s.manager,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "delivered");
    s
}

async fn a_malformed_or_misshapen_body_is_a_400_and_changes_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (manager_id, manager) = t.manager_on_shift("Maria Manager").await;
    let placed = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = placed["id"].as_str().unwrap().to_string();
    let before = state(&t, &manager, &id).await;
    let json_type = "application/json";

    // Truncated JSON.
    raw(
        &t,
        "POST",
        "/api/orders",
        &client,
        json_type,
        r#"{"work_type": "#,
    )
    .await
    .problem(400);
    raw(
        &t,
        "PUT",
        &format!("/api/orders/{id}/price"),
        &manager,
        json_type,
        r#"{"price": 250000, "author_fee": "#,
    )
    .await
    .problem(400);
    assert_eq!(state(&t, &manager, &id).await, before);

    // Well-formed JSON of the wrong shape.
    let mut missing_topic = order_body();
    missing_topic.as_object_mut().unwrap().remove("topic");
    t.post("/api/orders", &client, missing_topic)
        .await
        .problem(400);
    let mut pages_as_text = order_body();
    pages_as_text["pages"] = json!("twenty five");
    t.post("/api/orders", &client, pages_as_text)
        .await
        .problem(400);
    t.post("/api/orders", &client, json!([1, 2, 3]))
        .await
        .problem(400);
    t.put(
        &format!("/api/orders/{id}/price"),
        &manager,
        json!({"price": "a lot", "author_fee": 1000}),
    )
    .await
    .problem(400);
    t.put(
        &format!("/api/orders/{id}/price"),
        &manager,
        json!({"author_fee": 1000}),
    )
    .await
    .problem(400);

    assert_eq!(state(&t, &manager, &id).await, before);
    let mine = t.get("/api/orders", &client).await.ok(200);
    assert_eq!(
        mine["total"], 1,
        "no order was placed by a bad body: {mine}"
    );
    assert!(before.1["price"].is_null());
    assert_eq!(
        before.1["manager_id"],
        json!(manager_id),
        "routed, and still"
    );
}

async fn order_values_out_of_range_are_a_422_and_place_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let before = t.event_count().await;
    let with = |field: &str, value: Value| {
        let mut body = order_body();
        body[field] = value;
        body
    };
    for (body, what) in [
        (with("pages", json!(0)), "pages"),
        (with("pages", json!(10000)), "pages"),
        (with("pages", json!(-1)), "pages"),
        (with("deadline", json!("2026-03-01")), "deadline"),
        (with("topic", json!("")), "topic"),
        (with("topic", json!("   ")), "topic"),
    ] {
        let detail = t
            .post("/api/orders", &client, body.clone())
            .await
            .problem(422);
        assert!(detail.contains(what), "{body}: {detail}");
        assert_eq!(t.event_count().await, before, "{body} appended an event");
    }
    let mine = t.get("/api/orders", &client).await.ok(200);
    assert_eq!(mine["total"], 0, "{mine}");
    assert_eq!(mine["items"], json!([]));
}

async fn a_refused_order_does_not_use_up_an_order_number(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let mut bad = order_body();
    bad["pages"] = json!(0);
    t.post("/api/orders", &client, bad).await.problem(422);
    let mut past = order_body();
    past["deadline"] = json!("2026-01-01");
    t.post("/api/orders", &client, past).await.problem(422);
    // Numbers are 1, 2, 3, … in placement order: a refused placement is not a placement.
    let first = t.post("/api/orders", &client, order_body()).await.ok(201);
    assert_eq!(
        first["number"], 1,
        "the first order placed must be number 1: {first}"
    );
    let second = t.post("/api/orders", &client, order_body()).await.ok(201);
    assert_eq!(second["number"], 2, "{second}");
}

async fn bad_list_parameters_are_a_422_and_good_ones_give_a_page(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    for _ in 0..3 {
        t.post("/api/orders", &client, order_body()).await.ok(201);
    }
    let before = t.event_count().await;
    for query in [
        "page=0",
        "page=10000",
        "page=-1",
        "per_page=0",
        "per_page=1000",
        "page=abc",
        "per_page=ten",
        "status=bogus",
        "sort=price",
        "author_id=not-a-uuid",
    ] {
        let detail = t
            .get(&format!("/api/orders?{query}"), &manager)
            .await
            .problem(422);
        let name = query.split('=').next().unwrap();
        assert!(detail.contains(name), "?{query}: {detail}");
    }
    assert_eq!(t.event_count().await, before);

    let page = t
        .get(
            "/api/orders?status=new&sort=-number&page=1&per_page=5",
            &manager,
        )
        .await
        .ok(200);
    assert_eq!(page["total"], 3, "{page}");
    let numbers: Vec<i64> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    let second = t
        .get("/api/orders?sort=-number&page=2&per_page=2", &manager)
        .await
        .ok(200);
    assert_eq!(second["total"], 3);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["number"], 1);
}

async fn a_rating_outside_one_to_five_is_refused_and_the_order_stays_delivered(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = delivered_order(&t).await;
    let id = &s.order;
    let path = format!("/api/orders/{id}/complete");
    let before = state(&t, &s.client, id).await;
    for rating in [6, 0, -1] {
        let detail = t
            .post(&path, &s.client, json!({"rating": rating, "review": "x"}))
            .await
            .problem(422);
        assert!(detail.contains("rating"), "rating {rating}: {detail}");
        assert_eq!(state(&t, &s.client, id).await, before);
    }
    t.post(&path, &s.client, json!({"rating": "five", "review": "x"}))
        .await
        .problem(400);
    t.post(&path, &s.client, json!({"review": "no rating"}))
        .await
        .problem(400);
    assert_eq!(state(&t, &s.client, id).await, before);
    assert_eq!(before.1["status"], "delivered");
    assert!(before.1["rating"].is_null());

    // A good rating still completes it.
    let o = t
        .post(&path, &s.client, json!({"rating": 4, "review": "Good"}))
        .await
        .ok(200);
    assert_eq!(o["status"], "completed");
    assert_eq!(o["rating"], 4);
}

async fn a_bad_price_is_a_422_and_the_order_stays_unpriced(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (manager_id, manager) = t.manager_on_shift("Maria Manager").await;
    let placed = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = placed["id"].as_str().unwrap().to_string();
    let path = format!("/api/orders/{id}/price");
    let before = state(&t, &manager, &id).await;
    for (body, what) in [
        (json!({"price": -100, "author_fee": 0}), "price"),
        (json!({"price": 0, "author_fee": 0}), "price"),
        (json!({"price": -100}), "price"),
        (json!({"price": 100000, "author_fee": 100001}), "fee"),
        (json!({"price": 100000, "author_fee": -1}), "fee"),
    ] {
        let detail = t.put(&path, &manager, body.clone()).await.problem(422);
        assert!(detail.contains(what), "{body}: {detail}");
        assert_eq!(state(&t, &manager, &id).await, before, "{body}");
    }
    assert!(before.1["price"].is_null());
    assert_eq!(
        before.1["manager_id"],
        json!(manager_id),
        "a refused price moves nothing"
    );
    // The order can still be priced.
    let o = t
        .put(
            &path,
            &manager,
            json!({"price": 100000, "author_fee": 100000}),
        )
        .await
        .ok(200);
    assert_eq!(o["price"], 100000);
}

async fn a_payment_that_does_not_fit_is_a_409_and_a_repeated_payment_is_harmless(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    let id = &s.order;
    let path = format!("/api/orders/{id}/payments");
    let pay = |half: &str, amount: i64, pid: &str| json!({"half": half, "amount": amount, "payment_id": pid});

    let before = state(&t, &s.manager, id).await;
    // The wrong amount for the first half.
    let detail = t
        .post(&path, &s.manager, pay("first", 125001, "p-wrong"))
        .await
        .problem(409);
    assert!(detail.contains("125000"), "{detail}");
    assert_eq!(state(&t, &s.manager, id).await, before);
    // The second half before the first.
    t.post(&path, &s.manager, pay("second", 125001, "p-second"))
        .await
        .problem(409);
    assert_eq!(state(&t, &s.manager, id).await, before);
    // Not a half at all.
    let detail = t
        .post(&path, &s.manager, pay("third", 125000, "p-third"))
        .await
        .problem(422);
    assert!(detail.contains("half"), "{detail}");
    assert_eq!(state(&t, &s.manager, id).await, before);
    assert_eq!(before.1["status"], "awaiting_prepayment");
    assert_eq!(before.1["paid"], 0);

    // The first half, paid.
    let o = t
        .post(&path, &s.manager, pay("first", 125000, "p-1"))
        .await
        .ok(200);
    assert_eq!(o["status"], "in_progress");
    assert_eq!(o["paid"], 125000);
    let paid = state(&t, &s.manager, id).await;
    assert_eq!(paid.0, before.0 + 1);

    // Paid again under another payment id: a conflict.
    let detail = t
        .post(&path, &s.manager, pay("first", 125000, "p-1-again"))
        .await
        .problem(409);
    assert!(detail.contains("already paid"), "{detail}");
    assert_eq!(state(&t, &s.manager, id).await, paid);

    // The same payment delivered twice: the first answer, nothing appended.
    let o = t
        .post(&path, &s.manager, pay("first", 125000, "p-1"))
        .await
        .ok(200);
    assert_eq!(o["status"], "in_progress");
    assert_eq!(o["paid"], 125000);
    assert_eq!(state(&t, &s.manager, id).await, paid);
}

/// A multipart body whose only part is not called `file`.
async fn upload_without_file_part(t: &TestApp, path: &str, token: &str) -> Resp {
    let boundary = "scriptorium-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"d.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF a draft\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhere it is\r\n\
         --{boundary}--\r\n"
    );
    raw(
        t,
        "POST",
        path,
        token,
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
}

async fn a_bad_draft_upload_is_refused_and_stores_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = order_in_progress(&t).await;
    let id = &s.order;
    let path = format!("/api/orders/{id}/draft");
    let before = state(&t, &s.manager, id).await;
    assert_eq!(before.1["status"], "in_progress");
    assert_eq!(before.1["files"], json!([]));
    assert!(stored_files(&t).is_empty());

    // JSON instead of multipart.
    t.post(&path, &s.author, json!({"file": "%PDF a draft"}))
        .await
        .problem(400);
    assert_eq!(state(&t, &s.manager, id).await, before);
    assert!(stored_files(&t).is_empty());

    // Multipart without a `file` part.
    let detail = upload_without_file_part(&t, &path, &s.author)
        .await
        .problem(400);
    assert!(detail.contains("file"), "{detail}");
    assert_eq!(state(&t, &s.manager, id).await, before);
    assert!(stored_files(&t).is_empty());

    // An empty file.
    let detail = t
        .upload(&path, &s.author, "empty.pdf", b"")
        .await
        .problem(422);
    assert!(detail.contains("empty"), "{detail}");
    assert_eq!(state(&t, &s.manager, id).await, before);
    assert!(stored_files(&t).is_empty(), "{:?}", stored_files(&t));

    // A real draft still goes through.
    let o = t
        .upload(&path, &s.author, "draft.pdf", b"%PDF draft")
        .await
        .ok(200);
    assert_eq!(o["status"], "draft_review");
    assert_eq!(stored_files(&t).len(), 1);

    // A well-formed upload the order refuses (a second draft while one is under review)
    // is a 409 and stores nothing either.
    let before = state(&t, &s.manager, id).await;
    let detail = t
        .upload(&path, &s.author, "again.pdf", b"%PDF another draft")
        .await
        .problem(409);
    assert!(detail.contains("draft_review"), "{detail}");
    assert_eq!(state(&t, &s.manager, id).await, before);
    assert_eq!(stored_files(&t).len(), 1, "{:?}", stored_files(&t));
}

async fn bad_sign_ups_log_ins_and_tokens_are_refused(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let register = |email: &str, password: &str| json!({"email": email, "password": password, "full_name": "Olga Smirnova"});
    let before = t.event_count().await;
    for email in [
        "not-an-email",
        "olga@",
        "@example.com",
        "olga@localhost",
        "",
    ] {
        let detail = t
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(register(email, "long enough password")),
            )
            .await
            .problem(422);
        assert!(detail.contains("email"), "{email:?}: {detail}");
    }
    let detail = t
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(register("olga@example.com", "short")),
        )
        .await
        .problem(422);
    assert!(detail.contains("password"), "{detail}");
    assert_eq!(t.event_count().await, before);
    // Nothing was kept of the refused sign-ups: the address is still free.
    t.call(
        "POST",
        "/api/auth/register",
        None,
        Some(register("Olga@Example.com", "long enough password")),
    )
    .await
    .ok(201);
    let registered = t.event_count().await;
    assert_eq!(registered, before + 1);
    t.call(
        "POST",
        "/api/auth/register",
        None,
        Some(register("olga@EXAMPLE.com", "another long password")),
    )
    .await
    .problem(409);
    assert_eq!(t.event_count().await, registered);

    // Log-in: a wrong password or an unknown address.
    let login = |email: &str, password: &str| json!({"email": email, "password": password});
    t.call(
        "POST",
        "/api/auth/login",
        None,
        Some(login("olga@example.com", "wrong password!")),
    )
    .await
    .problem(401);
    t.call(
        "POST",
        "/api/auth/login",
        None,
        Some(login("nobody@example.com", "long enough password")),
    )
    .await
    .problem(401);
    // The original password is the one that was kept.
    t.login("olga@example.com", "long enough password").await;

    // No token, a garbage token, a header that is not a bearer token.
    t.call("GET", "/api/me", None, None).await.problem(401);
    t.get("/api/me", "garbage-token").await.problem(401);
    let req = Request::builder()
        .uri("/api/me")
        .header("authorization", "Basic b2xnYTpwYXNz")
        .body(Body::empty())
        .expect("request");
    t.send(req).await.problem(401);
    assert_eq!(t.event_count().await, registered);
}

async fn an_illegal_transition_is_a_409_that_names_the_problem(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = order_in_progress(&t).await;
    let id = &s.order;
    let before = state(&t, &s.manager, id).await;
    let detail = t
        .post(
            &format!("/api/orders/{id}/draft/approve"),
            &s.manager,
            json!({}),
        )
        .await
        .problem(409);
    assert!(
        detail.contains("in_progress"),
        "the detail names the current status: {detail}"
    );
    assert_eq!(state(&t, &s.manager, id).await, before);
    let detail = t
        .post(
            &format!("/api/orders/{id}/final/approve"),
            &s.manager,
            json!({}),
        )
        .await
        .problem(409);
    assert!(detail.contains("in_progress"), "{detail}");
    assert_eq!(state(&t, &s.manager, id).await, before);
}

async fn an_unknown_route_is_a_404_problem(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let before = t.event_count().await;
    // No such route: the fallback says so, unlike an unknown resource on a real route.
    let detail = t.get("/api/no-such-thing", &client).await.problem(404);
    assert_eq!(detail, "no such endpoint");
    let detail = t
        .post("/api/orders/not-a-route/at/all", &client, json!({}))
        .await
        .problem(404);
    assert_eq!(detail, "no such endpoint");
    let detail = t
        .call("GET", "/nothing/here", None, None)
        .await
        .problem(404);
    assert_eq!(detail, "no such endpoint");
    let unknown = uuid::Uuid::new_v4();
    let detail = t
        .get(&format!("/api/orders/{unknown}"), &client)
        .await
        .problem(404);
    assert_eq!(detail, "not found");
    // An id that is not a UUID names nothing either.
    let detail = t.get("/api/orders/not-a-uuid", &client).await.problem(404);
    assert_eq!(detail, "not found");
    t.post("/api/orders/42/cancel", &client, json!({"reason": "x"}))
        .await
        .problem(404);
    // A real path with a method it does not take.
    t.call("DELETE", "/api/me", Some(&client), None)
        .await
        .problem(405);
    t.call("PUT", "/api/orders", Some(&client), Some(json!({})))
        .await
        .problem(405);
    assert_eq!(t.event_count().await, before);
}
