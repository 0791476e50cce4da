//! The OpenAI-compatible face: `POST /v1/chat/completions` and
//! `GET /v1/models`, so any OpenAI chat UI or SDK can talk to Errand as a
//! "model". The last user message is the turn; the session it belongs to is
//! the `x-errand-session` header or the `user` field (a session id from an
//! earlier answer), else a new one. Earlier messages are not replayed: the
//! server already holds the dialogue, and replaying would repeat writes.
//! Cards, tool calls and the cart ride in the `errand` extension field.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::chat::{customer_session, ready, MAX_MESSAGE};
use super::extract::Caller;
use super::{ApiError, AppState};
use crate::agent::Turn;

/// The one model this endpoint serves: the deterministic assistant, with
/// whatever interpreter the server was started with behind it.
const MODEL: &str = "errand";
const SESSION_HEADER: &str = "x-errand-session";

/// The fields Errand reads; the SDKs' sampling knobs (`temperature`,
/// `max_tokens`, ...) are accepted and ignored, as the turn is deterministic.
#[derive(Deserialize)]
struct CompletionRequest {
    model: String,
    messages: Vec<Message>,
    #[serde(default)]
    stream: bool,
    user: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    /// A string, or an array of parts of which the `text` ones count.
    content: Option<Value>,
}

pub async fn models() -> Json<Value> {
    Json(json!({
        "object": "list",
        "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "errand"}],
    }))
}

pub async fn completions(
    State(s): State<AppState>,
    who: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CompletionRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    if req.model != MODEL {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "model_not_found",
            format!(
                "the model `{}` does not exist; this server serves `{MODEL}`",
                req.model
            ),
        ));
    }
    let text = last_user_text(&req.messages)?;
    let me = who.customer()?.to_string();
    ready(&s)?;
    let named = headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(req.user);
    // A full queue is a 503 now, before the store is asked anything; the
    // slot is waited for in `run`, so a stream can start (and be kept
    // alive) first, as on `/v1/chat`.
    let queued = s.turns.queue()?;
    let session = customer_session(&s, &me, named).await?;
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let session_header = HeaderValue::from_str(&session).ok();
    let run = {
        let app = s.app.clone();
        async move {
            let _admitted = queued.admit().await?;
            Ok::<_, ApiError>(app.chat(&me, &session, &text).await?)
        }
    };
    let mut res = if req.stream {
        let every = Duration::from_millis(s.app.config.server.sse_keep_alive_ms.max(10));
        stream(id, run, every).into_response()
    } else {
        let turn = run.await?;
        let mut res = Json(completion(&id, &turn)).into_response();
        if let Ok(v) = HeaderValue::from_str(&turn.timings.header()) {
            res.headers_mut().insert("server-timing", v);
        }
        res
    };
    if let Some(v) = session_header {
        res.headers_mut().insert(SESSION_HEADER, v);
    }
    Ok(res)
}

/// The text of the last message, which must be the customer's.
fn last_user_text(messages: &[Message]) -> Result<String, ApiError> {
    let last = messages
        .last()
        .ok_or_else(|| ApiError::bad_request("`messages` must not be empty"))?;
    if last.role != "user" {
        return Err(ApiError::bad_request(format!(
            "the last message must have role `user`, got `{}`",
            last.role
        )));
    }
    let text = match &last.content {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|p| p["type"] == "text")
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let text = text.trim().to_string();
    if text.is_empty() || text.chars().count() > MAX_MESSAGE {
        return Err(ApiError::bad_request(format!(
            "the last user message must have 1 to {MAX_MESSAGE} characters of text"
        )));
    }
    Ok(text)
}

/// Errand's own view of the turn, for clients that know to look.
fn extension(turn: &Turn) -> Value {
    json!({
        "session_id": turn.session_id,
        "intent": turn.intent,
        "tool_calls": turn.tool_calls,
        "cart": turn.cart,
        "cards": turn.cards,
        "citations": turn.citations,
        "suggestions": turn.suggestions,
    })
}

fn completion(id: &str, turn: &Turn) -> Value {
    json!({
        "id": id,
        "object": "chat.completion",
        "created": crate::auth::unix_now(),
        "model": MODEL,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": turn.reply},
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "errand": extension(turn),
    })
}

/// `chat.completion.chunk` events once `run` has the turn: the role, the
/// reply in word-sized deltas, a last chunk with `finish_reason` and the
/// extension, `[DONE]`. A failed turn is one `{"error": ...}` data event,
/// which OpenAI's SDKs raise; until the turn is ready, a comment every
/// `every` keeps the connection.
fn stream(
    id: String,
    run: impl std::future::Future<Output = Result<Turn, ApiError>> + Send + 'static,
    every: Duration,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    use futures_util::StreamExt;
    let events = async move {
        match run.await {
            Ok(turn) => chunks(&id, &turn),
            Err(e) => vec![Event::default().data(e.body().to_string())],
        }
    };
    Sse::new(
        futures_util::stream::once(events)
            .flat_map(futures_util::stream::iter)
            .map(Ok),
    )
    .keep_alive(KeepAlive::new().interval(every))
}

fn chunks(id: &str, turn: &Turn) -> Vec<Event> {
    let chunk = |delta: Value, finish: Option<&str>, extra: Option<Value>| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": crate::auth::unix_now(),
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        if let Some(e) = extra {
            c["errand"] = e;
        }
        Event::default().data(c.to_string())
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        None,
        None,
    )];
    for word in turn.reply.split_inclusive(' ') {
        events.push(chunk(json!({"content": word}), None, None));
    }
    events.push(chunk(json!({}), Some("stop"), Some(extension(turn))));
    events.push(Event::default().data("[DONE]"));
    events
}
