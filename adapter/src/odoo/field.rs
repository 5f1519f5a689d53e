//! How the model layer names what it uses of Odoo: a model, the fields it reads and writes — with
//! the name each has had across versions and the module that adds it — and the methods it calls.
//! The names are resolved against the connected server's own `fields_get` (see `schema`), so a
//! field renamed between versions is written once, here, and never chosen per flow.

/// An Odoo model odoo-mesh uses, and the module that defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Model {
    pub(crate) name: &'static str,
    pub(crate) module: &'static str,
}

impl Model {
    pub(crate) const fn new(name: &'static str, module: &'static str) -> Self {
        Self { name, module }
    }

    /// A field the model's own module defines, with the same name in every supported version.
    pub(crate) const fn field(self, name: &'static str) -> Field {
        Field { model: self, name, old_name: None, module: self.module, optional: false }
    }

    /// A method the model's own module defines.
    pub(crate) const fn method(self, name: &'static str) -> Method {
        Method { model: self, name, module: self.module }
    }
}

/// A field of a model, by its current name and the name it had before, if it was renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Field {
    pub(crate) model: Model,
    /// Its name from Odoo 19 on.
    pub(crate) name: &'static str,
    /// Its name in Odoo 18, when 19 renamed it (or replaced it with one that serves the same end).
    pub(crate) old_name: Option<&'static str>,
    /// The module that adds it, which may not be the model's own.
    pub(crate) module: &'static str,
    /// Not every database has it: read when the server has it, decoded as empty when not.
    pub(crate) optional: bool,
}

impl Field {
    /// Added to the model by another module.
    pub(crate) const fn from(mut self, module: &'static str) -> Self {
        self.module = module;
        self
    }

    /// Called `old` in Odoo 18.
    pub(crate) const fn before_19(mut self, old: &'static str) -> Self {
        self.old_name = Some(old);
        self
    }

    /// Used when present; its absence takes nothing away (a version or module lacks it).
    pub(crate) const fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Its names, current first.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.old_name)
    }

    /// How a person reads it in a report: `sale.order.line.product_uom_id`.
    pub(crate) fn describe(&self) -> String {
        match self.old_name {
            Some(old) => format!("{}.{} (or {old})", self.model.name, self.name),
            None => format!("{}.{}", self.model.name, self.name),
        }
    }
}

/// A model method odoo-mesh calls. Odoo cannot list a model's methods before Odoo 19, so a method
/// is taken to exist when the module that adds it is installed (its model and fields are there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Method {
    pub(crate) model: Model,
    pub(crate) name: &'static str,
    pub(crate) module: &'static str,
}

impl Method {
    /// Added to the model by another module.
    pub(crate) const fn from(mut self, module: &'static str) -> Self {
        self.module = module;
        self
    }
}
