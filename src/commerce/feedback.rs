//! Feedback: a customer rates an order or a conversation (1 to 5) and says
//! why. One per order and one per conversation: sending again replaces the
//! rating and text and keeps the id, so a retry never counts twice.
//!
//! Each is triaged on the way in (`crate::triage`: class, aspects, team) and
//! a complaint about a recent order opens a ticket for that team, or joins
//! the order's open one. Stored verdicts name the rules' version; a change
//! to the rules re-triages them at start ([`Commerce::retriage`]).

use crate::store::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::{invalid, new_id, Commerce, CommerceError, Result};
use crate::store::now;
use crate::triage::{Class, Evidence, Verdict};

/// Longest feedback text kept.
pub const MAX_FEEDBACK: usize = 2000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub order_id: Option<String>,
    pub session_id: Option<String>,
    /// 1 to 5; may be left out when there is text.
    pub rating: Option<i64>,
    #[serde(default)]
    pub text: String,
    /// Adds the text to the earlier feedback's instead of replacing it, for
    /// things said one by one in a chat.
    #[serde(skip)]
    pub add_to_text: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Feedback {
    pub id: String,
    pub order_id: Option<String>,
    pub session_id: Option<String>,
    pub rating: Option<i64>,
    pub text: String,
    pub class: Class,
    pub aspects: Vec<String>,
    pub team: String,
    /// How the team is named to people ("Delivery fleet").
    pub team_label: String,
    /// The cues that decided the class, aspects and team.
    pub because: Vec<Evidence>,
    /// The ticket a complaint opened or joined.
    pub ticket_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Commerce {
    /// The rules feedback is triaged by.
    pub fn triage(&self) -> &crate::triage::Triage {
        &self.triage
    }

    /// Stores `req` for `customer`, replacing their earlier feedback on the
    /// same order (or, without one, the same conversation); a rating left
    /// out keeps the earlier one. Someone else's order or conversation is
    /// not found, like a missing one. The flag is true when this created it.
    pub async fn feedback(&self, customer: &str, req: FeedbackRequest) -> Result<(Feedback, bool)> {
        if req.rating.is_some_and(|r| !(1..=5).contains(&r)) {
            return Err(invalid("rating", "must be a whole number from 1 to 5"));
        }
        let text = req.text.trim().to_string();
        if text.chars().count() > MAX_FEEDBACK {
            return Err(invalid(
                "text",
                format!("must be at most {MAX_FEEDBACK} characters"),
            ));
        }
        if req.rating.is_none() && text.is_empty() {
            return Err(invalid("rating", "give a rating, some text, or both"));
        }
        if req.order_id.is_none() && req.session_id.is_none() {
            return Err(invalid(
                "order_id",
                "give the order or the conversation (`session_id`) it is about",
            ));
        }
        let customer = customer.to_string();
        self.tx(move |c, tx| {
            let owned = |sql: &str, id: &str, what: &str| -> Result<()> {
                let owner: Option<Option<String>> =
                    tx.query_row(sql, [id], |r| r.get(0)).optional()?;
                if owner.flatten().as_deref() != Some(customer.as_str()) {
                    return Err(CommerceError::NotFound(format!("{what} {id}")));
                }
                Ok(())
            };
            if let Some(o) = &req.order_id {
                owned("SELECT customer_id FROM orders WHERE id = ?1", o, "order")?;
            }
            if let Some(s) = &req.session_id {
                owned("SELECT customer_id FROM conversations WHERE id = ?1", s, "session")?;
            }
            type Earlier = (String, String, Option<i64>, String);
            let row = |r: &crate::store::Row| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
            let existing: Option<Earlier> = match &req.order_id {
                Some(o) => tx
                    .query_row(
                        "SELECT id, created_at, rating, text FROM feedback WHERE customer_id = ?1 AND order_id = ?2",
                        params![customer, o],
                        row,
                    )
                    .optional()?,
                None => tx
                    .query_row(
                        "SELECT id, created_at, rating, text FROM feedback
                         WHERE customer_id = ?1 AND session_id = ?2 AND order_id IS NULL",
                        params![customer, req.session_id],
                        row,
                    )
                    .optional()?,
            };
            let t = now();
            let created = existing.is_none();
            let (id, created_at, earlier, said) =
                existing.unwrap_or_else(|| (new_id("fb"), t.clone(), None, String::new()));
            let rating = req.rating.or(earlier);
            let text = if req.add_to_text && !said.is_empty() && !said.contains(&text) {
                format!("{said}\n{text}")
            } else {
                text.clone()
            };
            // The conversation stays the one given first when a resend names none.
            let session_id: Option<String> = tx.query_row(
                "INSERT INTO feedback (id, customer_id, order_id, session_id, rating, text, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET rating = excluded.rating, text = excluded.text,
                   session_id = coalesce(excluded.session_id, feedback.session_id), updated_at = excluded.updated_at
                 RETURNING session_id",
                params![id, customer, req.order_id, req.session_id, rating, text, created_at, t],
                |r| r.get(0),
            )?;
            let verdict = c.triage.classify(&text, rating);
            store_verdict(tx, &id, &verdict, c.triage.digest())?;
            let ticket_id = match (&req.order_id, verdict.class) {
                (Some(order), Class::Complaint) => c.ticket_for_complaint(tx, &customer, order, &verdict, &id)?,
                _ => None,
            };
            Ok((
                Feedback {
                    id,
                    order_id: req.order_id.clone(),
                    session_id,
                    rating,
                    text,
                    class: verdict.class,
                    aspects: verdict.aspects,
                    team_label: c.triage.teams().get(&verdict.team).cloned().unwrap_or_default(),
                    team: verdict.team,
                    because: verdict.because,
                    ticket_id,
                    created_at,
                    updated_at: t,
                },
                created,
            ))
        })
        .await
    }

    /// Opens a ticket for a complaint about `order` when the order is recent
    /// enough for a person to act on it, or adds the complaint to the order's
    /// open ticket. Returns the ticket, if any.
    fn ticket_for_complaint(
        &self,
        tx: &Transaction,
        customer: &str,
        order: &str,
        verdict: &Verdict,
        feedback: &str,
    ) -> Result<Option<String>> {
        let placed: String =
            tx.query_row("SELECT placed_at FROM orders WHERE id = ?1", [order], |r| {
                r.get(0)
            })?;
        let since = crate::store::stamp(
            chrono::Utc::now() - chrono::Duration::days(self.knowledge.policy.feedback_ticket_days),
        );
        if placed < since {
            return Ok(None);
        }
        let open: Option<String> = tx
            .query_row(
                "SELECT id FROM tickets WHERE order_id = ?1 AND status != 'closed' ORDER BY created_at DESC LIMIT 1",
                [order],
                |r| r.get(0),
            )
            .optional()?;
        let ticket = match open {
            Some(t) => {
                // A ticket opened without a team takes the complaint's.
                tx.execute(
                    "UPDATE tickets SET team = ?2, routed_by = 'triage' WHERE id = ?1 AND team IS NULL",
                    params![t, verdict.team],
                )?;
                t
            }
            None => {
                let labels: Vec<&str> = verdict
                    .aspects
                    .iter()
                    .filter_map(|a| self.triage.aspect(a).map(|a| a.label.as_str()))
                    .collect();
                let subject = if labels.is_empty() {
                    "Complaint".to_string()
                } else {
                    format!("Complaint: {}", labels.join(", "))
                };
                let id = new_id("t");
                let at = now();
                tx.execute(
                    "INSERT INTO tickets (id, customer_id, order_id, subject, status, created_by, created_at, updated_at, team, routed_by)
                     VALUES (?1, ?2, ?3, ?4, 'open', 'feedback', ?5, ?5, ?6, 'triage')",
                    params![id, customer, order, subject, at, verdict.team],
                )?;
                id
            }
        };
        tx.execute(
            "UPDATE feedback SET ticket_id = ?2 WHERE id = ?1",
            params![feedback, ticket],
        )?;
        Ok(Some(ticket))
    }

    /// Triages again every stored feedback the current rules have not read
    /// (seeded ones, and all of them after a rule change), at start.
    /// Returns how many.
    pub fn retriage(&self) -> Result<usize> {
        let n = self.store.call_blocking(|conn| {
            let tx = conn.transaction()?;
            let stale: Vec<(String, String, Option<i64>)> = {
                let mut st = tx.prepare(
                    "SELECT id, text, rating FROM feedback WHERE triaged_with IS DISTINCT FROM ?1",
                )?;
                let rows = st.query_map([self.triage.digest()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
                rows.collect::<std::result::Result<_, _>>()?
            };
            for (id, text, rating) in &stale {
                store_verdict(
                    &tx,
                    id,
                    &self.triage.classify(text, *rating),
                    self.triage.digest(),
                )?;
            }
            tx.commit()?;
            Ok(stale.len())
        })?;
        Ok(n)
    }
}

fn store_verdict(
    tx: &Transaction,
    id: &str,
    v: &Verdict,
    digest: &str,
) -> std::result::Result<(), crate::store::StoreError> {
    tx.execute(
        "UPDATE feedback SET class = ?2, aspects = ?3, team = ?4, because = ?5, triaged_with = ?6 WHERE id = ?1",
        params![
            id,
            v.class.as_str(),
            serde_json::to_string(&v.aspects)?,
            v.team,
            serde_json::to_string(&v.because)?,
            digest
        ],
    )?;
    Ok(())
}
