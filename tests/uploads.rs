//! Uploads are typed by their content, not their name (pdf, docx, doc, odt, rtf, txt, zip;
//! anything else a 415), limited in size (413), and a client's file name never reaches
//! the file system; bodies over the limit and values out of range are refused with a
//! problem and change nothing. On SQLite and on Postgres.

mod common;

use aggregates::Role;
use axum::body::Body;
use axum::http::Request;
use common::{accepted_order, order_body, Accepted, Backend, Resp, TestApp};
use serde_json::{json, Value};

on_both!(
    every_accepted_type_is_taken_by_its_content_and_named_after_it,
    content_of_no_accepted_type_is_a_415_and_changes_nothing,
    an_upload_over_the_limit_is_a_413_and_changes_nothing,
    a_client_file_name_never_becomes_a_path,
    a_json_body_over_the_limit_is_a_413_and_changes_nothing,
    texts_pages_and_amounts_out_of_range_are_a_422_and_change_nothing,
    a_body_other_than_an_upload_gets_a_megabyte_and_an_upload_its_own_limit,
);

/// One stored (uncompressed) entry of a ZIP archive: its local header, name and data.
fn zip_entry(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = b"PK\x03\x04".to_vec();
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&[0; 4]); // flags, method: stored
    out.extend_from_slice(&[0; 4]); // time, date
    out.extend_from_slice(&[0; 4]); // crc-32 (not checked)
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    out
}

fn odt() -> Vec<u8> {
    let mut z = zip_entry("mimetype", b"application/vnd.oasis.opendocument.text");
    z.extend(zip_entry("content.xml", b"<office:document-content/>"));
    z
}

fn docx() -> Vec<u8> {
    let mut z = zip_entry("[Content_Types].xml", b"<Types/>");
    z.extend(zip_entry("word/document.xml", b"<w:document/>"));
    z
}

/// `(client's name, bytes, extension and content type expected)` for every type taken;
/// each name lies about its content.
fn samples() -> Vec<(&'static str, Vec<u8>, &'static str, &'static str)> {
    vec![
        (
            "work.docx",
            b"%PDF-1.7\n\x00\xff binary".to_vec(),
            "pdf",
            "application/pdf",
        ),
        (
            "work.pdf",
            docx(),
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "work.txt",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 3, 0],
            "doc",
            "application/msword",
        ),
        (
            "work.zip",
            odt(),
            "odt",
            "application/vnd.oasis.opendocument.text",
        ),
        (
            "work.odt",
            b"{\\rtf1\\ansi Hello}".to_vec(),
            "rtf",
            "application/rtf",
        ),
        (
            "work.rtf",
            "Просто текст, UTF-8.\n".as_bytes().to_vec(),
            "txt",
            "text/plain; charset=utf-8",
        ),
        (
            "work.doc",
            zip_entry("notes/readme.md", b"# notes"),
            "zip",
            "application/zip",
        ),
    ]
}

/// Contents of no accepted type.
fn refused_samples() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "setup.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00 a Windows program".to_vec(),
        ),
        (
            "photo.docx",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
        ),
        ("notes.txt", b"text with a \x00 NUL byte".to_vec()),
        ("latin1.txt", b"caf\xe9 au lait".to_vec()),
        ("script.rtf", b"#!/bin/sh\nrm -rf /\n\x00".to_vec()),
    ]
}

/// A multipart body of text `fields` and one `file` part.
fn multipart(fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "uploads-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_raw(t: &TestApp, path: &str, token: &str, content_type: &str, body: Vec<u8>) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request");
    t.send(req).await
}

/// Lists a ready-made work with this file.
async fn list_work(t: &TestApp, staff: &str, file_name: &str, bytes: &[u8]) -> Resp {
    let (content_type, body) = multipart(
        &[
            ("title", "A work"),
            ("subject", "History"),
            ("work_type", "essay"),
            ("pages", "12"),
            ("price", "90000"),
        ],
        file_name,
        bytes,
    );
    post_raw(t, "/api/ready-works", staff, &content_type, body).await
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
            json!({"half": "first", "amount": 125000, "payment_id": format!("{}-first", s.order)}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "in_progress");
    s
}

/// The events, the order as its manager reads it, and the stored files: what a refused
/// request must leave as it was.
async fn state(t: &TestApp, s: &Accepted) -> (i64, Value, usize) {
    let order = t
        .get(&format!("/api/orders/{}", s.order), &s.manager)
        .await
        .ok(200);
    (t.event_count().await, order, stored_files(t).len())
}

