//! Entry points for the fuzz targets (`fuzz/`, crate `odoo-mesh-fuzz`) into what parses outside
//! input: each service's request conversions, page tokens, the mapping of Odoo's errors to gRPC
//! statuses. Thin wrappers over crate-private code, so that code stays private; not an API.

use std::fmt::Debug;

use odoo_adapter::OdooError;
use prost::Message;
use tonic::Status;

use crate::{
    ApiError, TokenKey,
    convert::watch_opening,
    edge::token::PageToken,
    finance::convert as finance,
    inventory::{ProductRef, StockQuery, StockWatchQuery, convert as inventory},
    order::convert as order,
    proto::{finance::v1 as fpb, inventory::v1 as ipb, order::v1 as opb, shipment::v1 as spb},
    shipment::convert as shipment,
    watch::{Opening, token::ResumeToken},
};

/// What a request became: its domain value (as `Debug` text) or the status the caller gets.
pub type Converted = Result<String, Status>;

/// One RPC's request conversion: protobuf bytes in; `None` when they are no such message.
#[derive(Clone, Copy)]
pub struct Conversion {
    /// `package.Service/Method`.
    pub rpc: &'static str,
    pub convert: fn(&[u8]) -> Option<Converted>,
}

/// The token key the conversions of list requests check page tokens with.
pub fn token_key() -> TokenKey {
    crate::edge::token::test_key()
}

/// A page token for the page after `after_id` of the listing with `filters`.
pub fn page_token(key: &TokenKey, after_id: i64, filters: &str) -> String {
    PageToken::encode(key, after_id, filters)
}

/// A page token read back: the id the page starts after, or the status a caller gets.
pub fn open_page_token(key: &TokenKey, token: &str, filters: &str) -> Result<i64, Status> {
    PageToken::decode(key, token, filters).map_err(|v| Status::from(ApiError::from(v)))
}

/// The status a caller gets for an error of Odoo's.
pub fn odoo_error_status(error: OdooError) -> Status {
    ApiError::from(error).into()
}

/// A watch's opening as its stream takes it: a resume token must be one of that stream's.
fn resumed(opening: &Opening, stream: &str) -> Result<(), ApiError> {
    match opening {
        Opening::Resume(text) => ResumeToken::open(text, &token_key(), stream)
            .map(drop)
            .map_err(|e| crate::error::FieldViolation::new("resume_token", e.to_string()).into()),
        Opening::Now | Opening::Snapshot => Ok(()),
    }
}

fn run<M: Message + Default, T: Debug, E: Into<ApiError>>(
    bytes: &[u8],
    convert: impl FnOnce(M) -> Result<T, E>,
) -> Option<Converted> {
    let request = M::decode(bytes).ok()?;
    Some(convert(request).map(|value| format!("{value:?}")).map_err(|e| Status::from(e.into())))
}

macro_rules! conversions {
    ($($rpc:literal: $message:ty => $convert:expr;)*) => {
        /// Every RPC's request conversion, as its handler runs it.
        pub const CONVERSIONS: &[Conversion] = &[$(Conversion { rpc: $rpc, convert: |b| run::<$message, _, _>(b, $convert) }),*];
    };
}

