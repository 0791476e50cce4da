//! Examples written from the knowledge (`prompts/phrases.toml`): templates
//! such as "add {amount} {item}" or "auto from {place} to {place2}" filled
//! with what the catalog calls its products, recipe titles, gazetteer places
//! and store names. The public sets teach how people talk; these teach the
//! reader Errand's own nouns, so "atta 5 kg" is shopping, not a request
//! for something Errand does not do.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::training::{fnv, Example, Source};
use crate::knowledge::Knowledge;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    per_text: usize,
    counts: Vec<String>,
    amounts: Vec<String>,
    template: Vec<Template>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Template {
    intent: String,
    texts: Vec<String>,
}

/// The slots a text may hold, and whether the knowledge fills them.
const SLOTS: [&str; 8] = [
    "item", "item2", "dish", "place", "place2", "store", "n", "amount",
];

/// Every template filled `per_text` times from `k`.
pub fn examples(prompts: &Path, k: &Knowledge) -> anyhow::Result<Vec<Example>> {
    let path = prompts.join("phrases.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let file: File =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let items: Vec<String> = k
        .products
        .iter()
        .map(|p| super::basket::name_words(k, p))
        .filter(|n| n.len() >= 3)
        .collect();
    let dishes: Vec<String> = k.recipes.iter().map(|r| r.title.to_lowercase()).collect();
    let places: Vec<String> = k.places.iter().map(|p| p.name.clone()).collect();
    let stores: Vec<String> = k.merchants.iter().map(|m| m.name.clone()).collect();
    let fillers = |slot: &str| -> &[String] {
        match slot {
            "item" | "item2" => &items,
            "dish" => &dishes,
            "place" | "place2" => &places,
            "store" => &stores,
            "n" => &file.counts,
            _ => &file.amounts,
        }
    };
    let mut out = Vec::new();
    for t in &file.template {
        for text in &t.texts {
            check(text).with_context(|| format!("{}: {text:?}", path.display()))?;
            for copy in 0..file.per_text {
                let mut filled = text.clone();
                for slot in SLOTS {
                    let options = fillers(slot);
                    let marker = format!("{{{slot}}}");
                    if !filled.contains(&marker) || options.is_empty() {
                        continue;
                    }
                    let pick =
                        fnv(&format!("{text}\u{0}{copy}\u{0}{slot}")) as usize % options.len();
                    filled = filled.replace(&marker, &options[pick]);
                }
                out.push(Example {
                    intent: t.intent.clone(),
                    article: None,
                    text: filled,
                    source: Source::Phrases,
                });
            }
        }
    }
    Ok(out)
}

/// A text names only known slots, so a typo is an error at load, not an
/// example with braces in it.
fn check(text: &str) -> anyhow::Result<()> {
    let mut rest = text;
    while let Some(a) = rest.find('{') {
        let b = rest[a..].find('}').context("a `{` without its `}`")?;
        let slot = &rest[a + 1..a + b];
        anyhow::ensure!(SLOTS.contains(&slot), "unknown slot {{{slot}}}");
        rest = &rest[a + b + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_from_the_knowledge_alike_every_time() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let k = Knowledge::load(&root.join("knowledge")).unwrap();
        let a = examples(&root.join("prompts"), &k).unwrap();
        assert_eq!(a, examples(&root.join("prompts"), &k).unwrap());
        assert!(
            a.iter().all(|e| !e.text.contains('{')),
            "a slot left unfilled"
        );
        let rides = a.iter().filter(|e| e.intent == "ride_quote");
        assert!(rides
            .clone()
            .any(|e| k.places.iter().any(|p| e.text.contains(&p.name))));
        assert!(a.iter().any(|e| e.intent == "shop"));
    }

    #[test]
    fn an_unknown_slot_is_refused() {
        assert!(check("add {item} and {itme}").is_err());
        assert!(check("add {item").is_err());
        assert!(check("add {item} to {store}").is_ok());
    }
}
