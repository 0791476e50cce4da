//! Order help: where an order is, changes, feedback, and cancellations and
//! refunds proposed by policy for a yes.

use serde_json::{json, Value};

use super::slots::{self, Slots};
use super::*;
use crate::commerce::money::format_inr;
use crate::triage::Class;

impl TurnBuilder<'_> {
    /// One store's terms when the message names it, else who we deliver from.
    pub(super) async fn merchant_info(&mut self, named: Option<&str>, key: String) -> String {
        let args = named.map_or(json!({}), |id| json!({ "merchant_id": id }));
        let r = match self.tool("merchant_info", args, key).await {
            Ok(r) => r,
            Err(e) => return self.say("error", &[("message", e)]),
        };
        let merchants = r["merchants"].as_array().cloned().unwrap_or_default();
        let line = |m: &Value| {
            let kind = m["cuisine"]
                .as_str()
                .or(m["kind"].as_str())
                .unwrap_or_default()
                .replace('_', " ");
            let packaging = match m["packaging_fee_minor"].as_i64() {
                Some(p) if p > 0 => self.say(
                    "merchant_packaging",
                    &[("fee", money(&m["packaging_fee_minor"]))],
                ),
                _ => String::new(),
            };
            self.say(
                "merchant_line",
                &[
                    ("name", m["name"].as_str().unwrap_or_default().into()),
                    ("kind", kind),
                    ("area", m["area"].as_str().unwrap_or_default().into()),
                    ("minimum", money(&m["min_order_minor"])),
                    ("delivery", money(&m["delivery_fee_minor"])),
                    ("packaging", packaging),
                    ("minutes", m["prep_minutes"].to_string()),
                ],
            )
        };
        let reply = match (named, merchants.as_slice()) {
            (Some(_), [m]) => self.say("merchant", &[("line", line(m))]),
            _ => {
                let list: Vec<String> =
                    merchants.iter().map(|m| format!("- {}", line(m))).collect();
                self.say("merchants", &[("list", list.join("\n"))])
            }
        };
        self.cards = json!({ "merchants": merchants });
        reply
    }

    pub(super) async fn status(&mut self, slots: &Slots, key: String) -> String {
        let args = slots
            .order_id
            .as_ref()
            .map_or(json!({}), |id| json!({ "order_id": id }));
        match self.tool("order_status", args, key).await {
            Ok(r) if r["order"].is_null() => self.say("no_orders", &[]),
            Ok(r) => {
                let d = &r["diagnosis"];
                let cite = if d["stuck"] == true {
                    "help-stuck-order"
                } else if r["order"]["status"] == "delivered" {
                    "help-missing-items"
                } else {
                    "help-order-tracking"
                };
                self.citations.push(cite.into());
                let help = if d["stuck"] == true {
                    self.say("status_stuck_offer", &[])
                } else {
                    String::new()
                };
                self.cards = json!({ "order": r["order"], "diagnosis": d });
                self.say(
                    "order_status",
                    &[
                        ("id", r["order"]["id"].as_str().unwrap_or_default().into()),
                        (
                            "merchant",
                            r["order"]["merchant_name"]
                                .as_str()
                                .unwrap_or_default()
                                .into(),
                        ),
                        (
                            "state",
                            r["order"]["status"]
                                .as_str()
                                .unwrap_or_default()
                                .replace('_', " "),
                        ),
                        ("summary", d["summary"].as_str().unwrap_or_default().into()),
                        ("help", format!("{help} (see {cite})")),
                    ],
                )
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// "I want to change my order": placed orders are not edited; what the
    /// order's state still allows instead.
    pub(super) async fn change_order(&mut self, slots: &Slots, key: String) -> String {
        let args = slots
            .order_id
            .as_ref()
            .map_or(json!({}), |id| json!({ "order_id": id }));
        self.citations.push("help-order-changes".into());
        match self.tool("order_status", args, key).await {
            Ok(r) if r["order"].is_null() => self.say("change_order_none", &[]),
            Ok(r) => {
                let o = &r["order"];
                let options = if o["status"] == "placed" {
                    self.say("change_order_cancellable", &[])
                } else {
                    self.say("change_order_fixed", &[])
                };
                self.cards = json!({ "order": o, "diagnosis": r["diagnosis"] });
                self.say(
                    "change_order",
                    &[
                        ("id", o["id"].as_str().unwrap_or_default().into()),
                        (
                            "merchant",
                            o["merchant_name"].as_str().unwrap_or_default().into(),
                        ),
                        (
                            "state",
                            o["status"].as_str().unwrap_or_default().replace('_', " "),
                        ),
                        ("options", options),
                    ],
                )
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// The order the customer named, else their latest one, if they have any.
    pub(super) async fn order_named_or_latest(
        &mut self,
        slots: &Slots,
        key: String,
    ) -> Option<String> {
        let args = slots
            .order_id
            .as_ref()
            .map_or(json!({}), |id| json!({ "order_id": id }));
        match self.tool("order_status", args, key).await {
            Ok(r) => r["order"]["id"].as_str().map(str::to_string),
            Err(_) => None,
        }
    }

    /// Records what the customer said about their latest (or named) order,
    /// or about the service when they have none, and says who will read it.
    pub(super) async fn feedback(&mut self, text: &str, slots: &Slots, key: String) -> String {
        let order = self.order_named_or_latest(slots, key.clone()).await;
        let mut args = json!({ "text": text.chars().take(2000).collect::<String>() });
        if let Some(o) = &order {
            args["order_id"] = json!(o);
        }
        self.citations.push("help-feedback".into());
        match self.tool("give_feedback", args, key).await {
            Ok(f) => {
                let about = order
                    .map(|o| self.say("about_order", &[("order", o)]))
                    .unwrap_or_default();
                // The reply answers this message; the stored feedback may
                // hold earlier words about the same order too.
                let triage = self.env.commerce.triage();
                let now = triage.classify(text, None);
                let team = triage
                    .teams()
                    .get(&now.team)
                    .cloned()
                    .unwrap_or_default()
                    .to_lowercase();
                let ticket = f["ticket_id"]
                    .as_str()
                    .filter(|_| now.class == Class::Complaint)
                    .map(|id| self.say("feedback_ticket", &[("id", id.to_string())]))
                    .unwrap_or_default();
                let reply = match now.class {
                    Class::Praise => "feedback_praise",
                    Class::Suggestion | Class::Question => "feedback_suggestion",
                    Class::Complaint => "feedback_complaint",
                };
                self.say(
                    reply,
                    &[("team", team), ("about", about), ("ticket", ticket)],
                )
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// Checks policy through the order's diagnosis, then asks before cancelling or refunding.
    pub(super) async fn propose_order_action(
        &mut self,
        intent: &str,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let args = slots
            .order_id
            .as_ref()
            .map_or(json!({}), |id| json!({ "order_id": id }));
        let r = match self.tool("order_status", args, key.clone()).await {
            // No order to act on: "how do cancellations work?" gets the policy.
            Ok(r) if r["order"].is_null() => {
                let policy = self.help(text, key).await;
                return self.say("no_orders_policy", &[("help", policy)]);
            }
            Ok(r) => r,
            Err(e) => return self.say("not_allowed", &[("reason", e)]),
        };
        let id = r["order"]["id"].as_str().unwrap_or_default().to_string();
        let merchant = r["order"]["merchant_name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if intent == "cancel_order" && !names_order(text, slots, &r["order"]) {
            return self.say("cancel_what", &[("id", id), ("merchant", merchant)]);
        }
        let action = if intent == "cancel_order" {
            "cancel"
        } else {
            "refund_full"
        };
        let rule = super::approval::action_rule(&r, action);
        let policy = if intent == "cancel_order" {
            "help-cancel-order"
        } else {
            "help-refunds"
        };
        self.citations.push(policy.into());
        if rule["allowed"] != true {
            return self.say(
                "not_allowed",
                &[(
                    "reason",
                    format!(
                        "{} ({policy})",
                        rule["reason"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| self.say(
                                "order_is",
                                &[
                                    ("id", r["order"]["id"].as_str().unwrap_or_default().into()),
                                    (
                                        "status",
                                        r["order"]["status"]
                                            .as_str()
                                            .unwrap_or_default()
                                            .replace('_', " ")
                                    ),
                                ]
                            ))
                    ),
                )],
            );
        }
        if intent == "cancel_order" {
            let refund = rule["refund_minor"].as_i64().unwrap_or(0);
            state.pending = Some(Pending {
                tool: "cancel_order".into(),
                args: json!({
                    "order_id": id,
                    "reason": text.chars().take(300).collect::<String>(),
                    "expected_refund_minor": refund,
                }),
                key,
                terms: Some(refund),
            });
            let terms = self.say(
                "cancel_terms",
                &[
                    ("reason", rule["reason"].as_str().unwrap_or_default().into()),
                    ("refund", money(&rule["refund_minor"])),
                ],
            );
            self.say(
                "confirm_cancel",
                &[("id", id), ("merchant", merchant), ("terms", terms)],
            )
        } else {
            let refundable = super::approval::refundable(&r);
            if refundable <= 0 {
                return self.say("not_refundable_fee", &[("id", id)]);
            }
            // A named amount, else the value of the items named ("the bread was
            // missing"), else everything still refundable; never more than that.
            let items: Vec<crate::commerce::OrderItem> =
                serde_json::from_value(r["order"]["items"].clone()).unwrap_or_default();
            let named: i64 = super::assist::named_items(&items, &text.to_lowercase())
                .iter()
                .map(|i| i.unit_price_minor * i64::from(i.quantity))
                .sum();
            let amount = slots
                .money_minor
                .or((named > 0).then_some(named))
                .unwrap_or(refundable)
                .min(refundable);
            // The amount shown is the amount run: never "whatever is left" at the yes.
            let args = json!({
                "order_id": id,
                "reason": text.chars().take(300).collect::<String>(),
                "amount_minor": amount,
            });
            state.pending = Some(Pending {
                tool: "request_refund".into(),
                args,
                key,
                terms: None,
            });
            self.say(
                "confirm_refund",
                &[
                    ("amount", format_inr(amount)),
                    ("id", id),
                    ("reason", text.chars().take(80).collect()),
                ],
            )
        }
    }
}

/// Whether a cancellation's words leave `order` as what it acts on: they
/// name an order (`order_objects`, its id, its store or one of its items)
/// or nothing else at all ("please cancel"). "cancel my seven am alarm"
/// names something else.
pub(super) fn names_order(text: &str, slots: &Slots, order: &Value) -> bool {
    let d = &slots::lexicon().decide;
    let ours = |w: &str| {
        let of = |v: &Value| {
            slots::words(v.as_str().unwrap_or_default())
                .iter()
                .any(|t| t == w)
        };
        w.len() >= 3
            && (of(&order["merchant_name"])
                || order["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|i| of(&i["title"])))
    };
    let w = slots::words(text);
    slots.order_id.is_some()
        || w.iter()
            .any(|x| slots::listed(&d.order_objects, x) || ours(x))
        || w.iter().all(|x| {
            slots::listed(&d.cancel_filler, x)
                || slots::listed(&d.cancel_words, x)
                || d.cancel_stems.iter().any(|s| slots::near(x, s))
        })
}
