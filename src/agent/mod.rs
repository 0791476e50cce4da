//! The assistant: a turn is understood by the semantic router and slot
//! extraction, run through a flow written as data (`prompts/flows.toml`),
//! which calls tools (`tools/*.json`, each validated before it runs), and is
//! answered from reply templates (`prompts/replies.toml`). No LLM is needed;
//! writes (checkout, booking, cancel, refund) run only after a "yes".
//!
//! ```no_run
//! # async fn demo(app: &errand::app::App) -> anyhow::Result<()> {
//! let session = app.store.create_conversation(Some("c-0001".into()), None, None, "customer").await?;
//! let turn = app.chat("c-0001", &session.id, "snacks for a rainy day").await?;
//! println!("{}", turn.reply);
//! # Ok(()) }
//! ```

mod acts;
mod approval;
mod assist;
mod basket;
mod choices;
mod discover;
mod handlers;
mod intent_model;
pub(crate) mod lexicon;
mod lines;
mod phrases;
pub mod router;
pub mod slots;
mod steps;
pub mod tools;
pub mod training;
mod turns;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::commerce::money::format_inr;
use crate::commerce::Commerce;
use crate::knowledge::Knowledge;
use crate::llm::Interpreter;
use crate::retrieval::{Filters, Kind, Mode, Retriever, SearchRequest};
use crate::store::Store;
pub use approval::{CallError, Caller, Proposal};
pub use assist::{Assist, Citation};
pub use handlers::Ctx;
use router::Router;
use slots::Slots;
use tools::Tools;

/// Above this the nearest example decides before any keyword rule.
const SURE_ROUTE_SCORE: f32 = 0.85;
/// Below this similarity the router is not trusted; the turn falls back to search or a refusal.
const MIN_ROUTE_SCORE: f32 = 0.45;
/// At or above this probability of the off-topic class a message is not
/// Errand's job, before any keyword rule (see `errand eval reader`).
const OFF_TOPIC_SCORE: f32 = 0.5;
/// At or above this, naming a product, store or place the knowledge knows
/// is not enough to make a message Errand's.
const SURE_OFF_TOPIC_SCORE: f32 = 0.97;
/// How sure the act classifier must be that a turn accepts the proposal
/// on screen for it to count as a yes.
const AFFIRM_SCORE: f32 = 0.5;
/// Below this probability a reading left to the classifier is unsure: a
/// configured language model may revise the turn ("vrrm potato chps plz").
const CONFIDENT_SCORE: f32 = 0.9;
/// At or above this, a word of some product's name is not enough.
const FAIRLY_OFF_TOPIC_SCORE: f32 = 0.9;
/// An unsure message this similar to a product (or, asked as a question, to a
/// help article) is about it.
const MIN_SIMILARITY: f32 = 0.6;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Flow {
    /// The only tools a turn of this intent may call.
    tools: Vec<String>,
    /// Quick replies offered after a turn of this intent.
    #[serde(default)]
    chips: Vec<String>,
    /// The flow as data (see `steps.rs`); without steps, its Rust runs.
    #[serde(default)]
    steps: Vec<steps::Step>,
    /// The interpreter's flow: how a model's call of each tool is read, as
    /// the intent whose flow answers it and the message it stands for.
    #[serde(default)]
    readings: BTreeMap<String, Reading>,
}

/// A model's tool call as the turn it stands for: `{arg}` is an argument,
/// `{message}` the customer's words.
#[derive(Debug, Clone, Deserialize)]
struct Reading {
    intent: String,
    text: String,
}

pub struct Agent {
    router: Router,
    tools: Tools,
    flows: BTreeMap<String, Flow>,
    replies: BTreeMap<String, String>,
    /// A model for the turns the router is unsure of, with its system prompt.
    llm: Option<(Arc<dyn Interpreter>, String)>,
    /// Built from the knowledge on first use.
    lexicon: OnceLock<lexicon::Lexicon>,
}

/// What the dialogue remembers between turns.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct DialogueState {
    /// Products last listed, in order, for "the second one".
    shown: Vec<String>,
    /// The places of the last ride request, for "from the station instead"
    /// or the answer to "which Koramangala?".
    #[serde(default)]
    trip: Option<Trip>,
    /// Why the last turn refused, if it did.
    #[serde(default)]
    refusal: Option<String>,
    /// The last product search, for "show me more" and "anything cheaper?".
    #[serde(default)]
    searched: Option<Search>,
    /// The best product for each thing asked for in one message, for "both".
    firsts: Vec<String>,
    last_added: Option<String>,
    /// Products added in this dialogue, oldest first, for "make the latte a medium".
    #[serde(default)]
    added: Vec<String>,
    /// An option the assistant asked for ("What size?") before adding a product.
    #[serde(default)]
    asking: Option<Asking>,
    /// A write waiting for the customer's yes.
    pending: Option<Pending>,
    /// The last ride quote: id, places and the fare of each option.
    quote: Option<Value>,
    turns: u64,
}

/// A product waiting for the answer to an option question.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Asking {
    product_id: String,
    quantity: u32,
    /// What was already chosen when the question was asked.
    options: crate::knowledge::Selection,
    /// The group asked about.
    group: String,
}

