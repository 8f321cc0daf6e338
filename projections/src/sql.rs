//! One SQL layer over both backends. Queries are written once, with `$1`-style
//! placeholders (which sqlx's SQLite driver binds by number too), and run on either
//! PostgreSQL or SQLite. Read-model columns use portable types only: integers, text,
//! booleans; ids are text UUIDs, times RFC 3339 text (which sorts in time order).

use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Postgres, Row as _, Sqlite, Transaction};

/// The database behind the service: PostgreSQL, or SQLite with a single writer connection.
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool, Spare),
    Sqlite {
        /// The one connection that writes (events, read models, checkpoints).
        writer: SqlitePool,
        /// Read-only connections for queries.
        reader: SqlitePool,
    },
}

/// Connections this process keeps out of the PostgreSQL pool for statements that run on
/// their own: sqlx pings a connection every time it goes back to its pool (a round trip
/// per statement, and no setting turns it off), so an autocommit statement takes one of
/// these and puts it back after a success. One that failed, or whose statement was
/// cancelled half-way, goes back to the pool instead, which checks it. At most
/// [`SPARE_CONNECTIONS`] are kept, so the pool always has connections for transactions.
#[derive(Clone, Default)]
pub struct Spare(std::sync::Arc<std::sync::Mutex<Vec<sqlx::pool::PoolConnection<Postgres>>>>);

/// How many connections [`Spare`] keeps (the service's pool has 16).
pub const SPARE_CONNECTIONS: usize = 6;

impl std::fmt::Debug for Spare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spare")
    }
}

impl Spare {
    async fn take(
        &self,
        pool: &PgPool,
    ) -> Result<sqlx::pool::PoolConnection<Postgres>, sqlx::Error> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match kept {
            Some(c) => Ok(c),
            None => pool.acquire().await,
        }
    }

    /// Gives every kept connection back to the pool (before closing it: a closing pool
    /// waits for all its connections).
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn give(&self, conn: sqlx::pool::PoolConnection<Postgres>) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() < SPARE_CONNECTIONS {
            kept.push(conn);
        }
    }
}

impl Db {
    /// A PostgreSQL database reached through `pool`.
    pub fn postgres(pool: PgPool) -> Db {
        Db::Postgres(pool, Spare::default())
    }
}

/// A bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::OptText(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<uuid::Uuid> for Arg {
    fn from(v: uuid::Uuid) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<Option<uuid::Uuid>> for Arg {
    fn from(v: Option<uuid::Uuid>) -> Self {
        Arg::OptText(v.map(|u| u.to_string()))
    }
}

/// Builds an array of `Arg`s from values of mixed types.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { [$($crate::sql::Arg::from($v)),*] };
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::OptInt(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::OptText(v) => q.bind(v.as_deref()),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// A result row of either backend, read by column name.
pub enum Row {
    Postgres(PgRow),
    Sqlite(SqliteRow),
}

macro_rules! get {
    ($self:expr, $col:expr, $t:ty) => {
        match $self {
            Row::Postgres(r) => r.try_get::<$t, _>($col),
            Row::Sqlite(r) => r.try_get::<$t, _>($col),
        }
    };
}

impl Row {
    pub fn int(&self, col: &str) -> Result<i64, sqlx::Error> {
        get!(self, col, i64)
    }
    pub fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
        get!(self, col, Option<i64>)
    }
    pub fn text(&self, col: &str) -> Result<String, sqlx::Error> {
        get!(self, col, String)
    }
    pub fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
        get!(self, col, Option<String>)
    }
    pub fn bool(&self, col: &str) -> Result<bool, sqlx::Error> {
        get!(self, col, bool)
    }
    pub fn uuid(&self, col: &str) -> Result<uuid::Uuid, sqlx::Error> {
        let s = self.text(col)?;
        uuid::Uuid::parse_str(&s).map_err(|e| sqlx::Error::ColumnDecode {
            index: col.to_string(),
            source: Box::new(e),
        })
    }
    pub fn opt_uuid(&self, col: &str) -> Result<Option<uuid::Uuid>, sqlx::Error> {
        match self.opt_text(col)? {
            None => Ok(None),
            Some(s) => uuid::Uuid::parse_str(&s)
                .map(Some)
                .map_err(|e| sqlx::Error::ColumnDecode {
                    index: col.to_string(),
                    source: Box::new(e),
                }),
        }
    }
    /// A text column read as a typed value (a status, a date, a time); a value that does
    /// not parse is a decode error, never a default.
    pub fn parsed<T>(&self, col: &str) -> Result<T, sqlx::Error>
    where
        T: std::str::FromStr,
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let s = self.text(col)?;
        s.parse().map_err(|e| sqlx::Error::ColumnDecode {
            index: col.to_string(),
            source: Box::new(e),
        })
    }
    /// [`Row::parsed`] of a nullable column.
    pub fn opt_parsed<T>(&self, col: &str) -> Result<Option<T>, sqlx::Error>
    where
        T: std::str::FromStr,
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        match self.opt_text(col)? {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|e| sqlx::Error::ColumnDecode {
                index: col.to_string(),
                source: Box::new(e),
            }),
        }
    }
}

