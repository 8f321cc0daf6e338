//! The order's conversation: who may post (the client, the order's manager or an admin,
//! the author once they took the order), what a message may be, and the anti-bypass rule:
//! a message from the client or the author that seems to carry a contact (an email, a
//! phone number, a link, a messenger handle) is held until the manager approves it.
//! [`find_contact`] is the pure detection both the aggregate and its tests use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate::Order;
use super::error::OrderError;
use super::events::OrderEvent;
use crate::{Actor, Role};

/// The longest message, in characters (after trimming).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// What a held message seemed to carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Email,
    Phone,
    /// `http(s)://…`, `www.…` or a bare domain such as `name.ru`.
    Link,
    /// A messenger handle such as `@ivan_petrov` (or `t.me/…`, counted as a link).
    Handle,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Email => "email",
            ContactKind::Phone => "phone",
            ContactKind::Link => "link",
            ContactKind::Handle => "handle",
        }
    }
}

/// Where a message stands: seen by every party, waiting for the manager, or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Visible,
    Held,
    Rejected,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Visible => "visible",
            MessageStatus::Held => "held",
            MessageStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<MessageStatus> {
        [
            MessageStatus::Visible,
            MessageStatus::Held,
            MessageStatus::Rejected,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// What the order remembers of a message to decide on it (not its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageState {
    pub id: Uuid,
    /// The sender's role.
    pub by: Role,
    pub sender_id: Uuid,
    pub status: MessageStatus,
}

/// The side of the conversation a role speaks for: an admin speaks for the company, as
/// the manager does (`client`, `manager`, `author`); `None` for a role that takes no part.
pub fn party_of(role: Role) -> Option<&'static str> {
    match role {
        Role::Client => Some("client"),
        Role::Author => Some("author"),
        Role::Manager | Role::Admin => Some("manager"),
        Role::PayoutClerk | Role::Auditor => None,
    }
}

impl Order {
    /// The message with this id, if posted.
    pub fn message(&self, id: Uuid) -> Option<&MessageState> {
        self.messages.iter().find(|m| m.id == id)
    }

    /// A party posts a message: values first (422), then who (409), then the status.
    pub(super) fn post_message(
        &self,
        actor: Actor,
        message_id: Uuid,
        text: String,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(OrderError::EmptyField("text"));
        }
        let chars = text.chars().count();
        if chars > MAX_MESSAGE_CHARS {
            return Err(OrderError::MessageTooLong {
                max: MAX_MESSAGE_CHARS,
                got: chars,
            });
        }
        match actor.role {
            Role::Client if actor.id != self.client_id => return Err(OrderError::NotYourOrder),
            // Only the author who took the order (an offer is not enough).
            Role::Author if self.author_id != Some(actor.id) => {
                return Err(OrderError::NotYourWork)
            }
            Role::Manager if self.manager_id != Some(actor.id) => {
                return Err(OrderError::RoutedToAnotherManager)
            }
            Role::Client | Role::Author | Role::Manager | Role::Admin => {}
            role @ (Role::PayoutClerk | Role::Auditor) => return Err(OrderError::NotAParty(role)),
        }
        if self.status.is_terminal() {
            return Err(OrderError::WrongStatus(self.status));
        }
        if self.message(message_id).is_some() {
            return Err(OrderError::DuplicateMessage);
        }
        // The company's side is never held: only the client and the author could bypass it.
        let held_for = match actor.role {
            Role::Client | Role::Author => find_contact(&text),
            _ => None,
        };
        Ok(vec![OrderEvent::MessagePosted {
            message_id,
            by: actor.role,
            sender_id: actor.id,
            text,
            held: held_for.is_some(),
            held_for,
            at,
        }])
    }

    /// The order's manager (or an admin) lets a held message through: the event carries
    /// what the other parties now see (the sender's side and the text, never a name).
    pub(super) fn approve_message(
        &self,
        actor: Actor,
        message_id: Uuid,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.check_moderator(actor)?;
        let m = self.held_message(message_id)?;
        Ok(vec![OrderEvent::MessageApproved {
            message_id,
            from: m.by,
            text: text.to_string(),
            at,
        }])
    }

    /// The order's manager (or an admin) refuses a held message, saying why: the other
    /// parties never see it.
    pub(super) fn reject_message(
        &self,
        actor: Actor,
        message_id: Uuid,
        reason: String,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return Err(OrderError::EmptyField("reason"));
        }
        self.check_moderator(actor)?;
        self.held_message(message_id)?;
        Ok(vec![OrderEvent::MessageRejected {
            message_id,
            reason,
            at,
        }])
    }

    fn check_moderator(&self, actor: Actor) -> Result<(), OrderError> {
        match actor.role {
            Role::Admin => Ok(()),
            Role::Manager if self.manager_id == Some(actor.id) => Ok(()),
            Role::Manager => Err(OrderError::RoutedToAnotherManager),
            _ => Err(OrderError::NotYourOrder),
        }
    }

    fn held_message(&self, message_id: Uuid) -> Result<&MessageState, OrderError> {
        let m = self
            .message(message_id)
            .ok_or(OrderError::UnknownMessage(message_id))?;
        match m.status {
            MessageStatus::Held => Ok(m),
            MessageStatus::Visible => Err(OrderError::MessageNotHeld),
            MessageStatus::Rejected => Err(OrderError::MessageAlreadyRejected),
        }
    }

    /// How a message event changes the order's memory of its conversation.
    pub(super) fn apply_message(&mut self, event: &OrderEvent) {
        match event {
            OrderEvent::MessagePosted {
                message_id,
                by,
                sender_id,
                held,
                ..
            } => self.messages.push(MessageState {
                id: *message_id,
                by: *by,
                sender_id: *sender_id,
                status: if *held {
                    MessageStatus::Held
                } else {
                    MessageStatus::Visible
                },
            }),
            OrderEvent::MessageApproved { message_id, .. } => {
                self.set_message_status(*message_id, MessageStatus::Visible)
            }
            OrderEvent::MessageRejected { message_id, .. } => {
                self.set_message_status(*message_id, MessageStatus::Rejected)
            }
            _ => {}
        }
    }

    fn set_message_status(&mut self, id: Uuid, status: MessageStatus) {
        if let Some(m) = self.messages.iter_mut().find(|m| m.id == id) {
            m.status = status;
        }
    }
}

