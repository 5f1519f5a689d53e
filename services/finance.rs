//! FinanceService: invoices, payments, credit notes, supplier bills and balances. The contract is
//! complete; the implementation comes in a later release.

use crate::{
    proto::finance::v1::{self as pb, finance_service_server::FinanceService},
    unavailable::unavailable_service,
};

/// The gRPC face of finance.
pub struct FinanceApi;

unavailable_service! {
    impl FinanceService for FinanceApi;
    rpc create_invoice(pb::CreateInvoiceRequest) -> pb::CreateInvoiceResponse => "CreateInvoice", "invoicing";
    rpc post_invoice(pb::PostInvoiceRequest) -> pb::PostInvoiceResponse => "PostInvoice", "invoicing";
    rpc get_invoice(pb::GetInvoiceRequest) -> pb::GetInvoiceResponse => "GetInvoice", "invoicing";
    rpc list_invoices(pb::ListInvoicesRequest) -> pb::ListInvoicesResponse => "ListInvoices", "invoicing";
    rpc register_payment(pb::RegisterPaymentRequest) -> pb::RegisterPaymentResponse => "RegisterPayment", "payments";
    rpc create_credit_note(pb::CreateCreditNoteRequest) -> pb::CreateCreditNoteResponse => "CreateCreditNote", "credit notes";
    rpc create_supplier_bill(pb::CreateSupplierBillRequest) -> pb::CreateSupplierBillResponse => "CreateSupplierBill", "supplier bills";
    rpc get_customer_balance(pb::GetCustomerBalanceRequest) -> pb::GetCustomerBalanceResponse => "GetCustomerBalance", "customer balances";
}
