//! The settings an admin set (`settings`, one row per setting) and every change of them
//! (`settings_history`); plus the queries behind `GET /api/settings` and its history.

use std::collections::BTreeMap;

use aggregates::settings::{Setting, SettingsEvent};
use async_trait::async_trait;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Tx};

pub struct SettingsProjection;

/// Settings events, as the settings' own event type.
const READS: Reads = Reads::of::<SettingsEvent>("Settings");

const COLUMNS: &[&str] = &[
    "position",
    "name",
    "old_value",
    "new_value",
    "at",
    "changed_by",
];

#[async_trait]
impl Projection for SettingsProjection {
    fn name(&self) -> &'static str {
        "settings"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["settings", "settings_history"]
    }

    /// The history: one row per setting per event, keyed by the event.
    fn insert_only_tables(&self) -> &'static [&'static str] {
        &["settings_history"]
    }

    /// A few admin edits a year: one statement per change.
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let mut history: Vec<Vec<Arg>> = Vec::new();
        for ev in events.iter().filter(|e| READS.matches(e)) {
            let event: SettingsEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            let by = ev.meta.actor_id;
            match event {
                SettingsEvent::SettingsChanged { changes, at } => {
                    let at = at.to_rfc3339();
                    for c in changes {
                        tx.execute(
                            "INSERT INTO settings (name, value, changed_at, changed_by) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
                             value = excluded.value, changed_at = excluded.changed_at, \
                             changed_by = excluded.changed_by",
                            &crate::args![c.setting.as_str(), c.new, at.as_str(), by],
                        )
                        .await?;
                        history.push(
                            crate::args![
                                ev.cursor.position,
                                c.setting.as_str(),
                                c.old,
                                c.new,
                                at.as_str(),
                                by
                            ]
                            .to_vec(),
                        );
                    }
                }
            }
        }
        if history.is_empty() {
            return Ok(());
        }
        if tx.fresh() {
            tx.copy_rows("settings_history", COLUMNS, &history).await?;
        } else {
            tx.insert_rows(
                &format!("INSERT INTO settings_history ({})", COLUMNS.join(", ")),
                "ON CONFLICT (position, name) DO NOTHING",
                &history,
            )
            .await?;
        }
        Ok(())
    }
}

/// The settings set so far (a setting not here has its default).
pub async fn current(db: &Db) -> Result<BTreeMap<Setting, i64>, sqlx::Error> {
    let rows = db
        .fetch_all("SELECT name, value FROM settings", &[])
        .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        // A setting this version does not know (written by a newer one) is left alone.
        if let Some(s) = Setting::parse(&r.text("name")?) {
            out.insert(s, r.int("value")?);
        }
    }
    Ok(out)
}

/// One setting's value, when it was set.
pub async fn value_of(db: &Db, setting: Setting) -> Result<Option<i64>, sqlx::Error> {
    db.fetch_optional(
        "SELECT value FROM settings WHERE name = $1",
        &crate::args![setting.as_str()],
    )
    .await?
    .map(|r| r.int("value"))
    .transpose()
}

/// One change of one setting.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingHistoryRow {
    pub position: i64,
    pub name: String,
    pub old_value: i64,
    pub new_value: i64,
    pub at: String,
    pub changed_by: Option<Uuid>,
}

/// Every change, oldest first.
pub async fn history(db: &Db) -> Result<Vec<SettingHistoryRow>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT position, name, old_value, new_value, at, changed_by \
             FROM settings_history ORDER BY position, name",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SettingHistoryRow {
                position: r.int("position")?,
                name: r.text("name")?,
                old_value: r.int("old_value")?,
                new_value: r.int("new_value")?,
                at: r.text("at")?,
                changed_by: r.opt_uuid("changed_by")?,
            })
        })
        .collect()
}
