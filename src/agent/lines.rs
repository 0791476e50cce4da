//! Edits of the lines a customer is building: putting a product in the
//! cart (asking for an option without a default first), answering that
//! question, changing a line's options ("make that decaf", "remove the
//! whip"), saying what a line can have ("what syrups do you have?") and
//! swapping it for another product ("actually make that a cappuccino").

use serde_json::{json, Value};

use super::choices;
use super::lexicon::Lexicon;
use super::slots::{self, Slots};
use super::turns::money;
use super::{Asking, DialogueState, TurnBuilder};
use crate::commerce::money::format_inr;
use crate::knowledge::options::resolve;
use crate::knowledge::{Chosen, Knowledge, OptionError, OptionGroup, Product, Selection};

/// What putting one product in the cart came to.
pub(super) enum Put {
    /// The reply line ("1 x Latte (Large, Oat milk) (Rs 279)") and the cart.
    Added(String, Value),
    /// An option must be chosen first: the question, asked once.
    Asked(String),
    /// Another product's question is waiting: this one is left for later.
    Later,
    Failed(String),
}

/// The product a change of options is about: one added in this dialogue
/// that the message names, else the last one added.
fn option_target<'k>(k: &'k Knowledge, text: &str, state: &DialogueState) -> Option<&'k Product> {
    let w = super::slots::words(text);
    state
        .added
        .iter()
        .rev()
        .filter_map(|id| k.product(id))
        .find(|p| {
            super::slots::words(&p.title)
                .iter()
                .any(|t| t.len() >= 3 && w.iter().any(|x| x.trim_end_matches('s') == t))
        })
        .or_else(|| state.last_added.as_deref().and_then(|id| k.product(id)))
        .filter(|p| !p.options.is_empty())
}

/// The cart's latest line of `product_id` (a cart view's JSON).
fn latest_line(cart: &Value, product_id: &str) -> Option<Value> {
    cart["groups"]
        .as_array()?
        .iter()
        .flat_map(|g| g["items"].as_array().into_iter().flatten())
        .rfind(|i| i["product_id"] == product_id)
        .cloned()
}

/// What a message does to the line in focus instead of asking for
/// something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineEdit {
    /// Changes its options: "make that decaf", "remove the whip", "give me
    /// the hazelnut"; or says the line again as it is ("yes, a latte to go").
    Options,
    /// Asks what one of its option groups holds: "what syrups do you have?".
    Choices,
    /// Replaces it with another product of the same store: "actually make
    /// that a cappuccino", "can I get a vanilla latte instead?".
    Swap,
}

/// Whether `words` say one of the group's own names ("syrups", "milk").
fn names_group(words: &[String], g: &OptionGroup) -> bool {
    g.aliases
        .iter()
        .any(|a| slots::said_in(words, std::slice::from_ref(a)))
}

