//! The access policy: the one place that says who may do what, which orders a caller
//! sees, which of an order's files reach them and which fields are hidden from them.
//! JSON handlers, pages and workers ask it; nothing else decides.
//!
//! What is *allowed in the current state* is not here: that is the aggregates' business.

use aggregates::order::{FileKind, Order};
use aggregates::{Actor, Role};
use projections::order_list::{FileRow, OrderRow, Scope};
use uuid::Uuid;

use super::AppError;

/// Something a caller may ask of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    PlaceOrder,
    /// Take an order by phone for a client (found by email, or created on the spot).
    PlaceOrderByPhone,
    /// Change an order's details, give a discount, propose a new deadline.
    EditOrder,
    /// Accept or refuse a proposed deadline.
    AnswerDeadline,
    /// List and read the orders the caller's scope holds, their events, history and files.
    ReadOrders,
    SetPrice,
    OfferOrder,
    /// Take or decline an offer.
    AnswerOffer,
    /// Record a payment of an order taken by hand.
    RecordPayment,
    /// Record a payment of a ready-made work's purchase taken by hand.
    RecordPurchasePayment,
    /// Record a payment the provider notified (the signed webhook): done by the service
    /// itself ([`Actor::system`]) once the signature is verified; no token reaches it.
    ReceivePayment,
    /// Refund a failed order's client, and compensate its author.
    RecordRefund,
    /// Upload the draft or the final work.
    SubmitWork,
    /// Approve or reject a draft or a final work.
    Review,
    RequestRevision,
    CompleteOrder,
    CancelOrder,
    /// Read an order as it stood at a past moment.
    ReadPastState,
    /// Read the whole event log.
    ReadAuditLog,
    /// Create, list, block and unblock users.
    ManageUsers,
    /// Set an author's profile and rating.
    ManageAuthors,
    /// List the authors with their load and rating.
    ListAuthors,
    /// Read one author's profile and rating history (an author: only their own,
    /// [`sees_author`]).
    ReadAuthors,
    /// Read the eligible authors of an order with their chances, and its offers.
    ReadCandidates,
    /// Read the caller's own pending offers (the author's queue).
    ReadOffers,
    /// Start and end one's own shift (and so be routed orders).
    WorkShift,
    /// See who is on shift, with their open orders.
    ReadShifts,
    /// Read the director's reports (money and orders per period and per day).
    ReadReports,
    /// Read an author's ledger: entries and balance (an author: only their own,
    /// [`sees_ledger`]).
    ReadLedger,
    /// List the authors whose balance is due for a payout.
    ReadPayoutsDue,
    /// Record a payout to an author.
    RecordPayout,
    /// Read the service's settings.
    ReadSettings,
    /// Change the service's settings.
    ManageSettings,
    /// Read every change of the settings.
    ReadSettingsHistory,
    /// Read the mail outbox: what is pending, failed or sent, with attempts and errors.
    ReadOutbox,
    /// Send a failed (or waiting) mail again now.
    RetryMail,
    /// Choose the language of one's own mail and pages.
    ChooseLanguage,
    /// Pay a half of one's own order by a test payment, where no payment provider is
    /// configured (the pages' pay button; the same path as a payment by hand).
    PayTest,
    /// Take a published review off the site (the order's manager, an admin).
    HideReview,
    /// Read an order's conversation (its parties, and the auditor: [`sees_conversation`]).
    ReadMessages,
    /// Write in an order's conversation (its client, its manager or an admin, its author).
    PostMessage,
    /// Approve or reject a held message (the order's manager, an admin).
    ModerateMessage,
    /// Put a ready-made work on sale, with its file.
    ListReadyWork,
    /// Take a ready-made work off sale.
    DelistReadyWork,
    /// Download a ready-made work's file (never the public's; buyers get it by mail).
    ReadWorkFile,
    /// Buy a ready-made work (a guest buys as the client checkout makes them).
    BuyReadyWork,
    /// Read purchases of ready-made works (a client: only their own, [`sees_purchase`]).
    ReadPurchases,
    /// Make a client's account a company's or an individual's (a client: only their own).
    SetCompany,
    /// Log out, change one's own password.
    OwnAccount,
    /// Add, change and retire the catalogue's work types, subjects and extras.
    ManageCatalogue,
    /// Read every change of the catalogue.
    ReadCatalogueHistory,
    /// Add an extra from the catalogue to an order, or remove one (before the first half).
    ChangeExtras,
    /// Pay part of one's own order's first half with loyalty points.
    SpendPoints,
    /// Read one's own loyalty points and referral link.
    ReadOwnPoints,
    /// Read any client's loyalty points.
    ReadClientPoints,
}

