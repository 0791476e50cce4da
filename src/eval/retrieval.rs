//! Retrieval evaluation over labelled queries in `evals/retrieval/*.jsonl`.
//!
//! Labels are rules over documents rather than lists of ids, because the
//! catalog repeats an item across stores and sizes: a rule grades every
//! document whose title contains one of `title`, whose category is one of
//! `category`, that carries all `tags`, or whose id is in `ids` (all given
//! conditions must hold). A document's grade is the best rule it matches.
//!
//! Metrics at 10: nDCG (ideal ranking from every graded document), recall
//! (relevant documents found over min(10, relevant)), and MRR of the first
//! document graded 2 or more.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use std::time::Instant;

use crate::retrieval::static_embed::StaticEmbedder;
use crate::retrieval::{fusion, Doc, Filters, Kind, Mode, Retriever, SearchRequest};

/// Candidates each list brings to fusion, as the search itself takes.
const CANDIDATES: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledQuery {
    pub id: String,
    pub query: String,
    pub kind: Option<Kind>,
    #[serde(default)]
    pub filters: QueryFilters,
    #[serde(default)]
    pub tags: Vec<String>,
    pub relevant: Vec<Rule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryFilters {
    #[serde(default)]
    tags: Vec<String>,
    price_max: Option<i64>,
    #[serde(default)]
    in_stock: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    grade: u8,
    #[serde(default)]
    title: Vec<String>,
    #[serde(default)]
    category: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    ids: Vec<String>,
}

impl Rule {
    fn matches(&self, d: &Doc) -> bool {
        let title = d.title.to_lowercase();
        (self.title.is_empty() || self.title.iter().any(|t| title.contains(&t.to_lowercase())))
            && (self.category.is_empty()
                || self
                    .category
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&d.category)))
            && self.tags.iter().all(|t| d.tags.contains(t))
            && (self.ids.is_empty() || self.ids.contains(&d.id))
    }
}

impl LabelledQuery {
    fn request(&self, mode: Mode) -> SearchRequest {
        let filters = Filters {
            kind: self.kind,
            tags: self.filters.tags.clone(),
            price_max: self.filters.price_max,
            in_stock: self.filters.in_stock,
            // Queries tagged `agent` are a care agent's, who may read agent-only policy.
            agent_view: self.tags.iter().any(|t| t == "agent"),
            ..Filters::default()
        };
        SearchRequest {
            query: self.query.clone(),
            mode,
            filters,
            limit: 10,
        }
    }

    /// Grade of `d` for this query: the best matching rule, 0 when none does
    /// or the document is of another kind.
    fn grade(&self, d: &Doc) -> u8 {
        if self.kind.is_some_and(|k| k != d.kind) {
            return 0;
        }
        self.relevant
            .iter()
            .filter(|r| r.matches(d))
            .map(|r| r.grade)
            .max()
            .unwrap_or(0)
    }
}

pub fn load(dir: &Path) -> anyhow::Result<Vec<LabelledQuery>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let q: LabelledQuery =
                serde_json::from_str(line).with_context(|| format!("{}:{}", f.display(), i + 1))?;
            out.push(q);
        }
    }
    if out.is_empty() {
        bail!("no labelled queries in {}", dir.display());
    }
    Ok(out)
}

#[derive(Debug, Default, Serialize, Clone, Copy)]
pub struct Scores {
    #[serde(rename = "ndcg@10")]
    pub ndcg: f64,
    #[serde(rename = "recall@10")]
    pub recall: f64,
    pub mrr: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub queries: usize,
    pub modes: BTreeMap<&'static str, Scores>,
    pub by_tag: BTreeMap<String, BTreeMap<&'static str, Scores>>,
    /// Queries whose rules match no document: a labelling mistake to fix.
    pub unmatched_labels: Vec<String>,
}

fn dcg(grades: impl Iterator<Item = u8>) -> f64 {
    grades
        .enumerate()
        .map(|(i, g)| (2f64.powi(g as i32) - 1.0) / ((i + 2) as f64).log2())
        .sum()
}

/// Scores one ranked list against the grades of every document.
fn score(ranked: &[u8], all_grades: &mut [u8]) -> Scores {
    all_grades.sort_unstable_by(|a, b| b.cmp(a));
    let ideal = dcg(all_grades.iter().copied().take(10));
    let relevant = all_grades.iter().filter(|&&g| g > 0).count();
    let found = ranked.iter().take(10).filter(|&&g| g > 0).count();
    let threshold = if all_grades.first().copied().unwrap_or(0) >= 2 {
        2
    } else {
        1
    };
    Scores {
        ndcg: if ideal > 0.0 {
            dcg(ranked.iter().copied().take(10)) / ideal
        } else {
            0.0
        },
        recall: if relevant > 0 {
            found as f64 / relevant.min(10) as f64
        } else {
            0.0
        },
        mrr: ranked
            .iter()
            .position(|&g| g >= threshold)
            .map_or(0.0, |p| 1.0 / (p + 1) as f64),
    }
}

