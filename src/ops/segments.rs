//! Customer segments from behaviour: recency, frequency and monetary value
//! (RFM) clustered with k-means (linfa-clustering), the number of segments
//! chosen by silhouette, each named by where its centroid sits against the
//! whole population. Pure: RFM rows in, segments out.

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::{Array1, Array2};
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

/// One customer's behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct Rfm {
    pub customer_id: String,
    /// Days since the last order.
    pub recency_days: f64,
    pub orders: f64,
    /// Spent, in minor units, less refunds.
    pub spend_minor: f64,
}

/// The words segments are named with (`prompts/segments.toml`): for each
/// measure, a centroid well below, near and well above the population's
/// median.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub recency: Levels,
    pub frequency: Levels,
    pub spend: Levels,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    pub low: String,
    pub mid: String,
    pub high: String,
}

/// Where a centroid sits against the median: "well" is a factor of 1.5
/// either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Mid,
    High,
}

impl Level {
    fn of(value: f64, median: f64) -> Level {
        if value < median / 1.5 {
            Level::Low
        } else if value > median * 1.5 {
            Level::High
        } else {
            Level::Mid
        }
    }
}

/// The measures a segment is placed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    Recency,
    Frequency,
    Spend,
}

/// `measure:level` (`recency:high`), as segments carry them and offers
/// target them; `None` for anything else.
pub fn parse_level(text: &str) -> Option<(Measure, Level)> {
    let (m, l) = text.split_once(':')?;
    let word = |w: &str| serde_json::Value::String(w.to_string());
    Some((
        serde_json::from_value(word(m)).ok()?,
        serde_json::from_value(word(l)).ok()?,
    ))
}

fn level_name(m: Measure, l: Level) -> String {
    let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
    format!(
        "{}:{}",
        name(serde_json::json!(m)),
        name(serde_json::json!(l))
    )
}

