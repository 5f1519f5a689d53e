//! Waiting for what a test needs to have happened, instead of sleeping for a guessed time: a guess
//! is too long on a quiet machine and too short on a busy one, and then the test checks something
//! that has not happened yet, or proves nothing.

use std::{future::Future, time::Duration};

use tokio::time::Instant;

/// How often a condition is checked again.
const EVERY: Duration = Duration::from_millis(20);

/// Checks `condition` every few tens of milliseconds until it holds; panics naming `what` (the
/// condition, as in "the new policy is in force") once `patience` has passed without it.
pub async fn until<F, Fut>(what: &str, patience: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + patience;
    while !condition().await {
        assert!(Instant::now() < deadline, "gave up after {patience:?} waiting until {what}");
        tokio::time::sleep(EVERY).await;
    }
}

/// How long a test waits, by default, for something the service does in the background.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Like `until`, for a condition that yields what it found.
pub async fn until_some<T, F, Fut>(what: &str, patience: Duration, mut found: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + patience;
    loop {
        if let Some(value) = found().await {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up after {patience:?} waiting until {what}");
        tokio::time::sleep(EVERY).await;
    }
}
