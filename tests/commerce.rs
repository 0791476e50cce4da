//! The commerce engine over HTTP: a two-merchant checkout and its breakup,
//! idempotent retries, declined cards, a stuck order diagnosed and
//! reblasted, refunds capped at what was paid, rides, ownership, bad input.

mod common;

use std::time::{Duration, Instant};

use common::{token, Server};
use serde_json::{json, Value};

const ME: &str = "demo:c-0001";
const OTHER: &str = "demo:c-0002";

fn start() -> Server {
    common::start_without_drivers("commerce")
}

fn product(merchant: &str, min_price: i64) -> String {
    let catalog =
        std::fs::read_to_string(common::repo().join("knowledge/catalog/products.jsonl")).unwrap();
    catalog
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|p| {
            p["merchant_id"] == merchant
                && p["price_minor"].as_i64().unwrap() >= min_price
                && p["stock"].as_i64().unwrap() >= 10
                // Added as it comes: no option the customer must choose.
                && p["options"].as_array().into_iter().flatten().all(|g| {
                    g["min"].as_u64().unwrap_or(0) == 0
                        || g["default"].as_array().is_some_and(|d| !d.is_empty())
                })
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn add(s: &Server, who: &str, product: &str, quantity: i64) -> (u16, Value) {
    s.post(
        "/v1/cart/items",
        Some(who),
        Some(&json!({"product_id": product, "quantity": quantity}).to_string()),
    )
}

fn checkout(s: &Server, who: &str, key: &str, body: Value) -> (u16, Value) {
    s.request_with(
        "POST",
        "/v1/checkout",
        Some(who),
        &[("Idempotency-Key", key)],
        Some(&body.to_string()),
    )
}

fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

#[test]
fn two_merchant_checkout_pays_once_with_an_exact_breakup_and_retries_safely() {
    let s = start();
    // A side from the pizza place: its pizzas need a size (see the options test).
    let (pizza, chicken) = (
        product("m-slicerepublic", 20000),
        product("m-crispycoop", 20000),
    );
    assert_eq!(add(&s, ME, &pizza, 2).0, 200);
    let (status, cart) = add(&s, ME, &chicken, 3);
    assert_eq!(status, 200, "{cart}");
    let (status, cart) = s.request(
        "PUT",
        "/v1/cart/coupon",
        Some(ME),
        Some(r#"{"code":"save100"}"#),
    );
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["coupon"]["applied"], true, "{cart}");
    assert_eq!(cart["groups"].as_array().unwrap().len(), 2);

    // A declined card changes nothing.
    let (status, err) = checkout(&s, ME, "declined-1", json!({"card": "4000 0000 0000 0002"}));
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (402, Some("payment_declined")),
        "{err}"
    );
    let (_, after) = s.get("/v1/cart", Some(ME));
    assert_eq!(after["total_minor"], cart["total_minor"]);
    assert_eq!(
        s.get("/v1/orders", Some(ME)).1["orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["checkout_id"].is_string())
            .count(),
        0
    );

    let (status, paid) = checkout(&s, ME, "order-1", json!({}));
    assert_eq!(status, 201, "{paid}");
    let orders = paid["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(
        orders.iter().map(|o| i(&o["total_minor"])).sum::<i64>(),
        i(&paid["total_minor"])
    );
    assert_eq!(i(&paid["total_minor"]), i(&cart["total_minor"]));
    let coupon = paid["applied_offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["offer_id"] == "save100")
        .unwrap();
    assert_eq!(
        orders
            .iter()
            .map(|o| i(&o["cart_discount_share_minor"]))
            .sum::<i64>(),
        i(&coupon["amount_minor"])
    );
    for o in orders {
        let goods = i(&o["subtotal_minor"]) - i(&o["merchant_discount_minor"]);
        let total = goods - i(&o["cart_discount_share_minor"])
            + i(&o["delivery_fee_minor"])
            + i(&o["packaging_fee_minor"])
            + i(&o["tax_minor"]);
        assert_eq!(i(&o["total_minor"]), total, "{o}");
        assert_eq!(
            i(&o["settlement_minor"]),
            goods + i(&o["packaging_fee_minor"]) + i(&o["tax_minor"]) - i(&o["commission_minor"])
        );
        assert_eq!(i(&o["commission_minor"]), (goods * 1800 + 5000) / 10000);
    }

    // The same key returns the first result; a new key finds an empty cart.
    let (status, again) = checkout(&s, ME, "order-1", json!({}));
    assert_eq!((status, &again["checkout_id"]), (201, &paid["checkout_id"]));
    let (status, err) = checkout(&s, ME, "order-2", json!({}));
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("cart_empty"))
    );
    let (status, err) = checkout(&s, ME, "order-1", json!({"address": "work"}));
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    let mine = s.get("/v1/orders", Some(ME)).1;
    assert_eq!(
        mine["orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["checkout_id"] == paid["checkout_id"])
            .count(),
        2
    );

    // Another customer cannot see the order; it does not exist for them.
    let id = orders[0]["order_id"].as_str().unwrap();
    assert_eq!(s.get(&format!("/v1/orders/{id}"), Some(OTHER)).0, 404);
    assert_eq!(
        s.get(&format!("/v1/orders/{id}/diagnosis"), Some(OTHER)).0,
        404
    );
    assert_eq!(s.get(&format!("/v1/orders/{id}"), Some(ME)).0, 200);
}

#[test]
fn stuck_order_is_diagnosed_reblasted_and_refunded_within_what_was_paid() {
    let s = start();
    let agent = token(&s.data, &["--agent", "agent-7"]);
    assert_eq!(
        add(&s, "demo:c-0003", &product("m-biryanidarbar", 25000), 2).0,
        200
    );
    let (status, paid) = checkout(&s, "demo:c-0003", "stuck-1", json!({}));
    assert_eq!(status, 201, "{paid}");
    let id = paid["orders"][0]["order_id"].as_str().unwrap().to_string();

    // The simulator moves it to ready, where no driver takes it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let diagnosis = loop {
        let (_, d) = s.get(&format!("/v1/orders/{id}/diagnosis"), Some(&agent));
        if d["stuck"] == true {
            break d;
        }
        assert!(Instant::now() < deadline, "never stuck: {d}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        (diagnosis["state"].as_str(), diagnosis["cause"].as_str()),
        (Some("ready"), Some("no_driver")),
        "{diagnosis}"
    );
    assert!(
        diagnosis["minutes_in_state"].as_f64().unwrap()
            >= diagnosis["limit_minutes"].as_f64().unwrap()
    );
    let allowed = |a: &str| {
        diagnosis["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["action"] == a && x["allowed"] == true)
    };
    assert!(
        allowed("reblast_driver") && allowed("escalate") && !allowed("wait"),
        "{diagnosis}"
    );
    assert!(diagnosis["policy"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "help-reblast-policy"));

    // Only an agent reblasts.
    assert_eq!(
        s.post(
            &format!("/v1/assist/orders/{id}/reblast"),
            Some("demo:c-0003"),
            None
        )
        .0,
        403
    );
    let (status, done) = s.post(
        &format!("/v1/assist/orders/{id}/reblast"),
        Some(&agent),
        None,
    );
    assert_eq!(status, 200, "{done}");
    let events = done["order"]["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["state"] == "reblast" && e["actor"] == "agent:agent-7"),
        "{done}"
    );
    assert_eq!(events.last().unwrap()["state"], "driver_assigned");
    assert!(done["order"]["driver_id"].is_string());

    // A partial refund, then one that would exceed what is left.
    let paid_minor = i(&paid["orders"][0]["total_minor"]);
    let refund = |key: &str, amount: i64| {
        s.request_with(
            "POST",
            &format!("/v1/assist/orders/{id}/refund"),
            Some(&agent),
            &[("Idempotency-Key", key)],
            Some(&json!({"amount_minor": amount, "reason": "late delivery"}).to_string()),
        )
    };
    // Wait until the order is delivered (refunds are for delivered, cancelled or stuck orders).
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.get(&format!("/v1/orders/{id}"), Some(&agent)).1["status"] != "delivered" {
        assert!(Instant::now() < deadline, "never delivered");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, r) = refund("r-1", 5000);
    assert_eq!((status, i(&r["refund_minor"])), (200, 5000), "{r}");
    let (status, r) = refund("r-1", 5000);
    assert_eq!(
        (status, i(&r["order"]["refunded_minor"])),
        (200, 5000),
        "a retried refund is not repeated: {r}"
    );
    let (status, r) = refund("r-2", paid_minor);
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (422, Some("refund_exceeds_paid")),
        "{r}"
    );
    let (status, r) = refund("r-3", paid_minor - 5000);
    assert_eq!(
        (status, r["order"]["status"].as_str()),
        (200, Some("refunded")),
        "{r}"
    );
    let (status, r) = refund("r-4", 1);
    assert_eq!(status, 422, "{r}");
}

#[test]
fn rides_are_quoted_from_aliases_and_booked_once() {
    let s = start();
    let (status, q) = s.post(
        "/v1/rides/quote",
        Some(ME),
        Some(r#"{"from": "airport", "to": "central mall", "ride_type": "car"}"#),
    );
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["to"]["name"], "Central Mall");
    assert!(q["distance_km"].as_f64().unwrap() > 1.0);
    let fare = &q["options"][0]["fare"];
    assert_eq!(
        i(&fare["total_minor"]),
        i(&fare["base_minor"])
            + i(&fare["distance_minor"])
            + i(&fare["time_minor"])
            + i(&fare["surge_minor"])
    );
    assert!(fare["surge_multiplier"].as_f64().unwrap() <= 2.0);

    let book = |key: &str| {
        s.request_with(
            "POST",
            "/v1/rides",
            Some(ME),
            &[("Idempotency-Key", key)],
            Some(&json!({"quote_id": q["quote_id"]}).to_string()),
        )
    };
    let (status, ride) = book("ride-1");
    assert_eq!(status, 201, "{ride}");
    assert_eq!(i(&ride["fare_minor"]), i(&fare["total_minor"]));
    assert_eq!(book("ride-1").1["id"], ride["id"]);
    assert_eq!(book("ride-2").1["error"]["code"], "quote_used");
    let id = ride["id"].as_str().unwrap();
    assert_eq!(s.get(&format!("/v1/rides/{id}"), Some(OTHER)).0, 404);
    // Each customer lists only their own rides.
    let (status, mine) = s.get("/v1/rides", Some(ME));
    assert_eq!(status, 200);
    assert_eq!(mine["rides"][0]["id"], id, "{mine}");
    let (_, theirs) = s.get("/v1/rides", Some(OTHER));
    assert!(
        theirs["rides"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != id),
        "{theirs}"
    );

    let (status, err) = s.post(
        "/v1/rides/quote",
        Some(ME),
        Some(r#"{"from": "moon base alpha", "to": "central mall"}"#),
    );
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean"),
        "{err}"
    );
}

#[test]
fn bad_input_gets_a_clear_4xx() {
    let s = start();
    let pizza = product("m-slicerepublic", 10000);
    let cases: Vec<(u16, &str, (u16, Value))> = vec![
        (400, "product_id", add(&s, ME, "p-nope", 1)),
        (400, "quantity", add(&s, ME, &pizza, 0)),
        (422, "in stock", add(&s, ME, &pizza, 100_000)),
        (
            400,
            "unknown coupon",
            s.request(
                "PUT",
                "/v1/cart/coupon",
                Some(ME),
                Some(r#"{"code":"FREEMONEY"}"#),
            ),
        ),
        (
            400,
            "Idempotency-Key",
            s.post("/v1/checkout", Some(ME), None),
        ),
        (
            400,
            "card",
            checkout(&s, ME, "bad-card", json!({"card": "1234"})),
        ),
        (
            400,
            "invalid_json",
            s.request_with(
                "POST",
                "/v1/checkout",
                Some(ME),
                &[("Idempotency-Key", "k")],
                Some("{"),
            ),
        ),
        (
            404,
            "not found",
            s.request("DELETE", "/v1/cart/items/p-nope", Some(ME), None),
        ),
        (
            400,
            "ride_type",
            s.post(
                "/v1/rides/quote",
                Some(ME),
                Some(r#"{"from":"airport","to":"central mall","ride_type":"rocket"}"#),
            ),
        ),
        (401, "token", s.get("/v1/cart", None)),
    ];
    for (want, needle, (status, body)) in cases {
        assert_eq!(status, want, "{needle}: {body}");
        assert!(body["error"]["code"].is_string(), "{needle}: {body}");
        assert!(body.to_string().contains(needle), "{needle}: {body}");
    }
    let (status, body) = s.get("/openapi.json", None);
    assert_eq!(status, 200);
    assert!(body["paths"]["/v1/checkout"].is_object());
    assert!(body["paths"]["/v1/rides"]["get"].is_object());
}

/// The catalog line of `title` at `merchant`.
fn catalog_product(merchant: &str, title: &str) -> Value {
    let catalog =
        std::fs::read_to_string(common::repo().join("knowledge/catalog/products.jsonl")).unwrap();
    catalog
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|p| p["merchant_id"] == merchant && p["title"] == title)
        .unwrap()
}

fn delta(p: &Value, group: &str, choice: &str) -> i64 {
    let g = p["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == group)
        .unwrap();
    let c = g["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == choice)
        .unwrap();
    c["price_minor"].as_i64().unwrap_or(0)
}

#[test]
fn options_are_priced_to_the_paisa_kept_on_the_order_and_bad_ones_are_named() {
    let s = start();
    let latte = catalog_product("m-beanthere", "Latte");
    let pizza = catalog_product("m-slicerepublic", "Margherita Pizza");
    let (lid, pid) = (latte["id"].as_str().unwrap(), pizza["id"].as_str().unwrap());
    let base = i(&latte["price_minor"]);
    let with = |options: Value, q: i64| {
        s.post(
            "/v1/cart/items",
            Some(ME),
            Some(&json!({"product_id": lid, "quantity": q, "options": options}).to_string()),
        )
    };
    // Two lattes made differently are two lines; the same options again add up.
    let (st, _) = with(
        json!({"size": "large", "milk": "oat", "addons": ["caramel", "vanilla"]}),
        1,
    );
    assert_eq!(st, 200);
    let (st, _) = with(
        json!({"milk": ["oat"], "size": ["large"], "addons": ["vanilla", "caramel"]}),
        1,
    );
    assert_eq!(st, 200);
    let (st, cart) = with(json!({}), 1);
    assert_eq!(st, 200);
    let lines: Vec<&Value> = cart["groups"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(lines.len(), 2, "{cart}");
    let fancy = lines
        .iter()
        .find(|l| l["quantity"] == 2)
        .expect("the made-to-order line holds 2");
    let unit = base
        + delta(&latte, "size", "large")
        + delta(&latte, "milk", "oat")
        + delta(&latte, "addons", "caramel")
        + delta(&latte, "addons", "vanilla");
    assert_eq!(i(&fancy["unit_price_minor"]), unit);
    assert_eq!(i(&fancy["line_total_minor"]), 2 * unit);
    assert_eq!(
        fancy["options_label"],
        "Large, Oat milk, Vanilla syrup, Caramel sauce"
    );
    let plain = lines.iter().find(|l| l["quantity"] == 1).unwrap();
    assert_eq!(i(&plain["unit_price_minor"]), base);
    assert_eq!(i(&cart["subtotal_minor"]), 3 * base + 2 * (unit - base));

    // Bad options are 400s that name the option; a pizza's size must be chosen.
    for (options, named) in [
        (json!({"size": "venti"}), "options.size"),
        (json!({"crust": "thin"}), "options.crust"),
        (
            json!({"addons": ["caramel", "vanilla", "hazelnut", "chocolate", "whipped-cream"]}),
            "options.addons",
        ),
    ] {
        let (st, body) = with(options, 1);
        assert_eq!(st, 400, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(named),
            "{body}"
        );
    }
    let (st, body) = add(&s, ME, pid, 1);
    assert_eq!(st, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("options.size"),
        "{body}"
    );

    // "make it a medium": the line changes in place and merges with an equal one.
    let line = fancy["line_id"].as_str().unwrap();
    let path = format!(
        "/v1/cart/items/{}",
        line.replace(';', "%3B").replace('=', "%3D")
    );
    let (st, cart) = s.request(
        "PATCH",
        &path,
        Some(ME),
        Some(&json!({"options": {"size": "small"}, "quantity": 3}).to_string()),
    );
    assert_eq!(st, 200, "{cart}");
    let items = cart["groups"][0]["items"].as_array().unwrap();
    let small = items
        .iter()
        .find(|l| l["quantity"] == 3)
        .expect("changed line");
    assert_eq!(
        i(&small["unit_price_minor"]),
        unit - delta(&latte, "size", "large") + delta(&latte, "size", "small")
    );
    // A product in two lines needs a line id to change one of them.
    let (st, body) = s.request(
        "PATCH",
        &format!("/v1/cart/items/{lid}"),
        Some(ME),
        Some(r#"{"quantity":1}"#),
    );
    assert_eq!(st, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("line"),
        "{body}"
    );

    // The order keeps the options and their prices; the breakup adds up.
    let (st, cart) = s.get("/v1/cart", Some(ME));
    assert_eq!(st, 200);
    let (st, paid) = checkout(
        &s,
        ME,
        "options-1",
        json!({"expected_total_minor": cart["total_minor"]}),
    );
    assert_eq!(st, 201, "{paid}");
    assert_eq!(i(&paid["total_minor"]), i(&cart["total_minor"]));
    let order = paid["orders"][0]["order_id"].as_str().unwrap();
    let (st, o) = s.get(&format!("/v1/orders/{order}"), Some(ME));
    assert_eq!(st, 200);
    let kept = o["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["quantity"] == 3)
        .unwrap();
    assert_eq!(kept["options"]["size"], json!(["small"]));
    assert_eq!(kept["options"]["milk"], json!(["oat"]));
    assert_eq!(i(&kept["unit_price_minor"]), i(&small["unit_price_minor"]));
    let goods: i64 = o["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| i(&x["unit_price_minor"]) * i(&x["quantity"]))
        .sum();
    assert_eq!(goods, i(&cart["subtotal_minor"]));
}
