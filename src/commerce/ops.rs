//! Demand outlook and stock alerts, fed from the order history. The
//! forecasts are computed off the request path: the first request after a
//! start (or once they are `OUTLOOK_TTL` old) starts a background job and
//! is told to come back; every other request reads the last outlook.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

use super::{cart::available, Commerce, Result};
use crate::ops::forecast::{forecast, Method};
use crate::ops::stock::{alerts, Alert, Item, Reorder};

/// Days of forecast demand averaged for the daily rate.
pub const HORIZON_DAYS: usize = 14;
/// How long an outlook stands before the next request refreshes it.
const OUTLOOK_TTL: chrono::Duration = chrono::Duration::hours(6);
/// The method the outlook uses: the best on `errand eval forecast` at 28
/// days and more on the seed history (README).
const METHOD: Method = Method::Mstl;

/// Forecast units a day per product.
#[derive(Debug)]
pub struct Outlook {
    pub computed_at: DateTime<Utc>,
    daily: HashMap<String, f64>,
}

#[derive(Debug, Default)]
pub(super) struct OutlookCell {
    ready: Option<Arc<Outlook>>,
    computing: bool,
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
    pub alerts: Vec<Alert>,
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
    /// The latest demand outlook; `None` while the first one is computed.
    /// A missing or stale one starts its computation in the background.
    pub fn outlook(&self) -> Option<Arc<Outlook>> {
        let mut cell = self.outlook.lock().expect("no panics hold this lock");
        let stale = cell
            .ready
            .as_ref()
            .is_none_or(|o| Utc::now() - o.computed_at > OUTLOOK_TTL);
        if stale && !cell.computing {
            cell.computing = true;
            let c = self.clone();
            tokio::spawn(async move {
                let done = c.compute_outlook().await;
                let mut cell = c.outlook.lock().expect("no panics hold this lock");
                cell.computing = false;
                match done {
                    Ok(o) => cell.ready = Some(Arc::new(o)),
                    Err(e) => tracing::error!(error = %e, "demand outlook failed"),
                }
            });
        }
        cell.ready.clone()
    }

    /// Each category's forecast from the store's demand history, shared
    /// among its products by what each sold (one extra unit each, so a new
    /// product has a share too).
    async fn compute_outlook(&self) -> Result<Outlook> {
        let started = std::time::Instant::now();
        let sold = self.tx(|_, conn| units_sold(conn)).await?;
        let k = self.knowledge.clone();
        let daily = tokio::task::spawn_blocking(move || {
            let mut daily = HashMap::new();
            for series in &k.demand {
                let history: Vec<f64> = series.units.iter().map(|&u| f64::from(u)).collect();
                let rate = forecast(METHOD, &history, HORIZON_DAYS).iter().sum::<f64>()
                    / HORIZON_DAYS as f64;
                let products: Vec<&str> = k
                    .products
                    .iter()
                    .filter(|p| {
                        p.merchant_id == series.merchant_id && p.category == series.category
                    })
                    .map(|p| p.id.as_str())
                    .collect();
                let weight = |p: &str| sold.get(p).copied().unwrap_or(0.0) + 1.0;
                let total: f64 = products.iter().map(|p| weight(p)).sum();
                for p in products {
                    daily.insert(p.to_string(), rate * weight(p) / total);
                }
            }
            daily
        })
        .await
        .map_err(|e| crate::store::StoreError::Task(e.to_string()))?;
        tracing::info!(
            products = daily.len(),
            seconds = started.elapsed().as_secs_f64(),
            "demand outlook computed"
        );
        Ok(Outlook {
            computed_at: Utc::now(),
            daily,
        })
    }

    /// What to reorder now, for one store or all; `None` while the first
    /// outlook is computed.
    pub async fn stock_alerts(&self, merchant: Option<String>) -> Result<Option<StockAlerts>> {
        let Some(outlook) = self.outlook() else {
            return Ok(None);
        };
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
        Ok(Some(StockAlerts {
            computed_at: outlook.computed_at,
            method: METHOD,
            horizon_days: HORIZON_DAYS,
            lead_days: rule.lead_days,
            safety_days: rule.safety_days,
            cover_days: rule.cover_days,
            article: "help-stock-reorder-agent",
            alerts: alerts(&items, rule),
        }))
    }
}
