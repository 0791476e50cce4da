//! A/B experiments on recommendations and drift of their inputs. A
//! customer's variant is a hash of the experiment and their id; showings and
//! what follows them (a click, an add to cart, an order of a shown product)
//! are written in the transaction of the request that caused them, once
//! each, and read back as conversion per variant with intervals and a test
//! against the control (the statistics are in [`crate::ops::experiments`]).

use std::collections::BTreeMap;

use crate::store::{params, Connection};
use serde::Serialize;

use super::simulator::unit;
use super::{invalid, Commerce, CommerceError, RecsKind, Result};
use crate::config::ExperimentConfig;
use crate::ops::experiments::{assign, psi, two_proportion, wilson};
use crate::store::now;

/// How a variant ranks `usual` (buy again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ranking {
    /// Decayed counts of what the customer bought.
    Repeat,
    /// TIFU-KNN: their baskets blended with the customers most like them,
    /// over what they bought.
    Tifu,
}

fn ranking(name: &str) -> Option<Ranking> {
    match name {
        "repeat" => Some(Ranking::Repeat),
        "tifu" => Some(Ranking::Tifu),
        _ => None,
    }
}

/// Rejects an experiment the engine could not run, naming the field.
pub(super) fn check(all: &[ExperimentConfig]) -> Result<()> {
    for (i, e) in all.iter().enumerate() {
        let field = |f: &str| format!("commerce.experiments[{i}].{f}");
        if e.id.trim().is_empty() || all[..i].iter().any(|o| o.id == e.id) {
            return Err(invalid(&field("id"), "must be non-empty and unique"));
        }
        if e.kind != "usual" {
            return Err(invalid(&field("kind"), "only `usual` can be varied"));
        }
        if e.variants.len() < 2 || e.variants.iter().all(|v| v.weight == 0) {
            return Err(invalid(
                &field("variants"),
                "needs two or more, with some weight",
            ));
        }
        for v in &e.variants {
            if ranking(&v.ranking).is_none() {
                return Err(invalid(
                    &field("variants.ranking"),
                    format!("unknown ranking `{}`: `repeat` or `tifu`", v.ranking),
                ));
            }
        }
        let mut names: Vec<&str> = e.variants.iter().map(|v| v.ranking.as_str()).collect();
        names.sort();
        names.dedup();
        if names.len() != e.variants.len() {
            return Err(invalid(&field("variants"), "a ranking appears twice"));
        }
    }
    Ok(())
}

/// The experiment and variant a customer is in.
#[derive(Debug, Clone, Serialize)]
pub struct Arm {
    pub experiment: String,
    pub variant: String,
    #[serde(skip)]
    pub(super) ranking: Ranking,
}

/// The running experiment on `kind` this customer is in, if any.
pub(super) fn arm(c: &Commerce, kind: RecsKind, customer: &str) -> Option<Arm> {
    let e = c
        .config
        .experiments
        .iter()
        .find(|e| e.running && e.kind == kind_name(kind))?;
    let weights: Vec<u32> = e.variants.iter().map(|v| v.weight).collect();
    let v = &e.variants[assign(unit(&e.id, customer), &weights)];
    Some(Arm {
        experiment: e.id.clone(),
        variant: v.ranking.clone(),
        ranking: ranking(&v.ranking)?,
    })
}

fn kind_name(kind: RecsKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Records that `customer` was shown `products` in `arm` (first time only).
pub(super) fn shown(conn: &Connection, arm: &Arm, customer: &str, products: &[&str]) -> Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT INTO experiment_exposures (experiment, variant, customer_id, product_id, at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    )?;
    let t = now();
    for p in products {
        st.execute(params![arm.experiment, arm.variant, customer, p, t])?;
    }
    Ok(())
}

/// What can follow a showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Click,
    AddToCart,
    Order,
}

impl Outcome {
    const ALL: [Outcome; 3] = [Outcome::Click, Outcome::AddToCart, Outcome::Order];

    fn name(self) -> &'static str {
        match self {
            Outcome::Click => "click",
            Outcome::AddToCart => "add_to_cart",
            Outcome::Order => "order",
        }
    }
}

