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

/// Embeddings of the examples, saved by `errand index` beside the search
/// index so that a server starts without re-embedding thousands of them.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cache {
    digest: String,
    vectors: Vec<Vec<f32>>,
}

impl Router {
    /// The examples of `prompts/intents.toml` and the tuning part of the real
    /// dialogues in `real` (when there), embedded, or read from `cache` when
    /// it holds exactly these examples. A cache that cannot be written only
    /// costs the next start the embedding time.
    pub fn load(
        prompts: &Path,
        real: &Path,
        cache: &Path,
        embedder: &Embedder,
    ) -> anyhow::Result<Router> {
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
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut cues = std::collections::BTreeMap::new();
        for intent in file.intent {
            texts.extend(
                intent
                    .examples
                    .iter()
                    .map(|e| (intent.name.clone(), e.clone())),
            );
            if !intent.cues.is_empty() {
                let normal = intent.cues.iter().map(|c| normalise(c)).collect();
                cues.insert(intent.name, normal);
            }
        }
        let map = super::training::Map::load(prompts)?;
        for intent in map.bitext.values().map(|r| &r.intent) {
            anyhow::ensure!(
                texts.iter().any(|(i, _)| i == intent),
                "prompts/real.toml maps to intent {intent}, which prompts/intents.toml does not have"
            );
        }
        texts.extend(super::training::examples(real, &map)?);
        let digest = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            // Vectors of another model are other vectors.
            h.update(embedder.fingerprint.as_bytes());
            h.update([0]);
            for (i, t) in &texts {
                h.update(i.as_bytes());
                h.update([0]);
                h.update(t.as_bytes());
                h.update([0]);
            }
            hex::encode(h.finalize())
        };
        let cached = std::fs::read(cache)
            .ok()
            .and_then(|b| serde_json::from_slice::<Cache>(&b).ok())
            .filter(|c| c.digest == digest && c.vectors.len() == texts.len());
        let vectors = match cached {
            Some(c) => c.vectors,
            None => {
                let plain: Vec<String> = texts.iter().map(|(_, t)| t.clone()).collect();
                let mut vectors = Vec::with_capacity(plain.len());
                for chunk in plain.chunks(256) {
                    vectors.extend(embedder.embed_batch(chunk)?);
                }
                let c = Cache { digest, vectors };
                if let Err(e) = std::fs::write(cache, serde_json::to_vec(&c)?) {
                    tracing::warn!(error = %e, path = %cache.display(), "intent examples not cached");
                }
                c.vectors
            }
        };
        let examples = texts.into_iter().map(|(i, _)| i).zip(vectors).collect();
        Ok(Router { examples, cues })
    }

    pub fn len(&self) -> usize {
        self.examples.len()
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

    #[test]
    fn cached_example_vectors_are_remade_for_another_model() {
        use crate::retrieval::embed::{test_models, Embedder};
        let dir = std::env::temp_dir().join(format!("errand-router-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let prompts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        let cache = dir.join("router.json");
        let digest = || {
            let c: super::Cache = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
            c.digest
        };
        let mut e =
            Embedder::load(&test_models(), 1, 2, 8).expect("`make setup` fetches the model");
        // `dir` holds no real dialogues: the examples are prompts/ alone.
        super::Router::load(&prompts, &dir, &cache, &e).unwrap();
        let first = digest();
        super::Router::load(&prompts, &dir, &cache, &e).unwrap();
        assert_eq!(digest(), first, "the same model reuses its vectors");
        e.fingerprint.push_str("-other");
        super::Router::load(&prompts, &dir, &cache, &e).unwrap();
        assert_ne!(digest(), first, "another model's vectors were reused");
        std::fs::remove_dir_all(dir).ok();
    }
}
