//! Agentic Commerce Protocol checkout against a live server, driven by the
//! spec's own example payloads (`tests/acp/examples.json`, copied unchanged
//! from the protocol's repository): each request is sent as written, with
//! only the item ids swapped for products we sell, and every answer is
//! checked against the spec's required fields, its error shape and Errand's
//! own books.

mod common;

use common::Server;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "acp-test-signing-secret";
const A: &str = "demo:c-0001";
const B: &str = "demo:c-0002";

fn examples() -> Value {
    let text = std::fs::read_to_string(common::repo().join("tests/acp/examples.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn product(merchant: &str) -> String {
    let catalog =
        std::fs::read_to_string(common::repo().join("knowledge/catalog/products.jsonl")).unwrap();
    catalog
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|p| {
            p["merchant_id"] == merchant
                && p["stock"].as_i64().unwrap() >= 20
                && p.get("options").is_none()
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn signature(body: &str, at: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{at}.{body}").as_bytes());
    format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A signed ACP request; `key` is the Idempotency-Key (POST only).
fn acp(
    s: &Server,
    who: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let text = body.map(Value::to_string).unwrap_or_default();
    let sig = signature(&text, chrono::Utc::now().timestamp());
    let mut headers = vec![("API-Version", "2026-04-17"), ("Signature", sig.as_str())];
    if let Some(k) = key {
        headers.push(("Idempotency-Key", k));
    }
    s.request_with(
        method,
        path,
        Some(who),
        &headers,
        body.map(|_| text.as_str()),
    )
}

fn amount(session: &Value, kind: &str) -> i64 {
    session["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == kind)
        .map_or(0, |t| t["amount"].as_i64().unwrap())
}

/// The spec's required fields, and totals that add up to the minor unit.
fn well_formed(session: &Value) {
    for field in [
        "id",
        "status",
        "currency",
        "line_items",
        "totals",
        "fulfillment_options",
        "messages",
        "links",
        "capabilities",
    ] {
        assert!(session.get(field).is_some(), "no `{field}` in {session}");
    }
    let sum = amount(session, "items_base_amount") - amount(session, "discount")
        + amount(session, "fulfillment")
        + amount(session, "fee")
        + amount(session, "tax");
    assert_eq!(
        sum,
        amount(session, "total"),
        "totals do not add up: {session}"
    );
}

/// The spec's create example, for our products: one pack each.
fn create_body(ids: &[String]) -> Value {
    let mut body = examples()["create_checkout_session_request"].clone();
    body["line_items"] = ids
        .iter()
        .map(|id| json!({ "id": id, "quantity": 2 }))
        .collect();
    body
}

fn server(tag: &str) -> Server {
    Server::start(
        &common::data_with_index(tag),
        &["--acp-signing-secret", SECRET],
    )
}

#[test]
fn a_session_spanning_two_stores_pays_once_at_the_total_shown() {
    let s = server("acp-flow");
    let ex = examples();
    let ids = [product("m-quickmart"), product("m-biryanidarbar")];
    let (status, created) = acp(
        &s,
        A,
        "POST",
        "/checkout_sessions",
        Some("k-create"),
        Some(&create_body(&ids)),
    );
    assert_eq!(status, 201, "{created}");
    well_formed(&created);
    assert_eq!(created["status"], "ready_for_payment", "{created}");
    assert_eq!(created["fulfillment_options"].as_array().unwrap().len(), 2);
    let id = created["id"].as_str().unwrap();
    let path = format!("/checkout_sessions/{id}");

    // The create is idempotent: the same key and body is the same session.
    let (_, again) = acp(
        &s,
        A,
        "POST",
        "/checkout_sessions",
        Some("k-create"),
        Some(&create_body(&ids)),
    );
    assert_eq!(again["id"], created["id"]);
    // The same key with another body is the spec's 422.
    let (status, conflict) = acp(
        &s,
        A,
        "POST",
        "/checkout_sessions",
        Some("k-create"),
        Some(&create_body(&ids[..1])),
    );
    assert_eq!(status, 422, "{conflict}");
    let want = &ex["error_422_idempotency_conflict"];
    assert_eq!(
        (&conflict["type"], &conflict["code"]),
        (&want["type"], &want["code"])
    );

    // The spec's update example names an option this session does not offer.
    let (status, wrong) = acp(
        &s,
        A,
        "POST",
        &path,
        Some("k-upd-1"),
        Some(&ex["update_checkout_session_request"]),
    );
    assert_eq!(status, 400, "{wrong}");
    assert_eq!(
        wrong["param"],
        "$.selected_fulfillment_options[0].option_id"
    );
    let mut update = ex["update_checkout_session_request"].clone();
    update["selected_fulfillment_options"][0]["option_id"] =
        created["fulfillment_options"][0]["id"].clone();
    let (status, updated) = acp(&s, A, "POST", &path, Some("k-upd-2"), Some(&update));
    assert_eq!(status, 200, "{updated}");
    well_formed(&updated);

    // Someone else's session is exactly like a missing one.
    let (mine, _) = acp(&s, B, "GET", &path, None, None);
    let (missing, _) = acp(&s, B, "GET", "/checkout_sessions/cs-nope", None, None);
    assert_eq!((mine, missing), (404, 404));

    // Complete with the spec's example: one payment, one order per store.
    let (_, shown) = acp(&s, A, "GET", &path, None, None);
    let total = amount(&shown, "total");
    let complete = &ex["complete_checkout_session_request"];
    let (status, done) = acp(
        &s,
        A,
        "POST",
        &format!("{path}/complete"),
        Some("k-pay"),
        Some(complete),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["order"]["total"], total);
    let orders = done["order"]["metadata"]["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    let breakup: i64 = orders
        .iter()
        .map(|o| o["total_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(
        breakup, total,
        "the per-store breakup is the total to the paisa"
    );
    // A retry replays; another key cannot pay again.
    let (_, replay) = acp(
        &s,
        A,
        "POST",
        &format!("{path}/complete"),
        Some("k-pay"),
        Some(complete),
    );
    assert_eq!(replay["order"]["id"], done["order"]["id"]);
    let (status, twice) = acp(
        &s,
        A,
        "POST",
        &format!("{path}/complete"),
        Some("k-pay-2"),
        Some(complete),
    );
    assert_eq!(status, 422, "{twice}");
    let (_, orders_now) = s.get("/v1/orders", Some(A));
    let placed = orders_now["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| orders.iter().any(|b| b["order_id"] == o["id"]))
        .count();
    assert_eq!(placed, 2, "{orders_now}");
}

#[test]
fn a_changed_cart_is_not_paid_at_the_old_total_and_a_canceled_session_never_pays() {
    let s = server("acp-terms");
    let ex = examples();
    let ids = [product("m-quickmart")];
    let (_, created) = acp(
        &s,
        A,
        "POST",
        "/checkout_sessions",
        Some("k1"),
        Some(&create_body(&ids)),
    );
    let path = format!("/checkout_sessions/{}", created["id"].as_str().unwrap());
    // The same cart changes in the widget after the agent was shown the total.
    let body = json!({ "product_id": ids[0], "quantity": 1 }).to_string();
    assert_eq!(s.post("/v1/cart/items", Some(A), Some(&body)).0, 200);
    let complete = &ex["complete_checkout_session_request"];
    let (status, refused) = acp(
        &s,
        A,
        "POST",
        &format!("{path}/complete"),
        Some("k2"),
        Some(complete),
    );
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("terms_changed")),
        "{refused}"
    );
    // Shown again, the new total can be paid.
    let (_, shown) = acp(&s, A, "GET", &path, None, None);
    let (status, done) = acp(
        &s,
        A,
        "POST",
        &format!("{path}/complete"),
        Some("k3"),
        Some(complete),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["order"]["total"], amount(&shown, "total"));

    let (_, other) = acp(
        &s,
        A,
        "POST",
        "/checkout_sessions",
        Some("k4"),
        Some(&create_body(&ids)),
    );
    let path = format!("/checkout_sessions/{}", other["id"].as_str().unwrap());
    let (status, canceled) = acp(
        &s,
        A,
        "POST",
        &format!("{path}/cancel"),
        Some("k5"),
        Some(&ex["cancel_checkout_session_request"]),
    );
    assert_eq!(
        (status, canceled["status"].as_str()),
        (200, Some("canceled")),
        "{canceled}"
    );
    let (status, _) = acp(
        &s,
        A,
        "POST",
        &format!("{path}/complete"),
        Some("k6"),
        Some(complete),
    );
    assert_eq!(status, 422);
}

#[test]
fn headers_signatures_and_bad_input_get_the_protocols_errors() {
    let s = server("acp-errors");
    let ex = examples();
    // The spec's own create example names an item we do not sell.
    let (status, unknown) = acp(
        &s,
        A,
        "POST",
        "/checkout_sessions",
        Some("e1"),
        Some(&ex["create_checkout_session_request"]),
    );
    assert_eq!(status, 400, "{unknown}");
    assert_eq!(unknown["type"], ex["error_400_invalid_item"]["type"]);
    assert_eq!(unknown["param"], "$.line_items[0].id");

    let body = create_body(&[product("m-quickmart")]).to_string();
    let now = chrono::Utc::now().timestamp();
    let sig = signature(&body, now);
    let post = |headers: &[(&str, &str)]| {
        s.request_with("POST", "/checkout_sessions", Some(A), headers, Some(&body))
    };

    let (status, no_key) = post(&[("API-Version", "2026-04-17"), ("Signature", &sig)]);
    let want = &ex["error_400_idempotency_key_required"];
    assert_eq!(status, 400);
    assert_eq!(
        (&no_key["type"], &no_key["code"]),
        (&want["type"], &want["code"])
    );

    let (status, no_version) = post(&[("Idempotency-Key", "e2"), ("Signature", &sig)]);
    assert_eq!(
        (status, no_version["code"].as_str()),
        (400, Some("api_version_required"))
    );

    for bad in [
        String::new(),
        signature(&body, now - 900),
        signature("{}", now),
        "t=1,v1=zz".into(),
    ] {
        let (status, unsigned) = post(&[
            ("API-Version", "2026-04-17"),
            ("Idempotency-Key", "e3"),
            ("Signature", &bad),
        ]);
        assert_eq!(
            (status, unsigned["code"].as_str()),
            (401, Some("invalid_signature")),
            "{bad}: {unsigned}"
        );
    }

    let (status, junk) = acp(
        &s,
        A,
        "POST",
        "/checkout_sessions",
        Some("e4"),
        Some(&json!({ "line_items": "many" })),
    );
    assert_eq!(
        (status, junk["type"].as_str()),
        (400, Some("invalid_request")),
        "{junk}"
    );
    let (status, missing) = acp(
        &s,
        A,
        "POST",
        "/checkout_sessions/cs-nope/complete",
        Some("e5"),
        Some(&ex["complete_checkout_session_request"]),
    );
    assert_eq!(
        (status, missing["type"].as_str()),
        (404, Some("invalid_request")),
        "{missing}"
    );
    let (status, _) = s.request_with(
        "GET",
        "/checkout_sessions/cs-nope",
        None,
        &[("API-Version", "2026-04-17")],
        None,
    );
    assert_eq!(status, 401);
}
