//! How a call reaches Odoo: one pooled client speaking either wire format, guarded on the way by
//! the breaker (fail fast while Odoo is down), the governor (bounded concurrency, priorities), a
//! retry budget (only what is safe to repeat), and read coalescing and batching (identical reads
//! share one Odoo call).

mod batch;
mod breaker;
mod client;
mod coalesce;
mod governor;
mod retry;
pub(crate) mod transport;

pub(crate) use batch::StockBatcher;
pub use breaker::BreakerConfig;
pub use client::{OdooClient, SearchOptions};
pub use governor::{DEFAULT_MAX_CONCURRENCY, DEFAULT_QUEUE_TIMEOUT, Priority};
pub use transport::{OdooCall, ServerVersion};
