//! `GET /v1/help/{id}`: one help article, as the care console and the widget
//! open a citation. Articles written for care agents (internal policy) are
//! shown to agents only; to anyone else they do not exist.

use axum::extract::State;
use axum::Json;

use super::extract::{ApiPath, Caller};
use super::{ApiError, AppState};
use crate::knowledge::{Audience, HelpArticle};

pub async fn article(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<HelpArticle>, ApiError> {
    s.app
        .knowledge
        .help
        .iter()
        .find(|a| a.id == id && (a.audience == Audience::Customer || who.agent().is_ok()))
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("help article {id} not found")))
}
