//! Probes from outside, as an attacker or a crash would make them: another
//! customer's idempotency key, panics and error shapes from every layer,
//! agent-only policy in customer chat.

mod common;

use common::{token, Server};
use serde_json::{json, Value};

const A: &str = "demo:c-0001";
const B: &str = "demo:c-0002";

fn product(merchant: &str) -> String {
    let catalog =
        std::fs::read_to_string(common::repo().join("knowledge/catalog/products.jsonl")).unwrap();
    catalog
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|p| p["merchant_id"] == merchant && p["stock"].as_i64().unwrap() >= 20)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn place_order(s: &Server, who: &str, key: &str) -> String {
    let body = json!({"product_id": product("m-biryanidarbar"), "quantity": 2}).to_string();
    assert_eq!(s.post("/v1/cart/items", Some(who), Some(&body)).0, 200);
    let (status, paid) = s.request_with(
        "POST",
        "/v1/checkout",
        Some(who),
        &[("Idempotency-Key", key)],
        Some("{}"),
    );
    assert_eq!(status, 201, "{paid}");
    paid["orders"][0]["order_id"].as_str().unwrap().to_string()
}

fn cancel(s: &Server, who: &str, order: &str, key: &str, reason: &str) -> (u16, Value) {
    s.request_with(
        "POST",
        &format!("/v1/orders/{order}/cancel"),
        Some(who),
        &[("Idempotency-Key", key)],
        Some(&json!({ "reason": reason }).to_string()),
    )
}

#[test]
fn another_customers_idempotency_key_looks_exactly_like_a_missing_order() {
    let s = Server::start(&common::data_with_index("trust-idem"), &[]);
    let order = place_order(&s, A, "trust-a-1");
    let (status, mine) = cancel(&s, A, &order, "k-shared", "changed my mind");
    assert_eq!(status, 200, "{mine}");

    // B replays A's key on A's order: same body, then another body.
    let (same, same_body) = cancel(&s, B, &order, "k-shared", "changed my mind");
    let (other, other_body) = cancel(&s, B, &order, "k-shared", "something else");
    // And on an order that does not exist at all.
    let (missing, missing_body) = cancel(&s, B, "o-doesnotexist", "k-shared", "changed my mind");
    assert_eq!((same, other, missing), (404, 404, 404));
    for body in [&same_body, &other_body] {
        assert_eq!(body["error"]["code"], missing_body["error"]["code"]);
        let text = body.to_string();
        assert!(
            !text.contains("c-0001") && !text.contains("items"),
            "{text}"
        );
    }
}

#[test]
fn every_error_has_the_documented_json_shape_and_no_panic_text() {
    let s = Server::start(&common::data_with_index("trust-shape"), &[]);
    let agent = token(&s.data, &["--agent", "agent-9"]);
    // An agent reblasting an order that is not waiting for a driver.
    let order = place_order(&s, A, "trust-a-2");
    assert_eq!(cancel(&s, A, &order, "k-1", "no longer needed").0, 200);
    let reblast = s.post(
        &format!("/v1/assist/orders/{order}/reblast"),
        Some(&agent),
        None,
    );
    // Just over the 256 KiB default limit: small enough to be sent whole.
    let huge = "x".repeat(300 * 1024);
    let cases: Vec<(&str, (u16, String))> = vec![
        ("reblast", {
            let (st, v) = reblast;
            (st, v.to_string())
        }),
        (
            "method",
            s.raw("DELETE", "/v1/checkout", Some(A), &[], None),
        ),
        ("method", s.raw("PUT", "/v1/chat", Some(A), &[], Some("{}"))),
        ("route", s.raw("GET", "/v1/nowhere", Some(A), &[], None)),
        (
            "too large",
            s.raw("POST", "/v1/chat", Some(A), &[], Some(&huge)),
        ),
        (
            "bad json",
            s.raw("POST", "/v1/chat", Some(A), &[], Some("{not json")),
        ),
    ];
    for (what, (status, body)) in cases {
        assert!((400..500).contains(&status), "{what}: {status} {body}");
        let v: Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{what}: not JSON: {body:?}"));
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{what}: {v}"
        );
        assert!(
            !body.contains("panicked") && !body.contains("src/"),
            "{what}: {body}"
        );
    }
}

