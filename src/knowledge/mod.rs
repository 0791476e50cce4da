//! The shipped knowledge: catalog, merchants, places, recipes, help articles
//! and seed data, loaded from plain files and validated before anything runs.
//!
//! Every problem is reported as a [`KnowledgeError`] naming the file, the line
//! and the field, so a bad edit fails start-up with a message a person can act on.
//!
//! ```no_run
//! let k = errand::knowledge::Knowledge::load(std::path::Path::new("knowledge")).unwrap();
//! assert!(k.products.len() >= 3000);
//! ```

mod help;
mod jsonl;
mod offers;
pub mod options;
mod policy;
mod recipes;
mod types;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

pub use help::{Audience, HelpArticle};
pub use offers::{Offer, OfferKind, OfferScope};
pub use options::{Chosen, OptionChoice, OptionError, OptionGroup, Picked, Selection};
pub use policy::Policy;
pub use recipes::Recipe;
pub use types::{
    Address, Customer, DemandSeries, Merchant, Place, Product, SeedEvent, SeedFeedback, SeedItem,
    SeedOrder, SeedRide, PACK_UNITS,
};

/// Dietary and attribute tags a product may carry; anything else is a typo.
pub const PRODUCT_TAGS: &[&str] = &[
    "veg",
    "vegan",
    "gluten-free",
    "halal",
    "contains-nuts",
    "organic",
];

/// A knowledge file that failed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeError {
    pub file: PathBuf,
    /// 1-based line, when the problem is on one line.
    pub line: Option<usize>,
    /// The offending field (a dotted path for nested values).
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for KnowledgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for KnowledgeError {}