/// A write transaction on either backend. On SQLite it is `BEGIN IMMEDIATE` on the
/// single writer connection, so it never fails half-way with a busy snapshot.
pub struct Tx {
    conn: Conn,
    fresh: bool,
}

enum Conn {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

impl From<Conn> for Tx {
    fn from(conn: Conn) -> Tx {
        Tx { conn, fresh: false }
    }
}

/// A PostgreSQL connection of one task's own, out of the pool's rotation, for a task that
/// runs transactions one after another (the group committer): no pool hand-over, and no
/// check, per transaction. A connection that failed other than by a statement's error is
/// dropped, and the next use takes a new one from the pool.
pub struct Dedicated {
    pool: PgPool,
    conn: Option<sqlx::pool::PoolConnection<Postgres>>,
}

impl Dedicated {
    pub fn new(pool: &PgPool) -> Dedicated {
        Dedicated {
            pool: pool.clone(),
            conn: None,
        }
    }

    async fn conn(&mut self) -> Result<&mut sqlx::pool::PoolConnection<Postgres>, sqlx::Error> {
        if self.conn.is_none() {
            self.conn = Some(self.pool.acquire().await?);
        }
        Ok(self.conn.as_mut().expect("just set"))
    }

    /// Keeps the connection after a statement's own error (the database answered), drops
    /// it after any other (it may be broken, or in an unknown state).
    fn after<T>(&mut self, r: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(e) = &r {
            if !matches!(e, sqlx::Error::Database(_)) {
                self.reset();
            }
        }
        r
    }

    /// A statement without parameters (`BEGIN`, `COMMIT`, `ROLLBACK`).
    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let conn = self.conn().await?;
        let r = sqlx::query(sql).execute(&mut **conn).await.map(|_| ());
        self.after(r)
    }

    pub async fn fetch_all(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, sqlx::Error> {
        let conn = self.conn().await?;
        let r = bind_all!(sqlx::query(sql), args)
            .fetch_all(&mut **conn)
            .await
            .map(|rows| rows.into_iter().map(Row::Postgres).collect());
        self.after(r)
    }

    /// Closes the connection, so that a transaction left open on it ends with it: it is
    /// taken out of the pool first (given back, it would stay open — idle in a
    /// transaction, holding the whole cluster's feed horizon back — for whoever took it
    /// next).
    pub fn reset(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}

impl Db {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(..))
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Postgres(p, _) => Conn::Postgres(p.begin().await?).into(),
            Db::Sqlite { writer, .. } => {
                Conn::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?).into()
            }
        })
    }

    /// A transaction for a projection batch: read models are rebuilt from the log, so on
    /// PostgreSQL its commit need not wait for the disk (a crash loses the rows and the
    /// checkpoint together). While `catching_up`, its plans are made for each batch's
    /// values (a generic plan cached while the tables were small would make a long
    /// catch-up quadratic); a live runner's small batches keep PostgreSQL's default
    /// (generic plans once they are as good), as planning the same few statements for
    /// every batch cost as much as running them. One round trip, settings included.
    pub async fn begin_batch(&self, catching_up: bool) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Postgres(p, _) => Conn::Postgres(
                p.begin_with(if catching_up {
                    "BEGIN; SET LOCAL synchronous_commit = off; \
                     SET LOCAL plan_cache_mode = force_custom_plan"
                } else {
                    "BEGIN; SET LOCAL synchronous_commit = off"
                })
                .await?,
            )
            .into(),
            Db::Sqlite { .. } => self.begin().await?,
        })
    }

    /// Runs a statement on its own (autocommit), on the writer.
    pub async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Db::Postgres(p, spare) => {
                let mut conn = spare.take(p).await?;
                let done = bind_all!(sqlx::query(sql), args)
                    .execute(&mut *conn)
                    .await?;
                spare.give(conn);
                done.rows_affected()
            }
            Db::Sqlite { writer, .. } => bind_all!(sqlx::query(sql), args)
                .execute(writer)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a statement on its own (autocommit) on the writer and returns its rows
    /// (`INSERT … RETURNING`).
    pub async fn write_returning(&self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, sqlx::Error> {
        self.rows(sql, args, true).await
    }

    /// Reads on a reader connection.
    pub async fn fetch_all(&self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, sqlx::Error> {
        self.rows(sql, args, false).await
    }

    async fn rows(&self, sql: &str, args: &[Arg], writer: bool) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match self {
            Db::Postgres(p, spare) => {
                let mut conn = spare.take(p).await?;
                let rows = bind_all!(sqlx::query(sql), args)
                    .fetch_all(&mut *conn)
                    .await?;
                spare.give(conn);
                rows.into_iter().map(Row::Postgres).collect()
            }
            Db::Sqlite {
                writer: w,
                reader: r,
            } => bind_all!(sqlx::query(sql), args)
                .fetch_all(if writer { w } else { r })
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
        })
    }

    pub async fn fetch_optional(
        &self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Option<Row>, sqlx::Error> {
        Ok(self.fetch_all(sql, args).await?.into_iter().next())
    }

    pub async fn fetch_one(&self, sql: &str, args: &[Arg]) -> Result<Row, sqlx::Error> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }
}

