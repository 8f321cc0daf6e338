//! A client that is a company: its name, tax id (a Russian INN, checked by its check
//! digits) and contact person. Reports tell corporate clients' orders from individuals'.

use serde::{Deserialize, Serialize};

use super::error::UserError;

/// The longest company name or contact person accepted, in characters.
pub const MAX_COMPANY_TEXT: usize = 200;

/// A company's details, as given (trimmed) and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    /// The company's name.
    pub name: String,
    /// Its taxpayer number (INN): 10 digits for an organisation, 12 for a sole trader.
    pub tax_id: String,
    /// Who to talk to there.
    pub contact_person: String,
}

impl Company {
    /// Checks and trims the details: a name and a contact person (1..=200 characters each),
    /// a tax id of 10 or 12 digits whose check digits are right.
    pub fn parse(name: &str, tax_id: &str, contact_person: &str) -> Result<Company, UserError> {
        let text = |s: &str, field: &'static str| {
            let t = s.trim();
            if t.is_empty() || t.chars().count() > MAX_COMPANY_TEXT {
                Err(UserError::InvalidCompany(field))
            } else {
                Ok(t.to_string())
            }
        };
        let tax_id = tax_id.trim();
        if !valid_inn(tax_id) {
            return Err(UserError::InvalidTaxId);
        }
        Ok(Company {
            name: text(name, "name")?,
            tax_id: tax_id.to_string(),
            contact_person: text(contact_person, "contact_person")?,
        })
    }
}

/// Whether `s` is a Russian taxpayer number: 10 digits whose last is the check digit of
/// the first nine, or 12 digits whose last two are the check digits of the first ten and
/// eleven (weights as the Federal Tax Service publishes them).
pub fn valid_inn(s: &str) -> bool {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
    let check = |weights: &[u32]| -> u32 {
        let sum: u32 = weights.iter().zip(&d).map(|(w, x)| w * x).sum();
        sum % 11 % 10
    };
    match d.len() {
        10 => check(&[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9],
        12 => {
            check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
                && check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_tax_ids_pass_and_a_changed_digit_fails() {
        // Published organisations' and a sole trader's numbers.
        for good in ["7707083893", "7736207543", "500100732259"] {
            assert!(valid_inn(good), "{good}");
        }
        for bad in [
            "7707083894",
            "500100732258",
            "770708389",
            "77070838933",
            "77070838a3",
            "",
        ] {
            assert!(!valid_inn(bad), "{bad}");
        }
    }

    #[test]
    fn details_are_trimmed_and_checked() {
        let c = Company::parse("  Roga i Kopyta LLC ", " 7707083893", " Ivan Petrov ").unwrap();
        assert_eq!(c.name, "Roga i Kopyta LLC");
        assert_eq!(c.tax_id, "7707083893");
        assert_eq!(c.contact_person, "Ivan Petrov");
        assert_eq!(
            Company::parse(" ", "7707083893", "Ivan"),
            Err(UserError::InvalidCompany("name"))
        );
        assert_eq!(
            Company::parse("A", "7707083893", ""),
            Err(UserError::InvalidCompany("contact_person"))
        );
        assert_eq!(
            Company::parse("A", "123", "Ivan"),
            Err(UserError::InvalidTaxId)
        );
        let long = "x".repeat(MAX_COMPANY_TEXT + 1);
        assert!(Company::parse(&long, "7707083893", "Ivan").is_err());
    }
}
