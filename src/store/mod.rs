//! Durable state, in SQLite (the default: one file, WAL with
//! `synchronous=FULL`, so a committed write survives `kill -9` and power
//! loss) or PostgreSQL (`store.url = "postgres://..."`, shared by several
//! replicas). Both run the same versioned migrations, one file per dialect,
//! and domain code reaches either through one [`Connection`] API from
//! [`Store::call`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), errand::store::StoreError> {
//! let store = errand::store::Store::open(std::path::Path::new("data/errand.db"))?;
//! let n: i64 = store.call(|c| Ok(c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?)).await?;
//! # Ok(()) }
//! ```

mod conversations;
mod db;
mod insights;
mod seed;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) use db::params;
pub use db::{
    Connection, Error as DbError, FromSql, OptionalExtension, Row, ToSql, Transaction, Value,
};

pub use conversations::{Conversation, Exchange, Message};
pub use insights::{AssistantReport, Complaint, IntentCount, Outcomes};

/// How long a write waits for another writer before it is refused.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A PostgreSQL transaction that lost a serialization race runs again,
/// after a short, growing, jittered pause, for up to this long in all.
const SERIALIZATION_BUDGET: Duration = Duration::from_secs(3);

macro_rules! migrations {
    ($($name:literal),* $(,)?) => {
        /// Migrations in order, each in both dialects; SQLite records how
        /// many have run in `PRAGMA user_version`, PostgreSQL in
        /// `schema_migrations`.
        const MIGRATIONS: &[(&str, &str, &str)] = &[$(
            ($name, include_str!(concat!("migrations/", $name, ".sql")),
             include_str!(concat!("migrations/postgres/", $name, ".sql"))),
        )*];
    };
}
migrations!(
    "0001_init",
    "0002_commerce",
    "0003_ticket_actions",
    "0004_refund_policy",
    "0005_options",
    "0006_checkout_sessions",
    "0007_feedback",
    "0008_triage",
    "0009_segments",
    "0010_experiments",
    "0011_leases",
);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A value the database cannot hold (text with a NUL character).
    #[error("{0}")]
    Invalid(String),
    /// The database refuses writes (locked, read-only, full or failing
    /// disk, unreachable): a retry later may succeed, and reads may still work.
    #[error("the database refuses writes: {0}")]
    Unavailable(DbError),
    #[error("database error: {0}")]
    Db(DbError),
    #[error("stored JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        if matches!(e, DbError::Nul) {
            StoreError::Invalid(e.to_string())
        } else if e.is_unavailable() {
            StoreError::Unavailable(e)
        } else {
            StoreError::Db(e)
        }
    }
}

type PgPool = r2d2::Pool<db::PgManager>;