/// Every role (the actions any logged-in user may attempt; what they reach is scoped).
const ANYONE: &[Role] = &Role::ALL;
const STAFF: &[Role] = &[Role::Manager, Role::Admin];
const AUDITORS: &[Role] = &[Role::Auditor, Role::Admin];

impl Action {
    pub const ALL: [Action; 55] = [
        Action::PlaceOrder,
        Action::PlaceOrderByPhone,
        Action::EditOrder,
        Action::AnswerDeadline,
        Action::ReadOrders,
        Action::SetPrice,
        Action::OfferOrder,
        Action::AnswerOffer,
        Action::RecordPayment,
        Action::RecordPurchasePayment,
        Action::ReceivePayment,
        Action::RecordRefund,
        Action::SubmitWork,
        Action::Review,
        Action::RequestRevision,
        Action::CompleteOrder,
        Action::CancelOrder,
        Action::ReadPastState,
        Action::ReadAuditLog,
        Action::ManageUsers,
        Action::ManageAuthors,
        Action::ListAuthors,
        Action::ReadAuthors,
        Action::ReadCandidates,
        Action::ReadOffers,
        Action::WorkShift,
        Action::ReadShifts,
        Action::ReadReports,
        Action::ReadLedger,
        Action::ReadPayoutsDue,
        Action::RecordPayout,
        Action::ReadSettings,
        Action::ManageSettings,
        Action::ReadSettingsHistory,
        Action::ReadOutbox,
        Action::RetryMail,
        Action::ChooseLanguage,
        Action::PayTest,
        Action::HideReview,
        Action::ReadMessages,
        Action::PostMessage,
        Action::ModerateMessage,
        Action::ListReadyWork,
        Action::DelistReadyWork,
        Action::ReadWorkFile,
        Action::BuyReadyWork,
        Action::ReadPurchases,
        Action::SetCompany,
        Action::OwnAccount,
        Action::ManageCatalogue,
        Action::ReadCatalogueHistory,
        Action::ChangeExtras,
        Action::SpendPoints,
        Action::ReadOwnPoints,
        Action::ReadClientPoints,
    ];

