//! Durable state in SQLite: versioned migrations, WAL with `synchronous=FULL`
//! (a committed write survives `kill -9` and power loss), and a blocking
//! connection driven from async code through [`Store::call`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), errand::store::StoreError> {
//! let store = errand::store::Store::open(std::path::Path::new("data/errand.db"))?;
//! let n: i64 = store.call(|c| Ok(c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?)).await?;
//! # Ok(()) }
//! ```

mod conversations;
mod insights;
mod seed;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

pub use conversations::{Conversation, Exchange, Message};
pub use insights::{AssistantReport, Complaint, IntentCount, Outcomes};

/// How long a write waits for another writer before it is refused.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("migrations/0001_init.sql")),
    (
        "0002_commerce",
        include_str!("migrations/0002_commerce.sql"),
    ),
    (
        "0003_ticket_actions",
        include_str!("migrations/0003_ticket_actions.sql"),
    ),
    (
        "0004_refund_policy",
        include_str!("migrations/0004_refund_policy.sql"),
    ),
    ("0005_options", include_str!("migrations/0005_options.sql")),
    (
        "0006_checkout_sessions",
        include_str!("migrations/0006_checkout_sessions.sql"),
    ),
    (
        "0007_feedback",
        include_str!("migrations/0007_feedback.sql"),
    ),
    ("0008_triage", include_str!("migrations/0008_triage.sql")),
    (
        "0009_segments",
        include_str!("migrations/0009_segments.sql"),
    ),
    (
        "0010_experiments",
        include_str!("migrations/0010_experiments.sql"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The database refuses writes (locked, read-only, full or failing
    /// disk): a retry later may succeed, and reads still work.
    #[error("the database refuses writes: {0}")]
    Unavailable(rusqlite::Error),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(
                DatabaseBusy | DatabaseLocked | ReadOnly | DiskFull | SystemIoFailure | CannotOpen,
            ) => StoreError::Unavailable(e),
            _ => StoreError::Sqlite(e),
        }
    }
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Task(format!("creating {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)?;
        Store::init(conn)
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection in a blocking thread.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || f(&mut conn.lock().unwrap_or_else(|p| p.into_inner())))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on the connection from synchronous code (CLI, tests).
    pub fn call_blocking<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        f(&mut self.conn.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether the database takes writes now: takes the write lock for a
    /// moment without waiting long for it, and lets go. `/readyz` reports
    /// a store that refuses as degraded.
    pub async fn writable(&self) -> bool {
        self.call(|c| {
            c.busy_timeout(std::time::Duration::from_millis(200))?;
            let took = c.execute_batch("BEGIN IMMEDIATE; ROLLBACK;");
            c.busy_timeout(BUSY_TIMEOUT)?;
            Ok(took.is_ok())
        })
        .await
        .unwrap_or(false)
    }

    /// Number of migrations applied.
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        self.call_blocking(|c| {
            Ok(c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize)
        })
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let done: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(migration = name, "applied migration");
    }
    Ok(())
}

/// Current time as RFC 3339 UTC with milliseconds, the format stored everywhere
/// (the lifecycle simulator runs scaled time, where a second is minutes).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
            .call_blocking(|c| Ok(c.pragma_query_value(None, "journal_mode", |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
        std::fs::remove_dir_all(dir).ok();
    }
}
