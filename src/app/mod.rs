//! The application: its state, how commands are executed, and start-up.

pub mod audit;
pub mod authors;
pub mod catalogue;
pub mod checkout;
pub mod error;
pub mod ledger;
pub mod messages;
pub mod operations;
pub mod orders;
pub mod outbox;
pub mod password_reset;
pub mod payments;
pub mod points;
pub mod policy;
pub mod reports;
pub mod reviews;
pub mod schemas;
pub mod settings;
pub mod shifts;
pub mod shop;
pub mod users;
pub mod values;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aggregates::account::{AccountCommand, AuthorAccount};
use aggregates::author::{Author, AuthorCommand};
use aggregates::catalogue::{Catalogue, CatalogueCommand, CATALOGUE_ID};
use aggregates::order::{Order, OrderCommand, OrderEvent};
use aggregates::points::{ClientPoints, PointsCommand};
use aggregates::purchase::Purchase;
use aggregates::ready_work::ReadyWork;
use aggregates::settings::{Settings, SettingsCommand, SETTINGS_ID};
use aggregates::shift::{Shift, ShiftCommand};
use aggregates::user::{User, UserCommand};
use aggregates::Actor;
use chrono::{DateTime, Utc};
use cqrs_es::{Aggregate, AggregateError, CqrsFramework, EventStore};
use projections::feed::EventMeta;
use projections::order_list::{self, FileRow, OrderRow};
use projections::{Cursor, Db, RunnerHandle};
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::Config;
use crate::files::FileStore;
use crate::sessions::SessionCache;
use crate::store::{cqrs, CommandTrace, Cqrs, Repo, SnapshotStore, Snapshotted, COMMAND};

pub use error::{AppError, StartupError};

/// How long a read (or a user command, or an order command held back by the backlog
/// limit) waits for the read models before it goes on without them, with a warning.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);
/// Authors' names remembered for answers (a name never changes).
const NAMES: usize = 10_000;
/// How often a command is retried after losing an optimistic-lock race.
const CONFLICT_RETRIES: usize = 3;
/// An author's account is snapshotted once every so many events (docs/decisions/016).
pub const ACCOUNT_SNAPSHOT_EVERY: usize = 100;
/// The shape of the account's snapshotted state: change it with [`AuthorAccount`]'s fields.
const ACCOUNT_STATE_VERSION: &str = "1";
/// Other aggregates whose streams grow for as long as their owner works with the service
/// (an author's profile and rating: an event per rated or rejected work; a client's points:
/// one per completed order) are loaded from snapshots too, as often (decision 033).
pub const LONG_STREAM_SNAPSHOT_EVERY: usize = 100;
/// The shape of [`Author`]'s snapshotted state: change it with its fields.
const AUTHOR_STATE_VERSION: &str = "1";
/// The shape of [`ClientPoints`]' snapshotted state: change it with its fields.
const POINTS_STATE_VERSION: &str = "1";

/// Who asks, in which request, and because of what: becomes every event's metadata.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub request_id: String,
    /// What caused the command: `request:<request id>` for a request (HTTP or the command
    /// line), `event:<position>` for a worker reacting to an event of the log.
    pub causation_id: String,
}

impl Ctx {
    /// A command of `actor`'s, in (and caused by) the request `request_id`.
    pub fn request(actor: Actor, request_id: &str) -> Ctx {
        Ctx {
            actor,
            request_id: request_id.to_string(),
            causation_id: format!("request:{request_id}"),
        }
    }

    /// A command of the system's, in (and caused by) the request `request_id`.
    pub fn system(request_id: &str) -> Ctx {
        Ctx::request(Actor::system(), request_id)
    }

    /// The same, caused by the event at `position` of the log instead.
    pub fn caused_by_event(self, position: i64) -> Ctx {
        self.caused_by(format!("event:{position}"))
    }

