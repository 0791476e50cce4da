//! `GET /v1/search`: hybrid search with filters; each hit explains its ranks.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::extract::ApiQuery;
use super::{ApiError, AppState};
use crate::retrieval::{Filters, Hit, Kind, Mode, SearchRequest};

#[derive(Serialize)]
pub struct SearchResponse {
    query: String,
    mode: Mode,
    took_ms: f64,
    hits: Vec<Hit>,
}

const MAX_LIMIT: usize = 100;

pub async fn search(
    State(s): State<AppState>,
    ApiQuery(params): ApiQuery<HashMap<String, String>>,
) -> Result<Json<SearchResponse>, ApiError> {
    let req = parse(&params)?;
    let retriever = s.app.retriever().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "search indexes are still loading",
        )
    })?;
    let start = Instant::now();
    let hits = retriever.search(&req).await.map_err(ApiError::from)?;
    Ok(Json(SearchResponse {
        query: req.query,
        mode: req.mode,
        took_ms: start.elapsed().as_secs_f64() * 1000.0,
        hits,
    }))
}

/// Every parameter is checked; a bad one is named in the 400.
fn parse(p: &HashMap<String, String>) -> Result<SearchRequest, ApiError> {
    const KNOWN: &[&str] = &[
        "q",
        "kind",
        "mode",
        "limit",
        "merchant",
        "category",
        "tags",
        "price_min",
        "price_max",
        "in_stock",
    ];
    if let Some(k) = p.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(bad(
            k,
            format!("unknown parameter; known: {}", KNOWN.join(", ")),
        ));
    }
    let query = p
        .get("q")
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty())
        .ok_or_else(|| bad("q", "is required"))?;
    if query.chars().count() > 500 {
        return Err(bad("q", "is longer than 500 characters"));
    }
    let kind = p
        .get("kind")
        .map(|k| Kind::parse(k).ok_or_else(|| bad("kind", "must be product, recipe or help")))
        .transpose()?;
    let mode = p
        .get("mode")
        .map(|m| Mode::parse(m).ok_or_else(|| bad("mode", "must be bm25, dense or hybrid")))
        .transpose()?
        .unwrap_or(Mode::Hybrid);
    let limit = match p.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| bad("limit", format!("must be 1 to {MAX_LIMIT}")))?,
        None => 10,
    };
    let money = |name: &str| -> Result<Option<i64>, ApiError> {
        p.get(name)
            .map(|v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 0)
                    .ok_or_else(|| bad(name, "must be a non-negative integer in minor units"))
            })
            .transpose()
    };
    let (price_min, price_max) = (money("price_min")?, money("price_max")?);
    if let (Some(lo), Some(hi)) = (price_min, price_max) {
        if lo > hi {
            return Err(bad("price_min", "is greater than price_max"));
        }
    }
    let in_stock = match p.get("in_stock").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad("in_stock", "must be true or false")),
    };
    let tags = p
        .get("tags")
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let filters = Filters {
        kind,
        merchant: p.get("merchant").cloned(),
        category: p.get("category").cloned(),
        tags,
        price_min,
        price_max,
        in_stock,
        // A public endpoint: agent-only policy is found through assist mode.
        agent_view: false,
    };
    Ok(SearchRequest {
        query,
        mode,
        filters,
        limit,
    })
}

fn bad(param: &str, msg: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        format!("parameter `{param}`: {msg}"),
    )
}
