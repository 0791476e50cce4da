//! Running a turn's flow: a flow written as steps in `prompts/flows.toml`
//! runs them; the others are handled here, each calling its tools.

use serde_json::{json, Value};

use super::*;
use crate::commerce::money::format_inr;

impl TurnBuilder<'_> {
    /// Runs the intent's flow; a refusal is remembered for one turn, so
    /// "why?" can be answered.
    pub(super) async fn run(
        &mut self,
        intent: &str,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
    ) -> anyhow::Result<String> {
        let reply = match (intent, state.refusal.take()) {
            ("why", Some(reason)) => self.say("why", &[("reason", reason)]),
            ("why", None) => self.say("why_unknown", &[]),
            _ => self.run_flow(intent, text, slots, state).await?,
        };
        state.refusal = self
            .refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        Ok(reply)
    }

    /// The customer-visible help article the router read `text` as asking
    /// for, else the nearest one by search, summarised and cited.
    pub(super) async fn help(&mut self, text: &str, key: String) -> String {
        let mut args = json!({ "query": text });
        if let Some(a) = &self.article {
            args["article"] = json!(a);
        }
        match self.tool("search_help", args, key).await {
            Ok(r) => match r["articles"].as_array().and_then(|a| a.first()) {
                Some(a) => {
                    let id = a["id"].as_str().unwrap_or_default().to_string();
                    self.citations.push(id.clone());
                    self.say(
                        "help",
                        &[
                            ("title", a["title"].as_str().unwrap_or_default().into()),
                            ("summary", a["summary"].as_str().unwrap_or_default().into()),
                            ("id", id),
                        ],
                    )
                }
                None => self.say("off_topic", &[]),
            },
            Err(e) => self.say("error", &[("message", e)]),
        }
    }

    pub(super) async fn run_flow(
        &mut self,
        intent: &str,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
    ) -> anyhow::Result<String> {
        let key = format!("{}:{}", self.session, state.turns);
        // An option question is asked once: any other turn lets it go.
        if intent != "option_answer" {
            state.asking = None;
        }
        let agent = self.agent;
        if let Some(flow) = agent.flows.get(intent).filter(|f| !f.steps.is_empty()) {
            return Ok(self.run_steps(&flow.steps, text, slots, state, key).await);
        }
        Ok(match intent {
            "confirm" => match state.pending.take() {
                Some(p) => self.commit(p, state).await,
                None => self.say("nothing_pending", &[]),
            },
            "deny" => match state.pending.take() {
                Some(_) => self.say("declined", &[]),
                None => self.say("nothing_pending", &[]),
            },
            "greeting" => self.say("greeting", &[]),
            "thanks" => self.say("thanks", &[]),
            "off_topic" => self.say("off_topic", &[]),
            "shop" => {
                // "pizza from one place and fried chicken from another": one search per part.
                let diet_only = |q: &str| {
                    q.split(' ')
                        .all(|w| slots::listed(&slots::lexicon().diet_words, w))
                };
                let lexicon = self.agent.lexicon(self.env.knowledge);
                // "pizza from slice republic": that part searches that store
                // only, for what it names besides the store ("pizza").
                let knowledge = self.env.knowledge;
                let (parts, merchants): (Vec<String>, Vec<Option<String>>) = split_items(text)
                    .iter()
                    .flat_map(|p| {
                        let store = lexicon.merchant_named(p).map(str::to_string);
                        let mut query = vague_to_snacks(p, clean_query(p, slots));
                        if let Some(m) = store.as_deref().and_then(|id| knowledge.merchant(id)) {
                            query = without_name(&query, &slots::words(&m.name));
                        }
                        lexicon
                            .items(&query)
                            .into_iter()
                            .map(move |q| (q, store.clone()))
                    })
                    .filter(|(q, _)| !q.is_empty() && !diet_only(q))
                    .take(4)
                    .unzip();
                if parts.is_empty() {
                    return Ok(self.say("clarify_shop", &[]));
                }
                // "one chai latte please": what it names goes in the cart.
                if slots.orders {
                    if let Some(reply) = self.order_named(text, slots, state, key.clone()).await {
                        return Ok(reply);
                    }
                }
                let search = Search {
                    parts,
                    merchants,
                    tags: slots.tags.clone(),
                    max_price_minor: slots.max_price_minor,
                    seen: Vec::new(),
                };
                self.list_products(search, None, state, key).await
            }
            // "show me more", "anything cheaper?": the last search again,
            // without what was shown (and, for cheaper, below its lowest price).
            "more" | "cheaper" => {
                let Some(search) = state.searched.clone() else {
                    return Ok(self.say("clarify_shop", &[]));
                };
                let shown: Vec<&crate::knowledge::Product> = state
                    .shown
                    .iter()
                    .filter_map(|id| self.env.knowledge.product(id))
                    .collect();
                let cheaper = shown
                    .iter()
                    .min_by_key(|p| p.price_minor)
                    .filter(|_| intent == "cheaper")
                    .map(|cheapest| Cheaper {
                        below: cheapest.price_minor,
                        cheapest: cheapest.title.clone(),
                        categories: shown.iter().map(|p| p.category.clone()).collect(),
                    });
                self.list_products(search, cheaper, state, key).await
            }
            "recipe" => {
                let recipe = clean_query(text, slots);
                if recipe.is_empty() {
                    return Ok(self.say("clarify_shop", &[]));
                }
                let mut args = json!({ "recipe": recipe });
                if let Some(s) = slots.servings {
                    args["servings"] = json!(s);
                }
                if !slots.exclude.is_empty() {
                    args["exclude"] = json!(slots.exclude);
                }
                match self.tool("recipe_basket", args, key).await {
                    Ok(r) if r["found"] == true => {
                        let line = |v: &Value, key: &str| -> String {
                            v[key]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|m| {
                                    format!(
                                        "- {} x {}\n",
                                        m["quantity"],
                                        m["product"]["title"].as_str().unwrap_or_default()
                                    )
                                })
                                .collect()
                        };
                        let plain = |v: &Value, key: &str, template: &str| -> String {
                            let items: Vec<&str> = v[key]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .collect();
                            if items.is_empty() {
                                String::new()
                            } else {
                                self.say(template, &[("items", items.join("; "))])
                            }
                        };
                        state.shown = r["matched"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .chain(r["substituted"].as_array().into_iter().flatten())
                            .filter_map(|m| m["product"]["product_id"].as_str().map(str::to_string))
                            .collect();
                        let subs: String = r["substituted"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|m| {
                                self.say(
                                    "recipe_substituted_line",
                                    &[
                                        ("quantity", m["quantity"].to_string()),
                                        (
                                            "title",
                                            m["product"]["title"]
                                                .as_str()
                                                .unwrap_or_default()
                                                .into(),
                                        ),
                                        (
                                            "instead_of",
                                            m["instead_of"].as_str().unwrap_or_default().into(),
                                        ),
                                    ],
                                )
                            })
                            .collect();
                        let reply = self.say(
                            "recipe_basket",
                            &[
                                (
                                    "recipe",
                                    r["recipe"]["title"]
                                        .as_str()
                                        .unwrap_or_default()
                                        .to_string(),
                                ),
                                ("servings", r["recipe"]["servings"].to_string()),
                                ("added", state.shown.len().to_string()),
                                ("matched", line(&r, "matched")),
                                ("substituted", subs),
                                ("skipped", plain(&r, "skipped", "recipe_skipped")),
                                ("missing", plain(&r, "missing", "recipe_missing")),
                                (
                                    "total",
                                    format_inr(r["cart"]["total_minor"].as_i64().unwrap_or(0)),
                                ),
                            ],
                        );
                        self.cards = json!({ "recipe": r });
                        reply
                    }
                    Ok(_) => self.say("recipe_not_found", &[("query", recipe)]),
                    Err(e) => self.say("error", &[("message", e)]),
                }
            }
            "add" => self.add(text, slots, state, key).await,
            "option_answer" => self.answer_option(text, slots, state, key).await,
            "options" => self.edit_options(text, state, key).await,
            "option_choices" => self.option_choices(text, state),
            "swap" => self.swap(text, slots, state, key).await,
            "remove" | "set_quantity" => self.change(intent, text, slots, state, key).await,
            "view_cart" => match self.tool("view_cart", json!({}), key).await {
                Ok(cart) => self.describe_cart(&cart),
                Err(e) => self.say("error", &[("message", e)]),
            },
            "offers" => self.offers(slots, key).await,
            "goes_with" | "usual" | "order_usual" => {
                let named = paired_query(text, slots);
                self.discover(intent, text, named, slots, state, key).await
            }
            "checkout" => {
                let cart = match self.tool("view_cart", json!({}), key.clone()).await {
                    Ok(c) => c,
                    Err(e) => return Ok(self.say("error", &[("message", e)])),
                };
                let groups = cart["groups"].as_array().cloned().unwrap_or_default();
                if groups.is_empty() {
                    return Ok(self.say("cart_empty", &[]));
                }
                // Said before the customer is asked, not after they say yes.
                if let Some(why) = self.agent.below_minimum(&groups) {
                    return Ok(why);
                }
                let merchants: Vec<&str> = groups
                    .iter()
                    .filter_map(|g| g["merchant_name"].as_str())
                    .collect();
                state.pending = Some(Pending {
                    tool: "checkout".into(),
                    args: json!({ "expected_total_minor": cart["total_minor"] }),
                    key,
                    terms: cart["total_minor"].as_i64(),
                });
                self.say(
                    "confirm_checkout",
                    &[
                        (
                            "total",
                            format_inr(cart["total_minor"].as_i64().unwrap_or(0)),
                        ),
                        ("orders", groups.len().to_string()),
                        ("merchants", merchants.join(" and ")),
                    ],
                )
            }
            "ride_quote" => self.quote(text, slots, state, key).await,
            "book_ride" => self.propose_booking(text, slots, state, key),
            "ride_option" => self.ride_option(text, slots, state, key).await,
            "order_status" => self.status(slots, key).await,
            "change_order" => self.change_order(slots, key).await,
            "ride_status" => self.ride_status(key).await,
            "merchant_info" => {
                let named = self.agent.lexicon(self.env.knowledge).merchant_named(text);
                self.merchant_info(named, key).await
            }
            "feedback" => self.feedback(text, slots, key).await,
            "cancel_order" | "refund" => {
                self.propose_order_action(intent, text, slots, state, key)
                    .await
            }
            "help" => self.help(text, key).await,
            _ => self.say("off_topic", &[]),
        })
    }
}