/// A ride request's places as the customer said them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Trip {
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    ride_type: Option<String>,
    #[serde(default)]
    riders: Option<u32>,
    /// The end ("from" or "to") whose place was unclear and asked about.
    unclear: Option<String>,
    /// The places offered for it.
    #[serde(default)]
    options: Vec<String>,
    /// The turn it was asked in: only the next turn follows up on it.
    turn: u64,
}

/// How many turns a trip stays the subject without being mentioned again.
const TRIP_TURNS: u64 = 3;

impl Trip {
    /// The trip being talked about: asked in one of the last few turns, so
    /// "where to?" may be answered after a word about the party or the ride.
    fn last(state: &DialogueState) -> Option<&Trip> {
        state
            .trip
            .as_ref()
            .filter(|t| t.turn + TRIP_TURNS >= state.turns)
    }

    /// The offered place an answer picks: "the second one", or "the west
    /// one" when only one offer has a word the answer says.
    fn pick(&self, text: &str, ordinal: Option<usize>) -> Option<String> {
        if let Some(n) = ordinal {
            let i = if n == usize::MAX {
                self.options.len().checked_sub(1)?
            } else {
                n.checked_sub(1)?
            };
            return self.options.get(i).cloned();
        }
        let said: Vec<String> = slots::words(text)
            .into_iter()
            .filter(|w| w.len() >= 3)
            .collect();
        let mut hits = self
            .options
            .iter()
            .filter(|o| slots::words(o).iter().any(|w| said.contains(w)));
        match (hits.next(), hits.next()) {
            (Some(one), None) => Some(one.clone()),
            _ => None,
        }
    }
}

/// A product search as the customer asked it: one query per thing named.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Search {
    parts: Vec<String>,
    /// The store each part names, if any.
    #[serde(default)]
    merchants: Vec<Option<String>>,
    tags: Vec<String>,
    max_price_minor: Option<i64>,
    /// Every product shown for it so far.
    #[serde(default)]
    seen: Vec<String>,
}

