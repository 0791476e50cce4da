//! Stock alerts for agents: alerts follow the reorder rule of
//! help-stock-reorder-agent from the demand forecast, and a sale shows in
//! the stock at once.

mod common;

use common::token;
use serde_json::{json, Value};

const ME: &str = "demo:c-0001";

fn alerts(s: &common::Server, agent: &str, query: &str) -> Value {
    let (status, body) = s.get(&format!("/v1/ops/stock-alerts{query}"), Some(agent));
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn agents_get_reorders_by_days_of_cover_and_a_sale_lowers_the_stock() {
    let s = common::start_without_drivers("ops");
    let agent = token(&s.data, &["--agent", "agent-7"]);

    // Customers cannot see that the route exists.
    let (status, body) = s.get("/v1/ops/stock-alerts", Some(ME));
    assert_eq!(status, 404, "{body}");

    let all = alerts(&s, &agent, "?limit=500");
    assert_eq!(all["method"], "mstl");
    assert_eq!(all["article"], "help-stock-reorder-agent");
    let limit = all["lead_days"].as_f64().unwrap() + all["safety_days"].as_f64().unwrap();
    let list = all["alerts"].as_array().unwrap();
    assert!(list.len() > 10, "{all}");
    let mut last = 0.0;
    for a in list {
        let cover = a["days_of_cover"].as_f64().unwrap();
        assert!(cover <= limit + 0.05, "{a}");
        assert!(cover >= last, "not sorted by days of cover: {a}");
        last = cover;
        let daily = a["daily_forecast"].as_f64().unwrap();
        let stock = a["stock"].as_f64().unwrap();
        // Enough for the lead time and the cover days, less what is on the shelf.
        let wanted =
            daily * (all["lead_days"].as_f64().unwrap() + all["cover_days"].as_f64().unwrap());
        let q = a["reorder_quantity"].as_f64().unwrap();
        assert!(
            q >= 1.0 && (q - (wanted - stock)).abs() <= 1.0 + 0.05 * wanted,
            "{a}"
        );
    }

    // One store's alerts only, and the limit holds.
    let cafe = alerts(&s, &agent, "?merchant=m-beanthere&limit=3");
    let cafe = cafe["alerts"].as_array().unwrap();
    assert!(!cafe.is_empty() && cafe.len() <= 3);
    assert!(cafe.iter().all(|a| a["merchant_id"] == "m-beanthere"));

    // Buying an alerted product's last units shows at once.
    let target = list
        .iter()
        .filter(|a| a["stock"].as_u64().unwrap() > 0 && a["merchant_id"] != "m-beanthere")
        .max_by_key(|a| a["stock"].as_u64().unwrap())
        .unwrap();
    let id = target["product_id"].as_str().unwrap();
    let body = json!({"product_id": id, "quantity": target["stock"]}).to_string();
    let (status, cart) = s.post("/v1/cart/items", Some(ME), Some(&body));
    assert_eq!(status, 200, "{cart}");
    let (status, paid) = s.request_with(
        "POST",
        "/v1/checkout",
        Some(ME),
        &[("Idempotency-Key", "ops-1")],
        Some("{}"),
    );
    assert_eq!(status, 201, "{paid}");
    let after = alerts(&s, &agent, "?limit=500");
    let now = after["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["product_id"] == id)
        .unwrap_or_else(|| panic!("{id} left the alerts: {after}"));
    assert_eq!(now["stock"], 0, "{now}");
    assert_eq!(now["days_of_cover"], 0.0, "{now}");

    // Bad input names the problem.
    for (query, names) in [
        ("?merchant=m-nowhere", "merchant"),
        ("?limit=0", "limit"),
        ("?colour=red", "colour"),
    ] {
        let (status, body) = s.get(&format!("/v1/ops/stock-alerts{query}"), Some(&agent));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(names),
            "{body}"
        );
    }
}

#[test]
fn segments_are_computed_by_the_command_and_read_by_agents_only() {
    let s = common::start_without_drivers("segments");
    let agent = token(&s.data, &["--agent", "agent-7"]);

    // Before any run there is nothing to read; customers never see the route.
    let (status, body) = s.get("/v1/ops/segments", Some(&agent));
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("errand segments"));

    let mut cmd = common::errand();
    cmd.args(["segments", "--json", "--data"]).arg(&s.data);
    let run: Value = serde_json::from_slice(&common::run_ok(&mut cmd)).unwrap();

    let (status, got) = s.get("/v1/ops/segments", Some(&agent));
    assert_eq!(status, 200, "{got}");
    let k = got["k"].as_u64().unwrap();
    assert!((2..=6).contains(&k), "{got}");
    assert_eq!(got["k"], run["k"]);
    assert_eq!(got["tried"].as_array().unwrap().len(), 5, "{got}");
    let silhouette = got["silhouette"].as_f64().unwrap();
    assert!(silhouette > 0.0 && silhouette <= 1.0, "{got}");
    // The best k was kept.
    assert!(got["tried"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t[1].as_f64().unwrap() <= silhouette + 1e-9));
    let segments = got["segments"].as_array().unwrap();
    assert_eq!(segments.len() as u64, k);
    let members: u64 = segments
        .iter()
        .map(|g| g["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(members, got["customers"].as_u64().unwrap());
    assert!(members > 100, "{got}");
    let mut names: Vec<&str> = segments
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len() as u64, k, "segments share a name: {got}");

    let (status, body) = s.get("/v1/ops/segments", Some(ME));
    assert_eq!(status, 404, "{body}");
    assert!(!body.to_string().contains("segment"), "{body}");
}

#[test]
fn agents_see_the_fleet_heatmap_and_the_simulator_applies_the_plan() {
    let s = common::start_without_drivers("ops-fleet");
    let agent = token(&s.data, &["--agent", "agent-7"]);
    let (status, body) = s.get("/v1/ops/fleet", Some(ME));
    assert_eq!(status, 404, "{body}");
    for bad in ["?hour=24", "?hour=x", "?hours=3"] {
        let (status, body) = s.get(&format!("/v1/ops/fleet{bad}"), Some(&agent));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("hour"),
            "{bad}: {body}"
        );
    }

    // Nine in the morning: the heatmap averages the same weekday's last
    // four weeks; every move stays within the policy's reach and is paid
    // per road kilometre.
    let (status, morning) = s.get("/v1/ops/fleet?hour=9", Some(&agent));
    assert_eq!(status, 200, "{morning}");
    assert_eq!(morning["hour"], 9);
    assert_eq!(
        morning["history_days"].as_array().unwrap().len(),
        4,
        "{morning}"
    );
    let areas = morning["areas"].as_array().unwrap();
    assert!(areas.len() >= 30, "{morning}");
    assert!(areas
        .iter()
        .all(|a| a["expected"].as_array().unwrap().len() == 24));
    let at = |a: &Value, h: usize| a["expected"][h].as_f64().unwrap();
    let nine: f64 = areas.iter().map(|a| at(a, 9)).sum();
    let four: f64 = areas.iter().map(|a| at(a, 4)).sum();
    assert!(nine > 3.0 * four, "rush hour {nine} against night {four}");
    let drivers: u64 = areas
        .iter()
        .map(|a| a["idle_drivers"].as_u64().unwrap() + a["busy_drivers"].as_u64().unwrap())
        .sum();
    assert_eq!(drivers, 40);
    let moves = morning["moves"].as_array().unwrap();
    let mut ids: Vec<&str> = moves
        .iter()
        .map(|m| m["driver_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), moves.len(), "a driver moved twice: {morning}");
    for m in moves {
        let km = m["km"].as_f64().unwrap();
        assert!((1.0..=6.0).contains(&km), "{m}");
        assert_ne!(m["from_area"], m["to_area"], "{m}");
        let paid = m["incentive_minor"].as_f64().unwrap();
        assert!((paid - km * 1.3 * 800.0).abs() <= 10.0, "{m}");
    }
    for g in morning["surge"].as_array().unwrap() {
        let tenths = g["surge_tenths"].as_i64().unwrap();
        assert!((11..=20).contains(&tenths), "{g}");
    }

    // The simulator moved the idle drivers for the current hour: asked
    // again for this hour, the plan has nothing left to move.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, now) = s.get("/v1/ops/fleet", Some(&agent));
        assert_eq!(status, 200, "{now}");
        if now["moves"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never rebalanced: {now}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