/// In a food app "something crunchy" is a snack, not whatever else matches the mood.
pub(super) fn vague_to_snacks(part: &str, query: String) -> String {
    let l = slots::lexicon();
    let vague = slots::says_any(part, &l.vague) && query.split(' ').count() <= 2;
    if vague && !slots::says_any(&query, &l.snack_words) {
        format!(
            "{query} {}",
            l.snack_words.first().map_or("", String::as_str)
        )
    } else {
        query
    }
}

/// `query` without the first run of words that begins `name` ("biryani
/// biryani darbar" -> "biryani"), unless nothing else would be left.
pub(super) fn without_name(query: &str, name: &[String]) -> String {
    let words: Vec<&str> = query.split(' ').collect();
    for len in (1..=name.len()).rev() {
        let run: Vec<&str> = name[..len].iter().map(String::as_str).collect();
        if let Some(at) = words.windows(len).position(|w| w == run.as_slice()) {
            let rest = [&words[..at], &words[at + len..]].concat();
            if !rest.is_empty() {
                return rest.join(" ");
            }
        }
    }
    query.to_string()
}

/// The separate things asked for: "milk, bread and eggs" -> three parts; at most four.
pub(super) fn split_items(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let parts: Vec<String> = lower
        .split([',', '+', '&'])
        .flat_map(|p| p.split(" and "))
        .flat_map(|p| p.split(" plus "))
        // Hinglish: "pyaz aur tamatar".
        .flat_map(|p| p.split(" aur "))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > 4 {
        vec![lower]
    } else {
        parts
    }
}

