//! Understanding a turn: the classifier's reading, corrected by what the
//! dialogue and the words make certain (`decide`), a configured language
//! model's reading of what stayed unsure (`interpret`), and the search
//! fallback for what nothing else read.

use serde_json::Value;

use super::*;
use crate::retrieval::{Filters, Kind, Mode, SearchRequest};

/// Above this the nearest example decides before any keyword rule.
pub(super) const SURE_ROUTE_SCORE: f32 = 0.85;
/// Below this similarity the router is not trusted; the turn falls back to search or a refusal.
pub(super) const MIN_ROUTE_SCORE: f32 = 0.45;
/// At or above this probability of the off-topic class a message is not
/// Errand's job, before any keyword rule (see `errand eval reader`).
pub(super) const OFF_TOPIC_SCORE: f32 = 0.5;
/// At or above this, naming a product, store or place the knowledge knows
/// is not enough to make a message Errand's.
pub(super) const SURE_OFF_TOPIC_SCORE: f32 = 0.97;
/// How sure the act classifier must be that a turn accepts the proposal
/// on screen for it to count as a yes.
pub(super) const AFFIRM_SCORE: f32 = 0.5;
/// Below this probability a reading left to the classifier is unsure: a
/// configured language model may revise the turn ("vrrm potato chps plz").
pub(super) const CONFIDENT_SCORE: f32 = 0.9;
/// At or above this, a word of some product's name is not enough.
pub(super) const FAIRLY_OFF_TOPIC_SCORE: f32 = 0.9;
/// An unsure message this similar to a product (or, asked as a question, to a
/// help article) is about it.
pub(super) const MIN_SIMILARITY: f32 = 0.6;

impl Agent {
    /// The router's answer, corrected by what the slots and the dialogue make
    /// certain, and whether it is sure (false when only the fallback decided).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn decide(
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
        // "remove milk from my shopping list and add bread" has a from and a
        // to but is no trip: the ends must be places we know, or the
        // classifier must not be sure the message asks something else.
        let known = |p: &Option<String>| {
            p.as_deref()
                .is_some_and(|p| crate::commerce::resolve_place(env.knowledge, p).is_ok())
        };
        let trip_words = route.intent == "ride_quote"
            || !trusted(SURE_ROUTE_SCORE)
            || known(&slots.to)
            || known(&slots.from);
        if slots.to.is_some() && (slots.from.is_some() || ridey) && !books && trip_words {
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
    pub(super) async fn interpret(&self, text: &str) -> Option<(String, String, String)> {
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
    pub(super) async fn fallback(
        &self,
        env: &Env<'_>,
        text: &str,
        w: &[String],
    ) -> anyhow::Result<String> {
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

/// Whether the message says something about a trip: a place, the party or
/// the kind of ride ("yes, it is for two, shared is fine").
pub(super) fn says_trip(slots: &Slots) -> bool {
    slots.to.is_some()
        || slots.from.is_some()
        || slots.riders.is_some()
        || slots.ride_type.is_some()
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
