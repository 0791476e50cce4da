//! Static word embeddings (WordLlama `l2_supercat`, 256 dimensions): a text's
//! vector is the mean of its tokens' rows in a fixed table, with no network
//! to run. Thousands of times cheaper than MiniLM, and measured against it by
//! `errand eval retrieval --static`; the search itself stays on MiniLM (see
//! the README, Search, for why).

use std::path::Path;

use anyhow::{bail, Context};
use safetensors::{Dtype, SafeTensors};
use tokenizers::Tokenizer;

use super::embed::verify_role;

pub struct StaticEmbedder {
    tokenizer: Tokenizer,
    /// `vocab x dims`, row-major.
    table: Vec<f32>,
    dims: usize,
}

impl StaticEmbedder {
    /// Loads the table and tokenizer from `models`, after verifying checksums.
    pub fn load(models: &Path) -> anyhow::Result<StaticEmbedder> {
        let files = verify_role(models, "static")?;
        let (weights, tokenizer) = (&files[0], &files[1]);
        let tokenizer = Tokenizer::from_file(tokenizer)
            .map_err(|e| anyhow::anyhow!("loading {}: {e}", tokenizer.display()))?;
        let bytes =
            std::fs::read(weights).with_context(|| format!("reading {}", weights.display()))?;
        let tensors = SafeTensors::deserialize(&bytes).context("reading the static embeddings")?;
        let t = tensors
            .tensor("embedding.weight")
            .context("the static embeddings have no `embedding.weight`")?;
        let [_, dims] = t.shape() else {
            bail!("the static embedding table is not two-dimensional");
        };
        if t.dtype() != Dtype::F16 {
            bail!("the static embedding table is {:?}, not F16", t.dtype());
        }
        let table = t
            .data()
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect();
        Ok(StaticEmbedder {
            tokenizer,
            table,
            dims: *dims,
        })
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The mean of the text's token rows, unit length (zero for no tokens).
    pub fn embed(&self, text: &str) -> anyhow::Result<Vec<f32>> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        let rows = self.table.len() / self.dims;
        let mut v = vec![0.0f32; self.dims];
        for &id in enc.get_ids() {
            let row = (id as usize).min(rows - 1) * self.dims;
            v.iter_mut()
                .zip(&self.table[row..row + self.dims])
                .for_each(|(a, b)| *a += b);
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_texts_are_nearer_than_unrelated_ones() {
        let st = StaticEmbedder::load(&super::super::embed::test_models())
            .expect("`make setup` fetches the static embeddings");
        assert_eq!(st.dims(), 256);
        let [tea, chai, tyre] =
            ["masala tea", "chai latte", "car tyre"].map(|t| st.embed(t).unwrap());
        let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        assert!((cos(&tea, &tea) - 1.0).abs() < 1e-4);
        assert!(
            cos(&tea, &chai) > cos(&tea, &tyre),
            "{} vs {}",
            cos(&tea, &chai),
            cos(&tea, &tyre)
        );
        assert!(st.embed("").unwrap().iter().all(|&x| x == 0.0));
    }
}
