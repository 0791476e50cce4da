//! Rides: a quote from the places said (asking for what is missing), an
//! option picked from it, the booking proposed, and where the ride is.

use serde_json::{json, Value};

use super::slots::Slots;
use super::*;

impl TurnBuilder<'_> {
    /// Who is coming and when, while a ride waits for its pickup.
    pub(super) fn driver_note(&self, ride: &Value) -> String {
        match (ride["status"].as_str(), ride["driver_id"].as_str()) {
            (Some("driver_assigned" | "arriving"), Some(d)) => self.say(
                "driver_arriving",
                &[
                    ("driver", d.into()),
                    ("minutes", ride["eta_minutes"].to_string()),
                ],
            ),
            (Some("requested"), _) => self.say("driver_finding", &[]),
            _ => String::new(),
        }
    }

    /// "home" and "work" are the customer's saved addresses.
    pub(super) async fn place(&self, phrase: &str) -> String {
        let customer = self.env.commerce.customer(self.customer).await.ok();
        let saved = customer.as_ref().and_then(|c| {
            c.addresses.iter().find(|a| {
                phrase.contains(&a.label.to_lowercase())
                    || (phrase == "my place" && a.label == "home")
            })
        });
        saved.map_or_else(|| phrase.to_string(), |a| format!("{},{}", a.lat, a.lon))
    }

    /// "and by car?" after a quote: that option's fare and time from the quote,
    /// or a new quote for the same trip when the first was for another type.
    pub(super) async fn ride_option(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let best = state.quote.as_ref().and_then(|q| picked(q, text));
        let (Some(q), Some(kind)) = (state.quote.clone(), slots.ride_type.clone().or(best)) else {
            return self.say("ride_which", &[]);
        };
        match q["options"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["ride_type"] == kind.as_str())
        {
            // The option shown is proposed: a yes books it.
            Some(_) => {
                let picked = Slots {
                    ride_type: Some(kind),
                    ..slots.clone()
                };
                self.propose_booking(text, &picked, state, key)
            }
            None => {
                let again = Slots {
                    from: q["from"].as_str().map(str::to_string),
                    to: q["to"].as_str().map(str::to_string),
                    ride_type: Some(kind),
                    ..Default::default()
                };
                self.quote("", &again, state, key).await
            }
        }
    }

    pub(super) async fn quote(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        // A follow-up keeps the end it does not change; an answer to "which
        // place?" fills the end that was unclear.
        let last = super::Trip::last(state).cloned().unwrap_or_default();
        // One place named (with or without "from"/"to"), or one of those
        // offered ("the west one"), answers the question.
        let answer = match (&slots.from, &slots.to) {
            (Some(_), Some(_)) => None,
            (one, other) => one
                .clone()
                .or(other.clone())
                .or_else(|| last.pick(text, slots.ordinal))
                .or_else(|| Some(text.trim().trim_end_matches(['.', '!', '?']).to_lowercase())),
        };
        let ride_type = slots.ride_type.clone().or(last.ride_type);
        // "for 4" in a ride turn counts travellers, not servings.
        let riders = slots.riders.or(slots.servings).or(last.riders);
        let (mut from, mut to) = (
            slots.from.clone().or(last.from.clone()),
            slots.to.clone().or(last.to.clone()),
        );
        // The answer fills the unclear end and leaves the other as it was,
        // even when it named the place as a destination.
        let one_place = slots.from.is_none() || slots.to.is_none();
        match (last.unclear.as_deref(), answer) {
            (Some("from"), Some(a)) => {
                from = Some(a);
                if one_place {
                    to = last.to.clone();
                }
            }
            (Some("to"), Some(a)) => to = Some(a),
            _ => {}
        }
        state.trip = Some(super::Trip {
            from: from.clone(),
            to: to.clone(),
            ride_type: ride_type.clone(),
            riders,
            unclear: None,
            options: Vec::new(),
            turn: state.turns,
        });
        let Some(to) = &to else {
            return match &from {
                Some(f) => self.say("ride_where_to", &[("from", f.clone())]),
                None => self.say("ride_which", &[]),
            };
        };
        let from = from.unwrap_or_else(|| "home".into());
        let mut args = json!({ "from": self.place(&from).await, "to": self.place(to).await });
        if let Some(t) = &ride_type {
            args["ride_type"] = json!(t);
        }
        if let Some(n) = riders {
            args["riders"] = json!(n);
        }
        let booking_key = format!("{key}:book");
        match self.tool("quote_ride", args.clone(), key).await {
            Ok(q) => {
                let options: Vec<String> = q["options"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| {
                        let surge = o["fare"]["surge_multiplier"].as_f64().unwrap_or(1.0);
                        let surge = if surge > 1.0 {
                            self.say("ride_surge", &[("surge", format!("{surge:.1}"))])
                        } else {
                            String::new()
                        };
                        self.say(
                            "ride_option_line",
                            &[
                                (
                                    "ride_type",
                                    o["ride_type"].as_str().unwrap_or_default().into(),
                                ),
                                ("fare", money(&o["fare"]["total_minor"])),
                                ("minutes", o["duration_minutes"].to_string()),
                                ("surge", surge),
                            ],
                        )
                    })
                    .collect();
                let name = |p: &Value, raw: &str| {
                    if super::slots::lexicon()
                        .saved_places
                        .values()
                        .any(|p| p == raw)
                    {
                        raw.to_string()
                    } else {
                        p["name"].as_str().unwrap_or_default().to_string()
                    }
                };
                let (from_name, to_name) = (name(&q["from"], &from), name(&q["to"], to));
                state.quote = Some(json!({
                    "quote_id": q["quote_id"], "from": from_name, "to": to_name,
                    "options": q["options"].as_array().into_iter().flatten().map(|o| json!({ "ride_type": o["ride_type"], "total_minor": o["fare"]["total_minor"], "minutes": o["duration_minutes"] })).collect::<Vec<_>>(),
                }));
                let minutes = q["options"][0]["duration_minutes"].to_string();
                self.cards = json!({ "ride_quote": q });
                self.citations.push("help-ride-fares".into());
                // The quote is a proposal: the option asked for (else the
                // only or the cheapest one) at the fare shown, which a yes
                // books.
                // A ride type the quote lacks ("shared" for four) offers the
                // cheapest that goes instead.
                let offer = state.quote.as_ref().and_then(|sq| {
                    let options = sq["options"].as_array()?;
                    offered(options, ride_type.as_deref())
                        .or_else(|| offered(options, None))
                        .cloned()
                });
                let proposal = match offer {
                    Some(o) => {
                        let kind = o["ride_type"].as_str().unwrap_or_default().to_string();
                        state.pending = Some(Pending {
                            tool: "book_ride".into(),
                            args: json!({ "quote_id": q["quote_id"], "ride_type": kind }),
                            key: booking_key,
                            terms: None,
                        });
                        self.say(
                            "ride_offer",
                            &[("ride_type", kind), ("fare", money(&o["total_minor"]))],
                        )
                    }
                    None => String::new(),
                };
                self.say(
                    "ride_quote",
                    &[
                        ("from", from_name),
                        ("to", to_name),
                        ("km", q["distance_km"].to_string()),
                        ("minutes", minutes),
                        ("traffic", q["traffic"].as_str().unwrap_or_default().into()),
                        ("options", options.join("\n")),
                        ("offer", proposal),
                    ],
                )
            }
            // "koramangala" is two places: ask, naming them.
            Err(e) if e.contains("unknown place") => {
                // Which end, and the places it may be, from the gazetteer:
                // the next turn may answer with one of them.
                let unclear = ["from", "to"].into_iter().find_map(|end| {
                    let place = args[end].as_str().unwrap_or_default();
                    crate::commerce::resolve_place(self.env.knowledge, place)
                        .err()
                        .map(|near| (end, near))
                });
                if let (Some(trip), Some((end, near))) = (state.trip.as_mut(), unclear) {
                    trip.unclear = Some(end.into());
                    trip.options = near;
                }
                self.say("ride_place_unclear", &[("detail", e.replace('`', ""))])
            }
            Err(e) => self.say("not_allowed", &[("reason", e)]),
        }
    }

    /// "book the cheapest one", "book the auto": proposes that option of
    /// the quote shown (the one asked for, else the only or cheapest).
    pub(super) fn propose_booking(
        &mut self,
        text: &str,
        slots: &Slots,
        state: &mut DialogueState,
        key: String,
    ) -> String {
        let Some(q) = state.quote.clone() else {
            return self.say("no_quote", &[]);
        };
        let options = q["options"].as_array().cloned().unwrap_or_default();
        let asked = slots.ride_type.clone().or_else(|| picked(&q, text));
        let chosen = offered(&options, asked.as_deref());
        let Some(chosen) = chosen else {
            return self.say(
                "not_allowed",
                &[(
                    "reason",
                    self.say(
                        "quote_lacks_type",
                        &[("ride_type", slots.ride_type.clone().unwrap_or_default())],
                    ),
                )],
            );
        };
        let ride_type = chosen["ride_type"].as_str().unwrap_or_default().to_string();
        state.pending = Some(Pending {
            tool: "book_ride".into(),
            args: json!({ "quote_id": q["quote_id"], "ride_type": ride_type }),
            key,
            terms: None,
        });
        self.say(
            "confirm_ride",
            &[
                ("ride_type", ride_type),
                ("from", q["from"].as_str().unwrap_or_default().into()),
                ("to", q["to"].as_str().unwrap_or_default().into()),
                ("fare", money(&chosen["total_minor"])),
            ],
        )
    }

    pub(super) async fn ride_status(&mut self, key: String) -> String {
        match self.tool("ride_status", json!({}), key).await {
            Ok(r) if r["ride"].is_null() => self.say("no_rides", &[]),
            Ok(r) => {
                let ride = &r["ride"];
                let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
                let reply = self.say(
                    "ride_status",
                    &[
                        ("ride_type", text(&ride["ride_type"])),
                        ("id", text(&ride["id"])),
                        ("from", text(&ride["from"]["name"])),
                        ("to", text(&ride["to"]["name"])),
                        ("state", text(&ride["status"]).replace('_', " ")),
                        ("driver", self.driver_note(ride)),
                    ],
                );
                self.cards = json!({ "ride": ride });
                reply
            }
            Err(e) => self.say("error", &[("message", e)]),
        }
    }
}

/// The option of `quote` that "the cheapest" or "the fastest" in `text` picks.
pub(super) fn picked(quote: &Value, text: &str) -> Option<String> {
    let w = super::slots::words(text);
    let lex = super::slots::lexicon();
    let field = if w.iter().any(|x| super::slots::listed(&lex.cheap_picks, x)) {
        "total_minor"
    } else if w.iter().any(|x| super::slots::listed(&lex.fast_picks, x)) {
        "minutes"
    } else {
        return None;
    };
    quote["options"]
        .as_array()?
        .iter()
        .min_by_key(|o| o[field].as_i64().unwrap_or(i64::MAX))?["ride_type"]
        .as_str()
        .map(str::to_string)
}

/// The option of a quote a booking takes: the ride type named, else the
/// only option, else the cheapest.
pub(super) fn offered<'q>(options: &'q [Value], ride_type: Option<&str>) -> Option<&'q Value> {
    match ride_type {
        Some(t) => options.iter().find(|o| o["ride_type"] == t),
        None if options.len() == 1 => options.first(),
        None => options
            .iter()
            .min_by_key(|o| o["total_minor"].as_i64().unwrap_or(i64::MAX)),
    }
}
