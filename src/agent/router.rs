//! The router: a message goes to the intent the fitted classifier
//! ([`IntentModel`]) finds most probable over its embedding, learnt from
//! `prompts/intents.toml` and the shipped tuning parts in
//! `prompts/training/`. An intent may also list cue words; without one of
//! them in the message it is not a candidate, so "chocolate cookies" never
//! lands on "I don't want the cookies" (remove) just because the nouns match.
//! The nearest labelled example still names the help article to cite.

use std::path::Path;

use anyhow::Context;

use super::acts::{self, ActModel};
use super::intent_model::{features, IntentModel};
pub use super::intent_model::{Settings, Signals, SETTINGS};
use super::lexicon::Lexicon;
use super::training::{fnv, Example, Source};
use crate::knowledge::Knowledge;
use crate::retrieval::embed::Embedder;

pub struct Router {
    /// The examples labelled with a help article.
    examples: Vec<Learnt>,
    model: IntentModel,
    /// Whether a turn accepts what was proposed; none when only the intent
    /// classifier is measured.
    acts: Option<ActModel>,
    /// Intent -> cue words or phrases, one of which the message must contain.
    cues: std::collections::BTreeMap<String, Vec<String>>,
}

/// An example labelled with a help article, as the router keeps it: its
/// labels and its normalised vector.
struct Learnt {
    intent: String,
    article: String,
    vector: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub intent: String,
    /// The classifier's probability of `intent` among the candidates.
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

/// Embeddings of the examples and the classifier fitted to them, saved by
/// `errand index` beside the search index so that a server starts without
/// re-embedding thousands of examples or fitting again.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cache {
    digest: String,
    vectors: Vec<Vec<f32>>,
    model: IntentModel,
    acts: ActModel,
}

/// Which examples the classifier learns from: all but most CLINC150
/// `off_topic` requests (one in `off_topic_every`, chosen by a hash of the
/// text, so every build keeps the same ones).
pub fn learnt(e: &Example, s: Settings) -> bool {
    e.source != Source::Clinc150
        || e.intent != "off_topic"
        || fnv(&e.text).is_multiple_of(s.off_topic_every)
}

/// What the router is built from: every example, its embedding, and the
/// classifier fitted to them.
pub struct Learning {
    pub examples: Vec<Example>,
    pub vectors: Vec<Vec<f32>>,
    pub model: IntentModel,
    pub acts: ActModel,
}

impl Learning {
    /// The examples of `prompts/intents.toml` and the shipped tuning parts in
    /// `training` (`prompts/training`), embedded and the classifier fitted,
    /// or read from `cache` when it holds exactly these examples. A cache
    /// that cannot be written only costs the next start the time.
    pub fn load(
        prompts: &Path,
        training: &Path,
        knowledge: &Knowledge,
        cache: &Path,
        embedder: &Embedder,
    ) -> anyhow::Result<Learning> {
        let examples = Router::examples(prompts, training, knowledge)?;
        let act_examples = acts::examples(training, &examples)?;
        let digest = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            // Vectors of another model are other vectors.
            h.update(embedder.fingerprint.as_bytes());
            h.update([0]);
            h.update(serde_json::to_vec(&SETTINGS)?);
            h.update([0]);
            h.update(super::intent_model::LAYOUT.as_bytes());
            h.update([0]);
            for e in &examples {
                h.update(e.intent.as_bytes());
                h.update([0]);
                h.update(e.text.as_bytes());
                h.update([0]);
            }
            for e in &act_examples {
                h.update(e.act.as_bytes());
                h.update([0]);
                h.update(e.text.as_bytes());
                h.update([0]);
            }
            hex::encode(h.finalize())
        };
        let cached = std::fs::read(cache)
            .ok()
            .and_then(|b| serde_json::from_slice::<Cache>(&b).ok())
            .filter(|c| c.digest == digest && c.vectors.len() == examples.len());
        if let Some(c) = cached {
            return Ok(Learning {
                examples,
                vectors: c.vectors,
                model: c.model,
                acts: c.acts,
            });
        }
        let vectors = embed_all(embedder, &examples)?;
        let all = featured(&examples, &vectors, knowledge);
        let model = fit(&examples, &all, |_| true, SETTINGS)?;
        // Turns that are not intent examples are embedded for the acts alone.
        let fresh: Vec<String> = act_examples
            .iter()
            .filter(|a| a.example.is_none())
            .map(|a| a.text.clone())
            .collect();
        let mut embedded = Vec::with_capacity(fresh.len());
        for chunk in fresh.chunks(256) {
            embedded.extend(embedder.embed_batch(chunk)?);
        }
        let mut embedded = embedded.into_iter();
        let act_vectors: Vec<Vec<f32>> = act_examples
            .iter()
            .map(|a| match a.example {
                Some(i) => vectors[i].clone(),
                None => embedded.next().unwrap_or_default(),
            })
            .collect();
        let acts = ActModel::fit(&act_examples, &act_vectors, SETTINGS)?;
        let c = Cache {
            digest,
            vectors,
            model,
            acts,
        };
        if let Err(e) = std::fs::write(cache, serde_json::to_vec(&c)?) {
            tracing::warn!(error = %e, path = %cache.display(), "intent examples not cached");
        }
        Ok(Learning {
            examples,
            vectors: c.vectors,
            model: c.model,
            acts: c.acts,
        })
    }
}

