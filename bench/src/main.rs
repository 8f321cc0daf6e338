//! `bench`: how many orders Scriptorium takes, measured against the limit of the machine
//! it runs on, and whether it slows down as history piles up. See docs/benchmarks.md.
//!
//! The service is the real `scriptorium serve` binary in a child process on a fresh
//! database; the bench talks to it over loopback HTTP like any client. Phases:
//! raw insert limit → users → unloaded probe → [fill history → catch-up → probe again]
//! → closed-loop load → constant-rate load → replay → report (JSON + Markdown).
//!
//! A crate of its own, outside `scriptorium serve`'s code path and dependencies: it shares
//! only the domain (`aggregates`, whose hash chain seals the history it writes) and
//! `projections` (the `COPY` text format).

mod client;
mod cpu;
mod db;
mod fill;
mod history;
mod load;
mod progress;
mod raw;
mod report;
mod server;
mod smtp_sink;
mod stats;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use serde_json::{json, Value};
use uuid::Uuid;

use client::Api;
use db::{Fresh, Kind, Pool};
use load::{Pace, PhaseSpec, Team};
use report::{Config, Machine, PhaseActivity, ReplayReport, Report, ServerReport};
use server::Service;

const PASSWORD: &str = "bench password 1";

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "Benchmarks Scriptorium on a fresh database against the machine's raw insert limit"
)]
struct Opts {
    /// Concurrent virtual clients (and tasks of the raw insert measurement).
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Seconds of each timed phase: the raw limit, the closed-loop load, the constant-rate load.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Commands per second in total for the constant-rate phase (default: half of what the
    /// closed-loop phase reached). Latency counts from each command's scheduled start.
    #[arg(long)]
    rate: Option<f64>,
    /// Skip the constant-rate phase.
    #[arg(long)]
    no_rate_phase: bool,
    /// Where to write the JSON and Markdown results.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,
    /// Fill the log with this many events of realistic history before measuring (e.g. 1000000).
    #[arg(long, default_value_t = 0)]
    scale: u64,
    /// The PostgreSQL server to create a fresh `scriptorium_bench_<random>` database on
    /// (any database URL of it), or `sqlite:` (a fresh file in a temporary folder, the default).
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Keep the fresh database and the temporary folder afterwards.
    #[arg(long)]
    keep: bool,
    /// Lifecycles of the unloaded probe (one command at a time).
    #[arg(long, default_value_t = 30)]
    probe_lifecycles: u64,
    /// Rounds of list reads of the unloaded probe (four reads a round).
    #[arg(long, default_value_t = 200)]
    probe_reads: usize,
    /// Sample the projection lag on every n-th lifecycle of the load (0: not at all). Each
    /// sample reads `GET /api/orders?q=<number>` twice; on a large store those reads are
    /// slow and take the database's CPU from the commands.
    #[arg(long, default_value_t = 10)]
    lag_every: u64,
    /// Skip `scriptorium replay` at the end.
    #[arg(long)]
    skip_replay: bool,
    /// Send the service's mail over SMTP to a sink in this process (the production path)
    /// instead of `.eml` files under its data dir (the service's default).
    #[arg(long)]
    smtp_sink: bool,
    /// Give up when the projections have not caught up with the filled history after this many seconds.
    #[arg(long, default_value_t = 4 * 3600)]
    catch_up_timeout: u64,
    /// The `scriptorium` binary (default: next to this one).
    #[arg(long)]
    server: Option<PathBuf>,
}

fn main() -> ExitCode {
    let opts = Opts::parse();
    if opts.clients == 0 || opts.duration == 0 {
        eprintln!("bench: --clients and --duration must be at least 1");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main_async(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn main_async(opts: Opts) -> Result<(), String> {
    let bin = Service::locate(opts.server.as_deref())?;
    let fresh = db::fresh(opts.database_url.as_deref()).await?;
    eprintln!(
        "bench: fresh {} database {} (files in {})",
        fresh.kind.name(),
        fresh.describe(),
        fresh.dir.display()
    );
    // Interrupted, the run still drops its database and folder (and, by dropping the
    // bench, kills the service it started); only SIGKILL leaves them behind.
    let result = tokio::select! {
        r = bench(&opts, &bin, &fresh) => r,
        signal = interrupted() => Err(format!("interrupted by {signal}")),
    };
    if opts.keep {
        eprintln!(
            "bench: kept the database {} and {}",
            fresh.describe(),
            fresh.dir.display()
        );
    } else if let Err(e) = fresh.remove().await {
        eprintln!("bench: cleaning up: {e}");
    }
    let report = result?;
    let markdown = report.markdown();
    let (json_path, md_path) = write(&opts.out, &report, &markdown)?;
    println!("{markdown}");
    eprintln!(
        "bench: wrote {} and {}",
        json_path.display(),
        md_path.display()
    );
    Ok(())
}

/// The first of SIGINT, SIGTERM or SIGHUP.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    async fn next(s: &mut Option<Signal>) {
        match s {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    tokio::select! {
        _ = next(&mut int) => "SIGINT",
        _ = next(&mut term) => "SIGTERM",
        _ = next(&mut hup) => "SIGHUP",
    }
}

fn write(dir: &Path, report: &Report, markdown: &str) -> Result<(PathBuf, PathBuf), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let scale = if report.config.scale > 0 {
        format!("-scale{}", report.config.scale)
    } else {
        String::new()
    };
    let base = format!("bench-{}{scale}-{stamp}", report.config.database);
    let json_path = dir.join(format!("{base}.json"));
    let md_path = dir.join(format!("{base}.md"));
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    std::fs::write(&json_path, json).map_err(|e| e.to_string())?;
    std::fs::write(&md_path, markdown).map_err(|e| e.to_string())?;
    Ok((json_path, md_path))
}

fn git_commit() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(c) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(s) if !s.is_empty() => format!("{c}-dirty"),
            _ => c,
        },
        None => "unknown".into(),
    }
}

