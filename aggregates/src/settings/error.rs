use thiserror::Error;

use super::events::Setting;

/// Why the settings refused a command: every refusal is a value out of range (422).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsError {
    #[error("{} must be between {min} and {max}", setting.as_str())]
    OutOfRange {
        setting: Setting,
        min: i64,
        max: i64,
    },
}
