//! The PostgreSQL idempotency ledger (feature `postgres`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::Row;

use super::memory::{decide_existing, lease_end, ExistingDecision};
use super::{
    Begin, IdempotencyRecord, IdempotencyStore, RecordState, StoreError, StoredResponse,
    KEY_LIFETIME,
};
use crate::postgres::{
    db_message, pool_message, to_micros, Pool, PostgresConfig, PostgresSetupError,
};
use crate::Command;

/// An [`IdempotencyStore`] on PostgreSQL: survives crashes and restarts and is
/// shared by every replica that points at the same table.
///
/// Build it from a [`Pool`] and a [`PostgresConfig`] (schema and table prefix),
/// and apply the schema once with [`migrate`](PostgresStore::migrate) (or
/// [`crate::postgres::migrate`]). Cloning is cheap (the pool is shared).
///
/// Every decision is atomic in SQL, with the same semantics as
/// [`InMemoryStore`](super::InMemoryStore) (both pass one conformance suite):
/// - `begin`: `INSERT … ON CONFLICT (scope) DO NOTHING RETURNING` — the one
///   caller whose row is inserted gets `Started`; everyone else shares that row's key;
/// - a lapsed lease is taken over with one conditional
///   `UPDATE … WHERE state = 'in_flight' AND lease_until <= now AND created_at > now − 24 h
///   RETURNING` — the row lock makes exactly one racer `Resumed`;
/// - otherwise the row is read and reported as `Completed`, `Expired` or
///   `InFlightElsewhere`.
///
/// Times come from the caller (`now`), not the database clock, and are stored
/// as `timestamptz`, i.e. truncated to whole microseconds.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use vt4g::idempotency::PostgresStore;
/// use vt4g::postgres::PostgresConfig;
/// let store = PostgresStore::connect("postgres://app@127.0.0.1/payments", PostgresConfig::default())?;
/// store.migrate().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    cfg: PostgresConfig,
    sql: std::sync::Arc<Sql>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("table", &self.cfg.table("idempotency"))
            .field("pool_status", &self.pool.status())
            .finish()
    }
}

struct Sql {
    insert: String,
    take_over: String,
    select: String,
    complete: String,
    key_exists: String,
    release: String,
    purge: String,
    discard: String,
}

const COLUMNS: &str = "scope, idem_key, command, payment_id, fingerprint, body, created_at, \
                       state, lease_until, response_status, response_body";

impl Sql {
    fn new(cfg: &PostgresConfig) -> Self {
        let t = cfg.table("idempotency");
        Sql {
            insert: format!(
                "INSERT INTO {t} (scope, idem_key, command, payment_id, fingerprint, body, \
                 created_at, state, lease_until) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'in_flight', $8) \
                 ON CONFLICT (scope) DO NOTHING RETURNING {COLUMNS}"
            ),
            take_over: format!(
                "UPDATE {t} SET lease_until = $2, updated_at = now() \
                 WHERE scope = $1 AND state = 'in_flight' AND lease_until <= $3 \
                 AND created_at > $4 RETURNING {COLUMNS}"
            ),
            select: format!("SELECT {COLUMNS} FROM {t} WHERE scope = $1"),
            complete: format!(
                "UPDATE {t} SET state = 'completed', response_status = $3, response_body = $4, \
                 updated_at = now() \
                 WHERE scope = $1 AND idem_key = $2 AND state = 'in_flight'"
            ),
            key_exists: format!("SELECT 1 FROM {t} WHERE scope = $1 AND idem_key = $2"),
            release: format!(
                "UPDATE {t} SET lease_until = $3, updated_at = now() \
                 WHERE scope = $1 AND idem_key = $2 AND state = 'in_flight'"
            ),
            purge: format!("DELETE FROM {t} WHERE created_at <= $1"),
            discard: format!(
                "DELETE FROM {t} WHERE scope = $1 AND state = 'in_flight' AND created_at <= $2 \
                 RETURNING {COLUMNS}"
            ),
        }
    }
}

fn backend(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(db_message(&e))
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Backend(pool_message(&e))
}

