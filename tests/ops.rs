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

    let mut cmd = common::errand_on(&s.data);
    cmd.args(["segments", "--json"]);
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

    // The win-back coupon targets `recency:high`: exactly the customers of
    // the segments placed there see it, and only they can use it.
    let lapsed: u64 = segments
        .iter()
        .filter(|g| {
            g["levels"]
                .as_array()
                .unwrap()
                .contains(&json!("recency:high"))
        })
        .map(|g| g["customers"].as_u64().unwrap())
        .sum();
    assert!(lapsed > 0, "no lapsed segment: {got}");
    let mut offered = Vec::new();
    let mut not = Vec::new();
    for n in 1..=320 {
        let who = format!("demo:c-{n:04}");
        let (status, body) = s.get("/v1/offers", Some(&who));
        assert_eq!(status, 200, "{body}");
        let has = body["offers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == "comeback75");
        if has {
            offered.push(who)
        } else {
            not.push(who)
        }
    }
    assert_eq!(offered.len() as u64, lapsed);
    let coupon = |who: &str| {
        let add = json!({"product_id": "p-slicerepublic-0001", "quantity": 2, "options": {"size": ["large"]}});
        let (status, cart) = s.post("/v1/cart/items", Some(who), Some(&add.to_string()));
        assert_eq!(status, 200, "{cart}");
        let (status, cart) = s.request(
            "PUT",
            "/v1/cart/coupon",
            Some(who),
            Some(r#"{"code":"comeback75"}"#),
        );
        assert_eq!(status, 200, "{cart}");
        cart["coupon"].clone()
    };
    assert_eq!(coupon(&offered[0])["applied"], true);
    let refused = coupon(&not[0]);
    assert_eq!(refused["applied"], false);
    assert!(
        refused["reason"].as_str().unwrap().contains("recency:high"),
        "{refused}"
    );
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

    // The demand chart's numbers: eight weeks sold and four forecast per store.
    let (status, all) = s.get("/v1/ops/forecast", Some(&agent));
    assert_eq!(status, 200, "{all}");
    let stores = all.as_array().unwrap();
    assert_eq!(stores.len(), 12, "{all}");
    for st in stores {
        assert_eq!(st["history"].as_array().unwrap().len(), 56, "{st}");
        let f = st["forecast"].as_array().unwrap();
        assert_eq!(f.len(), 28, "{st}");
        assert!(f.iter().all(|v| v.as_f64().unwrap() >= 0.0), "{st}");
    }
    let (_, one) = s.get("/v1/ops/forecast?merchant=m-beanthere", Some(&agent));
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one[0]["merchant_id"], "m-beanthere");
    let (status, body) = s.get("/v1/ops/forecast?merchant=m-nowhere", Some(&agent));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("m-nowhere"),
        "{body}"
    );
    assert_eq!(s.get("/v1/ops/forecast", Some(ME)).0, 404);

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

