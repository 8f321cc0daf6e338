//! Group commit (decision 032): the appends of concurrent commands go to the database
//! together, in one transaction, instead of one transaction (and one WAL flush) each.
//!
//! Every append is handed to one committer per event store, which takes everything that
//! queued up while its last transaction was committing and writes it with one multi-row
//! `INSERT … ON CONFLICT DO NOTHING RETURNING` in a transaction of its own. What each
//! command is promised stays what one autocommit `INSERT` promised it:
//!
//! - **its own optimistic check**: a command whose (stream, sequence) somebody else took —
//!   another instance, or a neighbour in the same batch — sees no row of its own come back;
//!   the transaction is rolled back and written again without it, and only that command
//!   gets the conflict (it retries on the stored stream, as before). Two commands of one
//!   batch on the same sequence never meet in one statement: the second waits for the
//!   next batch, where the first's row decides it;
//! - **its answer only after the commit**: nothing is acknowledged before `COMMIT`
//!   returns, so a crash (of the process or of the database session) before it loses the
//!   whole batch and acknowledges none of it: no half of a batch, and no half of a
//!   command, is ever stored;
//! - **its own errors**: a batch whose statement fails for another reason is written
//!   again one command at a time, each in its own autocommit statement, so the error
//!   reaches only the command that caused it.
//!
//! Rows are written in (type, id, sequence) order, so two instances' batches take their
//! keys' locks in one order and cannot deadlock on each other.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use futures::future::BoxFuture;
use projections::sql::Dedicated;
use projections::{Arg, Cursor, Db, Row};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// One event as a row of the `events` table.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
}

impl EventRow {
    fn key(&self) -> Key {
        (
            self.aggregate_type.clone(),
            self.aggregate_id.clone(),
            self.sequence,
        )
    }

    fn args(&self) -> [Arg; 7] {
        [
            Arg::Text(self.aggregate_type.clone()),
            Arg::Text(self.aggregate_id.clone()),
            Arg::Int(self.sequence),
            Arg::Text(self.event_type.clone()),
            Arg::Text(self.event_version.clone()),
            Arg::Text(self.payload.clone()),
            Arg::Text(self.metadata.clone()),
        ]
    }
}

type Key = (String, String, i64);

/// Why an append was not stored.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another command took one of its (stream, sequence) places first.
    #[error("another command appended to the stream first")]
    Conflict,
    /// The database refused it or could not be reached; shared by a whole batch when its
    /// commit failed (the outcome is then unknown only if the connection broke during
    /// `COMMIT`, as for any single statement).
    #[error("{0}")]
    Database(Arc<sqlx::Error>),
}

