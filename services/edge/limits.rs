//! How much one request may ask of odoo-mesh and Odoo: items per repeated field and characters per
//! text field. Odoo's `Char` fields are unbounded and its flows are linear in the lines of an
//! order (an order of 2,000 lines took 8 s), so these bounds are ours, chosen for sanity: well above
//! what a real document needs, well below what would tie up an Odoo worker or fill an error with a
//! caller's megabytes. Past a bound the request is refused, naming the field (`lines`,
//! `lines[3].sku`), before anything is asked of Odoo.

use crate::error::FieldViolation;

/// Lines of one order (CreateSalesOrder, CreatePurchaseOrder) or one acknowledgement.
pub(crate) const MAX_LINES: usize = 1000;
/// Items of any other repeated field without a bound of its own (states, warehouses, locations).
pub(crate) const MAX_ITEMS: usize = 1000;

/// `request_id`: a UUID is 36 characters.
pub(crate) const REQUEST_ID: usize = 128;
/// A SKU (`default_code`), and a SKU prefix.
pub(crate) const SKU: usize = 128;
/// The name of a unit of measure ("Units", "kg", "Dozens").
pub(crate) const UNIT_OF_MEASURE: usize = 64;
/// A partner's reference (`ref`).
pub(crate) const PARTNER_REFERENCE: usize = 128;
/// A VAT number: 15 characters in the EU, about 20 anywhere else, with room for separators.
pub(crate) const VAT: usize = 32;
/// An e-mail address: the longest a mail server accepts (RFC 5321).
pub(crate) const EMAIL: usize = 254;
/// A person's or company's name.
pub(crate) const NAME: usize = 256;
/// A street line.
pub(crate) const STREET: usize = 256;
/// A city.
pub(crate) const CITY: usize = 128;
/// A postal code.
pub(crate) const ZIP: usize = 32;
/// An ISO 3166-1 alpha-2 country code.
pub(crate) const COUNTRY_CODE: usize = 2;
/// An ISO 3166-2 subdivision code, without its country.
pub(crate) const STATE_CODE: usize = 3;
/// A phone number as written.
pub(crate) const PHONE: usize = 64;
/// A customer's or supplier's reference for an order (their PO number).
pub(crate) const ORDER_REFERENCE: usize = 256;
/// A free-text note on an order.
pub(crate) const NOTE: usize = 10_000;
/// Why an order is cancelled.
pub(crate) const REASON: usize = 1_000;

/// At most `max` characters, and no NUL: PostgreSQL's text cannot hold one (Odoo answers
/// `ValueError: A string literal cannot contain NUL (0x00) characters`).
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<(), FieldViolation> {
    if value.chars().nth(max).is_some() {
        return Err(FieldViolation::new(field, format!("at most {max} characters, got {}", value.chars().count())));
    }
    if value.contains('\0') {
        return Err(FieldViolation::new(field, "must not contain NUL characters: Odoo cannot store them"));
    }
    Ok(())
}

/// At most `max` items in a repeated field.
pub(crate) fn items(field: &str, count: usize, max: usize) -> Result<(), FieldViolation> {
    if count > max {
        return Err(FieldViolation::new(field, format!("at most {max} items, got {count}")));
    }
    Ok(())
}

/// An ISO 4217 currency code: three letters (case is ignored), answered upper case.
pub(crate) fn currency_code(field: &str, code: &str) -> Result<String, FieldViolation> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Ok(code.to_ascii_uppercase());
    }
    Err(FieldViolation::new(
        field,
        format!("must be an ISO 4217 currency code of three letters, like \"EUR\", got {}", super::echo::echo(code)),
    ))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn text_is_bounded_in_characters_not_bytes() {
        assert!(text("sku", &"é".repeat(SKU), SKU).is_ok());
        let refused = text("lines[3].sku", &"é".repeat(SKU + 1), SKU).expect_err("too long");
        assert_eq!(refused.field, "lines[3].sku");
        assert_eq!(refused.description, "at most 128 characters, got 129");
        assert!(text("note", "a\0b", NOTE).is_err());
    }

    #[test]
    fn currency_codes_are_three_letters() {
        assert_eq!(currency_code("c", "eur"), Ok("EUR".to_owned()));
        for bad in ["EU", "EURO", "E1R", " EUR", "€€€", ""] {
            assert_eq!(currency_code("c", bad).expect_err(bad).field, "c");
        }
    }

    proptest! {
        #[test]
        fn a_refusal_names_the_field_and_stays_small(value in any::<String>(), repeat in 1usize..1000) {
            let value = value.repeat(repeat);
            if let Err(v) = text("customer.email", &value, EMAIL) {
                prop_assert_eq!(v.field, "customer.email");
                prop_assert!(v.description.len() < 100);
            }
            if let Err(v) = currency_code("lines[0].unit_price.currency_code", &value) {
                prop_assert!(v.description.len() < 800);
            }
        }
    }
}
