//! The director's report: per UTC day, the money that came in (payments) and went back
//! (refunds), the orders placed, completed (with their prices: the average check) and
//! failed, what authors were credited and paid out (`report_days`). A period's report is
//! a sum over its days; orders by status come from the order table (the orders placed in
//! the period as they stand now).
//!
//! Registered after the order table's projection: a completion's price is read from
//! `order_list`, where the batch has already been applied (a price never changes once the
//! first half is paid, so any batch boundary reads the same price).

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
    /// Loyalty points credited to clients (cashback and referral shares).
    pub points_issued: i64,
    /// Loyalty points spent on first halves.
    pub points_spent: i64,
    /// Points spent that came back to their client (the order failed).
    pub points_returned: i64,
}

/// The columns of [`DaySums`], in its order.
const COLUMNS: [&str; 14] = [
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
    "points_issued",
    "points_spent",
    "points_returned",
];

impl DaySums {
    fn values(&self) -> [i64; 14] {
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

/// What one event adds to its day, apart from a completion's price (read from the table).
fn order_delta(event: &OrderEvent, sums: &mut DaySums) -> bool {
    match event {
        OrderEvent::OrderPlaced { .. } => sums.orders_placed += 1,
        OrderEvent::PaymentReceived { amount, .. } => sums.payments += amount,
        OrderEvent::OrderCompleted { .. } => {
            sums.orders_completed += 1;
            return true;
        }
        OrderEvent::OrderFailed { .. } => sums.orders_failed += 1,
        OrderEvent::RefundRecorded { amount, .. } => sums.refunds += amount,
        OrderEvent::ProblemFlagged { .. } => sums.sla_breaches += 1,
        _ => {}
    }
    false
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
        let mut completed: Vec<(String, String)> = Vec::new();
        for ev in events {
            let day = ev.meta.at.date_naive().to_string();
            if ORDERS.matches(ev) {
                let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                let sums = days.entry(day.clone()).or_default();
                if order_delta(&event, sums) {
                    completed.push((day, ev.aggregate_id.clone()));
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
        if !completed.is_empty() {
            let ids: Vec<&str> = completed.iter().map(|(_, id)| id.as_str()).collect();
            let prices = prices_of(tx, &ids).await?;
            for (day, id) in &completed {
                let price = prices.get(id.as_str()).copied().unwrap_or(0);
                days.entry(day.clone()).or_default().completed_value += price;
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

/// The prices of these orders as the order table holds them.
async fn prices_of(
    tx: &mut Tx,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, i64>, sqlx::Error> {
    let placeholders = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let args: Vec<Arg> = ids.iter().map(|id| Arg::from(id.to_string())).collect();
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT id, COALESCE(price, 0) AS price FROM order_list WHERE id IN ({placeholders})"
            ),
            &args,
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.text("id")?, r.int("price")?)))
        .collect()
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
            points_issued: 12,
            points_spent: 13,
            points_returned: 14,
        };
        assert_eq!(s.values(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
        let mut t = DaySums::default();
        assert!(t.is_zero());
        t.add(&s);
        t.add(&s);
        assert_eq!(
            t.values(),
            [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]
        );
        assert_eq!(t.points_outstanding(), 24 - 26 + 28);
    }
}
