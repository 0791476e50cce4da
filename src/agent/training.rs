//! What the reader learns from: `prompts/intents.toml` (Errand's own
//! examples) and the tuning part of public development sets shipped in
//! `prompts/training/` (copied there by its `export.py`, licences beside
//! them), read through the label map in `prompts/real.toml`. The split into
//! tuning and validation is one fixed rule, [`part`], shared with `errand
//! eval real`, so nothing the evaluation validates on is ever learnt from,
//! and a clone without `../shared/` learns exactly what was measured.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Tune,
    Validate,
}

/// FNV-1a, 64 bits: stable across platforms and releases, unlike std's hasher.
pub fn fnv(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The fixed split: FNV-1a of the dialogue id (the utterance for Bitext);
/// even is tuning, odd is validation.
pub fn part(id: &str) -> Part {
    if fnv(id).is_multiple_of(2) {
        Part::Tune
    } else {
        Part::Validate
    }
}

/// `prompts/real.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    /// Bitext intent -> the Errand flow (and help article) that serves it.
    pub bitext: BTreeMap<String, Route>,
    pub taskmaster4: Menu,
    /// CLINC150 intent -> the Errand intent that serves it; every other
    /// CLINC150 intent (and its out-of-scope requests) is `off_topic`.
    #[serde(default)]
    pub clinc150: BTreeMap<String, String>,
    #[serde(default)]
    pub clinc150_list_removals: Removals,
}

/// A CLINC150 shopping-list update whose first verb is one of these removes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Removals {
    pub verbs: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub intent: String,
    #[serde(default)]
    pub article: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    /// The merchant whose products Taskmaster-4 orders are matched against.
    pub cafe: String,
    /// Taskmaster-4 menu names (lowercase words) -> cafe product titles.
    #[serde(default)]
    pub items: BTreeMap<String, String>,
    /// Taskmaster-4 attribute options and add-on names (lowercase words) ->
    /// the cafe's `group=choice`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

impl Map {
    pub fn load(prompts: &Path) -> anyhow::Result<Map> {
        let path = prompts.join("real.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// The shipped tuning parts, in `prompts/training/`.
pub const SHIPPED: [(Source, &str); 4] = [
    (Source::Bitext, "bitext.tune.csv"),
    (Source::Sgd, "sgd-rides.tune.jsonl"),
    (Source::Taskmaster4, "taskmaster4-coffee.tune.jsonl"),
    (Source::Clinc150, "clinc150.tune.jsonl"),
];

/// Where an example comes from, so that each source can be left out of
/// training and scored on (`errand eval reader`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `prompts/intents.toml`.
    Own,
    /// `prompts/phrases.toml`, filled from the knowledge.
    Phrases,
    Bitext,
    Sgd,
    Taskmaster4,
    Clinc150,
}

/// A labelled utterance the reader learns from.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub intent: String,
    /// The help article its label is answered with, if any.
    pub article: Option<String>,
    pub text: String,
    pub source: Source,
}

/// Every example of the shipped tuning parts in `dir` (`prompts/training`).
/// A file that is absent teaches nothing; one that is there must parse.
pub fn examples(dir: &Path, map: &Map) -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    for (source, name) in SHIPPED {
        let p = dir.join(name);
        if !p.is_file() {
            continue;
        }
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        out.extend(parse(source, &text, map).with_context(|| format!("reading {}", p.display()))?);
    }
    Ok(out)
}

/// The examples of one source's file in the shipped form ([`export`]).
pub fn parse(source: Source, text: &str, map: &Map) -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    let mut push = |intent: &str, article: Option<String>, text: &str| {
        out.push(Example {
            intent: intent.to_string(),
            article,
            text: text.to_string(),
            source,
        })
    };
    let lines = text.lines().enumerate();
    match source {
        Source::Bitext => {
            for (n, row) in csv::Reader::from_reader(text.as_bytes())
                .records()
                .enumerate()
            {
                let row = row.with_context(|| format!("line {}", n + 2))?;
                let (utterance, label) = (
                    row.get(0).unwrap_or_default(),
                    row.get(1).unwrap_or_default(),
                );
                // "I want to place an order" is learnt as shopping from the
                // other sources: as an example it sits next to every request
                // about an order ("I want to speak to a human about my order").
                if let Some(r) = map.bitext.get(label).filter(|r| r.intent != "shop") {
                    push(&r.intent, r.article.clone(), &placeholder_free(utterance));
                }
            }
        }
        Source::Sgd => {
            for (n, line) in lines {
                let t: RideTurn =
                    serde_json::from_str(line).with_context(|| format!("line {}", n + 1))?;
                // The turn that asks for a ride.
                if t.acts.iter().any(|a| a == GET_RIDE) {
                    push("ride_quote", None, &t.text);
                }
            }
        }
        Source::Taskmaster4 => {
            for (n, line) in lines {
                let t: OrderTurn =
                    serde_json::from_str(line).with_context(|| format!("line {}", n + 1))?;
                push("shop", None, &t.text);
            }
        }
        Source::Clinc150 => {
            for (n, line) in lines {
                let (utterance, label): (String, String) =
                    serde_json::from_str(line).with_context(|| format!("line {}", n + 1))?;
                push(&clinc150_intent(map, &utterance, &label), None, &utterance);
            }
        }
        Source::Own | Source::Phrases => {
            anyhow::bail!("Errand's own examples live in prompts/, not in a shipped set")
        }
    }
    Ok(out)
}

