//! The ORM exercised over the seeded models: domains, the active filter, translations, and the
//! stock quantities products compute.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::{
    orm::{Database, Env, OdooVersion, Registry},
    seed::{SeedUser, seed},
};

/// A seeded database of one version with every module installed, or without `missing` ones.
pub(crate) fn database_of(version: OdooVersion, missing: &[&str]) -> Database {
    let missing: Vec<String> = missing.iter().map(|m| (*m).to_owned()).collect();
    let mut db = Database::new(Registry::build(version, super::MODELS, super::MODULES, &missing));
    seed(&mut db, &SeedUser { login: "admin".into(), password: "admin".into(), api_key: "key".into() });
    db
}

fn database() -> Database {
    database_of(OdooVersion::V18, &[])
}

pub(crate) fn env() -> Env {
    Env::new(crate::seed::ADMIN_UID)
}

fn search(db: &Database, domain: &Value) -> BTreeSet<i64> {
    let model = db.model("product.product").expect("model");
    db.search(model, domain, 0, None, None, &env()).expect("search").into_iter().collect()
}

/// Leaves over fields of every kind the services filter on.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0.0f64..1000.0).prop_map(|p| json!(["list_price", ">", p])),
        (0.0f64..1000.0).prop_map(|p| json!(["list_price", "<=", p])),
        "[A-Z]{1,3}".prop_map(|p| json!(["default_code", "=like", format!("{p}%")])),
        "[a-z]{1,3}".prop_map(|p| json!(["name", "ilike", p])),
        prop::collection::vec(1i64..5, 0..3).prop_map(|ids| json!(["uom_id", "in", ids])),
        Just(json!(["uom_id.name", "=", "Units"])),
        Just(json!(["categ_id", "child_of", [2]])),
        (1i64..120).prop_map(|id| json!(["id", ">=", id])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn or_is_union_and_is_intersection_not_is_complement(a in leaf(), b in leaf()) {
        let db = database();
        let all = search(&db, &json!([]));
        let (sa, sb) = (search(&db, &json!([a])), search(&db, &json!([b])));
        prop_assert_eq!(search(&db, &json!(["|", a, b])), sa.union(&sb).copied().collect::<BTreeSet<_>>());
        prop_assert_eq!(search(&db, &json!([a, b])), sa.intersection(&sb).copied().collect::<BTreeSet<_>>());
        prop_assert_eq!(search(&db, &json!(["&", a, b])), sa.intersection(&sb).copied().collect::<BTreeSet<_>>());
        prop_assert_eq!(search(&db, &json!(["!", a])), all.difference(&sa).copied().collect::<BTreeSet<_>>());
    }

    #[test]
    fn in_is_the_union_of_equalities(ids in prop::collection::vec(1i64..120, 0..6)) {
        let db = database();
        let union: BTreeSet<i64> = ids.iter().flat_map(|id| search(&db, &json!([["id", "=", id]]))).collect();
        let all = search(&db, &json!([]));
        let complement: BTreeSet<i64> = all.difference(&union).copied().collect();
        prop_assert_eq!(search(&db, &json!([["id", "in", &ids]])), union);
        prop_assert_eq!(search(&db, &json!([["id", "not in", ids]])), complement);
    }
}

#[test]
fn child_of_walks_the_location_tree() {
    let db = database();
    let model = db.model("stock.location").expect("model");
    let under_wh = db.search(model, &json!([["location_id", "child_of", 7]]), 0, None, None, &env()).expect("search");
    assert!(under_wh.contains(&17), "Shelf 2 is under WH through WH/Stock");
    assert!(!under_wh.contains(&28), "EAST/Stock is not under WH");
}

#[test]
fn archived_records_hide_unless_asked_for() {
    let mut db = database();
    db.write("product.product", &[44], &serde_json::Map::from_iter([("active".to_owned(), json!(false))]), &env())
        .expect("archive");
    assert!(!search(&db, &json!([])).contains(&44));
    let mut everything = env();
    everything.context.insert("active_test".into(), json!(false));
    let model = db.model("product.product").expect("model");
    assert!(db.search(model, &json!([]), 0, None, None, &everything).expect("search").contains(&44));
    assert!(search(&db, &json!([["active", "=", false]])).contains(&44), "a domain on active disables the filter");
}

#[test]
fn lang_context_translates_names() {
    let db = database();
    let model = db.model("product.product").expect("model");
    let mut french = env();
    french.context.insert("lang".into(), json!("fr_FR"));
    let read = db.read(model, &[20], Some(&["name".to_owned(), "uom_id".to_owned()]), &french).expect("read");
    assert_eq!(read[0]["name"], "Poubelle à pédale");
    assert_eq!(read[0]["uom_id"], json!([1, "Unités"]));
}

