//! Sales orders: captured exactly once per request id (through `command`), read, listed,
//! confirmed and cancelled. The steps here are the business's; Odoo's names are the model
//! layer's.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::{
    OdooCall, OdooError,
    command::{self, Command, FlowError, Key, Undo, refusal},
    models::{
        Address, Availability, Captured, NewPartner, PartnerSelector, Ref, SalesOrder, SalesOrderDraft,
        SalesOrderState, Shortfall,
    },
    odoo::{
        Capability, Odoo, Schema,
        partner::{self, Role},
        pricelist,
        product::{self, Orderable},
        sale_order::{self, NewLine, NewOrder, SalesOrders},
        stock_picking, warehouse,
    },
    orders::{self, Orders},
    resolve::{self, LineRequest, Purpose, Violations},
};

/// Sales orders over one Odoo user's connection.
pub type Sales = Orders<SalesOrders, SalesOrder>;

impl Orders<SalesOrders, SalesOrder> {
    /// Creates a sales order exactly once per request id (scoped to the caller).
    pub async fn create(&self, draft: SalesOrderDraft, scope: &str) -> Result<Captured<SalesOrder>, FlowError> {
        let request_id = draft.request_id.clone();
        command::run(&self.odoo, CreateSalesOrder(draft), &request_id, scope).await
    }

    /// Cancels an order and records why; cancelling a cancelled order changes nothing. Refused once
    /// goods have left the warehouse: cancelling then would hide a shipment that happened.
    pub async fn cancel(&self, id: i64, reason: &str) -> Result<SalesOrder, FlowError> {
        let schema = self.odoo.ready(Capability::SalesOrders).await?;
        let order = orders::one::<SalesOrders>(&self.odoo, &schema, id).await?;
        if order.state == SalesOrderState::Cancelled {
            return Ok(order);
        }
        let shipped = stock_picking::done_among(&self.odoo, &schema, &order.pickings).await?;
        if !shipped.is_empty() {
            return Err(FlowError::Refused(format!(
                "goods of {} were already delivered ({}); return them instead of cancelling",
                order.number,
                shipped.join(", ")
            )));
        }
        self.odoo.call(sale_order::cancel(id)).await.map_err(refusal)?;
        if !reason.is_empty() {
            let note = format!("Cancelled through odoo-mesh: {reason}");
            self.odoo.call(sale_order::post_message(id, &note)).await.map_err(refusal)?;
        }
        orders::one::<SalesOrders>(&self.odoo, &schema, id).await
    }
}

/// The create command: its payload is the draft, which a retry must repeat.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct CreateSalesOrder(SalesOrderDraft);

/// What validation found.
struct Plan {
    /// `None`: a new customer, created from the draft's details.
    customer: Option<i64>,
    warehouse: Option<i64>,
    lines: Vec<NewLine>,
    shortfalls: Vec<Shortfall>,
}

impl Command for CreateSalesOrder {
    type Plan = Plan;
    type Record = SalesOrder;
    const KIND: &'static str = "so";
    const NAME: &'static str = "create_sales_order";
    const CAPABILITY: Capability = Capability::SalesOrders;
    const MODEL: crate::odoo::Model = sale_order::ORDER;

    /// The previous release ignored the prices' currencies.
    fn earlier_payload(&self) -> Option<Self> {
        let mut earlier = self.0.clone();
        earlier.lines.iter_mut().for_each(|line| line.currency = None);
        Some(Self(earlier))
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let draft = &self.0;
        let mut violations = Violations::default();
        let customer = resolve::partner(odoo, schema, &draft.customer, "customer", &mut violations).await?;
        if let Some(id) = draft.invoice_address
            && partner::find(odoo, schema, partner::Lookup::Id(id)).await?.is_empty()
        {
            violations.add("invoice_address", format!("no partner partners/{id}"));
        }
        let currency = order_currency(odoo, schema, draft, customer, &mut violations).await?;
        let warehouse = match draft.warehouse {
            Some(id) => resolve::warehouse(odoo, schema, id, "warehouse", &mut violations).await?.map(|w| w.id),
            None => warehouse::default(odoo, schema).await?,
        };
        let requests: Vec<LineRequest<'_, Option<Decimal>>> = draft
            .lines
            .iter()
            .map(|l| LineRequest {
                sku: &l.sku,
                quantity: l.quantity,
                unit: l.unit_of_measure.as_deref(),
                price: l.unit_price,
                currency: l.currency.as_deref(),
                extra: l.discount,
            })
            .collect();
        let lines = resolve::lines(odoo, schema, &requests, Purpose::Sale, &currency, &mut violations).await?;
        for (i, discount) in draft.lines.iter().enumerate().filter_map(|(i, l)| Some((i, l.discount?))) {
            let at = format!("lines[{i}].discount_percent");
            resolve::storable_decimal(schema, &sale_order::DISCOUNT, discount, &at, &mut violations);
        }
        let mut plan = violations.finish(Plan { customer, warehouse, lines: Vec::new(), shortfalls: Vec::new() })?;
        if let (Availability::Flag | Availability::Refuse, Some(warehouse)) = (draft.availability, plan.warehouse) {
            plan.shortfalls = shortfalls(odoo, schema, draft, &lines, warehouse).await?;
            if draft.availability == Availability::Refuse && !plan.shortfalls.is_empty() {
                return Err(FlowError::Shortfall(plan.shortfalls));
            }
        }
        plan.lines = lines.into_iter().map(|(line, _)| line).collect();
        Ok(plan)
    }

