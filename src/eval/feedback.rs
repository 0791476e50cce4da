//! Scores feedback triage against hand-labelled texts
//! (`evals/feedback/labelled.jsonl`): class and team accuracy, precision
//! and recall per class and per team, and aspects found. The file is split
//! by a fixed rule, every third text (the 3rd, 6th, ...) held out: tune the
//! rules on the rest and read the holdout as the honest figure.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::triage::{Class, Triage, Verdict};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub text: String,
    #[serde(default)]
    pub rating: Option<i64>,
    pub class: Class,
    pub aspects: Vec<String>,
    pub team: String,
}

/// True for the texts held out of tuning.
pub fn held_out(index: usize) -> bool {
    index % 3 == 2
}

pub fn load(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1))
        })
        .collect()
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PrecisionRecall {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    /// Texts labelled with it.
    pub support: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PartScores {
    pub texts: usize,
    pub class_accuracy: f64,
    pub team_accuracy: f64,
    pub classes: BTreeMap<String, PrecisionRecall>,
    pub teams: BTreeMap<String, PrecisionRecall>,
    /// Over all (text, aspect) pairs.
    pub aspects: PrecisionRecall,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tune: PartScores,
    pub holdout: PartScores,
}

/// One text the rules got wrong somewhere, for `--failures`.
#[derive(Debug, Serialize)]
pub struct Miss<'a> {
    pub line: usize,
    pub held_out: bool,
    pub expected: &'a Labelled,
    pub got: Verdict,
}

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn finish(&self) -> PrecisionRecall {
        let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        PrecisionRecall {
            precision: ratio(self.tp, self.tp + self.fp),
            recall: ratio(self.tp, self.tp + self.fn_),
            support: self.tp + self.fn_,
        }
    }
}

/// Tallies one label against one prediction.
fn tally(counts: &mut BTreeMap<String, Counts>, expected: &str, got: &str) {
    if expected == got {
        counts.entry(expected.into()).or_default().tp += 1;
    } else {
        counts.entry(expected.into()).or_default().fn_ += 1;
        counts.entry(got.into()).or_default().fp += 1;
    }
}

fn score<'a>(part: impl Iterator<Item = (&'a Labelled, &'a Verdict)>) -> PartScores {
    let (mut n, mut class_ok, mut team_ok) = (0, 0, 0);
    let mut classes = BTreeMap::new();
    let mut teams = BTreeMap::new();
    let mut aspects = Counts::default();
    for (l, v) in part {
        n += 1;
        class_ok += usize::from(l.class == v.class);
        team_ok += usize::from(l.team == v.team);
        tally(&mut classes, l.class.as_str(), v.class.as_str());
        tally(&mut teams, &l.team, &v.team);
        let hit = v.aspects.iter().filter(|a| l.aspects.contains(a)).count();
        aspects.tp += hit;
        aspects.fp += v.aspects.len() - hit;
        aspects.fn_ += l.aspects.len() - hit;
    }
    let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    PartScores {
        texts: n,
        class_accuracy: share(class_ok),
        team_accuracy: share(team_ok),
        classes: classes.into_iter().map(|(k, c)| (k, c.finish())).collect(),
        teams: teams.into_iter().map(|(k, c)| (k, c.finish())).collect(),
        aspects: aspects.finish(),
    }
}

/// Classifies every text; the report and the texts it got wrong.
pub fn evaluate<'a>(triage: &Triage, set: &'a [Labelled]) -> (Report, Vec<Miss<'a>>) {
    let verdicts: Vec<Verdict> = set
        .iter()
        .map(|l| triage.classify(&l.text, l.rating))
        .collect();
    let part = |holdout: bool| {
        score(
            set.iter()
                .zip(&verdicts)
                .enumerate()
                .filter(move |(i, _)| held_out(*i) == holdout)
                .map(|(_, p)| p),
        )
    };
    let report = Report {
        tune: part(false),
        holdout: part(true),
    };
    let misses = set
        .iter()
        .zip(verdicts)
        .enumerate()
        .filter(|(_, (l, v))| l.class != v.class || l.team != v.team || l.aspects != v.aspects)
        .map(|(i, (l, v))| Miss {
            line: i + 1,
            held_out: held_out(i),
            expected: l,
            got: v,
        })
        .collect();
    (report, misses)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.1}%", v * 100.0))
}

pub fn table(r: &Report) -> String {
    let mut out = format!(
        "{:<28} {:>16} {:>16}\n{:<28} {:>16} {:>16}\n",
        "", "tune", "holdout", "texts", r.tune.texts, r.holdout.texts
    );
    let row = |out: &mut String, name: &str, a: Option<f64>, b: Option<f64>| {
        *out += &format!("{name:<28} {:>16} {:>16}\n", pct(a), pct(b));
    };
    row(
        &mut out,
        "class accuracy",
        Some(r.tune.class_accuracy),
        Some(r.holdout.class_accuracy),
    );
    row(
        &mut out,
        "team accuracy",
        Some(r.tune.team_accuracy),
        Some(r.holdout.team_accuracy),
    );
    row(
        &mut out,
        "aspects precision",
        r.tune.aspects.precision,
        r.holdout.aspects.precision,
    );
    row(
        &mut out,
        "aspects recall",
        r.tune.aspects.recall,
        r.holdout.aspects.recall,
    );
    let per = |out: &mut String,
               kind: &str,
               a: &BTreeMap<String, PrecisionRecall>,
               b: &BTreeMap<String, PrecisionRecall>| {
        for (k, t) in a {
            let h = b.get(k).cloned().unwrap_or_default();
            row(
                out,
                &format!("{kind} {k} precision"),
                t.precision,
                h.precision,
            );
            row(out, &format!("{kind} {k} recall"), t.recall, h.recall);
        }
    };
    per(&mut out, "class", &r.tune.classes, &r.holdout.classes);
    per(&mut out, "team", &r.tune.teams, &r.holdout.teams);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A floor under the shipped rules on the shipped texts, so a rule change
    /// that breaks triage fails here; the figures themselves are in the README.
    #[test]
    fn the_shipped_rules_hold_their_figures_on_the_held_out_texts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let triage = Triage::load(&root.join("prompts/triage.toml")).unwrap();
        let set = load(&root.join("evals/feedback/labelled.jsonl")).unwrap();
        assert!(set.len() >= 300, "{} labelled texts", set.len());
        let (r, _) = evaluate(&triage, &set);
        assert_eq!(r.tune.texts + r.holdout.texts, set.len());
        assert!(r.holdout.class_accuracy >= 0.9, "{r:?}");
        assert!(r.holdout.team_accuracy >= 0.8, "{r:?}");
        assert!(r.holdout.aspects.recall.unwrap() >= 0.8, "{r:?}");
    }

    #[test]
    fn every_third_text_is_held_out() {
        let held: Vec<usize> = (0..9).filter(|&i| held_out(i)).collect();
        assert_eq!(held, [2, 5, 8]);
    }
}