/// Reads `text` against the line in focus: the product added in this
/// dialogue that it names, else the last one added. It edits that line
/// only when it names no other thing we sell, and says so with an edit
/// word ("actually", "switch"), a pointer ("it", "mine"), options alone
/// ("hazelnut please") or the line again with nothing else; "another" or
/// "too" asks for one more instead.
pub(super) fn line_edit(
    k: &Knowledge,
    lex: &Lexicon,
    text: &str,
    state: &DialogueState,
) -> Option<LineEdit> {
    let w = slots::lexicon();
    let words = slots::words(text);
    let named = lex.product_named(text);
    let last = state.last_added.as_deref().and_then(|id| k.product(id))?;
    let title_of = |p: &Product| choices::tokens(&p.title);
    if let Some(name) = named {
        let other = !name
            .split_whitespace()
            .all(|n| choices::in_title(&title_of(last), n));
        let same_store = || {
            lex.products_named(k, name)
                .any(|p| p.merchant_id == last.merchant_id)
        };
        if other && slots::said_in(&words, &w.swap_cues) && same_store() {
            return Some(LineEdit::Swap);
        }
    }
    let p = option_target(k, text, state)?;
    let title = title_of(p);
    let said = choices::said(text, p);
    let group = p.options.iter().find(|g| names_group(&words, g));
    let group_words: Vec<String> = group
        .into_iter()
        .flat_map(|g| &g.aliases)
        .flat_map(|a| slots::words(a))
        .collect();
    let ignorable = |x: &String| {
        [
            &w.filler,
            &w.question_filler,
            &w.option_edit_filler,
            &w.order_talk,
            &w.option_nouns,
            &w.line_references,
            &w.yes,
        ]
        .iter()
        .any(|list| slots::listed(list, x))
            || group_words.contains(x)
    };
    let other: Vec<&String> = said.rest.iter().filter(|x| !ignorable(x)).collect();
    // What is left once the options are read: "sugar free vanilla" names
    // an option, not the sugar we sell.
    let names_other =
        lex.product_named(&said.rest.join(" ")).is_some() || other.iter().any(|x| lex.is_kind(x));
    let title_said = words.iter().any(|x| choices::in_title(&title, x));
    // "a large one too" is one more; "the caramel sauce too" is for the line.
    let one_more = said.rest.iter().any(|x| slots::listed(&w.line_adds, x))
        && (title_said || words.iter().any(|x| x == "one"));
    // "how long from the airport to Central Mall?" is a trip, whatever
    // option a word of it sounds like ("mall", "small").
    let names_place = crate::commerce::spot_place(k, &text.to_lowercase()).is_some();
    if names_other || one_more || names_place {
        return None;
    }
    if said.is_empty() {
        // "what syrups do you have?"; "yes, just a macchiato" says the
        // line again and adds nothing.
        let again = words.first().is_some_and(|f| slots::listed(&w.yes, f))
            && words.iter().any(|x| choices::in_title(&title, x))
            && slots::said_in(&words, std::slice::from_ref(&p.title.to_lowercase()));
        return if group.is_some() {
            Some(LineEdit::Choices)
        } else if again {
            Some(LineEdit::Options)
        } else {
            None
        };
    }
    let first = words.first().map(String::as_str).unwrap_or_default();
    let cue = slots::said_in(&words, &w.edit_cues) || slots::listed(&w.option_edits, first);
    let refers = slots::said_in(&words, &w.line_references);
    let again = slots::listed(&w.yes, first);
    // Options said alone carry the message: a word or two besides them at most.
    let alone = !title_said && other.len() <= 2;
    (cue || refers || again || alone || other.is_empty()).then_some(LineEdit::Options)
}

