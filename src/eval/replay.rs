//! Replays dialogues against a running server through its public HTTP API:
//! each run of a dialogue gets a fresh customer and its own orders and ticket
//! (`POST /v1/test_helpers/fixtures`), then every turn goes through
//! `POST /v1/chat` and the state it should have changed is read back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use serde_json::{json, Value};

use super::client::Client;
use super::dialogues::{check_turn, Counts, Dialogue, Failure, Mode, Observed, Vars};

#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    pub user: String,
    pub reply: String,
    /// What the server understood, e.g. `shop (0.71)`.
    pub intent: String,
    pub tools_called: Vec<String>,
    pub latency_ms: f64,
    pub passed: bool,
    pub failures: Vec<Failure>,
    #[serde(skip)]
    pub tools: Counts,
    #[serde(skip)]
    pub cart: Counts,
}

#[derive(Debug, Clone, Serialize)]
pub struct DialogueResult {
    pub id: String,
    pub file: String,
    pub tags: Vec<String>,
    /// Which repetition (0-based) this was.
    pub run: usize,
    pub passed: bool,
    /// Set when the dialogue could not be set up or a request failed outright.
    pub error: Option<String>,
    pub turns: Vec<TurnResult>,
}

/// Replays each dialogue `repeat` times on `jobs` threads; `on_done` is
/// called after each run (for a progress bar).
pub fn run(
    client: &Client,
    dialogues: &[Dialogue],
    repeat: usize,
    jobs: usize,
    on_done: &(dyn Fn(&DialogueResult) + Sync),
) -> Vec<DialogueResult> {
    let work: Vec<(usize, usize)> = (0..repeat.max(1))
        .flat_map(|r| (0..dialogues.len()).map(move |i| (i, r)))
        .collect();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(work.len()));
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let Some(&(i, r)) = work.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return;
                };
                let d = &dialogues[i];
                let res = replay(client, d, r).unwrap_or_else(|e| DialogueResult {
                    id: d.id.clone(),
                    file: d.file.clone(),
                    tags: d.tags.clone(),
                    run: r,
                    passed: false,
                    error: Some(format!("{e:#}")),
                    turns: vec![],
                });
                on_done(&res);
                results.lock().expect("no panics hold this lock").push(res);
            });
        }
    });
    let mut out = results.into_inner().expect("no panics hold this lock");
    out.sort_by(|a, b| (&a.file, &a.id, a.run).cmp(&(&b.file, &b.id, b.run)));
    out
}

/// Sends of one request while the server answers `busy`, as the widget does.
const BUSY_TRIES: usize = 3;

