//! Purchase orders: captured exactly once per request id, read, listed, confirmed, and
//! acknowledged by their supplier — both writes through `command`, so a failed confirmation is
//! undone, and a retried or concurrent acknowledgement is recorded once.

use time::OffsetDateTime;

use crate::{
    OdooCall,
    command::{self, Command, FlowError, Key, Undo, refusal},
    models::{
        Captured, LineAcknowledgement, PartnerSelector, PurchaseOrder, PurchaseOrderDraft, PurchaseOrderState, Ref,
    },
    odoo::{
        Capability, Odoo, Schema, ir_model_data, mail_message, partner,
        purchase_order::{self, NewLine, NewOrder, PurchaseOrders},
        warehouse,
    },
    orders::{self, Orders},
    resolve::{self, LineRequest, Purpose, Violations},
};

/// Purchase orders over one Odoo user's connection.
pub type Purchases = Orders<PurchaseOrders, PurchaseOrder>;

impl Orders<PurchaseOrders, PurchaseOrder> {
    /// Creates a purchase order exactly once per request id (scoped to the caller).
    pub async fn create(&self, draft: PurchaseOrderDraft, scope: &str) -> Result<Captured<PurchaseOrder>, FlowError> {
        let request_id = draft.request_id.clone();
        command::run(&self.odoo, CreatePurchaseOrder(draft), &request_id, scope).await
    }

    /// Records a supplier's acknowledgement once per request id: confirmed quantities and dates go
    /// onto the lines (moving the receipt's expected dates), the order is marked acknowledged, and
    /// the chatter keeps what the supplier said.
    pub async fn acknowledge(
        &self,
        order: i64,
        request_id: &str,
        lines: Vec<LineAcknowledgement>,
        scope: &str,
    ) -> Result<Captured<PurchaseOrder>, FlowError> {
        command::run(&self.odoo, Acknowledge { order, lines }, request_id, scope).await
    }
}

/// The create command: its payload is the draft, which a retry must repeat.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct CreatePurchaseOrder(PurchaseOrderDraft);

struct Plan {
    supplier: i64,
    receipt_type: Option<i64>,
    lines: Vec<NewLine>,
}

impl Command for CreatePurchaseOrder {
    type Plan = Plan;
    type Record = PurchaseOrder;
    const KIND: &'static str = "po";
    const NAME: &'static str = "create_purchase_order";
    const CAPABILITY: Capability = Capability::PurchaseOrders;
    const MODEL: crate::odoo::Model = purchase_order::ORDER;

    /// The previous release ignored the prices' currencies and the quantities' units.
    fn earlier_payload(&self) -> Option<Self> {
        let mut earlier = self.0.clone();
        for line in &mut earlier.lines {
            (line.currency, line.unit_of_measure) = (None, None);
        }
        Some(Self(earlier))
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let draft = &self.0;
        let mut violations = Violations::default();
        let supplier = resolve::partner(odoo, schema, &draft.supplier, "supplier", &mut violations).await?;
        if matches!(draft.supplier, PartnerSelector::New(_)) && supplier.is_none() {
            violations
                .add("supplier", "suppliers must exist in Odoo; name them by resource name, reference, e-mail or VAT");
        }
        let receipt_type = match draft.warehouse {
            Some(id) => warehouse::receipt_type(odoo, schema, id).await?.unwrap_or_else(|| {
                violations.add("warehouse", format!("no warehouse warehouses/{id}"));
                None
            }),
            None => None,
        };
        // The supplier's purchase currency, else the company's.
        let currency = match supplier {
            Some(id) => partner::defaults(odoo, schema, id).await?.purchase_currency,
            None => None,
        };
        let currency: Ref = match currency {
            Some(currency) => currency,
            None => odoo.company_currency().await?,
        };
        let requests: Vec<LineRequest<'_, Option<OffsetDateTime>>> = draft
            .lines
            .iter()
            .map(|l| LineRequest {
                sku: &l.sku,
                quantity: l.quantity,
                unit: l.unit_of_measure.as_deref(),
                price: l.unit_price,
                currency: l.currency.as_deref(),
                extra: l.expected,
            })
            .collect();
        let lines = resolve::lines(odoo, schema, &requests, Purpose::Purchase, &currency, &mut violations).await?;
        let lines = lines.into_iter().map(|(line, _)| line).collect();
        violations.finish(Plan { supplier: supplier.unwrap_or_default(), receipt_type, lines })
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Plan,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let draft = &self.0;
        let order = NewOrder {
            supplier: plan.supplier,
            supplier_reference: draft.supplier_reference.as_deref(),
            receipt_type: plan.receipt_type,
            lines: plan.lines,
        };
        let name = orders::order_name(key);
        let load = purchase_order::load(odoo, schema, &name, &order);
        orders::create::<PurchaseOrders>(odoo, schema, undo, key, load, draft.confirm).await
    }

