//! Exactly-once under faults: N logical mutating operations (capture, cancel
//! before capture, partial refund, charge) through `vt4g::Client` against the
//! `vt4g-sandbox` simulator, with faults of every kind the simulator offers
//! injected into 30 % of the API requests.
//!
//! ```text
//! cargo test -p vt4g --test soak_exactly_once -- --nocapture            # N = 1,000
//! VT4G_SOAK_N=10000 cargo test -p vt4g --release --test soak_exactly_once -- --nocapture
//! VT4G_SOAK_SEED=42 VT4G_SOAK_N=1000 cargo test -p vt4g --test soak_exactly_once -- --nocapture
//! ```
//!
//! How the faults are drawn (our choice, documented): for every operation the
//! seeded generator decides, request by request, whether the next request of
//! that operation is faulted (probability `VT4G_SOAK_FAULT_RATE`, default
//! 0.3) and with which of the seven kinds (uniform); the first un-faulted draw
//! ends the plan (at most [`MAX_FAULTS_PER_OP`] faults). The plan is planted in
//! the simulator as per-request fault rules matching the operation's command
//! and paymentId, so each of the operation's requests meets the faults in
//! planned order, and since an operation only ends on a clean answer, this is
//! exactly "each request is faulted with probability 0.3, independently" —
//! but the plan depends only on the seed, not on how the concurrent
//! operations interleave. (The simulator's own `RandomFaults` draws in
//! request-arrival order, which under concurrency is not reproducible, and
//! would also fault the setup.) Setup (pay/subscribe and the consumer step)
//! runs without faults.
//!
//! What the test asserts, from the simulator's effect log:
//! * every operation ends confirmed (`Outcome::Success`): either at once, or
//!   after its error surfaced **with the idempotency key** and the operation
//!   was resumed with that key and the same body — 0 lost operations;
//! * exactly one effect per operation, carrying the operation's key, and no
//!   other effect at all — 0 duplicate effects;
//! * every planted fault was met, except after a `Delay` fault that hit a
//!   request whose key already had its answer (the simulator replays it at
//!   once, so the operation ends there); the summary prints planted and
//!   injected counts;
//! * the orders end in the state the operation implies (captured amount,
//!   cancelled, refunded balance, charge captured).
//!
//! Runs stop by themselves: the client's retries are bounded, an operation is
//! resumed at most [`MAX_RESUMES`] times, and the plan is finite.
#![forbid(unsafe_code)]

mod common;

use common::env_or;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use vt4g::client::{Client, Outcome, RequestMode, RetryPolicy};
use vt4g::generated::types;
use vt4g::idempotency::IdempotencyKey;
use vt4g::{Command, Error, PayType};
use vt4g_sandbox::{FaultKind, FaultRule, OrderState, Sandbox, SandboxConfig};

/// Default number of operations (the CI run).
const DEFAULT_N: usize = 1_000;
/// Default seed.
const DEFAULT_SEED: u64 = 0x5eed_2026;
/// At most this many planted faults per operation (bounds the run).
const MAX_FAULTS_PER_OP: usize = 8;
/// An operation whose error surfaced is resumed at most this many times.
const MAX_RESUMES: u32 = 20;
/// Operations in flight at once.
const CONCURRENCY: usize = 32;

/// splitmix64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum OpKind {
    /// Full capture of an authorized order.
    Capture,
    /// Full cancel of an authorized (not captured) order.
    CancelAuthorized,
    /// Partial refund of a captured order.
    Refund,
    /// On-demand charge against an original (subscribed) order.
    Charge,
}

#[derive(Debug, Clone)]
struct Op {
    idx: usize,
    kind: OpKind,
    command: Command,
    pay_type: PayType,
    /// The order the operation acts on (for a charge: the new charge order).
    payment_id: String,
    /// The amount the effect must carry.
    amount: u64,
    /// Setup: the order to pay first (not for charges).
    setup_pay: Option<(u64, bool)>,
    /// Charges: the original order.
    original: Option<String>,
    body: Value,
    faults: Vec<FaultKind>,
}

