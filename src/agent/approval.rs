//! Tools called from outside a chat (the MCP server), and the one gate
//! there for writes that need a yes: [`Agent::propose`] works out the terms
//! the caller will be held to, pins them into the call's arguments and seals
//! the call with the server secret; [`Agent::confirm`] runs exactly that
//! sealed call, for the customer it was proposed to, once (its idempotency
//! key comes from the seal, so a retried confirmation replays the result).
//! Nothing is stored between the two steps, so any replica can confirm.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{handlers, Agent, Env};
use crate::auth::Tokens;
use crate::commerce::money::format_inr;

/// How long a proposal waits for its confirmation.
const PROPOSAL_TTL_SECS: u64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No such tool on this surface, or a proposal that is not the caller's,
    /// not ours, or expired: all look the same.
    #[error("{0}")]
    NotFound(String),
    /// A write that needs a yes called directly, or a read proposed.
    #[error("{0}")]
    NeedsProposal(String),
    /// The arguments do not match the tool's schema (the message names the field).
    #[error("{0}")]
    Invalid(String),
    /// The engine refused; the message is the customer's to read.
    #[error("{0}")]
    Refused(String),
}

/// A write waiting for its confirmation.
#[derive(Debug, Serialize)]
pub struct Proposal {
    /// Pass to `confirm_action` to run exactly this call.
    pub proposal_id: String,
    pub tool: String,
    /// The arguments the confirmation runs, with the terms pinned.
    pub arguments: Value,
    /// The terms in minor units: what a yes agrees to.
    pub terms: Value,
    /// The terms in words, to show the customer before asking.
    pub summary: String,
    pub expires_in_secs: u64,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    customer: String,
    tool: String,
    arguments: Value,
}

/// A customer calling tools from outside a chat.
pub struct Caller<'a> {
    pub env: &'a Env<'a>,
    pub tokens: &'a Tokens,
    pub customer: &'a str,
    /// Where the call comes from (`mcp`): only tools offered there run.
    pub surface: &'a str,
}

