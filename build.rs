//! `sqlx::migrate!` embeds `migrations/` at compile time but does not tell Cargo to
//! watch it: without this, a new migration file alone would not rebuild the binary.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
