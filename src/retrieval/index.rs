//! Building and refreshing the indexes from the knowledge. The keyword index
//! is rebuilt whenever any document changed (it takes well under a second);
//! vectors are incremental: only new or changed documents are embedded and
//! upserted, removed ones are deleted. A manifest of content hashes in the
//! data folder records what the vector store holds.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::docs::{self, Doc};
use super::embed::{Embedder, DIMENSIONS};
use super::keyword::KeywordIndex;
use super::synonyms::Synonyms;
use super::vector::{cluster::ClusterStore, edge::EdgeStore, VectorPoint, VectorStore};
use super::Retriever;
use crate::config::Config;
use crate::knowledge::Knowledge;

#[derive(Default, Serialize, Deserialize)]
struct Manifest {
    model: String,
    backend: String,
    keyword_digest: String,
    vectors: HashMap<String, String>,
}

/// What a refresh did.
#[derive(Debug, Serialize)]
pub struct IndexReport {
    pub docs: usize,
    pub keyword_rebuilt: bool,
    pub embedded: usize,
    pub deleted: usize,
    pub seconds: f64,
    pub backend: String,
}

const BATCH: usize = 64;

/// Opens the indexes under `<data>/index`, bringing them up to date with the
/// knowledge first. `progress` draws a progress bar (for the CLI).
pub async fn open(
    config: &Config,
    knowledge: &Knowledge,
    progress: bool,
) -> anyhow::Result<(Retriever, IndexReport)> {
    let start = Instant::now();
    let dir = config.paths.data.join("index");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let models = config.paths.models.clone();
    let r = &config.retrieval;
    let (sessions, threads, cache) = (r.embed_sessions, r.embed_threads, r.embed_cache);
    let embedder = Arc::new(
        tokio::task::spawn_blocking(move || Embedder::load(&models, sessions, threads, cache))
            .await??,
    );

    let docs = docs::build(knowledge);
    let hashes: Vec<String> = docs.iter().map(Doc::content_hash).collect();
    let keyword_digest = hex::encode(&Sha256::digest(hashes.join(",").as_bytes())[..16]);

    let vectors: Box<dyn VectorStore> = if config.retrieval.qdrant_url.is_empty() {
        let vdir = dir.join("vectors");
        let m = read_manifest(&dir);
        if m.model != embedder.fingerprint && vdir.exists() {
            // Vectors from another model are meaningless: start the shard afresh.
            std::fs::remove_dir_all(&vdir)?;
        }
        Box::new(EdgeStore::open(&vdir, DIMENSIONS)?)
    } else {
        Box::new(ClusterStore::connect(&config.retrieval.qdrant_url, "errand", DIMENSIONS).await?)
    };

    let mut manifest = read_manifest(&dir);
    if manifest.model != embedder.fingerprint || manifest.backend != vectors.name() {
        manifest.vectors.clear();
    }
    manifest.model = embedder.fingerprint.clone();
    manifest.backend = vectors.name();

    let kdir = dir.join("keyword");
    let keyword_rebuilt =
        manifest.keyword_digest != keyword_digest || KeywordIndex::open(&kdir).is_err();
    let keyword = if keyword_rebuilt {
        let docs = docs.clone();
        let kdir2 = kdir.clone();
        tokio::task::spawn_blocking(move || KeywordIndex::build(&kdir2, &docs))
            .await?
            .context("building keyword index")?
    } else {
        KeywordIndex::open(&kdir).context("opening keyword index")?
    };
    manifest.keyword_digest = keyword_digest;

    let live: HashMap<&str, &str> = docs
        .iter()
        .zip(&hashes)
        .map(|(d, h)| (d.id.as_str(), h.as_str()))
        .collect();
    let removed: Vec<String> = manifest
        .vectors
        .keys()
        .filter(|id| !live.contains_key(id.as_str()))
        .cloned()
        .collect();
    if !removed.is_empty() {
        vectors.delete(removed.clone()).await?;
        removed.iter().for_each(|id| {
            manifest.vectors.remove(id);
        });
    }
    let changed: Vec<usize> = (0..docs.len())
        .filter(|&i| {
            manifest.vectors.get(&docs[i].id).map(String::as_str) != Some(hashes[i].as_str())
        })
        .collect();
    let bar = progress.then(|| {
        let b = ProgressBar::new(changed.len() as u64);
        b.set_style(
            ProgressStyle::with_template(
                "embedding {bar:40} {pos}/{len} docs, {per_sec}, eta {eta}",
            )
            .expect("valid template"),
        );
        b
    });
    let changed: Vec<&Doc> = changed.iter().map(|&i| &docs[i]).collect();
    embed_and_store(&embedder, vectors.as_ref(), &changed, |batch| {
        for d in batch {
            manifest
                .vectors
                .insert(d.id.clone(), live[d.id.as_str()].to_string());
        }
        if let Some(b) = &bar {
            b.inc(batch.len() as u64);
        } else {
            tracing::info!(
                done = manifest.vectors.len(),
                total = docs.len(),
                "embedding documents"
            );
        }
    })
    .await?;
    if let Some(b) = bar {
        b.finish();
    }
    if !changed.is_empty() || !removed.is_empty() {
        vectors.optimize().await?;
    }
    write_manifest(&dir, &manifest)?;

    let report = IndexReport {
        docs: docs.len(),
        keyword_rebuilt,
        embedded: changed.len(),
        deleted: removed.len(),
        seconds: start.elapsed().as_secs_f64(),
        backend: vectors.name(),
    };
    let by_id = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    let retriever = Retriever {
        docs,
        by_id,
        keyword,
        vectors,
        embedder,
        synonyms: Synonyms::new(knowledge.synonyms.clone()),
        rrf_k: config.retrieval.rrf_k,
    };
    Ok((retriever, report))
}

/// Embeds `docs` and writes them to `store` in batches, the next batch
/// embedded while one is written; `done` hears of each batch once written.
pub async fn embed_and_store<'d>(
    embedder: &Arc<Embedder>,
    store: &dyn VectorStore,
    docs: &[&'d Doc],
    mut done: impl FnMut(&[&'d Doc]),
) -> anyhow::Result<()> {
    let embed = |batch: &[&Doc]| {
        let texts: Vec<String> = batch.iter().map(|d| d.embedding_text()).collect();
        let emb = embedder.clone();
        tokio::task::spawn_blocking(move || emb.embed_batch(&texts))
    };
    let batches: Vec<&[&Doc]> = docs.chunks(BATCH).collect();
    let mut next = batches.first().map(|b| embed(b));
    for (k, &batch) in batches.iter().enumerate() {
        let vecs = next
            .take()
            .context("an embedding batch was lost")?
            .await??;
        next = batches.get(k + 1).map(|b| embed(b));
        let points = batch
            .iter()
            .zip(vecs)
            .map(|(d, v)| VectorPoint::new(d, v))
            .collect();
        store.upsert(points).await?;
        done(batch);
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> Manifest {
    std::fs::read(dir.join("manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Written to a temporary file and renamed, so a crash never leaves half a manifest.
fn write_manifest(dir: &Path, m: &Manifest) -> anyhow::Result<()> {
    let tmp = dir.join("manifest.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(m)?)?;
    std::fs::rename(&tmp, dir.join("manifest.json"))?;
    Ok(())
}
