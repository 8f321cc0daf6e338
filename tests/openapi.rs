//! The OpenAPI document at `GET /api/openapi.json` describes the router exactly: it is a
//! well-formed OpenAPI 3.1 document, every operation it lists is routed, and every route is
//! in it. Routes added through utoipa-axum's `routes!(…)` are documented by construction;
//! a plain `.route(` anywhere in `src/http/**` is not, so a new one without documentation
//! fails here. The document is static, so one backend is enough.

mod common;

use std::collections::BTreeSet;

use aggregates::Role;
use common::doc::{document, example, operations, METHODS};
use common::{Backend, TestApp};
use serde_json::{json, Value};

/// The fallback's detail: what a path no route has answers.
const NO_ROUTE: &str = "no such endpoint";

/// (path, method) of every `.route("…", get(…).post(…))` in one source file.
fn routes_in(file: &str, source: &str) -> Vec<(String, String)> {
    for unsupported in [".nest(", ".nest_service(", ".route_service("] {
        assert!(
            !source.contains(unsupported),
            "{file} uses {unsupported}: teach this scan about it"
        );
    }
    let mut routes = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let literal = rest
            .trim_start()
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("{file}: a .route( whose path is not a string literal"));
        let end = literal.find('"').expect("the path's closing quote");
        let path = &literal[..end];
        // The method routers are the calls at the top level of `.route(`'s second argument:
        // `get(a)`, `post(b).get(c)`; whatever is inside their parentheses is skipped.
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        let mut ident = String::new();
        for c in literal[end + 1..].chars() {
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '(' => {
                    if depth == 0 {
                        assert!(
                            METHODS.contains(&ident.as_str()),
                            "{file}: {path} is routed with {ident}(…): teach this scan about it"
                        );
                        routes.push((path.to_string(), ident.clone()));
                    }
                    depth += 1;
                }
                ')' if depth == 0 => break,
                ')' => depth -= 1,
                _ => {}
            }
            if c.is_alphanumeric() || c == '_' {
                ident.push(c);
            } else {
                ident.clear();
            }
        }
    }
    routes
}

/// Every `.rs` file under `dir`, in its subfolders too.
fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (path, method) of every plain `.route(…)` in the HTTP modules (`src/http/**`), read
/// from their sources. A route added through utoipa-axum's `routes!(…)` is in the document
/// by construction; one added with a plain `.route(` is not, unless it is documented by
/// hand, which `every_route_is_documented` checks.
fn routed() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http"));
    let mut files = Vec::new();
    sources(dir, &mut files);
    let mut routes = BTreeSet::new();
    for path in files {
        let source = std::fs::read_to_string(&path).expect("a source file");
        for route in routes_in(&path.display().to_string(), &source) {
            assert!(routes.insert(route.clone()), "{route:?} is routed twice");
        }
    }
    routes
}

/// (path, method) of every operation routed through `routes!(…)`: utoipa-axum puts each
/// into the router and into the generated document at once.
fn routed_with_docs() -> BTreeSet<(String, String)> {
    let api = scriptorium::http::routes().into_openapi();
    let doc = serde_json::to_value(&api).expect("the generated document");
    operations(&doc).into_keys().collect()
}

