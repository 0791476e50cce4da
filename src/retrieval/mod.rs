//! Hybrid retrieval over products, recipes and help articles: BM25 (tantivy)
//! and dense vectors (MiniLM embeddings in qdrant-edge or a Qdrant cluster),
//! fused with Reciprocal Rank Fusion. Both sides honour the same [`Filters`],
//! and every hit explains itself with its rank in each list.
//!
//! ```no_run
//! # async fn demo(r: &errand::retrieval::Retriever) -> anyhow::Result<()> {
//! use errand::retrieval::{Filters, Mode, SearchRequest};
//! let hits = r.search(&SearchRequest { query: "jeera".into(), mode: Mode::Hybrid, filters: Filters::default(), limit: 5 }).await?;
//! println!("{}", hits[0].title);
//! # Ok(()) }
//! ```

pub mod docs;
pub mod embed;
pub mod fusion;
mod index;
pub mod keyword;
pub mod static_embed;
pub mod synonyms;
pub mod vector;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

pub use docs::{Doc, Kind};
pub use index::{embed_and_store, open, IndexReport};

use embed::Embedder;
use keyword::{KeywordIndex, KeywordResult};
use synonyms::Synonyms;
use vector::VectorStore;

/// Restrictions both keyword and vector search apply (the audience: search,
/// after fusion).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub kind: Option<Kind>,
    pub merchant: Option<String>,
    pub category: Option<String>,
    /// Every tag must be present (e.g. `vegan`, `gluten-free`).
    pub tags: Vec<String>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub in_stock: bool,
    /// The caller is a care agent: agent-only articles may be found. Off by
    /// default, so a search that forgets to say who asks hides them.
    pub agent_view: bool,
}

impl Filters {
    /// Whether the caller may see `d` at all: agent-only articles only
    /// for a care agent.
    pub fn shows(&self, d: &Doc) -> bool {
        self.agent_view || !d.agent_only
    }

    /// Whether `d` passes, as the vector stores' payload filters and then
    /// the audience check decide.
    pub fn admits(&self, d: &Doc) -> bool {
        self.shows(d)
            && self.kind.is_none_or(|k| k == d.kind)
            && self.merchant.as_ref().is_none_or(|m| *m == d.merchant_id)
            && self
                .category
                .as_ref()
                .is_none_or(|c| c.eq_ignore_ascii_case(&d.category))
            && self.tags.iter().all(|t| d.tags.contains(t))
            && (!self.in_stock || d.in_stock)
            && self.price_min.is_none_or(|p| d.price_minor >= p)
            && self.price_max.is_none_or(|p| d.price_minor <= p)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Bm25,
    Dense,
    Hybrid,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Bm25, Mode::Dense, Mode::Hybrid];

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "bm25" | "keyword" => Some(Mode::Bm25),
            "dense" | "vector" => Some(Mode::Dense),
            "hybrid" => Some(Mode::Hybrid),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Bm25 => "bm25",
            Mode::Dense => "dense",
            Mode::Hybrid => "hybrid",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub mode: Mode,
    pub filters: Filters,
    pub limit: usize,
}

/// Why a hit is where it is.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub bm25_rank: Option<usize>,
    pub bm25_score: Option<f32>,
    pub dense_rank: Option<usize>,
    pub dense_score: Option<f32>,
    pub fused_score: f32,
    /// Words added by synonym expansion.
    pub expanded_with: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub merchant_id: Option<String>,
    pub category: String,
    pub price_minor: Option<i64>,
    pub tags: Vec<String>,
    pub in_stock: bool,
    pub snippet: Option<String>,
    pub explanation: Explanation,
}

/// Milliseconds each stage of one hybrid search took alone.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Parts {
    pub keyword_ms: f64,
    pub embed_ms: f64,
    pub vector_ms: f64,
    pub fuse_ms: f64,
}

pub struct Retriever {
    docs: Vec<Doc>,
    by_id: HashMap<String, usize>,
    keyword: KeywordIndex,
    vectors: Box<dyn VectorStore>,
    embedder: Arc<Embedder>,
    synonyms: Synonyms,
    rrf_k: f32,
}

/// How many candidates each side contributes to fusion.
const CANDIDATES: usize = 50;

