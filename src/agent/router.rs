//! The semantic router: a message goes to the intent whose example utterances
//! (`prompts/intents.toml`) are nearest in embedding space. An intent may
//! also list cue words; without one of them in the message it is not a
//! candidate, so "chocolate cookies" never lands near "I don't want the
//! cookies" (remove) just because the nouns match.

use std::path::Path;

use anyhow::Context;

use super::training::Example;
use crate::retrieval::embed::Embedder;

pub struct Router {
    examples: Vec<Learnt>,
    /// Intent -> cue words or phrases, one of which the message must contain.
    cues: std::collections::BTreeMap<String, Vec<String>>,
}

/// An example as the router keeps it: its labels and its normalised vector.
struct Learnt {
    intent: String,
    article: Option<String>,
    vector: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub intent: String,
    /// Cosine similarity to the nearest example.
    pub score: f32,
    /// The help article of the nearest example, when it has one and is near
    /// enough ([`ARTICLE_MIN_SCORE`]) to answer with it.
    pub article: Option<String>,
}

/// How near the nearest example must be for its help article to be the
/// answer. Measured leaving each tuning-part Bitext request out of the
/// examples: at 0.7 the nearest example's article is the labelled one for
/// 99.85% of the 98.6% of requests it covers (99.6% over all of them),
/// where search alone cites it for 72%.
pub const ARTICLE_MIN_SCORE: f32 = 0.7;

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
        let mut texts: Vec<Example> = Vec::new();
        let mut cues = std::collections::BTreeMap::new();
        for intent in file.intent {
            texts.extend(intent.examples.iter().map(|e| Example {
                intent: intent.name.clone(),
                article: None,
                text: e.clone(),
            }));
            if !intent.cues.is_empty() {
                let normal = intent.cues.iter().map(|c| normalise(c)).collect();
                cues.insert(intent.name, normal);
            }
        }
        let map = super::training::Map::load(prompts)?;
        for intent in map.bitext.values().map(|r| &r.intent) {
            anyhow::ensure!(
                texts.iter().any(|e| &e.intent == intent),
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
            for e in &texts {
                h.update(e.intent.as_bytes());
                h.update([0]);
                h.update(e.text.as_bytes());
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
                let plain: Vec<String> = texts.iter().map(|e| e.text.clone()).collect();
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
        let examples = texts
            .into_iter()
            .zip(vectors)
            .map(|(e, vector)| Learnt {
                intent: e.intent,
                article: e.article,
                vector,
            })
            .collect();
        Ok(Router { examples, cues })
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn intents(&self) -> impl Iterator<Item = &str> {
        self.examples.iter().map(|e| e.intent.as_str())
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
        let mut best: Option<(&Learnt, f32)> = None;
        for e in self.examples.iter().filter(|e| eligible(&e.intent)) {
            let score: f32 = e.vector.iter().zip(message).map(|(a, b)| a * b).sum();
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((e, score));
            }
        }
        match best {
            Some((e, score)) => Route {
                intent: e.intent.clone(),
                score,
                article: e.article.clone().filter(|_| score >= ARTICLE_MIN_SCORE),
            },
            None => Route {
                intent: "off_topic".into(),
                score: f32::MIN,
                article: None,
            },
        }
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

    #[test]
    fn a_near_labelled_example_names_its_help_article() {
        use crate::agent::training::{part, Part, BITEXT};
        use crate::retrieval::embed::{test_models, Embedder};
        let dir = std::env::temp_dir().join(format!("errand-router-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        // Only the tuning part is learnt from, so only its rows can be found.
        let asks: Vec<&str> = [
            "I need a copy of my invoice",
            "where can I download my invoice",
            "how do I get the invoice for my purchase",
            "send me the invoice please",
            "can you help me find my invoice",
            "I want to check my invoice",
        ]
        .into_iter()
        .filter(|u| part(u) == Part::Tune)
        .collect();
        assert!(!asks.is_empty());
        let mut csv = String::from("flags,utterance,category,intent\n");
        for u in &asks {
            csv.push_str(&format!("B,{u},INVOICE,check_invoice\n"));
        }
        std::fs::write(dir.join(BITEXT), csv).unwrap();
        let prompts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        let e = Embedder::load(&test_models(), 1, 2, 8).expect("`make setup` fetches the model");
        let r = super::Router::load(&prompts, &dir, &dir.join("router.json"), &e).unwrap();
        let route = |t: &str| r.route(t, &e.embed_query(t).unwrap());
        // prompts/real.toml: check_invoice is answered by help-invoice.
        let near = route(asks[0]);
        assert_eq!(near.intent, "help");
        assert_eq!(near.article.as_deref(), Some("help-invoice"), "{near:?}");
        // Examples from prompts/intents.toml name no article.
        let hello = route("hello there");
        assert_eq!((hello.intent.as_str(), hello.article), ("greeting", None));
        std::fs::remove_dir_all(dir).ok();
    }
}