    /// The roles that may do this (on the records their scope holds).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Action::PlaceOrder | Action::RequestRevision | Action::CompleteOrder => &[Role::Client],
            Action::PlaceOrderByPhone | Action::EditOrder => STAFF,
            Action::AnswerDeadline => &[Role::Client],
            Action::ReadOrders => ANYONE,
            Action::SetPrice | Action::OfferOrder | Action::Review => STAFF,
            Action::AnswerOffer | Action::SubmitWork => &[Role::Author],
            Action::RecordPayment | Action::RecordPurchasePayment => {
                &[Role::Manager, Role::PayoutClerk, Role::Admin]
            }
            // The system actor is an admin.
            Action::ReceivePayment => &[Role::Admin],
            Action::RecordRefund => STAFF,
            Action::CancelOrder => &[Role::Client, Role::Manager, Role::Admin],
            Action::ReadPastState | Action::ReadAuditLog => AUDITORS,
            Action::ManageUsers | Action::ManageAuthors => &[Role::Admin],
            Action::ListAuthors | Action::ReadCandidates => STAFF,
            // The auditor reads the history of any author (DESIGN.md), the rating's included.
            Action::ReadAuthors => &[Role::Author, Role::Manager, Role::Auditor, Role::Admin],
            Action::ReadOffers => &[Role::Author],
            Action::WorkShift => &[Role::Manager],
            Action::ReadShifts => STAFF,
            Action::ReadReports => AUDITORS,
            Action::ReadLedger => &[Role::Author, Role::PayoutClerk, Role::Auditor, Role::Admin],
            Action::ReadPayoutsDue => &[Role::PayoutClerk, Role::Admin],
            Action::RecordPayout => &[Role::PayoutClerk],
            // What the staff's work depends on (the fee share, the threshold, the periods);
            // never a client's or an author's business.
            Action::ReadSettings => &[Role::Manager, Role::PayoutClerk, Role::Auditor, Role::Admin],
            Action::ManageSettings => &[Role::Admin],
            Action::ReadSettingsHistory => AUDITORS,
            Action::ManageCatalogue => &[Role::Admin],
            Action::ReadCatalogueHistory => AUDITORS,
            Action::ChangeExtras => STAFF,
            Action::ReadOutbox | Action::RetryMail => &[Role::Admin],
            Action::ChooseLanguage | Action::OwnAccount => ANYONE,
            Action::PayTest => &[Role::Client],
            Action::HideReview => &[Role::Manager, Role::Admin],
            // The auditor reads the whole history anyway; the payout clerk has no part in it.
            Action::ReadMessages => &[
                Role::Client,
                Role::Author,
                Role::Manager,
                Role::Auditor,
                Role::Admin,
            ],
            Action::PostMessage => &[Role::Client, Role::Author, Role::Manager, Role::Admin],
            Action::ModerateMessage => STAFF,
            Action::ListReadyWork | Action::DelistReadyWork | Action::ReadWorkFile => STAFF,
            Action::BuyReadyWork => &[Role::Client],
            // The client for themselves; the staff who deal with clients.
            Action::SetCompany => &[Role::Client, Role::Manager, Role::Admin],
            // Whoever takes, checks or audits a purchase's money, and its buyer.
            Action::ReadPurchases => &[
                Role::Client,
                Role::Manager,
                Role::PayoutClerk,
                Role::Auditor,
                Role::Admin,
            ],
            Action::SpendPoints | Action::ReadOwnPoints => &[Role::Client],
            // Who answers a client about their points, and who audits them.
            Action::ReadClientPoints => &[Role::Manager, Role::Auditor, Role::Admin],
        }
    }
}

/// Which of a route's records a role that may do its action reaches (the authorization
/// matrix's cells, rendered into `docs/authorization.md`). A record out of reach is
/// answered as if it did not exist (404), or 403 where its existence is no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// Any record.
    All,
    /// Their own: the orders they placed, their own profile, ledger, purchases, points,
    /// shift and account.
    Own,
    /// The orders routed to them (a manager).
    Routed,
    /// The orders offered to them, now or before, and the ones they took (an author).
    Offered,
    /// The orders they took (an author).
    Assigned,
}

impl Records {
    pub fn as_str(self) -> &'static str {
        match self {
            Records::All => "all",
            Records::Own => "own",
            Records::Routed => "routed",
            Records::Offered => "offered",
            Records::Assigned => "assigned",
        }
    }
}

