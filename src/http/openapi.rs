//! `GET /api/openapi.json`: the whole HTTP API as an OpenAPI 3.1 document, as API.md asks.
//!
//! The document is generated from the code: each handler carries a `#[utoipa::path]` with
//! what is particular to it (summary and description from its doc comment, its body, its
//! answers, who may call it in an `x-roles` extension: [`roles`] of the access policy's
//! action it performs), its request types and the application's views (`app::views`, the
//! very types answered) derive `ToSchema`, and the routers are `utoipa_axum`
//! [`OpenApiRouter`]s, so a route is in the document because it is routed through
//! `routes!(…)`. What every operation of a kind
//! answers besides (401 and 403 when protected, the `Idempotency-Key` parameter and answers
//! of a POST, a 400 for an unreadable JSON body, the problem body of every error, the
//! "Roles:" line) is added in one place, [`finish`], from those declarations.
//!
//! `tests/openapi.rs` fails when a route is added without being documented (one routed
//! with a plain `route` call rather than `routes!` is left out of the document), or
//! documented without being routed;
//! `tests/schema.rs` validates every real answer of a lifecycle against the document.

use std::sync::LazyLock;

use aggregates::Role;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::Problem;
use super::idempotency::{MAX_KEY_LEN, NEVER_STORED};
use crate::app::policy::{Action, Records};
use crate::app::schemas::{
    CatalogueKindSchema, FileKindSchema, OrderSourceSchema, OrderStatusSchema, RoleSchema,
};
use crate::app::App;

/// `x-roles` of an operation anyone may call without a token.
pub const PUBLIC: &[Role] = &[];
/// `x-roles` of an operation any logged-in user may call, outside the access policy's
/// actions (`/api/me`); each sees what their role may.
pub const ANYONE: &[Role] = &Role::ALL;

/// `x-roles` of an operation that does `action`: the roles the access policy lets do it,
/// so that the document says what [`crate::app::policy::authorize`] decides.
/// In a `#[utoipa::path]`: `extensions(("x-roles" = json!(roles(Action::…))))`.
pub fn roles(action: Action) -> Value {
    json!(action.roles())
}

/// `x-action` of an operation that does `action`: its name, from which [`finish`] adds the
/// records each of its roles reaches (`x-records`, the authorization matrix's cells).
/// In a `#[utoipa::path]`, after its `x-roles`: `("x-action" = json!(action(Action::…)))`.
pub fn action(action: Action) -> Value {
    json!(action.name())
}

/// The skeleton the routers add their operations to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Scriptorium",
        license(name = "UNLICENSED"),
        description = "Orders for commissioned written works. JSON in and out; times are RFC 3339, dates YYYY-MM-DD; money is an integer number of kopecks (RUB); ids are UUIDs. Errors are application/problem+json. Every answer carries `X-Request-Id` (the caller's, or a new one).",
    ),
    servers((url = "/")),
    security(("bearer" = [])),
    tags(
        (name = "operations", description = "health and this document"),
        (name = "auth", description = "sign-up, log-in, who am I"),
        (name = "users", description = "user management"),
        (name = "orders", description = "the order lifecycle"),
        (name = "payments", description = "the payment provider's signed notifications"),
        (name = "authors", description = "authors' profiles, ratings and queues"),
        (name = "shifts", description = "managers' shifts and the routing of orders to them"),
        (name = "reports", description = "the director's reports"),
        (name = "payouts", description = "authors' ledgers and payouts"),
        (name = "settings", description = "the service's settings"),
        (name = "catalogue", description = "the work types, subjects and extras an order may name"),
        (name = "audit", description = "the global event log"),
        (name = "admin", description = "the mail outbox"),
        (name = "reviews", description = "the public reviews of completed orders"),
        (name = "points", description = "clients' loyalty points and referral links"),
        (name = "shop", description = "the ready-made works shop: the catalogue, purchases and their payments"),
    ),
    components(schemas(Problem, RoleSchema, OrderStatusSchema, OrderSourceSchema, FileKindSchema, CatalogueKindSchema)),
)]
pub struct ApiDoc;

