//! The global, ordered log every projection reads.
//!
//! On SQLite there is one writer, so `position` order is commit order. On PostgreSQL
//! concurrent writers may commit out of position order; the feed therefore reads in
//! `(tx_id, position)` order and only events of transactions older than the oldest one
//! still running. Such a prefix never changes once seen, so a checkpoint on
//! `(tx, position)` neither skips a late commit nor stalls behind a rolled-back one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::sql::{Db, Row, Tx};

/// A place in the global log. Ordered: `tx` first (always 0 on SQLite), then `position`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cursor {
    pub tx: i64,
    pub position: i64,
}

/// Who did it, when, in which request: carried by every event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventMeta {
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub request_id: Option<String>,
    /// What caused the command that wrote it (`request:<id>`, `event:<position>`);
    /// `None` for events written before it was recorded.
    pub causation_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl EventMeta {
    /// Reads the string map cqrs-es stores as metadata.
    pub fn from_json(v: &Value) -> EventMeta {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        EventMeta {
            actor_id: s("actor_id").and_then(|x| Uuid::parse_str(&x).ok()),
            actor_role: s("actor_role"),
            request_id: s("request_id"),
            causation_id: s("causation_id"),
            at: s("at")
                .and_then(|x| DateTime::parse_from_rfc3339(&x).ok())
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        }
    }
}

/// One event as stored in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub cursor: Cursor,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub meta: EventMeta,
    /// The payload as decoded by the first [`StoredEvent::decode`], for the next ones.
    decoded: Decoded,
}

/// A payload decoded ahead of the projections ([`StoredEvent::decode_ahead`], e.g. by a
/// replay's reader task while the previous batch is applied). Not carried over by
/// `clone`, ignored by `==`.
#[derive(Default)]
struct Decoded(std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>);

impl Clone for Decoded {
    fn clone(&self) -> Self {
        Decoded::default()
    }
}

impl PartialEq for Decoded {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "decoded"
        } else {
            "-"
        })
    }
}

impl StoredEvent {
    /// The payload as the aggregate's event type: a copy of what
    /// [`StoredEvent::decode_ahead`] decoded as `E`, else decoded now (and not kept: each
    /// event is decoded by one projection, so keeping it would only add a copy to the live
    /// runner's path). `payload` must not change after a `decode_ahead`.
    pub fn decode<E>(&self) -> Result<E, serde_json::Error>
    where
        E: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    {
        match self.decoded.0.get().and_then(|d| d.downcast_ref::<E>()) {
            Some(e) => Ok(e.clone()),
            None => E::deserialize(&self.payload),
        }
    }

    /// Decodes the payload now, for a later [`StoredEvent::decode`] as `E` (a decoding
    /// error is left for that call to report).
    pub fn decode_ahead<E>(&self)
    where
        E: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    {
        if self.decoded.0.get().is_none() {
            if let Ok(e) = E::deserialize(&self.payload) {
                let _ = self.decoded.0.set(Box::new(e));
            }
        }
    }

    /// An event of `aggregate_type` with this payload, at the start of the log.
    #[cfg(test)]
    pub(crate) fn for_tests(aggregate_type: &str, payload: Value) -> StoredEvent {
        StoredEvent {
            cursor: Cursor::default(),
            aggregate_type: aggregate_type.to_string(),
            aggregate_id: "test".to_string(),
            sequence: 1,
            event_type: "Test".to_string(),
            event_version: "1".to_string(),
            payload,
            metadata: Value::Null,
            meta: EventMeta::from_json(&Value::Null),
            decoded: Decoded::default(),
        }
    }

    fn from_row(row: &Row) -> Result<StoredEvent, sqlx::Error> {
        let json = |col: &str| -> Result<Value, sqlx::Error> {
            serde_json::from_str(&row.text(col)?).map_err(|e| sqlx::Error::ColumnDecode {
                index: col.to_string(),
                source: Box::new(e),
            })
        };
        let metadata = json("metadata")?;
        Ok(StoredEvent {
            cursor: Cursor {
                tx: row.int("tx")?,
                position: row.int("position")?,
            },
            aggregate_type: row.text("aggregate_type")?,
            aggregate_id: row.text("aggregate_id")?,
            sequence: row.int("sequence")?,
            event_type: row.text("event_type")?,
            event_version: row.text("event_version")?,
            payload: json("payload")?,
            meta: EventMeta::from_json(&metadata),
            metadata,
            decoded: Decoded::default(),
        })
    }
}

const PG_COLUMNS: &str = "position, tx_id::text::bigint AS tx, aggregate_type, aggregate_id, \
     sequence, event_type, event_version, payload::text AS payload, metadata::text AS metadata";
