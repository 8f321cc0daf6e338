//! The website in a real browser: headless Chromium driven over WebDriver (Debian's
//! `chromium` and `chromium-driver`, which `.ci/run` installs), against the service on a
//! real port with a real SMTP server. One order from a guest's checkout to completion and
//! the author's payout, by clicking and typing through every role's pages; screenshots of
//! the main pages go to `target/screenshots/`.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aggregates::Role;
use common::smtp::{Mail, SmtpServer};
use common::{Backend, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A headless Chromium of its own (fresh profile, no network beyond loopback), and where
/// its screenshots go.
struct Chrome {
    driver: Child,
    c: Client,
    base: String,
    shots: PathBuf,
    prefix: &'static str,
    profile: tempfile::TempDir,
}

impl Chrome {
    async fn start(base: String, prefix: &'static str) -> Chrome {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(bin).exists(),
                "{bin} is missing: install Debian's chromium and chromium-driver (.ci/run does)"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900",
                    "--lang=ru-RU",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {"intl.accept_languages": "ru-RU,ru"},
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        let mut client = None;
        for _ in 0..100 {
            // Plain HTTP to the driver on loopback: no TLS, no crypto provider to pick.
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(e) => {
                    last = Some(e.to_string());
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let c = client.unwrap_or_else(|| panic!("no WebDriver session: {last:?}"));
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Chrome {
            driver,
            c,
            base,
            shots,
            prefix,
            profile,
        }
    }

    async fn open(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn source(&self) -> String {
        self.c.source().await.unwrap()
    }

    async fn path(&self) -> String {
        let u = self.c.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// Clicks a link or a form's button and waits for the page it leads to.
    async fn click(&self, css: &str) {
        let old = self.c.find(Locator::Css("html")).await.unwrap();
        let here = self.path_now().await;
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on {here}: {e}"))
            .click()
            .await
            .unwrap();
        // The old page's root goes stale once the next page has replaced it.
        for _ in 0..200 {
            if old.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        for _ in 0..200 {
            let ready = self
                .c
                .execute("return document.readyState;", vec![])
                .await
                .unwrap_or_default();
            if ready == json!("complete") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn path_now(&self) -> String {
        self.c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    async fn type_in(&self, css: &str, text: &str) {
        let e = self
            .c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    async fn select(&self, css: &str, value: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// A date field's value (its typing order depends on the browser's locale).
    async fn set_date(&self, css: &str, date: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap();
        self.c
            .execute(
                "arguments[0].value = arguments[1];",
                vec![serde_json::to_value(e).unwrap(), json!(date)],
            )
            .await
            .unwrap();
    }

    async fn text(&self, css: &str) -> String {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    async fn has(&self, css: &str) -> bool {
        !self.c.find_all(Locator::Css(css)).await.unwrap().is_empty()
    }

    async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{}-{name}.png", self.prefix)), png).unwrap();
    }

    /// Reloads `path` until `css` is on it (a worker has done its part).
    async fn wait_for(&self, path: &str, css: &str) {
        for _ in 0..200 {
            self.open(path).await;
            if self.has(css).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never appeared on {path}:\n{}", self.source().await);
    }

    async fn log_in(&self, email: &str, password: &str) {
        self.open("/login").await;
        self.type_in("input[name=email]", email).await;
        self.type_in("input[name=password]", password).await;
        self.click("#login").await;
        assert!(
            self.has("#logout").await,
            "not logged in as {email}:\n{}",
            self.source().await
        );
    }

    async fn log_out(&self) {
        self.click("#logout").await;
        assert!(!self.has("#logout").await);
    }

    async fn flash(&self) -> String {
        if self.has(".flash").await {
            self.text(".flash").await
        } else {
            String::new()
        }
    }

    /// The author logs in, chooses a file on the order's page and uploads it.
    async fn author_uploads(&self, t: &TestApp, order_path: &str, name: &str, text: &str) {
        let file = t.dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        self.log_in("ivan@scriptorium.test", "staff-password-1")
            .await;
        self.open(order_path).await;
        self.c
            .find(Locator::Css("#file"))
            .await
            .unwrap()
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        self.click("#upload-submit").await;
        assert_eq!(self.flash().await, "Готово.", "{}", self.source().await);
        self.log_out().await;
    }

    async fn stop(mut self) {
        let _ = self.c.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        drop(self.profile);
    }
}

async fn a_guests_order_goes_through_every_role_in_the_browser(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = TestApp::spawn_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = t.application.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let prefix = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    // The first admin comes from the command line (`scriptorium user add`); everyone
    // else is made on the admin's page.
    let (_, admin_token) = t.user(Role::Admin, "Ada Admin").await;
    let admin_email = t.get("/api/me", &admin_token).await.ok(200)["email"]
        .as_str()
        .unwrap()
        .to_string();
    let b = Chrome::start(base, prefix).await;

    // ---- The admin makes the staff.
    b.log_in(&admin_email, "correct horse battery").await;
    assert_eq!(b.path().await, "/admin");
    let staff = [
        ("Maria Manager", "maria@scriptorium.test", "manager"),
        ("Ivan Author", "ivan@scriptorium.test", "author"),
        ("Klara Clerk", "klara@scriptorium.test", "payout_clerk"),
        ("Oleg Auditor", "oleg@scriptorium.test", "auditor"),
    ];
    for (name, email, role) in staff {
        b.type_in("#new-user input[name=full_name]", name).await;
        b.type_in("#new-user input[name=email]", email).await;
        b.select("#new-user select[name=role]", role).await;
        b.type_in("#new-user input[name=password]", "staff-password-1")
            .await;
        b.click("#create-user").await;
        assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    }
    assert!(b.text("#user-list").await.contains("Ivan Author"));
    // The author's profile: the subject the order will need.
    b.type_in("#author-list input[name=subjects]", "History, Law")
        .await;
    b.type_in("#author-list input[name=max_active_orders]", "3")
        .await;
    let available =
        b.c.find(Locator::Css("#author-list input[name=available]"))
            .await
            .unwrap();
    if !available.is_selected().await.unwrap() {
        available.click().await.unwrap();
    }
    b.click("#author-list .save-author").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    assert_eq!(
        b.c.find(Locator::Css("#author-list input[name=subjects]"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("History, Law")
    );
    // A new order may wait two hours for its price and offer; longer is a problem.
    b.type_in("input[name=stage_limit_hours_new]", "2").await;
    b.click("#save-settings").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    assert!(
        b.text("#settings-history")
            .await
            .contains("Лимит этапа «Новый»"),
        "{}",
        b.source().await
    );
    b.shot("01-admin").await;
    b.log_out().await;

    // ---- A guest orders without an account.
    b.open("/").await;
    b.shot("02-home").await;
    b.click("a.button[href='/checkout']").await;
    b.type_in("input[name=full_name]", "Olga Guest").await;
    b.type_in("input[name=email]", "olga@example.com").await;
    b.select("select[name=work_type]", "term_paper").await;
    b.select("select[name=subject]", "History").await;
    b.type_in("input[name=topic]", "Trade routes of Ladoga")
        .await;
    b.type_in("input[name=pages]", "30").await;
    b.set_date("input[name=deadline]", "2026-05-01").await;
    b.type_in("textarea[name=requirements]", "Sources in Russian")
        .await;
    b.shot("03-checkout").await;
    b.click("#place-order").await;
    assert_eq!(b.path().await, "/login");
    let flash = b.flash().await;
    assert!(flash.contains("Заказ оформлен, номер 1"), "{flash}");
    assert!(flash.contains("olga@example.com"), "{flash}");
    // The password arrives by mail.
    let mut password = None;
    for _ in 0..200 {
        password = smtp
            .received()
            .iter()
            .map(Mail::parse)
            .filter(|m| m.to.iter().any(|t| t == "olga@example.com"))
            .find_map(|m| {
                m.text()
                    .lines()
                    .find_map(|l| l.strip_prefix("Пароль: ").map(str::to_string))
            });
        if password.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let password = password.expect("the guest's password by mail");

    // Other clients' orders, for a table worth looking at.
    let (_, regular) = t.user(Role::Client, "Pavel Regular").await;
    for (topic, subject, deadline) in [
        ("Roman law of obligations", "Law", "2026-04-10"),
        (
            "The economics of the Hanseatic League",
            "History",
            "2026-04-20",
        ),
        ("Baroque architecture of St Petersburg", "Art", "2026-06-01"),
    ] {
        let mut body = common::order_body();
        body["topic"] = json!(topic);
        body["subject"] = json!(subject);
        body["deadline"] = json!(deadline);
        t.post("/api/orders", &regular, body).await.ok(201);
    }

    // ---- The manager starts a shift: the orders are routed to her; price and offer.
    b.log_in("maria@scriptorium.test", "staff-password-1").await;
    assert_eq!(b.path().await, "/orders");
    b.click("#shift-start").await;
    assert!(b.has("#on-shift").await, "{}", b.source().await);
    b.wait_for("/orders", "#orders tr[data-order]:nth-child(4)")
        .await;
    b.shot("04-manager-table").await;
    // Three hours later the new orders are over their stage's limit: the SLA worker flags
    // them, and the table says so and filters by it.
    t.clock.advance(chrono::Duration::hours(3));
    b.wait_for(
        "/orders?problem=true",
        "#orders tr[data-order]:nth-child(4) .badge.problem",
    )
    .await;
    assert!(
        b.text("#orders tr[data-order] .problem-cell")
            .await
            .contains("Этап «Новый» > 2 ч"),
        "{}",
        b.source().await
    );
    b.shot("04b-manager-problems").await;
    b.open("/orders").await;
    // Bookmarkable: the filter is in the URL.
    b.type_in("input[name=q]", "Ladoga").await;
    b.click("#filter").await;
    assert!(b.path().await.contains("q=Ladoga"), "{}", b.path().await);
    assert_eq!(
        b.c.find_all(Locator::Css("#orders tr[data-order]"))
            .await
            .unwrap()
            .len(),
        1
    );
    b.click("#orders tr[data-order] a").await;
    let order_path = b.path().await;
    assert!(order_path.starts_with("/orders/"), "{order_path}");
    b.type_in("#price-input", "5000").await;
    b.type_in("#fee-input", "2000").await;
    b.click("#set-price").await;
    assert!(
        b.text("#price").await.contains("5 000,00"),
        "{}",
        b.text("#price").await
    );
    // One eligible author: a certain draw.
    assert!(b.has("#candidates").await, "{}", b.source().await);
    assert_eq!(b.text("#candidates .probability").await, "100.0%");
    b.shot("05-manager-order").await;
    assert!(b.has("#problem").await, "{}", b.source().await);
    b.click("#offer").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    assert!(b.text("#offer-history").await.contains("Ivan Author"));
    // Offered: the order moved on, its problem is gone; the timeline keeps the breach.
    assert!(!b.has("#problem").await, "{}", b.source().await);
    assert!(b.source().await.contains("Нарушен срок"));
    b.log_out().await;

    // ---- The author takes it from the offers queue.
    b.log_in("ivan@scriptorium.test", "staff-password-1").await;
    assert_eq!(b.path().await, "/offers");
    let offer = b.text("#offers").await;
    assert!(
        offer.contains("Trade routes of Ladoga") && offer.contains("2 000,00"),
        "{offer}"
    );
    assert!(!offer.contains("Olga"), "an author never sees the client");
    b.shot("06-author-offers").await;
    b.click("#offers button.take").await;
    assert_eq!(b.path().await, order_path);
    b.log_out().await;

    // ---- The client pays the first half (a test payment: no provider configured).
    b.log_in("olga@example.com", &password).await;
    assert_eq!(b.path().await, "/orders");
    b.click("#orders tr[data-order] a").await;
    assert!(b.text("#pay").await.contains("2 500,00"));
    b.click("#pay").await;
    assert!(b.text("#paid").await.contains("2 500,00"));
    // The client writes to the author: a phone number waits for the manager.
    b.type_in("#message-text", "Можно созвониться? +7 900 123-45-67")
        .await;
    b.click("#send-message").await;
    assert!(
        b.flash().await.contains("на проверку"),
        "{}",
        b.source().await
    );
    assert!(b.text("#conversation").await.contains("Ждёт одобрения"));
    b.log_out().await;

    // ---- The author uploads the draft; the manager approves it.
    b.author_uploads(&t, &order_path, "draft.txt", "The first half of the work.")
        .await;
    b.log_in("maria@scriptorium.test", "staff-password-1").await;
    b.open(&order_path).await;
    assert!(b.text("#files").await.contains("draft.txt"));
    // The held message: the manager lets it through.
    assert!(b.text("#conversation").await.contains("Olga Guest"));
    b.shot("14-manager-conversation").await;
    b.click("#conversation .approve-message").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    b.click("#approve").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    b.log_out().await;

    // ---- The client sees the draft and pays the rest.
    b.log_in("olga@example.com", &password).await;
    b.open(&order_path).await;
    assert!(b.text("#files").await.contains("draft.txt"));
    b.click("#pay").await;
    assert!(b.text("#paid").await.contains("5 000,00"));
    b.log_out().await;

    // ---- The final work, approved and delivered.
    b.author_uploads(&t, &order_path, "final.txt", "The whole work.")
        .await;
    b.log_in("maria@scriptorium.test", "staff-password-1").await;
    b.open(&order_path).await;
    b.click("#approve").await;
    assert!(
        b.text("#status").await.contains("Выдан"),
        "{}",
        b.source().await
    );
    b.log_out().await;

    // ---- The client accepts and rates it.
    b.log_in("olga@example.com", &password).await;
    b.open(&order_path).await;
    b.select("#rating", "5").await;
    b.type_in("textarea[name=review]", "Thorough and on time")
        .await;
    b.click("#complete").await;
    assert!(
        b.text("#status").await.contains("Завершён"),
        "{}",
        b.source().await
    );
    let timeline = b.text("#timeline").await;
    for words in [
        "Заказ оформлен",
        "Автор взял заказ",
        "Получена оплата",
        "Заказ завершён",
    ] {
        assert!(timeline.contains(words), "{words:?} in {timeline}");
    }
    b.shot("07-client-order").await;
    b.log_out().await;

    // ---- The fee reaches the author's ledger; the payout clerk pays it out.
    b.log_in("ivan@scriptorium.test", "staff-password-1").await;
    b.open("/ledger").await;
    for _ in 0..200 {
        if b.text("#balance").await.contains("2 000,00") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        b.open("/ledger").await;
    }
    assert!(
        b.text("#balance").await.contains("2 000,00"),
        "{}",
        b.source().await
    );
    b.shot("08-author-ledger").await;
    // The client's message reached the author once approved, without the client's name.
    b.open(&order_path).await;
    let conversation = b.text("#conversation").await;
    assert!(conversation.contains("+7 900 123-45-67"), "{conversation}");
    assert!(!conversation.contains("Olga"), "{conversation}");
    b.log_out().await;
    b.log_in("klara@scriptorium.test", "staff-password-1").await;
    assert_eq!(b.path().await, "/payouts");
    assert!(b.text("#due").await.contains("Ivan Author"));
    b.shot("09-payouts").await;
    b.type_in("#due input[name=reference]", "PP-2026-0001")
        .await;
    b.click("#due .pay-out").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    assert!(b.has("#none-due").await, "nothing is due any more");
    let paid = b.text("#paid").await;
    assert!(
        paid.contains("PP-2026-0001") && paid.contains("2 000,00"),
        "{paid}"
    );
    b.log_out().await;

    // ---- The auditor reads the order's whole history and checks its chain.
    b.log_in("oleg@scriptorium.test", "staff-password-1").await;
    assert_eq!(b.path().await, "/audit");
    b.type_in("input[name=order]", "1").await;
    b.set_date("input[name=as_of]", "2026-03-01").await;
    b.click("#audit-show").await;
    assert!(
        b.text("#chain").await.contains("Цепочка хешей цела"),
        "{}",
        b.source().await
    );
    assert!(b.text("#events").await.contains("OrderCompleted"));
    assert!(b
        .text("#past-status")
        .await
        .contains("Заказа тогда ещё не было"));
    b.set_date("input[name=as_of]", "2026-03-02").await;
    b.click("#audit-show").await;
    assert!(
        b.text("#past-status").await.contains("Завершён"),
        "{}",
        b.source().await
    );
    b.shot("10-audit").await;
    b.log_out().await;

    // ---- The manager's table now: the order done, with its author and money.
    b.log_in("maria@scriptorium.test", "staff-password-1").await;
    let row = b.text("#orders tr[data-order]").await;
    assert!(
        row.contains("Завершён") && row.contains("Ivan Author") && row.contains("5 000,00"),
        "{row}"
    );
    b.shot("13-manager-table").await;
    b.log_out().await;

    // ---- The shop: the manager lists a ready-made work, a guest buys it, pays it.
    b.log_in("maria@scriptorium.test", "staff-password-1").await;
    b.open("/shop").await;
    b.type_in("#work-title", "Петровские реформы").await;
    b.type_in("#work-subject", "History").await;
    b.type_in("#work-price", "1200").await;
    b.type_in("#work-description", "Готовое эссе с источниками")
        .await;
    let work_file = t.dir.path().join("ready-work.txt");
    std::fs::write(&work_file, "The ready-made essay").unwrap();
    b.c.find(Locator::Css("#work-file"))
        .await
        .unwrap()
        .send_keys(&work_file.display().to_string())
        .await
        .unwrap();
    b.click("#list-submit").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    assert!(b.text("#works").await.contains("Петровские реформы"));
    b.shot("14-shop-staff").await;
    b.log_out().await;
    b.open("/?q=%D1%80%D0%B5%D1%84%D0%BE%D1%80%D0%BC%D1%8B")
        .await;
    assert!(
        b.text("#ready-works").await.contains("1 200,00"),
        "{}",
        b.source().await
    );
    b.shot("15-shop-home").await;
    b.click("#ready-works article a").await;
    b.type_in("#email", "shop.buyer@example.com").await;
    b.type_in("#full_name", "Sofia Buyer").await;
    b.shot("16-shop-work").await;
    b.click("#buy").await;
    assert_eq!(b.path().await, "/login");
    assert!(b.flash().await.contains("Покупка оформлена"));
    let mut buyer_password = None;
    for _ in 0..200 {
        buyer_password = smtp
            .received()
            .iter()
            .map(Mail::parse)
            .filter(|m| m.to.iter().any(|t| t == "shop.buyer@example.com"))
            .find_map(|m| {
                m.text()
                    .lines()
                    .find_map(|l| l.strip_prefix("Пароль: ").map(str::to_string))
            });
        if buyer_password.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let buyer_password = buyer_password.expect("the buyer's password by mail");
    b.log_in("shop.buyer@example.com", &buyer_password).await;
    b.open("/purchases").await;
    b.click(".pay-purchase").await;
    assert!(
        b.text("#purchases").await.contains("Оплачена"),
        "{}",
        b.source().await
    );
    b.shot("17-purchases").await;
    // The work arrives by mail, attached.
    let mut attached = false;
    for _ in 0..200 {
        attached = smtp.received().iter().map(Mail::parse).any(|m| {
            m.to.iter().any(|t| t == "shop.buyer@example.com")
                && m.attachments
                    .iter()
                    .any(|(_, bytes)| bytes == b"The ready-made essay")
        });
        if attached {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(attached, "the paid work by mail");
    b.log_out().await;

    // ---- The director's report.
    b.log_in(&admin_email, "correct horse battery").await;
    b.open("/reports?from=2026-03-01&to=2026-03-02").await;
    assert!(
        b.text("#revenue").await.contains("5 000,00"),
        "{}",
        b.source().await
    );
    assert_eq!(b.text("#completed").await, "1");
    for chart in [
        "#chart-revenue svg rect",
        "#chart-status svg rect",
        "#chart-check svg circle",
    ] {
        assert!(b.has(chart).await, "{chart}");
    }
    b.shot("11-reports").await;
    // A phone-sized screen: the table scrolls inside its box, the page does not.
    b.c.set_window_size(390, 844).await.unwrap();
    b.open("/admin").await;
    let overflow =
        b.c.execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, json!(false), "the page is wider than a phone");
    b.shot("12-admin-phone").await;
    b.stop().await;
}

/// The manager's and admin's controls (issue 16) by clicking: the admin adds an extra to
/// the catalogue; a company signs up, a manager takes its order by phone, prices it, adds
/// the extra, edits and discounts it; the admin finds the company in the user list and
/// the report's split.
async fn a_companys_phone_order_is_edited_and_discounted_in_the_browser(backend: Backend) {
    let t = TestApp::spawn_with(backend, |c| {
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = t.application.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let prefix = match backend {
        Backend::Sqlite => "controls-sqlite",
        Backend::Postgres => "controls-postgres",
    };
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let t = &t;
    let email_of = |token: String| async move {
        t.get("/api/me", &token).await.ok(200)["email"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let admin_email = email_of(admin.clone()).await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let manager_email = email_of(manager.clone()).await;
    let b = Chrome::start(base, prefix).await;

    // ---- The admin puts an extra service in the catalogue, with its price.
    b.log_in(&admin_email, "correct horse battery").await;
    b.open("/admin").await;
    b.select("#catalogue-kind", "extras").await;
    b.type_in("#catalogue-code", "plagiarism").await;
    b.type_in("#catalogue-name", "Отчёт об оригинальности")
        .await;
    b.type_in("#catalogue-price", "500").await;
    b.click("#save-entry").await;
    assert!(
        b.text("#catalogue-list")
            .await
            .contains("Отчёт об оригинальности"),
        "{}",
        b.source().await
    );
    b.log_out().await;

    // ---- A company signs up, its details on the form.
    b.open("/register").await;
    b.type_in("input[name=full_name]", "Иван Закупщик").await;
    b.type_in("input[name=email]", "buyer@acme.example").await;
    b.type_in("input[name=password]", "correct horse battery")
        .await;
    b.type_in("input[name=company_name]", "ООО «Акме»").await;
    b.type_in("input[name=tax_id]", "7707083893").await;
    b.type_in("input[name=contact_person]", "Иван Закупщик")
        .await;
    b.shot("01-register-company").await;
    b.click("#register").await;
    assert_eq!(b.path().await, "/orders", "{}", b.source().await);
    b.log_out().await;

    // ---- The manager takes its order by phone, by the client's email.
    b.log_in(&manager_email, "correct horse battery").await;
    b.open("/checkout").await;
    b.type_in("input[name=full_name]", "Иван Закупщик").await;
    b.type_in("input[name=email]", "buyer@acme.example").await;
    b.select("select[name=work_type]", "essay").await;
    b.select("select[name=subject]", "History").await;
    b.type_in("input[name=topic]", "Ладожская торговля").await;
    b.type_in("input[name=pages]", "12").await;
    b.set_date("input[name=deadline]", "2026-05-01").await;
    b.click("#place-order").await;
    let order_path = b.path().await;
    assert!(order_path.starts_with("/orders/"), "{}", b.source().await);
    let id = order_path.trim_start_matches("/orders/").to_string();
    let o = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(o["source"], "manager");
    assert_eq!(o["corporate"], true, "the company's order says so");

    // ---- Priced, edited and discounted on its page.
    b.type_in("#price-input", "3000").await;
    b.type_in("#fee-input", "1000").await;
    b.click("#set-price").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    // The extra: the price and halves follow.
    b.select("#extra-code", "plagiarism").await;
    b.click("#add-extra").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    assert!(b
        .text("#extra-list")
        .await
        .contains("Отчёт об оригинальности"));
    assert!(
        b.text("#price").await.contains("3 500,00"),
        "{}",
        b.source().await
    );
    let o = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(o["price"], 350_000);
    assert_eq!(o["extras"][0]["code"], "plagiarism");
    b.type_in("#edit-form input[name=topic]", "Ладожская торговля IX века")
        .await;
    b.type_in("#edit-form input[name=pages]", "15").await;
    b.click("#save-edit").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    b.type_in("#discount-price", "2500").await;
    b.type_in("#discount-reason", "постоянный клиент").await;
    b.click("#give-discount").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    assert!(
        b.text("#price").await.contains("2 500,00"),
        "{}",
        b.source().await
    );
    let timeline = b.text("#timeline").await;
    assert!(
        timeline.contains("Ладожская торговля → Ладожская торговля IX века"),
        "{timeline}"
    );
    assert!(timeline.contains("постоянный клиент"), "{timeline}");
    b.shot("02-order-edited").await;
    // The table marks the company's order and filters by the kind of client.
    b.open("/orders").await;
    b.select("select[name=corporate]", "true").await;
    b.click("#filter").await;
    assert!(
        b.has(&format!("tr[data-order='{id}'] .badge.corporate"))
            .await,
        "{}",
        b.source().await
    );
    b.shot("03-table-companies").await;
    let o = t.get(&format!("/api/orders/{id}"), &manager).await.ok(200);
    assert_eq!(o["topic"], "Ладожская торговля IX века");
    assert_eq!(o["pages"], 15);
    assert_eq!(
        (
            o["price"].as_i64(),
            o["first_half"].as_i64(),
            o["second_half"].as_i64()
        ),
        (Some(250_000), Some(125_000), Some(125_000))
    );
    b.log_out().await;

    // ---- The admin sees the company among the users, and the report's split.
    b.log_in(&admin_email, "correct horse battery").await;
    b.open("/admin").await;
    assert!(
        b.text("#user-list").await.contains("ООО «Акме»"),
        "{}",
        b.source().await
    );
    b.open("/reports").await;
    assert!(b.has("#client-kinds #kind-corporate").await);
    assert!(b.has("#client-kinds #kind-individual").await);
    b.shot("04-reports-split").await;
    b.stop().await;
}

on_both!(
    a_guests_order_goes_through_every_role_in_the_browser,
    a_companys_phone_order_is_edited_and_discounted_in_the_browser,
    a_client_pays_with_points_and_invites_a_friend_in_the_browser,
);

/// A client with points sees them and their referral link, pays part of a first half with
/// them on the order's page, and a friend signs up through the link.
async fn a_client_pays_with_points_and_invites_a_friend_in_the_browser(backend: Backend) {
    let t = TestApp::spawn_with(backend, |c| {
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = t.application.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let prefix = match backend {
        Backend::Sqlite => "sqlite-points",
        Backend::Postgres => "postgres-points",
    };
    let a = common::accepted_order(&t).await;
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
    let email = t.get("/api/me", &a.client).await.ok(200)["email"]
        .as_str()
        .unwrap()
        .to_string();
    let b = Chrome::start(base, prefix).await;
    b.log_in(&email, "correct horse battery").await;
    b.open("/orders").await;
    assert_eq!(b.text("#points-balance").await, "30000");
    let link = b.text("#referral-link").await;
    assert!(link.contains("/register?ref="), "{link}");
    b.open(&format!("/orders/{}", a.order)).await;
    b.type_in("#points-form input[name=points]", "20000").await;
    b.click("#spend-points").await;
    assert_eq!(b.flash().await, "Готово.", "{}", b.source().await);
    assert!(!b.has("#points-form").await);
    b.shot("points-spent").await;
    let o = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200);
    assert_eq!(
        (o["points"].as_i64(), o["first_half_due"].as_i64()),
        (Some(20000), Some(105000))
    );
    b.log_out().await;

    // A friend follows the link.
    let path = &link[link.find("/register").unwrap()..];
    b.open(path).await;
    b.type_in("input[name=full_name]", "Fedor Friend").await;
    b.type_in("input[name=email]", "fedor@example.com").await;
    b.type_in("input[name=password]", "s3cret-enough").await;
    b.click("#register").await;
    assert_eq!(b.path().await, "/orders");
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
    b.stop().await;
}