impl Router {
    /// The router of [`Learning::load`]'s examples and classifier.
    pub fn load(
        prompts: &Path,
        training: &Path,
        knowledge: &Knowledge,
        cache: &Path,
        embedder: &Embedder,
    ) -> anyhow::Result<Router> {
        let l = Learning::load(prompts, training, knowledge, cache, embedder)?;
        // Only examples that name an article are searched for one.
        let examples = l
            .examples
            .into_iter()
            .zip(l.vectors)
            .filter_map(|(e, vector)| {
                Some(Learnt {
                    intent: e.intent,
                    article: e.article?,
                    vector,
                })
            })
            .collect();
        Ok(Router {
            examples,
            model: l.model,
            acts: Some(l.acts),
            cues: Self::cues(prompts)?,
        })
    }

    /// A router of `model` alone, citing no articles: for measuring a
    /// classifier fitted to some of the examples.
    pub fn with_model(prompts: &Path, model: IntentModel) -> anyhow::Result<Router> {
        Ok(Router {
            examples: Vec::new(),
            model,
            acts: None,
            cues: Self::cues(prompts)?,
        })
    }

    /// Every example the router knows: Errand's own (`prompts/intents.toml`),
    /// those written from the knowledge (`prompts/phrases.toml`) and the
    /// shipped tuning parts in `training`.
    pub fn examples(
        prompts: &Path,
        training: &Path,
        knowledge: &Knowledge,
    ) -> anyhow::Result<Vec<Example>> {
        let file = IntentsFile::load(prompts)?;
        let mut texts: Vec<Example> = Vec::new();
        for intent in file.intent {
            texts.extend(intent.examples.iter().map(|e| Example {
                intent: intent.name.clone(),
                article: None,
                text: e.clone(),
                source: Source::Own,
            }));
        }
        let map = super::training::Map::load(prompts)?;
        let known = |intent: &str| texts.iter().any(|e| e.intent == intent);
        for intent in map
            .bitext
            .values()
            .map(|r| &r.intent)
            .chain(map.clinc150.values())
        {
            anyhow::ensure!(
                known(intent),
                "prompts/real.toml maps to intent {intent}, which prompts/intents.toml does not have"
            );
        }
        let phrases = super::phrases::examples(prompts, knowledge)?;
        if let Some(e) = phrases.iter().find(|e| !known(&e.intent)) {
            anyhow::bail!(
                "prompts/phrases.toml writes examples of intent {}, which prompts/intents.toml does not have",
                e.intent
            );
        }
        texts.extend(phrases);
        texts.extend(super::training::examples(training, &map)?);
        Ok(texts)
    }

    fn cues(prompts: &Path) -> anyhow::Result<std::collections::BTreeMap<String, Vec<String>>> {
        Ok(IntentsFile::load(prompts)?
            .intent
            .into_iter()
            .filter(|i| !i.cues.is_empty())
            .map(|i| (i.name, i.cues.iter().map(|c| normalise(c)).collect()))
            .collect())
    }

