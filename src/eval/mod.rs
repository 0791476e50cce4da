//! Offline evaluation and benchmarks: `errand eval retrieval`, `errand bench retrieval`.

pub mod bench;
pub mod retrieval;

/// The value at quantile `q` (0..=1) of an already sorted slice.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}
