//! What the connected Odoo has of what odoo-mesh needs. Asked once per connection — the server's
//! version and each model's own `fields_get` — it resolves every field to the name this server
//! uses, and says per capability whether it is usable, and if not why, in words a person can act
//! on: "module `purchase` is not installed", "Odoo 17.0 is not supported".

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    fmt,
};

use futures::future::try_join_all;
use serde_json::{Value, json};

use super::{
    Field, Method, Model, account_move, account_payment, billing, carrier, company, currency, ir_model_data,
    mail_message, move_reversal, partner, pricelist, product, purchase_order, sale_invoicing, sale_order, stock_move,
    stock_move_line, stock_picking, stock_quant, stock_return, uom, warehouse,
};
use crate::{OdooCall, OdooClient, OdooError, ServerVersion};

/// The Odoo versions odoo-mesh is tested against (simulator flavours and recordings of real servers).
pub const SUPPORTED_VERSIONS: [i64; 2] = [18, 19];

/// A group of RPCs and the part of Odoo it stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Warehouses, locations, products, stock levels and the stock watch.
    Inventory,
    /// Sales orders: create, read, confirm, cancel, and their watch.
    SalesOrders,
    /// Purchase orders: create, read, confirm, acknowledge.
    PurchaseOrders,
    /// Deliveries, receipts and returns, and their watch.
    Shipments,
    /// Invoices, bills, credit notes, payments and customer balances.
    Finance,
}

impl Capability {
    pub const ALL: [Self; 5] =
        [Self::Inventory, Self::SalesOrders, Self::PurchaseOrders, Self::Shipments, Self::Finance];

    /// How a person names it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Inventory => "inventory",
            Self::SalesOrders => "sales orders",
            Self::PurchaseOrders => "purchase orders",
            Self::Shipments => "shipments",
            Self::Finance => "finance",
        }
    }

    /// The fields it reads or writes, by model (each model module lists its own).
    fn fields(self) -> &'static [&'static [Field]] {
        match self {
            Self::Inventory => &[
                product::FIELDS,
                product::STOCK_FIELDS,
                uom::FIELDS,
                warehouse::FIELDS,
                warehouse::LOCATION_FIELDS,
                stock_quant::FIELDS,
                stock_move::FIELDS,
                company::FIELDS,
                // Counts from a WMS.
                product::ORDERABLE_FIELDS,
                stock_quant::COUNT_FIELDS,
                stock_move::COUNT_FIELDS,
                stock_move_line::FIELDS,
                ir_model_data::FIELDS,
            ],
            Self::SalesOrders => &[
                sale_order::FIELDS,
                sale_order::LINE_FIELDS,
                partner::FIELDS,
                partner::COUNTRY_FIELDS,
                pricelist::FIELDS,
                product::FIELDS,
                product::ORDERABLE_FIELDS,
                product::STOCK_FIELDS,
                uom::FIELDS,
                warehouse::FIELDS,
                stock_picking::FIELDS,
                company::FIELDS,
                ir_model_data::FIELDS,
            ],
            Self::PurchaseOrders => &[
                purchase_order::FIELDS,
                purchase_order::LINE_FIELDS,
                partner::FIELDS,
                product::FIELDS,
                product::ORDERABLE_FIELDS,
                uom::FIELDS,
                warehouse::FIELDS,
                warehouse::PICKING_TYPE_FIELDS,
                company::FIELDS,
                ir_model_data::FIELDS,
            ],
            Self::Shipments => &[
                stock_picking::FIELDS,
                stock_move::FIELDS,
                product::FIELDS,
                uom::FIELDS,
                warehouse::PICKING_TYPE_FIELDS,
                stock_return::FIELDS,
                stock_return::LINE_FIELDS,
                mail_message::FIELDS,
                carrier::FIELDS,
                ir_model_data::FIELDS,
            ],
            Self::Finance => &[
                account_move::FIELDS,
                account_move::LINE_FIELDS,
                account_move::TAX_FIELDS,
                account_payment::FIELDS,
                account_payment::WIZARD_FIELDS,
                account_payment::JOURNAL_FIELDS,
                sale_invoicing::FIELDS,
                move_reversal::FIELDS,
                currency::FIELDS,
                billing::SALES_FIELDS,
                billing::PURCHASE_FIELDS,
                sale_order::TO_INVOICE_FIELDS,
                partner::CREDIT_FIELDS,
                company::FIELDS,
                ir_model_data::FIELDS,
            ],
        }
    }

    /// The methods it calls.
    fn methods(self) -> &'static [Method] {
        match self {
            Self::Inventory | Self::Shipments | Self::Finance => &[],
            Self::SalesOrders => sale_order::METHODS,
            Self::PurchaseOrders => purchase_order::METHODS,
        }
    }
}