async fn replay_verifies(t: &TestApp) {
    t.workers_caught_up().await;
    let out = common::replay(t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn every_accepted_type_is_taken_by_its_content_and_named_after_it(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    for (name, bytes, extension, content_type) in samples() {
        let w = list_work(&t, &manager, name, &bytes).await.ok(201);
        let file = &w["file"];
        assert_eq!(file["name"], format!("work.{extension}"), "{name}: {w}");
        assert_eq!(file["content_type"], content_type, "{name}: {w}");
        assert_eq!(file["size"], bytes.len() as i64);
    }
    assert_eq!(stored_files(&t).len(), samples().len());

    // A draft too: a PDF named .exe is stored as a PDF.
    let s = order_in_progress(&t).await;
    let o = t
        .upload(
            &format!("/api/orders/{}/draft", s.order),
            &s.author,
            "draft.exe",
            b"%PDF-1.4\n%\xe2\xe3 the draft",
        )
        .await
        .ok(200);
    assert_eq!(o["files"][0]["name"], "draft.pdf", "{o}");
    replay_verifies(&t).await;
}

async fn content_of_no_accepted_type_is_a_415_and_changes_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = order_in_progress(&t).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    for kind in ["draft", "final"] {
        let path = format!("/api/orders/{}/{kind}", s.order);
        for (name, bytes) in refused_samples() {
            let before = state(&t, &s).await;
            let detail = t.upload(&path, &s.author, name, &bytes).await.problem(415);
            assert!(detail.contains("pdf, docx"), "{detail}");
            assert_eq!(state(&t, &s).await, before, "{kind} {name}");
        }
    }
    for (name, bytes) in refused_samples() {
        let before = state(&t, &s).await;
        list_work(&t, &manager, name, &bytes).await.problem(415);
        assert_eq!(state(&t, &s).await, before, "ready-made work {name}");
    }
    let list = t
        .call("GET", "/api/ready-works", Some(&manager), None)
        .await
        .ok(200);
    assert_eq!(list["total"], 0, "{list}");
    assert!(stored_files(&t).is_empty(), "{:?}", stored_files(&t));
    replay_verifies(&t).await;
}

async fn an_upload_over_the_limit_is_a_413_and_changes_nothing(backend: Backend) {
    let limit = 64 * 1024;
    let t = TestApp::spawn_with(backend, |c| c.max_upload_bytes = limit).await;
    let s = order_in_progress(&t).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let path = format!("/api/orders/{}/draft", s.order);
    let pdf = |size: usize| {
        let mut b = b"%PDF-1.4\n".to_vec();
        b.resize(size, b'x');
        b
    };
    // Just over the upload limit (the body still fits the body limit), and far over it.
    for size in [limit + 1, limit + 40 * 1024, 10 * limit] {
        let before = state(&t, &s).await;
        let detail = t
            .upload(&path, &s.author, "big.pdf", &pdf(size))
            .await
            .problem(413);
        assert!(!detail.is_empty());
        assert_eq!(state(&t, &s).await, before, "{size}");
        list_work(&t, &manager, "big.pdf", &pdf(size))
            .await
            .problem(413);
        assert_eq!(state(&t, &s).await, before, "{size}");
    }
    // At the limit it is taken.
    t.upload(&path, &s.author, "fits.pdf", &pdf(limit))
        .await
        .ok(200);
    assert_eq!(stored_files(&t).len(), 1);
    replay_verifies(&t).await;
}

async fn a_client_file_name_never_becomes_a_path(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = order_in_progress(&t).await;
    let id = &s.order;
    let draft = format!("/api/orders/{id}/draft");
    let names = [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\\\x.pdf", "x.txt"),
        ("/tmp/evil.pdf", "evil.txt"),
        ("a\u{0}b.pdf", "ab.txt"),
        ("..", "upload.txt"),
    ];
    for (i, (name, expected)) in names.iter().enumerate() {
        let content = format!("draft number {i}");
        let res = t.upload(&draft, &s.author, name, content.as_bytes()).await;
        if res.status == 400 {
            // A name the multipart parser refuses: refused whole, nothing stored.
            res.problem(400);
            continue;
        }
        let o = res.ok(200);
        let stored = o["files"]
            .as_array()
            .and_then(|f| f.last())
            .cloned()
            .unwrap_or_default();
        let stored_name = stored["name"].as_str().unwrap_or_default();
        assert_eq!(stored_name, *expected, "{name:?}: {o}");
        assert!(
            !stored_name.contains(['/', '\\', '\0']),
            "{name:?} → {stored_name:?}"
        );
        // The manager sends it back, so the next draft can come.
        t.post(
            &format!("/api/orders/{id}/draft/reject"),
            &s.manager,
            json!({"comment": "again"}),
        )
        .await
        .ok(200);
    }
    // Every stored file is named by its SHA-256 under the store, and nothing was written
    // where the names pointed.
    let root = t.data_dir().join("files");
    let files = stored_files(&t);
    assert!(!files.is_empty());
    for f in &files {
        let rel = f.strip_prefix(&root).expect("under the store");
        let hex: String = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        assert_eq!(hex.len(), 64, "{}", f.display());
        assert!(
            hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{}",
            f.display()
        );
    }
    assert!(!t.dir.path().join("etc").exists());
    assert!(!t.data_dir().join("x.pdf").exists());
    assert!(!t.dir.path().join("x.pdf").exists());
    replay_verifies(&t).await;
}

async fn a_json_body_over_the_limit_is_a_413_and_changes_nothing(backend: Backend) {
    let limit = 16 * 1024;
    let t = TestApp::spawn_with(backend, |c| c.max_upload_bytes = limit).await;
    let (_, client) = t.user(Role::Client, "Olga Client").await;
    let before = t.event_count().await;
    let mut order = order_body();
    order["requirements"] = json!("x".repeat(limit + 128 * 1024));
    let res = t.post("/api/orders", &client, order.clone()).await;
    res.problem(413);
    // With an Idempotency-Key the middleware reads the body first: the same answer.
    t.call_with(
        "POST",
        "/api/orders",
        Some(&client),
        Some(order),
        &[("idempotency-key", "big-body-1")],
    )
    .await
    .problem(413);
    t.call(
        "POST",
        "/api/auth/password-reset",
        None,
        Some(json!({"email": format!("{}@example.com", "a".repeat(200 * 1024))})),
    )
    .await
    .problem(413);
    assert_eq!(t.event_count().await, before);
    let list = t.get("/api/orders", &client).await.ok(200);
    assert_eq!(list["total"], 0);
    replay_verifies(&t).await;
}

async fn texts_pages_and_amounts_out_of_range_are_a_422_and_change_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Olga Client").await;
    let before = t.event_count().await;
    let with = |field: &str, value: Value| {
        let mut b = order_body();
        b[field] = value;
        b
    };
    // Placing an order: texts too long, pages and amounts out of range. A number beyond
    // i64 does not fit the field's type: a 400 or a 422, never accepted.
    for (body, statuses) in [
        (with("topic", json!("т".repeat(100_000))), &[422][..]),
        (with("topic", json!("")), &[422]),
        (with("topic", json!("т".repeat(501))), &[422]),
        (with("work_type", json!("w".repeat(300))), &[422]),
        (with("requirements", json!("r".repeat(1_000_000))), &[422]),
        (with("pages", json!(0)), &[422]),
        (with("pages", json!(-3)), &[422]),
        (with("pages", json!(1_000_000)), &[422]),
        (with("pages", json!(i64::MAX)), &[422]),
        (with("pages", json!(1e30)), &[400, 422]),
    ] {
        let res = t.post("/api/orders", &client, body.clone()).await;
        let status = res.status.as_u16();
        assert!(statuses.contains(&status), "{status}: {}", res.body);
        res.problem(status);
        assert_eq!(t.event_count().await, before);
    }

    // A number beyond i64 as the body's text.
    let body = with("pages", json!(1))
        .to_string()
        .replace("\"pages\":1", "\"pages\":99999999999999999999999");
    assert!(body.contains("99999999999999999999999"));
    let res = post_raw(
        &t,
        "/api/orders",
        &client,
        "application/json",
        body.into_bytes(),
    )
    .await;
    let status = res.status.as_u16();
    assert!([400, 422].contains(&status), "{status}: {}", res.body);
    res.problem(status);
    assert_eq!(t.event_count().await, before);

    // A price out of range on a new order: refused, the order stays unpriced.
    let (manager_id, manager) = t.manager_on_shift("Petr Manager").await;
    let fresh = t.post("/api/orders", &client, order_body()).await.ok(201);
    let fresh = fresh["id"].as_str().unwrap().to_string();
    assert_eq!(t.wait_routed(&fresh).await, manager_id);
    for body in [
        json!({"price": -1, "author_fee": 0}),
        json!({"price": 0, "author_fee": 0}),
        json!({"price": i64::MAX, "author_fee": 1}),
        json!({"price": 100_000_000_001i64, "author_fee": 1}),
        json!({"price": 250000, "author_fee": -5}),
        json!({"price": 250000, "author_fee": 250001}),
    ] {
        let before = t.event_count().await;
        t.put(
            &format!("/api/orders/{fresh}/price"),
            &manager,
            body.clone(),
        )
        .await
        .problem(422);
        assert_eq!(t.event_count().await, before, "{body}");
    }
    let o = t
        .get(&format!("/api/orders/{fresh}"), &manager)
        .await
        .ok(200);
    assert!(o["price"].is_null() || o["price"] == 0, "{o}");
    t.put(
        &format!("/api/orders/{fresh}/price"),
        &manager,
        json!({"price": 100_000_000_000i64, "author_fee": 1}),
    )
    .await
    .ok(200);

    // On an order: a price, a fee, a payment, a refund, a message, a reason, a comment.
    let s = order_in_progress(&t).await;
    let id = &s.order;
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "POST",
            "payments",
            json!({"half": "second", "amount": -125001, "payment_id": "neg"}),
        ),
        (
            "POST",
            "payments",
            json!({"half": "second", "amount": 0, "payment_id": "zero"}),
        ),
        (
            "POST",
            "payments",
            json!({"half": "second", "amount": i64::MAX, "payment_id": "max"}),
        ),
        (
            "POST",
            "refunds",
            json!({"amount": -100, "reason": "why not"}),
        ),
        ("POST", "refunds", json!({"amount": 0, "reason": "why not"})),
        (
            "POST",
            "refunds",
            json!({"amount": 100, "reason": "x".repeat(100_000)}),
        ),
        ("POST", "messages", json!({"text": "m".repeat(100_000)})),
        ("POST", "messages", json!({"text": ""})),
        ("POST", "cancel", json!({"reason": "c".repeat(100_000)})),
    ];
    for (method, action, body) in cases {
        let before = state(&t, &s).await;
        let token = if action == "messages" {
            &s.client
        } else {
            &s.manager
        };
        let res = t
            .call(
                method,
                &format!("/api/orders/{id}/{action}"),
                Some(token),
                Some(body.clone()),
            )
            .await;
        let status = res.status.as_u16();
        assert_eq!(status, 422, "{method} {action} {body}: {}", res.body);
        res.problem(status);
        assert_eq!(state(&t, &s).await, before, "{method} {action} {body}");
    }
    // A name at sign-up.
    let before = t.event_count().await;
    t.call(
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"email": "long@example.com", "password": "correct horse battery", "full_name": "N".repeat(100_000)})),
    )
    .await
    .problem(422);
    assert_eq!(t.event_count().await, before);
    replay_verifies(&t).await;
}

