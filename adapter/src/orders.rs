//! Sales and purchase orders into Odoo, validated before any write and idempotent by request id.
//!
//! The idempotency key lives in Odoo itself, atomically with the order: the order is written with
//! `load` under an external id derived from the request id (`__odoo_mesh__.so_<key>`), its lines
//! under external ids that also carry a fingerprint of the payload (`so_<key>_<fp>_l<n>`), all
//! created `noupdate` and loaded with `mode=update` — which makes `load` create-only: an existing
//! order is returned untouched (checked against a real Odoo 18). Concurrent duplicates collide in
//! PostgreSQL (serialization failure) and are retried as lookups, so every replica and every
//! restart sees the same single order.

use std::{collections::HashMap, sync::Arc, time::Duration};

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::{
    OdooCall, OdooClient, OdooError, SearchOptions,
    fields::{self, Record},
    models::{
        Address, Amount, Availability, Captured, LineAcknowledgement, NewPartner, OrderQuery, PartnerSelector,
        PurchaseOrder, PurchaseOrderDraft, PurchaseOrderLine, Ref, SalesOrder, SalesOrderDraft, SalesOrderLine,
        Shortfall,
    },
};

/// The `ir.model.data` module odoo-mesh's external ids live in.
pub const XID_MODULE: &str = "__odoo_mesh__";
/// How often a create that lost a race is retried as a lookup before giving up.
const RACE_RETRIES: u32 = 8;
const RACE_BACKOFF: Duration = Duration::from_millis(40);

/// Why an order could not be captured.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The request names things that do not exist or cannot be used; nothing was written.
    #[error("invalid order")]
    Invalid(Vec<Violation>),
    /// Lines exceed what is available to promise, and the caller asked to refuse them.
    #[error("insufficient stock")]
    Shortfall(Vec<Shortfall>),
    /// The request id was used before with another payload.
    #[error("request_id {0:?} was already used with a different payload")]
    RequestIdReused(String),
    /// Odoo refused the change by a business rule; its words are kept.
    #[error("{0}")]
    Refused(String),
    /// The order does not exist.
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Odoo(#[from] OdooError),
}

/// One invalid part of a request, by the request's own field path (`lines[2].sku`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

fn violation(field: impl Into<String>, description: impl Into<String>) -> Violation {
    Violation { field: field.into(), description: description.into() }
}

fn hex(bytes: &[u8], len: usize) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()[..len].to_owned()
}

/// The key a request id maps to, scoped (to the calling identity, once identities exist).
pub fn idempotency_key(scope: &str, request_id: &str) -> String {
    hex(&Sha256::digest(format!("{scope}\0{request_id}").as_bytes()), 32)
}

/// A fingerprint of the payload: the same request must carry the same one.
fn fingerprint(payload: &impl serde::Serialize) -> String {
    hex(&Sha256::digest(serde_json::to_vec(payload).unwrap_or_default()), 16)
}

/// The `load` rows of an order: the header fills the first row only, and each line adds its
/// external id (`{order_xid}_{fp}_l{i}`, so a line is never created twice) before its cells.
fn order_rows(
    header: &[String],
    order_xid: &str,
    fp: &str,
    lines: impl Iterator<Item = Vec<String>>,
) -> Vec<Vec<String>> {
    lines
        .enumerate()
        .map(|(i, cells)| {
            let mut row = if i == 0 { header.to_vec() } else { vec![String::new(); header.len()] };
            row.push(format!("{XID_MODULE}.{order_xid}_{fp}_l{i}"));
            row.extend(cells);
            row
        })
        .collect()
}

fn decimal_arg(d: Decimal) -> String {
    d.normalize().to_string()
}

/// What differs between capturing a sales order and a purchase order.
struct OrderKind {
    /// Prefix of the order's external id.
    prefix: &'static str,
    model: &'static str,
    line_model: &'static str,
}

const SALES: OrderKind = OrderKind { prefix: "so", model: "sale.order", line_model: "sale.order.line" };
const PURCHASES: OrderKind = OrderKind { prefix: "po", model: "purchase.order", line_model: "purchase.order.line" };

/// One idempotent create: the order's external id and the payload's fingerprint.
struct Capture<'a> {
    kind: &'a OrderKind,
    request_id: &'a str,
    xid: String,
    fp: String,
}

impl<'a> Capture<'a> {
    fn new(kind: &'a OrderKind, scope: &str, request_id: &'a str, payload: &impl serde::Serialize) -> Self {
        Self {
            kind,
            request_id,
            xid: format!("{}_{}", kind.prefix, idempotency_key(scope, request_id)),
            fp: fingerprint(payload),
        }
    }

    /// Looks the order up by its external id and replays it, or creates it; a create that lost a
    /// race with a concurrent duplicate (`Ok(None)`) looks again.
    async fn run<T, C, CF, R, RF>(&self, mut create: C, replay: R, orders: &Orders) -> Result<Captured<T>, OrderError>
    where
        C: FnMut() -> CF,
        CF: std::future::Future<Output = Result<Option<Captured<T>>, OrderError>>,
        R: Fn(i64) -> RF,
        RF: std::future::Future<Output = Result<T, OrderError>>,
    {
        for _ in 0..RACE_RETRIES {
            if let Some(id) = orders.xid(&self.xid, self.kind.model).await? {
                if orders.same_payload(&self.xid, self.kind.line_model, &self.fp).await? == Some(false) {
                    return Err(OrderError::RequestIdReused(self.request_id.to_owned()));
                }
                return Ok(Captured { record: replay(id).await?, replayed: true, shortfalls: Vec::new() });
            }
            match create().await? {
                Some(captured) => return Ok(captured),
                None => tokio::time::sleep(RACE_BACKOFF).await,
            }
        }
        Err(OdooError::ConcurrencyFailure { message: "the order kept colliding with a concurrent duplicate".into() }
            .into())
    }
}

/// Products found by SKU for an order, with what validation needs.
#[derive(Debug, Clone)]
struct ProductInfo {
    id: i64,
    active: bool,
    sale_ok: bool,
    purchase_ok: bool,
    uom: Ref,
}

