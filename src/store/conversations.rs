//! Conversations and their messages: the chat history a session resumes from.

use crate::store::{params, OptionalExtension};
use serde::Serialize;

use super::{now, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: String,
    pub customer_id: Option<String>,
    pub agent_id: Option<String>,
    pub mode: String,
    pub ticket_id: Option<String>,
    pub created_at: String,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub role: String,
    pub content: String,
    pub payload: Option<serde_json::Value>,
    pub created_at: String,
}

/// What one chat turn stores.
pub struct Exchange {
    pub state: serde_json::Value,
    pub user: Option<String>,
    pub reply: String,
    pub payload: serde_json::Value,
}

impl Store {
    /// Starts a conversation owned by a customer (customer mode) or an agent (assist mode).
    pub async fn create_conversation(
        &self,
        customer_id: Option<String>,
        agent_id: Option<String>,
        ticket_id: Option<String>,
        mode: &'static str,
    ) -> Result<Conversation, StoreError> {
        self.call(move |c| {
            if let Some(cid) = &customer_id {
                let known: Option<i64> = c.query_row("SELECT 1 FROM customers WHERE id = ?1", [cid], |r| r.get(0)).optional()?;
                if known.is_none() {
                    return Err(StoreError::NotFound(format!("customer {cid}")));
                }
            }
            let id = format!("s-{}", uuid::Uuid::new_v4().simple());
            let at = now();
            c.execute(
                "INSERT INTO conversations (id, customer_id, agent_id, ticket_id, mode, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id, customer_id, agent_id, ticket_id, mode, at],
            )?;
            Ok(Conversation { id, customer_id: customer_id.clone(), agent_id: agent_id.clone(), mode: mode.into(), ticket_id: ticket_id.clone(), created_at: at, messages: vec![] })
        })
        .await
    }

    /// A conversation with its messages in order, or `NotFound`.
    pub async fn conversation(&self, id: String) -> Result<Conversation, StoreError> {
        self.call(move |c| {
            let mut conv = c
                .query_row(
                    "SELECT id, customer_id, agent_id, mode, ticket_id, created_at FROM conversations WHERE id = ?1",
                    [&id],
                    |r| {
                        Ok(Conversation {
                            id: r.get(0)?,
                            customer_id: r.get(1)?,
                            agent_id: r.get(2)?,
                            mode: r.get(3)?,
                            ticket_id: r.get(4)?,
                            created_at: r.get(5)?,
                            messages: vec![],
                        })
                    },
                )
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("session {id}")))?;
            let mut stmt = c.prepare(
                "SELECT role, content, payload, created_at FROM messages WHERE conversation_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([&id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?))
            })?;
            for row in rows {
                let (role, content, payload, created_at) = row?;
                let payload = payload.map(|p| serde_json::from_str(&p)).transpose()?;
                conv.messages.push(Message { role, content, payload, created_at });
            }
            Ok(conv)
        })
        .await
    }

    /// Records that the customer conversation `id` raised `ticket`, so the
    /// care console can show the agent what the customer said.
    pub async fn link_ticket(&self, id: String, ticket: String) -> Result<(), StoreError> {
        self.call(move |c| {
            c.execute(
                "UPDATE conversations SET ticket_id = ?2 WHERE id = ?1 AND mode = 'customer'",
                params![id, ticket],
            )?;
            Ok(())
        })
        .await
    }

    /// The customer conversation that raised `ticket`, if one did.
    pub async fn ticket_conversation(&self, ticket: String) -> Result<Option<String>, StoreError> {
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT id FROM conversations WHERE ticket_id = ?1 AND mode = 'customer' ORDER BY created_at DESC LIMIT 1",
                [&ticket],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    /// The dialogue state kept between turns (JSON).
    pub async fn dialogue_state(&self, id: String) -> Result<serde_json::Value, StoreError> {
        self.call(move |c| {
            let text: Option<String> = c
                .query_row(
                    "SELECT state FROM conversations WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            let text = text.ok_or_else(|| StoreError::NotFound(format!("session {id}")))?;
            Ok(serde_json::from_str(&text)?)
        })
        .await
    }

    /// One turn's writes in one transaction, so one commit (one fsync): the
    /// dialogue state, the customer's message (none for a correction) and
    /// the reply with its payload.
    pub async fn save_exchange(&self, id: String, x: Exchange) -> Result<(), StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            let at = now();
            let n = tx.execute(
                "UPDATE conversations SET state = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, x.state.to_string(), at],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("session {id}")));
            }
            let mut add = tx.prepare(
                "INSERT INTO messages (conversation_id, role, content, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            if let Some(text) = &x.user {
                add.execute(params![id, "user", text, None::<String>, at])?;
            }
            add.execute(params![id, "assistant", x.reply, x.payload.to_string(), at])?;
            drop(add);
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
