//! The service's metrics, rendered as Prometheus text by `GET /metrics` (decision 029).
//!
//! Each [`App`](crate::App) owns its recorder: nothing is installed process-wide, so the
//! many services a test process builds never share counters, and no second install can
//! fail. Code records through [`Metrics::record`], which makes the recorder the current
//! one for a synchronous closure around `metrics`' macros.

use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Requests answered, by route template and status.
pub const HTTP_REQUESTS: &str = "scriptorium_http_requests_total";
/// How long requests took, by route template (a histogram, in seconds).
pub const HTTP_DURATION: &str = "scriptorium_http_request_duration_seconds";
/// Events appended to the log by this process, by aggregate type.
pub const EVENTS_APPENDED: &str = "scriptorium_events_appended_total";
/// Appends committed together (group commit, decision 032): transactions, and the
/// commands in them; their ratio is the mean batch.
pub const COMMIT_BATCHES: &str = "scriptorium_commit_batches_total";
pub const COMMIT_COMMANDS: &str = "scriptorium_commit_commands_total";
/// Failed rounds of a worker, by worker.
pub const WORKER_ERRORS: &str = "scriptorium_worker_errors_total";
/// The projections' lag at the scrape: events not yet applied, and the age of the
/// oldest of them (seconds, on the service's clock).
pub const PROJECTION_LAG_EVENTS: &str = "scriptorium_projection_lag_events";
pub const PROJECTION_LAG_SECONDS: &str = "scriptorium_projection_lag_seconds";
/// The mail outbox at the scrape: mails by status (`pending`, `failed`), and how long
/// the longest-due pending one has waited past its due time (seconds).
pub const OUTBOX_MAILS: &str = "scriptorium_outbox_mails";
pub const OUTBOX_OLDEST_DUE_SECONDS: &str = "scriptorium_outbox_oldest_due_seconds";
/// Mails this process handed to the mail server (or its files), marked sent.
pub const MAILS_SENT: &str = "scriptorium_mails_sent_total";

/// The latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// One service's recorder and the handle that renders it.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// Records since the histograms' samples were last folded in (`run_upkeep`).
    since_upkeep: std::sync::atomic::AtomicU64,
}

/// Records between two foldings of the histograms' samples: the exporter keeps each
/// sample until then, so a service nobody scrapes does not pile them up.
const UPKEEP_EVERY: u64 = 4096;

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_string()), &BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, describe);
        Metrics {
            recorder,
            handle,
            since_upkeep: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Runs `f` with this service's recorder as the current one: `metrics::counter!` and
    /// the like inside it record here.
    pub fn record<T>(&self, f: impl FnOnce() -> T) -> T {
        let n = self
            .since_upkeep
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % UPKEEP_EVERY == UPKEEP_EVERY - 1 {
            self.handle.run_upkeep();
        }
        metrics::with_local_recorder(&self.recorder, f)
    }

    /// Everything recorded, in Prometheus' text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "HTTP request latency by route template"
    );
    describe_counter!(
        EVENTS_APPENDED,
        "events appended to the log, by aggregate type"
    );
    describe_counter!(WORKER_ERRORS, "failed worker rounds, by worker");
    describe_counter!(
        MAILS_SENT,
        "mails handed to the mail server (or written to files) and marked sent"
    );
    describe_counter!(
        COMMIT_BATCHES,
        "transactions that appended commands' events (group commit)"
    );
    describe_counter!(
        COMMIT_COMMANDS,
        "commands whose events were appended, over all those transactions"
    );
    describe_gauge!(
        PROJECTION_LAG_EVENTS,
        "log events the projections have not applied"
    );
    describe_gauge!(
        PROJECTION_LAG_SECONDS,
        Unit::Seconds,
        "age of the oldest event the projections have not applied"
    );
    describe_gauge!(
        OUTBOX_MAILS,
        "mails in the outbox, by status (pending, failed)"
    );
    describe_gauge!(
        OUTBOX_OLDEST_DUE_SECONDS,
        Unit::Seconds,
        "how long the longest-due pending mail has waited past its due time"
    );
}
