//! The models the simulator knows: their fields, default order, and access rules. A small slice of
//! Odoo's data model, with the field names, types and flags the recordings show.

use std::collections::BTreeMap;

use serde_json::json;

/// The type of a field, as `fields_get` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldType {
    Char,
    Text,
    Integer,
    Float,
    Monetary,
    Boolean,
    Selection(&'static [(&'static str, &'static str)]),
    Date,
    Datetime,
    Many2one(&'static str),
    One2many(&'static str, &'static str),
    Many2many(&'static str),
}

impl FieldType {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Char => "char",
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Float => "float",
            Self::Monetary => "monetary",
            Self::Boolean => "boolean",
            Self::Selection(_) => "selection",
            Self::Date => "date",
            Self::Datetime => "datetime",
            Self::Many2one(_) => "many2one",
            Self::One2many(..) => "one2many",
            Self::Many2many(_) => "many2many",
        }
    }

    pub(crate) fn relation(&self) -> Option<&'static str> {
        match self {
            Self::Many2one(m) | Self::One2many(m, _) | Self::Many2many(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn is_x2many(&self) -> bool {
        matches!(self, Self::One2many(..) | Self::Many2many(_))
    }
}

/// One field of a model.
#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub(crate) name: &'static str,
    pub(crate) ftype: FieldType,
    pub(crate) string: &'static str,
    /// Stored in the database (false for computed fields such as `qty_available`).
    pub(crate) store: bool,
    pub(crate) readonly: bool,
    pub(crate) required: bool,
    /// Translatable: reads honour the `lang` context key.
    pub(crate) translate: bool,
}

/// One model.
#[derive(Debug, Clone)]
pub(crate) struct ModelDef {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) fields: BTreeMap<&'static str, FieldDef>,
    /// Default `order` of searches (Odoo's `_order`).
    pub(crate) order: &'static str,
    /// The many2one that forms the hierarchy `child_of` walks (Odoo's `_parent_name`).
    pub(crate) parent_field: Option<&'static str>,
    /// Readable by a user without business groups.
    pub(crate) public_read: bool,
    /// Values `create` fills in when the caller leaves a field out (Odoo's field defaults).
    pub(crate) defaults: BTreeMap<&'static str, serde_json::Value>,
}

impl ModelDef {
    pub(crate) fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.get(name)
    }

    pub(crate) fn has_active(&self) -> bool {
        self.fields.contains_key("active")
    }
}

struct ModelBuilder(ModelDef);

impl ModelBuilder {
    fn new(name: &'static str, description: &'static str, order: &'static str) -> Self {
        let mut b = Self(ModelDef {
            name,
            description,
            fields: BTreeMap::new(),
            order,
            parent_field: None,
            public_read: false,
            defaults: BTreeMap::new(),
        });
        b = b.computed("id", FieldType::Integer, "ID");
        b = b.computed("display_name", FieldType::Char, "Display Name");
        b = b.stored("create_date", FieldType::Datetime, "Created on");
        b.stored("write_date", FieldType::Datetime, "Last Updated on")
    }

    fn add(mut self, name: &'static str, ftype: FieldType, string: &'static str, store: bool) -> Self {
        let readonly = !store || matches!(name, "create_date" | "write_date");
        self.0
            .fields
            .insert(name, FieldDef { name, ftype, string, store, readonly, required: false, translate: false });
        self
    }

    fn stored(self, name: &'static str, ftype: FieldType, string: &'static str) -> Self {
        self.add(name, ftype, string, true)
    }

    fn computed(self, name: &'static str, ftype: FieldType, string: &'static str) -> Self {
        self.add(name, ftype, string, false)
    }

    fn required(mut self, name: &'static str) -> Self {
        if let Some(f) = self.0.fields.get_mut(name) {
            f.required = true;
        }
        self
    }

    fn translated(mut self, name: &'static str) -> Self {
        if let Some(f) = self.0.fields.get_mut(name) {
            f.translate = true;
        }
        self
    }

