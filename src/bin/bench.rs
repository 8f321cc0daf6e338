//! `bench`: Scriptorium's benchmark harness (docs/benchmarks.md). A binary of its own,
//! outside `scriptorium serve`'s code path; the service runs as a child process.

#[path = "../bench/mod.rs"]
mod bench;

fn main() -> std::process::ExitCode {
    bench::main()
}