/// A test's hook, awaited after a batch's rows are written and before its `COMMIT`, given
/// the number of commands in it; an error rolls the batch back as a crash would.
pub type BeforeCommit = Arc<dyn Fn(usize) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Most events one batch writes (7 parameters each: well under both backends' limits).
const MAX_BATCH_EVENTS: usize = 1_000;

/// How many recent batch sizes are kept for [`Committer::recent_batches`].
const RECENT: usize = 256;

/// The committer of one event store; clones share it.
#[derive(Clone)]
pub struct Committer(Arc<Inner>);

struct Inner {
    db: Db,
    /// False: every append is a statement of its own (`SCRIPTORIUM_GROUP_COMMIT=false`).
    grouped: bool,
    /// The queue to the committing task, started on the first append (on the runtime
    /// that makes it).
    queue: OnceLock<mpsc::UnboundedSender<Pending>>,
    /// One permit: the task holds it while it commits; a test holds it to make appends
    /// queue up into one batch ([`Committer::hold`]).
    gate: Arc<Semaphore>,
    hook: Mutex<Option<BeforeCommit>>,
    recent: Mutex<std::collections::VecDeque<usize>>,
    /// Batches committed and the commands in them, since start (for `/metrics`).
    batches: AtomicU64,
    commands: AtomicU64,
    /// Appends handed to the task and not yet taken into a batch.
    queued: AtomicU64,
}

impl Inner {
    /// Counts a committed transaction of `commands` commands (for `/metrics`).
    fn counted(&self, commands: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.commands.fetch_add(commands as u64, Ordering::Relaxed);
    }
}

struct Pending {
    rows: Vec<EventRow>,
    answer: oneshot::Sender<Result<Option<Cursor>, AppendError>>,
}

impl Committer {
    pub fn new(db: &Db) -> Committer {
        Committer::build(db, true)
    }

    /// A committer that writes each command's events in an autocommit statement of its
    /// own, without batching (what every append did before group commit).
    pub fn one_by_one(db: &Db) -> Committer {
        Committer::build(db, false)
    }

    fn build(db: &Db, grouped: bool) -> Committer {
        Committer(Arc::new(Inner {
            db: db.clone(),
            grouped,
            queue: OnceLock::new(),
            gate: Arc::new(Semaphore::new(1)),
            hook: Mutex::new(None),
            recent: Mutex::new(Default::default()),
            batches: AtomicU64::new(0),
            commands: AtomicU64::new(0),
            queued: AtomicU64::new(0),
        }))
    }

    /// Appends `rows` (one command's events) with whatever else is waiting, and returns
    /// where the last of them landed in the global log once they are committed.
    pub async fn append(&self, rows: Vec<EventRow>) -> Result<Option<Cursor>, AppendError> {
        if rows.is_empty() {
            return Ok(None);
        }
        if !self.0.grouped {
            let answer = alone(&self.0.db, &rows).await;
            if answer.is_ok() {
                self.0.counted(1);
            }
            return answer;
        }
        let (answer, answered) = oneshot::channel();
        let queue = self.0.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(Arc::downgrade(&self.0), rx));
            tx
        });
        self.0.queued.fetch_add(1, Ordering::Relaxed);
        if queue.send(Pending { rows, answer }).is_err() {
            self.0.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(gone());
        }
        // The committing task runs on its own: a command whose caller went away still has
        // its batch committed (or not) whole.
        answered.await.unwrap_or_else(|_| Err(gone()))
    }

    /// Holds every batch until the returned permit is dropped (tests: appends made
    /// meanwhile are committed together).
    pub async fn hold(&self) -> OwnedSemaphorePermit {
        self.0
            .gate
            .clone()
            .acquire_owned()
            .await
            .expect("the gate is never closed")
    }

    /// A test hook run between a batch's `INSERT` and its `COMMIT` (`None` removes it).
    pub fn before_commit(&self, hook: Option<BeforeCommit>) {
        *self.0.hook.lock().unwrap_or_else(|p| p.into_inner()) = hook;
    }

    /// Appends waiting for a batch (tests: to know that those they started are queued).
    pub fn queued(&self) -> u64 {
        self.0.queued.load(Ordering::Relaxed)
    }

    /// Batches committed since start, and the commands in them (a command written alone
    /// counts as a batch of one).
    pub fn totals(&self) -> (u64, u64) {
        (
            self.0.batches.load(Ordering::Relaxed),
            self.0.commands.load(Ordering::Relaxed),
        )
    }

    /// The sizes (commands) of the last batches committed, oldest first.
    pub fn recent_batches(&self) -> Vec<usize> {
        self.0
            .recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect()
    }
}

fn gone() -> AppendError {
    AppendError::Database(Arc::new(sqlx::Error::PoolClosed))
}

