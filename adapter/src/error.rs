//! Odoo's failures, decoded once into one typed error. Odoo's traceback (`debug`) is dropped here and
//! never travels further.

/// Why a transport-level failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// Could not connect (refused, unreachable, TLS handshake failed).
    Connect,
    /// The connection dropped before an answer arrived (the call may or may not have run).
    ConnectionLost,
    /// No answer within the request timeout.
    Timeout,
    /// A non-Odoo HTTP error, typically from a proxy (502, 503, 504) or Odoo's router (404 HTML).
    HttpStatus(u16),
}

/// A failed Odoo call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OdooError {
    /// Odoo refused odoo-mesh's own credentials.
    #[error("odoo rejected the configured credentials")]
    AccessDenied,
    /// The Odoo user may not do this (`odoo.exceptions.AccessError`).
    #[error("odoo access error: {message}")]
    AccessError { message: String },
    /// A business rule refused the call (`UserError`).
    #[error("{message}")]
    UserError { message: String },
    /// A constraint refused the data (`ValidationError`, SQL constraints).
    #[error("{message}")]
    ValidationError { message: String },
    /// The record does not exist or was deleted (`MissingError`).
    #[error("{message}")]
    MissingRecord { message: String },
    /// The transaction lost a race with another one; safe to retry.
    #[error("odoo concurrency failure: {message}")]
    ConcurrencyFailure { message: String },
    /// Odoo does not know this model (a module is not installed).
    #[error("odoo has no model {model}")]
    UnknownModel { model: String },
    /// Odoo does not know this method.
    #[error("odoo has no such method: {message}")]
    UnknownMethod { message: String },
    /// Odoo does not know a field odoo-mesh used.
    #[error("odoo field mismatch: {message}")]
    UnknownField { message: String },
    /// The connected Odoo lacks what this needs: a module is not installed, or the version is not
    /// supported (see `Schema::availability`).
    #[error("{message}")]
    Unsupported { message: String },
    /// Odoo refused the call's arguments: a bug on our side.
    #[error("odoo refused the call: {name}: {message}")]
    InvalidCall { name: String, message: String },
    /// Odoo's database is down or missing.
    #[error("odoo database unavailable: {message}")]
    DatabaseUnavailable { message: String },
    /// The call did not reach Odoo, or its answer did not reach us.
    #[error("odoo transport failure ({failure:?}): {message}")]
    Transport { failure: TransportFailure, message: String },
    /// No slot toward Odoo freed up within the queue timeout: Odoo is at capacity.
    #[error("odoo is at capacity: no slot within {waited:?}")]
    Overloaded { waited: std::time::Duration },
    /// Recent calls found Odoo down; calls fail fast until `retry_after` has passed.
    #[error("odoo is down: failing fast for {retry_after:?}")]
    CircuitOpen { retry_after: std::time::Duration },
    /// Odoo holds a value in a record that odoo-mesh cannot decode — a number beyond a decimal's
    /// range, a value of another type than its field's. Data odoo-mesh did not write and cannot
    /// vet: someone must correct the record in Odoo.
    #[error("{0}")]
    UnreadableRecord(crate::odoo::DecodeError),
    /// Odoo answered something that is not a JSON-RPC or JSON-2 answer.
    #[error("unexpected answer from odoo: {message}")]
    Protocol { message: String },
    /// Any other exception Odoo raised.
    #[error("odoo error {name}: {message}")]
    Unknown { name: String, message: String },
}

impl OdooError {
    /// Decodes Odoo's exception class name and message (identical in both wire formats).
    pub fn from_exception(name: &str, message: &str) -> Self {
        let message = message.to_owned();
        match name {
            "odoo.exceptions.AccessDenied" | "werkzeug.exceptions.Unauthorized" => Self::AccessDenied,
            "odoo.exceptions.AccessError" => Self::AccessError { message },
            "odoo.exceptions.UserError" => {
                match message.strip_prefix("Object ").and_then(|m| m.strip_suffix(" doesn't exist")) {
                    Some(model) => Self::UnknownModel { model: model.to_owned() },
                    None => Self::UserError { message },
                }
            }
            "odoo.exceptions.ValidationError" => Self::ValidationError { message },
            "odoo.exceptions.MissingError" => Self::MissingRecord { message },
            "odoo.exceptions.ConcurrencyError"
            | "psycopg2.errors.SerializationFailure"
            | "psycopg2.errors.DeadlockDetected"
            | "psycopg2.errors.LockNotAvailable"
            | "psycopg2.extensions.TransactionRollbackError" => Self::ConcurrencyFailure { message },
            "builtins.ValueError" if message.starts_with("Invalid field") => Self::UnknownField { message },
            "builtins.AttributeError" => Self::UnknownMethod { message },
            "werkzeug.exceptions.NotFound" => {
                match message.strip_prefix("the model '").and_then(|m| m.strip_suffix("' does not exist")) {
                    Some(model) => Self::UnknownModel { model: model.to_owned() },
                    None => Self::UnknownMethod { message },
                }
            }
            "psycopg2.OperationalError" => Self::DatabaseUnavailable { message },
            "builtins.TypeError"
            | "builtins.KeyError"
            | "werkzeug.exceptions.UnprocessableEntity"
            | "werkzeug.exceptions.BadRequest" => Self::InvalidCall { name: name.to_owned(), message },
            _ if message.contains("could not serialize access") => Self::ConcurrencyFailure { message },
            _ => Self::Unknown { name: name.to_owned(), message },
        }
    }

    /// Whether this failure says Odoo itself is down, rather than refusing this one call.
    pub fn means_odoo_is_down(&self) -> bool {
        matches!(self, Self::Transport { .. } | Self::DatabaseUnavailable { .. }) && self.is_transient()
    }

    /// Whether the same call may succeed if simply tried again later.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::ConcurrencyFailure { .. } | Self::DatabaseUnavailable { .. } | Self::Overloaded { .. } => true,
            Self::Transport { failure, .. } => match failure {
                TransportFailure::HttpStatus(status) => matches!(status, 502..=504),
                _ => true,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_exception_names_decode_to_their_kind() {
        let cases = [
            (
                "odoo.exceptions.UserError",
                "Object x_nope.model doesn't exist",
                OdooError::UnknownModel { model: "x_nope.model".into() },
            ),
            (
                "werkzeug.exceptions.NotFound",
                "the model 'x_nope.model' does not exist",
                OdooError::UnknownModel { model: "x_nope.model".into() },
            ),
            ("odoo.exceptions.AccessDenied", "Access Denied", OdooError::AccessDenied),
            ("werkzeug.exceptions.Unauthorized", "Invalid apikey", OdooError::AccessDenied),
        ];
        for (name, message, expected) in cases {
            assert_eq!(OdooError::from_exception(name, message), expected, "{name}");
        }
        assert!(matches!(
            OdooError::from_exception("builtins.ValueError", "Invalid field 'x' on model 'y'"),
            OdooError::UnknownField { .. }
        ));
        assert!(matches!(
            OdooError::from_exception("odoo.exceptions.MissingError", "Record does not exist"),
            OdooError::MissingRecord { .. }
        ));
        assert!(
            OdooError::from_exception("psycopg2.errors.SerializationFailure", "could not serialize access")
                .is_transient()
        );
        assert!(
            !OdooError::from_exception(
                "odoo.exceptions.UserError",
                "Some orders are not in a state requiring confirmation."
            )
            .is_transient()
        );
    }
}
