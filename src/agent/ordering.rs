//! Orders that name products: which product each part of a message names,
//! how many packs its count or amount takes, and the lines that go in.

use serde_json::{json, Value};

use super::choices;
use super::lines::Put;
use super::slots::{self, Slots};
use super::*;
use crate::knowledge::{Product, Selection};

/// An amount asked for: how much, and in which unit (none for pieces).
type Amount = (f64, Option<&'static str>);

/// A product a part of an order names, with how many packs it takes.
pub(super) struct Named {
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
        // Why the product named could not go in ("only 5 of Flat White in
        // stock, 25 requested"), said when nothing else could.
        let mut refused: Option<String> = None;
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
                // "6 eggs": the pack that fits may rank below bigger ones, so a
                // counted part looks further down the list.
                let limit = if amount.is_some() { 20 } else { 8 };
                let mut args = json!({ "query": q, "limit": limit });
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
                        Put::Failed(why) => {
                            refused.get_or_insert(why);
                            failed = true;
                        }
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
            return refused.map(|why| self.say("not_allowed", &[("reason", why)]));
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
    pub(super) fn named(
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
pub(super) fn lines(qty: u32, split: choices::Split) -> Vec<(u32, Selection)> {
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
pub(super) fn counts(text: &str, p: &Product, lex: &super::lexicon::Lexicon) -> bool {
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
pub(super) fn same_word(said: &str, title: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::counts;
    use crate::agent::lexicon::Lexicon;
    use crate::knowledge::shipped;

    /// Whether the count in `text` counts the product titled `title`.
    pub(super) fn check(text: &str, title: &str, expect: bool) {
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
    pub(super) fn a_count_counts_the_thing_it_is_said_of() {
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
