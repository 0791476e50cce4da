//! Two replicas of `errand serve` on one PostgreSQL database, as production
//! runs them: customers' checkouts and chats spread across both, retries
//! land on the other replica, and the last units of a product are fought
//! over from both sides. Afterwards the database is read directly: nothing
//! lost, nothing charged or placed twice, nothing oversold, and the order
//! simulator moved each order through each state once.
//!
//! Runs under `make test`'s PostgreSQL pass (`ERRAND_TEST_POSTGRES`); SQLite
//! has one writer process, so there is nothing to test there.

mod common;

use std::collections::HashMap;

use common::Server;
use serde_json::{json, Value};

fn checkout(s: &Server, who: &str, key: &str) -> (u16, Value) {
    s.request_with(
        "POST",
        "/v1/checkout",
        Some(who),
        &[("Idempotency-Key", key)],
        Some("{}"),
    )
}

/// A product with little stock and no options, dear enough to meet its
/// store's minimum order alone.
fn scarce_product() -> (String, i64) {
    let read = |f: &str| -> Vec<Value> {
        std::fs::read_to_string(common::repo().join("knowledge").join(f))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let minimum: HashMap<String, i64> = read("merchants.jsonl")
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["min_order_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    read("catalog/products.jsonl")
        .iter()
        .find(|p| {
            let stock = p["stock"].as_i64().unwrap();
            (3..=5).contains(&stock)
                && p["options"].as_array().is_none_or(|o| o.is_empty())
                && p["price_minor"].as_i64().unwrap() >= minimum[p["merchant_id"].as_str().unwrap()]
        })
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["stock"].as_i64().unwrap(),
            )
        })
        .expect("a scarce product")
}

