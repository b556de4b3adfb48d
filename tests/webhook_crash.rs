//! Crash test of the webhook receiver (`harness = false`).
//!
//! The parent starts the `vt4g-sandbox` simulator in-process and makes it send
//! real signed webhooks (PayPay pay notifications, retried with backoff until a
//! 200, then deliberately redelivered once) to a fixed port on 127.0.0.1. A
//! receiver **process** (this binary re-executed with
//! `VT4G_WEBHOOK_CRASH_CHILD=1`) serves that port with the axum receiver on
//! the `PostgresDeduper`; its handler sleeps, records its completion in a
//! table of its own (`handled`, same schema), sleeps again (a window between
//! the effect and `done`) and succeeds. The parent SIGKILLs the receiver at
//! random (seeded) moments while a handler is in flight, restarts it, and keeps
//! ordering payments until it has killed it often enough; then one last
//! receiver runs until the simulator has every webhook delivered.
//!
//! Asserted at the end: every webhook was answered 200 at some point; every
//! webhook's handler completed at least once (a `handled` row); no webhook was
//! answered 200 without a `handled` row written before its dedupe record
//! became `done` (both times from the database's clock); every dedupe record
//! is `done`.
//!
//! Environment (all optional):
//! - `VT4G_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! - `VT4G_WEBHOOK_CRASH_KILLS` — SIGKILLs mid-handler (default 30)
//! - `VT4G_WEBHOOK_CRASH_SEED` — PRNG seed (default 0x5EED)
//! - `VT4G_WEBHOOK_CRASH_CONTROL=record-first` — negative control: the child
//!   marks each id `done` before its handler runs (the at-most-once order);
//!   the test must then fail.
//!
//! The documented run (BENCHMARKS.md): `VT4G_WEBHOOK_CRASH_KILLS=120 cargo test
//! -p vt4g --features axum,postgres --test webhook_crash`.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command as Proc, ExitCode, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use serde_json::{json, Value};
use vt4g::axum_webhook::WebhookReceiver;
use vt4g::dedupe::{Claim, DedupeError, LeaseStatus, LeaseToken, PostgresDeduper, WebhookDeduper};
use vt4g::postgres::{self, PostgresConfig};
use vt4g::webhook::{VerifiedWebhook, WebhookVerifier};
use vt4g_sandbox::{DeliveryState, Sandbox, SandboxConfig, WebhookRetryPolicy};