const GET_RIDE: &str = "INFORM_INTENT:GetRide";

/// A customer turn of an SGD ride frame as shipped: its dialogue acts and
/// the spans of its ride slots (for a tagger to learn roles from).
#[derive(Debug, Serialize, Deserialize)]
pub struct RideTurn {
    pub dialogue: String,
    pub text: String,
    pub acts: Vec<String>,
    pub slots: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub slot: String,
    pub start: usize,
    pub end: usize,
}

/// A Taskmaster-4 customer turn the agent answered by adding an item.
#[derive(Debug, Serialize, Deserialize)]
pub struct OrderTurn {
    pub dialogue: String,
    pub text: String,
}

/// Where each source's development file is, under `../shared/data`.
fn raw_file(source: Source) -> &'static str {
    match source {
        Source::Bitext => "real-dialogues/bitext-customer-service.dev.csv",
        Source::Sgd => "real-dialogues/sgd-ridesharing.dev.jsonl",
        Source::Taskmaster4 => "real-dialogues/taskmaster4-coffee.dev.jsonl",
        Source::Clinc150 => "out-of-scope/clinc150.dev.json",
        Source::Own | Source::Phrases => "",
    }
}

/// One part of a development set (`shared` is `../shared/data`) in the
/// shipped form: only the customer's words and the set's labels (and, for
/// SGD, the acts and slot spans of ride turns). CLINC150 comes split: its
/// `train` and `oos_train` are the tuning part, `val` and `oos_val` the
/// validation part; the others split by [`part`] of the dialogue id (a
/// Bitext utterance itself).
pub fn export(shared: &Path, source: Source, want: Part) -> anyhow::Result<String> {
    let p = shared.join(raw_file(source));
    let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
    let mut out = String::new();
    match source {
        Source::Bitext => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["utterance", "intent"])?;
            for row in csv::Reader::from_reader(text.as_bytes()).records() {
                let row = row.context("reading the Bitext set")?;
                let (utterance, label) = (
                    row.get(1).unwrap_or_default(),
                    row.get(3).unwrap_or_default(),
                );
                if part(utterance) == want {
                    w.write_record([utterance, label])?;
                }
            }
            out = String::from_utf8(w.into_inner()?)?;
        }
        Source::Sgd => {
            for line in text.lines() {
                let d: Value = serde_json::from_str(line).context("reading the SGD set")?;
                let id = d["dialogue_id"].as_str().unwrap_or_default();
                if part(id) != want {
                    continue;
                }
                for t in d["turns"].as_array().into_iter().flatten() {
                    let frames = ride_frames(t);
                    if t["speaker"] != "USER" || frames.is_empty() {
                        continue;
                    }
                    let mut acts: Vec<String> = frames
                        .iter()
                        .flat_map(|f| f["actions"].as_array().cloned().unwrap_or_default())
                        .map(|a| {
                            let act = a["act"].as_str().unwrap_or_default();
                            match a["values"][0].as_str() {
                                Some(v) if act == "INFORM_INTENT" => format!("{act}:{v}"),
                                _ => act.to_string(),
                            }
                        })
                        .collect();
                    acts.sort();
                    acts.dedup();
                    let mut slots: Vec<Span> = frames
                        .iter()
                        .flat_map(|f| f["slots"].as_array().cloned().unwrap_or_default())
                        .filter_map(|s| {
                            Some(Span {
                                slot: s["slot"].as_str()?.to_string(),
                                start: s["start"].as_u64()? as usize,
                                end: s["exclusive_end"].as_u64()? as usize,
                            })
                        })
                        .collect();
                    slots.sort();
                    slots.dedup();
                    out += &json_line(&RideTurn {
                        dialogue: id.to_string(),
                        text: t["utterance"].as_str().unwrap_or_default().to_string(),
                        acts,
                        slots,
                    })?;
                }
            }
        }
        Source::Taskmaster4 => {
            for line in text.lines() {
                let d: Value =
                    serde_json::from_str(line).context("reading the Taskmaster-4 set")?;
                let id = d["conversation_id"].as_str().unwrap_or_default();
                if part(id) != want {
                    continue;
                }
                for u in d["utterances"].as_array().into_iter().flatten() {
                    let adds = u["annotations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|a| a["name"] == "api_call" && a["value"] == "add_order_item");
                    if u["speaker"] == "user" && adds {
                        out += &json_line(&OrderTurn {
                            dialogue: id.to_string(),
                            text: u["text"].as_str().unwrap_or_default().to_string(),
                        })?;
                    }
                }
            }
        }
        Source::Clinc150 => {
            let d: BTreeMap<String, Vec<(String, String)>> =
                serde_json::from_str(&text).context("reading the CLINC150 set")?;
            let (intents, oos) = match want {
                Part::Tune => ("train", "oos_train"),
                Part::Validate => ("val", "oos_val"),
            };
            let rows = d.get(intents).into_iter().flatten().cloned().chain(
                d.get(oos)
                    .into_iter()
                    .flatten()
                    .map(|(t, _)| (t.clone(), "oos".to_string())),
            );
            for row in rows {
                out += &json_line(&row)?;
            }
        }
        Source::Own | Source::Phrases => {
            anyhow::bail!("Errand's own examples live in prompts/, not in a shipped set")
        }
    }
    Ok(out)
}

