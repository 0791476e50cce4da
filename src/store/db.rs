//! One connection API over both backends. Domain code writes SQL with
//! `?1` placeholders against [`Connection`] and never names a driver: on
//! SQLite the statement runs as written; on PostgreSQL the placeholders
//! become `$1`, values are bound to whatever type the server inferred for
//! them, and results come back as the same [`Value`]s. Rows are read whole
//! (every query here returns a handful), so a [`Row`] owns its values.

use std::cell::{Cell, RefCell};

use std::collections::HashMap;

use postgres::types::{FromSql as PgFromSql, IsNull, ToSql as PgToSql, Type};
use postgres::NoTls;

pub(super) type PgPooled = r2d2::PooledConnection<PgManager>;

/// Opens PostgreSQL connections for the pool, over TLS when the URL says
/// `sslmode=require`; each keeps the statements it has prepared, so a
/// statement is parsed once per connection, not per run.
pub(super) struct PgManager {
    pub(super) config: postgres::Config,
    pub(super) tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

pub(super) struct PgClient {
    pub(super) client: postgres::Client,
    prepared: HashMap<String, postgres::Statement>,
}

impl r2d2::ManageConnection for PgManager {
    type Connection = PgClient;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgClient, postgres::Error> {
        let client = match &self.tls {
            Some(tls) => self.config.connect(tls.clone())?,
            None => self.config.connect(NoTls)?,
        };
        Ok(PgClient {
            client,
            prepared: HashMap::new(),
        })
    }

    fn is_valid(&self, c: &mut PgClient) -> Result<(), postgres::Error> {
        c.client.simple_query("").map(drop)
    }

    fn has_broken(&self, c: &mut PgClient) -> bool {
        c.client.is_closed()
    }
}

/// A value as stored: SQLite's five storage classes, which PostgreSQL's
/// column types here map onto (BIGINT, DOUBLE PRECISION, TEXT, BYTEA).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    #[error("no connection to the database: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("query returned no rows")]
    NoRows,
    /// PostgreSQL text cannot hold U+0000, so no such value is stored or
    /// can match a stored one.
    #[error("text must not contain NUL (\\u0000) characters")]
    Nul,
    #[error("column {0}: {1}")]
    Column(usize, String),
}

impl Error {
    /// The database refuses writes now (locked, read-only, full, failing
    /// disk, unreachable): a retry later may succeed.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Sqlite(e) => {
                use rusqlite::ErrorCode::*;
                matches!(
                    e.sqlite_error_code(),
                    Some(
                        DatabaseBusy
                            | DatabaseLocked
                            | ReadOnly
                            | DiskFull
                            | SystemIoFailure
                            | CannotOpen
                    )
                )
            }
            Error::Postgres(e) => match e.code() {
                // Connection exceptions, insufficient resources, operator
                // intervention (shutdown), read-only transaction.
                Some(c) => {
                    let c = c.code();
                    c.starts_with("08")
                        || c.starts_with("53")
                        || c.starts_with("57")
                        || c == "25006"
                }
                None => e.is_closed() || e.as_db_error().is_none(),
            },
            Error::Pool(_) => true,
            Error::NoRows | Error::Nul | Error::Column(..) => false,
        }
    }

    /// PostgreSQL gave up this transaction to keep concurrent ones
    /// serializable (or broke a deadlock): running it again is correct.
    pub(super) fn is_serialization_failure(&self) -> bool {
        matches!(self, Error::Postgres(e) if e.code().is_some_and(|c| c.code() == "40001" || c.code() == "40P01"))
    }
}

/// The server's own words (SQLSTATE, message, detail) where it sent any:
/// the driver's `Display` says only "db error".
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!(
            "{} {}{}",
            d.code().code(),
            d.message(),
            d.detail().map(|x| format!(" ({x})")).unwrap_or_default()
        ),
        // Connection and TLS failures keep their cause one level down.
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// Turns a "no rows" error into `None`.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>, Error>;
}

impl<T> OptionalExtension<T> for Result<T, Error> {
    fn optional(self) -> Result<Option<T>, Error> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A Rust value that binds as a statement parameter.
pub trait ToSql {
    fn to_value(&self) -> Value;
}

/// A Rust value read from a column.
pub trait FromSql: Sized {
    fn from_value(v: &Value) -> Result<Self, String>;
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToSql::to_value)
    }
}

impl ToSql for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl ToSql for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToSql for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToSql for bool {
    fn to_value(&self) -> Value {
        Value::Int(*self as i64)
    }
}

impl ToSql for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToSql for f32 {
    fn to_value(&self) -> Value {
        Value::Real(*self as f64)
    }
}

