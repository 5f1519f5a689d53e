//! One watch stream: a task that reads the hub at its own cursor and feeds a bounded buffer, and
//! the response stream that drains the buffer into gRPC.
//!
//! A stream that cannot keep up is not allowed to hold memory or slow anyone down: its buffer is
//! bounded, the log coalesces what it has not read yet to the newest state per key, and once it is
//! more than `max_lag` revisions behind (or behind the log's start) it is ended with a status that
//! carries its resume token. Ending statuses are built by the response stream itself, with the
//! token of the last event the client was actually given, so buffered events dropped at the end
//! can never open a gap.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, SystemTime},
};

use futures::Stream;
use tokio::sync::{mpsc, oneshot, watch};
use tonic::Status;

use super::{
    hub::{Change, Hub, ResumeRefused, Start, Watched},
    token::ResumeToken,
};
use odoo_adapter::OdooError;

use crate::{ApiError, edge::TokenKey, error::FieldViolation};

/// How long a new stream waits for a view that is still loading before it is refused.
const VIEW_LOAD_PATIENCE: Duration = Duration::from_secs(5);

/// Limits and timing of every stream.
#[derive(Debug, Clone, Copy)]
pub struct StreamSettings {
    /// An idle stream gets a heartbeat this often.
    pub heartbeat: Duration,
    /// A stream more revisions behind than this is ended as too slow.
    pub max_lag: u64,
    /// Events buffered per stream.
    pub buffer: usize,
}

/// How a client asked to start.
#[derive(Debug, Clone)]
pub enum Opening {
    /// From now on.
    Now,
    /// The current state of everything in the filter first, then changes.
    Snapshot,
    /// After a token from an earlier stream.
    Resume(String),
}

/// What a stream sends; each service renders it into its protobuf message.
pub enum Event<'a, T> {
    Snapshot(&'a T),
    SnapshotEnd(ResumeToken),
    Changed(&'a Change<T>),
    /// The current state of a key, sent on a resume the log cannot serve. Carries the token the
    /// client resumed with, so a stream broken during the replay resumes the replay.
    Replayed {
        item: &'a T,
        revision: u64,
        token: ResumeToken,
    },
    Heartbeat(ResumeToken),
}

// By hand: the derive would require `T: Copy`, but only references are copied.
impl<T> Clone for Event<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Event<'_, T> {}

impl<T> Event<'_, T> {
    fn kind(&self) -> &'static str {
        match self {
            Event::Snapshot(_) => "snapshot",
            Event::SnapshotEnd(_) => "snapshot_end",
            Event::Changed(_) => "changed",
            Event::Replayed { .. } => "replayed",
            Event::Heartbeat(_) => "heartbeat",
        }
    }

    /// The position a client stands at once it has this event (`None`: not a resumable point).
    fn position(&self) -> Option<ResumeToken> {
        match self {
            Event::Snapshot(_) => None,
            Event::Changed(change) => Some(change.token),
            Event::SnapshotEnd(token) | Event::Replayed { token, .. } | Event::Heartbeat(token) => Some(*token),
        }
    }
}

/// Why a stream ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    TooSlow,
    Draining,
}

struct Outgoing<M> {
    message: M,
    kind: &'static str,
    /// The sealed resume token of the position the client stands at once it has this message.
    position: Option<String>,
    detected_at: Option<SystemTime>,
}

/// Why a stream is told to resync: the `reason` of `odoo_mesh_watch_resyncs_total`.
const RESYNC_REASONS: [&str; 3] = ["expired", "replayed", "too_slow"];

/// Exports a view's resync counters at 0, so the first resync shows as an increase.
pub fn export_resyncs_at_zero(stream: &'static str) {
    for reason in RESYNC_REASONS {
        metrics::counter!("odoo_mesh_watch_resyncs_total", "stream" => stream, "reason" => reason).increment(0);
    }
}

/// Everything a stream needs besides its filter and its renderer.
pub struct Watch<T: Watched> {
    pub name: &'static str,
    pub hub: Arc<Hub<T>>,
    pub settings: StreamSettings,
    /// Turns true when the server drains.
    pub draining: watch::Receiver<bool>,
    /// Seals the resume tokens streams hand out and opens those clients resume with.
    pub tokens: TokenKey,
}

impl<T: Watched> Clone for Watch<T> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            hub: self.hub.clone(),
            settings: self.settings,
            draining: self.draining.clone(),
            tokens: self.tokens.clone(),
        }
    }
}

impl<T: Watched> Watch<T> {
    /// Waits for the view to be loaded. A server just started is still reading Odoo: worth a
    /// short wait rather than a refusal.
    pub async fn ready(&self) -> Result<(), ApiError> {
        let missing = |message| ApiError::Odoo(OdooError::Unsupported { message });
        if let Some(reason) = self.hub.unavailable() {
            return Err(missing(reason));
        }
        if self.hub.loaded_within(VIEW_LOAD_PATIENCE).await {
            return Ok(());
        }
        Err(self.hub.unavailable().map_or(ApiError::WatchNotReady { stream: self.name }, missing))
    }

