//! The service's emails: what each kind says, in which language, and how one outbox row
//! becomes a message (`templates/mail/`, askama: every user-supplied text is escaped in
//! the HTML part). Derived by `process::mail`, sent by `process::mail_sender`
//! (docs/decisions/018).

use askama::Template;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as Part, Mailbox, MultiPart};
use lettre::Message;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a mail is about; with the event's position and the recipient, its outbox key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The order's status changed (to the client and to its manager).
    Status,
    /// An order is offered to the author.
    Offer,
    /// The author let an offer expire.
    OfferExpired,
    /// The approved 50% draft, attached (to the client).
    Draft,
    /// The full work, attached, once delivered: both halves paid (to the client).
    Final,
    /// A payment of one half received (to the client).
    Receipt,
    /// The account created at checkout without registration, with its initial password.
    Credentials,
    /// An order placed at checkout with an existing client's email: log in to follow it.
    LoginNotice,
    /// An order broke a time limit (to its manager and every admin).
    Problem,
    /// A manager changed the order (details, a discount) or proposes a new deadline (to
    /// the client).
    Changed,
    /// A digest of an order's new messages to one party (`process::message_digest`).
    Messages,
    /// A paid purchase of a ready-made work: the work attached (to the buyer).
    Purchase,
    /// A one-time link to set a new password, asked for at `/forgot-password` (not caused
    /// by an event: its outbox position is negative).
    PasswordReset,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Status,
        Kind::Offer,
        Kind::OfferExpired,
        Kind::Draft,
        Kind::Final,
        Kind::Receipt,
        Kind::Credentials,
        Kind::LoginNotice,
        Kind::Problem,
        Kind::Changed,
        Kind::Messages,
        Kind::Purchase,
        Kind::PasswordReset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Offer => "offer",
            Kind::OfferExpired => "offer_expired",
            Kind::Draft => "draft",
            Kind::Final => "final",
            Kind::Receipt => "receipt",
            Kind::Credentials => "credentials",
            Kind::LoginNotice => "login_notice",
            Kind::Problem => "problem",
            Kind::Changed => "changed",
            Kind::Messages => "messages",
            Kind::Purchase => "purchase",
            Kind::PasswordReset => "password_reset",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a mail's templates need, stored with its outbox row (JSON). No secrets: an
/// initial password is derived when the mail is sent ([`Secret`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The recipient's full name.
    pub name: String,
    #[serde(default)]
    pub order_id: Option<Uuid>,
    #[serde(default)]
    pub number: Option<i64>,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub subject: String,
    /// The status after the event, and before it (`None`: just placed).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_before: Option<String>,
    /// When an offer expires (RFC 3339).
    #[serde(default)]
    pub expires_at: Option<String>,
    /// A receipt's half (`first`, `second`), amount (kopecks) and payment id.
    #[serde(default)]
    pub half: Option<String>,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub payment_id: Option<String>,
    /// The account's login (credentials) and whose it is.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub user_id: Option<Uuid>,
    /// Whether the recipient is the order's manager rather than its client.
    #[serde(default)]
    pub to_staff: bool,
    /// A problem's limit: the stage's hours (with `status`), or the deadline passed.
    #[serde(default)]
    pub limit_hours: Option<i64>,
    #[serde(default)]
    pub deadline: Option<String>,
    /// What a manager changed: (field, old, new); money in kopecks, as text.
    #[serde(default)]
    pub changes: Vec<(String, String, String)>,
    /// Why (a discount's reason).
    #[serde(default)]
    pub reason: Option<String>,
    /// A deadline proposed to the client.
    #[serde(default)]
    pub proposed_deadline: Option<String>,
    /// A digest's messages, oldest first: the side that wrote each, never a name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<DigestLine>,
    /// The shop purchase the mail is about (its work's title in `topic`; no order number).
    #[serde(default)]
    pub purchase_id: Option<Uuid>,
    /// A password reset's random id, from which its link's token is derived when the mail
    /// is sent (the token itself is never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<String>,
}

