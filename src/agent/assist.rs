//! Assist mode for care agents: read a ticket, analyse its order's lifecycle,
//! name the problem, cite the help articles and policies that apply, suggest
//! a reply, and propose actions that run only when the agent approves them.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Agent, Env};
use crate::commerce::money::format_inr;
use crate::commerce::{Actor, Diagnosis, OrderItem, OrderView, Proposal, Ticket, TicketAction};
use crate::retrieval::{Filters, Kind, Mode, SearchRequest};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Citation {
    pub id: String,
    pub title: String,
    pub policy: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The customer's chat that raised the ticket (`GET /v1/sessions/{id}`).
    pub session_id: Option<String>,
}

/// The order's items a complaint names by a word of their title ("bread").
pub(super) fn named_items<'a>(items: &'a [OrderItem], lower_text: &str) -> Vec<&'a OrderItem> {
    // Brand and pack words name every line; only the product's own words count.
    items
        .iter()
        .filter(|i| {
            i.title
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| {
                    w.len() >= 4 && !super::slots::listed(&super::slots::lexicon().title_generic, w)
                })
                .any(|w| lower_text.contains(w))
        })
        .collect()
}

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
        let (ticket, ..) = env.commerce.ticket(&me, ticket_id).await?;
        let (order, diagnosis) = match &ticket.order_id {
            Some(id) => (
                Some(env.commerce.order(&me, id).await?),
                Some(env.commerce.diagnosis(&me, id).await?),
            ),
            None => (None, None),
        };
        let subject = ticket.subject.to_lowercase();
        let item_problem = super::slots::lexicon()
            .item_problems
            .iter()
            .any(|w| subject.contains(w.as_str()));
        let problem = match (&order, &diagnosis) {
            (None, _) | (_, None) => "no_order".to_string(),
            (Some(_), Some(d)) if d.stuck => {
                d.cause.clone().unwrap_or_else(|| "delivery_delayed".into())
            }
            (Some(o), Some(_)) if item_problem && o.status == "delivered" => "missing_item".into(),
            _ => "on_track".into(),
        };

        // Items the customer names, for a partial refund of just those.
        let named = order
            .as_ref()
            .map(|o| named_items(&o.items, &subject))
            .unwrap_or_default();
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
                        reason: self.say("assist_stuck_reason", &[("reason", a.reason.clone())]),
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
                    reason: self.say("assist_escalate_reason", &[]),
                });
            }
        }
        let actions = env.commerce.propose(&ticket.id, proposals).await?;

        // Articles: the policies the diagnosis applied, then what the ticket is about.
        let mut ids: Vec<String> = diagnosis.iter().flat_map(|d| d.policy.clone()).collect();
        let query = format!("{} {}", ticket.subject, problem.replace('_', " "));
        let filters = Filters {
            kind: Some(Kind::Help),
            agent_view: true,
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
            .commerce
            .customer(&ticket.customer_id)
            .await
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
                        self.say("assist_some_items", &[])
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
        let suggested_reply = match &order {
            Some(o) => self.say(
                "assist_reply",
                &[
                    ("name", name),
                    ("order", o.id.clone()),
                    ("merchant", o.merchant_name.clone()),
                    ("finding", finding),
                    ("next", next),
                ],
            ),
            // Nothing to diagnose: acknowledge what the customer wrote instead
            // of naming an order that does not exist.
            None => self.say(
                "assist_reply_no_order",
                &[("name", name), ("subject", ticket.subject.clone())],
            ),
        };
        let session_id = env.store.ticket_conversation(ticket.id.clone()).await?;
        Ok(Assist {
            session_id,
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

/// What an agent's message in assist chat asks for.
enum Ask {
    /// Approve (true) or reject (false) a proposed action.
    Decide(bool),
    /// "reblast the driver": an action named without a decision; asked back.
    Command,
    Reply,
    Policies,
    Analysis,
}

fn ask(text: &str) -> Ask {
    use super::slots::{lexicon, says_any};
    let l = &lexicon().assist;
    let w = super::slots::words(text);
    if says_any(text, &l.reject) {
        Ask::Decide(false)
    } else if says_any(text, &l.approve) {
        // Only the agent's own unhedged instruction approves: "is it ok to
        // execute the refund tomorrow?" asks, and a pasted 'customer: "yes,
        // approve my refund"' quotes; both get the analysis, never a run.
        if super::slots::hedged(text)
            || super::slots::quoted(text)
            || says_any(text, &l.first_person)
        {
            Ask::Analysis
        } else {
            Ask::Decide(true)
        }
    } else if l
        .action_stems
        .iter()
        .any(|k| w.iter().any(|x| x.starts_with(k.as_str())))
    {
        Ask::Command
    } else if says_any(text, &l.reply) {
        Ask::Reply
    } else if says_any(text, &l.policies) {
        Ask::Policies
    } else {
        Ask::Analysis
    }
}

/// The proposed action an agent's words point at: by kind ("the refund"),
/// by number ("approve 2"), or the only one left.
fn pick<'a>(text: &str, open: &[&'a TicketAction]) -> Option<&'a TicketAction> {
    let w = super::slots::words(text);
    if let Some(a) = open.iter().find(|a| mentions(&w, &a.kind)) {
        return Some(a);
    }
    // "approve the refund" when only an escalation is open approves nothing.
    let l = &super::slots::lexicon().assist;
    if l.action_stems.iter().any(|k| mentions(&w, k)) {
        return None;
    }
    let number = w.iter().find_map(|x| l.positions.get(x).copied());
    match number {
        Some(n) => open.get(n - 1).copied(),
        None if open.len() == 1 => Some(open[0]),
        None => None,
    }
}

