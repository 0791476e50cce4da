//! Recorded dialogues (YAML files under `evals/dialogues/`) and the checks a
//! replayed turn is held to. The format is documented in `evals/README.md`.
//!
//! Everything here is pure: [`check_turn`] compares what the server did (an
//! [`Observed`] turn) with what the dialogue expects, so the rules are tested
//! without a server.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dialogue {
    pub id: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub given: Given,
    pub turns: Vec<TurnSpec>,
    /// The file it came from, for messages.
    #[serde(skip)]
    pub file: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Customer,
    Assist,
}

/// The state a dialogue starts from, built through the API before turn one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Given {
    /// The seeded customer whose profile the fresh customer copies.
    pub like: Option<String>,
    #[serde(default)]
    pub cart: Vec<CartItem>,
    /// Orders by name; `{order.NAME}` in any text becomes the order's id.
    #[serde(default)]
    pub orders: BTreeMap<String, OrderSpec>,
    pub ticket: Option<TicketSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartItem {
    pub product: String,
    #[serde(default = "one")]
    pub quantity: u32,
    /// Option group -> choices, as `/v1/cart/items` takes them.
    #[serde(default)]
    pub options: crate::knowledge::Selection,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSpec {
    pub items: Vec<CartItem>,
    pub state: String,
    /// Minutes in `state` (lifecycle minutes while active).
    #[serde(default)]
    pub minutes: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketSpec {
    /// Name of one of the given orders.
    pub order: Option<String>,
    pub subject: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnSpec {
    pub user: String,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Calls that must be made (other calls are allowed but lower precision).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolExpect>,
    /// Tools that must not be called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_tools: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart: Option<CartExpect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderExpect>,
    /// Whether a ride was booked in this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ride_booked: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyExpect>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ToolExpect {
    pub name: String,
    /// Expected arguments; compared per `match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Value>,
    #[serde(default, rename = "match")]
    pub matching: ArgMatch,
    /// Dotted paths left out of the comparison, e.g. `query` or `items.0.note`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgMatch {
    /// Every expected key is present with a matching value; others are ignored.
    #[default]
    Partial,
    /// The arguments equal the expected ones, ignored paths aside.
    Exact,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CartExpect {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineExpect>,
    /// No lines beyond the expected ones.
    #[serde(default)]
    pub exact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty: Option<bool>,
}

/// A cart line by product id, category or a word of its title.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LineExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Range>,
    /// Option group -> the choices the line must have (others are not checked).
    #[serde(default, skip_serializing_if = "crate::knowledge::Selection::is_empty")]
    pub options: crate::knowledge::Selection,
}

/// A number, or `[min, max]` inclusive.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Range {
    One(i64),
    Between([i64; 2]),
}

impl Range {
    pub fn holds(&self, v: i64) -> bool {
        match *self {
            Range::One(x) => v == x,
            Range::Between([lo, hi]) => lo <= v && v <= hi,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrderExpect {
    /// Name of a given order.
    #[serde(rename = "ref")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_minor: Option<Range>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyExpect {
    /// Each must appear (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    /// At least one must appear (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Help article ids the turn must cite.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cites: Vec<String>,
}

/// Reads every `*.yaml` file under `dir` (each a list of dialogues), checking
/// that ids are unique and every regex compiles.
pub fn load(dir: &Path) -> anyhow::Result<Vec<Dialogue>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut out: Vec<Dialogue> = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        let mut ds: Vec<Dialogue> =
            serde_yaml::from_str(&text).with_context(|| format!("parsing {}", f.display()))?;
        for d in &mut ds {
            d.file = f.file_name().unwrap_or_default().to_string_lossy().into();
            anyhow::ensure!(
                !d.turns.is_empty(),
                "{}: dialogue {} has no turns",
                d.file,
                d.id
            );
            anyhow::ensure!(
                out.iter().all(|o| o.id != d.id),
                "{}: dialogue id {} is used twice",
                d.file,
                d.id
            );
            if let Some(t) = &d.given.ticket {
                if let Some(o) = &t.order {
                    anyhow::ensure!(
                        d.given.orders.contains_key(o),
                        "{}: {} ticket names unknown order {o}",
                        d.file,
                        d.id
                    );
                }
            }
            anyhow::ensure!(
                d.mode == Mode::Customer || d.given.ticket.is_some(),
                "{}: assist dialogue {} needs a given ticket",
                d.file,
                d.id
            );
            for t in &d.turns {
                if let Some(r) = t.expect.reply.as_ref().and_then(|r| r.regex.as_ref()) {
                    regex::Regex::new(r).with_context(|| format!("{}: {}", d.file, d.id))?;
                }
            }
        }
        out.extend(ds);
    }
    Ok(out)
}

/// Ids a dialogue's fixtures received, for `{order.NAME}`, `{ticket}` and `{customer}`.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub customer: String,
    pub ticket: String,
    pub orders: BTreeMap<String, String>,
}

impl Vars {
    pub fn sub(&self, s: &str) -> String {
        let mut out = s
            .replace("{customer}", &self.customer)
            .replace("{ticket}", &self.ticket);
        for (name, id) in &self.orders {
            out = out.replace(&format!("{{order.{name}}}"), id);
        }
        out
    }

    fn sub_value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.sub(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.sub_value(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.sub_value(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// What the server did in one turn, and the state read back after it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Observed {
    pub reply: String,
    /// `{name, arguments, ok, result}` as `/v1/chat` returns them.
    pub tool_calls: Vec<Value>,
    pub citations: Vec<String>,
    /// Cart lines `{product_id, category, title, quantity}`, when the turn checks the cart.
    pub cart: Option<Vec<Value>>,
    /// The order named by the turn's order check, as `GET /v1/orders/{id}` returned it.
    pub order: Option<Value>,
    /// Whether a ride now exists from a `book_ride` call of this turn.
    pub ride_booked: bool,
}

/// One failed check of one turn.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub check: String,
    pub expected: Value,
    pub actual: Value,
}

/// Counts for tool-call and cart precision and recall.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Ratio with nothing-to-score counting as perfect.
fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TurnScore {
    pub failures: Vec<Failure>,
    pub tools: Counts,
    pub cart: Counts,
}

/// Holds an observed turn to its expectations.
pub fn check_turn(expect: &Expect, vars: &Vars, seen: &Observed) -> TurnScore {
    let mut score = TurnScore::default();
    let mut fail = |check: &str, expected: Value, actual: Value| {
        score.failures.push(Failure {
            check: check.into(),
            expected,
            actual,
        })
    };
    let names: Vec<&str> = seen
        .tool_calls
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();

    // Tool calls: each expected one matched by a distinct actual call.
    let mut used = vec![false; seen.tool_calls.len()];
    let mut tools = Counts::default();
    for t in &expect.tools {
        let want = t.args.as_ref().map(|a| vars.sub_value(a));
        let hit = seen.tool_calls.iter().enumerate().position(|(i, c)| {
            !used[i]
                && c["name"] == t.name.as_str()
                && want
                    .as_ref()
                    .is_none_or(|w| args_match(w, &c["arguments"], t.matching, &t.ignore))
        });
        match hit {
            Some(i) => {
                used[i] = true;
                tools.tp += 1;
            }
            None => {
                tools.fn_ += 1;
                fail(
                    "tool_call",
                    json!({ "name": t.name, "args": want }),
                    json!(seen
                        .tool_calls
                        .iter()
                        .map(|c| json!({ "name": c["name"], "arguments": c["arguments"] }))
                        .collect::<Vec<_>>()),
                );
            }
        }
    }
    if !expect.tools.is_empty() {
        tools.fp += used.iter().filter(|u| !**u).count() as u32;
    }
    for banned in &expect.no_tools {
        let n = names.iter().filter(|n| *n == banned).count() as u32;
        if n > 0 {
            tools.fp += n;
            fail("no_tool", json!(banned), json!(names));
        }
    }
    score.tools = tools;

    if let Some(c) = &expect.cart {
        let lines = seen.cart.clone().unwrap_or_default();
        if let Some(empty) = c.empty {
            if empty != lines.is_empty() {
                fail("cart.empty", json!(empty), json!(lines));
            }
        }
        let mut used = vec![false; lines.len()];
        let mut counts = Counts::default();
        for want in &c.lines {
            let want = LineExpect {
                product: want.product.as_ref().map(|p| vars.sub(p)),
                ..want.clone()
            };
            match lines
                .iter()
                .enumerate()
                .position(|(i, l)| !used[i] && line_matches(&want, l))
            {
                Some(i) => {
                    used[i] = true;
                    counts.tp += 1;
                }
                None => {
                    counts.fn_ += 1;
                    fail("cart.line", json!(want), json!(lines));
                }
            }
        }
        // Without `exact` the lines are a minimum, so extra lines are not errors.
        if c.exact {
            counts.fp = used.iter().filter(|u| !**u).count() as u32;
            if counts.fp > 0 {
                fail("cart.exact", json!(c.lines), json!(lines));
            }
        }
        score.cart = counts;
    }

    if let Some(o) = &expect.order {
        let order = seen.order.clone().unwrap_or(Value::Null);
        if let Some(s) = &o.status {
            if order["status"] != s.as_str() {
                fail("order.status", json!(s), order["status"].clone());
            }
        }
        if let Some(r) = &o.refunded_minor {
            let got = order["refunded_minor"].as_i64().unwrap_or(-1);
            if !r.holds(got) {
                fail("order.refunded_minor", json!(r), json!(got));
            }
        }
    }

    if let Some(b) = expect.ride_booked {
        if b != seen.ride_booked {
            fail("ride_booked", json!(b), json!(seen.ride_booked));
        }
    }

    if let Some(r) = &expect.reply {
        let reply = seen.reply.to_lowercase();
        for w in &r.contains {
            if !reply.contains(&vars.sub(w).to_lowercase()) {
                fail("reply.contains", json!(w), json!(seen.reply));
            }
        }
        if !r.any.is_empty()
            && !r
                .any
                .iter()
                .any(|w| reply.contains(&vars.sub(w).to_lowercase()))
        {
            fail("reply.any", json!(r.any), json!(seen.reply));
        }
        for w in &r.not_contains {
            if reply.contains(&vars.sub(w).to_lowercase()) {
                fail("reply.not_contains", json!(w), json!(seen.reply));
            }
        }
        if let Some(re) = &r.regex {
            // Compiled when the dialogues were loaded.
            let ok = regex::RegexBuilder::new(re)
                .case_insensitive(true)
                .build()
                .is_ok_and(|re| re.is_match(&seen.reply));
            if !ok {
                fail("reply.regex", json!(re), json!(seen.reply));
            }
        }
        for id in &r.cites {
            if !seen.citations.contains(id) {
                fail("reply.cites", json!(id), json!(seen.citations));
            }
        }
    }
    score
}

fn line_matches(want: &LineExpect, line: &Value) -> bool {
    let field = |k: &str| line[k].as_str().unwrap_or_default().to_lowercase();
    want.product
        .as_ref()
        .is_none_or(|p| field("product_id") == p.to_lowercase())
        && want
            .category
            .as_ref()
            .is_none_or(|c| field("category") == c.to_lowercase())
        && want
            .title
            .as_ref()
            .is_none_or(|t| field("title").contains(&t.to_lowercase()))
        && want
            .quantity
            .is_none_or(|q| q.holds(line["quantity"].as_i64().unwrap_or(0)))
        && want.options.iter().all(|(g, cs)| {
            let picked: Vec<&str> = line["options"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["group"] == g.as_str())
                .filter_map(|p| p["choice"].as_str())
                .collect();
            picked == cs.iter().map(String::as_str).collect::<Vec<_>>()
        })
}

/// Whether `actual` arguments satisfy `expected`, leaving out `ignore` paths.
pub fn args_match(expected: &Value, actual: &Value, how: ArgMatch, ignore: &[String]) -> bool {
    let mut e = expected.clone();
    let mut a = actual.clone();
    for path in ignore {
        remove_path(&mut e, path);
        remove_path(&mut a, path);
    }
    match how {
        ArgMatch::Exact => values_equal(&e, &a, false),
        ArgMatch::Partial => values_equal(&e, &a, true),
    }
}

/// Equality where strings compare case-insensitively and numbers by value;
/// with `partial`, objects only need the expected keys.
fn values_equal(e: &Value, a: &Value, partial: bool) -> bool {
    match (e, a) {
        (Value::String(x), Value::String(y)) => x.trim().eq_ignore_ascii_case(y.trim()),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y, partial))
        }
        (Value::Object(x), Value::Object(y)) => {
            (partial || x.len() == y.len())
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w, partial)))
        }
        _ => e == a,
    }
}

