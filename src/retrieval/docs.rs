//! The searchable documents: products, recipes and help articles flattened
//! into one shape both indexes read, with a content hash for incremental indexing.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::knowledge::{Audience, Knowledge};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Product,
    Recipe,
    Help,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Product => "product",
            Kind::Recipe => "recipe",
            Kind::Help => "help",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "product" => Some(Kind::Product),
            "recipe" => Some(Kind::Recipe),
            "help" => Some(Kind::Help),
            _ => None,
        }
    }
}

const EMBED_CHARS: usize = 240;

/// One searchable document. Product-only fields are empty for recipes and help.
#[derive(Debug, Clone, Serialize)]
pub struct Doc {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    /// Text indexed besides the title: description, category, tags, ingredients, article body.
    pub body: String,
    pub merchant_id: String,
    pub category: String,
    pub tags: Vec<String>,
    pub price_minor: i64,
    pub in_stock: bool,
    /// A help article for care agents only. Left out of the content hash
    /// when false, so adding it re-embedded nothing else.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub agent_only: bool,
}

impl Doc {
    /// What the embedding model sees: title first, then the start of the body.
    /// Short on purpose: it is what carries the meaning, and cost grows with length.
    pub fn embedding_text(&self) -> String {
        let mut text = format!("{}. {}", self.title, self.body);
        if text.len() > EMBED_CHARS {
            let cut = (0..=EMBED_CHARS)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            text.truncate(cut);
        }
        text
    }

    /// Changes whenever anything indexed about the document changes.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(self).unwrap_or_default());
        hex::encode(&h.finalize()[..16])
    }

    /// A stable numeric id for vector stores that need one.
    pub fn point_id(id: &str) -> u64 {
        let digest = Sha256::digest(id.as_bytes());
        u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
    }
}

/// Every document, in a stable order.
pub fn build(k: &Knowledge) -> Vec<Doc> {
    let mut docs = Vec::with_capacity(k.products.len() + k.recipes.len() + k.help.len());
    for p in &k.products {
        let merchant = k
            .merchant(&p.merchant_id)
            .map(|m| m.name.as_str())
            .unwrap_or_default();
        docs.push(Doc {
            id: p.id.clone(),
            kind: Kind::Product,
            title: p.title.clone(),
            body: format!(
                "{} {} / {}. {}. {}",
                p.description,
                p.department,
                p.category,
                p.tags.join(", "),
                merchant
            ),
            merchant_id: p.merchant_id.clone(),
            category: p.category.clone(),
            tags: p.tags.clone(),
            price_minor: p.price_minor,
            in_stock: p.stock > 0,
            agent_only: false,
        });
    }
    for r in &k.recipes {
        docs.push(Doc {
            id: format!("recipe:{}", r.id),
            kind: Kind::Recipe,
            title: r.title.clone(),
            body: format!(
                "Recipe. {}. Ingredients: {}",
                r.tags.join(", "),
                r.ingredients.join("; ")
            ),
            merchant_id: String::new(),
            category: "recipe".into(),
            tags: r.tags.clone(),
            price_minor: 0,
            in_stock: true,
            agent_only: false,
        });
    }
    for h in &k.help {
        docs.push(Doc {
            id: h.id.clone(),
            kind: Kind::Help,
            title: h.title.clone(),
            body: format!("{}. {}", h.tags.join(", "), h.body),
            merchant_id: String::new(),
            category: "help".into(),
            tags: h.tags.clone(),
            price_minor: 0,
            in_stock: true,
            agent_only: h.audience != Audience::Customer,
        });
    }
    docs
}
