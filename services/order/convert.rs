//! OrderService's protobuf edge: requests become validated drafts and queries (every bad field
//! reported at once), orders become responses.

use odoo_adapter::models::{
    Address, Amount, Availability, Captured, DeliveryStatus, InvoiceStatus, LineAcknowledgement, NewPartner,
    OrderQuery, OrderState, PartnerSelector, PurchaseLineDraft, PurchaseOrder, PurchaseOrderDraft, PurchaseOrderState,
    ReceiptStatus, SalesLineDraft, SalesOrder, SalesOrderDraft, SalesOrderState, Shortfall,
};
use rust_decimal::Decimal;

use crate::{
    ApiError,
    convert::{money, quantity, record_event, record_ref, resource_name, timestamp},
    edge::{
        checks::Checks,
        decimal,
        id::{self, parse_resource_name},
        limits::{self, MAX_ITEMS, MAX_LINES},
        token::TokenKey,
    },
    proto::{common::v1 as common, order::v1 as pb},
    watch::Event,
};

impl Checks {
    /// A non-negative amount of money, and its currency when the caller named one.
    fn price(&mut self, field: &str, m: Option<&common::Money>) -> (Option<Decimal>, Option<String>) {
        let Some(m) = m else { return (None, None) };
        let currency = match m.currency_code.as_str() {
            "" => None,
            code => self.take(limits::currency_code(&format!("{field}.currency_code"), code)),
        };
        (self.take(decimal::price(field, m)), currency)
    }

    /// What every order line has, checked under `lines[i]`.
    fn line(
        &mut self,
        i: usize,
        sku: &str,
        quantity: Option<&common::Quantity>,
        price: Option<&common::Money>,
    ) -> LineBasics {
        let sku = self.text(&format!("lines[{i}].sku"), sku, limits::SKU).unwrap_or_default();
        let (quantity, unit_of_measure) = self.quantity(&format!("lines[{i}].quantity"), quantity);
        let (unit_price, currency) = self.price(&format!("lines[{i}].unit_price"), price);
        LineBasics { sku, quantity, unit_of_measure, unit_price, currency }
    }

    fn partner(&mut self, field: &str, selector: Option<&pb::PartnerSelector>) -> PartnerSelector {
        use pb::partner_selector::Selector;
        let placeholder = PartnerSelector::Id(0);
        let Some(selector) = selector.and_then(|s| s.selector.as_ref()) else {
            self.fail(field, "required: a partner by resource name, reference, e-mail or VAT, or new details");
            return placeholder;
        };
        match selector {
            Selector::Partner(name) => self
                .take(parse_resource_name(&format!("{field}.partner"), name, "partners"))
                .map_or(placeholder, PartnerSelector::Id),
            Selector::Reference(r) => self
                .text(&format!("{field}.reference"), r, limits::PARTNER_REFERENCE)
                .map_or(placeholder, PartnerSelector::Reference),
            Selector::Email(e) => {
                self.text(&format!("{field}.email"), e, limits::EMAIL).map_or(placeholder, PartnerSelector::Email)
            }
            Selector::Vat(v) => {
                self.text(&format!("{field}.vat"), v, limits::VAT).map_or(placeholder, PartnerSelector::Vat)
            }
            Selector::NewPartner(new) => {
                let prefix = format!("{field}.new_partner");
                let name =
                    self.text(&format!("{prefix}.display_name"), &new.display_name, limits::NAME).unwrap_or_default();
                let address = self.address(&format!("{prefix}.address"), new.address.as_ref());
                if address.email.is_none() {
                    self.fail(format!("{prefix}.address.email"), "required for a new partner");
                }
                PartnerSelector::New(Box::new(NewPartner {
                    name,
                    is_company: new.is_company,
                    reference: self.optional(&format!("{prefix}.reference"), &new.reference, limits::PARTNER_REFERENCE),
                    vat: self.optional(&format!("{prefix}.vat"), &new.vat, limits::VAT),
                    address,
                }))
            }
        }
    }

