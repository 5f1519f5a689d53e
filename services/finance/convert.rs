//! FinanceService's protobuf edge: requests become validated domain values (every bad field
//! reported at once), invoices and payments become messages.

use odoo_adapter::{
    finance::{CreditNoteDraft, Invoicing, PaymentDraft},
    models::{Amount, Balance, Invoice, InvoiceKind, InvoiceLine, InvoiceQuery, InvoiceState, Payment, PaymentState},
};
use time::{Date, OffsetDateTime};

use crate::{
    ApiError,
    convert::{money, quantity, record_event, record_ref, resource_name, timestamp, watch_opening},
    edge::{
        checks::Checks,
        decimal,
        id::parse_resource_name,
        limits::{self, MAX_ITEMS, MAX_LINES},
        token::TokenKey,
    },
    proto::finance::v1 as pb,
    watch::{Event, Opening},
};

/// Orders one CreateInvoice may invoice together.
const MAX_ORDERS: usize = 100;

const KINDS: [(pb::InvoiceKind, InvoiceKind); 4] = [
    (pb::InvoiceKind::CustomerInvoice, InvoiceKind::CustomerInvoice),
    (pb::InvoiceKind::CustomerCreditNote, InvoiceKind::CustomerCreditNote),
    (pb::InvoiceKind::SupplierBill, InvoiceKind::SupplierBill),
    (pb::InvoiceKind::SupplierRefund, InvoiceKind::SupplierRefund),
];

const STATES: [(pb::InvoiceState, InvoiceState); 3] = [
    (pb::InvoiceState::Draft, InvoiceState::Draft),
    (pb::InvoiceState::Posted, InvoiceState::Posted),
    (pb::InvoiceState::Cancelled, InvoiceState::Cancelled),
];

const PAYMENT_STATES: [(pb::PaymentState, PaymentState); 5] = [
    (pb::PaymentState::NotPaid, PaymentState::NotPaid),
    (pb::PaymentState::Partial, PaymentState::Partial),
    (pb::PaymentState::InPayment, PaymentState::InPayment),
    (pb::PaymentState::Paid, PaymentState::Paid),
    (pb::PaymentState::Reversed, PaymentState::Reversed),
];

/// The proto value of a domain value, by a table of pairs; `unspecified` for one it lacks.
fn to_proto<P: Copy, D: PartialEq + Copy>(table: &[(P, D)], value: D, unspecified: P) -> P {
    table.iter().find(|(_, d)| *d == value).map_or(unspecified, |(p, _)| *p)
}

/// The domain value of a proto value given as `i32`; `Err` for an unknown or unspecified one.
fn from_proto<P: Copy + Into<i32>, D: Copy>(table: &[(P, D)], value: i32) -> Result<D, ()> {
    table.iter().find(|(p, _)| (*p).into() == value).map(|(_, d)| *d).ok_or(())
}

pub(crate) fn invoice_name(field: &str, name: &str) -> Result<i64, ApiError> {
    Ok(parse_resource_name(field, name, "invoices")?)
}

/// A validated CreateInvoice: request id, orders, what to invoice, whether to post.
pub(crate) fn invoicing(request: &pb::CreateInvoiceRequest) -> Result<(String, Vec<i64>, Invoicing, bool), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    if request.sales_orders.is_empty() {
        checks.fail("sales_orders", "at least one sales order is required");
    }
    let mut orders = Vec::new();
    if checks.items("sales_orders", request.sales_orders.len(), MAX_ORDERS) {
        for (i, name) in request.sales_orders.iter().enumerate() {
            let field = format!("sales_orders[{i}]");
            if let Some(id) = checks.take(parse_resource_name(&field, name, "salesOrders")) {
                if orders.contains(&id) {
                    checks.fail(field, "is given twice");
                }
                orders.push(id);
            }
        }
    }
    let what = match request.down_payment.as_ref().and_then(|d| d.amount.as_ref()) {
        None => Invoicing::Due,
        Some(pb::down_payment::Amount::Percentage(text)) => {
            let field = "down_payment.percentage";
            match checks.take(decimal::percent(field, text)) {
                Some(p) if p.is_zero() => {
                    checks.fail(field, "must be above 0");
                    Invoicing::Due
                }
                Some(p) => Invoicing::DownPaymentPercent(p),
                None => Invoicing::Due,
            }
        }
        Some(pb::down_payment::Amount::Fixed(amount)) => match checks.money("down_payment.fixed", amount) {
            Some((value, _)) if value.is_zero() => {
                checks.fail("down_payment.fixed", "must be above 0");
                Invoicing::Due
            }
            Some((value, _)) => Invoicing::DownPaymentFixed(value),
            None => Invoicing::Due,
        },
    };
    checks.finish((request_id, orders, what, request.post))
}

/// A validated PostInvoice: request id and invoice.
pub(crate) fn posting(request: &pb::PostInvoiceRequest) -> Result<(String, i64), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let invoice = checks.take(parse_resource_name("name", &request.name, "invoices"));
    checks.finish(())?;
    Ok((request_id, invoice.unwrap_or_default()))
}

