//! What the load benchmarks share: the pinned server processes, the reference server and the
//! load generator.
#![allow(dead_code)]

pub(crate) mod bare;
pub(crate) mod client;
pub(crate) mod process;
