//! `scriptorium audit verify`: walks every stream of the event log in sequence order,
//! recomputes each event's hash and its link to the event before, and reports the first
//! broken link of each stream (docs/decisions/004-tamper-evident-log.md).

use std::fmt;
use std::time::{Duration, Instant};

use cqrs_es::persist::SerializedEvent;
use projections::{Db, Row};
use serde_json::Value;

use crate::chain;

/// Events read per query while verifying.
const PAGE: i64 = 1000;

/// What is wrong at one place of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The event with this sequence is not in the store; the next one stored is `found`.
    Missing { found: i64 },
    /// A sequence out of place (such as a 0 where 1 was due).
    Unexpected { expected: i64 },
    /// The payload or metadata is not readable JSON.
    Unreadable(Unreadable),
    /// The metadata carries no `hash`.
    MissingHash,
    /// The event's content no longer matches its `hash`.
    ContentChanged,
    /// `prev_hash` is not the `hash` of the event before.
    BrokenLink,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { found } => {
                write!(f, "missing (the next stored event is sequence {found})")
            }
            Problem::Unexpected { expected } => {
                write!(f, "out of place (sequence {expected} was due)")
            }
            Problem::Unreadable(e) => write!(f, "unreadable: {e}"),
            Problem::MissingHash => f.write_str("has no hash"),
            Problem::ContentChanged => {
                f.write_str("content changed: the event no longer matches its hash")
            }
            Problem::BrokenLink => {
                f.write_str("broken link: prev_hash is not the hash of the event before it")
            }
        }
    }
}

/// Why a stored row could not be read back as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// A JSON column that is not text, or not JSON (the driver's or the parser's message).
    #[error("{column}: {message}")]
    Column {
        column: &'static str,
        message: String,
    },
    /// A text column the driver could not read (its message names the column).
    #[error("{0}")]
    Text(String),
    /// A sequence that is not a count.
    #[error("sequence: {0}")]
    Sequence(std::num::TryFromIntError),
}

/// The first broken link of one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub problem: Problem,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} sequence {}: {}",
            self.aggregate_type, self.aggregate_id, self.sequence, self.problem
        )
    }
}

/// The outcome of a walk over the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub events: u64,
    pub streams: u64,
    pub broken: Vec<Broken>,
}

/// One stored row: its place, and its content if the JSON columns could be read.
#[derive(Debug, Clone)]
pub struct RawEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub content: Result<SerializedEvent, Unreadable>,
}

impl RawEvent {
    /// A row read back as it was stored.
    pub fn stored(event: SerializedEvent) -> RawEvent {
        RawEvent {
            aggregate_type: event.aggregate_type.clone(),
            aggregate_id: event.aggregate_id.clone(),
            sequence: i64::try_from(event.sequence).unwrap_or(i64::MAX),
            content: Ok(event),
        }
    }
}

/// Checks events fed in (stream, sequence) order, one stream after another.
#[derive(Debug, Default)]
pub struct Walker {
    stream: Option<(String, String)>,
    expected: i64,
    prev: String,
    broken: bool,
    report: Report,
}

impl Walker {
    /// Checks the next event of the walk.
    pub fn push(&mut self, raw: RawEvent) {
        self.report.events += 1;
        let key = (raw.aggregate_type.clone(), raw.aggregate_id.clone());
        if self.stream.as_ref() != Some(&key) {
            self.stream = Some(key);
            self.expected = 1;
            self.prev = chain::GENESIS.to_string();
            self.broken = false;
            self.report.streams += 1;
        }
        if self.broken {
            return;
        }
        match self.check(&raw) {
            Ok(hash) => {
                self.expected += 1;
                self.prev = hash;
            }
            Err((sequence, problem)) => {
                self.broken = true;
                self.report.broken.push(Broken {
                    aggregate_type: raw.aggregate_type,
                    aggregate_id: raw.aggregate_id,
                    sequence,
                    problem,
                });
            }
        }
    }

