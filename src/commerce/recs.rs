//! Recommendations for one customer from the order history in the database:
//! the [`crate::recs`] engine over every order placed (seeded or since, by
//! any path, on any replica), with products, stock, diet and offers applied
//! here. The engine learns incrementally: each request first reads the
//! orders added since the last one (by rowid, one indexed query), so a new
//! order counts at once and nothing is ever rebuilt.

use std::collections::HashMap;

use crate::store::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::experiments::Ranking;
use super::{cart, customer_row, invalid, Commerce, Result};
use crate::knowledge::{Knowledge, Product};
use crate::recs::{self, Basket, History, Item, Ranked};

/// What to recommend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecsKind {
    /// People who bought `product_id` also bought.
    AlsoLike,
    /// Goes with what is in the cart, and what unlocks the next offer.
    Cart,
    /// What the customer buys again and again.
    Usual,
    /// Most ordered by customers in the customer's area lately.
    TopArea,
    /// Newest listings.
    New,
    /// Most ordered by customers in the caller's behavioural segment
    /// (`errand segments`); everyone's best-sellers before a first run.
    Similar,
}

#[derive(Debug, Clone)]
pub struct RecsQuery {
    pub kind: RecsKind,
    pub product_id: Option<String>,
    /// 1 to 50.
    pub limit: usize,
    /// The window `top_area` starts from (widened when too few ordered in it).
    pub days: Option<u32>,
}

pub const MAX_RECS: usize = 50;

/// Why an item is on the list, with the count behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Because {
    BoughtTogether,
    YouBought,
    PopularNearby,
    Popular,
    New,
    PopularWithSimilar,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommended {
    pub product_id: String,
    pub title: String,
    pub merchant_id: String,
    pub merchant_name: String,
    pub category: String,
    pub price_minor: i64,
    pub tags: Vec<String>,
    /// An option must be chosen before it can go in the cart (a pizza's size).
    pub needs_options: bool,
    pub score: f64,
    pub because: Because,
    /// Orders behind `because`: bought together, by you, or nearby.
    pub count: u32,
    /// For `usual`: how many the customer took last time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    /// For `new`: the listing date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<String>,
}

/// "Add a drink for Rs 40 more and get free delivery": a recommended
/// product that covers what the cart lacks for its next offer.
#[derive(Debug, Clone, Serialize)]
pub struct CartNudge {
    pub offer_id: String,
    pub offer_title: String,
    pub add_minor: i64,
    pub unlocks_minor: i64,
    pub product_id: String,
    pub product_title: String,
    pub price_minor: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendations {
    pub kind: RecsKind,
    pub items: Vec<Recommended>,
    /// For `top_area`: the area, and the days the counts cover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nudge: Option<CartNudge>,
    /// Share of item pairs from different categories (1 = all different).
    pub diversity: f64,
    /// For `similar`: the caller's segment, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// The experiment and variant that ranked this row, when one runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<super::Arm>,
}

/// Interns string ids as the engine's integers.
#[derive(Default)]
struct Ids {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Ids {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.ids.insert(s.to_string(), i);
        self.names.push(s.to_string());
        i
    }

    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }
}

/// The engine's state: what it learned, and the last order it read.
#[derive(Default)]
pub(super) struct Learned {
    history: History,
    products: Ids,
    customers: Ids,
    areas: Ids,
    seen_rowid: i64,
    /// The catalog by listing date, newest first, as indexes into it: the
    /// catalog never changes while serving, so it is sorted once.
    newest: Vec<usize>,
}

/// Widening windows for `top_area`, in days; 0 is all time.
const WINDOWS: [u32; 5] = [7, 30, 90, 365, 0];

/// One order as the recommendations see it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBasket {
    pub customer: String,
    /// Seconds since the epoch.
    pub at: i64,
    /// Where the customer lives.
    pub area: String,
    pub products: Vec<String>,
}

/// Orders after `rowid`, oldest first, each with its rowid.
fn orders_after(conn: &Connection, rowid: i64) -> Result<Vec<(i64, OrderBasket)>> {
    let mut st = conn.prepare_cached(
        "SELECT o.rowid, o.customer_id, o.placed_at, c.area, i.product_id
         FROM orders o JOIN customers c ON c.id = o.customer_id
         JOIN order_items i ON i.order_id = o.id
         WHERE o.rowid > ?1 ORDER BY o.rowid, i.rowid",
    )?;
    let mut rows = st.query([rowid])?;
    let mut out: Vec<(i64, OrderBasket)> = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let product: String = r.get(4)?;
        match out.last_mut() {
            Some((last, b)) if *last == id => b.products.push(product),
            _ => out.push((
                id,
                OrderBasket {
                    customer: r.get(1)?,
                    at: seconds(&r.get::<_, String>(2)?),
                    area: r.get(3)?,
                    products: vec![product],
                },
            )),
        }
    }
    Ok(out)
}

