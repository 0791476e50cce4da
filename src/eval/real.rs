//! `errand eval real`: replays real crowd-written dialogues that nobody here
//! wrote (Taskmaster-4 coffee orders, SGD ride requests, Bitext support
//! requests) through `POST /v1/chat` and scores what Errand *did*: the final
//! basket, the flow a request was routed to, the ride quoted.
//!
//! Every file is split by one fixed rule, [`part`]: a hash of the dialogue's
//! id (the utterance itself for Bitext). Tuning looks only at the `tune`
//! part; the `validate` part is reported beside it to show what generalises.
//! How the sets' labels map onto Errand (Bitext intents to flows, the
//! Taskmaster menu to the cafe's products) is data in `prompts/real.toml`,
//! which also says what `errand index` may train on.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Context;
use serde::Serialize;
use serde_json::{json, Value};

use super::client::Client;
use super::replay::{fixture, ok as call};
use crate::agent::training::{fnv, part};
pub use crate::agent::training::{Map, Part};
use crate::knowledge::Knowledge;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Set {
    Taskmaster4,
    Sgd,
    Bitext,
    Clinc150,
}

/// One dialogue to replay: the customer's turns and what should come of them.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub part: Part,
    pub turns: Vec<String>,
    pub gold: Gold,
}

#[derive(Debug, Clone)]
pub enum Gold {
    /// Product id to quantity, for what the customer ordered.
    Basket(BTreeMap<String, u32>),
    /// The set's own label, and the Errand intent (and article) it maps to.
    Route {
        label: String,
        intent: String,
        article: Option<String>,
    },
    /// The gazetteer place substituted for the destination, and the party size.
    Ride {
        to: String,
        riders: Option<u32>,
        shared: bool,
        /// The set's agent booked the ride (a GetRide call): the customer agreed.
        booked: bool,
    },
}

/// Reads one set's file into cases. Dialogues whose gold cannot be stated
/// in Errand's terms (an item the cafe does not sell, a Bitext intent the map
/// does not name, a ride with no destination) are counted in `skipped`.
pub fn load(set: Set, file: &Path, map: &Map, k: &Knowledge) -> anyhow::Result<(Vec<Case>, usize)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match set {
        Set::Bitext => bitext(&text, map),
        Set::Taskmaster4 => taskmaster4(&text, map, k),
        Set::Sgd => sgd(&text, k),
        Set::Clinc150 => clinc150(&text, map),
    }
}

fn bitext(text: &str, map: &Map) -> anyhow::Result<(Vec<Case>, usize)> {
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let mut cases = Vec::new();
    let mut skipped = 0;
    for (i, row) in rows.records().enumerate() {
        let row = row.with_context(|| format!("bitext row {}", i + 2))?;
        let (utterance, label) = (
            row.get(1).unwrap_or_default(),
            row.get(3).unwrap_or_default(),
        );
        let Some(route) = map.bitext.get(label) else {
            skipped += 1;
            continue;
        };
        cases.push(Case {
            id: utterance.to_string(),
            part: part(utterance),
            turns: vec![utterance.to_string()],
            gold: Gold::Route {
                label: label.to_string(),
                intent: route.intent.clone(),
                article: route.article.clone(),
            },
        });
    }
    Ok((cases, skipped))
}

/// CLINC150's development part: `train` and `oos_train` are its tuning
/// part, `val` and `oos_val` its validation part (the set's own split).
fn clinc150(text: &str, map: &Map) -> anyhow::Result<(Vec<Case>, usize)> {
    let d: BTreeMap<String, Vec<(String, String)>> =
        serde_json::from_str(text).context("reading the CLINC150 set")?;
    let mut cases = Vec::new();
    for (key, part) in [
        ("train", Part::Tune),
        ("oos_train", Part::Tune),
        ("val", Part::Validate),
        ("oos_val", Part::Validate),
    ] {
        for (utterance, label) in d.get(key).into_iter().flatten() {
            let label = if key.starts_with("oos") { "oos" } else { label };
            cases.push(Case {
                id: format!("{key}:{utterance}"),
                part,
                turns: vec![utterance.clone()],
                gold: Gold::Route {
                    label: label.to_string(),
                    intent: crate::agent::training::clinc150_intent(map, utterance, label),
                    article: None,
                },
            });
        }
    }
    Ok((cases, 0))
}

