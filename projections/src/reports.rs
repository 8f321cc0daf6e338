//! The director's report: per UTC day, the money that came in (payments) and went back
//! (refunds), the orders placed, completed (with their prices: the average check) and
//! failed, what authors were credited and paid out (`report_days`). A period's report is
//! a sum over its days; orders by status come from the order table (the orders placed in
//! the period as they stand now).
//!
//! Registered after the order table's projection: a completion's price is read from
//! `order_list`, where the batch has already been applied (a price never changes once the
//! first half is paid, so any batch boundary reads the same price), and so is whether an
//! order is a company's (fixed when it is placed): payments, refunds and completions of
//! companies' orders are also summed apart (`*_corporate`), so the reports split revenue
//! and the average check between individuals and companies.

use std::collections::BTreeMap;

use aggregates::account::AccountEvent;
use aggregates::order::OrderEvent;
use aggregates::points::PointsEvent;
use aggregates::purchase::PurchaseEvent;
use async_trait::async_trait;
use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Row, Tx};

pub struct ReportsProjection;

const ORDERS: Reads = Reads::of::<OrderEvent>("Order");
const ACCOUNTS: Reads = Reads::of::<AccountEvent>("AuthorAccount");
const PURCHASES: Reads = Reads::of::<PurchaseEvent>("Purchase");
const POINTS: Reads = Reads::of::<PointsEvent>("ClientPoints");

/// The sums of one day; each field a column of `report_days`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DaySums {
    pub orders_placed: i64,
    pub payments: i64,
    pub refunds: i64,
    pub orders_completed: i64,
    pub completed_value: i64,
    pub orders_failed: i64,
    pub author_credits: i64,
    pub payouts: i64,
    pub sla_breaches: i64,
    /// Ready-made works' purchases paid, kopecks (not in `payments`: the orders' only).
    pub shop_revenue: i64,
    /// Ready-made works' purchases paid.
    pub shop_sales: i64,
    /// The part of `payments` paid for companies' orders.
    pub payments_corporate: i64,
    /// The part of `refunds` made on companies' orders.
    pub refunds_corporate: i64,
    /// The part of `orders_completed` that were companies' orders.
    pub orders_completed_corporate: i64,
    /// The part of `completed_value` that was companies' orders'.
    pub completed_value_corporate: i64,
    /// Loyalty points credited to clients (cashback and referral shares).
    pub points_issued: i64,
    /// Loyalty points spent on first halves.
    pub points_spent: i64,
    /// Points spent that came back to their client (the order failed).
    pub points_returned: i64,
}

/// The columns of [`DaySums`], in its order.
const COLUMNS: [&str; 18] = [
    "orders_placed",
    "payments",
    "refunds",
    "orders_completed",
    "completed_value",
    "orders_failed",
    "author_credits",
    "payouts",
    "sla_breaches",
    "shop_revenue",
    "shop_sales",
    "payments_corporate",
    "refunds_corporate",
    "orders_completed_corporate",
    "completed_value_corporate",
    "points_issued",
    "points_spent",
    "points_returned",
];

impl DaySums {
    fn values(&self) -> [i64; 18] {
        [
            self.orders_placed,
            self.payments,
            self.refunds,
            self.orders_completed,
            self.completed_value,
            self.orders_failed,
            self.author_credits,
            self.payouts,
            self.sla_breaches,
            self.shop_revenue,
            self.shop_sales,
            self.payments_corporate,
            self.refunds_corporate,
            self.orders_completed_corporate,
            self.completed_value_corporate,
            self.points_issued,
            self.points_spent,
            self.points_returned,
        ]
    }

    fn from_row(r: &Row) -> Result<DaySums, sqlx::Error> {
        Ok(DaySums {
            orders_placed: r.int("orders_placed")?,
            payments: r.int("payments")?,
            refunds: r.int("refunds")?,
            orders_completed: r.int("orders_completed")?,
            completed_value: r.int("completed_value")?,
            orders_failed: r.int("orders_failed")?,
            author_credits: r.int("author_credits")?,
            payouts: r.int("payouts")?,
            sla_breaches: r.int("sla_breaches")?,
            shop_revenue: r.int("shop_revenue")?,
            shop_sales: r.int("shop_sales")?,
            payments_corporate: r.int("payments_corporate")?,
            refunds_corporate: r.int("refunds_corporate")?,
            orders_completed_corporate: r.int("orders_completed_corporate")?,
            completed_value_corporate: r.int("completed_value_corporate")?,
            points_issued: r.int("points_issued")?,
            points_spent: r.int("points_spent")?,
            points_returned: r.int("points_returned")?,
        })
    }

