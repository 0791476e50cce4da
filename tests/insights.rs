//! The assistant's outcomes for care leads: conversations counted from what
//! each turn stored, by day; agents only; a bad period is a 400 naming it.

mod common;

use common::token;
use serde_json::{json, Value};

const ME: &str = "demo:c-0001";

fn say(s: &common::Server, session: &Value, text: &str) -> Value {
    let mut body = json!({ "message": text });
    if !session.is_null() {
        body["session_id"] = session.clone();
    }
    let (status, turn) = s.post("/v1/chat", Some(ME), Some(&body.to_string()));
    assert_eq!(status, 200, "{turn}");
    turn
}

fn called(turn: &Value, tool: &str) -> bool {
    turn["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == tool && c["ok"] == true)
}

#[test]
fn outcomes_count_orders_handovers_and_conversions_for_agents_only() {
    let s = common::start_without_drivers("insights");
    let agent = token(&s.data, &["--agent", "agent-7"]);

    // A basket, then an order on the third message.
    let first = say(&s, &Value::Null, "one chai latte please");
    assert!(called(&first, "add_to_cart"), "{first}");
    let session = first["session_id"].clone();
    let asked = say(&s, &session, "checkout");
    assert!(asked["reply"].as_str().unwrap().contains("yes"), "{asked}");
    let paid = say(&s, &session, "yes");
    assert!(called(&paid, "checkout"), "{paid}");
    // Handed to a person.
    let human = say(&s, &Value::Null, "I want to speak to a human");
    assert!(called(&human, "create_ticket"), "{human}");
    // Browsing only.
    say(&s, &Value::Null, "snacks for a rainy day");

    // Feedback on the order and on the browsing conversation; a second word
    // on the order replaces the first.
    let order = paid["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "checkout")
        .unwrap()["result"]["orders"][0]["order_id"]
        .clone();
    let rate = |who: &str, body: Value| s.post("/v1/feedback", Some(who), Some(&body.to_string()));
    let (status, first_word) = rate(
        ME,
        json!({ "order_id": order, "rating": 2, "text": "the latte was cold" }),
    );
    assert_eq!(status, 201, "{first_word}");
    let (status, again) = rate(
        ME,
        json!({ "order_id": order, "rating": 4, "text": "warm this time" }),
    );
    assert_eq!((status, &again["id"]), (200, &first_word["id"]), "{again}");
    assert_eq!(again["rating"], 4);
    let (status, _) = rate(
        ME,
        json!({ "session_id": human["session_id"], "rating": 5, "text": "quick handover" }),
    );
    assert_eq!(status, 201);
    // Someone else's order looks missing; bad input names the field.
    let (status, _) = rate("demo:c-0002", json!({ "order_id": order, "rating": 1 }));
    assert_eq!(status, 404);
    for (body, field, code) in [
        (json!({ "order_id": order, "rating": 6 }), "rating", 400),
        (json!({ "order_id": order, "rating": 0 }), "rating", 400),
        (json!({ "rating": 3, "text": "hm" }), "order_id", 400),
        (
            json!({ "order_id": order, "rating": 3, "text": "x".repeat(2001) }),
            "text",
            400,
        ),
        // A body the type cannot hold is 422, as everywhere in the API.
        (
            json!({ "order_id": order, "rating": 3, "stars": 3 }),
            "stars",
            422,
        ),
    ] {
        let (status, e) = rate(ME, body.clone());
        assert_eq!(status, code, "{body}: {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(field),
            "{body}: {e}"
        );
    }

    let (status, r) = s.get("/v1/insights/assistant", Some(&agent));
    assert_eq!(status, 200, "{r}");
    let t = &r["total"];
    assert_eq!(t["conversations"], 3, "{r}");
    assert_eq!(t["turns"], 5);
    assert_eq!(t["handed_over"], 1);
    assert_eq!(t["resolved_without_person"], 2);
    assert_eq!(t["with_basket"], 1);
    assert_eq!(t["ordered"], 1);
    assert_eq!(t["conversion"], 1.0);
    assert_eq!(t["avg_turns_to_checkout"], 3.0);
    assert_eq!(
        (r["ratings"].as_u64(), r["csat"].as_f64()),
        (Some(2), Some(4.5))
    );
    assert_eq!(
        r["handover_intents"],
        json!([{ "intent": human["intent"], "conversations": 1 }])
    );
    let days = r["days"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["conversations"], 3);

    // A period with nothing in it counts nothing.
    let (status, empty) = s.get(
        "/v1/insights/assistant?from=2020-01-01&to=2020-01-31",
        Some(&agent),
    );
    assert_eq!(status, 200);
    assert_eq!(empty["total"]["conversations"], 0);
    assert!(empty["total"]["conversion"].is_null());

    // Customers never see it (no such route, for them); a bad period names
    // the parameter.
    let (status, _) = s.get("/v1/insights/assistant", Some(ME));
    assert_eq!(status, 404);
    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2020-01-01&to=2026-01-01", "366"),
        ("when=now", "when"),
    ] {
        let (status, body) = s.get(&format!("/v1/insights/assistant?{query}"), Some(&agent));
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{query}: {message}");
    }
}

/// The order a turn's checkout placed.
fn placed(turn: &Value) -> Value {
    turn["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "checkout")
        .unwrap()["result"]["orders"][0]["order_id"]
        .clone()
}

#[test]
fn feedback_is_triaged_to_a_team_and_a_complaint_opens_a_ticket_agents_can_reroute() {
    let s = common::start_without_drivers("triage");
    let agent = token(&s.data, &["--agent", "agent-7"]);
    let first = say(&s, &Value::Null, "one chai latte please");
    let session = first["session_id"].clone();
    say(&s, &session, "checkout");
    let order = placed(&say(&s, &session, "yes"));

    // A complaint about a fresh order: triaged, explained, a ticket opened.
    let body = json!({ "order_id": order, "rating": 2, "text": "The latte was cold and the rider was rude" });
    let (status, f) = s.post("/v1/feedback", Some(ME), Some(&body.to_string()));
    assert_eq!(status, 201, "{f}");
    assert_eq!(f["class"], "complaint", "{f}");
    assert_eq!(
        f["aspects"],
        json!(["temperature", "rider_behaviour"]),
        "{f}"
    );
    assert_eq!(f["team"], "merchant");
    let cues: Vec<&str> = f["because"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cue"].as_str().unwrap())
        .collect();
    assert!(cues.contains(&"cold") && cues.contains(&"rude"), "{f}");
    let ticket = f["ticket_id"].as_str().expect("a ticket").to_string();

    // The agent sees the team and the complaint on the ticket; the customer
    // sees their ticket but not the triage behind it.
    let (status, t) = s.get(&format!("/v1/tickets/{ticket}"), Some(&agent));
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        (&t["ticket"]["team"], &t["ticket"]["routed_by"]),
        (&json!("merchant"), &json!("triage"))
    );
    assert_eq!(t["ticket"]["order_id"], order);
    assert_eq!(t["feedback"][0]["text"], body["text"]);
    let (status, mine) = s.get(&format!("/v1/tickets/{ticket}"), Some(ME));
    assert_eq!(status, 200);
    assert!(mine.get("feedback").is_none(), "{mine}");

    // More said about the same order joins the same ticket.
    let (_, again) = s.post(
        "/v1/feedback",
        Some(ME),
        Some(&json!({ "order_id": order, "rating": 1, "text": "and the cup leaked" }).to_string()),
    );
    assert_eq!(again["ticket_id"], ticket.as_str(), "{again}");
    // Tied to the conversation once, it stays tied when a resend names none.
    let resend = |body: Value| s.post("/v1/feedback", Some(ME), Some(&body.to_string())).1;
    resend(json!({ "order_id": order, "session_id": session, "text": "and the cup leaked" }));
    let kept = resend(json!({ "order_id": order, "text": "and the cup leaked" }));
    assert_eq!(kept["session_id"], session, "{kept}");

    // An agent re-routes it; the team queue follows; customers cannot.
    let route = |who: &str, team: &str| {
        s.post(
            &format!("/v1/tickets/{ticket}/route"),
            Some(who),
            Some(&json!({ "team": team }).to_string()),
        )
    };
    let (status, routed) = route(&agent, "fleet");
    assert_eq!(status, 200, "{routed}");
    assert_eq!(
        (&routed["team"], &routed["routed_by"]),
        (&json!("fleet"), &json!("agent:agent-7"))
    );
    let (_, queue) = s.get("/v1/tickets?team=fleet", Some(&agent));
    assert!(
        queue["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == ticket.as_str()),
        "{queue}"
    );
    let (_, teams) = s.get("/v1/insights/teams", Some(&agent));
    let fleet = teams["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "fleet")
        .cloned()
        .unwrap();
    assert!(fleet["open_tickets"].as_i64().unwrap() >= 1, "{teams}");
    let (status, e) = route(&agent, "kitchen");
    assert_eq!(status, 400);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("team"),
        "{e}"
    );
    assert_eq!(route(ME, "care").0, 403);
    assert_eq!(s.get("/v1/tickets?team=fleet", Some(ME)).0, 403);

    // A new ticket is routed by what its subject says.
    let (status, t) = s.post(
        "/v1/tickets",
        Some(ME),
        Some(&json!({ "subject": "I was charged twice for my order" }).to_string()),
    );
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["team"], "app_payments", "{t}");

    // Said in the chat: recorded against the latest order, and answered with
    // who will read it.
    let turn = say(&s, &Value::Null, "the delivery guy was really polite");
    assert_eq!(turn["intent"], "feedback", "{turn}");
    assert!(called(&turn, "give_feedback"), "{turn}");
    assert!(
        turn["reply"].as_str().unwrap().contains("delivery fleet"),
        "{turn}"
    );
}

#[test]
fn pain_points_rank_the_periods_complaints_with_trend_quotes_and_the_first_fix() {
    let s = common::start_without_drivers("pain");
    let agent = token(&s.data, &["--agent", "agent-7"]);
    // The seed history's last four weeks: Biryani Darbar's food arrives cold.
    let (status, r) = s.get(
        "/v1/insights/pain-points?from=2026-10-21&to=2026-11-17",
        Some(&agent),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["previous_from"], "2026-09-23");
    let points = r["pain_points"].as_array().unwrap();
    assert!(points.len() >= 5, "{r}");
    let counts: Vec<u64> = points
        .iter()
        .map(|p| p["complaints"].as_u64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "ranked by volume: {counts:?}"
    );
    let cold = points
        .iter()
        .find(|p| p["aspect"] == "temperature")
        .expect("cold food");
    assert_eq!(cold["merchants"][0]["id"], "m-biryanidarbar", "{cold}");
    assert!(cold["trend"].as_f64().unwrap() > 0.5, "{cold}");
    assert!(
        cold["summary"]
            .as_str()
            .unwrap()
            .starts_with("Food arrived cold:"),
        "{cold}"
    );
    assert_eq!(cold["first_fix"]["article"], "help-cold-food");
    assert!(!cold["first_fix"]["text"].as_str().unwrap().is_empty());
    let quote = &cold["examples"][0];
    assert!(
        quote["order_id"].as_str().unwrap().starts_with("o-"),
        "{quote}"
    );
    let per_day: u64 = cold["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["complaints"].as_u64().unwrap())
        .sum();
    assert_eq!(per_day, cold["complaints"].as_u64().unwrap());

    // One merchant's complaints only.
    let (status, one) = s.get(
        "/v1/insights/pain-points?from=2026-10-21&to=2026-11-17&merchant=m-biryanidarbar",
        Some(&agent),
    );
    assert_eq!(status, 200);
    for p in one["pain_points"].as_array().unwrap() {
        let names: Vec<&Value> = p["merchants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["id"])
            .collect();
        assert_eq!(names, [&json!("m-biryanidarbar")], "{p}");
    }
    // Agents only; bad input names the parameter.
    assert_eq!(s.get("/v1/insights/pain-points", Some(ME)).0, 404);
    assert_eq!(s.get("/v1/insights/teams", Some(ME)).0, 404);
    let (status, e) = s.get("/v1/insights/pain-points?merchant=m-nowhere", Some(&agent));
    assert_eq!(status, 400);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("merchant"),
        "{e}"
    );
}
