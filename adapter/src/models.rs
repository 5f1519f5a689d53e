//! What odoo-mesh reads from Odoo, as plain Rust types: no JSON, no protobuf.

use rust_decimal::Decimal;
use time::OffsetDateTime;

/// A reference to another record: its id and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub id: i64,
    pub name: String,
}

/// A unit of measure and the precision quantities in it are rounded to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uom {
    pub id: i64,
    pub name: String,
    pub rounding: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warehouse {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub company: Option<Ref>,
    pub stock_location: Option<Ref>,
}

impl Warehouse {
    pub fn as_ref(&self) -> Ref {
        Ref { id: self.id, name: self.name.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: i64,
    pub complete_name: String,
    pub warehouse: Option<Ref>,
    pub parent: Option<Ref>,
}

/// An amount in a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub value: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub sku: Option<String>,
    pub name: String,
    pub display_name: String,
    pub barcode: Option<String>,
    pub uom: Ref,
    pub list_price: Amount,
    pub is_storable: bool,
    pub sale_ok: bool,
    pub purchase_ok: bool,
    pub active: bool,
    pub updated_at: Option<OffsetDateTime>,
}

/// Stock figures of one product in one warehouse, rounded to the product's unit of measure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockFigures {
    pub on_hand: Decimal,
    pub reserved: Decimal,
    pub available: Decimal,
    pub incoming: Decimal,
    pub outgoing: Decimal,
    pub forecast: Decimal,
}

/// Stock figures of one storable product in one warehouse — or, when `location` is set, in one
/// internal location of it and the locations below — as the watched view keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLevel {
    pub product: Ref,
    pub sku: Option<String>,
    pub uom: Ref,
    pub warehouse: Ref,
    pub location: Option<Ref>,
    pub figures: StockFigures,
}

/// The stock of one SKU across the warehouses asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkuStock {
    Found {
        product: Ref,
        uom: Ref,
        levels: Vec<(Ref, StockFigures)>,
    },
    NotFound,
    /// Several active products carry this SKU; Odoo does not enforce uniqueness.
    Ambiguous {
        product_ids: Vec<i64>,
    },
    /// The product carrying this SKU holds a value odoo-mesh cannot decode (reported in the
    /// logs and `odoo_mesh_undecodable_records_total`); its levels are not given.
    Unreadable {
        product: Ref,
    },
}

/// Stock levels as the watched view reads them, and the products that could not be decoded
/// (left out, and reported once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductLevels {
    pub levels: Vec<ProductLevel>,
    pub unreadable: Vec<i64>,
}

/// Filters and position of one page of products.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductQuery {
    /// Only products with an id above this (keyset paging: stable while products are created).
    pub after_id: i64,
    pub limit: usize,
    pub sku_prefix: Option<String>,
    pub updated_since: Option<OffsetDateTime>,
    pub include_archived: bool,
}

/// One page of products, and whether more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPage {
    pub products: Vec<Product>,
    pub more: bool,
    /// Where the next page starts: see `Page::last_id`.
    pub last_id: Option<i64>,
}

/// The outcome of looking a product up by SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductLookup {
    Found(Box<Product>),
    NotFound,
    Ambiguous(Vec<i64>),
}

// ---- orders ------------------------------------------------------------------------------------

/// How the customer (or supplier) of an order is chosen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum PartnerSelector {
    Id(i64),
    Reference(String),
    Email(String),
    Vat(String),
    /// Create the partner from these details, unless exactly one partner has this e-mail already.
    New(Box<NewPartner>),
}

/// Contact details of a partner to create.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NewPartner {
    pub name: String,
    pub is_company: bool,
    pub reference: Option<String>,
    pub vat: Option<String>,
    pub address: Address,
}

/// A postal address with contact details.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Address {
    pub contact_name: Option<String>,
    pub street: Option<String>,
    pub street2: Option<String>,
    pub city: Option<String>,
    pub zip: Option<String>,
    pub country_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// What to do when a line asks for more than is available to promise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub enum Availability {
    #[default]
    Ignore,
    Flag,
    Refuse,
}

/// A sales order line to create.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SalesLineDraft {
    pub sku: String,
    pub quantity: Decimal,
    pub unit_of_measure: Option<String>,
    pub unit_price: Option<Decimal>,
    /// The currency the price is in, when the caller named one: it must be the order's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub discount: Option<Decimal>,
}

/// A validated request to create a sales order; everything but `request_id` is the payload that a
/// retry must repeat exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SalesOrderDraft {
    #[serde(skip)]
    pub request_id: String,
    pub customer: PartnerSelector,
    pub invoice_address: Option<i64>,
    pub delivery_address: Option<Address>,
    pub lines: Vec<SalesLineDraft>,
    pub pricelist: Option<i64>,
    pub warehouse: Option<i64>,
    pub commitment: Option<OffsetDateTime>,
    pub customer_reference: Option<String>,
    pub note: Option<String>,
    pub confirm: bool,
    pub availability: Availability,
}

