//! The command line: `serve` (the default), `migrate`, `user add`.

use std::process::ExitCode;

use aggregates::Role;
use clap::{Parser, Subcommand};

use crate::app::{redact, AppError, Application, Ctx, StartupError};
use crate::audit::AuditError;
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::replay::ReplayError;

/// Why a command failed: printed as `error: …`, with a non-zero exit.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Serve(std::io::Error),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unknown role {0:?}; one of: {roles}", roles = Role::ALL.map(Role::as_str).join(", "))]
    UnknownRole(String),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// `replay --verify` found differences (each printed already).
    #[error("{summary}: {rows} row(s) differ in {tables} table(s)")]
    Differences {
        summary: String,
        rows: usize,
        tables: usize,
    },
    #[error(transparent)]
    Projection(#[from] projections::ProjectionError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

#[derive(Parser)]
#[command(
    name = "scriptorium",
    about = "Order processing for commissioned written works"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Rebuild every projection from the event log and swap the rebuilt tables in.
    Replay {
        /// Rebuild into shadow tables and compare them with the live ones instead; exits
        /// non-zero on any difference.
        #[arg(long)]
        verify: bool,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage authors' profiles.
    Author {
        #[command(subcommand)]
        command: AuthorCommand,
    },
    /// Check the event log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every stream's hash chain; exits non-zero naming each stream's first broken link.
    Verify,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user with a role and a password.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        password: String,
    },
}

#[derive(Subcommand)]
enum AuthorCommand {
    /// Set an author's profile and rating, as an admin (`PUT /api/authors/{id}`).
    Profile {
        /// The author's user id.
        #[arg(long)]
        id: uuid::Uuid,
        /// What they write on, comma-separated ("History,Law").
        #[arg(long, value_delimiter = ',', required = true)]
        subjects: Vec<String>,
        /// 1..5 (two decimals); required the first time.
        #[arg(long)]
        rating: Option<f64>,
        /// How many active orders they may have at once, 1..100.
        #[arg(long)]
        max_active: i64,
        /// Whether they take new orders (default: as before; a new profile: yes).
        #[arg(long)]
        available: Option<bool>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = match crate::config::log_json() {
        Ok(json) => json,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr);
    // JSON: one object per line, with the fields of the line and of its spans (a
    // request's `request_id`), for a log collector (`SCRIPTORIUM_LOG_FORMAT=json`).
    if json {
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.init();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), CliError> {
    let config = Config::from_env()?;
    match command {
        Command::Serve => {
            let addr = config.addr.clone();
            let url = redact(&config.database_url);
            let application = Application::build(config, Clock::System).await?;
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|source| CliError::Listen {
                    addr: addr.clone(),
                    source,
                })?;
            tracing::info!(%addr, database = %url, "scriptorium is serving");
            application.serve(listener).await.map_err(CliError::Serve)
        }
        Command::Migrate => {
            let db = crate::db::connect(&config.database_url).await?;
            crate::db::migrate(&db).await?;
            println!("migrated {}", redact(&config.database_url));
            Ok(())
        }
        Command::Replay { verify } => replay(&config, verify).await,
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    role,
                    password,
                },
        } => {
            let role = Role::parse(&role).ok_or_else(|| CliError::UnknownRole(role.clone()))?;
            // One command, not a server: the workers are the running instances' business.
            let config = Config {
                run_workers: false,
                ..config
            };
            let application = Application::build(config, Clock::System).await?;
            let ctx = Ctx::system(&format!("cli-{}", uuid::Uuid::new_v4()));
            let result = application
                .app
                .create_user(&email, &name, role, &password, None, &ctx)
                .await;
            application.stop().await;
            let id = result?;
            let email = aggregates::user::parse_email(&email).unwrap_or(email);
            println!("created {role} {email} with id {id}");
            Ok(())
        }
        Command::Author {
            command:
                AuthorCommand::Profile {
                    id,
                    subjects,
                    rating,
                    max_active,
                    available,
                },
        } => {
            // One command, not a server: the workers are the running instances' business.
            let config = Config {
                run_workers: false,
                ..config
            };
            let application = Application::build(config, Clock::System).await?;
            let ctx = Ctx::system(&format!("cli-{}", uuid::Uuid::new_v4()));
            let profile = crate::app::authors::NewProfile {
                subjects,
                rating,
                max_active_orders: max_active,
                available,
            };
            let result = application.app.set_author_profile(&ctx, id, profile).await;
            application.stop().await;
            let a = result?.author;
            println!(
                "author {} ({}): rating {:.2}, subjects {}, at most {} active orders, {}",
                a.id,
                a.full_name,
                a.rating,
                a.subjects.join(", "),
                a.max_active_orders,
                if a.available {
                    "available"
                } else {
                    "unavailable"
                }
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => Ok(crate::audit::verify_command(&config.database_url).await?),
    }
}

async fn replay(config: &Config, verify: bool) -> Result<(), CliError> {
    let db = crate::db::connect(&config.database_url).await?;
    crate::db::migrate(&db).await?;
    let report = crate::replay::run(&db, verify).await?;
    let rate = report.events as f64 / report.seconds.max(1e-6);
    for (table, only_live, only_rebuilt) in &report.differences {
        println!(
            "{table}: {} row(s) only in the live table, {} only in the rebuild",
            only_live.len(),
            only_rebuilt.len()
        );
        for row in only_live.iter().take(20) {
            println!("  - live:    {row}");
        }
        for row in only_rebuilt.iter().take(20) {
            println!("  + rebuilt: {row}");
        }
    }
    let summary = format!(
        "replayed {} events in {:.2}s ({rate:.0} events/s)",
        report.events, report.seconds
    );
    if verify {
        if report.differences.is_empty() {
            println!("{summary}: the live projections equal the replay");
            Ok(())
        } else {
            Err(CliError::Differences {
                summary,
                rows: report.differing_rows(),
                tables: report.differences.len(),
            })
        }
    } else {
        // The rebuilt tables are in; bring them up to the end of the log.
        let runner = projections::main_runner(db.clone());
        let more = runner.catch_up(None, |_| {}).await?;
        println!("{summary}; swapped in the rebuilt tables, then applied {more} newer events");
        Ok(())
    }
}
