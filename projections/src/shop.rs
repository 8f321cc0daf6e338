//! The ready-made works shop: the catalogue (`ready_works`, from `ReadyWork` events, with
//! each work's paid sales) and every purchase (`purchases`, from `Purchase` events). One
//! statement per event: the shop's events are few next to the orders'.

use aggregates::purchase::PurchaseEvent;
use aggregates::ready_work::ReadyWorkEvent;
use async_trait::async_trait;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Row, Tx};

pub struct ShopProjection;

const WORKS: Reads = Reads::of::<ReadyWorkEvent>("ReadyWork");
const PURCHASES: Reads = Reads::of::<PurchaseEvent>("Purchase");

#[async_trait]
impl Projection for ShopProjection {
    fn name(&self) -> &'static str {
        "shop"
    }

    fn reads(&self) -> &'static [Reads] {
        &[WORKS, PURCHASES]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["ready_works", "purchases"]
    }

    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        for ev in events {
            let id = ev.aggregate_id.as_str();
            let at = ev.meta.at.to_rfc3339();
            if WORKS.matches(ev) {
                let event: ReadyWorkEvent =
                    ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                match event {
                    ReadyWorkEvent::WorkListed {
                        title,
                        subject,
                        work_type,
                        pages,
                        price,
                        description,
                        file,
                        by,
                    } => {
                        let search = searchable(&title, &subject, &description);
                        tx.execute(
                            "INSERT INTO ready_works (id, position, listed_at, listed_by, title, \
                             subject, work_type, pages, price, description, search, file_name, \
                             file_size, file_type, file_sha256, delisted, sales) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                             $14, $15, $16, $17) ON CONFLICT (id) DO NOTHING",
                            &crate::args![
                                id,
                                ev.cursor.position,
                                at,
                                by,
                                title,
                                subject,
                                work_type,
                                i64::from(pages),
                                price,
                                description,
                                search,
                                file.name,
                                file.size,
                                file.content_type,
                                file.sha256,
                                false,
                                0_i64
                            ],
                        )
                        .await?;
                    }
                    ReadyWorkEvent::WorkDelisted { .. } => {
                        tx.execute(
                            "UPDATE ready_works SET delisted = $1, delisted_at = $2 WHERE id = $3",
                            &crate::args![true, at, id],
                        )
                        .await?;
                    }
                }
            } else if PURCHASES.matches(ev) {
                let event: PurchaseEvent =
                    ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                match event {
                    PurchaseEvent::PurchaseMade {
                        work_id,
                        buyer_id,
                        title,
                        price,
                    } => {
                        tx.execute(
                            "INSERT INTO purchases (id, position, work_id, buyer_id, title, price, \
                             status, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (id) DO NOTHING",
                            &crate::args![
                                id,
                                ev.cursor.position,
                                work_id,
                                buyer_id,
                                title,
                                price,
                                "awaiting_payment",
                                at
                            ],
                        )
                        .await?;
                    }
                    PurchaseEvent::PurchasePaid { payment_id, .. } => {
                        let changed = tx
                            .execute(
                                "UPDATE purchases SET status = $1, payment_id = $2, paid_at = $3 \
                                 WHERE id = $4 AND status <> $1",
                                &crate::args!["paid", payment_id, at, id],
                            )
                            .await?;
                        if changed > 0 {
                            tx.execute(
                                "UPDATE ready_works SET sales = sales + 1 WHERE id = \
                                 (SELECT work_id FROM purchases WHERE id = $1)",
                                &crate::args![id],
                            )
                            .await?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn indexes_used_while_applying(&self) -> &'static [&'static str] {
        &[]
    }
}

/// What the text search looks in, lowercased (Unicode-aware, so the same on both backends).
fn searchable(title: &str, subject: &str, description: &str) -> String {
    format!("{title}\n{subject}\n{description}").to_lowercase()
}

/// A listed work as the catalogue holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkRow {
    pub id: Uuid,
    pub listed_at: String,
    pub listed_by: Uuid,
    pub title: String,
    pub subject: String,
    pub work_type: String,
    pub pages: i64,
    pub price: i64,
    pub description: String,
    pub file_name: String,
    pub file_size: i64,
    pub file_type: String,
    pub file_sha256: String,
    pub delisted: bool,
    pub sales: i64,
}

const WORK_COLUMNS: &str = "id, listed_at, listed_by, title, subject, work_type, pages, price, \
     description, file_name, file_size, file_type, file_sha256, delisted, sales";

impl WorkRow {
    fn from_row(r: &Row) -> Result<WorkRow, sqlx::Error> {
        Ok(WorkRow {
            id: r.uuid("id")?,
            listed_at: r.text("listed_at")?,
            listed_by: r.uuid("listed_by")?,
            title: r.text("title")?,
            subject: r.text("subject")?,
            work_type: r.text("work_type")?,
            pages: r.int("pages")?,
            price: r.int("price")?,
            description: r.text("description")?,
            file_name: r.text("file_name")?,
            file_size: r.int("file_size")?,
            file_type: r.text("file_type")?,
            file_sha256: r.text("file_sha256")?,
            delisted: r.bool("delisted")?,
            sales: r.int("sales")?,
        })
    }
}

/// What the catalogue is filtered by.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkFilter {
    /// Exact subject (case as listed).
    pub subject: Option<String>,
    pub work_type: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// Words that must all appear in the title, subject or description (any case).
    pub q: Option<String>,
    /// Delisted works too (staff).
    pub include_delisted: bool,
}

/// One page of the catalogue (newest first) and how many works match in all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkPage {
    pub items: Vec<WorkRow>,
    pub total: i64,
}