/// Orders over one Odoo client.
#[derive(Debug)]
pub struct Orders {
    odoo: Arc<OdooClient>,
}

impl Orders {
    pub fn new(odoo: Arc<OdooClient>) -> Self {
        Self { odoo }
    }

    async fn search(
        &self,
        model: &str,
        domain: Value,
        fields: &[&str],
        options: SearchOptions,
        context: Map<String, Value>,
    ) -> Result<Vec<Record>, OdooError> {
        self.odoo.search_read(model, domain, fields, &options, context).await
    }

    async fn call(&self, call: OdooCall) -> Result<Value, OdooError> {
        self.odoo.call(call).await
    }

    // ---- shared lookups ---------------------------------------------------------------------

    /// The record an odoo-mesh external id points at.
    async fn xid(&self, name: &str, model: &str) -> Result<Option<i64>, OdooError> {
        let rows = self
            .search(
                "ir.model.data",
                json!([["module", "=", XID_MODULE], ["name", "=", name], ["model", "=", model]]),
                &["res_id"],
                SearchOptions::default().limit(1),
                Map::new(),
            )
            .await?;
        Ok(rows.first().and_then(|r| r.get("res_id")).and_then(Value::as_i64))
    }

    /// Whether the order created under `key` was created with payload fingerprint `fp`. `None`
    /// when its lines no longer carry a fingerprint (deleted in Odoo): then it cannot be told.
    async fn same_payload(&self, prefix: &str, line_model: &str, fp: &str) -> Result<Option<bool>, OdooError> {
        let rows = self
            .search(
                "ir.model.data",
                json!([
                    ["module", "=", XID_MODULE],
                    ["name", "=like", format!("{prefix}\\_%")],
                    ["model", "=", line_model]
                ]),
                &["name"],
                SearchOptions::default(),
                Map::new(),
            )
            .await?;
        let prints: Vec<String> = rows
            .iter()
            .filter_map(|r| fields::text(r, "name"))
            .filter_map(|n| {
                n.strip_prefix(&format!("{prefix}_")).and_then(|rest| rest.split('_').next()).map(str::to_owned)
            })
            .collect();
        Ok(if prints.is_empty() { None } else { Some(prints.iter().any(|p| p == fp)) })
    }

    async fn products(&self, skus: &[&str]) -> Result<HashMap<String, Vec<ProductInfo>>, OdooError> {
        // Archived products are read too, to tell "archived" from "unknown".
        let context = Map::from_iter([("active_test".to_owned(), json!(false))]);
        let rows = self
            .search(
                "product.product",
                json!([["default_code", "in", skus]]),
                &["id", "default_code", "active", "sale_ok", "purchase_ok", "uom_id"],
                SearchOptions::ordered("id"),
                context,
            )
            .await?;
        let mut by_sku: HashMap<String, Vec<ProductInfo>> = HashMap::new();
        for r in &rows {
            let Some(sku) = fields::text(r, "default_code") else { continue };
            let uom = fields::many2one(r, "uom_id")?
                .ok_or_else(|| OdooError::Protocol { message: "product without unit of measure".into() })?;
            by_sku.entry(sku).or_default().push(ProductInfo {
                id: fields::id(r)?,
                active: fields::boolean(r, "active"),
                sale_ok: fields::boolean(r, "sale_ok"),
                purchase_ok: fields::boolean(r, "purchase_ok"),
                uom,
            });
        }
        Ok(by_sku)
    }

    /// Resolves a product per line, adding a violation for each unusable SKU.
    async fn resolve_products(
        &self,
        skus: &[&str],
        for_sale: bool,
        violations: &mut Vec<Violation>,
    ) -> Result<Vec<Option<ProductInfo>>, OdooError> {
        let found = self.products(skus).await?;
        Ok(skus
            .iter()
            .enumerate()
            .map(|(i, sku)| {
                let field = format!("lines[{i}].sku");
                let candidates = found.get(*sku).map(Vec::as_slice).unwrap_or_default();
                let active: Vec<&ProductInfo> = candidates.iter().filter(|p| p.active).collect();
                match active.as_slice() {
                    [] if candidates.is_empty() => {
                        violations.push(violation(field, format!("no product has SKU {sku:?}")));
                    }
                    [] => violations.push(violation(field, format!("the product with SKU {sku:?} is archived"))),
                    [p] if for_sale && !p.sale_ok => {
                        violations.push(violation(field, format!("the product with SKU {sku:?} cannot be sold")));
                    }
                    [p] if !for_sale && !p.purchase_ok => {
                        violations.push(violation(field, format!("the product with SKU {sku:?} cannot be purchased")));
                    }
                    [p] => return Some((*p).clone()),
                    _ => violations.push(violation(field, format!("several products share SKU {sku:?}"))),
                }
                None
            })
            .collect())
    }

    /// Finds the partner a selector names; `Ok(None)` with a violation when it names none or many.
    async fn resolve_partner(
        &self,
        selector: &PartnerSelector,
        field: &str,
        violations: &mut Vec<Violation>,
    ) -> Result<Option<i64>, OdooError> {
        let (domain, what) = match selector {
            PartnerSelector::Id(id) => (json!([["id", "=", id]]), format!("partners/{id}")),
            PartnerSelector::Reference(r) => (json!([["ref", "=", r]]), format!("reference {r:?}")),
            PartnerSelector::Email(e) => (json!([["email", "=ilike", e]]), format!("e-mail {e:?}")),
            PartnerSelector::Vat(v) => (json!([["vat", "=", v]]), format!("VAT {v:?}")),
            PartnerSelector::New(new) => {
                // A new customer reuses the one partner that already has its e-mail, if there is one.
                let Some(email) = &new.address.email else { return Ok(None) };
                let rows = self
                    .search(
                        "res.partner",
                        json!([["email", "=ilike", email]]),
                        &["id"],
                        SearchOptions::ordered("id").limit(2),
                        Map::new(),
                    )
                    .await?;
                return Ok(match rows.as_slice() {
                    [one] => Some(fields::id(one)?),
                    _ => None,
                });
            }
        };
        let rows =
            self.search("res.partner", domain, &["id"], SearchOptions::ordered("id").limit(2), Map::new()).await?;
        Ok(match rows.as_slice() {
            [one] => Some(fields::id(one)?),
            [] => {
                violations.push(violation(field, format!("no partner matches {what}")));
                None
            }
            _ => {
                violations.push(violation(
                    field,
                    format!("several partners match {what}; name the partner by resource name"),
                ));
                None
            }
        })
    }