/// The body of a successful answer, or an error naming the request. A
/// `busy` refusal (admission control; nothing was done) is sent again after
/// its `Retry-After`, as any well-behaved client does: replays measure what
/// Errand understands, and a turn shed under load is not a misunderstanding.
pub(super) fn ok(
    client: &Client,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> anyhow::Result<Value> {
    let mut r = client.call(method, path, Some(token), body)?;
    for _ in 1..BUSY_TRIES {
        if r.status != 503 || r.json()["error"]["code"] != "busy" {
            break;
        }
        let secs = r.header("retry-after").and_then(|v| v.parse().ok());
        std::thread::sleep(std::time::Duration::from_secs(secs.unwrap_or(1)));
        r = client.call(method, path, Some(token), body)?;
    }
    anyhow::ensure!(
        (200..300).contains(&r.status),
        "{method} {path} answered {}: {}",
        r.status,
        r.body
    );
    Ok(r.json())
}

/// A fresh customer (and orders) from the server's test helpers.
pub(super) fn fixture(client: &Client, body: &Value) -> anyhow::Result<Value> {
    let fx = client.call("POST", "/v1/test_helpers/fixtures", None, Some(body))?;
    anyhow::ensure!(
        fx.status != 404,
        "the server does not serve test helpers: start it with `errand serve --test-helpers true`"
    );
    anyhow::ensure!(
        fx.status == 201,
        "fixtures answered {}: {}",
        fx.status,
        fx.body
    );
    Ok(fx.json())
}

fn replay(client: &Client, d: &Dialogue, run: usize) -> anyhow::Result<DialogueResult> {
    let g = &d.given;
    let orders: Vec<Value> = g
        .orders
        .values()
        .map(|o| {
            let items: Vec<Value> = o
                .items
                .iter()
                .map(|i| json!({ "product_id": i.product, "quantity": i.quantity, "options": i.options }))
                .collect();
            let mut v = json!({ "items": items, "state": o.state });
            if let Some(m) = o.minutes {
                v["minutes_in_state"] = json!(m);
            }
            v
        })
        .collect();
    let fx = fixture(client, &json!({ "like": g.like, "orders": orders }))?;
    let text = |k: &str| fx[k].as_str().unwrap_or_default().to_string();
    let (customer_token, agent_token) = (text("customer_token"), text("agent_token"));
    let mut vars = Vars {
        customer: text("customer_id"),
        ..Default::default()
    };
    for (name, id) in g
        .orders
        .keys()
        .zip(fx["orders"].as_array().into_iter().flatten())
    {
        vars.orders
            .insert(name.clone(), id.as_str().unwrap_or_default().to_string());
    }
    for item in &g.cart {
        ok(
            client,
            "POST",
            "/v1/cart/items",
            &customer_token,
            Some(
                &json!({ "product_id": item.product, "quantity": item.quantity, "options": item.options }),
            ),
        )?;
    }
    if let Some(t) = &g.ticket {
        let order = t.order.as_ref().map(|o| vars.orders[o].clone());
        let ticket = ok(
            client,
            "POST",
            "/v1/tickets",
            &agent_token,
            Some(
                &json!({ "customer_id": vars.customer, "order_id": order, "subject": vars.sub(&t.subject) }),
            ),
        )?;
        vars.ticket = ticket["id"].as_str().unwrap_or_default().to_string();
    }
    let token = match d.mode {
        Mode::Customer => &customer_token,
        Mode::Assist => &agent_token,
    };

    let mut session: Option<String> = None;
    let mut turns = Vec::new();
    for t in &d.turns {
        let message = vars.sub(&t.user);
        let mut body = json!({ "message": message, "session_id": session });
        if d.mode == Mode::Assist {
            body["mode"] = json!("assist");
            body["ticket_id"] = json!(vars.ticket);
        }
        let started = Instant::now();
        let answer = ok(client, "POST", "/v1/chat", token, Some(&body))
            .with_context(|| format!("turn {:?}", message))?;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        session = answer["session_id"].as_str().map(str::to_string);
        let calls = answer["tool_calls"].as_array().cloned().unwrap_or_default();
        let mut seen = Observed {
            reply: answer["reply"].as_str().unwrap_or_default().to_string(),
            citations: answer["citations"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect(),
            tool_calls: calls.clone(),
            ..Default::default()
        };
        if t.expect.cart.is_some() {
            let cart = ok(client, "GET", "/v1/cart", &customer_token, None)?;
            seen.cart = Some(
                cart["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|g| g["items"].as_array().cloned().unwrap_or_default())
                    .collect(),
            );
        }
        if let Some(o) = &t.expect.order {
            let id = vars
                .orders
                .get(&o.name)
                .with_context(|| format!("order check names unknown order {}", o.name))?;
            seen.order = Some(ok(
                client,
                "GET",
                &format!("/v1/orders/{id}"),
                &customer_token,
                None,
            )?);
        }
        for c in calls
            .iter()
            .filter(|c| c["name"] == "book_ride" && c["ok"] == true)
        {
            if let Some(id) = c["result"]["id"].as_str() {
                let r = client.call(
                    "GET",
                    &format!("/v1/rides/{id}"),
                    Some(&customer_token),
                    None,
                )?;
                seen.ride_booked |= r.status == 200;
            }
        }
        let score = check_turn(&t.expect, &vars, &seen);
        turns.push(TurnResult {
            user: message,
            reply: seen.reply,
            intent: format!(
                "{} ({:.2})",
                answer["intent"].as_str().unwrap_or("?"),
                answer["confidence"].as_f64().unwrap_or(0.0)
            ),
            tools_called: calls
                .iter()
                .map(|c| c["name"].as_str().unwrap_or_default().to_string())
                .collect(),
            latency_ms,
            passed: score.failures.is_empty(),
            failures: score.failures,
            tools: score.tools,
            cart: score.cart,
        });
    }
    Ok(DialogueResult {
        id: d.id.clone(),
        file: d.file.clone(),
        tags: d.tags.clone(),
        run,
        passed: turns.iter().all(|t| t.passed),
        error: None,
        turns,
    })
}