#[test]
fn quantities_follow_the_warehouse_and_location_context() {
    let db = database();
    let model = db.model("product.product").expect("model");
    let fields = [
        "qty_available".to_owned(),
        "free_qty".to_owned(),
        "incoming_qty".to_owned(),
        "outgoing_qty".to_owned(),
        "virtual_available".to_owned(),
    ];
    let read = |context: Value| {
        let env = Env { uid: crate::seed::ADMIN_UID, context: context.as_object().cloned().unwrap_or_default() };
        db.read(model, &[20], Some(&fields), &env).expect("read").remove(0)
    };
    // E-COM10: 22 in WH/Stock, 10 in EAST/Stock of which 4 reserved for a delivery out of EAST.
    assert_eq!(read(json!({}))["qty_available"], json!(32.0));
    assert_eq!(read(json!({"warehouse_id": 1}))["qty_available"], json!(22.0));
    assert_eq!(read(json!({"warehouse_id": 2}))["free_qty"], json!(6.0));
    assert_eq!(read(json!({"warehouse_id": 2}))["outgoing_qty"], json!(4.0));
    assert_eq!(read(json!({"warehouse_id": "Newark"}))["qty_available"], json!(10.0));
    assert_eq!(read(json!({"location": 28}))["virtual_available"], json!(6.0));
    assert_eq!(read(json!({"location": 17}))["qty_available"], json!(0.0));
}

/// Runs a method as a call would, for tests.
pub(crate) fn call(
    db: &mut Database,
    env: &Env,
    model: &str,
    method: &str,
    ids: &[i64],
    params: &Value,
) -> crate::error::SimResult<Value> {
    let params = params.as_object().cloned().unwrap_or_default();
    crate::orm::methods::execute(db, env, model, method, ids, &params).map(|outcome| match outcome {
        crate::orm::methods::Outcome::Value(v) => v,
        crate::orm::methods::Outcome::Created { ids, .. } => json!(ids),
        crate::orm::methods::Outcome::Nothing => Value::Null,
    })
}

#[test]
fn load_reads_datetimes_in_the_context_or_user_time_zone_and_create_stores_them_as_sent() {
    for version in [OdooVersion::V18, OdooVersion::V19] {
        let mut db = database_of(version, &[]);
        let load = |db: &mut Database, context: Value| {
            let mut env = env();
            env.context = context.as_object().cloned().unwrap_or_default();
            let fields = json!(["partner_id/.id", "commitment_date"]);
            let answer = call(
                db,
                &env,
                "sale.order",
                "load",
                &[],
                &json!({"fields": fields, "data": [["9", "2027-06-15 10:00:00"]]}),
            )
            .expect("load");
            let id = answer["ids"][0].as_i64().unwrap_or_else(|| panic!("loaded: {answer}"));
            db.get_str("sale.order", id, "commitment_date")
        };
        // Admin's time zone is Europe/Brussels: summer time, UTC+2.
        assert_eq!(load(&mut db, json!({})), "2027-06-15 08:00:00", "{version:?}: the user's tz");
        assert_eq!(load(&mut db, json!({"tz": "UTC"})), "2027-06-15 10:00:00", "{version:?}: the context's tz");
        assert_eq!(load(&mut db, json!({"tz": "America/New_York"})), "2027-06-15 14:00:00");
        let created = call(
            &mut db,
            &env(),
            "sale.order",
            "create",
            &[],
            &json!({"vals_list": [{"partner_id": 9, "commitment_date": "2027-06-15 10:00:00"}]}),
        )
        .expect("create");
        let id = created[0].as_i64().expect("id");
        assert_eq!(db.get_str("sale.order", id, "commitment_date"), "2027-06-15 10:00:00", "create stores naive UTC");
    }
}

/// Creates a sale order for Deco Addict with one line, then confirms it.
pub(crate) fn confirm_order_with(db: &mut Database, line: &Value) -> crate::error::SimResult<i64> {
    let created = call(
        db,
        &env(),
        "sale.order",
        "create",
        &[],
        &json!({"vals_list": [{"partner_id": 9, "order_line": [[0, 0, line]]}]}),
    )?;
    let order = created[0].as_i64().unwrap_or_default();
    call(db, &env(), "sale.order", "action_confirm", &[order], &json!({}))?;
    Ok(order)
}
