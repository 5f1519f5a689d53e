//! The bounds every request meets at the protobuf edge, one mechanism per module, before anything
//! reaches Odoo: the one syntax of decimal strings and the range that survives Odoo's floats
//! (`decimal`), record ids within PostgreSQL's `integer` (`id`), tamper-evident page and resume
//! tokens (`token`), instants Odoo can store (`timestamp`), how much one request may ask
//! (`limits`), and how much of a caller's value an error repeats (`echo`).

pub(crate) mod checks;
pub(crate) mod decimal;
pub(crate) mod echo;
pub(crate) mod id;
pub(crate) mod limits;
pub(crate) mod timestamp;
pub(crate) mod token;

pub use token::TokenKey;