/// One message of a digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestLine {
    /// `client`, `manager` or `author`.
    pub from: String,
    pub text: String,
    /// When it was posted (RFC 3339).
    pub at: String,
    /// Waiting for the recipient's (the manager's) approval.
    #[serde(default)]
    pub held: bool,
}

/// A file to attach: from the file store, by content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub sha256: String,
    pub name: String,
    pub content_type: String,
}

/// One mail the outbox owes: its key, its language and what its templates need.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub position: i64,
    pub recipient: String,
    pub kind: Kind,
    pub language: String,
    pub params: Params,
    pub attachments: Vec<AttachmentRef>,
}

impl Mail {
    /// The stable `Message-ID` of the mail with this outbox key: a copy sent again (a
    /// crash after the server took it, before it was marked sent) is recognisably the same.
    pub fn message_id(position: i64, recipient: &str, kind: Kind) -> String {
        let who = crate::files::sha256_hex(recipient.as_bytes());
        format!(
            "<{position}.{}.{}@scriptorium.mail>",
            kind.as_str(),
            &who[..16]
        )
    }
}

/// What is derived at sending time and never stored: the initial password of an account
/// created at checkout, or the token of a password-reset link.
pub struct Secret {
    pub password: Option<String>,
}

/// The human name of a status.
pub fn status_label(status: &str, en: bool) -> &'static str {
    let (ru, english) = match status {
        "new" => ("Новый", "New"),
        "offered" => ("Предложен автору", "Offered to an author"),
        "awaiting_prepayment" => ("Ожидает предоплаты", "Awaiting the first payment"),
        "in_progress" => ("В работе", "In progress"),
        "draft_review" => ("Черновик на проверке", "Draft under review"),
        "half_ready" => ("Готов на 50%", "50% ready"),
        "rework" => ("На доработке", "In rework"),
        "final_review" => ("Работа на проверке", "Final work under review"),
        "fully_ready" => (
            "Готов, ожидает оплаты второй половины",
            "Ready, awaiting the second payment",
        ),
        "delivered" => ("Выдан", "Delivered"),
        "completed" => ("Завершён", "Completed"),
        "failed" => ("Сорван", "Failed"),
        _ => ("—", "—"),
    };
    if en {
        english
    } else {
        ru
    }
}

/// The human name of an order's field a manager may change.
pub fn field_label(field: &str, en: bool) -> &'static str {
    let (ru, english) = match field {
        "topic" => ("Тема", "Topic"),
        "pages" => ("Страниц", "Pages"),
        "deadline" => ("Срок сдачи", "Deadline"),
        "requirements" => ("Требования", "Requirements"),
        "work_type" => ("Тип работы", "Work type"),
        "subject" => ("Предмет", "Subject"),
        "price" => ("Цена", "Price"),
        "extra" => ("Дополнительная услуга", "Extra service"),
        _ => ("—", "—"),
    };
    if en {
        english
    } else {
        ru
    }
}

