//! Process managers: background tasks that react to the state of orders by issuing
//! commands. Each runs on one instance at a time (see `projections::leader`), and every
//! effect is a command the aggregate accepts only once, so a task that runs twice, or
//! again after a crash, changes nothing the second time.

pub mod offers;

use std::time::Duration;

use projections::leader::{Leadership, FOLLOWER_RETRY};
use tokio::sync::watch;

use crate::app::App;

/// Runs the process managers every `every` until `shutdown` fires.
pub async fn run(app: App, every: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut leader = Leadership::new(&app.db, "process:offers");
    loop {
        if *shutdown.borrow() {
            return;
        }
        let pause = if leader.hold().await {
            if let Err(e) = offers::expire_offers(&app).await {
                tracing::error!(error = %e, "expiring offers failed; retrying");
            }
            every
        } else {
            FOLLOWER_RETRY
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => {}
        }
    }
}
