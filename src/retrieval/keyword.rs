//! BM25 keyword search with tantivy: English stemming on title and body, an
//! unstemmed title copy for typo-tolerant fuzzy matching, phrase boosts for
//! multi-word queries, filters as required clauses, and snippets.

use std::ops::Bound;
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TantivyDocument, TextFieldIndexing, TextOptions, Value, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{doc, Index, IndexReader, ReloadPolicy, Term};

use super::docs::Doc;
use super::Filters;

/// Query words that carry no meaning for a shop search (documents keep
/// them), from `prompts/search.toml`, compiled in.
fn stopwords() -> &'static [String] {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Search {
        query_stopwords: Vec<String>,
    }
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        // A compile-time constant; `stopwords_parse` checks it in every test run.
        toml::from_str::<Search>(include_str!("../../prompts/search.toml"))
            .expect("prompts/search.toml parses (checked by the stopwords_parse test)")
            .query_stopwords
    })
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    title: Field,
    title_raw: Field,
    body: Field,
    merchant: Field,
    category: Field,
    tags: Field,
    price: Field,
    in_stock: Field,
}

pub struct KeywordIndex {
    index: Index,
    reader: IndexReader,
    f: Fields,
}

/// One keyword hit: the document id and its BM25 score.
pub struct KeywordHit {
    pub id: String,
    pub score: f32,
}

/// Keyword hits, and what highlights the query in a document's body. Snippets
/// are made only for the hits finally shown: they are the costly part.
#[derive(Default)]
pub struct KeywordResult {
    pub hits: Vec<KeywordHit>,
    pub snippets: Option<SnippetGenerator>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stemmed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let raw = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let f = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING),
        title: b.add_text_field("title", stemmed.clone() | STORED),
        title_raw: b.add_text_field("title_raw", raw),
        body: b.add_text_field("body", stemmed | STORED),
        merchant: b.add_text_field("merchant", STRING),
        category: b.add_text_field("category", STRING),
        tags: b.add_text_field("tags", STRING),
        price: b.add_i64_field("price", INDEXED | FAST),
        in_stock: b.add_u64_field("in_stock", INDEXED),
    };
    (b.build(), f)
}

impl KeywordIndex {
    /// Builds the index from scratch in `dir` (emptied first). Fast: the whole
    /// catalog indexes in well under a second, so there is no partial update.
    pub fn build(dir: &Path, docs: &[Doc]) -> tantivy::Result<KeywordIndex> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let (schema, f) = schema();
        let index = Index::create_in_dir(dir, schema)?;
        // One indexing thread: one segment in the documents' order, so equal
        // scores rank alike on every machine. Several threads share documents
        // out by timing, and a tie near a threshold then decided a turn
        // differently from one build to the next. It costs well under 0.1 s.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 50_000_000)?;
        for d in docs {
            let mut td = doc!(
                f.id => d.id.as_str(),
                f.kind => d.kind.as_str(),
                f.title => d.title.as_str(),
                f.title_raw => d.title.as_str(),
                f.body => d.body.as_str(),
                f.merchant => d.merchant_id.as_str(),
                f.category => d.category.to_lowercase(),
                f.price => d.price_minor,
                f.in_stock => u64::from(d.in_stock),
            );
            for t in &d.tags {
                td.add_text(f.tags, t);
            }
            writer.add_document(td)?;
        }
        writer.commit()?;
        KeywordIndex::with_index(index, f)
    }

    pub fn open(dir: &Path) -> tantivy::Result<KeywordIndex> {
        let index = Index::open_in_dir(dir)?;
        KeywordIndex::with_index(index, schema().1)
    }

    fn with_index(index: Index, f: Fields) -> tantivy::Result<KeywordIndex> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(KeywordIndex { index, reader, f })
    }

    /// Top `limit` documents for `text` (already synonym-expanded: `extra`
    /// holds the alternative words) under `filters`.
    pub fn search(
        &self,
        text: &str,
        extra: &[String],
        filters: &Filters,
        limit: usize,
    ) -> tantivy::Result<KeywordResult> {
        let f = self.f;
        let stemmed = self.tokens(f.title, text)?;
        let raw = self.tokens(f.title_raw, text)?;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for tok in &stemmed {
            for (field, boost) in [(f.title, 3.0), (f.body, 1.0)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, tok),
                    IndexRecordOption::WithFreqs,
                );
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        for tok in raw.iter().filter(|t| t.chars().count() >= 4) {
            // One edit for short words, two for long ones: "choclate" finds "chocolate".
            let distance = if tok.chars().count() >= 8 { 2 } else { 1 };
            let q = FuzzyTermQuery::new(Term::from_field_text(f.title_raw, tok), distance, true);
            should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), 1.5))));
        }
        if stemmed.len() >= 2 {
            let terms = stemmed
                .iter()
                .map(|t| Term::from_field_text(f.title, t))
                .collect();
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(PhraseQuery::new(terms)), 4.0)),
            ));
        }
        for alt in extra {
            for tok in self.tokens(f.title, alt)? {
                for (field, boost) in [(f.title, 2.0), (f.body, 0.8)] {
                    let q = TermQuery::new(
                        Term::from_field_text(field, &tok),
                        IndexRecordOption::WithFreqs,
                    );
                    should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
                }
            }
        }
        if should.is_empty() {
            return Ok(KeywordResult::default());
        }
        let text_query = BooleanQuery::new(should);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(text_query.clone()))];
        clauses.extend(
            self.filter_clauses(filters)
                .into_iter()
                .map(|q| (Occur::Must, q)),
        );
        let query = BooleanQuery::new(clauses);

        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut generator = SnippetGenerator::create(&searcher, &text_query, f.body)?;
        generator.set_max_num_chars(160);
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            let id = d
                .get_first(f.id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            hits.push(KeywordHit { id, score });
        }
        Ok(KeywordResult {
            hits,
            snippets: Some(generator),
        })
    }

    fn filter_clauses(&self, filters: &Filters) -> Vec<Box<dyn Query>> {
        let f = self.f;
        let term = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        let mut out = Vec::new();
        if let Some(k) = filters.kind {
            out.push(term(f.kind, k.as_str()));
        }
        if let Some(m) = &filters.merchant {
            out.push(term(f.merchant, m));
        }
        if let Some(c) = &filters.category {
            out.push(term(f.category, &c.to_lowercase()));
        }
        for t in &filters.tags {
            out.push(term(f.tags, t));
        }
        if filters.in_stock {
            out.push(Box::new(TermQuery::new(
                Term::from_field_u64(f.in_stock, 1),
                IndexRecordOption::Basic,
            )));
        }
        if filters.price_min.is_some() || filters.price_max.is_some() {
            let lo = filters.price_min.map_or(Bound::Unbounded, |v| {
                Bound::Included(Term::from_field_i64(f.price, v))
            });
            let hi = filters.price_max.map_or(Bound::Unbounded, |v| {
                Bound::Included(Term::from_field_i64(f.price, v))
            });
            out.push(Box::new(RangeQuery::new(lo, hi)));
        }
        out
    }

    fn tokens(&self, field: Field, text: &str) -> tantivy::Result<Vec<String>> {
        let mut analyzer = self.index.tokenizer_for_field(field)?;
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token().text.clone();
            if !stopwords().contains(&t) && !out.contains(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stopwords_parse() {
        let words = super::stopwords();
        assert!(words.iter().any(|w| w == "please") && !words.iter().any(|w| w == "rice"));
    }
}
