//! The ledger services: an author's ledger (the author, the payout clerk, the auditor, the
//! admin), the payouts due, and a payout recorded by the payout clerk. Each asks the
//! access policy first; the answers are the views below (also the OpenAPI schemas).

use aggregates::account::AccountCommand;
use aggregates::{Actor, Role};
use projections::ledger::{self, LedgerEntry};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::values::Kopecks;
use super::{App, AppError, Ctx};

/// The longest payout reference accepted.
pub const MAX_REFERENCE_CHARS: usize = 200;

/// One entry of an author's ledger.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LedgerEntryView {
    /// When (RFC 3339).
    pub at: String,
    /// `credit` (the fee of a completed order), `compensation` (for work on a failed
    /// order) or `payout`.
    #[schema(examples("credit"))]
    pub kind: String,
    /// The order of a credit or a compensation.
    #[schema(required = true)]
    pub order_id: Option<Uuid>,
    /// The payout clerk's reference of a payout.
    #[schema(required = true)]
    pub reference: Option<String>,
    /// Kopecks, positive (a payout's is subtracted).
    #[schema(minimum = 1)]
    pub amount: i64,
    /// The balance after this entry, in kopecks.
    #[schema(minimum = 0)]
    pub balance: i64,
}

impl From<LedgerEntry> for LedgerEntryView {
    fn from(e: LedgerEntry) -> LedgerEntryView {
        LedgerEntryView {
            at: e.at,
            kind: e.kind,
            order_id: e.order_id,
            reference: e.reference,
            amount: e.amount,
            balance: e.balance,
        }
    }
}

/// An author's ledger: what the company owes them now and every entry, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LedgerView {
    /// Kopecks.
    #[schema(minimum = 0)]
    pub balance: i64,
    pub entries: Vec<LedgerEntryView>,
}

/// An author whose balance is at or above the payout threshold.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PayoutDue {
    pub author_id: Uuid,
    pub full_name: String,
    /// Kopecks.
    pub balance: i64,
}

/// A payout to record (`POST /api/payouts`).
#[derive(Debug, Clone)]
pub struct NewPayout {
    pub author_id: Uuid,
    pub amount: i64,
    pub reference: String,
}

/// A payout as recorded, with the author's balance after it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PayoutView {
    pub author_id: Uuid,
    pub reference: String,
    /// Kopecks.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// The author's balance now, in kopecks.
    #[schema(minimum = 0)]
    pub balance: i64,
}

impl App {
    /// An author's ledger: the author's own, or any for the payout clerk, the auditor and
    /// the admin (an unknown author, or another author's ledger for an author: 404).
    pub async fn author_ledger(&self, actor: &Actor, id: Uuid) -> Result<LedgerView, AppError> {
        policy::authorize(actor, Action::ReadLedger)?;
        if !policy::sees_ledger(actor, id) {
            return Err(AppError::NotFound);
        }
        self.author_user(id).await?;
        let entries = ledger::entries_of(&self.db, id).await?;
        let balance = entries.last().map_or(0, |e| e.balance);
        Ok(LedgerView {
            balance,
            entries: entries.into_iter().map(LedgerEntryView::from).collect(),
        })
    }

    /// The authors whose balance is at or above the threshold in force, largest first.
    pub async fn payouts_due(&self, actor: &Actor) -> Result<Vec<PayoutDue>, AppError> {
        policy::authorize(actor, Action::ReadPayoutsDue)?;
        let threshold = self.payout_threshold().await?;
        Ok(ledger::due(&self.db, threshold)
            .await?
            .into_iter()
            .map(|d| PayoutDue {
                author_id: d.author_id,
                full_name: d.full_name,
                balance: d.balance,
            })
            .collect())
    }

    /// The payout clerk records a payout: at most the balance, decided by the account
    /// itself. The same reference and amount again is the first payout, answered again
    /// (`false`: nothing was recorded this time).
    pub async fn record_payout(
        &self,
        ctx: &Ctx,
        payout: NewPayout,
    ) -> Result<(PayoutView, bool), AppError> {
        policy::authorize(&ctx.actor, Action::RecordPayout)?;
        self.author_user(payout.author_id).await?;
        let amount = Kopecks::positive(payout.amount)?.get();
        let reference = payout.reference.trim().to_string();
        if reference.chars().count() > MAX_REFERENCE_CHARS {
            return Err(AppError::Invalid(format!(
                "a payout's reference is at most {MAX_REFERENCE_CHARS} characters"
            )));
        }
        let cmd = AccountCommand::RecordPayout {
            reference: reference.clone(),
            amount,
            at: self.clock.now(),
        };
        let appended = self.account(payout.author_id, cmd, ctx).await?.is_some();
        let account = self.account_state(payout.author_id).await?;
        let amount =
            account.payouts.get(&reference).copied().ok_or_else(|| {
                AppError::infrastructure("a payout accepted but not in its account")
            })?;
        Ok((
            PayoutView {
                author_id: payout.author_id,
                reference,
                amount,
                balance: account.balance,
            },
            appended,
        ))
    }

    /// The latest payouts to any author, newest first (the payout clerk's history).
    pub async fn recent_payouts(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<ledger::PayoutRow>, AppError> {
        policy::authorize(actor, Action::ReadPayoutsDue)?;
        Ok(ledger::recent_payouts(&self.db, limit.clamp(1, 500)).await?)
    }

    /// The user `id`, who must be an author (404 otherwise).
    async fn author_user(&self, id: Uuid) -> Result<(), AppError> {
        match projections::users::by_id(&self.db, id).await? {
            Some(u) if u.role == Role::Author => Ok(()),
            _ => Err(AppError::NotFound),
        }
    }
}
