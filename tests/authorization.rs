//! The authorization matrix, walked: every operation of the OpenAPI document (so every
//! route of the router: `tests/openapi.rs` holds the two equal) × every role and a caller
//! with no token × the caller's own record and someone else's, answered as the document's
//! `x-roles` and `x-records` (the access policy's) say. A new route with a record the walk
//! does not know, or with no action in the policy, fails here. And `docs/authorization.md`
//! is that matrix, current. On SQLite and on Postgres.

mod common;

use std::collections::BTreeMap;

use aggregates::Role;
use axum::body::Body;
use axum::http::Request;
use common::doc::{document, example, operations};
use common::{accepted_order, delivered_and_completed, Accepted, Backend, TestApp};
use serde_json::json;

on_both!(every_route_answers_every_role_on_its_own_and_others_records_as_the_matrix_says);

const PASSWORD: &str = "correct horse battery";

/// One side of the world: a client's completed order with its manager and author, a file
/// and a message in it, a paid purchase of a ready-made work, and records of the other
/// kinds a route may name.
struct Side {
    people: Accepted,
    file: String,
    message: String,
    purchase: String,
    work: String,
    /// A work only the walk's delisting takes off sale.
    spare_work: String,
    /// A user only the walk's blocking blocks.
    spare_user: String,
    mail: String,
    extra: String,
}