/// A line of a sales order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOrderLine {
    pub id: i64,
    pub product: Ref,
    pub sku: Option<String>,
    pub quantity: Decimal,
    /// The unit the line's quantities are in.
    pub unit: Ref,
    pub delivered: Decimal,
    pub invoiced: Decimal,
    pub unit_price: Amount,
    pub discount: Decimal,
    pub subtotal: Amount,
}

/// A sales order as Odoo holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOrder {
    pub id: i64,
    pub number: String,
    pub customer: Ref,
    pub invoice_address: Option<Ref>,
    pub delivery_address: Option<Ref>,
    pub customer_reference: Option<String>,
    pub state: SalesOrderState,
    /// `None` before any delivery exists.
    pub delivery_status: Option<DeliveryStatus>,
    pub invoice_status: InvoiceStatus,
    pub lines: Vec<SalesOrderLine>,
    pub amount_untaxed: Amount,
    pub amount_tax: Amount,
    pub amount_total: Amount,
    pub warehouse: Option<Ref>,
    pub pricelist: Option<Ref>,
    pub commitment: Option<OffsetDateTime>,
    pub pickings: Vec<i64>,
    pub invoices: Vec<i64>,
    pub note: Option<String>,
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
}

/// Where a sales order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SalesOrderState {
    Quotation,
    QuotationSent,
    Confirmed,
    Cancelled,
    /// A value odoo-mesh does not know (added by another module or a newer Odoo).
    Other,
}

/// How far a sales order's goods have left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Deliveries exist, nothing has left yet.
    Pending,
    /// Some goods picked or sent (Odoo 18: "started").
    Started,
    Partial,
    Full,
    /// A value odoo-mesh does not know (added by another module or a newer Odoo).
    Other,
}

/// How much of a sales order is invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    Nothing,
    ToInvoice,
    Invoiced,
    Upselling,
    /// A value odoo-mesh does not know (added by another module or a newer Odoo).
    Other,
}

/// A state of either kind of order, as lists filter by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    Sales(SalesOrderState),
    Purchase(PurchaseOrderState),
}

/// A line asking for more than is available to promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub line_index: usize,
    pub sku: String,
    pub requested: Decimal,
    pub available: Decimal,
    pub unit_of_measure: String,
}

/// The result of an idempotent command: the record it wrote, and whether this call replayed an
/// earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured<T> {
    /// The Odoo id of the record written.
    pub id: i64,
    /// The record as Odoo has it; `None` when the write committed but reading it back failed.
    pub record: Option<T>,
    pub replayed: bool,
    pub shortfalls: Vec<Shortfall>,
}

/// One page of a list by ascending id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Whether more follow.
    pub more: bool,
    /// The id of the last record read for the page, decoded or not: the next page starts after
    /// it, so a record left out as undecodable is neither read again nor makes paging stop.
    pub last_id: Option<i64>,
}

/// Filters and position of a page of orders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    pub after_id: i64,
    pub limit: usize,
    /// States to keep; empty for all.
    pub states: Vec<OrderState>,
    pub partner: Option<i64>,
    pub customer_reference: Option<String>,
    pub created_since: Option<OffsetDateTime>,
    pub updated_since: Option<OffsetDateTime>,
}

/// A purchase order line to create.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PurchaseLineDraft {
    pub sku: String,
    pub quantity: Decimal,
    /// The unit the quantity is in, when not the product's purchase unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<String>,
    pub unit_price: Option<Decimal>,
    /// The currency the price is in, when the caller named one: it must be the order's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub expected: Option<OffsetDateTime>,
}

/// A validated request to create a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PurchaseOrderDraft {
    #[serde(skip)]
    pub request_id: String,
    pub supplier: PartnerSelector,
    pub lines: Vec<PurchaseLineDraft>,
    pub warehouse: Option<i64>,
    pub supplier_reference: Option<String>,
    pub confirm: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseOrderLine {
    pub id: i64,
    pub product: Ref,
    pub sku: Option<String>,
    pub quantity: Decimal,
    /// The unit the line's quantities are in.
    pub unit: Ref,
    pub received: Decimal,
    pub unit_price: Amount,
    pub expected: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseOrder {
    pub id: i64,
    pub number: String,
    pub supplier: Ref,
    pub supplier_reference: Option<String>,
    pub state: PurchaseOrderState,
    /// `None` before any receipt exists.
    pub receipt_status: Option<ReceiptStatus>,
    pub lines: Vec<PurchaseOrderLine>,
    pub amount_untaxed: Amount,
    pub amount_total: Amount,
    pub warehouse: Option<Ref>,
    pub receipts: Vec<i64>,
    pub acknowledged: bool,
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
}

/// Where a purchase order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurchaseOrderState {
    /// A request for quotation.
    Rfq,
    RfqSent,
    /// Waiting for a manager's approval (a request for quotation still).
    ToApprove,
    Confirmed,
    /// Confirmed and locked against changes.
    Locked,
    Cancelled,
    /// A value odoo-mesh does not know (added by another module or a newer Odoo).
    Other,
}

