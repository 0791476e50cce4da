//! Moves new orders and rides through their lifecycles in scaled time, with
//! a seeded fleet of drivers and configured rates of orders that get stuck.
//! Seeded orders (history) are never touched.

use crate::store::{params, Connection};
use chrono::{DateTime, Utc};

use super::geo::haversine_km;
use super::orders::record;
use super::{Commerce, Result};
use crate::config::{CommerceConfig, SimulatorConfig};
use crate::knowledge::Knowledge;
use crate::store::now;

/// A deterministic number in [0, 1) from a seed and a name: the simulator's
/// decisions, and which variant of an experiment a customer sees.
pub(super) fn unit(seed: impl std::fmt::Display, name: &str) -> f64 {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("{seed}:{name}").as_bytes());
    u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) as f64 / (u64::MAX as f64 + 1.0)
}

/// Which hold-up, if any, this order will suffer.
pub(super) fn plan_stuck(cfg: &SimulatorConfig, order: &str) -> Option<&'static str> {
    let u = unit(cfg.seed, order);
    let causes = [
        ("restaurant_not_accepting", cfg.stuck_restaurant),
        ("no_driver", cfg.stuck_no_driver),
        ("driver_not_moving", cfg.stuck_driver),
    ];
    let mut acc = 0.0;
    for (cause, rate) in causes {
        acc += rate;
        if u < acc {
            return Some(cause);
        }
    }
    None
}

const FIRST_NAMES: &[&str] = &[
    "Arjun", "Ravi", "Imran", "Suresh", "Kiran", "Manoj", "Farhan", "Deepak", "Vikram", "Anil",
    "Sanjay", "Rahul",
];

/// One driver as the fleet starts out.
pub struct Seat {
    pub id: String,
    pub name: &'static str,
    pub vehicle: &'static str,
    pub at: (f64, f64),
}

/// The fleet's seeded starting positions around the city's places: what
/// `place_drivers` writes and what `errand bench fleet` starts from.
pub fn fleet_start(k: &Knowledge, cfg: &CommerceConfig) -> Vec<Seat> {
    let seed = cfg.simulator.seed;
    (0..cfg.drivers)
        .map(|i| {
            let id = format!("d-{:03}", i + 1);
            let place = &k.places[(unit(seed, &id) * k.places.len() as f64) as usize];
            let jitter = |s: &str| (unit(seed, &format!("{id}{s}")) - 0.5) * 0.01;
            let name =
                FIRST_NAMES[(unit(seed, &format!("{id}name")) * FIRST_NAMES.len() as f64) as usize];
            Seat {
                at: (place.lat + jitter("lat"), place.lon + jitter("lon")),
                name,
                vehicle: ["bike", "bike", "auto", "car"][i % 4],
                id,
            }
        })
        .collect()
}

/// Places the fleet at its starting positions, once.
pub(super) fn place_drivers(conn: &Connection, k: &Knowledge, cfg: &CommerceConfig) -> Result<()> {
    let have: i64 = conn.query_row("SELECT count(*) FROM drivers", [], |r| r.get(0))?;
    for d in fleet_start(k, cfg).into_iter().skip(have as usize) {
        conn.execute(
            "INSERT INTO drivers (id, name, vehicle, lat, lon) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![d.id, d.name, d.vehicle, d.at.0, d.at.1],
        )?;
    }
    Ok(())
}

/// Free drivers nearest to `at`, closest first, optionally of one vehicle type.
pub(super) fn free_drivers_near(
    conn: &Connection,
    at: (f64, f64),
    vehicle: Option<&str>,
    n: usize,
) -> Result<Vec<(String, f64)>> {
    let mut st =
        conn.prepare("SELECT id, lat, lon, vehicle FROM drivers WHERE busy_with IS NULL")?;
    let mut all: Vec<(String, f64)> = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .filter_map(|r| r.ok())
        .filter(|(_, _, _, v)| vehicle.is_none_or(|want| want == v))
        .map(|(id, lat, lon, _)| (id, haversine_km(at, (lat, lon))))
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1));
    all.truncate(n);
    Ok(all)
}

pub(super) fn nearest_free_drivers(
    c: &Commerce,
    conn: &Connection,
    merchant: &str,
    n: usize,
) -> Result<Vec<String>> {
    let m = c
        .knowledge
        .merchant(merchant)
        .map_or((0.0, 0.0), |m| (m.lat, m.lon));
    Ok(free_drivers_near(conn, m, None, n)?
        .into_iter()
        .map(|d| d.0)
        .collect())
}

pub(super) fn assign_driver(conn: &Connection, order: &str, driver: &str, at: &str) -> Result<()> {
    conn.execute(
        "UPDATE drivers SET busy_with = ?2 WHERE id = ?1",
        params![driver, format!("order:{order}")],
    )?;
    conn.execute(
        "UPDATE orders SET driver_id = ?2 WHERE id = ?1",
        params![order, driver],
    )?;
    record(
        conn,
        order,
        "driver_assigned",
        &format!("driver:{driver}"),
        None,
        at,
    )
}