    /// An address, every part within its bound (`{field}.street`...).
    fn address(&mut self, field: &str, a: Option<&common::Address>) -> Address {
        let Some(a) = a else { return Address::default() };
        let mut part = |name: &str, value: &str, max: usize| self.optional(&format!("{field}.{name}"), value, max);
        let address = Address {
            contact_name: part("contact_name", &a.contact_name, limits::NAME),
            street: part("street", &a.street, limits::STREET),
            street2: part("street2", &a.street2, limits::STREET),
            city: part("city", &a.city, limits::CITY),
            zip: part("zip", &a.zip, limits::ZIP),
            country_code: part("country_code", &a.country_code, limits::COUNTRY_CODE),
            email: part("email", &a.email, limits::EMAIL),
            phone: part("phone", &a.phone, limits::PHONE),
        };
        // Not used yet, but bounded like the rest.
        part("state_code", &a.state_code, limits::STATE_CODE);
        address
    }
}

/// A SKU, a quantity in an optional unit, an optional price in an optional currency.
struct LineBasics {
    sku: String,
    quantity: Decimal,
    unit_of_measure: Option<String>,
    unit_price: Option<Decimal>,
    currency: Option<String>,
}

/// Odoo imports a line's missing value as zero (a price of 0, no discount, no date) when other
/// lines give one: so a value is given on every line or on none, and Odoo fills it in for all.
fn all_or_none(checks: &mut Checks, given: impl Iterator<Item = bool>, field: &str) {
    let given: Vec<bool> = given.collect();
    if given.iter().any(|g| *g) {
        for (i, _) in given.iter().enumerate().filter(|(_, g)| !**g) {
            checks.fail(format!("lines[{i}].{field}"), format!("give {field} on every line or on none"));
        }
    }
}

/// The lines of an order, each converted by `line`: at least one, at most [`MAX_LINES`]; past that,
/// none is looked at and none is answered.
fn order_lines<L, T>(checks: &mut Checks, lines: &[L], mut line: impl FnMut(&mut Checks, usize, &L) -> T) -> Vec<T> {
    if lines.is_empty() {
        checks.fail("lines", "at least one line is required");
    }
    if !checks.items("lines", lines.len(), MAX_LINES) {
        return Vec::new();
    }
    lines.iter().enumerate().map(|(i, l)| line(checks, i, l)).collect()
}

pub(crate) fn sales_order_draft(request: &pb::CreateSalesOrderRequest) -> Result<SalesOrderDraft, ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let customer = checks.partner("customer", request.customer.as_ref());
    let lines = order_lines(&mut checks, &request.lines, |checks, i, line| {
        let LineBasics { sku, quantity, unit_of_measure, unit_price, currency } =
            checks.line(i, &line.sku, line.quantity.as_ref(), line.unit_price.as_ref());
        let discount = match line.discount_percent.as_str() {
            "" => None,
            text => checks.take(decimal::percent(&format!("lines[{i}].discount_percent"), text)),
        };
        SalesLineDraft { sku, quantity, unit_of_measure, unit_price, currency, discount }
    });
    if lines.len() == request.lines.len() {
        all_or_none(&mut checks, request.lines.iter().map(|l| l.unit_price.is_some()), "unit_price");
        // A line without a discount would get 0, overriding the discount its price list gives.
        all_or_none(&mut checks, request.lines.iter().map(|l| !l.discount_percent.is_empty()), "discount_percent");
    }
    let delivery_address = request
        .delivery_address
        .as_ref()
        .map(|a| checks.address("delivery_address", Some(a)))
        .filter(|a| *a != Address::default());
    let availability = match pb::AvailabilityPolicy::try_from(request.availability_policy) {
        Ok(pb::AvailabilityPolicy::Unspecified | pb::AvailabilityPolicy::Ignore) => Availability::Ignore,
        Ok(pb::AvailabilityPolicy::Flag) => Availability::Flag,
        Ok(pb::AvailabilityPolicy::Refuse) => Availability::Refuse,
        Err(_) => {
            checks.fail("availability_policy", "unknown value");
            Availability::Ignore
        }
    };
    let draft = SalesOrderDraft {
        request_id,
        customer,
        invoice_address: checks.optional_name("invoice_address", &request.invoice_address, "partners"),
        delivery_address,
        lines,
        pricelist: checks.optional_name("pricelist", &request.pricelist, "pricelists"),
        warehouse: checks.optional_name("warehouse", &request.warehouse, "warehouses"),
        commitment: checks.time("commitment_time", request.commitment_time.as_ref()),
        customer_reference: checks.optional("customer_reference", &request.customer_reference, limits::ORDER_REFERENCE),
        note: checks.optional("note", &request.note, limits::NOTE),
        confirm: request.confirm,
        availability,
    };
    checks.finish(draft)
}

