//! A shipment's carrier, parcels and milestones. A milestone is a note in the shipment's chatter
//! (people see it there), imported under an external id made of the shipment and the carrier's
//! event id: the same carrier event is recorded once, whatever request ids it comes under and
//! however many copies arrive at once. The current milestone is the one that happened last, so a
//! late event never moves it back.

use serde::Serialize;

use super::{Shipments, TRACKING_NOTES, one};
use crate::{
    command::{self, Command, FlowError, Key, Undo, ledger::idempotency_key, refusal},
    models::{Captured, Milestone, Shipment, TrackingEvent},
    odoo::{
        Capability, Model, Odoo, Schema, carrier,
        ir_model_data::{self, Loaded},
        mail_message::{self, MESSAGE, NewNote},
        stock_picking::{self, PICKING},
    },
    resolve::Violations,
};

impl Shipments {
    /// Sets a shipment's carrier (when given) and its parcels' tracking references, also after
    /// it is done. Setting what is set already changes nothing.
    pub async fn set_tracking(
        &self,
        id: i64,
        carrier: Option<i64>,
        references: &[String],
    ) -> Result<Shipment, FlowError> {
        let schema = self.odoo.ready(Capability::Shipments).await?;
        let shipment = one(&self.odoo, &schema, id).await?;
        if let Some(carrier) = carrier
            && !carrier::exists(&self.odoo, &schema, carrier).await?
        {
            let mut violations = Violations::default();
            violations.add("carrier", format!("no carrier carriers/{carrier}"));
            return violations.finish(shipment);
        }
        self.odoo.call(stock_picking::set_tracking(&schema, id, carrier, references)).await.map_err(refusal)?;
        one(&self.odoo, &schema, id).await
    }

    /// Records a carrier's milestone once per request id (within the caller's scope), and once
    /// per carrier event id of the shipment.
    pub async fn record_tracking_event(
        &self,
        id: i64,
        request_id: &str,
        event: TrackingEvent,
        scope: &str,
    ) -> Result<Captured<Shipment>, FlowError> {
        command::run(&self.odoo, RecordTrackingEvent { shipment: id, event }, request_id, scope).await
    }
}

#[derive(Debug, Serialize)]
struct RecordTrackingEvent {
    shipment: i64,
    event: TrackingEvent,
}

impl RecordTrackingEvent {
    /// The note's external id: the shipment's and the carrier's event's, or (an event without a
    /// carrier id) the key's.
    fn note_name(&self, key: &Key) -> String {
        match self.event.carrier_event_id.as_str() {
            "" => key.record_name("event"),
            event => format!("event_{}", idempotency_key(&format!("shipments/{}", self.shipment), event)),
        }
    }
}

impl Command for RecordTrackingEvent {
    /// The shipment's reference, for the note.
    type Plan = String;
    type Record = Shipment;
    const KIND: &'static str = "trk";
    const NAME: &'static str = "record_tracking_event";
    const CAPABILITY: Capability = Capability::Shipments;
    const MODEL: Model = PICKING;

    fn target(&self) -> i64 {
        self.shipment
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<String, FlowError> {
        Ok(one(odoo, schema, self.shipment).await?.reference)
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        reference: String,
        _undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let event = &self.event;
        let label = label(event.milestone);
        let mut lines = vec![match event.location.as_str() {
            "" => format!("{label} ({reference})"),
            location => format!("{label} at {location} ({reference})"),
        }];
        lines.extend([event.description.clone(), event.carrier_event_id.clone()].into_iter().filter(|l| !l.is_empty()));
        let subject = format!("Carrier tracking: {label}");
        let note = NewNote { kind: TRACKING_NOTES, subject: &subject, date: event.at, lines: &lines, facts: event };
        let name = self.note_name(key);
        if ir_model_data::find(odoo, schema, &name, MESSAGE).await?.is_some() {
            // Recorded before, under another request id: the carrier sent the event again.
            metrics::counter!("odoo_mesh_tracking_events_total", "outcome" => "duplicate").increment(1);
            return Ok(self.shipment);
        }
        // The note needs no undo: it is the command's one write, and another request may have
        // recorded the same carrier event under it (the import then answers that note).
        match mail_message::keep(odoo, schema, &name, (PICKING, self.shipment), &note).await? {
            Loaded::Record(_) => {
                metrics::counter!("odoo_mesh_tracking_events_total", "outcome" => "recorded").increment(1);
                Ok(self.shipment)
            }
            Loaded::Refused(messages) => Err(FlowError::Refused(messages.join("; "))),
        }
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        let note = ir_model_data::find(odoo, schema, &self.note_name(key), MESSAGE).await?;
        Ok(note.map(|_| self.shipment))
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, _replayed: bool) -> Result<Shipment, FlowError> {
        one(odoo, schema, record).await
    }
}

/// How people read a milestone.
fn label(milestone: Milestone) -> &'static str {
    match milestone {
        Milestone::PickedUp => "Picked up by the carrier",
        Milestone::InTransit => "In transit",
        Milestone::OutForDelivery => "Out for delivery",
        Milestone::Delivered => "Delivered",
        Milestone::FailedAttempt => "Delivery attempt failed",
        Milestone::Exception => "Held up",
        Milestone::Returning => "Being returned to the sender",
    }
}
