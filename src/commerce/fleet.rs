//! The fleet's demand and its rebalancing, fed from the seed's rides asked
//! for and the rides and orders in the database: the heatmap and plan the
//! console shows (`fleet`), and the simulator's move of idle drivers at the
//! start of each hour (`rebalance`). The pure work is in [`crate::ops::fleet`].
//! The heatmap is built at most once per `HEAT_TTL`, on the simulator's
//! thread or an agent's request, never on a chat turn.

use std::sync::Mutex;

use crate::store::{params, Connection};
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::Serialize;

use super::{invalid, Commerce, Result};
use crate::knowledge::Knowledge;
use crate::ops::fleet::{self, city_time, Area, FleetPolicy, Heatmap, Pickup, Point};

/// Same-weekday days the heatmap averages.
pub const HEAT_WEEKS: usize = 4;
/// How long a heatmap stands before the rides and orders are read again.
const HEAT_TTL: chrono::Duration = chrono::Duration::minutes(5);

/// The areas drivers are sent to: each `area` the places name, centred on
/// the mean of its places.
pub fn areas(k: &Knowledge) -> Vec<Area> {
    let mut out: Vec<(String, Vec<Point>)> = Vec::new();
    for p in &k.places {
        match out.iter_mut().find(|(n, _)| *n == p.area) {
            Some((_, at)) => at.push((p.lat, p.lon)),
            None => out.push((p.area.clone(), vec![(p.lat, p.lon)])),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter()
        .map(|(name, at)| {
            let n = at.len() as f64;
            Area {
                name,
                at: (
                    at.iter().map(|p| p.0).sum::<f64>() / n,
                    at.iter().map(|p| p.1).sum::<f64>() / n,
                ),
            }
        })
        .collect()
}

/// A delivery as a pickup: at the store, to the customer's area.
fn order_pickup(
    k: &Knowledge,
    areas: &[Area],
    merchant: &str,
    customer_area: &str,
    at: DateTime<Utc>,
) -> Option<Pickup> {
    let m = k.merchant(merchant)?;
    let to = areas.iter().find(|a| a.name == customer_area)?.at;
    Some(Pickup {
        at,
        from: (m.lat, m.lon),
        to,
    })
}

/// The seed's rides asked for, as pickups.
pub fn seed_rides(k: &Knowledge) -> Vec<Pickup> {
    let at: std::collections::HashMap<&str, Point> = k
        .places
        .iter()
        .map(|p| (p.id.as_str(), (p.lat, p.lon)))
        .collect();
    let place = |id: &str| at.get(id).copied();
    k.rides
        .iter()
        .filter_map(|r| {
            Some(Pickup {
                at: r.at,
                from: place(&r.from)?,
                to: place(&r.to)?,
            })
        })
        .collect()
}

/// Every pickup the seed knows, rides and deliveries, in time order: the
/// history `errand bench fleet` replays without a database.
pub fn seed_pickups(k: &Knowledge, areas: &[Area]) -> Vec<Pickup> {
    let mut out = seed_rides(k);
    let area: std::collections::HashMap<&str, &str> = k
        .customers
        .iter()
        .map(|c| (c.id.as_str(), c.area.as_str()))
        .collect();
    for o in &k.orders {
        let at = o.events.first().and_then(|e| e.at.parse().ok());
        if let (Some(a), Some(at)) = (area.get(o.customer_id.as_str()), at) {
            out.extend(order_pickup(k, areas, &o.merchant_id, a, at));
        }
    }
    out.sort_by_key(|p| p.at);
    out
}

/// The seed's rides with every ride and order in the database.
fn pickups(c: &Commerce, conn: &Connection, areas: &[Area]) -> Result<Vec<Pickup>> {
    let k = &c.knowledge;
    let mut out = seed_rides(k);
    let mut st = conn.prepare(
        "SELECT o.merchant_id, c.area, o.placed_at FROM orders o
         JOIN customers c ON c.id = o.customer_id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (merchant, area, at): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        if let Ok(at) = at.parse() {
            out.extend(order_pickup(k, areas, &merchant, &area, at));
        }
    }
    let mut st = conn.prepare("SELECT origin, destination, created_at FROM rides")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (o, d, at): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (o, d): (super::geo::Point, super::geo::Point) =
            (serde_json::from_str(&o)?, serde_json::from_str(&d)?);
        if let Ok(at) = at.parse() {
            out.push(Pickup {
                at,
                from: (o.lat, o.lon),
                to: (d.lat, d.lon),
            });
        }
    }
    Ok(out)
}

/// The rebalancing numbers, from the policy articles.
pub fn policy(k: &Knowledge) -> FleetPolicy {
    let p = &k.policy;
    FleetPolicy {
        max_move_km: p.fleet_max_move_km,
        min_move_km: p.fleet_min_move_km,
        trips_per_driver_hour: p.fleet_trips_per_driver_hour,
        incentive_per_km_minor: p.fleet_incentive_per_km_minor,
        surge_cap_tenths: p.surge_cap_tenths,
    }
}

/// What the engine remembers between simulator steps.
#[derive(Default)]
pub(super) struct FleetState {
    /// The heatmap for a day, and when it was built.
    heat: Option<(NaiveDate, DateTime<Utc>, std::sync::Arc<Heatmap>)>,
}

fn heatmap(
    c: &Commerce,
    conn: &Connection,
    areas: &[Area],
    day: NaiveDate,
) -> Result<std::sync::Arc<Heatmap>> {
    let state: &Mutex<FleetState> = &c.fleet;
    let now = Utc::now();
    if let Some((d, built, h)) = &state.lock().unwrap_or_else(|p| p.into_inner()).heat {
        if *d == day && now - *built < HEAT_TTL {
            return Ok(h.clone());
        }
    }
    let h = std::sync::Arc::new(Heatmap::forecast(
        areas,
        &pickups(c, conn, areas)?,
        day,
        HEAT_WEEKS,
    ));
    state.lock().unwrap_or_else(|p| p.into_inner()).heat = Some((day, now, h.clone()));
    Ok(h)
}

struct Driver {
    id: String,
    at: Point,
    busy: bool,
}

fn drivers(conn: &Connection) -> Result<Vec<Driver>> {
    let mut st =
        conn.prepare("SELECT id, lat, lon, busy_with IS NOT NULL FROM drivers ORDER BY id")?;
    let rows = st
        .query_map([], |r| {
            Ok(Driver {
                id: r.get(0)?,
                at: (r.get(1)?, r.get(2)?),
                busy: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize)]
pub struct AreaView {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// Expected pickups in each hour of the city's day (0 to 23).
    pub expected: Vec<f64>,
    pub idle_drivers: usize,
    pub busy_drivers: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct MoveView {
    pub driver_id: String,
    pub from_area: String,
    pub to_area: String,
    pub km: f64,
    pub incentive_minor: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SurgeView {
    pub area: String,
    pub expected: f64,
    pub drivers: usize,
    pub surge_tenths: i64,
}

/// The fleet at a glance: the heatmap, where the drivers are, and the plan
/// for `hour`.
#[derive(Debug, Clone, Serialize)]
pub struct FleetView {
    /// The city's date the heatmap forecasts.
    pub day: String,
    pub hour: u32,
    /// The past days its means cover.
    pub history_days: Vec<String>,
    pub areas: Vec<AreaView>,
    pub moves: Vec<MoveView>,
    pub surge: Vec<SurgeView>,
}

/// The plan for `hour` from the drivers as they are now.
fn plan_now(
    c: &Commerce,
    conn: &Connection,
    areas: &[Area],
    heat: &Heatmap,
    hour: u32,
) -> Result<(Vec<Driver>, Vec<Driver>, fleet::Plan)> {
    let (busy, idle): (Vec<Driver>, Vec<Driver>) = drivers(conn)?.into_iter().partition(|d| d.busy);
    let at = |ds: &[Driver]| ds.iter().map(|d| d.at).collect::<Vec<_>>();
    let plan = fleet::plan(
        areas,
        &heat.hour(hour),
        &at(&idle),
        &at(&busy),
        &policy(&c.knowledge),
    );
    Ok((idle, busy, plan))
}

impl Commerce {
    /// The heatmap for today and the plan for `hour` (now when `None`).
    pub async fn fleet(&self, hour: Option<u32>) -> Result<FleetView> {
        if hour.is_some_and(|h| h > 23) {
            return Err(invalid("hour", "must be 0 to 23"));
        }
        self.tx(move |c, conn| {
            let now = city_time(Utc::now());
            let (day, hour) = (now.date_naive(), hour.unwrap_or(now.hour()));
            let areas = areas(&c.knowledge);
            let heat = heatmap(c, conn, &areas, day)?;
            let (idle, busy, plan) = plan_now(c, conn, &areas, &heat, hour)?;
            let count = |ds: &[Driver], a: usize| {
                ds.iter()
                    .filter(|d| fleet::area_of(&areas, d.at) == a)
                    .count()
            };
            Ok(FleetView {
                day: day.to_string(),
                hour,
                history_days: heat.days.iter().map(|d| d.to_string()).collect(),
                areas: areas
                    .iter()
                    .enumerate()
                    .map(|(i, a)| AreaView {
                        name: a.name.clone(),
                        lat: a.at.0,
                        lon: a.at.1,
                        expected: heat.expected[i]
                            .iter()
                            .map(|v| (v * 100.0).round() / 100.0)
                            .collect(),
                        idle_drivers: count(&idle, i),
                        busy_drivers: count(&busy, i),
                    })
                    .collect(),
                moves: plan
                    .moves
                    .iter()
                    .map(|m| MoveView {
                        driver_id: idle[m.driver].id.clone(),
                        from_area: areas[fleet::area_of(&areas, idle[m.driver].at)]
                            .name
                            .clone(),
                        to_area: areas[m.to_area].name.clone(),
                        km: m.km,
                        incentive_minor: m.incentive_minor,
                    })
                    .collect(),
                surge: plan
                    .suggestions
                    .iter()
                    .map(|s| SurgeView {
                        area: areas[s.area].name.clone(),
                        expected: s.expected,
                        drivers: s.drivers,
                        surge_tenths: s.surge_tenths,
                    })
                    .collect(),
            })
        })
        .await
    }
}

/// Once per city hour, sends the idle drivers where the plan says. The
/// simulator places them there at once (it does not drive idle cars);
/// `errand bench fleet` drives them and measures what the plan is worth.
pub(super) fn rebalance(c: &Commerce, conn: &Connection, at: DateTime<Utc>) -> Result<usize> {
    let local = city_time(at);
    let hour = (local.date_naive(), local.hour());
    // The hour done is kept in the database, so the simulator's next
    // leader (another replica) does not move the fleet again this hour.
    let first = conn.execute(
        "INSERT INTO meta (key, value) VALUES ('fleet_rebalanced', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value != excluded.value",
        [format!("{}T{:02}", hour.0, hour.1)],
    )?;
    if first == 0 {
        return Ok(0);
    }
    let areas = areas(&c.knowledge);
    let heat = heatmap(c, conn, &areas, hour.0)?;
    let (idle, _, plan) = plan_now(c, conn, &areas, &heat, hour.1)?;
    for m in &plan.moves {
        let to = areas[m.to_area].at;
        conn.execute(
            "UPDATE drivers SET lat = ?2, lon = ?3 WHERE id = ?1 AND busy_with IS NULL",
            params![idle[m.driver].id, to.0, to.1],
        )?;
    }
    tracing::info!(hour = hour.1, moves = plan.moves.len(), "fleet rebalanced");
    Ok(plan.moves.len())
}
