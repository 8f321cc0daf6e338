//! A line on stderr every second while a phase runs.

use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

/// Prints `[label  Ns] <line()>` every second until aborted (nothing for an empty line).
pub fn every_second<F>(label: &'static str, mut line: F) -> JoinHandle<()>
where
    F: FnMut(Duration) -> String + Send + 'static,
{
    let started = Instant::now();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_secs(1),
            Duration::from_secs(1),
        );
        loop {
            tick.tick().await;
            let elapsed = started.elapsed();
            let text = line(elapsed);
            if !text.is_empty() {
                eprintln!("[{label} {:>4.0}s] {text}", elapsed.as_secs_f64());
            }
        }
    })
}

/// Counts per second between two calls, and overall.
pub struct Rate {
    last: u64,
    last_at: Instant,
    started: Instant,
}

impl Default for Rate {
    fn default() -> Self {
        Rate::new()
    }
}

impl Rate {
    pub fn new() -> Rate {
        let now = Instant::now();
        Rate {
            last: 0,
            last_at: now,
            started: now,
        }
    }

    /// (per second since the last call, per second overall)
    pub fn update(&mut self, total: u64) -> (f64, f64) {
        let now = Instant::now();
        let recent = (total - self.last.min(total)) as f64
            / now.duration_since(self.last_at).as_secs_f64().max(1e-3);
        self.last = total;
        self.last_at = now;
        let overall = total as f64 / now.duration_since(self.started).as_secs_f64().max(1e-3);
        (recent, overall)
    }
}
