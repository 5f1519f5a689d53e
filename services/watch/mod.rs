//! Watch streams: a cache per record kind fed by one change capture, read by any number of
//! resumable streams (see `hub` for the cache, `stream` for delivery, `token` for resuming).

pub mod hub;
pub mod orders;
pub mod stock;
pub mod stream;
pub mod token;

pub use hub::{Hub, Retention, Watched};
pub use orders::OrderView;
pub use stock::{CaptureSettings, StockView};
pub use stream::{Event, Opening, StreamSettings, Watch, WatchStream};
