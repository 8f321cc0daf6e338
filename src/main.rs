/// mimalloc instead of the system allocator: glibc's malloc and free were a fifth of the
/// server's CPU under load (docs/benchmarks.md, round 3).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    scriptorium::cli::main()
}
