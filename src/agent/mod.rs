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
mod builder;
mod care;
mod choices;
mod confirm;
mod decide;
mod discover;
mod flow;
mod handlers;
mod intent_model;
pub(crate) mod lexicon;
mod lines;
mod ordering;
mod phrases;
mod rides;
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
use serde_json::Value;

use crate::commerce::money::format_inr;
use crate::commerce::Commerce;
use crate::knowledge::Knowledge;
use crate::llm::Interpreter;
use crate::retrieval::Retriever;
use crate::store::Store;
pub use approval::{CallError, Caller, Proposal};
pub use assist::{Assist, Citation};
use builder::{load_state, TurnBuilder};
use flow::{clean_query, split_items, without_name};
pub use handlers::Ctx;
use router::Router;
use slots::Slots;
use tools::Tools;
use turns::money;

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
        tracing::debug!(intent = %turn.intent, routed = %route.intent, score = route.score, timings = %turn.timings.header(), "turn");
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
            include_str!("builder.rs"),
            include_str!("care.rs"),
            include_str!("confirm.rs"),
            include_str!("decide.rs"),
            include_str!("ordering.rs"),
            include_str!("rides.rs"),
            include_str!("flow.rs"),
            include_str!("lines.rs"),
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
