//! Record types of the JSONL knowledge files, with their field checks.

use serde::{Deserialize, Serialize};

use super::options::{OptionGroup, Selection};
use super::{tag_set, Check, PRODUCT_TAGS};

type Checked = Result<(), (String, String)>;

pub const MERCHANT_KINDS: &[&str] = &["grocery", "spice_shop", "bakery", "restaurant"];
pub const ORDER_STATES: &[&str] = &[
    "placed",
    "accepted",
    "preparing",
    "ready",
    "driver_assigned",
    "picked_up",
    "delivered",
    "cancelled",
    "refunded",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merchant {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub cuisine: Option<String>,
    pub area: String,
    pub lat: f64,
    pub lon: f64,
    pub delivery_fee_minor: i64,
    pub packaging_fee_minor: i64,
    pub min_order_minor: i64,
    /// Tax rate in basis points (500 = 5%).
    pub tax_bps: u32,
    pub prep_minutes: u32,
}

impl Merchant {
    pub(crate) fn check(m: &Merchant) -> Checked {
        Check::new()
            .non_empty("id", &m.id)
            .non_empty("name", &m.name)
            .one_of("kind", &m.kind, MERCHANT_KINDS)
            .coordinates(m.lat, m.lon)
            .non_negative("delivery_fee_minor", m.delivery_fee_minor)
            .non_negative("packaging_fee_minor", m.packaging_fee_minor)
            .non_negative("min_order_minor", m.min_order_minor)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: String,
    pub merchant_id: String,
    pub title: String,
    pub description: String,
    pub department: String,
    pub category: String,
    /// Price of one pack, in minor units (paise).
    pub price_minor: i64,
    pub pack_size: u32,
    pub pack_unit: String,
    pub tags: Vec<String>,
    pub stock: u32,
    /// Date the product was listed (YYYY-MM-DD).
    pub added: String,
    /// Size, milk, crust, toppings...: see [`super::options`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionGroup>,
}

pub const PACK_UNITS: &[&str] = &["g", "kg", "ml", "l", "pc", "m", "portion", "pack"];

impl Product {
    pub(crate) fn check(p: &Product) -> Checked {
        let mut c = Check::new();
        c.non_empty("id", &p.id)
            .non_empty("title", &p.title)
            .non_empty("merchant_id", &p.merchant_id)
            .non_empty("category", &p.category)
            .positive("price_minor", p.price_minor)
            .positive("pack_size", p.pack_size.into())
            .one_of("pack_unit", &p.pack_unit, PACK_UNITS)
            .date("added", &p.added);
        for tag in &p.tags {
            c.one_of("tags", tag, PRODUCT_TAGS);
        }
        let tags = tag_set(&p.tags);
        if tags.contains("vegan") && !tags.contains("veg") {
            c.fail("tags", "a vegan product must also be tagged veg".into());
        }
        super::options::check(&mut c, p);
        c.finish()
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub area: String,
    pub lat: f64,
    pub lon: f64,
    pub aliases: Vec<String>,
}

impl Place {
    pub(crate) fn check(p: &Place) -> Checked {
        Check::new()
            .non_empty("id", &p.id)
            .non_empty("name", &p.name)
            .coordinates(p.lat, p.lon)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub label: String,
    pub line: String,
    pub area: String,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub area: String,
    pub diet: String,
    pub language: String,
    pub segment: String,
    pub addresses: Vec<Address>,
}

pub const DIETS: &[&str] = &["vegetarian", "non_vegetarian", "vegan", "eggetarian"];
pub const SEGMENTS: &[&str] = &["new", "regular", "gold"];

impl Customer {
    /// Whether the customer's diet allows `p`: recommendations never offer
    /// what they would not eat (search leaves that to what they ask for).
    pub fn eats(&self, p: &Product) -> bool {
        match self.diet.as_str() {
            "vegan" => p.has_tag("vegan"),
            "vegetarian" => p.has_tag("veg"),
            "eggetarian" => p.has_tag("veg") || p.category == "Eggs",
            _ => true,
        }
    }

    pub(crate) fn check(c: &Customer) -> Checked {
        let mut k = Check::new();
        k.non_empty("id", &c.id)
            .non_empty("name", &c.name)
            .one_of("diet", &c.diet, DIETS)
            .one_of("segment", &c.segment, SEGMENTS);
        if c.addresses.is_empty() {
            k.fail("addresses", "at least one address is required".into());
        }
        for a in &c.addresses {
            k.coordinates(a.lat, a.lon);
        }
        k.finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedItem {
    pub product_id: String,
    pub title: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
    /// The options it was ordered with, checked against the product at load.
    #[serde(default, skip_serializing_if = "Selection::is_empty")]
    pub options: Selection,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEvent {
    pub state: String,
    /// RFC 3339 UTC timestamp.
    pub at: String,
    pub actor: String,
}

/// A rating and review left on a seed order (seed/feedback.jsonl).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFeedback {
    pub id: String,
    pub customer_id: String,
    pub order_id: String,
    pub rating: i64,
    pub text: String,
    /// RFC 3339 UTC.
    pub at: String,
}

impl SeedFeedback {
    pub(crate) fn check(f: &SeedFeedback) -> Checked {
        let mut c = Check::new();
        c.non_empty("id", &f.id)
            .non_empty("text", &f.text)
            .date("at", f.at.get(..10).unwrap_or(""));
        if !(1..=5).contains(&f.rating) {
            c.fail("rating", "must be 1 to 5".into());
        }
        c.finish()
    }
}

/// A year of daily units sold by one store in one category
/// (seed/demand.jsonl): the history demand forecasts learn from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandSeries {
    pub merchant_id: String,
    pub category: String,
    /// The day of `units[0]`, YYYY-MM-DD.
    pub start: String,
    pub units: Vec<u32>,
    /// Promotions the store ran, so a reader knows a spike's cause.
    pub promotions: Vec<Promotion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    pub start: String,
    pub days: u32,
    pub lift: f64,
}

impl DemandSeries {
    pub(crate) fn check(d: &DemandSeries) -> Checked {
        let mut c = Check::new();
        c.non_empty("merchant_id", &d.merchant_id)
            .non_empty("category", &d.category)
            .date("start", &d.start);
        if d.units.len() < 28 {
            c.fail("units", "at least 28 days are required".into());
        }
        c.finish()
    }
}

/// One ride asked for (seed/rides.jsonl): the history the fleet heatmap
/// and rebalancing learn from. Places by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRide {
    pub at: chrono::DateTime<chrono::Utc>,
    pub from: String,
    pub to: String,
}

impl SeedRide {
    pub(crate) fn check(r: &SeedRide) -> Checked {
        Check::new()
            .non_empty("from", &r.from)
            .non_empty("to", &r.to)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedOrder {
    pub id: String,
    pub customer_id: String,
    pub merchant_id: String,
    pub address: String,
    pub items: Vec<SeedItem>,
    pub status: String,
    pub events: Vec<SeedEvent>,
}

impl SeedOrder {
    pub(crate) fn check(o: &SeedOrder) -> Checked {
        let mut c = Check::new();
        c.non_empty("id", &o.id)
            .one_of("status", &o.status, ORDER_STATES);
        if o.items.is_empty() {
            c.fail("items", "an order needs at least one item".into());
        }
        for item in &o.items {
            c.positive("items.quantity", item.quantity.into())
                .positive("items.unit_price_minor", item.unit_price_minor);
        }
        for e in &o.events {
            c.one_of("events.state", &e.state, ORDER_STATES);
            c.date("events.at", e.at.get(..10).unwrap_or(""));
        }
        c.finish()
    }

    pub fn total_minor(&self) -> i64 {
        self.items
            .iter()
            .map(|i| i.unit_price_minor * i64::from(i.quantity))
            .sum()
    }
}
