//! `errand bench fleet`: the last days of the seed's pickups (rides asked
//! for and deliveries) replayed twice on the same fleet, once as it is and
//! once rebalanced every hour toward the heatmap of the days before, and
//! the pickup waits and unserved requests of both.

use serde::Serialize;

use crate::commerce::{fleet, fleet_start};
use crate::config::CommerceConfig;
use crate::knowledge::Knowledge;
use crate::ops::fleet::{days, on_day, simulate_day, DayStats, Heatmap};

#[derive(Debug, Serialize)]
pub struct Day {
    pub day: String,
    /// How many same-weekday days the heatmap averaged.
    pub history_days: usize,
    pub without: DayStats,
    pub with: DayStats,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub drivers: usize,
    pub days: Vec<Day>,
}

/// Replays the last `n` days that have a full `HEAT_WEEKS` of history.
pub fn run(k: &Knowledge, cfg: &CommerceConfig, n: usize, done: impl Fn(&Day)) -> Report {
    let areas = fleet::areas(k);
    let pickups = fleet::seed_pickups(k, &areas);
    let start: Vec<_> = fleet_start(k, cfg).into_iter().map(|s| s.at).collect();
    let policy = fleet::policy(k);
    // The days the rides asked for cover; deliveries go back further.
    let all = days(&fleet::seed_rides(k));
    let mut out = Vec::new();
    for &day in all.iter().rev().take(n).rev() {
        let heat = Heatmap::forecast(&areas, &pickups, day, fleet::HEAT_WEEKS);
        let today = on_day(&pickups, day);
        let d = Day {
            day: day.to_string(),
            history_days: heat.days.len(),
            without: simulate_day(&areas, day, &today, &start, None, &policy),
            with: simulate_day(&areas, day, &today, &start, Some(&heat), &policy),
        };
        done(&d);
        out.push(d);
    }
    Report {
        drivers: start.len(),
        days: out,
    }
}

pub fn table(r: &Report) -> String {
    let mut s = format!(
        "{} drivers; pickup wait in minutes (p50 / p90), unserved of requests\n\
         {:<11} {:>8} {:>16} {:>16} {:>10} {:>10} {:>6} {:>8}\n",
        r.drivers,
        "day",
        "requests",
        "as is p50/p90",
        "rebal. p50/p90",
        "unserved",
        "rebal.",
        "moves",
        "km moved"
    );
    let mut total = (0, 0, 0, 0.0, 0.0, 0.0, 0.0);
    for d in &r.days {
        s += &format!(
            "{:<11} {:>8} {:>7.1} / {:>5.1} {:>7.1} / {:>5.1} {:>10} {:>10} {:>6} {:>8.0}\n",
            d.day,
            d.without.requests,
            d.without.pickup_p50,
            d.without.pickup_p90,
            d.with.pickup_p50,
            d.with.pickup_p90,
            d.without.unserved,
            d.with.unserved,
            d.with.moves,
            d.with.km_moved
        );
        total.0 += d.without.requests;
        total.1 += d.without.unserved;
        total.2 += d.with.unserved;
        total.3 += d.without.pickup_p50;
        total.4 += d.without.pickup_p90;
        total.5 += d.with.pickup_p50;
        total.6 += d.with.pickup_p90;
    }
    let n = r.days.len().max(1) as f64;
    s += &format!(
        "{:<11} {:>8} {:>7.1} / {:>5.1} {:>7.1} / {:>5.1} {:>10} {:>10}   (waits: mean of the days)\n",
        "all",
        total.0,
        total.3 / n,
        total.4 / n,
        total.5 / n,
        total.6 / n,
        total.1,
        total.2
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebalancing_the_seed_fleet_serves_more_and_sooner() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let k = Knowledge::load(&root).unwrap();
        let r = run(&k, &CommerceConfig::default(), 3, |_| {});
        assert_eq!(r.days.len(), 3);
        for d in &r.days {
            assert_eq!(d.history_days, fleet::HEAT_WEEKS, "{}", d.day);
            assert!(d.without.requests > 200, "{}", d.day);
            assert_eq!(d.with.served + d.with.unserved, d.with.requests);
        }
        let unserved =
            |f: fn(&Day) -> &DayStats| r.days.iter().map(|d| f(d).unserved).sum::<usize>();
        let p90 = |f: fn(&Day) -> &DayStats| r.days.iter().map(|d| f(d).pickup_p90).sum::<f64>();
        assert!(unserved(|d| &d.with) <= unserved(|d| &d.without));
        assert!(p90(|d| &d.with) < p90(|d| &d.without));
    }
}
