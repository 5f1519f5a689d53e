//! `res.partner` (customers, suppliers, their addresses) and `res.country`.

use serde_json::{Map, json};

use super::{
    Case, Field, Model, Odoo, Row, Schema,
    ir_model_data::{self, Import, Loaded},
};
use crate::{
    OdooCall, OdooError, SearchOptions,
    models::{NewPartner, Ref},
};

pub(crate) const PARTNER: Model = Model::new("res.partner", "base");
const NAME: Field = PARTNER.field("name");
const REFERENCE: Field = PARTNER.field("ref");
const EMAIL: Field = PARTNER.field("email");
const VAT: Field = PARTNER.field("vat");
const PHONE: Field = PARTNER.field("phone");
const STREET: Field = PARTNER.field("street");
const STREET2: Field = PARTNER.field("street2");
const CITY: Field = PARTNER.field("city");
const ZIP: Field = PARTNER.field("zip");
const COUNTRY_ID: Field = PARTNER.field("country_id");
const IS_COMPANY: Field = PARTNER.field("is_company");
const KIND: Field = PARTNER.field("type");
const PARENT: Field = PARTNER.field("parent_id");
const CUSTOMER_RANK: Field = PARTNER.field("customer_rank").from("account");
const PRICELIST: Field = PARTNER.field("property_product_pricelist").from("product");
const PURCHASE_CURRENCY: Field = PARTNER.field("property_purchase_currency_id").from("purchase").optional();

pub(crate) const FIELDS: &[Field] = &[
    NAME,
    REFERENCE,
    EMAIL,
    VAT,
    PHONE,
    STREET,
    STREET2,
    CITY,
    ZIP,
    COUNTRY_ID,
    IS_COMPANY,
    KIND,
    PARENT,
    CUSTOMER_RANK,
    PRICELIST,
    PURCHASE_CURRENCY,
];

/// What the customer owes (posted receivables, in the company's currency), and its credit limit.
const CREDIT: Field = PARTNER.field("credit").from("account");
const CREDIT_LIMIT: Field = PARTNER.field("credit_limit").from("account");
const USE_CREDIT_LIMIT: Field = PARTNER.field("use_partner_credit_limit").from("account");

pub(crate) const CREDIT_FIELDS: &[Field] = &[NAME, CREDIT, CREDIT_LIMIT, USE_CREDIT_LIMIT];

/// A customer's receivable and credit limit, as Odoo computes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credit {
    pub(crate) customer: Ref,
    pub(crate) receivable: rust_decimal::Decimal,
    /// Set when the customer has a limit of its own.
    pub(crate) limit: Option<rust_decimal::Decimal>,
}

/// The customer's credit, if it exists.
pub(crate) async fn credit(odoo: &Odoo, schema: &Schema, id: i64) -> Result<Option<Credit>, OdooError> {
    let rows = odoo.read(schema, PARTNER, &[id], CREDIT_FIELDS).await?;
    rows.first()
        .map(|r| {
            let row = Row::new(PARTNER, r)?;
            Ok(Credit {
                customer: Ref { id: row.id(), name: row.text(&NAME)?.unwrap_or_default().to_owned() },
                receivable: row.decimal(&CREDIT)?,
                limit: if row.boolean(&USE_CREDIT_LIMIT)? { Some(row.decimal(&CREDIT_LIMIT)?) } else { None },
            })
        })
        .transpose()
}

pub(crate) const COUNTRY: Model = Model::new("res.country", "base");
const COUNTRY_CODE: Field = COUNTRY.field("code");
pub(crate) const COUNTRY_FIELDS: &[Field] = &[COUNTRY_CODE];