#[derive(Clone)]
enum Backend {
    /// One connection: SQLite has one writer anyway, and this keeps each
    /// call's statements together without a transaction.
    Sqlite(Arc<Mutex<Connection>>),
    /// A pool; each call is one SERIALIZABLE transaction, run again when
    /// PostgreSQL reports a serialization failure.
    Postgres(PgPool),
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// PostgreSQL calls run again after a serialization failure, since start.
    retries: Arc<AtomicU64>,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and runs
    /// pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Task(format!("creating {}: {e}", dir.display())))?;
        }
        let conn = rusqlite::Connection::open(path).map_err(DbError::from)?;
        Store::init(conn)
    }

    /// A private in-memory SQLite database, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(rusqlite::Connection::open_in_memory().map_err(DbError::from)?)
    }

    fn init(conn: rusqlite::Connection) -> Result<Store, StoreError> {
        let pragmas = || -> rusqlite::Result<()> {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.busy_timeout(BUSY_TIMEOUT)
        };
        pragmas().map_err(DbError::from)?;
        let mut conn = Connection::sqlite(conn);
        migrate_sqlite(&mut conn)?;
        Ok(Store {
            backend: Backend::Sqlite(Arc::new(Mutex::new(conn))),
            retries: Arc::default(),
        })
    }

    /// Connects to PostgreSQL as `config` says (`store.url`, `store.schema`
    /// created if missing, `store.ca_file`) and runs pending migrations, one
    /// replica at a time.
    pub fn connect(config: &crate::config::StoreConfig) -> Result<Store, StoreError> {
        let mut pg: postgres::Config = config
            .url
            .parse()
            .map_err(|e| StoreError::Task(format!("store.url: {e}")))?;
        pg.application_name("errand");
        let tls = match pg.get_ssl_mode() {
            postgres::config::SslMode::Require => Some(tls(&config.ca_file)?),
            _ => None,
        };
        let schema = config.schema.as_str();
        if !schema.is_empty() {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StoreError::Task(format!(
                    "store.schema `{schema}`: use letters, digits and _"
                )));
            }
            pg.options(&format!("-c search_path={schema}"));
        }
        let manager = db::PgManager { config: pg, tls };
        let pool_size = config.pool_size;
        // The pool and the driver block: build them off any async runtime.
        let pool = off_runtime(move || {
            if !schema.is_empty() {
                use r2d2::ManageConnection;
                manager
                    .connect()
                    .and_then(|mut c| {
                        c.client
                            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                    })
                    .map_err(|e| StoreError::Unavailable(DbError::Postgres(e)))?;
            }
            r2d2::Pool::builder()
                .max_size(pool_size.max(1))
                .connection_timeout(BUSY_TIMEOUT)
                // A closed connection is dropped when it comes back; a ping
                // on every checkout would add a round trip to every call.
                .test_on_check_out(false)
                .build(manager)
                .map_err(|e| StoreError::Unavailable(DbError::Pool(e)))
        })?;
        let store = Store {
            backend: Backend::Postgres(pool),
            retries: Arc::default(),
        };
        store.call_blocking(migrate_postgres)?;
        Ok(store)
    }

    /// Runs `f` on a connection in a blocking thread. On PostgreSQL `f` is
    /// one transaction and may run more than once (see
    /// [`SERIALIZATION_BUDGET`]), so it must not act outside the database
    /// except idempotently.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnMut(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.run(f))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on a connection from synchronous code (CLI, start-up, tests).
    pub fn call_blocking<R: Send>(
        &self,
        f: impl FnMut(&mut Connection) -> Result<R, StoreError> + Send,
    ) -> Result<R, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => self.run(f),
            Backend::Postgres(_) => off_runtime(|| self.run(f)),
        }
    }

    fn run<R>(
        &self,
        mut f: impl FnMut(&mut Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => f(&mut conn.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres(pool) => {
                let mut conn = Connection::postgres(
                    pool.get()
                        .map_err(|e| StoreError::Unavailable(DbError::Pool(e)))?,
                );
                let (started, mut attempt) = (std::time::Instant::now(), 0);
                loop {
                    match serializable(&mut conn, &mut f) {
                        Err(StoreError::Db(e)) if e.is_serialization_failure() => {
                            if started.elapsed() >= SERIALIZATION_BUDGET {
                                // Contention this long passes: a client may retry later.
                                return Err(StoreError::Unavailable(e));
                            }
                            attempt += 1;
                            self.retries.fetch_add(1, Ordering::Relaxed);
                            tracing::debug!(
                                attempt,
                                "serialization failure: running the store call again"
                            );
                            std::thread::sleep(backoff(attempt));
                        }
                        out => return out,
                    }
                }
            }
        }
    }

    /// How many store calls ran again after a serialization failure
    /// (PostgreSQL; always 0 on SQLite), for `/metrics`.
    pub fn serialization_retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Whether the database takes writes now. `/readyz` reports a store
    /// that refuses as degraded.
    pub async fn writable(&self) -> bool {
        self.call(|c| match c.as_sqlite() {
            // Takes SQLite's write lock for a moment, without waiting long.
            Some(s) => {
                let probe = || -> rusqlite::Result<bool> {
                    s.busy_timeout(Duration::from_millis(200))?;
                    let took = s.execute_batch("BEGIN IMMEDIATE; ROLLBACK;");
                    s.busy_timeout(BUSY_TIMEOUT)?;
                    Ok(took.is_ok())
                };
                Ok(probe().map_err(DbError::from)?)
            }
            None => Ok(c.query_row("SELECT NOT pg_is_in_recovery()", [], |r| {
                r.get::<_, bool>(0)
            })?),
        })
        .await
        .unwrap_or(false)
    }

    /// Number of migrations applied.
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        self.call_blocking(|c| Ok(applied(c)? as usize))
    }
}

