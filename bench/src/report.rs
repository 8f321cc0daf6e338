//! The figures of a run: JSON (everything) and a Markdown summary.

use std::fmt::Write as _;

use serde::Serialize;

use super::fill::FillReport;
use super::load::{PhaseReport, ProbeReport};
use super::raw::RawReport;
use super::stats::Summary;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cpus: usize,
    pub memory_gib: f64,
    pub kernel: String,
    /// /proc/loadavg when the run started and ended: other work on the machine.
    pub load_avg_start: String,
    pub load_avg_end: String,
}

impl Machine {
    pub fn read() -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let mem_kib: f64 = read("/proc/meminfo")
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        Machine {
            cpu_model,
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            load_avg_start: load_avg(),
            load_avg_end: String::new(),
        }
    }
}

pub fn load_avg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub database: String,
    pub database_version: String,
    pub clients: usize,
    pub duration_secs: u64,
    pub rate: Option<f64>,
    pub scale: u64,
    pub probe_lifecycles: u64,
    pub probe_reads: usize,
    /// The projection lag is sampled on every n-th lifecycle (0: not sampled).
    pub lag_every: u64,
    pub git_commit: String,
}

/// Postgres: writing transactions elsewhere on the cluster, sampled every 100 ms during
/// one phase of the run. They hold the service's feed back (decision 002).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PhaseActivity {
    pub phase: String,
    pub samples: u64,
    /// Samples in which another database had a writing transaction open.
    pub samples_with_other_writers: u64,
    /// Samples in which an autovacuum worker (any database) held a transaction id.
    pub samples_with_autovacuum_writers: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerReport {
    /// VmHWM of `scriptorium serve` at the end of the load (MiB).
    pub peak_rss_mib: f64,
    /// VmRSS at the end (MiB).
    pub final_rss_mib: f64,
    /// The largest VmRSS sampled (every second) during the load phases (MiB).
    pub load_rss_max_mib: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub events: u64,
    pub seconds: f64,
    pub events_per_sec: f64,
    pub output: String,
}