const SQLITE_COLUMNS: &str = "position, 0 AS tx, aggregate_type, aggregate_id, sequence, \
     event_type, event_version, payload, metadata";

/// The columns of an event with `payload` (an expression) as its payload.
fn columns_with(postgres: bool, payload: &str) -> String {
    if postgres {
        format!(
            "position, tx_id::text::bigint AS tx, aggregate_type, aggregate_id, sequence, \
             event_type, event_version, {payload} AS payload, metadata::text AS metadata"
        )
    } else {
        format!(
            "position, 0 AS tx, aggregate_type, aggregate_id, sequence, event_type, \
             event_version, {payload} AS payload, metadata"
        )
    }
}

fn columns(db: &Db) -> &'static str {
    if db.is_postgres() {
        PG_COLUMNS
    } else {
        SQLITE_COLUMNS
    }
}

fn read_sql(postgres: bool, bounded: bool) -> String {
    read_sql_of(
        postgres,
        bounded,
        if postgres { PG_COLUMNS } else { SQLITE_COLUMNS },
    )
}

fn read_sql_of(postgres: bool, bounded: bool, columns: &str) -> String {
    if postgres {
        let bound = if bounded {
            "AND (tx_id, position) <= ($4::text::xid8, $5) "
        } else {
            ""
        };
        format!(
            "SELECT {columns} FROM events \
             WHERE (tx_id, position) > ($1::text::xid8, $2) \
               AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) {bound}\
             ORDER BY tx_id, position LIMIT $3"
        )
    } else {
        let bound = if bounded { "AND position <= $5 " } else { "" };
        format!(
            "SELECT {columns} FROM events WHERE position > $2 {bound}ORDER BY position LIMIT $3"
        )
    }
}

fn read_args(after: Cursor, limit: i64, until: Option<Cursor>) -> Vec<crate::sql::Arg> {
    let mut args = crate::args![after.tx, after.position, limit].to_vec();
    if let Some(u) = until {
        args.extend(crate::args![u.tx, u.position]);
    }
    args
}

/// Up to `limit` events after `after` (and not past `until`), in feed order, never past
/// a running transaction.
pub async fn read_after(
    db: &Db,
    after: Cursor,
    limit: i64,
    until: Option<Cursor>,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let sql = read_sql(db.is_postgres(), until.is_some());
    let rows = db.fetch_all(&sql, &read_args(after, limit, until)).await?;
    rows.iter().map(StoredEvent::from_row).collect()
}

/// The first committed event after `after`, whether or not a running transaction still
/// holds the feed's horizon before it: what the projections have yet to apply, for
/// measuring their lag. (On PostgreSQL the horizon is cluster-wide, so a long transaction
/// anywhere in the cluster keeps a committed event unreadable; it is lag all the same.)
pub async fn first_committed_after(
    db: &Db,
    after: Cursor,
) -> Result<Option<StoredEvent>, sqlx::Error> {
    let sql = if db.is_postgres() {
        format!(
            "SELECT {PG_COLUMNS} FROM events WHERE (tx_id, position) > ($1::text::xid8, $2) \
             ORDER BY tx_id, position LIMIT 1"
        )
    } else {
        format!("SELECT {SQLITE_COLUMNS} FROM events WHERE position > $2 ORDER BY position LIMIT 1")
    };
    let row = db
        .fetch_optional(&sql, &crate::args![after.tx, after.position])
        .await?;
    row.as_ref().map(StoredEvent::from_row).transpose()
}

/// [`read_after`] for a reader that needs the payloads of only some event types (a
/// worker reacting to a few of them): the others come with a `null` payload, neither sent
/// by the database nor parsed here.
pub async fn read_after_with_payloads_of(
    db: &Db,
    after: Cursor,
    limit: i64,
    types: &[&str],
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let postgres = db.is_postgres();
    let payload = if types.is_empty() {
        "'null'".to_string()
    } else {
        let list = (4..4 + types.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let column = if postgres { "payload::text" } else { "payload" };
        format!("CASE WHEN event_type IN ({list}) THEN {column} ELSE 'null' END")
    };
    let sql = read_sql_of(postgres, false, &columns_with(postgres, &payload));
    let mut args = read_args(after, limit, None);
    args.extend(types.iter().map(|t| crate::sql::Arg::from(t.to_string())));
    let rows = db.fetch_all(&sql, &args).await?;
    rows.iter().map(StoredEvent::from_row).collect()
}

/// [`read_after`] inside a transaction (the projection runner's, which holds its checkpoint).
pub async fn read_after_in(
    tx: &mut Tx,
    after: Cursor,
    limit: i64,
    until: Option<Cursor>,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let sql = read_sql(tx.is_postgres(), until.is_some());
    let rows = tx.fetch_all(&sql, &read_args(after, limit, until)).await?;
    rows.iter().map(StoredEvent::from_row).collect()
}

/// How many events the log holds.
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    db.fetch_one("SELECT COUNT(*) AS n FROM events", &[])
        .await?
        .int("n")
}

