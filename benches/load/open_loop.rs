//! An open-loop load: calls sent at a fixed rate whether or not earlier ones were answered, as
//! independent callers would send them, so a server that queues or sheds load is timed honestly
//! (a closed loop slows down with the server and hides its queue). Each call is timed from when
//! the schedule said to send it, not from when it left: a call held back because the generator
//! (or the connection) fell behind counts that wait too, so coordinated omission does not hide the
//! tail.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use bytes::Bytes;
use futures::{StreamExt, stream::FuturesUnordered};

use super::client::{Call, Target, status_of};

/// How one call ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    /// Its gRPC status code; `None` when the call failed below gRPC (connection, protocol).
    pub(crate) code: Option<u32>,
    /// From its scheduled send time to its last byte.
    pub(crate) latency: Duration,
}

/// What a run sent and got.
#[derive(Debug, Default)]
pub(crate) struct Run {
    pub(crate) outcomes: Vec<Outcome>,
    /// How late calls left against their schedule, sorted: the load generator's own lag.
    pub(crate) lateness: Vec<Duration>,
}

/// Sends `rate` gRPC calls per second for `duration`, spread over `senders` in turn; the `i`-th
/// call is `call(i)`. Returns once every call has been answered.
pub(crate) async fn run(
    target: &Target,
    senders: &[h2::client::SendRequest<Bytes>],
    call: impl Fn(u64) -> Call,
    rate: f64,
    duration: Duration,
) -> Run {
    let (scheme, authority) = (target.scheme(), target.addr.to_string());
    let scheduled = schedule(rate, duration, |i| {
        let (sender, call, authority) = (senders[i as usize % senders.len()].clone(), call(i), authority.clone());
        async move { status_of(sender, scheme, &authority, &call).await.ok().flatten() }
    })
    .await;
    let outcomes = scheduled.done.into_iter().map(|(code, latency)| Outcome { code, latency }).collect();
    Run { outcomes, lateness: scheduled.lateness }
}

/// What a schedule ran.
#[derive(Debug)]
pub(crate) struct Scheduled<T> {
    /// Each call's result and its latency from its scheduled send time, in the order answered.
    pub(crate) done: Vec<(T, Duration)>,
    /// How late calls left against their schedule, sorted.
    pub(crate) lateness: Vec<Duration>,
}

/// Starts `send(i)` for the `i`-th of `rate` calls per second over `duration`, on time whether or
/// not earlier ones are answered, all on this task; returns once every one has finished. The
/// schedule is kept by a thread of its own that sleeps to each send time: Tokio's timer ticks in
/// whole milliseconds, which would make every call up to a millisecond late.
pub(crate) async fn schedule<F, Fut>(rate: f64, duration: Duration, mut send: F) -> Scheduled<Fut::Output>
where
    F: FnMut(u64) -> Fut,
    Fut: Future,
{
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let capacity = usize::try_from(total).expect("a count");
    let (mut done, mut lateness) = (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
    let (ticks, mut due_now) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let ticker = std::thread::spawn(move || {
        for i in 0..total {
            let due = started + Duration::from_secs_f64(i as f64 / rate);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            if ticks.send((i, due)).is_err() {
                return;
            }
        }
    });
    let mut in_flight = FuturesUnordered::new();
    loop {
        tokio::select! {
            biased;
            tick = due_now.recv() => {
                let Some((i, due)) = tick else { break };
                lateness.push(due.elapsed());
                let call = send(i);
                in_flight.push(async move {
                    let output = call.await;
                    (output, due.elapsed())
                });
            }
            Some(finished) = in_flight.next(), if !in_flight.is_empty() => done.push(finished),
        }
    }
    while let Some(finished) = in_flight.next().await {
        done.push(finished);
    }
    ticker.join().expect("the schedule's thread");
    lateness.sort_unstable();
    Scheduled { done, lateness }
}
