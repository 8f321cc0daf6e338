//! The catalogue's entries an admin set or retired (`catalogue`, one row per entry; an
//! entry without a row is as the seeded defaults have it) and every change of them
//! (`catalogue_history`); plus the queries behind `GET /api/catalogue` and its history.

use aggregates::catalogue::{CatalogueEntry, CatalogueEvent, EntryKind};
use async_trait::async_trait;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Tx};

pub struct CatalogueProjection;

/// Catalogue events, as the catalogue's own event type.
const READS: Reads = Reads::of::<CatalogueEvent>("Catalogue");

const COLUMNS: &[&str] = &[
    "position",
    "kind",
    "code",
    "action",
    "old_name",
    "old_price",
    "name",
    "price",
    "at",
    "changed_by",
];

#[async_trait]
impl Projection for CatalogueProjection {
    fn name(&self) -> &'static str {
        "catalogue"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["catalogue", "catalogue_history"]
    }

    /// The history: one row per event, keyed by the event.
    fn insert_only_tables(&self) -> &'static [&'static str] {
        &["catalogue_history"]
    }

    /// A few admin edits a month: one statement per change.
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let mut history: Vec<Vec<Arg>> = Vec::new();
        for ev in events.iter().filter(|e| READS.matches(e)) {
            let event: CatalogueEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            let by = ev.meta.actor_id;
            let (kind, code, action, old, new, active, at) = match event {
                CatalogueEvent::CatalogueEntrySet {
                    kind,
                    code,
                    old,
                    new,
                    at,
                } => (kind, code, "set", old, new, true, at),
                CatalogueEvent::CatalogueEntryRetired {
                    kind,
                    code,
                    old,
                    at,
                } => (kind, code, "retired", Some(old.clone()), old, false, at),
            };
            let at = at.to_rfc3339();
            tx.execute(
                "INSERT INTO catalogue (kind, code, name, price, active, changed_at, changed_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, code) DO UPDATE SET \
                 name = excluded.name, price = excluded.price, active = excluded.active, \
                 changed_at = excluded.changed_at, changed_by = excluded.changed_by",
                &crate::args![
                    kind.as_str(),
                    code.as_str(),
                    new.name.as_str(),
                    new.price,
                    active,
                    at.as_str(),
                    by
                ],
            )
            .await?;
            history.push(
                crate::args![
                    ev.cursor.position,
                    kind.as_str(),
                    code.as_str(),
                    action,
                    old.as_ref().map(|o| o.name.clone()),
                    old.as_ref().and_then(|o| o.price),
                    new.name.as_str(),
                    new.price,
                    at.as_str(),
                    by
                ]
                .to_vec(),
            );
        }
        if history.is_empty() {
            return Ok(());
        }
        if tx.fresh() {
            tx.copy_rows("catalogue_history", COLUMNS, &history).await?;
        } else {
            tx.insert_rows(
                &format!("INSERT INTO catalogue_history ({})", COLUMNS.join(", ")),
                "ON CONFLICT (position) DO NOTHING",
                &history,
            )
            .await?;
        }
        Ok(())
    }
}

/// The entries an admin set or retired (the defaults hold for the others).
pub async fn changed_entries(db: &Db) -> Result<Vec<CatalogueEntry>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT kind, code, name, price, active FROM catalogue ORDER BY kind, code",
            &[],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        // A kind this version does not know (written by a newer one) is left alone.
        let Some(kind) = EntryKind::parse(&r.text("kind")?) else {
            continue;
        };
        out.push(CatalogueEntry {
            kind,
            code: r.text("code")?,
            name: r.text("name")?,
            price: r.opt_int("price")?,
            active: r.bool("active")?,
        });
    }
    Ok(out)
}

/// One change of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueChangeRow {
    pub position: i64,
    pub kind: String,
    pub code: String,
    /// `set` or `retired`.
    pub action: String,
    pub old_name: Option<String>,
    pub old_price: Option<i64>,
    pub name: String,
    pub price: Option<i64>,
    pub at: String,
    pub changed_by: Option<Uuid>,
}

/// Every change, oldest first.
pub async fn history(db: &Db) -> Result<Vec<CatalogueChangeRow>, sqlx::Error> {
    let rows = db
        .fetch_all(
            &format!(
                "SELECT {} FROM catalogue_history ORDER BY position",
                COLUMNS.join(", ")
            ),
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CatalogueChangeRow {
                position: r.int("position")?,
                kind: r.text("kind")?,
                code: r.text("code")?,
                action: r.text("action")?,
                old_name: r.opt_text("old_name")?,
                old_price: r.opt_int("old_price")?,
                name: r.text("name")?,
                price: r.opt_int("price")?,
                at: r.text("at")?,
                changed_by: r.opt_uuid("changed_by")?,
            })
        })
        .collect()
}