/// A ready-made work listed by `staff`; its id.
async fn listed(t: &TestApp, staff: &str, title: &str) -> String {
    let boundary = "walk-boundary";
    let mut body = String::new();
    for (name, value) in [
        ("title", title),
        ("subject", "History"),
        ("work_type", "essay"),
        ("pages", "12"),
        ("price", "150000"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"w.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4 a work\r\n--{boundary}--\r\n"
    ));
    let req = Request::builder()
        .method("POST")
        .uri("/api/ready-works")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("authorization", format!("Bearer {staff}"))
        .body(Body::from(body))
        .unwrap();
    t.send(req).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn side(t: &TestApp, admin: &str, name: &str) -> Side {
    let people = accepted_order(t).await;
    let id = people.order.clone();
    let message = t
        .post(
            &format!("/api/orders/{id}/messages"),
            &people.client,
            json!({"text": "When is the draft?"}),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    delivered_and_completed(
        t,
        &people,
        json!({"rating": 5, "review": "Clear and on time", "publish": true}),
    )
    .await;
    let order = t.get(&format!("/api/orders/{id}"), admin).await.ok(200);
    let file = order["files"][0]["id"].as_str().unwrap().to_string();
    let work = listed(t, admin, &format!("{name}: a work")).await;
    let spare_work = listed(t, admin, &format!("{name}: a spare work")).await;
    let purchase = t
        .call(
            "POST",
            &format!("/api/ready-works/{work}/purchase"),
            Some(&people.client),
            None,
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.post(
        &format!("/api/purchases/{purchase}/payments"),
        admin,
        json!({"amount": 150000, "payment_id": format!("walk-{purchase}")}),
    )
    .await
    .ok(200);
    let (spare_user, _) = t.user(Role::Client, &format!("{name} Spare")).await;
    let extra = format!("walk-{}", name.to_lowercase());
    t.put(
        &format!("/api/catalogue/extras/{extra}"),
        admin,
        json!({"name": format!("Walk {name}"), "price": 5000}),
    )
    .await
    .ok(200);
    Side {
        people,
        file,
        message,
        purchase,
        work,
        spare_work,
        spare_user,
        mail: String::new(),
        extra,
    }
}

/// The value of the path parameter `param` of `path` on this side's records; `None` for
/// a route whose records the walk does not know.
fn param(path: &str, param: &str, s: &Side) -> Option<String> {
    let p = &s.people;
    let v = match (path.split('/').nth(2)?, param) {
        ("orders", "id") => &p.order,
        ("orders", "file_id") => &s.file,
        ("orders", "message_id") => &s.message,
        ("orders", "code") => &s.extra,
        ("reviews", "order_id") => &p.order,
        ("authors", "id") => &p.author_id,
        ("clients", "id") => &p.client_id,
        ("users", "id") if path.ends_with("/company") => &p.client_id,
        ("users", "id") => &s.spare_user,
        ("purchases", "id") => &s.purchase,
        ("ready-works", "id") if path.ends_with("/delist") => &s.spare_work,
        ("ready-works", "id") => &s.work,
        ("admin", "id") => &s.mail,
        ("catalogue", "kind") => return Some("extras".to_string()),
        ("catalogue", "code") => &s.extra,
        _ => return None,
    };
    Some(v.clone())
}

/// `path` with its parameters filled in from `side`.
fn uri(path: &str, side: &Side) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => param(path, name, side).unwrap_or_else(|| {
                    panic!(
                        "{path}: the walk does not know which record {{{name}}} names: add it to \
                     `param` in tests/authorization.rs"
                    )
                }),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether an answer is the refusal of a caller with no valid token.
fn not_logged_in(body: &serde_json::Value) -> bool {
    body["status"] == 401 && body["detail"] == "not logged in"
}

struct Caller {
    role: Role,
    token: String,
    email: String,
}

async fn email(t: &TestApp, token: &str) -> String {
    t.get("/api/me", token).await.ok(200)["email"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn every_route_answers_every_role_on_its_own_and_others_records_as_the_matrix_says(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Walk Admin").await;
    let mut own = side(&t, &admin, "Own").await;
    let mut other = side(&t, &admin, "Other").await;
    t.workers_caught_up().await;
    let mails = t.get("/api/admin/outbox", &admin).await.ok(200);
    let mails: Vec<String> = mails
        .as_array()
        .expect("mails")
        .iter()
        .map(|m| m["id"].to_string())
        .collect();
    assert!(mails.len() >= 2, "{mails:?}");
    own.mail = mails[0].clone();
    other.mail = mails[1].clone();

    // The callers: the own side's client, manager and author; staff who see everything.
    let p = &own.people;
    let mut callers = Vec::new();
    for (role, token) in [
        (Role::Client, p.client.clone()),
        (Role::Author, p.author.clone()),
        (Role::Manager, p.manager.clone()),
    ] {
        let email = email(&t, &token).await;
        callers.push(Caller { role, token, email });
    }
    for role in [Role::PayoutClerk, Role::Auditor, Role::Admin] {
        let (_, token) = t.user(role, &format!("Walk {role}")).await;
        let email = email(&t, &token).await;
        callers.push(Caller { role, token, email });
    }

    let doc = document(&t).await;
    let mut cells = 0;
    let mut refused_elsewhere = 0;
    let mut listed_narrowly = 0;
    for ((path, method), op) in operations(&doc) {
        let public = op["security"] == json!([]);
        // A guest's checkout: an operation of a role that also runs without a token.
        let open = public
            || op["security"]
                .as_array()
                .is_some_and(|s| s.contains(&json!({})));
        let has_record = path.contains('{');
        let body = op["requestBody"]["content"]["application/json"]
            .get("schema")
            .map(|schema| example(&doc, schema));
        let m = method.to_uppercase();
        let name = format!("{m} {path}");
        if !public {
            assert!(
                op["x-records"].is_object(),
                "{name}: no x-records (an x-action the access policy knows)"
            );
        }

        // No token.
        let res = t.call(&m, &uri(&path, &own), None, body.clone()).await;
        let status = res.status.as_u16();
        if open {
            // Public: not refused for want of a token (a log-in with a made-up password or
            // an unsigned notification is still a 401 of its own).
            assert!(
                status != 403
                    && status < 500
                    && (!not_logged_in(&res.body) || path == "/api/auth/login"),
                "{name} is public: {status} {}",
                res.body
            );
        } else {
            assert_eq!(status, 401, "{name} without a token: {}", res.body);
        }
        cells += 1;

        for caller in callers.iter_mut() {
            let role = caller.role.as_str();
            let records = op["x-records"][role].as_str();
            let sides: &[(&Side, bool)] = if has_record {
                &[(&other, false), (&own, true)]
            } else {
                &[(&own, true)]
            };
            for (side, is_own) in sides {
                let target = uri(&path, side);
                let res = t.call(&m, &target, Some(&caller.token), body.clone()).await;
                let status = res.status.as_u16();
                let what = format!(
                    "{name} as {role} on {} ({target}): {status} {}",
                    if *is_own {
                        "their own record"
                    } else {
                        "another's record"
                    },
                    res.body
                );
                assert!(status < 500, "{what}");
                if status == 204 && path == "/api/auth/logout" {
                    // That session has ended: the role goes on with a new one.
                    caller.token = t.login(&caller.email, PASSWORD).await;
                    cells += 1;
                    continue;
                }
                match (public, records) {
                    (true, _) => assert!(
                        status != 403 && (!not_logged_in(&res.body) || path == "/api/auth/login"),
                        "{what}"
                    ),
                    (false, None) => assert_eq!(status, 403, "refused by role: {what}"),
                    (false, Some(records)) => {
                        let reaches = records == "all" || !has_record || *is_own;
                        if reaches {
                            // (A body naming nothing is a 404 of its own.)
                            assert!(
                                !matches!(status, 401 | 403) && (status != 404 || !has_record),
                                "{records}: let in: {what}"
                            );
                            if m == "GET" {
                                assert!((200..300).contains(&status), "a read: {what}");
                            }
                            // A list of a narrower reach holds nothing of the other side's:
                            // not its order, its purchase, its client or its messages.
                            if m == "GET" && !has_record && records != "all" {
                                let text = res.body.to_string();
                                let o = &other;
                                for (kind, id) in [
                                    ("order", &o.people.order),
                                    ("purchase", &o.purchase),
                                    ("client", &o.people.client_id),
                                    ("message", &o.message),
                                ] {
                                    assert!(
                                        !text.contains(id.as_str()),
                                        "{records}: the other side's {kind} leaks: {what}"
                                    );
                                }
                                listed_narrowly += 1;
                            }
                        } else {
                            assert!(
                                matches!(status, 403 | 404),
                                "{records}: out of reach: {what}"
                            );
                            refused_elsewhere += 1;
                        }
                    }
                }
                cells += 1;
            }
        }
    }
    let ops = operations(&doc).len();
    assert!(ops >= 85, "only {ops} operations");
    assert!(cells >= ops * 7, "only {cells} cells");
    assert!(
        listed_narrowly >= 8,
        "only {listed_narrowly} lists of a narrower reach were looked into"
    );
    assert!(
        refused_elsewhere >= 40,
        "only {refused_elsewhere} calls on another's record were refused"
    );
    common::replay(&t, true);
}

/// `docs/authorization.md` is the matrix the document (and so the access policy) says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_in_docs_is_the_access_policys() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&t).await;
    let want = scriptorium::http::openapi::authorization_matrix(&doc);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/authorization.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs/authorization.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/authorization.md is not the access policy's matrix: \
         UPDATE_DOCS=1 cargo test --test authorization rewrites it"
    );
    // Every role's column says something of every operation.
    let rows: BTreeMap<&str, usize> = want
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| (l, l.matches(" | ").count()))
        .collect();
    assert_eq!(rows.len(), operations(&doc).len());
    assert!(rows.values().all(|n| *n == Role::ALL.len() + 2), "{rows:?}");
}
