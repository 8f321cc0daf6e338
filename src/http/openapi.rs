//! `GET /api/openapi.json`: the whole HTTP API as an OpenAPI 3.1 document, as API.md asks.
//! Written by hand next to the routes it describes; `tests/openapi.rs` fails when a route is
//! added without being documented here, or documented without being routed.

use std::sync::LazyLock;

use aggregates::order::OrderStatus;
use aggregates::Role;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::audit::{DEFAULT_LIMIT, MAX_LIMIT};
use super::idempotency::{MAX_KEY_LEN, NEVER_STORED};
use super::orders::list::{DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE};
use crate::app::App;

/// The document is the same for every caller and every request: built once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(document);

/// The document's route; no token needed.
pub fn router() -> Router<App> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(DOCUMENT.clone()) }),
    )
}

/// Who may call an operation.
enum Who {
    /// Anyone, without a token.
    Public,
    /// Any logged-in user; each sees only what their role may see.
    Anyone,
    /// Logged-in users with one of these roles.
    Roles(&'static [Role]),
}

/// One operation of the document under construction.
struct Op {
    method: &'static str,
    path: &'static str,
    who: Who,
    about: Option<&'static str>,
    value: Value,
}

const NOT_YOURS: &str = "unknown order, or not one the caller may see (never told apart)";

impl Op {
    fn new(method: &'static str, path: &'static str, id: &str, tag: &str, summary: &str) -> Op {
        Op {
            method,
            path,
            who: Who::Anyone,
            about: None,
            value: json!({
                "operationId": id,
                "tags": [tag],
                "summary": summary,
                "parameters": [],
                "responses": {},
            }),
        }
    }

    fn who(mut self, who: Who) -> Op {
        self.who = who;
        self
    }

    /// More description, after the line saying who may call it.
    fn about(mut self, text: &'static str) -> Op {
        self.about = Some(text);
        self
    }

    fn query(mut self, name: &str, schema: Value, description: &str) -> Op {
        push(
            &mut self.value["parameters"],
            json!({"name": name, "in": "query", "required": false, "schema": schema,
                   "description": description}),
        );
        self
    }

    /// A JSON request body; `required` false for one that may be left out altogether.
    fn body(mut self, schema: Value, required: bool) -> Op {
        self.value["requestBody"] = json!({
            "required": required,
            "content": {"application/json": {"schema": schema}},
        });
        self
    }