/// Every model some capability uses.
fn models() -> BTreeSet<&'static str> {
    Capability::ALL
        .iter()
        .flat_map(|c| c.fields().iter().flat_map(|fields| fields.iter().map(|f| f.model.name)))
        .collect()
}

/// The connected server, as far as odoo-mesh is concerned.
#[derive(Debug, Clone)]
pub struct Schema {
    version: ServerVersion,
    /// The fields of each model the server has, by model; a model it lacks is absent.
    fields: HashMap<&'static str, HashSet<String>>,
    /// The decimal places Odoo rounds a float field to when storing it (its `digits`, from the
    /// server's decimal precision settings), by model and field name.
    scales: HashMap<(&'static str, String), u32>,
    /// Whether the Odoo user may read and write external ids, where the idempotency keys live.
    keys_allowed: bool,
    /// Worked out once: every RPC asks.
    availability: HashMap<Capability, Availability>,
}

impl Schema {
    /// Asks the server: its version, then `fields_get` of every model, concurrently.
    pub(crate) async fn load(client: &OdooClient) -> Result<Self, OdooError> {
        let version = client.version().await?;
        let reads = models().into_iter().map(|model| async move {
            let call = OdooCall::new(model, "fields_get").param("attributes", json!(["type", "digits"]));
            match client.call(call).await {
                Ok(Value::Object(fields)) => Ok(Some((model, fields))),
                Ok(_) => Err(OdooError::Protocol { message: format!("fields_get of {model}: expected an object") }),
                Err(OdooError::UnknownModel { .. }) => Ok(None),
                Err(error) => Err(error),
            }
        });
        let described: Vec<_> = try_join_all(reads).await?.into_iter().flatten().collect();
        let fields = described.iter().map(|(model, fields)| (*model, fields.keys().cloned().collect())).collect();
        let mut schema = Self::new(version, fields, ir_model_data::keys_allowed(client).await?);
        schema.scales = described
            .iter()
            .flat_map(|(model, fields)| {
                fields.iter().filter_map(move |(name, description)| {
                    let scale = description.get("digits")?.get(1)?.as_u64()?;
                    Some(((*model, name.clone()), u32::try_from(scale).ok()?))
                })
            })
            .collect();
        Ok(schema)
    }

    fn new(version: ServerVersion, fields: HashMap<&'static str, HashSet<String>>, keys_allowed: bool) -> Self {
        let mut schema = Self { version, fields, scales: HashMap::new(), keys_allowed, availability: HashMap::new() };
        schema.availability = Capability::ALL.iter().map(|c| (*c, schema.work_out(*c))).collect();
        schema
    }

