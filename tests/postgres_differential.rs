//! Differential test: random sequences of ledger and dedupe operations applied
//! to the in-memory and the PostgreSQL backends must give identical answers.
//!
//! Uses the PostgreSQL of `VT4G_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) in its own schema, dropped at the end.
#![cfg(feature = "postgres")]

mod common;
mod store_suite;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use vt4g::dedupe::{Claim, InMemoryDeduper, LeaseToken, PostgresDeduper, WebhookDeduper};
use vt4g::idempotency::{Begin, IdempotencyStore, InMemoryStore, PostgresStore, StoredResponse};
use vt4g::postgres::{self, PostgresConfig, TimeSource};

#[derive(Debug, Clone)]
enum Op {
    Begin {
        scope: u8,
        key: u8,
        lease_ms: u32,
    },
    Complete {
        scope: u8,
        current_key: bool,
        status: u16,
    },
    Release {
        scope: u8,
        current_key: bool,
    },
    /// A lease renewal by the current holder, or by a stale one (the token
    /// before the last take-over).
    Renew {
        scope: u8,
        stale: bool,
        lease_ms: u32,
    },
    Get {
        scope: u8,
    },
    Advance {
        ms: u64,
    },
    /// Dedupe claim (leases and retention are an hour: the two stores run on
    /// different clocks, so expiry is the conformance suite's business).
    Claim {
        id: u8,
    },
    /// Dedupe complete (`release` when `done` is false) with the holder's token
    /// or with a stranger's.
    Finish {
        id: u8,
        current_token: bool,
        done: bool,
    },
    Purge,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3u8, any::<u8>(), 1..60_000u32)
            .prop_map(|(scope, key, lease_ms)| Op::Begin { scope, key, lease_ms }),
        2 => (0..3u8, any::<bool>(), prop_oneof![Just(200u16), Just(400), Just(500)])
            .prop_map(|(scope, current_key, status)| Op::Complete { scope, current_key, status }),
        1 => (0..3u8, any::<bool>()).prop_map(|(scope, current_key)| Op::Release { scope, current_key }),
        2 => (0..3u8, any::<bool>(), 1..60_000u32)
            .prop_map(|(scope, stale, lease_ms)| Op::Renew { scope, stale, lease_ms }),
        1 => (0..3u8).prop_map(|scope| Op::Get { scope }),
        // Mostly small steps; sometimes hours, so 24 h expiry is crossed.
        3 => prop_oneof![
            4 => 0..90_000u64,
            1 => 3_600_000..(13 * 3_600_000u64),
        ].prop_map(|ms| Op::Advance { ms }),
        2 => (0..3u8).prop_map(|id| Op::Claim { id }),
        2 => (0..3u8, any::<bool>(), any::<bool>())
            .prop_map(|(id, current_token, done)| Op::Finish { id, current_token, done }),
        1 => Just(Op::Purge),
    ]
}

/// The comparable shape of a result.
fn begin_shape(b: &Begin) -> (&'static str, &vt4g::idempotency::IdempotencyRecord) {
    match b {
        Begin::Started(r) => ("started", r),
        Begin::Resumed(r) => ("resumed", r),
        Begin::InFlightElsewhere(r) => ("elsewhere", r),
        Begin::Completed(r) => ("completed", r),
        Begin::Expired(r) => ("expired", r),
    }
}

/// Dedupe leases and retention in this test.
const HOUR: Duration = Duration::from_secs(3600);

/// The comparable shape of a dedupe claim (tokens and remaining time differ).
fn claim_shape(c: &Claim) -> &'static str {
    match c {
        Claim::Claimed(_) => "claimed",
        Claim::AlreadyDone => "done",
        Claim::InProgress { .. } => "in progress",
    }
}

static CASE: AtomicU64 = AtomicU64::new(0);

struct Backends {
    rt: tokio::runtime::Runtime,
    pg: PostgresStore,
    pg_d: PostgresDeduper,
    pool: postgres::Pool,
    schema: String,
}

impl Drop for Backends {
    fn drop(&mut self) {
        let pool = self.pool.clone();
        let schema = self.schema.clone();
        self.rt.block_on(async move {
            if let Ok(c) = pool.get().await {
                let _ = c
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .await;
            }
        });
    }
}

fn backends() -> Backends {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = common::database_url();
    let schema = format!("vt4g_test_{}", uuid::Uuid::new_v4().simple());
    // Time moves by the case's `Advance` steps: the store takes the caller's clock.
    let cfg = PostgresConfig::default()
        .with_schema(&schema)
        .unwrap()
        .with_time_source(TimeSource::Caller);
    let pool = postgres::pool(&url, 2).unwrap();
    rt.block_on(postgres::migrate(&pool, &cfg))
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} unusable: {e}"));
    Backends {
        pg: PostgresStore::new(pool.clone(), cfg.clone()),
        pg_d: PostgresDeduper::new(pool.clone(), cfg),
        rt,
        pool,
        schema,
    }
}