impl TurnBuilder<'_> {
    /// The name a line is shown by: its title, and what was chosen.
    fn line_title(p: &Product, chosen: &Chosen) -> String {
        match chosen.label() {
            l if l.is_empty() => p.title.clone(),
            l => format!("{} ({l})", p.title),
        }
    }

    /// Adds `quantity` of `p` with `options`, or asks for the first option
    /// that has no default ("What size would you like for the Margherita Pizza?").
    pub(super) async fn put(
        &mut self,
        p: &Product,
        quantity: u32,
        options: Selection,
        state: &mut DialogueState,
        key: &str,
    ) -> Put {
        let chosen = match resolve(p, &options) {
            Ok(c) => c,
            Err(OptionError::Required { group }) if state.asking.is_none() => {
                let g = p.options.iter().find(|g| g.id == group);
                let list: Vec<String> = g
                    .map(|g| {
                        g.choices
                            .iter()
                            .map(|c| {
                                format!(
                                    "{} ({})",
                                    c.name,
                                    format_inr(p.price_minor + c.price_minor)
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let reply = self.say(
                    "option_question",
                    &[
                        (
                            "group",
                            g.map(|g| g.name.to_lowercase()).unwrap_or_default(),
                        ),
                        ("title", p.title.clone()),
                        ("choices", list.join(", ")),
                    ],
                );
                state.shown.clear();
                state.asking = Some(Asking {
                    product_id: p.id.clone(),
                    quantity,
                    options,
                    group,
                });
                return Put::Asked(reply);
            }
            // A second question waits for the first to be answered.
            Err(OptionError::Required { .. }) => return Put::Later,
            // A choice this product does not have: add it as it comes.
            Err(_) => match resolve(p, &Selection::new()) {
                Ok(c) => c,
                Err(e) => return Put::Failed(e.to_string()),
            },
        };
        let mut args = json!({ "product_id": p.id, "quantity": quantity });
        if !p.options.is_empty() {
            args["options"] = json!(chosen.selection());
        }
        match self.tool("add_to_cart", args, key.to_string()).await {
            Ok(cart) => {
                state.last_added = Some(p.id.clone());
                state.added.retain(|id| id != &p.id);
                state.added.push(p.id.clone());
                let line = self.say(
                    "added_line",
                    &[
                        ("quantity", quantity.to_string()),
                        ("title", Self::line_title(p, &chosen)),
                        (
                            "price",
                            format_inr(
                                (p.price_minor + chosen.delta_minor()) * i64::from(quantity),
                            ),
                        ),
                    ],
                );
                Put::Added(line, cart)
            }
            Err(e) => Put::Failed(e),
        }
    }

    /// The answer to an option question: the product waiting for it goes in
    /// the cart, or the next question is asked.
    pub(super) async fn answer_option(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let Some(a) = state.asking.take() else {
            return self.say("clarify_shop", &[]);
        };
        let k = self.env.knowledge;
        let Some(p) = k.product(&a.product_id) else {
            return self.say("clarify_shop", &[]);
        };
        let mut options = a.options.clone();
        let said = choices::said(text, p);
        options.extend(said.chosen);
        if !options.contains_key(&a.group) {
            // "the second one": the choices in the order they were offered.
            let g = p.options.iter().find(|g| g.id == a.group);
            let pick = slots.ordinals.first().and_then(|&o| {
                let cs = &g?.choices;
                let i = if o == usize::MAX {
                    cs.len().checked_sub(1)?
                } else {
                    o.checked_sub(1)?
                };
                cs.get(i).map(|c| c.id.clone())
            });
            if let Some(c) = pick {
                options.insert(a.group.clone(), vec![c]);
            }
        }
        match self.put(p, a.quantity, options, state, &key).await {
            Put::Added(line, cart) => self.say(
                "added_many",
                &[("lines", line), ("total", money(&cart["total_minor"]))],
            ),
            Put::Asked(q) => q,
            Put::Later => self.say("clarify_shop", &[]),
            Put::Failed(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// "make the latte a medium", "no whipped cream": changes the options
    /// of the latest cart line of the product meant.
    pub(super) async fn edit_options(
        &mut self,
        text: &str,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let k = self.env.knowledge;
        let Some(p) = option_target(k, text, state) else {
            return self.say("options_not_in_cart", &[]);
        };
        let cart = match self.tool("view_cart", json!({}), key.clone()).await {
            Ok(c) => c,
            Err(e) => return self.say("error", &[("message", e)]),
        };
        let Some(line) = latest_line(&cart, &p.id) else {
            return self.say("options_not_in_cart", &[]);
        };
        let current = crate::knowledge::options::parse_key(
            line["line_id"]
                .as_str()
                .and_then(|l| l.split_once('~'))
                .map_or("", |(_, o)| o),
        );
        let wanted = choices::apply(&current, &choices::said(text, p));
        let mut after = current.clone();
        after.extend(wanted.clone());
        let canonical = |s: &Selection| resolve(p, s).map(|c| c.key()).unwrap_or_default();
        if canonical(&after) == canonical(&current) {
            return self.say("options_unchanged", &[("title", p.title.clone())]);
        }
        let args = json!({ "line_id": line["line_id"], "options": wanted });
        match self.tool("set_cart_options", args, key).await {
            Ok(cart) => {
                let chosen = resolve(p, &after).unwrap_or_default();
                let label = match chosen.label() {
                    l if l.is_empty() => self.say("options_as_it_comes", &[]),
                    l => l,
                };
                self.say(
                    "options_changed",
                    &[
                        ("title", p.title.clone()),
                        ("label", label),
                        ("price", format_inr(p.price_minor + chosen.delta_minor())),
                        ("total", money(&cart["total_minor"])),
                    ],
                )
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// "what syrups do you have?": the choices of the group named, for the
    /// line in focus, with what each adds to its price.
    pub(super) fn option_choices(&self, text: &str, state: &DialogueState) -> String {
        let words = slots::words(text);
        let found = option_target(self.env.knowledge, text, state)
            .and_then(|p| Some((p, p.options.iter().find(|g| names_group(&words, g))?)));
        let Some((p, g)) = found else {
            return self.say("options_not_in_cart", &[]);
        };
        let list: Vec<String> = g
            .choices
            .iter()
            .map(|c| match c.price_minor {
                0 => c.name.clone(),
                d if d > 0 => format!("{} (+{})", c.name, format_inr(d)),
                d => format!("{} (-{})", c.name, format_inr(-d)),
            })
            .collect();
        self.say(
            "option_choices",
            &[
                ("group", g.name.to_lowercase()),
                ("title", p.title.clone()),
                ("choices", list.join(", ")),
            ],
        )
    }

    /// "actually make that a cappuccino": the last line added leaves the
    /// cart and what the message names goes in, as many as the line held
    /// unless it says a count.
    pub(super) async fn swap(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let k = self.env.knowledge;
        let Some(last) = state.last_added.as_deref().and_then(|id| k.product(id)) else {
            return self.say("options_not_in_cart", &[]);
        };
        let cart = match self
            .tool("view_cart", json!({}), format!("{key}:view"))
            .await
        {
            Ok(c) => c,
            Err(e) => return self.say("error", &[("message", e)]),
        };
        let Some(line) = latest_line(&cart, &last.id) else {
            return self.say("options_not_in_cart", &[]);
        };
        let args = json!({ "product_id": line["line_id"] });
        if let Err(e) = self
            .tool("remove_from_cart", args, format!("{key}:remove"))
            .await
        {
            return self.say("not_allowed", &[("reason", e)]);
        }
        state.added.retain(|id| id != &last.id);
        state.last_added = None;
        let mut slots = slots.clone();
        slots.orders = true;
        if slots.quantity.is_none() {
            slots.quantity = line["quantity"]
                .as_u64()
                .and_then(|q| u32::try_from(q).ok());
        }
        let added = self
            .order_named(text, &slots, state, key)
            .await
            .unwrap_or_else(|| self.say("clarify_shop", &[]));
        self.say(
            "swapped",
            &[("title", last.title.clone()), ("added", added)],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{line_edit, LineEdit};
    use crate::agent::lexicon::Lexicon;
    use crate::agent::DialogueState;
    use crate::knowledge::shipped;

    /// After `added` went in the cart, what `text` does to that line.
    fn check(added: &str, text: &str, expect: Option<LineEdit>) {
        let k = shipped();
        let lex = Lexicon::new(k);
        let p = k
            .products
            .iter()
            .find(|p| p.title == added && !p.options.is_empty())
            .unwrap_or_else(|| panic!("no product {added} with options"));
        let state = DialogueState {
            last_added: Some(p.id.clone()),
            added: vec![p.id.clone()],
            ..Default::default()
        };
        assert_eq!(line_edit(k, &lex, text, &state), expect, "{added} / {text}");
    }

    #[test]
    fn options_said_of_the_line_in_focus_edit_it() {
        use LineEdit::Options;
        check(
            "Mocha",
            "Um, actually could we switch it to a decaf, please?",
            Some(Options),
        );
        check(
            "Cortado",
            "Oh, no, actually, make that decaf.",
            Some(Options),
        );
        check("Latte", "remove the whip", Some(Options));
        check("Latte", "Give me the hazelnut.", Some(Options));
        check(
            "Latte",
            "I would like to add sugar free vanilla please.",
            Some(Options),
        );
        check(
            "Cappuccino",
            "Could I get the Caramel Sauce too?",
            Some(Options),
        );
        check(
            "Latte",
            "Actually can I get it without caffeine?",
            Some(Options),
        );
        // The line said again in a confirmation adds nothing.
        check("Latte", "Yes, I would like a latte to go.", Some(Options));
    }

    #[test]
    fn another_product_or_one_more_is_no_edit() {
        check("Latte", "can I also get a mocha with whip", None);
        check("Latte", "and a large one too", None);
        check("Latte", "two large pizzas", None);
        check("Latte", "a latte with oat milk as well", None);
        check(
            "Chai Latte",
            "how long from the airport to Central Mall?",
            None,
        );
    }

    #[test]
    fn a_group_named_alone_asks_its_choices_and_another_drink_swaps() {
        check(
            "Latte",
            "What kind of syrup do you have?",
            Some(LineEdit::Choices),
        );
        check(
            "Mocha",
            "What kinds of sweeteners do you offer?",
            Some(LineEdit::Choices),
        );
        check(
            "Espresso",
            "change that to a tall iced latte",
            Some(LineEdit::Swap),
        );
        check(
            "Latte",
            "actually make that a cappuccino",
            Some(LineEdit::Swap),
        );
        check("Latte", "do you have maple syrup?", None);
    }
}