impl Retriever {
    pub async fn search(&self, req: &SearchRequest) -> anyhow::Result<Vec<Hit>> {
        let expanded = self.synonyms.expand(&req.query);
        let pool = req.limit.max(CANDIDATES);
        let keyword = if req.mode != Mode::Dense {
            self.keyword
                .search(&req.query, &expanded, &req.filters, pool)?
        } else {
            KeywordResult {
                hits: Vec::new(),
                snippets: None,
            }
        };
        let bm25 = &keyword.hits;
        let dense = if req.mode != Mode::Bm25 {
            let v = self
                .embedder
                .embed_query_async(&dense_text(&req.query, &expanded))
                .await?;
            self.vectors.search(v, &req.filters, pool).await?
        } else {
            Vec::new()
        };
        let bm25_ids: Vec<String> = bm25.iter().map(|h| h.id.clone()).collect();
        let dense_ids: Vec<String> = dense.iter().map(|(id, _)| id.clone()).collect();
        let fused = fusion::rrf(&[bm25_ids, dense_ids], self.rrf_k);
        let bm25_scores: HashMap<&str, f32> =
            bm25.iter().map(|h| (h.id.as_str(), h.score)).collect();
        let dense_scores: HashMap<&str, f32> =
            dense.iter().map(|(id, s)| (id.as_str(), *s)).collect();
        Ok(fused
            .into_iter()
            .filter_map(|f| {
                let doc = &self.docs[*self.by_id.get(&f.id)?];
                // Agent-only policy is indexed with the rest (assist mode
                // searches it) and dropped here for everyone else.
                if !req.filters.shows(doc) {
                    return None;
                }
                let is_product = doc.kind == Kind::Product;
                let kw = bm25_scores.get(f.id.as_str()).copied();
                Some(Hit {
                    id: doc.id.clone(),
                    kind: doc.kind,
                    title: doc.title.clone(),
                    merchant_id: is_product.then(|| doc.merchant_id.clone()),
                    category: doc.category.clone(),
                    price_minor: is_product.then_some(doc.price_minor),
                    tags: doc.tags.clone(),
                    in_stock: doc.in_stock,
                    snippet: kw
                        .and(keyword.snippets.as_ref())
                        .map(|g| g.snippet(&doc.body).to_html())
                        .filter(|s| !s.is_empty()),
                    explanation: Explanation {
                        bm25_rank: f.ranks[0],
                        bm25_score: kw,
                        dense_rank: f.ranks[1],
                        dense_score: dense_scores.get(f.id.as_str()).copied(),
                        fused_score: f.score,
                        expanded_with: expanded.clone(),
                    },
                })
            })
            .take(req.limit)
            .collect())
    }

    /// Each stage of a hybrid search run alone over `query` (no filters, the
    /// embedding cache cold), in milliseconds: the floor that
    /// `errand bench retrieval` holds [`Retriever::search`] against.
    pub async fn time_parts(&self, query: &str) -> anyhow::Result<Parts> {
        use std::time::Instant;
        let ms = |at: Instant| at.elapsed().as_secs_f64() * 1000.0;
        let filters = Filters::default();
        let expanded = self.synonyms.expand(query);
        let at = Instant::now();
        let keyword = self
            .keyword
            .search(query, &expanded, &filters, CANDIDATES)?;
        let keyword_ms = ms(at);
        self.embedder.clear_cache();
        let at = Instant::now();
        let v = self.embedder.embed_query(&dense_text(query, &expanded))?;
        let embed_ms = ms(at);
        let at = Instant::now();
        let dense = self.vectors.search(v, &filters, CANDIDATES).await?;
        let vector_ms = ms(at);
        let at = Instant::now();
        let lists = [
            keyword.hits.into_iter().map(|h| h.id).collect(),
            dense.into_iter().map(|(id, _)| id).collect(),
        ];
        std::hint::black_box(fusion::rrf(&lists, self.rrf_k));
        Ok(Parts {
            keyword_ms,
            embed_ms,
            vector_ms,
            fuse_ms: ms(at),
        })
    }

    pub fn docs(&self) -> &[Doc] {
        &self.docs
    }

    /// What the query embedding is made of: the query with its synonyms.
    pub fn dense_query(&self, query: &str) -> String {
        dense_text(query, &self.synonyms.expand(query))
    }

    pub fn rrf_k(&self) -> f32 {
        self.rrf_k
    }

    pub fn embedder(&self) -> &Arc<Embedder> {
        &self.embedder
    }

    pub fn backend(&self) -> String {
        self.vectors.name()
    }
}

fn dense_text(query: &str, expanded: &[String]) -> String {
    if expanded.is_empty() {
        query.to_string()
    } else {
        format!("{query} ({})", expanded.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_admit_what_the_vector_stores_keep() {
        let doc = Doc {
            id: "p-1".into(),
            kind: Kind::Product,
            title: "Oat Milk 1 l".into(),
            body: String::new(),
            merchant_id: "m-freshcart".into(),
            category: "Dairy".into(),
            tags: vec!["vegan".into()],
            price_minor: 19900,
            in_stock: false,
            agent_only: false,
        };
        let f = |f: Filters| f.admits(&doc);
        assert!(f(Filters::default()));
        assert!(f(Filters {
            category: Some("dairy".into()),
            tags: vec!["vegan".into()],
            price_max: Some(19900),
            ..Filters::default()
        }));
        assert!(!f(Filters {
            in_stock: true,
            ..Filters::default()
        }));
        assert!(!f(Filters {
            kind: Some(Kind::Recipe),
            ..Filters::default()
        }));
        assert!(!f(Filters {
            price_min: Some(20000),
            ..Filters::default()
        }));
        assert!(!f(Filters {
            merchant: Some("m-quickmart".into()),
            ..Filters::default()
        }));
        let policy = Doc {
            kind: Kind::Help,
            agent_only: true,
            ..doc
        };
        assert!(!Filters::default().admits(&policy));
        assert!(Filters {
            agent_view: true,
            ..Filters::default()
        }
        .admits(&policy));
    }
}
