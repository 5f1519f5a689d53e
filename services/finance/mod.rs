//! FinanceService: invoices, payments, credit notes, supplier bills and customer balances. Handlers
//! only convert, call the adapter's finance flow, and map its errors; every write is audited and
//! counted.

pub(crate) mod convert;

use std::sync::Arc;

use odoo_adapter::{
    Finance,
    models::{Amount, Captured, Invoice, InvoiceKind},
};
use tonic::{Request, Response, Status};

use crate::{
    ApiError, TokenKey,
    audit::{AuditLog, Pending},
    authz::{self, Caller},
    backends::Backends,
    edge::token::PageToken,
    proto::finance::v1::{self as pb, finance_service_server::FinanceService},
    stream::Stream,
    watch::Watch,
};

/// The gRPC face of finance.
pub struct FinanceApi {
    backends: Arc<Backends>,
    audit: Arc<AuditLog>,
    watch: Watch<Invoice>,
    tokens: TokenKey,
}

impl FinanceApi {
    pub fn new(backends: Arc<Backends>, audit: Arc<AuditLog>, watch: Watch<Invoice>, tokens: TokenKey) -> Self {
        Self { backends, audit, watch, tokens }
    }

    /// The finance of the Odoo user acting for this caller.
    fn finance(&self, caller: &Caller) -> &Finance {
        &self.backends.for_caller(caller).finance
    }

    /// Starts the audit record of a mutating call.
    fn audit<T>(&self, request: &Request<T>, method: &'static str, request_id: &str) -> Pending {
        let model = self.finance(&authz::caller(request)).odoo_model();
        self.audit.begin(request, method, Some(request_id), model)
    }
}

/// The counter name of an invoice's kind.
fn kind_label(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::CustomerInvoice => "customer_invoice",
        InvoiceKind::CustomerCreditNote => "customer_credit_note",
        InvoiceKind::SupplierBill => "supplier_bill",
        InvoiceKind::SupplierRefund => "supplier_refund",
        InvoiceKind::Other => "other",
    }
}

/// Counts what a command did, unless it replayed an earlier call (then it counts a duplicate
/// prevented).
fn counted(captured: &Captured<impl Sized>, method: &'static str, count: impl FnOnce()) {
    if captured.replayed {
        metrics::counter!("odoo_mesh_finance_duplicates_prevented_total", "method" => method).increment(1);
    } else {
        count();
    }
}

fn invoices_counted(name: &'static str, invoices: &[Invoice]) {
    for invoice in invoices {
        metrics::counter!(name, "kind" => kind_label(invoice.kind)).increment(1);
    }
}

/// An amount for a counter of money: exact decimals do not fit a counter, so the figure is
/// approximate there and exact in Odoo and in answers.
fn as_counted(amount: &Amount) -> f64 {
    amount.value.to_string().parse().unwrap_or_default()
}

/// The invoice a command answers with, or an empty one naming it when reading it back failed.
fn captured_invoice(captured: &Captured<Invoice>) -> pb::Invoice {
    captured.record.as_ref().map_or_else(
        || pb::Invoice { name: format!("invoices/{}", captured.id), id: captured.id, ..Default::default() },
        convert::invoice,
    )
}

#[tonic::async_trait]
impl FinanceService for FinanceApi {
    type WatchInvoicesStream = Stream<pb::WatchInvoicesResponse>;

    async fn watch_invoices(
        &self,
        request: Request<pb::WatchInvoicesRequest>,
    ) -> Result<Response<Self::WatchInvoicesStream>, Status> {
        let (kind, partner, opening) = convert::invoice_watch(request.into_inner())?;
        let keep = move |invoice: &Invoice| {
            kind.is_none_or(|k| invoice.kind == k)
                && partner.is_none_or(|p| invoice.partner.as_ref().is_some_and(|r| r.id == p))
        };
        let stream = self.watch.open(opening, keep, convert::watch_event).await?;
        Ok(Response::new(Box::pin(stream)))
    }

