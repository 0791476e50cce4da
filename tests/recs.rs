//! Recommendations over HTTP: every kind answers from the order history,
//! only with products in stock that the customer's diet allows, with at
//! most a third of a row from one category; a new order is learned at once;
//! bad queries get 4xx naming the parameter.

mod common;

use std::collections::{HashMap, HashSet};

use common::Server;
use serde_json::{json, Value};

/// A vegetarian in Indira Nagar (knowledge/seed/customers.jsonl).
const ME: &str = "demo:c-0001";

fn catalog() -> HashMap<String, Value> {
    std::fs::read_to_string(common::repo().join("knowledge/catalog/products.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|p| (p["id"].as_str().unwrap().to_string(), p))
        .collect()
}

fn seed_orders() -> Vec<Value> {
    std::fs::read_to_string(common::repo().join("knowledge/seed/orders.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect()
}

fn recs(s: &Server, who: &str, query: &str) -> Value {
    let (status, body) = s.get(&format!("/v1/recommendations?{query}"), Some(who));
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn items(r: &Value) -> Vec<Value> {
    r["items"].as_array().unwrap().clone()
}

/// What every list must hold to: in stock, vegetarian for this customer, no
/// repeats; and, from a pool as wide as the catalog, no category over the
/// cap (from one restaurant's few categories, the cap gives way to a full row).
fn check_row(r: &Value, limit: usize, catalog: &HashMap<String, Value>, wide: bool) {
    let rows = items(r);
    assert!(!rows.is_empty() && rows.len() <= limit, "{r}");
    let mut seen = HashSet::new();
    let mut per_category: HashMap<String, usize> = HashMap::new();
    for i in &rows {
        let id = i["product_id"].as_str().unwrap();
        assert!(seen.insert(id.to_string()), "{id} twice in {r}");
        let p = &catalog[id];
        assert!(p["stock"].as_u64().unwrap() > 0, "{id} is out of stock");
        let tags = p["tags"].as_array().unwrap();
        assert!(tags.contains(&json!("veg")), "{id} is not vegetarian");
        *per_category
            .entry(p["category"].as_str().unwrap().into())
            .or_default() += 1;
    }
    let cap = limit.div_ceil(3).max(2);
    assert!(
        !wide || per_category.values().all(|&n| n <= cap),
        "more than {cap} of one category: {per_category:?}"
    );
}

#[test]
fn every_kind_answers_within_stock_diet_and_the_category_cap() {
    let s = common::start_without_drivers("recs-kinds");
    let catalog = catalog();

    let top = recs(&s, ME, "kind=top_area&limit=10");
    assert_eq!(top["area"], "Indira Nagar");
    // The seed history ends before today, so the window widens past a week.
    assert!(top["window_days"].as_u64().is_none_or(|d| d > 7), "{top}");
    check_row(&top, 10, &catalog, true);
    assert!(items(&top)
        .iter()
        .all(|i| i["because"] == "popular_nearby" && i["count"].as_u64().unwrap() >= 1));
    let counts: Vec<u64> = items(&top)
        .iter()
        .map(|i| i["count"].as_u64().unwrap())
        .collect();
    assert!(counts[0] >= *counts.last().unwrap(), "{counts:?}");

    let new = recs(&s, ME, "kind=new&limit=8");
    check_row(&new, 8, &catalog, true);
    let dates: Vec<String> = items(&new)
        .iter()
        .map(|i| i["added"].as_str().unwrap().to_string())
        .collect();
    let newest_listed = catalog
        .values()
        .filter(|p| p["stock"].as_u64().unwrap() > 0)
        .filter(|p| p["tags"].as_array().unwrap().contains(&json!("veg")))
        .map(|p| p["added"].as_str().unwrap())
        .max()
        .unwrap();
    assert_eq!(dates[0], newest_listed);

    // The product ordered most in the seed history, and what went with it most.
    let mut freq: HashMap<String, usize> = HashMap::new();
    for o in seed_orders() {
        for it in o["items"].as_array().unwrap() {
            let id = it["product_id"].as_str().unwrap();
            if catalog[id]["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("veg"))
            {
                *freq.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    let seed = freq
        .iter()
        .max_by_key(|(id, n)| (**n, *id))
        .unwrap()
        .0
        .clone();
    let also = recs(&s, ME, &format!("kind=also_like&product_id={seed}&limit=6"));
    check_row(&also, 6, &catalog, false);
    let rows = items(&also);
    assert!(rows.iter().all(|i| i["product_id"] != seed.as_str()));
    assert_eq!(rows[0]["because"], "bought_together", "{also}");
    assert!(rows[0]["count"].as_u64().unwrap() >= 1);

    // The usual: c-0001's own past products, most recent habits first.
    let usual = recs(&s, ME, "kind=usual&limit=5");
    let bought: HashSet<String> = seed_orders()
        .iter()
        .filter(|o| o["customer_id"] == "c-0001")
        .flat_map(|o| o["items"].as_array().unwrap().clone())
        .map(|it| it["product_id"].as_str().unwrap().to_string())
        .collect();
    assert!(!items(&usual).is_empty());
    for i in items(&usual) {
        assert!(bought.contains(i["product_id"].as_str().unwrap()), "{i}");
        assert_eq!(i["because"], "you_bought");
        assert!(i["quantity"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn a_new_order_is_learned_at_once_and_the_cart_row_nudges_toward_an_offer() {
    let s = common::start_without_drivers("recs-learn");
    let catalog = catalog();
    let ordered: HashSet<String> = seed_orders()
        .iter()
        .flat_map(|o| o["items"].as_array().unwrap().clone())
        .map(|it| it["product_id"].as_str().unwrap().to_string())
        .collect();
    // Two FreshCart products nobody has ordered: nothing links them yet.
    let mut fresh: Vec<&Value> = catalog
        .values()
        .filter(|p| {
            p["merchant_id"] == "m-freshcart"
                && !ordered.contains(p["id"].as_str().unwrap())
                && p["stock"].as_u64().unwrap() >= 20
                && p["tags"].as_array().unwrap().contains(&json!("vegan"))
                && p["options"].as_array().is_none_or(|o| o.is_empty())
                && p["price_minor"].as_i64().unwrap() >= 10_000
        })
        .collect();
    fresh.sort_by_key(|p| p["id"].as_str().unwrap().to_string());
    let (a, b) = (
        fresh[0]["id"].as_str().unwrap(),
        fresh[1]["id"].as_str().unwrap(),
    );
    let before = recs(&s, ME, &format!("kind=also_like&product_id={a}"));
    assert!(items(&before)
        .iter()
        .all(|i| i["because"] != "bought_together"));

    for p in [a, b] {
        let (status, cart) = s.post(
            "/v1/cart/items",
            Some(ME),
            Some(&json!({ "product_id": p, "quantity": 2 }).to_string()),
        );
        assert_eq!(status, 200, "{cart}");
    }
    let cart_row = recs(&s, ME, "kind=cart&limit=10");
    check_row(&cart_row, 10, &catalog, false);
    assert!(items(&cart_row)
        .iter()
        .all(|i| i["product_id"] != a && i["product_id"] != b));
    let (_, cart) = s.get("/v1/cart", Some(ME));
    match (&cart["nudge"], &cart_row["nudge"]) {
        (Value::Null, n) => assert!(n.is_null(), "a nudge with no offer in reach: {n}"),
        (offer, n) if !n.is_null() => {
            assert_eq!(n["offer_id"], offer["offer_id"]);
            assert!(
                n["price_minor"].as_i64() >= offer["add_minor"].as_i64(),
                "{n}"
            );
            assert!(items(&cart_row)
                .iter()
                .any(|i| i["product_id"] == n["product_id"]));
        }
        _ => {}
    }

    let (status, paid) = s.request_with(
        "POST",
        "/v1/checkout",
        Some(ME),
        &[("Idempotency-Key", "recs-learn-1")],
        Some("{}"),
    );
    assert_eq!(status, 201, "{paid}");
    let after = recs(&s, ME, &format!("kind=also_like&product_id={a}"));
    assert_eq!(items(&after)[0]["product_id"], b, "{after}");
    assert_eq!(items(&after)[0]["because"], "bought_together");
    assert_eq!(items(&after)[0]["count"], 1);
    let usual = recs(&s, ME, "kind=usual&limit=10");
    let mine = items(&usual);
    let got = mine
        .iter()
        .find(|i| i["product_id"] == a)
        .expect("a in the usual");
    assert_eq!(got["quantity"], 2);
}

#[test]
fn bad_queries_name_the_parameter() {
    let s = common::start_without_drivers("recs-bad");
    for (query, field) in [
        ("", "kind"),
        ("kind=bogus", "kind"),
        ("kind=also_like", "product_id"),
        ("kind=also_like&product_id=p-nope", "product_id"),
        ("kind=new&limit=0", "limit"),
        ("kind=new&limit=51", "limit"),
        ("kind=top_area&days=0", "days"),
        ("kind=new&colour=red", "colour"),
    ] {
        let (status, body) = s.get(&format!("/v1/recommendations?{query}"), Some(ME));
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{query}: {message}");
    }
    let (status, _) = s.get("/v1/recommendations?kind=new", None);
    assert_eq!(status, 401);
}

/// `errand eval recs` over our orders, then over the same history exported
/// in the external next-basket format: the same figures for every method the
/// format can carry (areas and categories it cannot).
#[test]
fn the_evaluation_reads_back_what_it_exports() {
    let data = common::data_with_index("recs-eval");
    let out = common::temp_dir("recs-export");
    let run = |args: &[&str]| -> Value {
        let o = common::errand()
            .args(["eval", "recs", "--json", "--data"])
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let ours = run(&["--export", out.to_str().unwrap()]);
    let history = out.join("history.json");
    let future = out.join("future.json");
    let theirs = run(&[
        "--history",
        history.to_str().unwrap(),
        "--future",
        future.to_str().unwrap(),
    ]);
    assert_eq!(ours["users"], theirs["users"]);
    assert_eq!(ours["train_baskets"], theirs["train_baskets"]);
    let rows = |r: &Value| -> HashMap<String, Value> {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row["method"].as_str().unwrap().to_string(), row.clone()))
            .collect()
    };
    let (ours, theirs) = (rows(&ours), rows(&theirs));
    assert!(ours.contains_key("popular_area") && !theirs.contains_key("popular_area"));
    for (method, t) in &theirs {
        let o = &ours[method];
        for metric in ["recall", "ndcg", "hit_rate", "coverage"] {
            assert_eq!(o[metric], t[metric], "{method} {metric}");
        }
        assert!(t["diversity"].is_null() && o["diversity"].is_number());
    }
    // Repeat purchase beats global popularity on a history with habits.
    assert!(ours["repeat"]["recall"].as_f64() > ours["popular"]["recall"].as_f64());
    let items: HashMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(out.join("items.json")).unwrap()).unwrap();
    assert!(items.values().all(|p| p.starts_with("p-")));

    // A file not in the format is refused with what was expected.
    std::fs::write(&future, r#"{"7": [[-1], [1, 2], [3], [-1]]}"#).unwrap();
    let o = common::errand()
        .args(["eval", "recs", "--history"])
        .arg(&history)
        .arg("--future")
        .arg(&future)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("one per user"));
}

#[test]
fn similar_ranks_what_the_callers_segment_orders() {
    let s = common::start_without_drivers("recs-similar");
    let catalog = catalog();
    common::run_ok(common::errand_on(&s.data).arg("segments"));
    let agent = common::token(&s.data, &["--agent", "agent-7"]);
    let (_, run) = s.get("/v1/ops/segments", Some(&agent));
    let names: Vec<&str> = run["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    let similar = recs(&s, ME, "kind=similar&limit=8");
    assert!(
        names.contains(&similar["segment"].as_str().unwrap()),
        "{similar} {run}"
    );
    check_row(&similar, 8, &catalog, true);
    let rows = items(&similar);
    assert!(
        rows.iter().all(|i| i["because"] == "popular_with_similar"),
        "{similar}"
    );
    let counts: Vec<u64> = rows.iter().map(|i| i["count"].as_u64().unwrap()).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]) && counts[0] >= 2,
        "{counts:?}"
    );
    // Counted over the segment only: the top row was ordered by its members
    // no more often than by everyone.
    let everyone = seed_orders()
        .iter()
        .filter(|o| {
            o["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|it| it["product_id"] == rows[0]["product_id"])
        })
        .count() as u64;
    assert!(counts[0] <= everyone, "{counts:?} against {everyone}");
}
