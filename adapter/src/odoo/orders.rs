//! What sales and purchase orders share in Odoo: the shape a flow may rely on alike for both
//! (`OrderModel`), and their lines — imported with their order, each under its own external id,
//! by product, quantity, unit and price; read for any number of orders at once, with their
//! products' SKUs.

use std::{collections::HashMap, future::Future};

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{
    Capability, Case, DecodeError, Decoded, Field, Method, Model, Odoo, Record, Row, Schema, ir_model_data::LineTable,
    product,
};
use crate::{OdooCall, OdooError, models::OrderQuery};

/// Where an order stands, as far as confirming it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Not confirmed yet (a quotation, a request for quotation).
    Draft,
    Confirmed,
    Cancelled,
}

/// Orders decoded without their lines, each with the ids of its lines.
pub(crate) type Headers<O> = Decoded<(O, Vec<i64>)>;

/// An order model (`sale.order`, `purchase.order`) as the flows use it alike.
pub(crate) trait OrderModel: Send + Sync + 'static {
    /// The order as odoo-mesh reads it, with its lines.
    type Order: Send;
    type Line: Send;
    const CAPABILITY: Capability;
    const ORDER: Model;
    const FIELDS: &'static [Field];
    const LINES: Lines;
    /// The orders' resource collection (`salesOrders`), to say which one is not found.
    const COLLECTION: &'static str;

    /// The orders of these rows, without their lines, and the ids of their lines (those that
    /// cannot be decoded left out, through `Odoo::decode_each`); any reads it needs besides are
    /// made once for all of them.
    fn decode(
        odoo: &Odoo,
        schema: &Schema,
        rows: &[Record],
    ) -> impl Future<Output = Result<Headers<Self::Order>, OdooError>> + Send;
    /// A line of `order`, with its product's SKU; `None` for a line that is not goods (a section,
    /// a note, a down payment), which odoo-mesh leaves out.
    fn decode_line(
        row: &Row<'_>,
        order: &Self::Order,
        skus: &HashMap<i64, String>,
    ) -> Result<Option<Self::Line>, DecodeError>;
    fn set_lines(order: &mut Self::Order, lines: Vec<Self::Line>);
    fn id(order: &Self::Order) -> i64;
    const FILTERS: Filters;

    /// The terms selecting the query's states (prefix notation).
    fn state_terms(schema: &Schema, query: &OrderQuery) -> Vec<Value>;

    /// A page's filters, after the query's last id.
    fn page_domain(schema: &Schema, query: &OrderQuery) -> Value {
        let filters = Self::FILTERS;
        let mut domain = vec![json!(["id", ">", query.after_id])];
        domain.extend(Self::state_terms(schema, query));
        if let Some(partner) = query.partner {
            domain.push(schema.term(&filters.partner, "child_of", json!([partner])));
        }
        if let Some(reference) = &query.customer_reference {
            domain.push(schema.exact(&filters.reference, reference, Case::Sensitive));
        }
        if let Some(since) = query.created_since {
            domain.push(schema.term(&filters.created, ">=", super::odoo_datetime(since)));
        }
        if let Some(since) = query.updated_since {
            domain.push(schema.term(&filters.updated, ">=", super::odoo_datetime(since)));
        }
        Value::Array(domain)
    }
    fn stage(order: &Self::Order) -> Stage;
    /// The order's number (`S00042`), as people name it.
    fn number(order: &Self::Order) -> &str;
    fn confirm(id: i64) -> OdooCall;
    /// The calls that undo an order's creation: cancel it, then delete it.
    fn remove(id: i64) -> Vec<OdooCall>;
}

/// The header fields a list of either kind of order is filtered by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filters {
    /// The customer or supplier.
    pub(crate) partner: Field,
    /// The partner's own reference for the order.
    pub(crate) reference: Field,
    pub(crate) created: Field,
    pub(crate) updated: Field,
}

/// The methods the flows call on an order model: its confirm and cancel, the chatter and import.
pub(crate) const fn methods(order: Model, confirm: &'static str, cancel: &'static str) -> [Method; 4] {
    [
        order.method(confirm),
        order.method(cancel),
        order.method("message_post").from("mail"),
        order.method("load").from("base"),
    ]
}

