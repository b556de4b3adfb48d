//! The conformance suite on the PostgreSQL backends, plus Postgres-only checks
//! (migrations, purge, isolation by schema and prefix, error hygiene).
//!
//! Needs the PostgreSQL named by `VT4G_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); fails, never skips, when it is
//! unreachable. Each test works in its own schema `vt4g_test_<random>` and drops it.
#![cfg(feature = "postgres")]

mod store_suite;

mod common;

use common::database_url;

use std::sync::Arc;
use std::time::Duration;

use vt4g::dedupe::{Claim, PostgresDeduper, WebhookDeduper};
use vt4g::idempotency::{IdempotencyStore, PostgresStore, StoreError, KEY_LIFETIME};
use vt4g::postgres::{self, Pool, PostgresConfig, TimeSource, MIGRATIONS};

/// Drops the test's schema.
struct SchemaGuard {
    pool: Pool,
    schema: String,
}

impl SchemaGuard {
    async fn cleanup(self) {
        let client = self.pool.get().await.expect("connection for cleanup");
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                self.schema
            ))
            .await
            .expect("drop test schema");
    }
}

async fn fresh(prefix: &str) -> (Pool, PostgresConfig, SchemaGuard) {
    let schema = format!("vt4g_test_{}", uuid::Uuid::new_v4().simple());
    let pool = postgres::pool(&database_url(), 8).expect("pool");
    let cfg = PostgresConfig::default()
        .with_schema(&schema)
        .unwrap()
        .with_table_prefix(prefix)
        .unwrap()
        // The suite moves time by hours: the store takes the caller's clock here.
        // The database clock is tested on its own below.
        .with_time_source(TimeSource::Caller);
    let applied = postgres::migrate(&pool, &cfg)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {} unusable: {e}", database_url()));
    assert_eq!(applied, MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>());
    let guard = SchemaGuard {
        pool: pool.clone(),
        schema,
    };
    (pool, cfg, guard)
}

async fn pg_store() -> (Arc<PostgresStore>, SchemaGuard) {
    let (pool, cfg, guard) = fresh("vt4g_").await;
    (Arc::new(PostgresStore::new(pool, cfg)), guard)
}

async fn pg_dedupe() -> (Arc<PostgresDeduper>, SchemaGuard) {
    let (pool, cfg, guard) = fresh("vt4g_").await;
    (Arc::new(PostgresDeduper::new(pool, cfg)), guard)
}

