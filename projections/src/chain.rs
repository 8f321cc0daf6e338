//! The hash chain that makes the event log tamper-evident (docs/decisions/004).
//!
//! Every event's metadata carries `prev_hash`, the `hash` of the event before it in the
//! same stream ([`GENESIS`] for sequence 1), and `hash`, the hex SHA-256 of the event's
//! canonical JSON: its stream, sequence, type, version, payload and metadata without `hash`.
//! Editing, removing or reordering a stored event breaks a link that `audit verify` finds.

use cqrs_es::persist::SerializedEvent;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event of a stream.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The metadata key of an event's own hash.
pub const HASH: &str = "hash";
/// The metadata key of the hash of the event before it in its stream.
pub const PREV_HASH: &str = "prev_hash";

/// An event whose metadata is not a JSON object, so it cannot carry its hashes.
#[derive(Debug, thiserror::Error)]
#[error("the metadata of {aggregate_type} {aggregate_id} sequence {sequence} is not a JSON object")]
pub struct NotAnObject {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: usize,
}

/// `value` as canonical JSON: no whitespace, object keys sorted by their UTF-8 bytes at
/// every depth, strings escaped one fixed way, numbers as serde_json writes them.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
    }
}

/// A JSON string: `"` and `\` backslash-escaped, control characters as `\u00xx`,
/// everything else as is (UTF-8).
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The hash an event should carry: hex SHA-256 of the canonical JSON of its content,
/// with its metadata minus `hash` (so `prev_hash` is covered).
pub fn event_hash(event: &SerializedEvent) -> String {
    let metadata = match &event.metadata {
        Value::Object(m) => {
            let mut m = m.clone();
            m.remove(HASH);
            Value::Object(m)
        }
        other => other.clone(),
    };
    let content = Value::Object(Map::from_iter([
        (
            "aggregate_type".to_string(),
            Value::from(event.aggregate_type.as_str()),
        ),
        (
            "aggregate_id".to_string(),
            Value::from(event.aggregate_id.as_str()),
        ),
        ("sequence".to_string(), Value::from(event.sequence)),
        (
            "event_type".to_string(),
            Value::from(event.event_type.as_str()),
        ),
        (
            "event_version".to_string(),
            Value::from(event.event_version.as_str()),
        ),
        ("payload".to_string(), event.payload.clone()),
        ("metadata".to_string(), metadata),
    ]));
    hex::encode(Sha256::digest(canonical_json(&content).as_bytes()))
}

/// The hash stored in an event's metadata, if it has one.
pub fn stored_hash(event: &SerializedEvent) -> Option<&str> {
    event.metadata.get(HASH).and_then(Value::as_str)
}

/// The stored `prev_hash` of an event, if it has one.
pub fn stored_prev_hash(event: &SerializedEvent) -> Option<&str> {
    event.metadata.get(PREV_HASH).and_then(Value::as_str)
}

/// What the next event of the stream links to: the stored hash, or for an event written
/// before the chain existed, the hash of its content.
pub fn link_of(event: &SerializedEvent) -> String {
    stored_hash(event)
        .map(str::to_string)
        .unwrap_or_else(|| event_hash(event))
}

/// Gives one event `prev_hash` and then its `hash`; returns that hash.
pub fn seal(event: &mut SerializedEvent, prev_hash: &str) -> Result<String, NotAnObject> {
    let Value::Object(meta) = &mut event.metadata else {
        return Err(NotAnObject {
            aggregate_type: event.aggregate_type.clone(),
            aggregate_id: event.aggregate_id.clone(),
            sequence: event.sequence,
        });
    };
    meta.remove(HASH);
    meta.insert(PREV_HASH.to_string(), Value::from(prev_hash));
    let hash = event_hash(event);
    if let Value::Object(meta) = &mut event.metadata {
        meta.insert(HASH.to_string(), Value::from(hash.as_str()));
    }
    Ok(hash)
}

/// Whether `b` directly follows `a` in the same stream.
pub fn follows(a: &SerializedEvent, b: &SerializedEvent) -> bool {
    a.aggregate_type == b.aggregate_type
        && a.aggregate_id == b.aggregate_id
        && a.sequence + 1 == b.sequence
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(sequence: usize, payload: Value) -> SerializedEvent {
        SerializedEvent::new(
            "b2c1".to_string(),
            sequence,
            "Order".to_string(),
            "PriceSet".to_string(),
            "1.0".to_string(),
            payload,
            json!({"actor_id": "a", "at": "2026-03-02T09:00:00+00:00"}),
        )
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth_and_has_no_whitespace() {
        let v: Value = serde_json::from_str(
            r#"{ "b": 1, "a": {"z": [true, null, {"y": 2, "x": 1}], "c": -3} }"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":-3,"z":[true,null,{"x":1,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn canonical_json_escapes_strings_one_fixed_way() {
        let v = json!({"s": "quote \" back \\ tab \t nl \n bell \u{7} кириллица"});
        assert_eq!(
            canonical_json(&v),
            "{\"s\":\"quote \\\" back \\\\ tab \\u0009 nl \\u000a bell \\u0007 кириллица\"}"
        );
    }

    #[test]
    fn canonical_json_does_not_depend_on_the_order_keys_were_inserted_in() {
        let a: Value = serde_json::from_str(r#"{"x": 1, "y": {"q": 1, "p": 2}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"y": {"p": 2, "q": 1}, "x": 1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
    }

    #[test]
    fn sealing_sets_prev_hash_and_a_hash_that_verifies() {
        let mut e = event(1, json!({"PriceSet": {"price": 100}}));
        let h = seal(&mut e, GENESIS).unwrap();
        assert_eq!(h.len(), 64);
        assert_eq!(stored_hash(&e), Some(h.as_str()));
        assert_eq!(stored_prev_hash(&e), Some(GENESIS));
        assert_eq!(
            event_hash(&e),
            h,
            "the stored hash is not part of what it covers"
        );
    }

    #[test]
    fn any_change_to_the_content_changes_the_hash() {
        let mut e = event(2, json!({"PriceSet": {"price": 100}}));
        let h = seal(&mut e, GENESIS).unwrap();
        let mut changed = e.clone();
        changed.payload = json!({"PriceSet": {"price": 101}});
        assert_ne!(event_hash(&changed), h);
        let mut changed = e.clone();
        changed.sequence = 3;
        assert_ne!(event_hash(&changed), h);
        let mut changed = e.clone();
        changed.metadata[PREV_HASH] = json!("1".repeat(64));
        assert_ne!(event_hash(&changed), h);
        let mut changed = e.clone();
        changed.metadata["actor_id"] = json!("b");
        assert_ne!(event_hash(&changed), h);
    }

    #[test]
    fn events_chain_to_each_other() {
        let mut a = event(1, json!("DraftApproved"));
        let mut b = event(2, json!("FinalApproved"));
        let ha = seal(&mut a, GENESIS).unwrap();
        seal(&mut b, &ha).unwrap();
        assert!(follows(&a, &b));
        assert_eq!(stored_prev_hash(&b), Some(ha.as_str()));
        assert_eq!(link_of(&a), ha);
    }

    #[test]
    fn an_event_written_before_the_chain_links_by_its_content() {
        let e = event(1, json!("DraftApproved"));
        assert_eq!(stored_hash(&e), None);
        assert_eq!(link_of(&e), event_hash(&e));
    }

    #[test]
    fn metadata_that_is_not_an_object_cannot_be_sealed() {
        let mut e = event(1, json!("DraftApproved"));
        e.metadata = json!(["not", "an", "object"]);
        assert!(seal(&mut e, GENESIS).is_err());
    }
}
