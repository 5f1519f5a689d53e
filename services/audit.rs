//! The audit trail: one structured record per mutating call — when, who, which method, the
//! caller's `request_id`, the Odoo model and record ids touched, the outcome, and whether it was an
//! idempotent replay. Written as JSON lines to the audit file when one is configured, and always to
//! the log under the target `odoo_mesh::audit`.

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::Mutex,
};

use serde::Serialize;
use tonic::Status;

use crate::authz::Caller;

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
        Ok(Self { file, path: path.map(Path::to_path_buf) })
    }

    /// Records a call's outcome: the Odoo ids it touched and whether it replayed an earlier one.
    pub fn record(
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
            }
        }
    }
}
