//! The discovery flows that need more than steps: "what goes with
//! biryani?" (a search, then what is bought with the best match, or with
//! the cart), "what's my usual?" (remembered like any list, so "add the
//! second" works), and "order my usual", which puts it in the cart. "What's
//! popular near me?" and "anything new?" are steps in `prompts/flows.toml`.

use serde_json::{json, Value};

use super::slots::Slots;
use super::{DialogueState, TurnBuilder};
use crate::knowledge::Selection;

/// A product in "your usual" when bought this often; with none that
/// regular, the most recent few stand in.
const REGULAR: u64 = 2;
const USUAL_MAX: usize = 5;
const LIST: usize = 5;

impl TurnBuilder<'_> {
    pub(super) async fn discover(
        &mut self,
        intent: &str,
        text: &str,
        named: String,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let mut args = match intent {
            "usual" | "order_usual" => json!({ "kind": "usual" }),
            _ => json!({ "kind": "cart" }),
        };
        args["limit"] = json!(LIST);
        let mut about = String::new();
        if intent == "goes_with" {
            if !named.is_empty() {
                // What it names is the best match for it in the catalog.
                let found = self
                    .tool(
                        "search_products",
                        json!({ "query": named, "limit": 1 }),
                        key.clone(),
                    )
                    .await;
                if let Ok(r) = found {
                    if let Some(p) = r["products"][0]["product_id"].as_str() {
                        args = json!({ "kind": "also_like", "product_id": p, "limit": LIST });
                        about = r["products"][0]["title"]
                            .as_str()
                            .unwrap_or_default()
                            .into();
                    }
                }
            }
            if about.is_empty() {
                match self.tool("view_cart", json!({}), key.clone()).await {
                    // Nothing named and nothing in the cart: what is popular,
                    // exactly as the `popular` flow's steps answer it.
                    Ok(c) if c["item_count"] == 0 => {
                        let agent = self.agent;
                        if let Some(popular) = agent.flows.get("popular") {
                            return self
                                .run_steps(&popular.steps, text, slots, state, key)
                                .await;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => return self.say("error", &[("message", e)]),
                }
            }
        }
        let r = match self.tool("recommend", args, key.clone()).await {
            Ok(r) => r,
            Err(e) => return self.say("error", &[("message", e)]),
        };
        let items = r["items"].as_array().cloned().unwrap_or_default();
        let kind = r["kind"].as_str().unwrap_or_default();
        if items.is_empty() {
            return self.say(
                if kind == "usual" {
                    "recs_no_usual"
                } else {
                    "recs_none"
                },
                &[],
            );
        }
        if intent == "order_usual" {
            return self.order_usual(&items, slots, state, &key).await;
        }
        let cards = self.cards_of(&r["items"]);
        let list = self.list(&cards);
        self.show(cards, state);
        match kind {
            "also_like" => self.say("recs_with", &[("title", about), ("list", list)]),
            "usual" => self.say("recs_usual", &[("list", list)]),
            _ => {
                let n = &r["nudge"];
                let nudge = if n.is_null() {
                    String::new()
                } else {
                    self.say(
                        "recs_nudge",
                        &[
                            (
                                "title",
                                n["product_title"].as_str().unwrap_or_default().into(),
                            ),
                            ("price", super::turns::money(&n["price_minor"])),
                            (
                                "offer",
                                n["offer_title"].as_str().unwrap_or_default().into(),
                            ),
                        ],
                    )
                };
                self.say("recs_cart", &[("list", list), ("nudge", nudge)])
            }
        }
    }

    /// Puts the usual in the cart: what was bought at least twice, as many
    /// as last time, or else the latest few.
    async fn order_usual(
        &mut self,
        items: &[Value],
        slots: &Slots,
        state: &mut DialogueState,
        key: &str,
    ) -> String {
        let regular: Vec<&Value> = items
            .iter()
            .filter(|i| i["count"].as_u64().unwrap_or(0) >= REGULAR)
            .take(USUAL_MAX)
            .collect();
        let chosen: Vec<&Value> = if regular.is_empty() {
            items.iter().take(3).collect()
        } else {
            regular
        };
        let k = self.env.knowledge;
        let picks = chosen
            .into_iter()
            .filter_map(|i| {
                let p = i["product_id"].as_str().and_then(|id| k.product(id))?;
                let quantity = slots
                    .quantity
                    .or_else(|| i["quantity"].as_u64().map(|q| q as u32))
                    .unwrap_or(1);
                Some((p, quantity, Selection::new()))
            })
            .collect();
        self.put_each(picks, state, key, "recs_usual_added").await
    }
}
