//! Shipping methods (`delivery.carrier`, module `delivery`).

use crate::orm::{
    OdooVersion,
    fields::{FieldType::*, Fields},
    registry::{Info, Model},
};

pub(crate) struct Carrier;

impl Model for Carrier {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("delivery.carrier", "Shipping Methods", "delivery", "sequence, id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Delivery Method")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active");
    }
}