/// Tools that change what the customer has or owes: a request that is not
/// Errand's job must never reach one, nor leave one waiting for a yes.
const WRITES: [&str; 13] = [
    "add_to_cart",
    "remove_from_cart",
    "clear_cart",
    "set_cart_quantity",
    "set_cart_options",
    "recipe_basket",
    "apply_coupon",
    "cancel_order",
    "request_refund",
    "create_ticket",
    "checkout",
    "book_ride",
    "give_feedback",
];

/// A gold order line: the product (if the cafe sells it), quantity, (group, choice) pairs.
type GoldLine = (Option<String>, u32, Vec<(String, String)>);

/// A basket line as scored: the product and the options that differ from
/// how it comes, sizes left out (Taskmaster-4 never annotates them).
fn line_key(k: &Knowledge, product: &str, options: Vec<(String, String)>) -> String {
    let defaults: Vec<(&str, &str)> = k
        .product(product)
        .into_iter()
        .flat_map(|p| &p.options)
        .flat_map(|g| g.default.iter().map(|c| (g.id.as_str(), c.as_str())))
        .collect();
    let mut said: Vec<String> = options
        .iter()
        .filter(|(g, c)| g != "size" && !defaults.contains(&(g.as_str(), c.as_str())))
        .map(|(g, c)| format!("{g}={c}"))
        .collect();
    said.sort();
    said.dedup();
    if said.is_empty() {
        product.to_string()
    } else {
        format!("{product} {}", said.join(";"))
    }
}

