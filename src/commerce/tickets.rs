//! Support tickets and the actions assist mode proposes for them. A proposed
//! action runs only when a care agent approves it, exactly once.

use crate::store::{params, Connection, OptionalExtension};
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
    /// The team it is routed to (see prompts/triage.toml).
    pub team: Option<String>,
    /// `triage`, or the agent who re-routed it.
    pub routed_by: Option<String>,
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
    /// `proposed`, `executed`, `rejected` or `failed`.
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

fn ticket_row(r: &crate::store::Row) -> Result<Ticket, crate::store::DbError> {
    Ok(Ticket {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        order_id: r.get(2)?,
        subject: r.get(3)?,
        status: r.get(4)?,
        created_by: r.get(5)?,
        created_at: r.get(6)?,
        team: r.get(7)?,
        routed_by: r.get(8)?,
    })
}

const TICKET_COLUMNS: &str =
    "id, customer_id, order_id, subject, status, created_by, created_at, team, routed_by";

/// Feedback linked to a ticket, as agents see it beside the ticket.
#[derive(Debug, Clone, Serialize)]
pub struct TicketFeedback {
    pub id: String,
    pub rating: Option<i64>,
    pub text: String,
    pub class: Option<String>,
    pub aspects: Vec<String>,
    pub created_at: String,
}

