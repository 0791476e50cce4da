//! Local text embeddings: all-MiniLM-L6-v2 through fastembed on ONNX Runtime
//! loaded from a file, never from a hub. Every model file is checked against
//! `models.json` before use, and query embeddings are cached.
//!
//! The model runs its matrix products in int8 (dynamic quantization, derived
//! at set-up by `.ci/quantize_model.py`): about twice as fast as the float
//! products of the wheel's model, with equal retrieval quality. Dynamic
//! quantization scales each call's input as a whole, so a text embedded
//! beside others would get a vector that depends on its neighbours: every
//! text is embedded alone, and a document's vector is exactly its query's.
//!
//! Queries and documents run on different copies of the model, because one
//! wants latency and the other throughput. `retrieval.embed_sessions` copies
//! of `embed_threads` threads each answer queries (a query takes whichever is
//! free; on 2 cores one copy of two threads answers in half the time of a
//! one-thread copy). Documents in bulk are split across one single-threaded
//! copy per core, made on first use: threads working on one small batch
//! wait on each other, copies on their own batches do not (measured on 2
//! cores: 385 docs/s on one two-thread copy, 512 on two one-thread copies).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use anyhow::{bail, Context};
use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};
use lru::LruCache;
use sha2::{Digest, Sha256};

pub const DIMENSIONS: usize = 384;

/// Tokens embedded per text. Measured on `errand eval retrieval`: 64 tokens
/// gave hybrid nDCG@10 0.843, 32 gave 0.839 at 1.75x the indexing speed, 16
/// dropped to 0.810. Titles and the start of a description carry the meaning.
const MAX_TOKENS: usize = 32;

/// Fewer texts than this run on a query copy: making the bulk copies costs
/// more than they save.
const BULK_FROM: usize = 16;

/// The pinned model files, shared with `.ci/fetch_models.py`.
const MANIFEST: &str = include_str!("models.json");

pub struct Embedder {
    /// Copies of the model for queries.
    sessions: Vec<Mutex<TextEmbedding>>,
    /// One single-threaded copy per core for documents in bulk, made when
    /// first needed (a server whose index is current never needs them).
    bulk: OnceLock<Vec<Mutex<TextEmbedding>>>,
    model: (Vec<u8>, TokenizerFiles),
    /// Where the next query starts looking for a free session.
    next: AtomicUsize,
    cache: Mutex<LruCache<String, Vec<f32>>>,
    /// Identifies the model; vectors made by another model must be re-made.
    pub fingerprint: String,
}

impl Embedder {
    /// Loads ONNX Runtime and `sessions` copies of the model from `models`,
    /// after verifying checksums; each runs on `threads` threads.
    pub fn load(
        models: &Path,
        sessions: usize,
        threads: usize,
        cache_size: usize,
    ) -> anyhow::Result<Embedder> {
        let files = verify(models)?;
        let runtime = &files[0];
        // ort panics later instead of erroring if the runtime is missing; we checked it exists.
        let _ = ort::init_from(runtime)
            .with_context(|| format!("loading ONNX Runtime from {}", runtime.display()))?;
        let read = |name: &str| -> anyhow::Result<Vec<u8>> {
            let p = models.join("minilm").join(name);
            std::fs::read(&p).with_context(|| format!("reading {}", p.display()))
        };
        let tokenizer = TokenizerFiles {
            tokenizer_file: read("tokenizer.json")?,
            config_file: read("config.json")?,
            special_tokens_map_file: read("special_tokens_map.json")?,
            tokenizer_config_file: read("tokenizer_config.json")?,
        };
        let model = (read("model-dynamic-int8.onnx")?, tokenizer);
        let sessions = copies(&model, sessions, threads)?;
        // Vectors cut at another length are other vectors: re-made.
        let fingerprint = format!("{}-t{MAX_TOKENS}", manifest_model_digest());
        let cap = NonZeroUsize::new(cache_size.max(1)).expect("non-zero");
        Ok(Embedder {
            sessions,
            bulk: OnceLock::new(),
            model,
            next: AtomicUsize::new(0),
            cache: Mutex::new(LruCache::new(cap)),
            fingerprint,
        })
    }