/// The document is the same for every caller and every request: built once.
static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string(&document()).expect("the OpenAPI document serializes"));

/// (method, path) of each operation that may be called without a token, as the document
/// says.
static PUBLIC_OPERATIONS: LazyLock<std::collections::HashSet<(String, String)>> =
    LazyLock::new(|| {
        let doc: Value = serde_json::from_str(&DOCUMENT).expect("the document parses");
        let mut public = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                // No security requirement, or an empty one among others (a guest's
                // checkout): the operation runs without a token.
                let open = op["security"]
                    .as_array()
                    .is_some_and(|s| s.is_empty() || s.contains(&json!({})));
                if open {
                    public.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        public
    });

/// Whether the operation `method` `path` (a route's template, as routed) may be called
/// without a token.
pub fn is_public(method: &str, path: &str) -> bool {
    PUBLIC_OPERATIONS.contains(&(method.to_uppercase(), path.to_string()))
}

/// The document's route; no token needed.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(openapi))
}

/// Builds the document now rather than on its first request, so that a declaration
/// [`finish`] refuses stops the service at its start.
pub fn build() {
    LazyLock::force(&DOCUMENT);
}

/// This document
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    operation_id = "openapi",
    extensions(("x-roles" = json!(PUBLIC))),
    responses(
        (status = 200, description = "the OpenAPI 3.1 document of the whole API", body = Object),
    ),
)]
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

/// The whole document: what the routers generate, finished.
pub fn document() -> Value {
    let api = super::routes().into_openapi();
    let mut doc = serde_json::to_value(&api).expect("the generated document serializes");
    finish(&mut doc);
    doc
}

/// The generic parts of the document: its shared components, and for each operation what
/// follows from who may call it (its `x-roles`), its method, its path and its body.
fn finish(doc: &mut Value) {
    let components = &mut doc["components"];
    components["securitySchemes"]["bearer"] = json!({
        "type": "http",
        "scheme": "bearer",
        "description": "the token of POST /api/auth/login",
    });
    components["parameters"]["IdempotencyKey"] = json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "A repeat of the same request with the same key gets the first answer back and runs nothing; a 5xx answer frees the key.",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LEN, "pattern": "^[!-~]+$"},
    });
    components["headers"]["IdempotencyReplayed"] = json!({
        "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
        "schema": {"const": "true"},
    });
    uuid_patterns(doc);
    let Some(paths) = doc["paths"].as_object_mut() else {
        panic!("the document has no paths");
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            panic!("{path}: not a path item");
        };
        for (method, op) in item.iter_mut() {
            finish_operation(path, method, op);
        }
    }
}

/// The forms of a UUID the service reads (`uuid::Uuid::parse_str`): hyphenated, simple,
/// braced and URN.
const UUID_PATTERN: &str = "^(urn:uuid:)?(\\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$";

/// `format: uuid` is an annotation in OpenAPI 3.1 (JSON Schema 2020-12), not a check: every
/// such string also gets the pattern the service holds it to, so that the document says
/// which strings are ids.
fn uuid_patterns(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("format") == Some(&json!("uuid")) && !m.contains_key("pattern") {
                m.insert("pattern".into(), json!(UUID_PATTERN));
            }
            m.values_mut().for_each(uuid_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(uuid_patterns),
        _ => {}
    }
}

/// Who may call an operation, read from its `x-roles`.
#[derive(Debug, PartialEq, Eq)]
enum Who {
    /// Anyone, without a token (`x-roles` empty).
    Public,
    /// Any logged-in user (`x-roles` every role); each sees only what their role may see.
    Anyone,
    /// Logged-in users with one of these roles.
    Roles(Vec<String>),
}