fn ticket_feedback(conn: &Connection, ticket: &str) -> Result<Vec<TicketFeedback>> {
    let mut st = conn.prepare(
        "SELECT id, rating, text, class, aspects, created_at FROM feedback WHERE ticket_id = ?1 ORDER BY created_at",
    )?;
    let rows = st.query_map([ticket], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, rating, text, class, aspects, created_at) = row?;
        out.push(TicketFeedback {
            id,
            rating,
            text,
            class,
            aspects: aspects
                .map(|a| serde_json::from_str(&a))
                .transpose()?
                .unwrap_or_default(),
            created_at,
        });
    }
    Ok(out)
}

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
        let team = self.triage.classify(&subject, None).team;
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
                "INSERT INTO tickets (id, customer_id, order_id, subject, status, created_by, created_at, updated_at, team, routed_by)
                 VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?6, ?7, 'triage')",
                params![id, customer, req.order_id, subject, actor.label(), at, team],
            )?;
            load(conn, &actor, &id)
        })
        .await
    }

    /// A customer's own tickets, or for an agent the open queue (of one
    /// team, if given), newest first.
    pub async fn tickets(&self, actor: &Actor, team: Option<&str>) -> Result<Vec<Ticket>> {
        let team = team.map(|t| self.team(t)).transpose()?;
        let actor = actor.clone();
        self.tx(move |_, conn| {
            let (sql, arg) = match &actor {
                Actor::Customer(me) => (format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE customer_id = ?1 ORDER BY created_at DESC LIMIT 100"), Some(me.clone())),
                _ => (format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE status != 'closed' AND (CAST(?1 AS TEXT) IS NULL OR team = ?1) ORDER BY created_at DESC LIMIT 100"), team.clone()),
            };
            let mut st = conn.prepare(&sql)?;
            let rows = st.query_map([arg], ticket_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// Open tickets per team, every team listed (agents' queues).
    pub async fn team_queues(&self) -> Result<Vec<(String, String, i64)>> {
        let teams = self.triage.teams().clone();
        self.tx(move |_, conn| {
            let mut st = conn.prepare(
                "SELECT coalesce(team, ''), count(*) FROM tickets WHERE status != 'closed' GROUP BY 1",
            )?;
            let counts: std::collections::HashMap<String, i64> = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok(teams
                .clone()
                .into_iter()
                .map(|(id, label)| {
                    let n = counts.get(&id).copied().unwrap_or(0);
                    (id, label, n)
                })
                .collect())
        })
        .await
    }

    /// A ticket with its actions and, for agents, the feedback linked to it.
    pub async fn ticket(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(Ticket, Vec<TicketAction>, Vec<TicketFeedback>)> {
        let (actor, id) = (actor.clone(), id.to_string());
        self.tx(move |_, conn| {
            let t = load(conn, &actor, &id)?;
            let feedback = match actor {
                Actor::Customer(_) => Vec::new(),
                _ => ticket_feedback(conn, &id)?,
            };
            Ok((t, actions(conn, &id)?, feedback))
        })
        .await
    }

    /// An agent sends a ticket to another team's queue.
    pub async fn route_ticket(&self, agent: &str, id: &str, team: &str) -> Result<Ticket> {
        let team = self.team(team)?;
        let actor = Actor::Agent(agent.to_string());
        let id = id.to_string();
        self.tx(move |_, conn| {
            load(conn, &actor, &id)?;
            conn.execute(
                "UPDATE tickets SET team = ?2, routed_by = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, team, actor.label(), now()],
            )?;
            load(conn, &actor, &id)
        })
        .await
    }

    /// `team` if it is one triage routes to.
    fn team(&self, team: &str) -> Result<String> {
        if self.triage.teams().contains_key(team) {
            Ok(team.to_string())
        } else {
            let known: Vec<&str> = self.triage.teams().keys().map(String::as_str).collect();
            Err(invalid(
                "team",
                format!("must be one of {}", known.join(", ")),
            ))
        }
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
                for p in &proposals {
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
    /// action as it is: an approved refund is never paid twice. The claim,
    /// the action's own writes and its recorded outcome share one
    /// transaction, so a crash leaves the action proposed, never half-run.
    pub async fn decide(
        &self,
        agent: &str,
        ticket: &str,
        action: &str,
        approve: bool,
    ) -> Result<TicketAction> {
        let who = Actor::Agent(agent.to_string());
        let (t, a) = (ticket.to_string(), action.to_string());
        self.tx(move |c, conn| {
            load(conn, &who, &t)?;
            let find = |conn: &Connection| -> Result<TicketAction> {
                actions(conn, &t)?
                    .into_iter()
                    .find(|x| x.id == a)
                    .ok_or_else(|| CommerceError::NotFound(format!("action {a}")))
            };
            let current = find(conn)?;
            if current.status != "proposed" {
                return Ok(current);
            }
            let (status, result) = if approve {
                // The action's writes sit in a savepoint: a refusal is recorded
                // as `failed` without any of them.
                conn.execute_batch("SAVEPOINT action")?;
                match run(c, conn, &who, &current) {
                    Ok(v) => {
                        conn.execute_batch("RELEASE action")?;
                        ("executed", Some(v))
                    }
                    Err(CommerceError::Store(e)) => return Err(CommerceError::Store(e)),
                    Err(e) => {
                        conn.execute_batch("ROLLBACK TO action; RELEASE action")?;
                        ("failed", Some(serde_json::json!({ "error": e.to_string() })))
                    }
                }
            } else {
                ("rejected", None)
            };
            let at = now();
            conn.execute(
                "UPDATE ticket_actions SET status = ?2, result = ?3, decided_by = ?4, decided_at = ?5 WHERE id = ?1",
                params![a, status, result.map(|r| r.to_string()), who.label(), at],
            )?;
            if approve {
                let ticket_status = if current.kind == "escalate" {
                    "escalated"
                } else {
                    "in_progress"
                };
                conn.execute(
                    "UPDATE tickets SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![t, ticket_status, at],
                )?;
            }
            find(conn)
        })
        .await
    }
}

/// Runs an approved action in the caller's transaction, keyed by the action's
/// id so a retried approval can never pay twice.
fn run(c: &Commerce, conn: &Connection, who: &Actor, a: &TicketAction) -> Result<Value> {
    let order = a.params["order_id"].as_str().unwrap_or_default();
    let out = match a.kind.as_str() {
        "reblast" => super::orders::reblast_in(c, conn, who, order)?,
        "cancel" => super::orders::cancel_in(c, conn, who, order, &a.reason, &a.id, None)?,
        "refund" => super::orders::refund_in(
            c,
            conn,
            who,
            order,
            a.params["amount_minor"].as_i64(),
            &a.reason,
            &a.id,
        )?,
        _ => return Ok(serde_json::json!({ "message": "escalated to the senior care team" })),
    };
    Ok(serde_json::to_value(out)?)
}