pub(crate) fn purchase_order_draft(request: &pb::CreatePurchaseOrderRequest) -> Result<PurchaseOrderDraft, ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let supplier = checks.partner("supplier", request.supplier.as_ref());
    let lines = order_lines(&mut checks, &request.lines, |checks, i, line| {
        let LineBasics { sku, quantity, unit_of_measure, unit_price, currency } =
            checks.line(i, &line.sku, line.quantity.as_ref(), line.unit_price.as_ref());
        let expected = checks.time(&format!("lines[{i}].expected_time"), line.expected_time.as_ref());
        PurchaseLineDraft { sku, quantity, unit_of_measure, unit_price, currency, expected }
    });
    if lines.len() == request.lines.len() {
        all_or_none(&mut checks, request.lines.iter().map(|l| l.unit_price.is_some()), "unit_price");
        all_or_none(&mut checks, request.lines.iter().map(|l| l.expected_time.is_some()), "expected_time");
    }
    let draft = PurchaseOrderDraft {
        request_id,
        supplier,
        lines,
        warehouse: checks.optional_name("warehouse", &request.warehouse, "warehouses"),
        supplier_reference: checks.optional("supplier_reference", &request.supplier_reference, limits::ORDER_REFERENCE),
        confirm: request.confirm,
    };
    checks.finish(draft)
}

pub(crate) fn acknowledgement(
    request: &pb::AcknowledgePurchaseOrderRequest,
) -> Result<(i64, String, Vec<LineAcknowledgement>), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let id = checks.take(parse_resource_name("name", &request.name, "purchaseOrders")).unwrap_or_default();
    let mut lines = Vec::new();
    // No line is an acknowledgement of the order as it is.
    if checks.items("lines", request.lines.len(), MAX_LINES) {
        lines = request
            .lines
            .iter()
            .enumerate()
            .map(|(i, ack)| {
                let line_id = checks.take(id::id(&format!("lines[{i}].line_id"), ack.line_id)).unwrap_or_default();
                let (quantity, unit_of_measure) = match ack.confirmed_quantity.as_ref() {
                    Some(q) => {
                        let (quantity, unit) = checks.quantity(&format!("lines[{i}].confirmed_quantity"), Some(q));
                        (Some(quantity), unit)
                    }
                    None => (None, None),
                };
                let expected = checks.time(&format!("lines[{i}].confirmed_time"), ack.confirmed_time.as_ref());
                LineAcknowledgement { line_id, quantity, unit_of_measure, expected }
            })
            .collect();
    }
    checks.finish((id, request_id, lines))
}

/// The order CancelSalesOrder names and why it is cancelled.
pub(crate) fn cancellation(request: &pb::CancelSalesOrderRequest) -> Result<(i64, String), ApiError> {
    let mut checks = Checks::default();
    let id = checks.take(parse_resource_name("name", &request.name, "salesOrders")).unwrap_or_default();
    let reason = checks.optional("reason", &request.reason, limits::REASON).unwrap_or_default();
    checks.finish((id, reason))
}