/// How much of a purchase order has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptStatus {
    Pending,
    Partial,
    Full,
    /// A value odoo-mesh does not know (added by another module or a newer Odoo).
    Other,
}

/// A supplier's answer for one purchase order line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineAcknowledgement {
    pub line_id: i64,
    pub quantity: Option<Decimal>,
    /// The unit the confirmed quantity is in, when the supplier named one: it must be the line's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<String>,
    pub expected: Option<OffsetDateTime>,
}

// ---- shipments ---------------------------------------------------------------------------------

/// Which way goods move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShipmentKind {
    Delivery,
    Receipt,
    /// Goods coming back (a transfer that returns another).
    Return,
    /// Between locations of the company: not a shipment to anyone.
    Internal,
}

/// Where a shipment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShipmentState {
    Draft,
    /// Waiting for another operation.
    Waiting,
    /// Waiting for stock.
    Confirmed,
    /// Stock reserved: ready to pick.
    Ready,
    Done,
    Cancelled,
    /// A value odoo-mesh does not know (added by another module or a newer Odoo).
    Other,
}

/// One move of a shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentLine {
    pub id: i64,
    pub product: Ref,
    pub sku: Option<String>,
    pub demand: Decimal,
    /// Reserved, or picked once `picked`, or moved once `done`.
    pub quantity: Decimal,
    /// The unit the line's quantities are in.
    pub unit: Ref,
    pub picked: bool,
    /// The move is done: `quantity` left (or arrived).
    pub done: bool,
}

/// A transfer (`stock.picking`) as Odoo holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub id: i64,
    pub reference: String,
    pub kind: ShipmentKind,
    pub state: ShipmentState,
    pub partner: Option<Ref>,
    pub sales_order: Option<i64>,
    pub purchase_order: Option<i64>,
    pub lines: Vec<ShipmentLine>,
    pub carrier: Option<Ref>,
    /// The carrier's references, one per parcel.
    pub tracking_references: Vec<String>,
    pub backorder_of: Option<i64>,
    /// The shipments made of what this one left to do.
    pub backorders: Vec<i64>,
    /// The delivery this one returns.
    pub return_of: Option<i64>,
    /// The returns of this one.
    pub returns: Vec<i64>,
    pub scheduled: Option<OffsetDateTime>,
    pub done_at: Option<OffsetDateTime>,
    /// The carrier's milestones, by the time they happened.
    pub tracking_events: Vec<TrackingEvent>,
    /// The supplier's advance shipping notice, for a receipt that has one (the latest).
    pub asn: Option<Asn>,
}

impl Shipment {
    /// Where the goods are by the carrier's latest word: the milestone that happened last, so an
    /// event reported late never moves it back.
    pub fn milestone(&self) -> Option<Milestone> {
        self.tracking_events.iter().max_by_key(|e| e.at).map(|e| e.milestone)
    }
}

/// A quantity done (or returned) of one line of a shipment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineQuantity {
    /// The line: Odoo's move id, or 0 to name it by `sku`.
    pub line_id: i64,
    /// The line by its product's SKU, when the shipment has one line of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// In the line's unit.
    pub quantity: Decimal,
    /// The unit the caller named, if it did: it must be the line's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<String>,
}

/// What becomes of the quantities a partial validation leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Rest {
    /// A backorder is made of them, to ship or receive later.
    Backorder,
    /// They are cancelled.
    Cancel,
}

/// Filters and position of a page of shipments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShipmentQuery {
    pub after_id: i64,
    pub limit: usize,
    /// Deliveries, receipts or returns; `None` for all three.
    pub kind: Option<ShipmentKind>,
    pub states: Vec<ShipmentState>,
    pub sales_order: Option<i64>,
    pub purchase_order: Option<i64>,
    pub warehouse: Option<i64>,
    pub carrier: Option<i64>,
    pub updated_since: Option<OffsetDateTime>,
}

/// A milestone in a shipment's journey, as carriers report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    PickedUp,
    InTransit,
    OutForDelivery,
    Delivered,
    FailedAttempt,
    /// Held up: customs, damage, a wrong address.
    Exception,
    /// Being returned to the sender.
    Returning,
}