/// "Anything cheaper?": products of the kinds just shown, below the lowest price shown.
struct Cheaper {
    below: i64,
    /// The product priced `below`, named when nothing is cheaper.
    cheapest: String,
    categories: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    tool: String,
    args: Value,
    key: String,
    /// The terms the customer was shown (for a checkout, the cart total in
    /// minor units): a yes runs only if they still hold, else the new terms
    /// are shown and asked again.
    #[serde(default)]
    terms: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolCall {
    pub name: String,
    pub arguments: Value,
    pub ok: bool,
    pub result: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Turn {
    pub session_id: String,
    pub intent: String,
    pub confidence: f32,
    pub reply: String,
    pub tool_calls: Vec<ToolCall>,
    pub cart: Option<Value>,
    /// Structured results for the widget: products, recipe basket, ride quote, order.
    pub cards: Value,
    /// Help articles the reply relied on.
    pub citations: Vec<String>,
    /// Quick replies for the widget: yes/no while a proposal waits, else the flow's chips.
    pub suggestions: Vec<String>,
    /// The model that interpreted this turn, when the router was unsure and one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreted_by: Option<String>,
    /// Only the fallback understood this turn and a model is configured: it
    /// may be revised by [`Agent::revise`] after it is shown.
    #[serde(skip)]
    pub revisable: bool,
    /// Where the turn's time went; sent as a `Server-Timing` header, not in the body.
    #[serde(skip)]
    pub timings: Timings,
}

/// Milliseconds per phase of one turn.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Loading the dialogue state.
    pub state: f64,
    /// Embedding the message for the router.
    pub embed: f64,
    /// Reading the message and choosing the flow (`embed` included).
    pub understand: f64,
    /// Running the flow and rendering its reply (`tools` included).
    pub flow: f64,
    /// Inside tool handlers: retrieval and the commerce engine.
    pub tools: f64,
    /// Saving the state and the messages.
    pub save: f64,
}

impl Timings {
    /// The `Server-Timing` header value.
    pub fn header(&self) -> String {
        [
            ("state", self.state),
            ("embed", self.embed),
            ("understand", self.understand),
            ("flow", self.flow),
            ("tools", self.tools),
            ("save", self.save),
        ]
        .iter()
        .map(|(name, ms)| format!("{name};dur={ms:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

fn since(t: std::time::Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Where the router's example embeddings are cached: derived data, beside
/// the search index.
pub fn router_cache(paths: &crate::config::PathsConfig) -> std::path::PathBuf {
    paths.data.join("index").join("intents.json")
}

/// The engines a turn works with.
pub struct Env<'a> {
    pub commerce: &'a Commerce,
    pub knowledge: &'a Knowledge,
    pub retriever: &'a Retriever,
    pub store: &'a Store,
}

impl Agent {
    fn lexicon(&self, k: &Knowledge) -> &lexicon::Lexicon {
        self.lexicon.get_or_init(|| lexicon::Lexicon::new(k))
    }

    pub fn load(
        paths: &crate::config::PathsConfig,
        knowledge: &Knowledge,
        retriever: &Retriever,
        llm: Option<Arc<dyn Interpreter>>,
    ) -> anyhow::Result<Agent> {
        let (prompts, tools) = (paths.prompts.as_path(), paths.tools.as_path());
        #[derive(Deserialize)]
        struct Flows {
            flow: BTreeMap<String, Flow>,
        }
        let read = |name: &str| {
            let p = prompts.join(name);
            std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))
        };
        let flows: Flows =
            toml::from_str(&read("flows.toml")?).context("parsing prompts/flows.toml")?;
        let replies: BTreeMap<String, String> =
            toml::from_str(&read("replies.toml")?).context("parsing prompts/replies.toml")?;
        let tools = Tools::load(tools)?;
        let router = Router::load(
            prompts,
            &paths.prompts.join("training"),
            knowledge,
            &router_cache(paths),
            retriever.embedder(),
        )?;
        for (name, f) in &flows.flow {
            for tool in &f.tools {
                anyhow::ensure!(
                    tools.specs().any(|s| &s.name == tool),
                    "flow {name}: unknown tool {tool}"
                );
            }
            steps::check(name, &f.steps, &f.tools, &replies)?;
            for (tool, r) in &f.readings {
                anyhow::ensure!(
                    f.tools.contains(tool) && flows.flow.contains_key(&r.intent),
                    "flow {name}: the reading of {tool} needs the tool in the flow and a flow {}",
                    r.intent
                );
            }
        }
        for ask in &slots::lexicon().decide.asks {
            anyhow::ensure!(
                flows.flow.contains_key(&ask.intent),
                "prompts/lexicon.toml: [[decide.asks]] names intent {}, which has no flow",
                ask.intent
            );
        }
        for intent in router.intents() {
            anyhow::ensure!(
                flows.flow.contains_key(intent),
                "intent {intent} has no flow in flows.toml"
            );
        }
        let llm = match llm {
            Some(l) => Some((l, read("interpret.md")?)),
            None => None,
        };
        Ok(Agent {
            router,
            tools,
            flows: flows.flow,
            replies,
            llm,
            lexicon: OnceLock::new(),
        })
    }

    /// The message's slots, with what the catalog knows: a thing we sell
    /// named with a request, a count or an article ("I'd really like some
    /// chai latte", "hi, an almond milk mocha"), or with nothing else but
    /// how it is made ("Cortado to go, non-fat milk"), is an order.
    fn read(&self, k: &Knowledge, text: &str) -> Slots {
        let mut s = slots::extract(text, k);
        let lexicon = self.lexicon(k);
        // A name pointed at, not said whole, is no order for a party ("what
        // do I need to make a masala omelette for 2" asks for a recipe).
        let Some(name) = lexicon.product_named(text).or_else(|| {
            lexicon
                .product_hinted(text)
                .filter(|_| s.servings.is_none())
        }) else {
            return s;
        };
        s.sells = true;
        if s.orders || s.servings.is_some() {
            return s;
        }
        let w = slots::words(text);
        let article = w.iter().any(|x| x == "a" || x == "an");
        let question = w.first().is_some_and(|f| slots::question_word(f));
        // Only one product goes by the name ("cortado"; "toned milk" is
        // several brands and sizes, to choose from a list).
        let nothing_else = || {
            lexicon.sold_once(name)
                && slots::words(&choices::without_options(text, k))
                    .iter()
                    .all(|x| {
                        slots::listed(&slots::lexicon().order_talk, x)
                            || name
                                .split_whitespace()
                                .any(|n| n == x || x.strip_suffix('s') == Some(n))
                    })
        };
        s.orders = s.asks || s.quantity.is_some() || !question && (article || nothing_else());
        s
    }

    pub fn tools(&self) -> &Tools {
        &self.tools
    }

    fn say(&self, key: &str, vars: &[(&str, String)]) -> String {
        let mut out = self
            .replies
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string());
        for (k, v) in vars {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }

    /// Why a cart's groups cannot be checked out yet: one below its store's minimum.
    fn below_minimum(&self, groups: &[Value]) -> Option<String> {
        let g = groups
            .iter()
            .find(|g| g["below_minimum_by_minor"].as_i64().unwrap_or(0) > 0)?;
        Some(self.say(
            "below_minimum",
            &[
                (
                    "merchant",
                    g["merchant_name"].as_str().unwrap_or_default().into(),
                ),
                (
                    "more",
                    format_inr(g["below_minimum_by_minor"].as_i64().unwrap_or(0)),
                ),
                (
                    "minimum",
                    format_inr(g["min_order_minor"].as_i64().unwrap_or(0)),
                ),
            ],
        ))
    }

    /// What the customer reads when a tool fails: the engine's own refusal,
    /// never a database's words.
    fn customer_error(&self, tool: &str, e: &anyhow::Error) -> String {
        use crate::commerce::CommerceError;
        use crate::store::StoreError;
        let store = match e.downcast_ref::<CommerceError>() {
            Some(CommerceError::Store(s)) => Some(s),
            Some(c) => return c.to_string(),
            None => e.downcast_ref::<StoreError>(),
        };
        match store {
            Some(StoreError::NotFound(what)) => format!("{what} not found"),
            Some(StoreError::Unavailable(_)) => self.say("store_unavailable", &[]),
            Some(_) | None => {
                tracing::error!(tool, error = %format!("{e:#}"), "tool failed");
                self.say("tool_failed", &[])
            }
        }
    }

    /// Embeds the reader's examples and fits its classifier into the cache
    /// (for `errand index`); returns how many examples each source gave and
    /// how many of them the classifier learnt from.
    pub fn train_router(
        paths: &crate::config::PathsConfig,
        knowledge: &Knowledge,
        retriever: &Retriever,
    ) -> anyhow::Result<BTreeMap<training::Source, (usize, usize)>> {
        let l = router::Learning::load(
            &paths.prompts,
            &paths.prompts.join("training"),
            knowledge,
            &router_cache(paths),
            retriever.embedder(),
        )?;
        let mut counts: BTreeMap<training::Source, (usize, usize)> = BTreeMap::new();
        for e in &l.examples {
            let c = counts.entry(e.source).or_default();
            c.0 += 1;
            c.1 += usize::from(router::learnt(e, router::SETTINGS));
        }
        Ok(counts)
    }

    /// One customer turn in `session`, which the caller has checked they own.
    pub async fn turn(
        &self,
        env: &Env<'_>,
        customer: &str,
        session: &str,
        text: &str,
    ) -> anyhow::Result<Turn> {
        let start = std::time::Instant::now();
        let mut state = load_state(env, session).await?;
        let state_ms = since(start);
        let understanding = std::time::Instant::now();
        let slots = self.read(env.knowledge, text);
        let embedding = std::time::Instant::now();
        let vector = env.retriever.embedder().embed_query_async(text).await?;
        let embed_ms = since(embedding);
        let signals = router::signals(env.knowledge, self.lexicon(env.knowledge), text);
        let route = self.router.route(text, &vector, signals);
        let (intent, sure) = self
            .decide(env, &route, &vector, signals, &slots, text, &state)
            .await?;
        let understand_ms = since(understanding);
        // A proposal is answered in the next turn or not at all: after "remove
        // the chips", a "yes" must not pay for a cart the customer never saw.
        if intent != "confirm" && intent != "deny" {
            state.pending = None;
        }
        let mut t = TurnBuilder::new(self, env, customer, session, &intent);
        t.article = route.article.clone();
        let flowing = std::time::Instant::now();
        let reply = t.run(&intent, text, &slots, &mut state).await?;
        let (flow_ms, tools_ms) = (since(flowing), t.tools_ms);
        let saving = std::time::Instant::now();
        let mut turn = t.finish(Some(text), &state, route.score, reply).await?;
        turn.revisable = !sure && self.llm.is_some();
        turn.timings = Timings {
            state: state_ms,
            embed: embed_ms,
            understand: understand_ms,
            flow: flow_ms,
            tools: tools_ms,
            save: since(saving),
        };
        tracing::debug!(intent = %turn.intent, timings = %turn.timings.header(), "turn");
        Ok(turn)
    }

    /// A second reading of a turn only the fallback understood: the model
    /// proposes what `text` asks for and, when that differs from what was
    /// done, the flow for its proposal runs and its answer is recorded as a
    /// correction of `first`. `None` when there is nothing to correct. What
    /// the first answer did is kept: the fallback only reads, and the model's
    /// flows spend no money.
    pub async fn revise(
        &self,
        env: &Env<'_>,
        customer: &str,
        text: &str,
        first: &Turn,
    ) -> anyhow::Result<Option<Turn>> {
        if !first.revisable {
            return Ok(None);
        }
        let Some((intent, reading, by)) = self.interpret(text).await else {
            return Ok(None);
        };
        if intent == first.intent && reading == text {
            return Ok(None);
        }
        let session = first.session_id.as_str();
        let mut state = load_state(env, session).await?;
        let slots = self.read(env.knowledge, &reading);
        let mut t = TurnBuilder::new(self, env, customer, session, &intent);
        t.interpreter = Some(by);
        let reply = t.run(&intent, &reading, &slots, &mut state).await?;
        Ok(Some(t.finish(None, &state, first.confidence, reply).await?))
    }

    /// The router's answer, corrected by what the slots and the dialogue make
    /// certain, and whether it is sure (false when only the fallback decided).
    #[allow(clippy::too_many_arguments)]
    async fn decide(
        &self,
        env: &Env<'_>,
        route: &router::Route,
        vector: &[f32],
        signals: router::Signals,
        slots: &Slots,
        text: &str,
        state: &DialogueState,
    ) -> anyhow::Result<(String, bool)> {
        let w = slots::words(text);
        let has = |x: &str| w.iter().any(|y| y == x);
        let d = &slots::lexicon().decide;
        let says = |phrases: &[String]| slots::said_in(&w, phrases);
        let first = w.first().map(String::as_str).unwrap_or_default();
        let opens = |verbs: &[String]| slots::listed(verbs, first);
        let confident = |intent: &str| route.intent == intent && route.score >= MIN_ROUTE_SCORE;
        if state.pending.is_some() {
            // "yes", "yes cancel it", "ok go ahead"; "no, keep it", "not now".
            let negated = says(&d.refusals);
            // Only an unhedged yes accepts: "ok wait, let me check my cart
            // first" or "yes, but is it paid now?" is not one.
            // "Yes, that's correct. How much is it?" asks again about terms
            // already shown, and accepts them.
            // "That is correct, please proceed", "sounds good": acceptance
            // as the act classifier reads it, as surely as a "yes".
            let affirms = || self.router.affirms(text, vector) >= AFFIRM_SCORE;
            // "That's right. How much will it cost?" asks again about terms
            // already shown, and accepts them.
            let hedged = slots::hedged(text)
                && !slots::yes_asking_terms(text)
                && !(slots::asks_terms(text) && affirms());
            // "No, make it for 1 person" or "yes, and it's for two" changes
            // the trip: quoted again below, and the proposal is dropped with
            // it. Chatter read as a place ("to get here") changes nothing.
            let pending = state.pending.as_ref().map(|p| &p.args["ride_type"]);
            let corrects_trip = Trip::last(state).is_some_and(|t| {
                slots.riders.is_some_and(|n| t.riders != Some(n))
                    || slots
                        .ride_type
                        .as_ref()
                        .is_some_and(|r| pending.is_none_or(|p| p != r.as_str()))
                    || [&slots.from, &slots.to]
                        .into_iter()
                        .flatten()
                        .any(|p| crate::commerce::resolve_place(env.knowledge, p).is_ok())
            });
            if !negated
                && !hedged
                && !corrects_trip
                && (slots::listed(&slots::lexicon().yes, first)
                    || confident("confirm")
                    || affirms())
            {
                return Ok(("confirm".into(), true));
            }
            if (slots::listed(&slots::lexicon().no, first) || confident("deny")) && !corrects_trip {
                return Ok(("deny".into(), true));
            }
        }
        // "yes, that's right" just after a quote asks to book it: the booking
        // is proposed (the only or the cheapest option) and waits for its own yes.
        let quoted_last_turn = Trip::last(state).is_some_and(|t| t.turn + 1 == state.turns);
        if state.pending.is_none()
            && state.quote.is_some()
            && quoted_last_turn
            && !says_trip(slots)
            && slots::listed(&slots::lexicon().yes, first)
            && !says(&d.refusals)
            && !slots::hedged(text)
        {
            return Ok(("book_ride".into(), true));
        }
        if let Some(a) = &state.asking {
            let answered = env.knowledge.product(&a.product_id).is_some_and(|p| {
                choices::said(text, p).chosen.contains_key(&a.group) || !slots.ordinals.is_empty()
            });
            if answered {
                return Ok(("option_answer".into(), true));
            }
        }
        match lines::line_edit(env.knowledge, self.lexicon(env.knowledge), text, state) {
            Some(lines::LineEdit::Options) => return Ok(("options".into(), true)),
            Some(lines::LineEdit::Choices) => return Ok(("option_choices".into(), true)),
            Some(lines::LineEdit::Swap) => return Ok(("swap".into(), true)),
            None => {}
        }
        // Not Errand's job ("cancel my seven am alarm", "remove everything
        // from the calendar", "what is one plus one"): the classifier's
        // off-topic class decides before any keyword rule may act, unless
        // the message names something of Errand's world (its cart, an
        // order, a product, a place) or answers about the trip being
        // planned ("just me", "at Domlur", "the cheapest?").
        let in_trip = Trip::last(state).is_some()
            && (says_trip(slots) || slots.servings.is_some() || says(&d.quote_picks));
        // How sure the classifier must be to overrule what the message
        // names: its cart, an order id or a coupon code always count; a
        // product, store or place the knowledge knows counts unless it is
        // nearly certain ("how long to get to the airport in dallas"); a
        // word of a product's name counts only against a doubtful reading
        // ("atta 5 kg" does, "give me the date today" does not).
        let p_off = if route.intent == "off_topic" {
            route.score
        } else {
            0.0
        };
        let names_ours = says(&d.errand_objects)
            || slots.order_id.is_some()
            || slots.coupon.is_some()
            || (signals.product || signals.store || signals.place) && p_off < SURE_OFF_TOPIC_SCORE
            || signals.kind && p_off < FAIRLY_OFF_TOPIC_SCORE;
        if route.intent == "off_topic" && route.score >= OFF_TOPIC_SCORE && !in_trip && !names_ours
        {
            // Doubtful ones ("vrrm potato chps plz") a configured model may
            // still read, with tools that change nothing.
            return Ok(("off_topic".into(), route.score >= FAIRLY_OFF_TOPIC_SCORE));
        }
        // What the message names is Errand's: it asks for the likeliest of
        // Errand's own intents, whatever the off-topic class thought.
        let in_scope;
        let route = if route.intent == "off_topic" && (names_ours || in_trip) {
            in_scope = self.router.route_in_scope(text, vector, signals);
            &in_scope
        } else {
            route
        };
        let trusted = |min: f32| route.score >= min;
        if slots.coupon.is_some() {
            return Ok(("offers".into(), true));
        }
        if says(&d.clear_cart) {
            return Ok(("clear_cart".into(), true));
        }
        // A leading verb is surer than any example: "remove the coriander", "make it 3".
        if opens(&d.remove_verbs) || says(&d.remove_phrases) && w.len() < 6 {
            return Ok(("remove".into(), true));
        }
        // "order 2 chicken dum biryani": a count and a thing is a request to add it.
        let counted = |i: usize| {
            w.get(i).is_some_and(|x| {
                x.parse::<u32>().is_ok() || slots::listed(&slots::lexicon().count_words, x)
            })
        };
        let ordering = opens(&d.order_verbs) && counted(1)
            || first == "get" && w.get(1).is_some_and(|x| x == "me") && counted(2);
        if opens(&d.add_verbs) || ordering && slots.servings.is_none() {
            return Ok(("add".into(), true));
        }
        // "make it for one" right after a ride quote is the party, not a count.
        let party = (slots.riders.is_some() || says_trip(slots)) && Trip::last(state).is_some();
        if opens(&d.set_verbs) && slots.quantity.is_some() && slots.servings.is_none() && !party {
            return Ok(("set_quantity".into(), true));
        }
        // "a long day, something to cheer me up" is no trip: words that only
        // suggest one count when the destination is a place we know.
        let ridey = says(&d.ride_cues)
            || says(&d.ride_hints)
                && slots.to.as_deref().is_some_and(|to| {
                    slots::lexicon().saved_places.values().any(|p| p == to)
                        || crate::commerce::resolve_place(env.knowledge, to).is_ok()
                });
        let books = has("book");
        if slots.to.is_some() && (slots.from.is_some() || ridey) && !books {
            return Ok(("ride_quote".into(), true));
        }
        // Right after a ride question: "from the railway station" changes
        // one end; "Koramangala East" answers which place was meant; "the
        // cheapest?" picks an option of the quote.
        if let Some(trip) = Trip::last(state) {
            if state.quote.is_some() && says(&d.quote_picks) {
                let intent = if books { "book_ride" } else { "ride_option" };
                return Ok((intent.into(), true));
            }
            // "just 2 of us", "a pool ride for 1", "make that for 2": the
            // same trip quoted again for that party or ride.
            // "I'm okay sharing a ride" after a quote: quoted again for that
            // ride (a question, "and by car?", only shows the option).
            let asks_about = says(&d.alternatives) || text.trim_end().ends_with('?');
            if slots.riders.is_some()
                || slots.servings.is_some()
                || slots.ride_type.is_some() && (trip.to.is_none() || !asks_about && !books)
            {
                return Ok(("ride_quote".into(), true));
            }
            let names_place =
                || crate::commerce::resolve_place(env.knowledge, &text.to_lowercase()).is_ok();
            if (slots.from.is_some() || slots.to.is_some()) && !books
                || trip.unclear.is_some()
                    && (names_place() || trip.pick(text, slots.ordinal).is_some())
            {
                return Ok(("ride_quote".into(), true));
            }
        }
        // "and by car?" right after a quote.
        let alternative = says(&d.alternatives) || text.trim_end().ends_with('?');
        if state.quote.is_some()
            && slots.ride_type.is_some()
            && slots.to.is_none()
            && alternative
            && !says(&d.book_verbs)
            && w.len() <= 5
        {
            return Ok(("ride_option".into(), true));
        }
        // "book the shared one" right after a quote books from it.
        if state.quote.is_some() && books && slots.to.is_none() {
            return Ok(("book_ride".into(), true));
        }
        // Order trouble is named by its words, whatever the nouns around them.
        let cancels = w
            .iter()
            .any(|x| d.cancel_stems.iter().any(|stem| slots::near(x, stem)))
            || says(&d.cancel_words);
        let trouble = if says(&d.policy_asks) || ridey {
            None
        } else if cancels {
            Some("cancel_order")
        } else if says(&slots::lexicon().complaints) {
            Some("refund")
        } else if slots.order_id.is_some() || says(&d.status_asks) {
            Some("order_status")
        } else {
            None
        };
        let cooking = says(&slots::lexicon().recipe_cues);
        // "Can I get a latte?", "I would like to order a mocha": asking for
        // something we sell by name is shopping, whichever example the words
        // sit nearest to.
        if slots.orders && slots.sells && trouble.is_none() && !cooking && !ridey {
            return Ok(("shop".into(), true));
        }
        if let Some(ask) = d
            .asks
            .iter()
            .find(|a| !cooking && (a.rides || !ridey) && says(&a.phrases) && !says(&a.unless))
        {
            return Ok((ask.intent.clone(), true));
        }
        // A message this close to an example, among thousands of real ones,
        // is read as that example: "I have to edit my account" is no recipe
        // and "how do I cancel?" no cancellation, whatever the keywords say.
        if trusted(SURE_ROUTE_SCORE) {
            return Ok((route.intent.clone(), true));
        }
        if let Some(intent) = trouble {
            return Ok((intent.into(), true));
        }
        // "do you sell coca cola", "show me the menu of Slice Republic": shopping.
        let names_merchant = self.lexicon(env.knowledge).merchant_named(text).is_some();
        if !cooking
            && !ridey
            && !confident("more")
            && !confident("merchant_info")
            && (says(&d.sells_asks) || names_merchant && !trusted(MIN_ROUTE_SCORE))
        {
            return Ok(("shop".into(), true));
        }
        let pantry = !slots.exclude.is_empty() && says(&d.pantry_have);
        if (cooking || pantry) && !ridey {
            return Ok(("recipe".into(), true));
        }
        let question = slots::question_word(first);
        if confident("ride_quote") && slots.to.is_none() && question {
            // "what kinds of rides do you offer?" asks about rides, not for one.
            return Ok(("help".into(), true));
        }
        if trusted(MIN_ROUTE_SCORE) {
            return Ok((route.intent.clone(), route.score >= CONFIDENT_SCORE));
        }
        Ok((self.fallback(env, text, &w).await?, false))
    }

    /// Asks the model what an unsure message wants. Its first proposed call
    /// counts only if the `interpret` flow lists the tool (none spends money) and
    /// the arguments pass the tool's schema; then the flow that answers that
    /// tool runs with the model's reading of the message. Anything else, or
    /// no answer in time, leaves the deterministic answer standing.
    async fn interpret(&self, text: &str) -> Option<(String, String, String)> {
        let (llm, system) = self.llm.as_ref()?;
        let allowed = &self.flows.get("interpret")?.tools;
        let offered: Vec<crate::llm::ToolSpec> = self
            .tools
            .specs()
            .filter(|s| allowed.contains(&s.name))
            .cloned()
            .collect();
        let out = match llm.interpret(system, text, &offered).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(model = %llm.describe(), error = %format!("{e:#}"), "interpreter failed");
                return None;
            }
        };
        let call = out.calls.first()?;
        if !allowed.contains(&call.name) {
            tracing::warn!(model = %llm.describe(), tool = %call.name, "refused a tool the model may not call");
            return None;
        }
        if let Err(e) = self.tools.validate(&call.name, &call.arguments) {
            tracing::warn!(model = %llm.describe(), tool = %call.name, error = %e, "refused invalid arguments");
            return None;
        }
        if !grounded(&call.arguments, text) {
            tracing::warn!(model = %llm.describe(), tool = %call.name, arguments = %call.arguments, "refused arguments the message does not contain");
            return None;
        }
        let reading = self.flows.get("interpret")?.readings.get(&call.name)?;
        let mut text_read = reading.text.replace("{message}", text);
        for (k, v) in call.arguments.as_object().into_iter().flatten() {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            text_read = text_read.replace(&format!("{{{k}}}"), &v);
        }
        // An argument the model left out reads as nothing.
        while let Some((start, end)) = text_read
            .find('{')
            .and_then(|a| text_read[a..].find('}').map(|b| (a, a + b)))
        {
            text_read.replace_range(start..=end, "");
        }
        Some((reading.intent.clone(), text_read, llm.describe()))
    }

