//! Care insights for agents: the assistant's own outcomes by day, the
//! period's pain points, and the teams' ticket queues.

use axum::extract::State;
use axum::Json;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::extract::{ApiQuery, Caller};
use super::{ApiError, AppState};
use crate::commerce::PainPoints;
use crate::store::AssistantReport;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// The longest period one request may cover.
const MAX_DAYS: i64 = 366;

fn day(field: &str, v: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    match v {
        None => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request(format!("`{field}` must be a date, YYYY-MM-DD"))),
    }
}

/// The period asked for: the last 30 days by default, at most a year.
fn period(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let today = Utc::now().date_naive();
    let to = day("to", to, today)?;
    let from = day("from", from, to - Duration::days(29))?;
    if from > to {
        return Err(ApiError::bad_request("`from` must not be after `to`"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::bad_request(format!(
            "`from` to `to` may cover at most {MAX_DAYS} days"
        )));
    }
    Ok((from, to))
}

/// `GET /v1/insights/assistant?from=&to=`.
pub async fn assistant(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(p): ApiQuery<Period>,
) -> Result<Json<AssistantReport>, ApiError> {
    who.agent_only()?;
    let (from, to) = period(p.from.as_deref(), p.to.as_deref())?;
    let report = s
        .app
        .store
        .assistant_outcomes(from.to_string(), to.to_string())
        .await?;
    Ok(Json(report))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PainQuery {
    from: Option<String>,
    to: Option<String>,
    merchant: Option<String>,
}

/// `GET /v1/insights/pain-points?from=&to=&merchant=`.
pub async fn pain_points(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<PainQuery>,
) -> Result<Json<PainPoints>, ApiError> {
    who.agent_only()?;
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    Ok(Json(
        s.app.commerce.pain_points(from, to, q.merchant).await?,
    ))
}

/// `GET /v1/insights/teams`: every team with its open tickets.
pub async fn teams(
    State(s): State<AppState>,
    who: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    who.agent_only()?;
    let queues = s.app.commerce.team_queues().await?;
    let teams: Vec<serde_json::Value> = queues
        .into_iter()
        .map(|(id, label, open)| serde_json::json!({ "id": id, "label": label, "open_tickets": open }))
        .collect();
    Ok(Json(serde_json::json!({ "teams": teams })))
}