/// How an operation ended.
#[derive(Debug, Default, Clone)]
struct OpReport {
    confirmed: bool,
    /// Calls made (1 + resumes).
    calls: u32,
    /// The key the operation was confirmed with (or last surfaced).
    key: Option<String>,
    /// One label per surfaced error, in order.
    surfaced: Vec<String>,
    /// Set when something is wrong (unexpected outcome, missing key, …).
    problem: Option<String>,
}

fn error_label(e: &Error) -> String {
    match e {
        Error::Api(f) => format!("api {}", f.result_code.as_str()),
        Error::Pending(f) => format!("pending {}", f.result_code.as_str()),
        Error::Transport { .. } => "transport".into(),
        Error::Timeout { .. } => "timeout".into(),
        Error::Decode(_) => "decode".into(),
        other => format!("other: {other}"),
    }
}

const PAY_TYPES_CAPTURE: [PayType; 4] = [
    PayType::Paypay,
    PayType::Rakuten,
    PayType::Merpay,
    PayType::Au,
];
const PAY_TYPES_REFUND: [PayType; 3] = [PayType::Paypay, PayType::Rakuten, PayType::Merpay];
const PAY_TYPES_CHARGE: [PayType; 2] = [PayType::Paypay, PayType::Merpay];
/// Charges per original order.
const CHARGES_PER_ORIGINAL: usize = 25;

fn plan(cfg: &SoakConfig) -> Vec<Op> {
    let (n, seed, rate) = (cfg.n, cfg.seed, cfg.rate);
    let mut rng = Rng(seed);
    let mut ops = Vec::with_capacity(n);
    for idx in 0..n {
        let kind = cfg.kinds[rng.below(cfg.kinds.len() as u64) as usize];
        // Amounts end in 0: the sandbox tables answer success for digit 0.
        let base = 1_000 + 20 * rng.below(200);
        let pid = format!("soak{seed:x}-{idx}");
        let (command, pay_type, amount, setup_pay, original, body) = match kind {
            OpKind::Capture => {
                let pt = PAY_TYPES_CAPTURE[rng.below(4) as usize];
                let body = json!({"order": {"paymentId": pid, "amount": base.to_string()}});
                (Command::Capture, pt, base, Some((base, false)), None, body)
            }
            OpKind::CancelAuthorized => {
                let pt = PAY_TYPES_CAPTURE[rng.below(4) as usize];
                let body = json!({"order": {"paymentId": pid}});
                (Command::Cancel, pt, base, Some((base, false)), None, body)
            }
            OpKind::Refund => {
                let pt = PAY_TYPES_REFUND[rng.below(3) as usize];
                let refund = base / 2; // base is a multiple of 20: refund ends in 0
                let body = json!({"order": {"paymentId": pid, "amount": refund.to_string()}});
                (Command::Cancel, pt, refund, Some((base, true)), None, body)
            }
            OpKind::Charge => {
                let pt = PAY_TYPES_CHARGE[rng.below(2) as usize];
                let orig = format!(
                    "soak{seed:x}-orig-{}-{}",
                    pt.as_str(),
                    idx / CHARGES_PER_ORIGINAL
                );
                let body = json!({"order": {
                    "paymentId": pid,
                    "originalPaymentId": orig,
                    "authCaptureType": "auth_with_capture",
                    "amount": base.to_string()
                }});
                (Command::Charge, pt, base, None, Some(orig), body)
            }
        };
        let mut faults = Vec::new();
        while faults.len() < MAX_FAULTS_PER_OP && rng.unit() < rate {
            faults.push(cfg.faults[rng.below(cfg.faults.len() as u64) as usize]);
        }
        ops.push(Op {
            idx,
            kind,
            command,
            pay_type,
            payment_id: pid,
            amount,
            setup_pay,
            original,
            body,
            faults,
        });
    }
    ops
}

