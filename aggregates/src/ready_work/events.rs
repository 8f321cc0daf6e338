use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::Kopecks;

/// A work's file as stored (by content hash): never shown to the public, mailed to its
/// buyers once they have paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkFile {
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
}

/// Everything that can happen to a ready-made work. Type strings never change once shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadyWorkEvent {
    /// Put on sale by `by` (a manager or an admin).
    WorkListed {
        title: String,
        subject: String,
        work_type: String,
        pages: u32,
        price: Kopecks,
        description: String,
        file: WorkFile,
        by: Uuid,
    },
    /// Taken off sale: no new purchase from now on.
    WorkDelisted { reason: String, by: Uuid },
}

impl DomainEvent for ReadyWorkEvent {
    fn event_type(&self) -> String {
        match self {
            ReadyWorkEvent::WorkListed { .. } => "WorkListed",
            ReadyWorkEvent::WorkDelisted { .. } => "WorkDelisted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