fn usual(s: &common::Server, who: &str) -> Value {
    let (status, body) = s.get("/v1/recommendations?kind=usual&limit=5", Some(who));
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn an_experiment_splits_customers_and_counts_what_followed_each_showing_once() {
    let s = common::start_without_drivers("ops-experiments");
    let agent = token(&s.data, &["--agent", "agent-7"]);
    let mut seen = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut shown: Vec<(String, Value)> = Vec::new();
    for n in 1..=40 {
        let who = format!("demo:c-{n:04}");
        let recs = usual(&s, &who);
        let arm = &recs["experiment"];
        assert_eq!(arm["experiment"], "usual-ranking", "{recs}");
        // The same customer always lands in the same variant.
        assert_eq!(usual(&s, &who)["experiment"], *arm);
        let variant = arm["variant"].as_str().unwrap().to_string();
        seen.entry(variant).or_default().push(who.clone());
        if let Some(first) = recs["items"].as_array().unwrap().first() {
            shown.push((who, first.clone()));
        }
    }
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        ["repeat", "tifu"],
        "{seen:?}"
    );
    assert!(seen.values().all(|v| v.len() >= 10), "{seen:?}");
    assert!(shown.len() >= 30, "{shown:?}");

    // Half click the first product (twice: it counts once), a third of
    // those add it to the cart and buy it.
    let mut clicked = 0;
    let mut bought = 0;
    for (i, (who, item)) in shown.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let body = json!({"product_id": item["product_id"]}).to_string();
        for _ in 0..2 {
            let (status, b) = s.post("/v1/recommendations/clicks", Some(who), Some(&body));
            assert_eq!(status, 204, "{b}");
        }
        clicked += 1;
        if i % 3 == 0 && !item["needs_options"].as_bool().unwrap() {
            let add = json!({"product_id": item["product_id"], "quantity": 1}).to_string();
            let (status, cart) = s.post("/v1/cart/items", Some(who), Some(&add));
            assert_eq!(status, 200, "{cart}");
            let key = format!("exp-{i}");
            let (status, paid) = s.request_with(
                "POST",
                "/v1/checkout",
                Some(who),
                &[("Idempotency-Key", &key)],
                Some("{}"),
            );
            if status == 201 {
                bought += 1;
            } else {
                assert_eq!(paid["error"]["code"], "below_minimum", "{paid}");
            }
        }
    }
    assert!(
        bought > 0 && clicked > bought,
        "{clicked} clicked, {bought} bought"
    );
    // A product nobody showed them is not a click.
    let (status, body) = s.post(
        "/v1/recommendations/clicks",
        Some(ME),
        Some(r#"{"product_id": "p-nothing-like-it"}"#),
    );
    assert_eq!(status, 404, "{body}");

    let (status, r) = s.get("/v1/ops/experiments/usual-ranking", Some(&agent));
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["control"], "repeat");
    assert_eq!(r["article"], "help-experiments-agent");
    let variants = r["variants"].as_array().unwrap();
    let sum = |f: &dyn Fn(&Value) -> u64| variants.iter().map(f).sum::<u64>();
    assert_eq!(sum(&|v| v["exposed"].as_u64().unwrap()), shown.len() as u64);
    assert_eq!(sum(&|v| v["click"]["customers"].as_u64().unwrap()), clicked);
    assert_eq!(sum(&|v| v["order"]["customers"].as_u64().unwrap()), bought);
    assert!(sum(&|v| v["add_to_cart"]["customers"].as_u64().unwrap()) >= bought);
    for v in variants {
        let exposed = v["exposed"].as_u64().unwrap();
        assert_eq!(
            exposed,
            seen[v["variant"].as_str().unwrap()].len() as u64 - seen_empty(&shown, &seen, v)
        );
        let click = &v["click"];
        let (lo, hi) = (
            click["interval"][0].as_f64().unwrap(),
            click["interval"][1].as_f64().unwrap(),
        );
        let rate = click["rate"].as_f64().unwrap();
        assert!(lo <= rate && rate <= hi && lo >= 0.0 && hi <= 1.0, "{v}");
    }
    let comparisons = r["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 3, "{r}");
    for c in comparisons {
        assert_eq!(c["variant"], "tifu");
        let p = c["p_value"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{c}");
        assert_eq!(c["significant"], p < 0.05, "{c}");
    }
    let (status, all) = s.get("/v1/ops/experiments", Some(&agent));
    assert_eq!(
        (status, all[0]["id"].as_str()),
        (200, Some("usual-ranking"))
    );

    // Drift: every input reported, on a scale that cannot be negative.
    let (status, d) = s.get("/v1/ops/drift?days=7", Some(&agent));
    assert_eq!(status, 200, "{d}");
    let inputs = d["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3, "{d}");
    for i in inputs {
        assert!(i["psi"].as_f64().unwrap() >= 0.0, "{i}");
        let status = i["status"].as_str().unwrap();
        assert!(
            ["stable", "watch", "shifted", "too_few"].contains(&status),
            "{i}"
        );
    }
    let shown_now = inputs
        .iter()
        .find(|i| i["input"] == "recommended_category")
        .unwrap();
    assert_eq!(shown_now["baseline"], 0, "{shown_now}");
    assert!(
        shown_now["recent"].as_u64().unwrap() >= shown.len() as u64,
        "{shown_now}"
    );
    assert_eq!(shown_now["status"], "too_few", "{shown_now}");
    assert_eq!(s.get("/v1/ops/drift?days=0", Some(&agent)).0, 400);

    // Customers cannot see any of it; an unknown experiment is missing.
    for path in [
        "/v1/ops/experiments",
        "/v1/ops/experiments/usual-ranking",
        "/v1/ops/drift",
    ] {
        assert_eq!(s.get(path, Some(ME)).0, 404, "{path}");
    }
    assert_eq!(s.get("/v1/ops/experiments/nope", Some(&agent)).0, 404);
}

/// Customers of `v`'s variant whose list came back empty (never shown).
fn seen_empty(
    shown: &[(String, Value)],
    seen: &std::collections::BTreeMap<String, Vec<String>>,
    v: &Value,
) -> u64 {
    seen[v["variant"].as_str().unwrap()]
        .iter()
        .filter(|who| !shown.iter().any(|(w, _)| w == *who))
        .count() as u64
}