    /// Embeds documents (no caching): a few on a query copy, more split
    /// across the bulk copies.
    pub fn embed_batch(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        if texts.len() < BULK_FROM {
            return run(&mut self.free_session(), texts);
        }
        let bulk = match self.bulk.get() {
            Some(b) => b,
            None => {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                let made = copies(&self.model, cores, 1)?;
                self.bulk.get_or_init(|| made)
            }
        };
        let share = texts.len().div_ceil(bulk.len());
        let parts: Vec<anyhow::Result<Vec<Vec<f32>>>> = std::thread::scope(|s| {
            let handles: Vec<_> = texts
                .chunks(share)
                .zip(bulk)
                .map(|(part, session)| s.spawn(move || run(&mut lock(session), part)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| bail!("an embedding thread panicked"))
                })
                .collect()
        });
        let mut out = Vec::with_capacity(texts.len());
        for part in parts {
            out.extend(part?);
        }
        Ok(out)
    }

    /// A session no one is using, else (all busy) the next in turn.
    fn free_session(&self) -> MutexGuard<'_, TextEmbedding> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.sessions.len();
        (0..n)
            .find_map(|k| self.sessions[(start + k) % n].try_lock().ok())
            .unwrap_or_else(|| lock(&self.sessions[start % n]))
    }

    /// Embeds one query, served from the LRU cache when seen before.
    pub fn embed_query(&self, text: &str) -> anyhow::Result<Vec<f32>> {
        let key = text.trim().to_lowercase();
        if let Some(v) = self.cached(&key) {
            return Ok(v);
        }
        let v = self.embed_uncached(&key)?;
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(key, v.clone());
        Ok(v)
    }

    /// [`Embedder::embed_query`] for async code: a cached vector at once,
    /// else the model runs on the blocking pool. At most one inference runs
    /// per session; the waiters block pool threads, never the async
    /// runtime's workers serving other requests.
    pub async fn embed_query_async(self: &Arc<Self>, text: &str) -> anyhow::Result<Vec<f32>> {
        if let Some(v) = self.cached(&text.trim().to_lowercase()) {
            return Ok(v);
        }
        let (me, text) = (self.clone(), text.to_string());
        tokio::task::spawn_blocking(move || me.embed_query(&text))
            .await
            .context("the embedding task failed")?
    }

    fn cached(&self, key: &str) -> Option<Vec<f32>> {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    /// Forgets cached query embeddings, so a benchmark measures cold queries.
    pub fn clear_cache(&self) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn embed_uncached(&self, text: &str) -> anyhow::Result<Vec<f32>> {
        let mut v = self.embed_batch(&[text.to_string()])?;
        v.pop().context("embedding returned nothing")
    }
}

/// `n` copies of the model, each running on `threads` threads.
fn copies(
    (onnx, tokenizer): &(Vec<u8>, TokenizerFiles),
    n: usize,
    threads: usize,
) -> anyhow::Result<Vec<Mutex<TextEmbedding>>> {
    (0..n.max(1))
        .map(|_| {
            let model = UserDefinedEmbeddingModel::new(onnx.clone(), tokenizer.clone())
                .with_pooling(Pooling::Mean);
            let options = InitOptionsUserDefined::new()
                .with_intra_threads(threads.max(1))
                .with_max_length(MAX_TOKENS);
            TextEmbedding::try_new_from_user_defined(model, options)
                .map(Mutex::new)
                .context("initialising the embedding model")
        })
        .collect()
}

