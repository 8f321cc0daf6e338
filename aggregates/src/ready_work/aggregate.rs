//! The `ReadyWork` aggregate's state, its decisions ([`ReadyWork::decide`]) and how events
//! change it.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commands::ReadyWorkCommand;
use super::error::ReadyWorkError;
use super::events::{ReadyWorkEvent, WorkFile};
use crate::common::{Actor, Kopecks, Role};

/// The most pages a work may have (as for an order).
pub const MAX_PAGES: u32 = 1000;

/// One ready-made work, rebuilt from its events. Fields are for reading only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyWork {
    /// Whether it was ever listed (a stream with no events is no work).
    pub listed: bool,
    /// Whether it has been taken off sale.
    pub delisted: bool,
    pub title: String,
    pub subject: String,
    pub work_type: String,
    pub pages: u32,
    pub price: Kopecks,
    pub description: String,
    pub file: Option<WorkFile>,
    pub listed_by: Option<Uuid>,
}

impl ReadyWork {
    /// Whether it can be bought now: listed and not delisted.
    pub fn on_sale(&self) -> bool {
        self.listed && !self.delisted
    }

    fn require_staff(actor: &Actor) -> Result<(), ReadyWorkError> {
        if matches!(actor.role, Role::Manager | Role::Admin) {
            Ok(())
        } else {
            Err(ReadyWorkError::NotStaff)
        }
    }

    /// Decides what `command` means for this work: the events to record, or why not. Pure.
    pub fn decide(&self, command: ReadyWorkCommand) -> Result<Vec<ReadyWorkEvent>, ReadyWorkError> {
        match command {
            ReadyWorkCommand::List {
                actor,
                title,
                subject,
                work_type,
                pages,
                price,
                description,
                file,
                ..
            } => {
                Self::require_staff(&actor)?;
                if self.listed {
                    return Err(ReadyWorkError::AlreadyListed);
                }
                let text = |v: String, what: &'static str| {
                    let v = v.trim().to_string();
                    if v.is_empty() {
                        Err(ReadyWorkError::EmptyField(what))
                    } else {
                        Ok(v)
                    }
                };
                let title = text(title, "title")?;
                let subject = text(subject, "subject")?;
                let work_type = text(work_type, "work_type")?;
                if !(1..=MAX_PAGES).contains(&pages) {
                    return Err(ReadyWorkError::InvalidPages);
                }
                if price <= 0 {
                    return Err(ReadyWorkError::InvalidPrice);
                }
                if file.size <= 0 || file.sha256.is_empty() {
                    return Err(ReadyWorkError::EmptyField("file"));
                }
                Ok(vec![ReadyWorkEvent::WorkListed {
                    title,
                    subject,
                    work_type,
                    pages,
                    price,
                    description: description.trim().to_string(),
                    file,
                    by: actor.id,
                }])
            }
            ReadyWorkCommand::Delist { actor, reason, .. } => {
                Self::require_staff(&actor)?;
                if !self.listed {
                    return Err(ReadyWorkError::NotListed);
                }
                if self.delisted {
                    return Err(ReadyWorkError::AlreadyDelisted);
                }
                let reason = reason.trim().to_string();
                if reason.is_empty() {
                    return Err(ReadyWorkError::EmptyField("reason"));
                }
                Ok(vec![ReadyWorkEvent::WorkDelisted {
                    reason,
                    by: actor.id,
                }])
            }
        }
    }
}

impl Aggregate for ReadyWork {
    const TYPE: &'static str = "ReadyWork";
    type Command = ReadyWorkCommand;
    type Event = ReadyWorkEvent;
    type Error = ReadyWorkError;
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
            ReadyWorkEvent::WorkListed {
                title,
                subject,
                work_type,
                pages,
                price,
                description,
                file,
                by,
            } => {
                self.listed = true;
                self.title = title;
                self.subject = subject;
                self.work_type = work_type;
                self.pages = pages;
                self.price = price;
                self.description = description;
                self.file = Some(file);
                self.listed_by = Some(by);
            }
            ReadyWorkEvent::WorkDelisted { .. } => self.delisted = true,
        }
    }
}