    pub fn add(&mut self, o: &DaySums) {
        self.orders_placed += o.orders_placed;
        self.payments += o.payments;
        self.refunds += o.refunds;
        self.orders_completed += o.orders_completed;
        self.completed_value += o.completed_value;
        self.orders_failed += o.orders_failed;
        self.author_credits += o.author_credits;
        self.payouts += o.payouts;
        self.sla_breaches += o.sla_breaches;
        self.shop_revenue += o.shop_revenue;
        self.shop_sales += o.shop_sales;
        self.payments_corporate += o.payments_corporate;
        self.refunds_corporate += o.refunds_corporate;
        self.orders_completed_corporate += o.orders_completed_corporate;
        self.completed_value_corporate += o.completed_value_corporate;
        self.points_issued += o.points_issued;
        self.points_spent += o.points_spent;
        self.points_returned += o.points_returned;
    }

    /// The points clients hold after these sums: issued, less spent, plus returned.
    pub fn points_outstanding(&self) -> i64 {
        self.points_issued - self.points_spent + self.points_returned
    }

    fn is_zero(&self) -> bool {
        self.values().iter().all(|v| *v == 0)
    }
}

/// What an order's event adds to its day once the order's row is known: a completion's
/// price, and whether the order is a company's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Payment(i64),
    Refund(i64),
    Completed,
}

/// What one event adds to its day; what needs the order's row (a completion's price, the
/// corporate parts) is returned to be added once the rows are read.
fn order_delta(event: &OrderEvent, sums: &mut DaySums) -> Option<Pending> {
    match event {
        OrderEvent::OrderPlaced { .. } => sums.orders_placed += 1,
        OrderEvent::PaymentReceived { amount, .. } => {
            sums.payments += amount;
            return Some(Pending::Payment(*amount));
        }
        OrderEvent::OrderCompleted { .. } => {
            sums.orders_completed += 1;
            return Some(Pending::Completed);
        }
        OrderEvent::OrderFailed { .. } => sums.orders_failed += 1,
        OrderEvent::RefundRecorded { amount, .. } => {
            sums.refunds += amount;
            return Some(Pending::Refund(*amount));
        }
        OrderEvent::ProblemFlagged { .. } => sums.sla_breaches += 1,
        _ => {}
    }
    None
}

impl Pending {
    /// Adds what needs the order's row: its price (a completion's value) and, for a
    /// company's order, the corporate parts.
    fn add(self, price: i64, corporate: bool, sums: &mut DaySums) {
        match self {
            Pending::Completed => {
                sums.completed_value += price;
                if corporate {
                    sums.orders_completed_corporate += 1;
                    sums.completed_value_corporate += price;
                }
            }
            Pending::Payment(amount) if corporate => sums.payments_corporate += amount,
            Pending::Refund(amount) if corporate => sums.refunds_corporate += amount,
            Pending::Payment(_) | Pending::Refund(_) => {}
        }
    }
}

/// What a client's points event adds to its day.
fn points_delta(event: &PointsEvent, sums: &mut DaySums) {
    match event {
        PointsEvent::CashbackCredited { points, .. }
        | PointsEvent::ReferralCredited { points, .. } => sums.points_issued += points,
        PointsEvent::PointsSpent { points, .. } => sums.points_spent += points,
        PointsEvent::PointsReturned { points, .. } => sums.points_returned += points,
    }
}

/// What an author's account event adds to its day.
fn account_delta(event: &AccountEvent, sums: &mut DaySums) {
    match event {
        AccountEvent::FeeCredited { amount, .. }
        | AccountEvent::CompensationCredited { amount, .. } => sums.author_credits += amount,
        AccountEvent::PayoutRecorded { amount, .. } => sums.payouts += amount,
    }
}