    /// Unsure: a question a help article's title answers is help; words that
    /// name things we sell are shopping; anything else is not for us.
    async fn fallback(&self, env: &Env<'_>, text: &str, w: &[String]) -> anyhow::Result<String> {
        let search = |kind: Kind| async move {
            let req = SearchRequest {
                query: text.into(),
                mode: Mode::Hybrid,
                filters: Filters {
                    kind: Some(kind),
                    ..Default::default()
                },
                limit: 3,
            };
            env.retriever.search(&req).await
        };
        let question = w.first().is_some_and(|f| slots::question_word(f));
        if question {
            // Articles share everyday words, so the top one's title must name the subject.
            let hits = search(Kind::Help).await?;
            let topical = hits.first().is_some_and(|h| {
                let title = slots::words(&h.title);
                w.iter()
                    .filter(|x| {
                        x.len() >= 4 && !slots::listed(&slots::lexicon().question_filler, x)
                    })
                    .any(|x| {
                        title
                            .iter()
                            .any(|t| t.starts_with(x.as_str()) || x.len() >= 5 && slots::near(x, t))
                    })
            });
            if topical {
                return Ok("help".into());
            }
        }
        // A strong keyword match, or (for typos like "bisuits") a close meaning.
        let products = search(Kind::Product).await?;
        if products.iter().any(|h| {
            h.explanation.bm25_score.unwrap_or(0.0) > 8.0
                || h.explanation.dense_score.unwrap_or(0.0) >= MIN_SIMILARITY
        }) {
            return Ok("shop".into());
        }
        Ok("off_topic".into())
    }
}

struct TurnBuilder<'a> {
    agent: &'a Agent,
    intent: String,
    env: &'a Env<'a>,
    customer: &'a str,
    /// Assist mode: the care agent and the session's ticket.
    agent_ticket: Option<(&'a str, &'a str)>,
    /// The model that chose this turn's flow, if one did.
    interpreter: Option<String>,
    session: &'a str,
    calls: Vec<ToolCall>,
    cards: Value,
    citations: Vec<String>,
    cart: Option<Value>,
    /// Why this turn refused, for a "why?" next.
    refused: std::sync::Mutex<Option<String>>,
    /// Time spent inside tool handlers so far, in milliseconds.
    tools_ms: f64,
    /// The help article the router read this turn's message as asking for.
    article: Option<String>,
}

