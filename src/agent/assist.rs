//! Assist mode for care agents: read a ticket, analyse its order's lifecycle,
//! name the problem, cite the help articles and policies that apply, suggest
//! a reply, and propose actions that run only when the agent approves them.

use serde::Serialize;
use serde_json::{json, Value};

use super::{Agent, Env};
use crate::commerce::money::format_inr;
use crate::commerce::{Actor, Diagnosis, OrderView, Proposal, Ticket, TicketAction};
use crate::retrieval::{Filters, Kind, Mode, SearchRequest};

#[derive(Debug, Clone, Serialize)]
pub struct Citation {
    pub id: String,
    pub title: String,
    pub policy: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assist {
    pub ticket: Ticket,
    pub order: Option<OrderView>,
    pub diagnosis: Option<Diagnosis>,
    /// `no_driver`, `restaurant_not_accepting`, `driver_not_moving`, `kitchen_delayed`,
    /// `delivery_delayed`, `missing_item`, `on_track` or `no_order`.
    pub problem: String,
    pub citations: Vec<Citation>,
    pub suggested_reply: String,
    pub actions: Vec<TicketAction>,
}

const ITEM_PROBLEMS: &[&str] = &[
    "missing",
    "wrong",
    "damaged",
    "spilled",
    "broken",
    "cold",
    "stale",
    "not delivered",
    "didn't get",
    "did not get",
    "never got",
];

fn allowed<'a>(d: &'a Diagnosis, action: &str) -> Option<&'a crate::commerce::Action> {
    d.actions.iter().find(|a| a.action == action && a.allowed)
}

impl Agent {
    pub async fn assist(
        &self,
        env: &Env<'_>,
        agent: &str,
        ticket_id: &str,
    ) -> anyhow::Result<Assist> {
        let me = Actor::Agent(agent.to_string());
        let (ticket, _) = env.commerce.ticket(&me, ticket_id).await?;
        let (order, diagnosis) = match &ticket.order_id {
            Some(id) => (
                Some(env.commerce.order(&me, id).await?),
                Some(env.commerce.diagnosis(&me, id).await?),
            ),
            None => (None, None),
        };
        let subject = ticket.subject.to_lowercase();
        let item_problem = ITEM_PROBLEMS.iter().any(|w| subject.contains(w));
        let problem = match (&order, &diagnosis) {
            (None, _) | (_, None) => "no_order".to_string(),
            (Some(_), Some(d)) if d.stuck => {
                d.cause.clone().unwrap_or_else(|| "delivery_delayed".into())
            }
            (Some(o), Some(_)) if item_problem && o.status == "delivered" => "missing_item".into(),
            _ => "on_track".into(),
        };

        // Items the customer names, for a partial refund of just those.
        let named: Vec<&crate::commerce::OrderItem> = order
            .iter()
            .flat_map(|o| &o.items)
            .filter(|i| {
                i.title
                    .to_lowercase()
                    .split_whitespace()
                    .filter(|w| w.len() >= 4)
                    .any(|w| subject.contains(w))
            })
            .collect();
        let mut proposals = Vec::new();
        let mut next = self.say("assist_next_wait", &[]);
        if let (Some(o), Some(d)) = (&order, &diagnosis) {
            if matches!(problem.as_str(), "no_driver" | "driver_not_moving")
                && allowed(d, "reblast_driver").is_some()
            {
                proposals.push(Proposal {
                    kind: "reblast",
                    params: json!({ "order_id": o.id }),
                    reason: format!("{} (help-reblast-policy)", d.summary),
                });
                next = self.say("assist_next_reblast", &[]);
            }
            if d.stuck {
                if let Some(a) = allowed(d, "cancel") {
                    let amount = a.refund_minor.unwrap_or(0);
                    proposals.push(Proposal {
                        kind: "cancel",
                        params: json!({ "order_id": o.id, "refund_minor": amount }),
                        reason: format!("stuck: {}", a.reason),
                    });
                    if proposals.len() == 1 {
                        next = self.say("assist_next_cancel", &[("amount", format_inr(amount))]);
                    }
                }
            }
            if problem == "missing_item" {
                if let Some(a) = allowed(d, "refund_partial") {
                    let named_value: i64 = named
                        .iter()
                        .map(|i| i.unit_price_minor * i64::from(i.quantity))
                        .sum();
                    let amount = if named_value > 0 {
                        named_value.min(d.refundable_minor)
                    } else {
                        d.refundable_minor
                    };
                    proposals.push(Proposal {
                        kind: "refund",
                        params: json!({ "order_id": o.id, "amount_minor": amount }),
                        reason: format!("{}: {} (help-missing-items)", ticket.subject, a.reason),
                    });
                    next = self.say("assist_next_refund", &[("amount", format_inr(amount))]);
                }
            }
            if d.stuck || problem == "missing_item" {
                proposals.push(Proposal {
                    kind: "escalate",
                    params: json!({ "order_id": o.id }),
                    reason: "if the customer is not satisfied (help-escalation-policy)".into(),
                });
            }
        }
        let actions = env.commerce.propose(&ticket.id, proposals).await?;

        // Articles: the policies the diagnosis applied, then what the ticket is about.
        let mut ids: Vec<String> = diagnosis.iter().flat_map(|d| d.policy.clone()).collect();
        let query = format!("{} {}", ticket.subject, problem.replace('_', " "));
        let filters = Filters {
            kind: Some(Kind::Help),
            ..Default::default()
        };
        for h in env
            .retriever
            .search(&SearchRequest {
                query,
                mode: Mode::Hybrid,
                filters,
                limit: 3,
            })
            .await?
        {
            if !ids.contains(&h.id) {
                ids.insert(0, h.id);
            }
        }
        let citations = ids
            .iter()
            .filter_map(|id| env.knowledge.help.iter().find(|a| &a.id == id))
            .map(|a| Citation {
                id: a.id.clone(),
                title: a.title.clone(),
                policy: a.policy.clone(),
            })
            .collect();

        let name = env
            .knowledge
            .customers
            .iter()
            .find(|c| c.id == ticket.customer_id)
            .map(|c| c.name.split(' ').next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let items: Vec<&str> = named.iter().map(|i| i.title.as_str()).collect();
        let finding = match problem.as_str() {
            "no_order" => String::new(),
            "missing_item" => self.say(
                "assist_missing_item",
                &[(
                    "items",
                    if items.is_empty() {
                        "some items".into()
                    } else {
                        items.join(" and ")
                    },
                )],
            ),
            "on_track" => self.say(
                "assist_on_track",
                &[(
                    "state",
                    order
                        .as_ref()
                        .map(|o| o.status.replace('_', " "))
                        .unwrap_or_default(),
                )],
            ),
            cause => self.say(&format!("assist_{cause}"), &[]),
        };
        let suggested_reply = self.say(
            "assist_reply",
            &[
                ("name", name),
                ("order", ticket.order_id.clone().unwrap_or_default()),
                (
                    "merchant",
                    order
                        .as_ref()
                        .map(|o| o.merchant_name.clone())
                        .unwrap_or_default(),
                ),
                ("finding", finding),
                ("next", next),
            ],
        );
        Ok(Assist {
            ticket,
            order,
            diagnosis,
            problem,
            citations,
            suggested_reply,
            actions,
        })
    }
}
