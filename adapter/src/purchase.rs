//! Purchase orders: captured exactly once per request id, read, listed, confirmed, and
//! acknowledged by their supplier — both writes through `command`, so a failed confirmation is
//! undone, and a retried or concurrent acknowledgement is recorded once.

use std::{collections::HashMap, sync::Arc};

use time::OffsetDateTime;

use crate::{
    OdooError,
    command::{self, Command, FlowError, Key, Undo, refusal},
    models::{
        Captured, LineAcknowledgement, OrderQuery, PartnerSelector, PurchaseOrder, PurchaseOrderDraft,
        PurchaseOrderState, Ref,
    },
    odoo::{
        Capability, Odoo, Record, Schema, partner,
        purchase_order::{self, NewLine, NewOrder},
        warehouse,
    },
    resolve::{self, LineRequest, Purpose, Violations},
};

/// Purchase orders over one Odoo user's connection.
#[derive(Debug)]
pub struct Purchases {
    odoo: Arc<Odoo>,
}

impl Purchases {
    pub fn new(odoo: Arc<Odoo>) -> Self {
        Self { odoo }
    }

    /// Creates a purchase order exactly once per request id (scoped to the caller).
    pub async fn create(&self, draft: PurchaseOrderDraft, scope: &str) -> Result<Captured<PurchaseOrder>, FlowError> {
        let request_id = draft.request_id.clone();
        command::run(&self.odoo, CreatePurchaseOrder(draft), &request_id, scope).await
    }

    pub async fn get(&self, id: i64) -> Result<PurchaseOrder, FlowError> {
        let schema = self.odoo.ready(Capability::PurchaseOrders).await?;
        get(&self.odoo, &schema, id).await
    }

    /// One page of orders by ascending id, and whether more follow.
    pub async fn list(&self, query: &OrderQuery) -> Result<(Vec<PurchaseOrder>, bool), FlowError> {
        let schema = self.odoo.ready(Capability::PurchaseOrders).await?;
        let domain = purchase_order::page_domain(&schema, query);
        let (rows, more) =
            self.odoo.page(&schema, purchase_order::ORDER, domain, purchase_order::FIELDS, query.limit).await?;
        Ok((orders(&self.odoo, &schema, &rows).await?, more))
    }

    /// Confirms an order; Odoo itself treats a second confirmation as a no-op.
    pub async fn confirm(&self, id: i64) -> Result<PurchaseOrder, FlowError> {
        let schema = self.odoo.ready(Capability::PurchaseOrders).await?;
        confirm(&self.odoo, &schema, id).await
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

async fn get(odoo: &Odoo, schema: &Schema, id: i64) -> Result<PurchaseOrder, FlowError> {
    let rows = odoo.read(schema, purchase_order::ORDER, &[id], purchase_order::FIELDS).await?;
    orders(odoo, schema, &rows).await?.pop().ok_or_else(|| FlowError::NotFound(format!("purchaseOrders/{id}")))
}

async fn confirm(odoo: &Odoo, schema: &Schema, id: i64) -> Result<PurchaseOrder, FlowError> {
    let order = get(odoo, schema, id).await?;
    if order.state == PurchaseOrderState::Cancelled {
        return Err(FlowError::Refused(format!("{} is cancelled and cannot be confirmed", order.number)));
    }
    odoo.call(purchase_order::confirm(id)).await.map_err(refusal)?;
    get(odoo, schema, id).await
}

/// Orders from their rows, with their lines, the lines' SKUs and the warehouses they deliver to.
async fn orders(odoo: &Odoo, schema: &Schema, rows: &[Record]) -> Result<Vec<PurchaseOrder>, OdooError> {
    let types = rows.iter().map(purchase_order::receipt_type).collect::<Result<Vec<_>, _>>()?;
    let types: Vec<i64> = types.into_iter().flatten().collect();
    let warehouses = warehouse::of_picking_types(odoo, schema, &types).await?;
    let headers = rows.iter().map(|r| purchase_order::decode(r, &warehouses)).collect::<Result<Vec<_>, _>>()?;
    let decode = |line: &Record, order: &PurchaseOrder, skus: &HashMap<i64, String>| {
        purchase_order::decode_line(line, &order.amount_total.currency, skus)
    };
    purchase_order::ORDER_LINES.attach(odoo, schema, headers, decode, |order, lines| order.lines = lines).await
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
        let name = key.record_name("order");
        let load = purchase_order::load(odoo, schema, &name, &order);
        // Odoo deletes only cancelled purchase orders.
        let reverse = |id| vec![purchase_order::cancel(id), purchase_order::unlink(id)];
        let id = command::import(odoo, schema, undo, purchase_order::ORDER, &name, load, reverse).await?;
        if draft.confirm {
            odoo.call(purchase_order::confirm(id)).await.map_err(refusal)?;
        }
        Ok(id)
    }

    async fn read(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        record: i64,
        replayed: bool,
    ) -> Result<PurchaseOrder, FlowError> {
        let order = get(odoo, schema, record).await?;
        let interrupted = matches!(order.state, PurchaseOrderState::Rfq | PurchaseOrderState::RfqSent);
        if replayed && self.0.confirm && interrupted {
            return confirm(odoo, schema, record).await;
        }
        Ok(order)
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
        let order = get(odoo, schema, self.order).await?;
        let mut violations = Violations::default();
        for (i, ack) in self.lines.iter().enumerate() {
            if !order.lines.iter().any(|l| l.id == ack.line_id) {
                violations.add(
                    format!("lines[{i}].line_id"),
                    format!("line {} is not a line of {}", ack.line_id, order.number),
                );
            }
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
        _key: &Key,
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
        odoo.call(purchase_order::post_message(order.id, &body)).await.map_err(refusal)?;
        Ok(order.id)
    }

    async fn read(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        record: i64,
        _replayed: bool,
    ) -> Result<PurchaseOrder, FlowError> {
        get(odoo, schema, record).await
    }
}