    fn shortfalls(plan: &Plan) -> Vec<Shortfall> {
        plan.shortfalls.clone()
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
        let customer = match (plan.customer, &draft.customer) {
            (Some(id), _) => id,
            (None, PartnerSelector::New(new)) => {
                create_partner(odoo, schema, undo, &key.record_name("customer"), new, Role::Customer).await?
            }
            (None, _) => return Err(FlowError::Invalid(vec![command::Violation::new("customer", "no customer")])),
        };
        let delivery_address = match &draft.delivery_address {
            Some(address) => {
                let (name, role) = (key.record_name("delivery"), Role::DeliveryAddress { customer });
                Some(create_partner(odoo, schema, undo, &name, &delivery_partner(address), role).await?)
            }
            None => None,
        };
        let order = NewOrder {
            customer,
            invoice_address: draft.invoice_address,
            delivery_address,
            pricelist: draft.pricelist,
            warehouse: plan.warehouse,
            customer_reference: draft.customer_reference.as_deref(),
            note: draft.note.as_deref(),
            commitment: draft.commitment,
            lines: plan.lines,
        };
        let name = orders::order_name(key);
        let load = sale_order::load(odoo, schema, &name, &order);
        orders::create::<SalesOrders>(odoo, schema, undo, key, load, draft.confirm).await
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, replayed: bool) -> Result<SalesOrder, FlowError> {
        orders::created::<SalesOrders>(odoo, schema, record, replayed, self.0.confirm).await
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        orders::recover::<SalesOrders>(odoo, schema, key).await
    }

    fn reverse(record: i64) -> Vec<OdooCall> {
        orders::remove::<SalesOrders>(record)
    }
}

/// The currency an order will be in: its price list's — the one named, else the customer's —
/// else the company's. Prices the caller gives must be in it.
async fn order_currency(
    odoo: &Odoo,
    schema: &Schema,
    draft: &SalesOrderDraft,
    customer: Option<i64>,
    violations: &mut Violations,
) -> Result<Ref, OdooError> {
    let pricelist = match (draft.pricelist, customer) {
        (Some(id), _) => Some(id),
        (None, Some(customer)) => partner::defaults(odoo, schema, customer).await?.pricelist.map(|p| p.id),
        (None, None) => None,
    };
    if let Some(id) = pricelist {
        match pricelist::currency(odoo, schema, id).await? {
            Some(currency) => return Ok(currency),
            None if draft.pricelist.is_some() => violations.add("pricelist", format!("no price list pricelists/{id}")),
            None => {}
        }
    }
    odoo.company_currency().await
}

/// Lines asking for more than is free to promise in the warehouse; lines of the same product
/// draw on the same stock, in order. Compared in the product's unit.
async fn shortfalls(
    odoo: &Odoo,
    schema: &Schema,
    draft: &SalesOrderDraft,
    lines: &[(NewLine, Orderable)],
    warehouse: i64,
) -> Result<Vec<Shortfall>, OdooError> {
    let ids: Vec<i64> = lines.iter().map(|(l, _)| l.product).collect();
    let free: HashMap<i64, Decimal> = product::free_in_warehouse(odoo, schema, &ids, warehouse)
        .await?
        .into_iter()
        .map(|(id, free)| (id, free.round_dp(6)))
        .collect();
    let units = odoo.units().await?;
    let mut used: HashMap<i64, Decimal> = HashMap::new();
    let mut shortfalls = Vec::new();
    for (i, (asked, (line, product))) in draft.lines.iter().zip(lines).enumerate() {
        let Some(available) = free.get(&line.product) else { continue };
        let requested = units.convert(line.quantity, line.unit, line.product_unit).unwrap_or(line.quantity);
        let before = used.get(&line.product).copied().unwrap_or_default();
        let left = (*available - before).max(Decimal::ZERO);
        if requested > left {
            shortfalls.push(Shortfall {
                line_index: i,
                sku: asked.sku.clone(),
                requested: requested.normalize(),
                available: left.normalize(),
                unit_of_measure: product.uom.name.clone(),
            });
        }
        used.insert(line.product, before + requested);
    }
    Ok(shortfalls)
}

async fn create_partner(
    odoo: &Odoo,
    schema: &Schema,
    undo: &mut Undo,
    name: &str,
    new: &NewPartner,
    role: Role,
) -> Result<i64, FlowError> {
    let country = match &new.address.country_code {
        Some(code) => partner::country(odoo, schema, code).await?,
        None => None,
    };
    let load = partner::load(odoo, schema, name, new, role, country);
    command::import(odoo, schema, undo, partner::PARTNER, name, load, |id| vec![partner::unlink(id)]).await
}

/// What a new delivery address looks like when only an address is given.
fn delivery_partner(address: &Address) -> NewPartner {
    NewPartner {
        name: address.contact_name.clone().unwrap_or_else(|| "Delivery address".into()),
        address: address.clone(),
        ..NewPartner::default()
    }
}
