//! The commerce engine behind the assistant's tools and the REST API: a cart
//! across merchants, offers, one payment for many orders, the order lifecycle
//! with its simulator, diagnosis and care actions, and rides.
//!
//! Everything here is synchronous logic over a SQLite connection, wrapped in
//! async methods that run it on the store's blocking thread; one transaction
//! per operation, so a write is all or nothing. Nothing here knows HTTP.
//!
//! ```no_run
//! # async fn demo(c: errand::commerce::Commerce) -> Result<(), errand::commerce::CommerceError> {
//! c.add_to_cart("c-0001", "p-freshcart-0002", 2, &Default::default()).await?;
//! // A latte made to order: groups left out take their defaults.
//! let oat_large = [("size", "large"), ("milk", "oat")]
//!     .into_iter()
//!     .map(|(g, c)| (g.to_string(), vec![c.to_string()]))
//!     .collect();
//! c.add_to_cart("c-0001", "p-beanthere-0007", 1, &oat_large).await?;
//! let cart = c.cart("c-0001").await?;
//! println!("total {} {}", cart.priced.total_minor, cart.priced.currency);
//! # Ok(()) }
//! ```

mod agentic;
mod cart;
mod checkout;
mod experiments;
mod feedback;
mod fixtures;
pub mod fleet;
mod geo;
pub use geo::{resolve as resolve_place, spot as spot_place};
pub mod money;
mod ops;
mod orders;
mod pain;
pub mod payments;
pub mod pricing;
mod recs;
mod rides;
mod segments;
mod simulator;
mod tickets;

use std::sync::Arc;

use crate::store::{Connection, DbError, Transaction};

pub use agentic::{SessionItem, SessionStatus, SessionView};
pub use cart::CartView;
pub use checkout::{CheckoutRequest, CheckoutResult};
pub use experiments::{Arm, DriftReport, ExperimentResult};
pub use feedback::{Feedback, FeedbackRequest, MAX_FEEDBACK};
pub use fixtures::{Fixture, FixtureItem, FixtureOrder, FixtureRequest};
pub use ops::{demand_rates, store_series, DemandRates, Outlook, StockAlerts, StoreForecast};
pub use orders::{Action, ActionResult, Diagnosis, OrderItem, OrderView};
pub use pain::PainPoints;
pub use recs::{
    Because, CartNudge, OrderBasket, Recommendations, Recommended, RecsKind, RecsQuery, MAX_RECS,
};
pub use rides::{BookRequest, QuoteRequest, RideQuote, RideView, RIDE_TYPES};
pub use segments::SegmentsView;
pub use simulator::{fleet_start, Seat};
pub use tickets::{NewTicket, Proposal, Ticket, TicketAction, TicketFeedback};

use crate::config::CommerceConfig;
use crate::knowledge::Knowledge;
use crate::store::{Store, StoreError};
use crate::triage::Triage;
use payments::PaymentProvider;

