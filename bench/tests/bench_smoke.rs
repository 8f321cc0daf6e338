//! The benchmark harness (`bench/`) runs end to end: a short run on SQLite drives whole
//! lifecycles without an error and writes its figures as JSON and Markdown.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

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

/// The `scriptorium` binary next to `bench` in the same target directory and profile.
///
/// Cargo gives a test only its own package's binaries (`CARGO_BIN_EXE_*`), so the service's
/// is found by path: `cargo test --workspace` (what CI runs) has just built it there for
/// the service's own tests. When it is missing or older than the service's sources (say,
/// `cargo test -p bench`), it is built first, with `cargo build -p scriptorium`.
fn service_binary() -> PathBuf {
    let bench = Path::new(env!("CARGO_BIN_EXE_bench"));
    let profile_dir = bench.parent().expect("bench's folder");
    let bin = profile_dir.join(format!("scriptorium{}", std::env::consts::EXE_SUFFIX));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let sources = [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src",
        "migrations",
        "aggregates",
        "projections",
    ];
    let built = modified(&bin);
    if built.is_some() && sources.iter().filter_map(|p| newest(&root.join(p))).max() <= built {
        return bin;
    }

    // <target dir>/[<triple>/]<profile folder>/bench; the target dir holds `tmp`.
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => panic!("no profile folder in {}", bench.display()),
    };
    let mut build = Command::new(env!("CARGO"));
    // Not the variables Cargo set for this test (build scripts such as ring's watch
    // CARGO_MANIFEST_DIR): with them, this build and a plain one would rebuild each other.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_",
        ]
        .iter()
        .any(|p| name.starts_with(p))
            || name == "CARGO_TARGET_TMPDIR"
            || name == "OUT_DIR"
        {
            build.env_remove(&*name);
        }
    }
    build
        .current_dir(root)
        .args(["build", "-p", "scriptorium", "--bin", "scriptorium"])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target_dir);
    let above = profile_dir
        .parent()
        .expect("the folder above the profile's");
    if above != target_dir {
        build
            .arg("--target")
            .arg(above.file_name().expect("a target triple"));
    }
    let status = build.status().expect("run cargo build");
    assert!(status.success(), "cargo build -p scriptorium failed");
    assert!(bin.is_file(), "cargo build made no {}", bin.display());
    bin
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The latest modification time of a file, or of any file under a folder.
fn newest(path: &Path) -> Option<SystemTime> {
    let own = modified(path);
    match std::fs::read_dir(path) {
        Ok(entries) => entries
            .filter_map(|e| newest(&e.ok()?.path()))
            .chain(own)
            .max(),
        Err(_) => own,
    }
}