    /// A computed field Odoo stores (for example `stock.location.warehouse_id`): searchable, not writable.
    fn stored_computed(mut self, name: &'static str, ftype: FieldType, string: &'static str) -> Self {
        self = self.add(name, ftype, string, false);
        if let Some(f) = self.0.fields.get_mut(name) {
            f.store = true;
        }
        self
    }

    fn parent(mut self, field: &'static str) -> Self {
        self.0.parent_field = Some(field);
        self
    }

    fn default(mut self, field: &'static str, value: serde_json::Value) -> Self {
        self.0.defaults.insert(field, value);
        self
    }

    fn public(mut self) -> Self {
        self.0.public_read = true;
        self
    }
}

use FieldType::{
    Boolean, Char, Date, Datetime, Float, Integer, Many2many, Many2one, Monetary, One2many, Selection, Text,
};

const LOCATION_USAGE: &[(&str, &str)] = &[
    ("supplier", "Vendor"),
    ("view", "View"),
    ("internal", "Internal Location"),
    ("customer", "Customer"),
    ("inventory", "Inventory Loss"),
    ("production", "Production"),
    ("transit", "Transit Location"),
];
const MOVE_STATE: &[(&str, &str)] = &[
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
];
const PRODUCT_TYPE: &[(&str, &str)] = &[("consu", "Goods"), ("service", "Service"), ("combo", "Combo")];
const RECEPTION_STEPS: &[(&str, &str)] = &[
    ("one_step", "Receive and Store (1 step)"),
    ("two_steps", "Receive then Store (2 steps)"),
    ("three_steps", "Receive, Quality Control, then Store (3 steps)"),
];
const DELIVERY_STEPS: &[(&str, &str)] = &[
    ("ship_only", "Deliver (1 step)"),
    ("pick_ship", "Pick then Deliver (2 steps)"),
    ("pick_pack_ship", "Pick, Pack, then Deliver (3 steps)"),
];
const PICKING_CODE: &[(&str, &str)] =
    &[("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer")];
const ORDER_STATE: &[(&str, &str)] =
    &[("draft", "Quotation"), ("sent", "Quotation Sent"), ("sale", "Sales Order"), ("cancel", "Cancelled")];