/// Writes every source's tuning part into `dir` (`prompts/training`);
/// returns each file's name and line count.
pub fn export_all(shared: &Path, dir: &Path) -> anyhow::Result<Vec<(&'static str, usize)>> {
    let mut out = Vec::new();
    for (source, name) in SHIPPED {
        let text = export(shared, source, Part::Tune)?;
        let p = dir.join(name);
        std::fs::write(&p, &text).with_context(|| format!("writing {}", p.display()))?;
        out.push((name, text.lines().count()));
    }
    Ok(out)
}

/// The frames of an SGD turn that belong to a ride service.
pub fn ride_frames(turn: &Value) -> Vec<&Value> {
    turn["frames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["service"]
                .as_str()
                .is_some_and(|s| s.starts_with("RideSharing"))
        })
        .collect()
}

/// One shipped record as a line of JSON.
fn json_line<T: Serialize>(v: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string(v)? + "\n")
}

/// The Errand intent of a CLINC150 request (see `[clinc150]` in
/// `prompts/real.toml`).
pub fn clinc150_intent(map: &Map, text: &str, label: &str) -> String {
    match map.clinc150.get(label).map(String::as_str) {
        Some("add")
            if label == "shopping_list_update"
                && first_verb_removes(text, &map.clinc150_list_removals.verbs) =>
        {
            "remove".into()
        }
        Some(intent) => intent.into(),
        None => "off_topic".into(),
    }
}

/// "remove carrots and add soda" removes first; "add soda, remove carrots"
/// adds first: the earliest verb of either kind decides.
fn first_verb_removes(text: &str, verbs: &[String]) -> bool {
    let t = format!(" {} ", text.to_lowercase());
    let at = |w: &str| t.find(&format!(" {w} "));
    let remove = verbs.iter().filter_map(|v| at(v)).min();
    let add = ["add", "put", "include", "need", "want"]
        .iter()
        .filter_map(|v| at(v))
        .min();
    match (remove, add) {
        (Some(r), Some(a)) => r < a,
        (r, _) => r.is_some(),
    }
}

/// Bitext marks entities as `{{Order Number}}`: learn from the words around them.
fn placeholder_free(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(a) = rest.find("{{") {
        let Some(b) = rest[a..].find("}}") else { break };
        out.push_str(&rest[..a]);
        rest = &rest[a + b + 2..];
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_fixed_and_roughly_even() {
        assert_eq!(part("dlg-1"), part("dlg-1"));
        let tune = (0..1000)
            .filter(|i| part(&format!("d{i}")) == Part::Tune)
            .count();
        assert!((450..550).contains(&tune), "{tune}");
    }

    #[test]
    fn placeholders_are_dropped() {
        assert_eq!(
            placeholder_free("cancel order {{Order Number}} now"),
            "cancel order now"
        );
        assert_eq!(placeholder_free("broken {{Order"), "broken {{Order");
    }

    #[test]
    fn a_missing_folder_teaches_nothing() {
        let map = Map::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts")).unwrap();
        assert!(examples(Path::new("/nonexistent"), &map)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn clinc150_labels_read_in_errand_terms() {
        let map = Map::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts")).unwrap();
        let read = |t: &str, l: &str| clinc150_intent(&map, t, l);
        assert_eq!(read("set an alarm for 7", "alarm"), "off_topic");
        assert_eq!(read("book me an uber to the mall", "uber"), "ride_quote");
        assert_eq!(
            read("put eggs on my shopping list", "shopping_list_update"),
            "add"
        );
        assert_eq!(
            read(
                "remove carrots and add soda to my list",
                "shopping_list_update"
            ),
            "remove"
        );
        assert_eq!(
            read(
                "add soda and remove carrots from my list",
                "shopping_list_update"
            ),
            "add"
        );
    }
}
