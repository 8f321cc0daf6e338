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

/// Decodes each event's payload as the type the projections read it as (`Order` and
/// `User` events), ahead of their `apply`: e.g. on another task, while the previous batch
/// is applied.
pub fn decode_ahead(events: &[StoredEvent]) {
    for ev in events {
        match ev.aggregate_type.as_str() {
            "Order" => ev.decode_ahead::<aggregates::order::OrderEvent>(),
            "User" => ev.decode_ahead::<aggregates::user::UserEvent>(),
            _ => {}
        }
    }
}

/// The projections of the main runner, in the order they see each event.
pub fn all() -> Vec<Box<dyn Projection>> {
    vec![
        Box::new(users::UsersProjection),
        Box::new(order_list::OrderListProjection),
    ]
}
