//! Scores of a dialogue replay: the summary (`--json`), a terminal table,
//! thresholds (`evals/thresholds.toml`), and the Markdown and HTML reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::dialogues::Counts;
use super::quantile;
use super::replay::DialogueResult;

#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub dialogues: usize,
    pub passed: usize,
    pub pass_rate: f64,
}

impl Rate {
    fn of(passed: usize, dialogues: usize) -> Rate {
        Rate {
            dialogues,
            passed,
            pass_rate: if dialogues == 0 {
                0.0
            } else {
                round(passed as f64 / dialogues as f64)
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub dialogues: usize,
    /// Dialogues that passed every run (pass^k when `repeat` > 1).
    pub passed: usize,
    pub pass_rate: f64,
    pub repeat: usize,
    pub turns: usize,
    pub turn_pass_rate: f64,
    pub tool_precision: f64,
    pub tool_recall: f64,
    pub tool_f1: f64,
    pub cart_precision: f64,
    pub cart_recall: f64,
    pub latency_ms: Latency,
    /// Runs that could not be set up or whose requests failed outright.
    pub errors: usize,
    /// The dialogues tagged `holdout`, not looked at while tuning, and the rest.
    pub holdout: Rate,
    pub tuning: Rate,
    pub by_tag: BTreeMap<String, Rate>,
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn summarise(results: &[DialogueResult], repeat: usize) -> Summary {
    // A dialogue passes when every one of its runs passed.
    let mut by_id: BTreeMap<&str, (bool, &[String])> = BTreeMap::new();
    for r in results {
        let e = by_id.entry(&r.id).or_insert((true, &r.tags));
        e.0 &= r.passed;
    }
    let rate = |keep: &dyn Fn(&[String]) -> bool| {
        let chosen: Vec<bool> = by_id
            .values()
            .filter(|(_, tags)| keep(tags))
            .map(|(p, _)| *p)
            .collect();
        Rate::of(chosen.iter().filter(|p| **p).count(), chosen.len())
    };
    let is_holdout = |t: &[String]| t.iter().any(|x| x == "holdout");
    let mut tags: Vec<&String> = by_id.values().flat_map(|(_, t)| t.iter()).collect();
    tags.sort();
    tags.dedup();
    let by_tag = tags
        .into_iter()
        .map(|tag| (tag.clone(), rate(&|t: &[String]| t.contains(tag))))
        .collect();

    let turns: Vec<_> = results.iter().flat_map(|r| &r.turns).collect();
    let (mut tools, mut cart) = (Counts::default(), Counts::default());
    for t in &turns {
        tools.add(t.tools);
        cart.add(t.cart);
    }
    let mut lat: Vec<f64> = turns.iter().map(|t| t.latency_ms).collect();
    lat.sort_by(f64::total_cmp);
    let overall = rate(&|_| true);
    Summary {
        dialogues: overall.dialogues,
        passed: overall.passed,
        pass_rate: overall.pass_rate,
        repeat,
        turns: turns.len(),
        turn_pass_rate: round(
            turns.iter().filter(|t| t.passed).count() as f64 / turns.len().max(1) as f64,
        ),
        tool_precision: round(tools.precision()),
        tool_recall: round(tools.recall()),
        tool_f1: round(tools.f1()),
        cart_precision: round(cart.precision()),
        cart_recall: round(cart.recall()),
        latency_ms: Latency {
            p50: round(quantile(&lat, 0.5)),
            p99: round(quantile(&lat, 0.99)),
        },
        errors: results.iter().filter(|r| r.error.is_some()).count(),
        holdout: rate(&|t| is_holdout(t)),
        tuning: rate(&|t| !is_holdout(t)),
        by_tag,
    }
}

/// Minimums (and a latency maximum) `make test` holds the suite to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub pass_rate: Option<f64>,
    pub holdout_pass_rate: Option<f64>,
    pub turn_pass_rate: Option<f64>,
    pub tool_f1: Option<f64>,
    pub cart_recall: Option<f64>,
    pub latency_p99_ms: Option<f64>,
}

impl Thresholds {
    pub fn load(path: &Path) -> anyhow::Result<Thresholds> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Each threshold the summary misses, as a sentence.
    pub fn misses(&self, s: &Summary) -> Vec<String> {
        let mut out = Vec::new();
        let mut min = |name: &str, want: Option<f64>, got: f64| {
            if let Some(w) = want.filter(|w| got < *w) {
                out.push(format!("{name} {got:.3} is below {w:.3}"));
            }
        };
        min("pass_rate", self.pass_rate, s.pass_rate);
        min(
            "holdout pass_rate",
            self.holdout_pass_rate,
            s.holdout.pass_rate,
        );
        min("turn_pass_rate", self.turn_pass_rate, s.turn_pass_rate);
        min("tool_f1", self.tool_f1, s.tool_f1);
        min("cart_recall", self.cart_recall, s.cart_recall);
        if let Some(max) = self.latency_p99_ms.filter(|m| s.latency_ms.p99 > *m) {
            out.push(format!(
                "latency p99 {:.1} ms is above {max:.1} ms",
                s.latency_ms.p99
            ));
        }
        out
    }
}

/// The terminal table: totals, then the pass rate of each tag.
pub fn table(s: &Summary) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "dialogues {}  passed {}  pass rate {:.1}%  (tuning {:.1}%, holdout {:.1}%){}",
        s.dialogues,
        s.passed,
        s.pass_rate * 100.0,
        s.tuning.pass_rate * 100.0,
        s.holdout.pass_rate * 100.0,
        if s.repeat > 1 {
            format!("  pass^{}", s.repeat)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        t,
        "turns {}  turn pass rate {:.1}%  tool P/R/F1 {:.3}/{:.3}/{:.3}  cart P/R {:.3}/{:.3}",
        s.turns,
        s.turn_pass_rate * 100.0,
        s.tool_precision,
        s.tool_recall,
        s.tool_f1,
        s.cart_precision,
        s.cart_recall
    );
    let _ = writeln!(
        t,
        "latency per turn p50 {:.1} ms  p99 {:.1} ms  errors {}",
        s.latency_ms.p50, s.latency_ms.p99, s.errors
    );
    let _ = writeln!(
        t,
        "\n{:<16} {:>9} {:>7} {:>9}",
        "tag", "dialogues", "passed", "rate"
    );
    for (tag, r) in &s.by_tag {
        let _ = writeln!(
            t,
            "{tag:<16} {:>9} {:>7} {:>8.1}%",
            r.dialogues,
            r.passed,
            r.pass_rate * 100.0
        );
    }
    t
}

/// Failed runs with each failed check, expected against actual.
fn failures(results: &[DialogueResult]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in results.iter().filter(|r| !r.passed) {
        let title = format!("{} ({}, run {})", r.id, r.file, r.run + 1);
        let mut body = String::new();
        if let Some(e) = &r.error {
            let _ = writeln!(body, "error: {e}");
        }
        for (i, t) in r.turns.iter().enumerate() {
            if t.passed {
                continue;
            }
            let _ = writeln!(body, "turn {}: user: {}", i + 1, t.user);
            let _ = writeln!(body, "  reply: {}", t.reply);
            let _ = writeln!(
                body,
                "  intent: {}  tools: {}",
                t.intent,
                t.tools_called.join(", ")
            );
            for f in &t.failures {
                let _ = writeln!(
                    body,
                    "  {}: expected {} / actual {}",
                    f.check, f.expected, f.actual
                );
            }
        }
        out.push((title, body));
    }
    out
}

/// Writes `report.md` and `report.html` (with charts) into `dir`.
pub fn write(dir: &Path, s: &Summary, results: &[DialogueResult]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let fails = failures(results);

    let mut md = String::from("# Errand dialogue evaluation\n\n```\n");
    md.push_str(&table(s));
    md.push_str("```\n\n## Failures\n\n");
    if fails.is_empty() {
        md.push_str("None.\n");
    }
    for (title, body) in &fails {
        let _ = write!(md, "### {title}\n\n```\n{body}```\n\n");
    }
    std::fs::write(dir.join("report.md"), md)?;

    let mut h = String::from(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Errand dialogue evaluation</title>\
         <style>body{font:14px system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}\
         pre{background:#f4f4f4;padding:.8em;overflow-x:auto;white-space:pre-wrap}\
         svg text{font:12px system-ui,sans-serif}</style>\
         <h1>Errand dialogue evaluation</h1>",
    );
    let _ = write!(h, "<pre>{}</pre>", escape(&table(s)));
    h.push_str("<h2>Pass rate by tag</h2>");
    h.push_str(&bars(
        &s.by_tag
            .iter()
            .map(|(t, r)| (t.clone(), r.pass_rate * 100.0))
            .collect::<Vec<_>>(),
        "%",
    ));
    h.push_str("<h2>Turn latency (ms)</h2>");
    let mut lat: Vec<f64> = results
        .iter()
        .flat_map(|r| r.turns.iter().map(|t| t.latency_ms))
        .collect();
    lat.sort_by(f64::total_cmp);
    h.push_str(&bars(&histogram(&lat), " turns"));
    let _ = write!(h, "<h2>Failures ({})</h2>", fails.len());
    for (title, body) in &fails {
        let _ = write!(
            h,
            "<details><summary>{}</summary><pre>{}</pre></details>",
            escape(title),
            escape(body)
        );
    }
    h.push_str("</html>\n");
    std::fs::write(dir.join("report.html"), h)?;
    Ok(())
}

/// Latency buckets: ten equal widths between the fastest and slowest turn.
fn histogram(sorted: &[f64]) -> Vec<(String, f64)> {
    let (Some(lo), Some(hi)) = (sorted.first(), sorted.last()) else {
        return vec![];
    };
    let width = ((hi - lo) / 10.0).max(0.1);
    let mut counts = [0usize; 10];
    for v in sorted {
        counts[(((v - lo) / width) as usize).min(9)] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                format!(
                    "{:.0}-{:.0}",
                    lo + width * i as f64,
                    lo + width * (i + 1) as f64
                ),
                *c as f64,
            )
        })
        .collect()
}

/// A horizontal bar chart as inline SVG.
fn bars(rows: &[(String, f64)], unit: &str) -> String {
    let max = rows.iter().map(|r| r.1).fold(1.0_f64, f64::max);
    let (row_h, label_w, bar_w) = (20, 140, 600.0);
    let mut svg = format!(
        "<svg role=\"img\" width=\"{}\" height=\"{}\">",
        label_w + 700,
        rows.len() * row_h + 4
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = i * row_h;
        let w = v / max * bar_w;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{label_w}\" y=\"{}\" width=\"{w:.1}\" height=\"14\" fill=\"#3b82f6\"/>\
             <text x=\"{:.1}\" y=\"{}\">{v:.0}{unit}</text>",
            y + 14,
            escape(label),
            y + 3,
            label_w as f64 + w + 6.0,
            y + 14
        );
    }
    svg.push_str("</svg>");
    svg
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
