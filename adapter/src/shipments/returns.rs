//! Returns of done shipments, through Odoo's return wizard. The return is made in one call
//! (`action_create_returns`) and then named under the command's key; an answer lost on the way is
//! recovered by looking for the one return of the shipment that was not there before and that no
//! other command named — so a retry never makes a second return.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::Serialize;

use super::{Shipments, named_lines, one};
use crate::{
    OdooCall, OdooError,
    command::{self, Command, FlowError, Key, Undo, refusal},
    models::{Captured, LineQuantity, Shipment, ShipmentState},
    odoo::{
        Capability, Model, Odoo, Schema, ir_model_data, mail_message,
        stock_picking::{self, PICKING},
        stock_return,
    },
    resolve::Violations,
};

impl Shipments {
    /// Makes a return of a done shipment once per request id (within the caller's scope): the
    /// quantities given per line (move id, in its unit), or everything when none are.
    pub async fn create_return(
        &self,
        id: i64,
        request_id: &str,
        lines: Vec<LineQuantity>,
        reason: String,
        scope: &str,
    ) -> Result<Captured<Shipment>, FlowError> {
        command::run(&self.odoo, CreateReturn { shipment: id, lines, reason }, request_id, scope).await
    }
}

#[derive(Debug, Serialize)]
struct CreateReturn {
    shipment: i64,
    lines: Vec<LineQuantity>,
    reason: String,
}

/// What to return of each move, and the returns the shipment had before.
struct Plan {
    quantities: Vec<(i64, Decimal)>,
    earlier_returns: HashSet<i64>,
}

/// The external id a return is named under: `{key}_return`.
const RETURN: &str = "return";

impl Command for CreateReturn {
    type Plan = Plan;
    type Record = Shipment;
    const KIND: &'static str = "ret";
    const NAME: &'static str = "create_return";
    const CAPABILITY: Capability = Capability::Shipments;
    const MODEL: Model = PICKING;

    fn target(&self) -> i64 {
        self.shipment
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let shipment = one(odoo, schema, self.shipment).await?;
        if shipment.state != ShipmentState::Done {
            return Err(FlowError::Refused(format!(
                "{} is not done: only goods that left can come back",
                shipment.reference
            )));
        }
        let mut violations = Violations::default();
        let units = odoo.units().await?;
        let named = named_lines(&shipment, &self.lines, schema, &units, &mut violations);
        for (i, line, quantity) in &named {
            if *quantity > line.quantity {
                violations.add(
                    format!("lines[{i}].quantity.value"),
                    format!("{quantity} is more than the {} {} that left", line.quantity, line.unit.name),
                );
            }
        }
        let quantities = match self.lines.is_empty() {
            true => shipment.lines.iter().map(|l| (l.id, l.quantity)).collect(),
            false => named.iter().map(|(_, line, quantity)| (line.id, *quantity)).collect(),
        };
        violations.finish(Plan { quantities, earlier_returns: shipment.returns.into_iter().collect() })
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Plan,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let wizard = stock_return::open(odoo, self.shipment).await.map_err(refusal)?;
        for (line, moved) in stock_return::lines(odoo, schema, wizard).await? {
            let quantity = plan.quantities.iter().find(|(id, _)| *id == moved).map_or(Decimal::ZERO, |(_, q)| *q);
            if !quantity.is_zero() {
                odoo.call(stock_return::set_quantity(schema, line, quantity)).await.map_err(refusal)?;
            }
        }
        let made = match odoo.call(stock_return::create_returns(wizard, self.shipment)).await {
            Ok(answer) => stock_return::made(&answer),
            Err(error @ (OdooError::UserError { .. } | OdooError::ValidationError { .. })) => {
                return Err(refusal(error));
            }
            Err(lost) => match unclaimed_return(odoo, schema, self.shipment, &plan.earlier_returns).await? {
                Some(found) => Some(found),
                None => return Err(lost.into()),
            },
        };
        let made = made.ok_or_else(|| FlowError::Refused("Odoo made no return".into()))?;
        undo.push(format!("the return {made}"), stock_picking::remove(made));
        if !self.reason.is_empty() {
            let note = format!("Returned through odoo-mesh: {}", self.reason);
            odoo.call(mail_message::post(PICKING, made, &note)).await.map_err(refusal)?;
        }
        // The name is the last write: found under the key, it tells a takeover all was done.
        ir_model_data::create(odoo, schema, &[(key.record_name(RETURN).as_str(), PICKING.name, made)]).await?;
        Ok(made)
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        Ok(ir_model_data::find(odoo, schema, &key.record_name(RETURN), PICKING).await?)
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, _replayed: bool) -> Result<Shipment, FlowError> {
        one(odoo, schema, record).await
    }

    fn reverse(record: i64) -> Vec<OdooCall> {
        stock_picking::remove(record)
    }
}

/// The return of `shipment` made since `earlier` that no odoo-mesh command named: the one whose
/// creation's answer was lost. None, or several (a person made one meanwhile), is not found.
async fn unclaimed_return(
    odoo: &Odoo,
    schema: &Schema,
    shipment: i64,
    earlier: &HashSet<i64>,
) -> Result<Option<i64>, FlowError> {
    let now = one(odoo, schema, shipment).await?;
    let new: Vec<i64> = now.returns.into_iter().filter(|r| !earlier.contains(r)).collect();
    let named = ir_model_data::records_of(odoo, schema, PICKING, &new).await?;
    let unclaimed: Vec<i64> = new.into_iter().filter(|r| !named.contains(r)).collect();
    Ok(match unclaimed.as_slice() {
        [one] => Some(*one),
        _ => None,
    })
}
