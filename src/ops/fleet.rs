//! Fleet rebalancing, pure: where and when pickups happen (a heatmap of
//! areas by hour), a plan that moves idle drivers toward the demand the
//! coming hour should bring (a min-cost assignment, Kuhn-Munkres), surge and
//! incentive suggestions for what the plan cannot cover, and a simulated day
//! that measures pickup waits with and without the plan.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};
use pathfinding::prelude::{kuhn_munkres_min, Matrix};
use serde::Serialize;

/// Latitude, longitude.
pub type Point = (f64, f64);

/// Roads are longer than the straight line.
pub const ROAD_FACTOR: f64 = 1.3;

/// Great-circle distance in kilometres.
pub fn haversine_km(a: Point, b: Point) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    6371.0 * 2.0 * h.sqrt().asin()
}

/// The city's clock is UTC+05:30.
pub fn city_time(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(5 * 3600 + 1800).expect("valid offset"))
}

/// Average speed in km/h for a vehicle at an hour of the city's day, and
/// the traffic profile's name.
pub fn speed_kmh(hour: u32, ride_type: &str) -> (&'static str, f64) {
    let (name, car) = match hour {
        8..=10 | 17..=20 => ("peak", 18.0),
        22..=23 | 0..=5 => ("night", 38.0),
        _ => ("normal", 28.0),
    };
    let speed = match ride_type {
        "bike" => car * 1.3,
        "auto" => car * 1.1,
        "shared" => car * 0.85, // stops for other riders
        _ => car,
    };
    (name, speed)
}

/// Minutes a car takes to drive `km` of straight line at `hour`.
fn drive_minutes(km: f64, hour: u32) -> f64 {
    km * ROAD_FACTOR / speed_kmh(hour, "car").1 * 60.0
}

/// A named area and its centre: where a rebalanced driver waits.
#[derive(Debug, Clone)]
pub struct Area {
    pub name: String,
    pub at: Point,
}

/// The area whose centre is nearest to `p`.
pub fn area_of(areas: &[Area], p: Point) -> usize {
    areas
        .iter()
        .enumerate()
        .min_by(|a, b| haversine_km(a.1.at, p).total_cmp(&haversine_km(b.1.at, p)))
        .map_or(0, |(i, _)| i)
}

/// One pickup: a ride's origin, or the store a delivery leaves from.
#[derive(Debug, Clone, Copy)]
pub struct Pickup {
    pub at: DateTime<Utc>,
    pub from: Point,
    pub to: Point,
}

/// Expected pickups per area and hour of the city's day: the mean of the
/// last `weeks` days of the history before `day` that fall on its weekday.
/// Hourly counts per area are small and sparse, so a seasonal mean is the
/// forecast; a model that fits a trend would fit the noise.
#[derive(Debug, Clone, Serialize)]
pub struct Heatmap {
    pub areas: Vec<String>,
    /// `expected[area][hour]`.
    pub expected: Vec<[f64; 24]>,
    /// The past days the means cover.
    pub days: Vec<NaiveDate>,
}

impl Heatmap {
    pub fn forecast(areas: &[Area], history: &[Pickup], day: NaiveDate, weeks: usize) -> Heatmap {
        let mut like: Vec<NaiveDate> = days(history)
            .into_iter()
            .filter(|d| *d < day && d.weekday() == day.weekday())
            .collect();
        like = like.split_off(like.len().saturating_sub(weeks));
        let mut expected = vec![[0.0; 24]; areas.len()];
        for p in history {
            let local = city_time(p.at);
            if like.contains(&local.date_naive()) {
                expected[area_of(areas, p.from)][local.hour() as usize] += 1.0;
            }
        }
        let n = like.len().max(1) as f64;
        for row in &mut expected {
            for v in row.iter_mut() {
                *v /= n;
            }
        }
        Heatmap {
            areas: areas.iter().map(|a| a.name.clone()).collect(),
            expected,
            days: like,
        }
    }

    /// Expected pickups in each area during `hour`.
    pub fn hour(&self, hour: u32) -> Vec<f64> {
        self.expected
            .iter()
            .map(|r| r[hour as usize % 24])
            .collect()
    }
}

/// The rebalancing rules (help-fleet-rebalancing-agent).
#[derive(Debug, Clone, Copy)]
pub struct FleetPolicy {
    /// A driver is not asked to drive further than this empty.
    pub max_move_km: f64,
    /// Nor to move for less: they are close enough already.
    pub min_move_km: f64,
    /// Pickups one driver serves in an hour, for the shortfall.
    pub trips_per_driver_hour: f64,
    /// Paid per km of an accepted move.
    pub incentive_per_km_minor: i64,
    /// Surge never goes above this, in tenths (20 = 2.0x).
    pub surge_cap_tenths: i64,
}

