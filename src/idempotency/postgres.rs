//! The PostgreSQL idempotency ledger (feature `postgres`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::Row;

use super::memory::{decide_existing, ExistingDecision};
use super::{
    Begin, IdempotencyRecord, IdempotencyStore, RecordState, StoreError, StoredResponse,
    KEY_LIFETIME,
};
use crate::postgres::{
    db_message, pool_message, to_micros, Pool, PostgresConfig, PostgresSetupError, TimeSource,
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
///   `UPDATE … SET lease_token = lease_token + 1 … WHERE state = 'in_flight' AND
///   lease_until <= now AND created_at > now − 24 h RETURNING` — the row lock
///   makes exactly one racer `Resumed`;
/// - otherwise the row is read and reported as `Completed`, `Expired` or
///   `InFlightElsewhere`;
/// - `renew`, `complete` and `release` are `UPDATE … WHERE idem_key = $key AND
///   lease_token = $token`: a holder whose lease was taken over gets
///   [`StoreError::LeaseLost`] and changes nothing.
///
/// **Time.** With the default [`TimeSource::Database`] every time — `created_at`,
/// lease ends and the 24 h key age — is the database server's `now()` (the
/// start of the statement), and the `now` arguments are ignored: replicas whose
/// clocks disagree still agree on who holds a lease and how old a key is.
/// [`TimeSource::Caller`] uses the `now` arguments instead (deterministic tests
/// only). Times are stored as `timestamptz` (whole microseconds).
///
/// **Faults.** Each operation (getting a connection included) must finish within
/// [`PostgresConfig::statement_timeout`]; otherwise it fails with
/// [`StoreError::Timeout`] and its connection is closed and dropped from the
/// pool (its state is unknown: a half-open socket, a held lock). A connection
/// on which an operation failed with a backend error is dropped as well.
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
    holder: String,
    renew: String,
    complete: String,
    release: String,
    purge: String,
    discard: String,
}

const COLUMNS: &str = "scope, idem_key, command, payment_id, fingerprint, body, created_at, \
                       state, lease_until, response_status, response_body, lease_token";

/// "now" in SQL: the caller's time when one is passed (`TimeSource::Caller`),
/// else the server's `now()` (the statement's start: one value per statement).
const NOW: &str = "COALESCE($1::timestamptz, now())";

/// A `Duration` in microseconds for SQL (`$n::bigint * interval '1 microsecond'`),
/// capped at 100 years so that timestamp arithmetic cannot overflow.
fn micros(d: Duration) -> i64 {
    const CAP: i64 = 100 * 366 * 24 * 3600 * 1_000_000;
    i64::try_from(d.as_micros()).unwrap_or(CAP).min(CAP)
}

