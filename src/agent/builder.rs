//! A turn being answered: the tool calls it made, its cards, citations and
//! reply, saved with the dialogue state when it is finished.

use serde_json::{json, Value};

use super::*;
use crate::commerce::money::format_inr;

pub(super) struct TurnBuilder<'a> {
    pub(super) agent: &'a Agent,
    pub(super) intent: String,
    pub(super) env: &'a Env<'a>,
    pub(super) customer: &'a str,
    /// Assist mode: the care agent and the session's ticket.
    pub(super) agent_ticket: Option<(&'a str, &'a str)>,
    /// The model that chose this turn's flow, if one did.
    pub(super) interpreter: Option<String>,
    pub(super) session: &'a str,
    pub(super) calls: Vec<ToolCall>,
    pub(super) cards: Value,
    pub(super) citations: Vec<String>,
    pub(super) cart: Option<Value>,
    /// Why this turn refused, for a "why?" next.
    pub(super) refused: std::sync::Mutex<Option<String>>,
    /// Time spent inside tool handlers so far, in milliseconds.
    pub(super) tools_ms: f64,
    /// The help article the router read this turn's message as asking for.
    pub(super) article: Option<String>,
}

impl<'a> TurnBuilder<'a> {
    pub(super) fn new(
        agent: &'a Agent,
        env: &'a Env<'a>,
        customer: &'a str,
        session: &'a str,
        intent: &str,
    ) -> Self {
        TurnBuilder {
            agent,
            intent: intent.to_string(),
            env,
            customer,
            agent_ticket: None,
            interpreter: None,
            session,
            calls: vec![],
            cards: json!({}),
            citations: vec![],
            cart: None,
            refused: Default::default(),
            tools_ms: 0.0,
            article: None,
        }
    }
}