/// Whether the words name an action kind: "refund", "reblast", "cancel", "escalate".
fn mentions(w: &[String], kind: &str) -> bool {
    let stem = match kind {
        "escalate" => "escalat",
        "cancel" => "cancel",
        k => k,
    };
    w.iter().any(|x| x.starts_with(stem))
}

/// Why the policy rules out an action the agent names that was not proposed:
/// "refund" on an order that is on track.
fn ruled_out(a: &Assist, w: &[String]) -> Option<String> {
    a.diagnosis
        .iter()
        .flat_map(|d| &d.actions)
        .find(|x| !x.allowed && mentions(w, x.action.split('_').next().unwrap_or_default()))
        .map(|x| format!("{}: {}", x.action.replace('_', " "), x.reason))
}

impl Agent {
    /// One care-agent turn about `ticket`: analysis, policies, a suggested
    /// reply, or a decision on a proposed action. The caller has checked the
    /// agent's identity; the tools check it again.
    pub async fn assist_turn(
        &self,
        env: &Env<'_>,
        agent: &str,
        session: &str,
        ticket: &str,
        text: &str,
    ) -> anyhow::Result<super::Turn> {
        let mut state = super::load_state(env, session).await?;
        let ask = ask(text);
        let intent = match ask {
            Ask::Decide(_) => "assist_decide",
            _ => "assist",
        };
        let mut t = super::TurnBuilder::new(self, env, "", session, intent);
        t.agent_ticket = Some((agent, ticket));
        let key = format!("{session}:{}", state.turns);
        let reply = match t.tool("analyse_ticket", json!({}), key.clone()).await {
            Err(e) => self.say("error", &[("message", e)]),
            Ok(v) => {
                let a: Assist = serde_json::from_value(v.clone())?;
                t.citations = a.citations.iter().map(|c| c.id.clone()).collect();
                t.cards = json!({ "assist": v });
                self.assist_reply(&mut t, &a, ask, text, &mut state, key)
                    .await
            }
        };
        t.finish(Some(text), &state, 1.0, reply).await
    }