fn run_case(b: &Backends, ops: &[Op]) -> Result<(), TestCaseError> {
    // Every case has its own scopes and ids inside the shared schema.
    let case = CASE.fetch_add(1, Ordering::Relaxed);
    let scope = |s: u8| format!("case{case}-s{s}");
    let wid = |i: u8| format!("case{case}-wh{i}");
    let mem = InMemoryStore::new();
    let mem_d = InMemoryDeduper::new();
    let mut tokens: HashMap<u8, (LeaseToken, LeaseToken)> = HashMap::new();
    let mut now: SystemTime = store_suite::t0();
    b.rt.block_on(async {
        for op in ops {
            match op {
                Op::Begin {
                    scope: s,
                    key,
                    lease_ms,
                } => {
                    let p = store_suite::proposal(&scope(*s), &format!("k{key}"), now);
                    let lease = Duration::from_millis(u64::from(*lease_ms));
                    let m = mem.begin(p.clone(), now, lease).await.unwrap();
                    let g = b.pg.begin(p, now, lease).await.unwrap();
                    prop_assert_eq!(begin_shape(&m), begin_shape(&g), "{:?}", op);
                }
                Op::Complete {
                    scope: s,
                    current_key,
                    status,
                } => {
                    let (key, token) = match (current_key, mem.get(&scope(*s)).await.unwrap()) {
                        (true, Some(r)) => (r.key, r.lease_token),
                        _ => ("not-the-key".to_owned(), 1),
                    };
                    let resp = StoredResponse {
                        http_status: *status,
                        body: format!("answer {status}").into_bytes(),
                    };
                    let m = mem.complete(&scope(*s), &key, token, resp.clone()).await;
                    let g = b.pg.complete(&scope(*s), &key, token, resp).await;
                    prop_assert_eq!(m.is_ok(), g.is_ok(), "{:?}: {:?} vs {:?}", op, m, g);
                }
                Op::Release {
                    scope: s,
                    current_key,
                } => {
                    let (key, token) = match (current_key, mem.get(&scope(*s)).await.unwrap()) {
                        (true, Some(r)) => (r.key, r.lease_token),
                        _ => ("not-the-key".to_owned(), 1),
                    };
                    let m = mem.release(&scope(*s), &key, token).await;
                    let g = b.pg.release(&scope(*s), &key, token).await;
                    prop_assert_eq!(m.is_ok(), g.is_ok(), "{:?}: {:?} vs {:?}", op, m, g);
                }
                Op::Renew {
                    scope: s,
                    stale,
                    lease_ms,
                } => {
                    let (key, token) = match mem.get(&scope(*s)).await.unwrap() {
                        Some(r) if *stale => (r.key, r.lease_token.saturating_sub(1)),
                        Some(r) => (r.key, r.lease_token),
                        None => ("not-the-key".to_owned(), 1),
                    };
                    let lease = Duration::from_millis(u64::from(*lease_ms));
                    let m = mem.renew(&scope(*s), &key, token, now, lease).await;
                    let g = b.pg.renew(&scope(*s), &key, token, now, lease).await;
                    prop_assert_eq!(format!("{m:?}"), format!("{g:?}"), "{:?}", op);
                }
                Op::Get { scope: s } => {
                    let m = mem.get(&scope(*s)).await.unwrap();
                    let g = b.pg.get(&scope(*s)).await.unwrap();
                    prop_assert_eq!(m, g, "{:?}", op);
                }
                Op::Advance { ms } => now += Duration::from_millis(*ms),
                Op::Claim { id } => {
                    let m = mem_d.claim(&wid(*id), HOUR).await.unwrap();
                    let g = b.pg_d.claim(&wid(*id), HOUR).await.unwrap();
                    prop_assert_eq!(claim_shape(&m), claim_shape(&g), "{:?}", op);
                    if let (Claim::Claimed(m), Claim::Claimed(g)) = (m, g) {
                        tokens.insert(*id, (m, g));
                    }
                }
                Op::Finish {
                    id,
                    current_token,
                    done,
                } => {
                    let (m_t, g_t) = match tokens.get(id) {
                        Some(pair) if *current_token => pair.clone(),
                        _ => (LeaseToken::new(), LeaseToken::new()),
                    };
                    let (m, g) = if *done {
                        (
                            mem_d.complete(&wid(*id), &m_t, HOUR).await.unwrap(),
                            b.pg_d.complete(&wid(*id), &g_t, HOUR).await.unwrap(),
                        )
                    } else {
                        (
                            mem_d.release(&wid(*id), &m_t).await.unwrap(),
                            b.pg_d.release(&wid(*id), &g_t).await.unwrap(),
                        )
                    };
                    prop_assert_eq!(m, g, "{:?}", op);
                }
                Op::Purge => {
                    // Nothing of this case expires within a case (hour-long leases);
                    // purging must leave this case's records alone in both.
                    mem_d.purge_expired().await.unwrap();
                    b.pg_d.purge_expired().await.unwrap();
                }
            }
        }
        Ok(())
    })
}

#[test]
fn memory_and_postgres_agree_on_random_operation_sequences() {
    let b = backends();
    let cases: u32 = std::env::var("VT4G_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 1..40), |ops| {
        run_case(&b, &ops)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