    async fn create_invoice(
        &self,
        request: Request<pb::CreateInvoiceRequest>,
    ) -> Result<Response<pb::CreateInvoiceResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "CreateInvoice", &request.get_ref().request_id);
        audit
            .around(async {
                let (request_id, orders, what, post) = convert::invoicing(request.get_ref())?;
                let captured = self
                    .finance(&caller)
                    .invoice(orders, what, post, &request_id, caller.name())
                    .await
                    .map_err(ApiError::from)?;
                let invoices = captured.record.clone().unwrap_or_default();
                counted(&captured, "CreateInvoice", || {
                    invoices_counted("odoo_mesh_invoices_created_total", &invoices);
                    if post {
                        invoices_counted("odoo_mesh_invoices_posted_total", &invoices);
                    }
                });
                let ids = match invoices.is_empty() {
                    true => vec![captured.id],
                    false => invoices.iter().map(|i| i.id).collect(),
                };
                let response = pb::CreateInvoiceResponse {
                    invoices: invoices.iter().map(convert::invoice).collect(),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), ids, captured.replayed))
            })
            .await
    }

    async fn post_invoice(
        &self,
        request: Request<pb::PostInvoiceRequest>,
    ) -> Result<Response<pb::PostInvoiceResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "PostInvoice", &request.get_ref().request_id);
        audit
            .around(async {
                let (request_id, invoice) = convert::posting(request.get_ref())?;
                let captured =
                    self.finance(&caller).post(invoice, &request_id, caller.name()).await.map_err(ApiError::from)?;
                counted(&captured, "PostInvoice", || {
                    invoices_counted("odoo_mesh_invoices_posted_total", captured.record.as_slice());
                });
                let response = pb::PostInvoiceResponse {
                    invoice: Some(captured_invoice(&captured)),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    async fn get_invoice(
        &self,
        request: Request<pb::GetInvoiceRequest>,
    ) -> Result<Response<pb::GetInvoiceResponse>, Status> {
        let id = convert::invoice_name("name", &request.get_ref().name)?;
        let invoice = self.finance(&authz::caller(&request)).get(id).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::GetInvoiceResponse { invoice: Some(convert::invoice(&invoice)) }))
    }

    async fn list_invoices(
        &self,
        request: Request<pb::ListInvoicesRequest>,
    ) -> Result<Response<pb::ListInvoicesResponse>, Status> {
        let (query, filters) = convert::invoice_query(request.get_ref(), &self.tokens)?;
        let page = self.finance(&authz::caller(&request)).list(&query).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ListInvoicesResponse {
            next_page_token: PageToken::next(&self.tokens, page.more, page.last_id, &filters),
            invoices: page.items.iter().map(convert::invoice).collect(),
        }))
    }

    async fn register_payment(
        &self,
        request: Request<pb::RegisterPaymentRequest>,
    ) -> Result<Response<pb::RegisterPaymentResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "RegisterPayment", &request.get_ref().request_id);
        audit
            .around(async {
                let (request_id, draft) = convert::payment(request.get_ref())?;
                let invoice_ids = draft.invoices.clone();
                let captured =
                    self.finance(&caller).pay(draft, &request_id, caller.name()).await.map_err(ApiError::from)?;
                counted(&captured, "RegisterPayment", || {
                    metrics::counter!("odoo_mesh_payments_registered_total").increment(1);
                    if let Some((payment, _)) = &captured.record {
                        let currency = payment.amount.currency.clone();
                        metrics::counter!("odoo_mesh_payment_amount_total", "currency" => currency)
                            .increment(as_counted(&payment.amount).round() as u64);
                    }
                });
                let (payment, invoices) = match &captured.record {
                    Some((payment, invoices)) => {
                        (Some(convert::payment_message(payment)), invoices.iter().map(convert::invoice).collect())
                    }
                    None => (
                        Some(pb::Payment {
                            name: format!("payments/{}", captured.id),
                            id: captured.id,
                            ..Default::default()
                        }),
                        Vec::new(),
                    ),
                };
                let response = pb::RegisterPaymentResponse {
                    payment,
                    invoices,
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                let ids = std::iter::once(captured.id).chain(invoice_ids).collect();
                Ok((Response::new(response), ids, captured.replayed))
            })
            .await
    }

    async fn create_credit_note(
        &self,
        request: Request<pb::CreateCreditNoteRequest>,
    ) -> Result<Response<pb::CreateCreditNoteResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "CreateCreditNote", &request.get_ref().request_id);
        audit
            .around(async {
                let (request_id, draft) = convert::credit_note(request.get_ref())?;
                let captured = self
                    .finance(&caller)
                    .credit_note(draft, &request_id, caller.name())
                    .await
                    .map_err(ApiError::from)?;
                counted(&captured, "CreateCreditNote", || {
                    metrics::counter!("odoo_mesh_credit_notes_created_total").increment(1);
                });
                let response = pb::CreateCreditNoteResponse {
                    credit_note: Some(captured_invoice(&captured)),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    async fn create_supplier_bill(
        &self,
        request: Request<pb::CreateSupplierBillRequest>,
    ) -> Result<Response<pb::CreateSupplierBillResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "CreateSupplierBill", &request.get_ref().request_id);
        audit
            .around(async {
                let (request_id, order, reference, date) = convert::bill(request.get_ref())?;
                let captured = self
                    .finance(&caller)
                    .bill(order, reference, date, &request_id, caller.name())
                    .await
                    .map_err(ApiError::from)?;
                counted(&captured, "CreateSupplierBill", || {
                    invoices_counted("odoo_mesh_invoices_created_total", captured.record.as_slice());
                });
                let response = pb::CreateSupplierBillResponse {
                    bill: Some(captured_invoice(&captured)),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    async fn get_customer_balance(
        &self,
        request: Request<pb::GetCustomerBalanceRequest>,
    ) -> Result<Response<pb::GetCustomerBalanceResponse>, Status> {
        let customer = convert::customer(request.get_ref())?;
        let balance = self.finance(&authz::caller(&request)).balance(customer).await.map_err(ApiError::from)?;
        Ok(Response::new(convert::balance(&balance)))
    }
}