impl Who {
    fn of(name: &str, roles: &Value) -> Who {
        let roles: Vec<String> = roles
            .as_array()
            .unwrap_or_else(|| {
                panic!(
                    "{name}: say who may call it: extensions((\"x-roles\" = json!(roles(Action::…)))) in its #[utoipa::path]"
                )
            })
            .iter()
            .map(|r| {
                let r = r.as_str().unwrap_or_default();
                assert!(Role::parse(r).is_some(), "{name}: x-roles names {r:?}");
                r.to_string()
            })
            .collect();
        if roles.is_empty() {
            Who::Public
        } else if Role::ALL
            .iter()
            .all(|r| roles.iter().any(|n| n == r.as_str()))
        {
            Who::Anyone
        } else {
            Who::Roles(roles)
        }
    }

    /// The first line of the operation's description.
    fn line(&self) -> String {
        match self {
            Who::Public => "Public: no token needed.".to_string(),
            Who::Anyone => {
                "Roles: any logged-in user; each sees only what their role may see.".to_string()
            }
            Who::Roles(roles) => format!("Roles: {}.", roles.join(", ")),
        }
    }

    /// Why a logged-in caller may be refused; `None` for a public operation.
    fn forbidden(&self) -> Option<&'static str> {
        match self {
            Who::Public => None,
            Who::Anyone => Some("the account is blocked"),
            Who::Roles(_) => Some("a role not listed above, or a blocked account"),
        }
    }
}

fn finish_operation(path: &str, method: &str, op: &mut Value) {
    let name = format!("{} {path}", method.to_uppercase());
    let who = Who::of(&name, &op["x-roles"]);
    if let Some(records) = records_of(&name, &who, op) {
        op["x-records"] = records;
    }
    let about = op["description"].as_str().unwrap_or_default().trim();
    op["description"] = json!(if about.is_empty() {
        who.line()
    } else {
        format!("{}\n\n{about}", who.line())
    });
    if op.get("parameters").is_none() {
        op["parameters"] = json!([]);
    }

    let json_body = op["requestBody"]["content"]
        .get("application/json")
        .is_some();
    if json_body {
        optional_body(&mut op["requestBody"]);
    }
    let responses = &mut op["responses"];
    if json_body {
        // What `Body` and `OptBody` answer to a body they cannot read.
        add(responses, 400, "the body is not JSON of this shape");
    }
    match who.forbidden() {
        None => op["security"] = json!([]),
        Some(why) => {
            add(responses, 401, "no token, or an expired or unknown one");
            add(responses, 403, why);
        }
    }
    let responses = &mut op["responses"];
    if method == "post" {
        add(responses, 400, "a malformed Idempotency-Key header");
        if !NEVER_STORED.contains(&path) {
            add(
                responses,
                409,
                "a request with the same Idempotency-Key is still running",
            );
            add(
                responses,
                422,
                "the Idempotency-Key was used before for another request",
            );
            for (status, answer) in responses.as_object_mut().into_iter().flatten() {
                if status.starts_with('2') {
                    answer["headers"]["Idempotency-Replayed"] =
                        json!({"$ref": "#/components/headers/IdempotencyReplayed"});
                }
            }
        }
        push(
            &mut op["parameters"],
            json!({"$ref": "#/components/parameters/IdempotencyKey"}),
        );
    }
    if path.contains('{') {
        // The `Path` extractor's answer to an id that cannot name anything.
        add(
            &mut op["responses"],
            404,
            "an id in the path that is not a UUID",
        );
    }
    // Every error is a problem: the handlers name the statuses and why, not the body.
    for (status, answer) in op["responses"].as_object_mut().into_iter().flatten() {
        if status.starts_with('4') || status.starts_with('5') {
            answer["content"]["application/problem+json"] = json!({"schema": problem_ref()});
        }
    }
}