/// The committing task: takes what queued up, commits it as one batch, answers, repeats.
/// It holds its service's committer weakly, so it ends once the service is gone (the
/// queue's sender is dropped with it).
async fn run(weak: std::sync::Weak<Inner>, mut queue: mpsc::UnboundedReceiver<Pending>) {
    use futures::FutureExt;
    let mut waiting: Vec<Pending> = Vec::new();
    // The keys the last batch committed: a command still waiting on one of them has lost
    // its race already, and is told so at once instead of in a batch of its own.
    let mut taken: HashSet<Key> = HashSet::new();
    let mut writer: Option<Dedicated> = None;
    loop {
        if waiting.is_empty() {
            match queue.recv().await {
                Some(p) => waiting.push(p),
                None => return,
            }
        }
        let Some(inner) = weak.upgrade() else {
            return;
        };
        if writer.is_none() {
            if let Db::Postgres(pool, _) = &inner.db {
                writer = Some(Dedicated::new(pool));
            }
        }
        let _gate = inner
            .gate
            .acquire()
            .await
            .expect("the gate is never closed");
        while let Ok(p) = queue.try_recv() {
            waiting.push(p);
        }
        let mut lost = 0;
        if !taken.is_empty() {
            let mut still = Vec::with_capacity(waiting.len());
            for p in waiting.drain(..) {
                if p.rows.iter().any(|r| taken.contains(&r.key())) {
                    lost += 1;
                    let _ = p.answer.send(Err(AppendError::Conflict));
                } else {
                    still.push(p);
                }
            }
            waiting = still;
            taken.clear();
        }
        let (batch, rest) = take_batch(std::mem::take(&mut waiting));
        waiting = rest;
        inner
            .queued
            .fetch_sub((batch.len() + lost) as u64, Ordering::Relaxed);
        if batch.is_empty() {
            continue;
        }
        {
            let mut recent = inner.recent.lock().unwrap_or_else(|p| p.into_inner());
            if recent.len() >= RECENT {
                recent.pop_front();
            }
            recent.push_back(batch.len());
        }
        // A panic (a bug, or a test's hook) must not end the task: the batch's callers get
        // an error (their answers are dropped with it) and the next batch goes on, on a
        // new connection.
        let done = std::panic::AssertUnwindSafe(commit(&inner, writer.as_mut(), batch))
            .catch_unwind()
            .await;
        match done {
            Ok(keys) => taken = keys,
            Err(_) => {
                tracing::error!("the group committer panicked; its batch was not committed");
                if let Some(w) = writer.as_mut() {
                    w.reset();
                }
            }
        }
    }
}

/// The next batch, in arrival order: at most [`MAX_BATCH_EVENTS`] events (but always the
/// first command), and no (stream, sequence) twice — a command on a place taken by an
/// earlier one in the batch waits for the next batch. Returns the batch and the rest.
fn take_batch(waiting: Vec<Pending>) -> (Vec<Pending>, Vec<Pending>) {
    let mut batch = Vec::new();
    let mut rest = Vec::new();
    let mut keys: HashSet<Key> = HashSet::new();
    let mut events = 0;
    for p in waiting {
        let clash = p.rows.iter().any(|r| keys.contains(&r.key()));
        let full = !batch.is_empty() && events + p.rows.len() > MAX_BATCH_EVENTS;
        if clash || full {
            rest.push(p);
            continue;
        }
        events += p.rows.len();
        keys.extend(p.rows.iter().map(EventRow::key));
        batch.push(p);
    }
    (batch, rest)
}

/// How one try of a batch ended.
enum Tried {
    Committed(Vec<Option<Cursor>>),
    /// These commands (indexes) found a place taken; nothing was committed.
    Conflicts(HashSet<usize>),
    /// The statement failed: nothing was committed.
    Statement(sqlx::Error),
    /// The commit failed (or a test's hook stopped it): nothing acknowledged.
    Commit(AppendError),
}

