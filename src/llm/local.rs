//! A GGUF model run in-process by llama.cpp (llama-cpp-2). The model's output
//! is constrained by a grammar built from the offered tools' JSON schemas, so
//! it can only write `{"name": <tool>, "arguments": {...}}` or
//! `{"say": "..."}`; whether the call makes sense is still for the agent to
//! judge, as with any model.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use serde_json::{json, Value};

use super::{BoxFuture, Call, Interpretation, Interpreter, ToolSpec};
use crate::config::LlmConfig;

/// The pinned model `make setup` fetches (see `src/retrieval/models.json`).
const DEFAULT_MODEL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

const CONTEXT_TOKENS: u32 = 4096;
const BATCH: usize = 512;

/// llama.cpp's backend is process-wide and may be initialised only once.
fn backend() -> anyhow::Result<&'static LlamaBackend> {
    static BACKEND: OnceLock<LlamaBackend> = OnceLock::new();
    if let Some(b) = BACKEND.get() {
        return Ok(b);
    }
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
    let b = LlamaBackend::init().context("starting llama.cpp")?;
    Ok(BACKEND.get_or_init(|| b))
}

pub struct Local {
    model: Arc<LlamaModel>,
    name: String,
    threads: i32,
    max_tokens: usize,
    timeout: Duration,
    /// One generation at a time: on two cores, parallel decodes only slow each other.
    busy: Arc<Mutex<()>>,
}

impl Local {
    pub fn new(cfg: &LlmConfig, models: &Path) -> anyhow::Result<Local> {
        let path = if cfg.model_path.as_os_str().is_empty() {
            models.join(DEFAULT_MODEL)
        } else {
            cfg.model_path.clone()
        };
        anyhow::ensure!(
            path.is_file(),
            "GGUF model {} is missing; run `make setup` or set llm.model_path",
            path.display()
        );
        let model = LlamaModel::load_from_file(backend()?, &path, &LlamaModelParams::default())
            .with_context(|| format!("loading GGUF model {}", path.display()))?;
        Ok(Local {
            model: Arc::new(model),
            name: file_stem(&path),
            threads: cfg.threads.clamp(1, 64) as i32,
            max_tokens: cfg.max_tokens.max(16),
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
            busy: Arc::new(Mutex::new(())),
        })
    }
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| PathBuf::from(p).display().to_string())
}

impl Interpreter for Local {
    fn describe(&self) -> String {
        format!("local:{}", self.name)
    }

    fn interpret<'a>(
        &'a self,
        system: &'a str,
        user: &'a str,
        tools: &'a [ToolSpec],
    ) -> BoxFuture<'a, anyhow::Result<Interpretation>> {
        let (model, busy) = (self.model.clone(), self.busy.clone());
        let job = Job {
            system: prompt(system, tools),
            user: user.to_string(),
            grammar: grammar(tools),
            threads: self.threads,
            max_tokens: self.max_tokens,
            deadline: Instant::now() + self.timeout,
        };
        Box::pin(async move {
            let text = tokio::task::spawn_blocking(move || {
                let _one = busy.lock().unwrap_or_else(|e| e.into_inner());
                job.run(&model)
            })
            .await
            .context("the model's thread failed")??;
            Ok(parse(&text))
        })
    }
}

/// The system prompt with the tools spelled out: chat templates built into
/// small GGUF models have no slot for tools. Only argument names are listed:
/// the grammar enforces the full schemas, and on a CPU every prompt token
/// costs (about 5 ms each here).
fn prompt(system: &str, tools: &[ToolSpec]) -> String {
    let mut out = format!("{system}\n\nTools:\n");
    for t in tools {
        let args: Vec<&str> = t.parameters["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        out.push_str(&format!(
            "- {}({}): {}\n",
            t.name,
            args.join(", "),
            t.description
        ));
    }
    out.push_str("Answer with one JSON object: {\"name\": tool, \"arguments\": {...}} or {\"say\": sentence}.");
    out
}