    async fn exists(&self, model: &str, id: i64) -> Result<bool, OdooError> {
        Ok(!self
            .search(model, json!([["id", "=", id]]), &["id"], SearchOptions::default().limit(1), Map::new())
            .await?
            .is_empty())
    }

    /// Country ids by ISO code, for new addresses.
    async fn country(&self, code: &str) -> Result<Option<i64>, OdooError> {
        let rows = self
            .search(
                "res.country",
                json!([["code", "=ilike", code]]),
                &["id"],
                SearchOptions::default().limit(1),
                Map::new(),
            )
            .await?;
        rows.first().map(fields::id).transpose()
    }

    /// Loads one record create-only under an external id; returns its id. A concurrent load of the
    /// same new id loses with a serialization failure, reported as `Ok(None)`.
    async fn load_once(
        &self,
        model: &str,
        columns: &[&str],
        rows: Vec<Vec<String>>,
    ) -> Result<Result<Option<i64>, Vec<String>>, OdooError> {
        let call = OdooCall::new(model, "load")
            .param("fields", json!(columns))
            .param("data", json!(rows))
            .context("mode", json!("update"))
            .context("noupdate", json!(true));
        let result = self.call(call).await?;
        if let Some(id) =
            result.get("ids").and_then(Value::as_array).and_then(|ids| ids.first()).and_then(Value::as_i64)
        {
            return Ok(Ok(Some(id)));
        }
        let messages: Vec<String> = result
            .get("messages")
            .and_then(Value::as_array)
            .map(|m| m.iter().filter_map(|m| m.get("message").and_then(Value::as_str).map(str::to_owned)).collect())
            .unwrap_or_default();
        if messages.iter().any(|m| m.contains("could not serialize access")) {
            return Ok(Ok(None));
        }
        Ok(Err(messages))
    }

