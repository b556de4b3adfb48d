//! Crash test of the durable idempotency ledger (`harness = false`).
//!
//! The parent starts the `vt4g-sandbox` simulator in-process and prepares
//! authorized PayPay orders and one subscribed original order. A child process
//! (this same binary, re-executed with `VT4G_CRASH_CHILD=1`) then runs a fixed
//! sequence of mutating operations through `vt4g::Client` with the
//! `PostgresStore` ledger, one stable ledger scope per operation: capture then
//! cancel (refund) of every order, and charges against the original order. The
//! parent kills the child with SIGKILL at random points (seeded), restarts it,
//! and the child resumes from the ledger. At the end the simulator's effect log
//! must show every scope applied exactly once: 0 duplicate effects, 0 lost
//! operations, each effect carrying the key the ledger holds for its scope.
//!
//! Environment (all optional):
//! - `VT4G_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! - `VT4G_CRASH_RUNS` — number of SIGKILLs (default 100)
//! - `VT4G_CRASH_SEED` — PRNG seed (default 0x5EED)
//! - `VT4G_CRASH_ORDERS` / `VT4G_CRASH_CHARGES` — workload size (default 100 / 60)
//! - `VT4G_CRASH_KILL_PHASE_SECS` — stop killing after this long (default 90)
//!
//! A longer run: `VT4G_CRASH_RUNS=1000 VT4G_CRASH_ORDERS=800 VT4G_CRASH_KILL_PHASE_SECS=900
//! cargo test -p vt4g --features postgres --test crash_resume`.

mod common;

use common::{database_url, env_or};

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command as Proc, ExitCode, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use vt4g::client::{Outcome, RequestMode, RetryPolicy};
use vt4g::idempotency::{IdempotencyStore, InMemoryStore, PostgresStore, RecordState};
use vt4g::postgres::{self, PostgresConfig};
use vt4g::{Client, Command, Error, PayType};
use vt4g_sandbox::{Sandbox, SandboxConfig};

/// The child's ledger lease: short, so a restarted child takes over quickly.
/// The client refuses a lease shorter than its worst-case call, so the child
/// makes one attempt per call with [`REQUEST_TIMEOUT`] (+ 100 ms margin).
const LEASE: Duration = Duration::from_millis(400);
/// The child's request timeout (one attempt per call; a timed-out call is
/// resumed under its scope with the same key).
const REQUEST_TIMEOUT: Duration = Duration::from_millis(300);
const ORIGINAL: &str = "crash-sub";

/// One operation of the workload, identical in every child run.
struct Op {
    scope: String,
    command: Command,
    payment_id: String,
    body: Value,
}

fn workload(orders: usize, charges: usize) -> Vec<Op> {
    let mut ops = Vec::new();
    for i in 0..orders {
        let pid = format!("crash-p{i}");
        for command in [Command::Capture, Command::Cancel] {
            ops.push(Op {
                scope: format!("{pid}/{}", command.as_str()),
                command,
                payment_id: pid.clone(),
                body: json!({ "order": { "paymentId": pid } }),
            });
        }
        // Interleave the charges with the captures and cancels.
        if i < charges {
            let cid = format!("crash-c{i}");
            ops.push(Op {
                scope: format!("{cid}/charge"),
                command: Command::Charge,
                payment_id: cid.clone(),
                body: json!({ "order": {
                    "paymentId": cid,
                    "originalPaymentId": ORIGINAL,
                    "authCaptureType": "auth_with_capture",
                    "amount": "100",
                } }),
            });
        }
    }
    for i in orders..charges {
        let cid = format!("crash-c{i}");
        ops.push(Op {
            scope: format!("{cid}/charge"),
            command: Command::Charge,
            payment_id: cid.clone(),
            body: json!({ "order": {
                "paymentId": cid,
                "originalPaymentId": ORIGINAL,
                "authCaptureType": "auth_with_capture",
                "amount": "100",
            } }),
        });
    }
    ops
}

fn cfg(schema: &str) -> PostgresConfig {
    PostgresConfig::default()
        .with_schema(schema)
        .expect("valid schema name")
}

// ------------------------------------------------------------------- child

