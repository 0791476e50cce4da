//! The semantic router: a message goes to the intent whose example utterances
//! (`prompts/intents.toml`) are nearest in embedding space.

use std::path::Path;

use anyhow::Context;

use crate::retrieval::embed::Embedder;

pub struct Router {
    /// (intent, normalised example embedding)
    examples: Vec<(String, Vec<f32>)>,
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
        for intent in file.intent {
            let vectors = embedder.embed_batch(&intent.examples)?;
            examples.extend(vectors.into_iter().map(|v| (intent.name.clone(), v)));
        }
        Ok(Router { examples })
    }

    pub fn intents(&self) -> impl Iterator<Item = &str> {
        self.examples.iter().map(|(i, _)| i.as_str())
    }

    /// The nearest example's intent, from an already embedded message.
    pub fn route(&self, message: &[f32]) -> Route {
        let mut best = Route {
            intent: "off_topic".into(),
            score: f32::MIN,
        };
        for (intent, v) in &self.examples {
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
