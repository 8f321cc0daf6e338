//! The `Shift` aggregate's state, its decisions ([`Shift::decide`]) and how events change it.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::commands::ShiftCommand;
use super::error::ShiftError;
use super::events::ShiftEvent;

/// One manager's shifts, rebuilt from its events. Fields are for reading only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// When the current shift started; `None` while off shift.
    pub on_shift_since: Option<DateTime<Utc>>,
    /// When the last shift ended, if one has.
    pub last_ended_at: Option<DateTime<Utc>>,
    /// How many shifts the manager has started.
    pub shifts_started: u32,
}

impl Shift {
    /// Whether the manager is on shift now.
    pub fn is_on_shift(&self) -> bool {
        self.on_shift_since.is_some()
    }

    /// Decides what `command` means for this shift: the events to record, or why not. Pure.
    /// The times are not compared with each other: the clocks of two instances may differ a
    /// little, and that must not keep a manager from ending a shift.
    pub fn decide(&self, command: ShiftCommand) -> Result<Vec<ShiftEvent>, ShiftError> {
        match command {
            ShiftCommand::StartShift { at } => {
                if self.is_on_shift() {
                    return Err(ShiftError::AlreadyOnShift);
                }
                Ok(vec![ShiftEvent::ShiftStarted { at }])
            }
            ShiftCommand::EndShift { at } => {
                if !self.is_on_shift() {
                    return Err(ShiftError::NotOnShift);
                }
                Ok(vec![ShiftEvent::ShiftEnded { at }])
            }
        }
    }
}

impl Aggregate for Shift {
    const TYPE: &'static str = "Shift";
    type Command = ShiftCommand;
    type Event = ShiftEvent;
    type Error = ShiftError;
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
            ShiftEvent::ShiftStarted { at } => {
                self.on_shift_since = Some(at);
                self.shifts_started = self.shifts_started.saturating_add(1);
            }
            ShiftEvent::ShiftEnded { at } => {
                self.on_shift_since = None;
                self.last_ended_at = Some(at);
            }
        }
    }
}