#[test]
fn customer_chat_never_quotes_or_cites_agent_only_articles() {
    let s = Server::start(&common::data_with_index("trust-help"), &[]);
    let k = errand::knowledge::Knowledge::load(&common::repo().join("knowledge")).unwrap();
    let hidden: Vec<&errand::knowledge::HelpArticle> = k
        .help
        .iter()
        .filter(|a| a.audience != errand::knowledge::Audience::Customer)
        .collect();
    assert!(!hidden.is_empty());
    let questions = [
        "how can I check the termination fee?",
        "what are your refund abuse checks?",
        "when do you escalate a ticket to a supervisor?",
        "what is the refund policy?",
        "I want to talk to a human agent",
        "how many refund claims can I make in a month?",
        "what is the goodwill credit policy?",
    ];
    for q in questions {
        let (status, turn) = s.post(
            "/v1/chat",
            Some(A),
            Some(&json!({ "message": q }).to_string()),
        );
        assert_eq!(status, 200, "{turn}");
        let reply = turn["reply"].as_str().unwrap_or_default();
        for a in &hidden {
            assert!(!reply.contains(&a.id), "{q}: reply names {}", a.id);
            let cited = turn["citations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == a.id.as_str());
            assert!(!cited, "{q}: cites {}", a.id);
            // The first sentence of its body never reaches the customer.
            let first = a
                .body
                .lines()
                .find(|l| !l.starts_with('#') && l.len() > 30)
                .unwrap_or_default();
            assert!(
                first.is_empty() || !reply.contains(&first[..30]),
                "{q}: quotes {}",
                a.id
            );
        }
    }
}

#[test]
fn a_yes_runs_only_the_terms_shown_and_only_when_unhedged() {
    let s = Server::start(&common::data_with_index("trust-yes"), &[]);
    let who = "demo:c-0003";
    let mut session = Value::Null;
    let mut say = |text: &str| -> Value {
        let body = json!({ "message": text, "session_id": session }).to_string();
        let (status, turn) = s.post("/v1/chat", Some(who), Some(&body));
        assert_eq!(status, 200, "{turn}");
        session = turn["session_id"].clone();
        turn
    };
    let names = |turn: &Value| -> Vec<String> {
        turn["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let item = json!({"product_id": product("m-biryanidarbar"), "quantity": 2}).to_string();
    assert_eq!(s.post("/v1/cart/items", Some(who), Some(&item)).0, 200);
    let proposal = say("checkout");
    assert!(
        proposal["reply"]
            .as_str()
            .unwrap()
            .contains("Shall I place it"),
        "{proposal}"
    );
    // A hedge is not a yes.
    let hedge = say("ok wait, let me check my cart first");
    assert!(!names(&hedge).contains(&"checkout".to_string()), "{hedge}");

    let proposal = say("checkout");
    assert!(
        proposal["reply"]
            .as_str()
            .unwrap()
            .contains("Shall I place it"),
        "{proposal}"
    );
    let shown = s.get("/v1/cart", Some(who)).1["total_minor"]
        .as_i64()
        .unwrap();
    // The cart changes behind the proposal (another tab, the REST API).
    assert_eq!(s.post("/v1/cart/items", Some(who), Some(&item)).0, 200);
    let stale = say("yes");
    assert!(!names(&stale).contains(&"checkout".to_string()), "{stale}");
    assert!(
        stale["reply"].as_str().unwrap().contains("changed"),
        "{stale}"
    );
    // The new terms, accepted, run.
    let paid = say("yes");
    assert!(names(&paid).contains(&"checkout".to_string()), "{paid}");
    let (_, orders) = s.get("/v1/orders", Some(who));
    let paid_total: i64 = orders["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["total_minor"].as_i64().unwrap())
        .sum();
    assert!(paid_total > shown, "paid the stale total {shown}: {orders}");
}
