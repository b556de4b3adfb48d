//! PostgreSQL plumbing shared by [`PostgresStore`](crate::idempotency::PostgresStore)
//! and [`PostgresDeduper`](crate::dedupe::PostgresDeduper) (feature `postgres`):
//! where the tables live ([`PostgresConfig`]), a connection pool helper
//! ([`pool`]) and the versioned schema migrations ([`migrate`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use vt4g::postgres::{self, PostgresConfig};
//! use vt4g::idempotency::PostgresStore;
//! use vt4g::dedupe::PostgresDeduper;
//!
//! let pool = postgres::pool("postgres://app@db.internal:5432/payments", 16)?;
//! let cfg = PostgresConfig::default().with_schema("payments")?;
//! postgres::migrate(&pool, &cfg).await?; // idempotent; safe from every replica at boot
//! let ledger = PostgresStore::new(pool.clone(), cfg.clone());
//! let dedupe = PostgresDeduper::new(pool, cfg);
//! # let _ = (ledger, dedupe);
//! # Ok(()) }
//! ```
//!
//! See `docs/postgres.md` for operations (own pools with TLS, cleanup jobs).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use deadpool_postgres;
pub use deadpool_postgres::Pool;
pub use tokio_postgres;

/// The versioned migrations shipped with the library, in order:
/// `(version, name, SQL template)`. The SQL files live in `migrations/`.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "idempotency_ledger",
        include_str!("../migrations/0001_idempotency_ledger.sql"),
    ),
    (
        2,
        "webhook_dedupe",
        include_str!("../migrations/0002_webhook_dedupe.sql"),
    ),
    (
        3,
        "ledger_lease_token",
        include_str!("../migrations/0003_ledger_lease_token.sql"),
    ),
    (
        4,
        "webhook_dedupe_lease",
        include_str!("../migrations/0004_webhook_dedupe_lease.sql"),
    ),
];

/// Errors while setting up the Postgres backends (configuration, pool, migrations).
///
/// Messages never contain the database URL (which may hold a password) nor row data.
#[derive(Debug, thiserror::Error)]
pub enum PostgresSetupError {
    /// A schema name or table prefix is not a plain lower-case identifier.
    #[error("invalid SQL identifier {0:?}: use [a-z_][a-z0-9_]* (schema at most 63 bytes, prefix at most 32)")]
    InvalidIdentifier(String),
    /// The database URL could not be parsed (the URL itself is not repeated here).
    #[error("invalid PostgreSQL connection URL")]
    InvalidUrl,
    /// The pool could not be built or could not hand out a connection.
    #[error("PostgreSQL pool error: {0}")]
    Pool(String),
    /// A migration failed, or an applied migration no longer matches the shipped one.
    #[error("PostgreSQL migration error: {0}")]
    Migration(String),
}

/// Where the vt4g tables live: a schema and a table-name prefix.
///
/// Defaults: schema `public`, prefix `vt4g_`, giving the tables
/// `public.vt4g_idempotency`, `public.vt4g_webhook_dedupe` and
/// `public.vt4g_schema_migrations`. Both names must match `[a-z_][a-z0-9_]*`
/// (schema at most 63 bytes, PostgreSQL's limit; prefix at most 32 so that the
/// longest derived index name fits; the prefix may be empty) — they are spliced into SQL
/// (quoted), so they are validated instead of escaped.
///
/// ```
/// use vt4g::postgres::PostgresConfig;
/// let cfg = PostgresConfig::default().with_schema("billing")?.with_table_prefix("pay_")?;
/// assert_eq!(cfg.table("idempotency"), "\"billing\".\"pay_idempotency\"");
/// assert!(PostgresConfig::default().with_schema("x; DROP TABLE y").is_err());
/// # Ok::<(), vt4g::postgres::PostgresSetupError>(())
/// ```
///
/// It also holds the per-operation [`statement_timeout`](Self::statement_timeout)
/// (default [`DEFAULT_STATEMENT_TIMEOUT`]) and the ledger's [`TimeSource`]
/// (default [`TimeSource::Database`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    schema: String,
    table_prefix: String,
    statement_timeout: Duration,
    time_source: TimeSource,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig {
            schema: "public".into(),
            table_prefix: "vt4g_".into(),
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
            time_source: TimeSource::Database,
        }
    }
}

