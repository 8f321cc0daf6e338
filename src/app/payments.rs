//! Payments and refunds: a payment of one half, by hand or from the provider's signed
//! notification, both through [`App::pay`]; the provider's signature; refunds and the
//! author's compensation for a failed order (docs/decisions/015).

use aggregates::order::{Half, OrderCommand, OrderError};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::orders::{parse_half, NewPayment};
use super::policy::Action;
use super::values::{Kopecks, PaymentId};
use super::views::{OrderView, PaymentReceipt, RefundMade};
use super::{App, AppError, Ctx};

/// How far a notification's signed time may be from the service's clock, either way.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// Why a notification's `X-Signature` is refused (each a 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("payment notifications are refused: no webhook secret is configured")]
    NoSecret,
    #[error("no X-Signature header")]
    Missing,
    #[error("the X-Signature header is not t=<unix seconds>,v1=<hex HMAC-SHA256>")]
    Malformed,
    #[error("the signature's time is more than {SIGNATURE_TOLERANCE_SECONDS} s away from ours")]
    Stale,
    #[error("no v1 signature matches the body")]
    Mismatch,
}

/// Checks `header` (`t=<unix seconds>,v1=<hex>[,v1=<hex>…]`) against the raw `body`:
/// one `v1` must be the HMAC-SHA256 of `"<t>.<body>"` under one of `secrets` (compared
/// in constant time), and `t` within [`SIGNATURE_TOLERANCE_SECONDS`] of `now`.
pub fn verify_signature(
    secrets: &[&str],
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t: Option<&str> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" if t.is_none() => t = Some(value),
            "t" => return Err(SignatureError::Malformed),
            // A value that is not hex can match nothing; another may.
            "v1" => signatures.extend(hex::decode(value).ok()),
            // Other schemes (v0, …) are not ours to check.
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() || t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed);
    }
    let seconds: i64 = t.parse().map_err(|_| SignatureError::Malformed)?;
    if (now.timestamp() - seconds).abs() > SIGNATURE_TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        for signature in &signatures {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes a key of any length");
            mac.update(t.as_bytes());
            mac.update(b".");
            mac.update(body);
            if mac.verify_slice(signature).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// The proof that a notification's body is the provider's (see [`App::verify_webhook`]),
/// which [`App::receive_payment`] takes.
pub struct Signed<'b> {
    body: &'b [u8],
}

impl<'b> Signed<'b> {
    /// The raw body that was signed.
    pub fn body(&self) -> &'b [u8] {
        self.body
    }
}

/// The provider's notification of one payment.
#[derive(Debug, Clone)]
pub struct ProviderPayment {
    pub order_id: Uuid,
    pub payment: NewPayment,
}

/// A refund of a failed order, as the manager asks for it.
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub amount: i64,
    pub reason: String,
    pub compensation: Option<i64>,
}

