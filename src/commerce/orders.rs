//! Orders: their lifecycle as events, what is wrong with one (diagnosis), and
//! the care actions policy allows (cancel, refund, reblast a driver).

use crate::store::{params, Connection, OptionalExtension};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::money::{format_inr, percent_of};
use super::{idempotent, invalid, new_id, rejected, Actor, Commerce, CommerceError, Result};
use crate::knowledge::Policy;
use crate::store::now;

/// Active states in lifecycle order; `delivered`, `cancelled`, `refunded` are final.
pub const FLOW: &[&str] = &[
    "placed",
    "accepted",
    "preparing",
    "ready",
    "driver_assigned",
    "picked_up",
    "delivered",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub state: String,
    pub at: String,
    pub actor: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderItem {
    pub product_id: String,
    pub title: String,
    /// The options it was ordered with (group -> choices), defaults included.
    #[serde(default)]
    pub options: crate::knowledge::Selection,
    /// What differs from the product as it comes ("Large, Oat milk").
    #[serde(default)]
    pub options_label: String,
    pub quantity: u32,
    /// What one unit cost, options included.
    pub unit_price_minor: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub checkout_id: Option<String>,
    pub customer_id: String,
    pub merchant_id: String,
    pub merchant_name: String,
    pub status: String,
    pub address: String,
    pub currency: String,
    pub total_minor: i64,
    pub refunded_minor: i64,
    pub driver_id: Option<String>,
    pub placed_at: String,
    pub items: Vec<OrderItem>,
    pub events: Vec<Event>,
}

/// Appends an event; for a state change, also moves the order.
pub(super) fn record(
    conn: &Connection,
    order: &str,
    state: &str,
    actor: &str,
    note: Option<&str>,
    at: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO order_events (order_id, state, at, actor, note) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![order, state, at, actor, note],
    )?;
    if FLOW.contains(&state) || state == "cancelled" || state == "refunded" {
        conn.execute(
            "UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![order, state, at],
        )?;
    }
    Ok(())
}

