//! The yes: the write waiting in the dialogue runs with the terms and the
//! idempotency key it was proposed with.

use serde_json::json;

use super::*;
use crate::commerce::money::format_inr;

impl TurnBuilder<'_> {
    /// Runs a confirmed write with the key chosen when it was proposed.
    pub(super) async fn commit(&mut self, p: Pending, state: &mut DialogueState) -> String {
        // A proposal is a contract: if the cart changed since its total was
        // shown, the yes was to other terms; show the new ones and ask again.
        // The tool re-checks the same terms in the transaction that runs it.
        match (p.terms, p.tool.as_str()) {
            (Some(shown), "checkout") => {
                let now = self.tool("view_cart", json!({}), p.key.clone()).await;
                let total = now.as_ref().ok().and_then(|c| c["total_minor"].as_i64());
                if total != Some(shown) {
                    let Some(total) = total.filter(|t| *t > 0) else {
                        return self.say("cart_empty", &[]);
                    };
                    let mut args = p.args.clone();
                    args["expected_total_minor"] = json!(total);
                    state.pending = Some(Pending {
                        terms: Some(total),
                        args,
                        ..p
                    });
                    return self.say(
                        "terms_changed",
                        &[("was", format_inr(shown)), ("total", format_inr(total))],
                    );
                }
            }
            (Some(shown), "cancel_order") => {
                let args = json!({ "order_id": p.args["order_id"] });
                let now = self.tool("order_status", args, p.key.clone()).await;
                let rule = now.ok().map(|r| super::approval::action_rule(&r, "cancel"));
                let Some(rule) = rule.filter(|r| r["allowed"] == true) else {
                    let reason = self.say(
                        "no_longer_cancellable",
                        &[("id", p.args["order_id"].as_str().unwrap_or_default().into())],
                    );
                    return self.say("not_allowed", &[("reason", reason)]);
                };
                let refund = rule["refund_minor"].as_i64().unwrap_or(0);
                if refund != shown {
                    let mut args = p.args.clone();
                    args["expected_refund_minor"] = json!(refund);
                    let id = args["order_id"].as_str().unwrap_or_default().to_string();
                    state.pending = Some(Pending {
                        terms: Some(refund),
                        args,
                        ..p
                    });
                    return self.say(
                        "cancel_terms_changed",
                        &[
                            ("id", id),
                            ("was", format_inr(shown)),
                            ("reason", rule["reason"].as_str().unwrap_or_default().into()),
                            ("refund", format_inr(refund)),
                        ],
                    );
                }
            }
            _ => {}
        }
        match self.tool(&p.tool, p.args.clone(), p.key).await {
            Ok(r) => match p.tool.as_str() {
                "checkout" => {
                    let orders: Vec<String> = r["orders"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|o| {
                            format!(
                                "{} ({})",
                                o["order_id"].as_str().unwrap_or_default(),
                                o["merchant_name"].as_str().unwrap_or_default()
                            )
                        })
                        .collect();
                    self.cards = json!({ "checkout": r });
                    state.shown.clear();
                    self.say(
                        "checked_out",
                        &[
                            ("total", money(&r["total_minor"])),
                            ("orders", orders.join(", ")),
                        ],
                    )
                }
                "book_ride" => {
                    state.quote = None;
                    self.cards = json!({ "ride": r });
                    self.say(
                        "ride_booked",
                        &[
                            (
                                "ride_type",
                                r["ride_type"].as_str().unwrap_or_default().into(),
                            ),
                            ("id", r["id"].as_str().unwrap_or_default().into()),
                            ("fare", money(&r["fare_minor"])),
                            ("driver", self.driver_note(&r)),
                        ],
                    )
                }
                "cancel_order" => self.say(
                    "cancelled",
                    &[
                        ("id", r["order"]["id"].as_str().unwrap_or_default().into()),
                        ("message", r["message"].as_str().unwrap_or_default().into()),
                    ],
                ),
                _ => self.say(
                    "refunded",
                    &[("message", r["message"].as_str().unwrap_or_default().into())],
                ),
            },
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }
}
