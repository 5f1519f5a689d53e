//! Demo data of a believable distributor: one company, two warehouses with shelves, 60 products
//! with SKUs, units of measure and stock (on hand, reserved, incoming and outgoing), customers and
//! suppliers, a price list and taxes. Ids of the records the Odoo recordings name (warehouse 1,
//! WH/Stock = 8, FURN_5555 = 44, ...) are kept so recorded requests replay against the seed.

use serde_json::{Value, json};

use crate::{
    models::warehouse::{Operation, link_returns, picking_type},
    orm::{Database, OdooVersion, Row},
};

fn row(pairs: &[(&str, Value)]) -> Row {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// Credentials of a seeded user.
#[derive(Debug, Clone)]
pub struct SeedUser {
    pub login: String,
    pub password: String,
    pub api_key: String,
}

pub(crate) const ADMIN_UID: i64 = 2;
pub(crate) const WAREHOUSE_MAIN: i64 = 1;
pub(crate) const WAREHOUSE_EAST: i64 = 2;
const LOC_VENDORS: i64 = 1;
const LOC_CUSTOMERS: i64 = 2;
const LOC_INVENTORY: i64 = 14;
const LOC_WH_VIEW: i64 = 7;
const LOC_WH_STOCK: i64 = 8;
const LOC_WH_SHELF_2: i64 = 17;
const LOC_WH_SHELF_1: i64 = 18;
const LOC_EAST_VIEW: i64 = 27;
const LOC_EAST_STOCK: i64 = 28;

/// The units the seed's products use, by their ids in each version's data.
#[derive(Debug, Clone, Copy)]
struct Units {
    units: i64,
    dozens: i64,
    kg: i64,
    litre: i64,
    metre: i64,
}

impl Units {
    fn of(version: OdooVersion) -> Self {
        match version {
            OdooVersion::V18 => Self { units: 1, dozens: 2, kg: 3, litre: 4, metre: 5 },
            // Odoo 19's own ids (recording 82).
            OdooVersion::V19 => Self { units: 1, dozens: 3, kg: 16, litre: 13, metre: 9 },
        }
    }
}

/// One product of the seed with its stock: (location, on hand, reserved) quants, pending receipts
/// into WH/Stock and pending deliveries out of WH/Stock.
struct SeedProduct {
    id: i64,
    sku: &'static str,
    name: &'static str,
    price: f64,
    uom: i64,
    quants: Vec<(i64, f64, f64)>,
    incoming: f64,
    outgoing: f64,
}

/// When the seed data was (notionally) written: before any recording's change-poll watermark, so
/// a poll "changed since" sees only what happened after the server started.
const SEED_TIME: &str = "2026-01-05 08:00:00";

pub(crate) fn seed(db: &mut Database, admin: &SeedUser) {
    db.clock = Some(SEED_TIME.to_owned());
    seed_records(db, admin);
    crate::models::ir_model::seed_models(db);
    db.clock = None;
}

fn seed_records(db: &mut Database, admin: &SeedUser) {
    crate::models::currency::seed(db);
    db.insert_raw(
        "res.company",
        1,
        row(&[
            ("name", json!("Northwind Distribution")),
            ("partner_id", json!(1)),
            ("currency_id", json!(1)),
            ("sequence", json!(10)),
            // Delivery SMS on, never asked yet: the first customer delivery to a contact with a
            // phone asks (module `stock_sms`); each version keeps the fields it has.
            // Credit limits off, prices without taxes by default (module `account`).
            ("account_use_credit_limit", json!(false)),
            ("account_price_include", json!("tax_excluded")),
            ("stock_move_sms_validation", json!(true)),
            ("stock_text_confirmation", json!(true)),
            ("stock_confirmation_type", json!("sms")),
            ("has_received_warning_stock_sms", json!(false)),
        ]),
    );
    db.insert_raw("res.groups", 1, row(&[("name", json!("Role / User"))]));
    db.insert_raw("res.groups", 2, row(&[("name", json!("Inventory / Administrator"))]));
    // Countries and payment terms with the ids of Odoo's own data.
    for (id, code, name) in [
        (20, "BE", "Belgium"),
        (38, "CA", "Canada"),
        (57, "DE", "Germany"),
        (75, "FR", "France"),
        (109, "IT", "Italy"),
        (165, "NL", "Netherlands"),
        (233, "US", "United States"),
        (231, "GB", "United Kingdom"),
    ] {
        db.insert_raw("res.country", id, row(&[("name", json!(name)), ("code", json!(code))]));
    }
    crate::models::account::seed(db);
    seed_partners(db);
    db.insert_raw(
        "res.users",
        1,
        row(&[
            ("name", json!("OdooBot")),
            ("login", json!("__system__")),
            ("partner_id", json!(2)),
            ("company_id", json!(1)),
            ("company_ids", json!([1])),
            ("active", json!(false)),
            ("__rights", json!(true)),
        ]),
    );
    db.insert_raw(
        "res.users",
        ADMIN_UID,
        row(&[
            ("name", json!("Mitchell Admin")),
            ("login", json!(admin.login)),
            ("partner_id", json!(3)),
            ("company_id", json!(1)),
            ("company_ids", json!([1])),
            (crate::models::users::groups_field(db.version), json!([1, 2])),
            ("lang", json!("en_US")),
            ("tz", json!("Europe/Brussels")),
            ("share", json!(false)),
            ("__password", json!(admin.password)),
            ("__api_key", json!(admin.api_key)),
            ("__rights", json!(true)),
        ]),
    );
    // Odoo's demo database holds users up to id 7.
    db.tables.entry("res.users").or_default().next_id = 8;

    seed_units(db);
    db.insert_raw("product.category", 1, row(&[("name", json!("All")), ("complete_name", json!("All"))]));
    db.insert_raw(
        "product.category",
        2,
        row(&[
            ("name", json!("Office Furniture")),
            ("complete_name", json!("All / Office Furniture")),
            ("parent_id", json!(1)),
        ]),
    );
    db.insert_raw(
        "product.category",
        3,
        row(&[
            ("name", json!("Warehouse Supplies")),
            ("complete_name", json!("All / Warehouse Supplies")),
            ("parent_id", json!(1)),
        ]),
    );
    db.insert_raw(
        "account.tax",
        1,
        row(&[
            ("name", json!("15%")),
            ("amount", json!(15.0)),
            ("amount_type", json!("percent")),
            ("type_tax_use", json!("sale")),
            ("company_id", json!(1)),
            ("sequence", json!(1)),
        ]),
    );
    db.insert_raw(
        "account.tax",
        2,
        row(&[
            ("name", json!("15% (purchase)")),
            ("amount", json!(15.0)),
            ("amount_type", json!("percent")),
            ("type_tax_use", json!("purchase")),
            ("company_id", json!(1)),
            ("sequence", json!(1)),
        ]),
    );
    // A sales tax included in prices, beside the excluded one: a price of 115 holds 15 of tax.
    db.insert_raw(
        "account.tax",
        3,
        row(&[
            ("name", json!("15% (included)")),
            ("amount", json!(15.0)),
            ("amount_type", json!("percent")),
            ("type_tax_use", json!("sale")),
            ("price_include_override", json!("tax_included")),
            ("company_id", json!(1)),
            ("sequence", json!(1)),
        ]),
    );
    db.insert_raw(
        "product.pricelist",
        1,
        row(&[
            ("name", json!("Public Pricelist")),
            ("currency_id", json!(1)),
            ("company_id", json!(1)),
            ("sequence", json!(1)),
        ]),
    );
    db.insert_raw(
        "product.pricelist",
        2,
        row(&[
            ("name", json!("Wholesale (-10%)")),
            ("currency_id", json!(1)),
            ("company_id", json!(1)),
            ("sequence", json!(2)),
        ]),
    );
    db.insert_raw(
        "product.pricelist.item",
        1,
        row(&[
            ("pricelist_id", json!(2)),
            ("applied_on", json!("3_global")),
            ("min_quantity", json!(0.0)),
            ("compute_price", json!("percentage")),
            ("percent_price", json!(10.0)),
        ]),
    );

    seed_locations(db);
    seed_products(db);
    crate::models::mail::seed_subtypes(db);
    // The shipping method of Odoo's demo data that the recordings name.
    db.insert_raw(
        "delivery.carrier",
        1,
        row(&[("name", json!("Standard delivery")), ("sequence", json!(1)), ("active", json!(true))]),
    );
}

/// Units of measure in each version's shape: 18's categories with a reference unit and inverse
/// ratios, 19's trees of relative factors (the units of Odoo 19's data, recording 82, some active
/// units under inactive parents).
fn seed_units(db: &mut Database) {
    match db.version {
        OdooVersion::V18 => {
            for (id, name) in [(1, "Unit"), (2, "Weight"), (3, "Volume"), (4, "Length / Distance")] {
                db.insert_raw("uom.category", id, row(&[("name", json!(name))]));
            }
            for (id, name, category, rounding, factor, kind) in [
                (1, "Units", 1, 0.01, 1.0, "reference"),
                (2, "Dozens", 1, 0.01, 1.0 / 12.0, "bigger"),
                (3, "kg", 2, 0.001, 1.0, "reference"),
                (4, "L", 3, 0.001, 1.0, "reference"),
                (5, "m", 4, 0.01, 1.0, "reference"),
                (6, "g", 2, 0.01, 1000.0, "smaller"),
            ] {
                db.insert_raw(
                    "uom.uom",
                    id,
                    row(&[
                        ("name", json!(name)),
                        ("category_id", json!(category)),
                        ("rounding", json!(rounding)),
                        ("factor", json!(factor)),
                        ("uom_type", json!(kind)),
                    ]),
                );
            }
        }
        OdooVersion::V19 => {
            const UNITS: [(i64, &str, f64, Option<i64>, bool); 30] = [
                (1, "Units", 1.0, None, true),
                (2, "Pack of 6", 6.0, Some(1), true),
                (3, "Dozens", 12.0, Some(1), false),
                (4, "Hours", 1.0, None, true),
                (5, "Days", 8.0, Some(4), true),
                (6, "Minutes", 0.0166667, Some(4), true),
                (7, "mm", 1.0, None, true),
                (8, "cm", 10.0, Some(7), false),
                (9, "m", 100.0, Some(8), true),
                (10, "km", 1000.0, Some(9), false),
                (11, "m²", 1.0, None, true),
                (12, "ml", 1.0, None, true),
                (13, "L", 1000.0, Some(12), true),
                (14, "m³", 1000.0, Some(13), false),
                (15, "g", 1.0, None, true),
                (16, "kg", 1000.0, Some(15), true),
                (17, "Ton", 1000.0, Some(16), true),
                (18, "oz", 28.3495, Some(15), true),
                (19, "lb", 16.0, Some(18), true),
                (20, "in", 2.54, Some(8), true),
                (21, "ft", 12.0, Some(20), true),
                (22, "yd", 3.0, Some(21), false),
                (23, "mi", 1760.0, Some(22), false),
                (24, "ft²", 0.092903, Some(11), true),
                (25, "fl oz (US)", 0.0295735, Some(13), false),
                (26, "qt (US)", 32.0, Some(25), false),
                (27, "gal (US)", 4.0, Some(26), true),
                (28, "in³", 0.0163871, Some(13), false),
                (29, "ft³", 1728.0, Some(28), false),
                (30, "KWH", 1.0, None, true),
            ];
            for (id, name, relative_factor, parent, active) in UNITS {
                db.insert_raw(
                    "uom.uom",
                    id,
                    row(&[
                        ("name", json!(name)),
                        ("relative_factor", json!(relative_factor)),
                        ("relative_uom_id", parent.map_or(json!(false), |p| json!(p))),
                        ("sequence", json!(((relative_factor * 100.0) as i64).min(1000))),
                        ("active", json!(active)),
                    ]),
                );
            }
        }
    }
    if let Some(units) = db.tables.get_mut("uom.uom").and_then(|t| t.rows.get_mut(&1)) {
        units.insert("__name_fr_FR".into(), json!("Unités"));
    }
}

fn seed_partners(db: &mut Database) {
    db.insert_raw(
        "res.partner",
        1,
        row(&[
            ("name", json!("Northwind Distribution")),
            ("is_company", json!(true)),
            ("email", json!("info@northwind.example")),
            ("city", json!("San Francisco")),
            ("country_id", json!(233)),
            ("company_id", json!(1)),
        ]),
    );
    db.insert_raw("res.partner", 2, row(&[("name", json!("OdooBot")), ("active", json!(false))]));
    db.insert_raw(
        "res.partner",
        3,
        row(&[("name", json!("Mitchell Admin")), ("email", json!("admin@northwind.example")), ("parent_id", json!(1))]),
    );
    let customers = [
        "Deco Addict",
        "Gemini Furniture",
        "Ready Mat",
        "The Jackson Group",
        "Wood Corner",
        "Lumber Inc",
        "Azure Interior",
        "Acme Corporation",
        "Brightline Retail",
        "Cascade Office Supply",
        "Delta Hospitality",
        "Evergreen Schools",
        "Fulcrum Logistics",
        "Granite State Clinics",
        "Harbor Coworking",
        "Ironwood Hotels",
        "Juniper Dental",
        "Keystone Realty",
        "Lakeside University",
        "Meridian Bank",
    ];
    let suppliers =
        ["Bolt & Nut Wholesale", "Pacific Timber Mills", "Steelworks Ltd", "PackRight Packaging", "Lumen Lighting Co"];
    // Customers take ids 9..=28 so that "Azure Interior" is 15, as in Odoo's demo data.
    for (i, name) in customers.iter().enumerate() {
        let id = 9 + i as i64;
        let slug: String = name.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        db.insert_raw(
            "res.partner",
            id,
            row(&[
                ("name", json!(name)),
                ("is_company", json!(true)),
                ("ref", json!(format!("C{:05}", 1000 + i))),
                // Deco Addict keeps the e-mail of Odoo's demo data, which the recordings look up.
                (
                    "email",
                    json!(if *name == "Deco Addict" {
                        "deco_addict@yourcompany.example.com".to_owned()
                    } else {
                        format!("orders@{slug}.example")
                    }),
                ),
                ("vat", json!(format!("US{:09}", 471_000_000 + i * 7919))),
                ("city", json!(["Chicago", "Denver", "Austin", "Boston", "Seattle"][i % 5])),
                ("country_id", json!(233)),
                ("customer_rank", json!(1)),
                ("property_product_pricelist", json!(if i % 4 == 0 { 2 } else { 1 })),
                ("credit_limit", json!(if i % 3 == 0 { 25000.0 } else { 0.0 })),
                // Azure Interior pays at the end of the following month, as in Odoo's demo data
                // (recording 24 of Odoo 19); the others have no payment terms (recording 080).
                ("property_payment_term_id", if *name == "Azure Interior" { json!(6) } else { json!(false) }),
                ("property_supplier_payment_term_id", if *name == "Azure Interior" { json!(6) } else { json!(false) }),
                ("type", json!("contact")),
            ]),
        );
    }
    for (i, name) in suppliers.iter().enumerate() {
        let id = 40 + i as i64;
        let slug: String = name.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        db.insert_raw(
            "res.partner",
            id,
            row(&[
                ("name", json!(name)),
                ("is_company", json!(true)),
                ("ref", json!(format!("S{:05}", 500 + i))),
                ("email", json!(format!("sales@{slug}.example"))),
                ("country_id", json!(233)),
                ("supplier_rank", json!(1)),
                ("type", json!("contact")),
            ]),
        );
    }
    // A contact person and a delivery address under a customer, as distributors have.
    db.insert_raw(
        "res.partner",
        46,
        row(&[
            ("name", json!("Brandon Freeman")),
            ("email", json!("brandon.freeman@azureinterior.example")),
            ("parent_id", json!(15)),
            ("type", json!("contact")),
        ]),
    );
    db.insert_raw(
        "res.partner",
        47,
        row(&[
            ("name", json!("Azure Interior, Receiving Dock")),
            ("parent_id", json!(15)),
            ("type", json!("delivery")),
            ("street", json!("4557 De Silva St")),
            ("city", json!("Fremont")),
            ("country_id", json!(233)),
        ]),
    );
}

fn seed_locations(db: &mut Database) {
    let loc = |name: &str, parent: Option<i64>, usage: &str, active: bool| {
        row(&[
            ("name", json!(name)),
            ("location_id", parent.map_or(json!(false), |p| json!(p))),
            ("usage", json!(usage)),
            ("company_id", if usage == "internal" || usage == "view" { json!(1) } else { json!(false) }),
            ("active", json!(active)),
        ])
    };
    db.insert_raw("stock.location", LOC_VENDORS, loc("Vendors", None, "supplier", true));
    db.insert_raw("stock.location", LOC_CUSTOMERS, loc("Customers", None, "customer", true));
    db.insert_raw("stock.location", 3, loc("Virtual Locations", None, "view", true));
    db.insert_raw("stock.location", LOC_INVENTORY, loc("Inventory adjustment", Some(3), "inventory", true));
    db.insert_raw("stock.location", 15, loc("Scrap", Some(3), "inventory", true));
    db.insert_raw("stock.location", LOC_WH_VIEW, loc("WH", None, "view", true));
    db.insert_raw("stock.location", LOC_WH_STOCK, loc("Stock", Some(LOC_WH_VIEW), "internal", true));
    db.insert_raw("stock.location", 9, loc("Input", Some(LOC_WH_VIEW), "internal", false));
    db.insert_raw("stock.location", 11, loc("Output", Some(LOC_WH_VIEW), "internal", false));
    db.insert_raw("stock.location", LOC_WH_SHELF_2, loc("Shelf 2", Some(LOC_WH_STOCK), "internal", true));
    db.insert_raw("stock.location", LOC_WH_SHELF_1, loc("Shelf 1", Some(LOC_WH_STOCK), "internal", true));
    db.insert_raw("stock.location", LOC_EAST_VIEW, loc("EAST", None, "view", true));
    db.insert_raw("stock.location", LOC_EAST_STOCK, loc("Stock", Some(LOC_EAST_VIEW), "internal", true));
    db.insert_raw("stock.location", 29, loc("Input", Some(LOC_EAST_VIEW), "internal", false));
    db.insert_raw("stock.location", 31, loc("Output", Some(LOC_EAST_VIEW), "internal", false));
    db.insert_raw("stock.location", 32, loc("Bulk Rack A", Some(LOC_EAST_STOCK), "internal", true));
    db.tables.entry("stock.location").or_default().next_id = 40;

    for (id, name, code, view, stock, input, output, in_type, out_type) in [
        (WAREHOUSE_MAIN, "San Francisco", "WH", LOC_WH_VIEW, LOC_WH_STOCK, 9, 11, 1, 2),
        (WAREHOUSE_EAST, "Newark East", "EAST", LOC_EAST_VIEW, LOC_EAST_STOCK, 29, 31, 9, 10),
    ] {
        db.insert_raw(
            "stock.warehouse",
            id,
            row(&[
                ("name", json!(name)),
                ("code", json!(code)),
                ("company_id", json!(1)),
                ("partner_id", json!(1)),
                ("view_location_id", json!(view)),
                ("lot_stock_id", json!(stock)),
                ("wh_input_stock_loc_id", json!(input)),
                ("wh_output_stock_loc_id", json!(output)),
                ("in_type_id", json!(in_type)),
                ("out_type_id", json!(out_type)),
                ("reception_steps", json!("one_step")),
                ("delivery_steps", json!("ship_only")),
                ("sequence", json!(id * 10)),
            ]),
        );
        for (type_id, operation) in [(in_type, Operation::Receipts), (out_type, Operation::Deliveries)] {
            let mut row = picking_type(id, 1, operation, stock);
            row.insert("sequence".into(), json!(type_id));
            db.insert_raw("stock.picking.type", type_id, row);
        }
        link_returns(db, in_type, out_type);
    }
    db.tables.entry("stock.picking.type").or_default().next_id = 20;
    db.tables.entry("stock.warehouse").or_default().next_id = 3;
}

fn products(u: Units) -> Vec<SeedProduct> {
    let p = |id, sku, name, price, uom, quants: Vec<(i64, f64, f64)>, incoming, outgoing| SeedProduct {
        id,
        sku,
        name,
        price,
        uom,
        quants,
        incoming,
        outgoing,
    };
    let mut list = vec![
        p(
            12,
            "FURN_0096",
            "Customizable Desk (Steel, White)",
            750.0,
            u.units,
            vec![(LOC_WH_STOCK, 45.0, 0.0), (LOC_EAST_STOCK, 12.0, 0.0)],
            0.0,
            0.0,
        ),
        p(
            17,
            "E-COM07",
            "Large Cabinet",
            320.0,
            u.units,
            vec![(LOC_WH_STOCK, 500.0, 153.0), (LOC_EAST_STOCK, 80.0, 0.0)],
            0.0,
            233.0,
        ),
        p(18, "E-COM08", "Storage Box", 15.8, u.units, vec![(LOC_WH_STOCK, 18.0, 0.0)], 40.0, 0.0),
        p(
            20,
            "E-COM10",
            "Pedal Bin",
            47.0,
            u.units,
            vec![(LOC_WH_STOCK, 22.0, 0.0), (LOC_EAST_STOCK, 10.0, 4.0)],
            0.0,
            4.0,
        ),
        p(21, "E-COM11", "Cabinet with Doors", 140.0, u.units, vec![(LOC_WH_STOCK, 33.0, 15.0)], 120.0, 15.0),
        p(
            23,
            "E-COM12",
            "Conference Chair (Steel)",
            33.0,
            u.units,
            vec![(LOC_WH_STOCK, 26.0, 0.0), (LOC_EAST_STOCK, 60.0, 0.0)],
            0.0,
            0.0,
        ),
        p(24, "E-COM13", "Conference Chair (Aluminium)", 39.4, u.units, vec![(LOC_WH_STOCK, 30.0, 0.0)], 0.0, 0.0),
        p(30, "FURN_0789", "Individual Workplace", 885.0, u.units, vec![(LOC_WH_STOCK, 16.0, 0.0)], 0.0, 0.0),
        p(33, "FURN_8855", "Drawer", 110.5, u.units, vec![(LOC_WH_STOCK, 80.0, 0.0)], 0.0, 15.0),
        p(44, "FURN_5555", "Cable Management Box", 100.0, u.units, vec![(LOC_WH_SHELF_2, 90.0, 0.0)], 0.0, 0.0),
        p(
            45,
            "DST-PAL-120",
            "Euro Pallet 1200x800",
            18.5,
            u.units,
            vec![(LOC_EAST_STOCK, 640.0, 120.0), (LOC_WH_STOCK, 210.0, 0.0)],
            300.0,
            120.0,
        ),
        p(
            46,
            "DST-STR-23",
            "Stretch Film 23 µm",
            4.2,
            u.kg,
            vec![(LOC_WH_STOCK, 312.455, 0.0), (LOC_EAST_STOCK, 88.125, 10.5)],
            250.0,
            10.5,
        ),
        p(47, "DST-TAPE-50", "Packing Tape 50 mm (Dozen)", 21.0, u.dozens, vec![(LOC_WH_SHELF_1, 42.5, 2.0)], 0.0, 2.0),
        p(48, "DST-OIL-5", "Forklift Hydraulic Oil", 6.75, u.litre, vec![(LOC_EAST_STOCK, 155.25, 0.0)], 0.0, 0.0),
        p(49, "DST-ROPE-12", "Polypropylene Rope 12 mm", 1.1, u.metre, vec![(LOC_WH_STOCK, 1250.0, 100.0)], 0.0, 100.0),
    ];
    // The rest of the catalogue: office and warehouse goods with deterministic stock figures.
    const CATALOGUE: [(&str, &str, f64); 45] = [
        ("OFF-CHR-ERG", "Ergonomic Office Chair", 289.0),
        ("OFF-DSK-STD", "Standing Desk Frame", 410.0),
        ("OFF-LMP-LED", "LED Desk Lamp", 39.9),
        ("OFF-WBD-120", "Whiteboard 120x90", 89.0),
        ("OFF-SHF-5T", "Five-Tier Bookshelf", 129.0),
        ("OFF-MAT-CHR", "Chair Mat", 45.0),
        ("OFF-FIL-3D", "Three-Drawer Filing Cabinet", 199.0),
        ("OFF-MON-ARM", "Dual Monitor Arm", 119.0),
        ("OFF-FTR-ADJ", "Adjustable Footrest", 34.5),
        ("OFF-PHN-BTH", "Phone Booth Pod", 6900.0),
        ("WHS-BIN-S", "Stackable Bin Small", 3.9),
        ("WHS-BIN-M", "Stackable Bin Medium", 5.4),
        ("WHS-BIN-L", "Stackable Bin Large", 7.8),
        ("WHS-RCK-2M", "Pallet Rack Upright 2 m", 145.0),
        ("WHS-BEAM-27", "Pallet Rack Beam 2.7 m", 62.0),
        ("WHS-CART-3", "Three-Shelf Picking Cart", 239.0),
        ("WHS-LAD-5", "Five-Step Warehouse Ladder", 310.0),
        ("WHS-SCN-2D", "2D Barcode Scanner", 189.0),
        ("WHS-LBL-4x6", "Thermal Labels 4x6 (roll)", 12.5),
        ("WHS-PRN-TH", "Thermal Label Printer", 349.0),
        ("WHS-GLV-M", "Work Gloves (M)", 6.2),
        ("WHS-VST-HV", "High-Visibility Vest", 8.9),
        ("WHS-HLM-W", "Safety Helmet White", 14.0),
        ("WHS-JCK-2T", "Pallet Jack 2.5 t", 420.0),
        ("WHS-DOL-4W", "Four-Wheel Dolly", 59.0),
        ("PKG-BOX-S", "Shipping Box Small", 0.65),
        ("PKG-BOX-M", "Shipping Box Medium", 0.95),
        ("PKG-BOX-L", "Shipping Box Large", 1.45),
        ("PKG-BUB-50", "Bubble Wrap Roll 50 m", 24.0),
        ("PKG-PAD-A4", "Padded Envelope A4", 0.55),
        ("PKG-FIL-PPR", "Paper Void Fill", 19.0),
        ("PKG-STR-KIT", "Strapping Kit", 85.0),
        ("CLN-MOP-IND", "Industrial Mop", 27.0),
        ("CLN-DET-5L", "Floor Detergent 5 L", 16.5),
        ("CLN-WPS-200", "Cleaning Wipes (200)", 9.4),
        ("ELC-EXT-10", "Extension Lead 10 m", 22.0),
        ("ELC-BAT-AA", "AA Batteries (24)", 13.9),
        ("ELC-CHG-FLT", "Forklift Charger", 1250.0),
        ("ELC-LMP-HB", "High-Bay LED Lamp", 115.0),
        ("SAF-EXT-6K", "Fire Extinguisher 6 kg", 69.0),
        ("SAF-KIT-FA", "First Aid Kit", 42.0),
        ("SAF-SGN-EX", "Exit Sign", 18.0),
        ("SAF-CON-75", "Traffic Cone 75 cm", 11.5),
        ("SAF-BAR-TP", "Barrier Tape 500 m", 7.5),
        ("SAF-SHW-EY", "Eye Wash Station", 145.0),
    ];
    for (i, (sku, name, price)) in CATALOGUE.iter().enumerate() {
        let i = i as i64;
        let wh = ((i * 37) % 90) as f64;
        let east = ((i * 53) % 70) as f64;
        let reserved = if i % 4 == 0 { (wh / 5.0).floor() } else { 0.0 };
        let incoming = if i % 3 == 0 { ((i % 5) * 24) as f64 } else { 0.0 };
        let mut quants = vec![(LOC_WH_STOCK, wh, reserved)];
        if i % 2 == 0 {
            quants.push((LOC_EAST_STOCK, east, 0.0));
        }
        list.push(p(50 + i, sku, name, *price, u.units, quants, incoming, reserved));
    }
    list
}

fn seed_products(db: &mut Database) {
    let mut quant_id = 1;
    let mut move_id = 1;
    for product in products(Units::of(db.version)) {
        let category =
            if product.sku.starts_with("OFF") || product.sku.starts_with("FURN") || product.sku.starts_with("E-COM") {
                2
            } else {
                3
            };
        let mut r = row(&[
            ("name", json!(product.name)),
            ("default_code", json!(product.sku)),
            ("barcode", json!(format!("{:013}", 4_006_381_000_000_i64 + product.id))),
            ("list_price", json!(product.price)),
            ("standard_price", json!((product.price * 0.62 * 100.0).round() / 100.0)),
            ("uom_id", json!(product.uom)),
            ("uom_po_id", json!(product.uom)),
            ("categ_id", json!(category)),
            ("type", json!("consu")),
            ("is_storable", json!(true)),
            ("tracking", json!("none")),
            ("sale_ok", json!(true)),
            ("purchase_ok", json!(true)),
            // Office furniture is invoiced as ordered, the rest as delivered (E-COM10 and E-COM12
            // as in recording 087); packaging is billed as ordered, the rest as received.
            ("invoice_policy", json!(if product.sku.starts_with("OFF-") { "order" } else { "delivery" })),
            ("purchase_method", json!(if product.sku.starts_with("PKG-") { "purchase" } else { "receive" })),
            ("taxes_id", json!([1])),
            ("supplier_taxes_id", json!([2])),
        ]);
        if product.sku == "E-COM10" {
            r.insert("__name_fr_FR".into(), json!("Poubelle à pédale"));
        }
        db.insert_raw("product.product", product.id, r);
        for (location, quantity, reserved) in &product.quants {
            db.insert_raw(
                "stock.quant",
                quant_id,
                row(&[
                    ("product_id", json!(product.id)),
                    ("location_id", json!(location)),
                    ("quantity", json!(quantity)),
                    ("reserved_quantity", json!(reserved)),
                    ("inventory_quantity", json!(0.0)),
                    ("inventory_quantity_set", json!(false)),
                    ("inventory_date", json!("2026-12-31")),
                    ("company_id", json!(1)),
                ]),
            );
            quant_id += 1;
        }
        let mut pending = |qty: f64, src: i64, dst: i64, state: &str, reference: String| {
            if qty > 0.0 {
                let quantity = if state == "assigned" { qty } else { 0.0 };
                db.insert_raw(
                    "stock.move",
                    move_id,
                    row(&[
                        ("reference", json!(reference)),
                        ("name", json!(product.name)),
                        ("product_id", json!(product.id)),
                        ("product_uom_qty", json!(qty)),
                        ("quantity", json!(quantity)),
                        ("product_uom", json!(product.uom)),
                        ("picked", json!(false)),
                        ("state", json!(state)),
                        ("location_id", json!(src)),
                        ("location_dest_id", json!(dst)),
                        ("date", json!(crate::orm::now())),
                        ("procure_method", json!("make_to_stock")),
                        ("priority", json!("0")),
                        ("company_id", json!(1)),
                        ("sequence", json!(10)),
                    ]),
                );
                // What a reserved move holds sits on its line (the quants' reserved quantities
                // above already count it).
                if quantity > 0.0 {
                    let line = db.table("stock.move.line").next_id.max(1);
                    let mut line_row = row(&[
                        ("move_id", json!(move_id)),
                        ("product_id", json!(product.id)),
                        ("product_uom_id", json!(product.uom)),
                        ("location_id", json!(src)),
                        ("location_dest_id", json!(dst)),
                        ("quantity", json!(quantity)),
                        ("picked", json!(false)),
                        ("reference", json!(reference)),
                        ("date", json!(crate::orm::now())),
                        ("company_id", json!(1)),
                    ]);
                    if src != LOC_VENDORS {
                        line_row.insert("__reserved".into(), json!(quantity));
                        line_row.insert("__reserved_at".into(), json!([src, null]));
                    }
                    db.insert_raw("stock.move.line", line, line_row);
                }
                move_id += 1;
            }
        };
        pending(product.incoming, LOC_VENDORS, LOC_WH_STOCK, "assigned", format!("WH/IN/{:05}", product.id));
        // Reserved stock is what outgoing moves hold; the rest of the outgoing demand waits for stock.
        let reserved: f64 = product.quants.iter().map(|q| q.2).sum();
        for (location, _, held) in product.quants.iter().filter(|q| q.2 > 0.0) {
            let prefix = if *location == LOC_EAST_STOCK { "EAST" } else { "WH" };
            pending(*held, *location, LOC_CUSTOMERS, "assigned", format!("{prefix}/OUT/{:05}", product.id));
        }
        pending(
            product.outgoing - reserved,
            LOC_WH_STOCK,
            LOC_CUSTOMERS,
            "confirmed",
            format!("WH/OUT/{:05}", product.id + 500),
        );
    }
    let _ = LOC_INVENTORY;
}