/// The rule for `action` (`cancel`, `refund_full`) in an `order_status` result.
pub(super) fn action_rule(status: &Value, action: &str) -> Value {
    status["diagnosis"]["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["action"] == action)
        .cloned()
        .unwrap_or_default()
}

/// What may still be refunded on an `order_status` result: a cancellation
/// fee kept is not the customer's to refund (help-refunds).
pub(super) fn refundable(status: &Value) -> i64 {
    status["diagnosis"]["refundable_minor"]
        .as_i64()
        .unwrap_or(0)
        - status["diagnosis"]["kept_fee_minor"].as_i64().unwrap_or(0)
}

impl Agent {
    /// Runs one tool offered on the caller's surface, as the caller. Writes
    /// that need a yes are refused here: they go through [`Agent::propose`].
    pub async fn call_tool(
        &self,
        c: &Caller<'_>,
        name: &str,
        args: &Value,
    ) -> Result<Value, CallError> {
        self.offered(c, name)?;
        if self.tools.needs_yes(name) {
            return Err(CallError::NeedsProposal(format!(
                "`{name}` needs the customer's yes: call propose_action, show its summary, then confirm_action"
            )));
        }
        self.run(c, name, args, format!("direct-{}", uuid::Uuid::new_v4()))
            .await
    }

    /// Works out the terms of a write that needs a yes and seals them.
    pub async fn propose(
        &self,
        c: &Caller<'_>,
        name: &str,
        args: &Value,
    ) -> Result<Proposal, CallError> {
        self.offered(c, name)?;
        if !self.tools.needs_yes(name) {
            return Err(CallError::NeedsProposal(format!(
                "`{name}` runs directly; only writes that need a yes are proposed"
            )));
        }
        self.tools
            .validate(name, args)
            .map_err(CallError::Invalid)?;
        let (arguments, terms, summary) = match name {
            "checkout" => self.checkout_terms(c).await?,
            "book_ride" => self.ride_terms(c, args).await?,
            "cancel_order" => self.cancel_terms(c, args).await?,
            "request_refund" => self.refund_terms(c, args).await?,
            other => {
                return Err(CallError::NotFound(format!(
                    "`{other}` has no terms to propose"
                )))
            }
        };
        let sealed = json!(Sealed {
            customer: c.customer.into(),
            tool: name.into(),
            arguments: arguments.clone(),
        });
        Ok(Proposal {
            proposal_id: c.tokens.seal(&sealed.to_string(), PROPOSAL_TTL_SECS),
            tool: name.into(),
            arguments,
            terms,
            summary,
            expires_in_secs: PROPOSAL_TTL_SECS,
        })
    }

    /// Runs a proposal's exact call. The engine checks its pinned terms
    /// again in the transaction that runs it: if they no longer hold it
    /// refuses, and the caller proposes again.
    pub async fn confirm(&self, c: &Caller<'_>, proposal_id: &str) -> Result<Value, CallError> {
        let missing =
            || CallError::NotFound("no such proposal (it may have expired: propose again)".into());
        let sealed: Sealed = c
            .tokens
            .unseal(proposal_id)
            .ok()
            .and_then(|p| serde_json::from_str(&p).ok())
            .ok_or_else(missing)?;
        if sealed.customer != c.customer {
            return Err(missing());
        }
        self.offered(c, &sealed.tool)?;
        let digest = Sha256::digest(proposal_id.as_bytes());
        let key = format!("proposal-{}", hex::encode(&digest[..16]));
        self.run(c, &sealed.tool, &sealed.arguments, key).await
    }

    fn offered(&self, c: &Caller<'_>, name: &str) -> Result<(), CallError> {
        if self.tools.on(c.surface).any(|s| s.name == name) {
            Ok(())
        } else {
            Err(CallError::NotFound(format!("no tool `{name}`")))
        }
    }

    /// Validates and runs one call as the caller.
    async fn run(
        &self,
        c: &Caller<'_>,
        name: &str,
        args: &Value,
        key: String,
    ) -> Result<Value, CallError> {
        self.tools
            .validate(name, args)
            .map_err(CallError::Invalid)?;
        let ctx = handlers::Ctx {
            commerce: c.env.commerce,
            knowledge: c.env.knowledge,
            retriever: c.env.retriever,
            customer: c.customer,
            agent: None,
            assistant: self,
            store: c.env.store,
            // Tools that link a conversation are not offered outside the chat.
            session: "",
            idempotency_key: key,
        };
        handlers::call(&ctx, name, args).await.map_err(|e| {
            // The engine's own check of an argument is a bad argument too.
            let invalid = matches!(
                e.downcast_ref::<crate::commerce::CommerceError>(),
                Some(crate::commerce::CommerceError::Invalid { .. })
            );
            let message = self.customer_error(name, &e);
            if invalid {
                CallError::Invalid(message)
            } else {
                CallError::Refused(message)
            }
        })
    }

    async fn checkout_terms(&self, c: &Caller<'_>) -> Result<(Value, Value, String), CallError> {
        let cart = self.run(c, "view_cart", &json!({}), String::new()).await?;
        let groups = cart["groups"].as_array().cloned().unwrap_or_default();
        if groups.is_empty() {
            return Err(CallError::Refused(self.say("cart_empty", &[])));
        }
        if let Some(why) = self.below_minimum(&groups) {
            return Err(CallError::Refused(why));
        }
        let total = cart["total_minor"].as_i64().unwrap_or(0);
        let merchants: Vec<&str> = groups
            .iter()
            .filter_map(|g| g["merchant_name"].as_str())
            .collect();
        let summary = self.say(
            "terms_checkout",
            &[
                ("total", format_inr(total)),
                ("orders", groups.len().to_string()),
                ("merchants", merchants.join(" and ")),
            ],
        );
        Ok((
            json!({ "expected_total_minor": total }),
            json!({ "total_minor": total, "orders": groups.len(), "merchants": merchants }),
            summary,
        ))
    }

    async fn ride_terms(
        &self,
        c: &Caller<'_>,
        args: &Value,
    ) -> Result<(Value, Value, String), CallError> {
        let id = args["quote_id"].as_str().unwrap_or_default();
        let quote = c
            .env
            .commerce
            .ride_quote(c.customer, id)
            .await
            .map_err(|e| CallError::Refused(self.customer_error("book_ride", &e.into())))?;
        let wanted = args["ride_type"].as_str();
        let chosen = match wanted {
            Some(t) => quote.options.iter().find(|o| o.ride_type == t),
            None if quote.options.len() == 1 => quote.options.first(),
            None => {
                let types: Vec<&str> = quote.options.iter().map(|o| o.ride_type.as_str()).collect();
                return Err(CallError::Invalid(format!(
                    "arguments.ride_type: choose one of {}",
                    types.join(", ")
                )));
            }
        };
        let Some(chosen) = chosen else {
            return Err(CallError::Refused(self.say(
                "quote_lacks_type",
                &[("ride_type", wanted.unwrap_or_default().into())],
            )));
        };
        let fare = chosen.fare.total_minor;
        let summary = self.say(
            "terms_ride",
            &[
                ("ride_type", chosen.ride_type.clone()),
                ("from", quote.from.name.clone()),
                ("to", quote.to.name.clone()),
                ("fare", format_inr(fare)),
            ],
        );
        Ok((
            json!({ "quote_id": quote.quote_id, "ride_type": chosen.ride_type }),
            json!({
                "fare_minor": fare, "ride_type": chosen.ride_type, "from": quote.from.name,
                "to": quote.to.name, "quote_expires_at": quote.expires_at,
            }),
            summary,
        ))
    }

    /// The order and the rule for `action` on it, refused with the rule's reason.
    async fn order_rule(
        &self,
        c: &Caller<'_>,
        args: &Value,
        action: &str,
    ) -> Result<(Value, Value), CallError> {
        let status = self
            .run(
                c,
                "order_status",
                &json!({ "order_id": args["order_id"] }),
                String::new(),
            )
            .await?;
        let rule = action_rule(&status, action);
        if rule["allowed"] != true {
            let reason = rule["reason"]
                .as_str()
                .unwrap_or("not allowed for this order");
            return Err(CallError::Refused(reason.into()));
        }
        Ok((status, rule))
    }

    async fn cancel_terms(
        &self,
        c: &Caller<'_>,
        args: &Value,
    ) -> Result<(Value, Value, String), CallError> {
        let (status, rule) = self.order_rule(c, args, "cancel").await?;
        let id = status["order"]["id"].as_str().unwrap_or_default();
        let refund = rule["refund_minor"].as_i64().unwrap_or(0);
        let terms = self.say(
            "cancel_terms",
            &[
                ("reason", rule["reason"].as_str().unwrap_or_default().into()),
                ("refund", format_inr(refund)),
            ],
        );
        let summary = self.say(
            "terms_cancel",
            &[
                ("id", id.into()),
                (
                    "merchant",
                    status["order"]["merchant_name"]
                        .as_str()
                        .unwrap_or_default()
                        .into(),
                ),
                ("terms", terms),
            ],
        );
        let reason = args["reason"]
            .as_str()
            .unwrap_or("requested by the customer's agent");
        Ok((
            json!({ "order_id": id, "reason": reason, "expected_refund_minor": refund }),
            json!({ "order_id": id, "refund_minor": refund }),
            summary,
        ))
    }

    async fn refund_terms(
        &self,
        c: &Caller<'_>,
        args: &Value,
    ) -> Result<(Value, Value, String), CallError> {
        let (status, _) = self.order_rule(c, args, "refund_full").await?;
        let id = status["order"]["id"].as_str().unwrap_or_default();
        let most = refundable(&status);
        if most <= 0 {
            return Err(CallError::Refused(
                self.say("not_refundable_fee", &[("id", id.into())]),
            ));
        }
        // Never more than is refundable; the amount shown is the amount run.
        let amount = args["amount_minor"].as_i64().unwrap_or(most).min(most);
        let reason = args["reason"].as_str().unwrap_or_default();
        let summary = self.say(
            "terms_refund",
            &[
                ("amount", format_inr(amount)),
                ("id", id.into()),
                ("reason", reason.chars().take(80).collect()),
            ],
        );
        Ok((
            json!({ "order_id": id, "amount_minor": amount, "reason": reason }),
            json!({ "order_id": id, "amount_minor": amount }),
            summary,
        ))
    }
}