    /// The same, caused by `causation_id` instead.
    pub fn caused_by(self, causation_id: String) -> Ctx {
        Ctx {
            causation_id,
            ..self
        }
    }
}

pub struct AppInner {
    pub db: Db,
    pub clock: Clock,
    pub config: Config,
    pub files: FileStore,
    pub orders: Cqrs<Order>,
    pub users: Cqrs<User>,
    /// Authors' profiles and ratings, loaded from their latest snapshot (decision 033).
    pub authors: Snapshotted<Author>,
    pub shifts: Cqrs<Shift>,
    /// Authors' accounts, loaded from their latest snapshot (docs/decisions/016).
    pub accounts: Snapshotted<AuthorAccount>,
    /// The same store as `accounts`, for reading an account's state.
    pub account_store: SnapshotStore<AuthorAccount>,
    pub settings: Cqrs<Settings>,
    /// The catalogue of work types, subjects and extras (decision 025).
    pub catalogue: Cqrs<Catalogue>,
    pub catalogue_repo: Repo,
    /// Clients' loyalty points (decision 026).
    /// Loaded from the client's latest snapshot (decision 033).
    pub points: Snapshotted<ClientPoints>,
    pub points_repo: Repo,
    /// The shop's works and their purchases (decision 021).
    pub ready_works: Cqrs<ReadyWork>,
    pub purchases: Cqrs<Purchase>,
    pub ready_work_repo: Repo,
    pub purchase_repo: Repo,
    /// The repositories behind `orders`, `users`, `authors`, `shifts`, `accounts` and
    /// `settings` (sharing what they remember).
    pub order_repo: Repo,
    pub user_repo: Repo,
    pub author_repo: Repo,
    pub shift_repo: Repo,
    pub account_repo: Repo,
    pub settings_repo: Repo,
    /// The random source of the automatic choice of an author ([`App::draw`]): seeded by
    /// `SCRIPTORIUM_RANDOM_SEED` when set (reproducible draws), else from entropy.
    pub random: std::sync::Mutex<rand::rngs::StdRng>,
    /// One lock per author an offer is being decided for (`crate::offers::lock_author`).
    pub author_locks: crate::offers::AuthorLocks,
    /// Wakes the routing worker at once (an order placed, a shift started) instead of
    /// at its next poll.
    pub routing_wake: Arc<Notify>,
    /// Routes this instance made that the read models may not count yet (where each
    /// landed, and to whom): added to the counts by `process::routing::on_shift_now`.
    pub routes_in_flight: std::sync::Mutex<Vec<(Cursor, Uuid)>>,
    /// Where mail goes (`SMTP_URL`; the outbox's sender is its only user).
    pub mailer: crate::email::Mailer,
    /// Wakes the outbox's sender at once (mails derived) instead of at its next poll.
    pub mail_wake: Arc<Notify>,
    /// Who each bearer token belongs to, remembered.
    pub sessions: Arc<SessionCache>,
    pub projector: RunnerHandle,
    /// Full names of authors, remembered for answers.
    pub names: std::sync::Mutex<HashMap<Uuid, String>>,
    /// How many order commands have waited for the read models because the backlog was
    /// beyond `max_unapplied` (backpressure); read by tests.
    pub held_back: std::sync::atomic::AtomicU64,
    /// This service's metrics (`GET /metrics`; decision 029).
    pub metrics: crate::metrics::Metrics,
}