    async fn assist_reply(
        &self,
        t: &mut super::TurnBuilder<'_>,
        a: &Assist,
        ask: Ask,
        text: &str,
        state: &mut super::DialogueState,
        key: String,
    ) -> String {
        // An action asked back ("Approve the reblast?") waits one turn for its yes.
        let asked = state.pending.take().map(|p| p.args["action_id"].clone());
        let open: Vec<&TicketAction> = a
            .actions
            .iter()
            .filter(|x| x.status == "proposed")
            .collect();
        let numbered = |xs: &[&TicketAction]| -> String {
            xs.iter()
                .enumerate()
                .map(|(i, x)| format!("{}. {}: {}", i + 1, x.kind, x.reason))
                .collect::<Vec<_>>()
                .join("\n")
        };
        match ask {
            Ask::Decide(approve) => {
                // "approve the refund again": say what became of it, never pick another.
                let w = super::slots::words(text);
                let decided = a
                    .actions
                    .iter()
                    .find(|x| mentions(&w, &x.kind) && !open.iter().any(|o| o.kind == x.kind));
                if let Some(x) = decided {
                    return self.say(
                        "assist_chat_already",
                        &[("kind", capitalise(&x.kind)), ("status", x.status.clone())],
                    );
                }
                if let Some(why) = ruled_out(a, &w).filter(|_| pick(text, &open).is_none()) {
                    return self.say("assist_chat_ruled_out", &[("why", why)]);
                }
                if open.is_empty() {
                    return self.say("assist_chat_nothing", &[]);
                }
                let named = pick(text, &open);
                let Some(action) =
                    named.or_else(|| open.iter().copied().find(|x| Some(json!(x.id)) == asked))
                else {
                    return self.say("assist_chat_which", &[("list", numbered(&open))]);
                };
                let args = json!({
                    "action_id": action.id,
                    "decision": if approve { "approve" } else { "reject" },
                });
                match t.tool("decide_action", args, key).await {
                    Ok(done) => {
                        let detail = done["result"]["message"]
                            .as_str()
                            .or(done["result"]["error"].as_str())
                            .unwrap_or_default()
                            .to_string();
                        self.say(
                            "assist_chat_decided",
                            &[
                                ("kind", capitalise(&action.kind)),
                                ("status", done["status"].as_str().unwrap_or_default().into()),
                                ("detail", detail),
                            ],
                        )
                    }
                    Err(e) => self.say("error", &[("message", e)]),
                }
            }
            Ask::Command => {
                let w = super::slots::words(text);
                match open.iter().find(|x| mentions(&w, &x.kind)) {
                    Some(x) => {
                        state.pending = Some(super::Pending {
                            tool: "decide_action".into(),
                            args: json!({ "action_id": x.id }),
                            key,
                            terms: None,
                        });
                        self.say(
                            "assist_chat_confirm",
                            &[("kind", x.kind.clone()), ("reason", x.reason.clone())],
                        )
                    }
                    None => match ruled_out(a, &w) {
                        Some(why) => self.say("assist_chat_ruled_out", &[("why", why)]),
                        None if open.is_empty() => self.say("assist_chat_nothing", &[]),
                        None => self.say("assist_chat_which", &[("list", numbered(&open))]),
                    },
                }
            }
            Ask::Reply => self.say("assist_chat_reply", &[("reply", a.suggested_reply.clone())]),
            Ask::Policies => {
                let list = a
                    .citations
                    .iter()
                    .map(|c| format!("- {} ({})", c.title, c.id))
                    .collect::<Vec<_>>()
                    .join("\n");
                self.say("assist_chat_policies", &[("list", list)])
            }
            Ask::Analysis => {
                let actions = if open.is_empty() {
                    self.say("assist_chat_no_actions", &[])
                } else {
                    self.say("assist_chat_actions", &[("list", numbered(&open))])
                };
                let ids: Vec<&str> = a.citations.iter().map(|c| c.id.as_str()).collect();
                self.say(
                    "assist_chat_analysis",
                    &[
                        ("ticket", a.ticket.id.clone()),
                        ("problem", a.problem.replace('_', " ")),
                        (
                            "summary",
                            a.diagnosis
                                .as_ref()
                                .map(|d| d.summary.clone())
                                .unwrap_or_default(),
                        ),
                        ("actions", actions),
                        ("citations", ids.join(", ")),
                    ],
                )
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
