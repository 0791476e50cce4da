//! Loads the seed customers, past orders and their feedback into the database, once per
//! version of the seed files (a digest of their contents is kept in `meta`).

use crate::store::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use super::{Store, StoreError};
use crate::knowledge::Knowledge;

impl Store {
    /// Inserts seed customers and orders if the seed files changed since the
    /// last run. Returns the number of orders inserted.
    pub fn seed(&self, k: &Knowledge) -> Result<usize, StoreError> {
        let digest = seed_digest(k)?;
        self.call_blocking(|c| {
            let seen: Option<String> =
                c.query_row("SELECT value FROM meta WHERE key = 'seed_digest'", [], |r| r.get(0)).optional()?;
            if seen.as_deref() == Some(digest.as_str()) {
                return Ok(0);
            }
            let tx = c.transaction()?;
            for cu in &k.customers {
                tx.execute(
                    "INSERT INTO customers (id, name, area, diet, language, segment, addresses) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT(id) DO UPDATE SET name = excluded.name, area = excluded.area, diet = excluded.diet,
                       language = excluded.language, segment = excluded.segment, addresses = excluded.addresses",
                    params![cu.id, cu.name, cu.area, cu.diet, cu.language, cu.segment, serde_json::to_string(&cu.addresses)?],
                )?;
            }
            let mut inserted = 0;
            for o in &k.orders {
                let placed = o.events.first().map(|e| e.at.as_str()).unwrap_or("1970-01-01T00:00:00Z");
                let updated = o.events.last().map(|e| e.at.as_str()).unwrap_or(placed);
                let total = o.total_minor();
                let refunded = if o.status == "refunded" { total } else { 0 };
                let n = tx.execute(
                    "INSERT INTO orders (id, customer_id, merchant_id, address, status, total_minor, refunded_minor, placed_at, updated_at, seeded)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1) ON CONFLICT DO NOTHING",
                    params![o.id, o.customer_id, o.merchant_id, o.address, o.status, total, refunded, placed, updated],
                )?;
                if n == 0 {
                    continue;
                }
                inserted += 1;
                for it in &o.items {
                    // Knowledge::load checked these options against the product.
                    let options = k
                        .product(&it.product_id)
                        .and_then(|p| crate::knowledge::options::resolve(p, &it.options).ok())
                        .map(|chosen| chosen.key())
                        .unwrap_or_default();
                    tx.execute(
                        "INSERT INTO order_items (order_id, product_id, options, title, quantity, unit_price_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![o.id, it.product_id, options, it.title, it.quantity, it.unit_price_minor],
                    )?;
                }
                for e in &o.events {
                    tx.execute(
                        "INSERT INTO order_events (order_id, state, at, actor) VALUES (?1, ?2, ?3, ?4)",
                        params![o.id, e.state, e.at, e.actor],
                    )?;
                }
            }
            for f in &k.feedback {
                tx.execute(
                    "INSERT INTO feedback (id, customer_id, order_id, rating, text, created_at, updated_at, seeded)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1) ON CONFLICT DO NOTHING",
                    params![f.id, f.customer_id, f.order_id, f.rating, f.text, f.at],
                )?;
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('seed_digest', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [&digest],
            )?;
            tx.commit()?;
            tracing::info!(customers = k.customers.len(), orders = inserted, "seeded database");
            Ok(inserted)
        })
    }
}

fn seed_digest(k: &Knowledge) -> Result<String, StoreError> {
    let mut h = Sha256::new();
    for cu in &k.customers {
        h.update(serde_json::to_vec(cu)?);
    }
    for o in &k.orders {
        h.update(serde_json::to_vec(o)?);
    }
    for f in &k.feedback {
        h.update(serde_json::to_vec(f)?);
    }
    Ok(hex::encode(h.finalize()))
}
