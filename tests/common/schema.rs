//! Real answers checked against the OpenAPI document the service serves.
//!
//! [`validate`] is a strict validator of the JSON Schema subset utoipa emits: `$ref`,
//! `type` (one or a list, `null` among them; OpenAPI 3.0's `nullable` too), `enum`,
//! `const`, `format` (date-time, date, uuid, email, uri, int32, int64, binary),
//! `properties` / `required` / `additionalProperties`, `items`, `minItems` / `maxItems`,
//! `minimum` / `maximum`, `minLength` / `maxLength`, simple `pattern`s, `oneOf` (exactly
//! one), `anyOf` (at least one) and `allOf` (all). Strict: an object with a property its
//! schema does not declare is an error (across the branches of an `allOf`, as
//! `unevaluatedProperties: false` would say), so a renamed field fails even when it is
//! optional. Only an object schema that declares no properties at all (`{"type":
//! "object"}`) is free-form. A keyword or a format this validator does not know is an
//! error too, rather than silently checking less than the document says.
//!
//! [`Checked`] drives a [`TestApp`] through `call_checked(method, template, uri, …)`: each
//! answer is validated against the schema the document gives for its (path, method,
//! status, content type), and recorded, so that a test can assert every documented
//! operation answered at least once with a 2xx.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use super::{Backend, Resp, TestApp};

/// The annotations: keywords that constrain nothing.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "contentMediaType",
    "contentEncoding",
    "xml",
    "externalDocs",
    "discriminator",
];

/// The errors of `value` against `schema`, each with the JSON pointer of where it is;
/// `$ref`s are resolved in `doc`. Empty when it is valid.
pub fn validate(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(doc, schema, value, "", true, &mut errors);
    errors
}

/// The schema a local `$ref` points to.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Result<&'a Value, String> {
    reference
        .strip_prefix('#')
        .and_then(|p| doc.pointer(p))
        .ok_or_else(|| format!("$ref {reference} leads nowhere"))
}