#[async_trait]
impl Projection for ReportsProjection {
    fn name(&self) -> &'static str {
        "reports"
    }

    fn reads(&self) -> &'static [Reads] {
        &[ORDERS, ACCOUNTS, PURCHASES, POINTS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["report_days"]
    }

    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        // The batch's sums per day, written with one statement per day touched.
        let mut days: BTreeMap<String, DaySums> = BTreeMap::new();
        let mut pending: Vec<(String, String, Pending)> = Vec::new();
        for ev in events {
            let day = ev.meta.at.date_naive().to_string();
            if ORDERS.matches(ev) {
                let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                let sums = days.entry(day.clone()).or_default();
                if let Some(p) = order_delta(&event, sums) {
                    pending.push((day, ev.aggregate_id.clone(), p));
                }
            } else if ACCOUNTS.matches(ev) {
                let event: AccountEvent =
                    ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                account_delta(&event, days.entry(day).or_default());
            } else if POINTS.matches(ev) {
                let event: PointsEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                points_delta(&event, days.entry(day).or_default());
            } else if PURCHASES.matches(ev) && ev.event_type == "PurchasePaid" {
                let event: PurchaseEvent =
                    ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                if let PurchaseEvent::PurchasePaid { amount, .. } = event {
                    let sums = days.entry(day).or_default();
                    sums.shop_revenue += amount;
                    sums.shop_sales += 1;
                }
            }
        }
        if !pending.is_empty() {
            let mut ids: Vec<&str> = pending.iter().map(|(_, id, _)| id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            let rows = rows_of(tx, &ids).await?;
            for (day, id, p) in pending {
                let (price, corporate) = rows.get(id.as_str()).copied().unwrap_or((0, false));
                p.add(price, corporate, days.entry(day).or_default());
            }
        }
        for (day, sums) in days.iter().filter(|(_, s)| !s.is_zero()) {
            let sets = COLUMNS
                .iter()
                .map(|c| format!("{c} = report_days.{c} + excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            let params = (2..=COLUMNS.len() + 1)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut args: Vec<Arg> = vec![day.clone().into()];
            args.extend(sums.values().iter().map(|v| Arg::Int(*v)));
            tx.execute(
                &format!(
                    "INSERT INTO report_days (day, {}) VALUES ($1, {params}) \
                     ON CONFLICT (day) DO UPDATE SET {sets}",
                    COLUMNS.join(", ")
                ),
                &args,
            )
            .await?;
        }
        Ok(())
    }
}

/// The prices of these orders as the order table holds them, and whether each is a
/// company's.
async fn rows_of(
    tx: &mut Tx,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, (i64, bool)>, sqlx::Error> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let placeholders = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let args: Vec<Arg> = chunk.iter().map(|id| Arg::from(id.to_string())).collect();
        let rows = tx
            .fetch_all(
                &format!(
                    "SELECT id, COALESCE(price, 0) AS price, corporate FROM order_list \
                     WHERE id IN ({placeholders})"
                ),
                &args,
            )
            .await?;
        for r in &rows {
            out.insert(r.text("id")?, (r.int("price")?, r.bool("corporate")?));
        }
    }
    Ok(out)
}

/// One day of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    pub sums: DaySums,
}

/// The days from `from` to `to` (both included) that have any row, oldest first.
pub async fn days(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<Vec<Day>, sqlx::Error> {
    db.fetch_all(
        &format!(
            "SELECT day, {} FROM report_days WHERE day >= $1 AND day <= $2 ORDER BY day",
            COLUMNS.join(", ")
        ),
        &crate::args![from.to_string(), to.to_string()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Day {
            date: r.parsed("day")?,
            sums: DaySums::from_row(r)?,
        })
    })
    .collect()
}

/// The sums over the days from `from` to `to` (both included; `None`: unbounded).
pub async fn totals(
    db: &Db,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<DaySums, sqlx::Error> {
    let from = from.map_or_else(|| "0000-01-01".to_string(), |d| d.to_string());
    let to = to.map_or_else(|| "9999-12-31".to_string(), |d| d.to_string());
    let sums = COLUMNS
        .iter()
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS bigint) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let row = db
        .fetch_one(
            &format!("SELECT {sums} FROM report_days WHERE day >= $1 AND day <= $2"),
            &crate::args![from, to],
        )
        .await?;
    DaySums::from_row(&row)
}

/// The orders placed from `from` to `to` (both included; `None`: unbounded) by their
/// status now.
pub async fn by_status(
    db: &Db,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let from = from.map_or_else(|| "0000-01-01".to_string(), |d| d.to_string());
    // Up to (not including) the next day's first instant: placed_at is RFC 3339 text.
    let to = to
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .map_or_else(|| "9999-12-31".to_string(), |d| d.to_string());
    db.fetch_all(
        "SELECT status, COUNT(*) AS n FROM order_list \
         WHERE placed_at >= $1 AND placed_at < $2 GROUP BY status ORDER BY status",
        &crate::args![from, to],
    )
    .await?
    .iter()
    .map(|r| Ok((r.text("status")?, r.int("n")?)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_name_every_sum_in_order() {
        let s = DaySums {
            orders_placed: 1,
            payments: 2,
            refunds: 3,
            orders_completed: 4,
            completed_value: 5,
            orders_failed: 6,
            author_credits: 7,
            payouts: 8,
            sla_breaches: 9,
            shop_revenue: 10,
            shop_sales: 11,
            payments_corporate: 12,
            refunds_corporate: 13,
            orders_completed_corporate: 14,
            completed_value_corporate: 15,
            points_issued: 16,
            points_spent: 17,
            points_returned: 18,
        };
        assert_eq!(s.values(), std::array::from_fn(|i| i as i64 + 1));
        let mut t = DaySums::default();
        assert!(t.is_zero());
        t.add(&s);
        t.add(&s);
        assert_eq!(t.values(), std::array::from_fn(|i| 2 * (i as i64 + 1)));
        // Each value is read back from the column of its name.
        assert_eq!(COLUMNS.len(), s.values().len());
        assert_eq!(t.points_outstanding(), 32 - 34 + 36);
    }
}