conversions! {
    "odoomesh.inventory.v1.InventoryService/ListWarehouses": ipb::ListWarehousesRequest => |_| Ok::<_, ApiError>(());
    "odoomesh.inventory.v1.InventoryService/ListLocations": ipb::ListLocationsRequest => |r| inventory::optional_warehouse(&r.warehouse);
    "odoomesh.inventory.v1.InventoryService/ListProducts": ipb::ListProductsRequest => |r| inventory::product_query(&r, &token_key());
    "odoomesh.inventory.v1.InventoryService/GetProduct": ipb::GetProductRequest => ProductRef::try_from;
    "odoomesh.inventory.v1.InventoryService/GetStockLevels": ipb::GetStockLevelsRequest => StockQuery::try_from;
    "odoomesh.inventory.v1.InventoryService/AdjustInventory": ipb::AdjustInventoryRequest => |r| inventory::adjustment(&r);
    "odoomesh.inventory.v1.InventoryService/WatchStockLevels": ipb::WatchStockLevelsRequest => |r| {
        StockWatchQuery::try_from(r).and_then(|q| resumed(&q.opening, "stock").map(|()| q))
    };
    "odoomesh.order.v1.OrderService/CreateSalesOrder": opb::CreateSalesOrderRequest => |r| order::sales_order_draft(&r);
    "odoomesh.order.v1.OrderService/GetSalesOrder": opb::GetSalesOrderRequest => |r| order::sales_order_name(&r.name);
    "odoomesh.order.v1.OrderService/ListSalesOrders": opb::ListSalesOrdersRequest => |r| order::sales_order_query(&r, &token_key());
    "odoomesh.order.v1.OrderService/ConfirmSalesOrder": opb::ConfirmSalesOrderRequest => |r| order::sales_order_name(&r.name);
    "odoomesh.order.v1.OrderService/CancelSalesOrder": opb::CancelSalesOrderRequest => |r| order::cancellation(&r);
    "odoomesh.order.v1.OrderService/WatchSalesOrders": opb::WatchSalesOrdersRequest => |r| {
        let opening = watch_opening(r.resume_token, r.send_initial).map_err(ApiError::from)?;
        resumed(&opening, "sales_orders").map(|()| opening)
    };
    "odoomesh.order.v1.OrderService/CreatePurchaseOrder": opb::CreatePurchaseOrderRequest => |r| order::purchase_order_draft(&r);
    "odoomesh.order.v1.OrderService/GetPurchaseOrder": opb::GetPurchaseOrderRequest => |r| order::purchase_order_name(&r.name);
    "odoomesh.order.v1.OrderService/ListPurchaseOrders": opb::ListPurchaseOrdersRequest => |r| order::purchase_order_query(&r, &token_key());
    "odoomesh.order.v1.OrderService/ConfirmPurchaseOrder": opb::ConfirmPurchaseOrderRequest => |r| order::purchase_order_name(&r.name);
    "odoomesh.order.v1.OrderService/AcknowledgePurchaseOrder": opb::AcknowledgePurchaseOrderRequest => |r| order::acknowledgement(&r);
    "odoomesh.shipment.v1.ShipmentService/ListShipments": spb::ListShipmentsRequest => |r| shipment::shipment_query(&r, &token_key());
    "odoomesh.shipment.v1.ShipmentService/GetShipment": spb::GetShipmentRequest => |r| shipment::shipment_name("name", &r.name);
    "odoomesh.shipment.v1.ShipmentService/ValidateShipment": spb::ValidateShipmentRequest => |r| shipment::validation(&r);
    "odoomesh.shipment.v1.ShipmentService/SetTracking": spb::SetTrackingRequest => |r| shipment::tracking(&r);
    "odoomesh.shipment.v1.ShipmentService/RecordTrackingEvent": spb::RecordTrackingEventRequest => |r| shipment::tracking_event(&r);
    "odoomesh.shipment.v1.ShipmentService/CreateReturn": spb::CreateReturnRequest => |r| shipment::return_request(&r);
    "odoomesh.shipment.v1.ShipmentService/RecordAdvanceShippingNotice": spb::RecordAdvanceShippingNoticeRequest => |r| shipment::notice(&r);
    "odoomesh.shipment.v1.ShipmentService/WatchShipments": spb::WatchShipmentsRequest => |r| {
        let opening = watch_opening(r.resume_token.clone(), r.send_initial).map_err(ApiError::from)?;
        resumed(&opening, "shipments").map(|()| (shipment::kind_filter(r.kind()), opening))
    };
    "odoomesh.finance.v1.FinanceService/CreateInvoice": fpb::CreateInvoiceRequest => |r| finance::invoicing(&r);
    "odoomesh.finance.v1.FinanceService/PostInvoice": fpb::PostInvoiceRequest => |r| finance::posting(&r);
    "odoomesh.finance.v1.FinanceService/GetInvoice": fpb::GetInvoiceRequest => |r| finance::invoice_name("name", &r.name);
    "odoomesh.finance.v1.FinanceService/ListInvoices": fpb::ListInvoicesRequest => |r| finance::invoice_query(&r, &token_key());
    "odoomesh.finance.v1.FinanceService/RegisterPayment": fpb::RegisterPaymentRequest => |r| finance::payment(&r);
    "odoomesh.finance.v1.FinanceService/CreateCreditNote": fpb::CreateCreditNoteRequest => |r| finance::credit_note(&r);
    "odoomesh.finance.v1.FinanceService/CreateSupplierBill": fpb::CreateSupplierBillRequest => |r| finance::bill(&r);
    "odoomesh.finance.v1.FinanceService/GetCustomerBalance": fpb::GetCustomerBalanceRequest => |r| finance::customer(&r);
    "odoomesh.finance.v1.FinanceService/WatchInvoices": fpb::WatchInvoicesRequest => |r| {
        finance::invoice_watch(r).and_then(|watch| resumed(&watch.2, "invoices").map(|()| watch))
    };
}