/// A JSON body is read whole into a tree several times its size: it gets a megabyte,
/// not the uploads' allowance (5 MiB here), declared or streamed; an upload of 2 MiB still
/// goes through.
async fn a_body_other_than_an_upload_gets_a_megabyte_and_an_upload_its_own_limit(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = order_in_progress(&t).await;
    let before = state(&t, &s).await;
    let two_mib = 2 * 1024 * 1024;
    // Anyone's: no token needed to send it.
    let wide = format!("[{}0]", "0,".repeat(two_mib / 2));
    let res = t
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/auth/password-reset")
                .header("content-type", "application/json")
                .body(Body::from(wide.clone()))
                .expect("request"),
        )
        .await;
    res.problem(413);
    // Streamed, with no length declared: cut off at the limit all the same.
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = wide
        .as_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(axum::body::Bytes::copy_from_slice(c)))
        .collect();
    let res = t
        .send(
            Request::builder()
                .method("POST")
                .uri(format!("/api/orders/{}/messages", s.order))
                .header("authorization", format!("Bearer {}", s.client))
                .header("content-type", "application/json")
                .body(Body::from_stream(futures::stream::iter(chunks)))
                .expect("request"),
        )
        .await;
    res.problem(413);
    assert_eq!(state(&t, &s).await, before);
    // An upload of 2 MiB is an upload.
    let big_text = "a line of the draft\n".repeat(two_mib / 20);
    t.upload(
        &format!("/api/orders/{}/draft", s.order),
        &s.author,
        "draft.txt",
        big_text.as_bytes(),
    )
    .await
    .ok(200);
    replay_verifies(&t).await;
}
