//! Local text embeddings: all-MiniLM-L6-v2 (int8 ONNX) through fastembed on
//! ONNX Runtime loaded from a file, never from a hub. Every model file is
//! checked against `models.json` before use, and query embeddings are cached.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};
use lru::LruCache;
use sha2::{Digest, Sha256};

pub const DIMENSIONS: usize = 384;

/// The pinned model files, shared with `.ci/fetch_models.py`.
const MANIFEST: &str = include_str!("models.json");

pub struct Embedder {
    model: Mutex<TextEmbedding>,
    cache: Mutex<LruCache<String, Vec<f32>>>,
    /// Identifies the model; vectors made by another model must be re-made.
    pub fingerprint: String,
}

impl Embedder {
    /// Loads ONNX Runtime and the model from `models`, after verifying checksums.
    pub fn load(models: &Path, threads: usize, cache_size: usize) -> anyhow::Result<Embedder> {
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
        let model = UserDefinedEmbeddingModel::new(read("model.onnx")?, tokenizer)
            .with_pooling(Pooling::Mean);
        let options = InitOptionsUserDefined::new()
            .with_intra_threads(threads.max(1))
            .with_max_length(64);
        let model = TextEmbedding::try_new_from_user_defined(model, options)
            .context("initialising the embedding model")?;
        let fingerprint = manifest_model_digest();
        let cap = NonZeroUsize::new(cache_size.max(1)).expect("non-zero");
        Ok(Embedder {
            model: Mutex::new(model),
            cache: Mutex::new(LruCache::new(cap)),
            fingerprint,
        })
    }

    /// Embeds a batch of documents (no caching).
    pub fn embed_batch(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut model = self.model.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = model
            .embed(texts, Some(32))
            .context("embedding documents")?;
        out.iter_mut().for_each(|v| normalise(v));
        Ok(out)
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
    /// else the model runs on the blocking pool. The model is one locked
    /// session, so at most one inference runs and the waiters block pool
    /// threads, never the async runtime's workers serving other requests.
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

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[derive(serde::Deserialize)]
struct Manifest {
    wheels: Vec<Wheel>,
}

#[derive(serde::Deserialize)]
struct Wheel {
    /// `llm` for the optional language model, which retrieval never loads.
    #[serde(default)]
    role: String,
    files: Vec<ModelFile>,
}

#[derive(serde::Deserialize)]
struct ModelFile {
    dest: String,
    sha256: String,
}

/// The embedding model's files, runtime first.
fn manifest() -> Manifest {
    let mut m: Manifest =
        serde_json::from_str(MANIFEST).expect("models.json is valid (checked by a test)");
    m.wheels.retain(|w| w.role != "llm");
    m
}

fn manifest_model_digest() -> String {
    let m = manifest();
    let all: Vec<&str> = m
        .wheels
        .iter()
        .flat_map(|w| w.files.iter().map(|f| f.sha256.as_str()))
        .collect();
    hex::encode(&Sha256::digest(all.join(",").as_bytes())[..8])
}

/// Checks every pinned file under `models`; returns their paths, runtime first.
pub fn verify(models: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for f in manifest().wheels.iter().flat_map(|w| &w.files) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_parses_and_runtime_comes_first() {
        let m = manifest();
        assert!(m.wheels[0].files[0].dest.starts_with("libonnxruntime"));
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