fn child() -> ExitCode {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match rt.block_on(child_run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crash child failed: {e}");
            ExitCode::from(3)
        }
    }
}

async fn child_run() -> Result<(), String> {
    let base = std::env::var("VT4G_CRASH_BASE_URL").map_err(|e| e.to_string())?;
    let token = std::env::var("VT4G_CRASH_TOKEN").map_err(|e| e.to_string())?;
    let schema = std::env::var("VT4G_CRASH_SCHEMA").map_err(|e| e.to_string())?;
    let ops = workload(
        env_or("VT4G_CRASH_ORDERS", 0),
        env_or("VT4G_CRASH_CHARGES", 0),
    );
    let pool = postgres::pool(&database_url(), 2).map_err(|e| e.to_string())?;
    // `memory` is the negative control: a ledger that dies with the process.
    let store: Arc<dyn IdempotencyStore> =
        if std::env::var("VT4G_CRASH_LEDGER").as_deref() == Ok("memory") {
            Arc::new(InMemoryStore::new())
        } else {
            Arc::new(PostgresStore::new(pool, cfg(&schema)))
        };
    let client = Client::builder()
        .base_url(base, RequestMode::Sandbox)
        .bearer_token(token)
        .idempotency_store(Arc::clone(&store))
        .retry_policy(RetryPolicy::none())
        .request_timeout(REQUEST_TIMEOUT)
        .ledger_lease(LEASE)
        .build()
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    for op in &ops {
        loop {
            let res = client
                .call::<Value, Value>(op.command, &op.body)
                .pay_type(PayType::Paypay)
                .scope(op.scope.clone())
                .await;
            match res {
                Ok(Outcome::Success(_)) => break,
                // Maybe processed (a timeout under load): resume with the same key.
                Err(e) if e.maybe_processed() => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(Error::InFlightElsewhere { .. }) => {
                    // A killed predecessor's lease: wait until it runs out.
                    let rec = store.get(&op.scope).await.map_err(|e| e.to_string())?;
                    let wait = rec
                        .and_then(|r| r.lease_until.duration_since(SystemTime::now()).ok())
                        .unwrap_or_default();
                    tokio::time::sleep(wait + Duration::from_millis(2)).await;
                }
                Ok(other) => {
                    return Err(format!(
                        "{}: unexpected outcome {:?}",
                        op.scope,
                        other.result_code()
                    ))
                }
                Err(e) => return Err(format!("{}: {e} ({e:?})", op.scope)),
            }
        }
        let _ = writeln!(out, "done {}", op.scope);
        let _ = out.flush();
    }
    let _ = writeln!(out, "all done");
    let _ = out.flush();
    Ok(())
}

// ------------------------------------------------------------------ parent

/// splitmix64: a tiny seeded PRNG (no dependency, reproducible runs).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

enum Line {
    Text(String),
    Eof,
}

struct Running {
    child: Child,
    lines: mpsc::Receiver<(Instant, Line)>,
}

fn spawn_child(env: &[(String, String)]) -> Result<Running, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Proc::new(exe);
    cmd.env("VT4G_CRASH_CHILD", "1")
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
                    if tx.send((Instant::now(), Line::Text(l))).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send((Instant::now(), Line::Eof));
    });
    Ok(Running { child, lines: rx })
}

#[derive(Default, Debug)]
struct Stats {
    kills: usize,
    kills_with_entry_in_flight: usize,
    kills_after_effect_before_ledger: usize,
    child_runs: usize,
}

