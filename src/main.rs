//! The `errand` command line: serve, index, token (and, as they land, chat, eval, bench).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use errand::app::App;
use errand::auth::{valid_subject, Principal};
use errand::config::Config;

#[derive(Parser)]
#[command(
    name = "errand",
    version,
    about = "Conversational shopping assistant server: groceries, restaurant food and rides."
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options shared by every subcommand; each overrides the same key of `errand.toml`.
#[derive(Args)]
struct Global {
    /// Configuration file (keys documented in the shipped errand.toml).
    #[arg(
        long,
        env = "ERRAND_CONFIG",
        default_value = "errand.toml",
        global = true
    )]
    config: PathBuf,
    /// Knowledge folder (catalog, recipes, help, places, seed).
    #[arg(long, env = "ERRAND_KNOWLEDGE", global = true)]
    knowledge: Option<PathBuf>,
    /// Data folder for the database and indexes.
    #[arg(long, env = "ERRAND_DATA", global = true)]
    data: Option<PathBuf>,
    /// Folder holding the model files fetched by `make setup`.
    #[arg(long, env = "ERRAND_MODELS", global = true)]
    models: Option<PathBuf>,
    /// PostgreSQL URL for the store (`postgres://user@host:port/db`);
    /// unset: SQLite in the data folder.
    #[arg(long, env = "ERRAND_STORE_URL", global = true)]
    store_url: Option<String>,
    /// PostgreSQL schema for the store's tables.
    #[arg(long, env = "ERRAND_STORE_SCHEMA", global = true)]
    store_schema: Option<String>,
    /// CA certificate (PEM) for a store URL with `sslmode=require`.
    #[arg(long, env = "ERRAND_STORE_CA_FILE", global = true)]
    store_ca_file: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, env = "ERRAND_LOG_FORMAT", global = true)]
    log_format: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (loads knowledge, migrates the database, builds missing indexes).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
        #[arg(long, env = "ERRAND_ADDR")]
        addr: Option<String>,
        /// Demo mode: the widget may act as any seeded customer without a token.
        #[arg(long, env = "ERRAND_DEMO")]
        demo: Option<bool>,
        /// HMAC secret for bearer tokens.
        #[arg(long, env = "ERRAND_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// Shared secret agentic checkout requests are signed with.
        #[arg(long, env = "ERRAND_ACP_SIGNING_SECRET", hide_env_values = true)]
        acp_signing_secret: Option<String>,
        /// Search vectors in a Qdrant cluster (gRPC URL) instead of the embedded store.
        #[arg(long, env = "ERRAND_QDRANT_URL")]
        qdrant_url: Option<String>,
        /// Serve POST /v1/test_helpers/fixtures for `errand eval --url`; never in production.
        #[arg(long, env = "ERRAND_TEST_HELPERS")]
        test_helpers: Option<bool>,
    },
    /// Validate the knowledge, load it into the database and bring the search indexes up to date.
    Index {
        /// Index into a Qdrant cluster (gRPC URL) instead of the embedded store.
        #[arg(long, env = "ERRAND_QDRANT_URL")]
        qdrant_url: Option<String>,
    },
    /// Recompute the behavioural customer segments from the orders (RFM,
    /// k-means, k chosen by silhouette) and store them as the latest run.
    Segments {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Copy the tuning part of the development sets into prompts/training/,
    /// the shipped examples the reader learns from (`errand index` fits it).
    Training {
        /// The development sets' folder (holding real-dialogues/ and out-of-scope/).
        #[arg(long, default_value = "../shared/data")]
        from: PathBuf,
    },
    /// Chat with the assistant in the terminal, as a seeded customer (same engine as /v1/chat).
    Chat {
        /// The customer to act as.
        #[arg(long, default_value = "c-0001")]
        customer: String,
    },
    /// Replay the recorded dialogues in evals/ against a server and score them
    /// (`errand eval retrieval` scores search alone).
    Eval {
        #[command(subcommand)]
        what: Option<EvalWhat>,
        #[command(flatten)]
        dialogues: DialogueArgs,
    },
    /// Measure speed (see `errand bench retrieval --help`).
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Print a bearer token for a customer or a care agent.
    Token {
        #[arg(long, conflicts_with = "agent", required_unless_present = "agent")]
        customer: Option<String>,
        #[arg(long)]
        agent: Option<String>,
        /// Lifetime in hours.
        #[arg(long, default_value_t = 24)]
        hours: u64,
        /// HMAC secret (must match the server's).
        #[arg(long, env = "ERRAND_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
}

#[derive(Args)]
struct DialogueArgs {
    /// Folder of dialogue files (*.yaml).
    #[arg(long, default_value = "evals/dialogues")]
    dir: PathBuf,
    /// A running server (started with `--test-helpers true`); without it one
    /// is started in-process on a free port, on a fresh database.
    #[arg(long)]
    url: Option<String>,
    /// Only dialogues with this tag (repeatable: any of them).
    #[arg(long)]
    filter: Vec<String>,
    /// Leave out dialogues with this tag (repeatable), e.g. `--exclude holdout` while tuning.
    #[arg(long)]
    exclude: Vec<String>,
    /// Runs per dialogue; a dialogue passes only if every run does (pass^k).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Dialogues replayed at once.
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Write report.md and report.html (charts, every failure) into this folder.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Minimum scores; below them the command fails.
    #[arg(long, default_value = "evals/thresholds.toml")]
    thresholds: PathBuf,
}

#[derive(Subcommand)]
enum EvalWhat {
    /// Replay real crowd-written dialogues (a development file of
    /// ../shared/data/real-dialogues) and score baskets, routing or rides,
    /// tuning and validation parts side by side.
    Real {
        /// Which set the file holds.
        #[arg(long, value_enum)]
        set: RealSet,
        /// The set's file (JSONL for taskmaster4 and sgd, CSV for bitext).
        file: PathBuf,
        /// A running server (started with `--test-helpers true`); without it
        /// one is started in-process on a fresh database.
        #[arg(long)]
        url: Option<String>,
        /// Dialogues replayed at once.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        /// Only this many dialogues of each part (0: all), for a quick look.
        #[arg(long, default_value_t = 0)]
        limit: usize,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Write every case that missed any score (turns, intents, replies) as JSONL here.
        #[arg(long)]
        failures: Option<PathBuf>,
    },
    /// The reader's intent classifier alone, in-process: tuning, validation
    /// and leave-one-source-out routing per source (Errand's own examples,
    /// Bitext, SGD, Taskmaster-4, CLINC150), with out-of-scope recall.
    Reader {
        /// The development sets' folder, whose validation parts are scored.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// Try another L2 penalty than the shipped one (refits; ships nothing).
        #[arg(long)]
        alpha: Option<f64>,
        /// Try another iteration limit than the shipped one.
        #[arg(long)]
        iterations: Option<u64>,
        /// Try another weight for Errand's own examples.
        #[arg(long)]
        own_weight: Option<usize>,
        /// Try learning another share (one in N) of CLINC150's off-topic requests.
        #[arg(long)]
        off_topic_every: Option<u64>,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Next-basket scores (Recall@k, NDCG@k, hit rate, coverage, diversity) of
    /// each recommendation method and the popularity and repeat baselines,
    /// each customer's last basket held out: over the database's orders, or
    /// over an external dataset in the next-basket format.
    Recs {
        /// History file of an external dataset ({"user": [[-1], [item, ...], ..., [-1]]}).
        #[arg(long, requires = "future")]
        history: Option<PathBuf>,
        /// Its future file: each user's next basket, in the same format.
        #[arg(long, requires = "history")]
        future: Option<PathBuf>,
        /// Also write our history in that format (history.json, future.json,
        /// items.json) into this folder.
        #[arg(long, conflicts_with = "history")]
        export: Option<PathBuf>,
        /// List length.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Demand forecasts backtested with a rolling origin over the seed demand
    /// history: MAPE, sMAPE and MASE of MSTL and AutoETS against the
    /// seasonal-naive and moving-average baselines, per level and horizon.
    Forecast {
        /// Horizons in days.
        #[arg(long, value_delimiter = ',', default_values_t = [7, 28, 90])]
        horizons: Vec<usize>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Feedback triage against hand-labelled texts: class and team accuracy,
    /// precision and recall per class and team, aspects; tune and holdout
    /// parts (every third text) side by side.
    Feedback {
        /// Labelled texts (JSONL: text, rating?, class, aspects, team).
        #[arg(long, default_value = "evals/feedback/labelled.jsonl")]
        file: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Write every text it got wrong somewhere as JSONL here.
        #[arg(long)]
        failures: Option<PathBuf>,
    },
    /// nDCG@10, recall@10 and MRR of bm25, dense and hybrid search over the labelled queries.
    Retrieval {
        /// Folder of labelled queries (*.jsonl).
        #[arg(long, default_value = "evals/retrieval")]
        queries: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Also score static word embeddings (WordLlama) in MiniLM's place,
        /// dense and hybrid, with what each costs to embed.
        #[arg(long = "static")]
        with_static: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RealSet {
    Taskmaster4,
    Sgd,
    Bitext,
    /// CLINC150's development part (../shared/data/out-of-scope/clinc150.dev.json).
    Clinc150,
}

#[derive(Subcommand)]
enum BenchWhat {
    /// p50/p99 of one deterministic chat turn, in process and over HTTP,
    /// on a private copy of the data (nothing is written to yours).
    Chat {
        /// Turns to time each way.
        #[arg(long, default_value_t = 300)]
        turns: usize,
        /// Instead, customers talking at once over HTTP, e.g. 1,50,200: turns/s
        /// and p50/p95/p99 at each level, refusals by admission control counted.
        #[arg(long, value_delimiter = ',')]
        concurrency: Vec<usize>,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Checkout throughput and p50/p99 over HTTP with that many customers
    /// checking out at once, on a private copy of the data (nothing is
    /// written to yours); the store is the configured one.
    Store {
        /// Concurrent customers per level.
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        concurrency: Vec<usize>,
        /// Checkouts per level (at least one per customer).
        #[arg(long, default_value_t = 640)]
        checkouts: usize,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Recommendation latency per kind against a history grown `--scale` times,
    /// on a private copy of the database (nothing is written to yours).
    Recs {
        /// How many times the seed history to serve from.
        #[arg(long, default_value_t = 10)]
        scale: usize,
        /// Requests to time per kind.
        #[arg(long, default_value_t = 500)]
        requests: usize,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Pickup waits and unserved requests over the seed's last days, the
    /// same fleet as it is and rebalanced every hour toward the heatmap.
    Fleet {
        /// How many of the last days to replay.
        #[arg(long, default_value_t = 7)]
        days: usize,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Query latency per search mode (query embedding included) and indexing throughput.
    Retrieval {
        /// How many distinct queries to time (labelled ones first, then catalog titles).
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        /// Instead, vector search over the catalog and one this many times
        /// larger: exact against HNSW, latency and recall@10 (embeds them all:
        /// minutes).
        #[arg(long)]
        catalog_scale: Option<usize>,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
}

/// A fresh fixture customer of a private bench server: (id, bearer token).
fn fixture_customer(client: &errand::eval::client::Client) -> anyhow::Result<(String, String)> {
    let fx = client.call(
        "POST",
        "/v1/test_helpers/fixtures",
        None,
        Some(&serde_json::json!({})),
    )?;
    anyhow::ensure!(fx.status == 201, "creating a bench customer: {}", fx.body);
    let fx = fx.json();
    let field = |k: &str| {
        fx[k]
            .as_str()
            .map(str::to_string)
            .context("fixture customer")
    };
    Ok((field("customer_id")?, field("customer_token")?))
}

/// Runs `level` once per concurrency level, with that many fixture
/// customers (their tokens) each doing `each(n)` units of work, then prints
/// the levels as JSON or as `summary` puts them.
fn bench_levels<L: serde::Serialize>(
    client: &errand::eval::client::Client,
    concurrency: &[usize],
    json: bool,
    unit: &str,
    each: impl Fn(usize) -> usize,
    level: impl Fn(&[String], usize, &(dyn Fn() + Sync)) -> anyhow::Result<L>,
    summary: impl FnOnce(&[L]) -> String,
) -> anyhow::Result<()> {
    let most = concurrency.iter().copied().max().unwrap_or(1).max(1);
    let tokens: Vec<String> = (0..most)
        .map(|_| fixture_customer(client).map(|(_, token)| token))
        .collect::<anyhow::Result<_>>()?;
    let total: usize = concurrency.iter().map(|&n| n.max(1) * each(n.max(1))).sum();
    let bar = errand::eval::progress(json, total, unit);
    let mut levels = Vec::new();
    for &n in concurrency {
        let n = n.max(1);
        levels.push(level(&tokens[..n], each(n), &|| bar.inc(1))?);
    }
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string(&levels)?);
    } else {
        print!("{}", summary(&levels));
    }
    Ok(())
}

/// Writes one JSON object per line (the `--failures` files).
fn write_jsonl<T: serde::Serialize>(
    path: &std::path::Path,
    rows: impl IntoIterator<Item = T>,
) -> anyhow::Result<()> {
    let mut out = String::new();
    for row in rows {
        out += &serde_json::to_string(&row)?;
        out.push('\n');
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Serves `app` on `listener`: it answers liveness at once, runs the
/// simulator, and loads the indexes and the assistant behind `/readyz`; a
/// load failure stops the server.
async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    tokio::spawn(simulate(app.clone()));
    let loader = app.clone();
    let loading = tokio::spawn(async move {
        let report = loader.load_retrieval(false).await?;
        loader.load_assistant()?;
        let orders = loader.commerce.learn_orders().await?;
        tracing::info!(orders, "recommendations learned the order history");
        anyhow::Ok(report)
    });
    let server = errand::http::serve(app, listener);
    tokio::pin!(server);
    tokio::select! {
        res = &mut server => res,
        loaded = loading => {
            let report = loaded?.map_err(|e| e.context("loading search indexes"))?;
            tracing::info!(docs = report.docs, embedded = report.embedded, seconds = report.seconds, backend = %report.backend, "ready");
            server.await
        }
    }
}

/// The words segments are named with, from `prompts/segments.toml`.
fn segment_names(cfg: &Config) -> anyhow::Result<errand::ops::segments::Names> {
    let path = cfg.paths.prompts.join("segments.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Moves orders and rides along their lifecycles until the process ends.
async fn simulate(app: Arc<App>) {
    let every = std::time::Duration::from_millis(app.config.commerce.simulator.tick_ms.max(50));
    loop {
        tokio::time::sleep(every).await;
        match app.commerce.simulate(chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(transitions = n, "simulator step"),
            Err(e) => tracing::error!(error = %e, "simulator step failed"),
        }
    }
}

fn config(global: &Global) -> anyhow::Result<Config> {
    let explicit = std::env::var_os("ERRAND_CONFIG").is_some()
        || global.config.as_path() != std::path::Path::new("errand.toml");
    let mut cfg = Config::load(&global.config, explicit)?;
    if let Some(k) = &global.knowledge {
        cfg.paths.knowledge = k.clone();
    }
    if let Some(d) = &global.data {
        cfg.paths.data = d.clone();
    }
    if let Some(m) = &global.models {
        cfg.paths.models = m.clone();
    }
    if let Some(u) = &global.store_url {
        cfg.store.url = u.clone();
    }
    if let Some(s) = &global.store_schema {
        cfg.store.schema = s.clone();
    }
    if let Some(c) = &global.store_ca_file {
        cfg.store.ca_file = c.clone();
    }
    if let Some(f) = &global.log_format {
        cfg.log.format = f.clone();
    }
    Ok(cfg)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut cfg = config(&cli.global)?;
    // An evaluation's in-process server would drown its table in request logs.
    let filter = match &cli.command {
        Command::Eval {
            what: None | Some(EvalWhat::Real { .. } | EvalWhat::Recs { .. }),
            ..
        }
        | Command::Bench {
            what: BenchWhat::Recs { .. },
        } => "warn,qdrant_edge=error",
        _ => cfg.log.filter.as_str(),
    };
    errand::telemetry::init(&cfg.log.format, filter);
    match cli.command {
        Command::Serve {
            addr,
            demo,
            secret,
            acp_signing_secret,
            qdrant_url,
            test_helpers,
        } => {
            if let Some(s) = acp_signing_secret {
                cfg.auth.acp_signing_secret = s;
            }
            if let Some(u) = qdrant_url {
                cfg.retrieval.qdrant_url = u;
            }
            if let Some(a) = addr {
                cfg.server.addr = a;
            }
            if let Some(d) = demo {
                cfg.auth.demo = d;
            }
            if let Some(s) = secret {
                cfg.auth.secret = s;
            }
            if let Some(t) = test_helpers {
                cfg.server.test_helpers = t;
            }
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let addr = cfg.server.addr.clone();
                let app = Arc::new(tokio::task::spawn_blocking(move || App::open(cfg)).await??);
                let listener = errand::http::bind(&addr)
                    .await
                    .map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
                // One plain line on stdout so scripts and tests can find a port chosen with :0.
                println!("errand listening on http://{}", listener.local_addr()?);
                serve(app, listener).await
            })
        }
        Command::Segments { json } => {
            let app = App::open(cfg)?;
            let names = segment_names(&app.config)?;
            let found = tokio::runtime::Runtime::new()?.block_on(app.commerce.resegment(names))?;
            let Some(s) = found else {
                anyhow::bail!("too few customers with orders to segment");
            };
            if json {
                println!("{}", serde_json::to_string(&s)?);
                return Ok(());
            }
            for (k, score) in &s.tried {
                println!("k={k}: silhouette {score:.3}");
            }
            println!("\nchosen k={} (silhouette {:.3})\n", s.k, s.silhouette);
            println!("| segment | customers | days since last order | orders | spend (Rs) |");
            println!("|---|---:|---:|---:|---:|");
            for g in &s.segments {
                println!(
                    "| {} | {} | {:.1} | {:.1} | {:.0} |",
                    g.name,
                    g.customers,
                    g.recency_days,
                    g.orders,
                    g.spend_minor / 100.0
                );
            }
            Ok(())
        }
        Command::Index { qdrant_url } => {
            if let Some(u) = qdrant_url {
                cfg.retrieval.qdrant_url = u;
            }
            let app = App::open(cfg)?;
            let report = tokio::runtime::Runtime::new()?.block_on(app.load_retrieval(true))?;
            let examples = errand::agent::Agent::train_router(
                &app.config.paths,
                &app.knowledge,
                app.retriever().context("retrieval not loaded")?,
            )?;
            let (given, learnt) = examples
                .values()
                .fold((0, 0), |(g, l), (a, b)| (g + a, l + b));
            let by: Vec<String> = examples
                .iter()
                .map(|(s, (g, l))| format!("{s:?} {l} of {g}"))
                .collect();
            println!(
                "reader: learnt from {learnt} of {given} shipped examples ({})",
                by.join(", ")
            );
            let rt = tokio::runtime::Runtime::new()?;
            match rt.block_on(app.commerce.resegment(segment_names(&app.config)?))? {
                Some(s) => println!(
                    "customer segments: {} (silhouette {:.3})",
                    s.k, s.silhouette
                ),
                None => println!("customer segments: too few customers with orders"),
            }
            println!(
                "indexed {} documents in {:.2}s: keyword index {}, {} embedded, {} deleted ({})",
                report.docs,
                report.seconds,
                if report.keyword_rebuilt {
                    "rebuilt"
                } else {
                    "unchanged"
                },
                report.embedded,
                report.deleted,
                report.backend
            );
            Ok(())
        }
        Command::Chat { customer } => {
            use std::io::{BufRead, Write};
            let app = App::open(cfg)?;
            anyhow::ensure!(
                app.knowledge.customers.iter().any(|c| c.id == customer),
                "unknown customer {customer}"
            );
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                app.load_retrieval(false).await?;
                app.load_assistant()?;
                let session = app
                    .store
                    .create_conversation(Some(customer.clone()), None, None, "customer")
                    .await?;
                println!(
                    "Errand, as {customer} (session {}). Empty line or Ctrl-D to quit.",
                    session.id
                );
                let stdin = std::io::stdin();
                loop {
                    print!("> ");
                    std::io::stdout().flush()?;
                    let mut line = String::new();
                    if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
                        return Ok(());
                    }
                    let turn = app.chat(&customer, &session.id, line.trim()).await?;
                    let correction = app.revise(&customer, line.trim(), &turn).await?;
                    for (t, label) in [(Some(turn), ""), (correction, "(corrected) ")] {
                        let Some(t) = t else { continue };
                        for c in &t.tool_calls {
                            let failed = if c.ok { "" } else { " failed" };
                            println!("  [{}{failed}] {}", c.name, c.arguments);
                        }
                        println!("{label}{}\n", t.reply);
                    }
                }
            })
        }
        Command::Eval {
            what: None,
            dialogues,
        } => eval_dialogues(cfg, dialogues),
        Command::Eval {
            what:
                Some(EvalWhat::Real {
                    set,
                    file,
                    url,
                    jobs,
                    limit,
                    json,
                    failures,
                }),
            ..
        } => {
            use errand::eval::real;
            let set = match set {
                RealSet::Taskmaster4 => real::Set::Taskmaster4,
                RealSet::Sgd => real::Set::Sgd,
                RealSet::Bitext => real::Set::Bitext,
                RealSet::Clinc150 => real::Set::Clinc150,
            };
            let map = real::Map::load(&cfg.paths.prompts)?;
            let knowledge = errand::knowledge::Knowledge::load(&cfg.paths.knowledge)?;
            let (mut cases, skipped) = real::load(set, &file, &map, &knowledge)?;
            if limit > 0 {
                let mut seen = std::collections::BTreeMap::new();
                cases.retain(|c| {
                    let n = seen.entry(c.part).or_insert(0);
                    *n += 1;
                    *n <= limit
                });
            }
            let server = EvalServer::start(cfg, url)?;
            let client = errand::eval::client::Client::new(&server.base)?;
            let bar = errand::eval::progress(json, cases.len(), "dialogues");
            let outcomes = real::run(&client, &knowledge, &cases, jobs, &|_| bar.inc(1));
            bar.finish_and_clear();
            drop(server);
            let summary = real::summarise(set, skipped, &outcomes);
            if json {
                println!("{}", serde_json::to_string(&summary)?);
            } else {
                print!("{}", real::table(&summary));
            }
            if let Some(path) = failures {
                // A case fails on its headline or on any of its other scores.
                let failed = |o: &&real::Outcome| !o.passed || o.scores.values().any(|&v| v < 1.0);
                write_jsonl(&path, outcomes.iter().filter(failed))?;
            }
            Ok(())
        }
        Command::Eval {
            what:
                Some(EvalWhat::Recs {
                    history,
                    future,
                    export,
                    k,
                    json,
                }),
            ..
        } => {
            use errand::eval::recs;
            if k == 0 {
                anyhow::bail!("--k must be at least 1");
            }
            let (ds, split) = match (history, future) {
                (Some(h), Some(f)) => recs::read_external(&h, &f)?,
                _ => {
                    let app = App::open(cfg)?;
                    let rt = tokio::runtime::Runtime::new()?;
                    let orders = rt.block_on(app.commerce.order_history())?;
                    let ds = recs::from_orders(&orders, &app.knowledge);
                    let split = recs::leave_last_out(&ds.baskets);
                    (ds, split)
                }
            };
            if let Some(dir) = export {
                recs::export(&ds, &split, &dir)?;
            }
            let report = recs::evaluate(&ds, &split, k, !json);
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", recs::table(&report));
            }
            Ok(())
        }
        Command::Eval {
            what: Some(EvalWhat::Forecast { horizons, json }),
            ..
        } => {
            use errand::eval::forecast;
            let k = errand::knowledge::Knowledge::load(&cfg.paths.knowledge)?;
            let rows = forecast::evaluate(&k, &horizons, |r| {
                eprintln!(
                    "{} h={} {}: MASE {:.3}",
                    r.level,
                    r.horizon,
                    r.method.name(),
                    r.errors.mase
                )
            });
            if json {
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                print!("{}", forecast::table(&rows));
            }
            Ok(())
        }
        Command::Eval {
            what:
                Some(EvalWhat::Feedback {
                    file,
                    json,
                    failures,
                }),
            ..
        } => {
            use errand::eval::feedback;
            let triage = errand::triage::Triage::load(&cfg.paths.prompts.join("triage.toml"))?;
            let set = feedback::load(&file)?;
            let (report, misses) = feedback::evaluate(&triage, &set);
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", feedback::table(&report));
            }
            if let Some(path) = failures {
                write_jsonl(&path, &misses)?;
            }
            Ok(())
        }
        Command::Training { from } => {
            let dir = cfg.paths.prompts.join("training");
            for (name, lines) in errand::agent::training::export_all(&from, &dir)? {
                println!("{}: {lines} lines", dir.join(name).display());
            }
            Ok(())
        }
        Command::Eval {
            what:
                Some(EvalWhat::Reader {
                    shared,
                    alpha,
                    iterations,
                    own_weight,
                    off_topic_every,
                    json,
                }),
            ..
        } => {
            use errand::eval::reader;
            let app = App::open(cfg)?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(app.load_retrieval(false))?;
            let r = app.retriever().context("retrieval not loaded")?;
            let report = reader::run(
                &app.config.paths.prompts,
                &app.knowledge,
                &shared,
                &errand::agent::router_cache(&app.config.paths),
                r.embedder(),
                {
                    let d = errand::agent::router::SETTINGS;
                    errand::agent::router::Settings {
                        alpha: alpha.unwrap_or(d.alpha),
                        max_iterations: iterations.unwrap_or(d.max_iterations),
                        own_weight: own_weight.unwrap_or(d.own_weight),
                        off_topic_every: off_topic_every.unwrap_or(d.off_topic_every),
                    }
                },
                &|step| eprintln!("{step}"),
            )?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", reader::table(&report));
            }
            Ok(())
        }
        Command::Eval {
            what:
                Some(EvalWhat::Retrieval {
                    queries,
                    json,
                    with_static,
                }),
            ..
        } => {
            use errand::eval::retrieval;
            let labelled = retrieval::load(&queries)?;
            let st = with_static
                .then(|| errand::retrieval::static_embed::StaticEmbedder::load(&cfg.paths.models))
                .transpose()?;
            let app = App::open(cfg)?;
            let rt = tokio::runtime::Runtime::new()?;
            let (report, compared) = rt.block_on(async {
                app.load_retrieval(!json).await?;
                let r = app.retriever().context("retrieval not loaded")?;
                let report = retrieval::run(r, &labelled, !json).await?;
                let compared = match &st {
                    Some(st) => Some(retrieval::compare_static(r, st, &labelled).await?),
                    None => None,
                };
                anyhow::Ok((report, compared))
            })?;
            if json {
                let mut out = serde_json::to_value(&report)?;
                if let Some(c) = &compared {
                    out["static"] = serde_json::to_value(c)?;
                }
                println!("{out}");
            } else {
                print!("{}", retrieval::table(&report));
                if let Some(c) = &compared {
                    print!("{}", retrieval::static_table(c));
                }
            }
            Ok(())
        }
        Command::Bench {
            what: BenchWhat::Fleet { days, json },
        } => {
            use errand::eval::fleet;
            anyhow::ensure!(days >= 1, "--days must be at least 1");
            let k = errand::knowledge::Knowledge::load(&cfg.paths.knowledge)?;
            let report = fleet::run(&k, &cfg.commerce, days, |d| {
                eprintln!(
                    "{}: p90 {:.1} -> {:.1} min, unserved {} -> {}",
                    d.day,
                    d.without.pickup_p90,
                    d.with.pickup_p90,
                    d.without.unserved,
                    d.with.unserved
                )
            });
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", fleet::table(&report));
            }
            Ok(())
        }
        Command::Bench {
            what:
                BenchWhat::Recs {
                    scale,
                    requests,
                    json,
                },
        } => {
            anyhow::ensure!(
                scale >= 1 && requests >= 1,
                "--scale and --requests must be at least 1"
            );
            // A scratch database: the grown history must not land in yours.
            let scratch =
                std::env::temp_dir().join(format!("errand-bench-recs-{}", std::process::id()));
            cfg.paths.data = scratch.clone();
            let app = App::open(cfg)?;
            let bar = errand::eval::progress(json, requests * 5 + requests.min(100), "requests");
            let rt = tokio::runtime::Runtime::new()?;
            let report = rt.block_on(errand::eval::bench::recs(&app, scale, requests, &|| {
                bar.inc(1)
            }));
            bar.finish_and_clear();
            drop(app);
            std::fs::remove_dir_all(&scratch).ok();
            let report = report?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", errand::eval::bench::recs_summary(&report));
            }
            Ok(())
        }
        Command::Bench {
            what:
                BenchWhat::Store {
                    concurrency,
                    checkouts,
                    json,
                },
        } => {
            // Groceries that meet their store's minimum order alone, most
            // stock first, so checkouts rarely run out.
            let k = errand::knowledge::Knowledge::load(&cfg.paths.knowledge)?;
            let mut products: Vec<&errand::knowledge::Product> = k
                .products
                .iter()
                .filter(|p| {
                    k.merchants.iter().any(|m| {
                        m.id == p.merchant_id
                            && m.kind == "grocery"
                            && p.price_minor >= m.min_order_minor
                    })
                })
                .collect();
            products.sort_by_key(|p| std::cmp::Reverse(p.stock));
            let products: Vec<String> = products.iter().take(200).map(|p| p.id.clone()).collect();
            let backend = if cfg.store.url.is_empty() {
                "sqlite"
            } else {
                "postgres"
            };
            let server = EvalServer::start(cfg, None)?;
            let client = errand::eval::client::Client::new(&server.base)?;
            bench_levels(
                &client,
                &concurrency,
                json,
                "checkouts",
                |n| checkouts.div_ceil(n),
                |tokens, each, tick| {
                    errand::eval::bench::store(&client, tokens, &products, each, tick)
                },
                |levels| errand::eval::bench::store_summary(backend, levels),
            )
        }
        Command::Bench {
            what:
                BenchWhat::Chat {
                    turns,
                    concurrency,
                    json,
                },
        } => {
            let server = EvalServer::start(cfg, None)?;
            let (rt, app) = server.local()?;
            let client = errand::eval::client::Client::new(&server.base)?;
            let customer = || fixture_customer(&client);
            if !concurrency.is_empty() {
                // Each level sends at least `turns` turns and a whole visit per customer.
                let visit = errand::eval::bench::chat_visit().len();
                return bench_levels(
                    &client,
                    &concurrency,
                    json,
                    "turns",
                    |n| turns.div_ceil(n).max(visit),
                    |tokens, each, tick| errand::eval::bench::load(&client, tokens, each, tick),
                    errand::eval::bench::load_summary,
                );
            }
            let (customer, token) = customer()?;
            let (customer, token) = (customer.as_str(), token.as_str());
            let bar = errand::eval::progress(json, turns * 2, "turns");
            let report =
                errand::eval::bench::chat(rt, app, &client, customer, token, turns, &|| {
                    bar.inc(1)
                })?;
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", errand::eval::bench::chat_summary(&report));
            }
            Ok(())
        }
        Command::Bench {
            what:
                BenchWhat::Retrieval {
                    queries,
                    json,
                    catalog_scale,
                },
        } => {
            let labelled: Vec<String> =
                errand::eval::retrieval::load(std::path::Path::new("evals/retrieval"))
                    .map(|qs| qs.into_iter().map(|q| q.query).collect())
                    .unwrap_or_default();
            let app = App::open(cfg)?;
            let rt = tokio::runtime::Runtime::new()?;
            let report = rt.block_on(async {
                app.load_retrieval(!json).await?;
                let r = app.retriever().context("retrieval not loaded")?;
                let qs = errand::eval::bench::queries(r, &labelled, queries);
                if let Some(scale) = catalog_scale {
                    let report = errand::eval::bench::catalog_scale(r, &qs, scale)?;
                    return anyhow::Ok(if json {
                        serde_json::to_string(&report)?
                    } else {
                        errand::eval::bench::scale_summary(&report)
                    });
                }
                let products = app.knowledge.products.len();
                let report = errand::eval::bench::run(r, &qs, products).await?;
                anyhow::Ok(if json {
                    serde_json::to_string(&report)?
                } else {
                    errand::eval::bench::summary(&report)
                })
            })?;
            println!("{}", report.trim_end());
            Ok(())
        }
        Command::Token {
            customer,
            agent,
            hours,
            secret,
        } => {
            if let Some(s) = secret {
                cfg.auth.secret = s;
            }
            let who = match (customer, agent) {
                (Some(c), _) => Principal::Customer(c),
                (_, Some(a)) => Principal::Agent(a),
                _ => unreachable!("clap requires one of --customer and --agent"),
            };
            let (Principal::Customer(id) | Principal::Agent(id)) = &who;
            anyhow::ensure!(
                valid_subject(id),
                "ids are letters, digits, '-' and '_' only"
            );
            let app = App::open(cfg)?;
            if let Principal::Customer(id) = &who {
                anyhow::ensure!(
                    app.knowledge.customers.iter().any(|c| &c.id == id),
                    "unknown customer {id}"
                );
            }
            println!("{}", app.tokens.issue(&who, hours * 3600));
            Ok(())
        }
    }
}

/// `errand eval`: replays the dialogues against `--url`, or against a server
/// started here on a free port with a fresh database beside a copy of the index.
fn eval_dialogues(cfg: Config, a: DialogueArgs) -> anyhow::Result<()> {
    use errand::eval::{client::Client, dialogues, replay, report};
    let mut all = dialogues::load(&a.dir)?;
    if !a.filter.is_empty() {
        all.retain(|d| d.tags.iter().any(|t| a.filter.contains(t)));
    }
    all.retain(|d| !d.tags.iter().any(|t| a.exclude.contains(t)));
    anyhow::ensure!(
        !all.is_empty(),
        "no dialogues to replay in {}",
        a.dir.display()
    );
    let thresholds = report::Thresholds::load(&a.thresholds)?;
    let server = EvalServer::start(cfg, a.url.clone())?;
    let client = Client::new(&server.base)?;
    let bar = errand::eval::progress(a.json, all.len() * a.repeat.max(1), "dialogues");
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let results = replay::run(&client, &all, a.repeat, a.jobs, &|r| {
        if !r.passed {
            let n = failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            bar.set_message(format!("({n} failed)"));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    drop(server);
    let summary = report::summarise(&results, a.repeat.max(1));
    if a.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print!("{}", report::table(&summary));
    }
    if let Some(dir) = &a.report {
        report::write(dir, &summary, &results)?;
        if !a.json {
            println!("report written to {}", dir.join("report.html").display());
        }
    }
    let misses = thresholds.misses(&summary);
    anyhow::ensure!(
        misses.is_empty(),
        "below the thresholds in {}: {}",
        a.thresholds.display(),
        misses.join("; ")
    );
    Ok(())
}

/// The server an evaluation talks to: `--url`, or one started here on a free
/// port with a fresh database beside a copy of the index, stopped on drop.
struct EvalServer {
    base: String,
    /// The in-process server's runtime, app and scratch folder.
    local: Option<(tokio::runtime::Runtime, Arc<App>, PathBuf)>,
}

impl EvalServer {
    fn start(mut cfg: Config, url: Option<String>) -> anyhow::Result<EvalServer> {
        if let Some(base) = url {
            return Ok(EvalServer { base, local: None });
        }
        let rt = tokio::runtime::Runtime::new()?;
        let scratch = std::env::temp_dir().join(format!("errand-eval-{}", std::process::id()));
        let index = cfg.paths.data.join("index");
        if index.is_dir() {
            errand::eval::copy_dir(&index, &scratch.join("index"))
                .context("copying the search index for the evaluation server")?;
        }
        cfg.paths.data = scratch.clone();
        cfg.auth.secret = String::new();
        cfg.server.test_helpers = true;
        let app = Arc::new(App::open(cfg)?);
        let listener = rt.block_on(errand::http::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let server = rt.spawn(serve(app.clone(), listener));
        rt.block_on(async {
            while !app.is_ready() {
                anyhow::ensure!(
                    !server.is_finished(),
                    "the evaluation server stopped while loading"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            anyhow::Ok(())
        })?;
        Ok(EvalServer {
            base: format!("http://{addr}"),
            local: Some((rt, app, scratch)),
        })
    }

    /// The in-process server's runtime and app (none for `--url`).
    fn local(&self) -> anyhow::Result<(&tokio::runtime::Runtime, &App)> {
        let (rt, app, _) = self.local.as_ref().context("no in-process server")?;
        Ok((rt, app))
    }
}

impl Drop for EvalServer {
    fn drop(&mut self) {
        if let Some((rt, app, scratch)) = self.local.take() {
            // Stop the server (its stores flush on drop) before deleting its folder.
            drop(rt);
            drop(app);
            let _ = std::fs::remove_dir_all(&scratch);
        }
    }
}