/// One milestone a carrier reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrackingEvent {
    pub milestone: Milestone,
    /// When it happened, by the carrier's clock.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub description: String,
    /// The carrier's own id of the event: the same id is recorded once.
    #[serde(default)]
    pub carrier_event_id: String,
}

/// A supplier's advance shipping notice: what it says it sent for a receipt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Asn {
    #[serde(default)]
    pub supplier_reference: String,
    /// When the goods are expected.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expected: Option<OffsetDateTime>,
    pub lines: Vec<AsnLine>,
}

/// What an advance shipping notice announces of one line of the receipt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AsnLine {
    /// The receipt's move.
    pub line_id: i64,
    pub sku: String,
    /// In the move's unit.
    pub quantity: Decimal,
}

/// One count from a WMS: what was found of a product, loose, in one internal location.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Count {
    pub sku: String,
    pub location: i64,
    /// Zero or more, in the product's unit.
    pub counted: Decimal,
    /// The unit the caller named, if any: it must be the product's.
    pub unit: Option<String>,
    /// When the count was taken; `None` for now.
    pub counted_at: Option<OffsetDateTime>,
}

/// What one count changed, in the product's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountResult {
    pub sku: String,
    pub product: Ref,
    pub uom: Ref,
    pub location: Ref,
    pub counted: Decimal,
    /// On hand before, and the correction applied; `None` when Odoo's record of it cannot be found.
    pub change: Option<(Decimal, Decimal)>,
}

/// A batch of counts, applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// One per count, in the order given.
    pub results: Vec<CountResult>,
}

/// The kind of an accounting document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum InvoiceKind {
    CustomerInvoice,
    CustomerCreditNote,
    SupplierBill,
    SupplierRefund,
    /// A journal entry or receipt, which odoo-mesh does not make.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceState {
    Draft,
    Posted,
    Cancelled,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    NotPaid,
    Partial,
    InPayment,
    Paid,
    Reversed,
    Other,
}

/// A product line of an invoice, amounts in the invoice's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub id: i64,
    pub product: Option<Ref>,
    pub label: String,
    pub quantity: Decimal,
    pub uom: Option<Ref>,
    pub unit_price: Decimal,
    pub discount: Decimal,
    pub subtotal: Amount,
    pub total: Amount,
    pub taxes: Vec<String>,
}

/// A payment registered against invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub number: Option<String>,
    pub amount: Amount,
    pub partner: Option<Ref>,
    pub date: Option<time::Date>,
    pub journal: Option<Ref>,
    pub memo: Option<String>,
}

/// An invoice, bill or credit note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: i64,
    /// Odoo's number; `None` while draft.
    pub number: Option<String>,
    pub kind: InvoiceKind,
    pub state: InvoiceState,
    pub payment_state: PaymentState,
    /// The customer or supplier (the commercial entity).
    pub partner: Option<Ref>,
    pub lines: Vec<InvoiceLine>,
    pub(crate) line_ids: Vec<i64>,
    pub untaxed: Amount,
    pub tax: Amount,
    pub total: Amount,
    /// What is still due.
    pub residual: Amount,
    pub(crate) currency_id: i64,
    pub invoice_date: Option<time::Date>,
    pub due_date: Option<time::Date>,
    pub origin: Option<String>,
    /// The supplier's number (bills), or Odoo's reversal text (credit notes).
    pub reference: Option<String>,
    pub sales_orders: Vec<i64>,
    pub purchase_orders: Vec<i64>,
    pub reversal_of: Option<i64>,
    pub credit_notes: Vec<i64>,
    pub(crate) payment_ids: Vec<i64>,
    pub payments: Vec<Payment>,
    pub(crate) journal: Option<i64>,
    pub updated: Option<OffsetDateTime>,
}

/// Filters of a page of invoices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoiceQuery {
    pub after_id: i64,
    pub limit: usize,
    pub kind: Option<InvoiceKind>,
    pub states: Vec<InvoiceState>,
    pub payment_states: Vec<PaymentState>,
    pub partner: Option<i64>,
    pub updated_since: Option<OffsetDateTime>,
    /// Only posted documents still (partly) due after their due date.
    pub overdue: bool,
}

/// A customer's open balance, in the company's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub customer: Ref,
    /// Posted and not yet paid (credit notes deducted).
    pub receivable: Amount,
    /// Of that, what is past its due date.
    pub overdue: Amount,
    /// The credit limit, when Odoo's credit limit is in use for the customer.
    pub credit_limit: Option<Amount>,
    /// Confirmed sales orders not invoiced yet, in the company's currency.
    pub uninvoiced: Amount,
}
