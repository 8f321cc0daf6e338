//! The command line: `serve` (the default), `migrate`, `user add`.

use std::process::ExitCode;

use aggregates::Role;
use clap::{Parser, Subcommand};

use crate::app::{redact, Application, Ctx};
use crate::clock::Clock;
use crate::config::Config;

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
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
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

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
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

async fn run(command: Command) -> Result<(), String> {
    let config = Config::from_env()?;
    match command {
        Command::Serve => {
            let addr = config.addr.clone();
            let url = redact(&config.database_url);
            let application = Application::build(config, Clock::System).await?;
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            tracing::info!(%addr, database = %url, "scriptorium is serving");
            application.serve(listener).await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            let db = crate::db::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            crate::db::migrate(&db).await.map_err(|e| e.to_string())?;
            println!("migrated {}", redact(&config.database_url));
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    role,
                    password,
                },
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!(
                    "unknown role {role:?}; one of: {}",
                    Role::ALL.map(Role::as_str).join(", ")
                )
            })?;
            let application = Application::build(config, Clock::System).await?;
            let ctx = Ctx::system(&format!("cli-{}", uuid::Uuid::new_v4()));
            let result = application
                .app
                .create_user(&email, &name, role, &password, &ctx)
                .await;
            application.stop().await;
            let id = result.map_err(|e| e.to_string())?;
            let email = aggregates::user::parse_email(&email).unwrap_or(email);
            println!("created {role} {email} with id {id}");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => crate::audit::verify_command(&config.database_url).await,
    }
}
