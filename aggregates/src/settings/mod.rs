//! The `Settings` aggregate: the service's settings an admin changes at run time (one
//! stream, [`SETTINGS_ID`]). Each setting is a named integer; a setting never set has
//! the configured default, which the command brings along.

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::Settings;
pub use commands::SettingsCommand;
pub use error::SettingsError;
pub use events::{Setting, SettingChange, SettingsEvent};

/// The id of the one settings stream.
pub const SETTINGS_ID: &str = "00000000-0000-0000-0000-000000000000";
