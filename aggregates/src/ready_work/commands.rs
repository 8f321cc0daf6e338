use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::WorkFile;
use crate::common::{Actor, Kopecks};

/// What staff can do with a ready-made work. `at` is the service clock's "now"; who may
/// is the access policy's decision, checked again here (staff only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadyWorkCommand {
    /// A manager or an admin puts a finished work on sale (its file already stored).
    List {
        actor: Actor,
        title: String,
        subject: String,
        work_type: String,
        pages: u32,
        price: Kopecks,
        description: String,
        file: WorkFile,
        at: DateTime<Utc>,
    },
    /// A manager or an admin takes the work off sale, saying why: it cannot be bought
    /// from then on (purchases made before stay payable).
    Delist {
        actor: Actor,
        reason: String,
        at: DateTime<Utc>,
    },
}