async fn setup_orders(sandbox: &Sandbox, orders: usize) -> Result<(), String> {
    let client = Client::builder()
        .base_url(sandbox.base_url(), RequestMode::Sandbox)
        .bearer_token(sandbox.bearer_token().clone())
        .build()
        .map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let control = json!({
        "successUrl": "https://merchant.example/ok",
        "cancelUrl": "https://merchant.example/cancel",
        "errorUrl": "https://merchant.example/error",
    });
    let mut requests = Vec::new();
    for i in 0..orders {
        requests.push((
            Command::Pay,
            json!({ "order": { "payType": "paypay", "paymentId": format!("crash-p{i}"), "amount": "1000" },
                    "control": control }),
        ));
    }
    requests.push((
        Command::Subscribe,
        json!({ "order": { "payType": "paypay", "paymentId": ORIGINAL }, "control": control }),
    ));
    for (command, body) in requests {
        let resp: Value = client
            .call::<Value, Value>(command, &body)
            .await
            .map_err(|e| format!("setup {command}: {e}"))?
            .into_success()
            .map_err(|o| format!("setup {command}: {:?}", o.result_code()))?;
        let url = resp["control"]["redirectUrl"]
            .as_str()
            .ok_or_else(|| format!("setup {command}: no redirectUrl in {resp}"))?;
        let consumer = http.get(url).send().await.map_err(|e| e.to_string())?;
        if !consumer.status().is_redirection() {
            return Err(format!(
                "setup {command}: consumer page answered {}",
                consumer.status()
            ));
        }
    }
    Ok(())
}

/// One crash run's parameters.
struct Scenario {
    /// `postgres` (the test) or `memory` (the negative control).
    ledger: &'static str,
    runs: usize,
    seed: u64,
    orders: usize,
    charges: usize,
    kill_phase: Duration,
}

