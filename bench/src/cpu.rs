//! CPU time per unit of work: what each process of a phase (the bench's own client, the
//! service, the database's backends for the bench database) spent, from
//! `/proc/<pid>/stat`, divided by the inserts or commands the phase completed. On a shared
//! machine wall-clock rates move with the neighbours; CPU time per unit mostly does not.
//!
//! A backend is found through `pg_stat_activity` (PostgreSQL on this machine only); one
//! that starts during a phase counts from zero, one that ends during it is missed.

use std::collections::HashMap;

use serde::Serialize;

/// The kernel's clock ticks per second for `/proc/<pid>/stat` (USER_HZ: 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// CPU seconds (user + system, all threads) a process has used, if it can be read.
pub fn seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}

/// CPU seconds of a set of processes at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot(HashMap<u32, f64>);

impl Snapshot {
    pub fn of(pids: &[u32]) -> Snapshot {
        Snapshot(
            pids.iter()
                .filter_map(|&p| seconds(p).map(|s| (p, s)))
                .collect(),
        )
    }

    /// CPU seconds used between `self` and `later` (a process new in `later` counts whole).
    pub fn used_until(&self, later: &Snapshot) -> f64 {
        later
            .0
            .iter()
            .map(|(pid, s)| s - self.0.get(pid).copied().unwrap_or(0.0))
            .filter(|d| *d > 0.0)
            .sum()
    }
}

/// Where one phase's CPU went, per unit of work (milliseconds).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PerUnit {
    /// The database's backends (PostgreSQL); SQLite works inside the service or the client.
    pub database_ms: Option<f64>,
    /// The service (`None` for the raw limit, which has none).
    pub server_ms: Option<f64>,
    /// The bench process: the raw limit's inserting tasks, or the virtual clients.
    pub client_ms: f64,
    pub total_ms: f64,
    pub units: u64,
}

impl PerUnit {
    pub fn new(
        database_s: Option<f64>,
        server_s: Option<f64>,
        client_s: f64,
        units: u64,
    ) -> PerUnit {
        let per = |s: f64| {
            if units > 0 {
                s * 1000.0 / units as f64
            } else {
                0.0
            }
        };
        let database_ms = database_s.map(per);
        let server_ms = server_s.map(per);
        let client_ms = per(client_s);
        PerUnit {
            total_ms: database_ms.unwrap_or(0.0) + server_ms.unwrap_or(0.0) + client_ms,
            database_ms,
            server_ms,
            client_ms,
            units,
        }
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.database_ms {
            parts.push(format!("database {d:.3}"));
        }
        if let Some(s) = self.server_ms {
            parts.push(format!("service {s:.3}"));
        }
        parts.push(format!("client {:.3}", self.client_ms));
        format!("{} = **{:.3} ms**", parts.join(" + "), self.total_ms)
    }
}

/// CPU per raw insert and per lifecycle command, and their ratio: the share of the
/// machine's cost of a bare insert that a command costs, whatever the neighbours did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CpuReport {
    pub per_raw_insert: PerUnit,
    pub per_command: PerUnit,
    /// per_raw_insert.total_ms / per_command.total_ms.
    pub ratio: f64,
}

impl CpuReport {
    pub fn new(per_raw_insert: PerUnit, per_command: PerUnit) -> CpuReport {
        let ratio = if per_command.total_ms > 0.0 {
            per_raw_insert.total_ms / per_command.total_ms
        } else {
            0.0
        };
        CpuReport {
            per_raw_insert,
            per_command,
            ratio,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_uses_cpu_and_a_snapshot_sees_it() {
        let me = std::process::id();
        let before = Snapshot::of(&[me]);
        let mut x = 0u64;
        let t = std::time::Instant::now();
        while t.elapsed() < std::time::Duration::from_millis(200) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let used = before.used_until(&Snapshot::of(&[me]));
        assert!(used > 0.05 && used < 5.0, "{used}");
    }

    #[test]
    fn per_unit_divides_and_sums() {
        let p = PerUnit::new(Some(2.0), Some(1.0), 0.5, 1000);
        assert_eq!(p.database_ms, Some(2.0));
        assert_eq!(p.server_ms, Some(1.0));
        assert!((p.total_ms - 3.5).abs() < 1e-9);
        let raw = PerUnit::new(Some(0.7), None, 0.3, 1000);
        assert!((CpuReport::new(raw, p).ratio - 1.0 / 3.5).abs() < 1e-9);
    }
}