    /// The event's hash if it links up, else where and what is wrong.
    fn check(&self, raw: &RawEvent) -> Result<String, (i64, Problem)> {
        if raw.sequence > self.expected {
            let found = raw.sequence;
            return Err((self.expected, Problem::Missing { found }));
        }
        let at = raw.sequence;
        if raw.sequence < self.expected {
            let expected = self.expected;
            return Err((at, Problem::Unexpected { expected }));
        }
        let event = raw
            .content
            .as_ref()
            .map_err(|e| (at, Problem::Unreadable(e.clone())))?;
        let stored = chain::stored_hash(event).ok_or((at, Problem::MissingHash))?;
        if chain::event_hash(event) != stored {
            return Err((at, Problem::ContentChanged));
        }
        if chain::stored_prev_hash(event) != Some(self.prev.as_str()) {
            return Err((at, Problem::BrokenLink));
        }
        Ok(stored.to_string())
    }

    /// How many events were checked so far.
    pub fn events(&self) -> u64 {
        self.report.events
    }

    /// The report of everything pushed.
    pub fn finish(self) -> Report {
        self.report
    }
}

fn raw_event(row: &Row) -> Result<RawEvent, sqlx::Error> {
    let aggregate_type = row.text("aggregate_type")?;
    let aggregate_id = row.text("aggregate_id")?;
    let sequence = row.int("sequence")?;
    let content = (|| -> Result<SerializedEvent, Unreadable> {
        let json = |column: &'static str| -> Result<Value, Unreadable> {
            let unreadable = |message: String| Unreadable::Column { column, message };
            let text = row.text(column).map_err(|e| unreadable(e.to_string()))?;
            serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))
        };
        let text = |column: &str| {
            row.text(column)
                .map_err(|e| Unreadable::Text(e.to_string()))
        };
        Ok(SerializedEvent::new(
            aggregate_id.clone(),
            usize::try_from(sequence).map_err(Unreadable::Sequence)?,
            aggregate_type.clone(),
            text("event_type")?,
            text("event_version")?,
            json("payload")?,
            json("metadata")?,
        ))
    })();
    Ok(RawEvent {
        aggregate_type,
        aggregate_id,
        sequence,
        content,
    })
}