impl KnowledgeError {
    pub(crate) fn new(
        file: &Path,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        KnowledgeError {
            file: file.to_path_buf(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

/// All shipped knowledge, validated and cross-checked.
#[derive(Debug)]
pub struct Knowledge {
    pub root: PathBuf,
    pub merchants: Vec<Merchant>,
    pub products: Vec<Product>,
    pub places: Vec<Place>,
    pub recipes: Vec<Recipe>,
    pub help: Vec<HelpArticle>,
    pub customers: Vec<Customer>,
    pub orders: Vec<SeedOrder>,
    /// Ratings and reviews left on seed orders.
    pub feedback: Vec<SeedFeedback>,
    /// A year of daily units per store and category, for demand forecasts.
    pub demand: Vec<DemandSeries>,
    /// Four weeks of rides asked for, for the fleet heatmap.
    pub rides: Vec<SeedRide>,
    /// Groups of interchangeable words ("jeera", "cumin"), lowercase.
    pub synonyms: Vec<Vec<String>>,
    pub offers: Vec<Offer>,
    /// The numbers the rules enforce, from the help articles' front matter.
    pub policy: Policy,
    merchant_index: HashMap<String, usize>,
    product_index: HashMap<String, usize>,
}

impl Knowledge {
    /// Loads and validates every file under `root`.
    pub fn load(root: &Path) -> Result<Knowledge, KnowledgeError> {
        if !root.is_dir() {
            return Err(KnowledgeError::new(
                root,
                None,
                None,
                "knowledge folder not found",
            ));
        }
        let merchants: Vec<Merchant> = jsonl::read(&root.join("merchants.jsonl"), Merchant::check)?;
        let products: Vec<Product> =
            jsonl::read(&root.join("catalog/products.jsonl"), Product::check)?;
        let places: Vec<Place> = jsonl::read(&root.join("places.jsonl"), Place::check)?;
        let customers: Vec<Customer> =
            jsonl::read(&root.join("seed/customers.jsonl"), Customer::check)?;
        let orders: Vec<SeedOrder> =
            jsonl::read(&root.join("seed/orders.jsonl"), SeedOrder::check)?;
        let feedback: Vec<SeedFeedback> =
            jsonl::read(&root.join("seed/feedback.jsonl"), SeedFeedback::check)?;
        let demand: Vec<DemandSeries> =
            jsonl::read(&root.join("seed/demand.jsonl"), DemandSeries::check)?;
        let rides: Vec<SeedRide> = jsonl::read(&root.join("seed/rides.jsonl"), SeedRide::check)?;
        let recipes = recipes::load_dir(&root.join("recipes"))?;
        let help = help::load_dir(&root.join("help"))?;
        let policy = Policy::from_help(&root.join("help"), &help)?;
        let synonyms = load_synonyms(&root.join("synonyms.toml"))?;
        let offers = offers::load_dir(&root.join("offers"))?;

        let merchant_index = unique_ids(
            &root.join("merchants.jsonl"),
            merchants.iter().map(|m| m.id.as_str()),
        )?;
        let product_index = unique_ids(
            &root.join("catalog/products.jsonl"),
            products.iter().map(|p| p.id.as_str()),
        )?;
        let place_index = unique_ids(
            &root.join("places.jsonl"),
            places.iter().map(|p| p.id.as_str()),
        )?;
        let customer_index = unique_ids(
            &root.join("seed/customers.jsonl"),
            customers.iter().map(|c| c.id.as_str()),
        )?;
        let order_index = unique_ids(
            &root.join("seed/orders.jsonl"),
            orders.iter().map(|o| o.id.as_str()),
        )?;
        unique_ids(
            &root.join("seed/feedback.jsonl"),
            feedback.iter().map(|f| f.id.as_str()),
        )?;
        let path = root.join("seed/demand.jsonl");
        for (i, d) in demand.iter().enumerate() {
            if !merchant_index.contains_key(&d.merchant_id) {
                return Err(KnowledgeError::new(
                    &path,
                    Some(i + 1),
                    Some("merchant_id"),
                    format!("unknown merchant `{}`", d.merchant_id),
                ));
            }
        }
        let path = root.join("seed/rides.jsonl");
        for (i, r) in rides.iter().enumerate() {
            for (field, id) in [("from", &r.from), ("to", &r.to)] {
                if !place_index.contains_key(id) {
                    return Err(KnowledgeError::new(
                        &path,
                        Some(i + 1),
                        Some(field),
                        format!("unknown place `{id}`"),
                    ));
                }
            }
        }
        let path = root.join("seed/feedback.jsonl");
        for (i, f) in feedback.iter().enumerate() {
            let owner = order_index
                .get(&f.order_id)
                .map(|&k| &orders[k].customer_id);
            if owner != Some(&f.customer_id) {
                return Err(KnowledgeError::new(
                    &path,
                    Some(i + 1),
                    Some("order_id"),
                    format!("`{}` is no order of {}", f.order_id, f.customer_id),
                ));
            }
        }
        let help_ids: Vec<&str> = help.iter().map(|h| h.id.as_str()).collect();
        unique_ids(&root.join("help"), help_ids.into_iter())?;

        let path = root.join("catalog/products.jsonl");
        for (i, p) in products.iter().enumerate() {
            if !merchant_index.contains_key(&p.merchant_id) {
                return Err(KnowledgeError::new(
                    &path,
                    Some(i + 1),
                    Some("merchant_id"),
                    format!("unknown merchant `{}`", p.merchant_id),
                ));
            }
        }
        let path = root.join("seed/orders.jsonl");
        for (i, o) in orders.iter().enumerate() {
            let line = Some(i + 1);
            if !customer_index.contains_key(&o.customer_id) {
                return Err(KnowledgeError::new(
                    &path,
                    line,
                    Some("customer_id"),
                    format!("unknown customer `{}`", o.customer_id),
                ));
            }
            if !merchant_index.contains_key(&o.merchant_id) {
                return Err(KnowledgeError::new(
                    &path,
                    line,
                    Some("merchant_id"),
                    format!("unknown merchant `{}`", o.merchant_id),
                ));
            }
            for (j, item) in o.items.iter().enumerate() {
                let known = product_index.get(&item.product_id).map(|&k| &products[k]);
                if known.is_none_or(|p| p.merchant_id != o.merchant_id) {
                    let field = format!("items[{j}].product_id");
                    return Err(KnowledgeError::new(
                        &path,
                        line,
                        Some(&field),
                        format!(
                            "`{}` is not a product of {}",
                            item.product_id, o.merchant_id
                        ),
                    ));
                }
                if let Some(e) = known.and_then(|p| options::resolve(p, &item.options).err()) {
                    let field = format!("items[{j}].{}", e.field());
                    return Err(KnowledgeError::new(
                        &path,
                        line,
                        Some(&field),
                        e.to_string(),
                    ));
                }
            }
        }
        let path = root.join("offers");
        for o in &offers {
            if o.merchant_id
                .as_ref()
                .is_some_and(|m| !merchant_index.contains_key(m))
            {
                return Err(KnowledgeError::new(
                    &path,
                    None,
                    Some("merchant_id"),
                    format!("offer `{}` names an unknown merchant", o.id),
                ));
            }
            if o.help
                .as_ref()
                .is_some_and(|h| !help.iter().any(|a| &a.id == h))
            {
                return Err(KnowledgeError::new(
                    &path,
                    None,
                    Some("help"),
                    format!("offer `{}` cites an unknown help article", o.id),
                ));
            }
        }
        Ok(Knowledge {
            root: root.to_path_buf(),
            offers,
            merchants,
            products,
            places,
            recipes,
            help,
            customers,
            orders,
            feedback,
            demand,
            rides,
            synonyms,
            policy,
            merchant_index,
            product_index,
        })
    }

    pub fn merchant(&self, id: &str) -> Option<&Merchant> {
        self.merchant_index.get(id).map(|&i| &self.merchants[i])
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.product_index.get(id).map(|&i| &self.products[i])
    }
}

fn load_synonyms(path: &Path) -> Result<Vec<Vec<String>>, KnowledgeError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        groups: Vec<Vec<String>>,
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| KnowledgeError::new(path, None, None, e.to_string()))?;
    let file: File = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start].lines().count().max(1));
        KnowledgeError::new(path, line, Some("groups"), e.message())
    })?;
    for (i, group) in file.groups.iter().enumerate() {
        let field = format!("groups[{i}]");
        if group.len() < 2 {
            return Err(KnowledgeError::new(
                path,
                None,
                Some(&field),
                "a group needs at least two words",
            ));
        }
        if let Some(w) = group
            .iter()
            .find(|w| w.trim().is_empty() || w.to_lowercase() != **w)
        {
            return Err(KnowledgeError::new(
                path,
                None,
                Some(&field),
                format!("`{w}` must be non-empty lowercase"),
            ));
        }
    }
    Ok(file.groups)
}

