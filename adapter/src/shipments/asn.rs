//! Advance shipping notices: what a supplier says it sent for a receipt — quantities per SKU,
//! its own reference, when to expect it. Kept as a note in the receipt's chatter (people see it),
//! the receipt planned for the expected time; a later notice replaces the earlier one. A receipt
//! can then be validated "as announced", and shows what was announced next to what arrived.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use super::{ASN_NOTES, Shipments, one};
use crate::{
    command::{self, Command, FlowError, Key, Undo, refusal},
    models::{Asn, AsnLine, Captured, Shipment, ShipmentKind, ShipmentState},
    odoo::{
        Capability, Model, Odoo, Schema,
        ir_model_data::{self, Loaded},
        mail_message::{self, MESSAGE, NewNote},
        stock_move,
        stock_picking::{self, PICKING},
    },
    resolve::{Violations, storable_quantity},
};

/// A notice as the supplier sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AsnDraft {
    pub supplier_reference: String,
    pub expected: Option<OffsetDateTime>,
    /// Quantities per SKU, in the unit of the receipt's line for it.
    pub lines: Vec<(String, Decimal)>,
}

impl Shipments {
    /// Records a supplier's notice against a receipt once per request id (within the caller's
    /// scope).
    pub async fn record_asn(
        &self,
        receipt: i64,
        request_id: &str,
        notice: AsnDraft,
        scope: &str,
    ) -> Result<Captured<Shipment>, FlowError> {
        command::run(&self.odoo, RecordAsn { receipt, notice }, request_id, scope).await
    }
}

#[derive(Debug, Serialize)]
struct RecordAsn {
    receipt: i64,
    notice: AsnDraft,
}

/// The notice as it is kept, and the receipt as it was planned (what undoing restores).
struct Plan {
    asn: Asn,
    reference: String,
    scheduled: Option<OffsetDateTime>,
}

/// The external id a notice is kept under: `{key}_asn`.
const NOTICE: &str = "asn";

impl Command for RecordAsn {
    type Plan = Plan;
    type Record = Shipment;
    const KIND: &'static str = "asn";
    const NAME: &'static str = "record_asn";
    const CAPABILITY: Capability = Capability::Shipments;
    const MODEL: Model = PICKING;

    fn target(&self) -> i64 {
        self.receipt
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let receipt = one(odoo, schema, self.receipt).await?;
        let mut violations = Violations::default();
        if receipt.kind != ShipmentKind::Receipt {
            violations.add("name", format!("{} is not a receipt from a supplier", receipt.reference));
            return violations.finish(Plan { asn: empty(), reference: String::new(), scheduled: None });
        }
        if matches!(receipt.state, ShipmentState::Done | ShipmentState::Cancelled) {
            return Err(FlowError::Refused(format!("{} is already done or cancelled", receipt.reference)));
        }
        let units = odoo.units().await?;
        let mut seen = HashSet::new();
        let mut lines = Vec::new();
        for (i, (sku, quantity)) in self.notice.lines.iter().enumerate() {
            let field = format!("lines[{i}].sku");
            let matching: Vec<_> = receipt.lines.iter().filter(|l| l.sku.as_deref() == Some(sku)).collect();
            let line = match matching.as_slice() {
                [line] => line,
                [] => {
                    violations.add(field, format!("no line of {} is for SKU {sku:?}", receipt.reference));
                    continue;
                }
                _ => {
                    violations.add(field, format!("several lines of {} are for SKU {sku:?}", receipt.reference));
                    continue;
                }
            };
            if !seen.insert(line.id) {
                violations.add(field, format!("SKU {sku:?} is given twice"));
                continue;
            }
            let at = format!("lines[{i}].quantity.value");
            storable_quantity(schema, &units, (&stock_move::QUANTITY, *quantity), line.unit.id, &at, &mut violations);
            lines.push(AsnLine { line_id: line.id, sku: sku.clone(), quantity: *quantity });
        }
        let asn =
            Asn { supplier_reference: self.notice.supplier_reference.clone(), expected: self.notice.expected, lines };
        violations.finish(Plan { asn, reference: receipt.reference, scheduled: receipt.scheduled })
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Plan,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        if let Some(expected) = plan.asn.expected {
            odoo.call(stock_picking::schedule(schema, self.receipt, expected)).await.map_err(refusal)?;
            if let Some(before) = plan.scheduled {
                undo.push("the receipt's planned date", vec![stock_picking::schedule(schema, self.receipt, before)]);
            }
        }
        let mut lines = vec![match plan.asn.supplier_reference.as_str() {
            "" => format!("The supplier announced what it sent for {}:", plan.reference),
            reference => {
                format!("The supplier announced what it sent for {} (its reference {reference}):", plan.reference)
            }
        }];
        lines.extend(plan.asn.lines.iter().map(|l| format!("{}: {}", l.sku, l.quantity)));
        let note = NewNote {
            kind: ASN_NOTES,
            subject: "Advance shipping notice",
            date: OffsetDateTime::now_utc(),
            lines: &lines,
            facts: &plan.asn,
        };
        // The note is the last write: found under the key, it tells a takeover all was done.
        match mail_message::keep(odoo, schema, &key.record_name(NOTICE), (PICKING, self.receipt), &note).await? {
            Loaded::Record(_) => Ok(self.receipt),
            Loaded::Refused(messages) => Err(FlowError::Refused(messages.join("; "))),
        }
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        let note = ir_model_data::find(odoo, schema, &key.record_name(NOTICE), MESSAGE).await?;
        Ok(note.map(|_| self.receipt))
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, _replayed: bool) -> Result<Shipment, FlowError> {
        one(odoo, schema, record).await
    }
}

fn empty() -> Asn {
    Asn { supplier_reference: String::new(), expected: None, lines: Vec::new() }
}