/// Walks the whole log stream by stream; `progress` hears the count of events checked
/// after each page.
pub async fn verify(db: &Db, progress: &mut dyn FnMut(u64)) -> Result<Report, sqlx::Error> {
    let payload = if db.is_postgres() {
        "payload::text AS payload, metadata::text AS metadata"
    } else {
        "payload, metadata"
    };
    let sql = format!(
        "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, {payload} \
         FROM events WHERE (aggregate_type, aggregate_id, sequence) > ($1, $2, $3) \
         ORDER BY aggregate_type, aggregate_id, sequence LIMIT $4"
    );
    let mut walker = Walker::default();
    let mut after = (String::new(), String::new(), -1_i64);
    loop {
        let rows = db
            .fetch_all(
                &sql,
                &projections::args![after.0.as_str(), after.1.as_str(), after.2, PAGE],
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after = (
            last.text("aggregate_type")?,
            last.text("aggregate_id")?,
            last.int("sequence")?,
        );
        for row in &rows {
            walker.push(raw_event(row)?);
        }
        progress(walker.events());
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    Ok(walker.finish())
}

/// Why `audit verify` fails.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Connect(sqlx::Error),
    #[error("cannot read the event log: {0}")]
    Read(sqlx::Error),
    /// The walk found broken streams (each printed already).
    #[error("{broken} of {streams} streams have a broken link (see above)")]
    Broken { broken: usize, streams: u64 },
}

/// The `audit verify` command: progress on stderr, the outcome on stdout; an error
/// (so a non-zero exit) when any stream is broken.
pub async fn verify_command(database_url: &str) -> Result<(), AuditError> {
    let db = crate::db::connect(database_url)
        .await
        .map_err(AuditError::Connect)?;
    let started = Instant::now();
    let mut last_shown: Option<Instant> = None;
    let rate = |n: u64| n as f64 / started.elapsed().as_secs_f64().max(1e-3);
    let mut progress = |n: u64| {
        if last_shown.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            eprintln!("audit verify: {n} events checked ({:.0} events/s)", rate(n));
            last_shown = Some(Instant::now());
        }
    };
    let report = verify(&db, &mut progress).await.map_err(AuditError::Read)?;
    eprintln!(
        "audit verify: {} events checked ({:.0} events/s) in {:.1} s",
        report.events,
        rate(report.events),
        started.elapsed().as_secs_f64()
    );
    if report.broken.is_empty() {
        println!(
            "audit verify: {} events in {} streams, every hash chain intact",
            report.events, report.streams
        );
        return Ok(());
    }
    for broken in &report.broken {
        println!("broken: {broken}");
    }
    Err(AuditError::Broken {
        broken: report.broken.len(),
        streams: report.streams,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stream(id: &str, n: usize) -> Vec<SerializedEvent> {
        let mut prev = chain::GENESIS.to_string();
        (1..=n)
            .map(|sequence| {
                let mut e = SerializedEvent::new(
                    id.to_string(),
                    sequence,
                    "Order".to_string(),
                    "PriceSet".to_string(),
                    "1.0".to_string(),
                    json!({"PriceSet": {"price": sequence}}),
                    json!({"actor_role": "manager"}),
                );
                prev = chain::seal(&mut e, &prev).unwrap();
                e
            })
            .collect()
    }

    fn walk(events: Vec<SerializedEvent>) -> Report {
        let mut w = Walker::default();
        for e in events {
            w.push(RawEvent::stored(e));
        }
        w.finish()
    }

    #[test]
    fn an_untouched_log_is_intact() {
        let mut events = stream("a", 3);
        events.extend(stream("b", 2));
        let r = walk(events);
        assert_eq!((r.events, r.streams), (5, 2));
        assert!(r.broken.is_empty(), "{:?}", r.broken);
    }

    #[test]
    fn an_edited_payload_is_found_at_its_sequence() {
        let mut events = stream("a", 4);
        events[1].payload = json!({"PriceSet": {"price": 1}});
        let r = walk(events);
        assert_eq!(r.broken.len(), 1);
        assert_eq!(r.broken[0].sequence, 2);
        assert_eq!(r.broken[0].problem, Problem::ContentChanged);
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
        let mut events = stream("a", 3);
        events[1].payload = json!({"PriceSet": {"price": 1}});
        let prev = chain::stored_prev_hash(&events[1]).unwrap().to_string();
        chain::seal(&mut events[1], &prev).unwrap();
        let r = walk(events);
        assert_eq!(r.broken[0].sequence, 3);
        assert_eq!(r.broken[0].problem, Problem::BrokenLink);
    }

    #[test]
    fn a_missing_middle_event_is_named() {
        let mut events = stream("a", 3);
        events.remove(1);
        let r = walk(events);
        assert_eq!(r.broken[0].sequence, 2);
        assert_eq!(r.broken[0].problem, Problem::Missing { found: 3 });
        assert!(r.broken[0]
            .to_string()
            .contains("Order a sequence 2: missing"));
    }

    #[test]
    fn an_event_without_a_hash_is_reported_and_only_the_first_break_per_stream() {
        let mut events = stream("a", 3);
        if let Value::Object(m) = &mut events[0].metadata {
            m.remove(chain::HASH);
        }
        events[2].payload = json!(null);
        events.extend(stream("b", 1));
        let r = walk(events);
        assert_eq!(r.broken.len(), 1);
        assert_eq!(r.broken[0].sequence, 1);
        assert_eq!(r.broken[0].problem, Problem::MissingHash);
        assert_eq!(r.streams, 2);
    }

    #[test]
    fn unreadable_json_is_reported() {
        let mut w = Walker::default();
        w.push(RawEvent {
            aggregate_type: "Order".into(),
            aggregate_id: "a".into(),
            sequence: 1,
            content: Err(Unreadable::Column {
                column: "payload",
                message: "expected value".into(),
            }),
        });
        let r = w.finish();
        assert!(matches!(r.broken[0].problem, Problem::Unreadable(_)));
        assert_eq!(
            r.broken[0].problem.to_string(),
            "unreadable: payload: expected value"
        );
    }
}