impl App {
    /// The notification's signature checked against the configured secrets (the current
    /// one and the one before a rotation) at the service clock's time.
    pub fn verify_webhook<'b>(
        &self,
        header: Option<&str>,
        body: &'b [u8],
    ) -> Result<Signed<'b>, AppError> {
        let secrets: Vec<&str> = [
            self.config.payment_webhook_secret.as_deref(),
            self.config.payment_webhook_secret_previous.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        verify_signature(&secrets, header, body, self.clock.now()).map_err(|e| {
            tracing::warn!(error = %e, "a payment notification is refused");
            AppError::BadSignature(e)
        })?;
        Ok(Signed { body })
    }

    /// A payment the provider notified, recorded by the service itself; a repeat
    /// (the same payment id for the same half) records nothing and says so.
    pub async fn receive_payment(
        &self,
        _signed: Signed<'_>,
        request_id: &str,
        notified: ProviderPayment,
    ) -> Result<PaymentReceipt, AppError> {
        let ctx = Ctx::system(request_id);
        let payment = notified.payment;
        let recorded = self
            .pay(
                &ctx,
                Action::ReceivePayment,
                notified.order_id,
                payment.clone(),
            )
            .await?;
        Ok(PaymentReceipt {
            order_id: notified.order_id,
            payment_id: payment.payment_id.trim().to_string(),
            half: payment.half,
            amount: payment.amount,
            recorded,
        })
    }

    /// A payment of one half taken by hand.
    pub async fn record_payment(
        &self,
        ctx: &Ctx,
        id: Uuid,
        payment: NewPayment,
    ) -> Result<OrderView, AppError> {
        self.pay(ctx, Action::RecordPayment, id, payment).await?;
        self.answer(&ctx.actor, id).await
    }

    /// Whether clients may pay by test payments: switched on (`SCRIPTORIUM_TEST_PAYMENTS`)
    /// and no payment provider configured.
    pub fn test_payments(&self) -> bool {
        self.config.test_payments && self.config.payment_webhook_secret.is_none()
    }

    /// The client pays the half due of their own order by a test payment: only where test
    /// payments are switched on and no payment provider is configured, for trying the
    /// service out. Recorded by the same path as a payment by hand, its id `test-<uuid>`.
    pub async fn pay_test(&self, ctx: &Ctx, id: Uuid, half: &str) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::PayTest, id).await?;
        if !self.test_payments() {
            return Err(AppError::Conflict(
                "test payments are off: the order is paid by bank transfer, recorded by the \
                 manager, or through the payment provider"
                    .into(),
            ));
        }
        let order = self.answer(&ctx.actor, id).await?.order;
        let amount = match parse_half(half)? {
            Half::First => order.first_half_due,
            Half::Second => order.second_half,
        }
        .ok_or_else(|| AppError::Conflict("the order has no price yet".into()))?;
        let payment = NewPayment {
            half: half.to_string(),
            amount,
            payment_id: format!("test-{}", Uuid::new_v4()),
        };
        self.pay(ctx, Action::PayTest, id, payment).await?;
        self.answer(&ctx.actor, id).await
    }

    /// The one way a payment is recorded, by hand or notified: the policy's yes to
    /// `action`, the values parsed, a payment id that already paid another order (or
    /// the other half) refused, then the order's own rules (the half due, its exact
    /// amount, a repeat of the same id changing nothing). Whether it appended anything.
    async fn pay(
        &self,
        ctx: &Ctx,
        action: Action,
        id: Uuid,
        payment: NewPayment,
    ) -> Result<bool, AppError> {
        self.authorize_on(ctx, action, id).await?;
        let half = parse_half(&payment.half)?;
        let payment_id = PaymentId::parse(&payment.payment_id)?;
        let amount = Kopecks::positive(payment.amount)?;
        // The table as it stands: a command does not wait for the read models (decision
        // 010), so a payment of another order within their lag is not seen (decision 015).
        if let Some(used) = projections::payments::by_id(&self.db, payment_id.as_str()).await? {
            if used.order_id != id || used.half != Some(half) {
                return Err(used_elsewhere(&used, id));
            }
        }
        let cmd = OrderCommand::RecordPayment {
            half,
            amount: amount.get(),
            payment_id: payment_id.into_string(),
            guarantee_days: self.guarantee_days().await?,
            at: self.clock.now(),
        };
        match self.order_at(id, cmd, ctx).await {
            Ok(at) => Ok(at.is_some()),
            Err(AppError::Order(OrderError::WrongAmount {
                half,
                expected,
                got,
            })) => {
                tracing::warn!(
                    order = %id,
                    half = projections::payments::half_code(half),
                    expected,
                    got,
                    actor = %ctx.actor.id,
                    "a payment of the wrong amount is refused"
                );
                Err(AppError::Order(OrderError::WrongAmount {
                    half,
                    expected,
                    got,
                }))
            }
            Err(e) => Err(e),
        }
    }

    /// A manager (or admin) refunds part or the rest of what the client paid for a
    /// failed order, and may compensate its author for the work done.
    pub async fn record_refund(
        &self,
        ctx: &Ctx,
        id: Uuid,
        refund: NewRefund,
    ) -> Result<RefundMade, AppError> {
        self.authorize_on(ctx, Action::RecordRefund, id).await?;
        let amount = Kopecks::positive(refund.amount)?;
        let compensation = match refund.compensation {
            Some(c) if c <= 0 => {
                return Err(AppError::Order(OrderError::InvalidCompensation));
            }
            c => c,
        };
        let (refund_id, at) = (Uuid::new_v4(), self.clock.now());
        let reason = refund.reason.trim().to_string();
        let cmd = OrderCommand::RecordRefund {
            actor: ctx.actor,
            refund_id,
            amount: amount.get(),
            reason: reason.clone(),
            compensation,
            at,
        };
        self.order(id, cmd, ctx).await?;
        let order = self.answer(&ctx.actor, id).await?;
        Ok(RefundMade {
            refund_id,
            amount: amount.get(),
            reason,
            compensation,
            at,
            refunded: order.order.refunded,
            paid: order.order.paid,
        })
    }
}

/// The refusal of a payment id that already paid something other than `id` (or another
/// half of it).
pub(crate) fn used_elsewhere(used: &projections::payments::PaymentRow, id: Uuid) -> AppError {
    let what = match used.half {
        None => "a ready-made work's purchase".to_string(),
        Some(h) => {
            let whose = if used.order_id == id {
                "this order"
            } else {
                "another order"
            };
            format!(
                "the {} half of {whose}",
                projections::payments::half_code(h)
            )
        }
    };
    AppError::Conflict(format!(
        "payment id {:?} already paid {what}",
        used.payment_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_is_checked_against_the_body_the_time_and_every_secret() {
        let body = br#"{"payment_id":"p"}"#;
        let t = now().timestamp();
        let good = sign("new", t, body);
        let header = format!("t={t},v1={good}");
        let check =
            |secrets: &[&str], h: Option<&str>, b: &[u8]| verify_signature(secrets, h, b, now());
        assert_eq!(check(&["new"], Some(&header), body), Ok(()));
        assert_eq!(check(&["old", "new"], Some(&header), body), Ok(()));
        assert_eq!(
            check(&["new"], Some(&header), b"{}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&["other"], Some(&header), body),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&[], Some(&header), body),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(check(&["new"], None, body), Err(SignatureError::Missing));
        let several = format!("t={t}, v1={}, v1=zz, v1={good}", "00".repeat(32));
        assert_eq!(check(&["new"], Some(&several), body), Ok(()));
        for bad in [
            format!("v1={good}"),
            format!("t={t}"),
            format!("t=-{t},v1={good}"),
            format!("t={t},t={t},v1={good}"),
            "garbage".to_string(),
        ] {
            assert_eq!(
                check(&["new"], Some(&bad), body),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_signature_more_than_five_minutes_away_is_stale() {
        let body = b"{}";
        for (offset, ok) in [(-300, true), (300, true), (-301, false), (301, false)] {
            let t = now().timestamp() + offset;
            let header = format!("t={t},v1={}", sign("k", t, body));
            let got = verify_signature(&["k"], Some(&header), body, now());
            assert_eq!(got.is_ok(), ok, "{offset} s: {got:?}");
            if !ok {
                assert_eq!(got, Err(SignatureError::Stale));
            }
        }
    }
}
