//! Pluggable interpreters: a language model reads a message the router was
//! unsure of and proposes a tool call. What it proposes is only a proposal:
//! the agent validates it against the tool's schema and its flow, and a model
//! is only ever offered tools that spend no money and change no order, so
//! it can never grant a permission.
//!
//! ```no_run
//! # async fn demo(llm: &dyn errand::llm::Interpreter) -> anyhow::Result<()> {
//! let tools = vec![errand::llm::ToolSpec {
//!     name: "search_products".into(),
//!     description: "Search the catalog".into(),
//!     parameters: serde_json::json!({"type": "object", "properties": {"query": {"type": "string"}}}),
//! }];
//! let out = llm.interpret("You route shopping requests.", "crisps for the match", &tools).await?;
//! println!("{:?}", out.calls);
//! # Ok(()) }
//! ```

mod local;
mod openai;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::config::LlmConfig;

/// A tool as offered to a model: its name, what it does, its JSON schema
/// (the files in `tools/`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

/// A call a model proposed. `arguments` is whatever JSON it produced, or a
/// string when it produced none; validation decides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    pub name: String,
    pub arguments: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Interpretation {
    /// Any text the model said besides its calls.
    pub text: String,
    pub calls: Vec<Call>,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A language model that proposes tool calls for one message.
pub trait Interpreter: Send + Sync {
    /// `backend:model`, for logs and turn records.
    fn describe(&self) -> String;

    fn interpret<'a>(
        &'a self,
        system: &'a str,
        user: &'a str,
        tools: &'a [ToolSpec],
    ) -> BoxFuture<'a, anyhow::Result<Interpretation>>;
}

/// The configured interpreter, if any (`llm.backend`); `models` is where
/// `make setup` put the pinned GGUF model.
pub fn open(cfg: &LlmConfig, models: &Path) -> anyhow::Result<Option<Arc<dyn Interpreter>>> {
    match cfg.backend.as_str() {
        "" | "none" => Ok(None),
        "openai" => Ok(Some(Arc::new(openai::OpenAi::new(cfg)?))),
        "local" => Ok(Some(Arc::new(local::Local::new(cfg, models)?))),
        other => anyhow::bail!("llm.backend `{other}` is not one of: none, openai, local"),
    }
}

/// Reassembles streamed chat-completion chunks (OpenAI's format): text
/// deltas are joined, and each tool call's name and argument fragments are
/// joined by their `index`, then the arguments parsed as JSON.
#[derive(Debug, Default)]
pub struct Assembler {
    text: String,
    calls: BTreeMap<u64, (String, String)>,
}

impl Assembler {
    pub fn push(&mut self, chunk: &Value) {
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            let delta = &choice["delta"];
            if let Some(t) = delta["content"].as_str() {
                self.text.push_str(t);
            }
            for tc in delta["tool_calls"].as_array().into_iter().flatten() {
                let entry = self
                    .calls
                    .entry(tc["index"].as_u64().unwrap_or(0))
                    .or_default();
                if let Some(n) = tc["function"]["name"].as_str() {
                    entry.0.push_str(n);
                }
                if let Some(a) = tc["function"]["arguments"].as_str() {
                    entry.1.push_str(a);
                }
            }
        }
    }

    pub fn finish(self) -> Interpretation {
        Interpretation {
            text: self.text,
            calls: self
                .calls
                .into_values()
                .map(|(name, args)| Call {
                    name,
                    arguments: serde_json::from_str(if args.trim().is_empty() {
                        "{}"
                    } else {
                        &args
                    })
                    .unwrap_or(Value::String(args)),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn tool_call_deltas_are_reassembled_by_index() {
        let mut a = super::Assembler::default();
        let chunk =
            |delta: serde_json::Value| json!({ "choices": [{ "index": 0, "delta": delta }] });
        a.push(&chunk(json!({ "role": "assistant", "content": "Let me " })));
        a.push(&chunk(json!({ "content": "look." })));
        a.push(&chunk(json!({ "tool_calls": [{ "index": 0, "id": "c1", "type": "function", "function": { "name": "search_products", "arguments": "" } }] })));
        a.push(&chunk(
            json!({ "tool_calls": [{ "index": 1, "function": { "name": "view_cart" } }] }),
        ));
        a.push(&chunk(json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "{\"query\": \"pot" } }] })));
        a.push(&chunk(
            json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "ato chips\"}" } }] }),
        ));
        a.push(&json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": "tool_calls" }] }));
        let out = a.finish();
        assert_eq!(out.text, "Let me look.");
        assert_eq!(out.calls.len(), 2);
        assert_eq!(out.calls[0].name, "search_products");
        assert_eq!(out.calls[0].arguments, json!({ "query": "potato chips" }));
        assert_eq!(out.calls[1].arguments, json!({}));
    }

    #[test]
    fn broken_arguments_stay_a_string_for_validation_to_refuse() {
        let mut a = super::Assembler::default();
        a.push(&json!({ "choices": [{ "delta": { "tool_calls": [{ "index": 0, "function": { "name": "x", "arguments": "{oops" } }] } }] }));
        assert_eq!(a.finish().calls[0].arguments, json!("{oops"));
    }
}