    /// An upload: `multipart/form-data` with one binary `file` part.
    fn upload(mut self) -> Op {
        self.value["requestBody"] = json!({
            "required": true,
            "content": {"multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {
                        "type": "string",
                        "format": "binary",
                        "contentMediaType": "application/octet-stream",
                        "description": "the work; its file name and content type are kept",
                    }},
                },
            }},
        });
        self
    }

    /// The success answer, JSON.
    fn ok(mut self, status: u16, description: &str, schema: Value) -> Op {
        self.value["responses"][status.to_string()] = json!({
            "description": description,
            "content": {"application/json": {"schema": schema}},
        });
        self
    }

    /// The success answer of a download: the file's bytes as stored.
    fn file_answer(mut self) -> Op {
        self.value["responses"]["200"] = json!({
            "description": "the file, with the content type it was uploaded with",
            "headers": {"Content-Disposition": {
                "schema": {"type": "string"},
                "description": "attachment; filename=\"…\"",
            }},
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        });
        self
    }

    /// An error answer: `application/problem+json`.
    fn problem(mut self, status: u16, why: &str) -> Op {
        self.value["responses"][status.to_string()] = problem(why);
        self
    }

    /// The finished operation: who may call it, its path parameters, and what every
    /// protected route and every POST (through `Idempotency-Key`) may answer besides what
    /// the handler does.
    fn finish(self) -> (&'static str, &'static str, Value) {
        let Op {
            method,
            path,
            who,
            about,
            mut value,
        } = self;
        let roles: Vec<&str> = match who {
            Who::Public => vec![],
            Who::Anyone => Role::ALL.map(Role::as_str).to_vec(),
            Who::Roles(roles) => roles.iter().map(|r| r.as_str()).collect(),
        };
        let line = match who {
            Who::Public => "Public: no token needed.".to_string(),
            Who::Anyone => {
                "Roles: any logged-in user; each sees only what their role may see.".to_string()
            }
            Who::Roles(_) => format!("Roles: {}.", roles.join(", ")),
        };
        value["description"] = json!(match about {
            Some(about) => format!("{line}\n\n{about}"),
            None => line,
        });
        value["x-roles"] = json!(roles);
        let forbidden = match who {
            Who::Public => None,
            Who::Anyone => Some("the account is blocked"),
            Who::Roles(_) => Some("a role not listed above, or a blocked account"),
        };
        match forbidden {
            None => value["security"] = json!([]),
            Some(why) => {
                let responses = &mut value["responses"];
                add(responses, 401, "no token, or an expired or unknown one");
                add(responses, 403, why);
            }
        }
        if method == "post" {
            let responses = &mut value["responses"];
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
                        answer["headers"] = json!({
                            "Idempotency-Replayed": {"$ref": "#/components/headers/IdempotencyReplayed"}
                        });
                    }
                }
            }
            push(
                &mut value["parameters"],
                json!({"$ref": "#/components/parameters/IdempotencyKey"}),
            );
        }
        let params = path_params(path);
        for name in &params {
            push(
                &mut value["parameters"],
                json!({"name": name, "in": "path", "required": true,
                       "schema": {"type": "string", "format": "uuid"}}),
            );
        }
        if !params.is_empty() {
            // axum's own rejection of the `Path` extractor: plain text, not a problem.
            let responses = &mut value["responses"];
            add(
                responses,
                400,
                "an id in the path that is not a UUID (text/plain)",
            );
            responses["400"]["content"]["text/plain"] = json!({"schema": {"type": "string"}});
        }
        (path, method, value)
    }
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
        Some(d) => responses[&key]["description"] = json!(format!("{d}; or {why}")),
        None => responses[&key] = problem(why),
    }
}

fn problem(why: &str) -> Value {
    json!({
        "description": why,
        "content": {"application/problem+json": {"schema": schema("Problem")}},
    })
}

/// The `{name}` parameters of a path template, in order.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn schema(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn array_of(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// A schema that may also be `null`.
fn or_null(ty: &str, format: Option<&str>) -> Value {
    let mut v = json!({"type": [ty, "null"]});
    if let Some(f) = format {
        v["format"] = json!(f);
    }
    v
}

fn kopecks(description: &str) -> Value {
    json!({"type": "integer", "format": "int64", "description": description})
}

