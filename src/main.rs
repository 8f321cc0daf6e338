fn main() -> std::process::ExitCode {
    scriptorium::cli::main()
}
