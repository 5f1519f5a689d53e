//! Finding what a request names — partners, products, warehouses, units, currencies — and
//! collecting a violation for each name that cannot be used, so a request's every problem is
//! reported at once, before anything is written. Matching is exact: a SKU or reference that
//! several records share is ambiguous, never "the first one".

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::{
    OdooError,
    command::{FlowError, Violation},
    models::{PartnerSelector, Ref},
    odoo::{
        Field, Odoo, Schema,
        orders::Lines,
        orders::NewLine,
        partner::{self, Lookup},
        product::{self, Orderable},
        purchase_order, sale_order,
        uom::{UnitProblem, Units},
        warehouse,
    },
};

/// The problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<Violation>);

impl Violations {
    pub(crate) fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(Violation::new(field, description));
    }

    /// `value` when nothing was found wrong, else every problem.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, FlowError> {
        if self.0.is_empty() { Ok(value) } else { Err(FlowError::Invalid(self.0)) }
    }
}

/// The partner a selector names. `None` with a violation when it names none or several; `None`
/// without one for new details that match no partner yet (the flow creates it).
pub(crate) async fn partner(
    odoo: &Odoo,
    schema: &Schema,
    selector: &PartnerSelector,
    field: &str,
    violations: &mut Violations,
) -> Result<Option<i64>, OdooError> {
    let (lookup, what) = match selector {
        PartnerSelector::Id(id) => (Lookup::Id(*id), format!("partners/{id}")),
        PartnerSelector::Reference(r) => (Lookup::Reference(r), format!("reference {r:?}")),
        PartnerSelector::Email(e) => (Lookup::Email(e), format!("e-mail {e:?}")),
        PartnerSelector::Vat(v) => (Lookup::Vat(v), format!("VAT {v:?}")),
        PartnerSelector::New(new) => {
            // A new customer reuses the one partner that already has its e-mail; of several, none
            // is "the" customer, and another one would only add to them.
            let Some(email) = &new.address.email else { return Ok(None) };
            let found = partner::find(odoo, schema, Lookup::Email(email)).await?;
            if found.len() > 1 {
                violations.add(
                    format!("{field}.new_partner.address.email"),
                    format!("several partners have e-mail {email:?}; name the partner by resource name"),
                );
            }
            return Ok(found.first().copied().filter(|_| found.len() == 1));
        }
    };
    let found = partner::find(odoo, schema, lookup).await?;
    Ok(match found.as_slice() {
        [one] => Some(*one),
        [] => {
            violations.add(field, format!("no partner matches {what}"));
            None
        }
        _ => {
            violations.add(field, format!("several partners match {what}; name the partner by resource name"));
            None
        }
    })
}

/// Whether products are wanted for selling, for buying, or for counting stock of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Sale,
    Purchase,
    Count,
}

/// The order lines products for selling or buying go on.
fn order_lines(purpose: Purpose) -> Lines {
    match purpose {
        Purpose::Purchase => purchase_order::ORDER_LINES,
        Purpose::Sale | Purpose::Count => sale_order::ORDER_LINES,
    }
}

/// The product of each SKU (`{list}[i].sku`), or a violation saying why there is none.
pub(crate) async fn products(
    odoo: &Odoo,
    schema: &Schema,
    (list, skus): (&str, &[&str]),
    purpose: Purpose,
    violations: &mut Violations,
) -> Result<Vec<Option<Orderable>>, OdooError> {
    let mut by_sku: HashMap<String, Vec<Orderable>> = HashMap::new();
    for found in product::orderable(odoo, schema, skus).await? {
        by_sku.entry(found.sku.clone()).or_default().push(found);
    }
    Ok(skus
        .iter()
        .enumerate()
        .map(|(i, sku)| {
            let field = format!("{list}[{i}].sku");
            let candidates = by_sku.get(*sku).map(Vec::as_slice).unwrap_or_default();
            let active: Vec<&Orderable> = candidates.iter().filter(|p| p.active).collect();
            match (active.as_slice(), purpose) {
                ([], _) if candidates.is_empty() => violations.add(field, format!("no product has SKU {sku:?}")),
                ([], _) => violations.add(field, format!("the product with SKU {sku:?} is archived")),
                ([p], Purpose::Sale) if !p.sale_ok => {
                    violations.add(field, format!("the product with SKU {sku:?} cannot be sold"));
                }
                ([p], Purpose::Purchase) if !p.purchase_ok => {
                    violations.add(field, format!("the product with SKU {sku:?} cannot be purchased"));
                }
                ([p], Purpose::Count) if !p.storable => {
                    violations
                        .add(field, format!("the product with SKU {sku:?} is not storable: Odoo keeps no stock of it"));
                }
                ([p], Purpose::Count) if p.tracked => violations.add(
                    field,
                    format!(
                        "the product with SKU {sku:?} is tracked by lots or serial numbers, which counts do not name"
                    ),
                ),
                ([p], _) => return Some((*p).clone()),
                _ => violations.add(field, format!("several products share SKU {sku:?}")),
            }
            None
        })
        .collect())
}

/// What an order line asks for, as a caller wrote it.
#[derive(Debug, Clone)]
pub(crate) struct LineRequest<'a, X> {
    pub(crate) sku: &'a str,
    pub(crate) quantity: Decimal,
    pub(crate) unit: Option<&'a str>,
    pub(crate) price: Option<Decimal>,
    pub(crate) currency: Option<&'a str>,
    /// What only one kind of order has (a discount, an expected date).
    pub(crate) extra: X,
}

