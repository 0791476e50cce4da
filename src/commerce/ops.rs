//! Demand outlook and stock alerts, fed from the demand history and the
//! orders. Each store category's daily rate is forecast once per history
//! (`demand_rates`, at `errand index` or the first start, cached by digest
//! in `<data>/index/demand.json`), so no request waits for a model; the
//! rates are shared among a category's products by what each has sold,
//! re-read from the orders at most every `SHARES_TTL`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::store::Connection;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{cart::available, Commerce, Result};
use crate::knowledge::Knowledge;
use crate::ops::forecast::{forecast, sum, Method};
use crate::ops::stock::{alerts, Alert, Item, Reorder};

/// Days of forecast demand averaged for the daily rate.
pub const HORIZON_DAYS: usize = 14;
/// How long product shares stand before the orders are read again.
const SHARES_TTL: chrono::Duration = chrono::Duration::minutes(5);
/// The method of the rates: the best on `errand eval forecast` at 28 days
/// and more on the seed history (README).
const METHOD: Method = Method::Mstl;

/// Forecast units a day per store category, with the digest of the history
/// and method they came from.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DemandRates {
    digest: String,
    /// (merchant, category, units a day).
    rates: Vec<(String, String, f64)>,
    /// Each store's recent history and forecast, for the console's chart.
    stores: Vec<StoreForecast>,
}

/// Days of history and of forecast a store's chart shows.
const CHART_HISTORY_DAYS: usize = 56;
const CHART_FORECAST_DAYS: usize = 28;

/// One store's units a day: the last weeks sold and the weeks forecast.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreForecast {
    pub merchant_id: String,
    /// The first day of `history`; `forecast` starts the day after it ends.
    pub history_start: String,
    pub history: Vec<f64>,
    pub forecast: Vec<f64>,
}

/// Each store's units a day, its categories summed (the seed history).
pub fn store_series(k: &Knowledge) -> Vec<(String, Vec<f64>)> {
    k.merchants
        .iter()
        .filter_map(|m| {
            let rows: Vec<Vec<f64>> = k
                .demand
                .iter()
                .filter(|d| d.merchant_id == m.id)
                .map(|d| d.units.iter().map(|&u| f64::from(u)).collect())
                .collect();
            (!rows.is_empty()).then(|| (m.id.clone(), sum(&rows)))
        })
        .collect()
}

/// The rates for `k`'s demand history, read from `cache` when it holds
/// exactly these, else forecast (about two seconds) and cached. A cache
/// that cannot be written only costs the next start the same seconds.
pub fn demand_rates(k: &Knowledge, cache: &Path) -> anyhow::Result<DemandRates> {
    let digest = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(serde_json::to_vec(&k.demand)?);
        h.update(format!(
            "{METHOD:?}/{HORIZON_DAYS}/{CHART_HISTORY_DAYS}/{CHART_FORECAST_DAYS}"
        ));
        hex::encode(h.finalize())
    };
    let cached = std::fs::read(cache)
        .ok()
        .and_then(|b| serde_json::from_slice::<DemandRates>(&b).ok())
        .filter(|c| c.digest == digest);
    if let Some(c) = cached {
        return Ok(c);
    }
    let started = std::time::Instant::now();
    let rates = k
        .demand
        .iter()
        .map(|s| {
            let history: Vec<f64> = s.units.iter().map(|&u| f64::from(u)).collect();
            let rate =
                forecast(METHOD, &history, HORIZON_DAYS).iter().sum::<f64>() / HORIZON_DAYS as f64;
            (s.merchant_id.clone(), s.category.clone(), rate)
        })
        .collect();
    let start = k
        .demand
        .first()
        .map(|d| d.start.clone())
        .unwrap_or_default();
    let stores = store_series(k)
        .into_iter()
        .map(|(merchant_id, units)| {
            let from = units.len().saturating_sub(CHART_HISTORY_DAYS);
            StoreForecast {
                merchant_id,
                history_start: chrono::NaiveDate::parse_from_str(&start, "%Y-%m-%d")
                    .map(|d| (d + chrono::Duration::days(from as i64)).to_string())
                    .unwrap_or_default(),
                forecast: forecast(METHOD, &units, CHART_FORECAST_DAYS)
                    .iter()
                    .map(|v| (v * 10.0).round() / 10.0)
                    .collect(),
                history: units[from..].to_vec(),
            }
        })
        .collect();
    let out = DemandRates {
        digest,
        rates,
        stores,
    };
    tracing::info!(
        series = out.rates.len(),
        seconds = started.elapsed().as_secs_f64(),
        "demand rates forecast"
    );
    let written = cache
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(cache, serde_json::to_vec(&out)?));
    if let Err(e) = written {
        tracing::warn!(error = %e, path = %cache.display(), "demand rates not cached");
    }
    Ok(out)
}

/// Forecast units a day per product, as of `computed_at`.
#[derive(Debug)]
pub struct Outlook {
    pub computed_at: DateTime<Utc>,
    daily: HashMap<String, f64>,
}

/// The rates, and the last outlook built from them.
#[derive(Debug, Default)]
pub(super) struct Demand {
    rates: HashMap<(String, String), f64>,
    stores: Vec<StoreForecast>,
    outlook: Mutex<Option<Arc<Outlook>>>,
}