/// `strict`: whether a property `schema` does not declare is an error here (false for
/// the branches of an `allOf`, whose union is checked instead).
fn check(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    strict: bool,
    errors: &mut Vec<String>,
) {
    let at_ = if at.is_empty() { "/" } else { at };
    let Some(s) = schema.as_object() else {
        match schema {
            Value::Bool(true) => {}
            Value::Bool(false) => errors.push(format!("{at_}: nothing is allowed here")),
            other => errors.push(format!("{at_}: the schema {other} is not a schema")),
        }
        return;
    };
    for key in s.keys() {
        let known = matches!(
            key.as_str(),
            "$ref"
                | "type"
                | "nullable"
                | "enum"
                | "const"
                | "format"
                | "properties"
                | "required"
                | "additionalProperties"
                | "propertyNames"
                | "items"
                | "minItems"
                | "maxItems"
                | "minimum"
                | "maximum"
                | "minLength"
                | "maxLength"
                | "pattern"
                | "oneOf"
                | "anyOf"
                | "allOf"
        ) || ANNOTATIONS.contains(&key.as_str());
        if !known {
            errors.push(format!(
                "{at_}: the validator does not know the keyword {key:?}: teach it"
            ));
        }
    }

    if let Some(Value::String(r)) = s.get("$ref") {
        match resolve(doc, r) {
            Ok(target) => check(doc, target, value, at, strict, errors),
            Err(e) => errors.push(format!("{at_}: {e}")),
        }
    }

    if value.is_null() && s.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }

    if let Some(types) = s.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.iter().any(|t| has_type(value, t)) {
            errors.push(format!(
                "{at_}: {} is not {}",
                short(value),
                types.join(" or ")
            ));
            return;
        }
    }
    if let Some(Value::Array(options)) = s.get("enum") {
        if !options.contains(value) {
            errors.push(format!(
                "{at_}: {} is none of {}",
                short(value),
                Value::Array(options.clone())
            ));
        }
    }
    if let Some(c) = s.get("const") {
        if c != value {
            errors.push(format!("{at_}: {} is not {c}", short(value)));
        }
    }
    if let Some(Value::String(f)) = s.get("format") {
        if let Err(e) = format_ok(f, value) {
            errors.push(format!("{at_}: {e}"));
        }
    }

    match value {
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or(f64::NAN);
            if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
                if n < min {
                    errors.push(format!("{at_}: {n} is below the minimum {min}"));
                }
            }
            if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
                if n > max {
                    errors.push(format!("{at_}: {n} is above the maximum {max}"));
                }
            }
        }
        Value::String(text) => {
            let len = text.chars().count() as u64;
            if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
                if len < min {
                    errors.push(format!("{at_}: {} is shorter than {min}", short(value)));
                }
            }
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
                if len > max {
                    errors.push(format!("{at_}: {} is longer than {max}", short(value)));
                }
            }
            // A UUID's pattern is its format's (checked with the format, by `uuid`).
            let pattern = s
                .get("pattern")
                .filter(|_| s.get("format") != Some(&json!("uuid")));
            if let Some(Value::String(p)) = pattern {
                match pattern_matches(p, text) {
                    Ok(true) => {}
                    Ok(false) => errors.push(format!("{at_}: {} does not match {p}", short(value))),
                    Err(e) => errors.push(format!("{at_}: {e}")),
                }
            }
        }
        Value::Array(items) => {
            if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < min {
                    errors.push(format!("{at_}: fewer than {min} items"));
                }
            }
            if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
                if items.len() as u64 > max {
                    errors.push(format!("{at_}: more than {max} items"));
                }
            }
            if let Some(item) = s.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check(doc, item, v, &format!("{at}/{i}"), true, errors);
                }
            }
        }
        Value::Object(fields) => check_object(doc, s, fields, at, strict, errors),
        _ => {}
    }

    if let Some(Value::Array(branches)) = s.get("allOf") {
        for b in branches {
            check(doc, b, value, at, false, errors);
        }
        if strict {
            if let (Value::Object(fields), Some(declared)) = (value, declared(doc, schema)) {
                for key in fields.keys().filter(|k| !declared.contains(*k)) {
                    errors.push(format!("{at_}: the property {key:?} is not in the schema"));
                }
            }
        }
    }
    for (keyword, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(Value::Array(branches)) = s.get(keyword) {
            let mut failures = Vec::new();
            let mut passed = 0;
            for (i, b) in branches.iter().enumerate() {
                let mut e = Vec::new();
                check(doc, b, value, at, strict, &mut e);
                if e.is_empty() {
                    passed += 1;
                } else {
                    failures.push(format!("branch {i}: {}", e.join("; ")));
                }
            }
            if passed == 0 {
                errors.push(format!(
                    "{at_}: {} matches no branch of its {keyword} ({})",
                    short(value),
                    failures.join(" | ")
                ));
            } else if exactly_one && passed > 1 {
                errors.push(format!(
                    "{at_}: {} matches {passed} branches of its oneOf",
                    short(value)
                ));
            }
        }
    }
}