impl Action {
    /// The action's name in the OpenAPI document's `x-action`.
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    /// The action named `name` ([`Action::name`]).
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Which records `role` reaches by this action; `None` when the role may not do it.
    pub fn records(self, role: Role) -> Option<Records> {
        use Records::*;
        if !self.roles().contains(&role) {
            return None;
        }
        // An order: its client, the manager it is routed to, the authors it was offered
        // to, and the staff who oversee every order.
        let order = match role {
            Role::Client => Own,
            Role::Manager => Routed,
            Role::Author => Offered,
            Role::PayoutClerk | Role::Auditor | Role::Admin => All,
        };
        Some(match self {
            Action::ReadOrders
            | Action::EditOrder
            | Action::SetPrice
            | Action::OfferOrder
            | Action::RecordPayment
            | Action::RecordRefund
            | Action::Review
            | Action::CancelOrder
            | Action::ReadCandidates
            | Action::ChangeExtras
            | Action::HideReview
            | Action::ModerateMessage
            | Action::AnswerOffer => order,
            // What only the author who took the order does and reads.
            Action::SubmitWork | Action::ReadMessages | Action::PostMessage => match role {
                Role::Author => Assigned,
                _ => order,
            },
            Action::PlaceOrder
            | Action::AnswerDeadline
            | Action::RequestRevision
            | Action::CompleteOrder
            | Action::PayTest
            | Action::SpendPoints
            | Action::ReadOffers
            | Action::WorkShift
            | Action::ChooseLanguage
            | Action::OwnAccount
            | Action::ReadOwnPoints => Own,
            // An author's own; the staff's any.
            Action::ReadAuthors | Action::ReadLedger => match role {
                Role::Author => Own,
                _ => All,
            },
            // A client's own; the staff's any.
            Action::ReadPurchases | Action::SetCompany => match role {
                Role::Client => Own,
                _ => All,
            },
            Action::PlaceOrderByPhone
            | Action::ReceivePayment
            | Action::RecordPurchasePayment
            | Action::ReadPastState
            | Action::ReadAuditLog
            | Action::ManageUsers
            | Action::ManageAuthors
            | Action::ListAuthors
            | Action::ReadShifts
            | Action::ReadReports
            | Action::ReadPayoutsDue
            | Action::RecordPayout
            | Action::ReadSettings
            | Action::ManageSettings
            | Action::ReadSettingsHistory
            | Action::ReadOutbox
            | Action::RetryMail
            | Action::ListReadyWork
            | Action::DelistReadyWork
            | Action::ReadWorkFile
            | Action::BuyReadyWork
            | Action::ManageCatalogue
            | Action::ReadCatalogueHistory
            | Action::ReadClientPoints => All,
        })
    }
}

/// Forbidden unless the actor's role may do `action`.
pub fn authorize(actor: &Actor, action: Action) -> Result<(), AppError> {
    if action.roles().contains(&actor.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "a {} may not do this",
            actor.role.as_str().replace('_', " ")
        )))
    }
}

/// Whether the caller may read the author `author_id`'s profile: staff who may, and the
/// author themself.
pub fn sees_author(actor: &Actor, author_id: Uuid) -> bool {
    authorize(actor, Action::ReadAuthors).is_ok()
        && (actor.role != Role::Author || actor.id == author_id)
}

/// Whether the caller may read the author `author_id`'s ledger: the payout clerk, the
/// auditor and the admin any, the author their own.
pub fn sees_ledger(actor: &Actor, author_id: Uuid) -> bool {
    authorize(actor, Action::ReadLedger).is_ok()
        && (actor.role != Role::Author || actor.id == author_id)
}

/// Whether the caller sees a purchase: its buyer, and the staff who may read purchases.
pub fn sees_purchase(actor: &Actor, buyer_id: Uuid) -> bool {
    authorize(actor, Action::ReadPurchases).is_ok()
        && (actor.role != Role::Client || actor.id == buyer_id)
}

/// Whether the caller sees who the order's client is (their id, and so their name and
/// contact): never an author, who deals with the company only.
pub fn sees_client(actor: &Actor) -> bool {
    actor.role != Role::Author
}

/// Whose orders a caller's lists hold.
pub fn scope(actor: &Actor) -> Scope {
    let id = actor.id;
    match actor.role {
        Role::Client => Scope::Client(id),
        Role::Author => Scope::Author(id),
        Role::Manager => Scope::Manager(id),
        Role::Admin | Role::Auditor | Role::PayoutClerk => Scope::All,
    }
}

/// The facts about an order that decide who sees it.
#[derive(Debug, Clone, Copy)]
pub struct Parties {
    pub client_id: Uuid,
    pub manager_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    pub offered_to: Option<Uuid>,
}

impl From<&OrderRow> for Parties {
    fn from(o: &OrderRow) -> Parties {
        Parties {
            client_id: o.client_id,
            manager_id: o.manager_id,
            author_id: o.author_id,
            offered_to: o.offered_to,
        }
    }
}

impl From<&Order> for Parties {
    fn from(o: &Order) -> Parties {
        Parties {
            client_id: o.client_id,
            manager_id: o.manager_id,
            author_id: o.author_id,
            offered_to: o.offered_to,
        }
    }
}