impl Learned {
    /// Reads the orders placed since the last call.
    fn catch_up(&mut self, conn: &Connection) -> Result<()> {
        for (rowid, o) in orders_after(conn, self.seen_rowid)? {
            let basket = Basket {
                user: self.customers.intern(&o.customer),
                at: o.at,
                group: self.areas.intern(&o.area),
                items: o.products.iter().map(|p| self.products.intern(p)).collect(),
            };
            self.history.add(basket);
            self.seen_rowid = rowid;
        }
        Ok(())
    }
}

fn seconds(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or(0, |t| t.timestamp())
}

impl Commerce {
    /// Recommendations for `customer`: only products in stock that their
    /// diet allows, at most a third of any row from one category.
    pub async fn recommendations(&self, customer: &str, q: RecsQuery) -> Result<Recommendations> {
        if !(1..=MAX_RECS).contains(&q.limit) {
            return Err(invalid("limit", format!("must be 1 to {MAX_RECS}")));
        }
        if q.kind == RecsKind::AlsoLike {
            let id = q
                .product_id
                .as_deref()
                .ok_or_else(|| invalid("product_id", "is required for also_like"))?;
            if self.knowledge.product(id).is_none() {
                return Err(invalid("product_id", format!("unknown product `{id}`")));
            }
        }
        if q.days == Some(0) {
            return Err(invalid("days", "must be at least 1"));
        }
        let customer = customer.to_string();
        self.tx(move |c, tx| {
            let mut learned = c.recs.lock().unwrap_or_else(|p| p.into_inner());
            learned.catch_up(tx)?;
            recommend(c, tx, &mut learned, &customer, &q)
        })
        .await
    }

    /// Every order in the database, oldest first: what `errand eval recs`
    /// splits and scores.
    pub async fn order_history(&self) -> Result<Vec<OrderBasket>> {
        self.tx(|_, tx| Ok(orders_after(tx, 0)?.into_iter().map(|(_, o)| o).collect()))
            .await
    }