/// Top-level domains a bare domain (`name.ru`, `site.com/page`) is recognised by: the ones
/// people give out; a file name (`work.docx`) or an abbreviation (`e.g.`) is not a link.
const TLDS: &[&str] = &[
    "ru", "com", "net", "org", "su", "рф", "info", "biz", "io", "me", "co", "us", "uk", "de", "ua",
    "by", "kz", "uz", "am", "ge", "online", "site", "store", "shop", "pro", "xyz", "top", "app",
    "dev", "link", "club", "space", "tech", "website", "ly", "gl", "cc", "tv", "ws",
];

/// The first contact `text` seems to carry, if any: an email address (also written
/// `name (at) mail.ru`), a messenger handle (`@name`), a link (`http(s)://`, `www.`, a
/// bare domain such as `name.ru`), or a phone number (7 to 15 digits written together,
/// allowing spaces, dashes, parentheses and a leading `+`; a date such as `2026-04-15` or
/// a year range such as `1990-2000` is not one, nor a page count). Pure; errs on the side
/// of holding: a false alarm costs a manager's click, a miss the company's client.
pub fn find_contact(text: &str) -> Option<ContactKind> {
    let normal = normalise(text);
    if let Some(kind) = find_at_sign(&normal) {
        return Some(kind);
    }
    if has_link(&normal) {
        return Some(ContactKind::Link);
    }
    if has_phone(&normal) {
        return Some(ContactKind::Phone);
    }
    None
}

/// Lower case, with the usual disguises of `@` and `.` undone.
fn normalise(text: &str) -> String {
    let mut s = text.to_lowercase();
    for (from, to) in [
        (" (at) ", "@"),
        (" [at] ", "@"),
        (" (dot) ", "."),
        (" [dot] ", "."),
        ("(at)", "@"),
        ("[at]", "@"),
        ("{at}", "@"),
        ("(собака)", "@"),
        ("(dot)", "."),
        ("[dot]", "."),
        ("{dot}", "."),
        ("(точка)", "."),
        (" @ ", "@"),
    ] {
        s = s.replace(from, to);
    }
    s
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "._%+-".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '-'
}

/// An email (`local@domain.tld`) or a handle (`@name`, at least 4 characters).
fn find_at_sign(s: &str) -> Option<ContactKind> {
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '@' {
            continue;
        }
        let local = chars[..i]
            .iter()
            .rev()
            .take_while(|c| is_local_char(**c))
            .count();
        let domain: String = chars[i + 1..]
            .iter()
            .take_while(|c| is_domain_char(**c))
            .collect();
        let domain = domain.trim_end_matches(['.', '-']);
        let has_tld = domain
            .rsplit_once('.')
            .is_some_and(|(name, tld)| !name.is_empty() && tld.chars().count() >= 2);
        if local > 0 && has_tld {
            return Some(ContactKind::Email);
        }
        let handle = chars[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
            .count();
        if local == 0 && handle >= 4 {
            return Some(ContactKind::Handle);
        }
    }
    None
}

/// A URL scheme, `www.`, a messenger's short link or a bare domain with a known TLD.
fn has_link(s: &str) -> bool {
    if ["http://", "https://", "www.", "t.me/", "wa.me/", "vk.cc/"]
        .iter()
        .any(|p| s.contains(p))
    {
        return true;
    }
    s.split(|c: char| c.is_whitespace() || ",;:!?\"'()<>«»[]{}".contains(c))
        .any(|token| {
            let host = token.split('/').next().unwrap_or("");
            let host = host.trim_end_matches(['.', '-']);
            let Some((name, tld)) = host.rsplit_once('.') else {
                return false;
            };
            let label = name.rsplit('.').next().unwrap_or("");
            TLDS.contains(&tld)
                && label.chars().count() >= 2
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && label.chars().any(char::is_alphanumeric)
        })
}