/// Records `outcome` for every experiment that showed `customer` one of
/// `products`; returns how many it recorded (a repeat records none).
pub(super) fn followed(
    conn: &Connection,
    customer: &str,
    products: &[&str],
    outcome: Outcome,
) -> Result<usize> {
    let mut st = conn.prepare_cached(
        "INSERT INTO experiment_outcomes (experiment, variant, customer_id, product_id, kind, at)
         SELECT experiment, variant, customer_id, product_id, ?3, ?4 FROM experiment_exposures
         WHERE customer_id = ?1 AND product_id = ?2 ON CONFLICT DO NOTHING",
    )?;
    let t = now();
    let mut n = 0;
    for p in products {
        n += st.execute(params![customer, p, outcome.name(), t])?;
    }
    Ok(n)
}

#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    /// Shown customers who went on to it.
    pub customers: u64,
    pub rate: f64,
    /// The Wilson interval at the policy's confidence.
    pub interval: [f64; 2],
}

#[derive(Debug, Clone, Serialize)]
pub struct VariantResult {
    pub variant: String,
    pub weight: u32,
    /// Customers shown at least one recommendation in it.
    pub exposed: u64,
    pub click: Rate,
    pub add_to_cart: Rate,
    pub order: Rate,
}

/// One variant against the control on one outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub variant: String,
    pub outcome: Outcome,
    /// Its rate less the control's.
    pub difference: f64,
    pub z: f64,
    pub p_value: f64,
    pub significant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExperimentResult {
    pub id: String,
    pub kind: String,
    pub running: bool,
    pub control: String,
    pub confidence: f64,
    pub significance_level: f64,
    /// The article that states the rules.
    pub article: &'static str,
    pub variants: Vec<VariantResult>,
    pub comparisons: Vec<Comparison>,
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn result(c: &Commerce, conn: &Connection, e: &ExperimentConfig) -> Result<ExperimentResult> {
    let p = &c.knowledge.policy;
    let count = |sql: &str, v: &str, kind: Option<&str>| -> Result<u64> {
        Ok(conn.query_row(sql, params![e.id, v, kind], |r| r.get::<_, i64>(0))? as u64)
    };
    let mut variants = Vec::new();
    let mut raw: Vec<(u64, [u64; 3])> = Vec::new();
    for v in &e.variants {
        let exposed = count(
            "SELECT count(DISTINCT customer_id) FROM experiment_exposures
             WHERE experiment = ?1 AND variant = ?2 AND CAST(?3 AS TEXT) IS NULL",
            &v.ranking,
            None,
        )?;
        let mut hits = [0u64; 3];
        for (i, o) in Outcome::ALL.iter().enumerate() {
            hits[i] = count(
                "SELECT count(DISTINCT customer_id) FROM experiment_outcomes
                 WHERE experiment = ?1 AND variant = ?2 AND kind = ?3",
                &v.ranking,
                Some(o.name()),
            )?;
        }
        let rate = |x: u64| {
            let (lo, hi) = wilson(x, exposed, p.experiment_confidence);
            Rate {
                customers: x,
                rate: if exposed == 0 {
                    0.0
                } else {
                    round(x as f64 / exposed as f64)
                },
                interval: [round(lo), round(hi)],
            }
        };
        variants.push(VariantResult {
            variant: v.ranking.clone(),
            weight: v.weight,
            exposed,
            click: rate(hits[0]),
            add_to_cart: rate(hits[1]),
            order: rate(hits[2]),
        });
        raw.push((exposed, hits));
    }
    let mut comparisons = Vec::new();
    let (n0, h0) = raw[0];
    for (v, &(n, h)) in variants.iter().zip(&raw).skip(1) {
        for (i, &o) in Outcome::ALL.iter().enumerate() {
            let (z, pv) = two_proportion(h0[i], n0, h[i], n);
            let share = |x: u64, n: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
            comparisons.push(Comparison {
                variant: v.variant.clone(),
                outcome: o,
                difference: round(share(h[i], n) - share(h0[i], n0)),
                z: round(z),
                p_value: round(pv),
                significant: pv < p.experiment_significance,
            });
        }
    }
    Ok(ExperimentResult {
        id: e.id.clone(),
        kind: e.kind.clone(),
        running: e.running,
        control: e.variants[0].ranking.clone(),
        confidence: p.experiment_confidence,
        significance_level: p.experiment_significance,
        article: "help-experiments-agent",
        variants,
        comparisons,
    })
}

/// One input's distribution now against before.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub input: &'static str,
    pub psi: f64,
    /// `stable`, `watch` or `shifted` by the policy's thresholds; `too_few`
    /// when either window has fewer than `MIN_DRIFT_EVENTS`.
    pub status: &'static str,
    pub baseline: u64,
    pub recent: u64,
    /// The bins that moved most, with their shares before and now.
    pub top: Vec<(String, f64, f64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    /// The recent window, and the baseline four times as long before it.
    pub recent_days: u32,
    pub baseline_days: u32,
    pub inputs: Vec<Drift>,
}

/// Fewer events than this in a window say nothing about drift.
const MIN_DRIFT_EVENTS: u64 = 30;

fn drift(
    c: &Commerce,
    conn: &Connection,
    input: &'static str,
    sql: &str,
    bin: &dyn Fn(String) -> String,
    recent_days: u32,
) -> Result<Drift> {
    let now = chrono::Utc::now();
    let at = |days: u32| crate::store::stamp(now - chrono::Duration::days(i64::from(days)));
    let window = |from: String, to: String| -> Result<BTreeMap<String, u64>> {
        let mut st = conn.prepare(sql)?;
        let rows = st.query_map(params![from, to], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (key, n) = row?;
            *out.entry(bin(key.unwrap_or_default())).or_default() += n as u64;
        }
        Ok(out)
    };
    let recent = window(at(recent_days), at(0))?;
    let baseline = window(at(recent_days * 5), at(recent_days))?;
    let (nb, nr) = (baseline.values().sum::<u64>(), recent.values().sum::<u64>());
    let index = psi(&baseline, &recent);
    let p = &c.knowledge.policy;
    let status = if nb < MIN_DRIFT_EVENTS || nr < MIN_DRIFT_EVENTS {
        "too_few"
    } else if index >= p.psi_alert {
        "shifted"
    } else if index >= p.psi_watch {
        "watch"
    } else {
        "stable"
    };
    let share = |m: &BTreeMap<String, u64>, n: u64, k: &str| {
        round(*m.get(k).unwrap_or(&0) as f64 / n.max(1) as f64)
    };
    let mut top: Vec<(String, f64, f64)> = baseline
        .keys()
        .chain(recent.keys())
        .map(|k| (k.clone(), share(&baseline, nb, k), share(&recent, nr, k)))
        .collect();
    top.sort_by(|a, b| {
        (b.2 - b.1)
            .abs()
            .total_cmp(&(a.2 - a.1).abs())
            .then(a.0.cmp(&b.0))
    });
    top.dedup_by(|a, b| a.0 == b.0);
    top.truncate(5);
    Ok(Drift {
        input,
        psi: round(index),
        status,
        baseline: nb,
        recent: nr,
        top,
    })
}

impl Commerce {
    /// Rejects a click on a product this customer was never shown in an
    /// experiment as not found (the same as someone else's showing).
    pub async fn recommendation_clicked(&self, customer: &str, product: &str) -> Result<()> {
        let (customer, product) = (customer.to_string(), product.to_string());
        self.tx(move |_, conn| {
            let shown: i64 = conn.query_row(
                "SELECT count(*) FROM experiment_exposures WHERE customer_id = ?1 AND product_id = ?2",
                params![customer, product],
                |r| r.get(0),
            )?;
            if shown == 0 {
                return Err(CommerceError::NotFound(format!(
                    "recommendation of {product}"
                )));
            }
            followed(conn, &customer, &[&product], Outcome::Click)?;
            Ok(())
        })
        .await
    }

    /// Every configured experiment's results.
    pub async fn experiments(&self) -> Result<Vec<ExperimentResult>> {
        self.tx(|c, conn| {
            c.config
                .experiments
                .iter()
                .map(|e| result(c, conn, e))
                .collect()
        })
        .await
    }

    pub async fn experiment(&self, id: &str) -> Result<ExperimentResult> {
        let id = id.to_string();
        self.tx(move |c, conn| {
            let e = c
                .config
                .experiments
                .iter()
                .find(|e| e.id == id)
                .ok_or_else(|| CommerceError::NotFound(format!("experiment {id}")))?;
            result(c, conn, e)
        })
        .await
    }

    /// The router's intents, the categories ordered and the categories
    /// recommendations showed: the last `recent_days` against the four
    /// times as long before.
    pub async fn drift(&self, recent_days: u32) -> Result<DriftReport> {
        if !(1..=90).contains(&recent_days) {
            return Err(invalid("days", "must be 1 to 90"));
        }
        self.tx(move |c, conn| {
            let same = |s: String| s;
            let category = |id: String| {
                c.knowledge
                    .product(&id)
                    .map_or_else(|| "(delisted)".to_string(), |p| p.category.clone())
            };
            let inputs = vec![
                drift(
                    c,
                    conn,
                    "router_intent",
                    "SELECT json_extract(m.payload, '$.intent'), count(*) FROM messages m
                     JOIN conversations v ON v.id = m.conversation_id
                     WHERE m.role = 'assistant' AND v.mode = 'customer'
                       AND m.created_at >= ?1 AND m.created_at < ?2 GROUP BY 1",
                    &same,
                    recent_days,
                )?,
                drift(
                    c,
                    conn,
                    "ordered_category",
                    "SELECT i.product_id, sum(i.quantity) FROM order_items i
                     JOIN orders o ON o.id = i.order_id
                     WHERE o.placed_at >= ?1 AND o.placed_at < ?2 GROUP BY 1",
                    &category,
                    recent_days,
                )?,
                drift(
                    c,
                    conn,
                    "recommended_category",
                    "SELECT product_id, count(*) FROM experiment_exposures
                     WHERE at >= ?1 AND at < ?2 GROUP BY 1",
                    &category,
                    recent_days,
                )?,
            ];
            Ok(DriftReport {
                recent_days,
                baseline_days: recent_days * 4,
                inputs,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CommerceConfig, VariantConfig};

    #[test]
    fn a_bad_experiment_is_refused_naming_its_field() {
        let good = CommerceConfig::default().experiments;
        assert!(check(&good).is_ok());
        let mut bad = good.clone();
        bad[0].variants[1].ranking = "random".into();
        let e = check(&bad).unwrap_err().to_string();
        assert!(
            e.contains("commerce.experiments[0].variants.ranking") && e.contains("random"),
            "{e}"
        );
        let mut bad = good.clone();
        bad[0].kind = "new".into();
        assert!(check(&bad).unwrap_err().to_string().contains("kind"));
        let mut bad = good.clone();
        bad[0].variants.truncate(1);
        assert!(check(&bad).is_err());
        let mut bad = good.clone();
        bad[0].variants.push(VariantConfig {
            ranking: "repeat".into(),
            weight: 1,
        });
        assert!(check(&bad).unwrap_err().to_string().contains("twice"));
        let mut bad = good.clone();
        bad.push(good[0].clone());
        assert!(check(&bad).unwrap_err().to_string().contains("unique"));
    }

    #[test]
    fn the_split_is_even_and_stable() {
        let n = 10_000;
        let first = (0..n)
            .filter(|i| assign(unit("usual-ranking", &format!("c-{i}")), &[50, 50]) == 0)
            .count();
        assert!((4_800..5_200).contains(&first), "{first}");
        // Another experiment splits the same customers independently.
        let both = (0..n)
            .filter(|i| {
                let c = format!("c-{i}");
                assign(unit("a", &c), &[1, 1]) == 0 && assign(unit("b", &c), &[1, 1]) == 0
            })
            .count();
        assert!((2_300..2_700).contains(&both), "{both}");
    }
}
