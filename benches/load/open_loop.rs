//! An open-loop load: calls sent at a fixed rate whether or not earlier ones were answered, as
//! independent callers would send them, so a server that queues or sheds load is timed honestly
//! (a closed loop slows down with the server and hides its queue).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::client::{Call, Target, status_of};

/// How one call ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    /// Its gRPC status code; `None` when the call failed below gRPC (connection, protocol).
    pub(crate) code: Option<u32>,
    /// From handing it to HTTP/2 to its last byte.
    pub(crate) latency: Duration,
}

/// What a run sent and got.
#[derive(Debug, Default)]
pub(crate) struct Run {
    pub(crate) outcomes: Vec<Outcome>,
    /// How late calls left against their schedule, sorted: the load generator's own lag.
    pub(crate) lateness: Vec<Duration>,
}

/// Sends `rate` calls per second for `duration`, spread over `senders` in turn; the `i`-th call is
/// `call(i)`. Returns once every call has been answered.
pub(crate) async fn run(
    target: &Target,
    senders: &[h2::client::SendRequest<Bytes>],
    call: impl Fn(u64) -> Call,
    rate: f64,
    duration: Duration,
) -> Run {
    let (scheme, authority) = (target.scheme(), target.addr.to_string());
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let started = Instant::now();
    let mut calls = Vec::new();
    let mut lateness = Vec::new();
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        lateness.push(due.elapsed());
        let (sender, call, authority) = (senders[i as usize % senders.len()].clone(), call(i), authority.clone());
        calls.push(tokio::spawn(async move {
            let sent = Instant::now();
            let code = status_of(sender, scheme, &authority, &call).await.ok().flatten();
            Outcome { code, latency: sent.elapsed() }
        }));
    }
    let mut outcomes = Vec::with_capacity(calls.len());
    for call in calls {
        outcomes.push(call.await.expect("call task"));
    }
    lateness.sort_unstable();
    Run { outcomes, lateness }
}