async fn login(api: &Api, email: &str) -> Result<Value, String> {
    let a = api
        .post(
            "/api/auth/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await?;
    if !a.ok() {
        return Err(format!("login of {email}: {}", a.describe()));
    }
    Ok(a.json())
}

/// One client, manager and author per virtual client, created by the admin through the
/// API and logged in once; every manager starts a shift (orders are routed to whoever
/// is least loaded, so each team knows every manager).
async fn teams(api: &Api, admin: &str, n: usize) -> Result<Vec<Team>, String> {
    let mut teams = Vec::with_capacity(n);
    let mut managers = std::collections::HashMap::new();
    let mut authors = std::collections::HashMap::new();
    for i in 0..n {
        let mut tokens = Vec::new();
        let mut author_id = String::new();
        let mut manager_id = String::new();
        for role in ["client", "manager", "author"] {
            let email = format!("{role}-{i}@bench.example.com");
            let a = api
                .post(
                    "/api/users",
                    Some(admin),
                    &json!({"email": email, "full_name": format!("Bench {role} {i}"), "role": role, "password": PASSWORD}),
                )
                .await?;
            if a.status != 201 {
                return Err(format!("creating {email}: {}", a.describe()));
            }
            let id = a.json()["id"].as_str().unwrap_or_default().to_string();
            match role {
                "author" => {
                    // An author is offered only orders on a subject of their profile, and
                    // only while under their limit: the load's orders are on History.
                    let p = api
                        .put(
                            &format!("/api/authors/{id}"),
                            Some(admin),
                            &json!({"subjects": ["History"], "rating": 5, "max_active_orders": 100}),
                        )
                        .await?;
                    if p.status != 200 {
                        return Err(format!("the profile of {email}: {}", p.describe()));
                    }
                    author_id = id;
                }
                "manager" => manager_id = id,
                _ => {}
            }
            let token = login(api, &email).await?["token"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            tokens.push(token);
        }
        let shift = api
            .post("/api/shifts/start", Some(&tokens[1]), &json!({}))
            .await?;
        if !shift.ok() {
            return Err(format!(
                "starting manager {i}'s shift: {}",
                shift.describe()
            ));
        }
        managers.insert(manager_id, tokens[1].clone());
        authors.insert(author_id.clone(), tokens[2].clone());
        teams.push(Team {
            client: tokens[0].clone(),
            client_email: format!("client-{i}@bench.example.com"),
            manager: tokens[1].clone(),
            author_id,
            managers: Default::default(),
            authors: Default::default(),
        });
    }
    let managers = std::sync::Arc::new(managers);
    let authors = std::sync::Arc::new(authors);
    for t in &mut teams {
        t.managers = managers.clone();
        t.authors = authors.clone();
    }
    Ok(teams)
}

/// The ids of the bench's managers and authors (the history is theirs too).
async fn staff(api: &Api, teams: &[Team]) -> Result<fill::Staff, String> {
    let mut managers = Vec::new();
    let mut authors = Vec::new();
    for t in teams {
        let me = api.get("/api/me", Some(&t.manager)).await?;
        let id = me.json()["id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| format!("GET /api/me: {}", me.describe()))?;
        managers.push(id);
        authors.push(Uuid::parse_str(&t.author_id).map_err(|e| e.to_string())?);
    }
    Ok(fill::Staff { managers, authors })
}

/// `replayed N events in S s (R events/s)…`
/// The service's group-commit counters (transactions, commands) from `/metrics`.
async fn commit_totals(api: &client::Api) -> Option<(f64, f64)> {
    let answer = api.get("/metrics", None).await.ok()?;
    let text = String::from_utf8_lossy(&answer.body);
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
    };
    Some((
        value("scriptorium_commit_batches_total")?,
        value("scriptorium_commit_commands_total")?,
    ))
}

/// The mail the service has sent (`scriptorium_mails_sent_total`, 0 before its first)
/// and what waits in its outbox, from its `/metrics`.
async fn mail_totals(api: &client::Api) -> Option<(f64, f64)> {
    let answer = api.get("/metrics", None).await.ok()?;
    let text = String::from_utf8_lossy(&answer.body);
    let value = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix)?.trim().parse::<f64>().ok())
    };
    Some((
        value("scriptorium_mails_sent_total").unwrap_or(0.0),
        value("scriptorium_outbox_mails{status=\"pending\"}")?,
    ))
}

