//! Percentiles of latencies and medians of rounds, as every benchmark prints them.

use std::time::Duration;

/// The value below which a fraction `q` of the sorted `samples` fall (nearest rank); zero for none.
pub(crate) fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// p50, p99 and the maximum of `samples` (sorted here).
pub(crate) fn spread(samples: &mut [Duration]) -> [Duration; 3] {
    samples.sort_unstable();
    [percentile(samples, 0.50), percentile(samples, 0.99), samples.last().copied().unwrap_or_default()]
}

/// The median of some values (the upper one of an even count).
pub(crate) fn median<T: Copy + PartialOrd>(values: impl IntoIterator<Item = T>) -> T {
    let mut values: Vec<T> = values.into_iter().collect();
    assert!(!values.is_empty(), "a median of nothing");
    values.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    values[values.len() / 2]
}

/// p50, p99 and p99.9 of `samples` (sorted here), in milliseconds.
pub(crate) fn percentiles_ms(samples: &mut [Duration]) -> [f64; 3] {
    samples.sort_unstable();
    [0.50, 0.99, 0.999].map(|q| ms(percentile(samples, q)))
}

/// Milliseconds, for printing.
pub(crate) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