/// How a partner is looked for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'a> {
    Id(i64),
    Reference(&'a str),
    /// Case-insensitive, as people type e-mail addresses.
    Email(&'a str),
    Vat(&'a str),
}

/// The partners a lookup matches: none, one, or two when it is ambiguous.
pub(crate) async fn find(odoo: &Odoo, schema: &Schema, lookup: Lookup<'_>) -> Result<Vec<i64>, OdooError> {
    let term = match lookup {
        Lookup::Id(id) => json!(["id", "=", id]),
        Lookup::Reference(r) => schema.exact(&REFERENCE, r, Case::Sensitive),
        Lookup::Email(e) => schema.exact(&EMAIL, e, Case::Insensitive),
        Lookup::Vat(v) => schema.exact(&VAT, v, Case::Sensitive),
    };
    let options = SearchOptions::ordered("id").limit(2);
    let rows = odoo.search(schema, PARTNER, json!([term]), &[], &options, Map::new()).await?;
    rows.iter().map(|r| Ok(Row::new(PARTNER, r)?.id())).collect()
}

/// What a partner brings to an order by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Defaults {
    /// The price list its sales orders use.
    pub(crate) pricelist: Option<Ref>,
    /// The currency its purchase orders are in, when not the company's.
    pub(crate) purchase_currency: Option<Ref>,
}

pub(crate) async fn defaults(odoo: &Odoo, schema: &Schema, id: i64) -> Result<Defaults, OdooError> {
    let rows = odoo.read(schema, PARTNER, &[id], &[PRICELIST, PURCHASE_CURRENCY]).await?;
    let Some(row) = rows.first() else { return Ok(Defaults::default()) };
    let row = Row::new(PARTNER, row)?;
    Ok(Defaults { pricelist: row.many2one(&PRICELIST)?, purchase_currency: row.many2one(&PURCHASE_CURRENCY)? })
}

/// A country by its ISO code.
pub(crate) async fn country(odoo: &Odoo, schema: &Schema, code: &str) -> Result<Option<i64>, OdooError> {
    let options = SearchOptions::default().limit(1);
    let domain = json!([schema.exact(&COUNTRY_CODE, code, Case::Insensitive)]);
    let rows = odoo.search(schema, COUNTRY, domain, &[], &options, Map::new()).await?;
    rows.first().map(|r| Ok(Row::new(COUNTRY, r)?.id())).transpose()
}

/// What a new partner is to the order that creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A customer of its own (ranked as a customer, so Odoo proposes it for sales).
    Customer,
    /// The delivery address of a customer.
    DeliveryAddress { customer: i64 },
}

/// Imports a new partner under odoo-mesh's external id `name`, create-only.
pub(crate) async fn load(
    odoo: &Odoo,
    schema: &Schema,
    name: &str,
    new: &NewPartner,
    role: Role,
    country: Option<i64>,
) -> Result<Loaded, OdooError> {
    let address = &new.address;
    let mut import = Import::new(name);
    import.value(schema, &NAME, new.name.clone());
    import.value(schema, &IS_COMPANY, if new.is_company { "1" } else { "0" });
    for (field, value) in [
        (&REFERENCE, &new.reference),
        (&VAT, &new.vat),
        (&EMAIL, &address.email),
        (&PHONE, &address.phone),
        (&STREET, &address.street),
        (&STREET2, &address.street2),
        (&CITY, &address.city),
        (&ZIP, &address.zip),
    ] {
        import.optional(schema, field, value.clone());
    }
    if let Some(country) = country {
        import.record(schema, &COUNTRY_ID, country);
    }
    match role {
        Role::Customer => {
            import.value(schema, &KIND, "contact");
            import.value(schema, &CUSTOMER_RANK, "1");
        }
        Role::DeliveryAddress { customer } => {
            import.value(schema, &KIND, "delivery");
            import.record(schema, &PARENT, customer);
        }
    }
    ir_model_data::load(odoo, PARTNER, &import.columns, vec![import.cells]).await
}

/// Removes a partner odoo-mesh created for a command that then failed.
pub(crate) fn unlink(id: i64) -> OdooCall {
    OdooCall::new(PARTNER.name, "unlink").ids(vec![id])
}
