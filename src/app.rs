//! The engine a server, the CLI and tests share: configuration, knowledge,
//! the store and identity, opened once. It knows nothing of HTTP.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::Context;

use crate::agent::{Agent, CallError, Caller, Env, Proposal, Turn};
use crate::auth::Tokens;
use crate::commerce::{payments::Sandbox, Commerce};
use crate::config::Config;
use crate::knowledge::Knowledge;
use crate::retrieval::Retriever;
use crate::store::Store;
use crate::triage::Triage;

pub struct App {
    pub config: Config,
    pub knowledge: Arc<Knowledge>,
    pub store: Store,
    pub tokens: Tokens,
    pub commerce: Commerce,
    /// Loaded after the server starts listening; until then `/readyz` is 503.
    retriever: OnceLock<Retriever>,
    /// Loaded with the retriever: its router embeds the intent examples.
    agent: OnceLock<Agent>,
}

impl App {
    /// Validates the knowledge, opens and migrates the database, loads the seed.
    pub fn open(config: Config) -> anyhow::Result<App> {
        let knowledge = Knowledge::load(&config.paths.knowledge)?;
        tracing::info!(
            products = knowledge.products.len(),
            merchants = knowledge.merchants.len(),
            recipes = knowledge.recipes.len(),
            help = knowledge.help.len(),
            places = knowledge.places.len(),
            "knowledge loaded"
        );
        let store = if config.store.url.is_empty() {
            let db = config.paths.data.join("errand.db");
            Store::open(&db).with_context(|| format!("opening database {}", db.display()))?
        } else {
            Store::connect(&config.store).context("connecting to PostgreSQL (store.url)")?
        };
        store.seed(&knowledge).context("seeding the database")?;
        let tokens = Tokens::new(load_secret(&config)?);
        let triage = Triage::load(&config.paths.prompts.join("triage.toml"))?;
        for a in triage.aspects() {
            if !knowledge.help.iter().any(|h| h.id == a.article) {
                anyhow::bail!(
                    "prompts/triage.toml: aspect `{}` names help article `{}`, which does not exist",
                    a.id,
                    a.article
                );
            }
        }
        let knowledge = Arc::new(knowledge);
        let commerce = Commerce::new(
            knowledge.clone(),
            store.clone(),
            config.commerce.clone(),
            Arc::new(Sandbox),
            Arc::new(triage),
        )
        .context("starting the commerce engine")?
        .with_demand(
            crate::commerce::demand_rates(
                &knowledge,
                &config.paths.data.join("index").join("demand.json"),
            )
            .context("forecasting demand")?,
        );
        let retriaged = commerce.retriage().context("triaging stored feedback")?;
        if retriaged > 0 {
            tracing::info!(feedback = retriaged, "triaged stored feedback");
        }
        Ok(App {
            config,
            knowledge,
            store,
            tokens,
            commerce,
            retriever: OnceLock::new(),
            agent: OnceLock::new(),
        })
    }

    /// True once every index and model needed to answer is loaded.
    pub fn is_ready(&self) -> bool {
        self.retriever.get().is_some() && self.agent.get().is_some()
    }

    /// Brings the indexes up to date with the knowledge and installs them.
    pub async fn load_retrieval(
        &self,
        progress: bool,
    ) -> anyhow::Result<crate::retrieval::IndexReport> {
        let (retriever, report) =
            crate::retrieval::open(&self.config, &self.knowledge, progress).await?;
        if self.retriever.set(retriever).is_err() {
            anyhow::bail!("retrieval was already loaded");
        }
        Ok(report)
    }

    /// Loads the assistant (its router embeds the intent examples); needs the
    /// retriever. Only what chats needs it: indexing and evals skip the work.
    pub fn load_assistant(&self) -> anyhow::Result<()> {
        let retriever = self.retriever.get().context("load retrieval first")?;
        let llm = crate::llm::open(&self.config.llm, &self.config.paths.models)
            .context("opening the language model")?;
        if let Some(l) = &llm {
            tracing::info!(model = %l.describe(), "unsure turns go to a language model");
        }
        let agent = Agent::load(&self.config.paths, &self.knowledge, retriever, llm)
            .context("loading the assistant")?;
        if self.agent.set(agent).is_err() {
            anyhow::bail!("the assistant was already loaded");
        }
        Ok(())
    }

