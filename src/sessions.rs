//! Who a bearer token belongs to, remembered, so that a request costs no query for it.
//!
//! An entry is dropped the moment its user changes (blocked, unblocked, renamed…):
//! - in this process, by [`crate::app::App::user`] once the read models show the change;
//! - from any instance, on PostgreSQL, by the users projection's notification
//!   ([`projections::users::USERS_CHANGED`]), sent by the transaction that changes the
//!   directory. Entries are trusted only while this instance listens: until the listener
//!   is connected, and whenever it loses its connection, every request asks the database.
//!
//! On SQLite there is no such notification (and a query costs no round trip): the cache
//! is never used, so another process sharing the file is never served a stale answer.
//!
//! A request that read the directory before a change and would remember it after is
//! caught by the generation counter, bumped by every invalidation. Entries also expire
//! with their session, and after [`TTL`] in any case.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use projections::users::{self, UserRow};
use projections::Db;
use tokio::sync::watch;
use uuid::Uuid;

/// The longest an entry is used without asking the database again.
pub const TTL: Duration = Duration::from_secs(60);
/// Most entries kept (all are dropped when full: the next requests refill them).
const MAX_ENTRIES: usize = 20_000;

struct Entry {
    user: UserRow,
    expires_at: String,
    at: Instant,
}

pub struct SessionCache {
    entries: Mutex<HashMap<String, Entry>>,
    generation: AtomicU64,
    trusted: AtomicBool,
}

impl SessionCache {
    /// A cache that is not used until [`listen`] is connected.
    pub fn new() -> SessionCache {
        SessionCache {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            trusted: AtomicBool::new(false),
        }
    }

    /// Whether entries are used now (on PostgreSQL, while the listener is connected).
    pub fn trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The user of a live session with this token hash (blocked or not).
    pub async fn user(
        &self,
        db: &Db,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<UserRow>, sqlx::Error> {
        if self.trusted.load(Ordering::Acquire) {
            if let Some(e) = self.entries().get(token_hash) {
                if e.expires_at.as_str() > now && e.at.elapsed() < TTL {
                    return Ok(Some(e.user.clone()));
                }
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let found = users::by_session(db, token_hash, now).await?;
        if let Some((user, expires_at)) = &found {
            let mut entries = self.entries();
            // Under the lock, as every invalidation bumps the generation under it.
            if self.trusted.load(Ordering::Acquire)
                && self.generation.load(Ordering::Acquire) == generation
            {
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
                entries.insert(
                    token_hash.to_string(),
                    Entry {
                        user: user.clone(),
                        expires_at: expires_at.clone(),
                        at: Instant::now(),
                    },
                );
            }
        }
        Ok(found.map(|(user, _)| user))
    }

    /// Drops the entries of these users.
    pub fn forget_users(&self, ids: &[Uuid]) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, e| !ids.contains(&e.user.id));
    }

    /// Drops every entry, and says whether entries may be kept from now on.
    pub fn reset(&self, trusted: bool) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.trusted.store(trusted, Ordering::Release);
        entries.clear();
    }

    /// Applies a payload of the users projection's notification.
    fn notified(&self, payload: &str) {
        if payload == "*" {
            self.reset(self.trusted.load(Ordering::Acquire));
            return;
        }
        let ids: Vec<Uuid> = payload
            .split(',')
            .filter_map(|s| Uuid::parse_str(s.trim()).ok())
            .collect();
        self.forget_users(&ids);
    }
}

/// On PostgreSQL: listens for the users projection's notifications until `shutdown`,
/// trusting the cache only while connected. Does nothing on SQLite (never trusted).
pub async fn listen(
    cache: std::sync::Arc<SessionCache>,
    db: Db,
    mut shutdown: watch::Receiver<bool>,
) {
    let Db::Postgres(pool, _) = db else {
        return;
    };
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Ok(mut listener) = sqlx::postgres::PgListener::connect_with(&pool).await {
            if listener.listen(users::USERS_CHANGED).await.is_ok() {
                cache.reset(true);
                loop {
                    tokio::select! {
                        n = listener.try_recv() => match n {
                            Ok(Some(n)) => cache.notified(n.payload()),
                            // The connection is gone: what was sent meanwhile is lost.
                            _ => break,
                        },
                        _ = shutdown.changed() => {
                            cache.reset(false);
                            return;
                        }
                    }
                }
                tracing::warn!(
                    "lost the users' notifications; asking the database for every token until back"
                );
            }
        }
        cache.reset(false);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

impl Default for SessionCache {
    fn default() -> SessionCache {
        SessionCache::new()
    }
}
