//! Care insights for agents: the assistant's own outcomes by day.

use axum::extract::State;
use axum::Json;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::extract::{ApiQuery, Caller};
use super::{ApiError, AppState};
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

/// `GET /v1/insights/assistant?from=&to=`: the last 30 days by default.
pub async fn assistant(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(p): ApiQuery<Period>,
) -> Result<Json<AssistantReport>, ApiError> {
    who.agent()?;
    let today = Utc::now().date_naive();
    let to = day("to", p.to.as_deref(), today)?;
    let from = day("from", p.from.as_deref(), to - Duration::days(29))?;
    if from > to {
        return Err(ApiError::bad_request("`from` must not be after `to`"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::bad_request(format!(
            "`from` to `to` may cover at most {MAX_DAYS} days"
        )));
    }
    let report = s
        .app
        .store
        .assistant_outcomes(from.to_string(), to.to_string())
        .await?;
    Ok(Json(report))
}
