//! The PostgreSQL webhook deduper (feature `postgres`).

use std::time::{Duration, SystemTime};

use super::memory::expiry;
use super::{DedupeError, Seen, WebhookDeduper};
use crate::postgres::{
    db_message, pool_message, to_micros, Pool, PostgresConfig, PostgresSetupError,
};

/// A [`WebhookDeduper`] on PostgreSQL, shared by every replica that points at
/// the same table, so a redelivery reaching another replica is still recognised.
///
/// `check_and_record` is one atomic statement:
/// `INSERT … ON CONFLICT (webhook_id) DO UPDATE … WHERE expires_at <= now RETURNING`
/// — a row comes back (`Seen::First`) only when the id was absent or its record
/// had expired; of concurrent deliveries of one id exactly one is `First`.
/// A duplicate does not extend the record's life. Times come from the caller and
/// are stored as `timestamptz` (whole microseconds).
///
/// Apply the schema with [`migrate`](PostgresDeduper::migrate) and run
/// [`purge_expired`](WebhookDeduper::purge_expired) periodically.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::{Duration, SystemTime};
/// use vt4g::dedupe::{PostgresDeduper, Seen, WebhookDeduper};
/// use vt4g::postgres::PostgresConfig;
/// let dedupe = PostgresDeduper::connect("postgres://app@127.0.0.1/payments", PostgresConfig::default())?;
/// dedupe.migrate().await?;
/// let ttl = Duration::from_secs(7 * 24 * 3600);
/// if dedupe.check_and_record("wh-123", SystemTime::now(), ttl).await? == Seen::First {
///     // process the webhook
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresDeduper {
    pool: Pool,
    cfg: PostgresConfig,
    sql: std::sync::Arc<Sql>,
}

impl std::fmt::Debug for PostgresDeduper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDeduper")
            .field("table", &self.cfg.table("webhook_dedupe"))
            .field("pool_status", &self.pool.status())
            .finish()
    }
}

struct Sql {
    record: String,
    forget: String,
    purge: String,
}

impl Sql {
    fn new(cfg: &PostgresConfig) -> Self {
        let t = cfg.table("webhook_dedupe");
        Sql {
            record: format!(
                "INSERT INTO {t} AS d (webhook_id, recorded_at, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (webhook_id) DO UPDATE \
                 SET recorded_at = EXCLUDED.recorded_at, expires_at = EXCLUDED.expires_at \
                 WHERE d.expires_at <= EXCLUDED.recorded_at \
                 RETURNING 1"
            ),
            forget: format!("DELETE FROM {t} WHERE webhook_id = $1"),
            purge: format!("DELETE FROM {t} WHERE expires_at <= $1"),
        }
    }
}

fn backend(e: tokio_postgres::Error) -> DedupeError {
    DedupeError(db_message(&e))
}

fn pool_err(e: deadpool_postgres::PoolError) -> DedupeError {
    DedupeError(pool_message(&e))
}

impl PostgresDeduper {
    /// A deduper on `pool`, with its table placed by `cfg`. Opens no connection.
    pub fn new(pool: Pool, cfg: PostgresConfig) -> Self {
        let sql = std::sync::Arc::new(Sql::new(&cfg));
        PostgresDeduper { pool, cfg, sql }
    }

    /// A deduper with its own pool (16 connections, no TLS) on `url`; see
    /// [`crate::postgres::pool`]. Opens no connection.
    ///
    /// # Errors
    /// [`PostgresSetupError::InvalidUrl`] or [`PostgresSetupError::Pool`].
    pub fn connect(url: &str, cfg: PostgresConfig) -> Result<Self, PostgresSetupError> {
        Ok(Self::new(crate::postgres::pool(url, 16)?, cfg))
    }

    /// Applies the library's migrations; see [`crate::postgres::migrate`].
    ///
    /// # Errors
    /// As [`crate::postgres::migrate`].
    pub async fn migrate(&self) -> Result<Vec<i64>, PostgresSetupError> {
        crate::postgres::migrate(&self.pool, &self.cfg).await
    }

    /// The pool in use.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

#[async_trait::async_trait]
impl WebhookDeduper for PostgresDeduper {
    async fn check_and_record(
        &self,
        webhook_id: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<Seen, DedupeError> {
        let now = to_micros(now);
        let expires = to_micros(expiry(now, ttl));
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.record)
            .await
            .map_err(backend)?;
        let row = client
            .query_opt(&stmt, &[&webhook_id, &now, &expires])
            .await
            .map_err(backend)?;
        Ok(if row.is_some() {
            Seen::First
        } else {
            Seen::Duplicate
        })
    }

    async fn forget(&self, webhook_id: &str) -> Result<(), DedupeError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.forget)
            .await
            .map_err(backend)?;
        client
            .execute(&stmt, &[&webhook_id])
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn purge_expired(&self, now: SystemTime) -> Result<u64, DedupeError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.purge)
            .await
            .map_err(backend)?;
        client
            .execute(&stmt, &[&to_micros(now)])
            .await
            .map_err(backend)
    }
}