impl Demand {
    pub(super) fn new(r: DemandRates) -> Demand {
        Demand {
            rates: r.rates.into_iter().map(|(m, c, v)| ((m, c), v)).collect(),
            stores: r.stores,
            outlook: Mutex::default(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct StockAlerts {
    pub computed_at: DateTime<Utc>,
    pub method: Method,
    pub horizon_days: usize,
    pub lead_days: f64,
    pub safety_days: f64,
    pub cover_days: f64,
    /// The article stating the rule.
    pub article: &'static str,
    /// Each store with something to reorder, and how many products.
    pub stores: Vec<StoreAlerts>,
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Serialize)]
pub struct StoreAlerts {
    pub merchant_id: String,
    pub name: String,
    pub alerts: usize,
}

/// Units each product sold in the history, cancelled orders left out.
fn units_sold(conn: &Connection) -> Result<HashMap<String, f64>> {
    let mut st = conn.prepare(
        "SELECT oi.product_id, SUM(oi.quantity) FROM order_items oi
         JOIN orders o ON o.id = oi.order_id
         WHERE o.status != 'cancelled' GROUP BY oi.product_id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

impl Commerce {
    /// Each store's recent units a day and their forecast (one store's
    /// with `merchant`), from the rates computed at start.
    pub fn store_forecasts(&self, merchant: Option<&str>) -> Vec<StoreForecast> {
        self.demand
            .stores
            .iter()
            .filter(|s| merchant.is_none_or(|m| s.merchant_id == m))
            .cloned()
            .collect()
    }

    /// The engine with these demand rates (none: no outlook, no alerts).
    pub fn with_demand(mut self, rates: DemandRates) -> Commerce {
        self.demand = Arc::new(Demand::new(rates));
        self
    }

    /// Each category's rate shared among its products by what each sold
    /// (one extra unit each, so a new product has a share too); rebuilt
    /// when older than `SHARES_TTL`.
    pub async fn outlook(&self) -> Result<Arc<Outlook>> {
        if let Some(o) = self
            .demand
            .outlook
            .lock()
            .expect("no panics hold this lock")
            .clone()
            .filter(|o| Utc::now() - o.computed_at < SHARES_TTL)
        {
            return Ok(o);
        }
        let demand = self.demand.clone();
        let daily = self
            .tx(move |c, conn| {
                let sold = units_sold(conn)?;
                let weight = |p: &str| sold.get(p).copied().unwrap_or(0.0) + 1.0;
                let mut totals: HashMap<(&str, &str), f64> = HashMap::new();
                for p in &c.knowledge.products {
                    *totals.entry((&p.merchant_id, &p.category)).or_default() += weight(&p.id);
                }
                let mut daily = HashMap::new();
                for p in &c.knowledge.products {
                    let key = (p.merchant_id.clone(), p.category.clone());
                    if let Some(rate) = demand.rates.get(&key) {
                        let total = totals[&(p.merchant_id.as_str(), p.category.as_str())];
                        daily.insert(p.id.clone(), rate * weight(&p.id) / total);
                    }
                }
                Ok(daily)
            })
            .await?;
        let o = Arc::new(Outlook {
            computed_at: Utc::now(),
            daily,
        });
        *self
            .demand
            .outlook
            .lock()
            .expect("no panics hold this lock") = Some(o.clone());
        Ok(o)
    }

    /// Whether `product` with `left` units in stock runs out within the
    /// reorder lead time at the forecast demand, so the assistant picks an
    /// equal product in better supply.
    pub async fn running_out(&self, product: &str, left: u32) -> Result<bool> {
        let lead = self.knowledge.policy.reorder_lead_days;
        Ok(self
            .outlook()
            .await?
            .daily
            .get(product)
            .is_some_and(|&d| d > 0.0 && f64::from(left) / d < lead))
    }

    /// What to reorder now, for one store or all.
    pub async fn stock_alerts(&self, merchant: Option<String>) -> Result<StockAlerts> {
        let outlook = self.outlook().await?;
        let policy = &self.knowledge.policy;
        let rule = Reorder {
            lead_days: policy.reorder_lead_days,
            safety_days: policy.reorder_safety_days,
            cover_days: policy.reorder_cover_days,
        };
        let o = outlook.clone();
        let items = self
            .tx(move |c, conn| {
                c.knowledge
                    .products
                    .iter()
                    .filter(|p| merchant.as_deref().is_none_or(|m| p.merchant_id == m))
                    .filter_map(|p| o.daily.get(&p.id).map(|&d| (p, d)))
                    .map(|(p, daily)| {
                        Ok(Item {
                            product_id: p.id.clone(),
                            title: p.title.clone(),
                            merchant_id: p.merchant_id.clone(),
                            stock: available(c, conn, &p.id)?,
                            daily,
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .await?;
        let alerts = alerts(&items, rule);
        let mut stores: Vec<StoreAlerts> = Vec::new();
        for a in &alerts {
            match stores.iter_mut().find(|s| s.merchant_id == a.merchant_id) {
                Some(s) => s.alerts += 1,
                None => stores.push(StoreAlerts {
                    merchant_id: a.merchant_id.clone(),
                    name: self
                        .knowledge
                        .merchant(&a.merchant_id)
                        .map_or_else(|| a.merchant_id.clone(), |m| m.name.clone()),
                    alerts: 1,
                }),
            }
        }
        stores.sort_by(|a, b| b.alerts.cmp(&a.alerts).then(a.name.cmp(&b.name)));
        Ok(StockAlerts {
            computed_at: outlook.computed_at,
            method: METHOD,
            horizon_days: HORIZON_DAYS,
            lead_days: rule.lead_days,
            safety_days: rule.safety_days,
            cover_days: rule.cover_days,
            article: "help-stock-reorder-agent",
            stores,
            alerts,
        })
    }
}