fn check_object(
    doc: &Value,
    s: &Map<String, Value>,
    fields: &Map<String, Value>,
    at: &str,
    strict: bool,
    errors: &mut Vec<String>,
) {
    let at_ = if at.is_empty() { "/" } else { at };
    if let Some(Value::Array(required)) = s.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !fields.contains_key(name) {
                errors.push(format!("{at_}: the required property {name:?} is missing"));
            }
        }
    }
    let properties = s.get("properties").and_then(Value::as_object);
    if let Some(properties) = properties {
        for (name, schema) in properties {
            if let Some(v) = fields.get(name) {
                check(doc, schema, v, &format!("{at}/{name}"), true, errors);
            }
        }
    }
    let undeclared = fields
        .iter()
        .filter(|(k, _)| !properties.is_some_and(|p| p.contains_key(*k)));
    // Every key of the object follows `propertyNames` (a map's keys: strings).
    if let Some(names) = s.get("propertyNames") {
        for key in fields.keys() {
            check(
                doc,
                names,
                &Value::String(key.clone()),
                &format!("{at}/{key} (its name)"),
                true,
                errors,
            );
        }
    }
    match s.get("additionalProperties") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            for (key, _) in undeclared {
                errors.push(format!("{at_}: the property {key:?} is not in the schema"));
            }
        }
        Some(extra) => {
            for (key, v) in undeclared {
                check(doc, extra, v, &format!("{at}/{key}"), true, errors);
            }
        }
        // A schema that declares properties has only those; one declaring none is free-form.
        None if strict && properties.is_some() && !s.contains_key("allOf") => {
            for (key, _) in undeclared {
                errors.push(format!("{at_}: the property {key:?} is not in the schema"));
            }
        }
        None => {}
    }
}

/// The property names a schema declares, through `$ref`s and composition; `None` when it
/// allows any (free-form, or `additionalProperties`).
fn declared(doc: &Value, schema: &Value) -> Option<BTreeSet<String>> {
    let s = schema.as_object()?;
    let mut names = BTreeSet::new();
    let mut any_declared = false;
    if let Some(Value::String(r)) = s.get("$ref") {
        names.extend(declared(doc, resolve(doc, r).ok()?)?);
        any_declared = true;
    }
    match s.get("additionalProperties") {
        None | Some(Value::Bool(false)) => {}
        Some(_) => return None,
    }
    if let Some(Value::Object(p)) = s.get("properties") {
        names.extend(p.keys().cloned());
        any_declared = true;
    }
    for keyword in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = s.get(keyword) {
            for b in branches.iter().filter(|b| may_be_object(b)) {
                names.extend(declared(doc, b)?);
            }
            any_declared = true;
        }
    }
    any_declared.then_some(names)
}

/// Whether a schema's `type`, if it has one, lets an object through (`{"type": "null"}`,
/// the other branch of an optional `$ref`, does not).
fn may_be_object(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "object",
        Value::Array(ts) => ts.iter().any(|t| t == "object"),
        _ => true,
    }
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

fn format_ok(format: &str, value: &Value) -> Result<(), String> {
    let bad = || format!("{} is not a {format}", short(value));
    match (format, value) {
        ("int32", Value::Number(n)) => n
            .as_i64()
            .filter(|n| i32::try_from(*n).is_ok())
            .map(|_| ())
            .ok_or_else(bad),
        ("int64", Value::Number(n)) => n.as_i64().map(|_| ()).ok_or_else(bad),
        (_, Value::String(s)) => {
            let ok = match format {
                "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                "date" => s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
                "uuid" => s.len() == 36 && uuid::Uuid::parse_str(s).is_ok(),
                "email" => s
                    .split_once('@')
                    .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.contains('@')),
                "uri" => s.split_once(':').is_some_and(|(scheme, rest)| {
                    !rest.is_empty()
                        && scheme
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphabetic())
                        && scheme
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                }),
                "binary" => true,
                other => {
                    return Err(format!(
                        "the validator does not know the format {other:?}: teach it"
                    ))
                }
            };
            if ok {
                Ok(())
            } else {
                Err(bad())
            }
        }
        // A format constrains only the values of its type (which `type` checks).
        _ => Ok(()),
    }
}

