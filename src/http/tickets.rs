//! Tickets and assist mode: customers and agents open tickets; agents get the
//! analysis of one and approve or reject the actions it proposes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, ApiPath, Caller};
use super::{ApiError, AppState};
use crate::agent::Assist;
use crate::commerce::{NewTicket, Ticket, TicketAction};

pub async fn create(
    State(s): State<AppState>,
    who: Caller,
    ApiJson(req): ApiJson<NewTicket>,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    if req.customer_id.is_some() {
        who.agent().map_err(|_| {
            ApiError::bad_request(
                "`customer_id` is for agents; customers open tickets for themselves",
            )
        })?;
    }
    Ok((
        StatusCode::CREATED,
        Json(s.app.commerce.create_ticket(&who.actor(), req).await?),
    ))
}

pub async fn list(
    State(s): State<AppState>,
    who: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let tickets = s.app.commerce.tickets(&who.actor()).await?;
    Ok(Json(serde_json::json!({ "tickets": tickets })))
}

pub async fn get(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (ticket, actions) = s.app.commerce.ticket(&who.actor(), &id).await?;
    Ok(Json(
        serde_json::json!({ "ticket": ticket, "actions": actions }),
    ))
}

pub async fn assist(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Assist>, ApiError> {
    let agent = who.agent()?;
    s.app
        .assist(agent, &id)
        .await
        .map(Json)
        .map_err(ApiError::from)
}

pub async fn approve(
    State(s): State<AppState>,
    who: Caller,
    ApiPath((ticket, action)): ApiPath<(String, String)>,
) -> Result<Json<TicketAction>, ApiError> {
    Ok(Json(
        s.app
            .commerce
            .decide(who.agent()?, &ticket, &action, true)
            .await?,
    ))
}

pub async fn reject(
    State(s): State<AppState>,
    who: Caller,
    ApiPath((ticket, action)): ApiPath<(String, String)>,
) -> Result<Json<TicketAction>, ApiError> {
    Ok(Json(
        s.app
            .commerce
            .decide(who.agent()?, &ticket, &action, false)
            .await?,
    ))
}