struct Active {
    id: String,
    merchant: String,
    status: String,
    since: String,
    stuck: Option<String>,
    driver: Option<String>,
    dest: (f64, f64),
}

impl Commerce {
    /// One simulator step at `at`; returns how many transitions happened.
    pub async fn simulate(&self, at: DateTime<Utc>) -> Result<usize> {
        self.tx(move |c, conn| {
            if !lead(c, conn, at)? {
                return Ok(0);
            }
            if c.config.simulator.rebalance {
                super::fleet::rebalance(c, conn, at)?;
            }
            Ok(step_orders(c, conn, at)? + super::rides::step(c, conn, at)?)
        })
        .await
    }
}

/// Whether this replica runs the simulator's step: it holds the lease (and
/// renews it), or takes it over once its holder has let it lapse, so with
/// several replicas on one database each step runs exactly once.
fn lead(c: &Commerce, conn: &Connection, at: DateTime<Utc>) -> Result<bool> {
    let tick = c.config.simulator.tick_ms.max(50) as i64;
    let ttl = chrono::Duration::milliseconds((5 * tick).max(2_000));
    let took = conn.execute(
        "INSERT INTO leases (name, holder, expires_at) VALUES ('simulator', ?1, ?2)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < ?3",
        params![
            &*c.replica,
            crate::store::stamp(at + ttl),
            crate::store::stamp(at)
        ],
    )?;
    Ok(took == 1)
}

/// Lifecycle minutes spent in `status` before the next state.
fn planned_minutes(c: &Commerce, o: &Active) -> f64 {
    let m = c.knowledge.merchant(&o.merchant);
    let from = m.map_or(o.dest, |m| (m.lat, m.lon));
    match o.status.as_str() {
        "placed" => 2.0,
        "accepted" => 1.0,
        "preparing" => f64::from(m.map_or(15, |m| m.prep_minutes)),
        "ready" => 2.0,
        "driver_assigned" => 6.0,
        _ => 3.0 + 3.0 * haversine_km(from, o.dest),
    }
}

fn step_orders(c: &Commerce, conn: &Connection, at: DateTime<Utc>) -> Result<usize> {
    let mut st = conn.prepare(
        "SELECT o.id, o.merchant_id, o.status, o.stuck, o.driver_id, coalesce(o.lat, 0), coalesce(o.lon, 0),
                (SELECT max(at) FROM order_events e WHERE e.order_id = o.id AND e.state = o.status)
         FROM orders o WHERE o.seeded = 0 AND o.status IN ('placed', 'accepted', 'preparing', 'ready', 'driver_assigned', 'picked_up')",
    )?;
    let active: Vec<Active> = st
        .query_map([], |r| {
            Ok(Active {
                id: r.get(0)?,
                merchant: r.get(1)?,
                status: r.get(2)?,
                stuck: r.get(3)?,
                driver: r.get(4)?,
                dest: (r.get(5)?, r.get(6)?),
                since: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let speed = c.config.simulator.speed;
    let mut moved = 0;
    for o in active {
        let held = matches!(
            (o.status.as_str(), o.stuck.as_deref()),
            ("placed", Some("restaurant_not_accepting"))
                | ("ready", Some("no_driver"))
                | ("driver_assigned", Some("driver_not_moving"))
        );
        let elapsed = super::orders::minutes_between(&o.since, at, speed);
        if held || elapsed < planned_minutes(c, &o) {
            continue;
        }
        let t = now();
        let merchant_actor = format!("merchant:{}", o.merchant);
        match o.status.as_str() {
            "placed" => record(conn, &o.id, "accepted", &merchant_actor, None, &t)?,
            "accepted" => record(conn, &o.id, "preparing", &merchant_actor, None, &t)?,
            "preparing" => record(conn, &o.id, "ready", &merchant_actor, None, &t)?,
            "ready" => match nearest_free_drivers(c, conn, &o.merchant, 1)?.first() {
                Some(d) => assign_driver(conn, &o.id, d, &t)?,
                None => continue, // no free driver: it waits, and diagnosis will say so
            },
            "driver_assigned" => record(
                conn,
                &o.id,
                "picked_up",
                &format!("driver:{}", o.driver.clone().unwrap_or_default()),
                None,
                &t,
            )?,
            _ => {
                record(
                    conn,
                    &o.id,
                    "delivered",
                    &format!("driver:{}", o.driver.clone().unwrap_or_default()),
                    None,
                    &t,
                )?;
                conn.execute(
                    "UPDATE drivers SET busy_with = NULL, lat = ?2, lon = ?3 WHERE busy_with = ?1",
                    params![format!("order:{}", o.id), o.dest.0, o.dest.1],
                )?;
            }
        }
        moved += 1;
    }
    Ok(moved)
}