fn from_row(row: &Row) -> Result<IdempotencyRecord, StoreError> {
    let command: &str = row.try_get("command").map_err(backend)?;
    let command = Command::ALL
        .into_iter()
        .find(|c| c.as_str() == command)
        .ok_or_else(|| StoreError::Backend(format!("unknown command {command:?} in ledger")))?;
    let fp: Vec<u8> = row.try_get("fingerprint").map_err(backend)?;
    let fingerprint: [u8; 32] = fp
        .try_into()
        .map_err(|_| StoreError::Backend("fingerprint is not 32 bytes".into()))?;
    let state = match row.try_get::<_, &str>("state").map_err(backend)? {
        "in_flight" => RecordState::InFlight,
        "completed" => RecordState::Completed,
        other => {
            return Err(StoreError::Backend(format!(
                "unknown state {other:?} in ledger"
            )))
        }
    };
    let status: Option<i32> = row.try_get("response_status").map_err(backend)?;
    let response_body: Option<Vec<u8>> = row.try_get("response_body").map_err(backend)?;
    let response = match (status, response_body) {
        (Some(s), Some(body)) => Some(StoredResponse {
            http_status: u16::try_from(s)
                .map_err(|_| StoreError::Backend(format!("HTTP status {s} out of range")))?,
            body,
        }),
        _ => None,
    };
    Ok(IdempotencyRecord {
        scope: row.try_get("scope").map_err(backend)?,
        key: row.try_get("idem_key").map_err(backend)?,
        command,
        payment_id: row.try_get("payment_id").map_err(backend)?,
        fingerprint,
        body: row.try_get("body").map_err(backend)?,
        created_at: row.try_get("created_at").map_err(backend)?,
        state,
        lease_until: row.try_get("lease_until").map_err(backend)?,
        response,
    })
}

impl PostgresStore {
    /// A store on `pool`, with its table placed by `cfg`. Opens no connection.
    pub fn new(pool: Pool, cfg: PostgresConfig) -> Self {
        let sql = std::sync::Arc::new(Sql::new(&cfg));
        PostgresStore { pool, cfg, sql }
    }

    /// A store with its own pool (16 connections, no TLS) on `url`; see
    /// [`crate::postgres::pool`]. Opens no connection.
    ///
    /// # Errors
    /// [`PostgresSetupError::InvalidUrl`] or [`PostgresSetupError::Pool`].
    pub fn connect(url: &str, cfg: PostgresConfig) -> Result<Self, PostgresSetupError> {
        Ok(Self::new(crate::postgres::pool(url, 16)?, cfg))
    }

    /// Applies the library's migrations (both the ledger and the dedupe table);
    /// see [`crate::postgres::migrate`]. Returns the versions applied now.
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

    /// The configuration in use.
    pub fn config(&self) -> &PostgresConfig {
        &self.cfg
    }

    /// Deletes every entry whose key was created more than `retain` before `now`
    /// (run it from a periodic cleanup job); returns how many rows were deleted.
    ///
    /// `retain` is clamped up to [`KEY_LIFETIME`]: an entry is never deleted while
    /// its key could still be honoured by the API. Deleting an entry forgets the
    /// scope — a later `begin` on it starts afresh with a new key — so keep
    /// `retain` longer than any retry or resume your service may attempt (e.g. 7 days).
    ///
    /// # Errors
    /// [`StoreError::Backend`] on failure.
    pub async fn purge_expired(
        &self,
        now: SystemTime,
        retain: Duration,
    ) -> Result<u64, StoreError> {
        let retain = retain.max(KEY_LIFETIME);
        let cutoff = to_micros(now.checked_sub(retain).unwrap_or(UNIX_EPOCH));
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.purge)
            .await
            .map_err(backend)?;
        client.execute(&stmt, &[&cutoff]).await.map_err(backend)
    }
}

impl PostgresStore {
    /// Deletes the entry of `scope` if — and only if — it is in flight and its key
    /// is past [`KEY_LIFETIME`] at `now` (what `begin` reports as
    /// [`Begin::Expired`]); returns the deleted entry. One atomic `DELETE … RETURNING`.
    ///
    /// Call it once you have settled the old attempt (e.g. with
    /// `getTransactionResult`) and decided to send anew: the next `begin` on the
    /// scope then starts afresh with a new key. Entries that are completed, or whose
    /// key is still honoured, are never deleted.
    ///
    /// # Errors
    /// [`StoreError::Backend`] on failure.
    pub async fn discard_expired(
        &self,
        scope: &str,
        now: SystemTime,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let cutoff = to_micros(now)
            .checked_sub(KEY_LIFETIME)
            .unwrap_or(UNIX_EPOCH);
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.discard)
            .await
            .map_err(backend)?;
        match client
            .query_opt(&stmt, &[&scope, &cutoff])
            .await
            .map_err(backend)?
        {
            Some(row) => Ok(Some(from_row(&row)?)),
            None => Ok(None),
        }
    }
}