/// Who performs an action; recorded on every event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Customer(String),
    Agent(String),
    System,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::Customer(id) => format!("customer:{id}"),
            Actor::Agent(id) => format!("agent:{id}"),
            Actor::System => "system".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// Missing, or owned by someone else (indistinguishable on purpose).
    #[error("{0} not found")]
    NotFound(String),
    /// A malformed input, naming the field.
    #[error("`{field}`: {message}")]
    Invalid { field: String, message: String },
    /// Well-formed, but the rules or the current state refuse it.
    #[error("{message}")]
    Rejected { code: &'static str, message: String },
    /// The payment provider said no, or did not answer.
    #[error("{message}")]
    Payment { code: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for CommerceError {
    fn from(e: DbError) -> Self {
        CommerceError::Store(StoreError::from(e))
    }
}

impl From<serde_json::Error> for CommerceError {
    fn from(e: serde_json::Error) -> Self {
        CommerceError::Store(StoreError::Json(e))
    }
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> CommerceError {
    CommerceError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

pub(crate) fn rejected(code: &'static str, message: impl Into<String>) -> CommerceError {
    CommerceError::Rejected {
        code,
        message: message.into(),
    }
}

pub type Result<T, E = CommerceError> = std::result::Result<T, E>;

/// The engine; cheap to clone.
#[derive(Clone)]
pub struct Commerce {
    knowledge: Arc<Knowledge>,
    store: Store,
    config: Arc<CommerceConfig>,
    payments: Arc<dyn PaymentProvider>,
    /// What the recommendations learned from the orders read so far.
    recs: Arc<std::sync::Mutex<recs::Learned>>,
    /// Reads feedback and ticket subjects for their team.
    triage: Arc<Triage>,
    /// Forecast demand per store category, and the outlook per product.
    demand: Arc<ops::Demand>,
    /// The fleet heatmap, cached for the day.
    fleet: Arc<std::sync::Mutex<fleet::FleetState>>,
    /// This process among the replicas sharing the database (who holds
    /// the simulator's lease).
    replica: Arc<str>,
}

impl Commerce {
    /// Also places the simulated driver fleet, once per database.
    pub fn new(
        knowledge: Arc<Knowledge>,
        store: Store,
        config: CommerceConfig,
        payments: Arc<dyn PaymentProvider>,
        triage: Arc<Triage>,
    ) -> Result<Commerce> {
        experiments::check(&config.experiments)?;
        let c = Commerce {
            knowledge,
            store,
            config: Arc::new(config),
            payments,
            recs: Arc::default(),
            triage,
            demand: Arc::default(),
            fleet: Arc::default(),
            replica: uuid::Uuid::new_v4().to_string().into(),
        };
        c.store.call_blocking(|conn| {
            store_errors_out(simulator::place_drivers(conn, &c.knowledge, &c.config))
        })??;
        Ok(c)
    }

    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// Runs `f` in one transaction on the store's blocking thread.
    async fn tx<R: Send + 'static>(
        &self,
        mut f: impl FnMut(&Commerce, &Transaction) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let this = self.clone();
        self.store
            .call(move |conn: &mut Connection| {
                let tx = conn.transaction()?;
                let out = store_errors_out(f(&this, &tx))?;
                if out.is_ok() {
                    tx.commit()?;
                }
                Ok(out)
            })
            .await?
    }
}

/// Lifts the store's own errors out of a domain result, so the store sees
/// them: a PostgreSQL serialization failure then runs the call again.
fn store_errors_out<R>(r: Result<R>) -> Result<Result<R>, StoreError> {
    match r {
        Err(CommerceError::Store(e)) => Err(e),
        other => Ok(other),
    }
}

/// The customer segment (`new`, `regular`, `gold`) offers are targeted by.
fn segment(conn: &Connection, customer: &str) -> Result<String> {
    use crate::store::OptionalExtension;
    conn.query_row(
        "SELECT segment FROM customers WHERE id = ?1",
        [customer],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| CommerceError::NotFound(format!("customer {customer}")))
}

/// A customer as the database knows them: seeded ones and any created since.
fn customer_row(conn: &Connection, id: &str) -> Result<crate::knowledge::Customer> {
    use crate::store::OptionalExtension;
    let row: Option<(crate::knowledge::Customer, String)> = conn
        .query_row(
            "SELECT id, name, area, diet, language, segment, addresses FROM customers WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    crate::knowledge::Customer {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        area: r.get(2)?,
                        diet: r.get(3)?,
                        language: r.get(4)?,
                        segment: r.get(5)?,
                        addresses: vec![],
                    },
                    r.get(6)?,
                ))
            },
        )
        .optional()?;
    let (mut c, addresses) =
        row.ok_or_else(|| CommerceError::NotFound(format!("customer {id}")))?;
    c.addresses = serde_json::from_str(&addresses)?;
    Ok(c)
}

impl Commerce {
    /// A customer's profile and saved addresses.
    pub async fn customer(&self, id: &str) -> Result<crate::knowledge::Customer> {
        let id = id.to_string();
        self.store
            .call(move |conn| Ok(customer_row(conn, &id)))
            .await?
    }
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Replays the stored answer for a repeated `Idempotency-Key`, or runs `f`
/// and stores its answer, in the caller's transaction. The same key with a
/// different request is refused rather than guessed at.
fn idempotent<T: serde::Serialize + serde::de::DeserializeOwned>(
    conn: &Connection,
    scope: &str,
    key: &str,
    request: &impl serde::Serialize,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    use crate::store::OptionalExtension;
    use sha2::Digest;
    if key.is_empty() || key.len() > 200 {
        return Err(invalid("Idempotency-Key", "must be 1 to 200 characters"));
    }
    let hash = hex::encode(sha2::Sha256::digest(serde_json::to_vec(request)?));
    let stored: Option<(String, String)> = conn
        .query_row(
            "SELECT request_hash, response FROM idempotency WHERE scope = ?1 AND key = ?2",
            [scope, key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((h, response)) = stored {
        if h != hash {
            return Err(rejected(
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request",
            ));
        }
        return Ok(serde_json::from_str(&response)?);
    }
    let out = f()?;
    conn.execute(
        "INSERT INTO idempotency (scope, key, request_hash, response, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        crate::store::params![scope, key, hash, serde_json::to_string(&out)?, crate::store::now()],
    )?;
    Ok(out)
}

fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}
