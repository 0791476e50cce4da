//! Integer money arithmetic. Amounts are `i64` minor units (paise); nothing
//! here ever touches a float.

/// Splits `total` across `weights` in proportion, by the largest-remainder
/// method: every share is the floor of its exact share, and the units left
/// over go to the largest fractional remainders (earlier index on ties). The
/// shares always add up to `total` exactly. Zero total weight splits evenly.
///
/// ```
/// use errand::commerce::money::allocate;
/// assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
/// assert_eq!(allocate(1000, &[30000, 10000]), vec![750, 250]);
/// ```
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weights: Vec<i128> = if weights.iter().all(|&w| w <= 0) {
        vec![1; weights.len()]
    } else {
        weights.iter().map(|&w| i128::from(w.max(0))).collect()
    };
    let sum: i128 = weights.iter().sum();
    let total = i128::from(total);
    let mut shares: Vec<i128> = weights
        .iter()
        .map(|w| (total * w).div_euclid(sum))
        .collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse((total * weights[i]).rem_euclid(sum)), i));
    let left = total - shares.iter().sum::<i128>();
    for &i in order.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares.into_iter().map(|s| s as i64).collect()
}

/// `amount * bps / 10_000`, rounded half up (taxes, commissions).
pub fn basis_points(amount: i64, bps: u32) -> i64 {
    let n = i128::from(amount) * i128::from(bps);
    ((n + 5_000).div_euclid(10_000)) as i64
}

/// `amount * percent / 100`, rounded down (discounts never overshoot).
pub fn percent_of(amount: i64, percent: u32) -> i64 {
    (i128::from(amount) * i128::from(percent) / 100) as i64
}

/// "Rs 1,234.50" for replies; the API itself always answers minor units.
pub fn format_inr(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let (rupees, paise) = (minor / 100, minor % 100);
    let digits = rupees.to_string();
    // Indian grouping: the last three digits, then pairs.
    let mut grouped = String::new();
    let (head, tail) = digits.split_at(digits.len().saturating_sub(3));
    for (i, c) in head.chars().enumerate() {
        if i > 0 && (head.len() - i) % 2 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if !head.is_empty() {
        grouped.push(',');
    }
    grouped.push_str(tail);
    if paise == 0 {
        format!("{sign}Rs {grouped}")
    } else {
        format!("{sign}Rs {grouped}.{paise:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so the property tests need no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> i64 {
            (self.next() % n) as i64
        }
    }

    #[test]
    fn allocation_always_sums_exactly_and_stays_proportional() {
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        for case in 0..20_000 {
            let n = 1 + rng.below(8) as usize;
            let total = match case % 4 {
                0 => rng.below(10),
                1 => rng.below(1_000_000),
                2 => rng.below(i64::MAX as u64 / 1_000),
                _ => -rng.below(100_000),
            };
            let weights: Vec<i64> = (0..n)
                .map(|_| {
                    if rng.below(5) == 0 {
                        0
                    } else {
                        rng.below(10_000_000)
                    }
                })
                .collect();
            let shares = allocate(total, &weights);
            assert_eq!(shares.len(), n);
            assert_eq!(
                shares.iter().sum::<i64>(),
                total,
                "total {total} weights {weights:?} shares {shares:?}"
            );
            let sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
            if sum > 0 {
                for (s, w) in shares.iter().zip(&weights) {
                    let exact = i128::from(total) * i128::from(*w);
                    let diff = i128::from(*s) * sum - exact;
                    assert!(
                        diff.abs() < sum,
                        "share {s} too far from exact for weight {w}"
                    );
                    if *w == 0 {
                        assert_eq!(*s, 0, "a zero weight gets nothing");
                    }
                }
            }
        }
    }

    #[test]
    fn rounding_rules() {
        assert_eq!(basis_points(1_000, 500), 50);
        assert_eq!(basis_points(10, 500), 1); // 0.5 rounds up
        assert_eq!(basis_points(9, 500), 0);
        assert_eq!(percent_of(999, 10), 99);
        assert_eq!(format_inr(12_345_678), "Rs 1,23,456.78");
        assert_eq!(format_inr(49_900), "Rs 499");
        assert_eq!(format_inr(5), "Rs 0.05");
    }
}