/// Move one idle driver to an area's centre.
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    /// Index into the idle drivers given to [`plan`].
    pub driver: usize,
    pub to_area: usize,
    pub km: f64,
    pub incentive_minor: i64,
}

/// Where demand outruns the drivers the plan leaves: raise the price a
/// little there and pay drivers to come.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub area: usize,
    pub expected: f64,
    pub drivers: usize,
    pub surge_tenths: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub moves: Vec<Move>,
    pub suggestions: Vec<Suggestion>,
}

/// Shares `n` seats among areas in proportion to `weights` (largest
/// remainder), so the seats add up to `n` exactly.
fn seats(weights: &[f64], n: usize) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 || n == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / total * n as f64).collect();
    let mut out: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let short = n - out.iter().sum::<usize>();
    for &i in order.iter().take(short) {
        out[i] += 1;
    }
    out
}

/// Metres, as the assignment's integer cost.
fn cost(km: f64) -> i64 {
    (km * 1000.0).round() as i64
}

/// Sends the idle drivers toward the areas that expect pickups, in
/// proportion to what each expects, with the least empty driving in all:
/// the drivers and the seats are matched by Kuhn-Munkres. A driver whose
/// seat is nearer than `min_move_km` stays; one further than `max_move_km`
/// stays too, and the area it would have covered shows up as a shortfall.
pub fn plan(
    areas: &[Area],
    expected: &[f64],
    idle: &[Point],
    busy: &[Point],
    p: &FleetPolicy,
) -> Plan {
    let share = seats(expected, idle.len());
    let slots: Vec<usize> = share
        .iter()
        .enumerate()
        .flat_map(|(a, &n)| std::iter::repeat_n(a, n))
        .collect();
    let mut moves = Vec::new();
    let mut at: Vec<usize> = idle.iter().map(|&d| area_of(areas, d)).collect();
    if !slots.is_empty() {
        let weights = Matrix::from_fn(idle.len(), slots.len(), |(d, s)| {
            cost(haversine_km(idle[d], areas[slots[s]].at))
        });
        let (_, assigned) = kuhn_munkres_min(&weights);
        for (d, &s) in assigned.iter().enumerate() {
            let to = slots[s];
            let km = haversine_km(idle[d], areas[to].at);
            if at[d] != to && (p.min_move_km..=p.max_move_km).contains(&km) {
                at[d] = to;
                moves.push(Move {
                    driver: d,
                    to_area: to,
                    km: (km * 100.0).round() / 100.0,
                    incentive_minor: (km * ROAD_FACTOR * p.incentive_per_km_minor as f64).round()
                        as i64,
                });
            }
        }
    }
    let mut drivers = vec![0usize; areas.len()];
    for a in at
        .iter()
        .copied()
        .chain(busy.iter().map(|&b| area_of(areas, b)))
    {
        drivers[a] += 1;
    }
    let suggestions = (0..areas.len())
        .filter_map(|a| {
            let can = drivers[a] as f64 * p.trips_per_driver_hour;
            let short = expected[a] - can;
            (short >= 1.0).then(|| Suggestion {
                area: a,
                expected: (expected[a] * 10.0).round() / 10.0,
                drivers: drivers[a],
                // Each pickup expected beyond what the drivers there can
                // serve adds 0.1x, as the live surge does.
                surge_tenths: (10 + short.round() as i64).min(p.surge_cap_tenths),
            })
        })
        .collect();
    Plan { moves, suggestions }
}

/// How a simulated day went.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct DayStats {
    pub requests: usize,
    pub served: usize,
    pub unserved: usize,
    /// Minutes from the request to the driver at the door, served ones.
    pub pickup_p50: f64,
    pub pickup_p90: f64,
    pub moves: usize,
    pub km_moved: f64,
}

/// How long a rider waits for a driver before giving up, in minutes.
const PATIENCE_MINUTES: i64 = 10;
/// A driver further than this many minutes away is not sent.
const MAX_PICKUP_MINUTES: f64 = 20.0;

#[derive(Clone)]
struct Car {
    at: Point,
    /// The minute it finishes its trip (and is at `at`).
    busy_until: i64,
    /// Where a plan sends it, while it drives there empty.
    heading: Option<Point>,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    (sorted[i] * 10.0).round() / 10.0
}