/// The default limit on one store operation (its wait for a pooled connection
/// and its statements together), and the server-side `statement_timeout` that
/// [`pool`] sets on its connections.
///
/// A ledger operation is one to three single-row, primary-key statements and
/// one commit: milliseconds on a healthy server. Five seconds bounds a
/// half-open socket, a held row lock or a stalled server while leaving room
/// for a slow WAL flush; a payment is then failed cleanly (nothing sent, or
/// a resumable "maybe processed") instead of hanging.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which clock the Postgres ledger uses for `created_at`, lease ends and the
/// 24 h key age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeSource {
    /// (Default) The database server's `now()`: one clock for every replica,
    /// so a replica whose clock is off can neither take over a live lease nor
    /// misjudge a key's age. The `now` arguments of the store are ignored.
    #[default]
    Database,
    /// The `now` the caller passes (the client's injectable clock). For
    /// deterministic tests that move time by hours; never in production with
    /// more than one process, since the processes' clocks then disagree.
    Caller,
}

fn valid_identifier(s: &str, allow_empty: bool, max_len: usize) -> bool {
    if s.is_empty() {
        return allow_empty;
    }
    s.len() <= max_len
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

impl PostgresConfig {
    /// Sets the schema (created by [`migrate`] if missing).
    ///
    /// # Errors
    /// [`PostgresSetupError::InvalidIdentifier`] unless `schema` matches `[a-z_][a-z0-9_]*`.
    pub fn with_schema(mut self, schema: &str) -> Result<Self, PostgresSetupError> {
        if !valid_identifier(schema, false, 63) {
            return Err(PostgresSetupError::InvalidIdentifier(schema.to_owned()));
        }
        self.schema = schema.to_owned();
        Ok(self)
    }

    /// Sets the table-name prefix (may be empty).
    ///
    /// # Errors
    /// [`PostgresSetupError::InvalidIdentifier`] unless `prefix` is empty or matches
    /// `[a-z_][a-z0-9_]*`.
    pub fn with_table_prefix(mut self, prefix: &str) -> Result<Self, PostgresSetupError> {
        if !valid_identifier(prefix, true, 32) {
            return Err(PostgresSetupError::InvalidIdentifier(prefix.to_owned()));
        }
        self.table_prefix = prefix.to_owned();
        Ok(self)
    }

    /// Sets the limit on one store operation (see [`DEFAULT_STATEMENT_TIMEOUT`]);
    /// at least 1 ms. An operation over it fails with
    /// [`StoreError::Timeout`](crate::idempotency::StoreError::Timeout) and its
    /// connection is closed.
    pub fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets the ledger's clock (see [`TimeSource`]).
    pub fn with_time_source(mut self, source: TimeSource) -> Self {
        self.time_source = source;
        self
    }

    /// The limit on one store operation.
    pub fn statement_timeout(&self) -> Duration {
        self.statement_timeout
    }

    /// The ledger's clock.
    pub fn time_source(&self) -> TimeSource {
        self.time_source
    }

    /// The schema name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The table-name prefix.
    pub fn table_prefix(&self) -> &str {
        &self.table_prefix
    }

    /// The quoted, schema-qualified name of table `name` (prefix applied).
    pub fn table(&self, name: &str) -> String {
        format!("\"{}\".\"{}{}\"", self.schema, self.table_prefix, name)
    }

    fn render(&self, template: &str) -> String {
        template
            .replace("{{schema}}", &self.schema)
            .replace("{{table_prefix}}", &self.table_prefix)
    }
}

/// How long [`pool`]'s pools wait for a free connection before failing.
pub const POOL_WAIT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`pool`]'s pools wait for a new connection (or its health check).
pub const POOL_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a connection pool (no TLS) of at most `max_size` connections from a
/// `postgres://` URL or a key=value connection string. Waiting for a free
/// connection fails after [`POOL_WAIT_TIMEOUT`], opening one after
/// [`POOL_CONNECT_TIMEOUT`], so a dead database turns into errors, not hangs.
///
/// Its connections also carry a server-side `statement_timeout` of
/// [`DEFAULT_STATEMENT_TIMEOUT`] (unless the URL's `options` already set
/// one), so a statement stuck on a lock is cancelled by the server, and TCP
/// keepalives after 30 s idle with a 30 s TCP user timeout, so a dead peer is
/// noticed by the kernel. (The stores also bound every operation on the
/// client side, which is what catches a half-open socket.)
///
/// For TLS or custom settings build a [`deadpool_postgres::Pool`] yourself (the
/// crate is re-exported at [`deadpool_postgres`]) and hand it to the stores.
/// No connection is opened until first use.
///
/// # Errors
/// [`PostgresSetupError::InvalidUrl`] for an unparsable URL;
/// [`PostgresSetupError::Pool`] if the pool cannot be built.
pub fn pool(url: &str, max_size: usize) -> Result<Pool, PostgresSetupError> {
    let mut pg: tokio_postgres::Config = url.parse().map_err(|_| PostgresSetupError::InvalidUrl)?;
    let options = pg.get_options().unwrap_or_default().to_owned();
    if !options.contains("statement_timeout") {
        let ms = DEFAULT_STATEMENT_TIMEOUT.as_millis();
        pg.options(format!("{options} -c statement_timeout={ms}").trim_start());
    }
    pg.keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .tcp_user_timeout(Duration::from_secs(30));
    let mgr = deadpool_postgres::Manager::from_config(
        pg,
        tokio_postgres::NoTls,
        deadpool_postgres::ManagerConfig {
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    Pool::builder(mgr)
        .max_size(max_size.max(1))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT_TIMEOUT))
        .create_timeout(Some(POOL_CONNECT_TIMEOUT))
        .recycle_timeout(Some(POOL_CONNECT_TIMEOUT))
        .build()
        .map_err(|e| PostgresSetupError::Pool(e.to_string()))
}

