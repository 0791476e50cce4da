//! Flows written as steps in `prompts/flows.toml`, in the spirit of Rasa
//! CALM: a flow with `steps` runs them in order, and needs no Rust.
//!
//! - `{ call = "recommend", args = { kind = "new" }, as = "recs" }` runs a tool
//!   of the flow (its arguments checked by the tool's schema) and names the
//!   result (the tool's name when `as` is left out). `from = { order_id =
//!   "slots.order_id" }` adds arguments from values, each left out when it
//!   holds nothing; with `optional = true` a call that fails leaves its
//!   result empty instead of ending the flow with the error, which `or_say`
//!   names the template of (`error` when not given);
//! - `{ if = "recs.items", then = [...], else = [...] }` branches on whether
//!   a value holds something (not null, false, 0, "" or empty);
//! - `{ say = "recs_new", with = { list = "list(recs.items)" } }` answers with
//!   a template of `replies.toml`;
//! - `{ show = "recs.items" }` makes those products the list the next turn
//!   picks from ("add the second one"), drawn as product cards;
//! - `{ cite = "help-contact-support" }` cites a help article in the answer;
//! - `{ card = { ticket = "ticket" } }` draws results as the turn's cards.
//!
//! A value is a path into a result (`recs.area`), into the turn's `slots`
//! (`slots.order_id`) or the customer's `message`; `money(path)`,
//! `list(path)` (products as a numbered list), `titles(path)` (the `title`s
//! of a list, joined by commas), `cut(path, n)` (at most n
//! characters) or `say(template)` (another template, filled from the same
//! `with`). `check` refuses at start-up a flow that names an unknown tool,
//! template or result. An empty value (`about = ""`) fills nothing in.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::slots::Slots;
use super::{basket, DialogueState, TurnBuilder};
use crate::commerce::money::format_inr;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub(super) enum Step {
    Call {
        call: String,
        #[serde(default)]
        args: Map<String, Value>,
        #[serde(default)]
        from: BTreeMap<String, String>,
        #[serde(rename = "as")]
        name: Option<String>,
        #[serde(default)]
        optional: bool,
        /// The template a failure answers with (the error as `{reason}` and
        /// `{message}`); `error` when not given.
        or_say: Option<String>,
    },
    If {
        #[serde(rename = "if")]
        cond: String,
        #[serde(default)]
        then: Vec<Step>,
        #[serde(default, rename = "else")]
        otherwise: Vec<Step>,
    },
    Say {
        say: String,
        #[serde(default)]
        with: BTreeMap<String, String>,
    },
    Show {
        show: String,
    },
    Cite {
        cite: String,
    },
    Card {
        card: BTreeMap<String, String>,
    },
}

/// Values every flow may read: the customer's words and the turn's slots.
const GIVEN: [&str; 2] = ["message", "slots"];

