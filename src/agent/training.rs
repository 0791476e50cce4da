//! What the router learns from besides `prompts/intents.toml`: the tuning
//! part of the real development dialogues (`paths.real_dialogues`), read
//! through the label map in `prompts/real.toml`. The split into tuning and
//! validation is one fixed rule, [`part`], shared with `errand eval real`, so
//! nothing the evaluation validates on is ever learnt from.

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

pub const BITEXT: &str = "bitext-customer-service.dev.csv";
pub const SGD: &str = "sgd-ridesharing.dev.jsonl";

/// A labelled utterance the router learns from.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub intent: String,
    /// The help article its label is answered with, if any.
    pub article: Option<String>,
    pub text: String,
}

/// Examples from the tuning part of every set found in `dir`; none when the
/// folder is absent (a machine without the sets learns from `prompts/` alone).
pub fn examples(dir: &Path, map: &Map) -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    let read = |name: &str| -> anyhow::Result<Option<String>> {
        let p = dir.join(name);
        if !p.is_file() {
            return Ok(None);
        }
        std::fs::read_to_string(&p)
            .map(Some)
            .with_context(|| format!("reading {}", p.display()))
    };
    if let Some(text) = read(BITEXT)? {
        for row in csv::Reader::from_reader(text.as_bytes()).records() {
            let row = row.context("reading the Bitext set")?;
            let (utterance, label) = (
                row.get(1).unwrap_or_default(),
                row.get(3).unwrap_or_default(),
            );
            // "I want to place an order" is learnt as shopping from
            // prompts/ alone: as an example it sits next to every request
            // about an order ("I want to speak to a human about my order").
            if let Some(r) = map.bitext.get(label).filter(|r| r.intent != "shop") {
                if part(utterance) == Part::Tune {
                    out.push(Example {
                        intent: r.intent.clone(),
                        article: r.article.clone(),
                        text: placeholder_free(utterance),
                    });
                }
            }
        }
    }
    // The turn that asks for a ride (SGD's INFORM_INTENT GetRide).
    if let Some(text) = read(SGD)? {
        for line in text.lines() {
            let d: Value = serde_json::from_str(line).context("reading the SGD set")?;
            if part(d["dialogue_id"].as_str().unwrap_or_default()) != Part::Tune {
                continue;
            }
            for t in d["turns"].as_array().into_iter().flatten() {
                let asks = t["frames"].as_array().into_iter().flatten().any(|f| {
                    f["service"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("RideSharing"))
                        && f["actions"].as_array().into_iter().flatten().any(|a| {
                            a["act"] == "INFORM_INTENT"
                                && a["values"][0].as_str().is_some_and(|v| v == "GetRide")
                        })
                });
                if asks && t["speaker"] == "USER" {
                    out.push(Example {
                        intent: "ride_quote".into(),
                        article: None,
                        text: t["utterance"].as_str().unwrap_or_default().to_string(),
                    });
                }
            }
        }
    }
    Ok(out)
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
        let map = Map {
            bitext: BTreeMap::new(),
            taskmaster4: Menu {
                cafe: "m".into(),
                items: BTreeMap::new(),
                options: BTreeMap::new(),
            },
        };
        assert!(examples(Path::new("/nonexistent"), &map)
            .unwrap()
            .is_empty());
    }
}
