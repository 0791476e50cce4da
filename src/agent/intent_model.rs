//! The intent classifier: multinomial logistic regression (linfa-logistic,
//! L-BFGS) over three kinds of feature of a message: the MiniLM embedding
//! every message already gets (what it means), its words and word pairs
//! hashed into buckets (what it says: "cart", "biryani"), and what the
//! knowledge recognises in it (a product, a kind of product, a store, a
//! place). Fitted from the shipped examples when `errand index` runs. It has an explicit
//! `off_topic` class, learnt from a general assistant's requests
//! (CLINC150), so "cancel my seven am alarm" is read as not Errand's job
//! instead of landing on the nearest thing Errand does.
//!
//! Only fitting uses linfa; a prediction is one small matrix-vector product
//! and a softmax over the stored weights, so serving needs no solver.

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// How the model is fitted. Chosen on the validation parts (`errand eval
/// reader`); changing any of them refits at the next start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// L2 penalty on the weights (the loss is summed over examples).
    pub alpha: f64,
    pub max_iterations: u64,
    /// Errand's own examples (`prompts/intents.toml`) count this many
    /// times: they are a few hundred among thousands, but the only ones in
    /// Errand's own words ("what's my total?", "use code SAVE100").
    pub own_weight: usize,
    /// One in this many of a general assistant's requests (CLINC150's
    /// other intents) is learnt as `off_topic`: all of them would outnumber
    /// every intent Errand serves put together.
    pub off_topic_every: u64,
}

pub const SETTINGS: Settings = Settings {
    alpha: 1.0,
    max_iterations: 200,
    own_weight: 5,
    off_topic_every: 4,
};

/// Buckets the words and word pairs of a message are hashed into.
pub const BUCKETS: usize = 1024;

/// The layout [`features`] writes; part of the cache's digest, so a model
/// fitted to other features is never read as this one.
pub const LAYOUT: &str =
    "embedding, 1024 hashed words and word pairs, 4 signals (kind: nouns and name words)";

/// What the knowledge recognises in a message.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Signals {
    /// It says the whole name of something sold ("a chai latte").
    pub product: bool,
    /// It names a kind of product ("eggs", "chips").
    pub kind: bool,
    pub store: bool,
    pub place: bool,
}

/// A message's features: its embedding, scaled so each component has
/// about unit spread (a unit vector's are about 1/sqrt(dim)), then one
/// bucket per hashed word and word pair, then the knowledge's signals.
/// Order ids and numbers are words of their own kind, so "o-1f3a" is
/// learnt as an order id, not as a rare word.
pub fn features(text: &str, embedding: &[f32], s: Signals) -> Vec<f32> {
    let k = (embedding.len() as f32).sqrt();
    let mut out: Vec<f32> = embedding.iter().map(|x| x * k).collect();
    let base = out.len();
    out.resize(base + BUCKETS + 4, 0.0);
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.starts_with("o-") && w.len() > 4 {
                "<order>".to_string()
            } else if w.chars().any(|c| c.is_ascii_digit()) {
                "<number>".to_string()
            } else {
                w.trim_matches('-').to_string()
            }
        })
        .collect();
    let grams = words
        .iter()
        .cloned()
        .chain(words.windows(2).map(|p| format!("{} {}", p[0], p[1])));
    for g in grams {
        out[base + (super::training::fnv(&g) % BUCKETS as u64) as usize] = 1.0;
    }
    for (i, on) in [s.product, s.kind, s.store, s.place]
        .into_iter()
        .enumerate()
    {
        out[base + BUCKETS + i] = f32::from(u8::from(on));
    }
    out
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IntentModel {
    classes: Vec<String>,
    dim: usize,
    /// `dim` rows of `classes.len()` weights each.
    weights: Vec<f32>,
    intercept: Vec<f32>,
}

