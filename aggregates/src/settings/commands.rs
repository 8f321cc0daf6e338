use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::Setting;

/// What can be asked of the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettingsCommand {
    /// An admin sets these settings (any subset). `defaults` are the configured values of
    /// settings never set (each one's "old" value then). Values equal to the current ones
    /// change nothing.
    Change {
        values: BTreeMap<Setting, i64>,
        defaults: BTreeMap<Setting, i64>,
        at: DateTime<Utc>,
    },
}