impl Sql {
    fn new(cfg: &PostgresConfig) -> Self {
        let t = cfg.table("idempotency");
        let life = KEY_LIFETIME.as_secs();
        // $1 is always the caller's `now` (NULL for the database's clock).
        Sql {
            insert: format!(
                "WITH n AS (SELECT {NOW} AS t) \
                 INSERT INTO {t} (scope, idem_key, command, payment_id, fingerprint, body, \
                 created_at, state, lease_until, lease_token) \
                 SELECT $2, $3, $4, $5, $6, $7, COALESCE($8::timestamptz, n.t), 'in_flight', \
                 n.t + $9::bigint * interval '1 microsecond', 1 FROM n \
                 ON CONFLICT (scope) DO NOTHING RETURNING {COLUMNS}"
            ),
            take_over: format!(
                "WITH n AS (SELECT {NOW} AS t) \
                 UPDATE {t} SET lease_until = n.t + $3::bigint * interval '1 microsecond', \
                 lease_token = lease_token + 1, updated_at = now() FROM n \
                 WHERE scope = $2 AND state = 'in_flight' AND lease_until <= n.t \
                 AND created_at > n.t - interval '{life} seconds' RETURNING {COLUMNS}"
            ),
            select: format!("SELECT {COLUMNS}, {NOW} AS store_now FROM {t} WHERE scope = $2"),
            holder: format!(
                "SELECT state, lease_token FROM {t} WHERE scope = $1 AND idem_key = $2"
            ),
            renew: format!(
                "WITH n AS (SELECT {NOW} AS t) \
                 UPDATE {t} SET lease_until = n.t + $5::bigint * interval '1 microsecond', \
                 updated_at = now() FROM n \
                 WHERE scope = $2 AND idem_key = $3 AND lease_token = $4 AND state = 'in_flight' \
                 RETURNING lease_until"
            ),
            complete: format!(
                "UPDATE {t} SET state = 'completed', response_status = $4, response_body = $5, \
                 updated_at = now() \
                 WHERE scope = $1 AND idem_key = $2 AND lease_token = $3 AND state = 'in_flight'"
            ),
            release: format!(
                "UPDATE {t} SET lease_until = $4, updated_at = now() \
                 WHERE scope = $1 AND idem_key = $2 AND lease_token = $3 AND state = 'in_flight'"
            ),
            purge: format!(
                "DELETE FROM {t} WHERE created_at <= {NOW} - $2::bigint * interval '1 microsecond'"
            ),
            discard: format!(
                "DELETE FROM {t} WHERE scope = $2 AND state = 'in_flight' \
                 AND created_at <= {NOW} - interval '{life} seconds' RETURNING {COLUMNS}"
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

fn token_param(token: u64) -> i64 {
    i64::try_from(token).unwrap_or(i64::MAX)
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
    let state = parse_state(row.try_get::<_, &str>("state").map_err(backend)?)?;
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
    let token: i64 = row.try_get("lease_token").map_err(backend)?;
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
        lease_token: u64::try_from(token).unwrap_or(0),
    })
}

fn parse_state(s: &str) -> Result<RecordState, StoreError> {
    match s {
        "in_flight" => Ok(RecordState::InFlight),
        "completed" => Ok(RecordState::Completed),
        other => Err(StoreError::Backend(format!(
            "unknown state {other:?} in ledger"
        ))),
    }
}

/// What a conditional `UPDATE` that matched no row means for `scope`/`key`.
enum Miss {
    /// No entry with this key.
    NotFound,
    /// The entry with this key is completed.
    Completed,
    /// The entry with this key is in flight under another token.
    OtherHolder,
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
    /// see [`crate::postgres::migrate`] (which also runs the durability check
    /// [`crate::postgres::check_durability`]). Returns the versions applied now.
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

    /// The caller's `now` as the SQL `$1`: `None` (the server's clock) unless
    /// the configuration says [`TimeSource::Caller`].
    fn now_param(&self, now: SystemTime) -> Option<SystemTime> {
        match self.cfg.time_source() {
            TimeSource::Database => None,
            TimeSource::Caller => Some(to_micros(now)),
        }
    }

    /// Runs `op` on a pooled connection within the statement timeout (the wait
    /// for a connection included). On timeout the connection is detached from
    /// the pool and closed: a query may still be pending on it, or its socket
    /// may be half-open. So is a connection on which `op` failed with a
    /// backend error.
    async fn run<T>(
        &self,
        op: impl AsyncFnOnce(&deadpool_postgres::Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let limit = self.cfg.statement_timeout();
        let deadline = tokio::time::Instant::now() + limit;
        let client = tokio::time::timeout_at(deadline, self.pool.get())
            .await
            .map_err(|_| StoreError::Timeout(limit))?
            .map_err(pool_err)?;
        let result = tokio::time::timeout_at(deadline, op(&client)).await;
        match result {
            // A backend error may be a broken connection that the pool's
            // `is_closed` check does not see yet: never hand it out again.
            // (A plain SQL error costs one reconnect; errors are rare.)
            Ok(Err(e @ StoreError::Backend(_))) => {
                drop(deadpool_postgres::Object::take(client));
                Err(e)
            }
            Ok(r) => r,
            Err(_) => {
                drop(deadpool_postgres::Object::take(client));
                Err(StoreError::Timeout(limit))
            }
        }
    }

    /// Why a conditional update of `scope`/`key` matched no row.
    async fn miss(
        &self,
        client: &deadpool_postgres::Client,
        scope: &str,
        key: &str,
    ) -> Result<Miss, StoreError> {
        let stmt = client
            .prepare_cached(&self.sql.holder)
            .await
            .map_err(backend)?;
        let row = client
            .query_opt(&stmt, &[&scope, &key])
            .await
            .map_err(backend)?;
        Ok(match row {
            None => Miss::NotFound,
            Some(row) => match parse_state(row.try_get::<_, &str>(0).map_err(backend)?)? {
                RecordState::Completed => Miss::Completed,
                RecordState::InFlight => Miss::OtherHolder,
            },
        })
    }

    /// Deletes every entry whose key was created more than `retain` before
    /// now (run it from a periodic cleanup job); returns how many rows were
    /// deleted. "Now" is the database's clock (`now` is used only with
    /// [`TimeSource::Caller`]).
    ///
    /// `retain` is clamped up to [`KEY_LIFETIME`]: an entry is never deleted while
    /// its key could still be honoured by the API. Deleting an entry forgets the
    /// scope — a later `begin` on it starts afresh with a new key — so keep
    /// `retain` longer than any retry or resume your service may attempt (e.g. 7 days).
    ///
    /// # Errors
    /// [`StoreError::Backend`] / [`StoreError::Timeout`] on failure.
    pub async fn purge_expired(
        &self,
        now: SystemTime,
        retain: Duration,
    ) -> Result<u64, StoreError> {
        let retain = micros(retain.max(KEY_LIFETIME));
        let now = self.now_param(now);
        self.run(async |client| {
            let stmt = client
                .prepare_cached(&self.sql.purge)
                .await
                .map_err(backend)?;
            client
                .execute(&stmt, &[&now, &retain])
                .await
                .map_err(backend)
        })
        .await
    }

    /// Deletes the entry of `scope` if — and only if — it is in flight and its key
    /// is past [`KEY_LIFETIME`] now (what `begin` reports as
    /// [`Begin::Expired`]); returns the deleted entry. One atomic `DELETE … RETURNING`.
    /// "Now" is the database's clock (`now` is used only with [`TimeSource::Caller`]).
    ///
    /// Call it once you have settled the old attempt (e.g. with
    /// `getTransactionResult`) and decided to send anew: the next `begin` on the
    /// scope then starts afresh with a new key. Entries that are completed, or whose
    /// key is still honoured, are never deleted.
    ///
    /// # Errors
    /// [`StoreError::Backend`] / [`StoreError::Timeout`] on failure.
    pub async fn discard_expired(
        &self,
        scope: &str,
        now: SystemTime,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let now = self.now_param(now);
        self.run(async |client| {
            let stmt = client
                .prepare_cached(&self.sql.discard)
                .await
                .map_err(backend)?;
            match client
                .query_opt(&stmt, &[&now, &scope])
                .await
                .map_err(backend)?
            {
                Some(row) => Ok(Some(from_row(&row)?)),
                None => Ok(None),
            }
        })
        .await
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
        let now = self.now_param(now);
        let created_at = now.map(|_| to_micros(proposal.created_at));
        let lease = micros(lease);
        self.run(async |client| {
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
                            &now,
                            &proposal.scope,
                            &proposal.key,
                            &proposal.command.as_str(),
                            &proposal.payment_id,
                            &fingerprint,
                            &body,
                            &created_at,
                            &lease,
                        ],
                    )
                    .await
                    .map_err(backend)?
                {
                    return Ok(Begin::Started(from_row(&row)?));
                }
                if let Some(row) = client
                    .query_opt(&take_over, &[&now, &proposal.scope, &lease])
                    .await
                    .map_err(backend)?
                {
                    return Ok(Begin::Resumed(from_row(&row)?));
                }
                let Some(row) = client
                    .query_opt(&select, &[&now, &proposal.scope])
                    .await
                    .map_err(backend)?
                else {
                    continue; // purged in between: try to insert again
                };
                let rec = from_row(&row)?;
                let store_now: SystemTime = row.try_get("store_now").map_err(backend)?;
                match decide_existing(&rec, store_now) {
                    ExistingDecision::Completed => return Ok(Begin::Completed(rec)),
                    ExistingDecision::Expired => return Ok(Begin::Expired(rec)),
                    ExistingDecision::InFlightElsewhere => {
                        return Ok(Begin::InFlightElsewhere(rec))
                    }
                    // Released or lapsed between the UPDATE and the SELECT: try again.
                    ExistingDecision::TakeOver => continue,
                }
            }
            Err(StoreError::Backend(format!(
                "begin on scope {:?} did not settle after {BEGIN_ATTEMPTS} attempts",
                proposal.scope
            )))
        })
        .await
    }