#[test]
fn two_replicas_share_customers_and_lose_oversell_or_duplicate_nothing() {
    let Some(url) = common::test_postgres() else {
        eprintln!(
            "skipped: no PostgreSQL (ERRAND_TEST_POSTGRES, set by make test) to run replicas on"
        );
        return;
    };
    let config = common::temp_dir("replicas-config").join("errand.toml");
    std::fs::write(
        &config,
        "[commerce.simulator]\nspeed = 600.0\ntick_ms = 50\n",
    )
    .unwrap();
    let config = ["--config", config.to_str().unwrap()];
    let a_data = common::data_with_index("replica-a");
    let a = Server::start(&a_data, &config);
    let b = Server::start_on(&common::data_with_index("replica-b"), &a_data, &config);
    let replicas = [&a, &b];

    // Twelve customers each want one of the last units of one product,
    // adding on one replica and paying on the other, all at once.
    let (scarce, stock) = scarce_product();
    let customers: Vec<String> = (1..=12).map(|i| format!("demo:c-{:04}", 100 + i)).collect();
    let paid: Vec<(String, String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = customers
            .iter()
            .enumerate()
            .map(|(i, who)| {
                let (scarce, add_on, pay_on) = (&scarce, replicas[i % 2], replicas[(i + 1) % 2]);
                scope.spawn(move || {
                    let item = json!({ "product_id": scarce, "quantity": 1 }).to_string();
                    let (status, body) = add_on.post("/v1/cart/items", Some(who), Some(&item));
                    if status != 200 {
                        assert!([409, 422].contains(&status), "adding: {status} {body}");
                        return None;
                    }
                    let key = format!("replicas-{i}");
                    let (status, body) = checkout(pay_on, who, &key);
                    match status {
                        201 => Some((
                            who.clone(),
                            key,
                            body["checkout_id"].as_str().unwrap().to_string(),
                        )),
                        409 | 422 => None, // sold out while the cart waited
                        _ => panic!("checkout: {status} {body}"),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(!paid.is_empty(), "nobody could buy {scarce}");
    assert!(
        paid.len() as i64 <= stock,
        "{} checkouts of {scarce} with {stock} in stock",
        paid.len()
    );

    // Each replica counts the store calls it ran again after a
    // serialization failure (how contended the scramble above was).
    for r in replicas {
        let (status, metrics) = r.raw("GET", "/metrics", None, &[], None);
        assert_eq!(status, 200);
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("errand_store_serialization_retries_total ")),
            "{metrics}"
        );
    }

    // A retried checkout on the other replica replays the first: same
    // checkout, no second charge.
    for (i, (who, key, checkout_id)) in paid.iter().enumerate() {
        let (status, again) = checkout(replicas[i % 2], who, key);
        assert_eq!(status, 201, "{again}");
        assert_eq!(again["checkout_id"], checkout_id.as_str(), "{again}");
    }

    // A chat begun on one replica goes on on the other: the dialogue
    // state is in the database, not in either process.
    let me = "demo:c-0140";
    let (status, first) = a.post(
        "/v1/chat",
        Some(me),
        Some(&json!({ "message": "snacks for a rainy day" }).to_string()),
    );
    assert_eq!(status, 200, "{first}");
    let second_product = first["cards"]["products"][1]["product_id"].clone();
    assert!(second_product.is_string(), "{first}");
    let (status, turn) = b.post(
        "/v1/chat",
        Some(me),
        Some(
            &json!({ "message": "add two of the second one", "session_id": first["session_id"] })
                .to_string(),
        ),
    );
    assert_eq!(status, 200, "{turn}");
    let (_, cart) = a.get("/v1/cart", Some(me));
    let lines: Vec<(Value, Value)> = cart["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["items"].as_array().unwrap().clone())
        .map(|i| (i["product_id"].clone(), i["quantity"].clone()))
        .collect();
    assert_eq!(lines, vec![(second_product, json!(2))], "{cart}");

    // Let the simulator (one leader between the two) move the new orders on.
    std::thread::sleep(std::time::Duration::from_secs(3));

    // The database itself.
    let mut db: postgres::Config = url.parse().unwrap();
    db.options(&format!("-c search_path={}", common::schema_for(&a_data)));
    let mut db = db.connect(postgres::NoTls).unwrap();
    let count =
        |db: &mut postgres::Client, sql: &str| -> i64 { db.query_one(sql, &[]).unwrap().get(0) };
    let sold: i64 = db
        .query_opt(
            "SELECT sold FROM stock_sold WHERE product_id = $1",
            &[&scarce],
        )
        .unwrap()
        .map_or(0, |r| r.get(0));
    assert_eq!(sold, paid.len() as i64, "units sold against checkouts paid");
    let placed = count(
        &mut db,
        &format!(
            "SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id
             WHERE o.seeded = 0 AND i.product_id = '{scarce}'"
        ),
    );
    assert_eq!(
        placed,
        paid.len() as i64,
        "orders placed against checkouts paid"
    );
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM payments"),
        count(&mut db, "SELECT count(*) FROM checkouts"),
        "one payment per checkout"
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM (SELECT order_id, state FROM order_events
             GROUP BY order_id, state HAVING count(*) > 1) twice"
        ),
        0,
        "an order went through a state twice"
    );
    assert!(
        count(
            &mut db,
            "SELECT count(*) FROM order_events e JOIN orders o ON o.id = e.order_id
             WHERE o.seeded = 0 AND e.state != 'placed'"
        ) > 0,
        "the simulator never moved an order"
    );
    assert_eq!(count(&mut db, "SELECT count(*) FROM leases"), 1);
    if std::env::var("ERRAND_TEST_POSTGRES_CA").is_ok() {
        let plain = count(
            &mut db,
            "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
             WHERE a.application_name = 'errand' AND NOT s.ssl",
        );
        assert_eq!(plain, 0, "a replica's connection is not TLS");
    }
}

#[test]
fn a_store_over_tls_refuses_a_server_whose_certificate_it_cannot_check() {
    let (Some(url), Ok(_)) = (
        common::test_postgres(),
        std::env::var("ERRAND_TEST_POSTGRES_CA"),
    ) else {
        eprintln!("skipped: no PostgreSQL with TLS (make test starts one)");
        return;
    };
    // The server's certificate was made for this run: the system's roots
    // do not vouch for it, so the store must not connect.
    let out = common::errand()
        .arg("segments")
        .arg("--data")
        .arg(common::temp_dir("tls-unchecked"))
        .env("ERRAND_STORE_URL", format!("{url}?sslmode=require"))
        .env("ERRAND_STORE_SCHEMA", "tls_unchecked")
        .env_remove("ERRAND_STORE_CA_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PostgreSQL") && (err.contains("certificate") || err.contains("CA")),
        "{err}"
    );
}
