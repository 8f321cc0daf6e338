//! The `Settings` aggregate's state, its decisions ([`Settings::decide`]) and how events
//! change it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::commands::SettingsCommand;
use super::error::SettingsError;
use super::events::{Setting, SettingChange, SettingsEvent};

/// The settings set so far (a setting never set is not here: its default applies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub values: BTreeMap<Setting, i64>,
}

impl Settings {
    /// Decides what `command` means: one `SettingsChanged` with the real changes, none
    /// when nothing changes, or why not. Pure; every value is checked before any event.
    pub fn decide(&self, command: SettingsCommand) -> Result<Vec<SettingsEvent>, SettingsError> {
        match command {
            SettingsCommand::Change {
                values,
                defaults,
                at,
            } => self.change(values, &defaults, at),
        }
    }

    fn change(
        &self,
        values: BTreeMap<Setting, i64>,
        defaults: &BTreeMap<Setting, i64>,
        at: DateTime<Utc>,
    ) -> Result<Vec<SettingsEvent>, SettingsError> {
        let mut changes = Vec::new();
        for (setting, new) in values {
            let range = setting.range();
            if !range.contains(&new) {
                return Err(SettingsError::OutOfRange {
                    setting,
                    min: *range.start(),
                    max: *range.end(),
                });
            }
            let old = self
                .values
                .get(&setting)
                .or(defaults.get(&setting))
                .copied();
            // The current value (set, or the default never set): nothing changes.
            if old == Some(new) {
                continue;
            }
            changes.push(SettingChange {
                setting,
                old: old.unwrap_or(new),
                new,
            });
        }
        if changes.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![SettingsEvent::SettingsChanged { changes, at }])
    }
}

impl Aggregate for Settings {
    const TYPE: &'static str = "Settings";
    type Command = SettingsCommand;
    type Event = SettingsEvent;
    type Error = SettingsError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            SettingsEvent::SettingsChanged { changes, .. } => {
                for c in changes {
                    self.values.insert(c.setting, c.new);
                }
            }
        }
    }
}
