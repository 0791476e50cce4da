//! Daily demand forecasts and their rolling-origin backtest. Pure and
//! synchronous: series of daily units in, forecasts and error figures out.
//! MSTL (weekly season, AutoETS trend) and AutoETS come from `augurs`; the
//! seasonal-naive and moving-average baselines stand beside them so every
//! figure has something to beat.

use augurs::ets::{trend::AutoETSTrendModel, AutoETS};
use augurs::mstl::MSTLModel;
use augurs::prelude::*;
use serde::Serialize;

/// A week: the season every store's demand repeats.
pub const WEEK: usize = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Each day as the same weekday a week before.
    SeasonalNaive,
    /// The mean of the last four weeks.
    MovingAverage,
    /// AutoETS without a season.
    Ets,
    /// MSTL with a weekly season and an AutoETS trend.
    Mstl,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::SeasonalNaive,
        Method::MovingAverage,
        Method::Ets,
        Method::Mstl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::SeasonalNaive => "seasonal naive",
            Method::MovingAverage => "moving average (28 d)",
            Method::Ets => "AutoETS",
            Method::Mstl => "MSTL + AutoETS",
        }
    }
}

/// The next `horizon` days of `history`, never below zero. A model that
/// cannot fit (too short, constant) falls back to the moving average, so
/// every series gets a forecast.
/// Day-by-day sums of `series`, as long as the shortest.
pub fn sum(series: &[Vec<f64>]) -> Vec<f64> {
    let len = series.iter().map(|r| r.len()).min().unwrap_or(0);
    (0..len)
        .map(|i| series.iter().map(|r| r[i]).sum())
        .collect()
}

pub fn forecast(method: Method, history: &[f64], horizon: usize) -> Vec<f64> {
    let fitted = match method {
        Method::SeasonalNaive => Some(seasonal_naive(history, horizon)),
        Method::MovingAverage => None,
        Method::Ets => AutoETS::non_seasonal()
            .fit(history)
            .ok()
            .and_then(|m| m.predict(horizon, None).ok())
            .map(|f| f.point),
        Method::Mstl => {
            let trend: AutoETSTrendModel = AutoETS::non_seasonal().into();
            (history.len() >= 2 * WEEK)
                .then(|| MSTLModel::new(vec![WEEK], trend))
                .and_then(|m| m.fit(history).ok())
                .and_then(|m| m.predict(horizon, None).ok())
                .map(|f| f.point)
        }
    };
    fitted
        .filter(|p| p.len() == horizon && p.iter().all(|v| v.is_finite()))
        .unwrap_or_else(|| moving_average(history, horizon))
        .into_iter()
        .map(|v| v.max(0.0))
        .collect()
}

fn seasonal_naive(history: &[f64], horizon: usize) -> Vec<f64> {
    if history.len() < WEEK {
        return moving_average(history, horizon);
    }
    let last = &history[history.len() - WEEK..];
    (0..horizon).map(|i| last[i % WEEK]).collect()
}

fn moving_average(history: &[f64], horizon: usize) -> Vec<f64> {
    let tail = &history[history.len().saturating_sub(4 * WEEK)..];
    let mean = if tail.is_empty() {
        0.0
    } else {
        tail.iter().sum::<f64>() / tail.len() as f64
    };
    vec![mean; horizon]
}

/// Forecast errors pooled over series and origins.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Errors {
    /// Mean absolute percentage error over days that sold something, %.
    pub mape: f64,
    /// Symmetric MAPE, %.
    pub smape: f64,
    /// Mean absolute scaled error: the forecast's mean absolute error over
    /// the in-sample seasonal-naive one (below 1 beats last week's copy).
    pub mase: f64,
    /// Forecasts scored (series times origins).
    pub forecasts: usize,
}

/// The rolling-origin backtest of `method` at `horizon` days: `origins`
/// cut-offs `step` days apart, the last one `horizon` days before each
/// series ends; each forecast is scored against the days that followed.
pub fn backtest(
    series: &[Vec<f64>],
    method: Method,
    horizon: usize,
    origins: usize,
    step: usize,
) -> Errors {
    let (mut ape, mut ape_n, mut sape, mut sape_n, mut mase, mut n) = (0.0, 0, 0.0, 0, 0.0, 0);
    for y in series {
        for k in 0..origins {
            let Some(cut) = y.len().checked_sub(horizon + k * step) else {
                continue;
            };
            let (train, test) = (&y[..cut], &y[cut..cut + horizon]);
            if train.len() < 4 * WEEK {
                continue;
            }
            let f = forecast(method, train, horizon);
            let scale = naive_error(train);
            let mut abs = 0.0;
            for (a, p) in test.iter().zip(&f) {
                let e = (a - p).abs();
                abs += e;
                if *a > 0.0 {
                    ape += e / a;
                    ape_n += 1;
                }
                if a + p > 0.0 {
                    sape += 2.0 * e / (a + p);
                    sape_n += 1;
                }
            }
            if scale > 0.0 {
                mase += abs / horizon as f64 / scale;
                n += 1;
            }
        }
    }
    let mean = |sum: f64, count: usize| if count == 0 { 0.0 } else { sum / count as f64 };
    Errors {
        mape: 100.0 * mean(ape, ape_n),
        smape: 100.0 * mean(sape, sape_n),
        mase: mean(mase, n),
        forecasts: n,
    }
}

/// The in-sample mean absolute error of repeating last week.
fn naive_error(train: &[f64]) -> f64 {
    let pairs = train.len().saturating_sub(WEEK);
    if pairs == 0 {
        return 0.0;
    }
    (WEEK..train.len())
        .map(|i| (train[i] - train[i - WEEK]).abs())
        .sum::<f64>()
        / pairs as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weekly rhythm on a rising level, as a store's days look.
    fn weekly(days: usize) -> Vec<f64> {
        let rhythm = [10.0, 9.0, 9.5, 10.0, 11.0, 14.0, 15.0];
        (0..days)
            .map(|d| rhythm[d % WEEK] * (1.0 + d as f64 / 400.0))
            .collect()
    }

    #[test]
    fn every_method_forecasts_the_horizon_and_the_seasonal_ones_keep_the_week() {
        let y = weekly(120);
        for m in Method::ALL {
            let f = forecast(m, &y, 14);
            assert_eq!(f.len(), 14, "{m:?}");
            assert!(f.iter().all(|v| *v >= 0.0), "{m:?}");
        }
        // Saturday (day 125) sells more than Tuesday (day 121) in MSTL's forecast.
        let f = forecast(Method::Mstl, &y, 7);
        assert!(f[5] > f[1] + 2.0, "{f:?}");
    }

    #[test]
    fn a_series_too_short_or_flat_still_gets_a_forecast() {
        assert_eq!(forecast(Method::Mstl, &[3.0; 5], 3), vec![3.0; 3]);
        assert_eq!(forecast(Method::Ets, &[0.0; 40], 2), vec![0.0; 2]);
        assert_eq!(forecast(Method::SeasonalNaive, &[], 2), vec![0.0; 2]);
    }

    #[test]
    fn the_backtest_scores_a_seasonal_series_better_with_a_seasonal_model() {
        let series = vec![weekly(200)];
        let naive = backtest(&series, Method::MovingAverage, 7, 4, 7);
        let mstl = backtest(&series, Method::Mstl, 7, 4, 7);
        assert_eq!(mstl.forecasts, 4);
        assert!(mstl.mape < naive.mape, "{mstl:?} vs {naive:?}");
        assert!(mstl.mase < 1.0, "{mstl:?}");
    }
}
