//! The OpenAPI document as the tests read it: its operations, and a body for each.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::TestApp;

/// The routing functions of `axum::routing` this service uses, as the document names them.
pub const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// The document, fetched without a token.
pub async fn document(t: &TestApp) -> Value {
    let res = t.call("GET", "/api/openapi.json", None, None).await;
    assert!(
        res.content_type.starts_with("application/json"),
        "{}",
        res.content_type
    );
    res.ok(200)
}

/// Every operation of the document by (path, method).
pub fn operations(doc: &Value) -> BTreeMap<(String, String), Value> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            assert!(
                METHODS.contains(&method.as_str()),
                "{path}: {method} is not an HTTP method"
            );
            ops.insert((path.clone(), method.clone()), op.clone());
        }
    }
    ops
}

/// A value `schema` takes: each property it declares, the first of an `enum`, the least of
/// a range; enough for a request to get past its body's parsing to the access policy.
pub fn example(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let target = doc
            .pointer(r.strip_prefix('#').expect("a local $ref"))
            .unwrap_or_else(|| panic!("{r} leads nowhere"));
        return example(doc, target);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_string(),
        _ => "object".to_string(),
    };
    match ty.as_str() {
        "object" => {
            let mut object = serde_json::Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                object.insert(name.clone(), example(doc, property));
            }
            Value::Object(object)
        }
        "integer" => json!(schema["minimum"].as_i64().unwrap_or(1)),
        "number" => json!(schema["minimum"].as_f64().unwrap_or(1.0)),
        "array" => json!([example(doc, &schema["items"])]),
        "boolean" => json!(false),
        "string" => match schema["format"].as_str() {
            Some("uuid") => json!(uuid::Uuid::new_v4()),
            Some("date") => json!("2099-01-01"),
            Some("date-time") => json!("2099-01-01T00:00:00Z"),
            Some("email") => json!(format!("{}@example.com", uuid::Uuid::new_v4().simple())),
            _ => json!("x".repeat(schema["minLength"].as_u64().unwrap_or(1) as usize)),
        },
        other => panic!("no example of a {other}"),
    }
}
