//! Support tickets and the actions assist mode proposes for them. A proposed
//! action runs only when a care agent approves it, exactly once.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{invalid, new_id, Actor, Commerce, CommerceError, Result};
use crate::store::now;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub customer_id: String,
    pub order_id: Option<String>,
    pub subject: String,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    pub order_id: Option<String>,
    pub subject: String,
    /// Agents only, for a ticket without an order.
    pub customer_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TicketAction {
    pub id: String,
    pub ticket_id: String,
    /// `reblast`, `refund`, `cancel` or `escalate`.
    pub kind: String,
    pub params: Value,
    pub reason: String,
    /// `proposed`, `executing`, `executed`, `rejected` or `failed`.
    pub status: String,
    pub result: Option<Value>,
    pub decided_by: Option<String>,
}

/// An action to propose: kind, parameters, why.
pub struct Proposal {
    pub kind: &'static str,
    pub params: Value,
    pub reason: String,
}

fn ticket_row(r: &rusqlite::Row) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        order_id: r.get(2)?,
        subject: r.get(3)?,
        status: r.get(4)?,
        created_by: r.get(5)?,
        created_at: r.get(6)?,
    })
}

const TICKET_COLUMNS: &str = "id, customer_id, order_id, subject, status, created_by, created_at";

fn load(conn: &Connection, actor: &Actor, id: &str) -> Result<Ticket> {
    let t = conn
        .query_row(
            &format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1"),
            [id],
            ticket_row,
        )
        .optional()?;
    match t {
        Some(t) if !matches!(actor, Actor::Customer(c) if *c != t.customer_id) => Ok(t),
        _ => Err(CommerceError::NotFound(format!("ticket {id}"))),
    }
}

fn actions(conn: &Connection, ticket: &str) -> Result<Vec<TicketAction>> {
    let mut st = conn.prepare("SELECT id, ticket_id, kind, params, reason, status, result, decided_by FROM ticket_actions WHERE ticket_id = ?1 ORDER BY created_at, rowid")?;
    let rows = st.query_map([ticket], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, ticket_id, kind, params, reason, status, result, decided_by) = row?;
        out.push(TicketAction {
            id,
            ticket_id,
            kind,
            params: serde_json::from_str(&params)?,
            reason,
            status,
            result: result.map(|r| serde_json::from_str(&r)).transpose()?,
            decided_by,
        });
    }
    Ok(out)
}

impl Commerce {
    pub async fn create_ticket(&self, actor: &Actor, req: NewTicket) -> Result<Ticket> {
        let subject = req.subject.trim().to_string();
        if subject.is_empty() || subject.chars().count() > 500 {
            return Err(invalid("subject", "must be 1 to 500 characters"));
        }
        let actor = actor.clone();
        self.tx(move |c, conn| {
            let customer = match (&req.order_id, &actor) {
                (Some(order), _) => super::orders::load(c, conn, &actor, order)?.customer_id,
                (None, Actor::Customer(me)) => me.clone(),
                (None, _) => req.customer_id.clone().ok_or_else(|| invalid("customer_id", "is required for a ticket without an order"))?,
            };
            super::segment(conn, &customer)?;
            let id = new_id("t");
            let at = now();
            conn.execute(
                "INSERT INTO tickets (id, customer_id, order_id, subject, status, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?6)",
                params![id, customer, req.order_id, subject, actor.label(), at],
            )?;
            load(conn, &actor, &id)
        })
        .await
    }