/// FNV-1a 64 of a migration template: detects an applied migration whose text changed.
fn checksum(text: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// Applies the shipped [`MIGRATIONS`] that are not yet applied in `cfg`'s schema
/// and returns the versions applied now (empty when up to date).
///
/// Creates the schema if missing and records applied versions in
/// `<schema>.<prefix>schema_migrations` (version, name, checksum, applied_at).
/// Runs in one transaction under a transaction-scoped advisory lock, so replicas
/// booting together do not race; a failure applies nothing. An already-applied
/// migration whose shipped text differs is reported, not re-run.
///
/// # Errors
/// [`PostgresSetupError::Pool`] when no connection can be had;
/// [`PostgresSetupError::Migration`] when SQL fails or a checksum differs.
pub async fn migrate(pool: &Pool, cfg: &PostgresConfig) -> Result<Vec<i64>, PostgresSetupError> {
    let mut client = pool
        .get()
        .await
        .map_err(|e| PostgresSetupError::Pool(pool_message(&e)))?;
    let mig = |e: tokio_postgres::Error| PostgresSetupError::Migration(db_message(&e));
    let tx = client.transaction().await.map_err(mig)?;
    let lock_key = checksum(&format!("vt4g-migrate:{}:{}", cfg.schema, cfg.table_prefix));
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key])
        .await
        .map_err(mig)?;
    tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", cfg.schema))
        .await
        .map_err(mig)?;
    let ledger = cfg.table("schema_migrations");
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {ledger} (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum BIGINT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )"
    ))
    .await
    .map_err(mig)?;
    let rows = tx
        .query(&format!("SELECT version, checksum FROM {ledger}"), &[])
        .await
        .map_err(mig)?;
    let applied: Vec<(i64, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut done = Vec::new();
    for (version, name, template) in MIGRATIONS {
        let sum = checksum(template);
        match applied.iter().find(|(v, _)| v == version) {
            Some((_, s)) if *s == sum => continue,
            Some(_) => {
                return Err(PostgresSetupError::Migration(format!(
                    "migration {version} ({name}) was applied with different text"
                )))
            }
            None => {}
        }
        tx.batch_execute(&cfg.render(template)).await.map_err(|e| {
            PostgresSetupError::Migration(format!(
                "migration {version} ({name}): {}",
                db_message(&e)
            ))
        })?;
        tx.execute(
            &format!("INSERT INTO {ledger} (version, name, checksum) VALUES ($1, $2, $3)"),
            &[version, name, &sum],
        )
        .await
        .map_err(mig)?;
        done.push(*version);
    }
    tx.commit().await.map_err(mig)?;
    drop(client);
    if let Ok(report) = check_durability(pool).await {
        report.warn();
    }
    Ok(done)
}

/// What [`check_durability`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurabilityReport {
    /// The session's `synchronous_commit` (`on`, `remote_apply`,
    /// `remote_write`, `local` or `off`).
    pub synchronous_commit: String,
    /// The server's `fsync` setting (`on` or `off`).
    pub fsync: String,
    /// What is unsafe for the ledger, one sentence each (empty when nothing is).
    pub warnings: Vec<String>,
}

impl DurabilityReport {
    /// Whether nothing unsafe was found.
    pub fn is_durable(&self) -> bool {
        self.warnings.is_empty()
    }

    /// Logs every warning with `tracing::warn!`.
    pub fn warn(&self) {
        for w in &self.warnings {
            tracing::warn!(
                synchronous_commit = %self.synchronous_commit,
                fsync = %self.fsync,
                "{w}"
            );
        }
    }
}

