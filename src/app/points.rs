//! Loyalty points and referrals (docs/decisions/026): a client's points and referral link
//! (`GET /api/me/points`; staff: `GET /api/clients/{id}/points`), points spent on an
//! order's first half (`POST /api/orders/{id}/points`), and the referral code a new
//! client registers with. 1 point = 1 kopeck.

use aggregates::order::OrderCommand;
use aggregates::points::PointsCommand;
use aggregates::{Actor, Role};
use projections::points::{self, PointsEntry};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::views::OrderView;
use super::{App, AppError, Ctx};

/// One entry of a client's points.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PointsEntryView {
    /// When (RFC 3339).
    pub at: String,
    /// `cashback` (of the client's completed order), `referral` (of an invited client's
    /// completed order), `spent` (on an order's first half) or `returned` (that order
    /// failed).
    #[schema(examples("cashback"))]
    pub kind: String,
    /// Points, positive (a spend's is subtracted).
    #[schema(minimum = 1)]
    pub points: i64,
    /// The order it is about (an invited client's, for a referral).
    pub order_id: Uuid,
    /// The balance after this entry.
    #[schema(minimum = 0)]
    pub balance: i64,
}

impl From<PointsEntry> for PointsEntryView {
    fn from(e: PointsEntry) -> PointsEntryView {
        PointsEntryView {
            at: e.at,
            kind: e.kind,
            points: e.points,
            order_id: e.order_id,
            balance: e.balance,
        }
    }
}

/// A client's points: the balance, every entry (oldest first) and their referral link.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PointsView {
    /// Points the client may spend now (1 point = 1 kopeck).
    #[schema(minimum = 0)]
    pub balance: i64,
    pub entries: Vec<PointsEntryView>,
    /// The client's referral code.
    pub referral_code: String,
    /// The page a friend registers through (`/register?ref=<code>`), relative to the site.
    #[schema(examples("/register?ref=0b5e3c9a2f0d4b8e9a1c7d6e5f4a3b2c"))]
    pub referral_link: String,
}

/// The referral code of a client: their id without dashes (deterministic, one per client,
/// nothing to store).
pub fn referral_code(client_id: Uuid) -> String {
    client_id.simple().to_string()
}

/// The registration page's link with a client's referral code.
pub fn referral_link(client_id: Uuid) -> String {
    format!("/register?ref={}", referral_code(client_id))
}

impl App {
    /// The caller's own points and referral link (a client).
    pub async fn my_points(&self, actor: &Actor) -> Result<PointsView, AppError> {
        policy::authorize(actor, Action::ReadOwnPoints)?;
        self.points_of(actor.id).await
    }

    /// A client's points (manager, auditor, admin); an unknown id, or one that is not a
    /// client's: 404.
    pub async fn points_of_client(
        &self,
        actor: &Actor,
        client_id: Uuid,
    ) -> Result<PointsView, AppError> {
        policy::authorize(actor, Action::ReadClientPoints)?;
        match projections::users::by_id(&self.db, client_id).await? {
            Some(u) if u.role == Role::Client => {}
            _ => return Err(AppError::NotFound),
        }
        self.points_of(client_id).await
    }

    async fn points_of(&self, client_id: Uuid) -> Result<PointsView, AppError> {
        let entries = points::entries_of(&self.db, client_id).await?;
        Ok(PointsView {
            balance: entries.last().map_or(0, |e| e.balance),
            entries: entries.into_iter().map(PointsEntryView::from).collect(),
            referral_code: referral_code(client_id),
            referral_link: referral_link(client_id),
        })
    }

    /// The client whose referral `code` this is, if it names one: an unknown or malformed
    /// code names nobody (a registration goes on without a referrer).
    pub async fn referrer_of(&self, code: Option<&str>) -> Result<Option<Uuid>, AppError> {
        let Some(id) = code.map(str::trim).and_then(|c| Uuid::parse_str(c).ok()) else {
            return Ok(None);
        };
        let user = self.user_state(id).await?;
        Ok((user.exists && user.role == Some(Role::Client)).then_some(id))
    }

    /// The client pays `points` of their order's first half with their points: the order's
    /// own rules first (while the first half is due, at most the half, once; nothing is
    /// debited when it says no), then the debit of the points (at most the balance), then
    /// the order. Should the order refuse after the debit (it moved on meanwhile), the
    /// points are given back at once. A repeat of the same spend changes nothing.
    pub async fn spend_points(
        &self,
        ctx: &Ctx,
        id: Uuid,
        points: i64,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::SpendPoints, id).await?;
        if points <= 0 {
            return Err(AppError::Invalid(
                "points: a positive number of points (1 point = 1 kopeck)".into(),
            ));
        }
        let at = self.clock.now();
        let apply = OrderCommand::ApplyPoints {
            client_id: ctx.actor.id,
            points,
            at,
        };
        self.check_order(id, &apply).await?;
        let spend = PointsCommand::Spend {
            order_id: id,
            points,
            at,
        };
        self.client_points(ctx.actor.id, spend, ctx).await?;
        if let Err(e) = self.order(id, apply, ctx).await {
            let back = PointsCommand::Return { order_id: id, at };
            self.client_points(ctx.actor.id, back, ctx).await?;
            return Err(e);
        }
        self.answer(&ctx.actor, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referral_code_names_its_client_and_nobody_else() {
        let id = Uuid::from_u128(0x1234);
        let code = referral_code(id);
        assert_eq!(code.len(), 32);
        assert_eq!(Uuid::parse_str(&code).unwrap(), id);
        assert_eq!(referral_link(id), format!("/register?ref={code}"));
        assert_ne!(referral_code(Uuid::from_u128(0x1235)), code);
    }
}
