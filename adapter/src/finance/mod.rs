//! Invoices, bills, credit notes and payments as Odoo holds them (`account.move`, its lines,
//! `account.payment`), read in a fixed number of calls for any number of documents, every amount
//! exact and rounded as its currency says; and a customer's balance. What changes them is in
//! `invoicing`, `posting`, `payments`, `credit_notes` and `bills`, each a command of the one
//! idempotent mechanism.

mod bills;
mod credit_notes;
mod invoicing;
mod payments;
mod posting;

use std::{collections::HashMap, sync::Arc};

use rust_decimal::Decimal;
use serde_json::{Map, json};
use time::OffsetDateTime;

pub use self::{credit_notes::CreditNoteDraft, payments::PaymentDraft};
pub use crate::odoo::sale_invoicing::Invoicing;
use crate::{
    OdooError, SearchOptions,
    command::{self, FlowError},
    models::{Balance, Captured, Invoice, InvoiceQuery, Page, Payment},
    odoo::{Capability, Decoded, Odoo, Record, Schema, account_move, account_payment, billing, partner, sale_order},
};

/// Finance over one Odoo user's connection.
#[derive(Debug)]
pub struct Finance {
    odoo: Arc<Odoo>,
}

impl Finance {
    pub fn new(odoo: Arc<Odoo>) -> Self {
        Self { odoo }
    }