fn remove_path(v: &mut Value, path: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut cur = v;
    for p in parts {
        let next = match cur {
            Value::Object(o) => o.get_mut(p),
            Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    match cur {
        Value::Object(o) => {
            o.remove(last);
        }
        Value::Array(a) => {
            if let Some(i) = last.parse::<usize>().ok().filter(|i| *i < a.len()) {
                a.remove(i);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Value) -> Value {
        json!({ "name": name, "arguments": args, "ok": true })
    }

    fn expect(yaml: &str) -> Expect {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn partial_exact_and_ignored_arguments() {
        let actual = json!({ "query": "Basmati Rice", "limit": 5, "tags": ["vegan"] });
        let p = ArgMatch::Partial;
        assert!(args_match(
            &json!({ "query": "basmati rice" }),
            &actual,
            p,
            &[]
        ));
        assert!(!args_match(&json!({ "query": "rice" }), &actual, p, &[]));
        assert!(!args_match(
            &json!({ "query": "basmati rice" }),
            &actual,
            ArgMatch::Exact,
            &[]
        ));
        let ignore = ["limit".to_string(), "tags".to_string()];
        assert!(args_match(
            &json!({ "query": "basmati rice" }),
            &actual,
            ArgMatch::Exact,
            &ignore
        ));
        let nested = json!({ "items": [{ "id": "a", "note": "x" }] });
        assert!(args_match(
            &json!({ "items": [{ "id": "a", "note": "y" }] }),
            &nested,
            ArgMatch::Exact,
            &["items.0.note".to_string()]
        ));
    }

    #[test]
    fn tool_counts_forbidden_calls_and_substitution() {
        let e = expect(
            "tools:\n  - name: order_status\n    args: {order_id: '{order.late}'}\nno_tools: [request_refund]\n",
        );
        let vars = Vars {
            orders: [("late".to_string(), "o-1".to_string())].into(),
            ..Default::default()
        };
        let seen = Observed {
            tool_calls: vec![
                call("order_status", json!({ "order_id": "o-1" })),
                call("search_help", json!({ "query": "late" })),
            ],
            ..Default::default()
        };
        let s = check_turn(&e, &vars, &seen);
        assert!(s.failures.is_empty(), "{:?}", s.failures);
        assert_eq!((s.tools.tp, s.tools.fp, s.tools.fn_), (1, 1, 0));

        let bad = Observed {
            tool_calls: vec![call("request_refund", json!({}))],
            ..Default::default()
        };
        let s = check_turn(&e, &vars, &bad);
        let checks: Vec<&str> = s.failures.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(checks, ["tool_call", "no_tool"]);
        assert_eq!((s.tools.tp, s.tools.fp, s.tools.fn_), (0, 2, 1));
    }

    #[test]
    fn cart_lines_by_product_category_title_and_range() {
        let e = expect(
            "cart:\n  exact: true\n  lines:\n    - {category: rice, quantity: [1, 3]}\n    - {title: onion}\n",
        );
        let line = |id: &str, cat: &str, title: &str, q: i64| json!({ "product_id": id, "category": cat, "title": title, "quantity": q });
        let seen = Observed {
            cart: Some(vec![
                line("p-1", "rice", "Basmati Rice", 2),
                line("p-2", "vegetables", "Red Onion", 1),
            ]),
            ..Default::default()
        };
        let s = check_turn(&e, &Vars::default(), &seen);
        assert!(s.failures.is_empty(), "{:?}", s.failures);
        let extra = Observed {
            cart: Some(vec![
                line("p-1", "rice", "Basmati Rice", 4),
                line("p-2", "vegetables", "Red Onion", 1),
                line("p-3", "snacks", "Chips", 1),
            ]),
            ..Default::default()
        };
        let s = check_turn(&e, &Vars::default(), &extra);
        let checks: Vec<&str> = s.failures.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(checks, ["cart.line", "cart.exact"]);
        assert_eq!((s.cart.tp, s.cart.fp, s.cart.fn_), (1, 2, 1));
    }

    #[test]
    fn reply_checks() {
        let e = expect(
            "reply:\n  contains: [refund]\n  any: [sorry, apolog]\n  not_contains: [error]\n  regex: '₹\\s?\\d+'\n  cites: [help-refund-policy]\n",
        );
        let seen = Observed {
            reply: "Sorry about that. Your REFUND of ₹120 is on its way.".into(),
            citations: vec!["help-refund-policy".into()],
            ..Default::default()
        };
        assert!(check_turn(&e, &Vars::default(), &seen).failures.is_empty());
        let seen = Observed {
            reply: "An error happened.".into(),
            ..Default::default()
        };
        assert_eq!(check_turn(&e, &Vars::default(), &seen).failures.len(), 5);
    }
}
