//! Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama,
//! llama.cpp server) through async-openai, streamed: tool-call deltas are
//! reassembled as they arrive.

use std::time::Duration;

use anyhow::Context;
use async_openai::config::OpenAIConfig;
use async_openai::Client;
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::{Assembler, BoxFuture, Interpretation, Interpreter, ToolSpec};
use crate::config::LlmConfig;

pub struct OpenAi {
    client: Client<OpenAIConfig>,
    model: String,
    timeout: Duration,
}

impl OpenAi {
    pub fn new(cfg: &LlmConfig) -> anyhow::Result<OpenAi> {
        // reqwest is built without a bundled TLS provider; ring is already in the tree.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Local servers take any key; hosted ones need the variable set.
        let key = std::env::var(&cfg.api_key_env).unwrap_or_default();
        anyhow::ensure!(!cfg.model.is_empty(), "llm.model is empty");
        let config = OpenAIConfig::new()
            .with_api_base(cfg.base_url.trim_end_matches('/'))
            .with_api_key(key);
        Ok(OpenAi {
            client: Client::with_config(config),
            model: cfg.model.clone(),
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
        })
    }
}

impl Interpreter for OpenAi {
    fn describe(&self) -> String {
        format!("openai:{}", self.model)
    }

    fn interpret<'a>(
        &'a self,
        system: &'a str,
        user: &'a str,
        tools: &'a [ToolSpec],
    ) -> BoxFuture<'a, anyhow::Result<Interpretation>> {
        Box::pin(async move {
            let tools: Vec<Value> = tools
                .iter()
                .map(|t| json!({ "type": "function", "function": t }))
                .collect();
            let request = json!({
                "model": self.model,
                "messages": [
                    { "role": "system", "content": system },
                    { "role": "user", "content": user },
                ],
                "tools": tools,
                "tool_choice": "auto",
                "temperature": 0,
                "stream": true,
            });
            let run = async {
                let mut stream = self
                    .client
                    .chat()
                    .create_stream_byot::<Value, Value>(request)
                    .await
                    .context("starting the chat completion")?;
                let mut assembled = Assembler::default();
                while let Some(chunk) = stream.next().await {
                    assembled.push(&chunk.context("reading the completion stream")?);
                }
                anyhow::Ok(assembled.finish())
            };
            tokio::time::timeout(self.timeout, run)
                .await
                .with_context(|| {
                    format!(
                        "{} gave no answer within {:?}",
                        self.describe(),
                        self.timeout
                    )
                })?
        })
    }
}