    /// The Odoo model invoices are records of, for audit records.
    pub fn odoo_model(&self) -> &'static str {
        account_move::MOVE.name
    }

    /// One invoice, bill or credit note; one that cannot be decoded is refused, naming what to
    /// correct in Odoo.
    pub async fn get(&self, id: i64) -> Result<Invoice, FlowError> {
        let schema = self.odoo.ready(Capability::Finance).await?;
        one(&self.odoo, &schema, id).await
    }

    /// One page of invoices by ascending id; one that cannot be decoded is left out of it, and
    /// the next page starts after it all the same.
    pub async fn list(&self, query: &InvoiceQuery) -> Result<Page<Invoice>, FlowError> {
        let schema = self.odoo.ready(Capability::Finance).await?;
        let domain = account_move::page_domain(&schema, query, today());
        let (rows, more) =
            self.odoo.page(&schema, account_move::MOVE, domain, account_move::FIELDS, query.limit).await?;
        let invoices = read(&self.odoo, &schema, &rows).await?;
        Ok(Page { items: invoices.items, more, last_id: invoices.last_id })
    }

    /// The invoices with these ids that exist and can be decoded.
    pub async fn by_id(&self, ids: &[i64]) -> Result<Vec<Invoice>, OdooError> {
        let schema = self.odoo.ready(Capability::Finance).await?;
        let rows = self.odoo.read(&schema, account_move::MOVE, ids, account_move::FIELDS).await?;
        Ok(read(&self.odoo, &schema, &rows).await?.items)
    }

    /// Invoices changed since `since`, by id (what a watch polls).
    pub async fn changed_since(&self, since: OffsetDateTime) -> Result<Vec<Invoice>, OdooError> {
        let schema = self.odoo.ready(Capability::Finance).await?;
        let query = InvoiceQuery { updated_since: Some(since), ..InvoiceQuery::default() };
        let domain = account_move::page_domain(&schema, &query, today());
        let options = SearchOptions::ordered("id").in_background();
        let rows =
            self.odoo.search(&schema, account_move::MOVE, domain, account_move::FIELDS, &options, Map::new()).await?;
        Ok(read(&self.odoo, &schema, &rows).await?.items)
    }

    /// A customer's open balance, overdue part, credit limit and orders not invoiced yet, in the
    /// company's currency.
    pub async fn balance(&self, customer: i64) -> Result<Balance, FlowError> {
        let schema = self.odoo.ready(Capability::Finance).await?;
        let odoo = &self.odoo;
        let overdue_domain = {
            let mut domain = vec![
                schema.term(&account_move::PARTNER, "=", customer),
                schema.term(&account_move::KIND, "in", json!(["out_invoice", "out_refund"])),
            ];
            domain.extend(account_move::overdue(&schema, today()));
            serde_json::Value::Array(domain)
        };
        let fields = [account_move::RESIDUAL_SIGNED];
        let options = SearchOptions::default();
        let (credit, overdue, uninvoiced, company) = futures::try_join!(
            partner::credit(odoo, &schema, customer),
            odoo.search(&schema, account_move::MOVE, overdue_domain, &fields, &options, Map::new()),
            sale_order::to_invoice_of(odoo, &schema, customer),
            odoo.company_currency(),
        )?;
        let credit = credit.ok_or_else(|| FlowError::NotFound(format!("partners/{customer}")))?;
        let currencies = odoo.currencies(&[company.id]).await?;
        let mut overdue_total = Decimal::ZERO;
        for row in &overdue {
            overdue_total += crate::odoo::Row::new(account_move::MOVE, row)?.decimal(&account_move::RESIDUAL_SIGNED)?;
        }
        let in_company: Decimal = uninvoiced.iter().filter(|(c, _)| *c == company.id).map(|(_, a)| *a).sum();
        Ok(Balance {
            customer: credit.customer,
            receivable: currencies.amount(credit.receivable, company.id),
            overdue: currencies.amount(overdue_total, company.id),
            credit_limit: credit.limit.map(|limit| currencies.amount(limit, company.id)),
            uninvoiced: currencies.amount(in_company, company.id),
        })
    }

    /// Invoices what sales orders have to invoice (or a down payment on them), once per
    /// request id; posted in the same call when asked.
    pub async fn invoice(
        &self,
        orders: Vec<i64>,
        what: Invoicing,
        post: bool,
        request_id: &str,
        scope: &str,
    ) -> Result<Captured<Vec<Invoice>>, FlowError> {
        command::run(&self.odoo, invoicing::CreateInvoice { orders, what, post }, request_id, scope).await
    }

    /// Posts a draft invoice, bill or credit note, once per request id.
    pub async fn post(&self, invoice: i64, request_id: &str, scope: &str) -> Result<Captured<Invoice>, FlowError> {
        command::run(&self.odoo, posting::PostInvoice { invoice }, request_id, scope).await
    }

    /// Registers a payment of posted invoices, once per request id.
    pub async fn pay(
        &self,
        payment: PaymentDraft,
        request_id: &str,
        scope: &str,
    ) -> Result<Captured<(Payment, Vec<Invoice>)>, FlowError> {
        command::run(&self.odoo, payment, request_id, scope).await
    }

    /// Reverses a posted invoice in full or in part, once per request id.
    pub async fn credit_note(
        &self,
        draft: CreditNoteDraft,
        request_id: &str,
        scope: &str,
    ) -> Result<Captured<Invoice>, FlowError> {
        command::run(&self.odoo, draft, request_id, scope).await
    }

    /// Bills what a purchase order received and was not billed for, once per request id.
    pub async fn bill(
        &self,
        purchase_order: i64,
        supplier_reference: Option<String>,
        bill_date: Option<time::Date>,
        request_id: &str,
        scope: &str,
    ) -> Result<Captured<Invoice>, FlowError> {
        let command = bills::CreateSupplierBill { purchase_order, supplier_reference, bill_date };
        command::run(&self.odoo, command, request_id, scope).await
    }
}

/// Today in UTC, as Odoo's `fields.Date.today()`.
fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// One invoice by id, on a schema already at hand.
pub(crate) async fn one(odoo: &Odoo, schema: &Schema, id: i64) -> Result<Invoice, FlowError> {
    let rows = odoo.read(schema, account_move::MOVE, &[id], account_move::FIELDS).await?;
    read(odoo, schema, &rows).await?.single()?.ok_or_else(|| FlowError::NotFound(format!("invoices/{id}")))
}

/// Invoices by id, in that order, on a schema already at hand.
pub(crate) async fn several(odoo: &Odoo, schema: &Schema, ids: &[i64]) -> Result<Vec<Invoice>, FlowError> {
    let rows = odoo.read(schema, account_move::MOVE, ids, account_move::FIELDS).await?;
    let mut found = read(odoo, schema, &rows).await?.items;
    found.sort_by_key(|i| ids.iter().position(|id| *id == i.id));
    Ok(found)
}

