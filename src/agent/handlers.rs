//! One handler per tool in `tools/`. Each runs as the session's customer (or,
//! in assist mode, its care agent and ticket): ids of carts, orders and
//! tickets come from the session, never from the arguments, and the commerce
//! engine checks ownership again.

use crate::knowledge::Audience;
use serde_json::{json, Value};

use anyhow::Context;

use std::collections::HashMap;

use super::{Agent, Env};
use crate::commerce::{
    Actor, BookRequest, CheckoutRequest, Commerce, NewTicket, QuoteRequest, RecsQuery,
};
use crate::knowledge::{Knowledge, Selection};
use crate::retrieval::{Filters, Hit, Kind, Mode, Retriever, SearchRequest};
use crate::store::Store;

pub const BOUND: &[&str] = &[
    "search_products",
    "add_to_cart",
    "set_cart_quantity",
    "remove_from_cart",
    "set_cart_options",
    "view_cart",
    "clear_cart",
    "apply_coupon",
    "list_offers",
    "recommend",
    "checkout",
    "recipe_basket",
    "quote_ride",
    "book_ride",
    "ride_status",
    "order_status",
    "cancel_order",
    "request_refund",
    "search_help",
    "merchant_info",
    "create_ticket",
    "analyse_ticket",
    "decide_action",
];

pub fn is_bound(name: &str) -> bool {
    BOUND.contains(&name)
}

/// What a handler needs: the engines and who is acting.
pub struct Ctx<'a> {
    pub commerce: &'a Commerce,
    pub knowledge: &'a Knowledge,
    pub retriever: &'a Retriever,
    pub customer: &'a str,
    /// Assist mode: the care agent acting and the ticket the session is about.
    pub agent: Option<(&'a str, &'a str)>,
    pub assistant: &'a Agent,
    pub store: &'a Store,
    /// The conversation this call is made in.
    pub session: &'a str,
    /// Stable per confirmed write, so a retried turn never repeats it.
    pub idempotency_key: String,
}

fn s<'a>(args: &'a Value, key: &str) -> &'a str {
    args.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn n(args: &Value, key: &str) -> Option<i64> {
    args.get(key).and_then(Value::as_i64)
}

/// The `options` argument (validated by the tool's schema).
fn options(args: &Value) -> anyhow::Result<Selection> {
    Ok(match args.get("options") {
        Some(v) => serde_json::from_value(v.clone())?,
        None => Selection::new(),
    })
}