    pub fn retriever(&self) -> Option<&Retriever> {
        self.retriever.get()
    }

    /// The engines a turn needs, once the assistant has loaded.
    fn engines(&self) -> anyhow::Result<(Env<'_>, &Agent)> {
        let (Some(retriever), Some(agent)) = (self.retriever.get(), self.agent.get()) else {
            anyhow::bail!("the assistant is still loading");
        };
        let env = Env {
            commerce: &self.commerce,
            knowledge: &self.knowledge,
            retriever,
            store: &self.store,
        };
        Ok((env, agent))
    }

    /// The assistant's tools, once it has loaded.
    pub fn tools(&self) -> Option<&crate::agent::tools::Tools> {
        self.agent.get().map(Agent::tools)
    }

    /// One tool called from outside a chat (`surface`, e.g. MCP) as `customer`.
    pub async fn call_tool(
        &self,
        customer: &str,
        surface: &str,
        name: &str,
        args: &serde_json::Value,
    ) -> Result<serde_json::Value, CallError> {
        let (env, agent) = self
            .engines()
            .map_err(|e| CallError::Refused(e.to_string()))?;
        agent
            .call_tool(&self.caller(&env, customer, surface), name, args)
            .await
    }

    /// The terms of a write that needs a yes, sealed for [`App::confirm`].
    pub async fn propose(
        &self,
        customer: &str,
        surface: &str,
        name: &str,
        args: &serde_json::Value,
    ) -> Result<Proposal, CallError> {
        let (env, agent) = self
            .engines()
            .map_err(|e| CallError::Refused(e.to_string()))?;
        agent
            .propose(&self.caller(&env, customer, surface), name, args)
            .await
    }

    /// Runs a proposal exactly as proposed, once.
    pub async fn confirm(
        &self,
        customer: &str,
        surface: &str,
        proposal_id: &str,
    ) -> Result<serde_json::Value, CallError> {
        let (env, agent) = self
            .engines()
            .map_err(|e| CallError::Refused(e.to_string()))?;
        agent
            .confirm(&self.caller(&env, customer, surface), proposal_id)
            .await
    }

    fn caller<'a>(&'a self, env: &'a Env<'a>, customer: &'a str, surface: &'a str) -> Caller<'a> {
        Caller {
            env,
            tokens: &self.tokens,
            customer,
            surface,
        }
    }

    /// Assist mode: a ticket analysed for a care agent, with proposed actions.
    pub async fn assist(&self, agent: &str, ticket: &str) -> anyhow::Result<crate::agent::Assist> {
        let (env, assistant) = self.engines()?;
        assistant.assist(&env, agent, ticket).await
    }

    /// One customer chat turn in a session they own (checked by the caller).
    pub async fn chat(&self, customer: &str, session: &str, text: &str) -> anyhow::Result<Turn> {
        let (env, agent) = self.engines()?;
        agent.turn(&env, customer, session, text).await
    }

    /// The model's correction of a turn only the fallback understood, if it
    /// reads the message differently (see [`Agent::revise`]).
    pub async fn revise(
        &self,
        customer: &str,
        text: &str,
        first: &Turn,
    ) -> anyhow::Result<Option<Turn>> {
        let (env, agent) = self.engines()?;
        agent.revise(&env, customer, text, first).await
    }

    /// One care-agent turn about `ticket` in an assist session they own.
    pub async fn assist_chat(
        &self,
        agent: &str,
        session: &str,
        ticket: &str,
        text: &str,
    ) -> anyhow::Result<Turn> {
        let (env, assistant) = self.engines()?;
        assistant
            .assist_turn(&env, agent, session, ticket, text)
            .await
    }
}

/// The configured secret, or one generated once and kept in the data folder.
fn load_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if !config.auth.secret.is_empty() {
        return Ok(config.auth.secret.as_bytes().to_vec());
    }
    let path = config.paths.data.join("secret");
    match std::fs::read(&path) {
        Ok(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => write_secret(&path),
    }
}

fn write_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
    .into_bytes();
    std::fs::write(path, &secret).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(secret)
}
