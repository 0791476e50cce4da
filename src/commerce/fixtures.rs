//! Test fixtures for the evaluation harness and demos: a fresh customer and
//! orders placed in a chosen lifecycle state, as if time had passed. Served
//! only when `server.test_helpers` is on; never in production.
//!
//! Fixture orders are marked as history (`seeded`), so the simulator leaves
//! them where they were put and a replayed dialogue sees the same state.

use crate::store::params;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use super::orders::{record, FLOW};
use super::{invalid, new_id, Commerce, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureRequest {
    /// A seeded customer whose profile (area, diet, segment, addresses) the new one copies.
    #[serde(default)]
    pub like: Option<String>,
    #[serde(default)]
    pub orders: Vec<FixtureOrder>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureOrder {
    /// Products of one merchant, with quantities.
    pub items: Vec<FixtureItem>,
    /// Any lifecycle state, or `cancelled` / `refunded`.
    pub state: String,
    /// How long the order has been in `state`: lifecycle minutes (as diagnosis
    /// counts them) for an active state, wall-clock minutes for a final one.
    #[serde(default = "default_minutes")]
    pub minutes_in_state: f64,
}

const MAX_MINUTES_IN_STATE: f64 = 525_600.0;

fn default_minutes() -> f64 {
    2.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureItem {
    pub product_id: String,
    #[serde(default = "one")]
    pub quantity: u32,
    #[serde(default)]
    pub options: crate::knowledge::Selection,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize)]
pub struct Fixture {
    pub customer_id: String,
    /// Order ids in the order they were asked for.
    pub orders: Vec<String>,
}

impl Commerce {
    /// Creates a new customer and their orders in one transaction.
    pub async fn fixture(&self, req: FixtureRequest) -> Result<Fixture> {
        self.tx(move |c, conn| {
            let like = match &req.like {
                Some(id) => id.clone(),
                None => c
                    .knowledge
                    .customers
                    .first()
                    .map(|cu| cu.id.clone())
                    .ok_or_else(|| invalid("like", "there are no seeded customers to copy"))?,
            };
            let customer = new_id("ev");
            let copied = conn.execute(
                "INSERT INTO customers (id, name, area, diet, language, segment, addresses)
                 SELECT ?1, name, area, diet, language, segment, addresses FROM customers WHERE id = ?2",
                params![customer, like],
            )?;
            if copied == 0 {
                return Err(invalid("like", format!("unknown customer {like}")));
            }
            let address: String = conn.query_row(
                "SELECT coalesce(json_extract(addresses, '$[0].line'), area) FROM customers WHERE id = ?1",
                [&customer],
                |r| r.get(0),
            )?;
            let mut orders = Vec::new();
            for (i, o) in req.orders.iter().enumerate() {
                orders.push(fixture_order(c, conn, &customer, &address, o).map_err(|e| {
                    match e {
                        super::CommerceError::Invalid { field, message } => {
                            invalid(&format!("orders[{i}].{field}"), message)
                        }
                        other => other,
                    }
                })?);
            }
            Ok(Fixture {
                customer_id: customer,
                orders,
            })
        })
        .await
    }
}

fn fixture_order(
    c: &Commerce,
    conn: &crate::store::Connection,
    customer: &str,
    address: &str,
    o: &FixtureOrder,
) -> Result<String> {
    let final_state = matches!(o.state.as_str(), "cancelled" | "refunded");
    let reached = match FLOW.iter().position(|s| *s == o.state) {
        Some(i) => i,
        None if final_state => 0,
        None => {
            return Err(invalid(
                "state",
                format!("`{}` is not a lifecycle state", o.state),
            ))
        }
    };
    if o.items.is_empty() {
        return Err(invalid("items", "an order needs items"));
    }
    // A year bounds every date computed below, far from chrono's range.
    if !(0.0..=MAX_MINUTES_IN_STATE).contains(&o.minutes_in_state) {
        return Err(invalid(
            "minutes_in_state",
            format!("must be 0 to {MAX_MINUTES_IN_STATE} minutes"),
        ));
    }
    let mut lines = Vec::new();
    for it in &o.items {
        let p = c
            .knowledge
            .product(&it.product_id)
            .ok_or_else(|| invalid("items", format!("unknown product {}", it.product_id)))?;
        if it.quantity == 0 {
            return Err(invalid("items", "quantities start at 1"));
        }
        let chosen = crate::knowledge::options::resolve(p, &it.options)
            .map_err(|e| invalid(&format!("items.{}", e.field()), e.to_string()))?;
        lines.push((p, chosen, it.quantity));
    }
    let merchant = lines[0].0.merchant_id.clone();
    if lines.iter().any(|(p, _, _)| p.merchant_id != merchant) {
        return Err(invalid("items", "one order holds one merchant's products"));
    }
    let total: i64 = lines
        .iter()
        .map(|(p, chosen, q)| (p.price_minor + chosen.delta_minor()) * i64::from(*q))
        .sum();
    let active = FLOW[..FLOW.len() - 1].contains(&o.state.as_str());
    let scale = if active {
        c.config.simulator.speed.max(f64::MIN_POSITIVE)
    } else {
        1.0
    };
    // At a slow simulator speed the wall-clock span grows; cap it at the year.
    let wall_ms = (o.minutes_in_state * 60_000.0 / scale).min(MAX_MINUTES_IN_STATE * 60_000.0);
    let entered = Utc::now() - Duration::milliseconds(wall_ms as i64);
    // Earlier states a minute apart, ending when the current one began.
    let mut path: Vec<&str> = FLOW[..=reached].to_vec();
    if final_state {
        path.push(&o.state);
    }
    let start = entered - Duration::minutes(path.len() as i64 - 1);
    let at = |i: usize| crate::store::stamp(start + Duration::minutes(i as i64));
    let id = new_id("o");
    conn.execute(
        "INSERT INTO orders (id, customer_id, merchant_id, address, status, total_minor, refunded_minor, placed_at, updated_at, seeded)
         VALUES (?1, ?2, ?3, ?4, 'placed', ?5, ?6, ?7, ?7, 1)",
        params![id, customer, merchant, address, total, if o.state == "refunded" { total } else { 0 }, at(0)],
    )?;
    for (p, chosen, q) in &lines {
        conn.execute(
            "INSERT INTO order_items (order_id, product_id, options, title, quantity, unit_price_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, p.id, chosen.key(), p.title, q, p.price_minor + chosen.delta_minor()],
        )?;
    }
    for (i, state) in path.iter().enumerate() {
        let actor = match *state {
            "placed" => format!("customer:{customer}"),
            "driver_assigned" | "picked_up" | "delivered" => "driver:fixture".into(),
            _ => format!("merchant:{merchant}"),
        };
        record(conn, &id, state, &actor, None, &at(i))?;
    }
    Ok(id)
}