pub(crate) fn sales_order_name(name: &str) -> Result<i64, ApiError> {
    Ok(parse_resource_name("name", name, "salesOrders")?)
}

pub(crate) fn purchase_order_name(name: &str) -> Result<i64, ApiError> {
    Ok(parse_resource_name("name", name, "purchaseOrders")?)
}

fn sales_state(state: i32) -> Option<OrderState> {
    let state = match pb::SalesOrderState::try_from(state).ok()? {
        pb::SalesOrderState::Quotation => SalesOrderState::Quotation,
        pb::SalesOrderState::QuotationSent => SalesOrderState::QuotationSent,
        pb::SalesOrderState::Confirmed => SalesOrderState::Confirmed,
        pb::SalesOrderState::Cancelled => SalesOrderState::Cancelled,
        pb::SalesOrderState::Unspecified => return None,
    };
    Some(OrderState::Sales(state))
}

fn purchase_state(state: i32) -> Option<Vec<OrderState>> {
    let states = match pb::PurchaseOrderState::try_from(state).ok()? {
        // A request for quotation waiting for approval is still one.
        pb::PurchaseOrderState::Rfq => vec![PurchaseOrderState::Rfq, PurchaseOrderState::ToApprove],
        pb::PurchaseOrderState::RfqSent => vec![PurchaseOrderState::RfqSent],
        pb::PurchaseOrderState::Confirmed => vec![PurchaseOrderState::Confirmed],
        pb::PurchaseOrderState::Done => vec![PurchaseOrderState::Locked],
        pb::PurchaseOrderState::Cancelled => vec![PurchaseOrderState::Cancelled],
        pb::PurchaseOrderState::Unspecified => return None,
    };
    Some(states.into_iter().map(OrderState::Purchase).collect())
}

pub(crate) fn sales_order_query(
    request: &pb::ListSalesOrdersRequest,
    tokens: &TokenKey,
) -> Result<(OrderQuery, String), ApiError> {
    let mut checks = Checks::default();
    let filters = format!(
        "states={:?};customer={:?};ref={:?};created={:?};updated={:?}",
        request.states,
        request.customer,
        request.customer_reference,
        request.created_since.as_ref().map(|t| (t.seconds, t.nanos)),
        request.updated_since.as_ref().map(|t| (t.seconds, t.nanos)),
    );
    let (limit, after_id) = checks.page(request.page_size, &request.page_token, &filters, tokens);
    let mut states = Vec::new();
    let states_given = if checks.items("states", request.states.len(), MAX_ITEMS) { &request.states[..] } else { &[] };
    for (i, state) in states_given.iter().enumerate() {
        match sales_state(*state) {
            Some(s) => states.push(s),
            None => checks.fail(format!("states[{i}]"), "unknown or unspecified state"),
        }
    }
    let query = OrderQuery {
        after_id,
        limit,
        states,
        partner: checks.optional_name("customer", &request.customer, "partners"),
        customer_reference: checks.optional("customer_reference", &request.customer_reference, limits::ORDER_REFERENCE),
        created_since: checks.time("created_since", request.created_since.as_ref()),
        updated_since: checks.time("updated_since", request.updated_since.as_ref()),
    };
    checks.finish((query, filters))
}