    /// Opens a stream, or refuses: view not loaded in time, token malformed, unknown or expired.
    /// `render` makes each event a message, given the sealed resume token of the event's position
    /// (empty for an event that is not a resumable point).
    pub async fn open<M: Send + 'static>(
        &self,
        opening: Opening,
        keep: impl Fn(&T) -> bool + Send + Sync + 'static,
        render: impl Fn(Event<'_, T>, String) -> M + Send + 'static,
    ) -> Result<WatchStream<M>, ApiError> {
        self.ready().await?;
        let (start, position) = match &opening {
            Opening::Now => (None, Some(self.hub.position())),
            Opening::Snapshot => (None, None),
            Opening::Resume(text) => {
                let token = ResumeToken::open(text, &self.tokens, self.name)
                    .map_err(|e| FieldViolation::new("resume_token", e.to_string()))?;
                let start = self.hub.start_at(&token, SystemTime::now()).map_err(|refused| {
                    metrics::counter!("odoo_mesh_watch_resyncs_total", "stream" => self.name, "reason" => "expired")
                        .increment(1);
                    match refused {
                        ResumeRefused::Expired => {
                            ApiError::ResumeTokenExpired { retention: self.hub.retention().window }
                        }
                        ResumeRefused::Unknown => FieldViolation::new(
                            "resume_token",
                            "names a revision this server never issued; start a new watch",
                        )
                        .into(),
                    }
                })?;
                if start == Start::Replay {
                    metrics::counter!("odoo_mesh_watch_resyncs_total", "stream" => self.name, "reason" => "replayed")
                        .increment(1);
                }
                (Some((start, token)), Some(token))
            }
        };
        let (tx, rx) = mpsc::channel(self.settings.buffer);
        let (end_tx, end_rx) = oneshot::channel();
        let task = Delivery { watch: self.clone(), keep: Box::new(keep), render: Box::new(render), tx };
        tokio::spawn(async move {
            if let Err(Some(end)) = task.run(opening, start).await {
                let _ = end_tx.send(end);
            }
        });
        metrics::gauge!("odoo_mesh_watch_subscribers", "stream" => self.name).increment(1);
        let position = position.map(|p| p.seal(&self.tokens, self.name));
        Ok(WatchStream { name: self.name, events: rx, end: Some(end_rx), position })
    }
}

/// `Err(None)`: the client went away; `Err(Some(end))`: the stream is ended by the server.
type Delivered = Result<(), Option<End>>;

type Renderer<T, M> = Box<dyn Fn(Event<'_, T>, String) -> M + Send>;

struct Delivery<T: Watched, M> {
    watch: Watch<T>,
    keep: Box<dyn Fn(&T) -> bool + Send + Sync>,
    render: Renderer<T, M>,
    /// Boxed: tokio's channel allocates its first block of 32 slots when it opens, and a slot
    /// of a whole event would make that block most of an idle subscriber's memory.
    tx: mpsc::Sender<Box<Outgoing<M>>>,
}

impl<T: Watched, M: Send + 'static> Delivery<T, M> {
    async fn run(mut self, opening: Opening, resume: Option<(Start, ResumeToken)>) -> Delivered {
        // Subscribed before the starting position is read: no publication can fall in between.
        let mut updates = self.watch.hub.subscribe();
        let mut cursor = match (opening, resume) {
            (_, Some((Start::After(revision), _))) => revision,
            (_, Some((Start::Replay, token))) => {
                let (items, position) = self.watch.hub.snapshot(&*self.keep);
                for item in &items {
                    self.send(Event::Replayed { item, revision: position.revision, token }, position.revision).await?;
                }
                self.send(Event::Heartbeat(position), position.revision).await?;
                position.revision
            }
            (Opening::Snapshot, None) => {
                let (items, position) = self.watch.hub.snapshot(&*self.keep);
                for item in &items {
                    self.send(Event::Snapshot(item), position.revision).await?;
                }
                self.send(Event::SnapshotEnd(position), position.revision).await?;
                position.revision
            }
            (_, None) => self.watch.hub.position().revision,
        };
        let mut heartbeat_due = tokio::time::Instant::now() + self.watch.settings.heartbeat;
        loop {
            let batch = self.watch.hub.since(cursor, &*self.keep).map_err(|_| {
                metrics::counter!("odoo_mesh_watch_resyncs_total", "stream" => self.watch.name, "reason" => "too_slow")
                    .increment(1);
                Some(End::TooSlow)
            })?;
            let heartbeat = tokio::time::Instant::now() >= heartbeat_due;
            for change in &batch.changes {
                self.send(Event::Changed(change), change.revision).await?;
            }
            if batch.changes.is_empty() && heartbeat {
                self.send(Event::Heartbeat(batch.through), batch.through.revision).await?;
            }
            if !batch.changes.is_empty() || heartbeat {
                heartbeat_due = tokio::time::Instant::now() + self.watch.settings.heartbeat;
            }
            cursor = batch.through.revision;
            tokio::select! {
                changed = updates.changed() => if changed.is_err() { return Err(None) },
                () = tokio::time::sleep_until(heartbeat_due) => {}
                _ = self.watch.draining.wait_for(|d| *d) => return Err(Some(End::Draining)),
                () = self.tx.closed() => return Err(None),
            }
        }
    }

    /// Queues one event; while the buffer is full, watches how far behind the stream falls.
    async fn send(&mut self, event: Event<'_, T>, cursor: u64) -> Delivered {
        let position = event.position().map(|p| p.seal(&self.watch.tokens, self.watch.name));
        let outgoing = Box::new(Outgoing {
            kind: event.kind(),
            detected_at: match &event {
                Event::Changed(change) => Some(change.detected_at),
                _ => None,
            },
            message: (self.render)(event, position.clone().unwrap_or_default()),
            position,
        });
        let mut updates = self.watch.hub.subscribe();
        loop {
            tokio::select! {
                permit = self.tx.reserve() => {
                    permit.map_err(|_| None)?.send(outgoing);
                    return Ok(());
                }
                _ = updates.changed() => {
                    if self.watch.hub.lag(cursor) > self.watch.settings.max_lag {
                        metrics::counter!("odoo_mesh_watch_resyncs_total", "stream" => self.watch.name, "reason" => "too_slow")
                            .increment(1);
                        return Err(Some(End::TooSlow));
                    }
                }
                _ = self.watch.draining.wait_for(|d| *d) => return Err(Some(End::Draining)),
            }
        }
    }
}