/// Invoices from their rows, with their lines, taxes, payments and orders: six reads however many
/// there are. One whose header or one of whose lines cannot be decoded is left out (an invoice
/// missing a line would be a wrong one).
async fn read(odoo: &Odoo, schema: &Schema, rows: &[Record]) -> Result<Decoded<Invoice>, OdooError> {
    let currencies = odoo.currencies(&account_move::currencies_of(schema, rows)).await?;
    let headers = odoo.decode_each(account_move::MOVE, rows, |row| account_move::decode(row, &currencies))?;
    let ids: Vec<i64> = headers.items.iter().map(|i| i.id).collect();
    let line_ids: Vec<i64> = headers.items.iter().flat_map(|i| i.line_ids.iter().copied()).collect();
    let payment_ids: Vec<i64> = headers.items.iter().flat_map(|i| i.payment_ids.iter().copied()).collect();
    // Each line with its invoice and the invoice's currency, which is the line's.
    let owner: HashMap<i64, (i64, i64)> =
        headers.items.iter().flat_map(|i| i.line_ids.iter().map(|l| (*l, (i.id, i.currency_id)))).collect();
    let (lines, payments, sales, purchases) = futures::try_join!(
        odoo.read(schema, account_move::LINE, &line_ids, account_move::LINE_FIELDS),
        odoo.read(schema, account_payment::PAYMENT, &payment_ids, account_payment::FIELDS),
        billing::SALES.of_invoices(odoo, schema, &ids),
        billing::PURCHASES.of_invoices(odoo, schema, &ids),
    )?;
    let lines = odoo.decode_each(account_move::LINE, &lines, |row| match owner.get(&row.id()) {
        Some((invoice, currency)) => account_move::decode_line(row, &currencies.amounts_in(*currency))
            .map_err(|e| e.part_of(account_move::MOVE.name, *invoice)),
        None => Ok(None),
    })?;
    let tax_ids: Vec<i64> = lines.items.iter().flatten().flat_map(|(_, taxes)| taxes.iter().copied()).collect();
    let taxes: HashMap<i64, String> = tax_names(odoo, schema, &tax_ids).await?;
    let payments =
        odoo.decode_each(account_payment::PAYMENT, &payments, |row| account_payment::decode(row, &currencies))?;
    let payments: HashMap<i64, Payment> = payments.items.into_iter().map(|p| (p.id, p)).collect();
    let unreadable_lines = lines.unreadable.clone();
    let by_id: HashMap<i64, _> = lines
        .items
        .into_iter()
        .flatten()
        .map(|(mut line, tax_ids)| {
            line.taxes = tax_ids.iter().filter_map(|t| taxes.get(t).cloned()).collect();
            (line.id, line)
        })
        .collect();
    let invoices = headers.map(|mut invoice| {
        invoice.lines = invoice.line_ids.iter().filter_map(|id| by_id.get(id).cloned()).collect();
        invoice.payments = invoice.payment_ids.iter().filter_map(|id| payments.get(id).cloned()).collect();
        invoice.sales_orders = sales.get(&invoice.id).cloned().unwrap_or_default();
        invoice.purchase_orders = purchases.get(&invoice.id).cloned().unwrap_or_default();
        invoice
    });
    Ok(invoices.without_unreadable_parts(&unreadable_lines, |i| i.id))
}

/// The names of these taxes.
async fn tax_names(odoo: &Odoo, schema: &Schema, ids: &[i64]) -> Result<HashMap<i64, String>, OdooError> {
    let rows = odoo.read(schema, account_move::TAX, ids, account_move::TAX_FIELDS).await?;
    let mut names = HashMap::new();
    for r in &rows {
        let row = crate::odoo::Row::new(account_move::TAX, r)?;
        names.insert(row.id(), row.text(&account_move::TAX_NAME)?.unwrap_or_default().to_owned());
    }
    Ok(names)
}