/// Every event of one aggregate, oldest first.
pub async fn stream(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence",
        columns(db)
    );
    let rows = db
        .fetch_all(&sql, &crate::args![aggregate_type, aggregate_id])
        .await?;
    rows.iter().map(StoredEvent::from_row).collect()
}

/// The latest committed event in the feed's order, whether or not the feed may read it yet
/// (`None` on an empty log): once the projections have reached it, they include everything
/// committed before this call.
pub async fn committed_head(db: &Db) -> Result<Option<Cursor>, sqlx::Error> {
    let sql = if db.is_postgres() {
        "SELECT tx_id::text::bigint AS tx, position FROM events ORDER BY tx_id DESC, position DESC LIMIT 1"
    } else {
        "SELECT 0 AS tx, position FROM events ORDER BY position DESC LIMIT 1"
    };
    let row = db.fetch_optional(sql, &[]).await?;
    row.map(|r| {
        Ok(Cursor {
            tx: r.int("tx")?,
            position: r.int("position")?,
        })
    })
    .transpose()
}

/// Where the last event of an aggregate sits in the feed (to wait for projections to pass it).
pub async fn last_cursor_of(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Option<Cursor>, sqlx::Error> {
    let sql = if db.is_postgres() {
        "SELECT tx_id::text::bigint AS tx, position FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence DESC LIMIT 1"
    } else {
        "SELECT 0 AS tx, position FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence DESC LIMIT 1"
    };
    let row = db
        .fetch_optional(sql, &crate::args![aggregate_type, aggregate_id])
        .await?;
    row.map(|r| {
        Ok(Cursor {
            tx: r.int("tx")?,
            position: r.int("position")?,
        })
    })
    .transpose()
}

/// In the projection runner's transaction: locks (creating it if need be) and reads the
/// checkpoint row of runner `name`, and reads up to `limit` events after it (not past
/// `until`). On PostgreSQL in one statement, one round trip; on SQLite in two.
pub async fn lock_and_read(
    tx: &mut Tx,
    name: &str,
    limit: i64,
    until: Option<Cursor>,
) -> Result<(Cursor, Vec<StoredEvent>), sqlx::Error> {
    const LOCK: &str = "INSERT INTO projection_checkpoints (name, tx, position, updated_at) \
         VALUES ($1, 0, 0, '') \
         ON CONFLICT (name) DO UPDATE SET name = excluded.name \
         RETURNING tx, position";
    let checkpoint = |row: &Row, tx: &str, pos: &str| -> Result<Cursor, sqlx::Error> {
        Ok(Cursor {
            tx: row.int(tx)?,
            position: row.int(pos)?,
        })
    };
    if !tx.is_postgres() {
        let row = tx
            .fetch_optional(LOCK, &crate::args![name])
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let from = checkpoint(&row, "tx", "position")?;
        return Ok((from, read_after_in(tx, from, limit, until).await?));
    }
    let bound = if until.is_some() {
        "AND (e.tx_id, e.position) <= ($3::text::xid8, $4) "
    } else {
        ""
    };
    let sql = format!(
        "WITH cp AS ({LOCK}) \
         SELECT cp.tx AS cp_tx, cp.position AS cp_position, e.* FROM cp LEFT JOIN LATERAL ( \
           SELECT {PG_COLUMNS} FROM events e \
           WHERE (e.tx_id, e.position) > (cp.tx::text::xid8, cp.position) \
             AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot()) {bound}\
           ORDER BY e.tx_id, e.position LIMIT $2) e ON true"
    );
    let mut args = crate::args![name, limit].to_vec();
    if let Some(u) = until {
        args.extend(crate::args![u.tx, u.position]);
    }
    let rows = tx.fetch_all(&sql, &args).await?;
    let first = rows.first().ok_or(sqlx::Error::RowNotFound)?;
    let from = checkpoint(first, "cp_tx", "cp_position")?;
    let mut events = Vec::with_capacity(rows.len());
    for r in &rows {
        if r.opt_int("position")?.is_some() {
            events.push(StoredEvent::from_row(r)?);
        }
    }
    Ok((from, events))
}