/// The records each role in an operation's `x-roles` reaches, from its `x-action` (the
/// access policy's [`Action::records`]); an operation any logged-in user may call reaches
/// their own; `None` for a public one.
fn records_of(name: &str, who: &Who, op: &Value) -> Option<Value> {
    let records = |f: &dyn Fn(Role) -> Option<&'static str>| {
        let mut m = serde_json::Map::new();
        for role in Role::ALL {
            if let Some(r) = f(role) {
                m.insert(role.as_str().to_string(), json!(r));
            }
        }
        Value::Object(m)
    };
    match (who, op.get("x-action")) {
        (Who::Public, None) => None,
        (Who::Public, Some(_)) => panic!("{name}: a public operation names no action"),
        (_, Some(a)) => {
            let a = a.as_str().and_then(Action::parse).unwrap_or_else(|| {
                panic!("{name}: x-action {a} is not an action of the access policy")
            });
            let listed = json!(a.roles());
            assert_eq!(op["x-roles"], listed, "{name}: x-roles are not {a:?}'s");
            Some(records(&|role| a.records(role).map(|r| r.as_str())))
        }
        (Who::Anyone, None) => Some(records(&|_| Some(Records::Own.as_str()))),
        (Who::Roles(_), None) => panic!(
            "{name}: say which action it does: (\"x-action\" = json!(action(Action::…))) after its x-roles"
        ),
    }
}

/// The authorization matrix as a Markdown table (`docs/authorization.md`): for every
/// operation of the document and every role, and for a caller with no token, whether it
/// is let in and on which records, read from `x-roles` and `x-records`.
pub fn authorization_matrix(doc: &Value) -> String {
    let mut out = String::from(
        "# Authorization matrix\n\n\
         Generated from the OpenAPI document (`x-roles`, `x-action`, `x-records`), which is \
         generated from the access policy (`src/app/policy.rs`); `tests/authorization.rs` \
         checks this file is current (`UPDATE_DOCS=1 cargo test --test authorization` \
         rewrites it) and walks every route in it, for every role, with no token, on the \
         caller's own record and on someone else's.\n\n\
         - **all**: any record; **own**: the caller's own (the orders they placed, their \
         profile, ledger, purchases, points, shift, account); **routed**: the orders routed \
         to the manager; **offered**: the orders offered to the author, now or before, and \
         the ones they took; **assigned**: the orders the author took.\n\
         - **—**: refused with 403 (401 with no token). A record out of reach is answered \
         404, as if it did not exist.\n\
         - **public**: no token needed; every role too. **open**: a role's operation a \
         caller with no token may do too.\n\n",
    );
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    out.push_str(&format!(
        "| Route | Action | {} | no token |\n|---|---|{}---|\n",
        roles.join(" | "),
        "---|".repeat(roles.len())
    ));
    let mut ops: Vec<(String, String, &Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            ops.push((path.clone(), method.clone(), op));
        }
    }
    ops.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (path, method, op) in ops {
        let public = op["security"] == json!([]);
        let cells: Vec<String> = roles
            .iter()
            .map(|r| {
                if public {
                    "public".to_string()
                } else {
                    op["x-records"][*r].as_str().unwrap_or("—").to_string()
                }
            })
            .collect();
        out.push_str(&format!(
            "| `{} {path}` | {} | {} | {} |\n",
            method.to_uppercase(),
            op["x-action"].as_str().unwrap_or(""),
            cells.join(" | "),
            if public {
                "public"
            } else if op["security"]
                .as_array()
                .is_some_and(|s| s.contains(&json!({})))
            {
                "open (a guest's checkout)"
            } else {
                "401"
            }
        ));
    }
    out
}

/// `request_body = Option<T>` is a body that may be left out (read by `OptBody`), which
/// utoipa renders as "`T` or `null`": a `null` body is no more readable than any other
/// non-`T`, so it is documented as an optional `T`.
fn optional_body(body: &mut Value) {
    let schema = &mut body["content"]["application/json"]["schema"];
    let null = json!({"type": "null"});
    let Some([a, b]) = schema["oneOf"].as_array().map(Vec::as_slice) else {
        return;
    };
    let t = match (*a == null, *b == null) {
        (true, false) => b.clone(),
        (false, true) => a.clone(),
        _ => return,
    };
    *schema = t;
    body["required"] = json!(false);
}

fn push(array: &mut Value, item: Value) {
    if let Some(a) = array.as_array_mut() {
        a.push(item);
    }
}