    /// A schema from known parts, for tests.
    #[cfg(test)]
    pub(crate) fn from_parts(major: i64, fields: &[(&'static str, &[&str])]) -> Self {
        Self::new(
            ServerVersion { major, text: format!("{major}.0") },
            fields.iter().map(|(m, f)| (*m, f.iter().map(|s| (*s).to_owned()).collect())).collect(),
            true,
        )
    }

    pub fn version(&self) -> &ServerVersion {
        &self.version
    }

    pub(crate) fn has_model(&self, model: Model) -> bool {
        self.fields.contains_key(model.name)
    }

    /// The name this server knows the field by, if it has it.
    pub(crate) fn name(&self, field: &Field) -> Option<&'static str> {
        let known = self.fields.get(field.model.name)?;
        field.names().find(|name| known.contains(*name))
    }

    /// The decimal places Odoo keeps of a float field, when it rounds it.
    pub(crate) fn scale(&self, field: &Field) -> Option<u32> {
        self.scales.get(&(field.model.name, self.name(field)?.to_owned())).copied()
    }

    /// The names to ask for when reading these fields; optional fields the server lacks are left out.
    pub(crate) fn names(&self, fields: &[Field]) -> Vec<&'static str> {
        fields.iter().filter_map(|f| self.name(f).or((!f.optional).then_some(f.name))).collect()
    }

    /// Whether the version is one odoo-mesh supports; the reason when not.
    fn version_problem(&self) -> Option<String> {
        let major = self.version.major;
        if major < SUPPORTED_VERSIONS[0] {
            Some(format!(
                "Odoo {} is not supported: odoo-mesh supports Odoo {} and {}",
                self.version.text, SUPPORTED_VERSIONS[0], SUPPORTED_VERSIONS[1]
            ))
        } else {
            None
        }
    }

    /// Whether a capability can be used on this server, and if not, why.
    pub fn availability(&self, capability: Capability) -> &Availability {
        self.availability.get(&capability).unwrap_or(&Availability::Available)
    }

    fn work_out(&self, capability: Capability) -> Availability {
        if let Some(problem) = self.version_problem() {
            return Availability::Unavailable { modules: Vec::new(), reasons: vec![problem] };
        }
        let mut modules = BTreeSet::new();
        let mut reasons = Vec::new();
        let mut missing_models = BTreeSet::new();
        for field in capability.fields().iter().flat_map(|f| f.iter()).filter(|f| !f.optional) {
            if !self.has_model(field.model) {
                if missing_models.insert(field.model.name) {
                    modules.insert(field.model.module);
                    reasons.push(format!("odoo has no model {}", field.model.name));
                }
            } else if self.name(field).is_none() {
                if field.module != field.model.module {
                    modules.insert(field.module);
                }
                reasons.push(format!("odoo has no field {}", field.describe()));
            }
        }
        let (known, installed) = self.modules();
        for method in capability.methods() {
            // A module no catalogued model or field belongs to cannot be checked: taken as there.
            if known.contains(method.module) && !installed.contains(method.module) && self.has_model(method.model) {
                modules.insert(method.module);
                reasons.push(format!("{}.{} comes with module `{}`", method.model.name, method.name, method.module));
            }
        }
        if reasons.is_empty() {
            Availability::Available
        } else {
            Availability::Unavailable { modules: modules.into_iter().collect(), reasons }
        }
    }

    /// The modules some catalogued model or field belongs to, and those of them evidenced on
    /// this server by a model or field they add.
    fn modules(&self) -> (HashSet<&'static str>, HashSet<&'static str>) {
        let fields = || Capability::ALL.iter().flat_map(|c| c.fields().iter().flat_map(|f| f.iter()));
        let known = fields().flat_map(|f| [f.module, f.model.module]).collect();
        let installed = fields()
            .flat_map(|f| {
                let model = self.has_model(f.model).then_some(f.model.module);
                let field = self.name(f).is_some().then_some(f.module);
                model.into_iter().chain(field)
            })
            .collect();
        (known, installed)
    }

    /// Why commands cannot run as this Odoo user, if they cannot. Reads do not need the keys, and
    /// a user without rights to them may still read what Odoo lets it.
    fn keys_problem(&self) -> Option<String> {
        (!self.keys_allowed).then(|| {
            "the Odoo user odoo-mesh acts as may not read and write external ids (ir.model.data), where \
             idempotency keys are kept, so creating, confirming, cancelling and acknowledging fail: give it \
             the group Administration / Access Rights"
                .to_owned()
        })
    }

