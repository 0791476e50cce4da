//! Tickets and assist mode: customers and agents open tickets; agents get the
//! analysis of one and approve or reject the actions it proposes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use serde::Deserialize;

use super::extract::{ApiJson, ApiPath, ApiQuery, Caller};
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Agents only: one team's queue.
    team: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if q.team.is_some() {
        who.agent()?;
    }
    let tickets = s
        .app
        .commerce
        .tickets(&who.actor(), q.team.as_deref())
        .await?;
    Ok(Json(serde_json::json!({ "tickets": tickets })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    team: String,
}

/// `POST /v1/tickets/{id}/route {"team"}`: an agent re-routes a ticket.
pub async fn route(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(r): ApiJson<Route>,
) -> Result<Json<Ticket>, ApiError> {
    let agent = who.agent()?;
    Ok(Json(
        s.app.commerce.route_ticket(agent, &id, &r.team).await?,
    ))
}

pub async fn get(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (ticket, actions, feedback) = s.app.commerce.ticket(&who.actor(), &id).await?;
    let mut body = serde_json::json!({ "ticket": ticket, "actions": actions });
    if who.agent().is_ok() {
        body["feedback"] = serde_json::json!(feedback);
    }
    Ok(Json(body))
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