/// A validated RegisterPayment: request id and payment.
pub(crate) fn payment(request: &pb::RegisterPaymentRequest) -> Result<(String, PaymentDraft), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    if request.invoices.is_empty() {
        checks.fail("invoices", "at least one invoice is required");
    }
    let mut invoices = Vec::new();
    if checks.items("invoices", request.invoices.len(), MAX_ITEMS) {
        for (i, name) in request.invoices.iter().enumerate() {
            let field = format!("invoices[{i}]");
            if let Some(id) = checks.take(parse_resource_name(&field, name, "invoices")) {
                if invoices.contains(&id) {
                    checks.fail(field, "is given twice");
                }
                invoices.push(id);
            }
        }
    }
    let amount = request.amount.as_ref().and_then(|m| checks.money("amount", m));
    if amount.as_ref().is_some_and(|(value, _)| value.is_zero()) {
        checks.fail("amount", "must be above 0; leave it unset to pay everything due");
    }
    let date = match checks.date("payment_date", &request.payment_date) {
        Some(date) => Some(date),
        None => checks.time("payment_time", request.payment_time.as_ref()).map(OffsetDateTime::date),
    };
    let draft = PaymentDraft {
        invoices,
        amount,
        date,
        journal: checks.optional_name("journal", &request.journal, "journals"),
        memo: checks.optional("memo", &request.memo, limits::ORDER_REFERENCE),
    };
    checks.finish((request_id, draft))
}

/// A validated CreateCreditNote: request id and credit note.
pub(crate) fn credit_note(request: &pb::CreateCreditNoteRequest) -> Result<(String, CreditNoteDraft), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let invoice = checks.take(parse_resource_name("invoice", &request.invoice, "invoices")).unwrap_or_default();
    let reason = checks.optional("reason", &request.reason, limits::REASON).unwrap_or_default();
    let mut lines = Vec::new();
    if checks.items("lines", request.lines.len(), MAX_LINES) {
        for (i, line) in request.lines.iter().enumerate() {
            let id = checks.take(crate::edge::id::id(&format!("lines[{i}].line_id"), line.line_id));
            let (quantity, _) = checks.quantity(&format!("lines[{i}].quantity"), line.quantity.as_ref());
            if let Some(id) = id {
                lines.push((id, quantity));
            }
        }
    }
    checks.finish((request_id, CreditNoteDraft { invoice, reason, lines, post: request.post }))
}

/// A validated CreateSupplierBill: request id, purchase order, supplier's number, bill date.
pub(crate) fn bill(
    request: &pb::CreateSupplierBillRequest,
) -> Result<(String, i64, Option<String>, Option<Date>), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let order = checks.take(parse_resource_name("purchase_order", &request.purchase_order, "purchaseOrders"));
    let reference = checks.optional("supplier_reference", &request.supplier_reference, limits::ORDER_REFERENCE);
    let date = checks.date("bill_date", &request.bill_date);
    checks.finish(())?;
    Ok((request_id, order.unwrap_or_default(), reference, date))
}

/// Validates ListInvoices; also returns the filters' text that page tokens are bound to.
pub(crate) fn invoice_query(
    request: &pb::ListInvoicesRequest,
    tokens: &TokenKey,
) -> Result<(InvoiceQuery, String), ApiError> {
    let mut checks = Checks::default();
    let kind = match request.kind {
        0 => None,
        kind => from_proto(&KINDS, kind).map_err(|()| checks.fail("kind", "unknown value")).ok(),
    };
    let mut states = Vec::new();
    for (i, state) in request.states.iter().enumerate() {
        match from_proto(&STATES, *state) {
            Ok(s) => states.push(s),
            Err(()) => checks.fail(format!("states[{i}]"), "unknown value"),
        }
    }
    let mut payment_states = Vec::new();
    for (i, state) in request.payment_states.iter().enumerate() {
        match from_proto(&PAYMENT_STATES, *state) {
            Ok(s) => payment_states.push(s),
            Err(()) => checks.fail(format!("payment_states[{i}]"), "unknown value"),
        }
    }
    let partner = checks.optional_name("partner", &request.partner, "partners");
    let updated_since = checks.time("updated_since", request.updated_since.as_ref());
    let filters = format!(
        "invoices|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
        request.kind, request.states, request.payment_states, partner, request.updated_since, request.overdue
    );
    let (limit, after_id) = checks.page(request.page_size, &request.page_token, &filters, tokens);
    let query = InvoiceQuery {
        after_id,
        limit,
        kind,
        states,
        payment_states,
        partner,
        updated_since,
        overdue: request.overdue,
    };
    checks.finish((query, filters))
}

pub(crate) fn customer(request: &pb::GetCustomerBalanceRequest) -> Result<i64, ApiError> {
    Ok(parse_resource_name("customer", &request.customer, "partners")?)
}