    async fn read(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        record: i64,
        replayed: bool,
    ) -> Result<PurchaseOrder, FlowError> {
        orders::created::<PurchaseOrders>(odoo, schema, record, replayed, self.0.confirm).await
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        orders::recover::<PurchaseOrders>(odoo, schema, key).await
    }

    fn reverse(record: i64) -> Vec<OdooCall> {
        orders::remove::<PurchaseOrders>(record)
    }
}

/// A supplier's acknowledgement: its payload is the order and what was confirmed per line.
#[derive(Debug, serde::Serialize)]
struct Acknowledge {
    order: i64,
    lines: Vec<LineAcknowledgement>,
}

impl Command for Acknowledge {
    type Plan = PurchaseOrder;
    type Record = PurchaseOrder;
    const KIND: &'static str = "ack";
    const NAME: &'static str = "acknowledge_purchase_order";
    const CAPABILITY: Capability = Capability::PurchaseOrders;
    const MODEL: crate::odoo::Model = purchase_order::ORDER;

    fn target(&self) -> i64 {
        self.order
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<PurchaseOrder, FlowError> {
        let order = orders::one::<PurchaseOrders>(odoo, schema, self.order).await?;
        let mut violations = Violations::default();
        let units = odoo.units().await?;
        for (i, ack) in self.lines.iter().enumerate() {
            let Some(line) = order.lines.iter().find(|l| l.id == ack.line_id) else {
                let line = ack.line_id;
                violations.add(format!("lines[{i}].line_id"), format!("line {line} is not a line of {}", order.number));
                continue;
            };
            if let Some(quantity) = ack.quantity {
                let at = format!("lines[{i}].confirmed_quantity.value");
                let quantity = (&purchase_order::ORDER_LINES.quantity, quantity);
                resolve::storable_quantity(schema, &units, quantity, line.unit.id, &at, &mut violations);
            }
            let at = format!("lines[{i}].confirmed_quantity.unit_of_measure");
            resolve::same_unit(ack.unit_of_measure.as_deref(), &line.unit, &at, &mut violations);
        }
        let order = violations.finish(order)?;
        if order.state == PurchaseOrderState::Cancelled {
            return Err(FlowError::Refused(format!("{} is cancelled", order.number)));
        }
        Ok(order)
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        order: PurchaseOrder,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let mut summary = Vec::new();
        for ack in &self.lines {
            if ack.quantity.is_none() && ack.expected.is_none() {
                continue;
            }
            let Some(before) = order.lines.iter().find(|l| l.id == ack.line_id) else { continue };
            odoo.call(purchase_order::write_line(schema, ack.line_id, ack.quantity, ack.expected))
                .await
                .map_err(refusal)?;
            undo.push(
                format!("the acknowledged line {}", ack.line_id),
                vec![purchase_order::write_line(
                    schema,
                    ack.line_id,
                    ack.quantity.map(|_| before.quantity),
                    ack.expected.and(before.expected),
                )],
            );
            if let Some(quantity) = ack.quantity {
                summary.push(format!("line {}: quantity {quantity}", ack.line_id));
            }
            if let Some(expected) = ack.expected {
                summary.push(format!("line {}: expected {}", ack.line_id, crate::odoo::odoo_datetime(expected)));
            }
        }
        if !order.acknowledged {
            odoo.call(purchase_order::set_acknowledged(schema, order.id, true)).await.map_err(refusal)?;
            undo.push("the acknowledged flag", vec![purchase_order::set_acknowledged(schema, order.id, false)]);
        }
        let body = if summary.is_empty() {
            "Supplier acknowledged the order as sent.".to_owned()
        } else {
            format!("Supplier acknowledged with changes: {}.", summary.join("; "))
        };
        let posted = odoo.call(purchase_order::post_message(order.id, &body)).await.map_err(refusal)?;
        let message = ir_model_data::ids_of(&posted).first().copied().unwrap_or_default();
        undo.push("the acknowledgement note", vec![mail_message::unlink(message)]);
        // The note is the last write: found under the key, it tells a takeover all was done.
        let note = key.record_name("note");
        ir_model_data::create(odoo, schema, &[(note.as_str(), mail_message::MESSAGE.name, message)]).await?;
        Ok(order.id)
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        let note = ir_model_data::find(odoo, schema, &key.record_name("note"), mail_message::MESSAGE).await?;
        Ok(note.map(|_| self.order))
    }

    async fn read(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        record: i64,
        _replayed: bool,
    ) -> Result<PurchaseOrder, FlowError> {
        orders::one::<PurchaseOrders>(odoo, schema, record).await
    }
}
