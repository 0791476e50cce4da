//! `knowledge/offers/*.toml`: coupons, automatic discounts, merchant offers,
//! festival windows and segment offers. The format is documented at the top
//! of the shipped `offers.toml`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::types::SEGMENTS;
use super::{is_date, KnowledgeError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferScope {
    Cart,
    Merchant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    Percent,
    Flat,
    FreeDelivery,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub id: String,
    pub title: String,
    pub code: Option<String>,
    pub scope: OfferScope,
    pub kind: OfferKind,
    #[serde(default)]
    pub percent: u32,
    #[serde(default)]
    pub amount_minor: i64,
    pub max_discount_minor: Option<i64>,
    #[serde(default)]
    pub min_subtotal_minor: i64,
    pub merchant_id: Option<String>,
    #[serde(default)]
    pub merchant_kinds: Vec<String>,
    #[serde(default)]
    pub segments: Vec<String>,
    /// Behavioural segments it is for, as `measure:level` (`recency:high`:
    /// customers whose segment has not ordered for a while); all must hold.
    #[serde(default)]
    pub behaviour: Vec<String>,
    pub starts: Option<String>,
    pub ends: Option<String>,
    pub help: Option<String>,
}

impl Offer {
    /// Whether the offer runs on `date` (YYYY-MM-DD; ISO dates compare as strings).
    pub fn active_on(&self, date: &str) -> bool {
        self.starts.as_deref().is_none_or(|s| s <= date)
            && self.ends.as_deref().is_none_or(|e| date <= e)
    }

    fn check(&self) -> Result<(), (String, String)> {
        let fail = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
        if self.id.trim().is_empty() {
            return fail("id", "must not be empty");
        }
        match self.kind {
            OfferKind::Percent if !(1..=100).contains(&self.percent) => {
                return fail("percent", "must be 1 to 100")
            }
            OfferKind::Flat if self.amount_minor <= 0 => {
                return fail("amount_minor", "must be positive")
            }
            _ => {}
        }
        if self.kind == OfferKind::FreeDelivery && self.scope == OfferScope::Cart {
            return fail(
                "scope",
                "free_delivery offers apply per merchant: use scope = \"merchant\"",
            );
        }
        if self.scope == OfferScope::Cart
            && (self.merchant_id.is_some() || !self.merchant_kinds.is_empty())
        {
            return fail("merchant_id", "a cart offer cannot name merchants");
        }
        if self.min_subtotal_minor < 0 || self.max_discount_minor.is_some_and(|m| m <= 0) {
            return fail("min_subtotal_minor", "amounts must be positive");
        }
        if let Some(s) = self
            .segments
            .iter()
            .find(|s| !SEGMENTS.contains(&s.as_str()))
        {
            return fail("segments", &format!("unknown segment `{s}`"));
        }
        if let Some(b) = self
            .behaviour
            .iter()
            .find(|b| crate::ops::segments::parse_level(b).is_none())
        {
            return fail(
                "behaviour",
                &format!(
                    "`{b}` is not measure:level (recency, frequency or spend; low, mid or high)"
                ),
            );
        }
        for (field, d) in [("starts", &self.starts), ("ends", &self.ends)] {
            if d.as_deref().is_some_and(|d| !is_date(d)) {
                return fail(field, "must be a date YYYY-MM-DD");
            }
        }
        if self
            .code
            .as_deref()
            .is_some_and(|c| c.is_empty() || c.to_uppercase() != c)
        {
            return fail("code", "must be non-empty upper case");
        }
        Ok(())
    }
}

/// Loads every `*.toml` in `dir`, in name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Offer>, KnowledgeError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        offer: Vec<Offer>,
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| KnowledgeError::new(dir, None, None, e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| KnowledgeError::new(&path, None, None, e.to_string()))?;
        let file: File = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            KnowledgeError::new(&path, line, None, e.message())
        })?;
        for (i, o) in file.offer.into_iter().enumerate() {
            if let Err((field, message)) = o.check() {
                let field = format!("offer[{i}].{field}");
                return Err(KnowledgeError::new(&path, None, Some(&field), message));
            }
            out.push(o);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_offer_names_its_field() {
        let dir = std::env::temp_dir().join(format!("errand-offers-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("o.toml"), "[[offer]]\nid = \"x\"\ntitle = \"t\"\nscope = \"cart\"\nkind = \"percent\"\npercent = 150\n").unwrap();
        let e = load_dir(&dir).unwrap_err().to_string();
        assert!(
            e.contains("offer[0].percent") && e.contains("1 to 100"),
            "{e}"
        );
        std::fs::write(dir.join("o.toml"), "[[offer]]\nid = \"x\"\ntitle = \"t\"\nscope = \"cart\"\nkind = \"flat\"\namount_minor = 5\nbehaviour = [\"recency:lapsed\"]\n").unwrap();
        let e = load_dir(&dir).unwrap_err().to_string();
        assert!(
            e.contains("offer[0].behaviour") && e.contains("recency:lapsed"),
            "{e}"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn festival_window_is_inclusive() {
        let o = Offer {
            id: "d".into(),
            title: "t".into(),
            code: None,
            scope: OfferScope::Cart,
            kind: OfferKind::Flat,
            percent: 0,
            amount_minor: 100,
            max_discount_minor: None,
            min_subtotal_minor: 0,
            merchant_id: None,
            merchant_kinds: vec![],
            segments: vec![],
            behaviour: vec![],
            starts: Some("2026-10-15".into()),
            ends: Some("2026-11-15".into()),
            help: None,
        };
        assert!(o.active_on("2026-10-15") && o.active_on("2026-11-15"));
        assert!(!o.active_on("2026-10-14") && !o.active_on("2026-11-16"));
    }
}
