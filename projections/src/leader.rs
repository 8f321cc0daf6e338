//! One instance at a time: the right to run a background task (a projection runner, a
//! process manager) across every instance of the service on one PostgreSQL.

use std::time::Duration;

use crate::sql::Db;

/// A stable advisory-lock key for a task name (FNV-1a).
fn lock_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("scriptorium:{name}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// How often a follower tries to become the leader.
pub const FOLLOWER_RETRY: Duration = Duration::from_secs(1);

/// The right to run a runner: a session-level advisory lock on a connection of its own
/// (PostgreSQL). It is released when this process dies or its connection breaks. SQLite
/// has a single writer per file, so every runner there leads.
pub struct Leadership {
    name: String,
    url: Option<(sqlx::postgres::PgConnectOptions, i64)>,
    conn: Option<sqlx::PgConnection>,
    checked: Option<std::time::Instant>,
    /// Whether the last try found the lock taken (said once in the log, not every retry).
    following: bool,
}

impl Leadership {
    /// The right to run the task named `name` (one lock per name).
    pub fn new(db: &Db, name: &str) -> Leadership {
        let url = match db {
            Db::Postgres(pool, _) => Some(((*pool.connect_options()).clone(), lock_key(name))),
            Db::Sqlite { .. } => None,
        };
        Leadership {
            name: name.to_string(),
            url,
            conn: None,
            checked: None,
            following: false,
        }
    }

    /// Whether this process leads now: keeps the lock, or tries to take it.
    pub async fn hold(&mut self) -> bool {
        use sqlx::{ConnectOptions, Connection};
        let Some((opts, key)) = &self.url else {
            return true;
        };
        if let Some(conn) = &mut self.conn {
            // Check the lock's connection now and then; a broken one has lost the lock.
            if self
                .checked
                .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
            {
                return true;
            }
            if conn.ping().await.is_ok() {
                self.checked = Some(std::time::Instant::now());
                return true;
            }
            tracing::warn!(task = %self.name, "lost the lock's connection; stepping down");
            self.conn = None;
        }
        let Ok(mut conn) = opts.connect().await else {
            return false;
        };
        let got: Result<bool, _> = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(*key)
            .fetch_one(&mut conn)
            .await;
        if got.unwrap_or(false) {
            tracing::info!(task = %self.name, "took the {} lock: this instance runs it", self.name);
            self.conn = Some(conn);
            self.checked = Some(std::time::Instant::now());
            self.following = false;
            true
        } else {
            let _ = conn.close().await;
            if !std::mem::replace(&mut self.following, true) {
                tracing::info!(task = %self.name, "another instance runs {}: this one takes over when it goes", self.name);
            }
            false
        }
    }
}