/// Lowercase words of a menu item id or name, without its numeric suffix.
fn menu_name(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn taskmaster4(text: &str, map: &Map, k: &Knowledge) -> anyhow::Result<(Vec<Case>, usize)> {
    let product = |name: &str| -> Option<String> {
        let name = menu_name(name);
        let title = map
            .taskmaster4
            .items
            .get(&name)
            .map(|t| menu_name(t))
            .unwrap_or(name);
        k.products
            .iter()
            .find(|p| p.merchant_id == map.taskmaster4.cafe && menu_name(&p.title) == title)
            .map(|p| p.id.clone())
    };
    let mut cases = Vec::new();
    let mut skipped = 0;
    for (n, line) in text.lines().enumerate() {
        let d: Value =
            serde_json::from_str(line).with_context(|| format!("taskmaster4 line {}", n + 1))?;
        let id = d["conversation_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut turns = Vec::new();
        // order_item_id -> (product, quantity, options), as the gold agent built it.
        let mut items: BTreeMap<String, GoldLine> = BTreeMap::new();
        let mut broken = false;
        for u in d["utterances"].as_array().into_iter().flatten() {
            if u["speaker"] == "user" {
                turns.push(u["text"].as_str().unwrap_or_default().to_string());
            }
            let anns = u["annotations"].as_array().cloned().unwrap_or_default();
            for (i, a) in anns.iter().enumerate() {
                let call = a["value"].as_str().unwrap_or_default();
                if a["name"] != "api_call"
                    || !matches!(call, "add_order_item" | "update_order_item")
                {
                    continue;
                }
                let parse = |j: usize| -> Option<Value> {
                    serde_json::from_str(anns.get(j)?["value"].as_str()?).ok()
                };
                let (Some(req), resp) = (parse(i + 1), parse(i + 3)) else {
                    broken = true;
                    continue;
                };
                let qty = |v: &Value| -> Option<u32> {
                    v["quantity"]
                        .as_str()
                        .and_then(|q| q.trim().parse().ok())
                        .or(v["quantity"].as_u64().map(|q| q as u32))
                };
                let said = || -> Option<Vec<(String, String)>> {
                    let attrs = req["attributes"].as_array();
                    let addons = req["addons"].as_array();
                    if attrs.is_none() && addons.is_none() {
                        return None;
                    }
                    let names = attrs
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a["option"].as_str())
                        .chain(
                            addons
                                .into_iter()
                                .flatten()
                                .filter_map(|a| a["addon_id"].as_str()),
                        );
                    Some(
                        names
                            .filter_map(|n| map.taskmaster4.options.get(&menu_name(n)))
                            .filter_map(|gc| gc.split_once('='))
                            .map(|(g, c)| (g.to_string(), c.to_string()))
                            .collect(),
                    )
                };
                if call == "add_order_item" {
                    let item = resp
                        .as_ref()
                        .and_then(|r| r["order_item_id"].as_str().map(str::to_string))
                        .unwrap_or_else(|| format!("#{}", items.len()));
                    let p = req["menu_item_id"].as_str().and_then(product);
                    items.insert(
                        item,
                        (p, qty(&req).unwrap_or(1), said().unwrap_or_default()),
                    );
                } else if let Some(e) = req["order_item_id"].as_str().and_then(|i| items.get_mut(i))
                {
                    if let Some(q) = qty(&req) {
                        e.1 = q;
                    }
                    if let Some(o) = said() {
                        e.2 = o;
                    }
                }
            }
        }
        let mut basket = BTreeMap::new();
        for (p, q, options) in items.into_values() {
            match p {
                Some(p) if q > 0 => *basket.entry(line_key(k, &p, options)).or_insert(0) += q,
                Some(_) => {}
                None => broken = true,
            }
        }
        if broken || basket.is_empty() || turns.is_empty() {
            skipped += 1;
            continue;
        }
        cases.push(Case {
            part: part(&id),
            id,
            turns,
            gold: Gold::Basket(basket),
        });
    }
    Ok((cases, skipped))
}

fn sgd(text: &str, k: &Knowledge) -> anyhow::Result<(Vec<Case>, usize)> {
    anyhow::ensure!(!k.places.is_empty(), "the gazetteer is empty");
    let mut cases = Vec::new();
    let mut skipped = 0;
    for (n, line) in text.lines().enumerate() {
        let d: Value = serde_json::from_str(line).with_context(|| format!("sgd line {}", n + 1))?;
        let id = d["dialogue_id"].as_str().unwrap_or_default().to_string();
        // A known place stands in for the free-text destination, chosen by the
        // same hash as the split so every run substitutes the same one.
        let place = &k.places[(fnv(&id) / 2 % k.places.len() as u64) as usize].name;
        let mut turns = Vec::new();
        // The destination counts only where the customer says it in a ride
        // turn: "a cab to get there" after a restaurant booking names the
        // place in another service's turns, which are not replayed.
        let mut said = false;
        let mut dest: Option<String> = None;
        let mut riders = None;
        let mut shared = false;
        let mut booked = false;
        for t in d["turns"].as_array().into_iter().flatten() {
            if t["speaker"] != "USER" {
                booked |= t["frames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|f| f["service_call"]["method"] == "GetRide");
                continue;
            }
            let ride_frames = crate::agent::training::ride_frames(t);
            if ride_frames.is_empty() {
                continue;
            }
            let mut utterance = t["utterance"].as_str().unwrap_or_default().to_string();
            let mut spans: Vec<(usize, usize)> = ride_frames
                .iter()
                .flat_map(|f| f["slots"].as_array().cloned().unwrap_or_default())
                .filter(|s| s["slot"] == "destination")
                .filter_map(|s| {
                    Some((
                        s["start"].as_u64()? as usize,
                        s["exclusive_end"].as_u64()? as usize,
                    ))
                })
                .collect();
            spans.sort_unstable();
            spans.dedup();
            for &(a, b) in spans.iter().rev() {
                if b <= utterance.len()
                    && utterance.is_char_boundary(a)
                    && utterance.is_char_boundary(b)
                {
                    utterance.replace_range(a..b, place);
                    said = true;
                }
            }
            for f in &ride_frames {
                let values = &f["state"]["slot_values"];
                if values["destination"].is_array() {
                    dest = Some(place.clone());
                }
                // The party counts where the customer states it in a ride
                // turn (the set's own INFORM act): one carried over from a
                // table booked for 3 was said to another service, whose
                // turns are not replayed.
                for a in f["actions"].as_array().into_iter().flatten() {
                    let slot = a["slot"].as_str().unwrap_or_default();
                    if a["act"] == "INFORM"
                        && matches!(slot, "number_of_riders" | "number_of_seats")
                    {
                        if let Some(v) = a["values"][0].as_str().and_then(|v| v.parse().ok()) {
                            riders = Some(v);
                        }
                    }
                }
                shared |= values["shared_ride"][0] == "True" || values["ride_type"][0] == "Pool";
            }
            turns.push(utterance);
        }
        match dest {
            Some(to) if said => cases.push(Case {
                part: part(&id),
                id,
                turns,
                gold: Gold::Ride {
                    to,
                    riders,
                    shared,
                    booked,
                },
            }),
            _ => skipped += 1,
        }
    }
    Ok((cases, skipped))
}

/// What one replayed case did, scored.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub part: Part,
    /// The Bitext label, or the set's name for dialogue sets.
    pub label: String,
    pub passed: bool,
    /// Taskmaster-4: item precision and recall over units; SGD: riders,
    /// shared honoured and booked where the set booked; Bitext: the article cited.
    pub scores: BTreeMap<String, f64>,
    pub turns: Vec<(String, String, String)>,
    /// Taskmaster-4: the gold basket and the one the customer ended with,
    /// as scored, so a failure shows what differed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baskets: Option<[BTreeMap<String, u32>; 2]>,
    pub error: Option<String>,
}

/// The value of an `{{Placeholder}}` in Bitext utterances.
fn fill(text: &str, order: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(a) = rest.find("{{") {
        let Some(b) = rest[a..].find("}}") else { break };
        out.push_str(&rest[..a]);
        let name = &rest[a + 2..a + b];
        out.push_str(match name {
            "Order Number" => order,
            "Invoice Number" => "INV-20431",
            "Refund Amount" | "Money Amount" => "Rs 250",
            "Delivery City" => "Lakeview",
            "Delivery Country" => "India",
            "Person Name" | "Client First Name" | "Client Last Name" => "Asha",
            "Account Type" | "Account Category" => "Gold",
            _ => "it",
        });
        rest = &rest[a + b + 2..];
    }
    out.push_str(rest);
    out
}

fn replay(c: &Client, k: &Knowledge, case: &Case, order_product: &str) -> anyhow::Result<Outcome> {
    let with_order = matches!(case.gold, Gold::Route { .. });
    let orders = if with_order {
        json!([{ "items": [{ "product_id": order_product }], "state": "preparing" }])
    } else {
        json!([])
    };
    let fx = fixture(c, &json!({ "orders": orders }))?;
    let token = fx["customer_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let order = fx["orders"][0].as_str().unwrap_or_default().to_string();
    let mut session: Option<String> = None;
    let mut turns = Vec::new();
    let mut answers = Vec::new();
    for t in &case.turns {
        let message = fill(t, &order);
        let a = call(
            c,
            "POST",
            "/v1/chat",
            &token,
            Some(&json!({ "message": message, "session_id": session })),
        )
        .with_context(|| format!("turn {message:?}"))?;
        session = a["session_id"].as_str().map(str::to_string);
        turns.push((
            message,
            a["intent"].as_str().unwrap_or_default().to_string(),
            a["reply"].as_str().unwrap_or_default().to_string(),
        ));
        answers.push(a);
    }
    let mut scores = BTreeMap::new();
    let mut baskets = None;
    let (label, passed) = match &case.gold {
        Gold::Route {
            label,
            intent,
            article,
        } => {
            let a = &answers[0];
            if intent == "off_topic" {
                let wrote = a["tool_calls"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| WRITES.iter().any(|w| c["name"] == *w));
                let proposed = a["suggestions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case("yes")));
                scores.insert("no_write".into(), f64::from(u8::from(!wrote && !proposed)));
            }
            if let Some(article) = article {
                let cited = a["citations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c == article.as_str());
                scores.insert("article".into(), f64::from(u8::from(cited)));
            }
            (label.clone(), a["intent"] == intent.as_str())
        }
        Gold::Basket(gold) => {
            let got = basket(c, k, &token)?;
            let units = |b: &BTreeMap<String, u32>| b.values().map(|&q| f64::from(q)).sum::<f64>();
            let common: f64 = gold
                .iter()
                .map(|(p, &q)| f64::from(q.min(got.get(p).copied().unwrap_or(0))))
                .sum();
            scores.insert(
                "precision".into(),
                if got.is_empty() {
                    0.0
                } else {
                    common / units(&got)
                },
            );
            scores.insert("recall".into(), common / units(gold));
            // The same basket with options ignored, as scored before options existed.
            fn products(b: &BTreeMap<String, u32>) -> BTreeMap<&str, u32> {
                let mut out: BTreeMap<&str, u32> = BTreeMap::new();
                for (key, q) in b {
                    *out.entry(key.split(' ').next().unwrap_or_default())
                        .or_insert(0) += q;
                }
                out
            }
            scores.insert(
                "products".into(),
                f64::from(u8::from(products(&got) == products(gold))),
            );
            let passed = &got == gold;
            baskets = Some([gold.clone(), got]);
            ("taskmaster4".into(), passed)
        }
        Gold::Ride {
            to,
            riders,
            shared,
            booked,
        } => {
            let quotes: Vec<&Value> = answers
                .iter()
                .flat_map(|a| a["tool_calls"].as_array().into_iter().flatten())
                .filter(|c| c["name"] == "quote_ride" && c["ok"] == true)
                .map(|c| &c["result"])
                .collect();
            let reached = quotes.iter().any(|q| q["to"]["name"] == to.as_str());
            let last = quotes.last();
            if let Some(r) = riders {
                let ok = last.is_some_and(|q| q["riders"].as_u64() == Some(u64::from(*r)));
                scores.insert("riders".into(), f64::from(u8::from(ok)));
            }
            if *shared {
                let ok = last.is_some_and(|q| {
                    q["options"]
                        .as_array()
                        .is_some_and(|o| o.len() == 1 && o[0]["ride_type"] == "shared")
                });
                scores.insert("shared".into(), f64::from(u8::from(ok)));
            }
            if *booked {
                let made = answers
                    .iter()
                    .flat_map(|a| a["tool_calls"].as_array().into_iter().flatten())
                    .any(|c| c["name"] == "book_ride" && c["ok"] == true);
                scores.insert("booked".into(), f64::from(u8::from(made)));
            }
            ("sgd".into(), reached)
        }
    };
    Ok(Outcome {
        id: case.id.clone(),
        part: case.part,
        label,
        passed,
        scores,
        turns,
        baskets,
        error: None,
    })
}

/// What the customer ended with: orders placed in the dialogue plus the cart.
fn basket(c: &Client, k: &Knowledge, token: &str) -> anyhow::Result<BTreeMap<String, u32>> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut out = BTreeMap::new();
    let cart = call(c, "GET", "/v1/cart", token, None)?;
    let orders = call(c, "GET", "/v1/orders", token, None)?;
    let lines = cart["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["items"].as_array().cloned().unwrap_or_default())
        .chain(
            orders["orders"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|o| o["status"] != "cancelled")
                .flat_map(|o| o["items"].as_array().cloned().unwrap_or_default()),
        );
    for l in lines {
        if let (Some(p), Some(q)) = (l["product_id"].as_str(), l["quantity"].as_u64()) {
            // A cart line lists its picks; an order line its selection.
            let options: Vec<(String, String)> = match &l["options"] {
                Value::Array(picks) => picks
                    .iter()
                    .map(|x| (s(&x["group"]), s(&x["choice"])))
                    .collect(),
                Value::Object(sel) => sel
                    .iter()
                    .flat_map(|(g, cs)| {
                        cs.as_array()
                            .into_iter()
                            .flatten()
                            .map(move |c| (g.clone(), s(c)))
                    })
                    .collect(),
                _ => vec![],
            };
            *out.entry(line_key(k, p, options)).or_insert(0) += q as u32;
        }
    }
    Ok(out)
}

/// Replays `cases` on `jobs` threads, calling `on_done` after each.
pub fn run(
    c: &Client,
    k: &Knowledge,
    cases: &[Case],
    jobs: usize,
    on_done: &(dyn Fn(&Outcome) + Sync),
) -> Vec<Outcome> {
    let order_product = k.products.first().map(|p| p.id.clone()).unwrap_or_default();
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Vec::with_capacity(cases.len()));
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return;
                };
                let o = replay(c, k, case, &order_product).unwrap_or_else(|e| Outcome {
                    id: case.id.clone(),
                    part: case.part,
                    label: String::new(),
                    passed: false,
                    scores: BTreeMap::new(),
                    turns: vec![],
                    baskets: None,
                    error: Some(format!("{e:#}")),
                });
                on_done(&o);
                out.lock().expect("no panics hold this lock").push(o);
            });
        }
    });
    let mut out = out.into_inner().expect("no panics hold this lock");
    out.sort_by(|a, b| (&a.label, &a.id).cmp(&(&b.label, &b.id)));
    out
}