/// Reads the settings the ledger's guarantee depends on, on one pooled
/// connection, and says what is unsafe. [`migrate`] runs it and logs the
/// warnings (`tracing::warn!`); call it yourself at startup when you migrate
/// with another tool.
///
/// The ledger sends a request only after the `begin` row's commit returned. With
/// `synchronous_commit = off` a commit returns before its WAL is flushed: a
/// server crash can lose a row whose request was already sent, and the next
/// attempt then starts over with a new key — the API processes it a second
/// time. `local` is durable on the primary but not on a replica that is
/// promoted after a failover (see `docs/postgres.md`). `fsync = off` loses
/// commits on any crash.
///
/// # Errors
/// [`PostgresSetupError::Pool`] when no connection can be had;
/// [`PostgresSetupError::Migration`] when the settings cannot be read.
pub async fn check_durability(pool: &Pool) -> Result<DurabilityReport, PostgresSetupError> {
    let client = pool
        .get()
        .await
        .map_err(|e| PostgresSetupError::Pool(pool_message(&e)))?;
    let read = |e: tokio_postgres::Error| PostgresSetupError::Migration(db_message(&e));
    let row = client
        .query_one(
            "SELECT current_setting('synchronous_commit'), current_setting('fsync')",
            &[],
        )
        .await
        .map_err(read)?;
    let synchronous_commit: String = row.get(0);
    let fsync: String = row.get(1);
    let mut warnings = Vec::new();
    match synchronous_commit.as_str() {
        "off" => warnings.push(
            "synchronous_commit is off: a crash of the database can lose ledger rows whose \
             requests were already sent, and a lost row makes the next attempt use a new \
             idempotency key (a duplicate payment); set synchronous_commit = on for the \
             ledger's role or database"
                .to_owned(),
        ),
        "local" => warnings.push(
            "synchronous_commit is local: a ledger row committed on the primary can be \
             missing on a standby promoted after a failover; use on or remote_apply with \
             synchronous standbys if you fail over"
                .to_owned(),
        ),
        _ => {}
    }
    if fsync == "off" {
        warnings.push(
            "fsync is off: any crash of the database server can lose committed ledger rows"
                .to_owned(),
        );
    }
    Ok(DurabilityReport {
        synchronous_commit,
        fsync,
        warnings,
    })
}

/// A pool error message safe to log: backend errors go through [`db_message`].
pub(crate) fn pool_message(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => format!("connection pool: {}", db_message(e)),
        other => format!("connection pool: {other}"),
    }
}

/// An error message safe to log: for database errors the SQLSTATE and primary
/// message only (the DETAIL of some errors repeats row values, e.g. request bodies).
pub(crate) fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// Truncates to whole microseconds (PostgreSQL's `timestamptz` resolution), so a
/// value read back equals the value written.
pub(crate) fn to_micros(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + Duration::from_micros(d.as_micros() as u64),
        Err(e) => {
            let d = e.duration();
            let micros = d.as_micros() as u64 + u64::from(d.subsec_nanos() % 1000 != 0);
            UNIX_EPOCH - Duration::from_micros(micros)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_validated() {
        for bad in ["", "A", "1a", "a-b", "a b", "a\"b", "ä", &"a".repeat(64)] {
            assert!(
                PostgresConfig::default().with_schema(bad).is_err(),
                "{bad:?}"
            );
        }
        assert!(PostgresConfig::default().with_table_prefix("").is_ok());
        assert!(PostgresConfig::default().with_table_prefix("X").is_err());
        assert!(PostgresConfig::default()
            .with_table_prefix(&"p".repeat(33))
            .is_err());
        assert!(PostgresConfig::default()
            .with_schema(&"s".repeat(63))
            .is_ok());
        let c = PostgresConfig::default()
            .with_schema("s_1")
            .unwrap()
            .with_table_prefix("p_")
            .unwrap();
        assert_eq!(c.table("t"), "\"s_1\".\"p_t\"");
        assert!(c
            .render(MIGRATIONS[0].2)
            .contains("\"s_1\".\"p_idempotency\""));
        assert!(!c.render(MIGRATIONS[1].2).contains("{{"));
        assert!(c
            .render(MIGRATIONS[2].2)
            .contains("\"s_1\".\"p_idempotency\""));
    }

    #[test]
    fn micros_truncation() {
        let t = UNIX_EPOCH + Duration::new(5, 123_456_789);
        assert_eq!(to_micros(t), UNIX_EPOCH + Duration::new(5, 123_456_000));
        let before = UNIX_EPOCH - Duration::new(5, 1_500);
        assert_eq!(to_micros(before), UNIX_EPOCH - Duration::new(5, 2_000));
    }

    #[test]
    fn checksums_differ() {
        assert_ne!(checksum(MIGRATIONS[0].2), checksum(MIGRATIONS[1].2));
    }
}