impl Levels {
    fn word(&self, level: Level) -> &str {
        match level {
            Level::Low => &self.low,
            Level::Mid => &self.mid,
            Level::High => &self.high,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub id: usize,
    pub name: String,
    pub customers: usize,
    /// The centroid, in the measures' own units.
    pub recency_days: f64,
    pub orders: f64,
    pub spend_minor: f64,
    /// `recency:high` and the like, one per measure: what offers target.
    pub levels: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Segmentation {
    pub k: usize,
    pub silhouette: f64,
    /// (k, silhouette) of every k tried.
    pub tried: Vec<(usize, f64)>,
    pub segments: Vec<Segment>,
    /// Customer id -> segment id, in the rows' order.
    #[serde(skip)]
    pub assignment: Vec<(String, usize)>,
}

/// The features k-means sees: each measure on a log scale (spend and
/// orders are long-tailed), standardised so none dominates.
fn features(rows: &[Rfm]) -> Array2<f64> {
    let raw: Vec<[f64; 3]> = rows
        .iter()
        .map(|r| {
            [
                r.recency_days.ln_1p(),
                r.orders.ln_1p(),
                r.spend_minor.ln_1p(),
            ]
        })
        .collect();
    let n = raw.len().max(1) as f64;
    let mut out = Array2::zeros((raw.len(), 3));
    for j in 0..3 {
        let mean = raw.iter().map(|r| r[j]).sum::<f64>() / n;
        let sd = (raw.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n).sqrt();
        for (i, r) in raw.iter().enumerate() {
            out[[i, j]] = if sd > 0.0 { (r[j] - mean) / sd } else { 0.0 };
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Clusters `rows` for each k in `ks` (seeded, so the same rows give the
/// same segments) and keeps the k with the best silhouette; `None` with
/// fewer customers than the largest k needs.
pub fn segment(
    rows: &[Rfm],
    ks: std::ops::RangeInclusive<usize>,
    names: &Names,
    seed: u64,
) -> Option<Segmentation> {
    let x = features(rows);
    let mut tried = Vec::new();
    let mut best: Option<(f64, usize, Array1<usize>)> = None;
    for k in ks {
        if rows.len() < 2 * k || k < 2 {
            continue;
        }
        let data = DatasetBase::from(x.clone());
        let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
            .n_runs(10)
            .tolerance(1e-4)
            .fit(&data)
            .ok()?;
        let labelled = model.predict(data);
        let score = labelled.silhouette_score().ok()?;
        tried.push((k, score));
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, k, labelled.targets().to_owned()));
        }
    }
    let (silhouette, k, labels) = best?;
    let medians = (
        median(rows.iter().map(|r| r.recency_days).collect()),
        median(rows.iter().map(|r| r.orders).collect()),
        median(rows.iter().map(|r| r.spend_minor).collect()),
    );
    let mut segments: Vec<Segment> = (0..k)
        .map(|id| {
            let members: Vec<&Rfm> = rows
                .iter()
                .zip(labels.iter())
                .filter(|(_, &l)| l == id)
                .map(|(r, _)| r)
                .collect();
            let n = members.len().max(1) as f64;
            let mean = |f: fn(&Rfm) -> f64| members.iter().map(|r| f(r)).sum::<f64>() / n;
            let (r, f, m) = (
                mean(|r| r.recency_days),
                mean(|r| r.orders),
                mean(|r| r.spend_minor),
            );
            let at = [
                (Measure::Recency, Level::of(r, medians.0)),
                (Measure::Frequency, Level::of(f, medians.1)),
                (Measure::Spend, Level::of(m, medians.2)),
            ];
            Segment {
                id,
                name: format!(
                    "{}, {}, {}",
                    names.recency.word(at[0].1),
                    names.frequency.word(at[1].1),
                    names.spend.word(at[2].1)
                ),
                levels: at.iter().map(|&(m, l)| level_name(m, l)).collect(),
                customers: members.len(),
                recency_days: (r * 10.0).round() / 10.0,
                orders: (f * 10.0).round() / 10.0,
                spend_minor: m.round(),
            }
        })
        .collect();
    segments.sort_by(|a, b| b.customers.cmp(&a.customers).then(a.id.cmp(&b.id)));
    // Two centroids on the same side of every median: the smaller is "(2)".
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for g in &mut segments {
        let n = seen.entry(g.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            g.name = format!("{} ({n})", g.name);
        }
    }
    let assignment = rows
        .iter()
        .zip(labels.iter())
        .map(|(r, &l)| (r.customer_id.clone(), l))
        .collect();
    Some(Segmentation {
        k,
        silhouette,
        tried,
        segments,
        assignment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        toml::from_str(include_str!("../../prompts/segments.toml")).unwrap()
    }

    /// Two plain groups: recent heavy buyers and lapsed light ones.
    fn rows() -> Vec<Rfm> {
        (0..60)
            .map(|i| {
                let loyal = i % 2 == 0;
                let jitter = f64::from(i % 5);
                Rfm {
                    customer_id: format!("c-{i}"),
                    recency_days: if loyal {
                        2.0 + jitter
                    } else {
                        120.0 + 9.0 * jitter
                    },
                    orders: if loyal { 30.0 + jitter } else { 2.0 },
                    spend_minor: if loyal {
                        900_000.0
                    } else {
                        40_000.0 + 1000.0 * jitter
                    },
                }
            })
            .collect()
    }

    #[test]
    fn plain_groups_are_found_named_and_scored() {
        let s = segment(&rows(), 2..=5, &names(), 7).unwrap();
        assert_eq!(s.k, 2, "{:?}", s.tried);
        assert!(s.silhouette > 0.7, "{}", s.silhouette);
        assert_eq!(s.segments.iter().map(|g| g.customers).sum::<usize>(), 60);
        let loyal = s.segments.iter().find(|g| g.orders > 20.0).unwrap();
        let lapsed = s.segments.iter().find(|g| g.orders < 5.0).unwrap();
        assert_ne!(loyal.name, lapsed.name);
        let n = names();
        assert!(loyal.name.starts_with(&n.recency.low), "{}", loyal.name);
        assert!(lapsed.name.starts_with(&n.recency.high), "{}", lapsed.name);
        // The same rows and seed give the same segments.
        let again = segment(&rows(), 2..=5, &names(), 7).unwrap();
        assert_eq!(again.assignment, s.assignment);
    }

    #[test]
    fn too_few_customers_give_no_segments() {
        assert!(segment(&rows()[..3], 2..=5, &names(), 7).is_none());
    }
}
