//! The authors' ledger: every entry of every author's account with the balance after it
//! (`author_ledger`) and each author's balance now (`author_balances`); plus the queries
//! behind `GET /api/authors/{id}/ledger` and `GET /api/payouts/due`.

use std::collections::HashMap;

use aggregates::account::AccountEvent;
use async_trait::async_trait;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Row, Tx};

pub struct LedgerProjection;

/// Account events, as the account's own event type.
const READS: Reads = Reads::of::<AccountEvent>("AuthorAccount");

/// The entry's kind, as stored and answered.
pub fn kind_of(event: &AccountEvent) -> &'static str {
    match event {
        AccountEvent::FeeCredited { .. } => "credit",
        AccountEvent::CompensationCredited { .. } => "compensation",
        AccountEvent::PayoutRecorded { .. } => "payout",
    }
}

const COLUMNS: &[&str] = &[
    "author_id",
    "sequence",
    "position",
    "at",
    "kind",
    "order_id",
    "reference",
    "amount",
    "balance",
];

#[async_trait]
impl Projection for LedgerProjection {
    fn name(&self) -> &'static str {
        "ledger"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["author_ledger", "author_balances"]
    }

    /// The entries: one row per event, keyed by the event.
    fn insert_only_tables(&self) -> &'static [&'static str] {
        &["author_ledger"]
    }

    /// The batch folded in memory: one read of the balances it touches, one insert of its
    /// entries, one upsert per account.
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let mine: Vec<&StoredEvent> = events.iter().filter(|e| READS.matches(e)).collect();
        if mine.is_empty() {
            return Ok(());
        }
        // (balance, entries, updated_at) of each account the batch touches.
        let mut accounts: HashMap<String, (i64, i64, String)> = HashMap::new();
        for ev in &mine {
            if accounts.contains_key(&ev.aggregate_id) {
                continue;
            }
            let row = tx
                .fetch_optional(
                    "SELECT balance, entries FROM author_balances WHERE author_id = $1",
                    &crate::args![ev.aggregate_id.as_str()],
                )
                .await?;
            let (balance, entries) = match row {
                Some(r) => (r.int("balance")?, r.int("entries")?),
                None => (0, 0),
            };
            accounts.insert(ev.aggregate_id.clone(), (balance, entries, String::new()));
        }
        let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(mine.len());
        for ev in &mine {
            let event: AccountEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            let account = accounts
                .get_mut(&ev.aggregate_id)
                .expect("every account of the batch was read");
            account.0 += event.delta();
            account.1 += 1;
            let (order_id, reference, amount, at) = match &event {
                AccountEvent::FeeCredited {
                    order_id,
                    amount,
                    at,
                }
                | AccountEvent::CompensationCredited {
                    order_id,
                    amount,
                    at,
                } => (Some(*order_id), None, *amount, at),
                AccountEvent::PayoutRecorded {
                    reference,
                    amount,
                    at,
                } => (None, Some(reference.clone()), *amount, at),
            };
            account.2 = at.to_rfc3339();
            rows.push(
                crate::args![
                    ev.aggregate_id.as_str(),
                    ev.sequence,
                    ev.cursor.position,
                    at.to_rfc3339(),
                    kind_of(&event),
                    order_id,
                    reference,
                    amount,
                    account.0
                ]
                .to_vec(),
            );
        }
        if tx.fresh() {
            tx.copy_rows("author_ledger", COLUMNS, &rows).await?;
        } else {
            tx.insert_rows(
                &format!("INSERT INTO author_ledger ({})", COLUMNS.join(", ")),
                "ON CONFLICT (author_id, sequence) DO NOTHING",
                &rows,
            )
            .await?;
        }
        let mut ids: Vec<&String> = accounts.keys().collect();
        ids.sort();
        for id in ids {
            let (balance, entries, at) = &accounts[id];
            tx.execute(
                "INSERT INTO author_balances (author_id, balance, entries, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (author_id) DO UPDATE SET \
                 balance = excluded.balance, entries = excluded.entries, \
                 updated_at = excluded.updated_at",
                &crate::args![id.as_str(), *balance, *entries, at.as_str()],
            )
            .await?;
        }
        Ok(())
    }
}

/// One entry of an author's ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub sequence: i64,
    pub at: String,
    /// `credit`, `compensation` or `payout`.
    pub kind: String,
    pub order_id: Option<Uuid>,
    pub reference: Option<String>,
    pub amount: i64,
    /// The balance after this entry.
    pub balance: i64,
}

impl LedgerEntry {
    fn from_row(r: &Row) -> Result<LedgerEntry, sqlx::Error> {
        Ok(LedgerEntry {
            sequence: r.int("sequence")?,
            at: r.text("at")?,
            kind: r.text("kind")?,
            order_id: r.opt_uuid("order_id")?,
            reference: r.opt_text("reference")?,
            amount: r.int("amount")?,
            balance: r.int("balance")?,
        })
    }
}

/// An author's entries, oldest first.
pub async fn entries_of(db: &Db, author_id: Uuid) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT sequence, at, kind, order_id, reference, amount, balance \
             FROM author_ledger WHERE author_id = $1 ORDER BY sequence",
            &crate::args![author_id],
        )
        .await?;
    rows.iter().map(LedgerEntry::from_row).collect()
}

/// An author's balance now (0 before any entry).
pub async fn balance_of(db: &Db, author_id: Uuid) -> Result<i64, sqlx::Error> {
    Ok(db
        .fetch_optional(
            "SELECT balance FROM author_balances WHERE author_id = $1",
            &crate::args![author_id],
        )
        .await?
        .map(|r| r.int("balance"))
        .transpose()?
        .unwrap_or(0))
}

/// An author whose balance is due for a payout.
#[derive(Debug, Clone, PartialEq)]
pub struct DueRow {
    pub author_id: Uuid,
    pub full_name: String,
    pub balance: i64,
}

/// The authors whose balance is at or above `threshold`, largest balance first.
pub async fn due(db: &Db, threshold: i64) -> Result<Vec<DueRow>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT b.author_id, COALESCE(u.full_name, '') AS full_name, b.balance \
             FROM author_balances b LEFT JOIN users u ON u.id = b.author_id \
             WHERE b.balance >= $1 ORDER BY b.balance DESC, b.author_id",
            &crate::args![threshold],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DueRow {
                author_id: r.uuid("author_id")?,
                full_name: r.text("full_name")?,
                balance: r.int("balance")?,
            })
        })
        .collect()
}

/// A payout as the payout clerk's history shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutRow {
    pub author_id: Uuid,
    pub full_name: String,
    pub at: String,
    pub reference: String,
    pub amount: i64,
}

/// The latest `limit` payouts to any author, newest first.
pub async fn recent_payouts(db: &Db, limit: i64) -> Result<Vec<PayoutRow>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT l.author_id, COALESCE(u.full_name, '') AS full_name, l.at, \
             COALESCE(l.reference, '') AS reference, l.amount \
             FROM author_ledger l LEFT JOIN users u ON u.id = l.author_id \
             WHERE l.kind = 'payout' ORDER BY l.at DESC, l.author_id, l.sequence DESC LIMIT $1",
            &crate::args![limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(PayoutRow {
                author_id: r.uuid("author_id")?,
                full_name: r.text("full_name")?,
                at: r.text("at")?,
                reference: r.text("reference")?,
                amount: r.int("amount")?,
            })
        })
        .collect()
}
