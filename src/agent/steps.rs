//! Flows written as steps in `prompts/flows.toml`, in the spirit of Rasa
//! CALM: a flow with `steps` runs them in order, and needs no Rust.
//!
//! - `{ call = "recommend", args = { kind = "new" }, as = "recs" }` runs a tool
//!   of the flow (its arguments checked by the tool's schema) and names the
//!   result (the tool's name when `as` is left out);
//! - `{ if = "recs.items", then = [...], else = [...] }` branches on whether
//!   a value holds something (not null, false, 0, "" or empty);
//! - `{ say = "recs_new", with = { list = "list(recs.items)" } }` answers with
//!   a template of `replies.toml`;
//! - `{ show = "recs.items" }` makes those products the list the next turn
//!   picks from ("add the second one"), drawn as product cards.
//!
//! A value is a path into a result (`recs.area`), `money(path)`, `list(path)`
//! (products as a numbered list) or `say(template)` (another template, filled
//! from the same `with`). `check` refuses at start-up a flow that names an
//! unknown tool, template or result.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{basket, DialogueState, TurnBuilder};
use crate::commerce::money::format_inr;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub(super) enum Step {
    Call {
        call: String,
        #[serde(default)]
        args: Map<String, Value>,
        #[serde(rename = "as")]
        name: Option<String>,
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
}

/// A value expression: what a `with`, `if` or `show` names.
enum Expr<'a> {
    Path(&'a str),
    Money(&'a str),
    List(&'a str),
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
    } else if let Some(t) = call("say") {
        Expr::Say(t)
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
        for step in steps {
            match step {
                Step::Call { call, name, .. } => {
                    anyhow::ensure!(
                        tools.contains(call),
                        "flow {flow}: calls `{call}`, which is not in its tools"
                    );
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
                        match parse(e) {
                            Expr::Path(p) | Expr::Money(p) | Expr::List(p) => path(p, named)?,
                            Expr::Say(t) => template(t)?,
                        }
                    }
                }
                Step::Show { show } => path(show, named)?,
            }
        }
        Ok(())
    }
    walk(flow, steps, tools, replies, &mut Vec::new())
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
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let mut results: BTreeMap<String, Value> = BTreeMap::new();
        let mut said: Vec<String> = Vec::new();
        // Branches run in place of the `if`, so the steps form a stack.
        let mut todo: Vec<&Step> = steps.iter().rev().collect();
        while let Some(step) = todo.pop() {
            match step {
                Step::Call { call, args, name } => {
                    match self
                        .tool(call, Value::Object(args.clone()), key.clone())
                        .await
                    {
                        Ok(r) => {
                            results.insert(name.clone().unwrap_or_else(|| call.clone()), r);
                        }
                        Err(e) => return self.say("error", &[("message", e)]),
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
        for (src, wanted) in [
            (r#"steps = [{ call = "checkout" }]"#, "not in its tools"),
            (r#"steps = [{ say = "nope" }]"#, "no template `nope`"),
            (r#"steps = [{ show = "cart.items" }]"#, "no result"),
            (
                r#"steps = [{ call = "view_cart" }, { say = "done", with = { n = "say(gone)" } }]"#,
                "no template `gone`",
            ),
        ] {
            let e = check("f", &steps(src), &tools, &replies).unwrap_err();
            assert!(e.to_string().contains(wanted), "{src}: {e}");
        }
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
