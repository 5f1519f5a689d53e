//! The one map from Odoo's answers to a flow's errors: a business rule Odoo enforced (`UserError`,
//! `ValidationError`) is a refusal, kept in Odoo's words, whichever step met it; everything else
//! stays an Odoo failure, mapped to its gRPC code by the services.

use super::FlowError;
use crate::OdooError;

pub(crate) fn refusal(error: OdooError) -> FlowError {
    match error {
        OdooError::UserError { message } | OdooError::ValidationError { message } => FlowError::Refused(message),
        other => FlowError::Odoo(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_rules_are_refusals_in_odoos_words() {
        let message = "Some orders are not in a state requiring confirmation.".to_owned();
        for error in
            [OdooError::UserError { message: message.clone() }, OdooError::ValidationError { message: message.clone() }]
        {
            assert!(matches!(refusal(error), FlowError::Refused(m) if m == message));
        }
        assert!(matches!(
            refusal(OdooError::ConcurrencyFailure { message: "race".into() }),
            FlowError::Odoo(OdooError::ConcurrencyFailure { .. })
        ));
    }
}