/// Moves what the customer has ordered before up the list: about one place
/// for one past order, two for two, three for five, so a much closer match
/// still leads.
fn personalise(hits: &mut Vec<Hit>, bought: &HashMap<String, u32>) {
    if bought.is_empty() {
        return;
    }
    let mut keyed: Vec<(f64, Hit)> = hits
        .drain(..)
        .enumerate()
        .map(|(rank, h)| {
            let times = f64::from(bought.get(&h.id).copied().unwrap_or(0));
            (rank as f64 - 2.0 * times.ln_1p(), h)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    hits.extend(keyed.into_iter().map(|(_, h)| h));
}

/// Runs a validated call.
pub async fn call(ctx: &Ctx<'_>, name: &str, args: &Value) -> anyhow::Result<Value> {
    let c = ctx.commerce;
    let me = ctx.customer;
    Ok(match name {
        "search_products" => {
            let tags = args
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let filters = Filters {
                kind: Some(Kind::Product),
                tags,
                price_max: n(args, "max_price_minor"),
                merchant: args
                    .get("merchant_id")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                in_stock: true,
                ..Default::default()
            };
            let limit = n(args, "limit").unwrap_or(5) as usize;
            let exclude: Vec<&str> = args
                .get("exclude_ids")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut hits = ctx
                .retriever
                .search(&SearchRequest {
                    query: s(args, "query").into(),
                    mode: Mode::Hybrid,
                    filters,
                    limit: (limit + exclude.len()) * 4,
                })
                .await?;
            hits.retain(|h| !exclude.contains(&h.id.as_str()));
            personalise(&mut hits, &c.bought(me).await?);
            json!({ "products": super::basket::varied(ctx.knowledge, &hits, limit) })
        }
        "add_to_cart" => serde_json::to_value(
            c.add_to_cart(
                me,
                s(args, "product_id"),
                n(args, "quantity").unwrap_or(1) as u32,
                &options(args)?,
            )
            .await?,
        )?,
        "set_cart_options" => serde_json::to_value(
            c.update_line(me, s(args, "line_id"), None, Some(&options(args)?))
                .await?,
        )?,
        "set_cart_quantity" => serde_json::to_value(
            c.set_quantity(
                me,
                s(args, "product_id"),
                n(args, "quantity").unwrap_or(0) as u32,
            )
            .await?,
        )?,
        "remove_from_cart" => {
            serde_json::to_value(c.remove_from_cart(me, s(args, "product_id")).await?)?
        }
        "view_cart" => serde_json::to_value(c.cart(me).await?)?,
        "clear_cart" => serde_json::to_value(c.clear_cart(me).await?)?,
        "apply_coupon" => serde_json::to_value(c.set_coupon(me, Some(s(args, "code"))).await?)?,
        "list_offers" => json!({ "offers": c.offers(me).await?, "cart": c.cart(me).await? }),
        "recommend" => {
            let query = RecsQuery {
                kind: serde_json::from_value(args["kind"].clone())?,
                product_id: args
                    .get("product_id")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                limit: n(args, "limit").unwrap_or(10) as usize,
                days: n(args, "days").map(|d| d as u32),
            };
            serde_json::to_value(c.recommendations(me, query).await?)?
        }
        "checkout" => serde_json::to_value(
            c.checkout(
                me,
                &ctx.idempotency_key,
                CheckoutRequest {
                    expected_total_minor: n(args, "expected_total_minor"),
                    ..Default::default()
                },
            )
            .await?,
        )?,
        "recipe_basket" => super::basket::recipe_basket(ctx, args).await?,
        "quote_ride" => {
            let req = QuoteRequest {
                from: s(args, "from").into(),
                to: s(args, "to").into(),
                at: None,
                ride_type: args
                    .get("ride_type")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                riders: args
                    .get("riders")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok()),
            };
            serde_json::to_value(c.quote_ride(me, req).await?)?
        }
        "book_ride" => {
            let req = BookRequest {
                quote_id: s(args, "quote_id").into(),
                ride_type: args
                    .get("ride_type")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
            serde_json::to_value(c.book_ride(me, &ctx.idempotency_key, req).await?)?
        }
        "ride_status" => {
            let ride = match args.get("ride_id").and_then(Value::as_str) {
                Some(id) => Some(c.ride(me, id).await?),
                None => c.rides(me, 1).await?.into_iter().next(),
            };
            json!({ "ride": ride })
        }
        "order_status" => {
            let actor = Actor::Customer(me.into());
            let id = match args.get("order_id").and_then(Value::as_str) {
                Some(id) => id.to_string(),
                None => match c.orders(me, 1).await?.into_iter().next() {
                    Some(o) => o.id,
                    None => return Ok(json!({ "order": null })),
                },
            };
            json!({ "order": c.order(&actor, &id).await?, "diagnosis": c.diagnosis(&actor, &id).await? })
        }
        "cancel_order" => {
            let reason = Some(s(args, "reason"))
                .filter(|r| !r.is_empty())
                .unwrap_or("requested in chat");
            serde_json::to_value(
                c.cancel(
                    &Actor::Customer(me.into()),
                    s(args, "order_id"),
                    reason,
                    &ctx.idempotency_key,
                    n(args, "expected_refund_minor"),
                )
                .await?,
            )?
        }
        "request_refund" => serde_json::to_value(
            c.refund(
                &Actor::Customer(me.into()),
                s(args, "order_id"),
                n(args, "amount_minor"),
                s(args, "reason"),
                &ctx.idempotency_key,
            )
            .await?,
        )?,
        "create_ticket" => {
            let req = NewTicket {
                order_id: args
                    .get("order_id")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                subject: s(args, "subject").into(),
                customer_id: None,
            };
            let ticket = c.create_ticket(&Actor::Customer(me.into()), req).await?;
            ctx.store
                .link_ticket(ctx.session.to_string(), ticket.id.clone())
                .await?;
            serde_json::to_value(ticket)?
        }
        "merchant_info" => {
            let id = args.get("merchant_id").and_then(Value::as_str);
            let merchants: Vec<Value> = ctx
                .knowledge
                .merchants
                .iter()
                .filter(|m| id.is_none_or(|id| m.id == id))
                .map(|m| {
                    json!({
                        "id": m.id, "name": m.name, "kind": m.kind, "cuisine": m.cuisine, "area": m.area,
                        "min_order_minor": m.min_order_minor, "delivery_fee_minor": m.delivery_fee_minor,
                        "packaging_fee_minor": m.packaging_fee_minor, "prep_minutes": m.prep_minutes,
                    })
                })
                .collect();
            if let Some(id) = id.filter(|_| merchants.is_empty()) {
                anyhow::bail!("no merchant `{id}`");
            }
            json!({ "merchants": merchants })
        }
        "search_help" => {
            let filters = Filters {
                kind: Some(Kind::Help),
                ..Default::default()
            };
            let hits = ctx
                .retriever
                .search(&SearchRequest {
                    query: s(args, "query").into(),
                    mode: Mode::Hybrid,
                    filters,
                    limit: 10,
                })
                .await?;
            // Agent-only policy (abuse checks, approval limits) never
            // reaches a customer's chat: filtered before anything is quoted.
            let articles: Vec<Value> = hits
                .iter()
                .filter_map(|h| ctx.knowledge.help.iter().find(|a| a.id == h.id))
                .filter(|a| ctx.agent.is_some() || a.audience == Audience::Customer)
                .take(3)
                .map(
                    |a| json!({ "id": a.id, "title": a.title, "summary": super::summary(&a.body) }),
                )
                .collect();
            json!({ "articles": articles })
        }
        "analyse_ticket" => {
            let (agent, ticket) = assist_identity(ctx)?;
            let env = Env {
                commerce: c,
                knowledge: ctx.knowledge,
                retriever: ctx.retriever,
                store: ctx.store,
            };
            serde_json::to_value(ctx.assistant.assist(&env, agent, ticket).await?)?
        }
        "decide_action" => {
            let (agent, ticket) = assist_identity(ctx)?;
            let approve = s(args, "decision") == "approve";
            serde_json::to_value(
                c.decide(agent, ticket, s(args, "action_id"), approve)
                    .await?,
            )?
        }
        other => anyhow::bail!("tool `{other}` has no handler"),
    })
}

/// Assist tools act only for a care agent, on the session's own ticket.
fn assist_identity<'a>(ctx: &Ctx<'a>) -> anyhow::Result<(&'a str, &'a str)> {
    ctx.agent
        .context("assist tools need a care agent's identity and a ticket")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::Explanation;

    fn hit(id: &str) -> Hit {
        Hit {
            id: id.into(),
            kind: Kind::Product,
            title: id.into(),
            merchant_id: None,
            category: String::new(),
            price_minor: None,
            tags: Vec::new(),
            in_stock: true,
            snippet: None,
            explanation: Explanation {
                bm25_rank: None,
                bm25_score: None,
                dense_rank: None,
                dense_score: None,
                fused_score: 0.0,
                expanded_with: Vec::new(),
            },
        }
    }

    fn order(ids: &[&str], bought: &[(&str, u32)]) -> Vec<String> {
        let mut hits: Vec<Hit> = ids.iter().map(|id| hit(id)).collect();
        let bought = bought.iter().map(|(p, n)| (p.to_string(), *n)).collect();
        personalise(&mut hits, &bought);
        hits.into_iter().map(|h| h.id).collect()
    }

    #[test]
    fn past_orders_move_a_product_up_a_few_places_only() {
        let ids = ["a", "b", "c", "d", "e", "f", "g"];
        assert_eq!(order(&ids, &[]), ids);
        // Once: one place. Five times: three places, never to the top from last.
        assert_eq!(
            order(&ids, &[("c", 1)]),
            ["a", "c", "b", "d", "e", "f", "g"]
        );
        assert_eq!(
            order(&ids, &[("g", 5)]),
            ["a", "b", "c", "g", "d", "e", "f"]
        );
        // Products not in the list change nothing.
        assert_eq!(order(&ids, &[("z", 9)]), ids);
    }
}
