//! The semantic router: a message goes to the intent whose example utterances
//! (`prompts/intents.toml`) are nearest in embedding space. An intent may
//! also list cue words; without one of them in the message it is not a
//! candidate, so "chocolate cookies" never lands near "I don't want the
//! cookies" (remove) just because the nouns match.

use std::path::Path;

use anyhow::Context;

use crate::retrieval::embed::Embedder;

pub struct Router {
    /// (intent, normalised example embedding)
    examples: Vec<(String, Vec<f32>)>,
    /// Intent -> cue words or phrases, one of which the message must contain.
    cues: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub intent: String,
    /// Cosine similarity to the nearest example.
    pub score: f32,
}

impl Router {
    pub fn load(prompts: &Path, embedder: &Embedder) -> anyhow::Result<Router> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Intent {
            name: String,
            examples: Vec<String>,
            #[serde(default)]
            cues: Vec<String>,
        }
        #[derive(serde::Deserialize)]
        struct File {
            intent: Vec<Intent>,
        }
        let path = prompts.join("intents.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let file: File =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut examples = Vec::new();
        let mut cues = std::collections::BTreeMap::new();
        for intent in file.intent {
            let vectors = embedder.embed_batch(&intent.examples)?;
            examples.extend(vectors.into_iter().map(|v| (intent.name.clone(), v)));
            if !intent.cues.is_empty() {
                let normal = intent.cues.iter().map(|c| normalise(c)).collect();
                cues.insert(intent.name, normal);
            }
        }
        Ok(Router { examples, cues })
    }

    pub fn intents(&self) -> impl Iterator<Item = &str> {
        self.examples.iter().map(|(i, _)| i.as_str())
    }

    /// The nearest example's intent among those whose cues `text` has, from
    /// the already embedded message.
    pub fn route(&self, text: &str, message: &[f32]) -> Route {
        let text = normalise(text);
        let eligible = |intent: &str| {
            self.cues
                .get(intent)
                .is_none_or(|cs| cs.iter().any(|c| text.contains(c.as_str())))
        };
        let mut best = Route {
            intent: "off_topic".into(),
            score: f32::MIN,
        };
        for (intent, v) in self.examples.iter().filter(|(i, _)| eligible(i)) {
            let score: f32 = v.iter().zip(message).map(|(a, b)| a * b).sum();
            if score > best.score {
                best = Route {
                    intent: intent.clone(),
                    score,
                };
            }
        }
        best
    }
}

/// Lowercase words separated and surrounded by single spaces, so a cue
/// matches whole words: " take out " is in " please take out the milk ".
fn normalise(text: &str) -> String {
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('\u{2019}', "'"))
        .collect();
    format!(" {} ", words.join(" "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cues_match_whole_words_and_phrases() {
        let t = super::normalise("Please, TAKE OUT the milk!");
        assert!(t.contains(&super::normalise("take out")));
        assert!(!t.contains(&super::normalise("out the m")));
        assert!(!super::normalise("removed").contains(&super::normalise("remove")));
    }
}