/// An error answer with this reason; a status the operation already has gets the reason
/// added to its own.
fn add(responses: &mut Value, status: u16, why: &str) {
    let key = status.to_string();
    match responses[&key]["description"].as_str().map(str::to_string) {
        Some(d) if d.split("; or ").any(|d| d == why) => {}
        Some(d) if !d.is_empty() => {
            responses[&key]["description"] = json!(format!("{d}; or {why}"))
        }
        _ => responses[&key] = json!({"description": why}),
    }
}

fn problem_ref() -> Value {
    json!({"$ref": "#/components/schemas/Problem"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "no {method} {path}");
        op
    }

    #[test]
    fn the_audit_parameters_are_the_handlers_limits() {
        let doc = document();
        let params = op(&doc, "get", "/api/audit/events")["parameters"]
            .as_array()
            .expect("parameters")
            .clone();
        let param = |name: &str| {
            params
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p["schema"].clone())
                .unwrap_or_else(|| panic!("no {name}"))
        };
        use super::super::audit::{DEFAULT_LIMIT, MAX_LIMIT};
        assert_eq!(param("limit")["maximum"], json!(MAX_LIMIT));
        assert_eq!(param("limit")["default"], json!(DEFAULT_LIMIT));
        assert_eq!(param("after")["minimum"], json!(0));
    }

    #[test]
    fn the_list_parameters_are_the_handlers_limits() {
        use super::super::orders::list::{DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, SORTS};
        let doc = document();
        let params = op(&doc, "get", "/api/orders")["parameters"]
            .as_array()
            .expect("parameters")
            .clone();
        let param = |name: &str| {
            params
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p["schema"].clone())
                .unwrap_or_else(|| panic!("no {name}"))
        };
        assert_eq!(param("page")["maximum"], json!(MAX_PAGE));
        assert_eq!(param("per_page")["maximum"], json!(MAX_PER_PAGE));
        assert_eq!(param("per_page")["default"], json!(DEFAULT_PER_PAGE));
        assert_eq!(param("sort")["enum"], json!(SORTS));
        let pages = &doc["components"]["schemas"]["NewOrder"]["properties"]["pages"];
        assert_eq!(pages["maximum"], json!(crate::app::values::Pages::MAX));
        let pages = &doc["components"]["schemas"]["OrderSummary"]["properties"]["pages"];
        assert_eq!(pages["maximum"], json!(crate::app::values::Pages::MAX));
    }

    #[test]
    fn x_roles_are_the_policys() {
        let doc = document();
        let roles_of = |method: &str, path: &str| op(&doc, method, path)["x-roles"].clone();
        for (method, path, action) in [
            ("post", "/api/orders", Action::PlaceOrder),
            ("get", "/api/orders", Action::ReadOrders),
            ("put", "/api/orders/{id}/price", Action::SetPrice),
            ("post", "/api/orders/{id}/payments", Action::RecordPayment),
            ("post", "/api/orders/{id}/refunds", Action::RecordRefund),
            ("post", "/api/orders/{id}/cancel", Action::CancelOrder),
            ("get", "/api/audit/events", Action::ReadAuditLog),
            ("post", "/api/users", Action::ManageUsers),
        ] {
            assert_eq!(roles_of(method, path), roles(action), "{method} {path}");
        }
        assert_eq!(
            op(&doc, "get", "/api/orders/{id}")["x-roles-as-of"],
            roles(Action::ReadPastState)
        );
        // The provider's notification is signed, not authenticated by a token.
        let webhook = op(&doc, "post", "/api/payments/webhook");
        assert_eq!(webhook["x-roles"], json!(PUBLIC));
        assert_eq!(webhook["security"], json!([]));
        assert!(webhook["responses"]["401"]["description"]
            .as_str()
            .unwrap()
            .contains("signature"));
    }

    #[test]
    fn an_order_is_answered_now_or_as_it_stood() {
        let doc = document();
        let schema = &op(&doc, "get", "/api/orders/{id}")["responses"]["200"]["content"]
            ["application/json"]["schema"];
        assert_eq!(
            schema["oneOf"],
            json!([
                {"$ref": "#/components/schemas/Order"},
                {"$ref": "#/components/schemas/OrderAsOf"},
            ])
        );
        let summary = &doc["components"]["schemas"]["OrderSummary"];
        let required = summary["required"].as_array().unwrap();
        assert!(!required.contains(&json!("author_fee")));
        assert_eq!(
            summary["properties"]["author_fee"]["type"],
            json!(["integer", "null"])
        );
        assert!(required.contains(&json!("price")));
        assert_eq!(
            summary["properties"]["placed_at"]["format"],
            json!("date-time")
        );
    }

    #[test]
    fn roles_become_the_first_line_and_the_refusals() {
        let doc = document();
        let block = op(&doc, "post", "/api/users/{id}/block");
        assert_eq!(block["x-roles"], json!(["admin"]));
        let description = block["description"].as_str().unwrap();
        assert!(
            description.starts_with("Roles: admin.\n\n"),
            "{description}"
        );
        assert!(block["responses"]["401"].is_object());
        assert!(block["responses"]["403"]["description"]
            .as_str()
            .unwrap()
            .contains("a role not listed above"));
        assert!(block.get("security").is_none());

        let me = op(&doc, "get", "/api/me");
        assert!(me["description"]
            .as_str()
            .unwrap()
            .starts_with("Roles: any logged-in user"));
        assert_eq!(
            me["responses"]["403"]["description"],
            "the account is blocked"
        );

        let health = op(&doc, "get", "/healthz");
        assert_eq!(health["security"], json!([]));
        assert_eq!(health["x-roles"], json!([]));
        assert!(health["responses"].get("401").is_none());
    }

    #[test]
    fn a_post_gets_the_idempotency_key_and_its_answers() {
        let doc = document();
        let create = op(&doc, "post", "/api/users");
        assert!(create["parameters"]
            .as_array()
            .unwrap()
            .contains(&json!({"$ref": "#/components/parameters/IdempotencyKey"})));
        let responses = &create["responses"];
        assert_eq!(
            responses["201"]["headers"]["Idempotency-Replayed"]["$ref"],
            "#/components/headers/IdempotencyReplayed"
        );
        let conflict = responses["409"]["description"].as_str().unwrap();
        assert!(
            conflict.starts_with(
                "a user with this email already exists; or a request with the same Idempotency-Key"
            ),
            "{conflict}"
        );
        assert!(responses["400"]["description"]
            .as_str()
            .unwrap()
            .contains("the body is not JSON of this shape"));
        // A log-in's answer is never stored: the key is only checked.
        let login = op(&doc, "post", "/api/auth/login");
        assert!(login["responses"]["200"].get("headers").is_none());
        assert!(login["responses"].get("409").is_none());
    }

    #[test]
    fn a_body_that_may_be_left_out_is_optional_not_nullable() {
        let doc = document();
        let body = &op(&doc, "post", "/api/users/{id}/block")["requestBody"];
        assert_eq!(body["required"], json!(false));
        assert_eq!(
            body["content"]["application/json"]["schema"],
            json!({"$ref": "#/components/schemas/BlockReason"})
        );
        let body = &op(&doc, "post", "/api/users")["requestBody"];
        assert_eq!(body["required"], json!(true));
    }

    #[test]
    fn an_operation_without_x_roles_is_refused() {
        let mut op = json!({"responses": {"200": {"description": "ok"}}});
        let refused = std::panic::catch_unwind(move || {
            finish_operation("/x", "get", &mut op);
        });
        assert!(refused.is_err());
    }

    #[test]
    fn the_role_schema_is_every_role() {
        let doc = document();
        assert_eq!(
            doc["components"]["schemas"]["Role"]["enum"],
            json!(Role::ALL.map(Role::as_str))
        );
        assert_eq!(
            doc["components"]["schemas"]["User"]["properties"]["role"]["$ref"],
            "#/components/schemas/Role"
        );
    }
}
