//! Sales and purchase orders over one Odoo user's connection: what both do alike, written once
//! over the model layer's `OrderModel` — read orders with their lines, page through them, confirm
//! one idempotently, finish a create (import the order under its key with its undo, confirm it
//! when asked). What only one kind does is in `sales.rs` and `purchase.rs`.

use std::{collections::HashMap, future::Future, marker::PhantomData, sync::Arc};

use crate::{
    OdooError,
    command::{self, FlowError, Key, Undo, refusal},
    models::{OrderQuery, Page},
    odoo::{
        Decoded, Odoo, Record, Row, Schema,
        ir_model_data::{self, Loaded},
        orders::{OrderModel, Stage},
    },
};

/// Orders of one kind (`Sales`, `Purchases`) over one Odoo user's connection: `M` is the kind's
/// Odoo model, `O` the order as callers get it.
#[derive(Debug)]
pub struct Orders<M, O> {
    pub(crate) odoo: Arc<Odoo>,
    kind: PhantomData<(M, O)>,
}

impl<M, O> Orders<M, O> {
    pub fn new(odoo: Arc<Odoo>) -> Self {
        Self { odoo, kind: PhantomData }
    }
}

// `OrderModel` is the adapter's own: callers name `Sales` and `Purchases`, whose types it resolves.
#[allow(private_bounds)]
impl<M: OrderModel<Order = O>, O> Orders<M, O> {
    /// The Odoo model the orders are records of, for audit records.
    pub fn odoo_model(&self) -> &'static str {
        M::ORDER.name
    }

    pub async fn get(&self, id: i64) -> Result<O, FlowError> {
        let schema = self.odoo.ready(M::CAPABILITY).await?;
        one::<M>(&self.odoo, &schema, id).await
    }

    /// The orders with these ids that exist and can be decoded (read in one call, their lines in
    /// another); one that cannot is left out, and reported.
    pub async fn by_id(&self, ids: &[i64]) -> Result<Vec<O>, FlowError> {
        let schema = self.odoo.ready(M::CAPABILITY).await?;
        let rows = self.odoo.read(&schema, M::ORDER, ids, M::FIELDS).await?;
        Ok(read::<M>(&self.odoo, &schema, &rows).await?.items)
    }

    /// One page of orders by ascending id (stable while orders are created); an order that cannot
    /// be decoded is left out of it, and the next page starts after it all the same.
    pub async fn list(&self, query: &OrderQuery) -> Result<Page<O>, FlowError> {
        let schema = self.odoo.ready(M::CAPABILITY).await?;
        let domain = M::page_domain(&schema, query);
        let (rows, more) = self.odoo.page(&schema, M::ORDER, domain, M::FIELDS, query.limit).await?;
        let orders = read::<M>(&self.odoo, &schema, &rows).await?;
        Ok(Page { items: orders.items, more, last_id: orders.last_id })
    }

    /// Confirms an order; confirming a confirmed one changes nothing, a cancelled one is refused.
    pub async fn confirm(&self, id: i64) -> Result<O, FlowError> {
        let schema = self.odoo.ready(M::CAPABILITY).await?;
        confirm_with::<M>(&self.odoo, &schema, id).await
    }
}

/// One order by id, on a schema already at hand; one that cannot be decoded is refused, naming
/// the record and field to correct in Odoo.
pub(crate) async fn one<M: OrderModel>(odoo: &Odoo, schema: &Schema, id: i64) -> Result<M::Order, FlowError> {
    let rows = odoo.read(schema, M::ORDER, &[id], M::FIELDS).await?;
    read::<M>(odoo, schema, &rows)
        .await?
        .single()?
        .ok_or_else(|| FlowError::NotFound(format!("{}/{id}", M::COLLECTION)))
}

async fn confirm_with<M: OrderModel>(odoo: &Odoo, schema: &Schema, id: i64) -> Result<M::Order, FlowError> {
    let order = one::<M>(odoo, schema, id).await?;
    match M::stage(&order) {
        Stage::Confirmed => return Ok(order),
        // Odoo would refuse (sales) or silently do nothing (purchases): say it plainly.
        Stage::Cancelled => {
            return Err(FlowError::Refused(format!("{} is cancelled and cannot be confirmed", M::number(&order))));
        }
        Stage::Draft => {}
    }
    if let Err(error) = odoo.call(M::confirm(id)).await {
        // A concurrent confirmation wins the race: the order is confirmed all the same.
        let now = one::<M>(odoo, schema, id).await?;
        if M::stage(&now) == Stage::Confirmed {
            return Ok(now);
        }
        return Err(refusal(error));
    }
    one::<M>(odoo, schema, id).await
}

/// What a create's order is imported under: `{key}_order`.
const ORDER: &str = "order";

/// The external id a create imports its order under.
pub(crate) fn order_name(key: &Key) -> String {
    key.record_name(ORDER)
}

/// The last steps of creating an order: import it create-only under `order_name(key)` (its undo
/// pushed), then confirm it when asked (a refusal undoes all).
pub(crate) async fn create<M: OrderModel>(
    odoo: &Odoo,
    schema: &Schema,
    undo: &mut Undo,
    key: &Key,
    load: impl Future<Output = Result<Loaded, OdooError>>,
    confirm: bool,
) -> Result<i64, FlowError> {
    let id = command::import(odoo, schema, undo, M::ORDER, &order_name(key), load, M::remove).await?;
    if confirm {
        odoo.call(M::confirm(id)).await.map_err(refusal)?;
    }
    Ok(id)
}

/// The order an earlier owner of a create's key imported before it died, if it got that far.
pub(crate) async fn recover<M: OrderModel>(odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
    Ok(ir_model_data::find(odoo, schema, &key.record_name(ORDER), M::ORDER).await?)
}

/// What undoes an order's creation: cancel it, then delete it.
pub(crate) fn remove<M: OrderModel>(id: i64) -> Vec<crate::OdooCall> {
    M::remove(id)
}

/// An order a create produced, for its answer. On a replay it finishes a confirmation an earlier
/// release's call may have died before.
pub(crate) async fn created<M: OrderModel>(
    odoo: &Odoo,
    schema: &Schema,
    id: i64,
    replayed: bool,
    confirm: bool,
) -> Result<M::Order, FlowError> {
    let order = one::<M>(odoo, schema, id).await?;
    if replayed && confirm && M::stage(&order) == Stage::Draft {
        return confirm_with::<M>(odoo, schema, id).await;
    }
    Ok(order)
}

/// Orders from their rows, with their lines and the lines' SKUs (two more reads, however many
/// orders); those that cannot be decoded, or one of whose lines cannot, left out.
async fn read<M: OrderModel>(odoo: &Odoo, schema: &Schema, rows: &[Record]) -> Result<Decoded<M::Order>, OdooError> {
    let orders = M::decode(odoo, schema, rows).await?;
    let decode = |line: &Row<'_>, order: &M::Order, skus: &HashMap<i64, String>| M::decode_line(line, order, skus);
    M::LINES.attach(odoo, schema, orders, M::id, decode, M::set_lines).await
}