/// Kopecks as roubles: `1 234,56 ₽` in Russian, `1,234.56 RUB` in English.
pub fn money(kopecks: i64, en: bool) -> String {
    let sign = if kopecks < 0 { "-" } else { "" };
    let k = kopecks.unsigned_abs();
    let rub = (k / 100).to_string();
    let sep = if en { ',' } else { '\u{a0}' };
    let mut grouped = String::new();
    for (i, c) in rub.chars().enumerate() {
        if i > 0 && (rub.len() - i).is_multiple_of(3) {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    if en {
        format!("{sign}{grouped}.{:02} RUB", k % 100)
    } else {
        format!("{sign}{grouped},{:02}\u{a0}₽", k % 100)
    }
}

/// Everything a template shows, as text (the templates escape it in HTML).
pub struct View {
    pub en: bool,
    pub name: String,
    pub number: i64,
    pub topic: String,
    pub subject: String,
    pub status: String,
    pub status_before: String,
    pub expires_at: String,
    pub half: String,
    pub amount: String,
    pub payment_id: String,
    pub email: String,
    pub password: String,
    pub link: String,
    pub to_staff: bool,
    pub attached: String,
    /// About a shop purchase rather than an order.
    pub purchase: bool,
    /// A problem's stage limit in hours ("" for a deadline) and the deadline passed.
    pub limit_hours: String,
    pub deadline: String,
    /// What changed, in the recipient's words: (field, old, new).
    pub changes: Vec<(String, String, String)>,
    pub reason: String,
    pub proposed_deadline: String,
    /// A digest's messages, in words.
    pub lines: Vec<Line>,
    /// How many of them wait for the recipient's approval.
    pub held: usize,
}

/// A digest's message as the templates show it.
pub struct Line {
    /// The side that wrote it, in the mail's language.
    pub from: &'static str,
    pub at: String,
    pub text: String,
    pub held: bool,
}

/// The side of a conversation in words.
fn party_label(party: &str, en: bool) -> &'static str {
    match (party, en) {
        ("client", false) => "Клиент",
        ("client", true) => "Client",
        ("author", false) => "Автор",
        ("author", true) => "Author",
        (_, false) => "Менеджер",
        (_, true) => "Manager",
    }
}

/// An RFC 3339 time as the mails write it.
fn utc_minute(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_default()
}

impl View {
    fn of(mail: &Mail, secret: &Secret, public_url: &str) -> View {
        let en = mail.language == "en";
        let p = &mail.params;
        let base = public_url.trim_end_matches('/');
        let link = match (mail.kind, p.order_id) {
            (Kind::Credentials | Kind::LoginNotice, _) => format!("{base}/login"),
            (Kind::Offer, _) => format!("{base}/offers"),
            (Kind::Purchase, _) => format!("{base}/purchases"),
            (Kind::PasswordReset, _) => format!(
                "{base}/reset-password?token={}",
                secret.password.as_deref().unwrap_or_default()
            ),
            (_, Some(id)) => format!("{base}/orders/{id}"),
            (_, None) => base.to_string(),
        };
        let half = match (p.half.as_deref(), en) {
            (Some("first"), false) => "первая половина (предоплата)",
            (Some("first"), true) => "the first half (prepayment)",
            (Some("second"), false) => "вторая половина",
            (Some("second"), true) => "the second half",
            _ => "",
        };
        View {
            en,
            name: p.name.clone(),
            number: p.number.unwrap_or(0),
            topic: p.topic.clone(),
            subject: p.subject.clone(),
            status: status_label(p.status.as_deref().unwrap_or(""), en).to_string(),
            status_before: p
                .status_before
                .as_deref()
                .map(|s| status_label(s, en).to_string())
                .unwrap_or_default(),
            expires_at: p
                .expires_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| {
                    t.with_timezone(&chrono::Utc)
                        .format("%Y-%m-%d %H:%M UTC")
                        .to_string()
                })
                .unwrap_or_default(),
            half: half.to_string(),
            amount: p.amount.map(|a| money(a, en)).unwrap_or_default(),
            payment_id: p.payment_id.clone().unwrap_or_default(),
            email: p.email.clone().unwrap_or_default(),
            password: match mail.kind {
                Kind::PasswordReset => String::new(),
                _ => secret.password.clone().unwrap_or_default(),
            },
            link,
            to_staff: p.to_staff,
            limit_hours: p.limit_hours.map(|h| h.to_string()).unwrap_or_default(),
            deadline: p.deadline.clone().unwrap_or_default(),
            changes: p
                .changes
                .iter()
                .map(|(field, old, new)| {
                    let shown = |v: &str| match (field.as_str(), v.parse::<i64>()) {
                        ("price", Ok(k)) => money(k, en),
                        _ => v.to_string(),
                    };
                    (field_label(field, en).to_string(), shown(old), shown(new))
                })
                .collect(),
            reason: p.reason.clone().unwrap_or_default(),
            proposed_deadline: p.proposed_deadline.clone().unwrap_or_default(),
            attached: mail
                .attachments
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            purchase: p.purchase_id.is_some(),
            lines: p
                .messages
                .iter()
                .map(|m| Line {
                    from: party_label(&m.from, en),
                    at: utc_minute(&m.at),
                    text: m.text.clone(),
                    held: m.held,
                })
                .collect(),
            held: p.messages.iter().filter(|m| m.held).count(),
        }
    }

    /// The subject line: every mail about an order carries its number.
    fn subject_line(&self, kind: Kind) -> String {
        let n = self.number;
        if self.purchase {
            let t = &self.topic;
            let (ru, en) = match kind {
                Kind::Credentials => (
                    format!("Покупка «{t}»: ваш аккаунт в Scriptorium"),
                    format!("Purchase of \"{t}\": your Scriptorium account"),
                ),
                Kind::LoginNotice => (
                    format!("Покупка «{t}» оформлена: войдите, чтобы оплатить"),
                    format!("Purchase of \"{t}\" made: log in to pay"),
                ),
                _ => (
                    format!("Покупка «{t}»: ваша работа"),
                    format!("Purchase of \"{t}\": your work"),
                ),
            };
            return if self.en { en } else { ru };
        }
        let (ru, en) = match kind {
            Kind::Status => (
                format!("Заказ №{n}: {}", self.status),
                format!("Order #{n}: {}", self.status),
            ),
            Kind::Offer => (
                format!("Заказ №{n}: вам предложен заказ"),
                format!("Order #{n}: an order is offered to you"),
            ),
            Kind::OfferExpired => (
                format!("Заказ №{n}: время на ответ истекло"),
                format!("Order #{n}: the offer has expired"),
            ),
            Kind::Draft => (
                format!("Заказ №{n}: черновик готов (50%)"),
                format!("Order #{n}: the 50% draft is ready"),
            ),
            Kind::Final => (
                format!("Заказ №{n}: ваша работа готова"),
                format!("Order #{n}: your work is ready"),
            ),
            Kind::Receipt => (
                format!("Заказ №{n}: оплата получена"),
                format!("Order #{n}: payment received"),
            ),
            Kind::Credentials => (
                format!("Заказ №{n}: ваш аккаунт в Scriptorium"),
                format!("Order #{n}: your Scriptorium account"),
            ),
            Kind::LoginNotice => (
                format!("Заказ №{n} принят: войдите, чтобы следить за ним"),
                format!("Order #{n} received: log in to follow it"),
            ),
            Kind::Changed if !self.proposed_deadline.is_empty() => (
                format!("Заказ №{n}: предлагаем перенести срок сдачи"),
                format!("Order #{n}: a new deadline is proposed"),
            ),
            Kind::Changed => (
                format!("Заказ №{n}: изменения в заказе"),
                format!("Order #{n}: your order was changed"),
            ),
            Kind::Problem if self.limit_hours.is_empty() => (
                format!("Заказ №{n}: срок сдачи прошёл"),
                format!("Order #{n}: past its deadline"),
            ),
            Kind::Problem => (
                format!("Заказ №{n}: превышен срок этапа «{}»", self.status),
                format!("Order #{n}: over the time limit of \"{}\"", self.status),
            ),
            Kind::Messages => {
                let k = self.lines.len();
                (
                    format!("Заказ №{n}: новые сообщения ({k})"),
                    format!("Order #{n}: new messages ({k})"),
                )
            }
            Kind::Purchase => (
                format!("Покупка «{}»: ваша работа", self.topic),
                format!("Purchase of \"{}\": your work", self.topic),
            ),
            Kind::PasswordReset => (
                "Сброс пароля в Scriptorium".to_string(),
                "Reset your Scriptorium password".to_string(),
            ),
        };
        if self.en {
            en
        } else {
            ru
        }
    }
}

