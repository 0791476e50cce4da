//! The flows that need more than one tool or a reference to earlier turns:
//! cart edits by reference, offers, rides, order help, and confirmations.

use serde_json::{json, Value};

use super::choices;
use super::lines::Put;
use super::slots::{self, Slots};
use super::{DialogueState, Pending, TurnBuilder};
use crate::commerce::money::format_inr;
use crate::knowledge::{Product, Selection};
use crate::triage::Class;

pub(super) fn money(v: &Value) -> String {
    format_inr(v.as_i64().unwrap_or(0))
}

impl TurnBuilder<'_> {
    /// Who is coming and when, while a ride waits for its pickup.
    fn driver_note(&self, ride: &Value) -> String {
        match (ride["status"].as_str(), ride["driver_id"].as_str()) {
            (Some("driver_assigned" | "arriving"), Some(d)) => self.say(
                "driver_arriving",
                &[
                    ("driver", d.into()),
                    ("minutes", ride["eta_minutes"].to_string()),
                ],
            ),
            (Some("requested"), _) => self.say("driver_finding", &[]),
            _ => String::new(),
        }
    }

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

    /// "home" and "work" are the customer's saved addresses.
    async fn place(&self, phrase: &str) -> String {
        let customer = self.env.commerce.customer(self.customer).await.ok();
        let saved = customer.as_ref().and_then(|c| {
            c.addresses.iter().find(|a| {
                phrase.contains(&a.label.to_lowercase())
                    || (phrase == "my place" && a.label == "home")
            })
        });
        saved.map_or_else(|| phrase.to_string(), |a| format!("{},{}", a.lat, a.lon))
    }

    /// "and by car?" after a quote: that option's fare and time from the quote,
    /// or a new quote for the same trip when the first was for another type.
    pub(super) async fn ride_option(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let best = state.quote.as_ref().and_then(|q| picked(q, text));
        let (Some(q), Some(kind)) = (state.quote.clone(), slots.ride_type.clone().or(best)) else {
            return self.say("ride_which", &[]);
        };
        match q["options"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["ride_type"] == kind.as_str())
        {
            // The option shown is proposed: a yes books it.
            Some(_) => {
                let picked = Slots {
                    ride_type: Some(kind),
                    ..slots.clone()
                };
                self.propose_booking(text, &picked, state, key)
            }
            None => {
                let again = Slots {
                    from: q["from"].as_str().map(str::to_string),
                    to: q["to"].as_str().map(str::to_string),
                    ride_type: Some(kind),
                    ..Default::default()
                };
                self.quote("", &again, state, key).await
            }
        }
    }

    pub(super) async fn quote(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        // A follow-up keeps the end it does not change; an answer to "which
        // place?" fills the end that was unclear.
        let last = super::Trip::last(state).cloned().unwrap_or_default();
        // One place named (with or without "from"/"to"), or one of those
        // offered ("the west one"), answers the question.
        let answer = match (&slots.from, &slots.to) {
            (Some(_), Some(_)) => None,
            (one, other) => one
                .clone()
                .or(other.clone())
                .or_else(|| last.pick(text, slots.ordinal))
                .or_else(|| Some(text.trim().trim_end_matches(['.', '!', '?']).to_lowercase())),
        };
        let ride_type = slots.ride_type.clone().or(last.ride_type);
        // "for 4" in a ride turn counts travellers, not servings.
        let riders = slots.riders.or(slots.servings).or(last.riders);
        let (mut from, mut to) = (
            slots.from.clone().or(last.from.clone()),
            slots.to.clone().or(last.to.clone()),
        );
        // The answer fills the unclear end and leaves the other as it was,
        // even when it named the place as a destination.
        let one_place = slots.from.is_none() || slots.to.is_none();
        match (last.unclear.as_deref(), answer) {
            (Some("from"), Some(a)) => {
                from = Some(a);
                if one_place {
                    to = last.to.clone();
                }
            }
            (Some("to"), Some(a)) => to = Some(a),
            _ => {}
        }
        state.trip = Some(super::Trip {
            from: from.clone(),
            to: to.clone(),
            ride_type: ride_type.clone(),
            riders,
            unclear: None,
            options: Vec::new(),
            turn: state.turns,
        });
        let Some(to) = &to else {
            return match &from {
                Some(f) => self.say("ride_where_to", &[("from", f.clone())]),
                None => self.say("ride_which", &[]),
            };
        };
        let from = from.unwrap_or_else(|| "home".into());
        let mut args = json!({ "from": self.place(&from).await, "to": self.place(to).await });
        if let Some(t) = &ride_type {
            args["ride_type"] = json!(t);
        }
        if let Some(n) = riders {
            args["riders"] = json!(n);
        }
        let booking_key = format!("{key}:book");
        match self.tool("quote_ride", args.clone(), key).await {
            Ok(q) => {
                let options: Vec<String> = q["options"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| {
                        let surge = o["fare"]["surge_multiplier"].as_f64().unwrap_or(1.0);
                        let surge = if surge > 1.0 {
                            self.say("ride_surge", &[("surge", format!("{surge:.1}"))])
                        } else {
                            String::new()
                        };
                        self.say(
                            "ride_option_line",
                            &[
                                (
                                    "ride_type",
                                    o["ride_type"].as_str().unwrap_or_default().into(),
                                ),
                                ("fare", money(&o["fare"]["total_minor"])),
                                ("minutes", o["duration_minutes"].to_string()),
                                ("surge", surge),
                            ],
                        )
                    })
                    .collect();
                let name = |p: &Value, raw: &str| {
                    if super::slots::lexicon()
                        .saved_places
                        .values()
                        .any(|p| p == raw)
                    {
                        raw.to_string()
                    } else {
                        p["name"].as_str().unwrap_or_default().to_string()
                    }
                };
                let (from_name, to_name) = (name(&q["from"], &from), name(&q["to"], to));
                state.quote = Some(json!({
                    "quote_id": q["quote_id"], "from": from_name, "to": to_name,
                    "options": q["options"].as_array().into_iter().flatten().map(|o| json!({ "ride_type": o["ride_type"], "total_minor": o["fare"]["total_minor"], "minutes": o["duration_minutes"] })).collect::<Vec<_>>(),
                }));
                let minutes = q["options"][0]["duration_minutes"].to_string();
                self.cards = json!({ "ride_quote": q });
                self.citations.push("help-ride-fares".into());
                // The quote is a proposal: the option asked for (else the
                // only or the cheapest one) at the fare shown, which a yes
                // books.
                // A ride type the quote lacks ("shared" for four) offers the
                // cheapest that goes instead.
                let offer = state.quote.as_ref().and_then(|sq| {
                    let options = sq["options"].as_array()?;
                    offered(options, ride_type.as_deref())
                        .or_else(|| offered(options, None))
                        .cloned()
                });
                let proposal = match offer {
                    Some(o) => {
                        let kind = o["ride_type"].as_str().unwrap_or_default().to_string();
                        state.pending = Some(Pending {
                            tool: "book_ride".into(),
                            args: json!({ "quote_id": q["quote_id"], "ride_type": kind }),
                            key: booking_key,
                            terms: None,
                        });
                        self.say(
                            "ride_offer",
                            &[("ride_type", kind), ("fare", money(&o["total_minor"]))],
                        )
                    }
                    None => String::new(),
                };
                self.say(
                    "ride_quote",
                    &[
                        ("from", from_name),
                        ("to", to_name),
                        ("km", q["distance_km"].to_string()),
                        ("minutes", minutes),
                        ("traffic", q["traffic"].as_str().unwrap_or_default().into()),
                        ("options", options.join("\n")),
                        ("offer", proposal),
                    ],
                )
            }
            // "koramangala" is two places: ask, naming them.
            Err(e) if e.contains("unknown place") => {
                // Which end, and the places it may be, from the gazetteer:
                // the next turn may answer with one of them.
                let unclear = ["from", "to"].into_iter().find_map(|end| {
                    let place = args[end].as_str().unwrap_or_default();
                    crate::commerce::resolve_place(self.env.knowledge, place)
                        .err()
                        .map(|near| (end, near))
                });
                if let (Some(trip), Some((end, near))) = (state.trip.as_mut(), unclear) {
                    trip.unclear = Some(end.into());
                    trip.options = near;
                }
                self.say("ride_place_unclear", &[("detail", e.replace('`', ""))])
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// "book the cheapest one", "book the auto": proposes that option of
    /// the quote shown (the one asked for, else the only or cheapest).
    pub(super) fn propose_booking(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let Some(q) = state.quote.clone() else {
            return self.say("no_quote", &[]);
        };
        let options = q["options"].as_array().cloned().unwrap_or_default();
        let asked = slots.ride_type.clone().or_else(|| picked(&q, text));
        let chosen = offered(&options, asked.as_deref());
        let Some(chosen) = chosen else {
            return self.say(
                "not_allowed",
                &[(
                    "reason",
                    self.say(
                        "quote_lacks_type",
                        &[("ride_type", slots.ride_type.clone().unwrap_or_default())],
                    ),
                )],
            );
        };
        let ride_type = chosen["ride_type"].as_str().unwrap_or_default().to_string();
        state.pending = Some(Pending {
            tool: "book_ride".into(),
            args: json!({ "quote_id": q["quote_id"], "ride_type": ride_type }),
            key,
            terms: None,
        });
        self.say(
            "confirm_ride",
            &[
                ("ride_type", ride_type),
                ("from", q["from"].as_str().unwrap_or_default().into()),
                ("to", q["to"].as_str().unwrap_or_default().into()),
                ("fare", money(&chosen["total_minor"])),
            ],
        )
    }

    /// One store's terms when the message names it, else who we deliver from.
    pub(super) async fn merchant_info(&mut self, named: Option<&str>, key: String) -> String {
        let args = named.map_or(json!({}), |id| json!({ "merchant_id": id }));
        let r = match self.tool("merchant_info", args, key).await {
            Ok(r) => r,
            Err(e) => return self.say("error", &[("message", e)]),
        };
        let merchants = r["merchants"].as_array().cloned().unwrap_or_default();
        let line = |m: &Value| {
            let kind = m["cuisine"]
                .as_str()
                .or(m["kind"].as_str())
                .unwrap_or_default()
                .replace('_', " ");
            let packaging = match m["packaging_fee_minor"].as_i64() {
                Some(p) if p > 0 => self.say(
                    "merchant_packaging",
                    &[("fee", money(&m["packaging_fee_minor"]))],
                ),
                _ => String::new(),
            };
            self.say(
                "merchant_line",
                &[
                    ("name", m["name"].as_str().unwrap_or_default().into()),
                    ("kind", kind),
                    ("area", m["area"].as_str().unwrap_or_default().into()),
                    ("minimum", money(&m["min_order_minor"])),
                    ("delivery", money(&m["delivery_fee_minor"])),
                    ("packaging", packaging),
                    ("minutes", m["prep_minutes"].to_string()),
                ],
            )
        };
        let reply = match (named, merchants.as_slice()) {
            (Some(_), [m]) => self.say("merchant", &[("line", line(m))]),
            _ => {
                let list: Vec<String> =
                    merchants.iter().map(|m| format!("- {}", line(m))).collect();
                self.say("merchants", &[("list", list.join("\n"))])
            }
        };
        self.cards = json!({ "merchants": merchants });
        reply
    }

    pub(super) async fn ride_status(&mut self, key: String) -> String {
        match self.tool("ride_status", json!({}), key).await {
            Ok(r) if r["ride"].is_null() => self.say("no_rides", &[]),
            Ok(r) => {
                let ride = &r["ride"];
                let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
                let reply = self.say(
                    "ride_status",
                    &[
                        ("ride_type", text(&ride["ride_type"])),
                        ("id", text(&ride["id"])),
                        ("from", text(&ride["from"]["name"])),
                        ("to", text(&ride["to"]["name"])),
                        ("state", text(&ride["status"]).replace('_', " ")),
                        ("driver", self.driver_note(ride)),
                    ],
                );
                self.cards = json!({ "ride": ride });
                reply
            }
            Err(e) => self.say("error", &[("message", e)]),
        }
    }

    pub(super) async fn status(&mut self, slots: &Slots, key: String) -> String {
        let args = slots
            .order_id
            .as_ref()
            .map_or(json!({}), |id| json!({ "order_id": id }));
        match self.tool("order_status", args, key).await {
            Ok(r) if r["order"].is_null() => self.say("no_orders", &[]),
            Ok(r) => {
                let d = &r["diagnosis"];
                let cite = if d["stuck"] == true {
                    "help-stuck-order"
                } else if r["order"]["status"] == "delivered" {
                    "help-missing-items"
                } else {
                    "help-order-tracking"
                };
                self.citations.push(cite.into());
                let help = if d["stuck"] == true {
                    self.say("status_stuck_offer", &[])
                } else {
                    String::new()
                };
                self.cards = json!({ "order": r["order"], "diagnosis": d });
                self.say(
                    "order_status",
                    &[
                        ("id", r["order"]["id"].as_str().unwrap_or_default().into()),
                        (
                            "merchant",
                            r["order"]["merchant_name"]
                                .as_str()
                                .unwrap_or_default()
                                .into(),
                        ),
                        (
                            "state",
                            r["order"]["status"]
                                .as_str()
                                .unwrap_or_default()
                                .replace('_', " "),
                        ),
                        ("summary", d["summary"].as_str().unwrap_or_default().into()),
                        ("help", format!("{help} (see {cite})")),
                    ],
                )
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// "I want to change my order": placed orders are not edited; what the
    /// order's state still allows instead.
    pub(super) async fn change_order(&mut self, slots: &Slots, key: String) -> String {
        let args = slots
            .order_id
            .as_ref()
            .map_or(json!({}), |id| json!({ "order_id": id }));
        self.citations.push("help-order-changes".into());
        match self.tool("order_status", args, key).await {
            Ok(r) if r["order"].is_null() => self.say("change_order_none", &[]),
            Ok(r) => {
                let o = &r["order"];
                let options = if o["status"] == "placed" {
                    self.say("change_order_cancellable", &[])
                } else {
                    self.say("change_order_fixed", &[])
                };
                self.cards = json!({ "order": o, "diagnosis": r["diagnosis"] });
                self.say(
                    "change_order",
                    &[
                        ("id", o["id"].as_str().unwrap_or_default().into()),
                        (
                            "merchant",
                            o["merchant_name"].as_str().unwrap_or_default().into(),
                        ),
                        (
                            "state",
                            o["status"].as_str().unwrap_or_default().replace('_', " "),
                        ),
                        ("options", options),
                    ],
                )
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// The order the customer named, else their latest one, if they have any.
    async fn order_named_or_latest(&mut self, slots: &Slots, key: String) -> Option<String> {
        let args = slots
            .order_id
            .as_ref()
            .map_or(json!({}), |id| json!({ "order_id": id }));
        match self.tool("order_status", args, key).await {
            Ok(r) => r["order"]["id"].as_str().map(str::to_string),
            Err(_) => None,
        }
    }

    /// Records what the customer said about their latest (or named) order,
    /// or about the service when they have none, and says who will read it.
    pub(super) async fn feedback(&mut self, text: &str, slots: &Slots, key: String) -> String {
        let order = self.order_named_or_latest(slots, key.clone()).await;
        let mut args = json!({ "text": text.chars().take(2000).collect::<String>() });
        if let Some(o) = &order {
            args["order_id"] = json!(o);
        }
        self.citations.push("help-feedback".into());
        match self.tool("give_feedback", args, key).await {
            Ok(f) => {
                let about = order
                    .map(|o| self.say("about_order", &[("order", o)]))
                    .unwrap_or_default();
                // The reply answers this message; the stored feedback may
                // hold earlier words about the same order too.
                let triage = self.env.commerce.triage();
                let now = triage.classify(text, None);
                let team = triage
                    .teams()
                    .get(&now.team)
                    .cloned()
                    .unwrap_or_default()
                    .to_lowercase();
                let ticket = f["ticket_id"]
                    .as_str()
                    .filter(|_| now.class == Class::Complaint)
                    .map(|id| self.say("feedback_ticket", &[("id", id.to_string())]))
                    .unwrap_or_default();
                let reply = match now.class {
                    Class::Praise => "feedback_praise",
                    Class::Suggestion | Class::Question => "feedback_suggestion",
                    Class::Complaint => "feedback_complaint",
                };
                self.say(
                    reply,
                    &[("team", team), ("about", about), ("ticket", ticket)],
                )
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// Checks policy through the order's diagnosis, then asks before cancelling or refunding.
    pub(super) async fn propose_order_action(
        &mut self,
        intent: &str,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let args = slots
            .order_id
            .as_ref()
            .map_or(json!({}), |id| json!({ "order_id": id }));
        let r = match self.tool("order_status", args, key.clone()).await {
            // No order to act on: "how do cancellations work?" gets the policy.
            Ok(r) if r["order"].is_null() => {
                let policy = self.help(text, key).await;
                return self.say("no_orders_policy", &[("help", policy)]);
            }
            Ok(r) => r,
            Err(e) => return self.say("not_allowed", &[("reason", e)]),
        };
        let id = r["order"]["id"].as_str().unwrap_or_default().to_string();
        let action = if intent == "cancel_order" {
            "cancel"
        } else {
            "refund_full"
        };
        let rule = super::approval::action_rule(&r, action);
        let policy = if intent == "cancel_order" {
            "help-cancel-order"
        } else {
            "help-refunds"
        };
        self.citations.push(policy.into());
        if rule["allowed"] != true {
            return self.say(
                "not_allowed",
                &[(
                    "reason",
                    format!(
                        "{} ({policy})",
                        rule["reason"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| self.say(
                                "order_is",
                                &[
                                    ("id", r["order"]["id"].as_str().unwrap_or_default().into()),
                                    (
                                        "status",
                                        r["order"]["status"]
                                            .as_str()
                                            .unwrap_or_default()
                                            .replace('_', " ")
                                    ),
                                ]
                            ))
                    ),
                )],
            );
        }
        let merchant = r["order"]["merchant_name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if intent == "cancel_order" {
            let refund = rule["refund_minor"].as_i64().unwrap_or(0);
            state.pending = Some(Pending {
                tool: "cancel_order".into(),
                args: json!({
                    "order_id": id,
                    "reason": text.chars().take(300).collect::<String>(),
                    "expected_refund_minor": refund,
                }),
                key,
                terms: Some(refund),
            });
            let terms = self.say(
                "cancel_terms",
                &[
                    ("reason", rule["reason"].as_str().unwrap_or_default().into()),
                    ("refund", money(&rule["refund_minor"])),
                ],
            );
            self.say(
                "confirm_cancel",
                &[("id", id), ("merchant", merchant), ("terms", terms)],
            )
        } else {
            let refundable = super::approval::refundable(&r);
            if refundable <= 0 {
                return self.say("not_refundable_fee", &[("id", id)]);
            }
            // A named amount, else the value of the items named ("the bread was
            // missing"), else everything still refundable; never more than that.
            let items: Vec<crate::commerce::OrderItem> =
                serde_json::from_value(r["order"]["items"].clone()).unwrap_or_default();
            let named: i64 = super::assist::named_items(&items, &text.to_lowercase())
                .iter()
                .map(|i| i.unit_price_minor * i64::from(i.quantity))
                .sum();
            let amount = slots
                .money_minor
                .or((named > 0).then_some(named))
                .unwrap_or(refundable)
                .min(refundable);
            // The amount shown is the amount run: never "whatever is left" at the yes.
            let args = json!({
                "order_id": id,
                "reason": text.chars().take(300).collect::<String>(),
                "amount_minor": amount,
            });
            state.pending = Some(Pending {
                tool: "request_refund".into(),
                args,
                key,
                terms: None,
            });
            self.say(
                "confirm_refund",
                &[
                    ("amount", format_inr(amount)),
                    ("id", id),
                    ("reason", text.chars().take(80).collect()),
                ],
            )
        }
    }

    /// Runs a confirmed write with the key chosen when it was proposed.
    pub(super) async fn commit(&mut self, p: Pending, state: &mut DialogueState) -> String {
        // A proposal is a contract: if the cart changed since its total was
        // shown, the yes was to other terms; show the new ones and ask again.
        // The tool re-checks the same terms in the transaction that runs it.
        match (p.terms, p.tool.as_str()) {
            (Some(shown), "checkout") => {
                let now = self.tool("view_cart", json!({}), p.key.clone()).await;
                let total = now.as_ref().ok().and_then(|c| c["total_minor"].as_i64());
                if total != Some(shown) {
                    let Some(total) = total.filter(|t| *t > 0) else {
                        return self.say("cart_empty", &[]);
                    };
                    let mut args = p.args.clone();
                    args["expected_total_minor"] = json!(total);
                    state.pending = Some(Pending {
                        terms: Some(total),
                        args,
                        ..p
                    });
                    return self.say(
                        "terms_changed",
                        &[("was", format_inr(shown)), ("total", format_inr(total))],
                    );
                }
            }
            (Some(shown), "cancel_order") => {
                let args = json!({ "order_id": p.args["order_id"] });
                let now = self.tool("order_status", args, p.key.clone()).await;
                let rule = now.ok().map(|r| super::approval::action_rule(&r, "cancel"));
                let Some(rule) = rule.filter(|r| r["allowed"] == true) else {
                    let reason = self.say(
                        "no_longer_cancellable",
                        &[("id", p.args["order_id"].as_str().unwrap_or_default().into())],
                    );
                    return self.say("not_allowed", &[("reason", reason)]);
                };
                let refund = rule["refund_minor"].as_i64().unwrap_or(0);
                if refund != shown {
                    let mut args = p.args.clone();
                    args["expected_refund_minor"] = json!(refund);
                    let id = args["order_id"].as_str().unwrap_or_default().to_string();
                    state.pending = Some(Pending {
                        terms: Some(refund),
                        args,
                        ..p
                    });
                    return self.say(
                        "cancel_terms_changed",
                        &[
                            ("id", id),
                            ("was", format_inr(shown)),
                            ("reason", rule["reason"].as_str().unwrap_or_default().into()),
                            ("refund", format_inr(refund)),
                        ],
                    );
                }
            }
            _ => {}
        }
        match self.tool(&p.tool, p.args.clone(), p.key).await {
            Ok(r) => match p.tool.as_str() {
                "checkout" => {
                    let orders: Vec<String> = r["orders"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|o| {
                            format!(
                                "{} ({})",
                                o["order_id"].as_str().unwrap_or_default(),
                                o["merchant_name"].as_str().unwrap_or_default()
                            )
                        })
                        .collect();
                    self.cards = json!({ "checkout": r });
                    state.shown.clear();
                    self.say(
                        "checked_out",
                        &[
                            ("total", money(&r["total_minor"])),
                            ("orders", orders.join(", ")),
                        ],
                    )
                }
                "book_ride" => {
                    state.quote = None;
                    self.cards = json!({ "ride": r });
                    self.say(
                        "ride_booked",
                        &[
                            (
                                "ride_type",
                                r["ride_type"].as_str().unwrap_or_default().into(),
                            ),
                            ("id", r["id"].as_str().unwrap_or_default().into()),
                            ("fare", money(&r["fare_minor"])),
                            ("driver", self.driver_note(&r)),
                        ],
                    )
                }
                "cancel_order" => self.say(
                    "cancelled",
                    &[
                        ("id", r["order"]["id"].as_str().unwrap_or_default().into()),
                        ("message", r["message"].as_str().unwrap_or_default().into()),
                    ],
                ),
                _ => self.say(
                    "refunded",
                    &[("message", r["message"].as_str().unwrap_or_default().into())],
                ),
            },
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }
}

/// An amount asked for: how much, and in which unit (none for pieces).
type Amount = (f64, Option<&'static str>);

/// A product a part of an order names, with how many packs it takes.
struct Named {
    id: String,
    packs: u32,
}

impl TurnBuilder<'_> {
    /// "one chai latte please", "a large iced latte and two cappuccinos",
    /// "2 litres of milk, a dozen eggs and a loaf of brown bread": each part
    /// that names a product goes into the cart at once, the packs worked out
    /// from the amount asked for. A part that names nothing is offered as a
    /// list beside what was added. `None` when no part named a product, for
    /// the caller to list instead.
    pub(super) async fn order_named(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> Option<String> {
        let lexicon = self.agent.lexicon(self.env.knowledge);
        // (what to search for, the store it names, the amount asked for, the part as said)
        let mut parts: Vec<(String, Option<String>, Option<Amount>, String)> = Vec::new();
        // "a cloud and mist tea": an "and" inside a product's name joins.
        let mut items: Vec<String> = Vec::new();
        for item in super::split_items(text) {
            match items.last_mut() {
                Some(prev)
                    if lexicon.is_title_phrase(&format!(
                        "{} and {}",
                        prev.split_whitespace().last().unwrap_or_default(),
                        item.split_whitespace().next().unwrap_or_default()
                    )) =>
                {
                    *prev = format!("{prev} and {item}");
                }
                _ => items.push(item),
            }
        }
        for whole in items {
            // "a mocha with almond milk": what follows "with" says how it is
            // made, not another thing to buy (unless a product is called so).
            let raw = match whole.split_once(" with ") {
                Some((head, tail)) => {
                    let around = format!(
                        "{} with {}",
                        head.split_whitespace().last().unwrap_or_default(),
                        tail.split_whitespace().next().unwrap_or_default()
                    );
                    if lexicon.is_title_phrase(&around) {
                        whole.clone()
                    } else {
                        head.to_string()
                    }
                }
                None => whole.clone(),
            };
            let store = lexicon.merchant_named(&raw).map(str::to_string);
            let mut query = super::clean_query(&raw, slots);
            if let Some(m) = store
                .as_deref()
                .and_then(|id| self.env.knowledge.merchant(id))
            {
                query = super::without_name(&query, &super::slots::words(&m.name));
            }
            // "a large latte, extra shot", "... and another with oat milk": a
            // part that says only options (or nothing we sell) says them of
            // the thing before it.
            // After a "with", or in words that say how it is made, options go
            // on being said of it even when a product is called so: "a
            // cappuccino with ice, oat milk and vanilla", "a latte, but
            // substitute oat milk".
            let words = slots::lexicon();
            let talk = |w: &str| {
                slots::listed(&words.option_talk, w) || slots::listed(&words.variant_marks, w)
            };
            // The whole part counts, "with" and all.
            let said = super::clean_query(&whole, slots);
            let unexplained = choices::without_options(&said, self.env.knowledge);
            // Talk alone ("will be") says no option.
            let options_only = unexplained.is_empty()
                || unexplained.split_whitespace().all(talk)
                    && unexplained.split_whitespace().count() < said.split_whitespace().count();
            let talked = slots::words(&whole).iter().any(|w| talk(w));
            if let Some(last) = parts.last_mut().filter(|last| {
                options_only
                    && (!lexicon.names_product(&said) || talked || last.3.contains(" with "))
            }) {
                last.3 = format!("{} {whole}", last.3);
                continue;
            }
            let amount = super::slots::amount(&raw);
            for (i, q) in lexicon.items(&query).into_iter().enumerate() {
                if !q.is_empty() {
                    // The amount belongs to the first thing the part names.
                    parts.push((q, store.clone(), amount.filter(|_| i == 0), whole.clone()));
                }
            }
        }
        let k = self.env.knowledge;
        let mut added: Vec<String> = Vec::new();
        let mut asked: Option<String> = None;
        let mut others: Vec<(String, Vec<Value>)> = Vec::new();
        let mut total = Value::Null;
        // A count said apart from any item ("make it 2: latte") counts the
        // only item; with several, each takes only the count said with it
        // ("two lattes and a butter croissant" is one croissant).
        let single = parts.len() == 1;
        for (query, store, amount, whole) in parts.into_iter().take(6) {
            // "a large iced latte with oat milk" searches for the latte as
            // well as for all the words ("a litre of oat milk"); the product
            // that accounts for most of what was said is taken.
            let bare = choices::without_options(&query, k);
            let hinted = self.agent.lexicon(k).product_hinted(&whole).is_some();
            let mut found: Vec<Value> = Vec::new();
            for q in [bare.as_str(), query.as_str()] {
                // The whole words are searched too unless a product found
                // already accounts for every one of them.
                let explained = || {
                    self.named(&query, amount, hinted, &found)
                        .first()
                        .and_then(|n| k.product(&n.id))
                        .is_some_and(|p| choices::said(&query, p).rest.is_empty())
                };
                if q.trim().is_empty() || !found.is_empty() && (q == bare || explained()) {
                    continue;
                }
                let mut args = json!({ "query": q, "limit": 8 });
                if let Some(m) = &store {
                    args["merchant_id"] = json!(m);
                }
                let Ok(r) = self.tool("search_products", args, key.clone()).await else {
                    continue;
                };
                for hit in r["products"].as_array().into_iter().flatten() {
                    if !found.iter().any(|f| f["product_id"] == hit["product_id"]) {
                        found.push(hit.clone());
                    }
                }
            }
            let mut done = false;
            for n in self.named(&query, amount, hinted, &found) {
                let Some(p) = k.product(&n.id) else { continue };
                // "two lids", "3 teaspoons of sugar", "2 drinks" count
                // something else than the product.
                let plain = amount.is_some_and(|(_, unit)| unit.is_none());
                let packs = if plain && !counts(&whole, p, lexicon) {
                    1
                } else {
                    n.packs
                };
                let qty = packs.max(
                    slots
                        .quantity
                        .filter(|_| amount.is_none() && single && counts(text, p, lexicon))
                        .unwrap_or(1),
                );
                let mut failed = false;
                for (n, options) in lines(qty, choices::split(&whole, p)) {
                    match self.put(p, n, options, state, &key).await {
                        Put::Added(line, cart) => {
                            added.push(line);
                            total = cart["total_minor"].clone();
                        }
                        Put::Asked(q) => {
                            asked.get_or_insert(q);
                        }
                        Put::Later => {}
                        Put::Failed(_) => failed = true,
                    }
                }
                if !failed {
                    done = true;
                    break;
                }
            }
            // Only a list that has something to do with the part is worth showing.
            let related: Vec<Value> = found
                .into_iter()
                .filter(|p| {
                    super::basket::shares_a_word(&query, p["title"].as_str().unwrap_or_default())
                })
                .collect();
            if !done && !related.is_empty() {
                others.push((query, related));
            }
        }
        if let Some(q) = asked {
            // One question at a time: what was added is said first.
            return Some(if added.is_empty() {
                q
            } else {
                format!(
                    "{} {q}",
                    self.say(
                        "added_many",
                        &[("lines", added.join(", ")), ("total", money(&total))]
                    )
                )
            });
        }
        if added.is_empty() {
            return None;
        }
        let mut reply = self.say(
            "added_many",
            &[("lines", added.join(", ")), ("total", money(&total))],
        );
        if let Some((query, found)) = others.first() {
            state.shown = found
                .iter()
                .filter_map(|p| p["product_id"].as_str().map(str::to_string))
                .collect();
            reply.push(' ');
            reply += &self.say(
                "added_also_which",
                &[("query", query.clone()), ("list", self.list(found))],
            );
            self.cards = json!({ "products": found });
        }
        Some(reply)
    }

    /// The hits a part of an order names, best first: every word of the
    /// product's name said ("a large iced latte" is Iced Latte Large), or,
    /// when an amount was given, every word said in the product's name ("2
    /// litres of milk" is a milk), or a word said that only one product's
    /// name holds; fewer unsaid title words first.
    fn named(
        &self,
        query: &str,
        amount: Option<(f64, Option<&str>)>,
        hinted: bool,
        found: &[Value],
    ) -> Vec<Named> {
        let k = self.env.knowledge;
        let said: Vec<&str> = query
            .split_whitespace()
            .filter(|w| w.len() >= 2 && !slots::is_amount_word(w))
            .collect();
        let bare = choices::without_options(query, k);
        #[allow(clippy::type_complexity)]
        let mut out: Vec<(
            usize,
            usize,
            (bool, usize),
            u32,
            std::cmp::Reverse<usize>,
            usize,
            Named,
        )> = Vec::new();
        for (rank, hit) in found.iter().enumerate() {
            let Some(p) = hit["product_id"].as_str().and_then(|id| k.product(id)) else {
                continue;
            };
            let title = super::basket::name_words(k, p);
            let words: Vec<&str> = title.split_whitespace().collect();
            let unsaid = words
                .iter()
                .filter(|t| !said.iter().any(|s| same_word(s, t)))
                .count();
            let covered = said.iter().all(|s| words.iter().any(|t| same_word(s, t)));
            // A word only one product's name holds names it (`hinted`, from
            // `Lexicon::product_hinted`), with the rest of what was said in
            // its name or its options ("a jin xuan tea").
            let by_word = hinted
                && bare
                    .split_whitespace()
                    .all(|s| words.iter().any(|t| same_word(s, t)));
            if unsaid == 0 || amount.is_some() && covered || by_word {
                let packs = amount
                    .and_then(|(n, unit)| super::basket::packs_for(n, unit, p))
                    .unwrap_or(1);
                // Pieces over what was asked for: "6 eggs" is the 6-pack,
                // not a pack of 30.
                let over = match amount {
                    Some((n, None)) if p.pack_unit == "pc" && p.pack_size > 1 => {
                        (f64::from(packs * p.pack_size) - n).max(0.0) as usize
                    }
                    _ => 0,
                };
                // "eggs" said of a product whose kind is eggs, before an
                // Egg Puff.
                let kind = super::slots::words(&p.category)
                    .last()
                    .is_some_and(|c| said.iter().any(|s| same_word(s, c)));
                out.push((
                    unsaid,
                    choices::said(query, p).rest.len(),
                    (!kind, over),
                    // "2 litres of milk" in two 1 l packs, not four of 500 ml.
                    packs,
                    std::cmp::Reverse(words.len()),
                    rank,
                    Named {
                        id: p.id.clone(),
                        packs,
                    },
                ));
            }
        }
        // The product whose name and options account for the most of what
        // was said ("an oat milk latte" is a Latte, not Oat Milk), then the
        // longer name ("a decaf matcha latte" is the Matcha Latte).
        out.sort_by_key(|(unsaid, rest, kind, packs, longer, rank, _)| {
            (*unsaid, *rest, *kind, *packs, *longer, *rank)
        });
        out.into_iter().map(|(_, _, _, _, _, _, n)| n).collect()
    }
}

/// The cart lines one mention asks for, as (quantity, options): the count
/// with the options said, or, split into variants, one of each ("two
/// mochas, one decaf" is a decaf one) and the rest as said of the item.
fn lines(qty: u32, split: choices::Split) -> Vec<(u32, Selection)> {
    let carved = split.variants.iter().filter(|v| !v.extra).count() as u32;
    let mut out: Vec<(u32, Selection)> = Vec::new();
    if qty > carved {
        // "a cortado with almond milk and another with 2%": the first as said.
        out.push((qty - carved, split.shared));
    }
    for v in split.variants {
        match out.iter_mut().find(|(_, o)| *o == v.chosen) {
            Some((n, _)) => *n += 1,
            None => out.push((1, v.chosen)),
        }
    }
    out
}

/// Whether the first count said in `text` counts `p`: reading on past the
/// options said of it, the next word names it ("two large lattes", "2
/// decaf cappucinos", "make it 2"), rather than another kind of thing or
/// some plural noun ("two lids", "3 teaspoons of sugar", "2 drinks").
fn counts(text: &str, p: &Product, lex: &super::lexicon::Lexicon) -> bool {
    let w = slots::words(text);
    let count_words = &slots::lexicon().count_words;
    let Some(at) = w
        .iter()
        .position(|x| x.parse::<u32>().is_ok() || slots::listed(count_words, x))
    else {
        return true;
    };
    let title = slots::words(&p.title);
    let next = w[at + 1..]
        .iter()
        .find(|x| choices::said(x, p).is_empty() && !slots::listed(&slots::lexicon().filler, x));
    next.is_none_or(|x| {
        title.iter().any(|t| same_word(x, t))
            || !(lex.names_kind(x) || x.len() > 3 && x.ends_with('s'))
    })
}

/// Whether a said word names a title word: the same word, singular or
/// plural ("tomatoes", "tomato"), or one typo away in a longer word. Not a
/// shared stem: "fried" does not name "Fries".
fn same_word(said: &str, title: &str) -> bool {
    let forms = |w: &str| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
        [
            w.strip_suffix("es").map(str::to_string),
            w.strip_suffix('s').map(str::to_string),
            Some(w),
        ]
    };
    let (a, b) = (forms(said), forms(title));
    a.iter()
        .flatten()
        .any(|x| b.iter().flatten().any(|y| x == y && x.len() >= 2))
        || said.len() >= 6 && a.iter().flatten().any(|x| super::slots::near(x, title))
}

/// The option of `quote` that "the cheapest" or "the fastest" in `text` picks.
fn picked(quote: &Value, text: &str) -> Option<String> {
    let w = super::slots::words(text);
    let lex = super::slots::lexicon();
    let field = if w.iter().any(|x| super::slots::listed(&lex.cheap_picks, x)) {
        "total_minor"
    } else if w.iter().any(|x| super::slots::listed(&lex.fast_picks, x)) {
        "minutes"
    } else {
        return None;
    };
    quote["options"]
        .as_array()?
        .iter()
        .min_by_key(|o| o[field].as_i64().unwrap_or(i64::MAX))?["ride_type"]
        .as_str()
        .map(str::to_string)
}

/// The option of a quote a booking takes: the ride type named, else the
/// only option, else the cheapest.
fn offered<'q>(options: &'q [Value], ride_type: Option<&str>) -> Option<&'q Value> {
    match ride_type {
        Some(t) => options.iter().find(|o| o["ride_type"] == t),
        None if options.len() == 1 => options.first(),
        None => options
            .iter()
            .min_by_key(|o| o["total_minor"].as_i64().unwrap_or(i64::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::counts;
    use crate::agent::lexicon::Lexicon;
    use crate::knowledge::shipped;

    /// Whether the count in `text` counts the product titled `title`.
    fn check(text: &str, title: &str, expect: bool) {
        let k = shipped();
        let p = k
            .products
            .iter()
            .find(|p| p.title == title)
            .unwrap_or_else(|| panic!("no product {title}"));
        assert_eq!(
            counts(text, p, &Lexicon::new(k)),
            expect,
            "{text} / {title}"
        );
    }

    #[test]
    fn a_count_counts_the_thing_it_is_said_of() {
        check("two large lattes", "Latte", true);
        check("2 decaf cappucinos", "Cappuccino", true);
        check("make it 2", "Latte", true);
        check(
            "a cappuccino, and can I get it with two lids?",
            "Cappuccino",
            false,
        );
        check("a cortado with three teaspoons of sugar", "Cortado", false);
        check(
            "I need to order 2 drinks. One is a Cortado",
            "Cortado",
            false,
        );
    }
}
