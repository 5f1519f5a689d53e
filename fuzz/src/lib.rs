//! Fuzz targets for everything odoo-mesh parses from outside (issue 17): each is a plain function
//! over arbitrary bytes that must never panic — that is the property every target checks — and
//! asserts more where it can: a request is converted or refused with an error a client accepts, a
//! token that opens was sealed by us, the simulator's domains select what a plain evaluator does.
//!
//! libFuzzer drives them through `fuzz_targets/` (nightly, `--features libfuzzer`); on stable,
//! `tests/corpus.rs` replays the committed corpus and the regressions through the same functions.

mod config;
mod domain;
mod headers;
mod odoo;
mod policy;
mod requests;
mod tokens;

pub use config::config;
pub use domain::domain;
pub use headers::headers;
pub use odoo::{odoo_envelopes, odoo_records};
pub use policy::policy;
pub use requests::requests;
pub use tokens::tokens;

/// A fuzz target: bytes in, a panic when a property breaks.
pub type Target = fn(&[u8]);

/// Every target by name: the name of its `fuzz_targets/` binary and of its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("requests", requests),
    ("odoo_records", odoo_records),
    ("odoo_envelopes", odoo_envelopes),
    ("tokens", tokens),
    ("headers", headers),
    ("policy", policy),
    ("config", config),
    ("domain", domain),
];

/// What a client accepts of an error: its headers under 12 KiB (hyper refuses 16 KiB, and the
/// response has other headers), as `services/error.rs` promises for every status.
fn assert_status_fits(status: &tonic::Status) {
    let response = status.clone().into_http::<tonic::body::Body>();
    let bytes: usize = response.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 32).sum();
    assert!(bytes <= 12 * 1024, "an error of {bytes} header bytes: {:?}", status.code());
    assert!(status.message().len() <= 1024 + 64, "a message of {} bytes", status.message().len());
}

/// The first byte picks among `n` choices; the rest is the input.
fn split_choice(data: &[u8], n: usize) -> Option<(usize, &[u8])> {
    let (first, rest) = data.split_first()?;
    Some((usize::from(*first) % n, rest))
}