/// The patterns the document uses: `^[class]{n}$`, `^[class]{n,m}$`, `^[class]+$`,
/// `^[class]*$`, the class a list of characters and `a-z` ranges. Any other is an error.
fn pattern_matches(pattern: &str, text: &str) -> Result<bool, String> {
    let unknown = || format!("the validator does not read the pattern {pattern:?}: teach it");
    let body = pattern
        .strip_prefix("^[")
        .and_then(|p| p.strip_suffix('$'))
        .ok_or_else(unknown)?;
    let (class, count) = body.split_once(']').ok_or_else(unknown)?;
    let class: Vec<char> = class.chars().collect();
    if class.is_empty() || class[0] == '^' || class.contains(&'\\') || class.contains(&'[') {
        return Err(unknown());
    }
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == '-' {
            ranges.push((class[i], class[i + 2]));
            i += 3;
        } else {
            ranges.push((class[i], class[i]));
            i += 1;
        }
    }
    let (min, max) = match count {
        "+" => (1, usize::MAX),
        "*" => (0, usize::MAX),
        c => {
            let c = c
                .strip_prefix('{')
                .and_then(|c| c.strip_suffix('}'))
                .ok_or_else(unknown)?;
            let (a, b) = c.split_once(',').unwrap_or((c, c));
            let a = a.parse().map_err(|_| unknown())?;
            let b = if b.is_empty() {
                usize::MAX
            } else {
                b.parse().map_err(|_| unknown())?
            };
            (a, b)
        }
    };
    let n = text.chars().count();
    Ok((min..=max).contains(&n)
        && text
            .chars()
            .all(|c| ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))))
}

/// A value for an error message, cut short.
fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// The errors of one real answer against the document: is its (path, method, status)
/// documented, its content type one the answer lists, its body valid for that schema.
pub fn check_answer(
    doc: &Value,
    template: &str,
    method: &str,
    status: u16,
    content_type: &str,
    bytes: &[u8],
    replayed: bool,
) -> Vec<String> {
    let name = format!("{} {template}", method.to_uppercase());
    let op = &doc["paths"][template][method.to_lowercase()];
    if !op.is_object() {
        return vec![format!("{name} is not in the document")];
    }
    let responses = &op["responses"];
    let range = format!("{}XX", status / 100);
    let Some(answer) = [status.to_string(), range, "default".to_string()]
        .iter()
        .find_map(|k| responses.get(k))
    else {
        return vec![format!(
            "{name} answered {status}, which the document does not list"
        )];
    };
    let mut errors = Vec::new();
    if replayed && answer["headers"].get("Idempotency-Replayed").is_none() {
        errors.push(format!(
            "{name} {status} answered Idempotency-Replayed, which the document does not list"
        ));
    }
    let Some(content) = answer.get("content").and_then(Value::as_object) else {
        if !bytes.is_empty() {
            errors.push(format!("{name} {status} has a body, and the document none"));
        }
        return errors;
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let family = format!("{}/*", media.split('/').next().unwrap_or_default());
    let Some((listed, entry)) = [media.as_str(), family.as_str(), "*/*"]
        .iter()
        .find_map(|m| content.get_key_value(*m))
    else {
        let listed: Vec<&String> = content.keys().collect();
        errors.push(format!(
            "{name} {status} answered {content_type:?}; the document lists {listed:?}"
        ));
        return errors;
    };
    let schema = &entry["schema"];
    let json = media == "application/json" || media.ends_with("+json");
    if json {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(body) => errors.extend(
                validate(doc, schema, &body)
                    .into_iter()
                    .map(|e| format!("{name} {status} ({listed}) {e}")),
            ),
            Err(e) => errors.push(format!("{name} {status}: the body is not JSON: {e}")),
        }
    } else if !(schema["type"] == "string" && schema["format"] == "binary") {
        errors.push(format!(
            "{name} {status}: a {media} body, and the document's schema is not binary"
        ));
    }
    errors
}

/// Whether `uri`'s path fits `template` (`{name}` standing for one segment).
pub fn fits(template: &str, uri: &str) -> bool {
    let path = uri.split('?').next().unwrap_or_default();
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// A service whose every answer, asked through it, is checked against its own document.
pub struct Checked {
    pub t: TestApp,
    pub doc: Value,
    /// (path template, method) → the statuses answered.
    seen: Mutex<BTreeMap<(String, String), BTreeSet<u16>>>,
}

impl std::ops::Deref for Checked {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.t
    }
}