/// 7 to 15 digits written as one number: digit groups joined by at most two of space,
/// dash, parenthesis (and a `+` in front); dates and year ranges are not phones.
fn has_phone(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A run: digit groups with short separators between them.
        let mut groups: Vec<String> = vec![String::new()];
        let mut seps: Vec<String> = Vec::new();
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                groups.last_mut().expect("a group").push(c);
                j += 1;
                continue;
            }
            let sep: String = chars[j..]
                .iter()
                .take_while(|c| " -()+\u{a0}–".contains(**c))
                .collect();
            let n = sep.chars().count();
            if n == 0 || n > 2 || !chars.get(j + n).is_some_and(char::is_ascii_digit) {
                break;
            }
            seps.push(sep);
            groups.push(String::new());
            j += n;
        }
        let digits: usize = groups.iter().map(String::len).sum();
        if (7..=15).contains(&digits) && !is_date_or_years(&groups, &seps) {
            return true;
        }
        i = j.max(i + 1);
    }
    false
}

/// `2026-04-15`, `15-04-2026`, `1990-2000`, `1990 2000`: groups that read as a date or a
/// range of years.
fn is_date_or_years(groups: &[String], seps: &[String]) -> bool {
    let lens: Vec<usize> = groups.iter().map(String::len).collect();
    let dashes = seps.iter().all(|s| s.trim() == "-" || s.trim() == "–");
    let year = |g: &String| g.len() == 4 && (g.starts_with("19") || g.starts_with("20"));
    match lens.as_slice() {
        [4, 2, 2] => dashes && year(&groups[0]),
        [2, 2, 4] | [1, 2, 4] | [2, 1, 4] | [1, 1, 4] => dashes && year(&groups[2]),
        [4, 4] => year(&groups[0]) && year(&groups[1]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_in_plain_and_disguised_forms_are_found() {
        for text in [
            "write to ivan@mail.ru please",
            "Ivan.Petrov+work@Gmail.com",
            "мой адрес: anna_k@yandex.ru.",
            "ivan (at) mail.ru",
            "ivan[at]mail[dot]ru",
            "ivan @ mail.ru",
            "ivan(собака)mail(точка)ru",
        ] {
            assert_eq!(find_contact(text), Some(ContactKind::Email), "{text}");
        }
    }

    #[test]
    fn handles_are_found_but_a_lone_at_sign_is_not() {
        assert_eq!(
            find_contact("пишите в телеграм @ivan_petrov"),
            Some(ContactKind::Handle)
        );
        assert_eq!(find_contact("meet @ noon"), None);
        assert_eq!(find_contact("5 pages @ 300 each"), None);
        assert_eq!(find_contact("@me"), None);
    }

    #[test]
    fn phones_with_any_usual_punctuation_are_found() {
        for text in [
            "+7 900 123-45-67",
            "8 (900) 123 45 67",
            "call 89001234567",
            "тел. 123-45-67",
            "+44 20 7946 0958",
            "8-800-555-35-35",
            "1234567",
        ] {
            assert_eq!(find_contact(text), Some(ContactKind::Phone), "{text}");
        }
    }

    #[test]
    fn page_counts_dates_prices_and_years_are_not_phones() {
        for text in [
            "25 pages by 2026-04-15, please",
            "the deadline is 15-04-2026",
            "deadline 15.04.2026 at 18:00",
            "the 1990-2000 period, chapters 1-3",
            "between 1990 and 2000",
            "the price is 250000 kopecks",
            "pages 10-15 and 20-25",
            "ГОСТ 7.1-2003, 40 sources",
            "order #123456",
            "v2.0 of the draft, 3.5 MB",
        ] {
            assert_eq!(find_contact(text), None, "{text}");
        }
    }

    #[test]
    fn links_schemes_www_and_bare_domains_are_found() {
        for text in [
            "see https://example.org/x",
            "http://1.2.3.4/file",
            "www.site.net",
            "my site: ivan-writer.ru",
            "Найдите меня на ivan.com/portfolio",
            "t.me/ivan",
            "сайт автора.рф",
            "ivan (dot) ru",
        ] {
            assert_eq!(find_contact(text), Some(ContactKind::Link), "{text}");
        }
    }

    #[test]
    fn file_names_and_abbreviations_are_not_links() {
        for text in [
            "I attached draft.docx and notes.pdf",
            "e.g. chapter two, i.e. the intro",
            "т.е. введение",
            "Mr.Smith wrote it",
            "",
            "Добрый день! Когда будет черновик?",
        ] {
            assert_eq!(find_contact(text), None, "{text}");
        }
    }

    #[test]
    fn an_admin_speaks_for_the_manager_and_staff_who_do_not_take_part_have_no_side() {
        assert_eq!(party_of(Role::Admin), Some("manager"));
        assert_eq!(party_of(Role::Client), Some("client"));
        assert_eq!(party_of(Role::Author), Some("author"));
        assert_eq!(party_of(Role::PayoutClerk), None);
        assert_eq!(party_of(Role::Auditor), None);
        assert_eq!(MessageStatus::parse("held"), Some(MessageStatus::Held));
    }
}
