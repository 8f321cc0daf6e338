//! Scriptorium's read side: the global feed, the projection runner and the read models.

pub mod authors;
pub mod catalogue;
pub mod chain;
pub mod client_history;
pub mod feed;
pub mod leader;
pub mod ledger;
pub mod messages;
pub mod order_list;
pub mod payments;
pub mod points;
pub mod reports;
pub mod reviews;
pub mod runner;
pub mod settings;
pub mod shifts;
pub mod shop;
pub mod sql;
pub mod users;

pub use feed::{Cursor, EventMeta, StoredEvent};
pub use runner::{Projection, ProjectionError, Reads, Runner, RunnerHandle};
pub use sql::{Arg, Db, Row, Tx};

/// The name of the runner that keeps every projection of [`all`] (its checkpoint row).
pub const MAIN_RUNNER: &str = "main";

/// The registry: every projection of the main runner, in the order they see each event.
/// The one place a projection is added; the runner, the replay (its tables, indexes,
/// statistics and timings) and the decoding ahead ([`Decoders`]) all derive from it.
pub fn all() -> Vec<Box<dyn Projection>> {
    vec![
        Box::new(users::UsersProjection),
        Box::new(order_list::OrderListProjection),
        Box::new(payments::PaymentsProjection),
        Box::new(authors::AuthorsProjection),
        Box::new(shifts::ShiftsProjection),
        // After the order table: reads a completed order's price from it.
        Box::new(reports::ReportsProjection),
        Box::new(ledger::LedgerProjection),
        Box::new(settings::SettingsProjection),
        Box::new(catalogue::CatalogueProjection),
        Box::new(reviews::ReviewsProjection),
        Box::new(messages::MessagesProjection),
        Box::new(shop::ShopProjection),
        Box::new(points::PointsProjection),
    ]
}

/// The main runner over [`all`].
pub fn main_runner(db: Db) -> Runner {
    Runner::new(db, MAIN_RUNNER, all())
}

/// How to decode each event's payload as the type its projections read it as, gathered
/// from their [`Projection::reads`] (one decoder per aggregate type).
#[derive(Clone, Debug)]
pub struct Decoders(Vec<Reads>);

impl Decoders {
    pub fn of(projections: &[Box<dyn Projection>]) -> Decoders {
        let mut reads: Vec<Reads> = Vec::new();
        for r in projections.iter().flat_map(|p| p.reads().iter()) {
            // One decode per aggregate type: a payload keeps one decoded value.
            if !reads.iter().any(|k| k.aggregate_type == r.aggregate_type) {
                reads.push(*r);
            }
        }
        Decoders(reads)
    }

    /// The aggregate types read.
    pub fn aggregate_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|r| r.aggregate_type)
    }

    /// Decodes each event's payload ahead of the projections' `apply`: e.g. on another
    /// task, while the previous batch is applied.
    pub fn decode_ahead(&self, events: &[StoredEvent]) {
        for ev in events {
            if let Some(r) = self.0.iter().find(|r| r.matches(ev)) {
                r.decode_ahead(ev);
            }
        }
    }
}

/// Decodes each event's payload as the type the projections of [`all`] read it as.
pub fn decode_ahead(events: &[StoredEvent]) {
    Decoders::of(&all()).decode_ahead(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_names_each_projection_table_and_aggregate_type_once() {
        let all = all();
        let mut names: Vec<_> = all.iter().map(|p| p.name()).collect();
        let mut tables: Vec<_> = all.iter().flat_map(|p| p.tables().iter()).collect();
        let n = (names.len(), tables.len());
        names.sort();
        names.dedup();
        tables.sort();
        tables.dedup();
        assert_eq!((names.len(), tables.len()), n, "a name or a table twice");
        for p in &all {
            for t in p.insert_only_tables().iter().chain(p.analyzed_tables()) {
                assert!(p.tables().contains(t), "{}: {t} is not its table", p.name());
            }
            assert!(!p.reads().is_empty(), "{} reads nothing", p.name());
        }
        let types: Vec<_> = Decoders::of(&all).aggregate_types().collect();
        assert_eq!(
            types,
            [
                "User",
                "Order",
                "Purchase",
                "Author",
                "Shift",
                "AuthorAccount",
                "ClientPoints",
                "Settings",
                "Catalogue",
                "ReadyWork"
            ]
        );
    }

    #[test]
    fn decoding_ahead_keeps_the_payload_as_its_projection_reads_it() {
        use aggregates::user::UserEvent;
        let ev = |aggregate_type: &str, payload: serde_json::Value| {
            StoredEvent::for_tests(aggregate_type, payload)
        };
        let user = ev(
            "User",
            serde_json::json!({"UserUnblocked": {"by": uuid::Uuid::nil()}}),
        );
        let other = ev("Elsewhere", serde_json::json!({"Whatever": {}}));
        let events = [user, other];
        decode_ahead(&events);
        assert!(format!("{:?}", events[0]).contains("decoded: decoded"));
        assert!(format!("{:?}", events[1]).contains("decoded: -"));
        assert!(matches!(
            events[0].decode::<UserEvent>(),
            Ok(UserEvent::UserUnblocked { .. })
        ));
    }
}
