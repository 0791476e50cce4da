//! Operations for agents: what to reorder now, the customer segments, and
//! the fleet's heatmap and rebalancing plan, experiments and drift.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiPath, ApiQuery, Caller};
use super::{ApiError, AppState};
use crate::commerce::fleet::FleetView;
use crate::commerce::{DriftReport, ExperimentResult, SegmentsView, StockAlerts, StoreForecast};

/// A `merchant` filter must name a store.
fn known_merchant(s: &AppState, merchant: Option<&str>) -> Result<(), ApiError> {
    match merchant {
        Some(m) if s.app.knowledge.merchant(m).is_none() => {
            Err(ApiError::bad_request(format!("unknown merchant `{m}`")))
        }
        _ => Ok(()),
    }
}

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
    known_merchant(&s, q.merchant.as_deref())?;
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

/// `GET /v1/ops/experiments`: every configured experiment's results.
pub async fn experiments(
    State(s): State<AppState>,
    who: Caller,
) -> Result<Json<Vec<ExperimentResult>>, ApiError> {
    who.agent_only()?;
    Ok(Json(s.app.commerce.experiments().await?))
}

/// `GET /v1/ops/experiments/{id}`: conversion per variant with intervals,
/// and each variant tested against the control.
pub async fn experiment(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ExperimentResult>, ApiError> {
    who.agent_only()?;
    Ok(Json(s.app.commerce.experiment(&id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftQuery {
    days: Option<u32>,
}

/// `GET /v1/ops/drift?days=`: PSI of the router's intents and of the
/// categories ordered and recommended, the last `days` (7) against the four
/// times as long before.
pub async fn drift(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<DriftQuery>,
) -> Result<Json<DriftReport>, ApiError> {
    who.agent_only()?;
    Ok(Json(s.app.commerce.drift(q.days.unwrap_or(7)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    merchant: Option<String>,
}

/// `GET /v1/ops/forecast?merchant=`: each store's units a day over the last
/// eight weeks and the four weeks forecast (computed at start, not here).
pub async fn forecast(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<ForecastQuery>,
) -> Result<Json<Vec<StoreForecast>>, ApiError> {
    who.agent_only()?;
    known_merchant(&s, q.merchant.as_deref())?;
    Ok(Json(s.app.commerce.store_forecasts(q.merchant.as_deref())))
}