pub(super) fn clean_query(text: &str, slots: &Slots) -> String {
    let lower = text.to_lowercase();
    // Drop the pantry clause: "..., I already have rice".
    let cut = slots::pantry_cues(&lower)
        .into_iter()
        .map(|(at, _)| at)
        .min()
        .unwrap_or(lower.len());
    let words = slots::words(&lower[..cut]);
    words
        .iter()
        .enumerate()
        .filter(|&(i, w)| {
            // A count goes, a measure of what goes into a product stays:
            // "2% milk" is searched as "2 percent milk".
            let count = w.parse::<f64>().is_ok() && !slots::is_measure(&words, i);
            !slots::listed(&slots::lexicon().filler, w)
                && !count
                && !w.starts_with('₹')
                && Some(w.as_str()) != slots.coupon.as_deref().map(|_| "")
        })
        .map(|(_, w)| w.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What "what goes well with biryani?" names ("biryani"): the words left
/// once the asking and pairing ones go.
pub(super) fn paired_query(text: &str, slots: &Slots) -> String {
    let lexicon = slots::lexicon();
    clean_query(text, slots)
        .split(' ')
        .filter(|w| {
            !slots::listed(&lexicon.question_filler, w) && !slots::listed(&lexicon.pairing, w)
        })
        .collect::<Vec<_>>()
        .join(" ")
}