/// Each line's product and unit — the product's own unless the caller named another that converts
/// to it — ready to import, with a violation for each unusable SKU or unit and each price in
/// another currency than the order's (`lines[i]...`). Lines with a problem are left out.
pub(crate) async fn lines<X: Clone>(
    odoo: &Odoo,
    schema: &Schema,
    requests: &[LineRequest<'_, X>],
    purpose: Purpose,
    currency: &Ref,
    violations: &mut Violations,
) -> Result<Vec<(NewLine<X>, Orderable)>, OdooError> {
    let skus: Vec<&str> = requests.iter().map(|r| r.sku).collect();
    let products = products(odoo, schema, ("lines", &skus), purpose, violations).await?;
    let units = odoo.units().await?;
    let fields = order_lines(purpose);
    let mut lines = Vec::with_capacity(requests.len());
    for (i, (request, product)) in requests.iter().zip(products).enumerate() {
        self::currency(currency, request.currency, &format!("lines[{i}].unit_price.currency_code"), violations);
        if let Some(price) = request.price {
            storable_decimal(schema, &fields.price, price, &format!("lines[{i}].unit_price"), violations);
        }
        let Some(product) = product else { continue };
        let field = format!("lines[{i}].quantity.unit_of_measure");
        let unit = unit(&units, request.unit, &product, &field, violations);
        let quantity = (&fields.quantity, request.quantity);
        storable_quantity(schema, &units, quantity, unit, &format!("lines[{i}].quantity.value"), violations);
        let line = NewLine {
            product: product.id,
            quantity: request.quantity,
            unit,
            product_unit: product.uom.id,
            price: request.price,
            extra: request.extra.clone(),
        };
        lines.push((line, product));
    }
    Ok(lines)
}

/// The unit a line's quantity is in: the product's own unless the caller named another that
/// converts to it.
fn unit(units: &Units, named: Option<&str>, product: &Orderable, field: &str, violations: &mut Violations) -> i64 {
    let Some(name) = named.filter(|n| !n.eq_ignore_ascii_case(&product.uom.name)) else {
        return product.uom.id;
    };
    match units.compatible(name, product.uom.id) {
        Ok(unit) => unit,
        Err(UnitProblem::Unknown) => {
            violations.add(field, format!("no unit of measure is called {name:?}"));
            product.uom.id
        }
        Err(UnitProblem::Incompatible) => {
            violations.add(
                field,
                format!("{} is counted in {:?}, which does not convert to {name:?}", product.sku, product.uom.name),
            );
            product.uom.id
        }
    }
}

/// A quantity must be a whole number of its unit's rounding steps, and keep no more decimals than
/// its field: Odoo rounds what it stores, and a thousandth of a Unit would become a line of nothing.
pub(crate) fn storable_quantity(
    schema: &Schema,
    units: &Units,
    (field, quantity): (&Field, Decimal),
    unit: i64,
    at: &str,
    violations: &mut Violations,
) {
    let Err(stored) = units.storable(quantity, unit) else {
        return storable_decimal(schema, field, quantity, at, violations);
    };
    let (rounding, name) = (units.rounding(unit), units.name(unit));
    let problem = if stored.is_zero() { "is less than" } else { "is finer than" };
    violations
        .add(at, format!("{quantity} {name} {problem} the unit's precision ({rounding}): Odoo would store {stored}"));
}

/// A value must keep no more decimals than Odoo stores of its field (its decimal precision:
/// two for prices, quantities and discounts by default); finer ones are refused, not rounded.
pub(crate) fn storable_decimal(schema: &Schema, field: &Field, value: Decimal, at: &str, violations: &mut Violations) {
    if let Some(scale) = schema.scale(field)
        && value.normalize().scale() > scale
    {
        violations.add(at, format!("{value} has more decimals than Odoo keeps here ({scale})"));
    }
}

/// A quantity given for an existing line must be in the line's unit, when the caller names one.
pub(crate) fn same_unit(given: Option<&str>, line: &Ref, at: &str, violations: &mut Violations) {
    if let Some(unit) = given.filter(|u| !u.eq_ignore_ascii_case(&line.name)) {
        violations.add(at, format!("the line is in {:?}, not {unit:?}: give its quantity in that unit", line.name));
    }
}

/// A price's currency must be the order's; a price without one is taken to be in it.
fn currency(order_currency: &Ref, given: Option<&str>, field: &str, violations: &mut Violations) {
    if let Some(code) = given
        && !code.eq_ignore_ascii_case(&order_currency.name)
    {
        violations.add(
            field,
            format!(
                "the order is in {}; a price in {code} would be taken as {} without conversion",
                order_currency.name, order_currency.name
            ),
        );
    }
}

/// A warehouse named by id, with a violation when there is none.
pub(crate) async fn warehouse(
    odoo: &Odoo,
    schema: &Schema,
    id: i64,
    field: &str,
    violations: &mut Violations,
) -> Result<Option<crate::models::Warehouse>, OdooError> {
    let found = warehouse::by_id(odoo, schema, id).await?;
    if found.is_none() {
        violations.add(field, format!("no warehouse warehouses/{id}"));
    }
    Ok(found)
}