    async fn create_partner(
        &self,
        xid: &str,
        new: &NewPartner,
        parent: Option<i64>,
        kind: &str,
    ) -> Result<i64, OrderError> {
        let address = &new.address;
        let mut columns = vec!["id", "name", "is_company", "type"];
        let mut row = vec![
            format!("{XID_MODULE}.{xid}"),
            new.name.clone(),
            if new.is_company { "1" } else { "0" }.into(),
            kind.to_owned(),
        ];
        let mut push = |column: &'static str, value: &Option<String>| {
            if let Some(v) = value {
                columns.push(column);
                row.push(v.clone());
            }
        };
        push("ref", &new.reference);
        push("vat", &new.vat);
        push("email", &address.email);
        push("phone", &address.phone);
        push("street", &address.street);
        push("street2", &address.street2);
        push("city", &address.city);
        push("zip", &address.zip);
        if let Some(parent) = parent {
            columns.push("parent_id/.id");
            row.push(parent.to_string());
        }
        if let Some(code) = &address.country_code
            && let Some(country) = self.country(code).await?
        {
            columns.push("country_id/.id");
            row.push(country.to_string());
        }
        if parent.is_none() {
            columns.push("customer_rank");
            row.push("1".into());
        }
        for _ in 0..RACE_RETRIES {
            match self.load_once("res.partner", &columns, vec![row.clone()]).await? {
                Ok(Some(id)) => return Ok(id),
                Ok(None) => tokio::time::sleep(RACE_BACKOFF).await,
                Err(messages) => return Err(OrderError::Refused(messages.join("; "))),
            }
        }
        Err(OdooError::ConcurrencyFailure { message: "partner creation kept colliding".into() }.into())
    }

    /// Loads an order under `order_xid` and claims its creation. `load` returns the order whether
    /// this call created it or a duplicate committed it first; only the call that claims creation
    /// may finish or undo it. `Ok(None)`: another call did (the capture loop replays its order).
    /// A refusal removes the partners this capture created.
    async fn load_order(
        &self,
        model: &str,
        order_xid: &str,
        columns: &[&str],
        rows: Vec<Vec<String>>,
        created_partners: &[i64],
    ) -> Result<Option<i64>, OrderError> {
        let id = match self.load_once(model, columns, rows).await? {
            Ok(Some(id)) => id,
            Ok(None) => return Ok(None),
            Err(messages) => {
                self.compensate(None, created_partners).await;
                return Err(OrderError::Refused(messages.join("; ")));
            }
        };
        Ok(self.claim_creation(order_xid, model, id).await?.then_some(id))
    }

    /// Records that this call created the record under `xid`. A unique index makes exactly one
    /// concurrent caller succeed; `false` means another call created it.
    async fn claim_creation(&self, xid: &str, model: &str, id: i64) -> Result<bool, OdooError> {
        let claim = json!([{"module": XID_MODULE, "name": format!("{xid}_created"), "model": model, "res_id": id, "noupdate": true}]);
        match self.call(OdooCall::new("ir.model.data", "create").param("vals_list", claim)).await {
            Ok(_) => Ok(true),
            Err(OdooError::ValidationError { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Removes what a failed capture created, so nothing half-made stays in Odoo.
    async fn compensate(&self, order: Option<(&str, i64)>, partners: &[i64]) {
        if let Some((model, id)) = order {
            let cancel = if model == "sale.order" { "action_cancel" } else { "button_cancel" };
            let _ = self
                .call(OdooCall::new(model, cancel).ids(vec![id]).context("disable_cancel_warning", json!(true)))
                .await;
            if let Err(error) = self.call(OdooCall::new(model, "unlink").ids(vec![id])).await {
                tracing::error!(model, id, %error, "could not remove a half-created order");
            }
        }
        for partner in partners {
            let _ = self.call(OdooCall::new("res.partner", "unlink").ids(vec![*partner])).await;
        }
    }

    // ---- sales orders -----------------------------------------------------------------------

    /// Creates a sales order exactly once per request id.
    pub async fn create_sales_order(
        &self,
        draft: &SalesOrderDraft,
        scope: &str,
    ) -> Result<Captured<SalesOrder>, OrderError> {
        let capture = Capture::new(&SALES, scope, &draft.request_id, draft);
        capture
            .run(
                || self.create_sales_order_once(draft, &capture.xid, &capture.fp),
                |id| async move {
                    let order = self.sales_order(id).await?;
                    // The first call may have died between creating and confirming: finish it.
                    if draft.confirm && matches!(order.state.as_str(), "draft" | "sent") {
                        return self.confirm_sales_order(id).await;
                    }
                    Ok(order)
                },
                self,
            )
            .await
    }

    /// One attempt: validate, check availability, write. `Ok(None)` when a concurrent duplicate won.
    async fn create_sales_order_once(
        &self,
        draft: &SalesOrderDraft,
        order_xid: &str,
        fp: &str,
    ) -> Result<Option<Captured<SalesOrder>>, OrderError> {
        let mut violations = Vec::new();
        let customer = self.resolve_partner(&draft.customer, "customer", &mut violations).await?;
        if let Some(id) = draft.invoice_address
            && !self.exists("res.partner", id).await?
        {
            violations.push(violation("invoice_address", format!("no partner partners/{id}")));
        }
        if let Some(id) = draft.pricelist
            && !self.exists("product.pricelist", id).await?
        {
            violations.push(violation("pricelist", format!("no price list pricelists/{id}")));
        }
        let warehouse = match draft.warehouse {
            Some(id) if !self.exists("stock.warehouse", id).await? => {
                violations.push(violation("warehouse", format!("no warehouse warehouses/{id}")));
                None
            }
            Some(id) => Some(id),
            None => self
                .search(
                    "stock.warehouse",
                    json!([]),
                    &["id"],
                    SearchOptions::ordered("sequence, id").limit(1),
                    Map::new(),
                )
                .await?
                .first()
                .map(fields::id)
                .transpose()?,
        };
        let skus: Vec<&str> = draft.lines.iter().map(|l| l.sku.as_str()).collect();
        let products = self.resolve_products(&skus, true, &mut violations).await?;
        for (i, (line, product)) in draft.lines.iter().zip(&products).enumerate() {
            if let (Some(uom), Some(product)) = (&line.unit_of_measure, product)
                && !uom.eq_ignore_ascii_case(&product.uom.name)
            {
                violations.push(violation(
                    format!("lines[{i}].quantity.unit_of_measure"),
                    format!("{} is sold in {:?}, not {uom:?}", line.sku, product.uom.name),
                ));
            }
        }
        if !violations.is_empty() {
            return Err(OrderError::Invalid(violations));
        }
        let products: Vec<ProductInfo> = products.into_iter().flatten().collect();
        let shortfalls = match (draft.availability, warehouse) {
            (Availability::Ignore, _) | (_, None) => Vec::new(),
            (_, Some(wh)) => self.shortfalls(draft, &products, wh).await?,
        };
        if draft.availability == Availability::Refuse && !shortfalls.is_empty() {
            return Err(OrderError::Shortfall(shortfalls));
        }

        let mut created_partners = Vec::new();
        let customer = match (customer, &draft.customer) {
            (Some(id), _) => id,
            (None, PartnerSelector::New(new)) => {
                let id = self.create_partner(&format!("{order_xid}_customer"), new, None, "contact").await?;
                created_partners.push(id);
                id
            }
            (None, _) => return Err(OrderError::Invalid(vec![violation("customer", "no customer")])),
        };
        let shipping = match &draft.delivery_address {
            Some(address) => {
                let id = self
                    .create_partner(
                        &format!("{order_xid}_delivery"),
                        &delivery_partner(address),
                        Some(customer),
                        "delivery",
                    )
                    .await?;
                created_partners.push(id);
                Some(id)
            }
            None => None,
        };

        let mut columns = vec!["id", "partner_id/.id"];
        let mut header = vec![format!("{XID_MODULE}.{order_xid}"), customer.to_string()];
        let mut add = |column: &'static str, value: Option<String>| {
            if let Some(v) = value {
                columns.push(column);
                header.push(v);
            }
        };
        add("partner_invoice_id/.id", draft.invoice_address.map(|i| i.to_string()));
        add("partner_shipping_id/.id", shipping.map(|i| i.to_string()));
        add("pricelist_id/.id", draft.pricelist.map(|i| i.to_string()));
        add("warehouse_id/.id", warehouse.map(|i| i.to_string()));
        add("client_order_ref", draft.customer_reference.clone());
        add("note", draft.note.clone());
        add("commitment_date", draft.commitment.map(fields::odoo_datetime));
        // An empty cell would make Odoo write 0 into the line (checked on Odoo 18): a price or
        // discount column is only sent when lines carry one, so Odoo prices the others itself.
        let priced = draft.lines.iter().any(|l| l.unit_price.is_some());
        let discounted = draft.lines.iter().any(|l| l.discount.is_some());
        columns.extend(["order_line/id", "order_line/product_id/.id", "order_line/product_uom_qty"]);
        if priced {
            columns.push("order_line/price_unit");
        }
        if discounted {
            columns.push("order_line/discount");
        }
        let lines = draft.lines.iter().zip(&products).map(|(line, product)| {
            let mut cells = vec![product.id.to_string(), decimal_arg(line.quantity)];
            if priced {
                cells.push(line.unit_price.map(decimal_arg).unwrap_or_default());
            }
            if discounted {
                cells.push(decimal_arg(line.discount.unwrap_or_default()));
            }
            cells
        });
        let rows = order_rows(&header, order_xid, fp, lines);
        let Some(id) = self.load_order("sale.order", order_xid, &columns, rows, &created_partners).await? else {
            return Ok(None);
        };
        if draft.confirm
            && let Err(error) = self.call(OdooCall::new("sale.order", "action_confirm").ids(vec![id])).await
        {
            if let OdooError::UserError { message } | OdooError::ValidationError { message } = &error {
                // A create that cannot be completed leaves nothing behind: no quotation, no partner.
                let message = message.clone();
                self.compensate(Some(("sale.order", id)), &created_partners).await;
                return Err(OrderError::Refused(message));
            }
            return Err(error.into());
        }
        Ok(Some(Captured { record: self.sales_order(id).await?, replayed: false, shortfalls }))
    }

    async fn shortfalls(
        &self,
        draft: &SalesOrderDraft,
        products: &[ProductInfo],
        warehouse: i64,
    ) -> Result<Vec<Shortfall>, OdooError> {
        let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
        let context = Map::from_iter([("warehouse_id".to_owned(), json!(warehouse))]);
        let rows = self
            .search(
                "product.product",
                json!([["id", "in", ids], ["is_storable", "=", true]]),
                &["id", "free_qty"],
                SearchOptions::default(),
                context,
            )
            .await?;
        let mut free: HashMap<i64, Decimal> = HashMap::new();
        for r in &rows {
            free.insert(fields::id(r)?, fields::decimal(r, "free_qty")?.round_dp(6));
        }
        // Lines of the same product draw on the same stock, in order.
        let mut used: HashMap<i64, Decimal> = HashMap::new();
        let mut shortfalls = Vec::new();
        for (i, (line, product)) in draft.lines.iter().zip(products).enumerate() {
            let Some(available) = free.get(&product.id) else { continue };
            let before = used.get(&product.id).copied().unwrap_or_default();
            let left = (*available - before).max(Decimal::ZERO);
            if line.quantity > left {
                shortfalls.push(Shortfall {
                    line_index: i,
                    sku: line.sku.clone(),
                    requested: line.quantity,
                    available: left.normalize(),
                    unit_of_measure: product.uom.name.clone(),
                });
            }
            used.insert(product.id, before + line.quantity);
        }
        Ok(shortfalls)
    }

    pub async fn sales_order(&self, id: i64) -> Result<SalesOrder, OrderError> {
        let rows = self.odoo.read("sale.order", vec![id], SALES_ORDER_FIELDS).await?;
        let row = rows.first().ok_or_else(|| OrderError::NotFound(format!("salesOrders/{id}")))?;
        let mut orders = self.sales_orders_from(std::slice::from_ref(row)).await?;
        Ok(orders.remove(0))
    }

    /// The sales orders with these ids that exist (read in one call, lines in another).
    pub async fn sales_orders_by_id(&self, ids: &[i64]) -> Result<Vec<SalesOrder>, OrderError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.odoo.read("sale.order", ids.to_vec(), SALES_ORDER_FIELDS).await?;
        self.sales_orders_from(&rows).await
    }

    async fn sales_orders_from(&self, rows: &[Record]) -> Result<Vec<SalesOrder>, OrderError> {
        let line_ids: Vec<i64> = rows.iter().flat_map(|r| fields::id_list(r, "order_line")).collect();
        let lines = if line_ids.is_empty() {
            Vec::new()
        } else {
            self.odoo.read("sale.order.line", line_ids, SALES_LINE_FIELDS).await?
        };
        let skus = self.skus(&lines).await?;
        rows.iter()
            .map(|r| {
                let currency = fields::many2one(r, "currency_id")?.map_or_else(|| "USD".to_owned(), |c| c.name);
                let amount = |f: &str| -> Result<Amount, OdooError> {
                    Ok(Amount { value: fields::decimal(r, f)?.round_dp(6).normalize(), currency: currency.clone() })
                };
                let own: Vec<i64> = fields::id_list(r, "order_line");
                let lines = lines
                    .iter()
                    .filter(|l| fields::id(l).is_ok_and(|id| own.contains(&id)))
                    .map(|l| {
                        let product = fields::many2one(l, "product_id")?
                            .ok_or_else(|| OdooError::Protocol { message: "line without product".into() })?;
                        Ok(SalesOrderLine {
                            id: fields::id(l)?,
                            sku: skus.get(&product.id).cloned(),
                            product,
                            quantity: fields::decimal(l, "product_uom_qty")?.normalize(),
                            unit_of_measure: fields::many2one(l, "product_uom")?.map(|u| u.name).unwrap_or_default(),
                            delivered: fields::decimal(l, "qty_delivered")?.normalize(),
                            invoiced: fields::decimal(l, "qty_invoiced")?.normalize(),
                            unit_price: Amount {
                                value: fields::decimal(l, "price_unit")?.normalize(),
                                currency: currency.clone(),
                            },
                            discount: fields::decimal(l, "discount")?.normalize(),
                            subtotal: Amount {
                                value: fields::decimal(l, "price_subtotal")?.round_dp(6).normalize(),
                                currency: currency.clone(),
                            },
                        })
                    })
                    .collect::<Result<Vec<_>, OdooError>>()?;
                Ok(SalesOrder {
                    id: fields::id(r)?,
                    number: fields::text(r, "name").unwrap_or_default(),
                    customer: fields::many2one(r, "partner_id")?
                        .ok_or_else(|| OdooError::Protocol { message: "order without customer".into() })?,
                    invoice_address: fields::many2one(r, "partner_invoice_id")?,
                    delivery_address: fields::many2one(r, "partner_shipping_id")?,
                    customer_reference: fields::text(r, "client_order_ref"),
                    state: fields::text(r, "state").unwrap_or_default(),
                    delivery_status: fields::text(r, "delivery_status"),
                    invoice_status: fields::text(r, "invoice_status").unwrap_or_else(|| "no".into()),
                    lines,
                    amount_untaxed: amount("amount_untaxed")?,
                    amount_tax: amount("amount_tax")?,
                    amount_total: amount("amount_total")?,
                    warehouse: fields::many2one(r, "warehouse_id")?,
                    pricelist: fields::many2one(r, "pricelist_id")?,
                    commitment: fields::datetime(r, "commitment_date")?,
                    pickings: fields::id_list(r, "picking_ids"),
                    invoices: fields::id_list(r, "invoice_ids"),
                    note: fields::text(r, "note"),
                    created_at: fields::datetime(r, "create_date")?,
                    updated_at: fields::datetime(r, "write_date")?,
                })
            })
            .collect::<Result<Vec<_>, OdooError>>()
            .map_err(OrderError::from)
    }

    /// SKUs of the products on these lines, in one read.
    async fn skus(&self, lines: &[Record]) -> Result<HashMap<i64, String>, OdooError> {
        let ids: Vec<i64> =
            lines.iter().filter_map(|l| fields::many2one(l, "product_id").ok().flatten().map(|p| p.id)).collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self.odoo.read("product.product", ids, &["default_code"]).await?;
        Ok(rows.iter().filter_map(|r| Some((fields::id(r).ok()?, fields::text(r, "default_code")?))).collect())
    }

    /// One page of sales orders by ascending id: stable while orders are created.
    pub async fn sales_orders(&self, query: &OrderQuery) -> Result<(Vec<SalesOrder>, bool), OrderError> {
        let mut domain = vec![json!(["id", ">", query.after_id])];
        if !query.states.is_empty() {
            domain.push(json!(["state", "in", query.states]));
        }
        if let Some(partner) = query.partner {
            domain.push(json!(["partner_id", "child_of", [partner]]));
        }
        if let Some(reference) = &query.customer_reference {
            domain.push(json!(["client_order_ref", "=", reference]));
        }
        if let Some(since) = query.created_since {
            domain.push(json!(["create_date", ">=", fields::odoo_datetime(since)]));
        }
        if let Some(since) = query.updated_since {
            domain.push(json!(["write_date", ">=", fields::odoo_datetime(since)]));
        }
        let rows = self
            .search(
                "sale.order",
                Value::Array(domain),
                SALES_ORDER_FIELDS,
                SearchOptions::ordered("id asc").limit(query.limit + 1),
                Map::new(),
            )
            .await?;
        let more = rows.len() > query.limit;
        let orders = self.sales_orders_from(&rows[..rows.len().min(query.limit)]).await?;
        Ok((orders, more))
    }

    /// Confirms a quotation; confirming a confirmed order changes nothing.
    pub async fn confirm_sales_order(&self, id: i64) -> Result<SalesOrder, OrderError> {
        let order = self.sales_order(id).await?;
        if order.state == "sale" {
            return Ok(order);
        }
        if let Err(error) = self.call(OdooCall::new("sale.order", "action_confirm").ids(vec![id])).await {
            // A concurrent confirmation wins the race: the order is confirmed all the same.
            let now = self.sales_order(id).await?;
            if now.state == "sale" {
                return Ok(now);
            }
            return Err(refusal(error));
        }
        self.sales_order(id).await
    }

    /// Cancels an order and records why; cancelling a cancelled order changes nothing. Refused once
    /// goods have left the warehouse: cancelling then would hide a shipment that happened.
    pub async fn cancel_sales_order(&self, id: i64, reason: &str) -> Result<SalesOrder, OrderError> {
        let order = self.sales_order(id).await?;
        if order.state == "cancel" {
            return Ok(order);
        }
        if !order.pickings.is_empty() {
            let done = self
                .search(
                    "stock.picking",
                    json!([["id", "in", order.pickings], ["state", "=", "done"]]),
                    &["name"],
                    SearchOptions::default(),
                    Map::new(),
                )
                .await?;
            if !done.is_empty() {
                let names: Vec<String> = done.iter().filter_map(|p| fields::text(p, "name")).collect();
                return Err(OrderError::Refused(format!(
                    "goods of {} were already delivered ({}); return them instead of cancelling",
                    order.number,
                    names.join(", ")
                )));
            }
        }
        self.call(
            OdooCall::new("sale.order", "action_cancel").ids(vec![id]).context("disable_cancel_warning", json!(true)),
        )
        .await
        .map_err(refusal)?;
        if !reason.is_empty() {
            self.call(
                OdooCall::new("sale.order", "message_post")
                    .ids(vec![id])
                    .param("body", json!(format!("Cancelled through odoo-mesh: {reason}"))),
            )
            .await?;
        }
        self.sales_order(id).await
    }

    // ---- purchase orders --------------------------------------------------------------------

    /// Creates a purchase order exactly once per request id.
    pub async fn create_purchase_order(
        &self,
        draft: &PurchaseOrderDraft,
        scope: &str,
    ) -> Result<Captured<PurchaseOrder>, OrderError> {
        let capture = Capture::new(&PURCHASES, scope, &draft.request_id, draft);
        capture
            .run(
                || self.create_purchase_order_once(draft, &capture.xid, &capture.fp),
                |id| async move {
                    let order = self.purchase_order(id).await?;
                    if draft.confirm && matches!(order.state.as_str(), "draft" | "sent") {
                        return self.confirm_purchase_order(id).await;
                    }
                    Ok(order)
                },
                self,
            )
            .await
    }

    async fn create_purchase_order_once(
        &self,
        draft: &PurchaseOrderDraft,
        order_xid: &str,
        fp: &str,
    ) -> Result<Option<Captured<PurchaseOrder>>, OrderError> {
        let mut violations = Vec::new();
        let supplier = self.resolve_partner(&draft.supplier, "supplier", &mut violations).await?;
        if matches!(draft.supplier, PartnerSelector::New(_)) && supplier.is_none() {
            violations.push(violation(
                "supplier",
                "suppliers must exist in Odoo; name them by resource name, reference, e-mail or VAT",
            ));
        }
        let picking_type = match draft.warehouse {
            Some(id) => {
                let rows = self
                    .search(
                        "stock.warehouse",
                        json!([["id", "=", id]]),
                        &["in_type_id"],
                        SearchOptions::default().limit(1),
                        Map::new(),
                    )
                    .await?;
                match rows.first() {
                    Some(r) => fields::many2one(r, "in_type_id")?.map(|t| t.id),
                    None => {
                        violations.push(violation("warehouse", format!("no warehouse warehouses/{id}")));
                        None
                    }
                }
            }
            None => None,
        };
        let skus: Vec<&str> = draft.lines.iter().map(|l| l.sku.as_str()).collect();
        let products = self.resolve_products(&skus, false, &mut violations).await?;
        if !violations.is_empty() {
            return Err(OrderError::Invalid(violations));
        }
        let supplier = supplier.ok_or_else(|| OrderError::Invalid(vec![violation("supplier", "no supplier")]))?;
        let mut columns = vec!["id", "partner_id/.id"];
        let mut header = vec![format!("{XID_MODULE}.{order_xid}"), supplier.to_string()];
        if let Some(reference) = &draft.supplier_reference {
            columns.push("partner_ref");
            header.push(reference.clone());
        }
        if let Some(picking_type) = picking_type {
            columns.push("picking_type_id/.id");
            header.push(picking_type.to_string());
        }
        let priced = draft.lines.iter().any(|l| l.unit_price.is_some());
        let dated = draft.lines.iter().any(|l| l.expected.is_some());
        columns.extend(["order_line/id", "order_line/product_id/.id", "order_line/product_qty"]);
        if priced {
            columns.push("order_line/price_unit");
        }
        if dated {
            columns.push("order_line/date_planned");
        }
        let lines = draft.lines.iter().zip(products.iter().flatten()).map(|(line, product)| {
            let mut cells = vec![product.id.to_string(), decimal_arg(line.quantity)];
            if priced {
                cells.push(line.unit_price.map(decimal_arg).unwrap_or_default());
            }
            if dated {
                cells.push(line.expected.map(fields::odoo_datetime).unwrap_or_default());
            }
            cells
        });
        let rows = order_rows(&header, order_xid, fp, lines);
        let Some(id) = self.load_order("purchase.order", order_xid, &columns, rows, &[]).await? else {
            return Ok(None);
        };
        if draft.confirm {
            self.call(OdooCall::new("purchase.order", "button_confirm").ids(vec![id])).await.map_err(refusal)?;
        }
        Ok(Some(Captured { record: self.purchase_order(id).await?, replayed: false, shortfalls: Vec::new() }))
    }

    pub async fn purchase_order(&self, id: i64) -> Result<PurchaseOrder, OrderError> {
        let rows = self.odoo.read("purchase.order", vec![id], PURCHASE_ORDER_FIELDS).await?;
        let row = rows.first().ok_or_else(|| OrderError::NotFound(format!("purchaseOrders/{id}")))?;
        Ok(self.purchase_orders_from(std::slice::from_ref(row)).await?.remove(0))
    }

    async fn purchase_orders_from(&self, rows: &[Record]) -> Result<Vec<PurchaseOrder>, OrderError> {
        let line_ids: Vec<i64> = rows.iter().flat_map(|r| fields::id_list(r, "order_line")).collect();
        let lines = if line_ids.is_empty() {
            Vec::new()
        } else {
            self.odoo.read("purchase.order.line", line_ids, PURCHASE_LINE_FIELDS).await?
        };
        let skus = self.skus(&lines).await?;
        let type_ids: Vec<i64> =
            rows.iter().filter_map(|r| fields::many2one(r, "picking_type_id").ok().flatten().map(|t| t.id)).collect();
        let warehouses: HashMap<i64, Ref> = if type_ids.is_empty() {
            HashMap::new()
        } else {
            self.odoo
                .read("stock.picking.type", type_ids, &["warehouse_id"])
                .await?
                .iter()
                .filter_map(|t| Some((fields::id(t).ok()?, fields::many2one(t, "warehouse_id").ok()??)))
                .collect()
        };
        rows.iter()
            .map(|r| {
                let currency = fields::many2one(r, "currency_id")?.map_or_else(|| "USD".to_owned(), |c| c.name);
                let own = fields::id_list(r, "order_line");
                let lines = lines
                    .iter()
                    .filter(|l| fields::id(l).is_ok_and(|id| own.contains(&id)))
                    .map(|l| {
                        let product = fields::many2one(l, "product_id")?
                            .ok_or_else(|| OdooError::Protocol { message: "line without product".into() })?;
                        Ok(PurchaseOrderLine {
                            id: fields::id(l)?,
                            sku: skus.get(&product.id).cloned(),
                            product,
                            quantity: fields::decimal(l, "product_qty")?.normalize(),
                            unit_of_measure: fields::many2one(l, "product_uom")?.map(|u| u.name).unwrap_or_default(),
                            received: fields::decimal(l, "qty_received")?.normalize(),
                            unit_price: Amount {
                                value: fields::decimal(l, "price_unit")?.normalize(),
                                currency: currency.clone(),
                            },
                            expected: fields::datetime(l, "date_planned")?,
                        })
                    })
                    .collect::<Result<Vec<_>, OdooError>>()?;
                let amount = |f: &str| -> Result<Amount, OdooError> {
                    Ok(Amount { value: fields::decimal(r, f)?.round_dp(6).normalize(), currency: currency.clone() })
                };
                Ok(PurchaseOrder {
                    id: fields::id(r)?,
                    number: fields::text(r, "name").unwrap_or_default(),
                    supplier: fields::many2one(r, "partner_id")?
                        .ok_or_else(|| OdooError::Protocol { message: "order without supplier".into() })?,
                    supplier_reference: fields::text(r, "partner_ref"),
                    state: fields::text(r, "state").unwrap_or_default(),
                    receipt_status: fields::text(r, "receipt_status"),
                    lines,
                    amount_untaxed: amount("amount_untaxed")?,
                    amount_total: amount("amount_total")?,
                    warehouse: fields::many2one(r, "picking_type_id")?.and_then(|t| warehouses.get(&t.id).cloned()),
                    receipts: fields::id_list(r, "picking_ids"),
                    acknowledged: fields::boolean(r, "mail_reminder_confirmed"),
                    created_at: fields::datetime(r, "create_date")?,
                    updated_at: fields::datetime(r, "write_date")?,
                })
            })
            .collect::<Result<Vec<_>, OdooError>>()
            .map_err(OrderError::from)
    }

    pub async fn purchase_orders(&self, query: &OrderQuery) -> Result<(Vec<PurchaseOrder>, bool), OrderError> {
        let mut domain = vec![json!(["id", ">", query.after_id])];
        if !query.states.is_empty() {
            domain.push(json!(["state", "in", query.states]));
        }
        if let Some(partner) = query.partner {
            domain.push(json!(["partner_id", "child_of", [partner]]));
        }
        if let Some(since) = query.updated_since {
            domain.push(json!(["write_date", ">=", fields::odoo_datetime(since)]));
        }
        let rows = self
            .search(
                "purchase.order",
                Value::Array(domain),
                PURCHASE_ORDER_FIELDS,
                SearchOptions::ordered("id asc").limit(query.limit + 1),
                Map::new(),
            )
            .await?;
        let more = rows.len() > query.limit;
        Ok((self.purchase_orders_from(&rows[..rows.len().min(query.limit)]).await?, more))
    }

    /// Confirms a purchase order; Odoo itself treats a second confirmation as a no-op.
    pub async fn confirm_purchase_order(&self, id: i64) -> Result<PurchaseOrder, OrderError> {
        let order = self.purchase_order(id).await?;
        if order.state == "cancel" {
            return Err(OrderError::Refused(format!("{} is cancelled and cannot be confirmed", order.number)));
        }
        self.call(OdooCall::new("purchase.order", "button_confirm").ids(vec![id])).await.map_err(refusal)?;
        self.purchase_order(id).await
    }

    /// Records a supplier's acknowledgement once per request id: confirmed quantities and dates go
    /// onto the lines (moving the receipt's expected dates), the order is marked acknowledged, and
    /// the chatter keeps what the supplier said.
    pub async fn acknowledge_purchase_order(
        &self,
        id: i64,
        request_id: &str,
        scope: &str,
        lines: &[LineAcknowledgement],
    ) -> Result<Captured<PurchaseOrder>, OrderError> {
        let order = self.purchase_order(id).await?;
        let marker = format!("ack_{}", idempotency_key(scope, request_id));
        if self.xid(&marker, "purchase.order").await?.is_some() {
            return Ok(Captured { record: order, replayed: true, shortfalls: Vec::new() });
        }
        let violations: Vec<Violation> = lines
            .iter()
            .enumerate()
            .filter(|(_, ack)| !order.lines.iter().any(|l| l.id == ack.line_id))
            .map(|(i, ack)| {
                violation(
                    format!("lines[{i}].line_id"),
                    format!("line {} is not a line of {}", ack.line_id, order.number),
                )
            })
            .collect();
        if !violations.is_empty() {
            return Err(OrderError::Invalid(violations));
        }
        if order.state == "cancel" {
            return Err(OrderError::Refused(format!("{} is cancelled", order.number)));
        }
        let mut summary = Vec::new();
        for ack in lines {
            let mut vals = Map::new();
            if let Some(quantity) = ack.quantity {
                vals.insert("product_qty".into(), json!(quantity.to_string().parse::<f64>().unwrap_or_default()));
                summary.push(format!("line {}: quantity {quantity}", ack.line_id));
            }
            if let Some(expected) = ack.expected {
                vals.insert("date_planned".into(), json!(fields::odoo_datetime(expected)));
                summary.push(format!("line {}: expected {}", ack.line_id, fields::odoo_datetime(expected)));
            }
            if !vals.is_empty() {
                self.call(
                    OdooCall::new("purchase.order.line", "write")
                        .ids(vec![ack.line_id])
                        .param("vals", Value::Object(vals)),
                )
                .await
                .map_err(refusal)?;
            }
        }
        self.call(
            OdooCall::new("purchase.order", "write")
                .ids(vec![id])
                .param("vals", json!({"mail_reminder_confirmed": true})),
        )
        .await
        .map_err(refusal)?;
        let body = if summary.is_empty() {
            "Supplier acknowledged the order as sent.".to_owned()
        } else {
            format!("Supplier acknowledged with changes: {}.", summary.join("; "))
        };
        self.call(OdooCall::new("purchase.order", "message_post").ids(vec![id]).param("body", json!(body))).await?;
        // The marker makes a retried acknowledgement a replay; a duplicate racing us trips the
        // unique index, which also means "already recorded".
        let marker_row =
            json!([{"module": XID_MODULE, "name": marker, "model": "purchase.order", "res_id": id, "noupdate": true}]);
        match self.call(OdooCall::new("ir.model.data", "create").param("vals_list", marker_row)).await {
            Ok(_) | Err(OdooError::ValidationError { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        Ok(Captured { record: self.purchase_order(id).await?, replayed: false, shortfalls: Vec::new() })
    }
}

/// Odoo's business refusals keep their words; everything else stays an Odoo error.
fn refusal(error: OdooError) -> OrderError {
    match error {
        OdooError::UserError { message } | OdooError::ValidationError { message } => OrderError::Refused(message),
        other => OrderError::Odoo(other),
    }
}

const SALES_ORDER_FIELDS: &[&str] = &[
    "name",
    "partner_id",
    "partner_invoice_id",
    "partner_shipping_id",
    "client_order_ref",
    "state",
    "delivery_status",
    "invoice_status",
    "order_line",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "currency_id",
    "warehouse_id",
    "pricelist_id",
    "commitment_date",
    "picking_ids",
    "invoice_ids",
    "note",
    "create_date",
    "write_date",
];
const SALES_LINE_FIELDS: &[&str] = &[
    "product_id",
    "product_uom_qty",
    "product_uom",
    "qty_delivered",
    "qty_invoiced",
    "price_unit",
    "discount",
    "price_subtotal",
];
const PURCHASE_ORDER_FIELDS: &[&str] = &[
    "name",
    "partner_id",
    "partner_ref",
    "state",
    "receipt_status",
    "order_line",
    "amount_untaxed",
    "amount_total",
    "currency_id",
    "picking_type_id",
    "picking_ids",
    "mail_reminder_confirmed",
    "create_date",
    "write_date",
];
const PURCHASE_LINE_FIELDS: &[&str] =
    &["product_id", "product_qty", "product_uom", "qty_received", "price_unit", "date_planned"];

/// What a new delivery address looks like when only an address is given.
fn delivery_partner(address: &Address) -> NewPartner {
    NewPartner {
        name: address.contact_name.clone().unwrap_or_else(|| "Delivery address".into()),
        address: address.clone(),
        ..NewPartner::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_scoped_and_stable() {
        assert_eq!(idempotency_key("", "r-1"), idempotency_key("", "r-1"));
        assert_ne!(idempotency_key("", "r-1"), idempotency_key("spiffe://a", "r-1"));
        assert_eq!(idempotency_key("", "r-1").len(), 32);
        assert!(idempotency_key("", "weird id with spaces/and%").chars().all(|c| c.is_ascii_hexdigit()));
    }
}