const PURCHASE_STATE: &[(&str, &str)] = &[
    ("draft", "RFQ"),
    ("sent", "RFQ Sent"),
    ("to approve", "To Approve"),
    ("purchase", "Purchase Order"),
    ("done", "Locked"),
    ("cancel", "Cancelled"),
];
const PICKING_STATE: &[(&str, &str)] = &[
    ("draft", "Draft"),
    ("waiting", "Waiting Another Operation"),
    ("confirmed", "Waiting"),
    ("assigned", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
];
const DELIVERY_STATUS: &[(&str, &str)] = &[
    ("pending", "Not Delivered"),
    ("started", "Started"),
    ("partial", "Partially Delivered"),
    ("full", "Fully Delivered"),
];
const INVOICE_STATUS: &[(&str, &str)] = &[
    ("upselling", "Upselling Opportunity"),
    ("invoiced", "Fully Invoiced"),
    ("to invoice", "To Invoice"),
    ("no", "Nothing to Invoice"),
];
const RECEIPT_STATUS: &[(&str, &str)] =
    &[("pending", "Not Received"), ("partial", "Partially Received"), ("full", "Fully Received")];
const PURCHASE_INVOICE_STATUS: &[(&str, &str)] =
    &[("no", "Nothing to Bill"), ("to invoice", "Waiting Bills"), ("invoiced", "Fully Billed")];
const TAX_USE: &[(&str, &str)] = &[("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")];

/// Every model the simulator serves, by name.
/// What a server action does (Odoo 18's `ir.actions.server.state`).
const SERVER_ACTION_STATES: &[(&str, &str)] = &[
    ("object_write", "Update Record"),
    ("next_activity", "Create Activity"),
    ("mail_post", "Send Email"),
    ("sms", "Send SMS"),
    ("followers", "Add Followers"),
    ("remove_followers", "Remove Followers"),
    ("object_create", "Create Record"),
    ("code", "Execute Code"),
    ("webhook", "Send Webhook Notification"),
    ("multi", "Execute Existing Actions"),
];

pub(crate) fn models() -> BTreeMap<&'static str, ModelDef> {
    let list = vec![
        ModelBuilder::new("res.company", "Companies", "sequence, name")
            .stored("name", Char, "Company Name")
            .stored("partner_id", Many2one("res.partner"), "Partner")
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .stored("sequence", Integer, "Sequence")
            .public(),
        ModelBuilder::new("res.currency", "Currency", "active desc, name")
            .stored("name", Char, "Currency")
            .stored("symbol", Char, "Symbol")
            .stored("rounding", Float, "Rounding Factor")
            .stored("decimal_places", Integer, "Decimal Places")
            .stored("active", Boolean, "Active")
            .public(),
        ModelBuilder::new("res.users", "User", "name, login")
            .stored("name", Char, "Name")
            .stored("login", Char, "Login")
            .required("login")
            .stored("password", Char, "Password")
            .stored("partner_id", Many2one("res.partner"), "Related Partner")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("company_ids", Many2many("res.company"), "Companies")
            .stored("groups_id", Many2many("res.groups"), "Groups")
            .stored("lang", Char, "Language")
            .stored("tz", Char, "Timezone")
            .stored("share", Boolean, "Share User")
            .stored("active", Boolean, "Active")
            .public(),
        ModelBuilder::new("res.groups", "Access Groups", "name")
            .stored("name", Char, "Name")
            .translated("name")
            .public(),
        ModelBuilder::new("res.partner", "Contact", "complete_name ASC, id DESC")
            .stored("name", Char, "Name")
            .stored("complete_name", Char, "Complete Name")
            .stored("ref", Char, "Reference")
            .stored("vat", Char, "Tax ID")
            .stored("email", Char, "Email")
            .stored("phone", Char, "Phone")
            .stored("street", Char, "Street")
            .stored("street2", Char, "Street2")
            .stored("city", Char, "City")
            .stored("zip", Char, "Zip")
            .stored("country_code", Char, "Country Code")
            .stored("country_id", Many2one("res.country"), "Country")
            .stored("property_payment_term_id", Many2one("account.payment.term"), "Customer Payment Terms")
            .stored("property_account_position_id", Many2one("account.fiscal.position"), "Fiscal Position")
            .computed("commercial_partner_id", Many2one("res.partner"), "Commercial Entity")
            .stored("is_company", Boolean, "Is a Company")
            .stored(
                "type",
                Selection(&[
                    ("contact", "Contact"),
                    ("invoice", "Invoice Address"),
                    ("delivery", "Delivery Address"),
                    ("other", "Other Address"),
                ]),
                "Address Type",
            )
            .stored("parent_id", Many2one("res.partner"), "Related Company")
            .stored("child_ids", One2many("res.partner", "parent_id"), "Contact")
            .stored("customer_rank", Integer, "Customer Rank")
            .stored("supplier_rank", Integer, "Supplier Rank")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("property_product_pricelist", Many2one("product.pricelist"), "Pricelist")
            .stored("credit_limit", Float, "Credit Limit")
            .stored("comment", Text, "Notes")
            .stored("active", Boolean, "Active")
            .required("name")
            .default("type", json!("contact"))
            .parent("parent_id")
            .public(),
        ModelBuilder::new("uom.category", "Product UoM Categories", "name")
            .stored("name", Char, "Unit of Measure Category")
            .public(),
        ModelBuilder::new("uom.uom", "Product Unit of Measure", "factor DESC, id")
            .stored("name", Char, "Unit of Measure")
            .translated("name")
            .stored("category_id", Many2one("uom.category"), "Category")
            .stored("rounding", Float, "Rounding Precision")
            .stored("factor", Float, "Ratio")
            .stored(
                "uom_type",
                Selection(&[
                    ("bigger", "Bigger than the reference Unit of Measure"),
                    ("reference", "Reference Unit of Measure for this category"),
                    ("smaller", "Smaller than the reference Unit of Measure"),
                ]),
                "Type",
            )
            .stored("active", Boolean, "Active")
            .public(),
        ModelBuilder::new("product.category", "Product Category", "complete_name")
            .stored("name", Char, "Name")
            .stored("complete_name", Char, "Complete Name")
            .stored("parent_id", Many2one("product.category"), "Parent Category")
            .parent("parent_id")
            .public(),
        ModelBuilder::new("product.product", "Product Variant", "default_code, name, id")
            .stored("name", Char, "Name")
            .translated("name")
            .required("name")
            .stored("default_code", Char, "Internal Reference")
            .stored("barcode", Char, "Barcode")
            .stored("list_price", Float, "Sales Price")
            .stored("standard_price", Float, "Cost")
            .stored("uom_id", Many2one("uom.uom"), "Unit")
            .stored("uom_po_id", Many2one("uom.uom"), "Purchase Unit")
            .stored("categ_id", Many2one("product.category"), "Product Category")
            .stored("type", Selection(PRODUCT_TYPE), "Product Type")
            .stored("is_storable", Boolean, "Track Inventory")
            .stored("sale_ok", Boolean, "Can be Sold")
            .stored("purchase_ok", Boolean, "Can be Purchased")
            .stored(
                "invoice_policy",
                Selection(&[("order", "Ordered quantities"), ("delivery", "Delivered quantities")]),
                "Invoicing Policy",
            )
            .stored("taxes_id", Many2many("account.tax"), "Sales Taxes")
            .stored("supplier_taxes_id", Many2many("account.tax"), "Purchase Taxes")
            .stored("weight", Float, "Weight")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("active", Boolean, "Active")
            .computed("qty_available", Float, "Quantity On Hand")
            .computed("virtual_available", Float, "Forecasted Quantity")
            .computed("free_qty", Float, "Free To Use Quantity ")
            .computed("incoming_qty", Float, "Incoming")
            .computed("outgoing_qty", Float, "Outgoing")
            .default("uom_id", json!(1))
            .default("uom_po_id", json!(1))
            .default("categ_id", json!(1))
            .default("type", json!("consu"))
            .default("is_storable", json!(false))
            .default("sale_ok", json!(true))
            .default("purchase_ok", json!(true))
            .default("list_price", json!(1.0))
            .default("invoice_policy", json!("order"))
            .public(),
        ModelBuilder::new("product.pricelist", "Pricelist", "sequence asc, id asc")
            .stored("name", Char, "Pricelist Name")
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence")
            .stored("item_ids", One2many("product.pricelist.item", "pricelist_id"), "Pricelist Rules")
            .stored("active", Boolean, "Active")
            .public(),
        ModelBuilder::new("product.pricelist.item", "Pricelist Rule", "applied_on, min_quantity desc, id desc")
            .stored("pricelist_id", Many2one("product.pricelist"), "Pricelist")
            .stored(
                "applied_on",
                Selection(&[
                    ("3_global", "All Products"),
                    ("2_product_category", "Product Category"),
                    ("1_product", "Product"),
                    ("0_product_variant", "Product Variant"),
                ]),
                "Apply On",
            )
            .stored("product_id", Many2one("product.product"), "Product Variant")
            .stored("min_quantity", Float, "Min. Quantity")
            .stored(
                "compute_price",
                Selection(&[("fixed", "Fixed Price"), ("percentage", "Discount"), ("formula", "Formula")]),
                "Computation",
            )
            .stored("fixed_price", Float, "Fixed Price")
            .stored("percent_price", Float, "Percentage Price")
            .public(),
        ModelBuilder::new("account.tax", "Tax", "sequence,id")
            .stored("name", Char, "Tax Name")
            .stored("amount", Float, "Amount")
            .stored(
                "amount_type",
                Selection(&[("percent", "Percentage of Price"), ("fixed", "Fixed")]),
                "Tax Computation",
            )
            .stored("type_tax_use", Selection(TAX_USE), "Tax Type")
            .stored("price_include", Boolean, "Included in Price")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active")
            .public(),
        ModelBuilder::new("stock.warehouse", "Warehouse", "sequence,id")
            .stored("name", Char, "Warehouse")
            .stored("code", Char, "Short Name")
            .required("name")
            .required("code")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("partner_id", Many2one("res.partner"), "Address")
            .stored("view_location_id", Many2one("stock.location"), "View Location")
            .stored("lot_stock_id", Many2one("stock.location"), "Location Stock")
            .stored("wh_input_stock_loc_id", Many2one("stock.location"), "Input Location")
            .stored("wh_output_stock_loc_id", Many2one("stock.location"), "Output Location")
            .stored("in_type_id", Many2one("stock.picking.type"), "In Type")
            .stored("out_type_id", Many2one("stock.picking.type"), "Out Type")
            .stored("reception_steps", Selection(RECEPTION_STEPS), "Incoming Shipments")
            .stored("delivery_steps", Selection(DELIVERY_STEPS), "Outgoing Shipments")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active")
            .default("reception_steps", json!("one_step"))
            .default("delivery_steps", json!("ship_only"))
            .public(),
        ModelBuilder::new("stock.location", "Inventory Locations", "complete_name, id")
            .stored("name", Char, "Location Name")
            .stored_computed("complete_name", Char, "Full Location Name")
            .stored("usage", Selection(LOCATION_USAGE), "Location Type")
            .stored("location_id", Many2one("stock.location"), "Parent Location")
            .default("usage", json!("internal"))
            .stored("child_ids", One2many("stock.location", "location_id"), "Contains")
            .stored_computed("warehouse_id", Many2one("stock.warehouse"), "Warehouse")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("barcode", Char, "Barcode")
            .stored("active", Boolean, "Active")
            .parent("location_id")
            .public(),
        ModelBuilder::new("stock.picking.type", "Picking Type", "sequence, id")
            .stored("name", Char, "Operation Type")
            .stored("code", Selection(PICKING_CODE), "Type of Operation")
            .stored("sequence_code", Char, "Sequence Prefix")
            .stored("warehouse_id", Many2one("stock.warehouse"), "Warehouse")
            .stored("default_location_src_id", Many2one("stock.location"), "Default Source Location")
            .stored("default_location_dest_id", Many2one("stock.location"), "Default Destination Location")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active"),
        ModelBuilder::new("stock.quant", "Quants", "id")
            .stored("product_id", Many2one("product.product"), "Product")
            .stored("location_id", Many2one("stock.location"), "Location")
            .stored("quantity", Float, "Quantity")
            .stored("reserved_quantity", Float, "Reserved Quantity")
            .computed("available_quantity", Float, "Available Quantity")
            .stored("inventory_quantity", Float, "Counted Quantity")
            .stored("inventory_diff_quantity", Float, "Difference")
            .stored("inventory_quantity_set", Boolean, "Inventory Quantity Set")
            .stored("user_id", Many2one("res.users"), "Assigned To")
            .stored("inventory_date", Date, "Scheduled Date")
            .stored("lot_id", Many2one("stock.lot"), "Lot/Serial Number")
            .stored("package_id", Many2one("stock.quant.package"), "Package")
            .stored("owner_id", Many2one("res.partner"), "Owner")
            .stored("company_id", Many2one("res.company"), "Company")
            .public(),
        ModelBuilder::new("stock.lot", "Lot/Serial", "name, id").stored("name", Char, "Lot/Serial Number"),
        ModelBuilder::new("stock.quant.package", "Packages", "name").stored("name", Char, "Package Reference"),
        ModelBuilder::new("stock.move", "Stock Move", "sequence, id")
            .stored("reference", Char, "Reference")
            .stored("name", Char, "Description")
            .stored("product_id", Many2one("product.product"), "Product")
            .stored("product_uom_qty", Float, "Demand")
            .stored_computed("product_qty", Float, "Real Quantity")
            .stored("quantity", Float, "Quantity")
            .stored("product_uom", Many2one("uom.uom"), "Unit")
            .stored("picked", Boolean, "Picked")
            .stored("is_inventory", Boolean, "Inventory")
            .stored("state", Selection(MOVE_STATE), "Status")
            .stored("location_id", Many2one("stock.location"), "Source Location")
            .stored("location_dest_id", Many2one("stock.location"), "Destination Location")
            .stored("picking_id", Many2one("stock.picking"), "Transfer")
            .stored("picking_type_id", Many2one("stock.picking.type"), "Operation Type")
            .stored("partner_id", Many2one("res.partner"), "Destination Address ")
            .stored("sale_line_id", Many2one("sale.order.line"), "Sale Line")
            .stored("purchase_line_id", Many2one("purchase.order.line"), "Purchase Order Line")
            .stored("move_line_ids", One2many("stock.move.line", "move_id"), "Move Lines")
            .stored("date", Datetime, "Date Scheduled")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence"),
        ModelBuilder::new("stock.move.line", "Product Moves (Stock Move Line)", "result_package_id desc, id")
            .stored("move_id", Many2one("stock.move"), "Stock Operation")
            .stored("picking_id", Many2one("stock.picking"), "Transfer")
            .stored("product_id", Many2one("product.product"), "Product")
            .stored("location_id", Many2one("stock.location"), "From")
            .stored("location_dest_id", Many2one("stock.location"), "To")
            .stored("quantity", Float, "Quantity")
            .stored("result_package_id", Many2one("stock.quant.package"), "Destination Package"),
        ModelBuilder::new("stock.picking", "Transfer", "priority desc, scheduled_date asc, id desc")
            .stored("name", Char, "Reference")
            .stored("state", Selection(PICKING_STATE), "Status")
            .stored("picking_type_id", Many2one("stock.picking.type"), "Operation Type")
            .computed("picking_type_code", Selection(PICKING_CODE), "Type of Operation")
            .stored("partner_id", Many2one("res.partner"), "Contact")
            .stored("origin", Char, "Source Document")
            .stored("location_id", Many2one("stock.location"), "Source Location")
            .stored("location_dest_id", Many2one("stock.location"), "Destination Location")
            .stored("move_ids", One2many("stock.move", "picking_id"), "Stock Moves")
            .stored("scheduled_date", Datetime, "Scheduled Date")
            .stored("date_deadline", Datetime, "Deadline")
            .stored("date_done", Datetime, "Date of Transfer")
            .stored("priority", Selection(&[("0", "Normal"), ("1", "Urgent")]), "Priority")
            .stored("sale_id", Many2one("sale.order"), "Sales Order")
            .stored("purchase_id", Many2one("purchase.order"), "Purchase Orders")
            .stored("backorder_id", Many2one("stock.picking"), "Back Order of")
            .stored("return_id", Many2one("stock.picking"), "Return of")
            .stored("carrier_id", Many2one("delivery.carrier"), "Carrier")
            .stored("carrier_tracking_ref", Char, "Tracking Reference")
            .stored("company_id", Many2one("res.company"), "Company"),
        ModelBuilder::new("delivery.carrier", "Shipping Methods", "sequence, id")
            .stored("name", Char, "Delivery Method")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active")
            .public(),
        ModelBuilder::new("account.payment.term", "Payment Terms", "sequence, id")
            .stored("name", Char, "Payment Terms")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active")
            .public(),
        ModelBuilder::new("account.fiscal.position", "Fiscal Position", "sequence")
            .stored("name", Char, "Fiscal Position")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active")
            .public(),
        ModelBuilder::new("res.country", "Country", "name")
            .stored("name", Char, "Country Name")
            .translated("name")
            .stored("code", Char, "Country Code")
            .public(),
        ModelBuilder::new("ir.model.data", "Model Data", "module, model, name")
            .stored("module", Char, "Module")
            .stored("name", Char, "External Identifier")
            .computed("complete_name", Char, "Complete ID")
            .stored("model", Char, "Model Name")
            .stored("res_id", Integer, "Record ID")
            .stored("noupdate", Boolean, "Non Updatable")
            .required("module")
            .required("name")
            .required("model"),
        ModelBuilder::new("ir.model", "Models", "model")
            .stored("model", Char, "Model")
            .stored("name", Char, "Model Description")
            .required("model"),
        ModelBuilder::new("ir.model.fields", "Fields", "name")
            .stored("name", Char, "Field Name")
            .stored("model", Char, "Model Name")
            .stored("model_id", Many2one("ir.model"), "Model")
            .stored("field_description", Char, "Field Label")
            .required("name"),
        ModelBuilder::new("ir.actions.server", "Server Actions", "sequence, name")
            .stored("name", Char, "Action Name")
            .stored("model_id", Many2one("ir.model"), "Model")
            .stored("state", Selection(SERVER_ACTION_STATES), "Type")
            .stored(
                "usage",
                Selection(&[("ir_actions_server", "Server Action"), ("base_automation", "Automation Rule")]),
                "Usage",
            )
            .stored("webhook_url", Char, "Webhook URL")
            .stored("webhook_field_ids", Many2many("ir.model.fields"), "Webhook Fields")
            .computed("webhook_sample_payload", Text, "Sample Payload")
            .stored("base_automation_id", Many2one("base.automation"), "Automation Rule")
            .stored("sequence", Integer, "Sequence")
            .default("state", json!("object_write"))
            .default("usage", json!("ir_actions_server"))
            .required("name"),
        ModelBuilder::new("base.automation", "Automation Rule", "sequence, id")
            .stored("name", Char, "Automation Rule Name")
            .stored("model_id", Many2one("ir.model"), "Model")
            .stored(
                "trigger",
                Selection(&[
                    ("on_create_or_write", "On create and edit"),
                    ("on_create", "On create"),
                    ("on_write", "On save"),
                    ("on_unlink", "On deletion"),
                ]),
                "Trigger",
            )
            .stored("trigger_field_ids", Many2many("ir.model.fields"), "Trigger Fields")
            .stored("filter_domain", Char, "Apply on")
            .stored("action_server_ids", One2many("ir.actions.server", "base_automation_id"), "Actions")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active")
            .required("name")
            .required("model_id")
            .required("trigger"),
        ModelBuilder::new("mail.message", "Message", "id desc")
            .stored("model", Char, "Related Document Model")
            .stored("res_id", Integer, "Related Document ID")
            .stored("body", Text, "Contents")
            .stored(
                "message_type",
                Selection(&[("comment", "Comment"), ("notification", "System notification")]),
                "Type",
            )
            .stored("author_id", Many2one("res.partner"), "Author"),
        ModelBuilder::new("sale.order", "Sales Order", "date_order desc, id desc")
            .stored("name", Char, "Order Reference")
            .stored("partner_id", Many2one("res.partner"), "Customer")
            .stored("partner_invoice_id", Many2one("res.partner"), "Invoice Address")
            .stored("partner_shipping_id", Many2one("res.partner"), "Delivery Address")
            .stored("client_order_ref", Char, "Customer Reference")
            .stored("origin", Char, "Source Document")
            .stored("state", Selection(ORDER_STATE), "Status")
            .stored("locked", Boolean, "Locked")
            .stored("date_order", Datetime, "Order Date")
            .stored("commitment_date", Datetime, "Delivery Date")
            .stored("pricelist_id", Many2one("product.pricelist"), "Pricelist")
            .computed("currency_id", Many2one("res.currency"), "Currency")
            .stored("warehouse_id", Many2one("stock.warehouse"), "Warehouse")
            .stored("order_line", One2many("sale.order.line", "order_id"), "Order Lines")
            .computed("picking_ids", One2many("stock.picking", "sale_id"), "Transfers")
            .computed("invoice_ids", Many2many("account.move"), "Invoices")
            .computed("amount_untaxed", Monetary, "Untaxed Amount")
            .computed("amount_tax", Monetary, "Taxes")
            .computed("amount_total", Monetary, "Total")
            .computed("delivery_status", Selection(DELIVERY_STATUS), "Delivery Status")
            .computed("invoice_status", Selection(INVOICE_STATUS), "Invoice Status")
            .stored("note", Text, "Terms and conditions")
            .stored("company_id", Many2one("res.company"), "Company")
            .required("partner_id")
            .default("state", json!("draft"))
            .default("warehouse_id", json!(1))
            .default("company_id", json!(1))
            .default("locked", json!(false)),
        ModelBuilder::new("sale.order.line", "Sales Order Line", "order_id, sequence, id")
            .stored("order_id", Many2one("sale.order"), "Order Reference")
            .stored("sequence", Integer, "Sequence")
            .stored("name", Text, "Description")
            .stored("product_id", Many2one("product.product"), "Product")
            .stored("product_uom_qty", Float, "Quantity")
            .stored("product_uom", Many2one("uom.uom"), "Unit")
            .stored("price_unit", Float, "Unit Price")
            .stored("discount", Float, "Discount (%)")
            .stored("tax_id", Many2many("account.tax"), "Taxes")
            .computed("price_subtotal", Monetary, "Subtotal")
            .computed("price_tax", Float, "Total Tax")
            .computed("price_total", Monetary, "Total")
            .computed("qty_delivered", Float, "Delivery Quantity")
            .stored("qty_invoiced", Float, "Invoiced Quantity")
            .computed("qty_to_invoice", Float, "Quantity To Invoice")
            .stored("customer_lead", Float, "Lead Time")
            .computed("state", Selection(ORDER_STATE), "Order Status")
            .required("order_id")
            .required("product_id")
            .default("product_uom_qty", json!(1.0)),
        ModelBuilder::new("purchase.order", "Purchase Order", "priority desc, id desc")
            .stored("name", Char, "Order Reference")
            .stored("partner_id", Many2one("res.partner"), "Vendor")
            .stored("partner_ref", Char, "Vendor Reference")
            .stored("origin", Char, "Source Document")
            .stored("state", Selection(PURCHASE_STATE), "Status")
            .stored("priority", Selection(&[("0", "Normal"), ("1", "Urgent")]), "Priority")
            .stored("date_order", Datetime, "Order Deadline")
            .stored("date_approve", Datetime, "Confirmation Date")
            .computed("date_planned", Datetime, "Expected Arrival")
            .stored("picking_type_id", Many2one("stock.picking.type"), "Deliver To")
            .stored("order_line", One2many("purchase.order.line", "order_id"), "Order Lines")
            .computed("picking_ids", One2many("stock.picking", "purchase_id"), "Receptions")
            .computed("incoming_picking_count", Integer, "Incoming Shipment count")
            .computed("currency_id", Many2one("res.currency"), "Currency")
            .computed("amount_untaxed", Monetary, "Untaxed Amount")
            .computed("amount_tax", Monetary, "Taxes")
            .computed("amount_total", Monetary, "Total")
            .computed("receipt_status", Selection(RECEIPT_STATUS), "Receipt Status")
            .computed("invoice_status", Selection(PURCHASE_INVOICE_STATUS), "Billing Status")
            .stored("mail_reminder_confirmed", Boolean, "Reminder Confirmed")
            .stored("notes", Text, "Terms and Conditions")
            .stored("company_id", Many2one("res.company"), "Company")
            .required("partner_id")
            .default("state", json!("draft"))
            .default("picking_type_id", json!(1))
            .default("company_id", json!(1))
            .default("priority", json!("0")),
        ModelBuilder::new("purchase.order.line", "Purchase Order Line", "order_id, sequence, id")
            .stored("order_id", Many2one("purchase.order"), "Order Reference")
            .stored("sequence", Integer, "Sequence")
            .stored("name", Text, "Description")
            .stored("product_id", Many2one("product.product"), "Product")
            .stored("product_qty", Float, "Quantity")
            .stored("product_uom", Many2one("uom.uom"), "Unit")
            .stored("price_unit", Float, "Unit Price")
            .stored("taxes_id", Many2many("account.tax"), "Taxes")
            .stored("date_planned", Datetime, "Expected Arrival")
            .computed("price_subtotal", Monetary, "Subtotal")
            .computed("price_total", Monetary, "Total")
            .computed("qty_received", Float, "Received Qty")
            .stored("qty_invoiced", Float, "Billed Qty")
            .computed("qty_to_invoice", Float, "To Invoice Quantity")
            .computed("state", Selection(PURCHASE_STATE), "Status")
            .required("order_id")
            .required("product_id")
            .default("product_qty", json!(1.0)),
        ModelBuilder::new("account.move", "Journal Entry", "date desc, name desc, id desc")
            .stored("name", Char, "Number")
            .stored("partner_id", Many2one("res.partner"), "Partner")
            .stored("date", Date, "Date")
            .stored("company_id", Many2one("res.company"), "Company"),
    ];
    list.into_iter().map(|b| (b.0.name, b.0)).collect()
}