fn parse_replay(out: &str) -> Option<ReplayReport> {
    let line = out.lines().find(|l| l.starts_with("replayed "))?;
    let mut words = line.split_whitespace();
    let events: u64 = words.nth(1)?.parse().ok()?;
    let seconds: f64 = words.nth(2)?.trim_end_matches('s').parse().ok()?;
    let rate: f64 = words.next()?.trim_start_matches('(').parse().ok()?;
    Some(ReplayReport {
        events,
        seconds,
        events_per_sec: rate,
        output: line.to_string(),
    })
}

/// The bench database's PostgreSQL backends that run on this machine (whose CPU time
/// `/proc` shows); none on SQLite or for a server elsewhere.
async fn local_backends(pool: &Pool) -> Vec<u32> {
    pool.backend_pids()
        .await
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"postgres"))
        })
        .collect()
}

async fn bench(opts: &Opts, bin: &Path, fresh: &Fresh) -> Result<Report, String> {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut machine = Machine::read();
    let mut notes: Vec<String> = Vec::new();
    if let Ok(l) = machine
        .load_avg_start
        .split(' ')
        .next()
        .unwrap_or("0")
        .parse::<f64>()
    {
        if l > machine.cpus as f64 / 2.0 {
            let note = format!(
                "The machine was busy when the run started (load average {} on {} CPUs): absolute figures are depressed; the ratios within the run are the figures to compare.",
                machine.load_avg_start, machine.cpus
            );
            eprintln!("bench: warning: {note}");
            notes.push(note);
        }
    }
    let sink = if opts.smtp_sink {
        let sink = smtp_sink::start().await?;
        eprintln!("bench: mail goes over SMTP to a sink at {}", sink.url);
        Some(sink)
    } else {
        None
    };
    let service = Service {
        bin: bin.to_path_buf(),
        url: fresh.url.clone(),
        data_dir: fresh.dir.join("data"),
        log_dir: fresh.dir.join("logs"),
        smtp_url: sink.as_ref().map(|s| s.url.clone()),
    };
    let duration = Duration::from_secs(opts.duration);

    // 1. The raw limit, on the migrated, still empty database, the service not running.
    service.run(&["migrate"]).await?;
    let pool = Pool::connect(fresh, 4).await?;
    let version = pool.version().await;
    // SQLite takes one writer at a time (the service has one writer connection too);
    // PostgreSQL gets a connection per task.
    let connections = match fresh.kind {
        Kind::Sqlite => 1,
        Kind::Postgres => opts.clients as u32,
    };
    eprintln!(
        "bench: raw limit: {} tasks of single-row insert transactions for {} s",
        opts.clients, opts.duration
    );
    let raw_pool = Pool::connect(fresh, connections).await?;
    let me = [std::process::id()];
    let (db_before, client_before) = (
        cpu::Snapshot::of(&local_backends(&pool).await),
        cpu::Snapshot::of(&me),
    );
    let raw = raw::measure(&raw_pool, connections, opts.clients, duration).await?;
    let raw_cpu = {
        let backends = local_backends(&pool).await;
        cpu::PerUnit::new(
            (!backends.is_empty()).then(|| db_before.used_until(&cpu::Snapshot::of(&backends))),
            None,
            client_before.used_until(&cpu::Snapshot::of(&me)),
            raw.inserts,
        )
    };
    raw_pool.close().await;
    eprintln!("bench: raw limit {:.0} inserts/s", raw.inserts_per_sec);

    // 2. Users: the admin from the command line, everyone else through the API.
    let admin_email = "admin@bench.example.com";
    service
        .run(&[
            "user",
            "add",
            "--email",
            admin_email,
            "--name",
            "Bench Admin",
            "--role",
            "admin",
            "--password",
            PASSWORD,
        ])
        .await?;
    let mut server = service.start("serve-1").await?;
    let mut api = Api::new(&server.addr);
    let admin = login(&api, admin_email).await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    eprintln!(
        "bench: creating and logging in {} clients, managers and authors",
        opts.clients
    );
    let teams = teams(&api, &admin, opts.clients).await?;
    // Stage time limits as a company sets them: the SLA worker's queries run through the
    // whole run (a lifecycle takes seconds, so none is over a limit).
    let limits =
        json!({"stage_limits_hours": {"offered": 24, "draft_review": 4, "final_review": 8}});
    let set = api.put("/api/settings", Some(&admin), &limits).await?;
    if set.status != 200 {
        return Err(format!(
            "setting the stage limits: {} {}",
            set.status,
            String::from_utf8_lossy(&set.body)
        ));
    }
    // The extra some lifecycles add (load::EXTRA_EVERY), in the catalogue at its price.
    let (code, price) = load::EXTRA;
    let set = api
        .put(
            &format!("/api/catalogue/extras/{code}"),
            Some(&admin),
            &json!({"name": "Urgent delivery", "price": price}),
        )
        .await?;
    if set.status != 200 {
        return Err(format!(
            "adding the extra to the catalogue: {} {}",
            set.status,
            String::from_utf8_lossy(&set.body)
        ));
    }
    // Other writers on the Postgres cluster hold the feed back: sample them throughout.
    let monitor = Monitor::start(&pool, fresh.kind);

    // 3. The unloaded probe on the (near) empty store.
    eprintln!(
        "bench: probe: {} lifecycles and {} list reads, one at a time",
        opts.probe_lifecycles,
        opts.probe_reads * 4
    );
    monitor.phase("probe before");
    let events = pool.event_count().await?;
    let probe_before = load::probe(
        &api,
        &teams[0],
        server.pid,
        opts.probe_lifecycles,
        opts.probe_reads,
        events,
    )
    .await;

    // 4. Scale: history written while the service is stopped, then caught up by it.
    let mut fill_report = None;
    let mut probe_after = None;
    if opts.scale > 0 {
        let staff = staff(&api, &teams).await?;
        server.stop().await?;
        eprintln!("bench: filling {} events of history", opts.scale);
        monitor.phase("fill");
        let mut f = fill::fill(&pool, opts.scale, &staff).await?;
        // Statistics for the filled log only: the read models are still (nearly) empty,
        // and statistics saying so would make the projection runner's cached plans scan
        // them sequentially while they grow (seen: a quadratic catch-up).
        pool.execute("ANALYZE events").await?;
        server = service.start("serve-2").await?;
        api = Api::new(&server.addr);
        monitor.phase("catch-up");
        let secs =
            fill::catch_up(&pool, f.events, Duration::from_secs(opts.catch_up_timeout)).await?;
        f.catch_up_seconds = secs;
        f.catch_up_events_per_sec = f.events as f64 / secs.max(1e-6);
        // What autovacuum does over years of history, at once.
        let maintenance = match fresh.kind {
            Kind::Postgres => "VACUUM ANALYZE",
            Kind::Sqlite => "ANALYZE",
        };
        pool.execute(maintenance).await?;
        f.database_bytes = pool.size().await?;
        notes.push(format!(
            "After the fill and the catch-up the bench ran `{maintenance}`, as autovacuum would have over years of history."
        ));
        fill_report = Some(f);
        monitor.phase("probe after");
        let events = pool.event_count().await?;
        eprintln!("bench: probe on {events} events");
        probe_after = Some(
            load::probe(
                &api,
                &teams[0],
                server.pid,
                opts.probe_lifecycles,
                opts.probe_reads,
                events,
            )
            .await,
        );
    }

    // 5. Closed loop: as fast as the service answers.
    eprintln!(
        "bench: load: {} virtual clients, closed loop, {} s",
        opts.clients, opts.duration
    );
    monitor.phase("load");
    let commits_before = commit_totals(&api).await;
    let mail_before = mail_totals(&api).await;
    let backends = local_backends(&pool).await;
    let (db_before, server_before, client_before) = (
        cpu::Snapshot::of(&backends),
        cpu::Snapshot::of(&[server.pid]),
        cpu::Snapshot::of(&me),
    );
    let load = load::run(
        &api,
        &teams,
        server.pid,
        PhaseSpec {
            name: "load",
            pace: Pace::Closed,
            duration,
            max_lifecycles: None,
            lag_every: opts.lag_every,
            progress: true,
        },
    )
    .await;

    let cpu_report = {
        let backends = local_backends(&pool).await;
        let per_command = cpu::PerUnit::new(
            (!backends.is_empty()).then(|| db_before.used_until(&cpu::Snapshot::of(&backends))),
            Some(server_before.used_until(&cpu::Snapshot::of(&[server.pid]))),
            client_before.used_until(&cpu::Snapshot::of(&me)),
            load.commands,
        );
        cpu::CpuReport::new(raw_cpu, per_command)
    };

    let mail = match (mail_before, mail_totals(&api).await) {
        (Some((s0, p0)), Some((s1, p1))) => Some(report::MailReport {
            sent: s1 - s0,
            sent_per_sec: (s1 - s0) / load.seconds.max(1e-9),
            pending_before: p0,
            pending_after: p1,
        }),
        _ => None,
    };
    let group_commit = match (commits_before, commit_totals(&api).await) {
        (Some((b0, c0)), Some((b1, c1))) if b1 > b0 => Some(report::GroupCommit {
            transactions: b1 - b0,
            commands: c1 - c0,
            commands_per_transaction: (c1 - c0) / (b1 - b0),
        }),
        _ => None,
    };

    // 6. Constant rate: a fixed timetable, so slow answers delay everything behind them.
    let mut constant_rate = None;
    if !opts.no_rate_phase {
        let rate = opts.rate.unwrap_or(load.commands_per_sec / 2.0);
        if rate > 0.0 {
            eprintln!(
                "bench: load: {} virtual clients, constant rate {rate:.0} commands/s, {} s",
                opts.clients, opts.duration
            );
            monitor.phase("rate");
            constant_rate = Some(
                load::run(
                    &api,
                    &teams,
                    server.pid,
                    PhaseSpec {
                        name: "rate",
                        pace: Pace::Fixed {
                            t0: std::time::Instant::now(),
                            per_sec: rate,
                            next: Arc::new(AtomicU64::new(0)),
                        },
                        duration,
                        max_lifecycles: None,
                        lag_every: opts.lag_every,
                        progress: true,
                    },
                )
                .await,
            );
        }
    }
    let cluster_activity = monitor.finish();
    let memory = server.memory().unwrap_or_default();
    let table_scans = pool.table_scans().await;
    drop(api);
    if let Err(e) = server.stop().await {
        eprintln!("bench: {e}");
    }

    // 7. Replay the log into fresh projections.
    let replay = if opts.skip_replay {
        None
    } else {
        eprintln!("bench: scriptorium replay");
        let out = service.run(&["replay"]).await?;
        eprintln!();
        Some(parse_replay(&out).ok_or_else(|| format!("unexpected replay output: {out}"))?)
    };
    pool.close().await;
    machine.load_avg_end = report::load_avg();

    let ratio_to_raw = if raw.inserts_per_sec > 0.0 {
        load.commands_per_sec / raw.inserts_per_sec
    } else {
        0.0
    };
    let load_rss_max_mib = constant_rate
        .as_ref()
        .map_or(0.0, |r| r.server_rss_max_mib)
        .max(load.server_rss_max_mib);
    match &sink {
        Some(sink) => notes.push(format!(
            "Mail went over SMTP to a sink in the bench's process (the production path; its CPU is the client's): {} messages accepted.",
            sink.accepted.load(std::sync::atomic::Ordering::Relaxed)
        )),
        None => notes.push(
            "Mail went to `.eml` files under the service's data dir (its default without SMTP_URL).".to_string(),
        ),
    }
    let mut report = Report {
        started_at,
        config: Config {
            database: fresh.kind.name().to_string(),
            database_version: version,
            clients: opts.clients,
            duration_secs: opts.duration,
            rate: constant_rate.as_ref().and_then(|r| r.target_rate),
            scale: opts.scale,
            probe_lifecycles: opts.probe_lifecycles,
            probe_reads: opts.probe_reads,
            lag_every: opts.lag_every,
            git_commit: git_commit(),
        },
        machine,
        raw,
        probe_before,
        fill: fill_report,
        probe_after,
        load,
        ratio_to_raw,
        group_commit,
        mail,
        cpu: cpu_report,
        constant_rate,
        server: ServerReport {
            peak_rss_mib: memory.hwm_kib as f64 / 1024.0,
            final_rss_mib: memory.rss_kib as f64 / 1024.0,
            load_rss_max_mib,
        },
        replay,
        cluster_activity,
        table_scans,
        targets: Vec::new(),
        notes,
    };
    report.evaluate();
    Ok(report)
}