/// Every `"$ref"` in the document, with where it was found.
fn refs<'a>(at: &str, v: &'a Value, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push((at.to_string(), r)),
                    _ => refs(&format!("{at}/{k}"), v, out),
                }
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                refs(&format!("{at}/{i}"), v, out);
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_and_every_operation_has_its_answers() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&t).await;

    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Scriptorium");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["servers"], json!([{"url": "/"}]));
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    let schemas = &doc["components"]["schemas"];
    for name in [
        "Problem",
        "User",
        "Order",
        "OrderPage",
        "File",
        "Event",
        "HistoryEntry",
        "AuditPage",
    ] {
        assert!(schemas[name].is_object(), "no {name} schema");
    }
    assert_eq!(
        schemas["Problem"]["required"],
        json!(["type", "title", "status", "detail"])
    );
    assert_eq!(
        schemas["OrderPage"]["required"],
        json!(["items", "total", "page", "per_page"])
    );

    let mut found = Vec::new();
    refs("", &doc, &mut found);
    assert!(!found.is_empty());
    for (at, r) in found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: {r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{at}: {r} leads nowhere");
    }

    let ops = operations(&doc);
    assert!(ops.len() >= 30, "only {} operations", ops.len());
    let mut ids = BTreeSet::new();
    for ((path, method), op) in &ops {
        let name = format!("{} {path}", method.to_uppercase());
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            ids.insert(id.to_string()),
            "{name}: operationId {id:?} twice"
        );
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: no summary"
        );
        let description = op["description"].as_str().unwrap_or_default();
        let public = op["security"] == json!([]);
        let says = if public { "Public:" } else { "Roles:" };
        assert!(description.starts_with(says), "{name}: {description:?}");

        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{name}: no success answer"
        );
        for (status, answer) in responses {
            assert!(
                answer["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{name} {status}: no description"
            );
            // A 204 has no content by definition; every other answer says what it carries.
            if status != "204" {
                assert!(answer["content"].is_object(), "{name} {status}: no content");
            }
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    answer["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{name} {status}"
                );
            }
        }
        if !public {
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{name}: no {status}");
            }
        }

        let params = op["parameters"].as_array().expect("parameters");
        let in_path: BTreeSet<&str> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        assert_eq!(in_path, in_template, "{name}: path parameters");
        let idempotency_key = params
            .iter()
            .any(|p| p["$ref"] == "#/components/parameters/IdempotencyKey");
        assert_eq!(idempotency_key, method == "post", "{name}: Idempotency-Key");
    }

    // The parameters the contract spells out, as the handlers read them.
    let list = &ops[&("/api/orders".to_string(), "get".to_string())];
    let param = |op: &Value, name: &str| -> Value {
        op["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name))
            .map(|p| p["schema"].clone())
            .unwrap_or_else(|| panic!("no {name} parameter"))
    };
    assert_eq!(
        param(list, "status"),
        json!({"$ref": "#/components/schemas/OrderStatus"})
    );
    assert!(schemas["OrderStatus"]["enum"]
        .as_array()
        .is_some_and(|e| e.contains(&json!("awaiting_prepayment"))));
    assert_eq!(
        param(list, "sort")["enum"],
        json!(["number", "-number", "deadline", "-deadline"])
    );
    assert_eq!(
        (
            &param(list, "page")["minimum"],
            &param(list, "page")["maximum"]
        ),
        (&json!(1), &json!(1000))
    );
    assert_eq!(
        (
            &param(list, "per_page")["minimum"],
            &param(list, "per_page")["maximum"]
        ),
        (&json!(1), &json!(100))
    );
    let show = &ops[&("/api/orders/{id}".to_string(), "get".to_string())];
    assert_eq!(param(show, "as_of")["format"], "date-time");
    let audit = &ops[&("/api/audit/events".to_string(), "get".to_string())];
    assert_eq!(param(audit, "after")["type"], "integer");
    assert_eq!(param(audit, "limit")["maximum"], 1000);
    let draft = &ops[&("/api/orders/{id}/draft".to_string(), "post".to_string())];
    assert_eq!(
        draft["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["file"]
            ["format"],
        "binary"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&t).await;

    // The check below tells the fallback apart from everything else: make sure it can.
    let fallback = t.call("GET", "/api/no-such-route", None, None).await;
    assert_eq!(fallback.problem(404), NO_ROUTE);

    for ((path, method), op) in operations(&doc) {
        let uri = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    s.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = method.to_uppercase();
        let res = t.call(&method, &uri, None, Some(json!({}))).await;
        let name = format!("{method} {path}");
        let status = res.status.as_u16();
        assert!(
            !(status == 404 && res.body["detail"] == NO_ROUTE),
            "{name} is documented but not routed"
        );
        assert_ne!(
            status, 405,
            "{name} is documented, but its path has no {method}"
        );
        if op["security"] == json!([]) {
            // A public operation answers 401 only for a check of its own that it
            // documents (the webhook's signature), never for the missing token.
            assert!(
                status != 401
                    || (op["responses"].get("401").is_some()
                        && res.body["detail"] != "not logged in"),
                "{name} is documented as public: {}",
                res.body
            );
        } else {
            assert_eq!(
                status, 401,
                "{name} is documented as protected: {}",
                res.body
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_documented() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&t).await;
    let documented: BTreeSet<(String, String)> = operations(&doc).into_keys().collect();
    let plain = routed();
    let generated = routed_with_docs();
    let both: Vec<_> = plain.intersection(&generated).collect();
    assert!(both.is_empty(), "routed twice: {both:?}");
    let routed: BTreeSet<_> = plain.union(&generated).cloned().collect();
    assert!(routed.contains(&("/api/orders".to_string(), "post".to_string())));
    assert!(routed.contains(&("/api/orders".to_string(), "get".to_string())));

    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not in the OpenAPI document: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "in the OpenAPI document but not routed: {unrouted:?}"
    );
}

/// The roles an extension of an operation names.
fn roles_in(op: &Value, extension: &str) -> BTreeSet<String> {
    op[extension]
        .as_array()
        .unwrap_or_else(|| panic!("no {extension}"))
        .iter()
        .map(|r| r.as_str().expect("a role").to_string())
        .collect()
}

/// The document's `x-roles` are the access policy's: each role it lists gets past the
/// policy (any answer but 403), each other role is refused with 403, for every protected
/// operation, asked with a body the document describes; and so for `as_of`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_lets_in_exactly_the_roles_it_lists() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&t).await;
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let (_, token) = t.user(role, &format!("Test {role}")).await;
        let email = t.get("/api/me", &token).await.ok(200)["email"]
            .as_str()
            .unwrap()
            .to_string();
        tokens.push((role.as_str().to_string(), token, email));
    }
    let mut checked = 0;
    for ((path, method), op) in operations(&doc) {
        if op["security"] == json!([]) {
            continue;
        }
        let allowed = roles_in(&op, "x-roles");
        let uri = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    s.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let body = op["requestBody"]["content"]["application/json"]
            .get("schema")
            .map(|schema| example(&doc, schema));
        let method = method.to_uppercase();
        for (role, token, email) in tokens.iter_mut() {
            let res = t.call(&method, &uri, Some(token), body.clone()).await;
            let status = res.status.as_u16();
            if status == 204 && path == "/api/auth/logout" {
                // That session has ended: the role goes on with a new one.
                *token = t.login(email, "correct horse battery").await;
            }
            let name = format!("{method} {path} as {role}");
            if allowed.contains(role) {
                assert_ne!(status, 403, "{name} is documented as allowed: {}", res.body);
            } else {
                assert_eq!(status, 403, "{name} is documented as refused: {}", res.body);
            }
            checked += 1;
        }
    }
    assert!(checked >= 6 * 26, "only {checked} calls");

    let show = &operations(&doc)[&("/api/orders/{id}".to_string(), "get".to_string())];
    let allowed = roles_in(show, "x-roles-as-of");
    assert!(!allowed.is_empty() && allowed.len() < Role::ALL.len());
    let uri = format!(
        "/api/orders/{}?as_of=2026-03-02T09:00:00Z",
        uuid::Uuid::new_v4()
    );
    for (role, token, _) in &tokens {
        let status = t.call("GET", &uri, Some(token), None).await.status;
        assert_eq!(
            status == 403,
            !allowed.contains(role),
            "as_of as {role}: {status}"
        );
    }
}

#[test]
fn the_route_scan_reads_chained_methods_and_skips_handler_bodies() {
    let source = r#"
        Router::new()
            .route("/a", post(create).get(list))
            .route("/b/{id}", axum::routing::put(|| async { Json(json!({"x": "(get)"})) }))
            .route(
                "/c",
                get(show),
            )
    "#;
    assert_eq!(
        routes_in("example", source),
        [
            ("/a", "post"),
            ("/a", "get"),
            ("/b/{id}", "put"),
            ("/c", "get")
        ]
        .map(|(p, m)| (p.to_string(), m.to_string()))
    );
}
