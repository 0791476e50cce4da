//! Checkout sessions for the Agentic Commerce Protocol. A session drives the
//! customer's open cart (the same cart the chat and the widget fill, so one
//! session may span merchants) and completes through the same pay-once
//! checkout. The only total `complete` may charge is the one last returned
//! to the agent: if the cart changed since, it is refused as `terms_changed`.

use crate::store::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::cart::{replace_lines, view, CartView};
use super::checkout::{place, CheckoutRequest, CheckoutResult};
use super::{idempotent, invalid, new_id, rejected, Commerce, CommerceError, Result};
use crate::store::now;

/// What an agent asks for: product ids and packs, each made as it comes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionItem {
    pub id: String,
    pub quantity: u32,
}

/// `open` until completed or canceled; `expired` when its cart was checked
/// out some other way (in the chat, say) before the session completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Open,
    Completed,
    Canceled,
    Expired,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: String,
    pub status: SessionStatus,
    /// The priced cart now, or as it was paid once completed.
    pub cart: Option<CartView>,
    pub result: Option<CheckoutResult>,
    pub created_at: String,
    pub updated_at: String,
}

struct Row {
    cart_id: String,
    status: String,
    shown: Option<i64>,
    result: Option<String>,
    created_at: String,
    updated_at: String,
}

fn row(conn: &Connection, customer: &str, id: &str) -> Result<Row> {
    conn.query_row(
        "SELECT cart_id, status, shown_total_minor, result, created_at, updated_at
         FROM checkout_sessions WHERE id = ?1 AND customer_id = ?2",
        [id, customer],
        |r| {
            Ok(Row {
                cart_id: r.get(0)?,
                status: r.get(1)?,
                shown: r.get(2)?,
                result: r.get(3)?,
                created_at: r.get(4)?,
                updated_at: r.get(5)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| CommerceError::NotFound(format!("checkout session {id}")))
}

/// The session as the agent sees it; an open one records the total shown.
fn load(c: &Commerce, conn: &Connection, customer: &str, id: &str) -> Result<SessionView> {
    let r = row(conn, customer, id)?;
    let (status, cart, result) = match r.status.as_str() {
        "completed" => {
            let result: Option<CheckoutResult> =
                r.result.as_deref().map(serde_json::from_str).transpose()?;
            (SessionStatus::Completed, None, result)
        }
        "canceled" => (SessionStatus::Canceled, None, None),
        _ => {
            let cart = view(c, conn, customer)?;
            if cart.cart_id != r.cart_id {
                (SessionStatus::Expired, None, None)
            } else {
                if r.shown != Some(cart.priced.total_minor) {
                    conn.execute(
                        "UPDATE checkout_sessions SET shown_total_minor = ?2 WHERE id = ?1",
                        params![id, cart.priced.total_minor],
                    )?;
                }
                (SessionStatus::Open, Some(cart), None)
            }
        }
    };
    Ok(SessionView {
        id: id.to_string(),
        status,
        cart,
        result,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn open_only(r: &Row) -> Result<()> {
    match r.status.as_str() {
        "open" => Ok(()),
        other => Err(rejected(
            "session_closed",
            format!("the checkout session is {other}"),
        )),
    }
}

fn merged(items: &[SessionItem]) -> Result<Vec<(String, u32)>> {
    if items.is_empty() {
        return Err(invalid("line_items", "at least one item is required"));
    }
    let mut out: Vec<(String, u32)> = Vec::new();
    for it in items {
        match out.iter_mut().find(|(id, _)| *id == it.id) {
            Some((_, q)) => *q = q.saturating_add(it.quantity),
            None => out.push((it.id.clone(), it.quantity)),
        }
    }
    Ok(out)
}

impl Commerce {
    /// Starts a session holding exactly `items` in the customer's open cart.
    pub async fn open_session(
        &self,
        customer: &str,
        key: &str,
        items: Vec<SessionItem>,
    ) -> Result<SessionView> {
        let (customer, key) = (customer.to_string(), key.to_string());
        self.tx(move |c, conn| {
            let scope = format!("acp-create:{customer}");
            idempotent(conn, &scope, &key, &items, || {
                let cart = replace_lines(c, conn, &customer, &merged(&items)?)?;
                let id = new_id("cs");
                let t = now();
                conn.execute(
                    "INSERT INTO checkout_sessions (id, customer_id, cart_id, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'open', ?4, ?4)",
                    params![id, customer, cart, t],
                )?;
                Ok(id)
            })
            .and_then(|id| load(c, conn, &customer, &id))
        })
        .await
    }

    /// One of the customer's sessions (another customer's is not found).
    pub async fn session(&self, customer: &str, id: &str) -> Result<SessionView> {
        let (customer, id) = (customer.to_string(), id.to_string());
        self.tx(move |c, conn| load(c, conn, &customer, &id)).await
    }

    /// Replaces an open session's items (`None` keeps them).
    pub async fn update_session(
        &self,
        customer: &str,
        id: &str,
        key: &str,
        items: Option<Vec<SessionItem>>,
    ) -> Result<SessionView> {
        let (customer, id, key) = (customer.to_string(), id.to_string(), key.to_string());
        self.tx(move |c, conn| {
            let scope = format!("acp-update:{customer}:{id}");
            idempotent(conn, &scope, &key, &items, || {
                let r = row(conn, &customer, &id)?;
                open_only(&r)?;
                if let Some(items) = &items {
                    replace_lines(c, conn, &customer, &merged(items)?)?;
                }
                conn.execute(
                    "UPDATE checkout_sessions SET updated_at = ?2 WHERE id = ?1",
                    params![id, now()],
                )?;
                Ok(())
            })?;
            load(c, conn, &customer, &id)
        })
        .await
    }

    /// Pays once for the session's cart at the total last shown.
    pub async fn complete_session(
        &self,
        customer: &str,
        id: &str,
        key: &str,
    ) -> Result<SessionView> {
        let (customer, id, key) = (customer.to_string(), id.to_string(), key.to_string());
        self.tx(move |c, conn| {
            let scope = format!("acp-complete:{customer}:{id}");
            idempotent(conn, &scope, &key, &id, || {
                let r = row(conn, &customer, &id)?;
                open_only(&r)?;
                if view(c, conn, &customer)?.cart_id != r.cart_id {
                    return Err(rejected(
                        "session_expired",
                        "the cart was checked out elsewhere; start a new session",
                    ));
                }
                let req = CheckoutRequest {
                    expected_total_minor: r.shown,
                    ..Default::default()
                };
                let card = super::payments::SANDBOX_DEFAULT_CARD;
                let paid = place(c, conn, &customer, &key, card, &req)?;
                conn.execute(
                    "UPDATE checkout_sessions SET status = 'completed', result = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, serde_json::to_string(&paid)?, now()],
                )?;
                Ok(())
            })?;
            load(c, conn, &customer, &id)
        })
        .await
    }

    /// Cancels an open session; the cart keeps its items.
    pub async fn cancel_session(&self, customer: &str, id: &str, key: &str) -> Result<SessionView> {
        let (customer, id, key) = (customer.to_string(), id.to_string(), key.to_string());
        self.tx(move |c, conn| {
            let scope = format!("acp-cancel:{customer}:{id}");
            idempotent(conn, &scope, &key, &id, || {
                open_only(&row(conn, &customer, &id)?)?;
                conn.execute(
                    "UPDATE checkout_sessions SET status = 'canceled', updated_at = ?2 WHERE id = ?1",
                    params![id, now()],
                )?;
                Ok(())
            })?;
            load(c, conn, &customer, &id)
        })
        .await
    }
}
