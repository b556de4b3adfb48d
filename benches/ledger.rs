//! Cost of the idempotency ledger per scoped call: `begin` (Started) followed by
//! `complete`, on the in-memory store and on PostgreSQL, plus the webhook
//! dedupe claim and complete.
//!
//! `cargo bench -p vt4g --features postgres --bench ledger`
//! (PostgreSQL from `VT4G_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; the bench works in its own schema
//! and drops it at the end).
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, criterion_main, Criterion};
use vt4g::dedupe::{Claim, InMemoryDeduper, PostgresDeduper, WebhookDeduper};
use vt4g::idempotency::{
    IdempotencyRecord, IdempotencyStore, InMemoryStore, PostgresStore, RecordState, StoredResponse,
};
use vt4g::postgres::{self, PostgresConfig};
use vt4g::Command;

static SEQ: AtomicU64 = AtomicU64::new(0);

fn proposal(now: SystemTime) -> IdempotencyRecord {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    IdempotencyRecord {
        scope: format!("bench-{n}/capture"),
        key: format!("bench-key-{n}"),
        command: Command::Capture,
        payment_id: Some(format!("bench-{n}")),
        fingerprint: [7; 32],
        body: br#"{"order":{"paymentId":"bench"},"control":{"requestMode":"sandbox"}}"#.to_vec(),
        created_at: now,
        state: RecordState::InFlight,
        lease_until: now,
        response: None,
        lease_token: 0,
    }
}

async fn begin_complete(store: &dyn IdempotencyStore) {
    let now = SystemTime::now();
    let p = proposal(now);
    let (scope, key) = (p.scope.clone(), p.key.clone());
    black_box(store.begin(p, now, Duration::from_secs(60)).await.unwrap());
    store
        .complete(
            &scope,
            &key,
            1,
            StoredResponse {
                http_status: 200,
                body: br#"{"result":{"resultCode":"UA-000-001"}}"#.to_vec(),
            },
        )
        .await
        .unwrap();
}

async fn dedupe_once(d: &dyn WebhookDeduper) {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let id = format!("wh-{n}");
    let Claim::Claimed(token) = d.claim(&id, Duration::from_secs(60)).await.unwrap() else {
        panic!("a fresh id is claimed");
    };
    black_box(
        d.complete(&id, &token, Duration::from_secs(60))
            .await
            .unwrap(),
    );
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = std::env::var("VT4G_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("vt4g_bench_{}", uuid::Uuid::new_v4().simple());
    let cfg = PostgresConfig::default().with_schema(&schema).unwrap();
    let pool = postgres::pool(&url, 4).unwrap();
    rt.block_on(postgres::migrate(&pool, &cfg)).unwrap();

    let memory: Arc<dyn IdempotencyStore> = Arc::new(InMemoryStore::new());
    let pg: Arc<dyn IdempotencyStore> = Arc::new(PostgresStore::new(pool.clone(), cfg.clone()));
    let mem_d: Arc<dyn WebhookDeduper> = Arc::new(InMemoryDeduper::new());
    let pg_d: Arc<dyn WebhookDeduper> = Arc::new(PostgresDeduper::new(pool.clone(), cfg));

    let mut g = c.benchmark_group("ledger");
    g.bench_function("memory_begin_complete", |b| {
        b.iter(|| rt.block_on(begin_complete(memory.as_ref())))
    });
    g.bench_function("postgres_begin_complete", |b| {
        b.iter(|| rt.block_on(begin_complete(pg.as_ref())))
    });
    g.bench_function("memory_dedupe", |b| {
        b.iter(|| rt.block_on(dedupe_once(mem_d.as_ref())))
    });
    g.bench_function("postgres_dedupe", |b| {
        b.iter(|| rt.block_on(dedupe_once(pg_d.as_ref())))
    });
    g.finish();

    rt.block_on(async {
        let client = pool.get().await.unwrap();
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await
            .unwrap();
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).sample_size(50);
    targets = bench
}
criterion_main!(benches);