conformance_tests!(store: pg_store(), dedupe: pg_dedupe());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_idempotent_and_records_versions() {
    let (pool, cfg, guard) = fresh("").await;
    assert!(postgres::migrate(&pool, &cfg).await.unwrap().is_empty());
    // Concurrent boots of several replicas: the advisory lock serialises them.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (pool, cfg) = (pool.clone(), cfg.clone());
        tasks.push(tokio::spawn(
            async move { postgres::migrate(&pool, &cfg).await },
        ));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap().is_empty());
    }
    let client = pool.get().await.unwrap();
    let rows = client
        .query(
            &format!(
                "SELECT version FROM {} ORDER BY version",
                cfg.table("schema_migrations")
            ),
            &[],
        )
        .await
        .unwrap();
    let versions: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>());
    drop(client);
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_migration_is_reported() {
    let (pool, cfg, guard) = fresh("vt4g_").await;
    let client = pool.get().await.unwrap();
    client
        .execute(
            &format!(
                "UPDATE {} SET checksum = checksum + 1 WHERE version = 1",
                cfg.table("schema_migrations")
            ),
            &[],
        )
        .await
        .unwrap();
    drop(client);
    let err = postgres::migrate(&pool, &cfg).await.unwrap_err();
    assert!(err.to_string().contains("migration 1"), "{err}");
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_migration_concurrently_from_many_replicas() {
    let schema = format!("vt4g_test_{}", uuid::Uuid::new_v4().simple());
    let pool = postgres::pool(&database_url(), 8).unwrap();
    let cfg = PostgresConfig::default().with_schema(&schema).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (pool, cfg) = (pool.clone(), cfg.clone());
        tasks.push(tokio::spawn(
            async move { postgres::migrate(&pool, &cfg).await },
        ));
    }
    let mut applied = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(v) => applied.extend(v),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let guard = SchemaGuard { pool, schema };
    guard.cleanup().await;
    assert!(errors.is_empty(), "{errors:?}");
    applied.sort_unstable();
    assert_eq!(
        applied,
        MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>(),
        "each version applied exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_isolate_tables_in_one_schema() {
    let (pool, cfg_a, guard) = fresh("a_").await;
    let cfg_b = cfg_a.clone().with_table_prefix("b_").unwrap();
    postgres::migrate(&pool, &cfg_b).await.unwrap();
    let a = PostgresStore::new(pool.clone(), cfg_a);
    let b = PostgresStore::new(pool.clone(), cfg_b);
    let now = store_suite::t0();
    let lease = Duration::from_secs(30);
    a.begin(store_suite::proposal("s", "ka", now), now, lease)
        .await
        .unwrap();
    assert!(b.get("s").await.unwrap().is_none());
    b.begin(store_suite::proposal("s", "kb", now), now, lease)
        .await
        .unwrap();
    assert_eq!(a.get("s").await.unwrap().unwrap().key, "ka");
    assert_eq!(b.get("s").await.unwrap().unwrap().key, "kb");
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_two_pools_share_one_ledger() {
    // Two "replicas": separate pools, same table.
    let (pool, cfg, guard) = fresh("vt4g_").await;
    let other_pool = postgres::pool(&database_url(), 4).unwrap();
    let r1 = PostgresStore::new(pool, cfg.clone());
    let r2 = PostgresStore::new(other_pool, cfg);
    let now = store_suite::t0();
    let lease = Duration::from_secs(30);
    let got = r1
        .begin(store_suite::proposal("x/capture", "k1", now), now, lease)
        .await
        .unwrap();
    assert!(matches!(got, vt4g::idempotency::Begin::Started(_)));
    let got = r2
        .begin(store_suite::proposal("x/capture", "k2", now), now, lease)
        .await
        .unwrap();
    assert!(matches!(got, vt4g::idempotency::Begin::InFlightElsewhere(ref r) if r.key == "k1"));
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_only_rows_older_than_retain_and_24h() {
    let (pool, cfg, guard) = fresh("vt4g_").await;
    let s = PostgresStore::new(pool, cfg);
    let t0 = store_suite::t0();
    let lease = Duration::from_secs(5);
    s.begin(store_suite::proposal("old", "k1", t0), t0, lease)
        .await
        .unwrap();
    let t1 = t0 + Duration::from_secs(3 * 24 * 3600);
    s.begin(store_suite::proposal("new", "k2", t1), t1, lease)
        .await
        .unwrap();
    let at = t1 + KEY_LIFETIME - Duration::from_secs(1);
    assert_eq!(
        s.purge_expired(at, Duration::from_secs(1)).await.unwrap(),
        1
    );
    assert!(s.get("old").await.unwrap().is_none());
    assert!(s.get("new").await.unwrap().is_some());
    let at = t1 + KEY_LIFETIME + Duration::from_secs(1);
    assert_eq!(
        s.purge_expired(at, Duration::from_secs(1)).await.unwrap(),
        1
    );
    assert!(s.get("new").await.unwrap().is_none());
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_errors_carry_no_body_or_password() {
    // A store whose tables were never created: every call fails with a clean message.
    let schema = format!("vt4g_test_{}", uuid::Uuid::new_v4().simple());
    let pool = postgres::pool(&database_url(), 2).unwrap();
    let s = PostgresStore::new(
        pool,
        PostgresConfig::default().with_schema(&schema).unwrap(),
    );
    let now = store_suite::t0();
    let mut p = store_suite::proposal("s", "k", now);
    p.body = b"{\"metadata\":\"very-private-value\"}".to_vec();
    let err = s.begin(p, now, Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)));
    let msg = format!("{err} {err:?}");
    assert!(!msg.contains("very-private-value"), "{msg}");
    assert!(
        msg.contains("42P01") || msg.contains("does not exist"),
        "{msg}"
    );

    // A URL with a password that cannot connect: the password is never repeated.
    let bad = postgres::pool("postgres://user:hunter2secret@127.0.0.1:1/none", 1).unwrap();
    let d = PostgresDeduper::new(bad, PostgresConfig::default());
    let err = d.claim("id", Duration::from_secs(1)).await.unwrap_err();
    let msg = format!("{err} {err:?} {d:?}");
    assert!(!msg.contains("hunter2secret"), "{msg}");
    assert!(postgres::pool("postgres://u:hunter2secret@[bad", 1)
        .unwrap_err()
        .to_string()
        .find("hunter2secret")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedupe_is_shared_across_pools() {
    let (pool, cfg, guard) = fresh("vt4g_").await;
    let r1 = PostgresDeduper::new(pool, cfg.clone());
    let r2 = PostgresDeduper::new(postgres::pool(&database_url(), 2).unwrap(), cfg);
    let lease = Duration::from_secs(60);
    let Claim::Claimed(token) = r1.claim("wh", lease).await.unwrap() else {
        panic!("first claim must win");
    };
    assert!(matches!(
        r2.claim("wh", lease).await.unwrap(),
        Claim::InProgress { .. }
    ));
    r1.complete("wh", &token, lease).await.unwrap();
    assert_eq!(r2.claim("wh", lease).await.unwrap(), Claim::AlreadyDone);
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discard_expired_only_removes_expired_in_flight_entries() {
    let (pool, cfg, guard) = fresh("vt4g_").await;
    let s = PostgresStore::new(pool, cfg);
    let t0 = store_suite::t0();
    let lease = Duration::from_secs(5);
    s.begin(store_suite::proposal("a", "ka", t0), t0, lease)
        .await
        .unwrap();
    s.begin(store_suite::proposal("b", "kb", t0), t0, lease)
        .await
        .unwrap();
    s.complete(
        "b",
        "kb",
        1,
        vt4g::idempotency::StoredResponse {
            http_status: 200,
            body: b"{}".to_vec(),
        },
    )
    .await
    .unwrap();
    let young = t0 + KEY_LIFETIME - Duration::from_secs(1);
    assert!(s.discard_expired("a", young).await.unwrap().is_none());
    let old = t0 + KEY_LIFETIME;
    assert!(
        s.discard_expired("b", old).await.unwrap().is_none(),
        "completed stays"
    );
    assert!(s.discard_expired("none", old).await.unwrap().is_none());
    assert_eq!(
        s.discard_expired("a", old).await.unwrap().unwrap().key,
        "ka"
    );
    let got = s
        .begin(store_suite::proposal("a", "ka2", old), old, lease)
        .await
        .unwrap();
    assert!(matches!(got, vt4g::idempotency::Begin::Started(ref r) if r.key == "ka2"));
    guard.cleanup().await;
}

/// A store on a fresh schema with the default, database clock.
async fn db_clock_store(timeout: Duration) -> (PostgresStore, Pool, SchemaGuard) {
    let (pool, cfg, guard) = fresh("vt4g_").await;
    let cfg = cfg
        .with_time_source(TimeSource::Database)
        .with_statement_timeout(timeout);
    (PostgresStore::new(pool.clone(), cfg), pool, guard)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_and_key_age_use_the_database_clock_not_the_callers() {
    let (s, pool, guard) = db_clock_store(Duration::from_secs(5)).await;
    let real = std::time::SystemTime::now();
    let lease = Duration::from_secs(30);
    // A replica whose clock is 5 minutes ahead starts the scope...
    let skewed = real + Duration::from_secs(300);
    let got = s
        .begin(
            store_suite::proposal("c/capture", "k1", skewed),
            skewed,
            lease,
        )
        .await
        .unwrap();
    let vt4g::idempotency::Begin::Started(rec) = got else {
        panic!("expected Started, got {got:?}")
    };
    // ...but its row carries the database's time, not its own.
    let off = |t: std::time::SystemTime| {
        t.duration_since(real)
            .unwrap_or_else(|e| e.duration())
            .as_secs()
    };
    assert!(
        off(rec.created_at) < 60,
        "created_at {:?} vs {real:?}",
        rec.created_at
    );
    assert_eq!(rec.lease_until, rec.created_at + lease);
    // Another replica whose clock is an hour ahead cannot take over the live lease.
    let far = real + Duration::from_secs(3600);
    let got = s
        .begin(store_suite::proposal("c/capture", "k2", far), far, lease)
        .await
        .unwrap();
    assert!(
        matches!(got, vt4g::idempotency::Begin::InFlightElsewhere(ref r) if r.key == "k1"),
        "{got:?}"
    );
    // A key that is 24 h old on the database's clock is expired whatever the caller's clock says.
    let client = pool.get().await.unwrap();
    client
        .execute(
            &format!(
                "UPDATE {} SET created_at = now() - interval '24 hours', lease_until = now() \
                 WHERE scope = 'c/capture'",
                s.config().table("idempotency")
            ),
            &[],
        )
        .await
        .unwrap();
    drop(client);
    let past = real - Duration::from_secs(3600);
    let got = s
        .begin(store_suite::proposal("c/capture", "k3", past), past, lease)
        .await
        .unwrap();
    assert!(
        matches!(got, vt4g::idempotency::Begin::Expired(ref r) if r.key == "k1"),
        "{got:?}"
    );
    // Renewal reports the database's lease end.
    let got = s
        .begin(store_suite::proposal("d/capture", "k4", past), past, lease)
        .await
        .unwrap();
    let vt4g::idempotency::Begin::Started(rec) = got else {
        panic!("expected Started, got {got:?}")
    };
    let until = s
        .renew("d/capture", "k4", rec.lease_token, past, lease)
        .await
        .unwrap();
    assert!(off(until - lease) < 60, "renewed until {until:?}");
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_statement_times_out_and_its_connection_is_dropped() {
    let (s, pool, guard) = db_clock_store(Duration::from_millis(300)).await;
    let now = store_suite::t0();
    let got = s
        .begin(
            store_suite::proposal("l/capture", "k", now),
            now,
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let vt4g::idempotency::Begin::Started(rec) = got else {
        panic!("expected Started, got {got:?}")
    };
    // Another session holds the row lock and does not let go.
    let other = postgres::pool(&database_url(), 1).unwrap();
    let mut locker = other.get().await.unwrap();
    let tx = locker.transaction().await.unwrap();
    tx.execute(
        &format!(
            "SELECT 1 FROM {} WHERE scope = 'l/capture' FOR UPDATE",
            s.config().table("idempotency")
        ),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(pool.status().size, 1);
    let err = s
        .complete(
            "l/capture",
            "k",
            rec.lease_token,
            vt4g::idempotency::StoredResponse {
                http_status: 200,
                body: b"{}".to_vec(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");
    assert_eq!(
        pool.status().size,
        0,
        "the timed-out connection left the pool"
    );
    tx.rollback().await.unwrap();
    drop(locker);
    // Once the lock is gone the retried complete goes through.
    s.complete(
        "l/capture",
        "k",
        rec.lease_token,
        vt4g::idempotency::StoredResponse {
            http_status: 200,
            body: b"{}".to_vec(),
        },
    )
    .await
    .unwrap();
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_session_costs_at_most_one_failed_operation() {
    let (_, cfg, guard) = fresh("vt4g_").await;
    let app = format!("vt4g_kill_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{}?application_name={app}", database_url());
    let pool = postgres::pool(&url, 1).unwrap();
    let s = PostgresStore::new(pool, cfg.with_time_source(TimeSource::Database));
    assert!(s.get("x").await.unwrap().is_none());
    let admin = postgres::pool(&database_url(), 1).unwrap();
    let killed: i64 = admin
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&app],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    // The pool's only connection is dead: one operation may fail on it, the next
    // runs on a new connection.
    let first = s.get("x").await;
    if let Err(e) = &first {
        assert!(matches!(e, StoreError::Backend(_)), "{e:?}");
    }
    assert!(s.get("x").await.unwrap().is_none());
    guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durability_check_warns_when_synchronous_commit_is_off() {
    let pool = postgres::pool(&database_url(), 1).unwrap();
    let report = postgres::check_durability(&pool).await.unwrap();
    assert_eq!(report.synchronous_commit, "on", "{report:?}");
    assert!(report.is_durable(), "{report:?}");
    let sep = if database_url().contains('?') {
        '&'
    } else {
        '?'
    };
    let off = postgres::pool(
        &format!(
            "{}{sep}options=-c%20synchronous_commit%3Doff",
            database_url()
        ),
        1,
    )
    .unwrap();
    let report = postgres::check_durability(&off).await.unwrap();
    assert_eq!(report.synchronous_commit, "off");
    assert!(!report.is_durable());
    assert!(
        report.warnings[0].contains("synchronous_commit is off"),
        "{report:?}"
    );
}
