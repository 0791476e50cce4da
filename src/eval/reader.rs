//! `errand eval reader`: the intent classifier alone, in-process, the way
//! Errand is judged: on words nobody here wrote. Three tables:
//! - **tuning**: fitted on everything shipped, scored on what it learnt from;
//! - **validation**: the same model on each set's validation part (read from
//!   `../shared/data`, never shipped, never learnt from);
//! - **leave one source out**: fitted without one source, scored on that
//!   source's validation part (Errand's own examples have none, so on all
//!   of them): how the reader does on a source it has never seen.
//!
//! A message is scored as routed, cue words included; for CLINC150 the two
//! figures that matter are apart: out-of-scope recall (its other intents
//! and its out-of-scope requests read as `off_topic`) and in-scope accuracy.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::agent::router::{embed_all, featured, fit, signals, Learning, Router, Settings};
use crate::agent::training::{self, Example, Map, Part, Source};
use crate::knowledge::Knowledge;
use crate::retrieval::embed::Embedder;

const SOURCES: [Source; 6] = [
    Source::Own,
    Source::Phrases,
    Source::Bitext,
    Source::Sgd,
    Source::Taskmaster4,
    Source::Clinc150,
];

/// How one model did on one set of examples.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    pub examples: usize,
    /// Share routed to their gold intent.
    pub accuracy: f64,
    /// Of those whose gold is `off_topic`: how many, and the share read so.
    pub off_topic: usize,
    pub off_topic_recall: f64,
    /// Of the rest: the share routed right.
    pub in_scope_accuracy: f64,
    /// Share of the in-scope ones read as `off_topic` (turned away).
    pub in_scope_refused: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tuning: BTreeMap<Source, Score>,
    pub validation: BTreeMap<Source, Score>,
    pub leave_one_out: BTreeMap<Source, Score>,
    /// The commonest confusions on the validation parts: (gold, routed) -> count.
    pub confusions: Vec<(String, String, usize)>,
}

/// What each message is routed to, as a turn routes it.
struct Judge<'a> {
    k: &'a Knowledge,
    lexicon: crate::agent::lexicon::Lexicon,
}

fn score(
    judge: &Judge,
    router: &Router,
    examples: &[&Example],
    vectors: &[&[f32]],
) -> (Score, Vec<(String, String)>) {
    let mut right = 0;
    let (mut off, mut off_right, mut in_right, mut in_refused) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for (e, v) in examples.iter().zip(vectors) {
        let s = signals(judge.k, &judge.lexicon, &e.text);
        let got = router.route(&e.text, v, s).intent;
        let ok = got == e.intent;
        right += usize::from(ok);
        if e.intent == "off_topic" {
            off += 1;
            off_right += usize::from(ok);
        } else {
            in_right += usize::from(ok);
            in_refused += usize::from(got == "off_topic");
        }
        if !ok {
            misses.push((e.intent.clone(), got));
        }
    }
    let n = examples.len();
    let share = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    (
        Score {
            examples: n,
            accuracy: share(right, n),
            off_topic: off,
            off_topic_recall: share(off_right, off),
            in_scope_accuracy: share(in_right, n - off),
            in_scope_refused: share(in_refused, n - off),
        },
        misses,
    )
}