    async fn renew(
        &self,
        scope: &str,
        key: &str,
        token: u64,
        now: SystemTime,
        lease: Duration,
    ) -> Result<SystemTime, StoreError> {
        let now = self.now_param(now);
        let lease = micros(lease);
        let token = token_param(token);
        self.run(async |client| {
            let stmt = client
                .prepare_cached(&self.sql.renew)
                .await
                .map_err(backend)?;
            if let Some(row) = client
                .query_opt(&stmt, &[&now, &scope, &key, &token, &lease])
                .await
                .map_err(backend)?
            {
                return row.try_get(0).map_err(backend);
            }
            Err(match self.miss(client, scope, key).await? {
                Miss::NotFound => StoreError::NotFound {
                    scope: scope.to_owned(),
                },
                Miss::Completed | Miss::OtherHolder => StoreError::LeaseLost {
                    scope: scope.to_owned(),
                },
            })
        })
        .await
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        token: u64,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        let token = token_param(token);
        let status = i32::from(response.http_status);
        self.run(async |client| {
            let stmt = client
                .prepare_cached(&self.sql.complete)
                .await
                .map_err(backend)?;
            let n = client
                .execute(&stmt, &[&scope, &key, &token, &status, &response.body])
                .await
                .map_err(backend)?;
            if n == 1 {
                return Ok(());
            }
            match self.miss(client, scope, key).await? {
                // Already completed with this key: keep the first answer.
                Miss::Completed => Ok(()),
                Miss::NotFound => Err(StoreError::NotFound {
                    scope: scope.to_owned(),
                }),
                Miss::OtherHolder => Err(StoreError::LeaseLost {
                    scope: scope.to_owned(),
                }),
            }
        })
        .await
    }

    async fn release(&self, scope: &str, key: &str, token: u64) -> Result<(), StoreError> {
        let token = token_param(token);
        self.run(async |client| {
            let stmt = client
                .prepare_cached(&self.sql.release)
                .await
                .map_err(backend)?;
            let n = client
                .execute(&stmt, &[&scope, &key, &token, &UNIX_EPOCH])
                .await
                .map_err(backend)?;
            if n == 1 {
                return Ok(());
            }
            match self.miss(client, scope, key).await? {
                Miss::NotFound | Miss::Completed => Err(StoreError::NotFound {
                    scope: scope.to_owned(),
                }),
                Miss::OtherHolder => Err(StoreError::LeaseLost {
                    scope: scope.to_owned(),
                }),
            }
        })
        .await
    }

    async fn get(&self, scope: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let now: Option<SystemTime> = None;
        self.run(async |client| {
            let stmt = client
                .prepare_cached(&self.sql.select)
                .await
                .map_err(backend)?;
            match client
                .query_opt(&stmt, &[&now, &scope])
                .await
                .map_err(backend)?
            {
                Some(row) => Ok(Some(from_row(&row)?)),
                None => Ok(None),
            }
        })
        .await
    }
}