/// The key [`Checked`]'s service verifies payment notifications with.
pub const WEBHOOK_SECRET: &str = "schema-webhook-secret";

impl Checked {
    /// A fresh service (verifying payment notifications with [`WEBHOOK_SECRET`]) and its
    /// document (whose own answer is checked and recorded too).
    pub async fn spawn(backend: Backend) -> Checked {
        let t = TestApp::spawn_with(backend, |c| {
            c.payment_webhook_secret = Some(WEBHOOK_SECRET.to_string());
        })
        .await;
        let res = t.call("GET", "/api/openapi.json", None, None).await;
        let doc = res.body.clone();
        assert!(doc["paths"].is_object(), "no document: {}", res.status);
        let checked = Checked {
            t,
            doc,
            seen: Mutex::new(BTreeMap::new()),
        };
        checked.check("GET", "/api/openapi.json", "/api/openapi.json", res);
        checked
    }

    /// Validates an answer to `method uri`, which `template` of the document routes, and
    /// records it. Panics with every error found.
    #[track_caller]
    pub fn check(&self, method: &str, template: &str, uri: &str, res: Resp) -> Resp {
        assert!(fits(template, uri), "{uri} is not a {template}");
        let errors = check_answer(
            &self.doc,
            template,
            method,
            res.status.as_u16(),
            &res.content_type,
            &res.bytes,
            res.header("idempotency-replayed").is_some(),
        );
        assert!(
            errors.is_empty(),
            "{method} {uri}: the answer does not follow the document:\n  {}\nthe answer: {}",
            errors.join("\n  "),
            String::from_utf8_lossy(&res.bytes)
        );
        self.seen
            .lock()
            .unwrap()
            .entry((template.to_string(), method.to_lowercase()))
            .or_default()
            .insert(res.status.as_u16());
        res
    }

    /// A JSON request (`body` `None` sends none), its answer checked.
    pub async fn call_checked(
        &self,
        method: &str,
        template: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.call_checked_with(method, template, uri, token, body, &[])
            .await
    }

    /// [`Checked::call_checked`] with extra headers.
    pub async fn call_checked_with(
        &self,
        method: &str,
        template: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let res = self.t.call_with(method, uri, token, body, headers).await;
        self.check(method, template, uri, res)
    }

    /// A multipart upload of one `file` part, its answer checked.
    pub async fn upload_checked(
        &self,
        template: &str,
        uri: &str,
        token: &str,
        name: &str,
        content: &[u8],
    ) -> Resp {
        let res = self.t.upload(uri, token, name, content).await;
        self.check("POST", template, uri, res)
    }

    /// A multipart request of text `parts` and one `file` part, its answer checked.
    pub async fn multipart_checked(
        &self,
        template: &str,
        uri: &str,
        token: &str,
        parts: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Resp {
        let boundary = "schema-multipart-boundary";
        let mut body = Vec::new();
        for (name, value) in parts {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n",
                file.0
            )
            .as_bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = axum::http::Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(axum::body::Body::from(body))
            .expect("request");
        let res = self.t.send(req).await;
        self.check("POST", template, uri, res)
    }

    /// The statuses answered so far, by (path template, method).
    pub fn seen(&self) -> BTreeMap<(String, String), BTreeSet<u16>> {
        self.seen.lock().unwrap().clone()
    }

    /// The documented operations that have not answered with a 2xx yet.
    pub fn never_succeeded(&self) -> Vec<String> {
        let seen = self.seen();
        let mut missing = Vec::new();
        for (path, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
                let ok = seen
                    .get(&(path.clone(), method.clone()))
                    .is_some_and(|s| s.iter().any(|s| (200..300).contains(s)));
                if !ok {
                    missing.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        missing
    }
}
