//! Domain terms for what a caller typed — an e-mail, a reference, a SKU — matched as written,
//! never as a pattern. Odoo hands `like` operators' values to PostgreSQL's LIKE as they are, where
//! `%` and `_` are wildcards and `\\` escapes: `=ilike` on `a_b@x.example` would also find
//! `axb@x.example`, and an order would go to another customer.

use serde_json::Value;

use super::{Field, Schema};

/// How letters' case counts in a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// As stored: references, VAT numbers, SKUs.
    Sensitive,
    /// In any case, as people type e-mail addresses and country codes.
    Insensitive,
}

impl Schema {
    /// Records whose `field` is exactly `text`.
    pub(crate) fn exact(&self, field: &Field, text: &str, case: Case) -> Value {
        match case {
            Case::Sensitive => self.term(field, "=", text),
            Case::Insensitive => self.term(field, "=ilike", escape_like(text)),
        }
    }

    /// Records whose `field` starts with `prefix`, case as stored.
    pub(crate) fn prefix(&self, field: &Field, prefix: &str) -> Value {
        self.term(field, "=like", format!("{}%", escape_like(prefix)))
    }
}

/// Escapes LIKE's metacharacters so a text matches literally.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odoo::Model;
    use proptest::prelude::*;

    const THING: Field = Model::new("x.thing", "base").field("code");

    /// The pattern a term hands to LIKE.
    fn pattern(term: &Value) -> String {
        term[2].as_str().expect("a text pattern").to_owned()
    }

    /// Texts dense in LIKE's metacharacters, and letters in both cases.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just('%'), Just('_'), Just('\\'), Just('a'), Just('A'), Just('é'), Just('@')],
            0..8,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        /// An exact, case-insensitive term matches a stored text exactly when the two are equal
        /// but for case — as PostgreSQL's ILIKE runs it (the simulator's LIKE).
        #[test]
        fn an_exact_match_matches_only_the_same_text(typed in text(), stored in text()) {
            let schema = Schema::from_parts(18, &[]);
            let term = schema.exact(&THING, &typed, Case::Insensitive);
            prop_assert_eq!(term[1].as_str(), Some("=ilike"));
            let matches = odoo_simulator::like(&stored, &pattern(&term), true);
            prop_assert_eq!(matches, stored.to_lowercase() == typed.to_lowercase(), "{:?} ~ {:?}", typed, stored);
        }

        #[test]
        fn a_prefix_matches_only_texts_that_start_with_it(typed in text(), stored in text()) {
            let term = Schema::from_parts(18, &[]).prefix(&THING, &typed);
            prop_assert_eq!(odoo_simulator::like(&stored, &pattern(&term), false), stored.starts_with(&typed));
        }
    }

    #[test]
    fn a_case_sensitive_match_is_plain_equality() {
        let term = Schema::from_parts(18, &[]).exact(&THING, "50%_off", Case::Sensitive);
        assert_eq!(term, serde_json::json!(["code", "=", "50%_off"]));
    }
}