pub(crate) fn purchase_order_query(
    request: &pb::ListPurchaseOrdersRequest,
    tokens: &TokenKey,
) -> Result<(OrderQuery, String), ApiError> {
    let mut checks = Checks::default();
    let filters = format!(
        "states={:?};supplier={:?};updated={:?}",
        request.states,
        request.supplier,
        request.updated_since.as_ref().map(|t| (t.seconds, t.nanos))
    );
    let (limit, after_id) = checks.page(request.page_size, &request.page_token, &filters, tokens);
    let mut states = Vec::new();
    let states_given = if checks.items("states", request.states.len(), MAX_ITEMS) { &request.states[..] } else { &[] };
    for (i, state) in states_given.iter().enumerate() {
        match purchase_state(*state) {
            Some(s) => states.extend(s),
            None => checks.fail(format!("states[{i}]"), "unknown or unspecified state"),
        }
    }
    let query = OrderQuery {
        after_id,
        limit,
        states,
        partner: checks.optional_name("supplier", &request.supplier, "partners"),
        updated_since: checks.time("updated_since", request.updated_since.as_ref()),
        ..OrderQuery::default()
    };
    checks.finish((query, filters))
}

fn amount(a: &Amount) -> Option<common::Money> {
    Some(money(a))
}

/// One sales order watch event as its protobuf message.
pub(super) fn watch_event(event: Event<'_, SalesOrder>, resume_token: String) -> pb::WatchSalesOrdersResponse {
    record_event(event, resume_token, sales_order, |sales_order, revision, resume_token, heartbeat| {
        pb::WatchSalesOrdersResponse { sales_order, revision, resume_token, heartbeat }
    })
}

pub(super) fn sales_order(o: &SalesOrder) -> pb::SalesOrder {
    let state = match o.state {
        SalesOrderState::Quotation => pb::SalesOrderState::Quotation,
        SalesOrderState::QuotationSent => pb::SalesOrderState::QuotationSent,
        SalesOrderState::Confirmed => pb::SalesOrderState::Confirmed,
        SalesOrderState::Cancelled => pb::SalesOrderState::Cancelled,
        SalesOrderState::Other => pb::SalesOrderState::Unspecified,
    };
    let delivery = match (o.state, o.delivery_status) {
        (_, Some(DeliveryStatus::Full)) => pb::DeliveryStatus::Full,
        (_, Some(DeliveryStatus::Partial | DeliveryStatus::Started)) => pb::DeliveryStatus::Partial,
        (_, Some(DeliveryStatus::Other)) => pb::DeliveryStatus::Unspecified,
        (SalesOrderState::Confirmed, _) if !o.pickings.is_empty() => pb::DeliveryStatus::Pending,
        _ => pb::DeliveryStatus::Nothing,
    };
    let invoice = match o.invoice_status {
        InvoiceStatus::ToInvoice => pb::InvoiceStatus::ToInvoice,
        InvoiceStatus::Invoiced => pb::InvoiceStatus::Invoiced,
        InvoiceStatus::Upselling => pb::InvoiceStatus::Upselling,
        InvoiceStatus::Nothing => pb::InvoiceStatus::Nothing,
        InvoiceStatus::Other => pb::InvoiceStatus::Unspecified,
    };
    pb::SalesOrder {
        name: resource_name("salesOrders", o.id),
        id: o.id,
        number: o.number.clone(),
        customer: Some(record_ref("partners", &o.customer)),
        invoice_address: o.invoice_address.as_ref().map(|r| record_ref("partners", r)),
        delivery_address: o.delivery_address.as_ref().map(|r| record_ref("partners", r)),
        customer_reference: o.customer_reference.clone().unwrap_or_default(),
        state: state.into(),
        delivery_status: delivery.into(),
        invoice_status: invoice.into(),
        lines: o
            .lines
            .iter()
            .map(|l| pb::SalesOrderLine {
                id: l.id,
                product: Some(record_ref("products", &l.product)),
                sku: l.sku.clone().unwrap_or_default(),
                quantity: Some(quantity(l.quantity, &l.unit.name)),
                delivered: Some(quantity(l.delivered, &l.unit.name)),
                invoiced: Some(quantity(l.invoiced, &l.unit.name)),
                unit_price: amount(&l.unit_price),
                discount_percent: l.discount.normalize().to_string(),
                subtotal: amount(&l.subtotal),
            })
            .collect(),
        amount_untaxed: amount(&o.amount_untaxed),
        amount_tax: amount(&o.amount_tax),
        amount_total: amount(&o.amount_total),
        warehouse: o.warehouse.as_ref().map(|r| record_ref("warehouses", r)),
        pricelist: o.pricelist.as_ref().map(|r| record_ref("pricelists", r)),
        commitment_time: o.commitment.map(timestamp),
        shipments: o.pickings.iter().map(|p| resource_name("shipments", *p)).collect(),
        invoices: o.invoices.iter().map(|i| resource_name("invoices", *i)).collect(),
        note: o.note.clone().unwrap_or_default(),
        create_time: o.created_at.map(timestamp),
        update_time: o.updated_at.map(timestamp),
    }
}