/// Commits `batch` (retrying without the commands that lost their race) and answers every
/// command in it; returns the keys it committed.
async fn commit(
    inner: &Inner,
    mut writer: Option<&mut Dedicated>,
    mut batch: Vec<Pending>,
) -> HashSet<Key> {
    while !batch.is_empty() {
        match try_batch(inner, writer.as_deref_mut(), &batch).await {
            Tried::Committed(cursors) => {
                inner.counted(batch.len());
                let keys = batch
                    .iter()
                    .flat_map(|p| p.rows.iter().map(EventRow::key))
                    .collect();
                for (p, c) in batch.into_iter().zip(cursors) {
                    let _ = p.answer.send(Ok(c));
                }
                return keys;
            }
            Tried::Conflicts(lost) => {
                let mut kept = Vec::with_capacity(batch.len());
                for (i, p) in batch.into_iter().enumerate() {
                    if lost.contains(&i) {
                        let _ = p.answer.send(Err(AppendError::Conflict));
                    } else {
                        kept.push(p);
                    }
                }
                batch = kept;
            }
            Tried::Statement(e) if batch.len() > 1 && matches!(e, sqlx::Error::Database(_)) => {
                // The database refused the statement (a constraint, a deadlock victim):
                // each command on its own, so the error reaches only the one that causes it.
                let mut keys = HashSet::new();
                for p in batch {
                    let answer = alone(&inner.db, &p.rows).await;
                    if answer.is_ok() {
                        inner.counted(1);
                        keys.extend(p.rows.iter().map(EventRow::key));
                    }
                    let _ = p.answer.send(answer);
                }
                return keys;
            }
            Tried::Statement(e) => {
                // Nothing was written and nobody's rows are to blame (no connection, a
                // broken one): the same error for the whole batch, at once.
                let shared = Arc::new(e);
                for p in batch {
                    let _ = p.answer.send(Err(classify_shared(&shared)));
                }
                return HashSet::new();
            }
            Tried::Commit(e) => {
                let shared = match e {
                    AppendError::Database(e) => e,
                    AppendError::Conflict => Arc::new(sqlx::Error::PoolClosed),
                };
                for p in batch {
                    let _ = p.answer.send(Err(AppendError::Database(shared.clone())));
                }
                return HashSet::new();
            }
        }
    }
    HashSet::new()
}

/// A unique violation: our SQLite table's UNIQUE constraint (2067), sqlite-es's primary
/// key (1555), PostgreSQL's 23505. On (type, id, sequence) it means a concurrent append.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if matches!(db.code().as_deref(), Some("2067") | Some("1555") | Some("23505")))
}

/// [`classify`] for an error shared by several commands.
fn classify_shared(e: &Arc<sqlx::Error>) -> AppendError {
    if is_unique_violation(e) {
        return AppendError::Conflict;
    }
    AppendError::Database(e.clone())
}

/// A unique violation on (type, id, sequence) is a conflict; anything else an error.
fn classify(e: sqlx::Error) -> AppendError {
    classify_shared(&Arc::new(e))
}

/// The `INSERT` for `rows`, with `ON CONFLICT DO NOTHING` when `lenient`.
fn insert_sql(pg: bool, rows: usize, lenient: bool) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(160 + rows * 48);
    sql.push_str(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
         event_version, payload, metadata) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        if pg {
            let b = i * 7;
            let _ = write!(
                sql,
                "(${}, ${}, ${}, ${}, ${}, ${}::json, ${}::json)",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7
            );
        } else {
            sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
        }
    }
    if lenient {
        sql.push_str(" ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING");
    }
    sql.push_str(if pg {
        " RETURNING aggregate_type, aggregate_id, sequence, tx_id::text::bigint AS tx, position"
    } else {
        " RETURNING aggregate_type, aggregate_id, sequence, 0 AS tx, position"
    });
    sql
}

