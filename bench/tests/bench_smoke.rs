//! The benchmark harness (`bench/`) runs end to end: a short run on SQLite drives whole
//! lifecycles without an error and writes its figures as JSON and Markdown.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[test]
fn a_short_bench_run_on_sqlite_writes_its_figures() {
    let server = service_binary();
    let out_dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("--server")
        .arg(&server)
        .args([
            "--database-url",
            "sqlite:",
            "--clients",
            "2",
            "--duration",
            "2",
            "--probe-lifecycles",
            "2",
            "--probe-reads",
            "3",
            "--out",
        ])
        .arg(out_dir.path())
        .output()
        .expect("run bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("| figure | value |"), "{stdout}");

    let files: Vec<_> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let json = files
        .iter()
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a JSON result");
    assert!(files
        .iter()
        .any(|p| p.extension().is_some_and(|x| x == "md")));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert!(report["raw"]["inserts"].as_u64().unwrap() > 0, "{report}");
    assert!(report["load"]["commands"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["load"]["errors"], 0, "{report}");
    assert_eq!(report["probe_before"]["commands"]["errors"], 0, "{report}");
    assert!(report["replay"]["events"].as_u64().unwrap() > 0, "{report}");
    assert!(
        report["server"]["peak_rss_mib"].as_f64().unwrap() > 0.0,
        "{report}"
    );
}

/// The `scriptorium` binary next to `bench`: Cargo gives a test only its own package's
/// binaries (`CARGO_BIN_EXE_*`); `cargo test --workspace` builds the service's there.
fn service_binary() -> PathBuf {
    let bench = Path::new(env!("CARGO_BIN_EXE_bench"));
    bench.with_file_name(format!("scriptorium{}", std::env::consts::EXE_SUFFIX))
}
