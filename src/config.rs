//! Configuration: defaults, then `errand.toml`, then `ERRAND_*` variables and flags.
//!
//! Precedence is applied by [`Config::load`] for the file and by the CLI for
//! flags and environment variables (clap reads both), so every key has exactly
//! one place that decides its value.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything Errand can be configured with. All keys are optional in the
/// file; `errand.toml` in the repository documents each one with its default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub paths: PathsConfig,
    pub store: StoreConfig,
    pub retrieval: RetrievalConfig,
    pub commerce: CommerceConfig,
    pub auth: AuthConfig,
    pub llm: LlmConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the HTTP server binds to.
    pub addr: String,
    /// A request taking longer than this (its body included) is answered with 408.
    pub request_timeout_secs: u64,
    /// A connection that has not sent a whole request head in this time is
    /// closed, so slow or idle clients cannot hold connections open.
    pub header_timeout_secs: u64,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Serve `POST /v1/test_helpers/fixtures` (fresh customers, orders in a
    /// chosen state, tokens) for the evaluation harness. Never in production.
    pub test_helpers: bool,
    /// Other sites whose pages may embed the widget (CORS), e.g.
    /// `https://shop.example.com`. Empty: only pages Errand serves itself.
    pub widget_origins: Vec<String>,
    /// Chat turns computed at once; 0: one per core.
    pub turns_in_flight: usize,
    /// Chat turns that may wait for one of those; more are refused with 503.
    pub turn_queue: usize,
    /// How long a waiting turn may wait for its slot before it is refused
    /// with 503 after all: the bound on a turn's queueing, whatever the load.
    pub turn_wait_ms: u64,
    /// A streamed answer with nothing to send yet (its turn waiting for a
    /// slot, or a model revising it) sends an SSE comment this often.
    pub sse_keep_alive_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `postgres://user@host:port/db` for PostgreSQL, shared by any number
    /// of replicas. Empty: SQLite at `<data>/errand.db`.
    pub url: String,
    /// PostgreSQL schema holding Errand's tables (created if missing);
    /// empty: the server's default search path.
    pub schema: String,
    /// PostgreSQL connections per process.
    pub pool_size: u32,
    /// With `sslmode=require` in `url`: PEM file of the CA the server's
    /// certificate must chain to; empty: the system's roots.
    pub ca_file: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: String::new(),
            schema: String::new(),
            pool_size: 8,
            ca_file: PathBuf::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PathsConfig {
    /// Shipped knowledge: catalog, recipes, help articles, places, seed data.
    pub knowledge: PathBuf,
    /// Mutable state: the SQLite database and the derived search indexes.
    pub data: PathBuf,
    /// Model files fetched by the setup script (ONNX Runtime, embedding model).
    pub models: PathBuf,
    /// Intent examples, flows and reply templates of the assistant.
    pub prompts: PathBuf,
    /// One JSON schema per assistant tool.
    pub tools: PathBuf,
    /// The real development dialogues (see prompts/real.toml), which `errand
    /// eval real` replays. The reader never learns from here: it learns from
    /// the tuning parts shipped in `prompts/training/`.
    pub real_dialogues: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrievalConfig {
    /// Qdrant cluster URL (gRPC). Empty means the embedded qdrant-edge store.
    pub qdrant_url: String,
    /// Number of query embeddings kept in the LRU cache.
    pub embed_cache: usize,
    /// Reciprocal Rank Fusion constant.
    pub rrf_k: f32,
    /// Threads ONNX Runtime may use for one embedding session.
    pub embed_threads: usize,
    /// Embedding sessions (model copies) for queries: that many run at once.
    pub embed_sessions: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommerceConfig {
    /// Platform commission on each merchant's goods after its own discounts, in basis points.
    pub commission_bps: u32,
    /// Size of the simulated driver fleet.
    pub drivers: usize,
    /// How long a ride quote can be booked, in seconds.
    pub quote_ttl_secs: u64,
    pub simulator: SimulatorConfig,
    /// A/B experiments on recommendations.
    pub experiments: Vec<ExperimentConfig>,
    /// Minutes an order may stay in each state before it counts as stuck.
    pub limits_minutes: StateLimits,
}

/// One experiment: customers split among rankings of one kind of
/// recommendation, by a hash of the experiment and the customer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Stable: renaming it reshuffles everyone.
    pub id: String,
    /// The recommendations it varies (`usual`).
    pub kind: String,
    /// The first is the control the others are compared with.
    pub variants: Vec<VariantConfig>,
    /// A stopped experiment serves its control and records nothing.
    #[serde(default = "running")]
    pub running: bool,
}

fn running() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantConfig {
    /// The ranking it serves (for `usual`: `repeat` or `tifu`).
    pub ranking: String,
    /// Its share of customers, relative to the others'.
    pub weight: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Lifecycle minutes that pass per real minute (1 = real time).
    pub speed: f64,
    /// How often the simulator moves orders and rides along, in milliseconds.
    pub tick_ms: u64,
    /// Seed for every simulated decision (which orders get stuck, driver names).
    pub seed: u64,
    /// Share of new orders the restaurant never accepts.
    pub stuck_restaurant: f64,
    /// Share of new orders no driver takes.
    pub stuck_no_driver: f64,
    /// Share of new orders whose driver stops moving.
    pub stuck_driver: f64,
    /// Move idle drivers toward the coming hour's expected pickups at the
    /// start of each hour (help-fleet-rebalancing-agent).
    pub rebalance: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateLimits {
    pub placed: u32,
    pub accepted: u32,
    pub preparing: u32,
    pub ready: u32,
    pub driver_assigned: u32,
    pub picked_up: u32,
}

impl StateLimits {
    /// The limit for an active state; `None` for final states.
    pub fn for_state(&self, state: &str) -> Option<u32> {
        Some(match state {
            "placed" => self.placed,
            "accepted" => self.accepted,
            "preparing" => self.preparing,
            "ready" => self.ready,
            "driver_assigned" => self.driver_assigned,
            "picked_up" => self.picked_up,
            _ => return None,
        })
    }
}

impl Default for CommerceConfig {
    fn default() -> Self {
        CommerceConfig {
            commission_bps: 1800,
            drivers: 40,
            quote_ttl_secs: 300,
            simulator: SimulatorConfig::default(),
            limits_minutes: StateLimits::default(),
            experiments: vec![ExperimentConfig {
                id: "usual-ranking".into(),
                kind: "usual".into(),
                variants: ["repeat", "tifu"]
                    .map(|r| VariantConfig {
                        ranking: r.into(),
                        weight: 50,
                    })
                    .into(),
                running: true,
            }],
        }
    }
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            speed: 10.0,
            tick_ms: 1000,
            seed: 7,
            stuck_restaurant: 0.05,
            stuck_no_driver: 0.05,
            stuck_driver: 0.03,
            rebalance: true,
        }
    }
}

/// The limits of the `help-stuck-diagnosis-agent` policy.
impl Default for StateLimits {
    fn default() -> Self {
        StateLimits {
            placed: 10,
            accepted: 15,
            preparing: 40,
            ready: 15,
            driver_assigned: 20,
            picked_up: 45,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// HMAC secret for bearer tokens. Empty: a random secret is created once
    /// and kept in the data folder, so tokens survive restarts.
    pub secret: String,
    /// Demo mode lets the widget act as any seeded customer without a token.
    pub demo: bool,
    /// Shared secret for Agentic Commerce Protocol request signatures. Set,
    /// every `/checkout_sessions` request must carry a valid `Signature`.
    pub acp_signing_secret: String,
}

/// An optional language model for the turns the router is unsure of.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// `none` (the default: no model), `openai` (any OpenAI-compatible
    /// endpoint) or `local` (a GGUF model run in-process by llama.cpp).
    pub backend: String,
    /// Base URL of the chat-completions API, e.g. `http://localhost:11434/v1` for Ollama.
    pub base_url: String,
    pub model: String,
    /// Name of the environment variable holding the API key; the key itself never goes in a file.
    pub api_key_env: String,
    /// Beyond this the deterministic answer stands.
    pub timeout_secs: u64,
    /// `local`: the GGUF file; empty means the pinned SmolLM2 under `paths.models`.
    pub model_path: PathBuf,
    /// `local`: CPU threads per generation. One is steadier when other work shares the cores.
    pub threads: u32,
    /// `local`: the longest answer generated.
    pub max_tokens: usize,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            backend: "none".into(),
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            timeout_secs: 10,
            model_path: PathBuf::new(),
            threads: 2,
            max_tokens: 160,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` for people, `json` for log shippers.
    pub format: String,
    /// A tracing filter such as `info` or `errand=debug,tower_http=info`.
    pub filter: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: "127.0.0.1:8080".into(),
            request_timeout_secs: 30,
            header_timeout_secs: 10,
            body_limit_bytes: 256 * 1024,
            test_helpers: false,
            widget_origins: vec![],
            turns_in_flight: 0,
            turn_queue: 64,
            turn_wait_ms: 50,
            sse_keep_alive_ms: 15_000,
        }
    }
}

impl Default for PathsConfig {
    fn default() -> Self {
        PathsConfig {
            knowledge: "knowledge".into(),
            data: "data".into(),
            models: ".models".into(),
            prompts: "prompts".into(),
            real_dialogues: "../shared/data/real-dialogues".into(),
            tools: "tools".into(),
        }
    }
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        RetrievalConfig {
            qdrant_url: String::new(),
            embed_cache: 4096,
            rrf_k: 60.0,
            embed_threads: 2,
            embed_sessions: 1,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            secret: String::new(),
            demo: true,
            acp_signing_secret: String::new(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            filter: "info,qdrant_edge=error".into(),
        }
    }
}

impl Config {
    /// Reads `path` over the defaults. A missing file is not an error when it
    /// is the default name, so a fresh checkout runs with no configuration.
    ///
    /// ```
    /// let cfg = errand::config::Config::from_toml("[server]\naddr = \"0.0.0.0:9000\"").unwrap();
    /// assert_eq!(cfg.server.addr, "0.0.0.0:9000");
    /// assert_eq!(cfg.paths.knowledge, std::path::PathBuf::from("knowledge"));
    /// ```
    pub fn load(path: &Path, required: bool) -> anyhow::Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("config {}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(e) => Err(anyhow::anyhow!("config {}: {e}", path.display())),
        }
    }

    pub fn from_toml(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = Config::from_toml("[server]\nadress = \"x\"").unwrap_err();
        assert!(err.to_string().contains("adress"), "{err}");
    }

    #[test]
    fn shipped_errand_toml_matches_the_defaults() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/errand.toml")).unwrap();
        let shipped = Config::from_toml(&text).unwrap();
        let defaults = Config::default();
        assert_eq!(format!("{shipped:?}"), format!("{defaults:?}"));
    }
}