impl<'a> TurnBuilder<'a> {
    fn new(
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

/// In a food app "something crunchy" is a snack, not whatever else matches the mood.
fn vague_to_snacks(part: &str, query: String) -> String {
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
fn without_name(query: &str, name: &[String]) -> String {
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

/// Whether the message says something about a trip: a place, the party or
/// the kind of ride ("yes, it is for two, shared is fine").
fn says_trip(slots: &Slots) -> bool {
    slots.to.is_some()
        || slots.from.is_some()
        || slots.riders.is_some()
        || slots.ride_type.is_some()
}

/// The separate things asked for: "milk, bread and eggs" -> three parts; at most four.
fn split_items(text: &str) -> Vec<String> {
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

fn clean_query(text: &str, slots: &Slots) -> String {
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
fn paired_query(text: &str, slots: &Slots) -> String {
    let lexicon = slots::lexicon();
    clean_query(text, slots)
        .split(' ')
        .filter(|w| {
            !slots::listed(&lexicon.question_filler, w) && !slots::listed(&lexicon.pairing, w)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether every text argument a model proposed shares a word with the
/// message: a search for "list of items" or a trip from "vrbm-1234" when the
/// customer said neither is the model talking, not the customer.
fn grounded(args: &Value, text: &str) -> bool {
    let said = slots::words(text);
    args.as_object()
        .into_iter()
        .flatten()
        .all(|(_, v)| match v {
            Value::String(s) => slots::words(s).iter().any(|w| {
                w.chars().count() >= 3
                    && said.contains(w)
                    && !slots::listed(&slots::lexicon().filler, w)
                    && !slots::listed(&slots::lexicon().question_filler, w)
            }),
            _ => true,
        })
}

/// The session's dialogue state, counting this turn.
async fn load_state(env: &Env<'_>, session: &str) -> anyhow::Result<DialogueState> {
    let mut state: DialogueState =
        serde_json::from_value(env.store.dialogue_state(session.to_string()).await?)
            .unwrap_or_default();
    state.turns += 1;
    Ok(state)
}

impl TurnBuilder<'_> {
    /// Saves the dialogue state and both messages, and returns the turn.
    /// Saves the dialogue state and the exchange; `user` is `None` for a
    /// correction, which follows the message it corrects.
    async fn finish(
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

    fn ctx(&self, key: String) -> Ctx<'_> {
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
    async fn tool(&mut self, name: &str, args: Value, key: String) -> Result<Value, String> {
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
    async fn list_products(
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

    fn list(&self, products: &[Value]) -> String {
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

    fn shown_list(&self, state: &DialogueState) -> String {
        let cards: Vec<Value> = state
            .shown
            .iter()
            .filter_map(|id| self.env.knowledge.product(id))
            .map(|p| basket::card(self.env.knowledge, p))
            .collect();
        self.list(&cards)
    }

    fn say(&self, key: &str, vars: &[(&str, String)]) -> String {
        if key == "not_allowed" {
            *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = vars
                .iter()
                .find(|(k, _)| *k == "reason")
                .map(|(_, v)| v.clone());
        }
        self.agent.say(key, vars)
    }

    /// Runs the intent's flow; a refusal is remembered for one turn, so
    /// "why?" can be answered.
    async fn run(
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
    async fn help(&mut self, text: &str, key: String) -> String {
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

    async fn run_flow(
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

/// The first two sentences of a help article's body, without headings.
pub fn summary(body: &str) -> String {
    let text: String = body
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = String::new();
    for (n, sentence) in text.split_inclusive(". ").enumerate() {
        if n == 2 {
            break;
        }
        out.push_str(sentence);
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_search_keeps_measures_and_drops_counts() {
        let clean = |t: &str| super::clean_query(t, &super::slots::Slots::default());
        assert_eq!(clean("a 2% milk latte"), "2 percent milk latte");
        assert_eq!(clean("a cortado with 3 shots"), "cortado 3 shots");
        assert_eq!(clean("2 cappuccinos"), "cappuccinos");
    }

    /// Every template the agent fills by name is in prompts/replies.toml: a
    /// missing one would answer the customer with its key.
    #[test]
    fn every_reply_named_in_code_has_a_template() {
        let replies: std::collections::BTreeMap<String, String> =
            toml::from_str(include_str!("../../prompts/replies.toml")).unwrap();
        let named = regex::Regex::new(r#"say\(\s*"([a-z_]+)""#).unwrap();
        let sources = [
            include_str!("mod.rs"),
            include_str!("turns.rs"),
            include_str!("assist.rs"),
            include_str!("handlers.rs"),
            include_str!("discover.rs"),
        ];
        let mut seen = 0;
        for src in sources {
            for c in named.captures_iter(src) {
                seen += 1;
                assert!(replies.contains_key(&c[1]), "no template `{}`", &c[1]);
            }
        }
        assert!(
            seen > 40,
            "found only {seen} templates named: is the pattern stale?"
        );
    }
}
