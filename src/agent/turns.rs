//! The flows that need more than one tool or a reference to earlier turns:
//! cart edits by reference, offers, rides, order help, and confirmations.

use serde_json::{json, Value};

use super::choices;
use super::lines::Put;
use super::slots::Slots;
use super::{DialogueState, TurnBuilder};
use crate::commerce::money::format_inr;
use crate::knowledge::{Product, Selection};

pub(super) fn money(v: &Value) -> String {
    format_inr(v.as_i64().unwrap_or(0))
}

impl TurnBuilder<'_> {
    /// Products named in `text` among `candidates` (ids), best match first.
    fn mentioned(&self, text: &str, candidates: &[String]) -> Option<String> {
        let words: Vec<String> = super::slots::words(text)
            .into_iter()
            .filter(|w| w.len() >= 3)
            .collect();
        candidates
            .iter()
            .filter_map(|id| {
                self.env
                    .knowledge
                    .product(id)
                    .map(|p| (id, p.title.to_lowercase()))
            })
            .map(|(id, title)| {
                (
                    words
                        .iter()
                        .filter(|w| {
                            title.contains(w.trim_end_matches('s'))
                                || title.split(' ').any(|t| super::slots::near(w, t))
                        })
                        .count(),
                    id,
                )
            })
            .enumerate()
            .filter(|(_, (n, _))| *n > 0)
            // Most words named; on a tie, the one listed first (the better match).
            .max_by_key(|(i, (n, _))| (*n, std::cmp::Reverse(*i)))
            .map(|(_, (_, id))| id.clone())
    }

    /// "the cheapest one" among those listed that have `quantity` in stock.
    fn cheapest(&self, text: &str, shown: &[String], quantity: u32) -> Option<String> {
        let w = super::slots::words(text);
        if !w
            .iter()
            .any(|x| super::slots::listed(&super::slots::lexicon().cheap_picks, x))
        {
            return None;
        }
        shown
            .iter()
            .filter_map(|id| self.env.knowledge.product(id))
            .filter(|p| p.stock >= quantity)
            .min_by_key(|p| p.price_minor)
            .map(|p| p.id.clone())
    }

    async fn cart_ids(&mut self, key: &str) -> Vec<String> {
        match self.tool("view_cart", json!({}), key.to_string()).await {
            Ok(c) => c["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|g| g["items"].as_array().cloned().unwrap_or_default())
                .filter_map(|i| i["product_id"].as_str().map(str::to_string))
                .collect(),
            Err(_) => vec![],
        }
    }

    pub(super) async fn add(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let pick = |i: usize| {
            if i == usize::MAX {
                state.shown.last().cloned()
            } else {
                state.shown.get(i.wrapping_sub(1)).cloned()
            }
        };
        let targets: Vec<String> = if !slots.ordinals.is_empty() {
            slots.ordinals.iter().filter_map(|&o| pick(o)).collect()
        } else if slots.all && !state.shown.is_empty() {
            state.shown.clone()
        } else if slots.both && state.firsts.len() >= 2 {
            state.firsts.clone()
        } else if slots.both {
            state.shown.iter().take(2).cloned().collect()
        } else if let Some(id) = self.cheapest(text, &state.shown, slots.quantity.unwrap_or(1)) {
            vec![id]
        } else if let Some(id) = self.mentioned(text, &state.shown) {
            vec![id]
        } else if slots.refers_back || slots.more {
            state
                .last_added
                .clone()
                .or_else(|| state.shown.first().cloned())
                .into_iter()
                .collect()
        } else {
            // "add 6 eggs and a kilo of onions": an order naming products,
            // read as one (amounts in packs, one count per item).
            if let Some(reply) = self.order_named(text, slots, state, key.clone()).await {
                return reply;
            }
            // "add basmati rice": find it.
            let query = super::clean_query(text, slots);
            if query.is_empty() {
                vec![]
            } else {
                // Added straight away only when the top hit names every word asked for;
                // otherwise the options are shown and the customer picks.
                let words: Vec<String> = query
                    .split(' ')
                    .filter(|w| w.len() >= 3)
                    .map(|w| w.trim_end_matches('s').to_string())
                    .collect();
                match self
                    .tool(
                        "search_products",
                        json!({ "query": query, "limit": 5 }),
                        key.clone(),
                    )
                    .await
                {
                    Ok(r) => {
                        let found = r["products"].as_array().cloned().unwrap_or_default();
                        let exact = found.first().filter(|p| {
                            let title = p["title"].as_str().unwrap_or_default().to_lowercase();
                            !words.is_empty() && words.iter().all(|w| title.contains(w.as_str()))
                        });
                        match exact {
                            Some(p) => p["product_id"]
                                .as_str()
                                .map(str::to_string)
                                .into_iter()
                                .collect(),
                            None if !found.is_empty() => {
                                state.shown = found
                                    .iter()
                                    .filter_map(|p| p["product_id"].as_str().map(str::to_string))
                                    .collect();
                                self.cards = json!({ "products": found });
                                return self.say("which_item", &[("list", self.list(&found))]);
                            }
                            None => vec![],
                        }
                    }
                    Err(_) => vec![],
                }
            }
        };
        if targets.is_empty() {
            return if state.shown.is_empty() {
                self.say("clarify_shop", &[])
            } else {
                self.say("which_item", &[("list", self.shown_list(state))])
            };
        }
        let quantity = slots.quantity.unwrap_or(1);
        let k = self.env.knowledge;
        // Options said with the search count too: "large pepperoni pizza",
        // then "add the first one".
        let said = match &state.searched {
            Some(s) => format!("{} {text}", s.parts.join(" ")),
            None => text.to_string(),
        };
        let picks = targets
            .iter()
            .filter_map(|id| k.product(id))
            .map(|p| (p, quantity, choices::said(&said, p).chosen))
            .collect();
        self.put_each(picks, state, &key, "added_many").await
    }

    /// Puts each product in the cart and says so with `template` ("Added 1 x
    /// Latte (Rs 199). Your cart is now Rs 199."), then asks the one option
    /// question a product is waiting on, if any: one question at a time,
    /// the rest still go in.
    pub(super) async fn put_each(
        &mut self,
        picks: Vec<(&Product, u32, Selection)>,
        state: &mut DialogueState,
        key: &str,
        template: &str,
    ) -> String {
        let mut lines = Vec::new();
        let mut asked = None;
        let mut total = Value::Null;
        for (p, quantity, options) in picks {
            match self.put(p, quantity, options, state, key).await {
                Put::Added(line, cart) => {
                    lines.push(line);
                    total = cart["total_minor"].clone();
                }
                Put::Asked(q) => asked = Some(q),
                Put::Later => {}
                Put::Failed(e) => return self.say("not_allowed", &[("reason", e)]),
            }
        }
        let mut reply = if lines.is_empty() {
            String::new()
        } else {
            self.say(
                template,
                &[("lines", lines.join(", ")), ("total", money(&total))],
            )
        };
        if let Some(q) = asked {
            reply = format!("{reply} {q}").trim().to_string();
        }
        reply
    }

    pub(super) async fn change(
        &mut self,
        intent: &str,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let in_cart = self.cart_ids(&key).await;
        // "make it two pizzas" before any is in the cart, right after a list:
        // the customer means to add them.
        if in_cart.is_empty() && intent == "set_quantity" && !state.shown.is_empty() {
            return Box::pin(self.add(text, slots, state, key)).await;
        }
        if in_cart.is_empty() {
            return self.say("cart_empty", &[]);
        }
        let target = self
            .mentioned(text, &in_cart)
            .or_else(|| {
                slots.ordinal.and_then(|o| {
                    if o == usize::MAX {
                        in_cart.last().cloned()
                    } else {
                        in_cart.get(o.wrapping_sub(1)).cloned()
                    }
                })
            })
            .or_else(|| {
                state
                    .last_added
                    .clone()
                    .filter(|id| in_cart.contains(id) && slots.refers_back)
            });
        let Some(id) = target else {
            return self.say("not_in_cart", &[("what", super::clean_query(text, slots))]);
        };
        let title = self
            .env
            .knowledge
            .product(&id)
            .map(|p| p.title.clone())
            .unwrap_or_default();
        if intent == "remove" {
            match self
                .tool("remove_from_cart", json!({ "product_id": id }), key)
                .await
            {
                Ok(cart) => self.say(
                    "removed",
                    &[("title", title), ("total", money(&cart["total_minor"]))],
                ),
                Err(e) => self.say("not_allowed", &[("reason", e)]),
            }
        } else {
            let quantity = slots.quantity.unwrap_or(1);
            match self
                .tool(
                    "set_cart_quantity",
                    json!({ "product_id": id, "quantity": quantity }),
                    key,
                )
                .await
            {
                Ok(cart) => self.say(
                    "quantity_set",
                    &[
                        ("title", title),
                        ("quantity", quantity.to_string()),
                        ("total", money(&cart["total_minor"])),
                    ],
                ),
                Err(e) => self.say("not_allowed", &[("reason", e)]),
            }
        }
    }

    pub(super) fn describe_cart(&self, cart: &Value) -> String {
        let groups = cart["groups"].as_array().cloned().unwrap_or_default();
        if groups.is_empty() {
            return self.say("cart_empty", &[]);
        }
        let lines: String = groups
            .iter()
            .map(|g| {
                let items: Vec<String> = g["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|i| {
                        format!(
                            "{} x {}",
                            i["quantity"],
                            i["title"].as_str().unwrap_or_default()
                        )
                    })
                    .collect();
                let fees = g["delivery_fee_minor"].as_i64().unwrap_or(0)
                    + g["packaging_fee_minor"].as_i64().unwrap_or(0);
                self.say(
                    "cart_group",
                    &[
                        (
                            "merchant",
                            g["merchant_name"].as_str().unwrap_or_default().into(),
                        ),
                        ("items", items.join(", ")),
                        ("subtotal", money(&g["subtotal_minor"])),
                        ("fees", format_inr(fees)),
                        ("total", money(&g["total_minor"])),
                    ],
                )
            })
            .collect();
        let offers: Vec<String> = cart["applied_offers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                format!(
                    "{} (-{})",
                    o["title"].as_str().unwrap_or_default(),
                    money(&o["amount_minor"])
                )
            })
            .collect();
        self.say(
            "cart",
            &[
                ("items", cart["item_count"].to_string()),
                ("groups", lines),
                ("total", money(&cart["total_minor"])),
                (
                    "offers",
                    if offers.is_empty() {
                        String::new()
                    } else {
                        self.say("cart_offers_applied", &[("offers", offers.join("; "))])
                    },
                ),
                (
                    "nudge",
                    cart["nudge"]["message"]
                        .as_str()
                        .map(|m| format!(" {m}."))
                        .unwrap_or_default(),
                ),
            ],
        )
    }

    pub(super) async fn offers(&mut self, slots: &Slots, key: String) -> String {
        if let Some(code) = &slots.coupon {
            return match self
                .tool("apply_coupon", json!({ "code": code }), key)
                .await
            {
                Ok(cart) if cart["coupon"]["applied"] == true => self.say(
                    "coupon_applied",
                    &[
                        ("code", code.clone()),
                        ("total", money(&cart["total_minor"])),
                    ],
                ),
                Ok(cart) => self.say(
                    "coupon_not_applied",
                    &[
                        ("code", code.clone()),
                        (
                            "reason",
                            cart["coupon"]["reason"]
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| self.say("coupon_reason_unknown", &[])),
                        ),
                    ],
                ),
                Err(e) => self.say("not_allowed", &[("reason", e)]),
            };
        }
        match self.tool("list_offers", json!({}), key).await {
            Ok(r) => {
                let list: String = r["offers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| format!("- {}\n", o["title"].as_str().unwrap_or_default()))
                    .collect();
                for h in r["offers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o["help"].as_str())
                {
                    if !self.citations.iter().any(|c| c == h) {
                        self.citations.push(h.to_string());
                    }
                }
                let nudge = r["cart"]["nudge"]["message"]
                    .as_str()
                    .map(|m| self.say("cart_nudge", &[("nudge", m.into())]))
                    .unwrap_or_default();
                self.cards = json!({ "offers": r["offers"] });
                self.say("offers", &[("list", list), ("nudge", nudge)])
            }
            Err(e) => self.say("error", &[("message", e)]),
        }
    }
}
