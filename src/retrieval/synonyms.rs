//! Query-time synonym expansion from `knowledge/synonyms.toml`.

/// Groups of interchangeable words.
pub struct Synonyms {
    groups: Vec<Vec<String>>,
}

impl Synonyms {
    pub fn new(groups: Vec<Vec<String>>) -> Synonyms {
        Synonyms { groups }
    }

    /// The other words of every group the query mentions (whole words or phrases).
    ///
    /// ```
    /// let s = errand::retrieval::synonyms::Synonyms::new(vec![vec!["cumin".into(), "jeera".into()]]);
    /// assert_eq!(s.expand("Jeera 100g"), vec!["cumin".to_string()]);
    /// assert!(s.expand("jeerakam").is_empty());
    /// ```
    pub fn expand(&self, query: &str) -> Vec<String> {
        let padded = format!(" {} ", normalise(query));
        let mut out: Vec<String> = Vec::new();
        for group in &self.groups {
            if group.iter().any(|w| padded.contains(&format!(" {w} "))) {
                for w in group {
                    if !padded.contains(&format!(" {w} ")) && !out.contains(w) {
                        out.push(w.clone());
                    }
                }
            }
        }
        out
    }
}

fn normalise(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