    /// The probability that `text` (embedded as `message`) accepts what
    /// was proposed, when the act classifier is loaded.
    pub fn affirms(&self, text: &str, message: &[f32]) -> f32 {
        self.acts.as_ref().map_or(0.0, |a| a.affirms(text, message))
    }

    pub fn intents(&self) -> impl Iterator<Item = &str> {
        self.model.classes().iter().map(String::as_str)
    }

    /// The classifier's most probable intent among those whose cues `text`
    /// has, from the already embedded message and what the knowledge
    /// recognises in it, and the nearest example's article.
    pub fn route(&self, text: &str, message: &[f32], signals: Signals) -> Route {
        self.route_among(text, message, signals, |_| true)
    }

    /// [`Self::route`] among Errand's own intents only: what a message that
    /// names Errand's world most likely asks, when the classifier's first
    /// answer was that it is not Errand's job.
    pub fn route_in_scope(&self, text: &str, message: &[f32], signals: Signals) -> Route {
        self.route_among(text, message, signals, |intent| intent != "off_topic")
    }

    fn route_among(
        &self,
        text: &str,
        message: &[f32],
        signals: Signals,
        allowed: impl Fn(&str) -> bool,
    ) -> Route {
        let p = self.model.probabilities(&features(text, message, signals));
        let text = normalise(text);
        let eligible = |intent: &str| {
            allowed(intent)
                && self
                    .cues
                    .get(intent)
                    .is_none_or(|cs| cs.iter().any(|c| text.contains(c.as_str())))
        };
        let candidates = self.model.classes().iter().zip(&p);
        // Cues veto an intent but are no evidence for the others: the
        // probability left by a vetoed intent is not handed to the rest
        // ("about cancelling my order" is not surely help because
        // "cancelling" is no cue of cancel_order).
        let total: f32 = candidates
            .clone()
            .filter(|(c, _)| allowed(c))
            .map(|(_, p)| p)
            .sum();
        let best = candidates
            .filter(|(c, _)| eligible(c))
            .max_by(|a, b| a.1.total_cmp(b.1));
        let nearest = || {
            self.examples
                .iter()
                .map(|e| (e, dot(&e.vector, message)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
        };
        match best {
            Some((intent, p)) => Route {
                intent: intent.clone(),
                score: p / total.max(f32::MIN_POSITIVE),
                article: nearest()
                    .filter(|(e, s)| *s >= ARTICLE_MIN_SCORE && &e.intent == intent)
                    .map(|(e, _)| e.article.clone()),
            },
            None => Route {
                intent: "off_topic".into(),
                score: f32::MIN,
                article: None,
            },
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// What the knowledge recognises in `text` (see [`Signals`]).
pub fn signals(k: &Knowledge, lexicon: &Lexicon, text: &str) -> Signals {
    Signals {
        product: lexicon.product_named(text).is_some() || lexicon.product_hinted(text).is_some(),
        kind: lexicon.names_kind(text),
        store: lexicon.merchant_named(text).is_some(),
        place: crate::commerce::spot_place(k, &text.to_lowercase()).is_some(),
    }
}

/// Every example's features, from its text and embedding.
pub fn featured(examples: &[Example], vectors: &[Vec<f32>], k: &Knowledge) -> Vec<Vec<f32>> {
    let lexicon = Lexicon::new(k);
    examples
        .iter()
        .zip(vectors)
        .map(|(e, v)| features(&e.text, v, signals(k, &lexicon, &e.text)))
        .collect()
}

/// Embeds every example's text, a batch at a time.
pub fn embed_all(embedder: &Embedder, examples: &[Example]) -> anyhow::Result<Vec<Vec<f32>>> {
    let plain: Vec<String> = examples.iter().map(|e| e.text.clone()).collect();
    let mut vectors = Vec::with_capacity(plain.len());
    for chunk in plain.chunks(256) {
        vectors.extend(embedder.embed_batch(chunk)?);
    }
    Ok(vectors)
}

/// Fits the classifier to the examples (their [`featured`] vectors) that
/// [`learnt`] keeps and `keep` also keeps.
pub fn fit(
    examples: &[Example],
    vectors: &[Vec<f32>],
    keep: impl Fn(&Example) -> bool,
    settings: Settings,
) -> anyhow::Result<IntentModel> {
    let (vs, labels): (Vec<&[f32]>, Vec<&str>) = examples
        .iter()
        .zip(vectors)
        .filter(|(e, _)| learnt(e, settings) && keep(e))
        .flat_map(|(e, v)| {
            let times = if e.source == Source::Own {
                settings.own_weight
            } else {
                1
            };
            std::iter::repeat_n((v.as_slice(), e.intent.as_str()), times)
        })
        .unzip();
    IntentModel::fit(&vs, &labels, settings)
}

#[derive(serde::Deserialize)]
struct IntentsFile {
    intent: Vec<IntentEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentEntry {
    name: String,
    examples: Vec<String>,
    #[serde(default)]
    cues: Vec<String>,
}

impl IntentsFile {
    fn load(prompts: &Path) -> anyhow::Result<IntentsFile> {
        let path = prompts.join("intents.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
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
    use super::{signals, Lexicon};
    use crate::knowledge::Knowledge;

    /// What a clone learns from is what ships: the counts `errand index`
    /// reports come from `prompts/` alone, whatever `../shared/` holds.
    #[test]
    fn the_reader_learns_from_the_shipped_examples() {
        use crate::agent::training::Source;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let k = Knowledge::load(&root.join("knowledge")).unwrap();
        let prompts = root.join("prompts");
        let examples = super::Router::examples(&prompts, &prompts.join("training"), &k).unwrap();
        let count = |s: Source| examples.iter().filter(|e| e.source == s).count();
        assert_eq!(
            [
                count(Source::Own),
                count(Source::Phrases),
                count(Source::Bitext),
                count(Source::Sgd),
                count(Source::Taskmaster4),
                count(Source::Clinc150)
            ],
            [281, 520, 1951, 719, 712, 15100]
        );
        let learnt = examples
            .iter()
            .filter(|e| super::learnt(e, super::SETTINGS))
            .count();
        assert_eq!(learnt, 9204);
    }

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
        let k = Knowledge::load(&prompts.with_file_name("knowledge")).unwrap();
        let digest = || {
            let c: super::Cache = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
            c.digest
        };
        let mut e =
            Embedder::load(&test_models(), 1, 2, 8).expect("`make setup` fetches the model");
        // `dir` holds no shipped sets: the examples are prompts/ alone.
        super::Router::load(&prompts, &dir, &k, &cache, &e).unwrap();
        let first = digest();
        super::Router::load(&prompts, &dir, &k, &cache, &e).unwrap();
        assert_eq!(digest(), first, "the same model reuses its vectors");
        e.fingerprint.push_str("-other");
        super::Router::load(&prompts, &dir, &k, &cache, &e).unwrap();
        assert_ne!(digest(), first, "another model's vectors were reused");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_near_labelled_example_names_its_help_article() {
        use crate::retrieval::embed::{test_models, Embedder};
        let dir = std::env::temp_dir().join(format!("errand-router-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let asks = [
            "I need a copy of my invoice",
            "where can I download my invoice",
            "how do I get the invoice for my purchase",
            "send me the invoice please",
        ];
        let mut csv = String::from("utterance,intent\n");
        for u in &asks {
            csv.push_str(&format!("{u},check_invoice\n"));
        }
        std::fs::write(dir.join("bitext.tune.csv"), csv).unwrap();
        let prompts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        let e = Embedder::load(&test_models(), 1, 2, 8).expect("`make setup` fetches the model");
        let k = Knowledge::load(&prompts.with_file_name("knowledge")).unwrap();
        let r = super::Router::load(&prompts, &dir, &k, &dir.join("router.json"), &e).unwrap();
        let lexicon = Lexicon::new(&k);
        let route = |t: &str| r.route(t, &e.embed_query(t).unwrap(), signals(&k, &lexicon, t));
        // prompts/real.toml: check_invoice is answered by help-invoice.
        let near = route("can you help me find my invoice");
        assert_eq!(near.intent, "help");
        assert_eq!(near.article.as_deref(), Some("help-invoice"), "{near:?}");
        // Examples from prompts/intents.toml name no article.
        let hello = route("hello there");
        assert_eq!((hello.intent.as_str(), hello.article), ("greeting", None));
        std::fs::remove_dir_all(dir).ok();
    }
}
