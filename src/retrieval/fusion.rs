//! Reciprocal Rank Fusion: score(d) = sum over lists of 1 / (k + rank), rank from 1.

use std::collections::HashMap;

/// One fused result and the ranks it had in each input list (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Fused {
    pub id: String,
    pub score: f32,
    pub ranks: Vec<Option<usize>>,
}

/// Fuses ranked lists of ids; ties keep the order of first appearance.
///
/// ```
/// use errand::retrieval::fusion::rrf;
/// let fused = rrf(&[vec!["a".into(), "b".into()], vec!["b".into(), "c".into()]], 60.0);
/// assert_eq!(fused[0].id, "b");
/// assert_eq!(fused[0].ranks, vec![Some(2), Some(1)]);
/// ```
pub fn rrf(lists: &[Vec<String>], k: f32) -> Vec<Fused> {
    let mut out: Vec<Fused> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (li, list) in lists.iter().enumerate() {
        for (ri, id) in list.iter().enumerate() {
            let i = *at.entry(id.as_str()).or_insert_with(|| {
                out.push(Fused {
                    id: id.clone(),
                    score: 0.0,
                    ranks: vec![None; lists.len()],
                });
                out.len() - 1
            });
            if out[i].ranks[li].is_none() {
                out[i].ranks[li] = Some(ri + 1);
                out[i].score += 1.0 / (k + (ri + 1) as f32);
            }
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_in_both_lists_win_and_ranks_are_reported() {
        let a: Vec<String> = ["x", "y", "z"].map(String::from).to_vec();
        let b: Vec<String> = ["z", "w"].map(String::from).to_vec();
        let f = rrf(&[a, b], 60.0);
        assert_eq!(f[0].id, "z");
        assert_eq!(f[0].ranks, vec![Some(3), Some(1)]);
        assert!((f[0].score - (1.0 / 63.0 + 1.0 / 61.0)).abs() < 1e-6);
        assert_eq!(
            f.iter().find(|h| h.id == "w").unwrap().ranks,
            vec![None, Some(2)]
        );
        assert_eq!(f.len(), 4);
    }
}