/// A created order as its answer: whole, or only its name and id when it could not be read back.
pub(super) fn captured_sales_order(captured: &Captured<SalesOrder>) -> pb::SalesOrder {
    captured.record.as_ref().map_or_else(
        || pb::SalesOrder { name: resource_name("salesOrders", captured.id), id: captured.id, ..Default::default() },
        sales_order,
    )
}

/// As `captured_sales_order`, for purchase orders.
pub(super) fn captured_purchase_order(captured: &Captured<PurchaseOrder>) -> pb::PurchaseOrder {
    captured.record.as_ref().map_or_else(
        || pb::PurchaseOrder {
            name: resource_name("purchaseOrders", captured.id),
            id: captured.id,
            ..Default::default()
        },
        purchase_order,
    )
}

pub(super) fn shortfall(s: &Shortfall) -> pb::Shortfall {
    pb::Shortfall {
        line_index: i32::try_from(s.line_index).unwrap_or(i32::MAX),
        sku: s.sku.clone(),
        requested: Some(quantity(s.requested, &s.unit_of_measure)),
        available: Some(quantity(s.available, &s.unit_of_measure)),
    }
}

pub(super) fn purchase_order(o: &PurchaseOrder) -> pb::PurchaseOrder {
    let state = match o.state {
        PurchaseOrderState::Rfq | PurchaseOrderState::ToApprove => pb::PurchaseOrderState::Rfq,
        PurchaseOrderState::RfqSent => pb::PurchaseOrderState::RfqSent,
        PurchaseOrderState::Confirmed => pb::PurchaseOrderState::Confirmed,
        PurchaseOrderState::Locked => pb::PurchaseOrderState::Done,
        PurchaseOrderState::Cancelled => pb::PurchaseOrderState::Cancelled,
        PurchaseOrderState::Other => pb::PurchaseOrderState::Unspecified,
    };
    let receipt = match o.receipt_status {
        Some(ReceiptStatus::Full) => pb::ReceiptStatus::Full,
        Some(ReceiptStatus::Partial) => pb::ReceiptStatus::Partial,
        Some(ReceiptStatus::Pending) => pb::ReceiptStatus::Pending,
        Some(ReceiptStatus::Other) | None => pb::ReceiptStatus::Unspecified,
    };
    pb::PurchaseOrder {
        name: resource_name("purchaseOrders", o.id),
        id: o.id,
        number: o.number.clone(),
        supplier: Some(record_ref("partners", &o.supplier)),
        state: state.into(),
        receipt_status: receipt.into(),
        lines: o
            .lines
            .iter()
            .map(|l| pb::PurchaseOrderLine {
                id: l.id,
                product: Some(record_ref("products", &l.product)),
                sku: l.sku.clone().unwrap_or_default(),
                quantity: Some(quantity(l.quantity, &l.unit.name)),
                received: Some(quantity(l.received, &l.unit.name)),
                unit_price: amount(&l.unit_price),
                expected_time: l.expected.map(timestamp),
                acknowledgement: o.acknowledged.then(|| pb::LineAcknowledgement {
                    line_id: l.id,
                    confirmed_quantity: Some(quantity(l.quantity, &l.unit.name)),
                    confirmed_time: l.expected.map(timestamp),
                }),
            })
            .collect(),
        amount_untaxed: amount(&o.amount_untaxed),
        amount_total: amount(&o.amount_total),
        warehouse: o.warehouse.as_ref().map(|r| record_ref("warehouses", r)),
        receipts: o.receipts.iter().map(|p| resource_name("shipments", *p)).collect(),
        bills: Vec::new(),
        acknowledged: o.acknowledged,
        create_time: o.created_at.map(timestamp),
        update_time: o.updated_at.map(timestamp),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::error::tests::{MAX_ERROR_HEADERS, header_bytes};

    fn line(sku: &str, qty: &str) -> pb::SalesOrderLineInput {
        pb::SalesOrderLineInput {
            sku: sku.into(),
            quantity: Some(common::Quantity { value: qty.into(), unit_of_measure: String::new() }),
            unit_price: None,
            discount_percent: String::new(),
        }
    }

    fn fields(error: &ApiError) -> Vec<String> {
        match error {
            ApiError::InvalidArgument(v) => v.iter().map(|v| v.field.clone()).collect(),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_sales_order_lists_every_problem() {
        let request = pb::CreateSalesOrderRequest {
            request_id: String::new(),
            customer: None,
            lines: vec![line("", "2"), line("A", "0"), line("B", "x")],
            warehouse: "wh/1".into(),
            ..Default::default()
        };
        assert_eq!(
            fields(&sales_order_draft(&request).expect_err("invalid")),
            [
                "request_id",
                "customer",
                "lines[0].sku",
                "lines[1].quantity.value",
                "lines[2].quantity.value",
                "warehouse"
            ]
        );
    }

    #[test]
    fn a_good_sales_order_converts_exactly() {
        let mut l = line("E-COM11", "2.5");
        l.unit_price = Some(common::Money { currency_code: "USD".into(), units: 12, nanos: 500_000_000 });
        l.discount_percent = "10".into();
        let request = pb::CreateSalesOrderRequest {
            request_id: "r-1".into(),
            customer: Some(pb::PartnerSelector {
                selector: Some(pb::partner_selector::Selector::Email("a@b.example".into())),
            }),
            lines: vec![l],
            confirm: true,
            availability_policy: pb::AvailabilityPolicy::Refuse.into(),
            ..Default::default()
        };
        let draft = sales_order_draft(&request).expect("valid");
        assert_eq!(draft.lines[0].quantity, Decimal::new(25, 1));
        assert_eq!(draft.lines[0].unit_price, Some(Decimal::new(125, 1)));
        assert_eq!(draft.lines[0].discount, Some(Decimal::TEN));
        assert_eq!(draft.availability, Availability::Refuse);
        assert_eq!(draft.customer, PartnerSelector::Email("a@b.example".into()));
    }

    #[test]
    fn money_must_be_consistent_and_non_negative() {
        let mut checks = Checks::default();
        let money = |units, nanos| common::Money { currency_code: String::new(), units, nanos };
        assert_eq!(checks.price("p", Some(&money(1, -5))), (None, None));
        assert_eq!(checks.price("p", Some(&money(-1, 0))), (None, None));
        assert_eq!(checks.count(), 2);
    }

    #[test]
    fn an_order_past_a_limit_is_refused_naming_the_field() {
        let request = |lines: Vec<pb::SalesOrderLineInput>| pb::CreateSalesOrderRequest {
            request_id: "r-1".into(),
            customer: Some(pb::PartnerSelector {
                selector: Some(pb::partner_selector::Selector::Email("a@b.c".into())),
            }),
            lines,
            ..Default::default()
        };
        let many = vec![line("E-COM11", "1"); MAX_LINES + 1];
        assert_eq!(fields(&sales_order_draft(&request(many)).expect_err("too many lines")), ["lines"]);
        let long = request(vec![line(&"X".repeat(100_000), "1_000")]);
        assert_eq!(
            fields(&sales_order_draft(&long).expect_err("too long")),
            ["lines[0].sku", "lines[0].quantity.value"]
        );
        let mut euros = line("E-COM11", "1");
        euros.unit_price = Some(common::Money { currency_code: "€".into(), units: 1, nanos: 1 });
        assert_eq!(
            fields(&sales_order_draft(&request(vec![euros])).expect_err("bad price")),
            ["lines[0].unit_price.currency_code", "lines[0].unit_price.nanos"]
        );
    }

    #[test]
    fn an_acknowledged_line_id_must_be_a_postgres_integer() {
        let ack = |line_id| pb::AcknowledgePurchaseOrderRequest {
            request_id: "r-1".into(),
            name: "purchaseOrders/9999999999".into(),
            lines: vec![pb::LineAcknowledgement { line_id, confirmed_quantity: None, confirmed_time: None }],
        };
        assert_eq!(
            fields(&acknowledgement(&ack(9_999_999_999)).expect_err("beyond int4")),
            ["name", "lines[0].line_id"]
        );
        assert_eq!(fields(&acknowledgement(&ack(0)).expect_err("no id")), ["name", "lines[0].line_id"]);
    }

    proptest! {
        /// Whatever text a caller puts in whichever field of an order, the answer is either a
        /// draft or an error naming fields that fits what a gRPC client accepts.
        #[test]
        fn any_text_in_any_field_of_an_order_gets_a_small_error(
            text in any::<String>(),
            repeat in 1usize..3000,
            field in 0usize..13,
        ) {
            let text = text.repeat(repeat);
            let mut l = line("E-COM11", "1");
            let mut request = pb::CreateSalesOrderRequest {
                request_id: "r-1".into(),
                customer: Some(pb::PartnerSelector {
                    selector: Some(pb::partner_selector::Selector::Email("a@b.c".into())),
                }),
                ..Default::default()
            };
            let address = common::Address { street: text.clone(), ..Default::default() };
            match field {
                0 => l.sku.clone_from(&text),
                1 => l.quantity = Some(common::Quantity { value: text.clone(), unit_of_measure: String::new() }),
                2 => l.quantity = Some(common::Quantity { value: "1".into(), unit_of_measure: text.clone() }),
                3 => l.discount_percent.clone_from(&text),
                4 => l.unit_price = Some(common::Money { currency_code: text.clone(), units: 1, nanos: 0 }),
                5 => request.customer = Some(pb::PartnerSelector {
                    selector: Some(pb::partner_selector::Selector::Email(text.clone())),
                }),
                6 => request.customer = Some(pb::PartnerSelector {
                    selector: Some(pb::partner_selector::Selector::Partner(text.clone())),
                }),
                7 => request.warehouse.clone_from(&text),
                8 => request.note.clone_from(&text),
                9 => request.customer_reference.clone_from(&text),
                10 => request.request_id.clone_from(&text),
                11 => request.delivery_address = Some(address),
                _ => request.invoice_address.clone_from(&text),
            }
            request.lines = vec![l; 1 + repeat % 3];
            if let Err(error) = sales_order_draft(&request) {
                prop_assert!(!fields(&error).is_empty());
                let status = tonic::Status::from(error);
                prop_assert!(header_bytes(&status) < MAX_ERROR_HEADERS, "{} bytes", header_bytes(&status));
            }
        }
    }

    #[test]
    fn a_price_keeps_the_currency_the_caller_named() {
        let mut checks = Checks::default();
        let euros = common::Money { currency_code: "eur".into(), units: 12, nanos: 500_000_000 };
        assert_eq!(checks.price("p", Some(&euros)), (Some(Decimal::new(125, 1)), Some("EUR".to_owned())));
        assert_eq!(checks.count(), 0);
    }
}