    /// How many of the customer's orders held each product: what moves
    /// their regular buys up a search.
    pub async fn bought(&self, customer: &str) -> Result<HashMap<String, u32>> {
        let customer = customer.to_string();
        self.tx(move |c, tx| {
            let mut learned = c.recs.lock().unwrap_or_else(|p| p.into_inner());
            learned.catch_up(tx)?;
            let mut out = HashMap::new();
            if let Some(user) = learned.customers.get(&customer) {
                for b in learned.history.baskets_of(user) {
                    for &i in &b.items {
                        *out.entry(learned.products.name(i).to_string()).or_default() += 1;
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    /// Learns the orders placed so far; `serve` calls it at start so the
    /// first request does not pay for reading the whole history.
    pub async fn learn_orders(&self) -> Result<usize> {
        self.tx(|c, tx| {
            let mut learned = c.recs.lock().unwrap_or_else(|p| p.into_inner());
            learned.catch_up(tx)?;
            Ok(learned.history.len())
        })
        .await
    }
}

/// A ranked candidate and the count that explains it.
struct Candidate {
    item: Item,
    score: f64,
    because: Because,
    count: u32,
}

fn recommend(
    c: &Commerce,
    conn: &Connection,
    learned: &mut Learned,
    customer: &str,
    q: &RecsQuery,
) -> Result<Recommendations> {
    let who = customer_row(conn, customer)?;
    if q.kind == RecsKind::New && learned.newest.is_empty() {
        let p = &c.knowledge.products;
        learned.newest = (0..p.len()).collect();
        learned
            .newest
            .sort_by(|&a, &b| p[b].added.cmp(&p[a].added).then(p[a].id.cmp(&p[b].id)));
    }
    let user = learned.customers.get(customer);
    let k = &c.knowledge;
    let mut out = Recommendations {
        kind: q.kind,
        items: Vec::new(),
        area: None,
        window_days: None,
        nudge: None,
        diversity: 0.0,
        segment: None,
        experiment: super::experiments::arm(c, q.kind, customer),
    };
    // TIFU-KNN caches each customer's vector, so it ranks before the
    // history is borrowed for the rest.
    let usual = match (q.kind, user) {
        (RecsKind::Usual, Some(u)) => Some(match out.experiment.as_ref().map(|a| a.ranking) {
            Some(Ranking::Tifu) => {
                let own: std::collections::HashSet<Item> = learned
                    .history
                    .baskets_of(u)
                    .flat_map(|b| b.items.iter().copied())
                    .collect();
                let mut r = learned.history.tifu(u);
                r.retain(|(i, _)| own.contains(i));
                r
            }
            _ => learned.history.repeat(u, recs::USUAL_DECAY),
        }),
        _ => None,
    };
    let mut exclude: Vec<String> = Vec::new();
    let h = &learned.history;
    let candidates: Vec<Candidate> = match q.kind {
        RecsKind::AlsoLike => {
            let seed = q.product_id.clone().unwrap_or_default();
            let seeds: Vec<Item> = learned.products.get(&seed).into_iter().collect();
            exclude.push(seed.clone());
            let merchant = k.product(&seed).map(|p| p.merchant_id.clone());
            let with = together(h, &seeds, h.also_like(&seeds));
            chain(with, from_merchants(k, learned, merchant.as_slice()))
        }
        RecsKind::Cart => {
            let cart_id = cart::open_cart(conn, customer)?;
            let lines = cart::lines(conn, &cart_id)?;
            exclude.extend(lines.iter().map(|l| l.product_id.clone()));
            let seeds: Vec<Item> = lines
                .iter()
                .filter_map(|l| learned.products.get(&l.product_id))
                .collect();
            let mut merchants: Vec<String> = lines
                .iter()
                .filter_map(|l| k.product(&l.product_id).map(|p| p.merchant_id.clone()))
                .collect();
            merchants.dedup();
            let with = together(h, &seeds, h.also_like(&seeds));
            chain(with, from_merchants(k, learned, &merchants))
        }
        RecsKind::Usual => match (user, usual) {
            (Some(u), Some(ranked)) => {
                let times = |i: Item| h.baskets_of(u).filter(|b| b.items.contains(&i)).count();
                ranked
                    .into_iter()
                    .map(|(item, score)| Candidate {
                        item,
                        score,
                        because: Because::YouBought,
                        count: times(item) as u32,
                    })
                    .collect()
            }
            _ => Vec::new(),
        },
        RecsKind::TopArea => {
            out.area = Some(who.area.clone());
            let group = learned.areas.get(&who.area);
            let now = chrono::Utc::now().timestamp();
            let first = q.days.unwrap_or(WINDOWS[0]);
            let mut windows = vec![first];
            windows.extend(WINDOWS.iter().copied().filter(|&d| d > first || d == 0));
            let mut best = Vec::new();
            for days in windows {
                let since = if days == 0 {
                    i64::MIN
                } else {
                    now - i64::from(days) * 86_400
                };
                let ranked = h.popular(|b| Some(b.group) == group && b.at >= since);
                let usable = ranked
                    .iter()
                    .filter(|(i, _)| {
                        k.product(learned.products.name(*i))
                            .is_some_and(|p| who.eats(p))
                    })
                    .count();
                best = ranked;
                out.window_days = (days > 0).then_some(days);
                if usable >= q.limit {
                    break;
                }
            }
            best.into_iter()
                .map(|(item, score)| Candidate {
                    item,
                    score,
                    because: Because::PopularNearby,
                    count: score as u32,
                })
                .collect()
        }
        RecsKind::Similar => {
            let (name, peers) = super::segments::peers(conn, customer)?;
            out.segment = name;
            let peers: std::collections::HashSet<u32> = peers
                .iter()
                .filter_map(|p| learned.customers.get(p))
                .collect();
            let (ranked, because) = if peers.is_empty() {
                (h.popular_all(), Because::Popular)
            } else {
                (
                    h.popular(|b| peers.contains(&b.user)),
                    Because::PopularWithSimilar,
                )
            };
            ranked
                .into_iter()
                .map(|(item, score)| Candidate {
                    item,
                    score,
                    because,
                    count: score as u32,
                })
                .collect()
        }
        // Ranked by listing date below, not by history.
        RecsKind::New => Vec::new(),
    };
    // Products are checked in order and only until the row is full, so a
    // request runs few stock lookups whatever the history.
    let newest = || {
        learned.newest.iter().map(|&i| {
            let p = &k.products[i];
            let count = learned
                .products
                .get(&p.id)
                .map_or(0, |i| learned.history.count(i));
            (p, 0.0, Because::New, count)
        })
    };
    let ranked: Box<dyn Iterator<Item = (&Product, f64, Because, u32)>> = match q.kind {
        RecsKind::New => Box::new(newest()),
        _ => Box::new(candidates.into_iter().filter_map(|c| {
            // A product delisted since it was ordered is skipped.
            k.product(learned.products.name(c.item))
                .map(|p| (p, c.score, c.because, c.count))
        })),
    };
    let cap = q.limit.div_ceil(3).max(2);
    let rows = recs::capped(
        ranked,
        q.limit,
        cap,
        |cand| cand.0.category.clone(),
        |&(p, ..)| -> Result<bool> {
            Ok(!exclude.contains(&p.id)
                && (q.kind == RecsKind::Usual || who.eats(p))
                && cart::available(c, conn, &p.id)? > 0)
        },
    )?;
    out.diversity = recs::diversity(&rows, |(p, ..)| p.category.clone());
    for (p, score, because, count) in rows {
        out.items.push(Recommended {
            product_id: p.id.clone(),
            title: p.title.clone(),
            merchant_id: p.merchant_id.clone(),
            merchant_name: k
                .merchant(&p.merchant_id)
                .map_or_else(String::new, |m| m.name.clone()),
            category: p.category.clone(),
            price_minor: p.price_minor,
            tags: p.tags.clone(),
            needs_options: crate::knowledge::options::resolve(p, &Default::default()).is_err(),
            score: (score * 1000.0).round() / 1000.0,
            because,
            count,
            quantity: match q.kind {
                RecsKind::Usual => last_quantity(conn, customer, &p.id)?,
                _ => None,
            },
            added: (q.kind == RecsKind::New).then(|| p.added.clone()),
        });
    }
    if q.kind == RecsKind::Cart {
        out.nudge = cart_nudge(c, conn, customer, &out.items)?;
    }
    if let Some(arm) = &out.experiment {
        let shown: Vec<&str> = out.items.iter().map(|r| r.product_id.as_str()).collect();
        super::experiments::shown(conn, arm, customer, &shown)?;
    }
    Ok(out)
}

/// Co-purchase candidates, counted against the seed bought most with each.
fn together(h: &History, seeds: &[Item], ranked: Ranked) -> Vec<Candidate> {
    ranked
        .into_iter()
        .map(|(item, score)| Candidate {
            item,
            score,
            because: Because::BoughtTogether,
            count: seeds
                .iter()
                .map(|&s| h.together(s, item))
                .max()
                .unwrap_or(0),
        })
        .collect()
}

/// Best-sellers of `merchants` (everyone's when empty): what fills a row
/// when too little was bought together.
fn from_merchants(k: &Knowledge, learned: &Learned, merchants: &[String]) -> Vec<Candidate> {
    let sells = |i: Item| {
        merchants.is_empty()
            || k.product(learned.products.name(i))
                .is_some_and(|p| merchants.contains(&p.merchant_id))
    };
    learned
        .history
        .popular_all()
        .into_iter()
        .filter(|&(i, _)| sells(i))
        .map(|(item, n)| Candidate {
            item,
            score: 0.0,
            because: Because::Popular,
            count: n as u32,
        })
        .collect()
}

fn chain(first: Vec<Candidate>, fill: Vec<Candidate>) -> Vec<Candidate> {
    let mut seen: std::collections::HashSet<Item> = first.iter().map(|c| c.item).collect();
    let mut out = first;
    out.extend(fill.into_iter().filter(|c| seen.insert(c.item)));
    out
}

/// Packs of `product` in the customer's latest order that had it.
fn last_quantity(conn: &Connection, customer: &str, product: &str) -> Result<Option<u32>> {
    Ok(conn
        .query_row(
            "SELECT i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id
             WHERE o.customer_id = ?1 AND i.product_id = ?2 ORDER BY o.placed_at DESC LIMIT 1",
            params![customer, product],
            |r| r.get(0),
        )
        .optional()?)
}

/// The cheapest recommended product that covers the cart's next offer.
fn cart_nudge(
    c: &Commerce,
    conn: &Connection,
    customer: &str,
    items: &[Recommended],
) -> Result<Option<CartNudge>> {
    let view = cart::view(c, conn, customer)?;
    let Some(n) = view.priced.nudge else {
        return Ok(None);
    };
    let fits = items
        .iter()
        .filter(|r| n.merchant_id.as_ref().is_none_or(|m| *m == r.merchant_id))
        .filter(|r| r.price_minor >= n.add_minor)
        .min_by_key(|r| r.price_minor);
    Ok(fits.map(|r| CartNudge {
        offer_id: n.offer_id.clone(),
        offer_title: n.title.clone(),
        add_minor: n.add_minor,
        unlocks_minor: n.unlocks_minor,
        product_id: r.product_id.clone(),
        product_title: r.title.clone(),
        price_minor: r.price_minor,
    }))
}