/// The receiver's lease: short, so a killed receiver's ids are taken over soon.
const LEASE: Duration = Duration::from_millis(800);
/// Payments ordered per batch.
const BATCH: usize = 12;
/// Longest the final phase may take to get every webhook delivered.
const SETTLE: Duration = Duration::from_secs(120);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn database_url() -> String {
    std::env::var("VT4G_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn cfg(schema: &str) -> PostgresConfig {
    PostgresConfig::default()
        .with_schema(schema)
        .expect("valid schema name")
}

/// xorshift64*: seeded, reproducible kill points.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ------------------------------------------------------------------- child

/// The at-most-once order, for the negative control: `done` at claim time.
#[derive(Debug)]
struct RecordFirst(PostgresDeduper);

#[async_trait::async_trait]
impl WebhookDeduper for RecordFirst {
    async fn claim(&self, id: &str, lease: Duration) -> Result<Claim, DedupeError> {
        let claim = self.0.claim(id, lease).await?;
        if let Claim::Claimed(token) = &claim {
            self.0
                .complete(id, token, Duration::from_secs(3600))
                .await?;
        }
        Ok(claim)
    }
    async fn renew(
        &self,
        id: &str,
        token: &LeaseToken,
        lease: Duration,
    ) -> Result<LeaseStatus, DedupeError> {
        self.0.renew(id, token, lease).await
    }
    async fn complete(
        &self,
        id: &str,
        token: &LeaseToken,
        retention: Duration,
    ) -> Result<LeaseStatus, DedupeError> {
        self.0.complete(id, token, retention).await
    }
    async fn release(&self, id: &str, token: &LeaseToken) -> Result<LeaseStatus, DedupeError> {
        self.0.release(id, token).await
    }
    async fn purge_expired(&self) -> Result<u64, DedupeError> {
        self.0.purge_expired().await
    }
}

fn child() -> ExitCode {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    match rt.block_on(child_run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webhook_crash child: {e}");
            ExitCode::FAILURE
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn child_run() -> Result<(), String> {
    let schema = std::env::var("VT4G_WEBHOOK_CRASH_SCHEMA").map_err(|e| e.to_string())?;
    let port: u16 = env_or("VT4G_WEBHOOK_CRASH_PORT", 0);
    let seed: u64 = env_or("VT4G_WEBHOOK_CRASH_SEED", 1);
    let pool = postgres::pool(&database_url(), 8).map_err(|e| e.to_string())?;
    let pg = PostgresDeduper::new(pool.clone(), cfg(&schema));
    let deduper: Arc<dyn WebhookDeduper> =
        if std::env::var("VT4G_WEBHOOK_CRASH_CONTROL").as_deref() == Ok("record-first") {
            Arc::new(RecordFirst(pg))
        } else {
            Arc::new(pg)
        };
    let verifier = WebhookVerifier::new(
        vt4g_sandbox::DEFAULT_CCID,
        vt4g_sandbox::DEFAULT_AUTH_KEY.into(),
        vt4g::webhook::WebhookScheme::default(),
    )
    .map_err(|e| e.to_string())?;
    let receiver = WebhookReceiver::new(verifier, deduper).with_lease(LEASE);
    let handled = format!("\"{schema}\".handled");
    let rng = Arc::new(std::sync::Mutex::new(Rng(seed | 1)));
    let app: Router = Router::new().route(
        "/webhook",
        receiver.into_route(move |event: VerifiedWebhook| {
            let (pool, handled, rng) = (pool.clone(), handled.clone(), Arc::clone(&rng));
            async move {
                let (before, after) = {
                    let mut r = rng.lock().unwrap_or_else(|p| p.into_inner());
                    (20 + r.below(120), r.below(80))
                };
                say(&format!("S {}", event.webhook_id));
                tokio::time::sleep(Duration::from_millis(before)).await;
                let client = pool.get().await.map_err(|e| e.to_string())?;
                client
                    .execute(
                        &format!("INSERT INTO {handled} (webhook_id, pid) VALUES ($1, $2)"),
                        &[&event.webhook_id, &(std::process::id() as i64)],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                drop(client);
                // A kill here leaves the effect without `done`: the handler
                // runs again on the redelivery (at least once).
                tokio::time::sleep(Duration::from_millis(after)).await;
                say(&format!("E {}", event.webhook_id));
                Ok::<(), String>(())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("bind {port}: {e}"))?;
    say("ready");
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

// ------------------------------------------------------------------ parent

enum Line {
    Text(String),
    Eof,
}

struct Running {
    child: Child,
    lines: mpsc::Receiver<Line>,
    in_flight: HashSet<String>,
}

impl Running {
    /// Reads what the child said so far; `false` once it has gone.
    fn drain(&mut self) -> bool {
        while let Ok(line) = self.lines.try_recv() {
            match line {
                Line::Text(l) => {
                    if let Some(id) = l.strip_prefix("S ") {
                        self.in_flight.insert(id.to_owned());
                    } else if let Some(id) = l.strip_prefix("E ") {
                        self.in_flight.remove(id);
                    }
                }
                Line::Eof => return false,
            }
        }
        true
    }

    fn kill(mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }
}

fn spawn_child(env: &[(String, String)]) -> Result<Running, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Proc::new(exe);
    cmd.env("VT4G_WEBHOOK_CRASH_CHILD", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| format!("spawn child: {e}"))?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(Line::Text(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(Line::Eof);
    });
    let run = Running {
        child,
        lines: rx,
        in_flight: HashSet::new(),
    };
    match run.lines.recv_timeout(Duration::from_secs(60)) {
        Ok(Line::Text(l)) if l == "ready" => Ok(run),
        _ => {
            run.kill();
            Err("receiver child did not get ready".into())
        }
    }
}

/// Orders `n` PayPay payments with `pushUrl` and completes them as the
/// consumer, so the simulator sends one pay webhook each.
async fn order_payments(
    sandbox: &Sandbox,
    http: &reqwest::Client,
    push_url: &str,
    first: usize,
    n: usize,
) -> Result<(), String> {
    for i in first..first + n {
        let body = json!({
            "order": { "payType": "paypay", "paymentId": format!("whc-{i}"), "amount": "1000" },
            "control": {
                "requestMode": "sandbox",
                "successUrl": "https://merchant.example/ok",
                "cancelUrl": "https://merchant.example/cancel",
                "errorUrl": "https://merchant.example/error",
                "pushUrl": push_url,
            },
        });
        let resp: Value = http
            .post(format!("{}/pay", sandbox.base_url()))
            .header(
                "Authorization",
                format!("Bearer {}", sandbox.bearer_token().expose()),
            )
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let url = resp["control"]["redirectUrl"]
            .as_str()
            .ok_or_else(|| format!("pay: no redirectUrl in {resp}"))?;
        let consumer = http.get(url).send().await.map_err(|e| e.to_string())?;
        if !consumer.status().is_redirection() {
            return Err(format!("consumer page answered {}", consumer.status()));
        }
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Stats {
    webhooks: usize,
    kills: usize,
    handlers_killed: usize,
    child_runs: usize,
    reruns: usize,
    answers_409: usize,
    answers_200: usize,
    elapsed: Duration,
}

fn parent(kills: usize, seed: u64) -> Result<Stats, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let schema = format!("vt4g_whcrash_{}", uuid::Uuid::new_v4().simple());
    let pool = postgres::pool(&database_url(), 2).map_err(|e| e.to_string())?;
    rt.block_on(async {
        postgres::migrate(&pool, &cfg(&schema)).await?;
        let c = pool
            .get()
            .await
            .map_err(|e| postgres::PostgresSetupError::Pool(e.to_string()))?;
        c.batch_execute(&format!(
            "CREATE TABLE \"{schema}\".handled (
                webhook_id TEXT NOT NULL,
                pid BIGINT NOT NULL,
                at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())"
        ))
        .await
        .map_err(|e| postgres::PostgresSetupError::Migration(e.to_string()))
    })
    .map_err(|e| format!("PostgreSQL at {} unusable: {e}", database_url()))?;
    let outcome = rt.block_on(Sandbox::start(
        SandboxConfig::default()
            .redeliver_webhooks(true)
            .webhook_retry(WebhookRetryPolicy {
                initial_backoff: Duration::from_millis(50),
                max_backoff: Duration::from_millis(600),
                multiplier: 2.0,
                max_elapsed: Duration::from_secs(600),
                attempt_timeout: Duration::from_secs(10),
            }),
    ));
    let outcome = match outcome {
        Ok(sandbox) => {
            let r = run(&rt, &sandbox, &pool, &schema, kills, seed);
            rt.block_on(sandbox.shutdown());
            r
        }
        Err(e) => Err(e.to_string()),
    };
    let dropped = rt.block_on(async {
        let client = pool.get().await.map_err(|e| e.to_string())?;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await
            .map_err(|e| e.to_string())
    });
    let stats = outcome?;
    dropped?;
    Ok(stats)
}

fn run(
    rt: &tokio::runtime::Runtime,
    sandbox: &Sandbox,
    pool: &postgres::Pool,
    schema: &str,
    kills: usize,
    seed: u64,
) -> Result<Stats, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let push_url = format!("http://127.0.0.1:{port}/webhook");
    let mut env: Vec<(String, String)> = vec![
        ("VT4G_WEBHOOK_CRASH_SCHEMA".into(), schema.to_owned()),
        ("VT4G_WEBHOOK_CRASH_PORT".into(), port.to_string()),
        ("VT4G_TEST_DATABASE_URL".into(), database_url()),
    ];
    if let Ok(c) = std::env::var("VT4G_WEBHOOK_CRASH_CONTROL") {
        env.push(("VT4G_WEBHOOK_CRASH_CONTROL".into(), c));
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut rng = Rng(seed | 1);
    let mut stats = Stats::default();
    let started = Instant::now();
    let mut ordered = 0;

    // Kill phase: keep webhooks coming until the receiver died often enough
    // with handlers in flight.
    while stats.kills < kills {
        if started.elapsed() > Duration::from_secs(60 + 5 * kills as u64) {
            return Err(format!("kill phase too slow: {stats:?}"));
        }
        let pending = sandbox
            .webhooks()
            .iter()
            .filter(|w| w.state == DeliveryState::Pending)
            .count();
        if pending < BATCH / 2 {
            rt.block_on(order_payments(sandbox, &http, &push_url, ordered, BATCH))?;
            ordered += BATCH;
        }
        let mut child_env = env.clone();
        child_env.push(("VT4G_WEBHOOK_CRASH_SEED".into(), rng.next().to_string()));
        let mut child = spawn_child(&child_env)?;
        stats.child_runs += 1;
        // Wait for a handler to be in flight, then kill at a random point of it.
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.drain() && child.in_flight.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(rng.below(150)));
        child.drain();
        let in_flight = child.in_flight.len();
        child.kill();
        if in_flight > 0 {
            stats.kills += 1;
            stats.handlers_killed += in_flight;
        }
    }

    // Settle: one receiver lives until every webhook is delivered.
    env.push(("VT4G_WEBHOOK_CRASH_SEED".into(), rng.next().to_string()));
    let mut last = spawn_child(&env)?;
    stats.child_runs += 1;
    let settle_start = Instant::now();
    loop {
        last.drain();
        let hooks = sandbox.webhooks();
        if hooks.iter().all(|w| w.state != DeliveryState::Pending) {
            break;
        }
        if settle_start.elapsed() > SETTLE {
            last.kill();
            return Err("webhooks still pending after the settle time".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let the deliberate redeliveries after the last 200s arrive too.
    std::thread::sleep(Duration::from_millis(500));
    last.kill();
    stats.elapsed = started.elapsed();

    // ------------------------------------------------------------- checks
    let hooks = sandbox.webhooks();
    stats.webhooks = hooks.len();
    let (handled, dedupe) = rt.block_on(async {
        let c = pool.get().await.map_err(|e| e.to_string())?;
        let handled = c
            .query(
                &format!(
                    "SELECT webhook_id, count(*), min(at) FROM \"{schema}\".handled GROUP BY webhook_id"
                ),
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        let dedupe = c
            .query(
                &format!(
                    "SELECT webhook_id, state, done_at FROM {}",
                    cfg(schema).table("webhook_dedupe")
                ),
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((handled, dedupe))
    })?;
    type At = std::time::SystemTime;
    let handled: HashMap<String, (i64, At)> = handled
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let dedupe: HashMap<String, (String, Option<At>)> = dedupe
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let mut problems = Vec::new();
    for w in &hooks {
        let id = &w.webhook_id;
        let acked = w.attempts.iter().filter(|a| a.status == Some(200)).count();
        stats.answers_200 += acked;
        stats.answers_409 += w.attempts.iter().filter(|a| a.status == Some(409)).count();
        if w.state != DeliveryState::Delivered {
            problems.push(format!("{id}: never answered 200 ({:?})", w.state));
        }
        let Some((count, first_done)) = handled.get(id) else {
            problems.push(format!(
                "{id}: acknowledged {acked} times, handler never completed"
            ));
            continue;
        };
        stats.reruns += (*count as usize).saturating_sub(1);
        match dedupe.get(id) {
            Some((state, Some(done_at))) if state == "done" => {
                if first_done > done_at {
                    problems.push(format!("{id}: done before its handler completed"));
                }
            }
            other => problems.push(format!("{id}: dedupe record {other:?}, not done")),
        }
    }
    if problems.is_empty() {
        return Ok(stats);
    }
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for p in &problems {
        for kind in [
            "never answered 200",
            "handler never completed",
            "done before its handler completed",
            "not done",
        ] {
            if p.contains(kind) {
                *kinds.entry(kind).or_default() += 1;
            }
        }
    }
    Err(format!(
        "{} problems {kinds:?}, e.g. {:?}; {stats:?}",
        problems.len(),
        &problems[..problems.len().min(3)]
    ))
}

fn main() -> ExitCode {
    if std::env::var_os("VT4G_WEBHOOK_CRASH_CHILD").is_some() {
        return child();
    }
    let kills: usize = env_or("VT4G_WEBHOOK_CRASH_KILLS", 30);
    let seed: u64 = env_or("VT4G_WEBHOOK_CRASH_SEED", 0x5EED);
    println!("webhook_crash: kills={kills} seed={seed:#x} lease={LEASE:?}");
    match parent(kills, seed) {
        Ok(s) => {
            println!(
                "webhook_crash: ok — {} webhooks, {} kills with {} handlers in flight, {} receiver runs, \
                 {} handler reruns, {} answers 409 (in progress), {} answers 200, {:.1} s",
                s.webhooks,
                s.kills,
                s.handlers_killed,
                s.child_runs,
                s.reruns,
                s.answers_409,
                s.answers_200,
                s.elapsed.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("webhook_crash: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