/// Figures per part: the headline (exact basket, routing, destination) and
/// the set's other scores, overall and per label.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub set: Set,
    pub skipped: usize,
    pub parts: BTreeMap<Part, PartSummary>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PartSummary {
    pub cases: usize,
    pub errors: usize,
    /// Share of cases that did what the gold says.
    pub passed: f64,
    pub scores: BTreeMap<String, f64>,
    /// Per label (Bitext intent): cases and share passed.
    pub labels: BTreeMap<String, (usize, f64)>,
}

pub fn summarise(set: Set, skipped: usize, outcomes: &[Outcome]) -> Summary {
    let mut parts = BTreeMap::new();
    for p in [Part::Tune, Part::Validate] {
        let os: Vec<&Outcome> = outcomes.iter().filter(|o| o.part == p).collect();
        let share = |xs: &[&Outcome]| {
            xs.iter().filter(|o| o.passed).count() as f64 / xs.len().max(1) as f64
        };
        let mut s = PartSummary {
            cases: os.len(),
            errors: os.iter().filter(|o| o.error.is_some()).count(),
            passed: share(&os),
            ..Default::default()
        };
        let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
        for o in &os {
            for (k, v) in &o.scores {
                let e = sums.entry(k.clone()).or_default();
                e.0 += v;
                e.1 += 1;
            }
        }
        s.scores = sums
            .into_iter()
            .map(|(k, (t, n))| (k, t / n as f64))
            .collect();
        let mut by: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
        for o in &os {
            by.entry(o.label.clone()).or_default().push(o);
        }
        if by.len() > 1 {
            s.labels = by
                .into_iter()
                .map(|(l, xs)| (l, (xs.len(), share(&xs))))
                .collect();
        }
        parts.insert(p, s);
    }
    Summary {
        set,
        skipped,
        parts,
    }
}