/// Whether a caller sees an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    Yes,
    No,
    /// An author sees an order that was ever offered to them (declined, expired or
    /// withdrawn since): a fact of the order's offers, which the caller looks up.
    IfOfferedBefore,
}

/// Who sees an order: staff who oversee every order, its client, the manager it is routed
/// to (an unrouted order no manager: it waits for the router), the author working on it
/// or offered it now, and (see [`Sight::IfOfferedBefore`]) every author it was ever
/// offered to.
pub fn sight(actor: &Actor, o: Parties) -> Sight {
    let me = actor.id;
    let yes = |b: bool| if b { Sight::Yes } else { Sight::No };
    match actor.role {
        Role::Admin | Role::Auditor | Role::PayoutClerk => Sight::Yes,
        Role::Client => yes(o.client_id == me),
        Role::Manager => yes(o.manager_id == Some(me)),
        Role::Author if o.author_id == Some(me) || o.offered_to == Some(me) => Sight::Yes,
        Role::Author => Sight::IfOfferedBefore,
    }
}

/// Whether an order, as its own events tell, shows to the caller (`false` for one never
/// placed): [`sight`], with the authors it was offered to before read from the state.
pub fn sees_order_state(actor: &Actor, order: &Order) -> bool {
    order.placed
        && match sight(actor, Parties::from(order)) {
            Sight::Yes => true,
            Sight::No => false,
            Sight::IfOfferedBefore => order.declined_by.contains(&actor.id),
        }
}

/// Whether a file of an order reaches the caller: a client gets only approved files, and
/// the final work only once both halves are paid; everyone else who sees the order, all.
pub fn sees_file(actor: &Actor, file_kind: FileKind, approved: bool, fully_paid: bool) -> bool {
    actor.role != Role::Client || (approved && (file_kind != FileKind::Final || fully_paid))
}

/// [`sees_file`] for a file of the order table.
pub fn sees_file_of(actor: &Actor, order: &OrderRow, f: &FileRow) -> bool {
    let fully_paid = order.price.is_some_and(|p| order.paid >= p);
    sees_file(actor, f.kind, f.approved, fully_paid)
}

/// Whose order's conversation the caller reads (given their role may): its client, the
/// manager it is routed to, the author who took it (not one it is only offered to), and
/// the admin and the auditor any.
pub fn sees_conversation(actor: &Actor, o: Parties) -> bool {
    let me = actor.id;
    match actor.role {
        Role::Admin | Role::Auditor => true,
        Role::Client => o.client_id == me,
        Role::Manager => o.manager_id == Some(me),
        Role::Author => o.author_id == Some(me),
        Role::PayoutClerk => false,
    }
}

/// Whether the caller reads every message of a conversation they read, held and rejected
/// ones too, with who wrote it: the company's side (manager, admin) and the auditor.
pub fn sees_every_message(actor: &Actor) -> bool {
    matches!(actor.role, Role::Manager | Role::Admin | Role::Auditor)
}

/// Whether a message of a conversation the caller reads reaches them: a visible one
/// everyone, a held or rejected one only its sender and the company.
pub fn sees_message(
    actor: &Actor,
    sender_id: Uuid,
    status: aggregates::order::MessageStatus,
) -> bool {
    status == aggregates::order::MessageStatus::Visible
        || sender_id == actor.id
        || sees_every_message(actor)
}

