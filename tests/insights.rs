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

    // Customers never see it; a bad period names the parameter.
    let (status, _) = s.get("/v1/insights/assistant", Some(ME));
    assert_eq!(status, 403);
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
