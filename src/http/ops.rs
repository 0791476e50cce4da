//! Operations for agents: what to reorder now, the customer segments, and
//! the fleet's heatmap and rebalancing plan.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiQuery, Caller};
use super::{ApiError, AppState};
use crate::commerce::fleet::FleetView;
use crate::commerce::{SegmentsView, StockAlerts};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    merchant: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/ops/stock-alerts?merchant=&limit=`: the products to reorder
/// now, fewest days of cover first.
pub async fn stock_alerts(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> Result<Json<StockAlerts>, ApiError> {
    who.agent_only()?;
    if let Some(m) = q.merchant.as_deref() {
        if s.app.knowledge.merchant(m).is_none() {
            return Err(ApiError::bad_request(format!("unknown merchant `{m}`")));
        }
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("`limit` must be 1 to 500"));
    }
    let mut out = s.app.commerce.stock_alerts(q.merchant).await?;
    out.alerts.truncate(limit);
    Ok(Json(out))
}

/// `GET /v1/ops/segments`: the latest behavioural segments (`errand
/// segments`, also run by `errand index`).
pub async fn segments(
    State(s): State<AppState>,
    who: Caller,
) -> Result<Json<SegmentsView>, ApiError> {
    who.agent_only()?;
    s.app
        .commerce
        .segments()
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no segments yet: run `errand segments`"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetQuery {
    hour: Option<u32>,
}

/// `GET /v1/ops/fleet?hour=`: expected pickups per area and hour (the
/// heatmap), the drivers per area, and the rebalancing plan and surge
/// suggestions for `hour` of the city's day (now when absent).
pub async fn fleet(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<FleetQuery>,
) -> Result<Json<FleetView>, ApiError> {
    who.agent_only()?;
    Ok(Json(s.app.commerce.fleet(q.hour).await?))
}