/// Where an order model keeps its lines, and the line fields both kinds share.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lines {
    /// The order's one2many of lines.
    pub(crate) of_order: Field,
    pub(crate) model: Model,
    /// What a line read asks for.
    pub(crate) fields: &'static [Field],
    pub(crate) product: Field,
    pub(crate) quantity: Field,
    pub(crate) unit: Field,
    pub(crate) price: Field,
}

/// A line to import. A price left out is Odoo's to compute (price list, supplier info); `extra`
/// is what only one kind of order has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewLine<X> {
    pub(crate) product: i64,
    /// In `unit`.
    pub(crate) quantity: Decimal,
    pub(crate) unit: i64,
    /// The product's own unit: the line's unless the caller named another.
    pub(crate) product_unit: i64,
    pub(crate) price: Option<Decimal>,
    pub(crate) extra: X,
}

impl Lines {
    pub(crate) const fn new(
        of_order: Field,
        fields: &'static [Field],
        product: Field,
        quantity: Field,
        unit: Field,
        price: Field,
    ) -> Self {
        Self { of_order, model: product.model, fields, product, quantity, unit, price }
    }

    /// The import columns every order line has; the order's module adds its own after them.
    /// The unit is always sent: left out, Odoo 18 puts a purchase line in the product's purchase
    /// unit, not the unit its quantity is in. An optional column is sent only when lines carry its
    /// value: an empty cell makes Odoo write 0.
    pub(crate) fn table<X>(&self, schema: &Schema, order: &str, lines: &[NewLine<X>]) -> LineTable {
        let mut table = LineTable::new(schema, &self.of_order, order, lines.len());
        table.record(schema, &self.product, lines.iter().map(|l| l.product));
        table.value(schema, &self.quantity, lines.iter().map(|l| super::decimal_cell(l.quantity)));
        table.record(schema, &self.unit, lines.iter().map(|l| l.unit));
        if lines.iter().any(|l| l.price.is_some()) {
            table.value(
                schema,
                &self.price,
                lines.iter().map(|l| l.price.map(super::decimal_cell).unwrap_or_default()),
            );
        }
        table
    }

    /// The orders with their lines: every line read at once, their products' SKUs at once. An
    /// order one of whose lines cannot be decoded is left out with it (see `Decoded`).
    pub(crate) async fn attach<O, L>(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        orders: Decoded<(O, Vec<i64>)>,
        id: impl Fn(&O) -> i64,
        decode: impl Fn(&Row<'_>, &O, &HashMap<i64, String>) -> Result<Option<L>, DecodeError>,
        set: impl Fn(&mut O, Vec<L>),
    ) -> Result<Decoded<O>, OdooError> {
        let ids: Vec<i64> = orders.items.iter().flat_map(|(_, lines)| lines.iter().copied()).collect();
        let records = odoo.read(schema, self.model, &ids, self.fields).await?;
        // A line whose product cannot be read is reported by its own decoding, below.
        let products: Vec<i64> = records
            .iter()
            .filter_map(|r| Some(Row::new(self.model, r).ok()?.reference(&self.product).ok()?.id))
            .collect();
        let skus: HashMap<i64, String> = product::skus(odoo, schema, &products).await?.into_iter().collect();
        let owner: HashMap<i64, &O> =
            orders.items.iter().flat_map(|(order, lines)| lines.iter().map(move |line| (*line, order))).collect();
        let mut lines: HashMap<i64, L> = HashMap::new();
        let unreadable = odoo
            .decode_each(self.model, &records, |row| {
                // Lines are read by their orders' ids: one that is none of theirs is not wanted.
                let Some(order) = owner.get(&row.id()) else { return Ok(()) };
                let line = decode(row, order, &skus).map_err(|e| e.part_of(self.of_order.model.name, id(order)))?;
                if let Some(line) = line {
                    lines.insert(row.id(), line);
                }
                Ok(())
            })?
            .unreadable;
        let orders = orders.map(|(mut order, own)| {
            set(&mut order, own.iter().filter_map(|line| lines.remove(line)).collect());
            order
        });
        Ok(orders.without_unreadable_parts(&unreadable, id))
    }
}