    /// Fails with the reason commands cannot run, for an RPC that writes.
    pub(crate) fn require_keys(&self) -> Result<(), OdooError> {
        self.keys_problem().map_or(Ok(()), |message| Err(OdooError::Unsupported { message }))
    }

    /// Fails with the reason a capability is unavailable, for an RPC that needs it.
    pub(crate) fn require(&self, capability: Capability) -> Result<(), OdooError> {
        match self.availability(capability) {
            Availability::Available => Ok(()),
            unavailable => Err(OdooError::Unsupported { message: unavailable.explain(capability) }),
        }
    }

    /// The start-up report: every capability, usable or not and why.
    pub fn report(&self) -> Report {
        Report {
            version: self.version.clone(),
            capabilities: Capability::ALL.iter().map(|c| (*c, self.availability(*c).clone())).collect(),
            keys_problem: self.keys_problem(),
        }
    }
}

/// Whether a capability is usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available,
    Unavailable {
        /// Modules to install, when that is the fix.
        modules: Vec<&'static str>,
        /// What is missing, one line each.
        reasons: Vec<String>,
    },
}

impl Availability {
    pub fn is_available(&self) -> bool {
        matches!(self, Self::Available)
    }

    /// One sentence: what is missing and what to do.
    pub fn explain(&self, capability: Capability) -> String {
        match self {
            Self::Available => format!("{} are available", capability.title()),
            Self::Unavailable { modules, reasons } if !modules.is_empty() => {
                let names: Vec<String> = modules.iter().map(|m| format!("`{m}`")).collect();
                let verb = if names.len() == 1 { "is" } else { "are" };
                format!(
                    "{} are unavailable: odoo module {} {verb} not installed ({})",
                    capability.title(),
                    names.join(", "),
                    reasons.join("; ")
                )
            }
            Self::Unavailable { reasons, .. } => {
                format!("{} are unavailable: {}", capability.title(), reasons.join("; "))
            }
        }
    }
}

/// What `odoo-mesh check` prints and the server logs at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub version: ServerVersion,
    pub capabilities: Vec<(Capability, Availability)>,
    /// Why commands cannot run, when they cannot.
    pub keys_problem: Option<String>,
}