impl TurnBuilder<'_> {
    /// Saves the dialogue state and both messages, and returns the turn.
    /// Saves the dialogue state and the exchange; `user` is `None` for a
    /// correction, which follows the message it corrects.
    pub(super) async fn finish(
        self,
        user: Option<&str>,
        state: &DialogueState,
        confidence: f32,
        reply: String,
    ) -> anyhow::Result<Turn> {
        let session = self.session.to_string();
        let suggestions = if state.pending.is_some() {
            vec!["Yes".into(), "No".into()]
        } else {
            self.agent
                .flows
                .get(&self.intent)
                .map(|f| f.chips.clone())
                .unwrap_or_default()
        };
        // A customer is never pointed at an article `GET /v1/help/{id}`
        // hides from them, whichever step of the flow cited it.
        let mut citations = self.citations;
        if self.agent_ticket.is_none() {
            let k = self.env.knowledge;
            citations.retain(|id| {
                k.help
                    .iter()
                    .any(|a| &a.id == id && a.audience == crate::knowledge::Audience::Customer)
            });
        }
        let turn = Turn {
            session_id: session.clone(),
            intent: self.intent,
            confidence,
            reply,
            tool_calls: self.calls,
            cart: self.cart,
            cards: self.cards,
            citations,
            interpreted_by: self.interpreter,
            revisable: false,
            suggestions,
            timings: Timings::default(),
        };
        let mut payload = json!({ "intent": turn.intent, "tool_calls": turn.tool_calls, "cards": turn.cards, "citations": turn.citations });
        if user.is_none() {
            payload["correction"] = json!(true);
        }
        let exchange = crate::store::Exchange {
            state: serde_json::to_value(state)?,
            user: user.map(str::to_string),
            reply: turn.reply.clone(),
            payload,
        };
        // A store that refuses writes still lets a turn answer (reads work);
        // only the exchange goes unsaved, which the log says.
        match self
            .env
            .store
            .save_exchange(session.clone(), exchange)
            .await
        {
            Err(crate::store::StoreError::Unavailable(e)) => {
                tracing::warn!(session = %session, error = %e, "turn answered but not saved");
            }
            other => other?,
        }
        Ok(turn)
    }

    pub(super) fn ctx(&self, key: String) -> Ctx<'_> {
        Ctx {
            commerce: self.env.commerce,
            knowledge: self.env.knowledge,
            retriever: self.env.retriever,
            customer: self.customer,
            agent: self.agent_ticket,
            assistant: self.agent,
            store: self.env.store,
            session: self.session,
            idempotency_key: key,
        }
    }

    /// Validates and runs one tool call, recording it.
    pub(super) async fn tool(
        &mut self,
        name: &str,
        args: Value,
        key: String,
    ) -> Result<Value, String> {
        let allowed = self
            .agent
            .flows
            .get(&self.intent)
            .is_some_and(|f| f.tools.iter().any(|t| t == name));
        let checked = if allowed {
            self.agent.tools.validate(name, &args)
        } else {
            Err(format!("`{name}` is not part of the {} flow", self.intent))
        };
        if let Err(e) = checked {
            self.calls.push(ToolCall {
                name: name.into(),
                arguments: args,
                ok: false,
                result: json!({ "error": e }),
            });
            return Err(e);
        }
        let started = std::time::Instant::now();
        let out = handlers::call(&self.ctx(key), name, &args).await;
        self.tools_ms += since(started);
        let (ok, result) = match &out {
            Ok(v) => (true, v.clone()),
            Err(e) => (false, json!({ "error": format!("{e:#}") })),
        };
        if ok {
            if let Some(cart) = result
                .get("cart")
                .filter(|c| c.is_object())
                .or(result.get("groups").map(|_| &result))
            {
                self.cart = Some(cart.clone());
            }
        }
        self.calls.push(ToolCall {
            name: name.into(),
            arguments: args,
            ok,
            result: result.clone(),
        });
        out.map_err(|e| self.agent.customer_error(name, &e))
    }

    /// Runs `search` (one `search_products` call per part, leaving out what
    /// it already showed), remembers what is shown now, and lists it. With
    /// `cheaper`, only matches below the lowest price shown and of the kinds
    /// shown: the price filter alone would fill the list with cheap things
    /// that barely match.
    pub(super) async fn list_products(
        &mut self,
        mut search: Search,
        cheaper: Option<Cheaper>,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        // The tool takes at most 50 ids to leave out: the most recent ones.
        let exclude = search.seen[search.seen.len().saturating_sub(50)..].to_vec();
        let per_part = if search.parts.len() == 1 { 5 } else { 3 };
        // Cheaper asks for more, to keep only the kinds shown.
        let limit = if cheaper.is_some() { 20 } else { per_part };
        let below = cheaper.as_ref().map(|c| c.below - 1);
        let max_price = search.max_price_minor.into_iter().chain(below).min();
        let mut firsts: Vec<String> = Vec::new();
        let mut products: Vec<Value> = Vec::new();
        for (i, query) in search.parts.iter().enumerate() {
            let mut args = json!({ "query": query, "limit": limit });
            if !search.tags.is_empty() {
                args["tags"] = json!(search.tags);
            }
            if let Some(m) = max_price {
                args["max_price_minor"] = json!(m.max(0));
            }
            if !exclude.is_empty() {
                args["exclude_ids"] = json!(exclude);
            }
            if let Some(Some(m)) = search.merchants.get(i) {
                args["merchant_id"] = json!(m);
            }
            match self.tool("search_products", args, key.clone()).await {
                Ok(r) => {
                    let found: Vec<Value> = r["products"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|p| {
                            cheaper.as_ref().is_none_or(|c| {
                                p["product_id"]
                                    .as_str()
                                    .and_then(|id| self.env.knowledge.product(id))
                                    .is_some_and(|p| c.categories.contains(&p.category))
                            })
                        })
                        .take(per_part)
                        .cloned()
                        .collect();
                    firsts.extend(
                        found
                            .first()
                            .and_then(|p| p["product_id"].as_str())
                            .map(str::to_string),
                    );
                    products.extend(found);
                }
                Err(e) => return self.say("error", &[("message", e)]),
            }
        }
        let query = search.parts.join(" + ");
        if products.is_empty() {
            return match (&cheaper, exclude.is_empty()) {
                (Some(c), _) => self.say(
                    "no_cheaper",
                    &[
                        ("title", c.cheapest.clone()),
                        ("price", format_inr(c.below)),
                        ("query", query),
                    ],
                ),
                (None, true) => self.say("nothing_found", &[("query", query)]),
                (None, false) => self.say("nothing_more", &[("query", query)]),
            };
        }
        state.firsts = if search.parts.len() > 1 {
            firsts
        } else {
            Vec::new()
        };
        state.shown = products
            .iter()
            .filter_map(|p| p["product_id"].as_str().map(str::to_string))
            .collect();
        search.seen.extend(state.shown.iter().cloned());
        state.searched = Some(search);
        self.cards = json!({ "products": products });
        self.say("shop", &[("query", query), ("list", self.list(&products))])
    }

    pub(super) fn list(&self, products: &[Value]) -> String {
        products
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{}. {} ({}, {}) {}",
                    i + 1,
                    p["title"].as_str().unwrap_or_default(),
                    p["merchant_name"].as_str().unwrap_or_default(),
                    p["pack"].as_str().unwrap_or_default(),
                    format_inr(p["price_minor"].as_i64().unwrap_or(0))
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub(super) fn shown_list(&self, state: &DialogueState) -> String {
        let cards: Vec<Value> = state
            .shown
            .iter()
            .filter_map(|id| self.env.knowledge.product(id))
            .map(|p| basket::card(self.env.knowledge, p))
            .collect();
        self.list(&cards)
    }

    pub(super) fn say(&self, key: &str, vars: &[(&str, String)]) -> String {
        if key == "not_allowed" {
            *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = vars
                .iter()
                .find(|(k, _)| *k == "reason")
                .map(|(_, v)| v.clone());
        }
        self.agent.say(key, vars)
    }
}

/// The session's dialogue state, counting this turn.
pub(super) async fn load_state(env: &Env<'_>, session: &str) -> anyhow::Result<DialogueState> {
    let mut state: DialogueState =
        serde_json::from_value(env.store.dialogue_state(session.to_string()).await?)
            .unwrap_or_default();
    state.turns += 1;
    Ok(state)
}
