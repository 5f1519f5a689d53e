//! Validating a shipment: what was shipped or received, line by line, and what becomes of the
//! rest. The done quantities are written on the moves (each write undone if a later step fails),
//! then one `button_validate` validates — one call, so a picking is never half-validated: Odoo
//! either validated it (and made the backorder) or changed nothing of it.

use rust_decimal::Decimal;
use serde::Serialize;

use super::{Shipments, named_lines, one};
use crate::{
    OdooCall,
    command::{self, Command, FlowError, Key, Undo, refusal},
    models::{Captured, LineQuantity, Rest, Shipment, ShipmentState},
    odoo::{Capability, Model, Odoo, Schema, stock_move, stock_picking, uom::Units},
    resolve::Violations,
};

/// What a caller says was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// Quantities done per line. Empty: every line as reserved, or as announced when
    /// `as_announced`.
    pub lines: Vec<LineQuantity>,
    pub rest: Rest,
    /// Received as the supplier's advance shipping notice announced.
    pub as_announced: bool,
}

/// A validated shipment, and the backorder made of what it left, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub shipment: Shipment,
    pub backorder: Option<i64>,
}

impl Shipments {
    /// Validates a shipment once per request id (within the caller's scope).
    pub async fn validate(
        &self,
        id: i64,
        request_id: &str,
        validation: Validation,
        scope: &str,
    ) -> Result<Captured<Validated>, FlowError> {
        command::run(&self.odoo, ValidateShipment { shipment: id, validation }, request_id, scope).await
    }
}

#[derive(Debug, Serialize)]
struct ValidateShipment {
    shipment: i64,
    validation: Validation,
}

/// A move's done quantity and picked flag: what validation writes, and what undoing it restores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Done {
    quantity: Decimal,
    picked: bool,
}

/// The moves to write, from what they are to what validation needs.
struct Plan {
    moves: Vec<(i64, Done, Done)>,
}

impl Command for ValidateShipment {
    type Plan = Plan;
    type Record = Validated;
    const KIND: &'static str = "val";
    const NAME: &'static str = "validate_shipment";
    const CAPABILITY: Capability = Capability::Shipments;
    const MODEL: Model = stock_picking::PICKING;

    fn target(&self) -> i64 {
        self.shipment
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let shipment = one(odoo, schema, self.shipment).await?;
        match shipment.state {
            ShipmentState::Done => return Err(FlowError::Refused(format!("{} is already done", shipment.reference))),
            ShipmentState::Cancelled => {
                return Err(FlowError::Refused(format!("{} is cancelled", shipment.reference)));
            }
            _ => {}
        }
        let mut violations = Violations::default();
        let units = odoo.units().await?;
        let wanted = self.done_per_line(&shipment, schema, &units, &mut violations);
        let moves: Vec<(i64, Done, Done)> = shipment
            .lines
            .iter()
            .map(|line| {
                let before = Done { quantity: line.quantity, picked: line.picked };
                let quantity = wanted.iter().find(|(id, _)| *id == line.id).map_or(Decimal::ZERO, |(_, q)| *q);
                (line.id, before, Done { quantity, picked: !quantity.is_zero() })
            })
            .collect();
        let plan = violations.finish(Plan { moves })?;
        if plan.moves.iter().all(|(_, _, done)| done.quantity.is_zero()) {
            return Err(FlowError::Refused(format!(
                "nothing of {} would be shipped or received: give the quantities done",
                shipment.reference
            )));
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Plan,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        for (id, before, done) in plan.moves.into_iter().filter(|(_, before, done)| before != done) {
            odoo.call(stock_move::set_done(schema, id, done.quantity, done.picked)).await.map_err(refusal)?;
            undo.push(
                format!("the done quantity of move {id}"),
                vec![stock_move::set_done(schema, id, before.quantity, before.picked)],
            );
        }
        let answer = match odoo.call(stock_picking::validate(self.shipment, self.validation.rest)).await {
            Ok(answer) => answer,
            Err(error) => {
                // The call may have committed before its answer was lost (a reset connection, a
                // timeout). A validation is one call, and this command holds the key of a shipment
                // it found open: done now means validated by it — never to be undone, nor refused
                // as "already done" to the retry.
                if let Ok(Some(done)) = self.recover(odoo, schema, key).await {
                    return Ok(done);
                }
                return Err(refusal(error));
            }
        };
        if answer != serde_json::Value::Bool(true) {
            // A wizard odoo-mesh does not answer (an expiry date check, a module's own): nothing
            // was validated.
            let name = answer.get("name").and_then(serde_json::Value::as_str).unwrap_or("a question");
            return Err(FlowError::Refused(format!(
                "Odoo asks \"{name}\" before validating this shipment: validate it in Odoo"
            )));
        }
        Ok(self.shipment)
    }

    /// Validated already: the picking is done (a validation is one call, so done means all of it).
    async fn recover(&self, odoo: &Odoo, schema: &Schema, _key: &Key) -> Result<Option<i64>, FlowError> {
        let shipment = one(odoo, schema, self.shipment).await?;
        Ok((shipment.state == ShipmentState::Done).then_some(shipment.id))
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, _replayed: bool) -> Result<Validated, FlowError> {
        let shipment = one(odoo, schema, record).await?;
        let backorder = stock_picking::backorders_of(odoo, schema, record).await?.last().copied();
        Ok(Validated { shipment, backorder })
    }

    /// A validation cannot be undone in Odoo (a return brings goods back).
    fn reverse(_record: i64) -> Vec<OdooCall> {
        Vec::new()
    }
}

impl ValidateShipment {
    /// The quantity done of each line the validation names, or announced, or reserved.
    fn done_per_line(
        &self,
        shipment: &Shipment,
        schema: &Schema,
        units: &Units,
        violations: &mut Violations,
    ) -> Vec<(i64, Decimal)> {
        let validation = &self.validation;
        if validation.as_announced {
            let Some(asn) = &shipment.asn else {
                violations
                    .add("as_announced", format!("no advance shipping notice was recorded for {}", shipment.reference));
                return Vec::new();
            };
            if !validation.lines.is_empty() {
                violations.add("lines", "give quantities or as_announced, not both");
            }
            return asn.lines.iter().map(|l| (l.line_id, l.quantity)).collect();
        }
        if validation.lines.is_empty() {
            return shipment.lines.iter().map(|l| (l.id, l.quantity)).collect();
        }
        named_lines(shipment, &validation.lines, schema, units, violations)
            .into_iter()
            .map(|(_, line, quantity)| (line.id, quantity))
            .collect()
    }
}
