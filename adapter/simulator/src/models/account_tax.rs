//! Taxes (`account.tax`, module `account`) and Odoo 18's taxes computation
//! (`account.tax._get_tax_details` with the company's default `round_per_line`): the line's base is
//! rounded to the currency, then each tax amount; percentage taxes included in the price are taken
//! out of it batch by batch (`amount / (1 + sum of the batch)`), taxes excluded from it are added.
//! Sales and purchase order lines and journal items all price themselves through `compute`.

use serde_json::{Value, json};

use super::company::{COMPANY, PRICE_INCLUDE};
use crate::orm::{
    Database, Env, OdooVersion,
    fields::{FieldType::*, Fields, selection},
    float::{self, Rounding},
    registry::{Info, Model},
};

const TAX: &str = "account.tax";
const TAX_USE: &[(&str, &str)] = &[("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")];
const AMOUNT_TYPE: &[(&str, &str)] = &[("percent", "Percentage of Price"), ("fixed", "Fixed")];

pub(crate) struct Tax;

impl Model for Tax {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(TAX, "Tax", "account", "sequence,id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Tax Name")
            .stored("amount", Float, "Amount")
            .stored("amount_type", selection(AMOUNT_TYPE), "Tax Computation")
            .default("amount_type", json!("percent"))
            .stored("type_tax_use", selection(TAX_USE), "Tax Type")
            .default("type_tax_use", json!("sale"))
            .stored("price_include_override", selection(PRICE_INCLUDE), "Included in Price")
            .computed("price_include", Boolean, "Included in Price")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(COMPANY))
            .stored("sequence", Integer, "Sequence")
            .default("sequence", json!(1))
            .stored("active", Boolean, "Active");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        (field == "price_include").then(|| json!(price_include(db, id)))
    }
}

/// Whether the tax is included in prices: its own override, else the company's default.
pub(crate) fn price_include(db: &Database, tax: i64) -> bool {
    match db.get_str(TAX, tax, "price_include_override").as_str() {
        "" => db.get_str("res.company", COMPANY, "account_price_include") == "tax_included",
        mode => mode == "tax_included",
    }
}

/// What one tax came to on a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TaxAmount {
    pub(crate) tax: i64,
    pub(crate) base: f64,
    pub(crate) amount: f64,
}

/// A line's taxes computation, in the line's currency, each amount rounded to it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct TaxDetails {
    pub(crate) total_excluded: f64,
    pub(crate) total_included: f64,
    pub(crate) taxes: Vec<TaxAmount>,
}

impl TaxDetails {
    pub(crate) fn tax_amount(&self) -> f64 {
        self.taxes.iter().map(|t| t.amount).sum()
    }
}

/// Odoo's `special_mode`: every tax treated as excluded from the price (what down payments are
/// computed from), or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Normal,
    TotalExcluded,
}

/// One tax during the computation.
struct Slot {
    tax: i64,
    percent: bool,
    amount: f64,
    /// Included in the price, as this computation treats it.
    included: bool,
    /// Included in the price, as the tax is configured (what propagation looks at).
    configured_included: bool,
    batch: Vec<usize>,
    extra_base_for_tax: f64,
    extra_base_for_base: f64,
    tax_amount: Option<f64>,
}

