//! The statistics of experiments and drift, pure: deterministic assignment
//! to a variant, Wilson intervals for a conversion rate, the two-proportion
//! z-test between variants, and the population stability index (PSI)
//! between two distributions.

use std::collections::BTreeMap;

use statrs::distribution::{ContinuousCDF, Normal};

/// The variant `unit` falls in, by weight: `unit` is in [0, 1), so a
/// customer's variant depends only on the experiment and the customer.
pub fn assign(unit: f64, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut at = unit * f64::from(total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if at < f64::from(w) {
            return i;
        }
        at -= f64::from(w);
    }
    weights.len().saturating_sub(1)
}

fn normal() -> Normal {
    Normal::standard()
}

/// The two-sided z for a confidence level (1.96 at 0.95).
fn z_for(confidence: f64) -> f64 {
    normal().inverse_cdf(0.5 + confidence / 2.0)
}

/// The Wilson score interval of `x` successes in `n` trials: unlike the
/// normal one it stays inside [0, 1] and is honest at small counts.
pub fn wilson(x: u64, n: u64, confidence: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (x, n, z) = (x as f64, n as f64, z_for(confidence));
    let p = x / n;
    let centre = p + z * z / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let d = 1.0 + z * z / n;
    (
        ((centre - half) / d).max(0.0),
        ((centre + half) / d).min(1.0),
    )
}

/// The pooled two-proportion z-test of `b` against `a`: z and the
/// two-sided p-value. No trials, or no variance, is no evidence (p = 1).
pub fn two_proportion(xa: u64, na: u64, xb: u64, nb: u64) -> (f64, f64) {
    if na == 0 || nb == 0 {
        return (0.0, 1.0);
    }
    let (pa, pb) = (xa as f64 / na as f64, xb as f64 / nb as f64);
    let pooled = (xa + xb) as f64 / (na + nb) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / na as f64 + 1.0 / nb as f64)).sqrt();
    if se == 0.0 {
        return (0.0, 1.0);
    }
    let z = (pb - pa) / se;
    (z, 2.0 * (1.0 - normal().cdf(z.abs())))
}

/// The population stability index of `recent` against `baseline` (counts
/// per bin): the sum over bins of (recent share - baseline share) times the
/// log of their ratio. A bin empty on one side counts as a tiny share so
/// the index stays finite.
pub fn psi(baseline: &BTreeMap<String, u64>, recent: &BTreeMap<String, u64>) -> f64 {
    const FLOOR: f64 = 1e-4;
    let total = |m: &BTreeMap<String, u64>| m.values().sum::<u64>().max(1) as f64;
    let (tb, tr) = (total(baseline), total(recent));
    let bins: std::collections::BTreeSet<&String> = baseline.keys().chain(recent.keys()).collect();
    bins.into_iter()
        .map(|b| {
            let e = (*baseline.get(b).unwrap_or(&0) as f64 / tb).max(FLOOR);
            let a = (*recent.get(b).unwrap_or(&0) as f64 / tr).max(FLOOR);
            (a - e) * (a / e).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn assignment_follows_the_weights() {
        assert_eq!(assign(0.0, &[50, 50]), 0);
        assert_eq!(assign(0.49, &[50, 50]), 0);
        assert_eq!(assign(0.5, &[50, 50]), 1);
        assert_eq!(assign(0.95, &[90, 10]), 1);
        assert_eq!(assign(0.999, &[1, 0, 3]), 2);
    }

    #[test]
    fn wilson_matches_the_textbook_and_stays_in_range() {
        // 10 of 100 at 95%: 0.0552 to 0.1744 (Wilson 1927, as in every table).
        let (lo, hi) = wilson(10, 100, 0.95);
        assert!(
            (lo - 0.0552).abs() < 1e-3 && (hi - 0.1744).abs() < 1e-3,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 5, 0.95);
        assert!(lo.abs() < 1e-12);
        assert!(hi < 0.5);
        assert_eq!(wilson(0, 0, 0.95), (0.0, 1.0));
    }

    #[test]
    fn the_z_test_finds_a_real_difference_and_not_a_small_one() {
        // 20% against 30% of 500 each: z = 0.1 / sqrt(0.25 * 0.75 * 2 / 500) = 3.65.
        let (z, p) = two_proportion(100, 500, 150, 500);
        assert!((z - 3.651).abs() < 1e-3 && p < 0.001, "{z} {p}");
        let (_, p) = two_proportion(10, 50, 12, 50);
        assert!(p > 0.5, "{p}");
        assert_eq!(two_proportion(0, 0, 1, 2), (0.0, 1.0));
    }

    #[test]
    fn psi_is_zero_for_the_same_shares_and_grows_with_the_shift() {
        let a = counts(&[("x", 50), ("y", 30), ("z", 20)]);
        assert!(psi(&a, &counts(&[("x", 500), ("y", 300), ("z", 200)])).abs() < 1e-12);
        let small = psi(&a, &counts(&[("x", 45), ("y", 33), ("z", 22)]));
        let big = psi(&a, &counts(&[("x", 10), ("y", 30), ("z", 60)]));
        assert!(small < 0.1 && big > 0.25, "{small} {big}");
        // A bin new in the recent window counts, and stays finite.
        assert!(psi(&a, &counts(&[("x", 50), ("w", 50)])).is_finite());
    }
}