impl IntentModel {
    /// Fits the classifier to feature vectors labelled `labels` (same length).
    pub fn fit(vectors: &[&[f32]], labels: &[&str], s: Settings) -> anyhow::Result<IntentModel> {
        anyhow::ensure!(
            !vectors.is_empty() && vectors.len() == labels.len(),
            "the intent classifier needs as many labels as examples, and some"
        );
        let dim = vectors[0].len();
        let mut classes: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        classes.sort();
        classes.dedup();
        anyhow::ensure!(
            classes.len() >= 2,
            "the intent classifier needs two intents"
        );
        let x = Array2::from_shape_fn((vectors.len(), dim), |(i, j)| {
            f64::from(vectors[i].get(j).copied().unwrap_or(0.0))
        });
        let y: Array1<usize> = labels
            .iter()
            .map(|l| classes.binary_search_by(|c| c.as_str().cmp(l)).unwrap_or(0))
            .collect();
        let fitted = MultiLogisticRegression::default()
            .alpha(s.alpha)
            .max_iterations(s.max_iterations)
            .fit(&Dataset::new(x, y))?;
        // linfa numbers the classes it saw in sorted order, as `classes` is.
        let order: Vec<String> = fitted
            .classes()
            .iter()
            .map(|&c| classes[c].clone())
            .collect();
        let p = fitted.params();
        Ok(IntentModel {
            classes: order,
            dim,
            weights: p.iter().map(|&w| w as f32).collect(),
            intercept: fitted.intercept().iter().map(|&b| b as f32).collect(),
        })
    }

    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The probability of each class (in [`Self::classes`] order) for one
    /// message's [`features`].
    pub fn probabilities(&self, v: &[f32]) -> Vec<f32> {
        let n = self.classes.len();
        let mut z = self.intercept.clone();
        for (x, row) in v.iter().zip(self.weights.chunks_exact(n)).take(self.dim) {
            for (zi, w) in z.iter_mut().zip(row) {
                *zi += x * w;
            }
        }
        let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for zi in &mut z {
            *zi = (*zi - max).exp();
            sum += *zi;
        }
        z.iter().map(|e| e / sum).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three well-separated directions are learnt, and a point between two
    /// of them is unsure between exactly those two.
    #[test]
    fn separable_classes_are_learnt_with_calibrated_doubt() {
        let basis = |i: usize, noise: f32| -> Vec<f32> {
            let mut v = vec![noise; 8];
            v[i] = 1.0;
            v
        };
        let vs: Vec<Vec<f32>> = (0..30).map(|n| basis(n % 3, (n as f32) * 0.003)).collect();
        let labels: Vec<&str> = (0..30).map(|n| ["a", "b", "c"][n % 3]).collect();
        let refs: Vec<&[f32]> = vs.iter().map(Vec::as_slice).collect();
        let m = IntentModel::fit(&refs, &labels, SETTINGS).unwrap();
        assert_eq!(m.classes(), ["a", "b", "c"]);
        let p = m.probabilities(&basis(1, 0.0));
        assert!(p[1] > 0.8, "{p:?}");
        let mut between = vec![0.0; 8];
        between[0] = 0.7;
        between[2] = 0.7;
        let p = m.probabilities(&between);
        assert!((p[0] - p[2]).abs() < 0.1 && p[1] < p[0], "{p:?}");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }

    #[test]
    fn fitting_is_deterministic() {
        let vs: Vec<Vec<f32>> = (0..20)
            .map(|n| (0..4).map(|j| ((n * 7 + j * 3) % 5) as f32 / 5.0).collect())
            .collect();
        let labels: Vec<&str> = (0..20)
            .map(|n| if n % 2 == 0 { "x" } else { "y" })
            .collect();
        let refs: Vec<&[f32]> = vs.iter().map(Vec::as_slice).collect();
        let a = IntentModel::fit(&refs, &labels, SETTINGS).unwrap();
        let b = IntentModel::fit(&refs, &labels, SETTINGS).unwrap();
        assert_eq!(a, b);
    }
}