/// The response stream of a watch.
pub struct WatchStream<M> {
    name: &'static str,
    events: mpsc::Receiver<Box<Outgoing<M>>>,
    end: Option<oneshot::Receiver<End>>,
    /// The sealed token of the position after the last event handed to gRPC.
    position: Option<String>,
}

impl<M> WatchStream<M> {
    fn ending(&self, end: End) -> Status {
        let resume_token = self.position.clone().unwrap_or_default();
        match end {
            End::TooSlow => ApiError::StreamEnded {
                code: tonic::Code::ResourceExhausted,
                reason: "CONSUMER_TOO_SLOW",
                message: "the stream fell too far behind; resume with the token to continue".into(),
                resume_token,
            },
            End::Draining => ApiError::StreamEnded {
                code: tonic::Code::Unavailable,
                reason: "SERVER_DRAINING",
                message: "this server is shutting down; resume with the token on another".into(),
                resume_token,
            },
        }
        .into()
    }
}

impl<M> Stream for WatchStream<M> {
    type Item = Result<M, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(end) = self.end.as_mut() {
            match Pin::new(end).poll(cx) {
                Poll::Ready(Ok(end)) => {
                    self.end = None;
                    self.events.close();
                    return Poll::Ready(Some(Err(self.ending(end))));
                }
                Poll::Ready(Err(_)) => self.end = None,
                Poll::Pending => {}
            }
        }
        match self.events.poll_recv(cx) {
            Poll::Ready(Some(outgoing)) => {
                if outgoing.position.is_some() {
                    self.position = outgoing.position;
                }
                metrics::counter!("odoo_mesh_watch_events_sent_total", "stream" => self.name, "type" => outgoing.kind)
                    .increment(1);
                if let Some(detected_at) = outgoing.detected_at {
                    let lag = SystemTime::now().duration_since(detected_at).unwrap_or_default();
                    metrics::histogram!("odoo_mesh_watch_delivery_lag_seconds", "stream" => self.name)
                        .record(lag.as_secs_f64());
                }
                Poll::Ready(Some(Ok(outgoing.message)))
            }
            // The task has stopped; its ending, if any, may still be on the way.
            Poll::Ready(None) => match self.end.as_mut().map(|end| Pin::new(end).poll(cx)) {
                None => Poll::Ready(None),
                Some(Poll::Ready(Ok(end))) => {
                    self.end = None;
                    Poll::Ready(Some(Err(self.ending(end))))
                }
                Some(Poll::Ready(Err(_))) => {
                    self.end = None;
                    Poll::Ready(None)
                }
                Some(Poll::Pending) => Poll::Pending,
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<M> Drop for WatchStream<M> {
    fn drop(&mut self) {
        metrics::gauge!("odoo_mesh_watch_subscribers", "stream" => self.name).decrement(1);
    }
}
