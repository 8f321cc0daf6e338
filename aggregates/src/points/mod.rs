//! The `ClientPoints` aggregate: one client's loyalty points (one stream per client, id =
//! the client's user id; 1 point = 1 kopeck). Credited with the cashback of the client's
//! completed orders and the referral share of the completed orders of clients they invited
//! (each once per order), debited by the points spent on an order's first half (one spend
//! in force per order), which come back when that order fails. The balance never goes
//! negative.

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{share_of, ClientPoints};
pub use commands::PointsCommand;
pub use error::PointsError;
pub use events::PointsEvent;
