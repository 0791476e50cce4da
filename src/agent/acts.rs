//! The dialogue act of a customer's turn, for the one decision a keyword
//! cannot make across sources: whether the turn accepts what was just
//! proposed ("That is correct, please proceed", "sounds good, how long
//! will it take?") or does something else. A classifier of the intent
//! model's kind and features, fitted at `errand index` from the acts SGD
//! annotates on every shipped ride turn, CLINC150's yes and no requests
//! and Errand's own confirm and deny examples, against a sample of every
//! other example.

use std::path::Path;

use anyhow::Context;

use super::intent_model::{features, IntentModel, Settings, Signals};
use super::training::{fnv, Example, RideTurn, Source};

/// The acts the classifier tells apart.
pub const AFFIRM: &str = "affirm";
const NEGATE: &str = "negate";
const OTHER: &str = "other";

/// One in this many examples of other sources is learnt as "other", so
/// that acceptance is told from every kind of request without the acts
/// drowning in them (chosen by a hash of the text: every build the same).
const OTHER_EVERY: u64 = 4;

/// A turn to learn from: its act, its text, and the index of the intent
/// example with the same text (whose embedding is already computed).
pub struct ActExample {
    pub act: &'static str,
    pub text: String,
    pub example: Option<usize>,
}

/// The act of a turn SGD annotates: an AFFIRM without a NEGATE accepts
/// ("Yes, and its for two" still accepts; the trip change is read apart).
fn sgd_act(acts: &[String]) -> &'static str {
    let has = |a: &str| acts.iter().any(|x| x == a);
    match (has("AFFIRM"), has("NEGATE")) {
        (true, false) => AFFIRM,
        (false, true) => NEGATE,
        _ => OTHER,
    }
}

/// Every turn the act classifier learns from: each SGD ride turn in
/// `training` with its annotated act, the confirm and deny examples among
/// `examples`, and a sample of the rest as "other".
pub fn examples(training: &Path, examples: &[Example]) -> anyhow::Result<Vec<ActExample>> {
    let mut out: Vec<ActExample> = Vec::new();
    for (i, e) in examples.iter().enumerate() {
        let act = match e.intent.as_str() {
            "confirm" => AFFIRM,
            "deny" => NEGATE,
            // SGD's turns come with their own acts, below.
            _ if e.source == Source::Sgd => continue,
            _ if e.source == Source::Own || fnv(&e.text).is_multiple_of(OTHER_EVERY) => OTHER,
            _ => continue,
        };
        out.push(ActExample {
            act,
            text: e.text.clone(),
            example: Some(i),
        });
    }
    let sgd = training.join("sgd-rides.tune.jsonl");
    if sgd.is_file() {
        let text =
            std::fs::read_to_string(&sgd).with_context(|| format!("reading {}", sgd.display()))?;
        for (n, line) in text.lines().enumerate() {
            let t: RideTurn = serde_json::from_str(line)
                .with_context(|| format!("{} line {}", sgd.display(), n + 1))?;
            let example = examples
                .iter()
                .position(|e| e.source == Source::Sgd && e.text == t.text);
            out.push(ActExample {
                act: sgd_act(&t.acts),
                text: t.text,
                example,
            });
        }
    }
    Ok(out)
}

/// The act classifier over turns' embeddings and words (no knowledge
/// signals: an act is said the same whatever it is about).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ActModel(IntentModel);

impl ActModel {
    pub fn fit(
        examples: &[ActExample],
        vectors: &[Vec<f32>],
        s: Settings,
    ) -> anyhow::Result<ActModel> {
        let featured: Vec<Vec<f32>> = examples
            .iter()
            .zip(vectors)
            .map(|(e, v)| features(&e.text, v, Signals::default()))
            .collect();
        let rows: Vec<&[f32]> = featured.iter().map(Vec::as_slice).collect();
        let labels: Vec<&str> = examples.iter().map(|e| e.act).collect();
        Ok(ActModel(IntentModel::fit(&rows, &labels, s)?))
    }

    /// The probability that `text` (embedded as `vector`) accepts what was proposed.
    pub fn affirms(&self, text: &str, vector: &[f32]) -> f32 {
        let p = self
            .0
            .probabilities(&features(text, vector, Signals::default()));
        self.0
            .classes()
            .iter()
            .zip(p)
            .find(|(c, _)| c.as_str() == AFFIRM)
            .map_or(0.0, |(_, p)| p)
    }
}