/// Loads an order the actor may see: a customer only their own (others are "not found").
pub(super) fn load(c: &Commerce, conn: &Connection, actor: &Actor, id: &str) -> Result<OrderView> {
    let row = conn
        .query_row(
            "SELECT id, checkout_id, customer_id, merchant_id, status, address, total_minor, refunded_minor, driver_id, placed_at FROM orders WHERE id = ?1",
            [id],
            |r| {
                Ok(OrderView {
                    id: r.get(0)?,
                    checkout_id: r.get(1)?,
                    customer_id: r.get(2)?,
                    merchant_id: r.get(3)?,
                    merchant_name: String::new(),
                    status: r.get(4)?,
                    address: r.get(5)?,
                    currency: super::pricing::CURRENCY.into(),
                    total_minor: r.get(6)?,
                    refunded_minor: r.get(7)?,
                    driver_id: r.get(8)?,
                    placed_at: r.get(9)?,
                    items: vec![],
                    events: vec![],
                })
            },
        )
        .optional()?;
    let mut o = match row {
        Some(o) if matches!(actor, Actor::Customer(cid) if *cid != o.customer_id) => {
            return Err(CommerceError::NotFound(format!("order {id}")))
        }
        Some(o) => o,
        None => return Err(CommerceError::NotFound(format!("order {id}"))),
    };
    o.merchant_name = c
        .knowledge
        .merchant(&o.merchant_id)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    let mut st = conn.prepare(
        "SELECT product_id, title, quantity, unit_price_minor, options FROM order_items WHERE order_id = ?1 ORDER BY rowid",
    )?;
    o.items = st
        .query_map([id], |r| {
            let key: String = r.get(4)?;
            let options = crate::knowledge::options::parse_key(&key);
            // The label comes from today's catalog; the options and price are what was ordered.
            let options_label = c
                .knowledge
                .product(&r.get::<_, String>(0)?)
                .and_then(|p| crate::knowledge::options::resolve(p, &options).ok())
                .map(|chosen| chosen.label())
                .unwrap_or_default();
            Ok(OrderItem {
                product_id: r.get(0)?,
                title: r.get(1)?,
                options,
                options_label,
                quantity: r.get(2)?,
                unit_price_minor: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut st = conn.prepare(
        "SELECT state, at, actor, note FROM order_events WHERE order_id = ?1 ORDER BY id",
    )?;
    o.events = st
        .query_map([id], |r| {
            Ok(Event {
                state: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                note: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(o)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Action {
    /// `wait`, `reblast_driver`, `cancel`, `refund_full`, `refund_partial`, `escalate`
    pub action: String,
    pub allowed: bool,
    pub reason: String,
    /// For refunds and cancellations: what the customer would get back.
    pub refund_minor: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Diagnosis {
    pub order_id: String,
    pub state: String,
    pub since: String,
    pub minutes_in_state: f64,
    pub limit_minutes: Option<u32>,
    pub stuck: bool,
    /// `restaurant_not_accepting`, `kitchen_delayed`, `no_driver`, `driver_not_moving`,
    /// `delivery_delayed`, or none when all is well.
    pub cause: Option<String>,
    pub summary: String,
    pub minutes_since_placed: f64,
    pub refundable_minor: i64,
    /// What a cancellation kept as its fee: part of `refundable_minor`, but
    /// only an agent may refund it.
    pub kept_fee_minor: i64,
    pub reblasts: i64,
    pub actions: Vec<Action>,
    /// Help articles whose policy decided the above.
    pub policy: Vec<String>,
}

/// Lifecycle minutes from an RFC 3339 time to `to`, at the simulator's `speed`.
pub(super) fn minutes_between(from: &str, to: DateTime<Utc>, speed: f64) -> f64 {
    DateTime::parse_from_rfc3339(from).map_or(0.0, |t| {
        (to - t.with_timezone(&Utc)).num_milliseconds() as f64 / 60_000.0 * speed
    })
}

/// The time the order entered its current state.
fn since(o: &OrderView) -> &str {
    o.events
        .iter()
        .rev()
        .find(|e| e.state == o.status)
        .map_or(o.placed_at.as_str(), |e| e.at.as_str())
}

pub(super) fn diagnose(
    c: &Commerce,
    conn: &Connection,
    o: &OrderView,
    at: DateTime<Utc>,
) -> Result<Diagnosis> {
    let speed = c.config.simulator.speed;
    let since = since(o).to_string();
    let minutes = minutes_between(&since, at, speed);
    let limit = c.config.limits_minutes.for_state(&o.status);
    let stuck = limit.is_some_and(|l| minutes > f64::from(l));
    let (reblasts, kept_fee): (i64, i64) = conn.query_row(
        "SELECT reblasts, kept_fee_minor FROM orders WHERE id = ?1",
        [&o.id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let cause = stuck.then(|| {
        match o.status.as_str() {
            "placed" => "restaurant_not_accepting",
            "accepted" | "preparing" => "kitchen_delayed",
            "ready" => "no_driver",
            "driver_assigned" => "driver_not_moving",
            _ => "delivery_delayed",
        }
        .to_string()
    });
    let rules = &c.knowledge.policy;
    let max_reblasts = rules.max_reblasts;
    let refundable = o.total_minor - o.refunded_minor;
    let mut policy = vec!["help-stuck-diagnosis-agent".to_string()];
    let mut actions = Vec::new();
    let mut add = |action: &str, allowed: bool, reason: String, refund: Option<i64>| {
        actions.push(Action {
            action: action.into(),
            allowed,
            reason,
            refund_minor: refund,
        });
    };
    let active = limit.is_some();
    if active {
        add(
            "wait",
            !stuck,
            if stuck {
                format!(
                    "over the {}-minute limit for {}",
                    limit.unwrap_or(0),
                    o.status
                )
            } else {
                "within the time limit".into()
            },
            None,
        );
        let needs_driver = matches!(o.status.as_str(), "ready" | "driver_assigned");
        let reblast_ok = needs_driver && stuck && reblasts < max_reblasts;
        add(
            "reblast_driver",
            reblast_ok,
            if !needs_driver {
                "only when waiting for or on a driver".into()
            } else if !stuck {
                "the driver is within the time limit".into()
            } else if reblasts >= max_reblasts {
                format!("already reblasted {reblasts} times (max {max_reblasts})")
            } else {
                format!("reblast {} of {max_reblasts}", reblasts + 1)
            },
            None,
        );
        if needs_driver {
            policy.push("help-reblast-policy".into());
        }
        let (allowed, refund, reason) = cancellation(rules, o, stuck, reblasts);
        add("cancel", allowed, reason, allowed.then_some(refund));
        policy.push("help-cancel-rules-agent".into());
    }
    let delivered_at = o
        .events
        .iter()
        .rev()
        .find(|e| e.state == "delivered")
        .map(|e| e.at.clone());
    let hours = rules.report_within_hours;
    let within_window = delivered_at
        .as_deref()
        .is_some_and(|d| minutes_between(d, at, 1.0) <= (hours * 60) as f64);
    let refund_ok = refundable > 0
        && (o.status == "cancelled" || (o.status == "delivered" && within_window) || stuck);
    let refund_reason = if refundable <= 0 {
        "nothing left to refund".to_string()
    } else if o.status == "delivered" && !within_window {
        format!("problems must be reported within {hours} hours of delivery")
    } else if refund_ok {
        format!("up to {} refundable", format_inr(refundable))
    } else {
        "refunds are for delivered, cancelled or stuck orders".into()
    };
    add(
        "refund_full",
        refund_ok,
        refund_reason.clone(),
        refund_ok.then_some(refundable),
    );
    add("refund_partial", refund_ok, refund_reason, None);
    policy.push("help-refund-policy".into());
    if o.status == "delivered" {
        policy.push("help-missing-items".into());
    }
    add(
        "escalate",
        stuck || o.status == "delivered",
        if stuck {
            "stuck orders may be escalated".into()
        } else {
            "for disputes after delivery".into()
        },
        None,
    );
    if stuck {
        policy.push("help-escalation-policy".into());
    }
    let summary = match (&cause, limit) {
        (Some(cause), Some(l)) => {
            format!(
                "Stuck in {} for {:.0} min (limit {l}): likely {}.",
                o.status.replace('_', " "),
                minutes,
                cause.replace('_', " ")
            )
        }
        _ if active => format!(
            "It has been {} for {:.0} min, within the {}-minute limit.",
            o.status.replace('_', " "),
            minutes,
            limit.unwrap_or(0)
        ),
        _ => format!("The order is {}.", o.status),
    };
    Ok(Diagnosis {
        order_id: o.id.clone(),
        state: o.status.clone(),
        since,
        minutes_in_state: (minutes * 10.0).round() / 10.0,
        limit_minutes: limit,
        stuck,
        cause,
        summary,
        minutes_since_placed: (minutes_between(&o.placed_at, at, speed) * 10.0).round() / 10.0,
        refundable_minor: refundable,
        kept_fee_minor: kept_fee,
        reblasts,
        actions,
        policy,
    })
}

/// Whether the order can be cancelled now, what comes back, and why
/// (help-cancel-order, help-cancel-rules-agent).
fn cancellation(rules: &Policy, o: &OrderView, stuck: bool, reblasts: i64) -> (bool, i64, String) {
    let percent = rules.cancel_fee_percent;
    let paid = o.total_minor - o.refunded_minor;
    let goods: i64 = o
        .items
        .iter()
        .map(|i| i.unit_price_minor * i64::from(i.quantity))
        .sum();
    let fee = percent_of(goods, percent).min(paid);
    match o.status.as_str() {
        "placed" => (true, paid, "free before the merchant accepts".into()),
        "accepted" | "preparing" if stuck => (true, paid, "free: the order is stuck".into()),
        "accepted" | "preparing" => (
            true,
            paid - fee,
            format!("{percent}% of the food value ({}) is kept", format_inr(fee)),
        ),
        "ready" | "driver_assigned" if stuck && reblasts >= rules.max_reblasts => (
            true,
            paid,
            format!("free: no driver after {} reblasts", rules.max_reblasts),
        ),
        "ready" | "driver_assigned" => (
            true,
            paid - fee,
            format!("{percent}% of the food value ({}) is kept", format_inr(fee)),
        ),
        "picked_up" => (
            false,
            0,
            "the driver has picked it up; report a problem after delivery".into(),
        ),
        s => (false, 0, format!("a {s} order cannot be cancelled")),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionResult {
    pub order: OrderView,
    pub refund_minor: i64,
    pub message: String,
}

/// Pays `amount` back through the provider and records it, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
fn refund_in_tx(
    c: &Commerce,
    conn: &Connection,
    o: &OrderView,
    amount: i64,
    kind: &str,
    reason: &str,
    actor: &Actor,
    key: &str,
) -> Result<()> {
    let at = now();
    let payment_ref: Option<String> = conn
        .query_row(
            "SELECT payment_ref FROM checkouts WHERE id = ?1",
            [o.checkout_id.as_deref().unwrap_or("")],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if let Some(p) = payment_ref {
        c.payments
            .refund(&p, amount, key)
            .map_err(|_| CommerceError::Payment {
                code: "refund_failed",
                message: "the payment provider refused the refund".into(),
            })?;
    }
    conn.execute(
        "INSERT INTO refunds (id, order_id, amount_minor, reason, actor, created_at, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![new_id("rf"), o.id, amount, reason, actor.label(), at, kind],
    )?;
    conn.execute(
        "UPDATE orders SET refunded_minor = refunded_minor + ?2 WHERE id = ?1",
        params![o.id, amount],
    )?;
    Ok(())
}

#[derive(Serialize)]
struct RefundKey<'a> {
    order: &'a str,
    amount: Option<i64>,
    reason: &'a str,
}

/// What customers have refunded themselves: on this order, and today
/// across all of `customer`'s orders. Cancellation pay-backs do not count.
fn customer_refunds(conn: &Connection, order: &str, customer: &str) -> Result<(i64, i64)> {
    let on_order: i64 = conn.query_row(
        "SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE order_id = ?1 AND kind = 'refund' AND actor LIKE 'customer:%'",
        [order],
        |r| r.get(0),
    )?;
    let today: i64 = conn.query_row(
        "SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE actor = ?1 AND kind = 'refund' AND created_at >= ?2",
        params![Actor::Customer(customer.into()).label(), super::today()],
        |r| r.get(0),
    )?;
    Ok((on_order, today))
}

/// Cancels under the cancellation rules; anything paid beyond the fee is
/// refunded, the stock goes back on the shelf, and the fee kept is recorded
/// so only an agent can give it back. With `expect_refund`, the amount a
/// proposal showed: any other amount is refused as `terms_changed`.
pub(super) fn cancel_in(
    c: &Commerce,
    conn: &Connection,
    actor: &Actor,
    id: &str,
    reason: &str,
    key: &str,
    expect_refund: Option<i64>,
) -> Result<ActionResult> {
    #[derive(Serialize)]
    struct CancelKey<'a> {
        order: &'a str,
        amount: Option<i64>,
        reason: &'a str,
        // Absent when not given, so keys stored before it existed still match.
        #[serde(skip_serializing_if = "Option::is_none")]
        expect_refund: Option<i64>,
    }
    let req = CancelKey {
        order: id,
        amount: None,
        reason,
        expect_refund,
    };
    // The key is the caller's own: scoped by principal, so another's stored
    // answer is never replayed to them and their key proves nothing.
    idempotent(
        conn,
        &format!("cancel:{}:{id}", actor.label()),
        key,
        &req,
        || {
            let o = load(c, conn, actor, id)?;
            let d = diagnose(c, conn, &o, Utc::now())?;
            let (allowed, refund, why) = cancellation(&c.knowledge.policy, &o, d.stuck, d.reblasts);
            if !allowed {
                return Err(rejected("not_allowed", format!("cannot cancel: {why}")));
            }
            if let Some(shown) = expect_refund.filter(|shown| *shown != refund) {
                return Err(rejected(
                    "terms_changed",
                    format!(
                        "cancelling now gives back {} ({why}), not the {} shown",
                        format_inr(refund),
                        format_inr(shown)
                    ),
                ));
            }
            let at = now();
            record(
                conn,
                id,
                "cancelled",
                &actor.label(),
                Some(&format!("{reason} ({why})")),
                &at,
            )?;
            free_driver(conn, id)?;
            for it in &o.items {
                conn.execute(
                    "UPDATE stock_sold SET sold = max(sold - ?2, 0) WHERE product_id = ?1",
                    params![it.product_id, it.quantity],
                )?;
            }
            let kept = o.total_minor - o.refunded_minor - refund;
            conn.execute(
                "UPDATE orders SET kept_fee_minor = ?2 WHERE id = ?1",
                params![id, kept],
            )?;
            if refund > 0 {
                refund_in_tx(
                    c,
                    conn,
                    &o,
                    refund,
                    "cancellation",
                    &format!("cancellation: {reason}"),
                    actor,
                    key,
                )?;
            }
            Ok(ActionResult {
                order: load(c, conn, actor, id)?,
                refund_minor: refund,
                message: format!("Cancelled; {} refunded ({why}).", format_inr(refund)),
            })
        },
    )
}

/// Refunds `amount` (all that is left when `None`) under the refund policy,
/// counted over the order and the customer's day, never per request: a
/// customer refunds at most the per-order and per-day limits in all, and
/// never a cancellation fee kept; an agent may refund whatever is left.
pub(super) fn refund_in(
    c: &Commerce,
    conn: &Connection,
    actor: &Actor,
    id: &str,
    amount: Option<i64>,
    reason: &str,
    key: &str,
) -> Result<ActionResult> {
    let req = RefundKey {
        order: id,
        amount,
        reason,
    };
    idempotent(
        conn,
        &format!("refund:{}:{id}", actor.label()),
        key,
        &req,
        || {
            let o = load(c, conn, actor, id)?;
            let d = diagnose(c, conn, &o, Utc::now())?;
            let rule = d.actions.iter().find(|a| a.action == "refund_full");
            if let Some(no) = rule.filter(|r| !r.allowed) {
                return Err(rejected(
                    "not_allowed",
                    format!("cannot refund: {}", no.reason),
                ));
            }
            let kept = d.kept_fee_minor;
            let customer = match actor {
                Actor::Customer(me) => Some(me.as_str()),
                _ => None,
            };
            // What this actor may still refund: a customer never the fee kept.
            let left = if customer.is_some() {
                (d.refundable_minor - kept).max(0)
            } else {
                d.refundable_minor
            };
            if left == 0 && kept > 0 {
                return Err(rejected(
                    "not_allowed",
                    format!(
                        "the {} cancellation fee kept is not refundable (help-cancel-order); a care agent can review it",
                        format_inr(kept)
                    ),
                ));
            }
            let amount = amount.unwrap_or(left);
            if amount > left {
                return Err(rejected(
                    "refund_exceeds_paid",
                    format!(
                        "{} asked, but only {} of what was paid is left to refund",
                        format_inr(amount),
                        format_inr(left)
                    ),
                ));
            }
            if let Some(me) = customer {
                let rules = &c.knowledge.policy;
                let (on_order, today) = customer_refunds(conn, id, me)?;
                if on_order + amount > rules.customer_refund_per_order_minor
                    || today + amount > rules.customer_refund_per_day_minor
                {
                    return Err(rejected(
                        "needs_agent",
                        format!(
                            "refunds above {} per order or {} a day in all need a care agent (help-refunds)",
                            format_inr(rules.customer_refund_per_order_minor),
                            format_inr(rules.customer_refund_per_day_minor)
                        ),
                    ));
                }
            }
            let at = now();
            refund_in_tx(c, conn, &o, amount, "refund", reason, actor, key)?;
            let full = amount == d.refundable_minor;
            let note = format!(
                "{} {}: {reason}",
                if full { "refund" } else { "partial refund" },
                format_inr(amount)
            );
            record(
                conn,
                id,
                if full { "refunded" } else { "refund" },
                &actor.label(),
                Some(&note),
                &at,
            )?;
            Ok(ActionResult {
                order: load(c, conn, actor, id)?,
                refund_minor: amount,
                message: format!("Refunded {}.", format_inr(amount)),
            })
        },
    )
}

/// Re-offers a stuck order to the nearest free drivers; the nearest takes it.
pub(super) fn reblast_in(
    c: &Commerce,
    conn: &Connection,
    actor: &Actor,
    id: &str,
) -> Result<ActionResult> {
    let o = load(c, conn, actor, id)?;
    let d = diagnose(c, conn, &o, Utc::now())?;
    // An order past the driver stage has no reblast rule at all:
    // that is a refusal, not an impossible state.
    let Some(rule) = d.actions.iter().find(|a| a.action == "reblast_driver") else {
        return Err(rejected(
            "not_allowed",
            format!("cannot reblast: order {id} is {}", o.status),
        ));
    };
    if !rule.allowed {
        return Err(rejected(
            "not_allowed",
            format!("cannot reblast: {}", rule.reason),
        ));
    }
    let gap = c.knowledge.policy.min_minutes_between_reblasts;
    let last: Option<String> = conn.query_row(
        "SELECT max(at) FROM order_events WHERE order_id = ?1 AND state = 'reblast'",
        [id],
        |r| r.get(0),
    )?;
    if last
        .as_deref()
        .is_some_and(|l| minutes_between(l, Utc::now(), c.config.simulator.speed) < gap)
    {
        return Err(rejected(
            "too_soon",
            format!("wait {gap} minutes between reblasts"),
        ));
    }
    let at = now();
    free_driver(conn, id)?;
    let nearest = super::simulator::nearest_free_drivers(c, conn, &o.merchant_id, 3)?;
    conn.execute(
        "UPDATE orders SET reblasts = reblasts + 1, stuck = NULL WHERE id = ?1",
        [id],
    )?;
    let offered: Vec<&str> = nearest.iter().map(String::as_str).collect();
    let note = if offered.is_empty() {
        "no free drivers nearby".to_string()
    } else {
        format!("offered to {}", offered.join(", "))
    };
    record(conn, id, "reblast", &actor.label(), Some(&note), &at)?;
    let message = match nearest.first() {
        Some(driver) => {
            super::simulator::assign_driver(conn, id, driver, &at)?;
            format!("Reblasted to {} drivers; {driver} accepted.", nearest.len())
        }
        None => "Reblasted, but no driver is free nearby yet.".to_string(),
    };
    Ok(ActionResult {
        order: load(c, conn, actor, id)?,
        refund_minor: 0,
        message,
    })
}

impl Commerce {
    pub async fn order(&self, actor: &Actor, id: &str) -> Result<OrderView> {
        let (actor, id) = (actor.clone(), id.to_string());
        self.tx(move |c, conn| load(c, conn, &actor, &id)).await
    }

    /// A customer's orders, newest first.
    pub async fn orders(&self, customer: &str, limit: usize) -> Result<Vec<OrderView>> {
        let customer = customer.to_string();
        self.tx(move |c, conn| {
            let mut st = conn.prepare("SELECT id FROM orders WHERE customer_id = ?1 ORDER BY placed_at DESC, rowid DESC LIMIT ?2")?;
            let ids: Vec<String> = st.query_map(params![customer, limit as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
            ids.iter().map(|id| load(c, conn, &Actor::Customer(customer.clone()), id)).collect()
        })
        .await
    }

    pub async fn diagnosis(&self, actor: &Actor, id: &str) -> Result<Diagnosis> {
        let (actor, id) = (actor.clone(), id.to_string());
        self.tx(move |c, conn| {
            let o = load(c, conn, &actor, &id)?;
            diagnose(c, conn, &o, Utc::now())
        })
        .await
    }

    /// Cancels in one transaction; see [`cancel_in`].
    pub async fn cancel(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
        key: &str,
        expect_refund: Option<i64>,
    ) -> Result<ActionResult> {
        let (actor, id, reason, key) = (
            actor.clone(),
            id.to_string(),
            reason.to_string(),
            key.to_string(),
        );
        self.tx(move |c, conn| cancel_in(c, conn, &actor, &id, &reason, &key, expect_refund))
            .await
    }

    /// Refunds in one transaction; see [`refund_in`].
    pub async fn refund(
        &self,
        actor: &Actor,
        id: &str,
        amount: Option<i64>,
        reason: &str,
        key: &str,
    ) -> Result<ActionResult> {
        if amount.is_some_and(|a| a <= 0) {
            return Err(invalid("amount_minor", "must be positive"));
        }
        if reason.trim().is_empty() {
            return Err(invalid("reason", "is required"));
        }
        let (actor, id, reason, key) = (
            actor.clone(),
            id.to_string(),
            reason.to_string(),
            key.to_string(),
        );
        self.tx(move |c, conn| refund_in(c, conn, &actor, &id, amount, &reason, &key))
            .await
    }

    /// Reblasts in one transaction; see [`reblast_in`].
    pub async fn reblast(&self, actor: &Actor, id: &str) -> Result<ActionResult> {
        let (actor, id) = (actor.clone(), id.to_string());
        self.tx(move |c, conn| reblast_in(c, conn, &actor, &id))
            .await
    }
}

/// Releases the order's driver, if any.
pub(super) fn free_driver(conn: &Connection, order: &str) -> Result<()> {
    conn.execute(
        "UPDATE drivers SET busy_with = NULL WHERE busy_with = ?1",
        [format!("order:{order}")],
    )?;
    Ok(())
}
