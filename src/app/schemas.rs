//! The OpenAPI schemas of the domain's enumerations, which the views name with
//! `#[schema(value_type = …)]`: the aggregates crate does not depend on utoipa, so each
//! schema is written here from the enumeration's own list of wire names.

use std::borrow::Cow;

use aggregates::order::{FileKind, OrderSource, OrderStatus};
use aggregates::Role;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A string schema with exactly these values.
fn one_of(description: &str, values: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values.iter().copied()))
        .into()
}

/// The schema named `$name` of the wire names `$values`.
macro_rules! enum_schema {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $description:literal, $values:expr) => {
        $(#[$doc])*
        pub struct $ty;

        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                one_of($description, &$values)
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

enum_schema!(
    /// [`Role`]: its wire names are [`Role::as_str`].
    RoleSchema,
    "Role",
    "what a user is to the service; it decides what they may do",
    Role::ALL.map(Role::as_str)
);

enum_schema!(
    /// The languages of mail and pages: [`aggregates::user::LANGUAGES`].
    LanguageSchema,
    "Language",
    "the language of a user's mail and pages; ru is the default",
    aggregates::user::LANGUAGES
);

enum_schema!(
    /// [`OrderStatus`]: its wire names are [`OrderStatus::as_str`].
    OrderStatusSchema,
    "OrderStatus",
    "where an order is in its lifecycle",
    OrderStatus::ALL.map(OrderStatus::as_str)
);

enum_schema!(
    /// [`OrderSource`]: its wire names are [`OrderSource::as_str`].
    OrderSourceSchema,
    "OrderSource",
    "where an order came from: `site` (a client logged in), `guest_checkout` (checkout without registration), `manager` (taken by phone)",
    OrderSource::ALL.map(OrderSource::as_str)
);

enum_schema!(
    /// [`FileKind`]: its wire names are [`FileKind::as_str`].
    FileKindSchema,
    "FileKind",
    "`draft`: the 50% draft; `final`: the final work",
    file_kinds().map(FileKind::as_str)
);

enum_schema!(
    /// The sides of an order's conversation ([`aggregates::order::party_of`]).
    PartySchema,
    "MessageParty",
    "who wrote a message: the client, the company (its manager or an admin) or the author",
    ["client", "manager", "author"]
);

enum_schema!(
    /// [`aggregates::order::MessageStatus`]: its wire names are its `as_str`.
    MessageStatusSchema,
    "MessageStatus",
    "`visible`: every party sees it; `held`: it seemed to carry a contact and waits for the manager (only its sender and the company see it); `rejected`: the manager refused it (likewise)",
    ["visible", "held", "rejected"]
);

enum_schema!(
    /// [`aggregates::order::ContactKind`]: its wire names are its `as_str`.
    ContactKindSchema,
    "ContactKind",
    "what a held message seemed to carry",
    ["email", "phone", "link", "handle"]
);

/// Every kind of file (the match makes a new kind a compile error here).
fn file_kinds() -> [FileKind; 2] {
    let all = [FileKind::Draft, FileKind::Final];
    for kind in all {
        match kind {
            FileKind::Draft | FileKind::Final => {}
        }
    }
    all
}

/// The currency of every amount: the one the service takes.
pub fn currency() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("every amount is in kopecks of this currency"))
        .enum_values(Some([aggregates::CURRENCY]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn values<T: PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).unwrap()["enum"].clone()
    }

    #[test]
    fn each_schema_lists_the_wire_names_the_answers_carry() {
        let wire = |v: &[String]| json!(v);
        let roles: Vec<String> = Role::ALL
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(values::<RoleSchema>(), wire(&roles));
        let statuses: Vec<String> = OrderStatus::ALL
            .iter()
            .map(|s| {
                serde_json::to_value(s)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(values::<OrderStatusSchema>(), wire(&statuses));
        assert_eq!(values::<FileKindSchema>(), json!(["draft", "final"]));
        assert_eq!(
            serde_json::to_value(currency().build()).unwrap()["enum"],
            json!(["RUB"])
        );
    }
}

enum_schema!(
    /// The kinds of catalogue entry as a path names them ([`super::catalogue::kind_of_path`]).
    CatalogueKindSchema,
    "CatalogueKind",
    "what a catalogue entry is, as its path names it",
    ["work-types", "subjects", "extras"]
);