async fn try_batch(inner: &Inner, writer: Option<&mut Dedicated>, batch: &[Pending]) -> Tried {
    let db = &inner.db;
    // Rows in key order (each stream's events stay in sequence order), each with the
    // command it belongs to.
    let mut rows: Vec<(&EventRow, usize)> = batch
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.rows.iter().map(move |r| (r, i)))
        .collect();
    rows.sort_by(|(a, _), (b, _)| {
        (&a.aggregate_type, &a.aggregate_id, a.sequence).cmp(&(
            &b.aggregate_type,
            &b.aggregate_id,
            b.sequence,
        ))
    });
    let sql = insert_sql(db.is_postgres(), rows.len(), true);
    let args: Vec<Arg> = rows.iter().flat_map(|(r, _)| r.args()).collect();
    let owner: HashMap<Key, usize> = rows.iter().map(|(r, i)| (r.key(), *i)).collect();
    let mut tx = match Open::begin(db, writer).await {
        Ok(tx) => tx,
        Err(e) => return Tried::Statement(e),
    };
    let stored = match tx.fetch_all(&sql, &args).await {
        Ok(stored) => stored,
        Err(e) => {
            tx.rollback().await;
            return Tried::Statement(e);
        }
    };
    let mut count = vec![0usize; batch.len()];
    let mut cursors: Vec<Option<Cursor>> = vec![None; batch.len()];
    for r in &stored {
        let read = (|| -> Result<(Key, Cursor), sqlx::Error> {
            Ok((
                (
                    r.text("aggregate_type")?,
                    r.text("aggregate_id")?,
                    r.int("sequence")?,
                ),
                Cursor {
                    tx: r.int("tx")?,
                    position: r.int("position")?,
                },
            ))
        })();
        let (key, cursor) = match read {
            Ok(read) => read,
            Err(e) => {
                // Nothing is committed; the same error for all (writing the commands
                // one by one would commit them and then fail to read them again).
                tx.rollback().await;
                return Tried::Commit(AppendError::Database(Arc::new(e)));
            }
        };
        if let Some(&i) = owner.get(&key) {
            count[i] += 1;
            cursors[i] = Some(cursors[i].map_or(cursor, |c| c.max(cursor)));
        }
    }
    let lost: HashSet<usize> = (0..batch.len())
        .filter(|&i| count[i] != batch[i].rows.len())
        .collect();
    if !lost.is_empty() {
        tx.rollback().await;
        return Tried::Conflicts(lost);
    }
    let hook = inner.hook.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some(hook) = hook {
        if let Err(why) = hook(batch.len()).await {
            tx.rollback().await;
            return Tried::Commit(AppendError::Database(Arc::new(sqlx::Error::Protocol(why))));
        }
    }
    match tx.commit().await {
        Ok(()) => Tried::Committed(cursors),
        Err(e) => Tried::Commit(AppendError::Database(Arc::new(e))),
    }
}

/// A batch's transaction: on PostgreSQL on the committer's own connection, on SQLite on
/// the one writer.
enum Open<'a> {
    Postgres(&'a mut Dedicated),
    Sqlite(projections::Tx),
}

impl<'a> Open<'a> {
    async fn begin(db: &Db, writer: Option<&'a mut Dedicated>) -> Result<Open<'a>, sqlx::Error> {
        match writer {
            Some(w) => {
                w.execute("BEGIN").await?;
                Ok(Open::Postgres(w))
            }
            None => Ok(Open::Sqlite(db.begin().await?)),
        }
    }

    async fn fetch_all(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, sqlx::Error> {
        match self {
            Open::Postgres(w) => w.fetch_all(sql, args).await,
            Open::Sqlite(t) => t.fetch_all(sql, args).await,
        }
    }

    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Open::Postgres(w) => {
                let r = w.execute("COMMIT").await;
                if r.is_err() {
                    // Whatever the server did, this connection's state is not known.
                    w.reset();
                }
                r
            }
            Open::Sqlite(t) => t.commit().await,
        }
    }

    /// Rolls back; a connection that cannot is dropped (its transaction ends with it).
    async fn rollback(self) {
        match self {
            Open::Postgres(w) => {
                if w.execute("ROLLBACK").await.is_err() {
                    w.reset();
                }
            }
            Open::Sqlite(t) => {
                let _ = t.rollback().await;
            }
        }
    }
}

/// One command's rows in one autocommit statement (a batch whose statement failed is
/// written this way, command by command).
async fn alone(db: &Db, rows: &[EventRow]) -> Result<Option<Cursor>, AppendError> {
    let sql = insert_sql(db.is_postgres(), rows.len(), false);
    let args: Vec<Arg> = rows.iter().flat_map(EventRow::args).collect();
    let stored = db.write_returning(&sql, &args).await.map_err(classify)?;
    let mut last: Option<Cursor> = None;
    for r in &stored {
        let c = Cursor {
            tx: r
                .int("tx")
                .map_err(|e| AppendError::Database(Arc::new(e)))?,
            position: r
                .int("position")
                .map_err(|e| AppendError::Database(Arc::new(e)))?,
        };
        last = Some(last.map_or(c, |l| l.max(c)));
    }
    Ok(last)
}