/// How often `begin` re-reads when a row changes under it (deleted by a purge,
/// or its lease lapsing between two statements) before giving up.
const BEGIN_ATTEMPTS: usize = 8;

#[async_trait::async_trait]
impl IdempotencyStore for PostgresStore {
    async fn begin(
        &self,
        proposal: IdempotencyRecord,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Begin, StoreError> {
        let now = to_micros(now);
        let lease_until = to_micros(lease_end(now, lease));
        let created_at = to_micros(proposal.created_at);
        let cutoff = now.checked_sub(KEY_LIFETIME).unwrap_or(UNIX_EPOCH);
        let client = self.pool.get().await.map_err(pool_err)?;
        let insert = client
            .prepare_cached(&self.sql.insert)
            .await
            .map_err(backend)?;
        let take_over = client
            .prepare_cached(&self.sql.take_over)
            .await
            .map_err(backend)?;
        let select = client
            .prepare_cached(&self.sql.select)
            .await
            .map_err(backend)?;
        let fingerprint: &[u8] = &proposal.fingerprint;
        let body: &[u8] = &proposal.body;
        for _ in 0..BEGIN_ATTEMPTS {
            if let Some(row) = client
                .query_opt(
                    &insert,
                    &[
                        &proposal.scope,
                        &proposal.key,
                        &proposal.command.as_str(),
                        &proposal.payment_id,
                        &fingerprint,
                        &body,
                        &created_at,
                        &lease_until,
                    ],
                )
                .await
                .map_err(backend)?
            {
                return Ok(Begin::Started(from_row(&row)?));
            }
            if let Some(row) = client
                .query_opt(&take_over, &[&proposal.scope, &lease_until, &now, &cutoff])
                .await
                .map_err(backend)?
            {
                return Ok(Begin::Resumed(from_row(&row)?));
            }
            let Some(row) = client
                .query_opt(&select, &[&proposal.scope])
                .await
                .map_err(backend)?
            else {
                continue; // purged in between: try to insert again
            };
            let rec = from_row(&row)?;
            match decide_existing(&rec, now) {
                ExistingDecision::Completed => return Ok(Begin::Completed(rec)),
                ExistingDecision::Expired => return Ok(Begin::Expired(rec)),
                ExistingDecision::InFlightElsewhere => return Ok(Begin::InFlightElsewhere(rec)),
                // Released or lapsed between the UPDATE and the SELECT: try again.
                ExistingDecision::TakeOver => continue,
            }
        }
        Err(StoreError::Backend(format!(
            "begin on scope {:?} did not settle after {BEGIN_ATTEMPTS} attempts",
            proposal.scope
        )))
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.complete)
            .await
            .map_err(backend)?;
        let status = i32::from(response.http_status);
        let n = client
            .execute(&stmt, &[&scope, &key, &status, &response.body])
            .await
            .map_err(backend)?;
        if n == 1 {
            return Ok(());
        }
        // Already completed with this key (keep the first answer), or not ours.
        let stmt = client
            .prepare_cached(&self.sql.key_exists)
            .await
            .map_err(backend)?;
        match client
            .query_opt(&stmt, &[&scope, &key])
            .await
            .map_err(backend)?
        {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound {
                scope: scope.to_owned(),
            }),
        }
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.release)
            .await
            .map_err(backend)?;
        let n = client
            .execute(&stmt, &[&scope, &key, &UNIX_EPOCH])
            .await
            .map_err(backend)?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound {
                scope: scope.to_owned(),
            })
        }
    }

    async fn get(&self, scope: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&self.sql.select)
            .await
            .map_err(backend)?;
        match client.query_opt(&stmt, &[&scope]).await.map_err(backend)? {
            Some(row) => Ok(Some(from_row(&row)?)),
            None => Ok(None),
        }
    }
}
