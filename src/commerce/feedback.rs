//! Feedback: a customer rates an order or a conversation (1 to 5) and says
//! why. One per order and one per conversation: sending again replaces the
//! rating and text and keeps the id, so a retry never counts twice.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{invalid, new_id, Commerce, CommerceError, Result};
use crate::store::now;

/// Longest feedback text kept.
pub const MAX_FEEDBACK: usize = 2000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub order_id: Option<String>,
    pub session_id: Option<String>,
    pub rating: i64,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Feedback {
    pub id: String,
    pub order_id: Option<String>,
    pub session_id: Option<String>,
    pub rating: i64,
    pub text: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Commerce {
    /// Stores `req` for `customer`, replacing their earlier feedback on the
    /// same order (or, without one, the same conversation). Someone else's
    /// order or conversation is not found, like a missing one. The flag is
    /// true when this created it.
    pub async fn feedback(&self, customer: &str, req: FeedbackRequest) -> Result<(Feedback, bool)> {
        if !(1..=5).contains(&req.rating) {
            return Err(invalid("rating", "must be a whole number from 1 to 5"));
        }
        let text = req.text.trim().to_string();
        if text.chars().count() > MAX_FEEDBACK {
            return Err(invalid(
                "text",
                format!("must be at most {MAX_FEEDBACK} characters"),
            ));
        }
        if req.order_id.is_none() && req.session_id.is_none() {
            return Err(invalid(
                "order_id",
                "give the order or the conversation (`session_id`) it is about",
            ));
        }
        let customer = customer.to_string();
        self.tx(move |_, tx| {
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
            let existing: Option<(String, String)> = match &req.order_id {
                Some(o) => tx
                    .query_row(
                        "SELECT id, created_at FROM feedback WHERE customer_id = ?1 AND order_id = ?2",
                        params![customer, o],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?,
                None => tx
                    .query_row(
                        "SELECT id, created_at FROM feedback
                         WHERE customer_id = ?1 AND session_id = ?2 AND order_id IS NULL",
                        params![customer, req.session_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?,
            };
            let t = now();
            let created = existing.is_none();
            let (id, created_at) = existing.unwrap_or_else(|| (new_id("fb"), t.clone()));
            tx.execute(
                "INSERT INTO feedback (id, customer_id, order_id, session_id, rating, text, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET rating = excluded.rating, text = excluded.text,
                   session_id = coalesce(excluded.session_id, session_id), updated_at = excluded.updated_at",
                params![id, customer, req.order_id, req.session_id, req.rating, text, created_at, t],
            )?;
            Ok((
                Feedback {
                    id,
                    order_id: req.order_id.clone(),
                    session_id: req.session_id.clone(),
                    rating: req.rating,
                    text,
                    created_at,
                    updated_at: t,
                },
                created,
            ))
        })
        .await
    }
}