/// One attempt of a PostgreSQL call: `f` inside a SERIALIZABLE transaction,
/// committed if it succeeds, rolled back if it fails or panics (so a pooled
/// connection never goes back mid-transaction).
fn serializable<R>(
    conn: &mut Connection,
    f: &mut impl FnMut(&mut Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    conn.begin_call("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
    let commit = matches!(out, Ok(Ok(_)));
    let ended = conn.end_call(commit);
    match out {
        Err(panic) => std::panic::resume_unwind(panic),
        Ok(Ok(v)) => ended.map(|()| v).map_err(StoreError::from),
        Ok(Err(e)) => Err(e),
    }
}

/// TLS for `sslmode=require`: the server's certificate must chain to the
/// PEM certificates in `ca_file`, or to the system's roots when it is empty.
fn tls(ca_file: &Path) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let bad = |what: String| StoreError::Task(format!("store.ca_file: {what}"));
    let mut roots = rustls::RootCertStore::empty();
    if ca_file.as_os_str().is_empty() {
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    } else {
        for cert in CertificateDer::pem_file_iter(ca_file)
            .map_err(|e| bad(format!("{}: {e}", ca_file.display())))?
        {
            roots
                .add(cert.map_err(|e| bad(format!("{}: {e}", ca_file.display())))?)
                .map_err(|e| bad(format!("{}: {e}", ca_file.display())))?;
        }
    }
    if roots.is_empty() {
        return Err(bad("no CA certificate to check the server's against".into()));
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// 2 to 4 ms after the first failure, doubling to at most 32 to 64 ms.
fn backoff(attempt: u32) -> Duration {
    let base = 1u64 << attempt.min(5);
    Duration::from_millis(base + (uuid::Uuid::new_v4().as_u128() as u64) % base)
}

/// Runs `f` on a thread with no async runtime: the PostgreSQL driver's
/// blocking calls refuse to run inside one.
fn off_runtime<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

fn applied(c: &Connection) -> Result<i64, StoreError> {
    Ok(match c.as_sqlite() {
        Some(s) => s
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(DbError::from)?,
        None => c.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))?,
    })
}

fn migrate_sqlite(conn: &mut Connection) -> Result<(), StoreError> {
    let done = applied(conn)?;
    for (i, (name, sql, _)) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
        tracing::info!(migration = name, "applied migration");
    }
    Ok(())
}

/// Runs inside the call's transaction; the advisory lock makes replicas
/// starting together migrate one after the other.
fn migrate_postgres(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "SELECT pg_advisory_xact_lock(7142023);
         CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let done = applied(conn)?;
    for (name, _, sql) in MIGRATIONS.iter().skip(done as usize) {
        conn.execute_batch(sql)?;
        conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, ?2)",
            params![name, now()],
        )?;
        tracing::info!(migration = name, "applied migration");
    }
    Ok(())
}

/// Current time as RFC 3339 UTC with milliseconds, the format stored everywhere
/// (the lifecycle simulator runs scaled time, where a second is minutes).
pub fn now() -> String {
    stamp(chrono::Utc::now())
}

/// `t` in the stored format (see [`now`]), so stored times compare as text.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_from_empty_and_are_idempotent() {
        let dir = std::env::temp_dir().join(format!("errand-mig-{}", uuid::Uuid::new_v4()));
        let path = dir.join("t.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        let tables: i64 = store
            .call_blocking(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert!(tables >= 14, "{tables} tables");
        let mode: String = store
            .call_blocking(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
        std::fs::remove_dir_all(dir).ok();
    }
}
