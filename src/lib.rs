//! Scriptorium: an event-sourced order-processing service for commissioned written works.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod commit;
pub mod config;
pub mod db;
pub mod email;
pub mod files;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod offers;
pub mod process;
pub mod replay;
pub mod sessions;
pub mod store;
pub mod web;

pub use app::{App, Application, Ctx};
pub use clock::Clock;
pub use config::Config;
/// The hash chain lives with the log's format in `projections` (the bench links the
/// history it writes with it too); `crate::chain` is its path in the service.
pub use projections::chain;