/// GBNF for "one of these calls, or a sentence". The converter's whitespace
/// rule allows long runs of newlines, which small models fill until the
/// token limit, so it is cut to at most one space.
fn grammar(tools: &[ToolSpec]) -> anyhow::Result<String> {
    let mut options: Vec<Value> = tools
        .iter()
        .map(|t| {
            json!({
                "type": "object",
                "properties": { "name": { "const": t.name }, "arguments": t.parameters },
                "required": ["name", "arguments"],
                "additionalProperties": false,
            })
        })
        .collect();
    options.push(json!({
        "type": "object",
        "properties": { "say": { "type": "string", "maxLength": 200 } },
        "required": ["say"],
        "additionalProperties": false,
    }));
    let gbnf = llama_cpp_2::json_schema_to_grammar(&json!({ "oneOf": options }).to_string())
        .context("turning the tool schemas into a grammar")?;
    Ok(gbnf
        .lines()
        .map(|l| {
            if l.starts_with("space ::=") {
                "space ::= \" \"?"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// What the model wrote, as calls or text. The grammar makes it JSON unless
/// generation stopped early; a cut-off answer is no call.
fn parse(text: &str) -> Interpretation {
    match serde_json::from_str::<Value>(text) {
        Ok(v) if v["name"].is_string() => Interpretation {
            text: String::new(),
            calls: vec![Call {
                name: v["name"].as_str().unwrap_or_default().to_string(),
                arguments: v["arguments"].clone(),
            }],
        },
        Ok(v) => Interpretation {
            text: v["say"].as_str().unwrap_or_default().to_string(),
            calls: vec![],
        },
        Err(_) => Interpretation {
            text: text.to_string(),
            calls: vec![],
        },
    }
}

struct Job {
    system: String,
    user: String,
    grammar: anyhow::Result<String>,
    threads: i32,
    max_tokens: usize,
    deadline: Instant,
}

impl Job {
    fn run(self, model: &LlamaModel) -> anyhow::Result<String> {
        let backend = backend()?;
        let grammar = self.grammar?;
        let template = model
            .chat_template(None)
            .context("the model has no chat template")?;
        let messages = [
            LlamaChatMessage::new("system".into(), self.system)?,
            LlamaChatMessage::new("user".into(), self.user)?,
        ];
        let text = model.apply_chat_template(&template, &messages, true)?;
        let vocab = model.vocab();
        let tokens = vocab.tokenize(text.as_bytes(), true, true);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(CONTEXT_TOKENS))
            .with_n_batch(BATCH as u32)
            .with_n_threads(self.threads)
            .with_n_threads_batch(self.threads);
        let mut ctx = model
            .new_context(backend, params)
            .context("creating a llama.cpp context")?;
        anyhow::ensure!(
            tokens.len() + self.max_tokens < CONTEXT_TOKENS as usize,
            "the prompt is too long for the model ({} tokens)",
            tokens.len()
        );
        let mut batch = LlamaBatch::new(BATCH, 1);
        for (i, chunk) in tokens.chunks(BATCH).enumerate() {
            batch.clear();
            for (j, t) in chunk.iter().enumerate() {
                let pos = i * BATCH + j;
                batch.add(*t, pos as i32, &[0], pos + 1 == tokens.len())?;
            }
            ctx.decode(&mut batch).context("reading the prompt")?;
        }
        // Small models loop ("the match, the match, ..."); a repetition
        // penalty ends arguments sooner, and the grammar keeps the JSON whole.
        let mut sampler = LlamaSampler::chain_simple([
            LlamaSampler::grammar(model, &grammar, "root").context("loading the grammar")?,
            LlamaSampler::penalties(model.n_vocab(), 64, 1.3, 0.0, 0.0),
            LlamaSampler::greedy(),
        ]);
        let mut out = Vec::new();
        let start = tokens.len() as i32;
        for pos in start..start + self.max_tokens as i32 {
            if Instant::now() > self.deadline {
                tracing::warn!("local model ran out of time");
                break;
            }
            let token = sampler.sample(&ctx, batch.n_tokens() - 1);
            if vocab.is_eog(token) {
                break;
            }
            out.extend(vocab.token_to_piece(token, false, None));
            batch.clear();
            batch.add(token, pos, &[0], true)?;
            ctx.decode(&mut batch).context("generating")?;
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_allows_each_tool_or_a_sentence_with_little_whitespace() {
        let tools = vec![ToolSpec {
            name: "search_help".into(),
            description: "Search help".into(),
            parameters: json!({"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}),
        }];
        let g = grammar(&tools).unwrap();
        assert!(g.contains("search_help"), "{g}");
        assert!(g.contains("say"), "{g}");
        assert!(g.lines().any(|l| l == "space ::= \" \"?"), "{g}");
    }

    #[test]
    fn output_is_a_call_a_sentence_or_nothing() {
        let call = parse(r#"{"name": "search_help", "arguments": {"query": "refunds"}}"#);
        assert_eq!(call.calls[0].name, "search_help");
        assert_eq!(call.calls[0].arguments, json!({"query": "refunds"}));
        assert_eq!(parse(r#"{"say": "Hello"}"#).text, "Hello");
        assert!(parse(r#"{"name": "search_he"#).calls.is_empty());
    }
}