fn lock(m: &Mutex<TextEmbedding>) -> MutexGuard<'_, TextEmbedding> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Embeds `texts` on one session, one at a time (see the module's note),
/// normalised.
fn run(model: &mut TextEmbedding, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
    let mut out = model.embed(texts, Some(1)).context("embedding documents")?;
    out.iter_mut().for_each(|v| normalise(v));
    Ok(out)
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[derive(serde::Deserialize)]
struct Manifest {
    wheels: Vec<Wheel>,
    /// Files made from fetched ones at set-up; part of the embedding model.
    #[serde(default)]
    derived: Vec<ModelFile>,
}

#[derive(serde::Deserialize)]
struct Wheel {
    /// `llm` for the optional language model, `static` for the word
    /// embeddings only a comparison loads, `source` for files only derived
    /// from; empty for the embedding model.
    #[serde(default)]
    role: String,
    files: Vec<ModelFile>,
}

#[derive(serde::Deserialize)]
struct ModelFile {
    dest: String,
    sha256: String,
}

/// The files with `role` (empty: the embedding model, runtime first, then
/// the files derived at set-up).
fn manifest_files(role: &str) -> Vec<ModelFile> {
    let m: Manifest =
        serde_json::from_str(MANIFEST).expect("models.json is valid (checked by a test)");
    let derived = if role.is_empty() {
        m.derived
    } else {
        Vec::new()
    };
    m.wheels
        .into_iter()
        .filter(|w| w.role == role)
        .flat_map(|w| w.files)
        .chain(derived)
        .collect()
}

fn manifest_model_digest() -> String {
    let files = manifest_files("");
    let all: Vec<&str> = files.iter().map(|f| f.sha256.as_str()).collect();
    hex::encode(&Sha256::digest(all.join(",").as_bytes())[..8])
}

/// Checks every pinned file of the embedding model under `models`; returns
/// their paths, runtime first.
pub fn verify(models: &Path) -> anyhow::Result<Vec<PathBuf>> {
    verify_role(models, "")
}

/// [`verify`] for the wheels with another `role` in `models.json`.
pub(super) fn verify_role(models: &Path, role: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for f in manifest_files(role) {
        let path = models.join(&f.dest);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => bail!(
                "model file {} is missing ({e}); run `make setup` to fetch it",
                path.display()
            ),
        };
        let digest = hex::encode(Sha256::digest(&bytes));
        if digest != f.sha256 {
            bail!("model file {} is corrupt (SHA-256 {digest}, expected {}); delete it and run `make setup`", path.display(), f.sha256);
        }
        paths.push(path);
    }
    Ok(paths)
}

/// Where `make` fetched the models (ERRAND_MODELS), as the server finds them.
#[cfg(test)]
pub(crate) fn test_models() -> PathBuf {
    std::env::var_os("ERRAND_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".models"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_in_bulk_embed_as_one_query_does_and_keep_their_order() {
        let e = Embedder::load(&test_models(), 1, 2, 64).expect("`make setup` fetches the model");
        // Enough texts to go to the bulk copies, of varied lengths.
        let texts: Vec<String> = (0..BULK_FROM + 3)
            .map(|i| {
                format!(
                    "item {i}: {}",
                    "basmati rice and masala chai ".repeat(1 + i % 4)
                )
            })
            .collect();
        let bulk = e.embed_batch(&texts).unwrap();
        assert_eq!(bulk.len(), texts.len());
        for (t, v) in texts.iter().zip(&bulk) {
            let q = e.embed_query(t).unwrap();
            let cos: f32 = q.iter().zip(v).map(|(x, y)| x * y).sum();
            // Alone or among others, a text gets the same vector: dynamic
            // quantization would shift it by about 0.007 beside neighbours.
            assert!(cos > 0.9999, "{t}: cosine {cos}");
        }
    }

    #[test]
    fn manifest_parses_and_runtime_comes_first() {
        let model = manifest_files("");
        assert!(model[0].dest.starts_with("libonnxruntime"));
        // The server loads the derived model, never the file it is made from.
        assert!(model
            .iter()
            .any(|f| f.dest == "minilm/model-dynamic-int8.onnx"));
        assert!(model.iter().all(|f| f.dest != "minilm/model.onnx"));
        assert_eq!(manifest_files("static").len(), 2);
        assert_eq!(manifest_model_digest().len(), 16);
    }

    #[test]
    fn missing_and_corrupt_files_are_named() {
        let dir = std::env::temp_dir().join(format!("errand-models-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = verify(&dir).unwrap_err().to_string();
        assert!(
            e.contains("libonnxruntime.so") && e.contains("missing"),
            "{e}"
        );
        std::fs::write(dir.join("libonnxruntime.so"), b"not a library").unwrap();
        let e = verify(&dir).unwrap_err().to_string();
        assert!(e.contains("corrupt"), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }
}