/// Shared state of the service (cheap to clone).
#[derive(Clone)]
pub struct App(pub Arc<AppInner>);

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    fn metadata(&self, ctx: &Ctx) -> HashMap<String, String> {
        HashMap::from([
            ("actor_id".to_string(), ctx.actor.id.to_string()),
            (
                "actor_role".to_string(),
                ctx.actor.role.as_str().to_string(),
            ),
            ("request_id".to_string(), ctx.request_id.clone()),
            ("causation_id".to_string(), ctx.causation_id.clone()),
            ("at".to_string(), self.clock.now().to_rfc3339()),
        ])
    }

    /// Executes a command; a lost optimistic-lock race is retried against the new state,
    /// so the command succeeds when it is still legal and fails precisely when it is not.
    /// A refusal, or nothing to do, decided on a stream the store remembered is decided
    /// again on the stored one (another instance may have moved it on). Returns where the events landed in
    /// the global log (`None` when the command appended nothing).
    async fn execute<A, S>(
        &self,
        cqrs: &CqrsFramework<A, S>,
        id: &str,
        cmd: A::Command,
        ctx: &Ctx,
    ) -> Result<Option<Cursor>, AggregateError<A::Error>>
    where
        A: Aggregate + Send + Sync,
        A::Command: Clone,
        S: EventStore<A>,
    {
        let mut attempt = 0;
        let mut reread = false;
        loop {
            let (result, remembered, appended, events) = traced(
                reread,
                cqrs.execute_with_metadata(id, cmd.clone(), self.metadata(ctx)),
            )
            .await;
            match result {
                // Nothing to do, decided on a state this process remembered: decided
                // again on the stored one, where another instance may have appended what
                // makes it something to do (a spend to give back).
                Ok(()) if events == 0 && remembered && !reread => reread = true,
                Ok(()) => {
                    if events > 0 {
                        self.metrics.record(|| {
                            metrics::counter!(crate::metrics::EVENTS_APPENDED, "aggregate_type" => A::TYPE)
                                .increment(events as u64)
                        });
                    }
                    return Ok(appended);
                }
                Err(AggregateError::AggregateConflict) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(5 * attempt as u64)).await;
                }
                Err(AggregateError::UserError(_)) if remembered && !reread => reread = true,
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits until the read models include `cursor` (or, without one, the latest event
    /// of the aggregate).
    pub async fn settle_at(
        &self,
        cursor: Option<Cursor>,
        aggregate_type: &str,
        id: &str,
    ) -> Result<(), AppError> {
        let cursor = match cursor {
            Some(c) => Some(c),
            None => projections::feed::last_cursor_of(&self.db, aggregate_type, id).await?,
        };
        if let Some(cursor) = cursor {
            if !self.projector.wait_for(cursor, SETTLE_TIMEOUT).await {
                tracing::warn!(
                    aggregate_type,
                    id,
                    "read models lag behind a command's answer"
                );
            }
        }
        Ok(())
    }

    /// Whether the order would accept `cmd` now (a pure decision on its current state):
    /// lets a handler refuse before doing work that is not undone by a refused command,
    /// such as storing an upload.
    pub async fn check_order(&self, id: Uuid, cmd: &OrderCommand) -> Result<(), AppError> {
        use cqrs_es::persist::PersistedEventStore;
        use cqrs_es::{AggregateContext, EventStore};
        let store = PersistedEventStore::<Repo, Order>::new_event_store(self.order_repo.clone());
        let id = id.to_string();
        let mut reread = false;
        loop {
            let (context, remembered, _, _) = traced(reread, store.load_aggregate(&id)).await;
            match context?.aggregate().decide(cmd.clone()) {
                Ok(_) => return Ok(()),
                // Decided on a remembered stream: decide again on the stored one.
                Err(_) if remembered && !reread => reread = true,
                Err(e) => return Err(AppError::Order(e)),
            }
        }
    }

    /// The order's current state as its events say (the default state when it has
    /// none), from the stream the store remembers when it does.
    pub async fn order_state(&self, id: Uuid) -> Result<Order, AppError> {
        Ok(self.order_stream(id).await?.0)
    }

    /// The order's stream decoded, with each event's time, and the state it folds into:
    /// the remembered stream (not copied) or the stored one.
    async fn order_stream(
        &self,
        id: Uuid,
    ) -> Result<(Order, Vec<(OrderEvent, DateTime<Utc>)>), AppError> {
        use serde::Deserialize;
        let stored = self
            .order_repo
            .stream::<Order>(&id.to_string())
            .await
            .map_err(|e| AppError::Infrastructure(e.to_string()))?;
        let mut state = Order::default();
        let mut stream = Vec::with_capacity(stored.len());
        for e in stored.iter() {
            let event = OrderEvent::deserialize(&e.payload).map_err(|e| {
                AppError::Infrastructure(format!("an order event does not decode: {e}"))
            })?;
            state.apply(event.clone());
            stream.push((event, EventMeta::from_json(&e.metadata).at));
        }
        Ok((state, stream))
    }

    /// Runs an order command. Its answer comes from the order's own stream
    /// ([`App::order_view`]), so it does not wait for the read models; a read that follows
    /// waits for them instead ([`App::fence`], docs/decisions/010). Only when they are more
    /// than `max_unapplied` positions behind does the command wait (backpressure).
    pub async fn order(&self, id: Uuid, cmd: OrderCommand, ctx: &Ctx) -> Result<(), AppError> {
        self.order_at(id, cmd, ctx).await.map(|_| ())
    }

    /// [`App::order`], telling where its events landed (`None`: nothing appended).
    pub async fn order_at(
        &self,
        id: Uuid,
        cmd: OrderCommand,
        ctx: &Ctx,
    ) -> Result<Option<Cursor>, AppError> {
        let id = id.to_string();
        let at = self.execute(&self.orders, &id, cmd, ctx).await?;
        let Some(at) = at else {
            // Accepted with nothing to append (a repeat): the answer must not come from a
            // remembered stream another instance may have moved on since.
            self.order_repo.forget_stream::<Order>(&id);
            return Ok(None);
        };
        // Backpressure: keeps the lag, and what a read may have to wait for, bounded.
        if at.position - self.projector.checkpoint().position > self.config.max_unapplied {
            self.held_back
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.settle_at(Some(at), Order::TYPE, &id).await?;
        } else {
            self.projector.wake();
        }
        Ok(Some(at))
    }

    /// Waits until the read models include every event committed before this call, by
    /// whichever instance: a read that starts after a command's answer sees its effect.
    /// One indexed query for the log's head; no wait when the projections are there. Gives
    /// up after [`SETTLE_TIMEOUT`] (a transaction elsewhere holding the feed back): the
    /// read then goes on with the tables as they are, and a warning is logged.
    pub async fn fence(&self) {
        let head = match projections::feed::committed_head(&self.db).await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the log's head: reading without waiting");
                return;
            }
        };
        if head > self.projector.checkpoint()
            && !self.projector.wait_for(head, SETTLE_TIMEOUT).await
        {
            tracing::warn!("read models lag behind the log: reading anyway");
        }
    }

    /// [`App::fence`] for a decision taken on the read models (routing, the choice of an
    /// author): [`AppError::Behind`] instead of reading stale tables when they stay behind
    /// the log's head for longer than a read waits. A worker retries it next round.
    pub async fn fence_for_decision(&self) -> Result<(), AppError> {
        let Some(head) = projections::feed::committed_head(&self.db).await? else {
            return Ok(());
        };
        if head > self.projector.checkpoint()
            && !self.projector.wait_for(head, SETTLE_TIMEOUT).await
        {
            tracing::warn!("read models lag behind the log: a decision waits for them");
            return Err(AppError::Behind);
        }
        Ok(())
    }

    /// The order as its own stream says, folded by the order table's code: its state, its
    /// row and its files exactly as the projection will write them (`None` when it was
    /// never placed). From the stream the store remembers after a command: no query but
    /// an author's name the first time it is needed.
    pub async fn order_view(
        &self,
        id: Uuid,
    ) -> Result<Option<(Order, OrderRow, Vec<FileRow>)>, AppError> {
        let (state, stream) = self.order_stream(id).await?;
        let names = self
            .author_names(&order_list::accepted_authors(&stream))
            .await?;
        Ok(order_list::view(id, &stream, &names).map(|(row, files)| (state, row, files)))
    }

    fn names(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, String>> {
        self.names.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The full names of these users, remembered (a name never changes).
    async fn author_names(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, AppError> {
        let mut out = HashMap::new();
        for id in ids {
            let known = self.names().get(id).cloned();
            let name = match known {
                Some(n) => n,
                None => match projections::users::by_id(&self.db, *id).await? {
                    Some(u) => {
                        let mut names = self.names();
                        if names.len() >= NAMES {
                            names.clear();
                        }
                        names.insert(*id, u.full_name.clone());
                        u.full_name
                    }
                    None => continue,
                },
            };
            out.insert(*id, name);
        }
        Ok(out)
    }

    /// Runs a user command and waits for the read models to show its effect.
    pub async fn user(&self, id: Uuid, cmd: UserCommand, ctx: &Ctx) -> Result<(), AppError> {
        let uid = id;
        let id = id.to_string();
        let at = self.execute(&self.users, &id, cmd, ctx).await;
        // Whatever happened, what this process remembers of the user may be stale now.
        self.sessions.forget_users(&[uid]);
        let at = at?;
        self.settle_at(at, User::TYPE, &id).await?;
        self.sessions.forget_users(&[uid]);
        Ok(())
    }

    /// Runs an author command and waits for the read models to show its effect.
    pub async fn author(&self, id: Uuid, cmd: AuthorCommand, ctx: &Ctx) -> Result<(), AppError> {
        let id = id.to_string();
        let at = self.execute(&self.authors, &id, cmd, ctx).await?;
        self.settle_at(at, Author::TYPE, &id).await
    }

    /// Runs an account command, telling where its events landed (`None`: nothing
    /// appended, a repeat). Does not wait for the read models: a read of the ledger waits
    /// for them instead ([`App::fence`]).
    pub async fn account(
        &self,
        id: Uuid,
        cmd: AccountCommand,
        ctx: &Ctx,
    ) -> Result<Option<Cursor>, AppError> {
        let at = self
            .execute(&self.accounts, &id.to_string(), cmd, ctx)
            .await?;
        if at.is_some() {
            self.projector.wake();
        }
        Ok(at)
    }

    /// An author's account as its events say (from its latest snapshot and the events
    /// after it).
    pub async fn account_state(&self, id: Uuid) -> Result<AuthorAccount, AppError> {
        self.account_store
            .current(&id.to_string())
            .await
            .map_err(|e| AppError::Infrastructure(e.to_string()))
    }

    /// Runs a command on a client's points, telling where its events landed (`None`:
    /// nothing appended, a repeat). Does not wait for the read models: a read of the
    /// points waits for them instead ([`App::fence`]).
    pub async fn client_points(
        &self,
        id: Uuid,
        cmd: PointsCommand,
        ctx: &Ctx,
    ) -> Result<Option<Cursor>, AppError> {
        let at = self
            .execute(&self.points, &id.to_string(), cmd, ctx)
            .await?;
        if at.is_some() {
            self.projector.wake();
        }
        Ok(at)
    }

    /// Runs a settings command and waits for the read models to show it: every command
    /// that follows, on any instance, reads the settings from their table (they are rare).
    pub async fn change_settings(&self, cmd: SettingsCommand, ctx: &Ctx) -> Result<(), AppError> {
        let at = self.execute(&self.settings, SETTINGS_ID, cmd, ctx).await?;
        if at.is_some() {
            self.projector.wake();
        }
        self.settle_at(at, Settings::TYPE, SETTINGS_ID).await
    }

    /// Runs a catalogue command and waits for the read models to show it: every order
    /// placed afterwards, on any instance, checks its values against the table.
    pub async fn change_catalogue(&self, cmd: CatalogueCommand, ctx: &Ctx) -> Result<(), AppError> {
        let at = self
            .execute(&self.catalogue, CATALOGUE_ID, cmd, ctx)
            .await?;
        if at.is_some() {
            self.projector.wake();
        }
        self.settle_at(at, Catalogue::TYPE, CATALOGUE_ID).await
    }

    /// One uniformly random `u64` from the service's random source (for
    /// [`aggregates::author::pick_weighted`]).
    pub fn draw(&self) -> u64 {
        use rand::RngCore;
        self.random
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_u64()
    }

    /// Runs a shift command, wakes the router when a shift started, and waits for the
    /// read models to show it (shifts are rare; `GET /api/shifts` reads the table).
    pub async fn shift(&self, id: Uuid, cmd: ShiftCommand, ctx: &Ctx) -> Result<(), AppError> {
        let id = id.to_string();
        let starts = matches!(cmd, ShiftCommand::StartShift { .. });
        let at = self.execute(&self.shifts, &id, cmd, ctx).await?;
        if at.is_some() {
            self.projector.wake();
        }
        self.settle_at(at, Shift::TYPE, &id).await?;
        if starts {
            self.routing_wake.notify_one();
        }
        Ok(())
    }

    /// The next human order number (1, 2, 3, … in placement order).
    pub async fn next_order_number(&self) -> Result<i64, AppError> {
        let sql = if self.db.is_postgres() {
            "SELECT nextval('order_numbers') AS n"
        } else {
            "UPDATE order_numbers SET last = last + 1 WHERE id = 1 RETURNING last AS n"
        };
        // One statement on its own: atomic, and one round trip.
        let n = self
            .db
            .write_returning(sql, &[])
            .await?
            .first()
            .ok_or_else(|| AppError::infrastructure("no order number"))?
            .int("n")?;
        Ok(n)
    }
}

/// Runs `work` (a command or a load) with a fresh [`CommandTrace`]; with `reread`, the
/// store reads the stream instead of using what it remembers. Returns the result, whether
/// a remembered stream was used, where appended events landed and how many they were.
async fn traced<T>(
    reread: bool,
    work: impl std::future::Future<Output = T>,
) -> (T, bool, Option<Cursor>, usize) {
    let trace = CommandTrace::default();
    trace.reread.set(reread);
    COMMAND
        .scope(trace, async {
            let out = work.await;
            COMMAND.with(|t| (out, t.remembered.get(), t.appended.get(), t.events.get()))
        })
        .await
}

/// A built service: its state, its router, and its background tasks.
pub struct Application {
    pub app: App,
    pub router: axum::Router,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects, migrates, starts the projection runner and builds the router.
    pub async fn build(config: Config, clock: Clock) -> Result<Application, StartupError> {
        let mailer =
            crate::email::Mailer::from_config(config.smtp_url.as_deref(), &config.data_dir)
                .map_err(|e| StartupError::Mail(e.to_string()))?;
        Application::build_with_mailer(config, clock, mailer).await
    }

    /// [`Application::build`] with the mailer given (a test's memory or SMTP server).
    pub async fn build_with_mailer(
        config: Config,
        clock: Clock,
        mailer: crate::email::Mailer,
    ) -> Result<Application, StartupError> {
        let db = crate::db::connect(&config.database_url)
            .await
            .map_err(|source| StartupError::Database {
                url: redact(&config.database_url),
                source,
            })?;
        crate::db::migrate(&db).await?;
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartupError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let runner = projections::main_runner(db.clone());
        // One committer for every aggregate's appends: concurrent commands are committed
        // together (decision 032).
        let committer = if config.group_commit {
            crate::commit::Committer::new(&db)
        } else {
            crate::commit::Committer::one_by_one(&db)
        };
        let repo = || Repo::with_committer(&db, &committer);
        let order_repo = repo();
        let user_repo = repo();
        let author_repo = repo();
        let shift_repo = repo();
        let account_repo = repo();
        let settings_repo = repo();
        let catalogue_repo = repo();
        let ready_work_repo = repo();
        let purchase_repo = repo();
        let points_repo = repo();
        // One store, so the state a command leaves is the one a read sees.
        let account_store = SnapshotStore::new(
            account_repo.clone(),
            ACCOUNT_SNAPSHOT_EVERY,
            ACCOUNT_STATE_VERSION,
        );
        let random = {
            use rand::SeedableRng;
            match config.random_seed {
                Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
                None => rand::rngs::StdRng::from_entropy(),
            }
        };
        let inner = AppInner {
            orders: cqrs(order_repo.clone(), ()),
            users: cqrs(user_repo.clone(), ()),
            authors: CqrsFramework::new(
                SnapshotStore::new(
                    author_repo.clone(),
                    LONG_STREAM_SNAPSHOT_EVERY,
                    AUTHOR_STATE_VERSION,
                ),
                vec![],
                (),
            ),
            order_repo,
            user_repo,
            author_repo,
            random: std::sync::Mutex::new(random),
            author_locks: Default::default(),
            shifts: cqrs(shift_repo.clone(), ()),
            shift_repo,
            accounts: CqrsFramework::new(account_store.clone(), vec![], ()),
            account_store,
            settings: cqrs(settings_repo.clone(), ()),
            catalogue: cqrs(catalogue_repo.clone(), ()),
            catalogue_repo,
            points: CqrsFramework::new(
                SnapshotStore::new(
                    points_repo.clone(),
                    LONG_STREAM_SNAPSHOT_EVERY,
                    POINTS_STATE_VERSION,
                ),
                vec![],
                (),
            ),
            points_repo,
            ready_works: cqrs(ready_work_repo.clone(), ()),
            purchases: cqrs(purchase_repo.clone(), ()),
            ready_work_repo,
            purchase_repo,
            account_repo,
            settings_repo,
            routing_wake: Arc::new(Notify::new()),
            routes_in_flight: Default::default(),
            sessions: Arc::new(SessionCache::new()),
            mailer,
            mail_wake: Arc::new(Notify::new()),
            files: FileStore::new(&config.data_dir),
            projector: runner.handle(),
            names: std::sync::Mutex::new(HashMap::new()),
            held_back: Default::default(),
            metrics: crate::metrics::Metrics::new(),
            db,
            clock,
            config,
        };
        let app = App(Arc::new(inner));
        let (shutdown, rx) = watch::channel(false);
        let mut tasks = vec![
            tokio::spawn(runner.run(Duration::from_millis(250), rx.clone())),
            tokio::spawn(crate::sessions::listen(
                app.sessions.clone(),
                app.db.clone(),
                rx.clone(),
            )),
        ];
        // Every worker of the registry, each under its own lock (unless switched off: a
        // test of what a restart finds after a crash before the workers acted).
        if app.config.run_workers {
            tasks.extend(crate::process::start(&app, rx));
        }
        let router = crate::http::router(app.clone());
        Ok(Application {
            app,
            router,
            shutdown,
            tasks,
        })
    }

    /// Serves HTTP on `listener` until SIGTERM or SIGINT (ctrl-c), then stops as
    /// [`Application::serve_until`] does.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.serve_until(listener, stop_signal()).await
    }

    /// Serves HTTP on `listener` until `stop` completes; then accepts nothing more,
    /// finishes the requests in flight, and only then stops the background tasks, each
    /// at its next safe point (between two rounds, never inside one's transaction), and
    /// waits for them.
    pub async fn serve_until(
        self,
        listener: tokio::net::TcpListener,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = self
            .router
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                stop.await;
                tracing::info!("stopping: no new connections; finishing the requests in flight");
            })
            .await;
        tracing::info!("requests finished; stopping the workers");
        self.stop().await;
        tracing::info!("stopped");
        served
    }

    /// Stops the background tasks and waits for them.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Completes on SIGTERM (what a service manager or an orchestrator sends) or SIGINT.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on SIGINT only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A database URL fit for a log line (no password).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}