/// One template per kind and part, each in a file of `templates/mail/`.
macro_rules! templates {
    ($($kind:ident => $text:ident $text_path:literal, $html:ident $html_path:literal;)*) => {
        $(
            #[derive(Template)]
            #[template(path = $text_path)]
            struct $text<'a> {
                v: &'a View,
            }

            #[derive(Template)]
            #[template(path = $html_path)]
            struct $html<'a> {
                v: &'a View,
            }
        )*

        /// The plain-text and the HTML part of `kind` with `v`.
        fn parts(kind: Kind, v: &View) -> Result<(String, String), askama::Error> {
            match kind {
                $(Kind::$kind => Ok(($text { v }.render()?, $html { v }.render()?)),)*
            }
        }
    };
}

templates! {
    Status => StatusText "mail/status.txt", StatusHtml "mail/status.html";
    Offer => OfferText "mail/offer.txt", OfferHtml "mail/offer.html";
    OfferExpired => OfferExpiredText "mail/offer_expired.txt", OfferExpiredHtml "mail/offer_expired.html";
    Problem => ProblemText "mail/problem.txt", ProblemHtml "mail/problem.html";
    Changed => ChangedText "mail/changed.txt", ChangedHtml "mail/changed.html";
    Draft => DraftText "mail/draft.txt", DraftHtml "mail/draft.html";
    Final => FinalText "mail/final.txt", FinalHtml "mail/final.html";
    Receipt => ReceiptText "mail/receipt.txt", ReceiptHtml "mail/receipt.html";
    Credentials => CredentialsText "mail/credentials.txt", CredentialsHtml "mail/credentials.html";
    LoginNotice => LoginNoticeText "mail/login_notice.txt", LoginNoticeHtml "mail/login_notice.html";
    Messages => MessagesText "mail/messages.txt", MessagesHtml "mail/messages.html";
    Purchase => PurchaseText "mail/purchase.txt", PurchaseHtml "mail/purchase.html";
    PasswordReset => PasswordResetText "mail/password_reset.txt", PasswordResetHtml "mail/password_reset.html";
}