macro_rules! int_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_value(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
        impl FromSql for $t {
            fn from_value(v: &Value) -> Result<Self, String> {
                let i = i64::from_value(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range for {}", stringify!($t)))
            }
        }
    )*};
}
int_sql!(i32, u32, u8, u64, usize);

impl ToSql for i64 {
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}

impl FromSql for i64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Text(s) => s.parse().map_err(|_| format!("`{s}` is not an integer")),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}

impl FromSql for f64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

impl FromSql for f32 {
    fn from_value(v: &Value) -> Result<Self, String> {
        f64::from_value(v).map(|f| f as f32)
    }
}

impl FromSql for bool {
    fn from_value(v: &Value) -> Result<Self, String> {
        i64::from_value(v).map(|i| i != 0)
    }
}

impl FromSql for String {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(format!("expected a blob, found {other:?}")),
        }
    }
}

impl FromSql for Value {
    fn from_value(v: &Value) -> Result<Self, String> {
        Ok(v.clone())
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// Statement parameters: `params![a, b]`, `[a, b]` of one type, or `[]`.
pub trait Params {
    fn into_values(self) -> Vec<Value>;
}

impl Params for &[&dyn ToSql] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(|p| p.to_value()).collect()
    }
}

impl Params for [&dyn ToSql; 0] {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn into_values(self) -> Vec<Value> {
                self.iter().map(ToSql::to_value).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// Parameters of mixed types, as `rusqlite::params!` spells them.
macro_rules! params {
    ($($p:expr),* $(,)?) => {
        &[$(&$p as &dyn $crate::store::ToSql),*] as &[&dyn $crate::store::ToSql]
    };
}
pub(crate) use params;

/// A column position (a trait with one impl, so `get(0)` infers `usize`).
pub trait RowIndex {
    fn index(self) -> usize;
}

impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One result row, read whole.
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    /// Column `i` as `T`. (The first type parameter mirrors rusqlite's
    /// `get::<_, T>` so call sites read the same.)
    pub fn get<I: RowIndex, T: FromSql>(&self, i: I) -> Result<T, Error> {
        let i = i.index();
        let v = self
            .values
            .get(i)
            .ok_or_else(|| Error::Column(i, "no such column".into()))?;
        T::from_value(v).map_err(|e| Error::Column(i, e))
    }
}

enum Backend {
    Sqlite(rusqlite::Connection),
    /// Boxed: a pooled client is four times a SQLite handle.
    Postgres(Box<RefCell<PgPooled>>),
}

/// A connection to either backend. Methods take `&self`, as rusqlite's do.
pub struct Connection {
    backend: Backend,
    /// Open transactions: the outermost is `BEGIN`, inner ones savepoints.
    depth: Cell<u32>,
}

impl Connection {
    pub(super) fn sqlite(c: rusqlite::Connection) -> Connection {
        Connection {
            backend: Backend::Sqlite(c),
            depth: Cell::new(0),
        }
    }

    pub(super) fn postgres(c: PgPooled) -> Connection {
        Connection {
            backend: Backend::Postgres(Box::new(RefCell::new(c))),
            depth: Cell::new(0),
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas).
    pub(super) fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.backend {
            Backend::Sqlite(c) => Some(c),
            Backend::Postgres(_) => None,
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize, Error> {
        let values = params.into_values();
        match &self.backend {
            Backend::Sqlite(c) => Ok(c
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(values.iter()))?),
            Backend::Postgres(c) => {
                let mut c = c.borrow_mut();
                let st = pg_prepare(&mut c, sql, &values)?;
                Ok(c.client.execute(&st, &pg_params(&values))? as usize)
            }
        }
    }

    pub fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        match &self.backend {
            Backend::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Backend::Postgres(c) => Ok(c.borrow_mut().client.batch_execute(sql)?),
        }
    }

    fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Row>, Error> {
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut st = c.prepare_cached(sql)?;
                let n = st.column_count();
                let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let values = (0..n)
                        .map(|i| Ok(sqlite_value(r.get_ref(i)?)))
                        .collect::<Result<_, rusqlite::Error>>()?;
                    out.push(Row { values });
                }
                Ok(out)
            }
            Backend::Postgres(c) => {
                let mut c = c.borrow_mut();
                let st = pg_prepare(&mut c, sql, &values)?;
                let rows = c.client.query(&st, &pg_params(&values))?;
                rows.iter()
                    .map(|r| {
                        let values = (0..r.len())
                            .map(|i| r.try_get::<_, Value>(i))
                            .collect::<Result<_, _>>()?;
                        Ok(Row { values })
                    })
                    .collect()
            }
        }
    }

    pub fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let rows = self.rows(sql, params.into_values())?;
        f(rows.first().ok_or(Error::NoRows)?)
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>, Error> {
        Ok(Statement {
            conn: self,
            sql: sql.to_string(),
        })
    }

    /// Statements are cached per connection whichever way they are made.
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>, Error> {
        self.prepare(sql)
    }

    /// Opens the transaction a whole store call runs in.
    pub(super) fn begin_call(&self, begin: &str) -> Result<(), Error> {
        self.execute_batch(begin)?;
        self.depth.set(1);
        Ok(())
    }

    /// Ends the call's transaction: commits, or rolls back.
    pub(super) fn end_call(&self, commit: bool) -> Result<(), Error> {
        self.depth.set(0);
        self.execute_batch(if commit { "COMMIT" } else { "ROLLBACK" })
    }

    /// Begins a transaction, or a savepoint inside an open one (on
    /// PostgreSQL every store call is already one transaction).
    pub fn transaction(&mut self) -> Result<Transaction<'_>, Error> {
        let depth = self.depth.get();
        self.execute_batch(&if depth == 0 {
            "BEGIN".to_string()
        } else {
            format!("SAVEPOINT sp{depth}")
        })?;
        self.depth.set(depth + 1);
        Ok(Transaction {
            conn: self,
            depth,
            done: false,
        })
    }
}

/// A prepared statement (the SQL and its connection).
pub struct Statement<'c> {
    conn: &'c Connection,
    sql: String,
}

impl Statement<'_> {
    pub fn query_map<T, P: Params>(
        &mut self,
        params: P,
        f: impl FnMut(&Row) -> Result<T, Error>,
    ) -> Result<std::vec::IntoIter<Result<T, Error>>, Error> {
        let rows = self.conn.rows(&self.sql, params.into_values())?;
        Ok(rows.iter().map(f).collect::<Vec<_>>().into_iter())
    }

    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows, Error> {
        Ok(Rows {
            rows: self.conn.rows(&self.sql, params.into_values())?.into_iter(),
            current: None,
        })
    }

    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize, Error> {
        self.conn.execute(&self.sql, params)
    }

    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool, Error> {
        Ok(!self.conn.rows(&self.sql, params.into_values())?.is_empty())
    }
}

/// Rows of a query, stepped with `next`.
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    #[allow(clippy::should_implement_trait)] // rusqlite's shape: fallible, lending
    pub fn next(&mut self) -> Result<Option<&Row>, Error> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
    }
}

/// A transaction (or savepoint); rolled back when dropped uncommitted.
pub struct Transaction<'c> {
    conn: &'c Connection,
    depth: u32,
    done: bool,
}

impl Transaction<'_> {
    /// A commit that fails (a deferred constraint, a busy database) rolls
    /// back as the guard drops, so the connection is never left inside it.
    pub fn commit(mut self) -> Result<(), Error> {
        self.conn.execute_batch(&if self.depth == 0 {
            "COMMIT".to_string()
        } else {
            format!("RELEASE sp{}", self.depth)
        })?;
        self.done = true;
        self.conn.depth.set(self.depth);
        Ok(())
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        self.conn.depth.set(self.depth);
        let undo = if self.depth == 0 {
            "ROLLBACK".to_string()
        } else {
            format!("ROLLBACK TO sp{0}; RELEASE sp{0}", self.depth)
        };
        if let Err(e) = self.conn.execute_batch(&undo) {
            tracing::warn!(error = %e, "rolling back failed");
        }
    }
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn pg_params(values: &[Value]) -> Vec<&(dyn PgToSql + Sync)> {
    values.iter().map(|v| v as &(dyn PgToSql + Sync)).collect()
}

/// Prepares `sql` on PostgreSQL, once per connection. The server types each
/// parameter from its context; a parameter with none (`?3 IS NULL` alone)
/// needs a CAST in the statement, which SQLite reads the same way.
fn pg_prepare(c: &mut PgClient, sql: &str, values: &[Value]) -> Result<postgres::Statement, Error> {
    if values
        .iter()
        .any(|v| matches!(v, Value::Text(s) if s.contains('\0')))
    {
        return Err(Error::Nul);
    }
    if let Some(st) = c.prepared.get(sql) {
        return Ok(st.clone());
    }
    let st = c.client.prepare(&pg_sql(sql))?;
    c.prepared.insert(sql.to_string(), st.clone());
    Ok(st)
}

