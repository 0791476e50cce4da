//! Ride quotes and bookings: distance, traffic-aware ETA, fare breakdown with
//! surge from local demand and supply, and the ride's own lifecycle.

use crate::store::{params, Connection, OptionalExtension};
use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::geo::{haversine_km, resolve, Point};
use super::simulator::free_drivers_near;
use super::{idempotent, invalid, new_id, rejected, Commerce, CommerceError, Result};
use crate::ops::fleet::{city_time, speed_kmh as traffic, ROAD_FACTOR};
use crate::store::now;

pub const RIDE_TYPES: &[&str] = &["bike", "auto", "car", "shared"];

struct RateCard {
    base_minor: i64,
    per_km_minor: i64,
    per_min_minor: i64,
    seats: u32,
    /// Drivers of this vehicle serve it.
    vehicle: &'static str,
}

fn rate_card(ride_type: &str) -> RateCard {
    match ride_type {
        "bike" => RateCard {
            base_minor: 2000,
            per_km_minor: 700,
            per_min_minor: 100,
            seats: 1,
            vehicle: "bike",
        },
        "auto" => RateCard {
            base_minor: 3000,
            per_km_minor: 1300,
            per_min_minor: 150,
            seats: 3,
            vehicle: "auto",
        },
        "shared" => RateCard {
            base_minor: 2500,
            per_km_minor: 900,
            per_min_minor: 100,
            seats: 1,
            vehicle: "car",
        },
        _ => RateCard {
            base_minor: 5000,
            per_km_minor: 1700,
            per_min_minor: 200,
            seats: 4,
            vehicle: "car",
        },
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub from: String,
    pub to: String,
    /// RFC 3339 departure time; absent means now.
    pub at: Option<String>,
    /// One of bike, auto, car, shared; absent quotes all four.
    pub ride_type: Option<String>,
    /// How many travel (1 when absent): only ride types with room for them
    /// are quoted, and a shared ride is priced per seat.
    #[serde(default)]
    pub riders: Option<u32>,
}

/// A party larger than any vehicle is a request for several rides.
const MAX_RIDERS: u32 = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fare {
    pub base_minor: i64,
    pub distance_minor: i64,
    pub time_minor: i64,
    pub surge_multiplier: f64,
    pub surge_minor: i64,
    pub total_minor: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RideOption {
    pub ride_type: String,
    pub seats: u32,
    pub duration_minutes: u32,
    pub pickup_eta_minutes: Option<u32>,
    pub fare: Fare,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RideQuote {
    pub quote_id: String,
    pub from: Point,
    pub to: Point,
    pub distance_km: f64,
    /// `peak`, `normal` or `night`, from the departure hour in the city.
    pub traffic: String,
    pub depart_at: String,
    pub expires_at: String,
    pub currency: String,
    /// The party size the options were chosen and priced for.
    #[serde(default = "one_rider")]
    pub riders: u32,
    pub options: Vec<RideOption>,
}

fn one_rider() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RideView {
    pub id: String,
    pub quote_id: String,
    pub customer_id: String,
    pub ride_type: String,
    pub from: Point,
    pub to: Point,
    pub fare_minor: i64,
    pub currency: String,
    pub status: String,
    pub driver_id: Option<String>,
    pub eta_minutes: Option<i64>,
    pub events: Vec<super::orders::Event>,
}

fn city_hour(t: DateTime<Utc>) -> u32 {
    city_time(t).hour()
}

/// Surge in tenths (10 = 1.0x): recent bookings near the origin against free drivers there.
fn surge_tenths(
    c: &Commerce,
    conn: &Connection,
    origin: (f64, f64),
    vehicle: &str,
    hour: u32,
) -> Result<i64> {
    let base_demand = match hour {
        8..=10 | 17..=20 => 4,
        22..=23 | 0..=5 => 1,
        _ => 2,
    };
    let since = crate::store::stamp(Utc::now() - Duration::minutes(30));
    let mut st = conn.prepare("SELECT origin FROM rides WHERE created_at >= ?1")?;
    let recent = st
        .query_map([since], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|o| serde_json::from_str::<Point>(&o).ok())
        .filter(|p| haversine_km(origin, (p.lat, p.lon)) <= 3.0)
        .count() as i64;
    let supply = free_drivers_near(conn, origin, Some(vehicle), 50)?
        .into_iter()
        .filter(|d| d.1 <= 3.0)
        .count() as i64;
    let demand = base_demand + recent;
    // Each unit of demand beyond supply adds 0.1x, up to the cap.
    Ok((10 + (demand - supply).max(0)).min(c.knowledge.policy.surge_cap_tenths))
}

pub(super) fn quote(
    c: &Commerce,
    conn: &Connection,
    customer: &str,
    req: &QuoteRequest,
) -> Result<RideQuote> {
    let place = |field: &str, text: &str| {
        resolve(&c.knowledge, text).map_err(|near| {
            if near.is_empty() {
                invalid(field, "is required: a place name, alias or `lat,lon`")
            } else {
                invalid(
                    field,
                    format!("unknown place `{text}`; did you mean {}?", near.join(", ")),
                )
            }
        })
    };
    let (from, to) = (place("from", &req.from)?, place("to", &req.to)?);
    let types: Vec<&str> = match req.ride_type.as_deref() {
        Some(t) if RIDE_TYPES.contains(&t) => vec![t],
        Some(t) => {
            return Err(invalid(
                "ride_type",
                format!("`{t}` is not one of {}", RIDE_TYPES.join(", ")),
            ))
        }
        None => RIDE_TYPES.to_vec(),
    };
    let riders = req.riders.unwrap_or(1);
    if !(1..=MAX_RIDERS).contains(&riders) {
        return Err(invalid("riders", format!("must be 1 to {MAX_RIDERS}")));
    }
    let fits = |t: &&str| {
        if *t == "shared" {
            i64::from(riders) <= c.knowledge.policy.shared_max_riders
        } else {
            rate_card(t).seats >= riders
        }
    };
    // A type asked for that cannot seat the party ("a shared ride for 4")
    // gives way to the types that can, rather than to no quote at all.
    let mut types: Vec<&str> = types.into_iter().filter(fits).collect();
    if types.is_empty() && req.ride_type.is_some() {
        types = RIDE_TYPES.iter().copied().filter(fits).collect();
    }
    if types.is_empty() {
        return Err(invalid(
            "riders",
            format!("no single ride of that type seats {riders}; a car seats 4"),
        ));
    }
    let depart = match &req.at {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|_| invalid("at", "must be an RFC 3339 time"))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let km = haversine_km((from.lat, from.lon), (to.lat, to.lon)) * ROAD_FACTOR;
    if km < 0.2 {
        return Err(invalid("to", "is the same place as `from`"));
    }
    let hour = city_hour(depart);
    let mut options = Vec::new();
    let mut profile = "normal";
    for t in types {
        let card = rate_card(t);
        let (name, speed) = traffic(hour, t);
        profile = name;
        let minutes = (km / speed * 60.0).ceil().max(1.0) as i64;
        // A shared ride sells seats: each rider pays the seat fare.
        let per = if t == "shared" { i64::from(riders) } else { 1 };
        let base_minor = card.base_minor * per;
        let distance_minor = (km * card.per_km_minor as f64).round() as i64 * per;
        let time_minor = minutes * card.per_min_minor * per;
        let tenths = surge_tenths(c, conn, (from.lat, from.lon), card.vehicle, hour)?;
        let before = base_minor + distance_minor + time_minor;
        let surge_minor = before * (tenths - 10) / 10;
        let pickup = free_drivers_near(conn, (from.lat, from.lon), Some(card.vehicle), 1)?
            .first()
            .map(|d| ((d.1 * ROAD_FACTOR / speed * 60.0).ceil() as u32).max(2));
        options.push(RideOption {
            ride_type: t.into(),
            seats: card.seats,
            duration_minutes: minutes as u32,
            pickup_eta_minutes: pickup,
            fare: Fare {
                base_minor,
                distance_minor,
                time_minor,
                surge_multiplier: tenths as f64 / 10.0,
                surge_minor,
                total_minor: before + surge_minor,
            },
        });
    }
    let q = RideQuote {
        quote_id: new_id("q"),
        from,
        to,
        distance_km: (km * 10.0).round() / 10.0,
        traffic: profile.into(),
        depart_at: crate::store::stamp(depart),
        expires_at: crate::store::stamp(
            Utc::now() + Duration::seconds(c.config.quote_ttl_secs as i64),
        ),
        currency: super::pricing::CURRENCY.into(),
        riders,
        options,
    };
    conn.execute(
        "INSERT INTO ride_quotes (id, customer_id, quote, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            q.quote_id,
            customer,
            serde_json::to_string(&q)?,
            q.expires_at
        ],
    )?;
    Ok(q)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    pub quote_id: String,
    /// Required when the quote has several options.
    pub ride_type: Option<String>,
}

fn load(conn: &Connection, customer: &str, id: &str) -> Result<RideView> {
    let row = conn
        .query_row(
            "SELECT id, quote_id, customer_id, ride_type, origin, destination, fare_minor, status, driver_id, eta_minutes FROM rides WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                ))
            },
        )
        .optional()?
        .filter(|r| r.2 == customer)
        .ok_or_else(|| CommerceError::NotFound(format!("ride {id}")))?;
    let mut st =
        conn.prepare("SELECT state, at, actor FROM ride_events WHERE ride_id = ?1 ORDER BY id")?;
    let events = st
        .query_map([id], |r| {
            Ok(super::orders::Event {
                state: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                note: None,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(RideView {
        id: row.0,
        quote_id: row.1,
        customer_id: row.2,
        ride_type: row.3,
        from: serde_json::from_str(&row.4)?,
        to: serde_json::from_str(&row.5)?,
        fare_minor: row.6,
        currency: super::pricing::CURRENCY.into(),
        status: row.7,
        driver_id: row.8,
        eta_minutes: row.9,
        events,
    })
}

fn event(conn: &Connection, ride: &str, state: &str, actor: &str) -> Result<()> {
    let t = now();
    conn.execute(
        "INSERT INTO ride_events (ride_id, state, at, actor) VALUES (?1, ?2, ?3, ?4)",
        params![ride, state, t, actor],
    )?;
    conn.execute(
        "UPDATE rides SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![ride, state, t],
    )?;
    Ok(())
}

impl Commerce {
    pub async fn quote_ride(&self, customer: &str, req: QuoteRequest) -> Result<RideQuote> {
        let customer = customer.to_string();
        self.tx(move |c, conn| {
            super::segment(conn, &customer)?;
            quote(c, conn, &customer, &req)
        })
        .await
    }

    /// Books an unexpired quote once; a retry with the same key returns the same ride.
    pub async fn book_ride(&self, customer: &str, key: &str, req: BookRequest) -> Result<RideView> {
        let (customer, key) = (customer.to_string(), key.to_string());
        self.tx(move |_, conn| {
            idempotent(conn, &format!("ride:{customer}"), &key, &req, || {
                let stored: Option<(String, String)> = conn
                    .query_row("SELECT quote, expires_at FROM ride_quotes WHERE id = ?1 AND customer_id = ?2", [&req.quote_id, &customer], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                let (q, expires) = stored.ok_or_else(|| CommerceError::NotFound(format!("quote {}", req.quote_id)))?;
                if expires < now() {
                    return Err(rejected("quote_expired", "the quote has expired; ask for a new one"));
                }
                let taken: Option<String> = conn.query_row("SELECT id FROM rides WHERE quote_id = ?1", [&req.quote_id], |r| r.get(0)).optional()?;
                if taken.is_some() {
                    return Err(rejected("quote_used", "this quote was already booked"));
                }
                let q: RideQuote = serde_json::from_str(&q)?;
                let option = match (&req.ride_type, q.options.len()) {
                    (None, 1) => &q.options[0],
                    (None, _) => return Err(invalid("ride_type", format!("choose one of {}", RIDE_TYPES.join(", ")))),
                    (Some(t), _) => q.options.iter().find(|o| &o.ride_type == t).ok_or_else(|| invalid("ride_type", format!("the quote has no `{t}` option")))?,
                };
                let id = new_id("r");
                let t = now();
                conn.execute(
                    "INSERT INTO rides (id, customer_id, quote_id, origin, destination, ride_type, fare_minor, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'requested', ?8, ?8)",
                    params![id, customer, q.quote_id, serde_json::to_string(&q.from)?, serde_json::to_string(&q.to)?, option.ride_type, option.fare.total_minor, t],
                )?;
                event(conn, &id, "requested", &format!("customer:{customer}"))?;
                let vehicle = rate_card(&option.ride_type).vehicle;
                if let Some((driver, km)) = free_drivers_near(conn, (q.from.lat, q.from.lon), Some(vehicle), 1)?.into_iter().next() {
                    conn.execute("UPDATE drivers SET busy_with = ?2 WHERE id = ?1", params![driver, format!("ride:{id}")])?;
                    let eta = (km * ROAD_FACTOR / 25.0 * 60.0).ceil().max(2.0) as i64;
                    conn.execute("UPDATE rides SET driver_id = ?2, eta_minutes = ?3 WHERE id = ?1", params![id, driver, eta])?;
                    event(conn, &id, "driver_assigned", &format!("driver:{driver}"))?;
                }
                load(conn, &customer, &id)
            })
        })
        .await
    }

    /// The customer's rides, newest first.
    pub async fn rides(&self, customer: &str, limit: usize) -> Result<Vec<RideView>> {
        let customer = customer.to_string();
        self.tx(move |_, conn| {
            let ids: Vec<String> = conn
                .prepare(
                    "SELECT id FROM rides WHERE customer_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2",
                )?
                .query_map(params![customer, limit as i64], |r| r.get(0))?
                .collect::<Result<_, crate::store::DbError>>()?;
            ids.iter().map(|id| load(conn, &customer, id)).collect()
        })
        .await
    }

    /// One of the customer's own quotes (another customer's is not found).
    pub async fn ride_quote(&self, customer: &str, id: &str) -> Result<RideQuote> {
        let (customer, id) = (customer.to_string(), id.to_string());
        self.tx(move |_, conn| {
            let q: String = conn
                .query_row(
                    "SELECT quote FROM ride_quotes WHERE id = ?1 AND customer_id = ?2",
                    [&id, &customer],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| CommerceError::NotFound(format!("quote {id}")))?;
            Ok(serde_json::from_str(&q)?)
        })
        .await
    }

    pub async fn ride(&self, customer: &str, id: &str) -> Result<RideView> {
        let (customer, id) = (customer.to_string(), id.to_string());
        self.tx(move |_, conn| load(conn, &customer, &id)).await
    }
}

/// Moves rides along: driver_assigned -> arriving -> on_trip -> completed.
pub(super) fn step(c: &Commerce, conn: &Connection, at: DateTime<Utc>) -> Result<usize> {
    let mut st = conn.prepare(
        "SELECT r.id, r.status, r.eta_minutes, r.origin, r.destination, r.ride_type,
                (SELECT max(e.at) FROM ride_events e WHERE e.ride_id = r.id)
         FROM rides r WHERE r.status IN ('driver_assigned', 'arriving', 'on_trip')",
    )?;
    type Row = (
        String,
        String,
        Option<i64>,
        String,
        String,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut moved = 0;
    for (id, status, eta, origin, dest, ride_type, since) in rows {
        let elapsed = since.map_or(0.0, |s| {
            super::orders::minutes_between(&s, at, c.config.simulator.speed)
        });
        let (o, d): (Point, Point) = (serde_json::from_str(&origin)?, serde_json::from_str(&dest)?);
        let trip = haversine_km((o.lat, o.lon), (d.lat, d.lon)) * ROAD_FACTOR
            / traffic(city_hour(at), &ride_type).1
            * 60.0;
        let (needed, next) = match status.as_str() {
            "driver_assigned" => (1.0, "arriving"),
            "arriving" => (eta.unwrap_or(5) as f64, "on_trip"),
            _ => (trip, "completed"),
        };
        if elapsed < needed {
            continue;
        }
        event(conn, &id, next, "system")?;
        if next == "completed" {
            conn.execute(
                "UPDATE drivers SET busy_with = NULL, lat = ?2, lon = ?3 WHERE busy_with = ?1",
                params![format!("ride:{id}"), d.lat, d.lon],
            )?;
        }
        moved += 1;
    }
    Ok(moved)
}
