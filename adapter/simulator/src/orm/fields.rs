//! Field declarations: the types `fields_get` reports, and the builder each model module declares
//! its fields with, addon by addon, the way an Odoo module extends a model.

use serde_json::Value;

/// The values a selection field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Options {
    Fixed(&'static [(&'static str, &'static str)]),
    /// Every name of the time zone database (`res.users.tz`).
    TimeZones,
}

impl Options {
    pub(crate) fn accepts(self, value: &str) -> bool {
        match self {
            Self::Fixed(options) => options.iter().any(|(k, _)| *k == value),
            Self::TimeZones => jiff::tz::TimeZone::get(value).is_ok(),
        }
    }

    /// The `[value, label]` pairs `fields_get` lists.
    pub(crate) fn pairs(self) -> Vec<(String, String)> {
        match self {
            Self::Fixed(options) => options.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            Self::TimeZones => jiff::tz::db().available().map(|name| (name.to_string(), name.to_string())).collect(),
        }
    }
}

/// The type of a field, as `fields_get` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldType {
    Char,
    Text,
    Html,
    Integer,
    Float,
    Monetary,
    Boolean,
    Selection(Options),
    Date,
    Datetime,
    Many2one(&'static str),
    One2many(&'static str, &'static str),
    Many2many(&'static str),
    /// An id of a record of the model another field names (`ir.model.data.res_id`).
    Many2oneReference,
}

impl FieldType {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Char => "char",
            Self::Text => "text",
            Self::Html => "html",
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
            Self::Many2oneReference => "many2one_reference",
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

    pub(crate) fn is_text(&self) -> bool {
        matches!(self, Self::Char | Self::Text | Self::Html)
    }
}

/// Shorthand for a selection with fixed values.
pub(crate) const fn selection(options: &'static [(&'static str, &'static str)]) -> FieldType {
    FieldType::Selection(Options::Fixed(options))
}

/// One field of a model in one version.
#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub(crate) name: &'static str,
    pub(crate) ftype: FieldType,
    pub(crate) string: &'static str,
    /// The Odoo module that adds the field (gone when that module is not installed).
    pub(crate) module: &'static str,
    /// Stored in the database, as `fields_get` reports it.
    pub(crate) store: bool,
    /// The model computes the value on read and writes leave it alone.
    pub(crate) computed: bool,
    pub(crate) readonly: bool,
    pub(crate) required: bool,
    /// Translatable: reads honour the `lang` context key.
    pub(crate) translate: bool,
    /// The decimal places a float is rounded to when stored (Odoo's `digits`, from a decimal
    /// precision setting), and `fields_get` reports.
    pub(crate) digits: Option<u32>,
    /// The comodel's records a one2many lists among those pointing back (Odoo's `domain` on the
    /// field: an invoice's `invoice_line_ids` are its product, section and note lines alone).
    pub(crate) domain: Option<Value>,
}

/// The fields a model module declares for one version. `addon` switches the module the next
/// fields belong to.
#[derive(Debug)]
pub(crate) struct Fields {
    module: &'static str,
    pub(crate) fields: Vec<FieldDef>,
    /// Values `create` fills in when the caller leaves a field out, with the module adding them.
    pub(crate) defaults: Vec<(&'static str, Value)>,
}

impl Fields {
    pub(crate) fn new(module: &'static str) -> Self {
        Self { module, fields: Vec::new(), defaults: Vec::new() }
    }

    /// The next fields are added by this Odoo module.
    pub(crate) fn addon(&mut self, module: &'static str) -> &mut Self {
        self.module = module;
        self
    }

    fn add(
        &mut self,
        name: &'static str,
        ftype: FieldType,
        string: &'static str,
        store: bool,
        computed: bool,
    ) -> &mut Self {
        let readonly = computed || matches!(name, "id" | "create_date" | "write_date" | "display_name");
        // A later declaration of the same name overrides the earlier one, as in Odoo.
        self.fields.retain(|f| f.name != name);
        self.fields.push(FieldDef {
            name,
            ftype,
            string,
            module: self.module,
            store,
            computed,
            readonly,
            required: false,
            translate: false,
            digits: None,
            domain: None,
        });
        self
    }

    /// A plain database column.
    pub(crate) fn stored(&mut self, name: &'static str, ftype: FieldType, string: &'static str) -> &mut Self {
        self.add(name, ftype, string, true, false)
    }

    /// A value computed on read and not stored; writes leave it alone.
    pub(crate) fn computed(&mut self, name: &'static str, ftype: FieldType, string: &'static str) -> &mut Self {
        self.add(name, ftype, string, false, true)
    }

    /// A computed value Odoo stores (searchable and sortable); the simulator computes it on read.
    pub(crate) fn stored_computed(&mut self, name: &'static str, ftype: FieldType, string: &'static str) -> &mut Self {
        self.add(name, ftype, string, true, true)
    }

    /// A field Odoo does not store on this model but lets you write (a related field with an
    /// inverse, such as `product.product.name` on its template): the simulator keeps the value.
    pub(crate) fn related(&mut self, name: &'static str, ftype: FieldType, string: &'static str) -> &mut Self {
        self.add(name, ftype, string, false, false)
    }

    fn flag(&mut self, name: &'static str, set: impl Fn(&mut FieldDef)) -> &mut Self {
        if let Some(field) = self.fields.iter_mut().find(|f| f.name == name) {
            set(field);
        }
        self
    }

    pub(crate) fn required(&mut self, name: &'static str) -> &mut Self {
        self.flag(name, |f| f.required = true)
    }

    pub(crate) fn translated(&mut self, name: &'static str) -> &mut Self {
        self.flag(name, |f| f.translate = true)
    }

    /// Rounded to `places` decimals when stored, as a float with `digits` is.
    pub(crate) fn digits(&mut self, name: &'static str, places: u32) -> &mut Self {
        self.flag(name, |f| f.digits = Some(places))
    }

    /// A one2many listing only the comodel's records matching this domain.
    pub(crate) fn domain(&mut self, name: &'static str, domain: Value) -> &mut Self {
        if let Some(field) = self.fields.iter_mut().find(|f| f.name == name) {
            field.domain = Some(domain);
        }
        self
    }

    pub(crate) fn default(&mut self, name: &'static str, value: Value) -> &mut Self {
        self.defaults.retain(|(n, _)| *n != name);
        self.defaults.push((name, value));
        self
    }
}