/// One call of `op` through the typed client method, optionally with `key`.
async fn call_once(client: &Client, op: &Op, key: Option<&str>) -> Result<Outcome<()>, Error> {
    let key = key
        .map(IdempotencyKey::new)
        .transpose()
        .map_err(Error::InvalidKey)?;
    macro_rules! go {
        ($method:ident, $req:ty) => {{
            let req: $req = serde_json::from_value(op.body.clone())
                .map_err(|e| Error::Config(format!("test body does not fit the type: {e}")))?;
            let mut call = client.$method(&req).pay_type(op.pay_type);
            if let Some(k) = key {
                call = call.idempotency_key(k);
            }
            call.await.map(|o| o.map(|_| ()))
        }};
    }
    match op.command {
        Command::Capture => go!(capture, types::CaptureRequest),
        Command::Cancel => go!(cancel, types::CancelRequest),
        Command::Charge => go!(charge, types::ChargeRequest),
        other => Err(Error::Config(format!("no soak operation for {other}"))),
    }
}

/// Runs one logical operation to the end: first call without a key (the
/// client makes one), then, while an error surfaces, resume with the key the
/// error carries and the same body.
async fn run_op(client: Client, op: Arc<Op>, resume_with_key: bool) -> OpReport {
    let mut r = OpReport::default();
    loop {
        r.calls += 1;
        let key = if resume_with_key {
            r.key.as_deref()
        } else {
            None
        };
        match call_once(&client, &op, key).await {
            Ok(Outcome::Success(())) => {
                r.confirmed = true;
                return r;
            }
            Ok(other) => {
                r.problem = Some(format!("unexpected outcome {:?}", other.result_code()));
                return r;
            }
            Err(e) => {
                r.surfaced.push(error_label(&e));
                let Some(k) = e.idempotency_key() else {
                    r.problem = Some(format!("error surfaced without its idempotency key: {e}"));
                    return r;
                };
                if let Some(prev) = r.key.as_ref().filter(|_| resume_with_key) {
                    if prev != k {
                        r.problem = Some(format!("key changed on resume: {prev} -> {k}"));
                        return r;
                    }
                }
                // A failure the API decided on (not a retryable or transport
                // condition) must not be "resumed" into success: only the
                // planted faults may surface here.
                let resumable = match &e {
                    Error::Transport { .. } | Error::Timeout { .. } => true,
                    Error::Api(f) | Error::Pending(f) => matches!(
                        f.result_code.as_str(),
                        "UA-SYS-003" | "UA-LMT-001" | "UA-REQ-005" | "UA-PRV-999"
                    ),
                    _ => false,
                };
                if !resumable {
                    r.problem = Some(format!("non-resumable error: {e}"));
                    return r;
                }
                r.key = Some(k.to_owned());
                if r.calls > MAX_RESUMES {
                    r.problem = Some(format!("still failing after {MAX_RESUMES} resumes: {e}"));
                    return r;
                }
                // A caller resumes "later": 50 ms, 100 ms, … capped at 300 ms, so
                // that a request still in process (Delay) has time to finish
                // within MAX_RESUMES however fast the client's retries run out.
                let pause = 50 * u64::from(r.calls.min(6));
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        }
    }
}

fn raw_http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// pay (or subscribe) through the client, then the consumer step.
async fn setup_order(
    client: &Client,
    http: &reqwest::Client,
    command: Command,
    pay_type: PayType,
    payment_id: &str,
    amount: u64,
    capture: bool,
) {
    let control = json!({
        "successUrl": "https://merchant.example/success",
        "cancelUrl": "https://merchant.example/cancel",
        "errorUrl": "https://merchant.example/error"
    });
    let redirect = if command == Command::Pay {
        let body = json!({
            "order": {
                "payType": pay_type.as_str(),
                "paymentId": payment_id,
                "amount": amount.to_string(),
                "authCaptureType": if capture { "auth_with_capture" } else { "auth" }
            },
            "control": control
        });
        let req: types::PayRequest = serde_json::from_value(body).expect("pay body");
        let out = client.pay(&req).await.expect("setup pay");
        let resp = out.into_success().expect("setup pay succeeded");
        serde_json::to_value(&resp).expect("pay response serializes")
    } else {
        let body = json!({
            "order": {
                "payType": pay_type.as_str(),
                "paymentId": payment_id,
                "orderName": "soak plan",
                "description": "soak test subscription"
            },
            "control": control
        });
        let req: types::SubscribeRequest = serde_json::from_value(body).expect("subscribe body");
        let out = client.subscribe(&req).await.expect("setup subscribe");
        let resp = out.into_success().expect("setup subscribe succeeded");
        serde_json::to_value(&resp).expect("subscribe response serializes")
    };
    let url = redirect
        .pointer("/control/redirectUrl")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no control.redirectUrl in {redirect}"))
        .to_owned();
    let res = http.get(&url).send().await.expect("consumer step");
    assert!(
        res.status().is_redirection(),
        "consumer step for {payment_id}: HTTP {}",
        res.status()
    );
}

/// What one soak run is made of.
struct SoakConfig {
    n: usize,
    seed: u64,
    /// Probability that a request is faulted.
    rate: f64,
    /// Operation kinds to draw from.
    kinds: Vec<OpKind>,
    /// Fault kinds to draw from.
    faults: Vec<FaultKind>,
    /// `true`: resume a surfaced error with its key (the correct use);
    /// `false`: resume with a fresh key (the negative control).
    resume_with_key: bool,
    /// The soak client's retry policy.
    retry: RetryPolicy,
}

/// What the checks found.
struct SoakResult {
    duplicates: usize,
    lost: usize,
    effects: usize,
    total_faults: usize,
    problems: Vec<String>,
}

fn soak_retry_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(200))
        .max_elapsed(Duration::from_secs(3))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_exactly_once_under_faults() {
    let cfg = SoakConfig {
        n: env_or("VT4G_SOAK_N", DEFAULT_N),
        seed: env_or("VT4G_SOAK_SEED", DEFAULT_SEED),
        rate: env_or("VT4G_SOAK_FAULT_RATE", 0.3),
        kinds: vec![
            OpKind::Capture,
            OpKind::CancelAuthorized,
            OpKind::Refund,
            OpKind::Charge,
        ],
        faults: FaultKind::ALL.to_vec(),
        resume_with_key: true,
        retry: soak_retry_policy(),
    };
    assert!(
        (0.0..1.0).contains(&cfg.rate),
        "VT4G_SOAK_FAULT_RATE must be in [0, 1)"
    );
    let (n, rate) = (cfg.n, cfg.rate);
    let r = run_soak(&cfg).await;
    if !r.problems.is_empty() {
        let shown: Vec<&str> = r.problems.iter().take(30).map(String::as_str).collect();
        panic!(
            "exactly-once violated (seed {:#x}, N {n}): {} problem(s):\n{}",
            cfg.seed,
            r.problems.len(),
            shown.join("\n")
        );
    }
    assert_eq!(r.duplicates, 0);
    assert_eq!(r.lost, 0);
    assert_eq!(r.effects, n, "exactly one effect per operation");
    assert!(
        r.total_faults > 0 || rate == 0.0 || n < 10,
        "the plan injected no fault at all"
    );
}