impl Tx {
    pub fn is_postgres(&self) -> bool {
        matches!(self.conn, Conn::Postgres(_))
    }

    /// Marks a transaction of a rebuild into tables that started empty and that see each
    /// event exactly once (`scriptorium replay`'s shadow: its checkpoint moves in the same
    /// transaction). Projections may then write their insert-only tables
    /// ([`crate::Projection::insert_only_tables`]) without guarding against a repeat.
    pub fn set_fresh(&mut self) {
        self.fresh = true;
    }

    /// Whether this is a fresh load (see [`Tx::set_fresh`]).
    pub fn fresh(&self) -> bool {
        self.fresh
    }

    pub async fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64, sqlx::Error> {
        Ok(match &mut self.conn {
            Conn::Postgres(t) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            Conn::Sqlite(t) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    pub async fn fetch_all(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match &mut self.conn {
            Conn::Postgres(t) => bind_all!(sqlx::query(sql), args)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
            Conn::Sqlite(t) => bind_all!(sqlx::query(sql), args)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
        })
    }

    pub async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Option<Row>, sqlx::Error> {
        Ok(self.fetch_all(sql, args).await?.into_iter().next())
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.conn {
            Conn::Postgres(t) => t.commit().await,
            Conn::Sqlite(t) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.conn {
            Conn::Postgres(t) => t.rollback().await,
            Conn::Sqlite(t) => t.rollback().await,
        }
    }
}

/// Most parameters one statement binds (SQLite allows 32 766, PostgreSQL 65 535).
const MAX_PARAMS: usize = 30_000;

impl Tx {
    /// Inserts many rows with multi-row `VALUES` statements:
    /// `{head} VALUES (…), (…) {tail}`, in chunks that fit the parameter limit.
    pub async fn insert_rows(
        &mut self,
        head: &str,
        tail: &str,
        rows: &[Vec<Arg>],
    ) -> Result<u64, sqlx::Error> {
        let Some(width) = rows.first().map(Vec::len) else {
            return Ok(0);
        };
        if let Conn::Postgres(t) = &mut self.conn {
            return insert_unnest(t, head, tail, width, rows).await;
        }
        let mut affected = 0;
        for chunk in rows.chunks((MAX_PARAMS / width.max(1)).max(1)) {
            let mut values = String::with_capacity(chunk.len() * width * 5);
            let mut n = 0;
            for (i, _) in chunk.iter().enumerate() {
                values.push_str(if i == 0 { "(" } else { ", (" });
                for j in 0..width {
                    n += 1;
                    if j > 0 {
                        values.push_str(", ");
                    }
                    values.push_str(&self.placeholder(n));
                }
                values.push(')');
            }
            let args: Vec<Arg> = chunk.iter().flatten().cloned().collect();
            affected += self
                .execute(&format!("{head} VALUES {values} {tail}"), &args)
                .await?;
        }
        Ok(affected)
    }
}

impl Tx {
    /// Appends rows that conflict with none already there (no `ON CONFLICT`), such as a
    /// fresh load's. PostgreSQL: `COPY {table} ({columns}) FROM STDIN`, which costs a
    /// fraction of an `INSERT` of the same rows; SQLite: as [`Tx::insert_rows`].
    pub async fn copy_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Arg>],
    ) -> Result<u64, sqlx::Error> {
        let columns = columns.join(", ");
        let Conn::Postgres(t) = &mut self.conn else {
            return self
                .insert_rows(&format!("INSERT INTO {table} ({columns})"), "", rows)
                .await;
        };
        if rows.is_empty() {
            return Ok(0);
        }
        let mut data = Vec::with_capacity(rows.len() * rows[0].len() * 16);
        for row in rows {
            for (i, arg) in row.iter().enumerate() {
                if i > 0 {
                    data.push(b'\t');
                }
                copy_field(&mut data, arg);
            }
            data.push(b'\n');
        }
        let mut copy = t
            .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
            .await?;
        for chunk in data.chunks(1 << 20) {
            copy.send(chunk).await?;
        }
        copy.finish().await
    }
}

/// One field of `COPY`'s text format: `\N` for null, backslash, tab, newline and
/// carriage return escaped.
fn copy_field(out: &mut Vec<u8>, arg: &Arg) {
    use std::io::Write as _;
    let text = match arg {
        Arg::Int(v) | Arg::OptInt(Some(v)) => {
            let _ = write!(out, "{v}");
            return;
        }
        Arg::Bool(v) => {
            out.push(if *v { b't' } else { b'f' });
            return;
        }
        Arg::OptInt(None) | Arg::OptText(None) => {
            out.extend_from_slice(b"\\N");
            return;
        }
        Arg::Text(v) | Arg::OptText(Some(v)) => v,
    };
    copy_text(out, text);
}

/// A text in `COPY`'s text format: backslash, tab, newline and carriage return escaped.
pub fn copy_text(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// PostgreSQL: `{head} SELECT * FROM unnest($1::type[], …) {tail}`, one array per column,
/// whatever the number of rows: a statement of a few parameters parses, plans and binds
/// in no time, where a `VALUES` list of thousands of parameters costs more than the rows.
async fn insert_unnest(
    t: &mut Transaction<'static, Postgres>,
    head: &str,
    tail: &str,
    width: usize,
    rows: &[Vec<Arg>],
) -> Result<u64, sqlx::Error> {
    enum Column<'a> {
        Int(Vec<Option<i64>>),
        Text(Vec<Option<&'a str>>),
        Bool(Vec<Option<bool>>),
    }
    let mut columns: Vec<Column> = rows[0]
        .iter()
        .map(|a| match a {
            Arg::Int(_) | Arg::OptInt(_) => Column::Int(Vec::with_capacity(rows.len())),
            Arg::Text(_) | Arg::OptText(_) => Column::Text(Vec::with_capacity(rows.len())),
            Arg::Bool(_) => Column::Bool(Vec::with_capacity(rows.len())),
        })
        .collect();
    for row in rows {
        for (column, arg) in columns.iter_mut().zip(row) {
            match (column, arg) {
                (Column::Int(v), Arg::Int(x)) => v.push(Some(*x)),
                (Column::Int(v), Arg::OptInt(x)) => v.push(*x),
                (Column::Text(v), Arg::Text(x)) => v.push(Some(x.as_str())),
                (Column::Text(v), Arg::OptText(x)) => v.push(x.as_deref()),
                (Column::Bool(v), Arg::Bool(x)) => v.push(Some(*x)),
                (_, arg) => {
                    return Err(sqlx::Error::Protocol(format!(
                        "{head}: a column mixes types ({arg:?})"
                    )))
                }
            }
        }
    }
    let arrays = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let ty = match c {
                Column::Int(_) => "bigint",
                Column::Text(_) => "text",
                Column::Bool(_) => "boolean",
            };
            format!("${}::{ty}[]", i + 1)
        })
        .collect::<Vec<_>>()
        .join(", ");
    debug_assert_eq!(columns.len(), width);
    let sql = format!("{head} SELECT * FROM unnest({arrays}) {tail}");
    let mut q = sqlx::query(&sql);
    for c in columns {
        q = match c {
            Column::Int(v) => q.bind(v),
            Column::Text(v) => q.bind(v),
            Column::Bool(v) => q.bind(v),
        };
    }
    Ok(q.execute(&mut **t).await?.rows_affected())
}

impl Tx {
    /// The `n`-th parameter of a statement whose parameters all appear in order. SQLite
    /// looks a named or numbered parameter up by walking a list, so binding n of them
    /// costs n²; plain `?` costs nothing, and keeps a batch of thousands of rows linear.
    pub fn placeholder(&self, n: usize) -> String {
        match self.conn {
            Conn::Postgres(_) => format!("${n}"),
            Conn::Sqlite(_) => "?".to_string(),
        }
    }

    /// The parameters `1..=n` of a statement that has no others (an `IN (…)` list).
    pub fn placeholders(&self, n: usize) -> String {
        (1..=n)
            .map(|i| self.placeholder(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_fields_are_escaped_and_nulls_marked() {
        let mut out = Vec::new();
        for (i, arg) in [
            Arg::Text("a\tb\nc\rd\\e".into()),
            Arg::OptText(None),
            Arg::OptInt(None),
            Arg::Int(-7),
            Arg::OptInt(Some(3)),
            Arg::Bool(true),
            Arg::OptText(Some("\\N".into())),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(b'|');
            }
            copy_field(&mut out, arg);
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\\tb\\nc\\rd\\\\e|\\N|\\N|-7|3|t|\\\\N"
        );
    }
}