/// Samples writers elsewhere on a Postgres cluster every 100 ms, per phase of the run.
struct Monitor {
    state: Arc<std::sync::Mutex<Vec<PhaseActivity>>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Monitor {
    fn start(pool: &Pool, kind: Kind) -> Monitor {
        let state = Arc::new(std::sync::Mutex::new(Vec::<PhaseActivity>::new()));
        let task = (kind == Kind::Postgres).then(|| {
            let (pool, state) = (pool.clone(), state.clone());
            tokio::spawn(async move {
                loop {
                    if let Some((others, autovacuum)) = pool.other_writers().await {
                        let mut phases = state.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(a) = phases.last_mut() {
                            a.samples += 1;
                            a.samples_with_other_writers += u64::from(others > 0);
                            a.samples_with_autovacuum_writers += u64::from(autovacuum > 0);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        });
        Monitor { state, task }
    }

    fn phase(&self, name: &str) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(PhaseActivity {
                phase: name.to_string(),
                ..PhaseActivity::default()
            });
    }

    fn finish(self) -> Option<Vec<PhaseActivity>> {
        let task = self.task?;
        task.abort();
        let phases = self.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Some(phases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_replay_line() {
        let r = parse_replay(
            "replayed 1234 events in 0.52s (2373 events/s); swapped in the rebuilt tables, then applied 0 newer events\n",
        )
        .unwrap();
        assert_eq!(r.events, 1234);
        assert_eq!(r.seconds, 0.52);
        assert_eq!(r.events_per_sec, 2373.0);
    }
}