/// `_get_tax_details(price_unit, quantity, precision_rounding, 'round_per_line', special_mode)` for
/// percentage and fixed taxes that do not affect the base of later ones.
pub(crate) fn compute(
    db: &Database,
    taxes: &[i64],
    price_unit: f64,
    quantity: f64,
    precision: f64,
    mode: Mode,
) -> TaxDetails {
    let round = |v: f64| float::round(v, precision, Rounding::HalfUp);
    let mut sorted: Vec<i64> = taxes.iter().copied().filter(|t| db.exists(TAX, *t)).collect();
    sorted.sort_by_key(|t| (db.get_i64(TAX, *t, "sequence").unwrap_or_default(), *t));
    sorted.dedup();
    let mut slots: Vec<Slot> = sorted
        .iter()
        .map(|t| {
            let configured_included = price_include(db, *t);
            Slot {
                tax: *t,
                percent: db.get_str(TAX, *t, "amount_type") != "fixed",
                amount: db.get_f64(TAX, *t, "amount"),
                included: mode == Mode::Normal && configured_included,
                configured_included,
                batch: Vec::new(),
                extra_base_for_tax: 0.0,
                extra_base_for_base: 0.0,
                tax_amount: None,
            }
        })
        .collect();
    // Consecutive taxes of the same kind, included or excluded alike, form a batch.
    let mut batch: Vec<usize> = Vec::new();
    for i in (0..slots.len()).rev() {
        if let Some(first) = batch.first().map(|b| &slots[*b])
            && (first.percent != slots[i].percent || (mode == Mode::Normal && first.included != slots[i].included))
        {
            for b in &batch {
                slots[*b].batch.clone_from(&batch);
            }
            batch.clear();
        }
        batch.insert(0, i);
    }
    for b in &batch {
        slots[*b].batch.clone_from(&batch);
    }
    let raw_base = round(quantity * price_unit);
    let evaluate = |slots: &mut Vec<Slot>, i: usize, amount: Option<f64>| {
        let Some(amount) = amount else { return };
        let amount = round(amount);
        slots[i].tax_amount = Some(amount);
        propagate(slots, i, amount, mode);
    };
    // Fixed taxes first, then included ones from the last, then excluded ones from the first.
    for i in (0..slots.len()).rev() {
        let amount = (!slots[i].percent && slots[i].tax_amount.is_none()).then(|| quantity * slots[i].amount);
        evaluate(&mut slots, i, amount);
    }
    for i in (0..slots.len()).rev() {
        if slots[i].included && slots[i].tax_amount.is_none() && slots[i].percent {
            let batch_percent: f64 = slots[i].batch.iter().map(|b| slots[*b].amount).sum::<f64>() / 100.0;
            let factor = if batch_percent == -1.0 { 0.0 } else { 1.0 / (1.0 + batch_percent) };
            let amount = (raw_base + slots[i].extra_base_for_tax) * factor * slots[i].amount / 100.0;
            evaluate(&mut slots, i, Some(amount));
        }
    }
    for i in 0..slots.len() {
        if !slots[i].included && slots[i].tax_amount.is_none() && slots[i].percent {
            let amount = (raw_base + slots[i].extra_base_for_tax) * slots[i].amount / 100.0;
            evaluate(&mut slots, i, Some(amount));
        }
    }
    let mut details = TaxDetails::default();
    for slot in &slots {
        let Some(amount) = slot.tax_amount else { continue };
        let batch_amount: f64 = slot.batch.iter().filter_map(|b| slots[*b].tax_amount).sum();
        let mut base = raw_base + slot.extra_base_for_base;
        if slot.included {
            base -= batch_amount;
        }
        details.taxes.push(TaxAmount { tax: slot.tax, base, amount });
    }
    details.total_excluded = details.taxes.first().map_or(raw_base, |t| t.base);
    details.total_included = details.total_excluded + details.tax_amount();
    details
}

/// `_propagate_extra_taxes_base` for taxes that do not affect later bases: a tax included in the
/// price comes off the base of the taxes before its batch, and off included ones after it.
fn propagate(slots: &mut [Slot], i: usize, amount: f64, mode: Mode) {
    let first = slots[i].batch.first().copied().unwrap_or(i);
    let last = slots[i].batch.last().copied().unwrap_or(i);
    let add = |slots: &mut [Slot], other: usize, sign: f64| {
        if slots[other].tax_amount.is_none() {
            slots[other].extra_base_for_tax += sign * amount;
        }
        slots[other].extra_base_for_base += sign * amount;
    };
    if !slots[i].configured_included {
        return;
    }
    match mode {
        Mode::Normal => {
            for other in last + 1..slots.len() {
                if slots[other].configured_included {
                    add(slots, other, -1.0);
                }
            }
            for other in 0..first {
                add(slots, other, -1.0);
            }
        }
        Mode::TotalExcluded => {
            for other in last + 1..slots.len() {
                if !slots[other].configured_included {
                    add(slots, other, 1.0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Mode, compute};
    use crate::{
        models::tests::database_of,
        orm::{Database, OdooVersion},
    };

    fn tax(db: &mut Database, amount: f64, included: bool) -> i64 {
        db.insert(
            "account.tax",
            crate::orm::row(&[
                ("name", json!(format!("{amount}%"))),
                ("amount", json!(amount)),
                ("amount_type", json!("percent")),
                ("type_tax_use", json!("sale")),
                ("price_include_override", json!(if included { "tax_included" } else { "tax_excluded" })),
                ("sequence", json!(1)),
            ]),
        )
    }

    #[test]
    fn an_excluded_tax_is_added_to_the_rounded_base() {
        let mut db = database_of(OdooVersion::V18, &[]);
        let vat = tax(&mut db, 15.0, false);
        let details = compute(&db, &[vat], 0.333, 1.0, 0.01, Mode::Normal);
        assert_eq!((details.total_excluded, details.tax_amount()), (0.33, 0.05), "0.333 is 0.33, its 15% 0.0495");
        let details = compute(&db, &[vat], 33.33, 3.0, 0.01, Mode::Normal);
        assert_eq!((details.total_excluded, details.total_included), (99.99, 99.99 + 15.0));
    }

    #[test]
    fn an_included_tax_is_taken_out_of_the_price() {
        let mut db = database_of(OdooVersion::V18, &[]);
        let vat = tax(&mut db, 21.0, true);
        // Odoo's own example: 21.53 with 21% included is 17.79 and 3.74.
        let details = compute(&db, &[vat], 21.53, 1.0, 0.01, Mode::Normal);
        assert_eq!(details.total_included, 21.53);
        assert_eq!(details.tax_amount(), 3.74);
        assert!((details.total_excluded - 17.79).abs() < 1e-9);
        let as_excluded = compute(&db, &[vat], 21.53, 1.0, 0.01, Mode::TotalExcluded);
        assert_eq!(as_excluded.total_excluded, 21.53, "down payments take the price as it is");
    }
}
