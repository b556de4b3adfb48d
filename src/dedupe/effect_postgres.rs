//! The PostgreSQL effect log (feature `postgres`).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::effect::{Applied, EffectError, EffectKey};
use super::postgres::{backend, micros, pool_err};
use super::DedupeError;
use crate::postgres::{Pool, PostgresConfig};

/// The future an effect passed to [`PostgresEffects::once`] returns: it borrows
/// the transaction it writes in.
pub type EffectFuture<'t, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 't>>;

/// An effect log on PostgreSQL (table `<prefix>webhook_effects`, migration 4):
/// one row per [`EffectKey`] applied, shared by every replica.
///
/// The key row is inserted in the **same transaction** as the effect's own
/// writes, so they commit together or not at all: an effect that lives in
/// this database is applied exactly once per key, across crashes, replicas and
/// redeliveries under fresh webhook ids. A second caller with the same key
/// waits on the key's row lock until the first commits (then sees
/// [`Applied::Before`]) or rolls back (then runs the effect itself).
///
/// Two ways in:
/// - [`once`](PostgresEffects::once): this log opens the transaction and hands
///   it to the effect;
/// - [`record_in`](PostgresEffects::record_in): inside a transaction of the
///   merchant's own (on a connection of a pool of its own).
///
/// An effect outside the database (an e-mail, a call to another service) gets
/// at most once per key from `once` only if it happens last and cannot fail
/// after the commit — otherwise it must be idempotent itself.
///
/// ```no_run
/// # async fn demo(event: vt4g::webhook::VerifiedWebhook) -> Result<(), Box<dyn std::error::Error>> {
/// use vt4g::dedupe::{EffectKey, PostgresEffects};
/// use vt4g::postgres::{self, PostgresConfig};
/// let pool = postgres::pool("postgres://app@127.0.0.1/shop", 8)?;
/// let effects = PostgresEffects::new(pool, PostgresConfig::default());
/// let key = EffectKey::for_webhook(&event)?;
/// let pid = event.payload.order.and_then(|o| o.payment_id).unwrap_or_default();
/// effects
///     .once(&key, move |tx| {
///         Box::pin(async move {
///             tx.execute("UPDATE orders SET paid = true WHERE payment_id = $1", &[&pid])
///                 .await
///         })
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresEffects {
    pool: Pool,
    table: String,
    insert: String,
    exists: String,
    purge: String,
}

impl std::fmt::Debug for PostgresEffects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresEffects")
            .field("table", &self.table)
            .field("pool_status", &self.pool.status())
            .finish()
    }
}

impl PostgresEffects {
    /// An effect log on `pool`, with its table placed by `cfg` (created by
    /// [`crate::postgres::migrate`]). Opens no connection.
    pub fn new(pool: Pool, cfg: PostgresConfig) -> Self {
        let table = cfg.table("webhook_effects");
        PostgresEffects {
            pool,
            insert: format!(
                "INSERT INTO {table} (effect_key) VALUES ($1) \
                 ON CONFLICT (effect_key) DO NOTHING RETURNING 1"
            ),
            exists: format!("SELECT 1 FROM {table} WHERE effect_key = $1"),
            purge: format!(
                "DELETE FROM {table} \
                 WHERE applied_at <= now() - $1::bigint * interval '1 microsecond'"
            ),
            table,
        }
    }

    /// Records `key` inside the caller's transaction `tx`; `true` when it was
    /// not recorded before (apply the effect in `tx`, then commit), `false`
    /// when it was (skip the effect). Blocks while another open transaction
    /// holds the same key.
    ///
    /// # Errors
    /// [`DedupeError`] when the statement fails (roll `tx` back).
    pub async fn record_in(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        key: &EffectKey,
    ) -> Result<bool, DedupeError> {
        let row = tx
            .query_opt(&self.insert, &[&key.as_str()])
            .await
            .map_err(backend)?;
        Ok(row.is_some())
    }

    /// Runs `effect` in a new transaction together with recording `key`,
    /// unless `key` was recorded before; commits when the effect succeeds,
    /// rolls back when it fails.
    ///
    /// # Errors
    /// [`EffectError::Effect`] with the effect's error (nothing committed);
    /// [`EffectError::Store`] when the database fails (nothing committed,
    /// unless `COMMIT` itself failed ambiguously: then the next call answers
    /// [`Applied::Before`] if it had committed).
    pub async fn once<F, T, E>(
        &self,
        key: &EffectKey,
        effect: F,
    ) -> Result<Applied<T>, EffectError<E>>
    where
        F: for<'t> FnOnce(&'t tokio_postgres::Transaction<'t>) -> EffectFuture<'t, T, E>,
    {
        let store = |e: tokio_postgres::Error| EffectError::Store(backend(e));
        let mut client = self
            .pool
            .get()
            .await
            .map_err(|e| EffectError::Store(pool_err(e)))?;
        let tx = client.transaction().await.map_err(store)?;
        if !self.record_in(&tx, key).await.map_err(EffectError::Store)? {
            tx.rollback().await.map_err(store)?;
            return Ok(Applied::Before);
        }
        match effect(&tx).await {
            Ok(value) => {
                tx.commit().await.map_err(store)?;
                Ok(Applied::Now(value))
            }
            Err(e) => {
                // Dropping the transaction rolls it back too; say so explicitly
                // and keep the effect's error, not the rollback's.
                let _ = tx.rollback().await;
                Err(EffectError::Effect(e))
            }
        }
    }

    /// Whether `key` is recorded (committed).
    ///
    /// # Errors
    /// [`DedupeError`] when the database fails.
    pub async fn contains(&self, key: &EffectKey) -> Result<bool, DedupeError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let row = client
            .query_opt(&self.exists, &[&key.as_str()])
            .await
            .map_err(backend)?;
        Ok(row.is_some())
    }

    /// Deletes keys applied at least `age` ago by the database's clock;
    /// returns how many. Keep keys longer than the Unified API may still send
    /// a notification (the reference says only "for a certain period"): after
    /// that a re-sent event applies its effect again.
    ///
    /// # Errors
    /// [`DedupeError`] when the database fails.
    pub async fn purge_older_than(&self, age: Duration) -> Result<u64, DedupeError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        client
            .execute(&self.purge, &[&micros(age)])
            .await
            .map_err(backend)
    }
}
