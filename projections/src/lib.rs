//! Scriptorium's read side: the global feed, the projection runner and the read models.

pub mod client_history;
pub mod feed;
pub mod leader;
pub mod order_list;
pub mod runner;
pub mod sql;
pub mod users;

pub use feed::{Cursor, EventMeta, StoredEvent};
pub use runner::{Projection, ProjectionError, Runner, RunnerHandle};
pub use sql::{Arg, Db, Row, Tx};

/// The projections of the main runner, in the order they see each event.
pub fn all() -> Vec<Box<dyn Projection>> {
    vec![
        Box::new(users::UsersProjection),
        Box::new(order_list::OrderListProjection),
    ]
}