fn text(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

/// An object schema: its properties, and the names it must have.
fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

/// The `{comment}` body of a rejection or a revision request; may be left out.
fn comment_body() -> Value {
    object(
        json!({"comment": text("what must change; shown to the author")}),
        &[],
    )
}

/// Every operation the router has, grouped as API.md groups them.
fn operations() -> Vec<Op> {
    const STAFF: &[Role] = &[Role::Manager, Role::Admin];
    const ADMIN: &[Role] = &[Role::Admin];
    const AUDITORS: &[Role] = &[Role::Auditor, Role::Admin];
    const CLIENT: &[Role] = &[Role::Client];
    const AUTHOR: &[Role] = &[Role::Author];
    let order = || schema("Order");
    vec![
        // --- operations ---
        Op::new("get", "/healthz", "healthz", "operations", "Liveness")
            .who(Who::Public)
            .ok(
                200,
                "the process is up",
                object(json!({"status": {"const": "ok"}}), &["status"]),
            ),
        Op::new("get", "/readyz", "readyz", "operations", "Readiness")
            .who(Who::Public)
            .about("Ready when the database answers; reports how far the projections have read the log.")
            .ok(
                200,
                "the database answers",
                object(
                    json!({
                        "status": {"const": "ready"},
                        "projection": object(
                            json!({"tx": {"type": "integer"}, "position": {"type": "integer"}}),
                            &["tx", "position"],
                        ),
                    }),
                    &["status", "projection"],
                ),
            )
            .problem(500, "the database does not answer"),
        Op::new("get", "/api/openapi.json", "openapi", "operations", "This document")
            .who(Who::Public)
            .ok(200, "the OpenAPI 3.1 document of the whole API", json!({"type": "object"})),
        // --- sign-up, log-in ---
        Op::new("post", "/api/auth/register", "register", "auth", "Sign up as a client")
            .who(Who::Public)
            .body(
                object(
                    json!({
                        "email": {"type": "string", "format": "email"},
                        "password": {"type": "string", "minLength": 8, "maxLength": 256},
                        "full_name": {"type": "string", "minLength": 1},
                    }),
                    &["email", "password", "full_name"],
                ),
                true,
            )
            .ok(201, "the new client", schema("User"))
            .problem(400, "the body is not JSON of this shape")
            .problem(409, "a user with this email already exists")
            .problem(422, "not an email address, an empty name, or a password of fewer than 8 or more than 256 characters"),
        Op::new("post", "/api/auth/login", "login", "auth", "Log in")
            .who(Who::Public)
            .about("Returns a bearer token for `Authorization: Bearer <token>`. An Idempotency-Key is accepted but the answer (a live token) is never stored.")
            .body(
                object(
                    json!({"email": {"type": "string"}, "password": {"type": "string"}}),
                    &["email", "password"],
                ),
                true,
            )
            .ok(
                200,
                "a new session",
                object(
                    json!({"token": {"type": "string"}, "user": schema("User")}),
                    &["token", "user"],
                ),
            )
            .problem(400, "the body is not JSON of this shape")
            .problem(401, "unknown email or wrong password")
            .problem(403, "the account is blocked"),
        Op::new("get", "/api/me", "me", "auth", "Who am I").ok(200, "the caller", schema("User")),
        // --- users ---
        Op::new("post", "/api/users", "createUser", "users", "Create a user of any role")
            .who(Who::Roles(ADMIN))
            .body(
                object(
                    json!({
                        "email": {"type": "string", "format": "email"},
                        "full_name": {"type": "string", "minLength": 1},
                        "role": schema("Role"),
                        "password": {"type": "string", "minLength": 8, "maxLength": 256},
                    }),
                    &["email", "full_name", "role", "password"],
                ),
                true,
            )
            .ok(201, "the new user", schema("User"))
            .problem(400, "the body is not JSON of this shape")
            .problem(409, "a user with this email already exists")
            .problem(422, "an unknown role, not an email address, an empty name or a bad password"),
        Op::new("get", "/api/users", "listUsers", "users", "Every user")
            .who(Who::Roles(ADMIN))
            .ok(200, "the user directory", array_of(schema("User"))),
        Op::new("post", "/api/users/{id}/block", "blockUser", "users", "Block a user")
            .who(Who::Roles(ADMIN))
            .about("The user's existing tokens stop working at once.")
            .body(object(json!({"reason": text("why; kept in the log")}), &[]), false)
            .ok(200, "the user, now blocked", schema("User"))
            .problem(400, "the body is not JSON")
            .problem(404, "no such user")
            .problem(409, "already blocked, or an admin blocking themselves"),
        Op::new("post", "/api/users/{id}/unblock", "unblockUser", "users", "Unblock a user")
            .who(Who::Roles(ADMIN))
            .ok(200, "the user, no longer blocked", schema("User"))
            .problem(404, "no such user")
            .problem(409, "the user is not blocked"),
        // --- orders ---
        Op::new("post", "/api/orders", "placeOrder", "orders", "Place an order")
            .who(Who::Roles(CLIENT))
            .body(
                object(
                    json!({
                        "work_type": {"type": "string", "minLength": 1, "examples": ["term_paper"]},
                        "subject": {"type": "string", "minLength": 1},
                        "topic": {"type": "string", "minLength": 1},
                        "pages": {"type": "integer", "minimum": 1, "maximum": 1000},
                        "deadline": {"type": "string", "format": "date", "description": "not in the past"},
                        "requirements": {"type": "string", "default": ""},
                    }),
                    &["work_type", "subject", "topic", "pages", "deadline"],
                ),
                true,
            )
            .ok(201, "the new order, numbered", order())
            .problem(400, "the body is not JSON of this shape")
            .problem(422, "pages outside 1..1000, an empty field, or a deadline in the past"),
        Op::new("get", "/api/orders", "listOrders", "orders", "The orders the caller may see")
            .about("A client sees their own orders; an author those assigned or offered to them; a manager those routed to them and those waiting for a manager; admin, auditor and payout clerk every order. Items carry no `files`.")
            .query("status", schema("OrderStatus"), "only orders in this status")
            .query("author_id", uuid(), "only orders of this author")
            .query("problem", json!({"type": "boolean"}), "only orders flagged (true) or not (false) as a problem")
            .query("q", json!({"type": "string"}), "an order number, or text in the topic")
            .query(
                "sort",
                json!({"type": "string", "enum": ["number", "-number", "deadline", "-deadline"], "default": "number"}),
                "the order of the items; `-` for descending",
            )
            .query(
                "page",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
                "the page, from 1",
            )
            .query(
                "per_page",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}),
                "items per page",
            )
            .ok(200, "one page of the list", schema("OrderPage"))
            .problem(422, "a parameter out of range: an unknown status or sort, a page outside its range, an author_id that is not a UUID"),
        Op::new("get", "/api/orders/{id}", "getOrder", "orders", "One order")
            .about("With `as_of` (auditor, admin only) the order as it stood at that moment, rebuilt from the log; the answer then carries `as_of` and `problem` is false.")
            .query("as_of", time(), "a past moment (RFC 3339); auditor and admin only")
            .ok(200, "the order", order())
            .problem(403, "`as_of` from a role other than auditor or admin")
            .problem(404, "unknown order, not one the caller may see, or not yet placed at `as_of`")
            .problem(422, "`as_of` is not an RFC 3339 time"),
        Op::new("get", "/api/orders/{id}/events", "orderEvents", "orders", "The order's whole history from the log")
            .about("Oldest first. A client is not shown `author_fee` in the data.")
            .ok(200, "the order's events", array_of(schema("Event")))
            .problem(404, NOT_YOURS),
        Op::new("get", "/api/orders/{id}/history", "orderHistory", "orders", "The order's history as its client sees it")
            .about("Status changes with a note each, oldest first; internal steps (routing, declined and expired offers) left out.")
            .ok(200, "the history", array_of(schema("HistoryEntry")))
            .problem(404, NOT_YOURS),
        Op::new("put", "/api/orders/{id}/price", "setPrice", "orders", "Price the order")
            .who(Who::Roles(STAFF))
            .body(
                object(
                    json!({
                        "price": kopecks("kopecks, positive"),
                        "author_fee": kopecks("kopecks, 0..price; when left out, the configured percentage of the price"),
                    }),
                    &["price"],
                ),
                true,
            )
            .ok(200, "the order as it now stands", order())
            .problem(400, "the body is not JSON of this shape")
            .problem(404, NOT_YOURS)
            .problem(409, "not allowed in the order's status, or routed to another manager")
            .problem(422, "a price that is not positive, or a fee outside 0..price"),
        Op::new("post", "/api/orders/{id}/offer", "offerOrder", "orders", "Offer the order to an author")
            .who(Who::Roles(STAFF))
            .about("With `author_id`, to that author; with `{}` or no body, to the best-rated eligible author. The offer expires after the configured time and then passes to the next author.")
            .body(object(json!({"author_id": uuid()}), &[]), false)
            .ok(
                200,
                "the offer made",
                object(json!({"author_id": uuid(), "expires_at": time()}), &["author_id", "expires_at"]),
            )
            .problem(400, "the body is not JSON of this shape")
            .problem(404, NOT_YOURS)
            .problem(409, "nobody is eligible, the author is blocked or already declined, or not allowed in the order's status")
            .problem(422, "`author_id` is not an author"),
        Op::new("post", "/api/orders/{id}/offer/accept", "acceptOffer", "orders", "Take the order offered to me")
            .who(Who::Roles(AUTHOR))
            .ok(200, "the order as it now stands", order())
            .problem(404, NOT_YOURS)
            .problem(409, "not offered to the caller, or the offer has expired"),
        Op::new("post", "/api/orders/{id}/offer/decline", "declineOffer", "orders", "Decline the order offered to me")
            .who(Who::Roles(AUTHOR))
            .body(object(json!({"reason": text("why")}), &[]), false)
            .ok(200, "the order as it now stands", order())
            .problem(400, "the body is not JSON")
            .problem(404, NOT_YOURS)
            .problem(409, "not offered to the caller"),
        Op::new("post", "/api/orders/{id}/payments", "recordPayment", "orders", "Record a payment taken by hand")
            .who(Who::Roles(&[Role::Manager, Role::PayoutClerk, Role::Admin]))
            .about("The same `payment_id` again for the same half is harmless.")
            .body(
                object(
                    json!({
                        "half": {"type": "string", "enum": ["first", "second"]},
                        "amount": {"type": "integer", "format": "int64", "minimum": 1, "description": "kopecks; exactly the half's amount"},
                        "payment_id": {"type": "string", "minLength": 1, "maxLength": 200},
                    }),
                    &["half", "amount", "payment_id"],
                ),
                true,
            )
            .ok(200, "the order as it now stands", order())
            .problem(400, "the body is not JSON of this shape")
            .problem(404, NOT_YOURS)
            .problem(409, "the wrong amount for the half, the half already paid with another payment id, the second half before the first, no price yet, or not allowed in the order's status")
            .problem(422, "a half other than first or second, an amount that is not positive, or a payment_id of 0 or more than 200 characters"),
        Op::new("post", "/api/orders/{id}/draft", "uploadDraft", "orders", "Upload the 50% draft")
            .who(Who::Roles(AUTHOR))
            .about("Only the assigned author.")
            .upload()
            .ok(200, "the order as it now stands", order())
            .problem(400, "not multipart/form-data, or no `file` part")
            .problem(404, NOT_YOURS)
            .problem(409, "not the caller's work, or not allowed in the order's status")
            .problem(422, "the file is empty"),
        Op::new("post", "/api/orders/{id}/final", "uploadFinal", "orders", "Upload the final work")
            .who(Who::Roles(AUTHOR))
            .about("Only the assigned author.")
            .upload()
            .ok(200, "the order as it now stands", order())
            .problem(400, "not multipart/form-data, or no `file` part")
            .problem(404, NOT_YOURS)
            .problem(409, "not the caller's work, or not allowed in the order's status")
            .problem(422, "the file is empty"),
        Op::new("post", "/api/orders/{id}/draft/approve", "approveDraft", "orders", "Approve the draft")
            .who(Who::Roles(STAFF))
            .ok(200, "the order as it now stands", order())
            .problem(404, NOT_YOURS)
            .problem(409, "no draft under review"),
        Op::new("post", "/api/orders/{id}/draft/reject", "rejectDraft", "orders", "Send the draft back to the author")
            .who(Who::Roles(STAFF))
            .body(comment_body(), false)
            .ok(200, "the order as it now stands", order())
            .problem(400, "the body is not JSON")
            .problem(404, NOT_YOURS)
            .problem(409, "no draft under review"),
        Op::new("post", "/api/orders/{id}/final/approve", "approveFinal", "orders", "Approve the final work")
            .who(Who::Roles(STAFF))
            .ok(200, "the order as it now stands", order())
            .problem(404, NOT_YOURS)
            .problem(409, "no final work under review"),
        Op::new("post", "/api/orders/{id}/final/reject", "rejectFinal", "orders", "Send the final work back to the author")
            .who(Who::Roles(STAFF))
            .body(comment_body(), false)
            .ok(200, "the order as it now stands", order())
            .problem(400, "the body is not JSON")
            .problem(404, NOT_YOURS)
            .problem(409, "no final work under review"),
        Op::new("post", "/api/orders/{id}/revision", "requestRevision", "orders", "Ask for a revision of the delivered work")
            .who(Who::Roles(CLIENT))
            .about("Within the guarantee period after delivery.")
            .body(comment_body(), false)
            .ok(200, "the order as it now stands", order())
            .problem(400, "the body is not JSON")
            .problem(404, NOT_YOURS)
            .problem(409, "not delivered, or the guarantee period has ended"),
        Op::new("post", "/api/orders/{id}/complete", "completeOrder", "orders", "Accept the work and rate it")
            .who(Who::Roles(CLIENT))
            .body(
                object(
                    json!({
                        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                        "review": {"type": "string", "default": ""},
                    }),
                    &["rating"],
                ),
                true,
            )
            .ok(200, "the order as it now stands", order())
            .problem(400, "the body is not JSON of this shape")
            .problem(404, NOT_YOURS)
            .problem(409, "not allowed in the order's status")
            .problem(422, "a rating outside 1..5"),
        Op::new("post", "/api/orders/{id}/cancel", "cancelOrder", "orders", "Cancel the order")
            .who(Who::Roles(&[Role::Client, Role::Manager, Role::Admin]))
            .about("A client before work starts (new, offered, awaiting_prepayment); a manager or admin before delivery.")
            .body(object(json!({"reason": {"type": "string", "minLength": 1}}), &["reason"]), true)
            .ok(200, "the order as it now stands, failed", order())
            .problem(400, "the body is not JSON of this shape")
            .problem(404, NOT_YOURS)
            .problem(409, "too late for the caller's role to cancel, or already over")
            .problem(422, "an empty reason"),
        Op::new("get", "/api/orders/{id}/files/{file_id}", "downloadFile", "orders", "Download a file of the order")
            .about("A client gets only approved files, and the final work only when both halves are paid.")
            .problem(404, "unknown order or file, or one the caller may not have yet")
            .file_answer(),
        // --- audit ---
        Op::new("get", "/api/audit/events", "auditEvents", "audit", "The global event log, in order")
            .who(Who::Roles(AUDITORS))
            .about("Pass the previous page's `next_after` as `after` to read on.")
            .query(
                "after",
                json!({"type": "integer", "minimum": 0, "default": 0}),
                "the position of the last event already read; 0 for the start",
            )
            .query(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
                "events per page",
            )
            .ok(200, "one page of the log", schema("AuditPage"))
            .problem(422, "`after` is not the position of an event, or `limit` out of range"),
    ]
}