fn date_text(date: Option<Date>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

fn midnight(date: Option<Date>) -> Option<prost_types::Timestamp> {
    date.map(|d| timestamp(d.midnight().assume_utc()))
}

fn optional_money(amount: &Amount) -> Option<crate::proto::common::v1::Money> {
    Some(money(amount))
}

fn line(l: &InvoiceLine) -> pb::InvoiceLine {
    let unit = l.uom.as_ref().map_or("", |u| u.name.as_str());
    pb::InvoiceLine {
        id: l.id,
        product: l.product.as_ref().map(|p| record_ref("products", p)),
        label: l.label.clone(),
        quantity: Some(quantity(l.quantity, unit)),
        unit_price: optional_money(&Amount { value: l.unit_price, currency: l.subtotal.currency.clone() }),
        subtotal: optional_money(&l.subtotal),
        taxes: l.taxes.clone(),
        total: optional_money(&l.total),
        discount: l.discount.normalize().to_string(),
    }
}

pub(super) fn payment_message(p: &Payment) -> pb::Payment {
    pb::Payment {
        name: resource_name("payments", p.id),
        id: p.id,
        number: p.number.clone().unwrap_or_default(),
        amount: optional_money(&p.amount),
        partner: p.partner.as_ref().map(|r| record_ref("partners", r)),
        payment_time: midnight(p.date),
        journal: p.journal.as_ref().map(|j| record_ref("journals", j)),
        memo: p.memo.clone().unwrap_or_default(),
        payment_date: date_text(p.date),
    }
}

pub(super) fn invoice(i: &Invoice) -> pb::Invoice {
    let orders = i
        .sales_orders
        .iter()
        .map(|o| resource_name("salesOrders", *o))
        .chain(i.purchase_orders.iter().map(|o| resource_name("purchaseOrders", *o)))
        .collect();
    pb::Invoice {
        name: resource_name("invoices", i.id),
        id: i.id,
        number: i.number.clone().unwrap_or_default(),
        kind: to_proto(&KINDS, i.kind, pb::InvoiceKind::Unspecified).into(),
        state: to_proto(&STATES, i.state, pb::InvoiceState::Unspecified).into(),
        payment_state: to_proto(&PAYMENT_STATES, i.payment_state, pb::PaymentState::Unspecified).into(),
        partner: i.partner.as_ref().map(|p| record_ref("partners", p)),
        lines: i.lines.iter().map(line).collect(),
        amount_untaxed: optional_money(&i.untaxed),
        amount_tax: optional_money(&i.tax),
        amount_total: optional_money(&i.total),
        amount_residual: optional_money(&i.residual),
        orders,
        reversal_of: i.reversal_of.map(|r| resource_name("invoices", r)).unwrap_or_default(),
        invoice_time: midnight(i.invoice_date),
        due_time: midnight(i.due_date),
        payments: i.payments.iter().map(payment_message).collect(),
        credit_notes: i.credit_notes.iter().map(|c| resource_name("invoices", *c)).collect(),
        reference: i.reference.clone().unwrap_or_default(),
        update_time: i.updated.map(timestamp),
        invoice_date: date_text(i.invoice_date),
        due_date: date_text(i.due_date),
        origin: i.origin.clone().unwrap_or_default(),
    }
}

pub(super) fn balance(b: &Balance) -> pb::GetCustomerBalanceResponse {
    let remaining = b
        .credit_limit
        .as_ref()
        .map(|limit| Amount { value: limit.value - b.receivable.value, currency: limit.currency.clone() });
    pb::GetCustomerBalanceResponse {
        customer: Some(record_ref("partners", &b.customer)),
        balance: optional_money(&b.receivable),
        credit_limit: b.credit_limit.as_ref().map(money),
        uninvoiced_orders: optional_money(&b.uninvoiced),
        over_limit: remaining.as_ref().is_some_and(|r| r.value.is_sign_negative() && !r.value.is_zero()),
        overdue: optional_money(&b.overdue),
        remaining_credit: remaining.as_ref().map(money),
    }
}

/// A validated WatchInvoices: the kind and partner kept, and where the stream opens.
pub(crate) fn invoice_watch(
    request: pb::WatchInvoicesRequest,
) -> Result<(Option<InvoiceKind>, Option<i64>, Opening), ApiError> {
    let mut checks = Checks::default();
    let kind = match request.kind {
        0 => None,
        kind => from_proto(&KINDS, kind).map_err(|()| checks.fail("kind", "unknown value")).ok(),
    };
    let partner = checks.optional_name("partner", &request.partner, "partners");
    // A refused opening stands for `now`: the checks' error is the answer then.
    let opening = checks.take(watch_opening(request.resume_token, request.send_initial)).unwrap_or(Opening::Now);
    checks.finish((kind, partner, opening))
}

/// One invoice watch event as its protobuf message.
pub(super) fn watch_event(event: Event<'_, Invoice>, resume_token: String) -> pb::WatchInvoicesResponse {
    record_event(event, resume_token, invoice, |invoice, revision, resume_token, heartbeat| pb::WatchInvoicesResponse {
        invoice,
        revision,
        resume_token,
        heartbeat,
    })
}
