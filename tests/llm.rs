//! The OpenAI-compatible interpreter against a scripted chat-completions
//! server that streams recorded chunks: tool-call deltas are reassembled,
//! the proposal picks the flow for a message the router could not place, and
//! a proposal of a tool the model may not call changes nothing.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::{data_with_index, temp_dir, Server};
use serde_json::{json, Value};

/// Answers each POST with the next scripted list of chunks as server-sent
/// events, and keeps every request body it received.
fn scripted(replies: Vec<Vec<Value>>) -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let mut replies = replies.into_iter();
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            log.lock()
                .unwrap()
                .push(serde_json::from_slice(&body).unwrap());
            let chunks = replies.next().unwrap_or_default();
            let mut events: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
            events.push_str("data: [DONE]\n\n");
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                events.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(events.as_bytes()).unwrap();
        }
    });
    (base, seen)
}

fn chunk(delta: Value) -> Value {
    json!({ "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "scripted",
            "choices": [{ "index": 0, "delta": delta, "finish_reason": null }] })
}

fn tool_delta(name: Option<&str>, args: &str) -> Value {
    let mut f = json!({ "arguments": args });
    if let Some(n) = name {
        f["name"] = json!(n);
    }
    chunk(
        json!({ "tool_calls": [{ "index": 0, "id": "call_1", "type": "function", "function": f }] }),
    )
}

#[test]
fn unsure_turns_follow_a_validated_model_proposal_and_never_a_forbidden_one() {
    let (base, seen) = scripted(vec![
        vec![
            chunk(json!({ "role": "assistant", "content": null })),
            tool_delta(Some("search_products"), ""),
            tool_delta(None, "{\"query\": \"pot"),
            tool_delta(None, "ato chips\"}"),
        ],
        vec![tool_delta(
            Some("request_refund"),
            "{\"order_id\": \"o-00001\"}",
        )],
    ]);
    let config = temp_dir("llm-config").join("errand.toml");
    std::fs::write(
        &config,
        format!("[llm]\nbackend = \"openai\"\nbase_url = \"{base}\"\nmodel = \"scripted\"\napi_key_env = \"ERRAND_TEST_NO_KEY\"\n"),
    )
    .unwrap();
    let s = Server::start(
        &data_with_index("llm"),
        &["--config", config.to_str().unwrap()],
    );
    let me = Some("demo:c-0001");
    let say = |text: &str| {
        s.post(
            "/v1/chat",
            me,
            Some(&json!({ "message": text }).to_string()),
        )
    };

    let (status, turn) = say("qwzx blorf vrrm");
    assert_eq!(status, 200, "{turn}");
    assert_eq!(turn["interpreted_by"], "openai:scripted", "{turn}");
    assert_eq!(turn["intent"], "shop");
    assert_eq!(turn["tool_calls"][0]["name"], "search_products");
    assert_eq!(turn["tool_calls"][0]["arguments"]["query"], "potato chips");
    assert!(turn["reply"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("chips"));

    // The model was offered read-only tools only, over a streamed request.
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(request["stream"], true);
    let offered: Vec<&str> = request["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(offered.contains(&"search_products"), "{offered:?}");
    for write in [
        "request_refund",
        "cancel_order",
        "checkout",
        "book_ride",
        "add_to_cart",
    ] {
        assert!(!offered.contains(&write), "{write} offered: {offered:?}");
    }

    // A proposal of a tool outside its flow is refused; the rules' answer stands.
    let (status, turn) = say("zzkq plonk frmp");
    assert_eq!(status, 200, "{turn}");
    assert!(turn.get("interpreted_by").is_none(), "{turn}");
    assert!(turn["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] != "request_refund"));
    assert_eq!(turn["intent"], "off_topic");
}
