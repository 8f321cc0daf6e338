//! The website through the real router: cookie sessions, CSRF, the access policy on
//! pages, and a client's order from checkout to completion by its forms.

mod common;

use std::collections::HashMap;

use aggregates::Role;
use axum::body::Body;
use axum::http::{header, Request};
use common::{accepted_order, Backend, Resp, TestApp};
use serde_json::json;

/// A browser without JavaScript: keeps the cookies it is sent and posts forms.
struct Browser<'t> {
    t: &'t TestApp,
    cookies: HashMap<String, String>,
    lang: Option<&'static str>,
}

struct Page {
    status: u16,
    html: String,
    location: Option<String>,
    resp: Resp,
}

impl Page {
    /// The CSRF token of the page's forms.
    fn csrf(&self) -> String {
        let at = self
            .html
            .find("name=\"_csrf\" value=\"")
            .unwrap_or_else(|| panic!("no form on the page:\n{}", self.html));
        let rest = &self.html[at + "name=\"_csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    #[track_caller]
    fn redirected_to(&self, to: &str) {
        assert_eq!(self.status, 303, "{}", self.html);
        assert_eq!(self.location.as_deref(), Some(to));
    }
}

fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() {
                            (b as char).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect::<String>()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl<'t> Browser<'t> {
    fn new(t: &'t TestApp) -> Browser<'t> {
        Browser {
            t,
            cookies: HashMap::new(),
            lang: None,
        }
    }

    /// A browser already logged in with this session token (the API's and the pages'
    /// sessions are the same sessions).
    fn with_session(t: &'t TestApp, token: &str) -> Browser<'t> {
        let mut b = Browser::new(t);
        b.cookies
            .insert("scriptorium_session".into(), token.to_string());
        b
    }

    fn session(&self) -> Option<&String> {
        self.cookies.get("scriptorium_session")
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Page {
        let mut req = req;
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header(header::COOKIE, c.join("; "));
        }
        if let Some(l) = self.lang {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        let resp = self.t.send(req.body(body).unwrap()).await;
        for c in resp.headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: resp.status.as_u16(),
            html: String::from_utf8_lossy(&resp.bytes).into_owned(),
            location: resp.header("location").map(str::to_string),
            resp,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(form_encode(fields)),
        )
        .await
    }

    /// Posts a `multipart/form-data` form of text `fields` and one `file` part.
    async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Page {
        let boundary = "web-test-boundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/pdf\r\n\r\n",
                file.0
            )
            .as_bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            Request::post(path).header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            ),
            Body::from(body),
        )
        .await
    }

    /// Opens `page`, then posts `fields` to `action` with the page's CSRF token.
    async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let p = self.get(page).await;
        assert_eq!(p.status, 200, "{page}: {}", p.html);
        let csrf = p.csrf();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}

async fn order_json(t: &TestApp, id: &str) -> serde_json::Value {
    let (_, admin) = t.user(Role::Admin, "Audit Admin").await;
    t.get(&format!("/api/orders/{id}"), &admin).await.ok(200)
}

async fn pages_speak_russian_by_default_and_english_when_asked(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let mut b = Browser::new(&t);
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.html.contains("Работы на заказ"), "{}", home.html);
    assert!(home.html.contains("lang=\"ru\""));
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(home.resp.header(name), Some(value));
    }
    let csp = home.resp.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    let cookie = home.resp.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // By Accept-Language.
    let mut en = Browser::new(&t);
    en.lang = Some("en-GB,en;q=0.9");
    let home = en.get("/").await;
    assert!(home.html.contains("Works to order"), "{}", home.html);

    // By ?lang=, remembered; then by the header's switch.
    let p = b.get("/login?lang=en").await;
    assert!(p.html.contains("Log in"));
    assert!(b.get("/").await.html.contains("Works to order"));
    let p = b.submit("/", "/language", &[("language", "ru")]).await;
    assert_eq!(p.status, 303);
    assert!(b.get("/").await.html.contains("Работы на заказ"));
    assert_eq!(b.get("/static/site.css").await.status, 200);
}