    /// A customer's own tickets, or for an agent the open queue, newest first.
    pub async fn tickets(&self, actor: &Actor) -> Result<Vec<Ticket>> {
        let actor = actor.clone();
        self.tx(move |_, conn| {
            let (sql, arg) = match &actor {
                Actor::Customer(me) => (format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE customer_id = ?1 ORDER BY created_at DESC LIMIT 100"), me.clone()),
                _ => (format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE status != ?1 ORDER BY created_at DESC LIMIT 100"), "closed".to_string()),
            };
            let mut st = conn.prepare(&sql)?;
            let rows = st.query_map([arg], ticket_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub async fn ticket(&self, actor: &Actor, id: &str) -> Result<(Ticket, Vec<TicketAction>)> {
        let (actor, id) = (actor.clone(), id.to_string());
        self.tx(move |_, conn| Ok((load(conn, &actor, &id)?, actions(conn, &id)?)))
            .await
    }

    /// Records proposals the first time a ticket is assisted; later calls keep
    /// the ones already there, so an agent sees stable action ids.
    pub async fn propose(
        &self,
        ticket: &str,
        proposals: Vec<Proposal>,
    ) -> Result<Vec<TicketAction>> {
        let ticket = ticket.to_string();
        self.tx(move |_, conn| {
            if actions(conn, &ticket)?.is_empty() {
                let at = now();
                for p in proposals {
                    conn.execute(
                        "INSERT INTO ticket_actions (id, ticket_id, kind, params, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![new_id("act"), ticket, p.kind, p.params.to_string(), p.reason, at],
                    )?;
                }
            }
            actions(conn, &ticket)
        })
        .await
    }

    /// Approves (runs) or rejects a proposed action. Deciding again returns the
    /// action as it is: an approved refund is never paid twice.
    pub async fn decide(
        &self,
        agent: &str,
        ticket: &str,
        action: &str,
        approve: bool,
    ) -> Result<TicketAction> {
        let who = Actor::Agent(agent.to_string());
        let (t, a, act) = (ticket.to_string(), action.to_string(), who.clone());
        let claimed: Option<TicketAction> = self
            .tx(move |_, conn| {
                load(conn, &act, &t)?;
                let status = if approve { "executing" } else { "rejected" };
                let n = conn.execute(
                    "UPDATE ticket_actions SET status = ?3, decided_by = ?4, decided_at = ?5 WHERE id = ?1 AND ticket_id = ?2 AND status = 'proposed'",
                    params![a, t, status, act.label(), now()],
                )?;
                let current = actions(conn, &t)?.into_iter().find(|x| x.id == a).ok_or_else(|| CommerceError::NotFound(format!("action {a}")))?;
                Ok((n == 1 && approve).then_some(current))
            })
            .await?;
        let Some(claimed) = claimed else {
            return Ok(self
                .ticket(&who, ticket)
                .await?
                .1
                .into_iter()
                .find(|x| x.id == action)
                .expect("present above"));
        };
        let order = claimed.params["order_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let outcome: Result<Value> = match claimed.kind.as_str() {
            "reblast" => self
                .reblast(&who, &order)
                .await
                .and_then(|r| Ok(serde_json::to_value(r)?)),
            "cancel" => self
                .cancel(&who, &order, &claimed.reason, &claimed.id)
                .await
                .and_then(|r| Ok(serde_json::to_value(r)?)),
            "refund" => self
                .refund(
                    &who,
                    &order,
                    claimed.params["amount_minor"].as_i64(),
                    &claimed.reason,
                    &claimed.id,
                )
                .await
                .and_then(|r| Ok(serde_json::to_value(r)?)),
            _ => Ok(serde_json::json!({ "message": "escalated to the senior care team" })),
        };
        let (status, result) = match &outcome {
            Ok(v) => ("executed", v.clone()),
            Err(e) => ("failed", serde_json::json!({ "error": e.to_string() })),
        };
        let (t, a, escalated) = (
            ticket.to_string(),
            action.to_string(),
            claimed.kind == "escalate",
        );
        self.tx(move |_, conn| {
            conn.execute(
                "UPDATE ticket_actions SET status = ?2, result = ?3 WHERE id = ?1",
                params![a, status, result.to_string()],
            )?;
            let ticket_status = if escalated {
                "escalated"
            } else {
                "in_progress"
            };
            conn.execute(
                "UPDATE tickets SET status = ?2, updated_at = ?3 WHERE id = ?1",
                params![t, ticket_status, now()],
            )?;
            Ok(actions(conn, &t)?
                .into_iter()
                .find(|x| x.id == a)
                .expect("updated above"))
        })
        .await
    }
}
