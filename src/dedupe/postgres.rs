//! The PostgreSQL webhook deduper (feature `postgres`).

use std::time::Duration;

use super::{Claim, DedupeError, LeaseStatus, LeaseToken, WebhookDeduper};
use crate::postgres::{db_message, pool_message, Pool, PostgresConfig, PostgresSetupError};

/// How often `claim` retries when the record changes between its two statements
/// (released, or its lease expired, in between).
const CLAIM_ATTEMPTS: usize = 8;

/// A [`WebhookDeduper`] on PostgreSQL, shared by every replica that points at
/// the same table, so a redelivery reaching another replica is still recognised
/// and a replica that died mid-handler is taken over once its lease expires.
///
/// Every time is the database's `now()`: leases and retention are compared on
/// one clock whatever the replicas' clocks say. `claim` is one atomic upsert
/// (`INSERT … ON CONFLICT (webhook_id) DO UPDATE … WHERE expires_at <= now()`),
/// so of concurrent claims exactly one wins; when it does not win, a second
/// statement reads whether the record is `done` or `processing` (and for how
/// long). `renew`, `complete` and `release` are single statements conditional
/// on the lease token. The row keeps the token once `done`, so a `complete`
/// repeated after an ambiguous failure still answers `Held`.
///
/// Apply the schema with [`migrate`](PostgresDeduper::migrate) and run
/// [`purge_expired`](WebhookDeduper::purge_expired) periodically.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use vt4g::dedupe::{Claim, PostgresDeduper, WebhookDeduper};
/// use vt4g::postgres::PostgresConfig;
/// let dedupe = PostgresDeduper::connect("postgres://app@127.0.0.1/payments", PostgresConfig::default())?;
/// dedupe.migrate().await?;
/// if let Claim::Claimed(token) = dedupe.claim("wh-123", Duration::from_secs(60)).await? {
///     // run the handler, then:
///     dedupe.complete("wh-123", &token, Duration::from_secs(7 * 24 * 3600)).await?;
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
    claim: String,
    inspect: String,
    renew: String,
    complete: String,
    release: String,
    purge: String,
}

/// `now() + $n microseconds`.
fn plus(param: &str) -> String {
    format!("now() + {param}::bigint * interval '1 microsecond'")
}

impl Sql {
    fn new(cfg: &PostgresConfig) -> Self {
        let t = cfg.table("webhook_dedupe");
        Sql {
            claim: format!(
                "INSERT INTO {t} AS d (webhook_id, state, lease_token, recorded_at, expires_at) \
                 VALUES ($1, 'processing', $2, now(), {lease}) \
                 ON CONFLICT (webhook_id) DO UPDATE \
                 SET state = 'processing', lease_token = EXCLUDED.lease_token, \
                     recorded_at = EXCLUDED.recorded_at, expires_at = EXCLUDED.expires_at, \
                     claims = d.claims + 1, done_at = NULL \
                 WHERE d.expires_at <= now() \
                 RETURNING 1",
                lease = plus("$3")
            ),
            inspect: format!(
                "SELECT state = 'done', \
                        (EXTRACT(EPOCH FROM (expires_at - now())) * 1000000)::bigint \
                 FROM {t} WHERE webhook_id = $1 AND expires_at > now()"
            ),
            renew: format!(
                "UPDATE {t} SET expires_at = {lease} \
                 WHERE webhook_id = $1 AND lease_token = $2 AND state = 'processing' \
                 RETURNING 1",
                lease = plus("$3")
            ),
            complete: format!(
                "UPDATE {t} SET \
                     expires_at = CASE WHEN state = 'done' THEN expires_at ELSE {keep} END, \
                     done_at = COALESCE(done_at, now()), state = 'done' \
                 WHERE webhook_id = $1 AND lease_token = $2 \
                 RETURNING 1",
                keep = plus("$3")
            ),
            release: format!(
                "DELETE FROM {t} \
                 WHERE webhook_id = $1 AND lease_token = $2 AND state = 'processing' \
                 RETURNING 1"
            ),
            purge: format!("DELETE FROM {t} WHERE expires_at <= now()"),
        }
    }
}

pub(super) fn backend(e: tokio_postgres::Error) -> DedupeError {
    DedupeError(db_message(&e))
}

pub(super) fn pool_err(e: deadpool_postgres::PoolError) -> DedupeError {
    DedupeError(pool_message(&e))
}

/// Whole microseconds of `d`, saturating (PostgreSQL intervals hold about
/// 178,000 years, far beyond any lease or retention).
pub(super) fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 2)
}

fn held(row: Option<tokio_postgres::Row>) -> LeaseStatus {
    if row.is_some() {
        LeaseStatus::Held
    } else {
        LeaseStatus::Lost
    }
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

    /// Runs `sql` with `params` and returns the optional row.
    async fn one(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<tokio_postgres::Row>, DedupeError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client.prepare_cached(sql).await.map_err(backend)?;
        client.query_opt(&stmt, params).await.map_err(backend)
    }
}

#[async_trait::async_trait]
impl WebhookDeduper for PostgresDeduper {
    async fn claim(&self, webhook_id: &str, lease: Duration) -> Result<Claim, DedupeError> {
        let lease = micros(lease);
        for _ in 0..CLAIM_ATTEMPTS {
            let token = LeaseToken::new();
            let won = self
                .one(&self.sql.claim, &[&webhook_id, &token.as_string(), &lease])
                .await?;
            if won.is_some() {
                return Ok(Claim::Claimed(token));
            }
            if let Some(row) = self.one(&self.sql.inspect, &[&webhook_id]).await? {
                let done: bool = row.get(0);
                let left: i64 = row.get(1);
                return Ok(if done {
                    Claim::AlreadyDone
                } else {
                    Claim::InProgress {
                        lease_remaining: Duration::from_micros(left.max(0) as u64),
                    }
                });
            }
            // Released or expired between the two statements: claim again.
        }
        Err(DedupeError(format!(
            "webhook id kept changing state during {CLAIM_ATTEMPTS} claim attempts"
        )))
    }

    async fn renew(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
        lease: Duration,
    ) -> Result<LeaseStatus, DedupeError> {
        let row = self
            .one(
                &self.sql.renew,
                &[&webhook_id, &token.as_string(), &micros(lease)],
            )
            .await?;
        Ok(held(row))
    }

    async fn complete(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
        retention: Duration,
    ) -> Result<LeaseStatus, DedupeError> {
        let row = self
            .one(
                &self.sql.complete,
                &[&webhook_id, &token.as_string(), &micros(retention)],
            )
            .await?;
        Ok(held(row))
    }

    async fn release(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
    ) -> Result<LeaseStatus, DedupeError> {
        let row = self
            .one(&self.sql.release, &[&webhook_id, &token.as_string()])
            .await?;
        Ok(held(row))
    }

    async fn purge_expired(&self) -> Result<u64, DedupeError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.purge)
            .await
            .map_err(backend)?;
        client.execute(&stmt, &[]).await.map_err(backend)
    }
}