/// The component schemas: what the answers are made of.
fn schemas() -> Value {
    let summary = json!({
        "id": uuid(),
        "number": {"type": "integer", "minimum": 1, "description": "1, 2, 3, … in placement order"},
        "status": schema("OrderStatus"),
        "work_type": {"type": "string"},
        "subject": {"type": "string"},
        "topic": {"type": "string"},
        "pages": {"type": "integer", "minimum": 1, "maximum": 1000},
        "deadline": {"type": "string", "format": "date"},
        "requirements": {"type": "string"},
        "currency": {"const": "RUB"},
        "price": or_null("integer", Some("int64")),
        "paid": kopecks("kopecks paid so far"),
        "first_half": or_null("integer", Some("int64")),
        "second_half": or_null("integer", Some("int64")),
        "author_fee": {"type": ["integer", "null"], "format": "int64",
                       "description": "kopecks; never shown to a client"},
        "client_id": uuid(),
        "author_id": or_null("string", Some("uuid")),
        "author_name": {"type": ["string", "null"], "description": "null until an author accepts"},
        "manager_id": or_null("string", Some("uuid")),
        "offered_to": or_null("string", Some("uuid")),
        "offer_expires_at": or_null("string", Some("date-time")),
        "problem": {"type": "boolean"},
        "draft_rejections": {"type": "integer", "minimum": 0},
        "guarantee_until": or_null("string", Some("date-time")),
        "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "failure_reason": {"type": ["string", "null"]},
        "placed_at": time(),
        "updated_at": time(),
    });
    let summary_required: Vec<String> = summary
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|k| *k != "author_fee")
        .cloned()
        .collect();
    let event = json!({
        "sequence": {"type": "integer", "minimum": 1, "description": "1, 2, 3, … within its stream"},
        "position": {"type": "integer", "description": "its place in the global log"},
        "type": {"type": "string", "examples": ["OrderPlaced"]},
        "version": {"type": "string"},
        "at": time(),
        "actor": object(
            json!({"id": or_null("string", Some("uuid")), "role": {"type": ["string", "null"]}}),
            &["id", "role"],
        ),
        "request_id": {"type": ["string", "null"]},
        "causation_id": {"type": ["string", "null"], "description": "what caused it: `request:<request id>`, or `event:<position>` for a worker's command; null before it was recorded"},
        "hash": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$",
                 "description": "hex SHA-256 of the event; null for one written before the hash chain"},
        "data": {"type": "object", "description": "the event's own fields"},
    });
    let event_required: Vec<String> = event
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys().cloned())
        .collect();
    json!({
        "Problem": {
            "type": "object",
            "description": "An error, as `application/problem+json` (RFC 9457).",
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
            },
            "required": ["type", "title", "status", "detail"],
        },
        "Role": {"type": "string", "enum": Role::ALL.map(Role::as_str)},
        "OrderStatus": {"type": "string", "enum": OrderStatus::ALL.map(OrderStatus::as_str)},
        "User": object(
            json!({
                "id": uuid(),
                "email": {"type": "string", "format": "email"},
                "full_name": {"type": "string"},
                "role": schema("Role"),
                "blocked": {"type": "boolean"},
            }),
            &["id", "email", "full_name", "role", "blocked"],
        ),
        "OrderSummary": {
            "type": "object",
            "description": "An order as the list shows it. Money is in kopecks.",
            "properties": summary,
            "required": summary_required,
        },
        "Order": {
            "description": "An order with its files; with `as_of`, as it stood then.",
            "allOf": [
                schema("OrderSummary"),
                object(
                    json!({"files": array_of(schema("File")), "as_of": time()}),
                    &["files"],
                ),
            ],
        },
        "OrderPage": object(
            json!({
                "items": array_of(schema("OrderSummary")),
                "total": {"type": "integer", "minimum": 0, "description": "orders matching, on every page"},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
            }),
            &["items", "total", "page", "per_page"],
        ),
        "File": object(
            json!({
                "id": uuid(),
                "kind": {"type": "string", "enum": ["draft", "final"]},
                "name": {"type": "string"},
                "size": {"type": "integer", "minimum": 1, "description": "bytes"},
                "content_type": {"type": "string"},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "uploaded_at": time(),
            }),
            &["id", "kind", "name", "size", "content_type", "sha256", "uploaded_at"],
        ),
        "Event": {
            "type": "object",
            "description": "One event of an order's stream.",
            "properties": event,
            "required": event_required,
        },
        "HistoryEntry": object(
            json!({
                "at": time(),
                "event": {"type": "string"},
                "status": schema("OrderStatus"),
                "note": {"type": ["string", "null"]},
            }),
            &["at", "event", "status", "note"],
        ),
        "AuditEvent": {
            "description": "One event of the global log.",
            "allOf": [
                schema("Event"),
                object(
                    json!({
                        "aggregate_type": {"type": "string", "examples": ["Order", "User"]},
                        "aggregate_id": {"type": "string"},
                        "prev_hash": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
                    }),
                    &["aggregate_type", "aggregate_id", "prev_hash"],
                ),
            ],
        },
        "AuditPage": object(
            json!({
                "events": array_of(schema("AuditEvent")),
                "next_after": {"type": "integer", "minimum": 0,
                               "description": "`after` for the next page; the same as this one's when nothing was left"},
            }),
            &["events", "next_after"],
        ),
    })
}

/// The whole document.
fn document() -> Value {
    let mut paths = Map::new();
    for op in operations() {
        let (path, method, value) = op.finish();
        paths.entry(path).or_insert_with(|| json!({}))[method] = value;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Scriptorium",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Orders for commissioned written works. JSON in and out; times are RFC 3339, dates YYYY-MM-DD; money is an integer number of kopecks (RUB); ids are UUIDs. Errors are application/problem+json. Every answer carries `X-Request-Id` (the caller's, or a new one).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "operations", "description": "health and this document"},
            {"name": "auth", "description": "sign-up, log-in, who am I"},
            {"name": "users", "description": "user management"},
            {"name": "orders", "description": "the order lifecycle"},
            {"name": "audit", "description": "the global event log"},
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "the token of POST /api/auth/login",
            }},
            "parameters": {"IdempotencyKey": {
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "description": "A repeat of the same request with the same key gets the first answer back and runs nothing; a 5xx answer frees the key.",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LEN, "pattern": "^[!-~]+$"},
            }},
            "headers": {"IdempotencyReplayed": {
                "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
                "schema": {"const": "true"},
            }},
            "schemas": schemas(),
        },
    })
}