/// `?1` (and bare `?`) placeholders as PostgreSQL's `$1`, outside quotes.
pub(super) fn pg_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut quote, mut next) = (None, 1);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '?') => {
                out.push('$');
                if chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    while let Some(d) = chars.next_if(|d| d.is_ascii_digit()) {
                        out.push(d);
                    }
                } else {
                    out.push_str(&next.to_string());
                    next += 1;
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl PgToSql for Value {
    /// Binds to the type PostgreSQL inferred for the parameter, converting
    /// as SQLite would (an integer into a float column, a flag into BOOL).
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Value::Int(i), &Type::INT4) => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::INT2) => i16::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Value::Int(i), &Type::FLOAT4) => (*i as f32).to_sql(ty, out),
            (Value::Int(i), &Type::BOOL) => (*i != 0).to_sql(ty, out),
            (Value::Int(i), _) => i.to_string().to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Value::Real(f), _) => f.to_string().to_sql(ty, out),
            (Value::Text(s), &Type::INT8) => s.parse::<i64>()?.to_sql(ty, out),
            (Value::Text(s), _) => s.as_str().to_sql(ty, out),
            (Value::Blob(b), _) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl<'a> PgFromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)? as i64),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            _ => Value::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// NUMERIC in binary form (what `sum` and `avg` of integers return): an
/// integer when it has no fractional digits, else a float.
fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        Ok(i16::from_be_bytes(
            raw.get(i * 2..i * 2 + 2)
                .ok_or("short NUMERIC")?
                .try_into()?,
        ))
    };
    let (ndigits, weight, sign, dscale) = (word(0)?, word(1)?, word(2)? as u16, word(3)?);
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let (mut int, mut float) = (0i128, 0f64);
    for i in 0..ndigits as usize {
        let d = word(4 + i)? as i128;
        let power = weight as i32 - i as i32;
        float += d as f64 * 10_000f64.powi(power);
        if power >= 0 {
            int = int * 10_000 + d;
        }
    }
    if dscale == 0 {
        let last_power = weight as i32 - ndigits as i32 + 1;
        for _ in 0..last_power.max(0) {
            int *= 10_000;
        }
        let int = if sign == 0x4000 { -int } else { int };
        return Ok(Value::Int(i64::try_from(int)?));
    }
    Ok(Value::Real(if sign == 0x4000 { -float } else { float }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            pg_sql("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d IN ($1, $2)"
        );
        assert_eq!(pg_sql("x = ?12"), "x = $12");
    }

    #[test]
    fn numeric_decodes_integers_and_fractions() {
        // 1234567 = [123][4567] weight 1; -2.5 = [2][5000] weight 0 scale 1.
        let enc =
            |words: &[i16]| -> Vec<u8> { words.iter().flat_map(|w| w.to_be_bytes()).collect() };
        assert_eq!(
            numeric(&enc(&[2, 1, 0, 0, 123, 4567])).unwrap(),
            Value::Int(1_234_567)
        );
        assert_eq!(
            numeric(&enc(&[1, 2, 0, 0, 3])).unwrap(),
            Value::Int(300_000_000)
        );
        assert_eq!(
            numeric(&enc(&[2, 0, 0x4000, 1, 2, 5000])).unwrap(),
            Value::Real(-2.5)
        );
        assert_eq!(numeric(&enc(&[0, 0, 0, 0])).unwrap(), Value::Int(0));
    }

    #[test]
    fn sqlite_round_trips_through_values() {
        let c = Connection::sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch("CREATE TABLE t (a INTEGER, b TEXT, c REAL)")
            .unwrap();
        c.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3)",
            params![7i64, "x", None::<f64>],
        )
        .unwrap();
        let (a, b, c2): (i64, String, Option<f64>) = c
            .query_row("SELECT a, b, c FROM t WHERE a = ?1", [7], |r| {
                Ok((r.get(0usize)?, r.get(1usize)?, r.get(2usize)?))
            })
            .unwrap();
        assert_eq!((a, b.as_str(), c2), (7, "x", None));
        let none = c
            .query_row("SELECT a FROM t WHERE a = 8", [], |r| {
                r.get::<_, i64>(0usize)
            })
            .optional()
            .unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn a_failed_commit_rolls_back_and_leaves_no_transaction_open() {
        let mut c = Connection::sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE k (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .unwrap();
        let tx = c.transaction().unwrap();
        tx.execute("INSERT INTO k VALUES (?1)", [7]).unwrap();
        // The deferred foreign key is checked, and fails, at COMMIT.
        assert!(tx.commit().is_err());
        assert!(c.as_sqlite().unwrap().is_autocommit());
        let n: i64 = c
            .query_row("SELECT count(*) FROM k", [], |r| r.get(0usize))
            .unwrap();
        assert_eq!(n, 0);
        // The next transaction is a fresh BEGIN, not a savepoint.
        let tx = c.transaction().unwrap();
        tx.commit().unwrap();
        assert!(c.as_sqlite().unwrap().is_autocommit());
    }
}
