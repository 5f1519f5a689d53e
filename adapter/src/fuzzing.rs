//! Entry points for the fuzz targets (`fuzz/`, crate `odoo-mesh-fuzz`) into what decodes Odoo's
//! answers: both wire formats' envelopes and error bodies, and each model's record decoder as a
//! batch goes through it. Thin wrappers over crate-private code, so that code stays private; not
//! an API.

use std::collections::HashMap;

use serde_json::Value;

use crate::{
    OdooError,
    call::transport,
    odoo::{
        DecodeError, Model, Row, account_move, account_payment, currency::Currencies, decoded::Unreadable, product,
        purchase_order, sale_order, stock_move, stock_picking, warehouse,
    },
};

/// A JSON-RPC (`/jsonrpc`) answer with this HTTP status, as the transport reads it.
pub fn jsonrpc_answer(status: u16, body: &[u8]) -> Result<Value, OdooError> {
    transport::jsonrpc_answer(status, body)
}

/// A JSON-2 (`/json/2/...`) answer with this HTTP status and content type, as the transport reads it.
pub fn json2_answer(status: u16, is_json: bool, body: &[u8]) -> Result<Value, OdooError> {
    transport::json2_answer(status, is_json, body)
}

/// One model's decoder of a read record.
#[derive(Clone, Copy)]
pub struct Reader {
    /// The Odoo model and what of it is decoded.
    pub name: &'static str,
    model: Model,
    decode: fn(&Row<'_>) -> Result<(), DecodeError>,
}

/// What a batch decoded to: how many records were read, and of those how many were left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    pub decoded: usize,
    pub unreadable: usize,
    pub last_id: Option<i64>,
}

impl Reader {
    /// Decodes `records` record by record, as every read of this model does (`Odoo::decode_each`).
    pub fn decode(&self, records: &[serde_json::Map<String, Value>]) -> Result<Batch, OdooError> {
        let decoded = Unreadable::default().decode_each(self.model, records, self.decode)?;
        Ok(Batch { decoded: decoded.items.len(), unreadable: decoded.unreadable.len(), last_id: decoded.last_id })
    }
}

macro_rules! readers {
    ($($name:literal: $model:expr => $decode:expr;)*) => {
        /// Every model decoder that is a function of its own (others are written inline in a read).
        pub const READERS: &[Reader] = &[$(Reader { name: $name, model: $model, decode: |row| $decode(row).map(drop) }),*];
    };
}

readers! {
    "sale.order": sale_order::ORDER => sale_order::decode;
    "purchase.order": purchase_order::ORDER => |row| purchase_order::decode(row, &HashMap::new());
    "product.product": product::PRODUCT => |row| product::decode(row, "EUR");
    "product.product stock": product::PRODUCT => product::decode_stock;
    "stock.move line": stock_move::MOVE => stock_move::decode_line;
    "stock.move count": stock_move::MOVE => stock_move::decode_count;
    "stock.picking": stock_picking::PICKING => stock_picking::decode;
    "stock.warehouse": warehouse::WAREHOUSE => warehouse::warehouse;
    "account.move": account_move::MOVE => |row| account_move::decode(row, &Currencies::default());
    "account.payment": account_payment::PAYMENT => |row| account_payment::decode(row, &Currencies::default());
}