/// Runs the three tables. `shared` is `../shared/data`; `progress` hears
/// each step as it starts (embedding and fitting take a while).
pub fn run(
    prompts: &Path,
    knowledge: &Knowledge,
    shared: &Path,
    cache: &Path,
    embedder: &Embedder,
    settings: Settings,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Report> {
    let map = Map::load(prompts)?;
    progress("embedding the shipped examples (cached after `errand index`)");
    let l = Learning::load(
        prompts,
        &prompts.join("training"),
        knowledge,
        cache,
        embedder,
    )?;
    let judge = Judge {
        k: knowledge,
        lexicon: crate::agent::lexicon::Lexicon::new(knowledge),
    };
    progress("reading what the knowledge recognises in each example");
    let train = featured(&l.examples, &l.vectors, knowledge);
    let mut validation: BTreeMap<Source, (Vec<Example>, Vec<Vec<f32>>)> = BTreeMap::new();
    for source in SOURCES
        .into_iter()
        .filter(|s| !matches!(s, Source::Own | Source::Phrases))
    {
        progress(&format!("embedding the validation part of {source:?}"));
        let text = training::export(shared, source, Part::Validate)?;
        let examples = training::parse(source, &text, &map)?;
        let vectors = embed_all(embedder, &examples)?;
        validation.insert(source, (examples, vectors));
    }
    let of = |source: Source| -> (Vec<&Example>, Vec<&[f32]>) {
        l.examples
            .iter()
            .zip(&l.vectors)
            .filter(|(e, _)| e.source == source)
            .map(|(e, v)| (e, v.as_slice()))
            .unzip()
    };
    let held = |source: Source| -> Option<(Vec<&Example>, Vec<&[f32]>)> {
        validation
            .get(&source)
            .map(|(es, vs)| (es.iter().collect(), vs.iter().map(Vec::as_slice).collect()))
    };
    // The shipped model, unless other settings are being tried.
    let model = if settings == crate::agent::router::SETTINGS {
        l.model.clone()
    } else {
        progress("fitting with the settings tried");
        fit(&l.examples, &train, |_| true, settings)?
    };
    let all = Router::with_model(prompts, model)?;
    let mut report = Report {
        tuning: BTreeMap::new(),
        validation: BTreeMap::new(),
        leave_one_out: BTreeMap::new(),
        confusions: Vec::new(),
    };
    let mut confused: BTreeMap<(String, String), usize> = BTreeMap::new();
    for source in SOURCES {
        let (es, vs) = of(source);
        report
            .tuning
            .insert(source, score(&judge, &all, &es, &vs).0);
        if let Some((es, vs)) = held(source) {
            let (s, misses) = score(&judge, &all, &es, &vs);
            report.validation.insert(source, s);
            for m in misses {
                *confused.entry(m).or_default() += 1;
            }
        }
    }
    for source in SOURCES {
        progress(&format!("fitting without {source:?}"));
        let model = fit(&l.examples, &train, |e| e.source != source, settings)?;
        let without = Router::with_model(prompts, model)?;
        let (es, vs) = held(source).unwrap_or_else(|| of(source));
        report
            .leave_one_out
            .insert(source, score(&judge, &without, &es, &vs).0);
    }
    let mut confusions: Vec<_> = confused.into_iter().map(|((g, r), n)| (g, r, n)).collect();
    confusions.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    confusions.truncate(15);
    report.confusions = confusions;
    Ok(report)
}

/// The report as Markdown tables.
pub fn table(r: &Report) -> String {
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let mut out = String::new();
    for (name, rows) in [
        ("tuning (learnt from)", &r.tuning),
        ("validation (kept aside)", &r.validation),
        ("leave one source out (fitted without it)", &r.leave_one_out),
    ] {
        out += &format!(
            "\n{name}\n\n| source | examples | routed right | in scope right | in scope turned away | off-topic | off-topic recall |\n|---|---:|---:|---:|---:|---:|---:|\n"
        );
        for (s, x) in rows {
            out += &format!(
                "| {s:?} | {} | {} | {} | {} | {} | {} |\n",
                x.examples,
                pct(x.accuracy),
                pct(x.in_scope_accuracy),
                pct(x.in_scope_refused),
                x.off_topic,
                if x.off_topic > 0 {
                    pct(x.off_topic_recall)
                } else {
                    "-".into()
                }
            );
        }
    }
    out += "\ncommonest confusions on the validation parts\n\n| gold | routed | count |\n|---|---|---:|\n";
    for (g, got, n) in &r.confusions {
        out += &format!("| {g} | {got} | {n} |\n");
    }
    out
}