/// `%` and `_` taken literally in a LIKE pattern (escape character `\`).
fn like_escaped(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn works(
    db: &Db,
    f: &WorkFilter,
    limit: i64,
    offset: i64,
) -> Result<WorkPage, sqlx::Error> {
    let mut cond: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let mut push = |sql: &str, arg: Arg, cond: &mut Vec<String>| {
        args.push(arg);
        cond.push(sql.replace('?', &format!("${}", args.len())));
    };
    if !f.include_delisted {
        push("delisted = ?", Arg::from(false), &mut cond);
    }
    if let Some(s) = &f.subject {
        push("subject = ?", Arg::from(s.as_str()), &mut cond);
    }
    if let Some(w) = &f.work_type {
        push("work_type = ?", Arg::from(w.as_str()), &mut cond);
    }
    if let Some(p) = f.min_price {
        push("price >= ?", Arg::from(p), &mut cond);
    }
    if let Some(p) = f.max_price {
        push("price <= ?", Arg::from(p), &mut cond);
    }
    if let Some(q) = &f.q {
        for word in q.to_lowercase().split_whitespace() {
            push(
                "search LIKE ? ESCAPE '\\'",
                Arg::from(format!("%{}%", like_escaped(word))),
                &mut cond,
            );
        }
    }
    let filter = if cond.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", cond.join(" AND "))
    };
    let total = db
        .fetch_one(
            &format!("SELECT CAST(COUNT(*) AS bigint) AS n FROM ready_works {filter}"),
            &args,
        )
        .await?
        .int("n")?;
    let n = args.len();
    let mut page_args = args.clone();
    page_args.push(Arg::from(limit));
    page_args.push(Arg::from(offset));
    let items = db
        .fetch_all(
            &format!(
                "SELECT {WORK_COLUMNS} FROM ready_works {filter} ORDER BY position DESC \
                 LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            ),
            &page_args,
        )
        .await?
        .iter()
        .map(WorkRow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(WorkPage { items, total })
}

/// One work of the catalogue, delisted or not.
pub async fn work(db: &Db, id: Uuid) -> Result<Option<WorkRow>, sqlx::Error> {
    db.fetch_optional(
        &format!("SELECT {WORK_COLUMNS} FROM ready_works WHERE id = $1"),
        &crate::args![id],
    )
    .await?
    .map(|r| WorkRow::from_row(&r))
    .transpose()
}

/// The subjects and work types of the works on sale, for the catalogue's filters.
pub async fn facets(db: &Db) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let col = |c: &'static str| async move {
        db.fetch_all(
            &format!("SELECT DISTINCT {c} AS v FROM ready_works WHERE delisted = $1 ORDER BY {c}"),
            &crate::args![false],
        )
        .await?
        .iter()
        .map(|r| r.text("v"))
        .collect::<Result<Vec<_>, _>>()
    };
    Ok((col("subject").await?, col("work_type").await?))
}

/// A purchase as the table holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseRow {
    pub id: Uuid,
    pub work_id: Uuid,
    pub buyer_id: Uuid,
    pub title: String,
    pub price: i64,
    pub status: String,
    pub payment_id: Option<String>,
    pub made_at: String,
    pub paid_at: Option<String>,
}

const PURCHASE_COLUMNS: &str =
    "id, work_id, buyer_id, title, price, status, payment_id, made_at, paid_at";

impl PurchaseRow {
    fn from_row(r: &Row) -> Result<PurchaseRow, sqlx::Error> {
        Ok(PurchaseRow {
            id: r.uuid("id")?,
            work_id: r.uuid("work_id")?,
            buyer_id: r.uuid("buyer_id")?,
            title: r.text("title")?,
            price: r.int("price")?,
            status: r.text("status")?,
            payment_id: r.opt_text("payment_id")?,
            made_at: r.text("made_at")?,
            paid_at: r.opt_text("paid_at")?,
        })
    }
}

/// Purchases, newest first: one buyer's, or everyone's (`None`), and how many in all.
pub async fn purchases(
    db: &Db,
    buyer: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PurchaseRow>, i64), sqlx::Error> {
    let (filter, mut args): (&str, Vec<Arg>) = match buyer {
        Some(b) => ("WHERE buyer_id = $1", crate::args![b].to_vec()),
        None => ("", Vec::new()),
    };
    let total = db
        .fetch_one(
            &format!("SELECT CAST(COUNT(*) AS bigint) AS n FROM purchases {filter}"),
            &args,
        )
        .await?
        .int("n")?;
    let n = args.len();
    args.push(Arg::from(limit));
    args.push(Arg::from(offset));
    let rows = db
        .fetch_all(
            &format!(
                "SELECT {PURCHASE_COLUMNS} FROM purchases {filter} ORDER BY position DESC \
                 LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            ),
            &args,
        )
        .await?
        .iter()
        .map(PurchaseRow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_folds_case_and_like_patterns_are_literal() {
        assert_eq!(
            searchable("Пётр I", "История", "Эссе"),
            "пётр i\nистория\nэссе"
        );
        assert_eq!(like_escaped("50%_a\\"), "50\\%\\_a\\\\");
    }
}