/// One of the targets, as measured in this run.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub started_at: String,
    pub config: Config,
    pub machine: Machine,
    pub raw: RawReport,
    pub probe_before: ProbeReport,
    pub fill: Option<FillReport>,
    pub probe_after: Option<ProbeReport>,
    pub load: PhaseReport,
    /// Ratio of the load's commands/s to the raw insert transactions/s.
    pub ratio_to_raw: f64,
    /// CPU time per raw insert and per command of the closed loop, and their ratio.
    pub cpu: super::cpu::CpuReport,
    /// Group commit in the closed loop (the service's `/metrics`): transactions that
    /// appended commands' events, and the commands in them.
    pub group_commit: Option<GroupCommit>,
    /// The mail the closed loop caused: sent in it (the service's `/metrics`), and what
    /// waited in the outbox before and after it.
    pub mail: Option<MailReport>,
    pub constant_rate: Option<PhaseReport>,
    pub server: ServerReport,
    pub replay: Option<ReplayReport>,
    /// Postgres: per phase, writers elsewhere on the cluster.
    pub cluster_activity: Option<Vec<PhaseActivity>>,
    /// Postgres: per table, sequential and index scans since the database was made
    /// (pg_stat_user_tables) — a sequential scan per event shows up here.
    pub table_scans: Option<serde_json::Value>,
    pub targets: Vec<Target>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct GroupCommit {
    pub transactions: f64,
    pub commands: f64,
    pub commands_per_transaction: f64,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct MailReport {
    pub sent: f64,
    pub sent_per_sec: f64,
    pub pending_before: f64,
    pub pending_after: f64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

impl Report {
    /// Compares the run with the targets.
    pub fn evaluate(&mut self) {
        let mut t = Vec::new();
        let db = &self.config.database;
        t.push(Target {
            target: format!("lifecycle commands/s ≥ 40% of raw single-row insert transactions/s (issue: on Postgres; this run: {db})"),
            measured: format!(
                "{:.0} / {:.0} = {:.1}%",
                self.load.commands_per_sec,
                self.raw.inserts_per_sec,
                self.ratio_to_raw * 100.0
            ),
            met: self.ratio_to_raw >= 0.4,
        });
        if let Some(r) = &self.constant_rate {
            t.push(Target {
                target: format!(
                    "p99 command latency < 25 ms at half the max rate (here {:.0} commands/s, from the scheduled start)",
                    r.target_rate.unwrap_or(0.0)
                ),
                measured: format!("p99 {:.1} ms (p50 {:.1} ms)", r.all_commands.p99_ms, r.all_commands.p50_ms),
                met: r.all_commands.p99_ms < 25.0 && r.all_commands.count > 0,
            });
        }
        let lag = &self.load.lag.all;
        if lag.count > 0 {
            t.push(Target {
            target:
                "projection lag p99 < 50 ms (answer → row in the manager's table, under max load)"
                    .into(),
            measured: format!(
                "p99 {:.1} ms (p50 {:.1} ms, {} samples)",
                lag.p99_ms, lag.p50_ms, lag.count
            ),
                met: lag.p99_ms < 50.0,
            });
        }
        if let Some(r) = &self.replay {
            t.push(Target {
                target: "replay ≥ 50 000 events/s".into(),
                measured: format!("{:.0} events/s ({} events)", r.events_per_sec, r.events),
                met: r.events_per_sec >= 50_000.0,
            });
        }
        if let Some(after) = &self.probe_after {
            let before = &self.probe_before;
            let c = ratio(
                after.commands.all_commands.p50_ms,
                before.commands.all_commands.p50_ms,
            );
            t.push(Target {
                target: format!(
                    "command latency with {} events within 20% of the near-empty store (p50, one at a time)",
                    after.events_in_store
                ),
                measured: format!(
                    "p50 {:.2} → {:.2} ms (×{c:.2}); p99 {:.2} → {:.2} ms",
                    before.commands.all_commands.p50_ms,
                    after.commands.all_commands.p50_ms,
                    before.commands.all_commands.p99_ms,
                    after.commands.all_commands.p99_ms
                ),
                met: c <= 1.2,
            });
            let l = ratio(
                after.reads.first_page.p50_ms,
                before.reads.first_page.p50_ms,
            );
            t.push(Target {
                target: "GET /api/orders (manager's first page) stays flat as the history grows (within 20%)".into(),
                measured: format!(
                    "p50 {:.2} → {:.2} ms (×{l:.1}); the manager's total {} → {}",
                    before.reads.first_page.p50_ms,
                    after.reads.first_page.p50_ms,
                    before.reads.manager_total,
                    after.reads.manager_total
                ),
                met: l <= 1.2,
            });
        }
        t.push(Target {
            target: "server memory < 200 MB (peak RSS, VmHWM)".into(),
            measured: format!("{:.0} MiB", self.server.peak_rss_mib),
            met: self.server.peak_rss_mib * 1.048_576 < 200.0,
        });
        self.targets = t;
    }

    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let c = &self.config;
        let mc = &self.machine;
        let _ = writeln!(
            m,
            "## Scriptorium benchmark — {}, {} clients, {} s{}\n",
            c.database,
            c.clients,
            c.duration_secs,
            if c.scale > 0 {
                format!(", history of {} events", c.scale)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            m,
            "{} · {} × {} · {} GiB RAM · Linux {} · load average {} at the start, {} at the end · {} · commit {}\n",
            self.started_at,
            mc.cpus,
            mc.cpu_model,
            mc.memory_gib,
            mc.kernel,
            mc.load_avg_start,
            mc.load_avg_end,
            c.database_version,
            c.git_commit
        );
        let _ = writeln!(m, "| figure | value |\n| --- | --- |");
        let r = &self.raw;
        let _ = writeln!(
            m,
            "| raw limit: single-row insert transactions into an events-shaped table ({} tasks, {} connection(s)) | **{:.0}/s** (p50 {:.2} ms, p99 {:.2} ms) |",
            r.concurrency, r.connections, r.inserts_per_sec, r.latency.p50_ms, r.latency.p99_ms
        );
        let l = &self.load;
        let _ = writeln!(
            m,
            "| lifecycle commands, closed loop, {} clients | **{:.0}/s** = **{:.1}%** of the raw limit ({} commands, {} lifecycles, {} errors) |",
            l.clients, l.commands_per_sec, self.ratio_to_raw * 100.0, l.commands, l.lifecycles, l.errors
        );
        let c = &self.cpu;
        let _ = writeln!(
            m,
            "| CPU per raw insert · per command (closed loop; all processes on this machine, from /proc) | {} · {} → ratio **{:.1}%** |",
            c.per_raw_insert.describe(),
            c.per_command.describe(),
            c.ratio * 100.0
        );
        if let Some(g) = &self.group_commit {
            let _ = writeln!(
                m,
                "| group commit (closed loop, from the service's /metrics) | {:.0} commands in {:.0} transactions = **{:.2} commands per transaction** |",
                g.commands, g.transactions, g.commands_per_transaction
            );
        }
        if let Some(mail) = &self.mail {
            let _ = writeln!(
                m,
                "| mail (closed loop, from the service's /metrics) | {:.0} sent = {:.0}/s; outbox pending {:.0} → {:.0} |",
                mail.sent, mail.sent_per_sec, mail.pending_before, mail.pending_after
            );
        }
        let _ = writeln!(
            m,
            "| command latency at max rate | p50 {:.1} · p95 {:.1} · p99 {:.1} · p99.9 {:.1} ms |",
            l.all_commands.p50_ms,
            l.all_commands.p95_ms,
            l.all_commands.p99_ms,
            l.all_commands.p999_ms
        );
        if let Some(k) = &self.constant_rate {
            let _ = writeln!(
                m,
                "| constant rate {:.0} commands/s (latency from the scheduled start) | achieved {:.0}/s, p50 {:.1} · p95 {:.1} · p99 {:.1} · p99.9 {:.1} ms, {} not issued, {} errors |",
                k.target_rate.unwrap_or(0.0),
                k.commands_per_sec,
                k.all_commands.p50_ms,
                k.all_commands.p95_ms,
                k.all_commands.p99_ms,
                k.all_commands.p999_ms,
                k.not_issued.unwrap_or(0),
                k.errors
            );
        }
        if l.lag.all.count > 0 {
            let _ = writeln!(
                m,
                "| projection lag (answer → end of the first `GET /api/orders?q=<number>` showing it; with no stale read, that read's own latency) | p50 {:.1} · p99 {:.1} ms ({} samples, {} stale reads, {} not seen in 5 s) |",
                l.lag.all.p50_ms, l.lag.all.p99_ms, l.lag.all.count, l.lag.stale_reads, l.lag.not_seen
            );
        } else {
            let _ = writeln!(m, "| projection lag | not sampled (`--lag-every 0`) |");
        }
        let _ = writeln!(
            m,
            "| server memory | peak (VmHWM) {:.0} MiB; during the load at most {:.0} MiB; at the end {:.0} MiB |",
            self.server.peak_rss_mib, self.server.load_rss_max_mib, self.server.final_rss_mib
        );
        if let Some(phases) = &self.cluster_activity {
            let parts: Vec<String> = phases
                .iter()
                .map(|a| {
                    format!(
                        "{} {}/{}{}",
                        a.phase,
                        a.samples_with_other_writers,
                        a.samples,
                        if a.samples_with_autovacuum_writers > 0 {
                            format!(" (+autovacuum {})", a.samples_with_autovacuum_writers)
                        } else {
                            String::new()
                        }
                    )
                })
                .collect();
            let _ = writeln!(
                m,
                "| samples with a writing transaction open in another database of the cluster (it holds the feed back) | {} |",
                parts.join(" · ")
            );
        }
        if let Some(rp) = &self.replay {
            let _ = writeln!(
                m,
                "| replay into fresh projections | **{:.0} events/s** ({} events in {:.1} s) |",
                rp.events_per_sec, rp.events, rp.seconds
            );
        }
        if let Some(f) = &self.fill {
            let _ = writeln!(
                m,
                "| history filled ({}) | {} events ({} orders) in {:.1} s = {:.0} events/s |",
                f.method, f.events, f.orders, f.seconds, f.events_per_sec
            );
            let _ = writeln!(
                m,
                "| service projections catching up on it | {:.1} s = {:.0} events/s |",
                f.catch_up_seconds, f.catch_up_events_per_sec
            );
            let _ = writeln!(
                m,
                "| database size after the catch-up | {:.0} MiB |",
                f.database_bytes as f64 / 1024.0 / 1024.0
            );
        }

        let _ = writeln!(m, "\n### Latency per endpoint (ms)\n");
        let mut header =
            String::from("| endpoint | max rate: n | p50 | p95 | p99 | p99.9 | errors |");
        let mut rule = String::from("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        if self.constant_rate.is_some() {
            header.push_str(" constant rate: p50 | p95 | p99 | p99.9 |");
            rule.push_str(" ---: | ---: | ---: | ---: |");
        }
        let _ = writeln!(m, "{header}\n{rule}");
        let mut rows: Vec<(String, Summary, u64, Option<Summary>)> = l
            .endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let k = self.constant_rate.as_ref().map(|k| k.endpoints[i].latency);
                (e.endpoint.clone(), e.latency, e.errors, k)
            })
            .collect();
        rows.push((
            "**all commands**".into(),
            l.all_commands,
            l.errors,
            self.constant_rate.as_ref().map(|k| k.all_commands),
        ));
        for (name, s, errors, k) in rows {
            let mut line = format!(
                "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {errors} |",
                s.count, s.p50_ms, s.p95_ms, s.p99_ms, s.p999_ms
            );
            if let Some(k) = k {
                let _ = write!(
                    line,
                    " {:.1} | {:.1} | {:.1} | {:.1} |",
                    k.p50_ms, k.p95_ms, k.p99_ms, k.p999_ms
                );
            }
            let _ = writeln!(m, "{line}");
        }

        let _ = writeln!(m, "\n### One request at a time (unloaded probe)\n");
        let _ = writeln!(
            m,
            "| store | events | command p50 | command p99 | list first page p50 / p99 | list ?q=number p50 / p99 | list ?q=word p50 / p99 | list ?status=completed p50 / p99 | manager's total |"
        );
        let _ = writeln!(
            m,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        let mut probes = vec![("before the fill", &self.probe_before)];
        if let Some(a) = &self.probe_after {
            probes.push(("after the fill", a));
        }
        for (name, p) in probes {
            let _ = writeln!(
                m,
                "| {name} | {} | {:.2} | {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {} |",
                p.events_in_store,
                p.commands.all_commands.p50_ms,
                p.commands.all_commands.p99_ms,
                p.reads.first_page.p50_ms,
                p.reads.first_page.p99_ms,
                p.reads.q_number.p50_ms,
                p.reads.q_number.p99_ms,
                p.reads.q_text.p50_ms,
                p.reads.q_text.p99_ms,
                p.reads.status.p50_ms,
                p.reads.status.p99_ms,
                p.reads.manager_total
            );
        }

        let _ = writeln!(
            m,
            "\n### Targets of the issue\n\n| target | measured | met |\n| --- | --- | --- |"
        );
        for t in &self.targets {
            let _ = writeln!(
                m,
                "| {} | {} | {} |",
                t.target,
                t.measured,
                if t.met { "yes" } else { "**no**" }
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(m);
            for n in &self.notes {
                let _ = writeln!(m, "- {n}");
            }
        }
        m
    }
}