/// Replays one day of `pickups` (sorted by time, all on `day` in the city's
/// time) with a fleet starting at `start`, minute by minute: a request goes
/// to the nearest free driver within reach, waits up to its patience
/// otherwise, and a driver ends a trip where the rider got off. With a
/// heatmap, at the start of every hour the idle drivers are sent toward
/// that hour's expected pickups and drive there (and can be dispatched on
/// the way).
pub fn simulate_day(
    areas: &[Area],
    day: NaiveDate,
    pickups: &[Pickup],
    start: &[Point],
    heat: Option<&Heatmap>,
    p: &FleetPolicy,
) -> DayStats {
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_local_timezone(FixedOffset::east_opt(5 * 3600 + 1800).expect("valid offset"))
        .single()
        .expect("fixed offsets are unambiguous")
        .with_timezone(&Utc);
    let minute_of = |t: DateTime<Utc>| (t - midnight).num_minutes();
    let mut cars: Vec<Car> = start
        .iter()
        .map(|&at| Car {
            at,
            busy_until: 0,
            heading: None,
        })
        .collect();
    let mut stats = DayStats {
        requests: pickups.len(),
        ..DayStats::default()
    };
    let mut waits = Vec::new();
    let mut pending: Vec<(i64, Pickup)> = Vec::new();
    let mut next = 0;
    for minute in 0..24 * 60 + PATIENCE_MINUTES {
        let hour = (minute / 60 % 24) as u32;
        if let (Some(h), 0) = (heat, minute % 60) {
            if minute < 24 * 60 {
                let idle: Vec<usize> = (0..cars.len())
                    .filter(|&i| cars[i].busy_until <= minute)
                    .collect();
                let busy: Vec<Point> = cars
                    .iter()
                    .filter(|c| c.busy_until > minute)
                    .map(|c| c.at)
                    .collect();
                let points: Vec<Point> = idle.iter().map(|&i| cars[i].at).collect();
                for m in plan(areas, &h.hour(hour), &points, &busy, p).moves {
                    cars[idle[m.driver]].heading = Some(areas[m.to_area].at);
                    stats.moves += 1;
                    stats.km_moved += m.km;
                }
            }
        }
        // Empty cars drive a minute toward where the plan sent them.
        let step = speed_kmh(hour, "car").1 / ROAD_FACTOR / 60.0;
        for c in cars.iter_mut().filter(|c| c.busy_until <= minute) {
            if let Some(to) = c.heading {
                let left = haversine_km(c.at, to);
                if left <= step {
                    c.at = to;
                    c.heading = None;
                } else {
                    let f = step / left;
                    c.at = (c.at.0 + (to.0 - c.at.0) * f, c.at.1 + (to.1 - c.at.1) * f);
                }
            }
        }
        while next < pickups.len() && minute_of(pickups[next].at) <= minute {
            pending.push((minute_of(pickups[next].at), pickups[next]));
            next += 1;
        }
        pending.retain(|&(asked, r)| {
            let nearest = cars
                .iter()
                .enumerate()
                .filter(|(_, c)| c.busy_until <= minute)
                .map(|(i, c)| (i, drive_minutes(haversine_km(c.at, r.from), hour)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match nearest {
                Some((i, eta)) if eta <= MAX_PICKUP_MINUTES => {
                    let trip = drive_minutes(haversine_km(r.from, r.to), hour);
                    let c = &mut cars[i];
                    c.busy_until = minute + (eta + trip).ceil() as i64;
                    c.at = r.to;
                    c.heading = None;
                    waits.push((minute - asked) as f64 + eta);
                    stats.served += 1;
                    false
                }
                _ if minute - asked >= PATIENCE_MINUTES => {
                    stats.unserved += 1;
                    false
                }
                _ => true,
            }
        });
    }
    stats.unserved += pending.len() + (pickups.len() - next);
    waits.sort_by(f64::total_cmp);
    stats.pickup_p50 = percentile(&waits, 0.5);
    stats.pickup_p90 = percentile(&waits, 0.9);
    stats.km_moved = stats.km_moved.round();
    stats
}

/// The days `pickups` cover in the city's time, oldest first.
pub fn days(pickups: &[Pickup]) -> Vec<NaiveDate> {
    let mut out: Vec<NaiveDate> = pickups
        .iter()
        .map(|p| city_time(p.at).date_naive())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The pickups on `day` in the city's time, in time order.
pub fn on_day(pickups: &[Pickup], day: NaiveDate) -> Vec<Pickup> {
    let mut out: Vec<Pickup> = pickups
        .iter()
        .filter(|p| city_time(p.at).date_naive() == day)
        .copied()
        .collect();
    out.sort_by_key(|p| p.at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn areas() -> Vec<Area> {
        [
            ("North", (13.0, 77.6)),
            ("Centre", (12.97, 77.6)),
            ("South", (12.94, 77.6)),
        ]
        .into_iter()
        .map(|(n, at)| Area { name: n.into(), at })
        .collect()
    }

    const POLICY: FleetPolicy = FleetPolicy {
        max_move_km: 12.0,
        min_move_km: 1.0,
        trips_per_driver_hour: 2.0,
        incentive_per_km_minor: 800,
        surge_cap_tenths: 20,
    };

    #[test]
    fn seats_follow_demand_and_add_up() {
        assert_eq!(seats(&[3.0, 1.0, 0.0], 4), vec![3, 1, 0]);
        assert_eq!(seats(&[1.0, 1.0, 1.0], 4).iter().sum::<usize>(), 4);
        assert_eq!(seats(&[0.0, 0.0], 3), vec![0, 0]);
    }

    #[test]
    fn the_plan_sends_the_nearest_idle_drivers_where_pickups_are_expected() {
        let a = areas();
        // Two drivers in the centre, one in the south; all demand in the north.
        let idle = [a[1].at, (12.971, 77.6), a[2].at];
        let p = plan(&a, &[6.0, 0.0, 0.0], &idle, &[], &POLICY);
        assert_eq!(p.moves.len(), 3);
        assert!(p.moves.iter().all(|m| m.to_area == 0));
        // Three drivers serve six an hour: no shortfall left.
        assert!(p.suggestions.is_empty());
        // Demand split north and south: the south driver stays home, the
        // centre ones go north, the least empty driving in all.
        let p = plan(&a, &[2.0, 0.0, 1.0], &idle, &[], &POLICY);
        let mut to: Vec<(usize, usize)> = p.moves.iter().map(|m| (m.driver, m.to_area)).collect();
        to.sort();
        assert_eq!(to, vec![(0, 0), (1, 0)]);
        assert!(p.moves.iter().all(|m| m.incentive_minor > 0));
    }

    #[test]
    fn what_the_drivers_cannot_serve_is_a_surge_suggestion_under_the_cap() {
        let a = areas();
        let p = plan(&a, &[40.0, 0.0, 0.0], &[a[0].at], &[], &POLICY);
        assert!(p.moves.is_empty());
        assert_eq!(p.suggestions.len(), 1);
        assert_eq!(p.suggestions[0].area, 0);
        assert_eq!(p.suggestions[0].surge_tenths, 20);
        // Too far to ask: the driver stays and the shortfall shows.
        let near = FleetPolicy {
            max_move_km: 2.0,
            ..POLICY
        };
        let p = plan(&a, &[4.0, 0.0, 0.0], &[a[2].at], &[], &near);
        assert!(p.moves.is_empty());
        assert_eq!(p.suggestions[0].drivers, 0);
    }

    #[test]
    fn rebalancing_shortens_waits_when_the_morning_rush_is_elsewhere() {
        let a = areas();
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
        let at = |d: NaiveDate, h: u32, m: u32| {
            d.and_hms_opt(h, m, 0)
                .expect("a time")
                .and_local_timezone(FixedOffset::east_opt(19800).expect("offset"))
                .single()
                .expect("unambiguous")
                .with_timezone(&Utc)
        };
        // Every Monday at noon the north asks for 12 rides to the centre.
        let rush = |d: NaiveDate| -> Vec<Pickup> {
            (0..12)
                .map(|i| Pickup {
                    at: at(d, 12, i * 4),
                    from: a[0].at,
                    to: a[1].at,
                })
                .collect()
        };
        let history: Vec<Pickup> = (1..=4)
            .flat_map(|w| rush(day - Duration::weeks(w)))
            .collect();
        let heat = Heatmap::forecast(&a, &history, day, 4);
        assert_eq!(heat.days.len(), 4);
        assert_eq!(heat.expected[0][12], 12.0);
        let today = rush(day);
        let start = [a[2].at; 4];
        let without = simulate_day(&a, day, &today, &start, None, &POLICY);
        let with = simulate_day(&a, day, &today, &start, Some(&heat), &POLICY);
        assert_eq!(without.requests, 12);
        assert!(with.moves > 0 && without.moves == 0);
        assert!(
            with.pickup_p50 < without.pickup_p50,
            "{with:?} vs {without:?}"
        );
        assert!(with.served >= without.served);
    }
}
