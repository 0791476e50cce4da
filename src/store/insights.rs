//! The assistant's own outcomes, read off the stored conversations: how many
//! it served, handed to a person (and after which intents), refused,
//! corrected, and turned into orders, by day. Every figure is counted from
//! what each turn stored (`payload`: intent, tool calls, correction), so it
//! needs no event stream of its own.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Store, StoreError};

/// One day's outcomes (or, as `total`, the period's).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Outcomes {
    /// `YYYY-MM-DD`, or the period for the total.
    pub day: String,
    /// Customer conversations started that day.
    pub conversations: u64,
    /// Customer messages in them.
    pub turns: u64,
    /// Conversations that never reached a person (no ticket).
    pub resolved_without_person: u64,
    /// Conversations that opened a ticket for a person.
    pub handed_over: u64,
    /// Tool calls the engine refused (policy, stock, ownership, bad input).
    pub refusals: u64,
    /// Answers a model corrected after the first reply.
    pub corrections: u64,
    /// Conversations that put something in the cart.
    pub with_basket: u64,
    /// Conversations that placed an order.
    pub ordered: u64,
    /// `ordered / with_basket`; null with no basket.
    pub conversion: Option<f64>,
    /// Customer messages up to the one that placed the order, on average.
    pub avg_turns_to_checkout: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssistantReport {
    pub from: String,
    pub to: String,
    pub total: Outcomes,
    /// Mean rating (1 to 5) of the feedback given in the period, orders and
    /// conversations alike (not the seeded history, which no conversation
    /// led to); null without any.
    pub csat: Option<f64>,
    /// How many ratings `csat` is over.
    pub ratings: u64,
    pub days: Vec<Outcomes>,
    /// The intents of the turns that handed over, most frequent first.
    pub handover_intents: Vec<IntentCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IntentCount {
    pub intent: String,
    pub conversations: u64,
}

/// Running sums for one day, turned into [`Outcomes`] at the end.
#[derive(Default)]
struct Tally {
    o: Outcomes,
    checkout_turns: u64,
}

impl Tally {
    fn finish(mut self, day: String) -> Outcomes {
        self.o.day = day;
        self.o.conversion =
            (self.o.with_basket > 0).then(|| self.o.ordered as f64 / self.o.with_basket as f64);
        self.o.avg_turns_to_checkout =
            (self.o.ordered > 0).then(|| self.checkout_turns as f64 / self.o.ordered as f64);
        self.o
    }

    fn add(&mut self, c: &Conv) {
        let o = &mut self.o;
        o.conversations += 1;
        o.turns += c.turns;
        o.refusals += c.refusals;
        o.corrections += c.corrections;
        if c.handover.is_some() {
            o.handed_over += 1;
        } else {
            o.resolved_without_person += 1;
        }
        o.with_basket += u64::from(c.basket);
        if let Some(t) = c.checkout_at {
            o.ordered += 1;
            self.checkout_turns += t;
        }
    }
}

/// What one conversation came to.
#[derive(Default)]
struct Conv {
    day: String,
    turns: u64,
    refusals: u64,
    corrections: u64,
    /// The intent of the turn that opened a ticket.
    handover: Option<String>,
    basket: bool,
    /// Customer messages up to the first order.
    checkout_at: Option<u64>,
}

impl Store {
    /// Outcomes of customer conversations started from `from` to `to`
    /// (inclusive days, `YYYY-MM-DD`).
    pub async fn assistant_outcomes(
        &self,
        from: String,
        to: String,
    ) -> Result<AssistantReport, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare(
                "SELECT c.id, substr(c.created_at, 1, 10), c.ticket_id IS NOT NULL, m.role, m.payload
                 FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
                 WHERE c.mode = 'customer' AND substr(c.created_at, 1, 10) BETWEEN ?1 AND ?2
                 ORDER BY c.id, m.id",
            )?;
            let mut rows = st.query([&from, &to])?;
            let mut convs: Vec<(String, Conv)> = Vec::new();
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                if convs.last().is_none_or(|(last, _)| *last != id) {
                    let ticket: bool = r.get(2)?;
                    let conv = Conv {
                        day: r.get(1)?,
                        // Linked to a ticket some other way than a tool call here.
                        handover: ticket.then(String::new),
                        ..Conv::default()
                    };
                    convs.push((id, conv));
                }
                let conv = &mut convs.last_mut().expect("pushed above").1;
                let role: Option<String> = r.get(3)?;
                match role.as_deref() {
                    Some("user") => conv.turns += 1,
                    Some("assistant") => {
                        let payload: Option<String> = r.get(4)?;
                        let p: serde_json::Value = payload
                            .and_then(|p| serde_json::from_str(&p).ok())
                            .unwrap_or_default();
                        conv.corrections += u64::from(p["correction"] == true);
                        for call in p["tool_calls"].as_array().into_iter().flatten() {
                            let ok = call["ok"] == true;
                            conv.refusals += u64::from(!ok);
                            match call["name"].as_str() {
                                Some("add_to_cart" | "recipe_basket") if ok => conv.basket = true,
                                Some("checkout") if ok && conv.checkout_at.is_none() => {
                                    conv.checkout_at = Some(conv.turns);
                                }
                                Some("create_ticket") if ok => {
                                    let intent = p["intent"].as_str().unwrap_or_default();
                                    conv.handover = Some(intent.to_string());
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            let (csat, ratings): (Option<f64>, u64) = c.query_row(
                "SELECT avg(rating), count(rating) FROM feedback
                 WHERE seeded = 0 AND substr(updated_at, 1, 10) BETWEEN ?1 AND ?2",
                [&from, &to],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut days: BTreeMap<String, Tally> = BTreeMap::new();
            let mut total = Tally::default();
            let mut intents: BTreeMap<String, u64> = BTreeMap::new();
            for (_, conv) in &convs {
                days.entry(conv.day.clone()).or_default().add(conv);
                total.add(conv);
                if let Some(i) = conv.handover.as_ref().filter(|i| !i.is_empty()) {
                    *intents.entry(i.clone()).or_default() += 1;
                }
            }
            let mut handover_intents: Vec<IntentCount> = intents
                .into_iter()
                .map(|(intent, conversations)| IntentCount {
                    intent,
                    conversations,
                })
                .collect();
            handover_intents.sort_by_key(|i| std::cmp::Reverse(i.conversations));
            Ok(AssistantReport {
                total: total.finish(format!("{from}..{to}")),
                csat,
                ratings,
                days: days.into_iter().map(|(d, t)| t.finish(d)).collect(),
                handover_intents,
                from: from.clone(),
                to: to.clone(),
            })
        })
        .await
    }

    /// Complaints triaged from `from` to `to` (inclusive days), oldest
    /// first, of one merchant's orders if given.
    pub async fn complaints(
        &self,
        from: String,
        to: String,
        merchant: Option<String>,
    ) -> Result<Vec<Complaint>, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare(
                "SELECT f.order_id, substr(f.created_at, 1, 10), f.rating, f.text, f.aspects, o.merchant_id, cu.area
                 FROM feedback f
                 LEFT JOIN orders o ON o.id = f.order_id
                 JOIN customers cu ON cu.id = f.customer_id
                 WHERE f.class = 'complaint' AND substr(f.created_at, 1, 10) BETWEEN ?1 AND ?2
                   AND (CAST(?3 AS TEXT) IS NULL OR o.merchant_id = ?3)
                 ORDER BY f.created_at, f.id",
            )?;
            let rows = st.query_map(crate::store::params![from, to, merchant], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (order_id, day, rating, text, aspects, merchant_id, area) = row?;
                out.push(Complaint {
                    order_id,
                    day,
                    rating,
                    text,
                    aspects: match aspects {
                        Some(a) => serde_json::from_str(&a)?,
                        None => Vec::new(),
                    },
                    merchant_id,
                    area,
                });
            }
            Ok(out)
        })
        .await
    }
}

/// One triaged complaint, with where it happened.
#[derive(Debug, Clone)]
pub struct Complaint {
    pub order_id: Option<String>,
    /// `YYYY-MM-DD` it was given.
    pub day: String,
    pub rating: Option<i64>,
    pub text: String,
    pub aspects: Vec<String>,
    pub merchant_id: Option<String>,
    /// The customer's area.
    pub area: String,
}
