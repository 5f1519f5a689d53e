//! What reverses a command's writes. Every write that succeeds pushes the calls that undo it; when
//! a later step fails, they run last first, so a failed command leaves nothing half-made in Odoo.

use crate::{OdooCall, odoo::Odoo};

/// The undo stack of one command.
#[derive(Debug, Default)]
pub(crate) struct Undo {
    steps: Vec<Step>,
}

#[derive(Debug)]
struct Step {
    /// What the step reverses, for the log when it cannot.
    what: String,
    /// Run in order; each is tried even if one before it failed.
    calls: Vec<OdooCall>,
}

impl Undo {
    /// Records how to reverse a write that just succeeded.
    pub(crate) fn push(&mut self, what: impl Into<String>, calls: Vec<OdooCall>) {
        self.steps.push(Step { what: what.into(), calls });
    }

    /// Reverses every recorded write, last first; whether all of it was reversed. A step that
    /// fails is logged, never hidden behind the failure that made the command undo.
    pub(crate) async fn run(mut self, odoo: &Odoo) -> bool {
        let mut complete = true;
        while let Some(step) = self.steps.pop() {
            for call in step.calls {
                let (model, method) = (call.model.clone(), call.method.clone());
                if let Err(error) = odoo.call(call).await {
                    tracing::error!(what = %step.what, %model, %method, %error, "could not undo a write of a failed command");
                    complete = false;
                }
            }
        }
        complete
    }
}