/// A value expression: what a `with`, `if` or `show` names.
enum Expr<'a> {
    Path(&'a str),
    Money(&'a str),
    List(&'a str),
    Titles(&'a str),
    Cut(&'a str, usize),
    Say(&'a str),
}

fn parse(e: &str) -> Expr<'_> {
    let call = |f: &str| {
        e.strip_prefix(f)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
    };
    if let Some(p) = call("money") {
        Expr::Money(p)
    } else if let Some(p) = call("list") {
        Expr::List(p)
    } else if let Some(p) = call("titles") {
        Expr::Titles(p)
    } else if let Some(t) = call("say") {
        Expr::Say(t)
    } else if let Some((p, n)) = call("cut").and_then(|a| a.split_once(',')) {
        match n.trim().parse() {
            Ok(n) => Expr::Cut(p.trim(), n),
            Err(_) => Expr::Path(e),
        }
    } else {
        Expr::Path(e)
    }
}

/// Checks a flow's steps: tools it may call, templates that exist, and
/// paths into results an earlier step named.
pub(super) fn check(
    flow: &str,
    steps: &[Step],
    tools: &[String],
    replies: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    fn walk(
        flow: &str,
        steps: &[Step],
        tools: &[String],
        replies: &BTreeMap<String, String>,
        named: &mut Vec<String>,
    ) -> anyhow::Result<()> {
        let path = |p: &str, named: &[String]| -> anyhow::Result<()> {
            let root = p.split('.').next().unwrap_or_default();
            anyhow::ensure!(
                named.iter().any(|n| n == root),
                "flow {flow}: `{p}` names no result of an earlier call"
            );
            Ok(())
        };
        let template = |t: &str| -> anyhow::Result<()> {
            anyhow::ensure!(
                replies.contains_key(t),
                "flow {flow}: no template `{t}` in replies.toml"
            );
            Ok(())
        };
        let value = |e: &str, named: &[String]| -> anyhow::Result<()> {
            match parse(e) {
                // Nothing: the placeholder is left empty.
                Expr::Path("") => Ok(()),
                Expr::Path(p)
                | Expr::Money(p)
                | Expr::List(p)
                | Expr::Titles(p)
                | Expr::Cut(p, _) => path(p, named),
                Expr::Say(t) => template(t),
            }
        };
        for step in steps {
            match step {
                Step::Call {
                    call,
                    name,
                    from,
                    or_say,
                    ..
                } => {
                    anyhow::ensure!(
                        tools.contains(call),
                        "flow {flow}: calls `{call}`, which is not in its tools"
                    );
                    if let Some(t) = or_say {
                        template(t)?;
                    }
                    for e in from.values() {
                        value(e, named)?;
                    }
                    named.push(name.clone().unwrap_or_else(|| call.clone()));
                }
                Step::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    path(cond, named)?;
                    walk(flow, then, tools, replies, &mut named.clone())?;
                    walk(flow, otherwise, tools, replies, &mut named.clone())?;
                }
                Step::Say { say, with } => {
                    template(say)?;
                    for e in with.values() {
                        value(e, named)?;
                    }
                }
                Step::Show { show } => path(show, named)?,
                Step::Cite { .. } => {}
                Step::Card { card } => {
                    for p in card.values() {
                        path(p, named)?;
                    }
                }
            }
        }
        Ok(())
    }
    walk(
        flow,
        steps,
        tools,
        replies,
        &mut GIVEN.map(String::from).to_vec(),
    )
}

fn lookup<'v>(results: &'v BTreeMap<String, Value>, path: &str) -> &'v Value {
    let mut parts = path.split('.');
    let root = parts.next().unwrap_or_default();
    let mut v = results.get(root).unwrap_or(&Value::Null);
    for p in parts {
        v = &v[p];
    }
    v
}

fn holds(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl TurnBuilder<'_> {
    /// Runs a flow's steps; the reply is what its `say` steps said.
    pub(super) async fn run_steps(
        &mut self,
        steps: &[Step],
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let mut results: BTreeMap<String, Value> = BTreeMap::from([
            ("message".to_string(), json!(text)),
            ("slots".to_string(), json!(slots)),
        ]);
        let mut said: Vec<String> = Vec::new();
        // Branches run in place of the `if`, so the steps form a stack.
        let mut todo: Vec<&Step> = steps.iter().rev().collect();
        while let Some(step) = todo.pop() {
            match step {
                Step::Call {
                    call,
                    args,
                    from,
                    name,
                    optional,
                    or_say,
                } => {
                    let mut args = args.clone();
                    for (arg, e) in from {
                        let v = self.value(&results, e);
                        if !v.is_empty() {
                            args.insert(arg.clone(), json!(v));
                        }
                    }
                    let name = name.clone().unwrap_or_else(|| call.clone());
                    match self.tool(call, Value::Object(args), key.clone()).await {
                        Ok(r) => {
                            results.insert(name, r);
                        }
                        Err(_) if *optional => {
                            results.insert(name, Value::Null);
                        }
                        Err(e) => {
                            let t = or_say.as_deref().unwrap_or("error");
                            return self.say(t, &[("message", e.clone()), ("reason", e)]);
                        }
                    }
                }
                Step::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let branch = if holds(lookup(&results, cond)) {
                        then
                    } else {
                        otherwise
                    };
                    todo.extend(branch.iter().rev());
                }
                Step::Say { say, with } => {
                    let vars: Vec<(&str, String)> = with
                        .iter()
                        .filter(|(_, e)| !matches!(parse(e), Expr::Say(_)))
                        .map(|(k, e)| (k.as_str(), self.value(&results, e)))
                        .collect();
                    // A nested template is filled from the same variables.
                    let nested: Vec<(&str, String)> = with
                        .iter()
                        .filter_map(|(k, e)| match parse(e) {
                            Expr::Say(t) => Some((k.as_str(), self.say(t, &vars))),
                            _ => None,
                        })
                        .collect();
                    let all: Vec<(&str, String)> = vars.into_iter().chain(nested).collect();
                    said.push(self.say(say, &all));
                }
                Step::Show { show } => {
                    let cards = self.cards_of(lookup(&results, show));
                    self.show(cards, state);
                }
                Step::Cite { cite } => self.citations.push(cite.clone()),
                Step::Card { card } => {
                    for (k, p) in card {
                        self.cards[k.as_str()] = lookup(&results, p).clone();
                    }
                }
            }
        }
        said.join(" ")
    }

    /// Product cards for the items of a tool's answer (each with a `product_id`).
    pub(super) fn cards_of(&self, items: &Value) -> Vec<Value> {
        let k = self.env.knowledge;
        items
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["product_id"].as_str().and_then(|id| k.product(id)))
            .map(|p| basket::card(k, p))
            .collect()
    }

    /// Shows `cards` as the list the next turn picks from ("the second one").
    pub(super) fn show(&mut self, cards: Vec<Value>, state: &mut DialogueState) {
        state.shown = cards
            .iter()
            .filter_map(|c| c["product_id"].as_str().map(str::to_string))
            .collect();
        state.searched = None;
        state.firsts.clear();
        self.cards = json!({ "products": cards });
    }

    fn value(&self, results: &BTreeMap<String, Value>, e: &str) -> String {
        match parse(e) {
            Expr::Path(p) => text(lookup(results, p)),
            Expr::Money(p) => format_inr(lookup(results, p).as_i64().unwrap_or(0)),
            Expr::List(p) => self.list(&self.cards_of(lookup(results, p))),
            Expr::Titles(p) => lookup(results, p)
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["title"].as_str())
                .collect::<Vec<_>>()
                .join(", "),
            Expr::Cut(p, n) => text(lookup(results, p)).chars().take(n).collect(),
            // Filled by the caller, with the step's other variables.
            Expr::Say(_) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(src: &str) -> Vec<Step> {
        #[derive(Deserialize)]
        struct F {
            steps: Vec<Step>,
        }
        toml::from_str::<F>(src).unwrap().steps
    }

    #[test]
    fn a_flow_naming_what_does_not_exist_is_refused_at_load() {
        let replies: BTreeMap<String, String> =
            [("done".to_string(), "Done {n}.".to_string())].into();
        let tools = vec!["view_cart".to_string()];
        let good = steps(
            r#"steps = [{ call = "view_cart", as = "cart" },
                        { if = "cart.item_count", then = [{ say = "done", with = { n = "money(cart.total_minor)" } }] }]"#,
        );
        assert!(check("f", &good, &tools, &replies).is_ok());
        // The customer's words and the slots are there from the start; "" is nothing.
        let given = steps(
            r#"steps = [{ call = "view_cart", from = { q = "cut(message, 5)", id = "slots.order_id" }, optional = true },
                        { cite = "help-cart" }, { card = { cart = "view_cart" } }, { say = "done", with = { n = "" } }]"#,
        );
        assert!(check("f", &given, &tools, &replies).is_ok());
        for (src, wanted) in [
            (r#"steps = [{ call = "checkout" }]"#, "not in its tools"),
            (r#"steps = [{ say = "nope" }]"#, "no template `nope`"),
            (r#"steps = [{ show = "cart.items" }]"#, "no result"),
            (
                r#"steps = [{ call = "view_cart" }, { say = "done", with = { n = "say(gone)" } }]"#,
                "no template `gone`",
            ),
            (
                r#"steps = [{ call = "view_cart", from = { q = "status.order.id" } }]"#,
                "`status.order.id` names no result",
            ),
        ] {
            let e = check("f", &steps(src), &tools, &replies).unwrap_err();
            assert!(e.to_string().contains(wanted), "{src}: {e}");
        }
    }

    #[test]
    fn cut_keeps_at_most_n_characters() {
        assert!(matches!(
            parse("cut(message, 500)"),
            Expr::Cut("message", 500)
        ));
        assert!(matches!(parse("cut(message, many)"), Expr::Path(_)));
    }

    #[test]
    fn conditions_hold_when_a_value_has_something() {
        let results: BTreeMap<String, Value> = [(
            "r".to_string(),
            json!({"items": [], "n": 0, "s": "x", "o": {"a": 1}}),
        )]
        .into();
        assert!(!holds(lookup(&results, "r.items")));
        assert!(!holds(lookup(&results, "r.n")));
        assert!(!holds(lookup(&results, "r.missing")));
        assert!(holds(lookup(&results, "r.s")));
        assert!(holds(lookup(&results, "r.o")));
        assert_eq!(text(lookup(&results, "r.o.a")), "1");
    }
}
