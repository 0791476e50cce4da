//! The HTTP skeleton end to end against the real binary: health, readiness,
//! metrics, JSON errors, ownership, and durability across `kill -9`.

mod common;

use common::{data_with_index, token, Server};

#[test]
fn skeleton_answers_and_errors_are_json() {
    let data = data_with_index("skeleton");
    let s = Server::start(&data, &[]);
    assert_eq!(s.get("/healthz", None).0, 200);
    let (status, body) = s.get("/readyz", None);
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));

    let (status, body) = s.get("/no/such/route", None);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, body) = s.post("/v1/sessions", None, None);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = s.post(
        "/v1/sessions",
        Some("Bearer v1.c.c-0001.99999999999.00"),
        None,
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = s.post("/v1/sessions", Some("demo:c-0001"), Some("{not json"));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
    let (status, _) = s.post(
        "/v1/sessions",
        Some("demo:c-0001"),
        Some(&format!("{{\"mode\": \"{}\"}}", "x".repeat(300_000))),
    );
    assert_eq!(status, 413);
    let (status, body) = s.post(
        "/v1/sessions",
        Some("demo:c-0001"),
        Some(r#"{"mode": "assist"}"#),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );

    let (_, metrics) = s.raw("GET", "/metrics", None, &[], None);
    assert!(metrics.contains("errand_ready 1"), "{metrics}");
    assert!(
        metrics.contains(
            "errand_http_requests_total{method=\"POST\",route=\"/v1/sessions\",status=\"401\"}"
        ),
        "{metrics}"
    );
}

#[test]
fn sessions_belong_to_their_customer() {
    let data = data_with_index("owner");
    let s = Server::start(&data, &[]);
    let alice = token(&data, &["--customer", "c-0001"]);
    let bob = token(&data, &["--customer", "c-0002"]);
    let agent = token(&data, &["--agent", "agent-7"]);
    let (status, created) = s.post("/v1/sessions", Some(&alice), None);
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    assert_eq!(s.get(&format!("/v1/sessions/{id}"), Some(&alice)).0, 200);
    let (status, body) = s.get(&format!("/v1/sessions/{id}"), Some(&bob));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_eq!(s.get(&format!("/v1/sessions/{id}"), Some(&agent)).0, 200);
    let (status, body) = s.post("/v1/sessions", Some(&agent), Some(r#"{"mode": "assist"}"#));
    assert_eq!((status, body["mode"].as_str()), (201, Some("assist")));
}

#[test]
fn acknowledged_write_survives_kill_9() {
    let data = data_with_index("durable");
    let s = Server::start(&data, &[]);
    let (status, created) = s.post("/v1/sessions", Some("demo:c-0042"), None);
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_string();
    s.kill9();

    let s = Server::start(&data, &[]);
    let (status, body) = s.get(&format!("/v1/sessions/{id}"), Some("demo:c-0042"));
    assert_eq!(
        (status, body["customer_id"].as_str()),
        (200, Some("c-0042")),
        "{body}"
    );
}

/// `errand bench store` places real checkouts on a private copy of the data,
/// every one answered, at each level asked for.
#[test]
fn bench_store_checks_out_at_each_level() {
    let data = data_with_index("bench-store");
    let out = common::errand()
        .args([
            "bench",
            "store",
            "--concurrency",
            "1,4",
            "--checkouts",
            "8",
            "--json",
            "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let levels: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let levels = levels.as_array().unwrap();
    assert_eq!(levels.len(), 2, "{levels:?}");
    for (l, clients) in levels.iter().zip([1, 4]) {
        assert_eq!(l["clients"], clients, "{l}");
        assert_eq!(
            (l["checkouts"].as_u64(), l["out_of_stock"].as_u64()),
            (Some(8), Some(0)),
            "{l}"
        );
        assert!(l["p99_ms"].as_f64().unwrap() >= l["p50_ms"].as_f64().unwrap());
    }
}

/// `errand bench chat` runs on a private copy of the data and reports both
/// paths; the figures themselves belong in the README, not in a test.
#[test]
fn bench_chat_reports_in_process_and_http_latency() {
    let data = data_with_index("bench-chat");
    let out = common::errand()
        .args(["bench", "chat", "--turns", "12", "--json", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["turns"], 12);
    for path in ["in_process", "http"] {
        let l = &report[path];
        assert!(l["p50_ms"].as_f64().unwrap() > 0.0, "{report}");
        assert!(l["p99_ms"].as_f64().unwrap() >= l["p50_ms"].as_f64().unwrap());
    }
}
