//! Workers (process managers): background tasks that react to the state of orders, or to
//! the events of the log, by issuing commands. Each is one [`Worker`] in one file, listed
//! once in [`all`]; [`start`] runs each as its own task, on one instance at a time (its own
//! `process:<name>` lock, `projections::leader`). Every effect is a command the aggregate
//! accepts only once (or a row keyed by its cause), so a round that runs twice, or again
//! after a crash, changes nothing the second time (docs/decisions/006).

pub mod blocking;
pub mod ledger;
pub mod log;
pub mod mail;
pub mod mail_sender;
pub mod message_digest;
pub mod offers;
pub mod points;
pub mod ratings;
pub mod routing;
pub mod sla;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use projections::leader::{Leadership, FOLLOWER_RETRY};
use tokio::sync::{watch, Notify};

use crate::app::{App, AppError};

/// One background task of the service.
///
/// A worker that acts on what is due now (offer expiry, an SLA timer) queries for it in
/// [`Worker::run_once`]; one that reacts to events (a mail outbox, a ledger credit) is a
/// [`log::Reactor`] behind [`log::FromLog`], which keeps its own checkpoint in the log.
#[async_trait]
pub trait Worker: Send + Sync + 'static {
    /// Names its leadership lock (`process:<name>`), its log lines and, for a reactor, its
    /// checkpoint. Never renamed: another instance holds the lock by this name.
    fn name(&self) -> &'static str;

    /// The pause after a round that left nothing waiting.
    fn every(&self) -> Duration;

    /// What ends that pause early: a service that knows there is work for this worker
    /// (an order placed, for the router) notifies it, so the work is done at once
    /// rather than at the next poll. `None`: the worker only polls.
    fn wake<'a>(&self, _app: &'a App) -> Option<&'a Notify> {
        None
    }

    /// One round: does what is due now. An error is logged and the round retried after a
    /// growing pause; what it had done by then stays done.
    async fn run_once(&self, app: &App) -> Result<Round, AppError>;
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Effects it had (commands accepted).
    pub handled: usize,
    /// More is waiting that it left for the next round (a full page): that round follows
    /// at once, without the pause.
    pub more: bool,
}

/// The registry: every worker of the service, each started by [`start`]. The one place a
/// worker is added.
pub fn all() -> Vec<Arc<dyn Worker>> {
    vec![
        Arc::new(offers::OfferExpiry),
        Arc::new(ratings::worker()),
        Arc::new(ledger::worker()),
        Arc::new(points::worker()),
        Arc::new(routing::worker()),
        Arc::new(blocking::worker()),
        Arc::new(mail::MailOutbox),
        Arc::new(mail_sender::MailSender),
        Arc::new(sla::SlaWatch),
        Arc::new(message_digest::MessageDigest),
    ]
}

/// After a wake, rounds follow at pauses growing from [`EAGER_FIRST`] to [`EAGER_MAX`],
/// for [`EAGER_FOR`], before the worker falls back to its poll: what woke it may not have
/// reached the log's visible horizon when the first round read the log (a round that
/// reacted to something may still have missed it), and a pause of the poll's length
/// then would delay it by as much.
const EAGER_FIRST: Duration = Duration::from_millis(10);
const EAGER_MAX: Duration = Duration::from_millis(500);
const EAGER_FOR: Duration = Duration::from_secs(10);

/// The rounds after a wake.
struct Eager {
    since: std::time::Instant,
    pause: Duration,
}

impl Eager {
    fn new() -> Eager {
        Eager {
            since: std::time::Instant::now(),
            pause: EAGER_FIRST,
        }
    }

    /// The pause before the next eager round; `None` once [`EAGER_FOR`] has passed.
    fn next(&mut self) -> Option<Duration> {
        if self.since.elapsed() >= EAGER_FOR {
            return None;
        }
        let pause = self.pause;
        self.pause = (self.pause * 2).min(EAGER_MAX);
        Some(pause)
    }
}

/// The longest pause after failed rounds, in multiples of [`Worker::every`].
const MAX_BACKOFF: u32 = 20;

/// Starts every worker of [`all`] as its own task, until `shutdown` fires.
pub fn start(app: &App, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    all()
        .into_iter()
        .map(|w| tokio::spawn(supervise(app.clone(), w, shutdown.clone())))
        .collect()
}

/// Runs `worker` round after round while this instance holds its lock, until `shutdown`
/// fires.
pub async fn supervise(app: App, worker: Arc<dyn Worker>, mut shutdown: watch::Receiver<bool>) {
    let name = worker.name();
    let mut leader = Leadership::new(&app.db, &format!("process:{name}"));
    let mut failures = 0u32;
    let every = app.config.worker_poll.unwrap_or_else(|| worker.every());
    // After a wake (on PostgreSQL a commit becomes readable only once every earlier
    // transaction has ended), rounds at short pauses: [`Eager`].
    let mut eager: Option<Eager> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let pause = if !leader.hold().await {
            FOLLOWER_RETRY
        } else {
            match worker.run_once(&app).await {
                Ok(round) => {
                    failures = 0;
                    if round.handled > 0 {
                        tracing::debug!(worker = name, handled = round.handled, "round done");
                    }
                    if round.more {
                        continue;
                    }
                    match eager.as_mut().and_then(Eager::next) {
                        Some(pause) => pause,
                        None => {
                            eager = None;
                            every
                        }
                    }
                }
                Err(e) => {
                    failures += 1;
                    app.metrics.record(|| {
                        metrics::counter!(crate::metrics::WORKER_ERRORS, "worker" => name)
                            .increment(1)
                    });
                    tracing::error!(worker = name, error = %e, failures, "worker round failed; retrying");
                    every * failures.min(MAX_BACKOFF)
                }
            }
        };
        // A failing worker keeps its growing pause whatever wakes it.
        let wake = worker.wake(&app).filter(|_| failures == 0);
        let woken = async {
            match wake {
                Some(n) => n.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = woken => eager = Some(Eager::new()),
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}
