//! The real `scriptorium` binary as child processes: `serve` on a free loopback port,
//! and the one-shot commands (`migrate`, `user add`, `replay`). Memory from /proc.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::client::Api;

/// How to run the service binary against the bench's database.
#[derive(Clone, Debug)]
pub struct Service {
    pub bin: PathBuf,
    pub url: String,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// Where the service sends mail (`SMTP_URL`); none: its `.eml` files.
    pub smtp_url: Option<String>,
}

impl Service {
    /// `scriptorium` next to this `bench` binary (`cargo build --release` builds both).
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, String> {
        let bin = match explicit {
            Some(p) => p.to_path_buf(),
            None => std::env::current_exe()
                .map_err(|e| format!("cannot find this executable: {e}"))?
                .with_file_name("scriptorium"),
        };
        if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!(
                "no service binary at {} — build it with `cargo build --release` (or pass --server PATH)",
                bin.display()
            ))
        }
    }

    fn command(&self, program_args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(&self.bin);
        c.args(program_args)
            .env("DATABASE_URL", &self.url)
            .env("SCRIPTORIUM_DATA_DIR", &self.data_dir)
            .env("RUST_LOG", "warn")
            .env("PAYMENT_WEBHOOK_SECRET", crate::client::WEBHOOK_SECRET)
            .envs(self.smtp_url.iter().map(|u| ("SMTP_URL", u)))
            .kill_on_drop(true);
        c
    }

    /// Runs a one-shot command to its end; its stderr passes through (progress), its
    /// stdout is returned. Fails with the output when the command fails.
    pub async fn run(&self, args: &[&str]) -> Result<String, String> {
        // spawn + wait_with_output: `output()` would capture stderr too, hiding progress.
        let out = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.bin.display()))?
            .wait_with_output()
            .await
            .map_err(|e| format!("scriptorium {args:?}: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "scriptorium {args:?} failed ({}): {stdout}",
                out.status
            ))
        }
    }

    /// Starts `scriptorium serve` on a free loopback port and waits for `/healthz`.
    pub async fn start(&self, name: &str) -> Result<Server, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let addr = format!("127.0.0.1:{port}");
        std::fs::create_dir_all(&self.log_dir).map_err(|e| e.to_string())?;
        let log = self.log_dir.join(format!("{name}.log"));
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let child = Command::new(&self.bin)
            .arg("serve")
            .env("DATABASE_URL", &self.url)
            .env("SCRIPTORIUM_DATA_DIR", &self.data_dir)
            .env("SCRIPTORIUM_ADDR", &addr)
            .env("RUST_LOG", "warn")
            .env("PAYMENT_WEBHOOK_SECRET", crate::client::WEBHOOK_SECRET)
            .envs(self.smtp_url.iter().map(|u| ("SMTP_URL", u)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        let mut server = Server {
            pid: child.id(),
            child,
            addr,
            log,
        };
        let api = Api::new(&server.addr);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "the service exited ({status}) before answering: {}",
                    server.log_tail()
                ));
            }
            if api.get("/healthz", None).await.is_ok_and(|a| a.ok()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server.kill();
        Err(format!(
            "the service did not answer /healthz within 60 s: {}",
            server.log_tail()
        ))
    }
}

/// A running `scriptorium serve`.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub addr: String,
    pub log: PathBuf,
}

/// Resident memory of a process, in KiB: now (VmRSS) and its peak so far (VmHWM).
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

impl Server {
    pub fn memory(&self) -> Option<Memory> {
        memory(self.pid)
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Stops the service gracefully (SIGINT, as ctrl-c), or kills it after 20 s.
    pub async fn stop(mut self) -> Result<(), String> {
        let _ = Command::new("kill")
            .args(["-INT", &self.pid.to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.kill();
        Err("the service did not stop within 20 s of SIGINT; killed it".into())
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}