/// Whether the caller sees what the author is paid: between the company and the author,
/// never the client's to know.
pub fn sees_author_fee(actor: &Actor) -> bool {
    actor.role != Role::Client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor::new(Uuid::from_u128(role as u128 + 1), role)
    }

    #[test]
    fn each_action_is_allowed_to_exactly_its_roles() {
        use Role::*;
        #[rustfmt::skip]
        let table: &[(Action, [bool; 6])] = &[
            //                        client author manager clerk  auditor admin
            (Action::PlaceOrder,      [true,  false, false,  false, false,  false]),
            (Action::PlaceOrderByPhone, [false, false, true, false, false,  true ]),
            (Action::EditOrder,       [false, false, true,   false, false,  true ]),
            (Action::AnswerDeadline,  [true,  false, false,  false, false,  false]),
            (Action::ReadOrders,      [true,  true,  true,   true,  true,   true ]),
            (Action::SetPrice,        [false, false, true,   false, false,  true ]),
            (Action::OfferOrder,      [false, false, true,   false, false,  true ]),
            (Action::AnswerOffer,     [false, true,  false,  false, false,  false]),
            (Action::RecordPayment,   [false, false, true,   true,  false,  true ]),
            (Action::RecordPurchasePayment, [false, false, true, true, false,  true ]),
            (Action::ReceivePayment,  [false, false, false,  false, false,  true ]),
            (Action::RecordRefund,    [false, false, true,   false, false,  true ]),
            (Action::SubmitWork,      [false, true,  false,  false, false,  false]),
            (Action::Review,          [false, false, true,   false, false,  true ]),
            (Action::RequestRevision, [true,  false, false,  false, false,  false]),
            (Action::CompleteOrder,   [true,  false, false,  false, false,  false]),
            (Action::CancelOrder,     [true,  false, true,   false, false,  true ]),
            (Action::ReadPastState,   [false, false, false,  false, true,   true ]),
            (Action::ReadAuditLog,    [false, false, false,  false, true,   true ]),
            (Action::ManageUsers,     [false, false, false,  false, false,  true ]),
            (Action::ManageAuthors,   [false, false, false,  false, false,  true ]),
            (Action::ListAuthors,     [false, false, true,   false, false,  true ]),
            (Action::ReadAuthors,     [false, true,  true,   false, true,   true ]),
            (Action::ReadCandidates,  [false, false, true,   false, false,  true ]),
            (Action::ReadOffers,      [false, true,  false,  false, false,  false]),
            (Action::WorkShift,       [false, false, true,   false, false,  false]),
            (Action::ReadShifts,      [false, false, true,   false, false,  true ]),
            (Action::ReadReports,     [false, false, false,  false, true,   true ]),
            (Action::ReadLedger,      [false, true,  false,  true,  true,   true ]),
            (Action::ReadPayoutsDue,  [false, false, false,  true,  false,  true ]),
            (Action::RecordPayout,    [false, false, false,  true,  false,  false]),
            (Action::ReadSettings,    [false, false, true,   true,  true,   true ]),
            (Action::ManageSettings,  [false, false, false,  false, false,  true ]),
            (Action::ReadSettingsHistory, [false, false, false, false, true, true ]),
            (Action::ReadOutbox,      [false, false, false,  false, false,  true ]),
            (Action::RetryMail,       [false, false, false,  false, false,  true ]),
            (Action::ChooseLanguage,  [true,  true,  true,   true,  true,   true ]),
            (Action::PayTest,         [true,  false, false,  false, false,  false]),
            (Action::HideReview,      [false, false, true,   false, false,  true ]),
            (Action::ReadMessages,    [true,  true,  true,   false, true,   true ]),
            (Action::PostMessage,     [true,  true,  true,   false, false,  true ]),
            (Action::ModerateMessage, [false, false, true,   false, false,  true ]),
            (Action::ListReadyWork,   [false, false, true,   false, false,  true ]),
            (Action::DelistReadyWork, [false, false, true,   false, false,  true ]),
            (Action::ReadWorkFile,    [false, false, true,   false, false,  true ]),
            (Action::BuyReadyWork,    [true,  false, false,  false, false,  false]),
            (Action::ReadPurchases,   [true,  false, true,   true,  true,   true ]),
            (Action::SetCompany,      [true,  false, true,   false, false,  true ]),
            (Action::OwnAccount,      [true,  true,  true,   true,  true,   true ]),
            (Action::ManageCatalogue, [false, false, false,  false, false,  true ]),
            (Action::ReadCatalogueHistory, [false, false, false, false, true, true ]),
            (Action::ChangeExtras,    [false, false, true,   false, false,  true ]),
            (Action::SpendPoints,     [true,  false, false,  false, false,  false]),
            (Action::ReadOwnPoints,   [true,  false, false,  false, false,  false]),
            (Action::ReadClientPoints, [false, false, true,  false, true,   true ]),
        ];
        assert_eq!(table.len(), Action::ALL.len(), "every action has a row");
        let roles = [Client, Author, Manager, PayoutClerk, Auditor, Admin];
        for (action, allowed) in table {
            for (role, want) in roles.iter().zip(allowed) {
                let got = authorize(&actor(*role), *action);
                assert_eq!(got.is_ok(), *want, "{role} {action:?}");
                if let Err(e) = got {
                    assert!(matches!(e, AppError::Forbidden(_)));
                }
            }
        }
    }

    #[test]
    fn a_client_sees_only_their_own_purchases_and_an_author_none() {
        use Role::*;
        let buyer = Uuid::from_u128(7);
        let me = Actor::new(buyer, Client);
        assert!(sees_purchase(&me, buyer));
        assert!(!sees_purchase(
            &Actor::new(Uuid::from_u128(8), Client),
            buyer
        ));
        assert!(!sees_purchase(&Actor::new(buyer, Author), buyer));
        for role in [Manager, PayoutClerk, Auditor, Admin] {
            assert!(sees_purchase(&Actor::new(Uuid::from_u128(9), role), buyer));
        }
        assert!(sees_purchase(&Actor::system(), buyer));
    }

    #[test]
    fn the_system_records_the_providers_payments_and_sees_the_order() {
        let system = Actor::system();
        assert!(authorize(&system, Action::ReceivePayment).is_ok());
        let anyone = Parties {
            client_id: Uuid::from_u128(7),
            manager_id: None,
            author_id: None,
            offered_to: None,
        };
        assert_eq!(sight(&system, anyone), Sight::Yes);
    }

    #[test]
    fn who_sees_an_order() {
        let client = actor(Role::Client);
        let author = actor(Role::Author);
        let manager = actor(Role::Manager);
        let other = Uuid::from_u128(99);
        let base = Parties {
            client_id: client.id,
            manager_id: None,
            author_id: None,
            offered_to: None,
        };
        let routed_elsewhere = Parties {
            manager_id: Some(other),
            ..base
        };
        let mine = Parties {
            manager_id: Some(manager.id),
            ..base
        };
        let assigned = Parties {
            author_id: Some(author.id),
            ..base
        };
        let offered = Parties {
            offered_to: Some(author.id),
            ..base
        };
        let not_client = Parties {
            client_id: other,
            ..base
        };
        #[rustfmt::skip]
        let table: &[(&Actor, Parties, Sight)] = &[
            (&client, base, Sight::Yes),
            (&client, not_client, Sight::No),
            (&manager, base, Sight::No),
            (&manager, mine, Sight::Yes),
            (&manager, routed_elsewhere, Sight::No),
            (&author, assigned, Sight::Yes),
            (&author, offered, Sight::Yes),
            (&author, base, Sight::IfOfferedBefore),
        ];
        for (who, parties, want) in table {
            assert_eq!(sight(who, *parties), *want, "{:?} {parties:?}", who.role);
        }
        for role in [Role::Admin, Role::Auditor, Role::PayoutClerk] {
            assert_eq!(sight(&actor(role), not_client), Sight::Yes, "{role}");
            assert_eq!(sight(&actor(role), base), Sight::Yes, "{role} unrouted");
            assert_eq!(sight(&actor(role), routed_elsewhere), Sight::Yes, "{role}");
        }
    }

    #[test]
    fn an_author_sees_an_order_they_declined_as_its_state_tells() {
        let author = actor(Role::Author);
        let mut order = Order {
            placed: true,
            ..Order::default()
        };
        assert!(!sees_order_state(&author, &order));
        order.declined_by.push(author.id);
        assert!(sees_order_state(&author, &order));
        let unplaced = Order::default();
        assert!(!sees_order_state(&actor(Role::Admin), &unplaced));
    }

    #[test]
    fn who_reads_a_conversation_and_which_messages() {
        use aggregates::order::MessageStatus::{Held, Rejected, Visible};
        let client = actor(Role::Client);
        let author = actor(Role::Author);
        let manager = actor(Role::Manager);
        let other = Uuid::from_u128(99);
        let accepted = Parties {
            client_id: client.id,
            manager_id: Some(manager.id),
            author_id: Some(author.id),
            offered_to: None,
        };
        let offered = Parties {
            author_id: None,
            offered_to: Some(author.id),
            ..accepted
        };
        let elsewhere = Parties {
            client_id: other,
            manager_id: Some(other),
            author_id: Some(other),
            offered_to: None,
        };
        for who in [&client, &author, &manager] {
            assert!(sees_conversation(who, accepted), "{:?}", who.role);
            assert!(!sees_conversation(who, elsewhere), "{:?}", who.role);
        }
        assert!(
            !sees_conversation(&author, offered),
            "an offer is not enough"
        );
        for role in [Role::Admin, Role::Auditor] {
            assert!(sees_conversation(&actor(role), elsewhere), "{role}");
        }
        assert!(!sees_conversation(&actor(Role::PayoutClerk), accepted));
        // A held or rejected message: its sender and the company; a visible one, all.
        for status in [Held, Rejected] {
            assert!(sees_message(&client, client.id, status));
            assert!(!sees_message(&author, client.id, status));
            assert!(!sees_message(&client, author.id, status));
            assert!(sees_message(&manager, client.id, status));
        }
        assert!(sees_message(&author, client.id, Visible));
    }

    #[test]
    fn which_files_reach_a_client() {
        let client = actor(Role::Client);
        #[rustfmt::skip]
        let table = [
            // kind, approved, fully paid → a client gets it
            (FileKind::Draft, false, false, false),
            (FileKind::Draft, true,  false, true ),
            (FileKind::Final, true,  false, false),
            (FileKind::Final, false, true,  false),
            (FileKind::Final, true,  true,  true ),
        ];
        for (kind, approved, paid, want) in table {
            assert_eq!(
                sees_file(&client, kind, approved, paid),
                want,
                "{kind:?} {approved} {paid}"
            );
            for role in [Role::Author, Role::Manager, Role::Auditor, Role::Admin] {
                assert!(sees_file(&actor(role), kind, approved, paid), "{role}");
            }
        }
    }

    #[test]
    fn only_a_client_is_kept_from_the_author_fee() {
        for role in Role::ALL {
            assert_eq!(
                sees_author_fee(&actor(role)),
                role != Role::Client,
                "{role}"
            );
        }
    }

    #[test]
    fn an_author_reads_only_their_own_profile_and_never_the_client() {
        let author = actor(Role::Author);
        let other = Uuid::from_u128(99);
        assert!(sees_author(&author, author.id));
        assert!(!sees_author(&author, other));
        for role in [Role::Manager, Role::Auditor, Role::Admin] {
            assert!(sees_author(&actor(role), other), "{role}");
        }
        for role in [Role::Client, Role::PayoutClerk] {
            assert!(!sees_author(&actor(role), other), "{role}");
        }
        for role in Role::ALL {
            assert_eq!(sees_client(&actor(role)), role != Role::Author, "{role}");
        }
    }

    #[test]
    fn an_author_reads_only_their_own_ledger() {
        let author = actor(Role::Author);
        let other = Uuid::from_u128(99);
        assert!(sees_ledger(&author, author.id));
        assert!(!sees_ledger(&author, other));
        for role in [Role::PayoutClerk, Role::Auditor, Role::Admin] {
            assert!(sees_ledger(&actor(role), other), "{role}");
        }
        for role in [Role::Client, Role::Manager] {
            assert!(!sees_ledger(&actor(role), other), "{role}");
        }
    }

    #[test]
    fn each_role_lists_its_own_scope() {
        let id = |r: Role| actor(r).id;
        assert_eq!(scope(&actor(Role::Client)), Scope::Client(id(Role::Client)));
        assert_eq!(scope(&actor(Role::Author)), Scope::Author(id(Role::Author)));
        assert_eq!(
            scope(&actor(Role::Manager)),
            Scope::Manager(id(Role::Manager))
        );
        for role in [Role::Admin, Role::Auditor, Role::PayoutClerk] {
            assert_eq!(scope(&actor(role)), Scope::All);
        }
    }
}
