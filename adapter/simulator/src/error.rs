//! What the simulated Odoo raises. Some failures read differently on the two wire formats (an unknown
//! model is a `UserError` over JSON-RPC but a 404 `NotFound` over JSON-2), so those keep their own
//! variants and each wire module renders them.

/// A Python exception as Odoo would raise it: its qualified class name and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    pub name: String,
    pub message: String,
}

impl Raised {
    pub fn new(name: &str, message: impl Into<String>) -> Self {
        Self { name: name.to_owned(), message: message.into() }
    }
}

pub(crate) const USER_ERROR: &str = "odoo.exceptions.UserError";
pub(crate) const VALIDATION_ERROR: &str = "odoo.exceptions.ValidationError";
pub(crate) const ACCESS_ERROR: &str = "odoo.exceptions.AccessError";
pub(crate) const ACCESS_DENIED: &str = "odoo.exceptions.AccessDenied";
pub(crate) const MISSING_ERROR: &str = "odoo.exceptions.MissingError";
pub(crate) const VALUE_ERROR: &str = "builtins.ValueError";
pub(crate) const TYPE_ERROR: &str = "builtins.TypeError";
pub(crate) const SERIALIZATION_FAILURE: &str = "psycopg2.errors.SerializationFailure";
pub(crate) const SERIALIZATION_MESSAGE: &str = "could not serialize access due to concurrent update\n";
pub(crate) const NUMERIC_VALUE_OUT_OF_RANGE: &str = "psycopg2.errors.NumericValueOutOfRange";

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    /// An exception raised while running the method; rendered the same way by both wires
    /// (JSON-2 picks the HTTP status from the exception class).
    Raise(Raised),
    UnknownModel(String),
    UnknownMethod {
        model: String,
        method: String,
    },
    PrivateMethod {
        model: String,
        method: String,
    },
    MissingArgument {
        method: String,
        param: &'static str,
    },
    UnexpectedKeyword {
        method: String,
        keyword: String,
        strict: bool,
    },
    IdsOnModelMethod {
        model: String,
        method: String,
    },
}

impl SimError {
    pub fn user(message: impl Into<String>) -> Self {
        Self::Raise(Raised::new(USER_ERROR, message))
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::Raise(Raised::new(VALIDATION_ERROR, message))
    }

    pub fn value(message: impl Into<String>) -> Self {
        Self::Raise(Raised::new(VALUE_ERROR, message))
    }

    pub fn type_error(message: impl Into<String>) -> Self {
        Self::Raise(Raised::new(TYPE_ERROR, message))
    }

    pub fn missing(model: &str, ids: &[i64], uid: i64) -> Self {
        let ids = ids.iter().map(|i| format!("{i}, ")).collect::<String>();
        let ids = if ids.matches(',').count() == 1 {
            ids.trim_end().to_owned()
        } else {
            ids.trim_end_matches(", ").to_owned()
        };
        Self::Raise(Raised::new(
            MISSING_ERROR,
            format!("Record does not exist or has been deleted.\n(Record: {model}({ids}), User: {uid})"),
        ))
    }

    /// PostgreSQL refusing a literal beyond its `integer` column, as Odoo passes it on (the real
    /// message goes on with the SQL line and a caret).
    pub fn integer_out_of_range(literal: &str) -> Self {
        Self::Raise(Raised::new(
            NUMERIC_VALUE_OUT_OF_RANGE,
            format!("value \"{literal}\" is out of range for type integer\n"),
        ))
    }

    pub fn access(message: impl Into<String>) -> Self {
        Self::Raise(Raised::new(ACCESS_ERROR, message))
    }
}

pub(crate) type SimResult<T> = Result<T, SimError>;
