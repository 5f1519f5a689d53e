//! The audit trail: one structured record per mutating call — when, who, which method, the
//! caller's `request_id`, the Odoo model and record ids touched, the outcome, and whether it was an
//! idempotent replay. Written as JSON lines to the audit file when one is configured, and always to
//! the log under the target `odoo_mesh::audit`.

use std::{
    future::Future,
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use serde::Serialize;
use tonic::{Code, Status};

use crate::{
    authz::{self, Caller},
    deadline::CallDeadline,
};

/// One audited call.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    pub time: String,
    pub identity: &'a str,
    pub method: &'static str,
    pub request_id: Option<&'a str>,
    pub odoo_model: &'static str,
    pub odoo_ids: &'a [i64],
    /// `OK` or the gRPC code the call ended with.
    pub outcome: String,
    pub replayed: bool,
}

/// A mutating call under way. Its record is written when it ends — and when it never does: a call
/// dropped at its deadline (or by its caller) may have had Odoo commit a write, and every record
/// odoo-mesh writes must be traceable to an audit line (the `request_id` names its external ids).
pub struct Pending {
    log: Arc<AuditLog>,
    caller: Caller,
    method: &'static str,
    request_id: Option<String>,
    model: &'static str,
    deadline: Option<CallDeadline>,
    written: bool,
}

impl Pending {
    /// Runs a mutating call and writes its audit record, whatever the outcome — also when the call
    /// is dropped at its deadline. `work` yields the response, the Odoo ids it touched and whether
    /// it replayed an earlier call.
    pub async fn around<T>(self, work: impl Future<Output = Result<(T, Vec<i64>, bool), Status>>) -> Result<T, Status> {
        let result = work.await;
        self.finish(result.as_ref().map(|(_, ids, replayed)| (ids.as_slice(), *replayed)));
        result.map(|(response, _, _)| response)
    }

    pub fn finish(mut self, outcome: Result<(&[i64], bool), &Status>) {
        self.written = true;
        self.log.record(&self.caller, self.method, self.request_id.as_deref(), self.model, outcome);
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.written {
            return;
        }
        let code =
            if self.deadline.is_some_and(CallDeadline::passed) { Code::DeadlineExceeded } else { Code::Cancelled };
        let status = Status::new(code, "the call ended before its outcome was known");
        self.log.record(&self.caller, self.method, self.request_id.as_deref(), self.model, Err(&status));
    }
}

/// Where audit records go.
pub struct AuditLog {
    file: Option<Mutex<std::fs::File>>,
    path: Option<PathBuf>,
}

impl AuditLog {
    pub fn open(path: Option<&Path>) -> std::io::Result<Self> {
        let file = match path {
            Some(p) => Some(Mutex::new(std::fs::OpenOptions::new().create(true).append(true).open(p)?)),
            None => None,
        };
        if file.is_some() {
            // Exported at zero from the start, so the first failure shows as an increase.
            metrics::counter!("odoo_mesh_audit_write_failures_total").increment(0);
        }
        Ok(Self { file, path: path.map(Path::to_path_buf) })
    }

    /// Starts auditing a mutating call.
    pub fn begin<T>(
        self: &Arc<Self>,
        request: &tonic::Request<T>,
        method: &'static str,
        request_id: Option<&str>,
        model: &'static str,
    ) -> Pending {
        Pending {
            log: self.clone(),
            caller: authz::caller(request),
            method,
            request_id: request_id.map(str::to_owned),
            model,
            deadline: request.extensions().get::<CallDeadline>().copied(),
            written: false,
        }
    }

    /// Records a call's outcome: the Odoo ids it touched and whether it replayed an earlier one.
    fn record(
        &self,
        caller: &Caller,
        method: &'static str,
        request_id: Option<&str>,
        model: &'static str,
        outcome: Result<(&[i64], bool), &Status>,
    ) {
        let (ids, replayed, outcome) = match outcome {
            Ok((ids, replayed)) => (ids, replayed, "OK".to_owned()),
            Err(status) => (&[][..], false, format!("{:?}", status.code())),
        };
        let format = time::format_description::well_known::Rfc3339;
        let record = AuditRecord {
            time: time::OffsetDateTime::now_utc().format(&format).unwrap_or_default(),
            identity: caller.name(),
            method,
            request_id,
            odoo_model: model,
            odoo_ids: ids,
            outcome,
            replayed,
        };
        tracing::info!(
            target: "odoo_mesh::audit",
            identity = record.identity,
            method = record.method,
            request_id = record.request_id,
            odoo_model = record.odoo_model,
            odoo_ids = ?record.odoo_ids,
            outcome = %record.outcome,
            replayed = record.replayed,
            "audit"
        );
        if let Some(file) = &self.file {
            let mut line = serde_json::to_vec(&record).unwrap_or_default();
            line.push(b'\n');
            let mut file = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Err(error) = file.write_all(&line) {
                tracing::error!(%error, path = ?self.path, "audit record could not be written");
                // The record is still in the log (target `odoo_mesh::audit`), not lost.
                metrics::counter!("odoo_mesh_audit_write_failures_total").increment(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The failures counted by a local recorder.
    fn failures(recorder: &metrics_exporter_prometheus::PrometheusRecorder) -> Option<u64> {
        recorder.handle().render().lines().find_map(|line| {
            line.strip_prefix("odoo_mesh_audit_write_failures_total ").and_then(|value| value.parse().ok())
        })
    }

    #[test]
    fn a_record_the_audit_file_refuses_is_counted() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        // Every write to /dev/full fails with "no space left on device".
        let log = metrics::with_local_recorder(&recorder, || AuditLog::open(Some(Path::new("/dev/full"))))
            .expect("/dev/full opens");
        assert_eq!(failures(&recorder), Some(0), "exported at zero before any failure");
        let caller = Caller(None);
        metrics::with_local_recorder(&recorder, || {
            log.record(&caller, "CreateSalesOrder", Some("r-1"), "sale.order", Ok((&[7][..], false)));
        });
        assert_eq!(failures(&recorder), Some(1));
    }
}
