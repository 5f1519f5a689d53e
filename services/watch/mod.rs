//! Watch streams: a cache per record kind fed by one change capture, read by any number of
//! resumable streams (see `hub` for the cache, `stream` for delivery, `token` for resuming).

pub mod hub;
pub mod records;
pub mod stock;
pub mod stream;
pub mod token;

pub use hub::{Hub, Retention, Watched};
pub use records::RecordView;
pub use stock::{CaptureSettings, StockView};
pub use stream::{Event, Opening, StreamSettings, Watch, WatchStream};

/// A view that can be asked to poll Odoo now (when Odoo's webhook says something changed).
pub trait Poke: Send + Sync {
    fn poke(&self);
}

impl Poke for StockView {
    fn poke(&self) {
        StockView::poke(self);
    }
}

impl<R: records::Reader> Poke for RecordView<R> {
    fn poke(&self) {
        RecordView::poke(self);
    }
}
