//! `errand eval forecast`: the rolling-origin backtest of every forecasting
//! method over the seed demand history, at three levels (store and
//! category, store, the whole platform) and several horizons.

use serde::Serialize;

use crate::knowledge::Knowledge;
use crate::ops::forecast::{backtest, Errors, Method};

#[derive(Debug, Serialize)]
pub struct Row {
    pub level: &'static str,
    pub series: usize,
    pub horizon: usize,
    pub origins: usize,
    pub method: Method,
    #[serde(flatten)]
    pub errors: Errors,
}

/// Origins for a horizon: as many as fit in the last half year of a
/// one-year history, at least a week apart.
fn origins(horizon: usize) -> (usize, usize) {
    let step = horizon.clamp(7, 45);
    ((182 / step).clamp(2, 8), step)
}

/// The seed history's series at each level.
pub fn levels(k: &Knowledge) -> Vec<(&'static str, Vec<Vec<f64>>)> {
    let categories: Vec<Vec<f64>> = k
        .demand
        .iter()
        .map(|d| d.units.iter().map(|&u| f64::from(u)).collect())
        .collect();
    let stores: Vec<Vec<f64>> = crate::commerce::store_series(k)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let platform = vec![crate::ops::forecast::sum(&stores)];
    vec![
        ("store and category", categories),
        ("store", stores),
        ("platform", platform),
    ]
}

/// Every method at every level and horizon; `progress` hears each row.
pub fn evaluate(k: &Knowledge, horizons: &[usize], progress: impl Fn(&Row)) -> Vec<Row> {
    let mut out = Vec::new();
    for (level, series) in levels(k) {
        for &h in horizons {
            let (n, step) = origins(h);
            // The methods run side by side, one thread each.
            let series = &series;
            let errors: Vec<Errors> = std::thread::scope(|scope| {
                let runs: Vec<_> = Method::ALL
                    .map(|m| scope.spawn(move || backtest(series, m, h, n, step)))
                    .into_iter()
                    .collect();
                runs.into_iter()
                    .map(|r| r.join().expect("a backtest panicked"))
                    .collect()
            });
            for (method, errors) in Method::ALL.into_iter().zip(errors) {
                let row = Row {
                    level,
                    series: series.len(),
                    horizon: h,
                    origins: n,
                    method,
                    errors,
                };
                progress(&row);
                out.push(row);
            }
        }
    }
    out
}

pub fn table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| level | horizon (days) | method | MAPE % | sMAPE % | MASE | forecasts |\n|---|---:|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s += &format!(
            "| {} ({} series) | {} | {} | {:.1} | {:.1} | {:.3} | {} |\n",
            r.level,
            r.series,
            r.horizon,
            r.method.name(),
            r.errors.mape,
            r.errors.smape,
            r.errors.mase,
            r.errors.forecasts
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figure the outlook's choice of MSTL rests on (README): on the
    /// seed history it beats both baselines per store four weeks ahead.
    #[test]
    fn mstl_beats_the_baselines_per_store_at_four_weeks() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let k = Knowledge::load(&root).unwrap();
        let (_, stores) = levels(&k).into_iter().nth(1).unwrap();
        let (n, step) = origins(28);
        let mase = |m| backtest(&stores, m, 28, n, step).mase;
        let mstl = mase(Method::Mstl);
        assert!(mstl < mase(Method::SeasonalNaive), "{mstl}");
        assert!(mstl < mase(Method::MovingAverage), "{mstl}");
        assert!(mstl < 1.0, "{mstl}");
    }
}