/// A mail rendered: subject and both parts.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders `mail` in its language.
pub fn render(mail: &Mail, secret: &Secret, public_url: &str) -> Result<Rendered, String> {
    let v = View::of(mail, secret, public_url);
    let (text, html) = parts(mail.kind, &v).map_err(|e| format!("a mail template failed: {e}"))?;
    Ok(Rendered {
        subject: v.subject_line(mail.kind),
        text,
        html,
    })
}

/// The message of `mail`: from `from`, with its stable `Message-ID`, both parts, and the
/// attachments' bytes (in `attachments`' order).
pub fn message(
    mail: &Mail,
    rendered: Rendered,
    from: &str,
    files: Vec<(AttachmentRef, Vec<u8>)>,
) -> Result<Message, String> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("MAIL_FROM {from:?} is not an address: {e}"))?;
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|e| format!("{:?} is not an address: {e}", mail.recipient))?;
    let body = MultiPart::alternative_plain_html(rendered.text, rendered.html);
    let builder = Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject)
        .message_id(Some(Mail::message_id(
            mail.position,
            &mail.recipient,
            mail.kind,
        )));
    let message = if files.is_empty() {
        builder.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for (a, bytes) in files {
            let content_type = ContentType::parse(&a.content_type)
                .unwrap_or_else(|_| ContentType::parse("application/octet-stream").unwrap());
            mixed = mixed.singlepart(Part::new(a.name.clone()).body(bytes, content_type));
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| format!("the message cannot be built: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(kind: Kind, language: &str, topic: &str) -> Mail {
        Mail {
            position: 42,
            recipient: "client@example.com".into(),
            kind,
            language: language.into(),
            params: Params {
                name: "Анна <b>".into(),
                order_id: Some(Uuid::nil()),
                number: Some(17),
                topic: topic.into(),
                status: Some("half_ready".into()),
                status_before: Some("draft_review".into()),
                half: Some("first".into()),
                amount: Some(12_345_678),
                email: Some("client@example.com".into()),
                ..Params::default()
            },
            attachments: vec![],
        }
    }

    #[test]
    fn every_kind_renders_in_both_languages_with_the_order_number() {
        for kind in Kind::ALL {
            for lang in ["ru", "en"] {
                let r = render(
                    &mail(kind, lang, "Тема"),
                    &Secret {
                        password: Some("pw-123".into()),
                    },
                    "http://x",
                )
                .unwrap();
                let about = match (kind, lang) {
                    (Kind::Purchase, _) => "Тема",
                    (Kind::PasswordReset, "en") => "password",
                    (Kind::PasswordReset, _) => "пароля",
                    _ => "17",
                };
                assert!(r.subject.contains(about), "{kind:?} {lang}: {}", r.subject);
                assert!(!r.text.trim().is_empty() && !r.html.trim().is_empty());
                assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            }
        }
        let ru = render(
            &mail(Kind::Status, "ru", "t"),
            &Secret { password: None },
            "",
        )
        .unwrap();
        assert!(ru.subject.contains("Готов на 50%"), "{}", ru.subject);
        let en = render(
            &mail(Kind::Status, "en", "t"),
            &Secret { password: None },
            "",
        )
        .unwrap();
        assert!(en.subject.contains("50% ready"), "{}", en.subject);
        let creds = render(
            &mail(Kind::Credentials, "ru", "t"),
            &Secret {
                password: Some("pw-123".into()),
            },
            "",
        )
        .unwrap();
        assert!(creds.text.contains("pw-123") && creds.html.contains("pw-123"));
        let receipt = render(
            &mail(Kind::Receipt, "ru", "t"),
            &Secret { password: None },
            "",
        )
        .unwrap();
        assert!(
            receipt.text.contains("123\u{a0}456,78\u{a0}₽"),
            "{}",
            receipt.text
        );
    }

    #[test]
    fn user_text_is_escaped_in_the_html_part_only() {
        let r = render(
            &mail(Kind::Status, "ru", "<script>alert(1)</script>"),
            &Secret { password: None },
            "",
        )
        .unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;") || r.html.contains("&#60;script&#62;"));
        assert!(r.text.contains("<script>alert(1)</script>"));
        assert!(!r.html.contains("<b>"));
    }

    #[test]
    fn a_digest_lists_each_message_by_its_side_without_names_and_escapes_them() {
        let mut m = mail(Kind::Messages, "ru", "t");
        m.params.messages = vec![
            DigestLine {
                from: "author".into(),
                text: "<b>Черновик</b> будет в пятницу".into(),
                at: "2026-03-02T09:05:00+00:00".into(),
                held: false,
            },
            DigestLine {
                from: "client".into(),
                text: "мой номер +7 900 000-00-00".into(),
                at: "2026-03-02T09:06:00+00:00".into(),
                held: true,
            },
        ];
        let r = render(&m, &Secret { password: None }, "http://x").unwrap();
        assert!(
            r.subject.contains("17") && r.subject.contains("(2)"),
            "{}",
            r.subject
        );
        assert!(
            r.text.contains("Автор") && r.text.contains("Клиент"),
            "{}",
            r.text
        );
        assert!(r.text.contains("<b>Черновик</b> будет в пятницу"));
        assert!(!r.html.contains("<b>Черновик"), "{}", r.html);
        assert!(r.text.contains("2026-03-02 09:05 UTC"));
        assert!(r.html.contains("http://x/orders/"));
        let en = render(
            &Mail {
                language: "en".into(),
                ..m
            },
            &Secret { password: None },
            "",
        )
        .unwrap();
        assert!(en.subject.starts_with("Order #17: new messages"));
        assert!(en.text.contains("awaits your approval"), "{}", en.text);
    }

    #[test]
    fn money_is_grouped_in_each_language() {
        assert_eq!(money(0, true), "0.00 RUB");
        assert_eq!(money(10_000_000, true), "100,000.00 RUB");
        assert_eq!(money(123_456, false), "1\u{a0}234,56\u{a0}₽");
        assert_eq!(money(-5, true), "-0.05 RUB");
    }

    #[test]
    fn a_message_id_is_the_same_for_the_same_key_only() {
        let a = Mail::message_id(1, "a@example.com", Kind::Status);
        assert_eq!(a, Mail::message_id(1, "a@example.com", Kind::Status));
        assert_ne!(a, Mail::message_id(2, "a@example.com", Kind::Status));
        assert_ne!(a, Mail::message_id(1, "b@example.com", Kind::Status));
        assert_ne!(a, Mail::message_id(1, "a@example.com", Kind::Receipt));
        assert!(a.starts_with('<') && a.ends_with('>'));
    }
}