impl Report {
    /// Whether everything odoo-mesh offers can be used.
    pub fn complete(&self) -> bool {
        self.keys_problem.is_none() && self.capabilities.iter().all(|(_, a)| a.is_available())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tested = SUPPORTED_VERSIONS.contains(&self.version.major);
        let note = if tested {
            "a tested version"
        } else if self.version.major > SUPPORTED_VERSIONS[1] {
            "newer than any version odoo-mesh was tested with"
        } else {
            "not supported"
        };
        writeln!(f, "odoo {} ({note})", self.version.text)?;
        for (capability, availability) in &self.capabilities {
            match availability {
                Availability::Available => writeln!(f, "  ok      {}", capability.title())?,
                unavailable => {
                    writeln!(f, "  MISSING {}", unavailable.explain(*capability))?;
                    writeln!(f, "          those RPCs answer FAILED_PRECONDITION until this is fixed")?;
                }
            }
        }
        if let Some(problem) = &self.keys_problem {
            writeln!(f, "  MISSING commands: {problem}")?;
            writeln!(f, "          those RPCs answer FAILED_PRECONDITION until this is fixed")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field every capability needs, under the name `pick` chooses.
    fn everything(pick: impl Fn(&Field) -> &'static str) -> Vec<(&'static str, Vec<&'static str>)> {
        let mut by_model: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for field in Capability::ALL.iter().flat_map(|c| c.fields().iter().flat_map(|f| f.iter())) {
            by_model.entry(field.model.name).or_default().push(pick(field));
        }
        by_model.into_iter().collect()
    }

    fn schema(major: i64, models: &[(&'static str, Vec<&'static str>)]) -> Schema {
        let parts: Vec<(&'static str, &[&str])> = models.iter().map(|(m, f)| (*m, f.as_slice())).collect();
        Schema::from_parts(major, &parts)
    }

    #[test]
    fn renamed_fields_resolve_to_the_servers_name() {
        let v18 = everything(|f| f.old_name.unwrap_or(f.name));
        let v19 = everything(|f| f.name);
        let (old, new) = (schema(18, &v18), schema(19, &v19));
        assert_eq!(old.name(&sale_order::LINE_UOM), Some("product_uom"));
        assert_eq!(new.name(&sale_order::LINE_UOM), Some("product_uom_id"));
        assert!(old.report().complete(), "{}", old.report());
        assert!(new.report().complete(), "{}", new.report());
    }

    #[test]
    fn a_missing_module_is_named_and_only_its_capability_is_unavailable() {
        let without_purchase: Vec<_> = everything(|f| f.old_name.unwrap_or(f.name))
            .into_iter()
            .filter(|(model, _)| !model.starts_with("purchase."))
            .collect();
        let schema = schema(18, &without_purchase);
        let availability = schema.availability(Capability::PurchaseOrders);
        assert!(matches!(availability, Availability::Unavailable { modules, .. } if modules == &["purchase"]));
        assert!(availability.explain(Capability::PurchaseOrders).contains("module `purchase` is not installed"));
        assert!(schema.availability(Capability::SalesOrders).is_available());
        assert!(matches!(schema.require(Capability::PurchaseOrders), Err(OdooError::Unsupported { .. })));
    }

    /// Models the catalogue uses that the recordings of real servers do not cover.
    const UNRECORDED: &[&str] = &["res.country"];

    /// `fields_get` of every model our flows touch, recorded from real Odoo 18.0 and 19.0.
    fn recorded(major: i64) -> Schema {
        let dir = std::env::var_os("ODOO_SCHEMA_DIR").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/odoo-schema"),
            std::path::PathBuf::from,
        );
        let path = dir.join(format!("odoo{major}-fields.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} is needed: {e}", path.display()));
        let recording: HashMap<String, serde_json::Map<String, Value>> = serde_json::from_str(&text).expect("json");
        let mut fields: HashMap<&'static str, HashSet<String>> = HashMap::new();
        for name in models() {
            if let Some(recorded) = recording.get(name) {
                fields.insert(name, recorded.keys().cloned().collect());
            } else {
                assert!(UNRECORDED.contains(&name), "{name} is not in the recording: add it to UNRECORDED");
                // Present on every server (module base); its fields are checked by the scenarios.
                let all = Capability::ALL.iter().flat_map(|c| c.fields().iter().flat_map(|f| f.iter()));
                fields.insert(name, all.filter(|f| f.model.name == name).map(|f| f.name.to_owned()).collect());
            }
        }
        Schema::new(ServerVersion { major, text: format!("{major}.0") }, fields, true)
    }

    #[test]
    fn every_field_the_adapter_uses_exists_in_the_recording_of_each_version() {
        for major in SUPPORTED_VERSIONS {
            let schema = recorded(major);
            assert!(schema.report().complete(), "against the recording of Odoo {major}:\n{}", schema.report());
        }
        let (old, new) = (recorded(18), recorded(19));
        for field in Capability::ALL.iter().flat_map(|c| c.fields().iter().flat_map(|f| f.iter())) {
            let (in_18, in_19) = (old.name(field), new.name(field));
            assert!(
                in_18.is_some() || in_19.is_some(),
                "{} exists in neither recording (optional or not, it is never read)",
                field.describe()
            );
            if let Some(old_name) = field.old_name {
                assert_eq!(in_18, Some(old_name), "{} is called {old_name} in 18", field.describe());
                assert_eq!(in_19, Some(field.name), "{} is called {} in 19", field.describe(), field.name);
            }
        }
    }

    #[test]
    fn old_versions_are_refused_by_name() {
        let schema = schema(17, &everything(|f| f.old_name.unwrap_or(f.name)));
        let text = schema.availability(Capability::Inventory).explain(Capability::Inventory);
        assert!(text.contains("Odoo 17.0 is not supported"), "{text}");
        assert!(!schema.report().complete());
    }
}