async fn a_guest_checks_out_and_logs_in_with_the_mailed_password(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let mut guest = Browser::new(&t);
    let placed = guest
        .submit(
            "/checkout",
            "/checkout",
            &[
                ("full_name", "Olga Guest"),
                ("email", "olga@example.com"),
                ("work_type", "essay"),
                ("subject", "History"),
                ("topic", "Ladoga trade routes"),
                ("pages", "12"),
                ("deadline", "2026-05-01"),
                ("requirements", "Plain language"),
            ],
        )
        .await;
    placed.redirected_to("/login");
    let login = guest.get("/login").await;
    assert!(
        login.html.contains("Заказ оформлен, номер 1") && login.html.contains("olga@example.com"),
        "{}",
        login.html
    );
    // Shown once.
    assert!(!guest.get("/login").await.html.contains("Заказ оформлен"));

    // A bad order changes nothing: shown again with the reason, nobody created.
    let mut other = Browser::new(&t);
    let bad = other
        .submit(
            "/checkout",
            "/checkout",
            &[
                ("full_name", "Petr Late"),
                ("email", "petr@example.com"),
                ("work_type", "essay"),
                ("subject", "History"),
                ("topic", "Too late"),
                ("pages", "12"),
                ("deadline", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(
        bad.html.contains("Too late"),
        "the form keeps what was typed"
    );
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let users = t.get("/api/users", &admin).await.ok(200);
    let emails: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert!(emails.contains(&"olga@example.com"));
    assert!(!emails.contains(&"petr@example.com"));

    let olga = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "olga@example.com")
        .unwrap();
    let password = t
        .application
        .app
        .initial_password(olga["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    let wrong = guest
        .submit(
            "/login",
            "/login",
            &[
                ("email", "olga@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("Неверный адрес или пароль"));
    let ok = guest
        .submit(
            "/login",
            "/login",
            &[("email", "olga@example.com"), ("password", &password)],
        )
        .await;
    ok.redirected_to("/orders");
    let cookie = ok.resp.header("set-cookie").unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let orders = guest.get("/orders").await;
    assert_eq!(orders.status, 200);
    assert!(
        orders.html.contains("Ladoga trade routes"),
        "{}",
        orders.html
    );
    assert!(orders.html.contains("Новый"), "the status in words");
}

async fn a_form_without_the_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let mut client = Browser::with_session(&t, &a.client);
    let pay = format!("/orders/{}/pay", a.order);
    let events = t.event_count().await;
    for fields in [
        vec![("half", "first")],
        vec![
            ("_csrf", "0123456789abcdef0123456789abcdef"),
            ("half", "first"),
        ],
    ] {
        let p = client.post(&pay, &fields).await;
        assert_eq!(p.status, 403, "{}", p.html);
        assert!(p.html.contains("Форма устарела"), "{}", p.html);
    }
    // The token of another visitor's page does not do either.
    let mut stranger = Browser::new(&t);
    let theirs = stranger.get("/checkout").await.csrf();
    assert_eq!(
        client
            .post(&pay, &[("_csrf", &theirs), ("half", "first")])
            .await
            .status,
        403
    );
    let placed = stranger
        .post(
            "/checkout",
            &[
                ("full_name", "X"),
                ("email", "x@example.com"),
                ("topic", "t"),
            ],
        )
        .await;
    assert_eq!(placed.status, 403);
    assert_eq!(t.event_count().await, events, "nothing was appended");
    assert_eq!(order_json(&t, &a.order).await["paid"], 0);

    let page = client.get(&format!("/orders/{}", a.order)).await;
    assert!(page.html.contains("тестовая оплата"), "{}", page.html);
    let p = client
        .submit(&format!("/orders/{}", a.order), &pay, &[("half", "first")])
        .await;
    p.redirected_to(&format!("/orders/{}", a.order));
    assert_eq!(order_json(&t, &a.order).await["paid"], 125000);
}

async fn another_clients_order_is_not_found(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let (_, other) = t.user(Role::Client, "Boris Other").await;
    let mut b = Browser::with_session(&t, &other);
    let page = b.get(&format!("/orders/{}", a.order)).await;
    assert_eq!(page.status, 404);
    assert!(page.html.contains("Такой страницы нет"));
    assert_eq!(b.get("/orders/not-an-id").await.status, 404);
    // Nor can they act on it.
    let csrf = b.get("/orders").await.csrf();
    let p = b
        .post(
            &format!("/orders/{}/pay", a.order),
            &[("_csrf", &csrf), ("half", "first")],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(order_json(&t, &a.order).await["paid"], 0);
    // Their own list does not show it; the order's client sees it.
    assert!(!b.get("/orders").await.html.contains(&a.order));
    let mut owner = Browser::with_session(&t, &a.client);
    assert!(owner.get("/orders").await.html.contains(&a.order));
    // An author sees only what reaches them; nobody logged in is sent to log in.
    let mut anon = Browser::new(&t);
    anon.get(&format!("/orders/{}", a.order))
        .await
        .redirected_to("/login");
}

async fn a_blocked_users_session_ends_at_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (client_id, client) = t.user(Role::Client, "Carl Client").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let mut b = Browser::with_session(&t, &client);
    assert_eq!(b.get("/orders").await.status, 200);
    t.post(
        &format!("/api/users/{client_id}/block"),
        &admin,
        json!({"reason": "fraud"}),
    )
    .await
    .ok(200);
    let p = b.get("/orders").await;
    p.redirected_to("/login");
    assert!(b.session().is_none(), "the cookie is cleared");
    // The session itself is gone: the token opens nothing, even once unblocked.
    t.post(
        &format!("/api/users/{client_id}/unblock"),
        &admin,
        json!({}),
    )
    .await
    .ok(200);
    assert_eq!(t.get("/api/me", &client).await.status, 401);
    assert!(b.get("/login").await.html.contains("Сеанс завершён"));
}

async fn logging_out_ends_the_session(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let mut b = Browser::new(&t);
    b.submit(
        "/register",
        "/register",
        &[
            ("full_name", "Rita Reg"),
            ("email", "rita@example.com"),
            ("password", "correct horse battery"),
        ],
    )
    .await
    .redirected_to("/orders");
    let token = b.session().cloned().expect("a session");
    assert_eq!(t.get("/api/me", &token).await.status, 200);
    let page = b.get("/orders").await;
    assert!(page.html.contains("Rita Reg"));
    b.submit("/orders", "/logout", &[]).await.redirected_to("/");
    assert!(b.session().is_none());
    assert_eq!(t.get("/api/me", &token).await.status, 401);
    b.get("/orders").await.redirected_to("/login");

    // Logging in again as someone else ends the session the browser had.
    b.submit(
        "/login",
        "/login",
        &[
            ("email", "rita@example.com"),
            ("password", "correct horse battery"),
        ],
    )
    .await
    .redirected_to("/orders");
    let rita = b.session().cloned().unwrap();
    let (_, other) = t.user(Role::Client, "Other Client").await;
    let email = t.get("/api/me", &other).await.ok(200)["email"]
        .as_str()
        .unwrap()
        .to_string();
    b.submit(
        "/orders",
        "/login",
        &[("email", &email), ("password", "correct horse battery")],
    )
    .await
    .redirected_to("/orders");
    assert_ne!(b.session(), Some(&rita));
    assert_eq!(
        t.get("/api/me", &rita).await.status,
        401,
        "the first session ended"
    );
    // A session ended elsewhere: its log-out button still just logs out.
    let now = b.session().cloned().unwrap();
    let page = b.get("/orders").await;
    t.post("/api/auth/logout", &now, json!({})).await;
    let csrf = page.csrf();
    b.post("/logout", &[("_csrf", csrf.as_str())])
        .await
        .redirected_to("/");
    assert!(b.session().is_none());
}

async fn test_payments_are_off_unless_switched_on(backend: Backend) {
    let t = TestApp::spawn_with(backend, |c| c.test_payments = false).await;
    let a = accepted_order(&t).await;
    let url = format!("/orders/{}", a.order);
    let mut client = Browser::with_session(&t, &a.client);
    let page = client.get(&url).await;
    assert!(
        !page.html.contains("id=\"pay\""),
        "no pay button: {}",
        page.html
    );
    // Posted anyway: refused, nothing recorded.
    client
        .submit(&url, &format!("{url}/pay"), &[("half", "first")])
        .await
        .redirected_to(&url);
    assert!(client
        .get(&url)
        .await
        .html
        .contains("test payments are off"));
    assert_eq!(order_json(&t, &a.order).await["paid"], 0);
}

async fn a_client_pays_reviews_and_completes_an_order_on_its_page(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let url = format!("/orders/{}", a.order);
    let mut client = Browser::with_session(&t, &a.client);
    let page = client.get(&url).await;
    assert!(page.html.contains("Ожидает предоплаты"), "{}", page.html);
    assert!(
        page.html.contains("1\u{a0}250,00\u{a0}₽"),
        "the first half in roubles"
    );
    assert!(!page.html.contains("id=\"complete\""));
    client
        .submit(&url, &format!("{url}/pay"), &[("half", "first")])
        .await
        .redirected_to(&url);

    t.upload(
        &format!("/api/orders/{}/draft", a.order),
        &a.author,
        "draft.txt",
        b"half of it",
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{}/draft/approve", a.order),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    let page = client.get(&url).await;
    assert!(page.html.contains("Готов на 50%"), "{}", page.html);
    let link = format!("/orders/{}/files/", a.order);
    let at = page.html.find(&link).expect("the draft's link");
    let href = &page.html[at..at + page.html[at..].find('"').unwrap()];
    let file = client.get(href).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.resp.bytes, b"half of it");
    client
        .submit(&url, &format!("{url}/pay"), &[("half", "second")])
        .await
        .redirected_to(&url);
    assert_eq!(order_json(&t, &a.order).await["paid"], 250001);

    t.upload(
        &format!("/api/orders/{}/final", a.order),
        &a.author,
        "final.txt",
        b"all of it",
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{}/final/approve", a.order),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    let page = client.get(&url).await;
    assert!(page.html.contains("Выдан"), "{}", page.html);
    assert!(page.html.contains("id=\"revision\""));
    // A rating out of range is refused with its reason, and nothing changes.
    client
        .submit(
            &url,
            &format!("{url}/complete"),
            &[("rating", "9"), ("review", "")],
        )
        .await
        .redirected_to(&url);
    let page = client.get(&url).await;
    assert!(page.html.contains("Не получилось"), "{}", page.html);
    assert_eq!(order_json(&t, &a.order).await["status"], "delivered");
    client
        .submit(
            &url,
            &format!("{url}/complete"),
            &[("rating", "4"), ("review", "Good")],
        )
        .await
        .redirected_to(&url);
    let page = client.get(&url).await;
    assert!(page.html.contains("Завершён"), "{}", page.html);
    for words in [
        "Заказ оформлен",
        "Назначена цена",
        "Автор взял заказ",
        "Получена оплата",
        "Черновик одобрен",
        "Работа выдана",
        "Заказ завершён",
    ] {
        assert!(page.html.contains(words), "the timeline says {words:?}");
    }
    assert!(!page.html.contains("id=\"pay\""), "nothing left to pay");
    let done = order_json(&t, &a.order).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["rating"], 4);
}

async fn the_managers_table_filters_sorts_and_pages_in_the_url(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    for i in 0..3 {
        let mut body = common::order_body();
        body["topic"] = json!(format!("Topic number {i}"));
        let o = t.post("/api/orders", &client, body).await.ok(201);
        t.wait_routed(o["id"].as_str().unwrap()).await;
    }
    let mut b = Browser::with_session(&t, &manager);
    let page = b.get("/orders?sort=-number&per_page=2").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let first = page.html.find("Topic number 2").expect("the newest first");
    assert!(page.html.find("Topic number 1").unwrap() > first);
    assert!(!page.html.contains("Topic number 0"), "two per page");
    assert!(
        page.html.contains("Автор"),
        "the staff's table has the author column"
    );
    // The next page's link keeps the filters (askama writes `&` as a character reference).
    let next = "/orders?per_page=2&sort=-number&page=2";
    let html = page.html.replace("&#38;", "&").replace("&amp;", "&");
    assert!(html.contains(next), "{html}");
    let page = b.get("/orders?per_page=2&sort=-number&page=2").await;
    assert!(page.html.contains("Topic number 0"));
    let page = b.get("/orders?status=completed").await;
    assert!(!page.html.contains("Topic number"));
    let page = b.get("/orders?q=number%201").await;
    assert!(page.html.contains("Topic number 1"));
    // A bad filter is said, not a crash.
    let page = b.get("/orders?status=nonsense").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("unknown status"));
}

/// Opens `path` as the holder of `token` and checks the answer's status.
async fn expect(t: &TestApp, token: &str, path: &str, status: u16) -> Page {
    let mut b = Browser::with_session(t, token);
    let p = b.get(path).await;
    assert_eq!(p.status, status, "{path}: {}", p.html);
    p
}

async fn staff_pages_follow_the_access_policy(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let (_, other_author) = t.user(Role::Author, "Other Author").await;
    let (_, clerk) = t.user(Role::PayoutClerk, "Klara Clerk").await;
    let (_, auditor) = t.user(Role::Auditor, "Oleg Auditor").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    // Nobody logged in: to the log-in page.
    let mut anon = Browser::new(&t);
    for path in [
        "/offers", "/ledger", "/payouts", "/audit", "/admin", "/reports",
    ] {
        anon.get(path).await.redirected_to("/login");
    }
    for path in [
        "/offers", "/payouts", "/audit", "/admin", "/reports", "/ledger",
    ] {
        let p = expect(&t, &a.client, path, 403).await;
        assert!(p.html.contains("Это вам недоступно"), "{path}");
    }
    for path in ["/payouts", "/audit", "/admin"] {
        expect(&t, &a.manager, path, 403).await;
        expect(&t, &a.author, path, 403).await;
    }
    expect(&t, &a.author, "/offers", 200).await;
    let own = expect(&t, &a.author, "/ledger", 200).await;
    assert!(own.html.contains("id=\"balance\""));
    // Another author's ledger is not there for an author; the clerk, auditor, admin read it.
    expect(
        &t,
        &other_author,
        &format!("/ledger?author={}", a.author_id),
        404,
    )
    .await;
    for token in [&clerk, &auditor, &admin] {
        let p = expect(&t, token, &format!("/ledger?author={}", a.author_id), 200).await;
        assert!(p.html.contains("Ivan Petrov"), "{}", p.html);
    }
    expect(&t, &clerk, "/payouts", 200).await;
    expect(&t, &auditor, "/audit", 200).await;
    expect(&t, &auditor, "/reports", 200).await;
    expect(&t, &admin, "/admin", 200).await;
    expect(&t, &admin, "/reports", 200).await;
    // The order page shows the manager's forms to the manager only.
    let url = format!("/orders/{}", a.order);
    let p = expect(&t, &a.client, &url, 200).await;
    assert!(!p.html.contains("/review") && !p.html.contains("id=\"price-form\""));
    let p = expect(&t, &other_author, &url, 404).await;
    assert!(!p.html.contains("Ivan Petrov"));
    // The author never sees the client's name or contact on the order's page; the
    // timeline still says the client placed it.
    let p = expect(&t, &a.author, &url, 200).await;
    assert!(!p.html.contains("Anna Client"), "{}", p.html);
    assert!(
        p.html.contains("· Клиент</time><strong>Заказ оформлен"),
        "{}",
        p.html
    );
    // The admin reads the payouts due but records none: no form.
    let p = expect(&t, &admin, "/payouts", 200).await;
    assert!(!p.html.contains("action=\"/payouts\""), "{}", p.html);
}

async fn an_author_declines_with_a_reason_the_manager_reads(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let o = t
        .post("/api/orders", &client, common::order_body())
        .await
        .ok(201);
    let id = o["id"].as_str().unwrap().to_string();
    t.wait_routed(&id).await;
    // The manager prices and offers it on the order's page.
    let url = format!("/orders/{id}");
    let mut m = Browser::with_session(&t, &manager);
    let p = m.get(&url).await;
    assert!(p.html.contains("id=\"price-form\""), "{}", p.html);
    m.submit(
        &url,
        &format!("{url}/price"),
        &[("price", "three thousand"), ("author_fee", "")],
    )
    .await
    .redirected_to(&url);
    let p = m.get(&url).await;
    assert!(
        p.html.contains("Не получилось") && p.html.contains("not an amount"),
        "{}",
        p.html
    );
    assert_eq!(order_json(&t, &id).await["price"], serde_json::Value::Null);
    m.submit(
        &url,
        &format!("{url}/price"),
        &[("price", "3 000,50"), ("author_fee", "1200")],
    )
    .await
    .redirected_to(&url);
    let o = order_json(&t, &id).await;
    assert_eq!(
        (o["price"].as_i64(), o["author_fee"].as_i64()),
        (Some(300050), Some(120000))
    );
    let p = m.get(&url).await;
    assert!(
        p.html.contains("Ivan Petrov") && p.html.contains("100.0%"),
        "{}",
        p.html
    );
    m.submit(&url, &format!("{url}/offer"), &[("author_id", &author_id)])
        .await
        .redirected_to(&url);
    assert_eq!(order_json(&t, &id).await["offered_to"], json!(author_id));

    // The author sees it in the queue, without the client, and declines with a reason.
    let mut b = Browser::with_session(&t, &author);
    let q = b.get("/offers").await;
    assert!(q.html.contains("The Novgorod Republic"), "{}", q.html);
    assert!(q.html.contains("1\u{a0}200,00"), "the fee");
    assert!(!q.html.contains("Anna Client"));
    b.submit("/offers", &format!("{url}/decline"), &[("reason", "")])
        .await
        .redirected_to("/offers");
    assert!(b.get("/offers").await.html.contains("Не получилось"));
    assert_eq!(order_json(&t, &id).await["offered_to"], json!(author_id));
    b.submit(
        "/offers",
        &format!("{url}/decline"),
        &[("reason", "Not my period")],
    )
    .await
    .redirected_to("/offers");
    assert!(b.get("/offers").await.html.contains("id=\"no-offers\""));
    let p = m.get(&url).await;
    assert!(
        p.html.contains("отказался") && p.html.contains("Not my period"),
        "{}",
        p.html
    );
}

async fn a_clerk_pays_out_what_is_due_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    common::delivered_and_completed(&t, &a, json!({"rating": 5, "review": "Good"})).await;
    let (_, clerk) = t.user(Role::PayoutClerk, "Klara Clerk").await;
    let ledger = format!("/api/authors/{}/ledger", a.author_id);
    for _ in 0..200 {
        if t.get(&ledger, &a.author).await.ok(200)["balance"] == 100000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut b = Browser::with_session(&t, &clerk);
    let p = b.get("/payouts").await;
    assert!(
        p.html.contains("Ivan Petrov") && p.html.contains("1\u{a0}000,00"),
        "{}",
        p.html
    );
    let pay = |amount: &'static str, reference: &'static str| {
        vec![
            ("author_id", a.author_id.as_str()),
            ("amount", amount),
            ("reference", reference),
        ]
    };
    // Above the balance: refused by the account, nothing recorded.
    b.submit("/payouts", "/payouts", &pay("1000.01", "PP-1"))
        .await
        .redirected_to("/payouts");
    assert!(b.get("/payouts").await.html.contains("Не получилось"));
    assert_eq!(t.get(&ledger, &a.author).await.ok(200)["balance"], 100000);
    b.submit("/payouts", "/payouts", &pay("1000", "PP-1"))
        .await
        .redirected_to("/payouts");
    let p = b.get("/payouts").await;
    assert!(
        p.html.contains("id=\"none-due\"") && p.html.contains("PP-1"),
        "{}",
        p.html
    );
    // The same reference again (a double click): one payout.
    let again = b
        .post(
            "/payouts",
            &[
                ("_csrf", p.csrf().as_str()),
                ("author_id", a.author_id.as_str()),
                ("amount", "1000"),
                ("reference", "PP-1"),
            ],
        )
        .await;
    again.redirected_to("/payouts");
    let l = t.get(&ledger, &a.author).await.ok(200);
    assert_eq!(l["balance"], 0);
    let payouts = l["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "payout")
        .count();
    assert_eq!(payouts, 1);
    // The author's ledger page shows the fee and the payout.
    let mut author = Browser::with_session(&t, &a.author);
    let p = author.get("/ledger").await;
    assert!(
        p.html.contains("Гонорар за заказ") && p.html.contains("Выплата"),
        "{}",
        p.html
    );
    assert!(p.html.contains("PP-1"));
}

async fn the_auditor_sees_a_broken_chain(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let (_, auditor) = t.user(Role::Auditor, "Oleg Auditor").await;
    let number = order_json(&t, &a.order).await["number"].as_i64().unwrap();
    let mut b = Browser::with_session(&t, &auditor);
    let url = format!("/audit?order={number}&as_of=2026-03-02&time=08:00");
    let p = b.get(&url).await;
    assert!(p.html.contains("Цепочка хешей цела"), "{}", p.html);
    assert!(p.html.contains("OrderPlaced") && p.html.contains("OfferAccepted"));
    assert!(
        p.html.contains("Заказа тогда ещё не было"),
        "placed at 09:00"
    );
    let p = b
        .get(&format!("/audit?order={}&as_of=2026-03-02", a.order))
        .await;
    assert!(
        p.html.contains("id=\"past-status\">Ожидает предоплаты"),
        "{}",
        p.html
    );
    let p = b.get("/audit?order=nonsense").await;
    assert!(p.html.contains("neither an order"), "{}", p.html);
    // Someone edits a stored event by hand: the page says where the chain breaks.
    let edited = t
        .application
        .app
        .db
        .execute(
            "UPDATE events SET payload = \
             '{\"PriceSet\":{\"price\":2,\"author_fee\":0,\"first_half\":1,\"second_half\":1}}' \
             WHERE aggregate_type = 'Order' AND aggregate_id = $1 AND event_type = 'PriceSet'",
            &projections::args![a.order.as_str()],
        )
        .await
        .unwrap();
    assert_eq!(edited, 1);
    let p = b.get(&format!("/audit?order={number}")).await;
    assert!(p.html.contains("Цепочка хешей нарушена"), "{}", p.html);
    assert!(p.html.contains("content changed"), "{}", p.html);
}

async fn reports_draw_their_charts_in_the_visitors_language(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    common::delivered_and_completed(&t, &a, json!({"rating": 5, "review": "Good"})).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let mut b = Browser::with_session(&t, &admin);
    let p = b
        .get("/reports?lang=en&from=2026-03-01&to=2026-03-02")
        .await;
    assert_eq!(p.status, 200, "{}", p.html);
    assert!(p.html.contains("Revenue by day") && p.html.contains("Average check by day"));
    assert!(p.html.contains("id=\"revenue\">2,500.01 RUB"), "{}", p.html);
    assert_eq!(p.html.matches("<svg").count(), 3);
    assert!(
        p.html.contains("2 March 2026: 2,500.01 RUB"),
        "a bar names its value"
    );
    assert!(p.html.contains("Completed: 1"), "{}", p.html);
    let p = b.get("/reports?from=yesterday").await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("not a date"), "{}", p.html);
}

async fn the_admin_manages_users_authors_and_settings_by_forms(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (author_id, _) = t.bare_user(Role::Author, "New Author").await;
    let mut b = Browser::with_session(&t, &admin);
    b.submit(
        "/admin",
        "/admin/users",
        &[
            ("full_name", "Maria Manager"),
            ("email", "maria@example.com"),
            ("role", "manager"),
            ("password", "long enough pass"),
        ],
    )
    .await
    .redirected_to("/admin");
    assert!(b.get("/admin").await.html.contains("maria@example.com"));
    // A bad email: refused, nobody made.
    b.submit(
        "/admin",
        "/admin/users",
        &[
            ("full_name", "X"),
            ("email", "not-an-email"),
            ("role", "manager"),
            ("password", "long enough pass"),
        ],
    )
    .await
    .redirected_to("/admin");
    assert!(b.get("/admin").await.html.contains("Не получилось"));
    assert_eq!(
        t.get("/api/users", &admin)
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // An author's profile.
    b.submit(
        "/admin",
        &format!("/admin/authors/{author_id}"),
        &[
            ("subjects", "History, Law"),
            ("rating", "4,5"),
            ("max_active_orders", "4"),
            ("available", "true"),
        ],
    )
    .await
    .redirected_to("/admin");
    let p = t
        .get(&format!("/api/authors/{author_id}"), &admin)
        .await
        .ok(200);
    assert_eq!(p["subjects"], json!(["History", "Law"]));
    assert_eq!(p["rating"], 4.5);
    assert_eq!(p["max_active_orders"], 4);
    // The settings: each change an event, its history on the page.
    b.submit(
        "/admin",
        "/admin/settings",
        &[
            ("payout_threshold", "1500"),
            ("author_fee_percent", "45"),
            ("guarantee_days", "14"),
            ("offer_ttl_hours", "12"),
        ],
    )
    .await
    .redirected_to("/admin");
    let s = t.get("/api/settings", &admin).await.ok(200);
    assert_eq!(
        (
            s["payout_threshold"].as_i64(),
            s["author_fee_percent"].as_i64(),
            s["offer_ttl_hours"].as_i64()
        ),
        (Some(150000), Some(45), Some(12))
    );
    let p = b.get("/admin").await;
    assert!(
        p.html.contains("id=\"settings-history\"") && p.html.contains("Порог выплаты"),
        "{}",
        p.html
    );
    // Out of range: nothing changes.
    b.submit(
        "/admin",
        "/admin/settings",
        &[
            ("payout_threshold", "1500"),
            ("author_fee_percent", "101"),
            ("guarantee_days", "14"),
            ("offer_ttl_hours", "12"),
        ],
    )
    .await
    .redirected_to("/admin");
    assert_eq!(
        t.get("/api/settings", &admin).await.ok(200)["author_fee_percent"],
        45
    );
    // Block from the page: the user's session ends.
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    b.submit(
        "/admin",
        &format!("/admin/users/{client_id}/block"),
        &[("reason", "fraud")],
    )
    .await
    .redirected_to("/admin");
    t.get("/api/me", &client).await.problem(403);
    b.submit("/admin", &format!("/admin/users/{client_id}/unblock"), &[])
        .await
        .redirected_to("/admin");
    assert!(!b.get("/admin").await.html.contains("class=\"blocked\""));
}

async fn a_review_published_on_the_page_reaches_the_home_page_until_hidden(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let id = &a.order;
    let pay = |half: &str, amount: i64, pid: &str| json!({"half": half, "amount": amount, "payment_id": pid});
    t.post(
        &format!("/api/orders/{id}/payments"),
        &a.manager,
        pay("first", 125000, "p-1"),
    )
    .await
    .ok(200);
    t.upload(
        &format!("/api/orders/{id}/draft"),
        &a.author,
        "d.txt",
        b"half",
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/draft/approve"),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/payments"),
        &a.manager,
        pay("second", 125001, "p-2"),
    )
    .await
    .ok(200);
    t.upload(
        &format!("/api/orders/{id}/final"),
        &a.author,
        "f.txt",
        b"all",
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/final/approve"),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    let url = format!("/orders/{id}");
    let mut client = Browser::with_session(&t, &a.client);
    assert!(client.get(&url).await.html.contains("id=\"publish\""));
    client
        .submit(
            &url,
            &format!("{url}/complete"),
            &[
                ("rating", "5"),
                ("review", "Superb sources"),
                ("publish", "true"),
            ],
        )
        .await
        .redirected_to(&url);
    let mut anon = Browser::new(&t);
    let home = anon.get("/").await;
    assert!(
        home.html.contains("Superb sources") && home.html.contains("id=\"average\">5,00"),
        "{}",
        home.html
    );
    assert!(home.html.contains("★★★★★"));
    assert!(!home.html.contains("Anna Client"));
    // The manager sees it is public and hides it from the order's page.
    let mut m = Browser::with_session(&t, &a.manager);
    let p = m.get(&url).await;
    assert!(p.html.contains("id=\"hide-review\""), "{}", p.html);
    m.submit(
        &url,
        &format!("{url}/hide-review"),
        &[("reason", "names a person")],
    )
    .await
    .redirected_to(&url);
    let p = m.get(&url).await;
    assert!(!p.html.contains("id=\"hide-review\""));
    assert!(
        p.html.contains("Отзыв скрыт") && p.html.contains("names a person"),
        "{}",
        p.html
    );
    let home = anon.get("/").await;
    assert!(!home.html.contains("Superb sources"));
    assert!(home.html.contains("Отзывов пока нет"));
}

async fn the_order_page_holds_a_contact_until_the_manager_approves_it(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let url = format!("/orders/{}", a.order);
    let mut client = Browser::with_session(&t, &a.client);
    let p = client.get(&url).await;
    assert!(
        p.html.contains("id=\"message-form\"") && p.html.contains("Сообщений пока нет"),
        "{}",
        p.html
    );
    client
        .submit(
            &url,
            &format!("{url}/messages"),
            &[("text", "Позвоните мне: +7 900 123-45-67")],
        )
        .await
        .redirected_to(&url);
    let p = client.get(&url).await;
    assert!(
        p.html
            .contains("Сообщение отправлено менеджеру на проверку"),
        "{}",
        p.html
    );
    assert!(
        p.html.contains("Ждёт одобрения менеджера: есть телефон"),
        "{}",
        p.html
    );
    // The author sees neither the held text nor who the client is.
    let mut author = Browser::with_session(&t, &a.author);
    let p = author.get(&url).await;
    assert!(!p.html.contains("+7 900"), "{}", p.html);
    assert!(!p.html.contains("Anna Client"));
    assert!(p.html.contains("id=\"message-form\""));
    // The manager approves it from the page; then the author reads it, by its side only.
    let mut manager = Browser::with_session(&t, &a.manager);
    let queue = manager.get("/orders").await;
    assert!(
        queue.html.contains("Сообщения ждут одобрения: 1")
            && queue.html.contains(&format!("href=\"{url}#messages\"")),
        "{}",
        queue.html
    );
    let p = manager.get(&url).await;
    assert!(p.html.contains("class=\"approve-message\""), "{}", p.html);
    assert!(p.html.contains("Anna Client (Клиент)"), "{}", p.html);
    let message = t
        .get(&format!("/api/orders/{}/messages", a.order), &a.manager)
        .await
        .ok(200)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    manager
        .submit(&url, &format!("{url}/messages/{message}/approve"), &[])
        .await
        .redirected_to(&url);
    assert!(!manager
        .get(&url)
        .await
        .html
        .contains("class=\"approve-message\""));
    assert!(!manager.get("/orders").await.html.contains("held-messages"));
    let p = author.get(&url).await;
    assert!(p.html.contains("+7 900 123-45-67"), "{}", p.html);
    assert!(
        p.html.contains("Сообщение одобрено"),
        "the timeline says so: {}",
        p.html
    );
    assert!(!p.html.contains("Anna Client"));
    // The author answers; the client reads it without the author's name, in English too.
    author
        .submit(
            &url,
            &format!("{url}/messages"),
            &[("text", "Спасибо, пишите здесь.")],
        )
        .await
        .redirected_to(&url);
    let p = client.get(&format!("{url}?lang=en")).await;
    assert!(p.html.contains("Conversation") && p.html.contains("Спасибо, пишите здесь."));
    assert!(!p.html.contains("Ivan Petrov"), "{}", p.html);
    // Someone else's order: no page at all.
    let (_, other) = t.user(Role::Client, "Olga Other").await;
    expect(&t, &other, &url, 404).await;
}

/// A work listed by a manager through the service; its id.
async fn shop_work(t: &TestApp, title: &str, subject: &str, price: i64) -> String {
    let (manager_id, _) = t.user(Role::Manager, "Shop Manager").await;
    let ctx = scriptorium::app::Ctx::request(
        aggregates::Actor::new(manager_id.parse().unwrap(), Role::Manager),
        "web-test",
    );
    let new = scriptorium::app::shop::NewReadyWork {
        title: title.into(),
        subject: subject.into(),
        work_type: "essay".into(),
        pages: 10,
        price,
        description: "Источники и выводы".into(),
        file: scriptorium::app::orders::Upload {
            bytes: axum::body::Bytes::from_static(b"%PDF shop work"),
            name: "work.pdf".into(),
            content_type: "application/pdf".into(),
        },
    };
    let w = t.application.app.list_ready_work(&ctx, new).await.unwrap();
    w.id.to_string()
}

async fn a_manager_lists_a_work_on_the_shop_page_and_delists_it(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    expect(&t, &client, "/shop", 403).await;
    let mut staff = Browser::with_session(&t, &manager);
    let page = staff.get("/shop").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("id=\"list-work\""));
    let csrf = page.csrf();
    // A bad price: refused with the reason, nothing listed.
    let fields = |price: &'static str| {
        vec![
            ("title", "Пётр Первый"),
            ("subject", "История"),
            ("work_type", "essay"),
            ("pages", "12"),
            ("price", price),
            ("description", "Реформы"),
        ]
    };
    let mut bad = fields("дорого");
    bad.push(("_csrf", csrf.as_str()));
    staff
        .post_multipart("/shop", &bad, ("work.pdf", b"%PDF"))
        .await
        .redirected_to("/shop");
    assert!(staff
        .get("/shop")
        .await
        .html
        .contains("not an amount in roubles"));
    let mut good = fields("1500");
    good.push(("_csrf", csrf.as_str()));
    staff
        .post_multipart("/shop", &good, ("work.pdf", b"%PDF-1.4 work"))
        .await
        .redirected_to("/shop");
    let page = staff.get("/shop").await;
    assert!(page.html.contains("Пётр Первый"), "{}", page.html);
    assert!(page.html.contains("1\u{a0}500,00\u{a0}₽"));

    // On the home page for anyone, with the filters and the search.
    let mut anyone = Browser::new(&t);
    let home = anyone.get("/").await;
    assert!(home.html.contains("Пётр Первый"), "{}", home.html);
    let found = anyone
        .get("/?q=%D0%BF%D0%81%D0%A2%D0%A0&subject=&work_type=&min_price=&max_price=")
        .await;
    assert!(found.html.contains("Пётр Первый"), "{}", found.html);
    let none = anyone.get("/?min_price=2000").await;
    assert!(!none.html.contains("Пётр Первый") && none.html.contains("id=\"no-works\""));
    let refused = anyone.get("/?max_price=much").await;
    assert_eq!(refused.status, 200);
    assert!(refused.html.contains("not an amount in roubles"));

    // Its page: a guest's form; staff's delist form.
    let works = t.call("GET", "/api/ready-works", None, None).await.ok(200);
    let id = works["items"][0]["id"].as_str().unwrap().to_string();
    let url = format!("/shop/{id}");
    let page = anyone.get(&url).await;
    assert!(page.html.contains("id=\"guest-buy\"") && !page.html.contains("id=\"delist\""));
    assert!(
        !page.html.contains("work.pdf"),
        "the file is not the public's"
    );
    anyone
        .get(&format!("{url}/file"))
        .await
        .redirected_to("/login");
    let staff_page = staff.get(&url).await;
    assert!(staff_page.html.contains("id=\"delist\"") && staff_page.html.contains("work.pdf"));
    staff
        .submit(&url, &format!("{url}/delist"), &[("reason", "устарела")])
        .await
        .redirected_to(&url);
    let page = anyone.get(&url).await;
    assert!(page.html.contains("Снята с продажи") && !page.html.contains("id=\"buy\""));
    assert!(!anyone.get("/").await.html.contains("Пётр Первый"));
}

async fn a_guest_buys_a_work_and_a_client_pays_one_on_their_purchases_page(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let id = shop_work(&t, "Cell biology", "Biology", 90_000).await;
    let url = format!("/shop/{id}");
    // A guest buys with an email: an account, and a log-in page telling them.
    let mut guest = Browser::new(&t);
    guest
        .submit(
            &url,
            &format!("{url}/buy"),
            &[
                ("email", "shop.guest@example.com"),
                ("full_name", "Shop Guest"),
            ],
        )
        .await
        .redirected_to("/login");
    let login = guest.get("/login").await;
    assert!(
        login.html.contains("Покупка оформлена") && login.html.contains("shop.guest@example.com"),
        "{}",
        login.html
    );
    // Bad contact data: back to the work with the reason.
    guest
        .submit(
            &url,
            &format!("{url}/buy"),
            &[("email", "nope"), ("full_name", "X")],
        )
        .await
        .redirected_to(&url);

    // A logged-in client buys with one button and pays on their purchases page.
    let (_, token) = t.user(Role::Client, "Anna Client").await;
    let mut client = Browser::with_session(&t, &token);
    let page = client.get(&url).await;
    assert!(page.html.contains("id=\"buy\"") && !page.html.contains("id=\"guest-buy\""));
    client
        .submit(&url, &format!("{url}/buy"), &[])
        .await
        .redirected_to("/purchases");
    let list = client.get("/purchases").await;
    assert!(
        list.html.contains("Cell biology") && list.html.contains("Ожидает оплаты"),
        "{}",
        list.html
    );
    assert!(list.html.contains("class=\"pay-purchase\""));
    let mine = t.get("/api/purchases", &token).await.ok(200);
    assert_eq!(mine["total"], 1);
    let pid = mine["items"][0]["id"].as_str().unwrap().to_string();
    client
        .submit("/purchases", &format!("/purchases/{pid}/pay"), &[])
        .await
        .redirected_to("/purchases");
    let list = client.get("/purchases").await;
    assert!(list.html.contains("Оплачена"), "{}", list.html);
    let file = client.get(&format!("/purchases/{pid}/file")).await;
    assert_eq!(
        (file.status, file.resp.bytes.as_slice()),
        (200, b"%PDF shop work".as_slice())
    );
    assert_eq!(
        t.get(&format!("/api/purchases/{pid}"), &token)
            .await
            .ok(200)["status"],
        "paid"
    );
    // Another client gets no such page.
    let (_, other) = t.user(Role::Client, "Other Client").await;
    expect(&t, &other, &format!("/purchases/{pid}/file"), 404).await;
}

on_both!(
    the_order_page_holds_a_contact_until_the_manager_approves_it,
    pages_speak_russian_by_default_and_english_when_asked,
    a_guest_checks_out_and_logs_in_with_the_mailed_password,
    a_form_without_the_csrf_token_is_refused_and_changes_nothing,
    another_clients_order_is_not_found,
    a_blocked_users_session_ends_at_once,
    logging_out_ends_the_session,
    a_client_pays_reviews_and_completes_an_order_on_its_page,
    the_managers_table_filters_sorts_and_pages_in_the_url,
    staff_pages_follow_the_access_policy,
    an_author_declines_with_a_reason_the_manager_reads,
    a_clerk_pays_out_what_is_due_once,
    the_auditor_sees_a_broken_chain,
    reports_draw_their_charts_in_the_visitors_language,
    the_admin_manages_users_authors_and_settings_by_forms,
    test_payments_are_off_unless_switched_on,
    a_review_published_on_the_page_reaches_the_home_page_until_hidden,
    stage_limits_are_set_on_the_admins_page_and_problems_shown_in_the_managers_table,
    a_manager_takes_an_order_by_phone_edits_and_discounts_it_on_its_page,
    a_client_answers_a_proposed_deadline_and_repeats_a_finished_order_on_its_page,
    a_manager_lists_a_work_on_the_shop_page_and_delists_it,
    a_guest_buys_a_work_and_a_client_pays_one_on_their_purchases_page,
    a_company_signs_up_by_the_form_and_the_admin_and_reports_tell_companies_apart,
    the_admin_keeps_the_catalogue_and_a_manager_adds_extras_on_the_orders_page,
    points_and_referrals_on_the_pages,
);

async fn the_admin_keeps_the_catalogue_and_a_manager_adds_extras_on_the_orders_page(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let mut a = Browser::with_session(&t, &admin);
    for fields in [
        [
            ("kind", "extras"),
            ("code", "urgent"),
            ("name", "Urgent delivery"),
            ("price", "1500.01"),
        ],
        [
            ("kind", "work-types"),
            ("code", "poem"),
            ("name", "Поэма"),
            ("price", ""),
        ],
    ] {
        a.submit("/admin", "/admin/catalogue", &fields)
            .await
            .redirected_to("/admin#catalogue");
    }
    a.submit("/admin", "/admin/catalogue/subjects/law/retire", &[])
        .await
        .redirected_to("/admin#catalogue");
    let p = a.get("/admin").await;
    assert!(
        p.html.contains("data-code=\"urgent\"") && p.html.contains("1\u{a0}500,01"),
        "{}",
        p.html
    );
    assert!(!p.html.contains("data-code=\"law\""), "{}", p.html);
    assert!(p.html.contains("id=\"catalogue-history\""), "{}", p.html);
    // A client cannot change the catalogue by its form.
    let (_, client) = t.user(Role::Client, "Clara Client").await;
    let mut c = Browser::with_session(&t, &client);
    let home = c.get("/checkout").await;
    let csrf = home.csrf();
    let refused = c
        .post(
            "/admin/catalogue",
            &[
                ("_csrf", csrf.as_str()),
                ("kind", "extras"),
                ("code", "x"),
                ("name", "X"),
                ("price", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    // The checkout offers what the catalogue holds.
    assert!(
        home.html.contains("value=\"poem\"") && !home.html.contains(">Law<"),
        "{}",
        home.html
    );

    // The manager adds and removes the extra on the order's page.
    let acc = accepted_order(&t).await;
    let to = format!("/orders/{}", acc.order);
    let mut m = Browser::with_session(&t, &acc.manager);
    assert!(m.get(&to).await.html.contains("id=\"add-extra-form\""));
    m.submit(&to, &format!("{to}/extras"), &[("code", "urgent")])
        .await
        .redirected_to(&to);
    let o = order_json(&t, &acc.order).await;
    assert_eq!(o["price"], 400_002);
    assert_eq!(
        (o["first_half"].as_i64(), o["second_half"].as_i64()),
        (Some(200_001), Some(200_001))
    );
    // The client sees it in the order and its timeline, in either language; no form.
    let mut cl = Browser::with_session(&t, &acc.client);
    let p = cl.get(&to).await;
    assert!(
        p.html.contains("Добавлена услуга") && p.html.contains("Urgent delivery"),
        "{}",
        p.html
    );
    assert!(!p.html.contains("add-extra-form"));
    let p = cl.get(&format!("{to}?lang=en")).await;
    assert!(p.html.contains("Extra service added"), "{}", p.html);
    let csrf = p.csrf();
    let refused = cl
        .post(
            &format!("{to}/extras/urgent/remove"),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    m.submit(&to, &format!("{to}/extras/urgent/remove"), &[])
        .await
        .redirected_to(&to);
    assert_eq!(order_json(&t, &acc.order).await["price"], 250_001);
}

async fn a_manager_takes_an_order_by_phone_edits_and_discounts_it_on_its_page(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let mut b = Browser::with_session(&t, &manager);
    // The checkout page is the phone form for staff: the client's contact is asked for.
    let p = b.get("/checkout").await;
    assert!(
        p.html.contains("Заказ по телефону") && p.html.contains("name=\"email\""),
        "{}",
        p.html
    );
    let placed = b
        .submit(
            "/checkout",
            "/checkout",
            &[
                ("full_name", "Petr Caller"),
                ("email", "caller@example.com"),
                ("work_type", "essay"),
                ("subject", "History"),
                ("topic", "Ladoga trade"),
                ("pages", "12"),
                ("deadline", "2026-05-01"),
                ("requirements", ""),
            ],
        )
        .await;
    let to = placed.location.clone().expect("to the new order");
    let id = to.trim_start_matches("/orders/").to_string();
    let o = order_json(&t, &id).await;
    assert_eq!(o["source"], "manager");
    assert_eq!(o["topic"], "Ladoga trade");
    // The table shows the source and filters by it.
    let p = b.get("/orders?source=manager").await;
    assert!(p.html.contains("Менеджер (телефон)"), "{}", p.html);
    assert!(p.html.contains(&format!("data-order=\"{id}\"")));
    assert!(!b
        .get("/orders?source=site")
        .await
        .html
        .contains(&format!("data-order=\"{id}\"")));

    // Priced, then edited and discounted from its page.
    b.submit(
        &to,
        &format!("{to}/price"),
        &[("price", "3000"), ("author_fee", "1000")],
    )
    .await
    .redirected_to(&to);
    let p = b.get(&to).await;
    assert!(p.html.contains("id=\"edit-form\"") && p.html.contains("id=\"discount-form\""));
    b.submit(
        &to,
        &format!("{to}/edit"),
        &[
            ("topic", "Ladoga trade routes"),
            ("subject", "History"),
            ("work_type", "essay"),
            ("pages", "15"),
            ("deadline", "2026-05-01"),
            ("requirements", "GOST"),
        ],
    )
    .await
    .redirected_to(&to);
    b.submit(
        &to,
        &format!("{to}/discount"),
        &[("price", "2500"), ("reason", "a returning client")],
    )
    .await
    .redirected_to(&to);
    let o = order_json(&t, &id).await;
    assert_eq!(o["topic"], "Ladoga trade routes");
    assert_eq!(o["pages"], 15);
    assert_eq!(o["requirements"], "GOST");
    assert_eq!(o["price"], 250000);
    assert_eq!(
        (o["first_half"].as_i64(), o["second_half"].as_i64()),
        (Some(125000), Some(125000))
    );
    // The timeline says what changed, in words.
    let p = b.get(&to).await;
    assert!(
        p.html.contains("Заказ изменён") && p.html.contains("Ladoga trade → Ladoga trade routes"),
        "{}",
        p.html
    );
    assert!(
        p.html.contains("Скидка") && p.html.contains("a returning client"),
        "{}",
        p.html
    );
    // Out of range: refused, nothing changes.
    b.submit(
        &to,
        &format!("{to}/discount"),
        &[("price", "9000"), ("reason", "more")],
    )
    .await
    .redirected_to(&to);
    assert_eq!(order_json(&t, &id).await["price"], 250000);
}

async fn a_client_answers_a_proposed_deadline_and_repeats_a_finished_order_on_its_page(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    t.post(
        &format!("/api/orders/{}/payments", a.order),
        &a.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "p-1"}),
    )
    .await
    .ok(200);
    let to = format!("/orders/{}", a.order);
    let mut m = Browser::with_session(&t, &a.manager);
    let p = m.get(&to).await;
    assert!(!p.html.contains("id=\"edit-form\""), "paid: no edits");
    assert!(
        p.html.contains("id=\"propose-deadline-form\""),
        "{}",
        p.html
    );
    m.submit(&to, &format!("{to}/edit"), &[("deadline", "2026-05-20")])
        .await
        .redirected_to(&to);
    let mut c = Browser::with_session(&t, &a.client);
    let p = c.get(&to).await;
    assert!(
        p.html.contains("id=\"deadline-answer\"") && p.html.contains("2026-05-20"),
        "{}",
        p.html
    );
    c.submit(&to, &format!("{to}/deadline"), &[("answer", "accept")])
        .await
        .redirected_to(&to);
    let o = order_json(&t, &a.order).await;
    assert_eq!(o["deadline"], "2026-05-20");
    assert!(c.get(&to).await.html.contains("Срок перенесён"));

    // Finished: the client orders it again from its page.
    common::completed_after_first_half(&t, &a, json!({"rating": 5, "review": "Good"})).await;
    let p = c.get(&to).await;
    assert!(p.html.contains("id=\"repeat-form\""), "{}", p.html);
    let again = c
        .submit(&to, &format!("{to}/repeat"), &[("deadline", "2026-07-01")])
        .await;
    let new = again.location.clone().expect("to the new order");
    assert_ne!(new, to);
    let o = order_json(&t, new.trim_start_matches("/orders/")).await;
    assert_eq!(o["repeats"], a.order.as_str());
    assert!(c.get(&new).await.html.contains("id=\"repeats\""));
}

async fn stage_limits_are_set_on_the_admins_page_and_problems_shown_in_the_managers_table(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let a = accepted_order(&t).await;
    let mut b = Browser::with_session(&t, &admin);
    let p = b.get("/admin").await;
    assert!(
        p.html
            .contains("name=\"stage_limit_hours_awaiting_prepayment\""),
        "{}",
        p.html
    );
    b.submit(
        "/admin",
        "/admin/settings",
        &[
            ("payout_threshold", "1000"),
            ("author_fee_percent", "50"),
            ("guarantee_days", "14"),
            ("offer_ttl_hours", "24"),
            ("stage_limit_hours_awaiting_prepayment", "2"),
            ("stage_limit_hours_rework", ""),
        ],
    )
    .await
    .redirected_to("/admin");
    let s = t.get("/api/settings", &admin).await.ok(200);
    assert_eq!(s["stage_limits_hours"], json!({"awaiting_prepayment": 2}));
    assert!(b
        .get("/admin")
        .await
        .html
        .contains("Лимит этапа «Ожидает предоплаты», ч"));
    // Out of range: refused, nothing changes.
    b.submit(
        "/admin",
        "/admin/settings",
        &[
            ("payout_threshold", "1000"),
            ("author_fee_percent", "50"),
            ("guarantee_days", "14"),
            ("offer_ttl_hours", "24"),
            ("stage_limit_hours_awaiting_prepayment", "99999"),
        ],
    )
    .await
    .redirected_to("/admin");
    assert_eq!(
        t.get("/api/settings", &admin).await.ok(200)["stage_limits_hours"],
        json!({"awaiting_prepayment": 2})
    );

    // Three hours waiting for the first half: the manager's table says why.
    t.clock.advance(chrono::Duration::hours(3));
    scriptorium::process::sla::flag_due(&t.application.app)
        .await
        .unwrap();
    let mut m = Browser::with_session(&t, &a.manager);
    let p = m.get("/orders?problem=true").await;
    assert!(
        p.html.contains("Этап «Ожидает предоплаты» &#62; 2 ч"),
        "{}",
        p.html
    );
    let p = m.get(&format!("/orders/{}?lang=en", a.order)).await;
    assert!(p.html.contains("id=\"problem\""), "{}", p.html);
    assert!(p.html.contains("Time limit broken"), "{}", p.html);
    // Paid: the order moved on, the problem is gone.
    t.post(
        &format!("/api/orders/{}/payments", a.order),
        &a.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "p-1"}),
    )
    .await
    .ok(200);
    let p = m.get(&format!("/orders/{}", a.order)).await;
    assert!(!p.html.contains("id=\"problem\""), "{}", p.html);
    let p = m.get("/orders?problem=true").await;
    assert!(
        !p.html.contains(&format!("data-order=\"{}\"", a.order)),
        "{}",
        p.html
    );
}

async fn a_company_signs_up_by_the_form_and_the_admin_and_reports_tell_companies_apart(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let sign_up = |tax_id: &'static str| {
        [
            ("full_name", "Ivan Buyer"),
            ("email", "ivan@acme.example"),
            ("password", "correct horse battery"),
            ("company_name", "Acme LLC"),
            ("tax_id", tax_id),
            ("contact_person", "Ivan Buyer"),
        ]
    };
    // A wrong check digit: the form comes back with the details kept, and nobody exists.
    let mut b = Browser::new(&t);
    let p = b
        .submit("/register?lang=en", "/register", &sign_up("7707083894"))
        .await;
    assert_eq!(p.status, 422, "{}", p.html);
    assert!(p.html.contains("INN"), "{}", p.html);
    assert!(p.html.contains("value=\"Acme LLC\""), "{}", p.html);
    assert!(b.session().is_none());
    b.submit("/register", "/register", &sign_up("7707083893"))
        .await
        .redirected_to("/orders");
    let token = b.session().cloned().expect("a session");
    let me = t.get("/api/me", &token).await.ok(200);
    assert_eq!(me["company"]["name"], "Acme LLC");
    let company_order = t
        .post("/api/orders", &token, common::order_body())
        .await
        .ok(201);
    assert_eq!(company_order["corporate"], true);

    // The admin makes another client a company, and an individual again, by the forms.
    let (other_id, other) = t.user(Role::Client, "Anna Client").await;
    let mut a = Browser::with_session(&t, &admin);
    let page = a.get("/admin?lang=en").await;
    assert!(page.html.contains("Acme LLC"), "the company is in the list");
    a.submit(
        "/admin",
        &format!("/admin/users/{other_id}/company"),
        &[
            ("company_name", "Beta JSC"),
            ("tax_id", "500100732259"),
            ("contact_person", "Anna Client"),
        ],
    )
    .await
    .redirected_to("/admin");
    assert_eq!(
        t.get("/api/me", &other).await.ok(200)["company"]["name"],
        "Beta JSC"
    );
    a.submit(
        "/admin",
        &format!("/admin/users/{other_id}/company"),
        &[("clear", "1")],
    )
    .await
    .redirected_to("/admin");
    assert!(t.get("/api/me", &other).await.ok(200)["company"].is_null());
    let person_order = t
        .post("/api/orders", &other, common::order_body())
        .await
        .ok(201);

    // The manager's table filters by the kind of client and marks companies' orders.
    let mut m = Browser::with_session(&t, &manager);
    let companies = m.get("/orders?corporate=true&lang=en").await;
    assert_eq!(companies.status, 200, "{}", companies.html);
    assert!(companies
        .html
        .contains(company_order["id"].as_str().unwrap()));
    assert!(!companies
        .html
        .contains(person_order["id"].as_str().unwrap()));
    assert!(companies.html.contains("badge corporate"));
    let people = m.get("/orders?corporate=false").await;
    assert!(people.html.contains(person_order["id"].as_str().unwrap()));
    assert!(!people.html.contains(company_order["id"].as_str().unwrap()));

    // The report page has a row per kind of client.
    let r = a.get("/reports?lang=en").await;
    assert_eq!(r.status, 200, "{}", r.html);
    assert!(r.html.contains("Individuals and companies"), "{}", r.html);
    assert!(r.html.contains("id=\"kind-corporate\""));
    assert!(r.html.contains("id=\"kind-individual\""));
}

/// A client's points and referral link on their orders page, the points form of an order's
/// page, a registration through the link, the shares on the admin's page and the points in
/// the reports.
async fn points_and_referrals_on_the_pages(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    t.application
        .app
        .client_points(
            a.client_id.parse().unwrap(),
            aggregates::points::PointsCommand::CreditCashback {
                order_id: uuid::Uuid::new_v4(),
                points: 30_000,
                at: t.clock.now(),
            },
            &scriptorium::Ctx::system("test-setup"),
        )
        .await
        .unwrap();
    t.workers_caught_up().await;
    let code = t.get("/api/me/points", &a.client).await.ok(200)["referral_code"]
        .as_str()
        .unwrap()
        .to_string();
    let mut c = Browser::with_session(&t, &a.client);
    let p = c.get("/orders").await;
    assert!(
        p.html.contains("id=\"points-balance\">30000<")
            && p.html.contains(&format!("/register?ref={code}")),
        "{}",
        p.html
    );
    // The order's page offers points for its first half; the form pays part of it.
    let to = format!("/orders/{}", a.order);
    let p = c.get(&to).await;
    assert!(p.html.contains("id=\"points-form\""), "{}", p.html);
    c.submit(&to, &format!("{to}/points"), &[("points", "20000")])
        .await
        .redirected_to(&to);
    let o = order_json(&t, &a.order).await;
    assert_eq!(
        (o["points"].as_i64(), o["first_half_due"].as_i64()),
        (Some(20000), Some(105000))
    );
    let p = c.get(&to).await;
    assert!(!p.html.contains("id=\"points-form\""), "applied once");
    assert!(
        p.html.contains("Оплата баллами"),
        "in the timeline: {}",
        p.html
    );
    // Another visitor's form without the token changes nothing.
    let before = t.event_count().await;
    c.post(&format!("{to}/points"), &[("points", "1")]).await;
    assert_eq!(t.event_count().await, before);

    // A friend registers through the link.
    let mut friend = Browser::new(&t);
    let p = friend.get(&format!("/register?ref={code}")).await;
    assert!(
        p.html.contains(&format!("name=\"ref\" value=\"{code}\"")),
        "{}",
        p.html
    );
    friend
        .submit(
            &format!("/register?ref={code}"),
            "/register",
            &[
                ("full_name", "Fedor Friend"),
                ("email", "fedor@example.com"),
                ("password", "s3cret-enough"),
                ("ref", &code),
            ],
        )
        .await
        .redirected_to("/orders");
    let registered = t
        .application
        .app
        .db
        .fetch_one(
            "SELECT CAST(e.payload AS text) AS p FROM events e \
             JOIN credentials c ON c.user_id = e.aggregate_id \
             WHERE c.email = 'fedor@example.com' AND e.sequence = 1",
            &[],
        )
        .await
        .unwrap()
        .text("p")
        .unwrap();
    assert!(registered.contains(&a.client_id), "{registered}");

    // The admin sets the shares on the settings form; the reports show the points.
    let (_, admin) = t.user(Role::Admin, "Alla Admin").await;
    let mut b = Browser::with_session(&t, &admin);
    let p = b.get("/admin").await;
    assert!(
        p.html.contains("name=\"cashback_percent\" value=\"5\""),
        "{}",
        p.html
    );
    b.submit(
        "/admin",
        "/admin/settings",
        &[
            ("payout_threshold", "1000"),
            ("author_fee_percent", "50"),
            ("guarantee_days", "14"),
            ("offer_ttl_hours", "24"),
            ("cashback_percent", "7"),
            ("referral_percent", "2"),
        ],
    )
    .await
    .redirected_to("/admin");
    let s = t.get("/api/settings", &admin).await.ok(200);
    assert_eq!(
        (
            s["cashback_percent"].as_i64(),
            s["referral_percent"].as_i64()
        ),
        (Some(7), Some(2))
    );
    assert!(b.get("/admin").await.html.contains("Кешбэк клиенту"));
    let day = t.clock.now().date_naive().to_string();
    let p = b.get(&format!("/reports?from={day}&to={day}")).await;
    assert!(
        p.html.contains("id=\"points-issued\">30000<")
            && p.html.contains("id=\"points-spent\">20000<")
            && p.html.contains("id=\"points-outstanding\">10000<"),
        "{}",
        p.html
    );
}