/// The negative control: the same harness must *see* duplicates when the
/// caller does the wrong thing — no client retries, and a surfaced error is
/// resumed with a fresh key instead of the surfaced one. Partial refunds under
/// "apply the effect, then drop the response" are then applied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_harness_detects_duplicates_when_resumed_with_a_new_key() {
    let cfg = SoakConfig {
        n: 40,
        seed: 7,
        rate: 0.999,
        kinds: vec![OpKind::Refund],
        faults: vec![FaultKind::ApplyThenDrop],
        resume_with_key: false,
        retry: RetryPolicy::none(),
    };
    let r = run_soak(&cfg).await;
    assert!(
        r.duplicates > 0,
        "the harness did not detect the duplicates a fresh-key resume causes"
    );
    assert!(r.effects > cfg.n);
}

async fn run_soak(cfg: &SoakConfig) -> SoakResult {
    let (n, seed, rate) = (cfg.n, cfg.seed, cfg.rate);
    // The Delay fault must outlast the client's per-attempt timeout.
    let request_timeout = Duration::from_millis(500);
    let fault_delay = Duration::from_millis(900);
    let sandbox = Sandbox::start(SandboxConfig::default().fault_delay(fault_delay))
        .await
        .expect("simulator starts");
    let token = vt4g_sandbox::DEFAULT_BEARER_TOKEN;

    let setup_client = Client::builder()
        .base_url(sandbox.base_url(), RequestMode::Sandbox)
        .bearer_token(token)
        .build()
        .expect("setup client");
    let client = Client::builder()
        .base_url(sandbox.base_url(), RequestMode::Sandbox)
        .bearer_token(token)
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(request_timeout)
        .retry_policy(cfg.retry.clone())
        .build()
        .expect("soak client");

    let ops: Vec<Arc<Op>> = plan(cfg).into_iter().map(Arc::new).collect();

    // ---- setup, without faults ----
    let http = raw_http();
    let sem = Arc::new(Semaphore::new(CONCURRENCY));
    let mut originals: BTreeMap<String, PayType> = BTreeMap::new();
    for op in &ops {
        if let Some(o) = &op.original {
            originals.insert(o.clone(), op.pay_type);
        }
    }
    let mut set = JoinSet::new();
    for (pid, pt) in originals.clone() {
        let (c, h, s) = (setup_client.clone(), http.clone(), Arc::clone(&sem));
        set.spawn(async move {
            let _p = s.acquire_owned().await.expect("semaphore");
            setup_order(&c, &h, Command::Subscribe, pt, &pid, 0, false).await;
        });
    }
    for op in ops.iter().filter(|o| o.setup_pay.is_some()) {
        let (c, h, s, op) = (
            setup_client.clone(),
            http.clone(),
            Arc::clone(&sem),
            Arc::clone(op),
        );
        set.spawn(async move {
            let _p = s.acquire_owned().await.expect("semaphore");
            let (amount, capture) = op.setup_pay.expect("filtered");
            setup_order(
                &c,
                &h,
                Command::Pay,
                op.pay_type,
                &op.payment_id,
                amount,
                capture,
            )
            .await;
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("setup task");
    }
    for op in &ops {
        if let Some((_, capture)) = op.setup_pay {
            let o = sandbox.order(&op.payment_id).expect("setup order exists");
            let want = if capture {
                OrderState::Captured
            } else {
                OrderState::Authorized
            };
            assert_eq!(o.state, want, "setup of {}", op.payment_id);
        }
    }
    for pid in originals.keys() {
        let o = sandbox.order(pid).expect("original exists");
        assert_eq!(o.state, OrderState::Subscribed, "setup of {pid}");
    }
    let baseline = sandbox.effects().len();

    // ---- plant the faults, then run the operations ----
    let mut planned: BTreeMap<String, usize> = BTreeMap::new();
    let mut total_faults = 0usize;
    for op in &ops {
        for &f in &op.faults {
            sandbox.add_fault(FaultRule::new(Some(op.command), Some(&op.payment_id), f, 1));
            *planned.entry(format!("{f:?}")).or_default() += 1;
            total_faults += 1;
        }
    }
    let reports: Arc<Mutex<Vec<(usize, OpReport)>>> = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let resume = cfg.resume_with_key;
    let mut set = JoinSet::new();
    for op in &ops {
        let (c, s, op, out) = (
            client.clone(),
            Arc::clone(&sem),
            Arc::clone(op),
            Arc::clone(&reports),
        );
        set.spawn(async move {
            let _p = s.acquire_owned().await.expect("semaphore");
            let idx = op.idx;
            let r = run_op(c, op, resume).await;
            out.lock().expect("reports").push((idx, r));
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("operation task");
    }
    // A Delay fault finishes processing in the simulator even after the
    // client has its answer from a replay; by now every operation has had a
    // clean answer, so nothing is still pending — but give a straggler the
    // fault delay to land before reading the log, so a late duplicate would
    // be seen.
    tokio::time::sleep(fault_delay + Duration::from_millis(200)).await;

    let mut reports = std::mem::take(&mut *reports.lock().expect("reports"));
    reports.sort_by_key(|(i, _)| *i);
    assert_eq!(reports.len(), n, "every operation reported");

    // ---- the effect log, over HTTP as a user's test would read it ----
    let log: Vec<Value> = serde_json::from_slice(
        &http
            .get(format!("{}/_sandbox/effects", sandbox.root_url()))
            .send()
            .await
            .expect("GET effects")
            .bytes()
            .await
            .expect("effects body"),
    )
    .expect("effects JSON");
    let effects = &log[baseline..];
    let leftover: Vec<Value> = serde_json::from_slice(
        &http
            .get(format!("{}/_sandbox/faults", sandbox.root_url()))
            .send()
            .await
            .expect("GET faults")
            .bytes()
            .await
            .expect("faults body"),
    )
    .expect("faults JSON");

    // ---- checks ----
    let mut problems: Vec<String> = Vec::new();
    let mut by_op: HashMap<(String, String), Vec<&Value>> = HashMap::new();
    for e in effects {
        let cmd = e["command"].as_str().unwrap_or_default().to_owned();
        let pid = e["paymentId"].as_str().unwrap_or_default().to_owned();
        by_op.entry((cmd, pid)).or_default().push(e);
    }
    let mut expected: HashSet<(String, String)> = HashSet::new();
    let mut duplicates = 0usize;
    let mut lost = 0usize;
    for (op, (_, r)) in ops.iter().zip(&reports) {
        let k = (op.command.as_str().to_owned(), op.payment_id.clone());
        expected.insert(k.clone());
        if let Some(p) = &r.problem {
            problems.push(format!(
                "op {} {:?} {}: {p}",
                op.idx, op.kind, op.payment_id
            ));
        }
        if !r.confirmed {
            lost += 1;
            problems.push(format!(
                "op {} {:?} {} not confirmed (surfaced: {:?}, key {:?})",
                op.idx, op.kind, op.payment_id, r.surfaced, r.key
            ));
        }
        let got = by_op.get(&k).map_or(&[][..], Vec::as_slice);
        match got.len() {
            1 => {
                let e = got[0];
                let amount = e["amount"].as_str().and_then(|a| a.parse::<u64>().ok());
                if amount != Some(op.amount) {
                    problems.push(format!(
                        "op {} effect amount {amount:?} != {}",
                        op.idx, op.amount
                    ));
                }
                let key = e["idempotencyKey"].as_str();
                if key.is_none() {
                    problems.push(format!("op {} effect without idempotency key", op.idx));
                }
                if let (Some(mine), Some(theirs)) = (r.key.as_deref(), key) {
                    if mine != theirs {
                        problems.push(format!(
                            "op {} resumed with key {mine} but the effect carries {theirs}",
                            op.idx
                        ));
                    }
                }
            }
            0 => {
                if r.confirmed {
                    problems.push(format!("op {} confirmed but no effect recorded", op.idx));
                }
                lost += usize::from(r.confirmed);
            }
            m => {
                duplicates += m - 1;
                problems.push(format!(
                    "op {} {:?} {}: {m} effects",
                    op.idx, op.kind, op.payment_id
                ));
            }
        }
        // The order's end state.
        let o = sandbox.order(&op.payment_id);
        let ok = match (op.kind, &o) {
            (OpKind::Capture, Some(o)) => {
                o.state == OrderState::Captured && o.captured == op.amount
            }
            (OpKind::CancelAuthorized, Some(o)) => o.state == OrderState::Canceled,
            (OpKind::Refund, Some(o)) => {
                let paid = op.setup_pay.map_or(0, |(a, _)| a);
                o.state == OrderState::Captured && o.balance == paid - op.amount
            }
            (OpKind::Charge, Some(o)) => o.state == OrderState::Captured && o.amount == op.amount,
            (_, None) => false,
        };
        if !ok {
            problems.push(format!(
                "op {} {:?} {}: order end state {:?}",
                op.idx,
                op.kind,
                op.payment_id,
                o.map(|o| (o.state, o.amount, o.captured, o.balance))
            ));
        }
    }
    for (k, v) in &by_op {
        if !expected.contains(k) {
            duplicates += v.len();
            problems.push(format!("unexpected effect(s) {k:?}: {}", v.len()));
        }
    }
    // Every planted fault must have been met, with one exception: a `Delay`
    // fault on a request whose key already has its answer is answered at once
    // (the replay needs no processing), so an operation can end on that
    // request with later rules unmet. Those rules must then follow a `Delay`.
    let mut unmet: HashMap<(String, String), usize> = HashMap::new();
    for rule in &leftover {
        let cmd = rule["command"].as_str().unwrap_or_default().to_owned();
        let pid = rule["paymentId"].as_str().unwrap_or_default().to_owned();
        *unmet.entry((cmd, pid)).or_default() += 1;
    }
    let mut injected = total_faults;
    for (op, (_, r)) in ops.iter().zip(&reports) {
        let k = (op.command.as_str().to_owned(), op.payment_id.clone());
        let Some(&left) = unmet.get(&k) else { continue };
        injected -= left;
        let met = op.faults.len().saturating_sub(left);
        if left > op.faults.len() || met == 0 || op.faults[met - 1] != FaultKind::Delay {
            problems.push(format!(
                "op {} {:?}: {left} planted fault(s) never met after {met} (planned {:?}; calls {}, surfaced {:?})",
                op.idx, op.kind, op.faults, r.calls, r.surfaced
            ));
        }
    }
    let unmatched = leftover.len() - (total_faults - injected);
    if unmatched > 0 {
        problems.push(format!(
            "{unmatched} leftover fault rule(s) match no operation"
        ));
    }

    // ---- summary ----
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut surfaced: BTreeMap<String, usize> = BTreeMap::new();
    for (op, (_, r)) in ops.iter().zip(&reports) {
        *per_kind.entry(format!("{:?}", op.kind)).or_default() += 1;
        let label = match (r.confirmed, r.calls) {
            (true, 1) => "confirmed on the first call".to_owned(),
            (true, c) => format!("confirmed after {} resume(s) with the surfaced key", c - 1),
            (false, _) => "NOT confirmed".to_owned(),
        };
        *outcomes.entry(label).or_default() += 1;
        for s in &r.surfaced {
            *surfaced.entry(s.clone()).or_default() += 1;
        }
    }
    let faulted_fraction = total_faults as f64 / (n + total_faults) as f64;
    println!("soak: seed {seed:#x}, N {n}, fault rate {rate}, concurrency {CONCURRENCY}");
    println!("  operations per kind: {per_kind:?}");
    println!(
        "  faults planted: {total_faults} (~{:.1}% of the operations' API requests), per kind: {planned:?}; injected: {injected} (a Delay answered from the idempotency record ends an operation early)",
        faulted_fraction * 100.0
    );
    println!("  outcomes: {outcomes:?}");
    println!("  errors surfaced to the caller (then resumed): {surfaced:?}");
    println!(
        "  effects: {} for {n} operations; duplicates {duplicates}; lost {lost}",
        effects.len()
    );
    sandbox.shutdown().await;
    SoakResult {
        duplicates,
        lost,
        effects: effects.len(),
        total_faults,
        problems,
    }
}
