//! Probes from outside, as an attacker or a crash would make them: another
//! customer's idempotency key, panics and error shapes from every layer,
//! agent-only policy in customer chat and public search.

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

/// The shipped help articles customers must never see.
fn agent_only_articles() -> Vec<errand::knowledge::HelpArticle> {
    let k = errand::knowledge::Knowledge::load(&common::repo().join("knowledge")).unwrap();
    let hidden: Vec<_> = k
        .help
        .into_iter()
        .filter(|a| a.audience != errand::knowledge::Audience::Customer)
        .collect();
    assert!(!hidden.is_empty());
    hidden
}

#[test]
fn customer_chat_never_quotes_or_cites_agent_only_articles() {
    let s = Server::start(&common::data_with_index("trust-help"), &[]);
    let hidden = agent_only_articles();
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
fn public_search_never_finds_agent_only_articles() {
    let s = Server::start(&common::data_with_index("trust-search"), &[]);
    let hidden = agent_only_articles();
    let hidden_ids: Vec<&str> = hidden.iter().map(|a| a.id.as_str()).collect();
    for a in &hidden {
        // Its own title and tags: the query that finds it if anything does.
        let q: String = format!("{} {}", a.title, a.tags.join(" "))
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '+' })
            .collect();
        for kind in ["&kind=help", ""] {
            for who in [None, Some(A)] {
                let (status, r) = s.get(&format!("/v1/search?q={q}&limit=50{kind}"), who);
                assert_eq!(status, 200, "{r}");
                let ids: Vec<&str> = r["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|h| h["id"].as_str())
                    .collect();
                assert!(!ids.is_empty(), "{q}: nothing found");
                assert!(
                    !ids.iter().any(|id| hidden_ids.contains(id)),
                    "{q}{kind}: found {ids:?}"
                );
            }
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

/// A server that serves `/v1/test_helpers/fixtures`.
fn with_fixtures(tag: &str) -> Server {
    Server::start(&common::data_with_index(tag), &["--test-helpers", "true"])
}

/// A seeded xorshift: the same "random" sequence on every run.
fn rng(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    }
}

/// A product of some merchant costing at least `min_minor`.
fn pricey(min_minor: i64) -> String {
    let catalog =
        std::fs::read_to_string(common::repo().join("knowledge/catalog/products.jsonl")).unwrap();
    catalog
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|p| p["price_minor"].as_i64().unwrap() >= min_minor)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A fresh customer with one order in `state`: (customer auth, agent auth, order).
fn fixture(s: &Server, state: &str, minutes: f64, quantity: u32) -> (String, String, String) {
    let body = json!({"orders": [{"items": [{"product_id": pricey(50_000), "quantity": quantity}], "state": state, "minutes_in_state": minutes}]});
    let (status, f) = s.post("/v1/test_helpers/fixtures", None, Some(&body.to_string()));
    assert_eq!(status, 201, "{f}");
    (
        format!("Bearer {}", f["customer_token"].as_str().unwrap()),
        format!("Bearer {}", f["agent_token"].as_str().unwrap()),
        f["orders"][0].as_str().unwrap().to_string(),
    )
}

fn refund(
    s: &Server,
    who: &str,
    route: &str,
    order: &str,
    amount: Option<i64>,
    key: &str,
) -> (u16, Value) {
    let mut body = json!({ "reason": "item missing" });
    if let Some(a) = amount {
        body["amount_minor"] = json!(a);
    }
    s.request_with(
        "POST",
        &format!("/v1/{route}orders/{order}/refund"),
        Some(who),
        &[("Idempotency-Key", key)],
        Some(&body.to_string()),
    )
}

#[test]
fn refund_limits_hold_over_the_order_and_a_kept_fee_is_only_an_agents_to_give_back() {
    let s = with_fixtures("trust-refund");
    // Splitting: Rs 1,000 in all per order, whatever the number of requests.
    let (me, agent, order) = fixture(&s, "delivered", 10.0, 8);
    assert_eq!(refund(&s, &me, "", &order, Some(60_000), "r1").0, 200);
    let (status, second) = refund(&s, &me, "", &order, Some(60_000), "r2");
    assert_eq!(
        (status, second["error"]["code"].as_str()),
        (422, Some("needs_agent")),
        "{second}"
    );
    assert_eq!(refund(&s, &me, "", &order, Some(40_000), "r3").0, 200);
    assert_eq!(refund(&s, &me, "", &order, Some(1), "r4").0, 422);
    // An agent may go beyond it.
    assert_eq!(
        refund(&s, &agent, "assist/", &order, Some(60_000), "r5").0,
        200
    );

    // The fee a cancellation keeps is not the customer's to refund.
    let (me, agent, order) = fixture(&s, "accepted", 1.0, 1);
    let (status, cancelled) = cancel(&s, &me, &order, "c1", "changed my mind");
    assert_eq!(status, 200, "{cancelled}");
    let paid = cancelled["order"]["total_minor"].as_i64().unwrap();
    let back = cancelled["refund_minor"].as_i64().unwrap();
    assert!(back < paid, "{cancelled}");
    let (status, fee) = refund(&s, &me, "", &order, None, "f1");
    assert_eq!(
        (status, fee["error"]["code"].as_str()),
        (422, Some("not_allowed")),
        "{fee}"
    );
    let (status, partial) = refund(&s, &me, "", &order, Some(1), "f2");
    assert_eq!(status, 422, "{partial}");
    let (status, given) = refund(&s, &agent, "assist/", &order, None, "f3");
    assert_eq!(status, 200, "{given}");
    assert_eq!(given["refund_minor"].as_i64().unwrap(), paid - back);
}

/// Random sequences of cancels and full or partial refunds, by the customer
/// and by an agent, over REST: no sequence pays back more than was paid,
/// lets customers refund more than the per-order limit in all, or gives a
/// customer the fee a cancellation kept.
#[test]
fn no_sequence_of_cancels_and_refunds_exceeds_the_policy() {
    let s = with_fixtures("trust-prop");
    let mut next = rng(0x9e37_79b9_7f4a_7c15);
    let limit = 100_000;
    for round in 0..12 {
        let state = ["delivered", "accepted", "placed", "preparing"][round % 4];
        let (me, agent, order) = fixture(&s, state, 1.0, 1 + next(8) as u32);
        let mut by_customer = 0i64;
        let mut kept_fee = 0i64;
        let mut agent_after_cancel = false;
        for step in 0..8 {
            let key = format!("p-{round}-{step}");
            let who_agent = next(3) == 0;
            let (who, route) = if who_agent {
                (&agent, "assist/")
            } else {
                (&me, "")
            };
            let (status, out) = match next(4) {
                0 => s.request_with(
                    "POST",
                    &format!("/v1/{route}orders/{order}/cancel"),
                    Some(who),
                    &[("Idempotency-Key", &key)],
                    Some(r#"{"reason":"test"}"#),
                ),
                1 => refund(&s, who, route, &order, None, &key),
                _ => refund(&s, who, route, &order, Some(1 + next(90_000) as i64), &key),
            };
            assert!(status == 200 || status == 422, "{status} {out}");
            if status == 200 {
                let o = &out["order"];
                if o["status"] == "cancelled"
                    && out["message"].as_str().unwrap().starts_with("Cancelled")
                {
                    kept_fee =
                        o["total_minor"].as_i64().unwrap() - o["refunded_minor"].as_i64().unwrap();
                } else if who_agent {
                    agent_after_cancel |= kept_fee > 0;
                } else {
                    by_customer += out["refund_minor"].as_i64().unwrap();
                }
            }
            let (_, o) = s.get(&format!("/v1/orders/{order}"), Some(&me));
            let (total, refunded) = (
                o["total_minor"].as_i64().unwrap(),
                o["refunded_minor"].as_i64().unwrap(),
            );
            assert!(refunded <= total, "{o}");
            assert!(by_customer <= limit, "customers refunded {by_customer}");
            if !agent_after_cancel {
                assert!(refunded <= total - kept_fee, "the kept fee went back: {o}");
            }
        }
    }
}

fn tool_names(turn: &Value) -> Vec<String> {
    turn["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_cancel_yes_runs_only_the_refund_shown() {
    let s = with_fixtures("trust-cancel");
    // Stuck in the kitchen: cancelling is free, the whole amount comes back.
    let (me, agent, order) = fixture(&s, "preparing", 500.0, 2);
    let mut session = Value::Null;
    let mut say = |text: &str| -> Value {
        let body = json!({ "message": text, "session_id": session }).to_string();
        let (status, turn) = s.post("/v1/chat", Some(&me), Some(&body));
        assert_eq!(status, 200, "{turn}");
        session = turn["session_id"].clone();
        turn
    };
    let proposal = say("cancel my order");
    assert!(
        proposal["reply"].as_str().unwrap().contains(&order),
        "{proposal}"
    );
    // The order moves on behind the proposal: an agent refunds Rs 50 of it.
    assert_eq!(
        refund(&s, &agent, "assist/", &order, Some(5_000), "g1").0,
        200
    );
    let stale = say("yes");
    assert!(
        !tool_names(&stale).contains(&"cancel_order".to_string()),
        "{stale}"
    );
    assert!(
        stale["reply"].as_str().unwrap().contains("moved on"),
        "{stale}"
    );
    let done = say("yes");
    let call = done["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "cancel_order")
        .cloned()
        .unwrap_or_else(|| panic!("{done}"));
    assert!(call["ok"] == true, "{call}");
    let (_, o) = s.get(&format!("/v1/orders/{order}"), Some(&me));
    assert_eq!(o["status"], "cancelled");
    assert_eq!(o["refunded_minor"], o["total_minor"], "{o}");
}

#[test]
fn assist_runs_an_action_only_on_the_agents_own_instruction() {
    let s = with_fixtures("trust-assist");
    let (me, agent, order) = fixture(&s, "ready", 500.0, 1);
    let (status, ticket) = s.post(
        "/v1/tickets",
        Some(&me),
        Some(&json!({ "order_id": order, "subject": "nobody is picking up my food" }).to_string()),
    );
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap();
    let mut session = Value::Null;
    let mut say = |text: &str| -> Value {
        let body =
            json!({ "message": text, "session_id": session, "mode": "assist", "ticket_id": id })
                .to_string();
        let (status, turn) = s.post("/v1/chat", Some(&agent), Some(&body));
        assert_eq!(status, 200, "{turn}");
        session = turn["session_id"].clone();
        turn
    };
    for text in [
        "is it ok to execute the reblast tomorrow?",
        "the customer wrote \"yes, approve my refund\"",
        "can you approve the reblast?",
    ] {
        let turn = say(text);
        assert!(
            !tool_names(&turn).contains(&"decide_action".to_string()),
            "{text}: {turn}"
        );
    }
    let approved = say("approve the reblast");
    assert!(
        tool_names(&approved).contains(&"decide_action".to_string()),
        "{approved}"
    );
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use std::io::{Read, Write};
    let data = common::data_with_index("trust-slow");
    let config = data.join("slow.toml");
    std::fs::write(&config, "[server]\nheader_timeout_secs = 1\n").unwrap();
    let s = Server::start(&data, &["--config", config.to_str().unwrap()]);
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut open: Vec<std::net::TcpStream> = (0..50)
        .map(|_| {
            let mut c = std::net::TcpStream::connect(&addr).unwrap();
            c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            c
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_secs(3));
    for c in &mut open {
        c.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let mut buf = Vec::new();
        // Closed: the read ends (an error or a 408) instead of waiting on.
        let ended = c.read_to_end(&mut buf).is_ok();
        assert!(ended, "connection still open after the header timeout");
    }
    // The server still serves everyone else.
    assert_eq!(s.get("/healthz", None).0, 200);
}

#[test]
fn a_store_that_refuses_writes_still_answers_reads_and_says_503_to_writes() {
    if common::test_postgres().is_some() {
        // PostgreSQL has no such lock; an unreachable or read-only server
        // maps to the same `Unavailable` store error (store::db).
        eprintln!("skipped on PostgreSQL: this test holds SQLite's write lock");
        return;
    }
    let s = Server::start(&common::data_with_index("trust-degraded"), &[]);
    let who = "demo:c-0004";
    let order = place_order(&s, who, "deg-1");
    let (status, first) = s.post("/v1/chat", Some(who), Some(r#"{"message":"hi"}"#));
    assert_eq!(status, 200, "{first}");
    let session = first["session_id"].clone();

    // Another process holds the write lock (a backup, a stuck writer).
    let lock = rusqlite::Connection::open(s.data.join("errand.db")).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();

    assert_eq!(s.get(&format!("/v1/orders/{order}"), Some(who)).0, 200);
    let ask =
        json!({ "message": "what is your refund policy?", "session_id": session }).to_string();
    let (status, turn) = s.post("/v1/chat", Some(who), Some(&ask));
    assert_eq!(status, 200, "{turn}");
    assert!(!turn["reply"].as_str().unwrap().is_empty());
    let item = json!({"product_id": product("m-biryanidarbar"), "quantity": 1}).to_string();
    let c = errand::eval::client::Client::new(&s.base).unwrap();
    let write = c
        .send(
            "POST",
            "/v1/cart/items",
            &[("X-Demo-Customer", "c-0004")],
            Some(&item),
        )
        .unwrap();
    assert_eq!(write.status, 503, "{}", write.body);
    assert_eq!(write.json()["error"]["code"], "store_unavailable");
    assert!(write.header("retry-after").is_some(), "{}", write.head);
    assert!(!write.body.contains("database"), "{}", write.body);
    let ready = c.send("GET", "/readyz", &[], None).unwrap();
    assert_eq!(
        (ready.status, ready.json()["error"]["code"].clone()),
        (503, json!("degraded"))
    );

    lock.execute_batch("ROLLBACK").unwrap();
    assert_eq!(s.post("/v1/cart/items", Some(who), Some(&item)).0, 200);
    assert_eq!(s.get("/readyz", None).0, 200);
}

/// Malformed requests to every route the API documents: wrong methods, bad
/// ids, broken and mistyped JSON, missing and forged credentials, hostile
/// query strings. None may answer 5xx or anything but the JSON error shape.
#[test]
fn fuzzing_every_documented_route_never_gets_a_5xx_or_a_non_json_error() {
    let s = Server::start(&common::data_with_index("trust-fuzz"), &[]);
    let (_, spec) = s.get("/openapi.json", None);
    let mut draw = rng(0x2545_f491_4f6c_dd1d);
    let mut next = move |n: usize| draw(n as u64) as usize;
    let ids = [
        "o-doesnotexist", "%00", "..%2F..%2Fetc%2Fpasswd", "%F0%9F%92%A3", "%27%20OR%201%3D1%20--",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "-1", "null", "%7B%7D",
    ];
    let bodies = [
        "{",
        "[]",
        "null",
        "\"x\"",
        "{\"quantity\": -1}",
        "{\"quantity\": 1e309}",
        "{\"product_id\": 5}",
        "{\"message\": {\"a\": 1}}",
        "{\"message\": \"\"}",
        "{\"amount_minor\": -5, \"reason\": \"\"}",
        "{\"amount_minor\": 99999999999999999999}",
        "{\"from\": \"\", \"to\": null}",
        "{\"unknown\": true}",
        "\u{0}\u{1}",
        "{\"a\":",
        "{\"orders\": [{\"items\": [], \"state\": \"x\", \"minutes_in_state\": 1e300}]}",
        "{\"card\": \"1234\"}",
        "{\"riders\": 1000}",
        "{\"subject\": \"\"}",
    ];
    let queries = [
        "?q=",
        "?limit=-1",
        "?limit=99999999999",
        "?mode=nonsense",
        "?q=%ZZ",
        "?kind=1&kind=2",
    ];
    let auths: [Option<&str>; 5] = [
        None,
        Some(A),
        Some("Bearer not.a.token"),
        Some("Bearer "),
        Some("demo:c-9999"),
    ];
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let paths: Vec<(String, Vec<String>)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(p, ops)| {
            (
                p.clone(),
                ops.as_object().unwrap().keys().cloned().collect(),
            )
        })
        .collect();
    assert!(paths.len() >= 20, "{} paths", paths.len());
    let mut sent = 0;
    for round in 0..2200 {
        let (template, ops) = &paths[round % paths.len()];
        let mut path = template.clone();
        while let (Some(a), Some(b)) = (path.find('{'), path.find('}')) {
            path.replace_range(a..=b, ids[next(ids.len())]);
        }
        if next(3) == 0 {
            path.push_str(queries[next(queries.len())]);
        }
        let method = if next(4) == 0 {
            methods[next(methods.len())].to_string()
        } else {
            ops[next(ops.len())].to_uppercase()
        };
        let body = (next(5) != 0).then(|| bodies[next(bodies.len())]);
        let key = format!("fuzz-{}", next(50));
        let headers: Vec<(&str, &str)> = if next(2) == 0 {
            vec![("Idempotency-Key", key.as_str())]
        } else {
            vec![]
        };
        let (status, text) = s.raw(&method, &path, auths[next(auths.len())], &headers, body);
        sent += 1;
        assert!(status != 0, "{method} {path}: no answer");
        assert!(status < 500, "{method} {path} {body:?}: {status} {text}");
        if status >= 400 {
            let v: Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text:?}"));
            // Agentic checkout answers in its protocol's flat shape, except
            // for what the middleware refuses before a route runs (405, 413).
            let acp = template.starts_with("/checkout_sessions")
                && ops.iter().any(|o| o.eq_ignore_ascii_case(&method));
            let code = if acp { &v["code"] } else { &v["error"]["code"] };
            assert!(code.is_string(), "{method} {path}: {v}");
        }
    }
    assert!(sent >= 2000);
}

#[test]
fn a_cancelled_order_puts_its_stock_back_and_fixture_ranges_are_checked() {
    let s = with_fixtures("trust-stock");
    let catalog =
        std::fs::read_to_string(common::repo().join("knowledge/catalog/products.jsonl")).unwrap();
    let last = catalog
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|p| p["stock"] == 1 && p["price_minor"].as_i64().unwrap() >= 30_000)
        .unwrap();
    let one = json!({"product_id": last["id"], "quantity": 1}).to_string();
    assert_eq!(s.post("/v1/cart/items", Some(A), Some(&one)).0, 200);
    let (status, paid) = s.request_with(
        "POST",
        "/v1/checkout",
        Some(A),
        &[("Idempotency-Key", "stock-1")],
        Some("{}"),
    );
    assert_eq!(status, 201, "{paid}");
    let order = paid["orders"][0]["order_id"].as_str().unwrap().to_string();
    let (status, sold_out) = s.post("/v1/cart/items", Some(B), Some(&one));
    assert_eq!(
        (status, sold_out["error"]["code"].as_str()),
        (422, Some("out_of_stock"))
    );
    assert_eq!(cancel(&s, A, &order, "stock-c", "changed my mind").0, 200);
    assert_eq!(s.post("/v1/cart/items", Some(B), Some(&one)).0, 200);

    // A fixture a thousand years in its state is a 400 naming the field, not a panic.
    let body = json!({"orders": [{"items": [{"product_id": last["id"]}], "state": "ready", "minutes_in_state": 1e300}]});
    let (status, err) = s.post("/v1/test_helpers/fixtures", None, Some(&body.to_string()));
    assert_eq!(status, 400, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("minutes_in_state"),
        "{err}"
    );
}