fn parent(sc: &Scenario) -> Result<Stats, String> {
    let Scenario {
        ledger,
        runs,
        seed,
        orders,
        charges,
        kill_phase,
    } = *sc;
    println!(
        "crash_resume: ledger={ledger} runs={runs} seed={seed:#x} orders={orders} charges={charges}"
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let schema = format!("vt4g_crash_{}", uuid::Uuid::new_v4().simple());
    let pool = postgres::pool(&database_url(), 2).map_err(|e| e.to_string())?;
    rt.block_on(postgres::migrate(&pool, &cfg(&schema)))
        .map_err(|e| format!("PostgreSQL at {} unusable: {e}", database_url()))?;
    let result = rt.block_on(async {
        let sandbox = Sandbox::start(SandboxConfig::default())
            .await
            .map_err(|e| e.to_string())?;
        setup_orders(&sandbox, orders).await?;
        Ok::<_, String>(sandbox)
    });
    let outcome = match result {
        Ok(sandbox) => {
            let r = crash_loop(
                &rt, &sandbox, &pool, &schema, ledger, runs, seed, orders, charges, kill_phase,
            );
            rt.block_on(sandbox.shutdown());
            r
        }
        Err(e) => Err(e),
    };
    // Drop the schema whatever happened.
    let drop_result = rt.block_on(async {
        let client = pool.get().await.map_err(|e| e.to_string())?;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await
            .map_err(|e| e.to_string())
    });
    let stats = outcome?;
    drop_result?;
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn crash_loop(
    rt: &tokio::runtime::Runtime,
    sandbox: &Sandbox,
    pool: &postgres::Pool,
    schema: &str,
    ledger: &str,
    runs: usize,
    seed: u64,
    orders: usize,
    charges: usize,
    kill_phase: Duration,
) -> Result<Stats, String> {
    let env: Vec<(String, String)> = vec![
        ("VT4G_CRASH_BASE_URL".into(), sandbox.base_url()),
        (
            "VT4G_CRASH_TOKEN".into(),
            sandbox.bearer_token().expose().to_owned(),
        ),
        ("VT4G_CRASH_SCHEMA".into(), schema.to_owned()),
        ("VT4G_CRASH_ORDERS".into(), orders.to_string()),
        ("VT4G_CRASH_CHARGES".into(), charges.to_string()),
        ("VT4G_TEST_DATABASE_URL".into(), database_url()),
        ("VT4G_CRASH_LEDGER".into(), ledger.to_owned()),
    ];
    let ops = workload(orders, charges);
    let table = cfg(schema).table("idempotency");
    let mut rng = Rng(seed);
    let mut stats = Stats::default();
    let started = Instant::now();
    let mut done: HashSet<String> = HashSet::new();
    let mut avg_op = Duration::from_millis(5);
    let mut finished = false;

    while !finished {
        let killing = stats.kills < runs && started.elapsed() < kill_phase;
        let mut run = spawn_child(&env)?;
        stats.child_runs += 1;
        // Wait for "ready" (connected) before choosing the kill point.
        match run.lines.recv_timeout(Duration::from_secs(60)) {
            Ok((_, Line::Text(l))) if l == "ready" => {}
            other => {
                let _ = run.child.kill();
                let _ = run.child.wait();
                return Err(format!(
                    "child did not get ready: {:?}",
                    other.ok().map(|x| match x.1 {
                        Line::Text(t) => t,
                        Line::Eof => "EOF".into(),
                    })
                ));
            }
        }
        // Kill point: after 0..=3 more completed operations, then a random
        // fraction of one more operation's time.
        let ops_before_kill = rng.below(4) as usize;
        let sub_delay = Duration::from_micros(rng.below(avg_op.as_micros() as u64 * 3 / 2 + 1));
        let mut seen_ops = 0usize;
        let mut last = Instant::now();
        let mut kill_at: Option<Instant> = if killing && ops_before_kill == 0 {
            Some(Instant::now() + sub_delay)
        } else {
            None
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut child_eof = false;
        loop {
            let timeout = match kill_at {
                Some(t) => t.saturating_duration_since(Instant::now()),
                None => deadline.saturating_duration_since(Instant::now()),
            };
            match run.lines.recv_timeout(timeout) {
                Ok((at, Line::Text(l))) => {
                    if let Some(scope) = l.strip_prefix("done ") {
                        done.insert(scope.to_owned());
                        let dt = at.duration_since(last);
                        last = at;
                        // Running average of one operation's time.
                        avg_op = (avg_op * 7 + dt) / 8;
                        seen_ops += 1;
                        if killing && kill_at.is_none() && seen_ops >= ops_before_kill {
                            kill_at = Some(Instant::now() + sub_delay);
                        }
                    } else if l == "all done" {
                        finished = true;
                    }
                }
                Ok((_, Line::Eof)) => {
                    child_eof = true;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if kill_at.is_some() {
                        break; // time to kill
                    }
                    let _ = run.child.kill();
                    let _ = run.child.wait();
                    return Err("child made no progress for 120 s".into());
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    child_eof = true;
                    break;
                }
            }
        }
        if child_eof {
            let status = run.child.wait().map_err(|e| e.to_string())?;
            if !status.success() {
                return Err(format!("child exited with {status}"));
            }
            if !finished {
                return Err("child exited without finishing".into());
            }
            break;
        }
        // SIGKILL (std's Child::kill on Unix), at a random point.
        run.child.kill().map_err(|e| e.to_string())?;
        let _ = run.child.wait();
        if finished {
            // It printed "all done" just before the kill landed: nothing to resume.
            break;
        }
        stats.kills += 1;
        // Where did the kill land? An in-flight entry whose key already has an
        // effect is the dangerous case: applied by the API, not yet in the ledger.
        let in_flight: Vec<String> = rt.block_on(async {
            let client = pool.get().await.map_err(|e| e.to_string())?;
            let rows = client
                .query(
                    &format!("SELECT idem_key FROM {table} WHERE state = 'in_flight'"),
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(rows.iter().map(|r| r.get::<_, String>(0)).collect())
        })?;
        if !in_flight.is_empty() {
            stats.kills_with_entry_in_flight += 1;
            let keys: HashSet<String> = sandbox
                .effects()
                .into_iter()
                .filter_map(|e| e.idempotency_key)
                .collect();
            if in_flight.iter().any(|k| keys.contains(k)) {
                stats.kills_after_effect_before_ledger += 1;
            }
        }
    }

    verify(rt, sandbox, pool, schema, &ops)?;
    if done.len() != ops.len() {
        return Err(format!(
            "children reported {} of {} operations done",
            done.len(),
            ops.len()
        ));
    }
    Ok(stats)
}

fn verify(
    rt: &tokio::runtime::Runtime,
    sandbox: &Sandbox,
    pool: &postgres::Pool,
    schema: &str,
    ops: &[Op],
) -> Result<(), String> {
    let store = PostgresStore::new(pool.clone(), cfg(schema));
    let effects = sandbox.effects();
    let mut by_op: HashMap<(String, String), Vec<&vt4g_sandbox::Effect>> = HashMap::new();
    for e in &effects {
        by_op
            .entry((e.command.clone(), e.payment_id.clone()))
            .or_default()
            .push(e);
    }
    let mut duplicates = Vec::new();
    let mut lost = Vec::new();
    let mut problems = Vec::new();
    for op in ops {
        let rec = rt
            .block_on(store.get(&op.scope))
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{}: no ledger entry", op.scope))?;
        if rec.state != RecordState::Completed {
            problems.push(format!("{}: ledger entry not completed", op.scope));
        }
        let applied = by_op
            .get(&(op.command.as_str().to_owned(), op.payment_id.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        match applied {
            [] => lost.push(op.scope.clone()),
            [one] => {
                if one.idempotency_key.as_deref() != Some(rec.key.as_str()) {
                    problems.push(format!(
                        "{}: effect key {:?} is not the ledger key {:?}",
                        op.scope, one.idempotency_key, rec.key
                    ));
                }
            }
            many => duplicates.push(format!("{} ×{}", op.scope, many.len())),
        }
    }
    let mutating = effects
        .iter()
        .filter(|e| matches!(e.command.as_str(), "capture" | "cancel" | "charge"))
        .count();
    println!(
        "crash_resume: {} operations, {} capture/cancel/charge effects, {} duplicates, {} lost",
        ops.len(),
        mutating,
        duplicates.len(),
        lost.len()
    );
    if mutating != ops.len() {
        problems.push(format!(
            "{mutating} capture/cancel/charge effects for {} operations",
            ops.len()
        ));
    }
    if duplicates.is_empty() && lost.is_empty() && problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "duplicates: {duplicates:?}; lost: {lost:?}; other: {problems:?}"
        ))
    }
}

fn main() -> ExitCode {
    if std::env::var_os("VT4G_CRASH_CHILD").is_some() {
        return child();
    }
    let mut passed = 0;
    let mut failed = 0;

    // 1. The crash test proper: the Postgres ledger.
    let started = Instant::now();
    let scenario = Scenario {
        ledger: "postgres",
        runs: env_or("VT4G_CRASH_RUNS", 100),
        seed: env_or("VT4G_CRASH_SEED", 0x5EED),
        orders: env_or("VT4G_CRASH_ORDERS", 100),
        charges: env_or("VT4G_CRASH_CHARGES", 60),
        kill_phase: Duration::from_secs(env_or("VT4G_CRASH_KILL_PHASE_SECS", 90)),
    };
    match parent(&scenario) {
        Ok(stats) => {
            println!(
                "crash_resume: {} SIGKILLs over {} child runs; {} landed with a ledger entry in flight, \
                 {} of them after the API applied the effect and before the ledger recorded it; {:.1} s",
                stats.kills,
                stats.child_runs,
                stats.kills_with_entry_in_flight,
                stats.kills_after_effect_before_ledger,
                started.elapsed().as_secs_f64()
            );
            if stats.kills == 0 {
                eprintln!("crash_resume FAILED: no SIGKILL landed");
                failed += 1;
            } else {
                passed += 1;
            }
        }
        Err(e) => {
            eprintln!("crash_resume FAILED: {e}");
            failed += 1;
        }
    }

    // 2. Negative control: the same workload with a ledger that dies with the
    //    process must go wrong (a resend under a new key is refused by the
    //    simulator or shows up as a duplicate/lost effect) — proving the check
    //    above can fail.
    let control = Scenario {
        ledger: "memory",
        runs: 20,
        seed: env_or("VT4G_CRASH_SEED", 0x5EED),
        orders: 10,
        charges: 5,
        kill_phase: Duration::from_secs(30),
    };
    match parent(&control) {
        Ok(stats) => {
            eprintln!(
                "crash_resume negative control FAILED: the in-memory ledger survived {} SIGKILLs unnoticed",
                stats.kills
            );
            failed += 1;
        }
        Err(e) => {
            println!("crash_resume: negative control (in-memory ledger) failed as expected: {e}");
            passed += 1;
        }
    }

    println!("crash_resume: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
