//! Summaries of measured samples: medians of rounds, percentiles of latencies.

use std::time::Duration;

/// The median of `values` (the upper one of an even count).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    assert!(!values.is_empty(), "a median of nothing");
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// p50, p99 and p99.9 of `samples`, in milliseconds (nearest rank).
pub(crate) fn percentiles_ms(samples: &mut [Duration]) -> [f64; 3] {
    assert!(!samples.is_empty(), "percentiles of nothing");
    samples.sort_unstable();
    let at = |q: f64| {
        let rank = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1].as_secs_f64() * 1e3
    };
    [at(0.50), at(0.99), at(0.999)]
}