pub async fn run(
    retriever: &Retriever,
    queries: &[LabelledQuery],
    progress: bool,
) -> anyhow::Result<Report> {
    let docs = retriever.docs();
    let by_id = index_by_id(docs);
    let mut sums: BTreeMap<&'static str, Scores> = BTreeMap::new();
    let mut tag_sums: BTreeMap<String, BTreeMap<&'static str, (Scores, usize)>> = BTreeMap::new();
    let mut unmatched = Vec::new();
    let bar =
        progress.then(|| indicatif::ProgressBar::new((queries.len() * Mode::ALL.len()) as u64));
    for q in queries {
        let mut grades: Vec<u8> = docs.iter().map(|d| q.grade(d)).filter(|&g| g > 0).collect();
        if grades.is_empty() {
            unmatched.push(q.id.clone());
        }
        for mode in Mode::ALL {
            let hits = retriever.search(&q.request(mode)).await?;
            let ranked: Vec<u8> = hits
                .iter()
                .map(|h| by_id.get(h.id.as_str()).map_or(0, |d| q.grade(d)))
                .collect();
            let s = score(&ranked, &mut grades);
            add(sums.entry(mode.as_str()).or_default(), s);
            for tag in &q.tags {
                let e = tag_sums
                    .entry(tag.clone())
                    .or_default()
                    .entry(mode.as_str())
                    .or_default();
                add(&mut e.0, s);
                e.1 += 1;
            }
            if let Some(b) = &bar {
                b.inc(1);
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let n = queries.len() as f64;
    let modes = sums.into_iter().map(|(m, s)| (m, div(s, n))).collect();
    let by_tag = tag_sums
        .into_iter()
        .map(|(t, m)| {
            (
                t,
                m.into_iter()
                    .map(|(mode, (s, k))| (mode, div(s, k as f64)))
                    .collect(),
            )
        })
        .collect();
    Ok(Report {
        queries: queries.len(),
        modes,
        by_tag,
        unmatched_labels: unmatched,
    })
}

/// MiniLM against static word embeddings on the same queries, documents,
/// filters and BM25 list: quality of each mode and the cost of embedding.
#[derive(Debug, Serialize)]
pub struct StaticReport {
    /// "dense (static)" and "hybrid (static)", to read beside the MiniLM modes.
    pub modes: BTreeMap<&'static str, Scores>,
    pub minilm_docs_per_s: f64,
    pub static_docs_per_s: f64,
    /// Median time to embed one query, uncached, in microseconds.
    pub minilm_query_us: f64,
    pub static_query_us: f64,
}

/// Documents whose MiniLM embedding is timed (the static one embeds all).
const TIMED_DOCS: usize = 256;

pub async fn compare_static(
    retriever: &Retriever,
    st: &StaticEmbedder,
    queries: &[LabelledQuery],
) -> anyhow::Result<StaticReport> {
    let docs = retriever.docs();
    let by_id = index_by_id(docs);
    let start = Instant::now();
    let vectors: Vec<Vec<f32>> = docs
        .iter()
        .map(|d| st.embed(&d.embedding_text()))
        .collect::<anyhow::Result<_>>()?;
    let static_docs_per_s = docs.len() as f64 / start.elapsed().as_secs_f64();
    let sample: Vec<String> = docs
        .iter()
        .take(TIMED_DOCS)
        .map(Doc::embedding_text)
        .collect();
    let start = Instant::now();
    retriever.embedder().embed_batch(&sample)?;
    let minilm_docs_per_s = sample.len() as f64 / start.elapsed().as_secs_f64();

    let (mut dense, mut hybrid) = (Scores::default(), Scores::default());
    let (mut minilm_us, mut static_us) = (Vec::new(), Vec::new());
    for q in queries {
        let mut grades: Vec<u8> = docs.iter().map(|d| q.grade(d)).filter(|&g| g > 0).collect();
        let mut req = q.request(Mode::Bm25);
        req.limit = CANDIDATES;
        let bm25: Vec<String> = retriever
            .search(&req)
            .await?
            .into_iter()
            .map(|h| h.id)
            .collect();
        let text = retriever.dense_query(&q.query);
        let start = Instant::now();
        let v = st.embed(&text)?;
        static_us.push(start.elapsed().as_secs_f64() * 1e6);
        let start = Instant::now();
        retriever
            .embedder()
            .embed_batch(std::slice::from_ref(&text))?;
        minilm_us.push(start.elapsed().as_secs_f64() * 1e6);
        let mut near: Vec<(f32, usize)> = vectors
            .iter()
            .enumerate()
            .filter(|(i, _)| req.filters.admits(&docs[*i]))
            .map(|(i, d)| (d.iter().zip(&v).map(|(a, b)| a * b).sum(), i))
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0));
        let near: Vec<String> = near
            .iter()
            .take(CANDIDATES)
            .map(|&(_, i)| docs[i].id.clone())
            .collect();
        let grade_of = |ids: &[String]| -> Vec<u8> {
            ids.iter()
                .take(10)
                .map(|id| by_id.get(id.as_str()).map_or(0, |d| q.grade(d)))
                .collect()
        };
        let fused: Vec<String> = fusion::rrf(&[bm25, near.clone()], retriever.rrf_k())
            .into_iter()
            .map(|f| f.id)
            .collect();
        add(&mut dense, score(&grade_of(&near), &mut grades));
        add(&mut hybrid, score(&grade_of(&fused), &mut grades));
    }
    let n = queries.len() as f64;
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    Ok(StaticReport {
        modes: BTreeMap::from([
            ("dense (static)", div(dense, n)),
            ("hybrid (static)", div(hybrid, n)),
        ]),
        minilm_docs_per_s,
        static_docs_per_s,
        minilm_query_us: median(&mut minilm_us),
        static_query_us: median(&mut static_us),
    })
}

fn index_by_id(docs: &[Doc]) -> std::collections::HashMap<&str, &Doc> {
    docs.iter().map(|d| (d.id.as_str(), d)).collect()
}

pub fn static_table(r: &StaticReport) -> String {
    let mut out = format!(
        "
{:<16} {:>8} {:>10} {:>8}
",
        "mode", "nDCG@10", "recall@10", "MRR"
    );
    for (m, s) in &r.modes {
        out += &format!(
            "{m:<16} {:>8.3} {:>10.3} {:>8.3}
",
            s.ndcg, s.recall, s.mrr
        );
    }
    out += &format!(
        "
embedding cost        MiniLM     static
documents/s     {:>10.0} {:>10.0}
query p50 (us)  {:>10.0} {:>10.1}
",
        r.minilm_docs_per_s, r.static_docs_per_s, r.minilm_query_us, r.static_query_us
    );
    out
}

fn add(a: &mut Scores, b: Scores) {
    a.ndcg += b.ndcg;
    a.recall += b.recall;
    a.mrr += b.mrr;
}

fn div(s: Scores, n: f64) -> Scores {
    Scores {
        ndcg: s.ndcg / n,
        recall: s.recall / n,
        mrr: s.mrr / n,
    }
}

/// A readable table of the report.
pub fn table(r: &Report) -> String {
    let mut out = format!(
        "{} labelled queries\n\n{:<12} {:>8} {:>10} {:>8}\n",
        r.queries, "mode", "nDCG@10", "recall@10", "MRR"
    );
    for (m, s) in &r.modes {
        out += &format!(
            "{m:<12} {:>8.3} {:>10.3} {:>8.3}\n",
            s.ndcg, s.recall, s.mrr
        );
    }
    out += &format!(
        "\nnDCG@10 by tag\n{:<14} {:>8} {:>8} {:>8}\n",
        "tag", "bm25", "dense", "hybrid"
    );
    for (tag, modes) in &r.by_tag {
        let g = |m: &str| modes.get(m).map_or(0.0, |s| s.ndcg);
        out += &format!(
            "{tag:<14} {:>8.3} {:>8.3} {:>8.3}\n",
            g("bm25"),
            g("dense"),
            g("hybrid")
        );
    }
    if !r.unmatched_labels.is_empty() {
        out += &format!(
            "\nlabels matching no document: {}\n",
            r.unmatched_labels.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_ranking_scores_one_and_misses_score_zero() {
        let mut all = vec![3, 2, 1];
        let s = score(&[3, 2, 1], &mut all);
        assert!(
            (s.ndcg - 1.0).abs() < 1e-9
                && (s.recall - 1.0).abs() < 1e-9
                && (s.mrr - 1.0).abs() < 1e-9
        );
        let s = score(&[0, 0, 0], &mut all);
        assert_eq!((s.ndcg, s.recall, s.mrr), (0.0, 0.0, 0.0));
        let s = score(&[0, 2, 3], &mut all);
        assert!(s.ndcg > 0.0 && s.ndcg < 1.0);
        assert_eq!(s.mrr, 0.5);
    }
}
