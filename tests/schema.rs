//! Every real answer of a whole lifecycle, through every documented operation, follows the
//! OpenAPI document the service serves: each is validated (strictly: no property the
//! schema does not declare, every required one present) against the schema the document
//! gives for its path, method, status and content type, and every documented operation
//! must have answered at least once with a 2xx. Error answers are checked as well.

mod common;

use aggregates::Role;
use common::schema::{check_answer, fits, validate, Checked};
use common::{order_body, Backend};
use serde_json::{json, Value};

/// The walk is one long scenario: its state machine, polled in a debug build, needs more
/// than a test thread's 2 MiB of stack, so it runs on a thread of its own with room.
fn on_a_big_stack(backend: Backend) {
    std::thread::Builder::new()
        .name(format!("schema-walk-{backend:?}"))
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(every_answer_of_a_lifecycle_follows_the_document(backend))
        })
        .expect("a thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

mod sqlite {
    #[test]
    fn every_answer_of_a_lifecycle_follows_the_document() {
        super::on_a_big_stack(super::Backend::Sqlite);
    }
}

mod postgres {
    #[test]
    fn every_answer_of_a_lifecycle_follows_the_document() {
        super::on_a_big_stack(super::Backend::Postgres);
    }
}

const ORDER: &str = "/api/orders/{id}";

/// The order's own URI under `suffix` ("" for the order itself).
fn at(id: &str, suffix: &str) -> String {
    format!("/api/orders/{id}{suffix}")
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

async fn every_answer_of_a_lifecycle_follows_the_document(backend: Backend) {
    let t = &Checked::spawn(backend).await;
    let nobody = uuid::Uuid::new_v4().to_string();

    // --- operations ---
    t.call_checked("GET", "/healthz", "/healthz", None, None)
        .await
        .ok(200);
    t.call_checked("GET", "/readyz", "/readyz", None, None)
        .await
        .ok(200);
    t.call_checked("GET", "/api/openapi.json", "/api/openapi.json", None, None)
        .await
        .ok(200);
    t.call_checked("GET", "/metrics", "/metrics", None, None)
        .await
        .ok(200);

    // --- sign-up, log-in, who am I ---
    let register = |body: Value| {
        t.call_checked(
            "POST",
            "/api/auth/register",
            "/api/auth/register",
            None,
            Some(body),
        )
    };
    let me = register(json!({"email": "Olga@Example.com", "password": "s3cret-enough", "full_name": "Olga Smirnova"}))
        .await
        .ok(201);
    assert_eq!(me["role"], "client");
    register(
        json!({"email": "olga@example.com", "password": "s3cret-enough", "full_name": "Olga"}),
    )
    .await
    .problem(409);
    register(json!({"email": "x@example.com", "password": "short", "full_name": "X"}))
        .await
        .problem(422);
    register(json!({"email": "x@example.com"}))
        .await
        .problem(400);

    let login = |email: &str, password: &str| {
        t.call_checked(
            "POST",
            "/api/auth/login",
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
    };
    let session = login("olga@example.com", "s3cret-enough").await.ok(200);
    let client = session["token"].as_str().unwrap().to_string();
    assert_eq!(session["user"]["id"], me["id"]);
    login("olga@example.com", "wrong password")
        .await
        .problem(401);

    t.call_checked("GET", "/api/me", "/api/me", Some(&client), None)
        .await
        .ok(200);
    t.call_checked("GET", "/api/me", "/api/me", None, None)
        .await
        .problem(401);
    t.call_checked("GET", "/api/me", "/api/me", Some("not-a-token"), None)
        .await
        .problem(401);

    // --- log-out and a password change, by a second client ---
    register(json!({"email": "zoe@example.com", "password": "s3cret-enough", "full_name": "Zoe"}))
        .await
        .ok(201);
    let zoe = login("zoe@example.com", "s3cret-enough").await.ok(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let password = |token: &str, body: Value| {
        let token = token.to_string();
        async move {
            t.call_checked(
                "POST",
                "/api/me/password",
                "/api/me/password",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    password(
        &zoe,
        json!({"old_password": "wrong one", "new_password": "s3cret-enough-2"}),
    )
    .await
    .problem(422);
    password(&zoe, json!({"old_password": "s3cret-enough"}))
        .await
        .problem(400);
    let renewed = password(
        &zoe,
        json!({"old_password": "s3cret-enough", "new_password": "s3cret-enough-2"}),
    )
    .await
    .ok(200);
    let zoe = renewed["token"].as_str().unwrap().to_string();
    let logout = |token: Option<&str>| {
        let token = token.map(str::to_string);
        async move {
            t.call_checked(
                "POST",
                "/api/auth/logout",
                "/api/auth/logout",
                token.as_deref(),
                None,
            )
            .await
        }
    };
    assert_eq!(logout(Some(&zoe)).await.status.as_u16(), 204);
    logout(Some(&zoe)).await.problem(401);
    logout(None).await.problem(401);

    // --- a password reset by its mailed link (the token derived as the mail's sender does) ---
    let reset = |path: &'static str, body: Value| async move {
        t.call_checked("POST", path, path, None, Some(body)).await
    };
    reset(
        "/api/auth/password-reset",
        json!({"email": "zoe@example.com"}),
    )
    .await
    .ok(202);
    reset("/api/auth/password-reset", json!({"email": "no email"}))
        .await
        .problem(422);
    let mut reset_id = None;
    for _ in 0..200 {
        let row = t
            .application
            .app
            .db
            .fetch_optional(
                "SELECT params FROM mail_outbox WHERE kind = 'password_reset'",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            let params: Value = serde_json::from_str(&row.text("params").unwrap()).unwrap();
            reset_id = params["reset"].as_str().map(str::to_string);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = t
        .application
        .app
        .reset_token(&reset_id.expect("a reset mail"))
        .await
        .unwrap();
    reset(
        "/api/auth/password-reset/confirm",
        json!({"token": token, "new_password": "short"}),
    )
    .await
    .problem(422);
    reset("/api/auth/password-reset/confirm", json!({"token": token}))
        .await
        .problem(400);
    let done = reset(
        "/api/auth/password-reset/confirm",
        json!({"token": token, "new_password": "s3cret-enough-3"}),
    )
    .await;
    assert_eq!(done.status.as_u16(), 204);
    reset(
        "/api/auth/password-reset/confirm",
        json!({"token": token, "new_password": "s3cret-enough-4"}),
    )
    .await
    .problem(422);

    // --- users ---
    let (admin_id, admin) = t.user(Role::Admin, "Ada Admin").await;
    let create = |token: String, role: &str, name: &str| {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let body = json!({"email": email, "full_name": name, "role": role, "password": "correct horse battery"});
        async move {
            t.call_checked("POST", "/api/users", "/api/users", Some(&token), Some(body))
                .await
        }
    };
    create(admin.clone(), "manager", "Maria Manager")
        .await
        .ok(201);
    let author_id = id_of(&create(admin.clone(), "author", "Ivan Petrov").await.ok(201));
    create(admin.clone(), "auditor", "Aud Itor").await.ok(201);
    let extra_id = id_of(
        &create(admin.clone(), "payout_clerk", "Pavel Clerk")
            .await
            .ok(201),
    );
    create(admin.clone(), "manager", "Maria Manager")
        .await
        .problem(409);
    create(admin.clone(), "emperor", "Nero").await.problem(422);
    create(client.clone(), "manager", "Sneaky")
        .await
        .problem(403);
    let manager = login("maria.manager@example.com", "correct horse battery")
        .await
        .ok(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let author = login("ivan.petrov@example.com", "correct horse battery")
        .await
        .ok(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    // --- authors ---
    let author_at = format!("/api/authors/{author_id}");
    let profile = json!({"subjects": ["History", "Law"], "rating": 4, "max_active_orders": 5});
    let set = t
        .call_checked(
            "PUT",
            "/api/authors/{id}",
            &author_at,
            Some(&admin),
            Some(profile.clone()),
        )
        .await
        .ok(200);
    assert_eq!(set["rating"], 4.0);
    t.call_checked(
        "PUT",
        "/api/authors/{id}",
        &author_at,
        Some(&admin),
        Some(json!({"subjects": [], "rating": 4, "max_active_orders": 5})),
    )
    .await
    .problem(422);
    t.call_checked(
        "PUT",
        "/api/authors/{id}",
        &author_at,
        Some(&manager),
        Some(profile),
    )
    .await
    .problem(403);
    t.call_checked("GET", "/api/authors", "/api/authors", Some(&manager), None)
        .await
        .ok(200);
    t.call_checked("GET", "/api/authors/{id}", &author_at, Some(&author), None)
        .await
        .ok(200);
    t.call_checked("GET", "/api/authors/{id}", &author_at, Some(&client), None)
        .await
        .problem(403);

    let auditor = login("aud.itor@example.com", "correct horse battery")
        .await
        .ok(200)["token"]
        .as_str()
        .unwrap()
        .to_string();

    let users = t
        .call_checked("GET", "/api/users", "/api/users", Some(&admin), None)
        .await
        .ok(200);
    assert!(users.as_array().unwrap().len() >= 5);
    t.call_checked("GET", "/api/users", "/api/users", Some(&client), None)
        .await
        .problem(403);

    let block = |id: &str, body: Option<Value>| {
        let uri = format!("/api/users/{id}/block");
        let admin = admin.clone();
        async move {
            t.call_checked("POST", "/api/users/{id}/block", &uri, Some(&admin), body)
                .await
        }
    };
    let unblock = |id: &str| {
        let uri = format!("/api/users/{id}/unblock");
        let admin = admin.clone();
        async move {
            t.call_checked("POST", "/api/users/{id}/unblock", &uri, Some(&admin), None)
                .await
        }
    };
    let blocked = block(&extra_id, Some(json!({"reason": "on leave"})))
        .await
        .ok(200);
    assert_eq!(blocked["blocked"], true);
    block(&extra_id, None).await.problem(409);
    block(&admin_id, None).await.problem(409);
    block(&nobody, None).await.problem(404);
    block("not-a-uuid", None).await.problem(404);
    login("pavel.clerk@example.com", "correct horse battery")
        .await
        .problem(403);
    unblock(&extra_id).await.ok(200);
    unblock(&extra_id).await.problem(409);

    // --- a client's account made a company's, and an individual's again ---
    let olga = me["id"].as_str().unwrap().to_string();
    let company = |method: &'static str, id: &str, token: &str, body: Option<Value>| {
        let uri = format!("/api/users/{id}/company");
        let token = token.to_string();
        async move {
            t.call_checked(method, "/api/users/{id}/company", &uri, Some(&token), body)
                .await
        }
    };
    let acme =
        json!({"name": "Acme LLC", "tax_id": "7707083893", "contact_person": "Olga Smirnova"});
    let corporate = company("PUT", &olga, &client, Some(acme.clone()))
        .await
        .ok(200);
    assert_eq!(corporate["company"], acme);
    company("PUT", &extra_id, &admin, Some(acme.clone()))
        .await
        .problem(409);
    company("PUT", &nobody, &admin, Some(acme.clone()))
        .await
        .problem(404);
    company(
        "PUT",
        &olga,
        &admin,
        Some(json!({"name": "Acme", "tax_id": "7707083890", "contact_person": "Olga"})),
    )
    .await
    .problem(422);
    company("PUT", &olga, &admin, Some(json!({"name": "Acme"})))
        .await
        .problem(400);
    let individual = company("DELETE", &olga, &admin, None).await.ok(200);
    assert_eq!(individual["company"], Value::Null);
    company("DELETE", &extra_id, &admin, None)
        .await
        .problem(409);

    // --- shifts: the manager goes on shift, so the order below is routed to them ---
    let shift = |path: &'static str, token: &str| {
        let token = token.to_string();
        async move { t.call_checked("POST", path, path, Some(&token), None).await }
    };
    shift("/api/shifts/end", &manager).await.problem(409);
    let started = shift("/api/shifts/start", &manager).await.ok(200);
    assert_eq!(started["on_shift"], true);
    shift("/api/shifts/start", &manager).await.problem(409);
    shift("/api/shifts/start", &client).await.problem(403);
    shift("/api/shifts/start", "not-a-token").await.problem(401);

    // --- an order from placement to its rating ---
    let place = |body: Value, headers: &'static [(&'static str, &'static str)]| {
        let client = client.clone();
        async move {
            t.call_checked_with(
                "POST",
                "/api/orders",
                "/api/orders",
                Some(&client),
                Some(body),
                headers,
            )
            .await
        }
    };
    let order = place(order_body(), &[("idempotency-key", "place-1")])
        .await
        .ok(201);
    let id = id_of(&order);
    let again = place(order_body(), &[("idempotency-key", "place-1")]).await;
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(id_of(&again.ok(201)), id);
    let mut other = order_body();
    other["pages"] = json!(3);
    place(other, &[("idempotency-key", "place-1")])
        .await
        .problem(422);
    place(order_body(), &[("idempotency-key", "")])
        .await
        .problem(400);
    let mut bad = order_body();
    bad["pages"] = json!(0);
    place(bad, &[]).await.problem(422);

    let list = |token: &str, query: &str| {
        let uri = format!("/api/orders{query}");
        let token = token.to_string();
        async move {
            t.call_checked("GET", "/api/orders", &uri, Some(&token), None)
                .await
        }
    };
    assert_eq!(list(&manager, "?per_page=100").await.ok(200)["total"], 1);
    assert_eq!(list(&admin, "?unrouted=true").await.ok(200)["total"], 0);
    list(&admin, "?unrouted=maybe").await.problem(422);
    let on_shift = t
        .call_checked("GET", "/api/shifts", "/api/shifts", Some(&manager), None)
        .await
        .ok(200);
    assert_eq!(on_shift[0]["open_orders"], 1);
    t.call_checked("GET", "/api/shifts", "/api/shifts", Some(&client), None)
        .await
        .problem(403);
    list(&client, "?status=new&sort=-deadline").await.ok(200);
    list(&client, "?sort=sideways").await.problem(422);

    let get = |template: &'static str, uri: String, token: &str| {
        let token = token.to_string();
        async move {
            t.call_checked("GET", template, &uri, Some(&token), None)
                .await
        }
    };
    get(ORDER, at(&id, ""), &client).await.ok(200);
    get(ORDER, at(&nobody, ""), &client).await.problem(404);
    get(ORDER, at(&id, ""), &author).await.problem(404);

    let post = |template: &'static str, uri: String, token: &str, body: Option<Value>| {
        let token = token.to_string();
        async move {
            t.call_checked("POST", template, &uri, Some(&token), body)
                .await
        }
    };
    let priced = t
        .call_checked(
            "PUT",
            "/api/orders/{id}/price",
            &at(&id, "/price"),
            Some(&manager),
            Some(json!({"price": 250001, "author_fee": 100000})),
        )
        .await
        .ok(200);
    assert_eq!(priced["first_half"], 125000);
    t.call_checked(
        "PUT",
        "/api/orders/{id}/price",
        &at(&id, "/price"),
        Some(&client),
        Some(json!({"price": 1})),
    )
    .await
    .problem(403);
    let candidates = t
        .call_checked(
            "GET",
            "/api/orders/{id}/candidates",
            &at(&id, "/candidates"),
            Some(&manager),
            None,
        )
        .await
        .ok(200);
    assert_eq!(candidates[0]["probability"], 1.0);
    let offer = post(
        "/api/orders/{id}/offer",
        at(&id, "/offer"),
        &manager,
        Some(json!({"author_id": author_id})),
    )
    .await
    .ok(200);
    let queue = t
        .call_checked("GET", "/api/offers", "/api/offers", Some(&author), None)
        .await
        .ok(200);
    assert_eq!(queue[0]["order_id"], id.as_str());
    t.call_checked("GET", "/api/orders/{id}", &at(&id, ""), Some(&author), None)
        .await
        .ok(200);
    t.call_checked(
        "GET",
        "/api/orders/{id}/events",
        &at(&id, "/events"),
        Some(&author),
        None,
    )
    .await
    .ok(200);
    assert_eq!(offer["author_id"], author_id.as_str());
    post(
        "/api/orders/{id}/offer/accept",
        at(&id, "/offer/accept"),
        &author,
        None,
    )
    .await
    .ok(200);
    post(
        "/api/orders/{id}/offer/accept",
        at(&id, "/offer/accept"),
        &author,
        None,
    )
    .await
    .problem(409);
    let offers = t
        .call_checked(
            "GET",
            "/api/orders/{id}/offers",
            &at(&id, "/offers"),
            Some(&manager),
            None,
        )
        .await
        .ok(200);
    assert_eq!(offers[0]["outcome"], "accepted");

    // The conversation: a plain message, a held one approved, another rejected; each
    // reader's list; the refusals.
    let messages = "/api/orders/{id}/messages";
    let plain = post(
        messages,
        at(&id, "/messages"),
        &client,
        Some(json!({"text": "Hello"})),
    )
    .await
    .ok(201);
    assert_eq!(plain["held"], false);
    let held = post(
        messages,
        at(&id, "/messages"),
        &author,
        Some(json!({"text": "call 8 900 123 45 67"})),
    )
    .await
    .ok(201);
    assert_eq!(held["held"], true);
    let held_id = held["id"].as_str().unwrap().to_string();
    let other = post(
        messages,
        at(&id, "/messages"),
        &client,
        Some(json!({"text": "see www.example.org"})),
    )
    .await
    .ok(201);
    let other_id = other["id"].as_str().unwrap().to_string();
    post(
        messages,
        at(&id, "/messages"),
        &client,
        Some(json!({"text": ""})),
    )
    .await
    .problem(422);
    post(
        messages,
        at(&id, "/messages"),
        &client,
        Some(json!({"text": 1})),
    )
    .await
    .problem(400);
    let queue = t
        .call_checked(
            "GET",
            "/api/messages/held",
            "/api/messages/held",
            Some(&manager),
            None,
        )
        .await
        .ok(200);
    assert_eq!(queue.as_array().unwrap().len(), 2, "{queue}");
    t.call_checked(
        "GET",
        "/api/messages/held",
        "/api/messages/held",
        Some(&client),
        None,
    )
    .await
    .problem(403);
    let approve = "/api/orders/{id}/messages/{message_id}/approve";
    let reject = "/api/orders/{id}/messages/{message_id}/reject";
    post(
        approve,
        at(&id, &format!("/messages/{held_id}/approve")),
        &client,
        None,
    )
    .await
    .problem(403);
    post(
        approve,
        at(&id, &format!("/messages/{held_id}/approve")),
        &manager,
        None,
    )
    .await
    .ok(200);
    post(
        approve,
        at(&id, &format!("/messages/{held_id}/approve")),
        &manager,
        None,
    )
    .await
    .problem(409);
    post(
        reject,
        at(&id, &format!("/messages/{other_id}/reject")),
        &manager,
        Some(json!({"reason": ""})),
    )
    .await
    .problem(422);
    post(
        reject,
        at(&id, &format!("/messages/{other_id}/reject")),
        &manager,
        Some(json!({"reason": "no links"})),
    )
    .await
    .ok(200);
    post(
        reject,
        at(&id, &format!("/messages/{}/reject", uuid::Uuid::new_v4())),
        &manager,
        Some(json!({"reason": "x"})),
    )
    .await
    .problem(404);
    for (token, n) in [(&client, 3), (&author, 2), (&manager, 3)] {
        let list = t
            .call_checked("GET", messages, &at(&id, "/messages"), Some(token), None)
            .await
            .ok(200);
        assert_eq!(list.as_array().unwrap().len(), n, "{list}");
    }
    t.call_checked(
        "GET",
        messages,
        &at(&uuid::Uuid::new_v4().to_string(), "/messages"),
        Some(&client),
        None,
    )
    .await
    .problem(404);

    let pay = |half: &str, amount: i64, pid: &str| json!({"half": half, "amount": amount, "payment_id": pid});
    post(
        "/api/orders/{id}/payments",
        at(&id, "/payments"),
        &manager,
        Some(pay("first", 125000, "p1")),
    )
    .await
    .ok(200);
    post(
        "/api/orders/{id}/payments",
        at(&id, "/payments"),
        &manager,
        Some(pay("third", 1, "p")),
    )
    .await
    .problem(422);

    let upload = |kind: &'static str, name: &'static str, content: &'static [u8]| {
        let template = if kind == "draft" {
            "/api/orders/{id}/draft"
        } else {
            "/api/orders/{id}/final"
        };
        let uri = at(&id, &format!("/{kind}"));
        let author = author.clone();
        async move {
            t.upload_checked(template, &uri, &author, name, content)
                .await
        }
    };
    upload("draft", "d1.pdf", b"weak draft").await.ok(200);
    let o = post(
        "/api/orders/{id}/draft/reject",
        at(&id, "/draft/reject"),
        &manager,
        Some(json!({"comment": "Too short"})),
    )
    .await
    .ok(200);
    assert_eq!(o["status"], "rework");
    upload("draft", "d2.pdf", b"").await.problem(422);
    upload("draft", "d2.pdf", b"better draft").await.ok(200);
    post(
        "/api/orders/{id}/draft/approve",
        at(&id, "/draft/approve"),
        &manager,
        None,
    )
    .await
    .ok(200);
    post(
        "/api/orders/{id}/draft/approve",
        at(&id, "/draft/approve"),
        &manager,
        None,
    )
    .await
    .problem(409);
    post(
        "/api/orders/{id}/payments",
        at(&id, "/payments"),
        &manager,
        Some(pay("second", 125001, "p2")),
    )
    .await
    .ok(200);
    upload("final", "f1.pdf", b"final v1").await.ok(200);
    post(
        "/api/orders/{id}/final/reject",
        at(&id, "/final/reject"),
        &manager,
        None,
    )
    .await
    .ok(200);
    upload("final", "f2.pdf", b"final v2").await.ok(200);
    let o = post(
        "/api/orders/{id}/final/approve",
        at(&id, "/final/approve"),
        &manager,
        None,
    )
    .await
    .ok(200);
    assert_eq!(o["status"], "delivered");
    post(
        "/api/orders/{id}/final/approve",
        at(&id, "/final/approve"),
        &manager,
        None,
    )
    .await
    .problem(409);
    let o = post(
        "/api/orders/{id}/revision",
        at(&id, "/revision"),
        &client,
        Some(json!({"comment": "Chapter 2 needs a table"})),
    )
    .await
    .ok(200);
    assert_eq!(o["status"], "rework");
    upload("final", "f3.pdf", b"%PDF-1.4 final v3")
        .await
        .ok(200);
    post(
        "/api/orders/{id}/final/approve",
        at(&id, "/final/approve"),
        &manager,
        None,
    )
    .await
    .ok(200);

    // The client sees the approved files and downloads one.
    let seen = get(ORDER, at(&id, ""), &client).await.ok(200);
    assert!(seen.get("author_fee").is_none());
    let files = seen["files"].as_array().unwrap().clone();
    let last = files.iter().find(|f| f["name"] == "f3.pdf");
    let file_id = id_of(last.expect("the last final reaches the client"));
    let download = "/api/orders/{id}/files/{file_id}";
    let res = t
        .call_checked(
            "GET",
            download,
            &at(&id, &format!("/files/{file_id}")),
            Some(&client),
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.bytes, b"%PDF-1.4 final v3");
    t.call_checked(
        "GET",
        download,
        &at(&id, &format!("/files/{nobody}")),
        Some(&client),
        None,
    )
    .await
    .problem(404);

    post(
        "/api/orders/{id}/complete",
        at(&id, "/complete"),
        &client,
        Some(json!({"rating": 9})),
    )
    .await
    .problem(422);
    let o = post(
        "/api/orders/{id}/complete",
        at(&id, "/complete"),
        &client,
        Some(json!({"rating": 5, "review": "Excellent", "publish": true})),
    )
    .await
    .ok(200);
    assert_eq!(o["status"], "completed");
    // Its review on the site, for anyone; then hidden by its manager.
    let reviews = t
        .call_checked("GET", "/api/reviews", "/api/reviews", None, None)
        .await
        .ok(200);
    assert_eq!(reviews[0]["review"], "Excellent");
    t.call_checked("GET", "/api/reviews", "/api/reviews?per_page=0", None, None)
        .await
        .problem(422);
    let hide = "/api/reviews/{order_id}/hide";
    let hide_at = format!("/api/reviews/{id}/hide");
    t.call_checked(
        "POST",
        hide,
        &hide_at,
        Some(&client),
        Some(json!({"reason": "x"})),
    )
    .await
    .problem(403);
    t.call_checked(
        "POST",
        hide,
        &hide_at,
        Some(&manager),
        Some(json!({"reason": ""})),
    )
    .await
    .problem(422);
    t.call_checked(
        "POST",
        hide,
        &hide_at,
        Some(&manager),
        Some(json!({"reason": "spam"})),
    )
    .await
    .ok(200);
    t.call_checked(
        "POST",
        hide,
        &hide_at,
        Some(&manager),
        Some(json!({"reason": "spam"})),
    )
    .await
    .problem(409);
    post(
        "/api/orders/{id}/complete",
        at(&id, "/complete"),
        &client,
        Some(json!({"rating": 5})),
    )
    .await
    .problem(409);

    // Its history, three ways.
    for token in [&manager, &client] {
        let events = get("/api/orders/{id}/events", at(&id, "/events"), token)
            .await
            .ok(200);
        assert_eq!(events[0]["type"], "OrderPlaced");
    }
    get("/api/orders/{id}/events", at(&nobody, "/events"), &manager)
        .await
        .problem(404);
    let history = get("/api/orders/{id}/history", at(&id, "/history"), &client)
        .await
        .ok(200);
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["status"],
        "completed"
    );
    let as_of = at(&id, "?as_of=2026-03-02T09:00:00Z");
    let past = get(ORDER, as_of.clone(), &auditor).await.ok(200);
    assert!(past["as_of"].is_string());
    get(ORDER, as_of, &client).await.problem(403);
    get(ORDER, at(&id, "?as_of=yesterday"), &auditor)
        .await
        .problem(422);

    // --- a second order, declined by the author and cancelled by its client ---
    let second = id_of(&place(order_body(), &[]).await.ok(201));
    t.call_checked(
        "PUT",
        "/api/orders/{id}/price",
        &at(&second, "/price"),
        Some(&manager),
        Some(json!({"price": 1000})),
    )
    .await
    .ok(200);
    post(
        "/api/orders/{id}/offer",
        at(&second, "/offer"),
        &manager,
        None,
    )
    .await
    .ok(200);
    post(
        "/api/orders/{id}/offer/decline",
        at(&second, "/offer/decline"),
        &author,
        Some(json!({"reason": "busy"})),
    )
    .await
    .ok(200);
    // Declined: no longer offered to them (and maybe no longer theirs to see).
    let again = post(
        "/api/orders/{id}/offer/decline",
        at(&second, "/offer/decline"),
        &author,
        None,
    )
    .await;
    assert!(matches!(again.status.as_u16(), 404 | 409), "{}", again.body);
    post(
        "/api/orders/{id}/cancel",
        at(&second, "/cancel"),
        &client,
        Some(json!({"reason": ""})),
    )
    .await
    .problem(422);
    let o = post(
        "/api/orders/{id}/cancel",
        at(&second, "/cancel"),
        &client,
        Some(json!({"reason": "changed my mind"})),
    )
    .await
    .ok(200);
    assert_eq!(o["status"], "failed");
    post(
        "/api/orders/{id}/cancel",
        at(&second, "/cancel"),
        &client,
        Some(json!({"reason": "again"})),
    )
    .await
    .problem(409);
    post(
        "/api/orders/{id}/revision",
        at(&second, "/revision"),
        &client,
        None,
    )
    .await
    .problem(409);

    // --- the manager's shift ends; the orders stay theirs ---
    let ended = shift("/api/shifts/end", &manager).await.ok(200);
    assert_eq!(ended["on_shift"], false);
    assert_eq!(
        t.call_checked("GET", "/api/shifts", "/api/shifts", Some(&admin), None)
            .await
            .ok(200),
        json!([])
    );

    // --- a third order: paid by the provider, failed, refunded ---
    let third = common::accepted_order(t).await;
    let notification =
        json!({"payment_id": "prov-1", "order_id": third.order, "half": "first", "amount": 125000});
    let signed = |ts: i64| {
        use hmac::Mac;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(common::schema::WEBHOOK_SECRET.as_bytes())
                .unwrap();
        mac.update(format!("{ts}.{notification}").as_bytes());
        format!("t={ts},v1={}", hex::encode(mac.finalize().into_bytes()))
    };
    let webhook = |signature: String| {
        let body = notification.clone();
        async move {
            t.call_checked_with(
                "POST",
                "/api/payments/webhook",
                "/api/payments/webhook",
                None,
                Some(body),
                &[("x-signature", signature.as_str())],
            )
            .await
        }
    };
    let now = t.clock.now().timestamp();
    webhook(signed(now - 301)).await.problem(401);
    let receipt = webhook(signed(now)).await.ok(200);
    assert_eq!(receipt["recorded"], true);
    post(
        "/api/orders/{id}/cancel",
        at(&third.order, "/cancel"),
        &third.manager,
        Some(json!({"reason": "the client refused"})),
    )
    .await
    .ok(200);
    let refund = |body: Value| {
        post(
            "/api/orders/{id}/refunds",
            at(&third.order, "/refunds"),
            &third.manager,
            Some(body),
        )
    };
    let r = refund(json!({"amount": 100000, "reason": "most of it", "compensation": 50000}))
        .await
        .ok(201);
    assert_eq!(r["refunded"], 100000);
    refund(json!({"amount": 25001, "reason": "too much"}))
        .await
        .problem(409);
    refund(json!({"amount": 0, "reason": "nothing"}))
        .await
        .problem(422);
    let o = t
        .call_checked(
            "GET",
            ORDER,
            &at(&third.order, ""),
            Some(&third.client),
            None,
        )
        .await
        .ok(200);
    assert_eq!(o["refunded"], 100000);

    // --- authors' money, settings and reports ---
    let login_as = |email: &'static str| async move {
        login(email, "correct horse battery").await.ok(200)["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let clerk = login_as("pavel.clerk@example.com").await;
    let auditor = login_as("aud.itor@example.com").await;
    let call = |method: &'static str,
                template: &'static str,
                uri: String,
                token: String,
                body: Option<Value>| async move {
        t.call_checked(method, template, &uri, Some(&token), body)
            .await
    };
    t.workers_caught_up().await;
    let settings = call(
        "GET",
        "/api/settings",
        "/api/settings".into(),
        admin.clone(),
        None,
    )
    .await
    .ok(200);
    assert_eq!(settings["payout_threshold"], 100000);
    call(
        "PUT",
        "/api/settings",
        "/api/settings".into(),
        admin.clone(),
        Some(json!({"payout_threshold": 1})),
    )
    .await
    .ok(200);
    call(
        "PUT",
        "/api/settings",
        "/api/settings".into(),
        admin.clone(),
        Some(json!({"payout_threshold": -1})),
    )
    .await
    .problem(422);
    call(
        "GET",
        "/api/settings/history",
        "/api/settings/history".into(),
        auditor.clone(),
        None,
    )
    .await
    .ok(200);
    let due = call(
        "GET",
        "/api/payouts/due",
        "/api/payouts/due".into(),
        clerk.clone(),
        None,
    )
    .await
    .ok(200);
    let due = due.as_array().unwrap();
    assert!(!due.is_empty(), "the completed order's author is due");
    let payee = due[0]["author_id"].as_str().unwrap().to_string();
    let balance = due[0]["balance"].as_i64().unwrap();
    let payout = |amount: i64, reference: &str| {
        call(
            "POST",
            "/api/payouts",
            "/api/payouts".into(),
            clerk.clone(),
            Some(json!({"author_id": payee, "amount": amount, "reference": reference})),
        )
    };
    payout(1, "schema-1").await.ok(201);
    payout(balance, "schema-2").await.problem(409);
    payout(0, "schema-3").await.problem(422);
    let ledger_uri = format!("/api/authors/{payee}/ledger");
    let ledger = call(
        "GET",
        "/api/authors/{id}/ledger",
        ledger_uri.clone(),
        auditor.clone(),
        None,
    )
    .await
    .ok(200);
    assert_eq!(ledger["balance"], balance - 1);
    call(
        "GET",
        "/api/authors/{id}/ledger",
        ledger_uri,
        client.clone(),
        None,
    )
    .await
    .problem(403);
    // --- the ready-made works shop ---
    let work_fields = [
        ("title", "Пётр I"),
        ("subject", "History"),
        ("work_type", "essay"),
        ("pages", "12"),
        ("price", "150000"),
        ("description", "Reforms"),
    ];
    let work = t
        .multipart_checked(
            "/api/ready-works",
            "/api/ready-works",
            &manager,
            &work_fields,
            ("work.pdf", b"%PDF work"),
        )
        .await
        .ok(201);
    let work_id = id_of(&work);
    t.multipart_checked(
        "/api/ready-works",
        "/api/ready-works",
        &client,
        &work_fields,
        ("work.pdf", b"%PDF work"),
    )
    .await
    .problem(403);
    t.multipart_checked(
        "/api/ready-works",
        "/api/ready-works",
        &manager,
        &[
            ("title", "t"),
            ("subject", "s"),
            ("work_type", "essay"),
            ("pages", "0"),
            ("price", "1"),
        ],
        ("work.pdf", b"%PDF work"),
    )
    .await
    .problem(422);
    let browse = |uri: &'static str, token: Option<String>| async move {
        t.call_checked("GET", "/api/ready-works", uri, token.as_deref(), None)
            .await
    };
    assert_eq!(
        browse("/api/ready-works?q=reforms", None).await.ok(200)["total"],
        1
    );
    browse("/api/ready-works", Some(manager.clone()))
        .await
        .ok(200);
    browse("/api/ready-works?per_page=0", None)
        .await
        .problem(422);
    browse(
        "/api/ready-works?include_delisted=true",
        Some(client.clone()),
    )
    .await
    .problem(403);
    let work_at = format!("/api/ready-works/{work_id}");
    t.call_checked("GET", "/api/ready-works/{id}", &work_at, None, None)
        .await
        .ok(200);
    t.call_checked(
        "GET",
        "/api/ready-works/{id}",
        &work_at,
        Some(&manager),
        None,
    )
    .await
    .ok(200);
    t.call_checked(
        "GET",
        "/api/ready-works/{id}",
        &format!("/api/ready-works/{nobody}"),
        None,
        None,
    )
    .await
    .problem(404);
    let file_at = format!("/api/ready-works/{work_id}/file");
    t.call_checked(
        "GET",
        "/api/ready-works/{id}/file",
        &file_at,
        Some(&manager),
        None,
    )
    .await
    .ok(200);
    t.call_checked(
        "GET",
        "/api/ready-works/{id}/file",
        &file_at,
        Some(&client),
        None,
    )
    .await
    .problem(403);
    let buy_at = format!("/api/ready-works/{work_id}/purchase");
    let buy_t = "/api/ready-works/{id}/purchase";
    let bought = t
        .call_checked("POST", buy_t, &buy_at, Some(&client), None)
        .await
        .ok(201);
    let purchase_id = id_of(&bought);
    let guest = t
        .call_checked(
            "POST",
            buy_t,
            &buy_at,
            None,
            Some(
                json!({"contact": {"email": "shop.guest@example.com", "full_name": "Shop Guest"}}),
            ),
        )
        .await
        .ok(201);
    t.call_checked("POST", buy_t, &buy_at, None, None)
        .await
        .problem(401);
    t.call_checked("POST", buy_t, &buy_at, Some(&manager), None)
        .await
        .problem(403);
    let purchase_at = format!("/api/purchases/{purchase_id}");
    t.call_checked(
        "GET",
        "/api/purchases/{id}",
        &purchase_at,
        Some(&client),
        None,
    )
    .await
    .ok(200);
    t.call_checked(
        "GET",
        "/api/purchases/{id}",
        &purchase_at,
        Some(&author),
        None,
    )
    .await
    .problem(403);
    t.call_checked(
        "GET",
        "/api/purchases/{id}/file",
        &format!("{purchase_at}/file"),
        Some(&client),
        None,
    )
    .await
    .problem(409);
    let pay_t = "/api/purchases/{id}/payments";
    let pay_at = format!("{purchase_at}/payments");
    t.call_checked(
        "POST",
        pay_t,
        &pay_at,
        Some(&manager),
        Some(json!({"amount": 1, "payment_id": "shop-1"})),
    )
    .await
    .problem(409);
    let paid = t
        .call_checked(
            "POST",
            pay_t,
            &pay_at,
            Some(&manager),
            Some(json!({"amount": 150000, "payment_id": "shop-1"})),
        )
        .await
        .ok(200);
    assert_eq!(paid["status"], "paid");
    t.call_checked(
        "GET",
        "/api/purchases/{id}/file",
        &format!("{purchase_at}/file"),
        Some(&client),
        None,
    )
    .await
    .ok(200);
    // The guest's purchase, paid through the provider.
    let notification =
        json!({"payment_id": "prov-shop", "purchase_id": id_of(&guest), "amount": 150000});
    let ts = t.clock.now().timestamp();
    let signature = {
        use hmac::Mac;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(common::schema::WEBHOOK_SECRET.as_bytes())
                .unwrap();
        mac.update(format!("{ts}.{notification}").as_bytes());
        format!("t={ts},v1={}", hex::encode(mac.finalize().into_bytes()))
    };
    let receipt = t
        .call_checked_with(
            "POST",
            "/api/payments/webhook",
            "/api/payments/webhook",
            None,
            Some(notification),
            &[("x-signature", signature.as_str())],
        )
        .await
        .ok(200);
    assert_eq!(receipt["recorded"], true);
    t.call_checked(
        "GET",
        "/api/purchases",
        "/api/purchases",
        Some(&client),
        None,
    )
    .await
    .ok(200);
    t.call_checked(
        "GET",
        "/api/purchases",
        "/api/purchases?per_page=0",
        Some(&client),
        None,
    )
    .await
    .problem(422);
    let delist_t = "/api/ready-works/{id}/delist";
    let delist_at = format!("/api/ready-works/{work_id}/delist");
    t.call_checked(
        "POST",
        delist_t,
        &delist_at,
        Some(&manager),
        Some(json!({"reason": ""})),
    )
    .await
    .problem(422);
    t.call_checked(
        "POST",
        delist_t,
        &delist_at,
        Some(&manager),
        Some(json!({"reason": "old"})),
    )
    .await
    .ok(200);
    t.call_checked(
        "POST",
        delist_t,
        &delist_at,
        Some(&manager),
        Some(json!({"reason": "old"})),
    )
    .await
    .problem(409);
    t.call_checked("POST", buy_t, &buy_at, Some(&client), None)
        .await
        .problem(409);

    let summary = call(
        "GET",
        "/api/reports/summary",
        "/api/reports/summary".into(),
        auditor.clone(),
        None,
    )
    .await
    .ok(200);
    assert_eq!(summary["payouts_total"], 1);
    call(
        "GET",
        "/api/reports/daily",
        "/api/reports/daily?from=2026-03-01&to=2026-03-05".into(),
        admin.clone(),
        None,
    )
    .await
    .ok(200);
    call(
        "GET",
        "/api/reports/daily",
        "/api/reports/daily?from=nope".into(),
        admin.clone(),
        None,
    )
    .await
    .problem(422);

    // --- mail: checkout without registration, a language, the outbox ---
    let mut guest = order_body();
    guest["contact"] =
        json!({"email": "schema.guest@example.com", "full_name": "Guest", "language": "en"});
    let guest_order = t
        .call_checked("POST", "/api/orders", "/api/orders", None, Some(guest))
        .await
        .ok(201);
    assert_eq!(guest_order["status"], "new");
    let mut bad_guest = order_body();
    bad_guest["contact"] = json!({"email": "nope", "full_name": "Guest"});
    t.call_checked("POST", "/api/orders", "/api/orders", None, Some(bad_guest))
        .await
        .problem(422);
    let chosen = t
        .call_checked(
            "PUT",
            "/api/me/language",
            "/api/me/language",
            Some(&client),
            Some(json!({"language": "en"})),
        )
        .await
        .ok(200);
    assert_eq!(chosen["language"], "en");
    t.call_checked(
        "PUT",
        "/api/me/language",
        "/api/me/language",
        Some(&client),
        Some(json!({"language": "fr"})),
    )
    .await
    .problem(422);
    let mut outbox = json!([]);
    for _ in 0..200 {
        outbox = call(
            "GET",
            "/api/admin/outbox",
            "/api/admin/outbox?limit=1000".into(),
            admin.clone(),
            None,
        )
        .await
        .ok(200);
        if outbox.as_array().is_some_and(|a| a.len() > 3) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mail_id = outbox[0]["id"]
        .as_i64()
        .expect("mail derived from the lifecycle");
    t.application
        .app
        .db
        .execute(
            "UPDATE mail_outbox SET status = 'failed', attempts = 10 WHERE id = $1",
            &projections::args![mail_id],
        )
        .await
        .unwrap();
    call(
        "GET",
        "/api/admin/outbox",
        "/api/admin/outbox?status=failed".into(),
        admin.clone(),
        None,
    )
    .await
    .ok(200);
    call(
        "GET",
        "/api/admin/outbox",
        "/api/admin/outbox?status=lost".into(),
        admin.clone(),
        None,
    )
    .await
    .problem(422);
    let retried = call(
        "POST",
        "/api/admin/outbox/{id}/retry",
        format!("/api/admin/outbox/{mail_id}/retry"),
        admin.clone(),
        Some(json!({})),
    )
    .await
    .ok(200);
    assert_eq!(retried["status"], "pending");
    call(
        "POST",
        "/api/admin/outbox/{id}/retry",
        "/api/admin/outbox/not-a-mail/retry".into(),
        admin.clone(),
        Some(json!({})),
    )
    .await
    .problem(404);

    // --- the audit log ---
    let events = |token: Option<&str>, query: &str| {
        let uri = format!("/api/audit/events{query}");
        let token = token.map(str::to_string);
        async move {
            t.call_checked("GET", "/api/audit/events", &uri, token.as_deref(), None)
                .await
        }
    };
    let page = events(Some(&auditor), "?limit=5").await.ok(200);
    assert_eq!(page["events"].as_array().unwrap().len(), 5);
    let rest = events(
        Some(&auditor),
        &format!("?after={}&limit=1000", page["next_after"]),
    )
    .await
    .ok(200);
    assert!(!rest["events"].as_array().unwrap().is_empty());
    events(Some(&auditor), "?limit=0").await.problem(422);
    events(Some(&client), "").await.problem(403);
    events(None, "").await.problem(401);

    // --- the manager's controls: a phone order, edits, a discount, deadline answers, a repeat ---
    let mut phone = common::order_body();
    phone["client"] = json!({"email": "caller@example.com", "full_name": "Petr Caller"});
    let by_phone = call(
        "POST",
        "/api/orders/by-phone",
        "/api/orders/by-phone".into(),
        manager.clone(),
        Some(phone.clone()),
    )
    .await
    .ok(201);
    assert_eq!(by_phone["source"], "manager");
    call(
        "POST",
        "/api/orders/by-phone",
        "/api/orders/by-phone".into(),
        client.clone(),
        Some(phone),
    )
    .await
    .problem(403);
    let phoned = by_phone["id"].as_str().unwrap().to_string();
    let edited = call(
        "PATCH",
        "/api/orders/{id}",
        format!("/api/orders/{phoned}"),
        manager.clone(),
        Some(json!({"topic": "The Hanse, by phone", "pages": 12})),
    )
    .await
    .ok(200);
    assert_eq!(edited["pages"], 12);
    call(
        "PATCH",
        "/api/orders/{id}",
        format!("/api/orders/{phoned}"),
        manager.clone(),
        Some(json!({"pages": 0})),
    )
    .await
    .problem(422);
    call(
        "PUT",
        "/api/orders/{id}/price",
        format!("/api/orders/{phoned}/price"),
        manager.clone(),
        Some(json!({"price": 300000, "author_fee": 100000})),
    )
    .await
    .ok(200);
    let discounted = call(
        "PUT",
        "/api/orders/{id}/discount",
        format!("/api/orders/{phoned}/discount"),
        manager.clone(),
        Some(json!({"price": 250001, "reason": "a returning client"})),
    )
    .await
    .ok(200);
    assert_eq!(discounted["first_half"], 125000);
    call(
        "PUT",
        "/api/orders/{id}/discount",
        format!("/api/orders/{phoned}/discount"),
        manager.clone(),
        Some(json!({"price": 999999, "reason": "more"})),
    )
    .await
    .problem(422);
    // --- the catalogue and extras ---
    let catalogue = t
        .call_checked("GET", "/api/catalogue", "/api/catalogue", None, None)
        .await
        .ok(200);
    assert_eq!(catalogue["extras"], json!([]));
    let entry = "/api/catalogue/{kind}/{code}";
    for (uri, body) in [
        (
            "/api/catalogue/extras/urgent",
            json!({"name": "Urgent delivery", "price": 150001}),
        ),
        (
            "/api/catalogue/extras/report",
            json!({"name": "Plagiarism report", "price": 50000}),
        ),
    ] {
        call("PUT", entry, uri.into(), admin.clone(), Some(body))
            .await
            .ok(200);
    }
    call(
        "PUT",
        entry,
        "/api/catalogue/extras/slides".into(),
        admin.clone(),
        Some(json!({"name": "Slides"})),
    )
    .await
    .problem(422);
    call(
        "PUT",
        entry,
        "/api/catalogue/extras/slides".into(),
        manager.clone(),
        Some(json!({"name": "Slides", "price": 1})),
    )
    .await
    .problem(403);
    call(
        "DELETE",
        entry,
        "/api/catalogue/extras/report".into(),
        admin.clone(),
        None,
    )
    .await
    .ok(200);
    call(
        "DELETE",
        entry,
        "/api/catalogue/extras/report".into(),
        admin.clone(),
        None,
    )
    .await
    .problem(404);
    call(
        "GET",
        "/api/catalogue/history",
        "/api/catalogue/history".into(),
        auditor.clone(),
        None,
    )
    .await
    .ok(200);
    let extras = "/api/orders/{id}/extras";
    let with_extra = call(
        "POST",
        extras,
        format!("/api/orders/{phoned}/extras"),
        manager.clone(),
        Some(json!({"code": "urgent"})),
    )
    .await
    .ok(200);
    assert_eq!(with_extra["price"], 400002);
    assert_eq!(with_extra["extras"][0]["code"], "urgent");
    for (body, status) in [
        (json!({"code": "urgent"}), 409),
        (json!({"code": "report"}), 422),
    ] {
        call(
            "POST",
            extras,
            format!("/api/orders/{phoned}/extras"),
            manager.clone(),
            Some(body),
        )
        .await
        .problem(status);
    }
    for status in [200, 404] {
        let res = call(
            "DELETE",
            "/api/orders/{id}/extras/{code}",
            format!("/api/orders/{phoned}/extras/urgent"),
            manager.clone(),
            None,
        )
        .await;
        if status == 200 {
            assert_eq!(res.ok(200)["price"], 250001);
        } else {
            res.problem(404);
        }
    }
    let paid = common::accepted_order(t).await;
    let at = format!("/api/orders/{}", paid.order);
    call(
        "POST",
        "/api/orders/{id}/payments",
        format!("{at}/payments"),
        paid.manager.clone(),
        Some(json!({"half": "first", "amount": 125000, "payment_id": "schema-controls-1"})),
    )
    .await
    .ok(200);
    call(
        "POST",
        "/api/orders/{id}/deadline/accept",
        format!("{at}/deadline/accept"),
        paid.client.clone(),
        None,
    )
    .await
    .problem(409);
    for (date, answer) in [("2026-06-01", "decline"), ("2026-06-15", "accept")] {
        let proposed = call(
            "PATCH",
            "/api/orders/{id}",
            at.clone(),
            paid.manager.clone(),
            Some(json!({"deadline": date})),
        )
        .await
        .ok(200);
        assert_eq!(proposed["proposed_deadline"], date);
        let template = if answer == "accept" {
            "/api/orders/{id}/deadline/accept"
        } else {
            "/api/orders/{id}/deadline/decline"
        };
        call(
            "POST",
            template,
            format!("{at}/deadline/{answer}"),
            paid.client.clone(),
            None,
        )
        .await
        .ok(200);
    }
    let mine = call(
        "POST",
        "/api/orders",
        "/api/orders".into(),
        client.clone(),
        Some(common::order_body()),
    )
    .await
    .ok(201);
    let mine = mine["id"].as_str().unwrap().to_string();
    call(
        "POST",
        "/api/orders/{id}/repeat",
        format!("/api/orders/{mine}/repeat"),
        client.clone(),
        Some(json!({"deadline": "2026-07-01"})),
    )
    .await
    .problem(409);
    call(
        "POST",
        "/api/orders/{id}/cancel",
        format!("/api/orders/{mine}/cancel"),
        client.clone(),
        Some(json!({"reason": "changed my mind"})),
    )
    .await
    .ok(200);
    let again = call(
        "POST",
        "/api/orders/{id}/repeat",
        format!("/api/orders/{mine}/repeat"),
        client.clone(),
        Some(json!({"deadline": "2026-07-01"})),
    )
    .await
    .ok(201);
    assert_eq!(again["repeats"], mine.as_str());

    // --- loyalty points ---
    let loyal = common::accepted_order(t).await;
    t.application
        .app
        .client_points(
            loyal.client_id.parse().unwrap(),
            aggregates::points::PointsCommand::CreditCashback {
                order_id: uuid::Uuid::new_v4(),
                points: 40_000,
                at: t.clock.now(),
            },
            &scriptorium::Ctx::system("schema-setup"),
        )
        .await
        .unwrap();
    let spend_at = format!("/api/orders/{}/points", loyal.order);
    call(
        "POST",
        "/api/orders/{id}/points",
        spend_at.clone(),
        loyal.client.clone(),
        Some(json!({"points": 125001})),
    )
    .await
    .problem(422);
    call(
        "POST",
        "/api/orders/{id}/points",
        spend_at.clone(),
        loyal.client.clone(),
        Some(json!({"points": 50000})),
    )
    .await
    .problem(409);
    let o = call(
        "POST",
        "/api/orders/{id}/points",
        spend_at.clone(),
        loyal.client.clone(),
        Some(json!({"points": 25000})),
    )
    .await
    .ok(200);
    assert_eq!(o["first_half_due"], 100000);
    call(
        "POST",
        "/api/orders/{id}/points",
        spend_at,
        loyal.manager.clone(),
        Some(json!({"points": 1})),
    )
    .await
    .problem(403);
    t.workers_caught_up().await;
    let points = call(
        "GET",
        "/api/me/points",
        "/api/me/points".into(),
        loyal.client.clone(),
        None,
    )
    .await
    .ok(200);
    assert_eq!(points["balance"], 15000);
    call(
        "GET",
        "/api/me/points",
        "/api/me/points".into(),
        auditor.clone(),
        None,
    )
    .await
    .problem(403);
    call(
        "GET",
        "/api/clients/{id}/points",
        format!("/api/clients/{}/points", loyal.client_id),
        auditor.clone(),
        None,
    )
    .await
    .ok(200);
    call(
        "GET",
        "/api/clients/{id}/points",
        format!("/api/clients/{nobody}/points"),
        admin.clone(),
        None,
    )
    .await
    .problem(404);

    let never = t.never_succeeded();
    assert!(
        never.is_empty(),
        "documented, but never answered with a 2xx here: {never:?}"
    );
}

// --- the validator itself ---

fn doc() -> Value {
    json!({"components": {"schemas": {
        "Thing": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "at": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "count": {"type": "integer", "format": "int64", "minimum": 0},
                "note": {"type": ["string", "null"]},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "sha": {"type": "string", "pattern": "^[0-9a-f]{4}$"},
            },
            "required": ["id", "count"],
        },
        "Wrapped": {"allOf": [
            {"$ref": "#/components/schemas/Thing"},
            {"type": "object", "properties": {"extra": {"type": "boolean"}}, "required": ["extra"]},
        ]},
        "Maybe": {"type": "object", "properties": {
            "thing": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Thing"}]},
        }},
        "Free": {"type": "object"},
    }}})
}

fn errors(schema: &str, value: Value) -> Vec<String> {
    let doc = doc();
    validate(
        &doc,
        &json!({"$ref": format!("#/components/schemas/{schema}")}),
        &value,
    )
}

const ID: &str = "6f1c2f5e-7c1a-4a55-9d7b-0d6c3c8e2a11";

#[test]
fn the_validator_takes_what_the_schema_says() {
    assert_eq!(
        errors("Thing", json!({"id": ID, "count": 1})),
        Vec::<String>::new()
    );
    let full = json!({
        "id": ID, "at": "2026-03-02T09:00:00+00:00", "day": "2026-04-15", "count": 0,
        "note": null, "kind": "b", "tags": ["x"], "sha": "0a9f",
    });
    assert_eq!(errors("Thing", full), Vec::<String>::new());
    assert_eq!(
        errors("Wrapped", json!({"id": ID, "count": 1, "extra": true})),
        Vec::<String>::new()
    );
    assert_eq!(
        errors("Maybe", json!({"thing": null})),
        Vec::<String>::new()
    );
    assert_eq!(
        errors("Maybe", json!({"thing": {"id": ID, "count": 2}})),
        Vec::<String>::new()
    );
    assert_eq!(
        errors("Free", json!({"anything": [1]})),
        Vec::<String>::new()
    );
}

#[track_caller]
fn fails(schema: &str, value: Value, expected: &str) {
    let errors = errors(schema, value);
    assert!(
        errors.iter().any(|e| e.contains(expected)),
        "expected an error with {expected:?}, got {errors:?}"
    );
}

#[test]
fn the_validator_refuses_what_the_schema_does_not_say() {
    // A property the schema does not declare: a renamed field, even an optional one.
    fails(
        "Thing",
        json!({"id": ID, "count": 1, "notes": "x"}),
        "\"notes\" is not in the schema",
    );
    fails(
        "Thing",
        json!({"id": ID}),
        "required property \"count\" is missing",
    );
    fails(
        "Thing",
        json!({"id": ID, "count": "1"}),
        "/count: \"1\" is not integer",
    );
    fails("Thing", json!({"id": ID, "count": 1.5}), "is not integer");
    fails("Thing", json!({"id": ID, "count": -1}), "below the minimum");
    fails("Thing", json!({"id": "nope", "count": 1}), "is not a uuid");
    fails(
        "Thing",
        json!({"id": ID, "count": 1, "at": "2026-03-02"}),
        "is not a date-time",
    );
    fails(
        "Thing",
        json!({"id": ID, "count": 1, "day": "15.04.2026"}),
        "is not a date",
    );
    fails(
        "Thing",
        json!({"id": ID, "count": 1, "kind": "c"}),
        "is none of",
    );
    fails(
        "Thing",
        json!({"id": ID, "count": 1, "tags": [1]}),
        "/tags/0",
    );
    fails(
        "Thing",
        json!({"id": ID, "count": 1, "sha": "0A9F"}),
        "does not match",
    );
    fails(
        "Thing",
        json!({"id": ID, "count": 1, "note": 3}),
        "is not string or null",
    );
    fails("Thing", json!(null), "is not object");
    // Across an allOf: the union of its branches' properties, and each branch's rules.
    fails(
        "Wrapped",
        json!({"id": ID, "count": 1, "extra": true, "more": 1}),
        "\"more\" is not in the schema",
    );
    fails(
        "Wrapped",
        json!({"id": ID, "count": 1}),
        "\"extra\" is missing",
    );
    fails(
        "Wrapped",
        json!({"id": ID, "extra": true}),
        "\"count\" is missing",
    );
    // Through a oneOf: the branch that fits is checked as strictly.
    fails(
        "Maybe",
        json!({"thing": {"id": ID, "count": 1, "x": 1}}),
        "matches no branch",
    );
    // What the validator cannot check is an error, not a pass.
    let doc = json!({});
    assert!(!validate(
        &doc,
        &json!({"type": "string", "format": "ipv4"}),
        &json!("1.2.3.4")
    )
    .is_empty());
    assert!(!validate(
        &doc,
        &json!({"type": "integer", "multipleOf": 2}),
        &json!(4)
    )
    .is_empty());
    assert!(!validate(&doc, &json!({"$ref": "#/nowhere"}), &json!(1)).is_empty());
}

#[test]
fn an_answer_is_checked_by_its_path_method_status_and_content_type() {
    let doc = json!({
        "paths": {"/things/{id}": {"get": {"responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
            "404": {"description": "no", "content": {"application/problem+json": {"schema": {"type": "object"}}}},
        }}}, "/files": {"get": {"responses": {
            "200": {"description": "ok", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
        }}}},
        "components": doc()["components"],
    });
    let ok = format!(r#"{{"id": "{ID}", "count": 1}}"#);
    let check = |path: &str, status: u16, ct: &str, body: &str| {
        check_answer(&doc, path, "GET", status, ct, body.as_bytes(), false)
    };
    assert!(check("/things/{id}", 200, "application/json", &ok).is_empty());
    assert!(check("/things/{id}", 404, "application/problem+json", "{}").is_empty());
    assert!(check("/files", 200, "application/pdf", "%PDF").is_empty());
    assert!(!check("/things/{id}", 500, "application/json", "{}").is_empty());
    assert!(!check("/things/{id}", 200, "text/plain", &ok).is_empty());
    assert!(!check("/things/{id}", 200, "application/json", "{").is_empty());
    assert!(!check("/nowhere", 200, "application/json", "{}").is_empty());
    assert!(!check_answer(
        &doc,
        "/things/{id}",
        "GET",
        200,
        "application/json",
        ok.as_bytes(),
        true
    )
    .is_empty());

    assert!(fits("/things/{id}", "/things/42?x=1"));
    assert!(!fits("/things/{id}", "/things/42/more"));
    assert!(!fits("/things/{id}", "/other/42"));
}