fn unique_ids<'a>(
    file: &Path,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, usize>, KnowledgeError> {
    let mut seen = HashMap::new();
    for (i, id) in ids.enumerate() {
        if seen.insert(id.to_string(), i).is_some() {
            return Err(KnowledgeError::new(
                file,
                Some(i + 1),
                Some("id"),
                format!("duplicate id `{id}`"),
            ));
        }
    }
    Ok(seen)
}

/// Field-level checks shared by the record types.
pub(crate) struct Check {
    errors: Vec<(String, String)>,
}

impl Check {
    pub(crate) fn new() -> Self {
        Check { errors: Vec::new() }
    }

    pub(crate) fn non_empty(&mut self, field: &str, value: &str) -> &mut Self {
        if value.trim().is_empty() {
            self.errors
                .push((field.to_string(), "must not be empty".into()));
        }
        self
    }

    pub(crate) fn positive(&mut self, field: &str, value: i64) -> &mut Self {
        if value <= 0 {
            self.errors
                .push((field.to_string(), format!("must be positive, got {value}")));
        }
        self
    }

    pub(crate) fn non_negative(&mut self, field: &str, value: i64) -> &mut Self {
        if value < 0 {
            self.errors.push((
                field.to_string(),
                format!("must not be negative, got {value}"),
            ));
        }
        self
    }

    pub(crate) fn coordinates(&mut self, lat: f64, lon: f64) -> &mut Self {
        if !(-90.0..=90.0).contains(&lat) {
            self.errors
                .push(("lat".into(), format!("latitude out of range: {lat}")));
        }
        if !(-180.0..=180.0).contains(&lon) {
            self.errors
                .push(("lon".into(), format!("longitude out of range: {lon}")));
        }
        self
    }

    pub(crate) fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) -> &mut Self {
        if !allowed.contains(&value) {
            self.errors.push((
                field.to_string(),
                format!("`{value}` is not one of {}", allowed.join(", ")),
            ));
        }
        self
    }

    pub(crate) fn date(&mut self, field: &str, value: &str) -> &mut Self {
        if !is_date(value) {
            self.errors.push((
                field.to_string(),
                format!("`{value}` is not a date (YYYY-MM-DD)"),
            ));
        }
        self
    }

    pub(crate) fn fail(&mut self, field: &str, message: String) -> &mut Self {
        self.errors.push((field.to_string(), message));
        self
    }

    /// The first problem found, as (field, message).
    pub(crate) fn finish(&mut self) -> Result<(), (String, String)> {
        match self.errors.first() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

pub(crate) fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let (Ok(_), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    y.len() == 4 && (1..=12).contains(&m) && (1..=31).contains(&d)
}

pub(crate) fn tag_set(tags: &[String]) -> HashSet<&str> {
    tags.iter().map(String::as_str).collect()
}

/// The shipped knowledge, loaded once per test binary.
#[cfg(test)]
pub(crate) fn shipped() -> &'static Knowledge {
    static K: std::sync::OnceLock<Knowledge> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        Knowledge::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
            .expect("shipped knowledge is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        assert!(is_date("2026-11-22"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("22/11/2026"));
    }

    #[test]
    fn error_names_file_line_and_field() {
        let e = KnowledgeError::new(
            Path::new("k/p.jsonl"),
            Some(3),
            Some("price_minor"),
            "must be positive",
        );
        assert_eq!(
            e.to_string(),
            "k/p.jsonl:3: field `price_minor`: must be positive"
        );
    }
}