/// The headline's name for each set.
fn headline(set: Set) -> &'static str {
    match set {
        Set::Taskmaster4 => "exact basket (products, options, quantities)",
        Set::Sgd => "destination quoted",
        Set::Bitext | Set::Clinc150 => "routed right",
    }
}

/// A Markdown table: one row per figure, tuning and validation side by side.
pub fn table(s: &Summary) -> String {
    let (t, v) = (&s.parts[&Part::Tune], &s.parts[&Part::Validate]);
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let mut out = format!(
        "| {:?} | tune | validate |\n|---|---|---|\n| cases | {} | {} |\n| {} | {} | {} |\n",
        s.set,
        t.cases,
        v.cases,
        headline(s.set),
        pct(t.passed),
        pct(v.passed)
    );
    for k in t.scores.keys() {
        let vv = v.scores.get(k).copied().unwrap_or_default();
        out += &format!("| {k} | {} | {} |\n", pct(t.scores[k]), pct(vv));
    }
    for (l, (n, x)) in &t.labels {
        let (vn, vx) = v.labels.get(l).copied().unwrap_or_default();
        out += &format!("| {l} | {} of {n} | {} of {vn} |\n", pct(*x), pct(vx));
    }
    if t.errors + v.errors > 0 {
        out += &format!("| errors | {} | {} |\n", t.errors, v.errors);
    }
    out += &format!(
        "\n{} dialogues skipped: their gold is not expressible in Errand's catalog or flows.\n",
        s.skipped
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill("cancel order {{Order Number}} now", "o-1"),
            "cancel order o-1 now"
        );
        assert_eq!(fill("no braces", "o-1"), "no braces");
        assert_eq!(fill("broken {{Order", "o-1"), "broken {{Order");
    }

    #[test]
    fn menu_names_drop_ids_and_punctuation() {
        assert_eq!(menu_name("chai-latte-1928"), "chai latte");
        assert_eq!(menu_name("Caffè Latte"), "caffè latte");
    }
}
