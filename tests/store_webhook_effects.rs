//! The handler-level effect log on PostgreSQL, alone and behind the axum
//! receiver with the `PostgresDeduper`, over real HTTP on 127.0.0.1:0.
//!
//! Needs the PostgreSQL of `VT4G_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each test works in its own
//! schema and drops it.
#![cfg(all(feature = "postgres", feature = "axum"))]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use vt4g::axum_webhook::WebhookReceiver;
use vt4g::dedupe::{Applied, EffectError, EffectKey, PostgresDeduper, PostgresEffects};
use vt4g::postgres::{self, Pool, PostgresConfig};
use vt4g::webhook::{sign_webhook, VerifiedWebhook, WebhookScheme, WebhookVerifier};
use vt4g::Secret;

const CCID: &str = "A100000000000001069951cc";
const KEY: &str = "0123456789abcdef0123456789abcdef";
const BODY: &str = r#"{"result":{"status":"success","resultCode":"UA-000-001"},"order":{"paymentId":"p_1","amount":"1000"},"transaction":{"command":"cancel","fepReferenceId":"ref-1"}}"#;

fn database_url() -> String {
    std::env::var("VT4G_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

struct Db {
    pool: Pool,
    cfg: PostgresConfig,
    schema: String,
}

impl Db {
    /// A fresh schema with the library's tables and a merchant table `refunds`.
    async fn new() -> Db {
        let schema = format!("vt4g_test_{}", uuid::Uuid::new_v4().simple());
        let pool = postgres::pool(&database_url(), 8).expect("pool");
        let cfg = PostgresConfig::default().with_schema(&schema).unwrap();
        postgres::migrate(&pool, &cfg)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {} unusable: {e}", database_url()));
        pool.get()
            .await
            .unwrap()
            .batch_execute(&format!(
                "CREATE TABLE \"{schema}\".refunds (payment_id TEXT NOT NULL, amount BIGINT NOT NULL)"
            ))
            .await
            .unwrap();
        Db { pool, cfg, schema }
    }

    async fn refunds(&self) -> i64 {
        let c = self.pool.get().await.unwrap();
        c.query_one(
            &format!("SELECT count(*) FROM \"{}\".refunds", self.schema),
            &[],
        )
        .await
        .unwrap()
        .get(0)
    }

    async fn cleanup(self) {
        let c = self.pool.get().await.unwrap();
        c.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            self.schema
        ))
        .await
        .unwrap();
    }
}

/// Records a refund of the webhook's order in the merchant's table, once per event.
async fn refund_once(
    effects: &PostgresEffects,
    table: String,
    event: &VerifiedWebhook,
) -> Result<Applied<u64>, String> {
    let key = EffectKey::for_webhook(event).map_err(|e| e.to_string())?;
    let pid = event
        .payload
        .order
        .as_ref()
        .and_then(|o| o.payment_id.clone())
        .unwrap_or_default();
    effects
        .once(&key, move |tx| {
            Box::pin(async move {
                tx.execute(
                    &format!("INSERT INTO {table} (payment_id, amount) VALUES ($1, 1000)"),
                    &[&pid],
                )
                .await
            })
        })
        .await
        .map_err(|e| e.to_string())
}

fn sign(body: &str) -> String {
    sign_webhook(
        WebhookScheme::Literal,
        CCID,
        &Secret::new(KEY),
        body.as_bytes(),
    )
    .expect("sign")
}

/// A captured webhook replayed with a fresh X-VT-webhook-id is a new id to
/// the deduper, so it reaches the handler — and the effect log keeps the
/// merchant's table unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_with_a_fresh_webhook_id_reaches_the_effect_log_and_changes_nothing() {
    let db = Db::new().await;
    let effects = PostgresEffects::new(db.pool.clone(), db.cfg.clone());
    let deduper = PostgresDeduper::new(db.pool.clone(), db.cfg.clone());
    let verifier =
        WebhookVerifier::new(CCID, Secret::new(KEY), WebhookScheme::Literal).expect("verifier");
    let receiver = WebhookReceiver::new(verifier, Arc::new(deduper));
    let table = format!("\"{}\".refunds", db.schema);
    let handler_effects = effects.clone();
    let app: Router = Router::new().route(
        "/webhook",
        receiver.into_route(move |event: VerifiedWebhook| {
            let (effects, table) = (handler_effects.clone(), table.clone());
            async move { refund_once(&effects, table, &event).await.map(|_| ()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();
    let post = |id: &'static str, body: String| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            http.post(&url)
                .header("X-VT-webhook-id", id)
                .header("X-VT-Content-hmac", sign(&body))
                .body(body)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert_eq!(post("wh-orig", BODY.to_owned()).await, "ok");
    assert_eq!(db.refunds().await, 1);
    assert_eq!(post("wh-orig", BODY.to_owned()).await, "duplicate");
    // The replay: same signed bytes, fresh id — processed by the receiver...
    assert_eq!(post("wh-fresh-id", BODY.to_owned()).await, "ok");
    // ...and no second refund.
    assert_eq!(db.refunds().await, 1);
    // A second partial refund of the same order (its own fepReferenceId) is applied.
    assert_eq!(
        post("wh-second", BODY.replace("ref-1", "ref-2")).await,
        "ok"
    );
    assert_eq!(db.refunds().await, 2);
    let key = EffectKey::for_payload(&serde_json::from_str(BODY).unwrap()).unwrap();
    assert!(effects.contains(&key).await.unwrap());
    db.cleanup().await;
}

/// A failing effect commits nothing, not even its key; concurrent calls with
/// one key apply the effect once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_effects_record_nothing_and_racers_apply_once() {
    let db = Db::new().await;
    let effects = PostgresEffects::new(db.pool.clone(), db.cfg.clone());
    let table = format!("\"{}\".refunds", db.schema);
    let key = EffectKey::from_parts(["p_9", "cancel", "ref-9", "success"]);
    let failed = effects
        .once(&key, |tx| {
            let table = table.clone();
            Box::pin(async move {
                tx.execute(
                    &format!("INSERT INTO {table} (payment_id, amount) VALUES ('p_9', 1)"),
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
                Err::<(), _>("merchant effect failed".to_owned())
            })
        })
        .await;
    assert!(matches!(failed, Err(EffectError::Effect(_))));
    assert_eq!(db.refunds().await, 0, "rolled back with the effect");
    assert!(!effects.contains(&key).await.unwrap());

    let mut racers = Vec::new();
    for _ in 0..16 {
        let (effects, table, key) = (effects.clone(), table.clone(), key.clone());
        racers.push(tokio::spawn(async move {
            effects
                .once(&key, move |tx| {
                    Box::pin(async move {
                        tx.execute(
                            &format!("INSERT INTO {table} (payment_id, amount) VALUES ('p_9', 1)"),
                            &[],
                        )
                        .await
                    })
                })
                .await
                .unwrap()
                .ran_now()
        }));
    }
    let mut ran = 0;
    for r in racers {
        ran += usize::from(r.await.unwrap());
    }
    assert_eq!(ran, 1);
    assert_eq!(db.refunds().await, 1);
    // Keys younger than the age survive a purge; older ones go.
    assert_eq!(
        effects
            .purge_older_than(Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(
        effects
            .purge_older_than(Duration::from_millis(1))
            .await
            .unwrap(),
        1
    );
    assert!(!effects.contains(&key).await.unwrap());
    db.cleanup().await;
}
