use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a manager can do with their shift. `at` is the service clock's "now". Who may
/// start or end whose shift (the manager themself) is the access policy's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShiftCommand {
    /// The manager comes on shift: from now on placed orders may be routed to them.
    StartShift { at: DateTime<Utc> },
    /// The manager goes off shift: no new orders are routed to them; they keep theirs.
    EndShift { at: DateTime<Utc> },
}
