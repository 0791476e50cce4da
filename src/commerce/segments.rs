//! Behavioural segments over the orders: RFM per customer, clustered by
//! `ops::segments`, stored as a run so every reader sees the same segments
//! until the next `errand segments`.

use crate::store::{params, Connection, OptionalExtension};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{Commerce, Result};
use crate::ops::segments::{segment, Names, Rfm, Segmentation};
use crate::store::now;

/// The numbers of segments tried.
const KS: std::ops::RangeInclusive<usize> = 2..=6;
/// Seeds k-means, so the same orders give the same segments.
const SEED: u64 = 20261203;

/// The latest run, as stored.
#[derive(Debug, Serialize)]
pub struct SegmentsView {
    pub computed_at: String,
    pub k: i64,
    pub silhouette: f64,
    pub tried: Value,
    pub segments: Value,
    /// Customers in a segment; those without an order are in none.
    pub customers: i64,
}

/// Each customer's recency, frequency and spend over orders not cancelled.
fn rfm(conn: &Connection, at: DateTime<Utc>) -> Result<Vec<Rfm>> {
    let mut st = conn.prepare(
        "SELECT customer_id, MAX(placed_at), COUNT(*), SUM(total_minor - refunded_minor)
         FROM orders WHERE status != 'cancelled' GROUP BY customer_id ORDER BY customer_id",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, f64>(2)?,
            r.get::<_, f64>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (customer_id, last, orders, spend_minor) = row?;
        let last = DateTime::parse_from_rfc3339(&last)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(at);
        out.push(Rfm {
            customer_id,
            recency_days: (at - last).num_minutes().max(0) as f64 / 1440.0,
            orders,
            spend_minor,
        });
    }
    Ok(out)
}

impl Commerce {
    /// Recomputes the segments from the orders and stores them as the
    /// latest run; `None` with too few customers who ordered.
    pub async fn resegment(&self, names: Names) -> Result<Option<Segmentation>> {
        let rows = self.tx(|_, conn| rfm(conn, Utc::now())).await?;
        let found = tokio::task::spawn_blocking(move || segment(&rows, KS, &names, SEED))
            .await
            .map_err(|e| crate::store::StoreError::Task(e.to_string()))?;
        let Some(s) = found else {
            return Ok(None);
        };
        let stored = s.clone();
        self.tx(move |_, conn| {
            let run: i64 = conn.query_row(
                "INSERT INTO segment_runs (computed_at, k, silhouette, tried, segments)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![
                    now(),
                    stored.k as i64,
                    stored.silhouette,
                    serde_json::to_string(&stored.tried)?,
                    serde_json::to_string(&stored.segments)?
                ],
                |r| r.get(0),
            )?;
            conn.execute("DELETE FROM customer_segments", [])?;
            let mut st = conn.prepare(
                "INSERT INTO customer_segments (customer_id, run_id, segment) VALUES (?1, ?2, ?3)",
            )?;
            for (customer, seg) in &stored.assignment {
                st.execute(params![customer, run, *seg as i64])?;
            }
            Ok(())
        })
        .await?;
        Ok(Some(s))
    }

    /// The latest segments, if `errand segments` (or `errand index`) ran.
    pub async fn segments(&self) -> Result<Option<SegmentsView>> {
        self.tx(|_, conn| {
            let run = conn
                .query_row(
                    "SELECT computed_at, k, silhouette, tried, segments,
                            (SELECT COUNT(*) FROM customer_segments)
                     FROM segment_runs ORDER BY id DESC LIMIT 1",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, f64>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, i64>(5)?,
                        ))
                    },
                )
                .optional()?;
            let Some((computed_at, k, silhouette, tried, segments, customers)) = run else {
                return Ok(None);
            };
            Ok(Some(SegmentsView {
                computed_at,
                k,
                silhouette,
                tried: serde_json::from_str(&tried)?,
                segments: serde_json::from_str(&segments)?,
                customers,
            }))
        })
        .await
    }
}

/// The customer's segment in the latest run: its number and its entry
/// (name, centroid, levels); none before a first run or for a customer the
/// run did not see.
fn placed(conn: &Connection, customer: &str) -> Result<Option<(i64, Value)>> {
    let mine: Option<(i64, String)> = conn
        .query_row(
            "SELECT s.segment, r.segments FROM customer_segments s
             JOIN segment_runs r ON r.id = s.run_id WHERE s.customer_id = ?1",
            [customer],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((segment, all)) = mine else {
        return Ok(None);
    };
    let all: Vec<Value> = serde_json::from_str(&all)?;
    Ok(all
        .into_iter()
        .find(|g| g["id"].as_i64() == Some(segment))
        .map(|g| (segment, g)))
}

/// The customer's segment's `measure:level`s, what offers target.
pub(super) fn behaviour(conn: &Connection, customer: &str) -> Result<Vec<String>> {
    Ok(placed(conn, customer)?
        .and_then(|(_, g)| serde_json::from_value(g["levels"].clone()).ok())
        .unwrap_or_default())
}

/// The caller's segment by name, and every customer in it (the caller
/// too); none before a first run or for a customer the run did not see.
pub(super) fn peers(conn: &Connection, customer: &str) -> Result<(Option<String>, Vec<String>)> {
    let Some((segment, g)) = placed(conn, customer)? else {
        return Ok((None, Vec::new()));
    };
    let mut st =
        conn.prepare_cached("SELECT customer_id FROM customer_segments WHERE segment = ?1")?;
    let peers = st
        .query_map([segment], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok((g["name"].as_str().map(String::from), peers))
}
