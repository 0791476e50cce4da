//! Assist mode end to end: a customer's ticket about a stuck order is
//! analysed for an agent (problem, policies cited, suggested reply, proposed
//! actions), and a proposed reblast runs once, only when the agent approves.

mod common;

use std::time::{Duration, Instant};

use common::{start_without_drivers, token};
use serde_json::{json, Value};

#[test]
fn a_stuck_order_ticket_is_diagnosed_and_the_approved_reblast_runs_once() {
    let s = start_without_drivers("assist");
    let agent = token(&s.data, &["--agent", "agent-9"]);
    let me = "demo:c-0021";
    let catalog =
        std::fs::read_to_string(common::repo().join("knowledge/catalog/products.jsonl")).unwrap();
    let product = catalog
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|p| p["merchant_id"] == "m-crispycoop" && p["price_minor"].as_i64().unwrap() > 20000)
        .unwrap();
    let (status, _) = s.post(
        "/v1/cart/items",
        Some(me),
        Some(&json!({ "product_id": product["id"], "quantity": 1 }).to_string()),
    );
    assert_eq!(status, 200);
    let (status, paid) = s.request_with(
        "POST",
        "/v1/checkout",
        Some(me),
        &[("Idempotency-Key", "a-1")],
        Some("{}"),
    );
    assert_eq!(status, 201, "{paid}");
    let order = paid["orders"][0]["order_id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.get(&format!("/v1/orders/{order}/diagnosis"), Some(me)).1["stuck"] != true {
        assert!(Instant::now() < deadline, "order never got stuck");
        std::thread::sleep(Duration::from_millis(100));
    }

    let (status, ticket) = s.post("/v1/tickets", Some(me), Some(&json!({ "order_id": order, "subject": "my food is ready but nobody is picking it up" }).to_string()));
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/v1/tickets/{id}"), Some("demo:c-0022")).0,
        404
    );
    assert_eq!(s.get(&format!("/v1/tickets/{id}/assist"), Some(me)).0, 403);
    let (status, queue) = s.get("/v1/tickets", Some(&agent));
    assert_eq!(status, 200);
    assert!(queue["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id));

    let (status, assist) = s.get(&format!("/v1/tickets/{id}/assist"), Some(&agent));
    assert_eq!(status, 200, "{assist}");
    assert_eq!(assist["problem"], "no_driver", "{assist}");
    assert_eq!(assist["diagnosis"]["state"], "ready");
    let cited: Vec<&str> = assist["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        cited.contains(&"help-reblast-policy") && cited.contains(&"help-stuck-diagnosis-agent"),
        "{cited:?}"
    );
    assert!(assist["citations"][0]["policy"].is_object());
    let reply = assist["suggested_reply"].as_str().unwrap();
    assert!(
        reply.contains(&order) && reply.contains("driver"),
        "{reply}"
    );
    let actions = assist["actions"].as_array().unwrap();
    let kinds: Vec<&str> = actions
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"reblast") && kinds.contains(&"escalate"),
        "{kinds:?}"
    );
    assert!(actions.iter().all(|a| a["status"] == "proposed"));

    // Nothing ran yet: proposing is not doing.
    let (_, o) = s.get(&format!("/v1/orders/{order}"), Some(&agent));
    assert!(!o["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["state"] == "reblast"));

    let reblast = actions.iter().find(|a| a["kind"] == "reblast").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let approve = format!("/v1/tickets/{id}/actions/{reblast}/approve");
    assert_eq!(s.post(&approve, Some(me), None).0, 403);
    let (status, done) = s.post(&approve, Some(&agent), None);
    assert_eq!(
        (status, done["status"].as_str()),
        (200, Some("executed")),
        "{done}"
    );
    let (_, again) = s.post(&approve, Some(&agent), None);
    assert_eq!(again["status"], "executed");
    let (_, o) = s.get(&format!("/v1/orders/{order}"), Some(me));
    let events = o["events"].as_array().unwrap();
    assert_eq!(
        events.iter().filter(|e| e["state"] == "reblast").count(),
        1,
        "approved twice, ran once: {o}"
    );
    assert!(events
        .iter()
        .any(|e| e["state"] == "reblast" && e["actor"] == "agent:agent-9"));

    // The same analysis later keeps the same action ids, now with their outcome.
    let (_, later) = s.get(&format!("/v1/tickets/{id}/assist"), Some(&agent));
    let executed = later["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == reblast.as_str())
        .unwrap();
    assert_eq!(executed["status"], "executed");

    // Assist chat about the same ticket: only for agents, only about a ticket.
    let chat = |auth: &str, body: Value| s.post("/v1/chat", Some(auth), Some(&body.to_string()));
    let ask = |message: &str, session: &Value| json!({ "mode": "assist", "ticket_id": id, "message": message, "session_id": session });
    assert_eq!(chat(me, ask("what's wrong?", &Value::Null)).0, 403);
    assert_eq!(
        chat(&agent, json!({ "mode": "assist", "message": "hi" })).0,
        400
    );
    assert_eq!(chat(&agent, json!({ "message": "hi" })).0, 403);
    let (status, turn) = chat(&agent, ask("what's wrong with this order?", &Value::Null));
    assert_eq!(status, 200, "{turn}");
    assert_eq!(turn["tool_calls"][0]["name"], "analyse_ticket");
    let reply = turn["reply"].as_str().unwrap();
    // The reblast found a driver, so the order is moving again; escalation stays open.
    assert!(
        reply.contains("on track") && reply.contains("escalate"),
        "{reply}"
    );
    assert!(turn["citations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "help-reblast-policy"));
    // The reblast already ran: approving it again says so and runs nothing.
    let (_, again) = chat(&agent, ask("approve the reblast", &turn["session_id"]));
    assert!(
        again["reply"].as_str().unwrap().contains("already decided"),
        "{again}"
    );
    assert!(again["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] != "decide_action"));
    // Approving an action that was never proposed approves nothing else,
    // and says what the policy rules out.
    let (_, refund) = chat(&agent, ask("approve the refund", &turn["session_id"]));
    assert!(
        refund["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "decide_action"),
        "{refund}"
    );
    assert!(
        refund["reply"].as_str().unwrap().contains("does not allow"),
        "{refund}"
    );

    // A ticket about no order gets a reply about what the customer wrote.
    let (status, general) = s.post(
        "/v1/tickets",
        Some(me),
        Some(&json!({ "subject": "I can't change my address" }).to_string()),
    );
    assert_eq!(status, 201, "{general}");
    let gid = general["id"].as_str().unwrap();
    let (_, assist) = s.get(&format!("/v1/tickets/{gid}/assist"), Some(&agent));
    assert_eq!(assist["problem"], "no_order", "{assist}");
    let reply = assist["suggested_reply"].as_str().unwrap();
    assert!(
        reply.contains("change my address") && !reply.contains("order"),
        "{reply}"
    );

    // Test helpers are off unless the server is started with them.
    assert_eq!(s.post("/v1/test_helpers/fixtures", None, Some("{}")).0, 404);
}
