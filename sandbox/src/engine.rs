//! The simulator's state and the processing of commands, consumer steps and
//! admin actions. Everything here runs synchronously under one mutex; no lock
//! is held across an `.await`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};
use vt4g::result_code::ResultCode;
use vt4g::{Command, PayType};

use crate::clock::{format_jst, parse_jst, unix_millis};
use crate::config::{FaultKind, FaultRule, PushUrlPolicy, RandomFaults, Retention};
use crate::json::Obj;
use crate::tables::{self, Landing, Stage};
use crate::validate::str_at;

/// The simulator's hash maps: foldhash (keys come from the local test
/// client; no need for SipHash's flooding resistance, and it is several
/// times cheaper per lookup).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Life of an idempotency key (the reference: 24 hours).
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

/// An HTTP answer: status and exact body bytes.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Bytes,
}

/// A webhook waiting for delivery.
#[derive(Debug, Clone)]
pub(crate) struct WebhookJob {
    /// Global number of the webhook record (see [`State::webhook_attempt`]).
    pub index: u64,
    pub url: String,
    pub webhook_id: String,
    pub body: Bytes,
}

/// The life-cycle state of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// pay/subscribe accepted; the consumer has not come back yet.
    AwaitingConsumer,
    /// Authorized (not captured).
    Authorized,
    /// Captured; `balance` is what can still be refunded.
    Captured,
    /// Authorization cancelled, or fully refunded after capture.
    Canceled,
    /// The consumer step or the charge failed (the paymentId may be reused).
    Failed,
    /// PayPay charge waiting for the consumer (UA-U00-001, recovery).
    UserPaying,
    /// Original order (subscribe) with the consumer's consent.
    Subscribed,
    /// Original order terminated by the merchant.
    Terminated,
    /// Original order deregistered by the provider.
    Deregistered,
}

/// What kind of order it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OrderKind {
    /// From `pay`.
    Single,
    /// From `subscribe` (an original order).
    Original,
    /// From `charge` against an original order.
    Charge {
        /// The original order's paymentId.
        #[serde(rename = "originalPaymentId")]
        original_payment_id: String,
        /// The original order's fepOrderId.
        #[serde(rename = "originalFepOrderId")]
        original_fep_order_id: String,
    },
}

/// An order as the simulator holds it (`GET /_sandbox/orders/{paymentId}`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// paymentId.
    pub payment_id: String,
    /// fepOrderId.
    pub fep_order_id: String,
    /// Provider.
    #[serde(serialize_with = "ser_pay_type")]
    pub pay_type: PayType,
    /// Kind.
    pub kind: OrderKind,
    /// State.
    pub state: OrderState,
    /// `auth_with_capture` was requested.
    pub auth_with_capture: bool,
    /// Authorized amount (0 for original orders).
    pub amount: u64,
    /// Captured amount.
    pub captured: u64,
    /// Captured minus refunded.
    pub balance: u64,
    /// au application authentication method.
    pub app_method: bool,
    /// fepReferenceIds of the order's transactions, oldest first.
    pub transactions: Vec<String>,
    #[serde(skip)]
    pub(crate) item_name: Option<String>,
    #[serde(skip)]
    pub(crate) success_url: String,
    #[serde(skip)]
    pub(crate) cancel_url: Option<String>,
    #[serde(skip)]
    pub(crate) error_url: String,
    #[serde(skip)]
    pub(crate) push_url: Option<String>,
    #[serde(skip)]
    pub(crate) dereg_push_url: Option<String>,
    #[serde(skip)]
    pub(crate) keys: Keys,
    #[serde(skip)]
    pub(crate) token: Option<String>,
    #[serde(skip)]
    pub(crate) final_redirect: Option<FinalRedirect>,
    /// What the order's transactions repeat in their data (shared with them).
    #[serde(skip)]
    pub(crate) ident: Arc<TxIdent>,
    /// Transactions of an earlier, failed order with the same paymentId
    /// (still answerable; evicted with this order).
    #[serde(skip)]
    pub(crate) inherited_txs: Vec<String>,
    /// Position in the retention order (larger = used more recently).
    #[serde(skip)]
    pub(crate) touched: u64,
    /// When it was last used, on the simulator's clock.
    #[serde(skip)]
    pub(crate) touched_at: SystemTime,
}

/// How a finished consumer step redirected: enough to make the identical
/// Location again when the page is opened again (browsers replay redirects),
/// without keeping the ~0.5 KB signed URL per order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FinalRedirect {
    code: &'static str,
    /// Rotation of the parameter order (drawn once).
    rot: u8,
}

/// The 302 Location of a finished consumer step of `o`: the target URL for
/// `code` with the signed redirect query.
fn redirect_location(
    o: &Order,
    ccid: &str,
    key: &vt4g::Secret,
    f: FinalRedirect,
) -> Result<String, String> {
    let code = f.code;
    let command = if o.kind == OrderKind::Single {
        Command::Pay
    } else {
        Command::Subscribe
    };
    let target_url = if code == "UA-000-001" {
        &o.success_url
    } else if code == "UA-CST-002" || (code == "UA-CST-001" && o.pay_type == PayType::Merpay) {
        o.cancel_url.as_ref().unwrap_or(&o.error_url)
    } else {
        &o.error_url
    };
    let rc = ResultCode::from_code(code);
    let (status, action) = (rc.status(), rc.action_code());
    let mut pairs: Vec<(&str, &str)> = vec![
        ("status", status.as_ref().map_or("", |s| s.as_str())),
        ("actionCode", action.as_ref().map_or("", |a| a.as_str())),
        ("resultCode", code),
        ("command", command.notification_name().unwrap_or("")),
        ("paymentId", &o.payment_id),
        ("fepOrderId", &o.fep_order_id),
        (
            "fepReferenceId",
            o.transactions.first().map_or("", String::as_str),
        ),
    ];
    if let Some(k) = &o.keys.mrk1 {
        pairs.push(("merchantRequestKey1", k));
    }
    if let Some(k) = &o.keys.mrk2 {
        pairs.push(("merchantRequestKey2", k));
    }
    // A deliberately unnatural order with repeats, rotated per request, so
    // verifiers must follow authParams.
    let mut order: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
    let len = order.len();
    order.rotate_left(usize::from(f.rot) % len);
    order.reverse();
    order.push("fepReferenceId");
    order.push("status");
    let query = vt4g::redirect::sign_redirect(ccid, key, &pairs, &order)
        .map_err(|e| format!("cannot sign the redirect: {e}"))?;
    let sep = if target_url.contains('?') { '&' } else { '?' };
    Ok(format!("{target_url}{sep}{query}"))
}

/// The identity of an order as its transactions' data repeats it.
#[derive(Debug, Clone)]
pub(crate) struct TxIdent {
    pay_type: PayType,
    payment_id: String,
    fep_order_id: String,
    /// (originalPaymentId, originalFepOrderId) of a charge.
    original: Option<(String, String)>,
}

fn ser_pay_type<S: serde::Serializer>(p: &PayType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.as_str())
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Keys {
    mrk1: Option<String>,
    mrk2: Option<String>,
    md1: Option<String>,
    md2: Option<String>,
}

impl Keys {
    fn from_body(body: &Value) -> Keys {
        let tx = body.get("transaction");
        let g = |k: &str| {
            tx.and_then(|t| t.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Keys {
            mrk1: g("merchantRequestKey1"),
            mrk2: g("merchantRequestKey2"),
            md1: g("metadata1"),
            md2: g("metadata2"),
        }
    }

    fn is_empty(&self) -> bool {
        self.mrk1.is_none() && self.mrk2.is_none() && self.md1.is_none() && self.md2.is_none()
    }

    /// `None` when empty (the common case costs no allocation).
    fn boxed(&self) -> Option<Box<Keys>> {
        (!self.is_empty()).then(|| Box::new(self.clone()))
    }
}

/// One effect actually applied (`GET /_sandbox/effects`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Effect {
    /// 1, 2, 3, … in order of application.
    pub seq: u64,
    /// Command name (`capture`, `updateOrder`, …).
    pub command: String,
    /// paymentId of the order.
    pub payment_id: String,
    /// Amount the effect moved (authorized, captured, refunded, new amount), if any.
    pub amount: Option<String>,
    /// The request's `X-VT-Idempotency-Key`, if any.
    pub idempotency_key: Option<String>,
    /// The result code returned.
    pub result_code: String,
    /// fepReferenceId of the transaction.
    pub fep_reference_id: String,
    /// JST `yyyyMMddHHmmss` on the simulator's clock.
    pub at: String,
    /// Milliseconds since the Unix epoch on the simulator's clock.
    pub at_unix_ms: u64,
}

/// An effect as the log keeps it (compact; [`Effect`] is built on reading;
/// `seq` is the position in the log counting the dropped entries).
#[derive(Debug, Clone)]
struct EffectRec {
    command: Command,
    payment_id: Box<str>,
    amount: Option<u64>,
    idempotency_key: Option<Box<str>>,
    result_code: &'static str,
    fep_reference_id: Box<str>,
    /// Milliseconds since the Unix epoch on the simulator's clock.
    at_unix_ms: u64,
}

impl EffectRec {
    fn to_effect(&self, seq: u64) -> Effect {
        let at = std::time::UNIX_EPOCH + Duration::from_millis(self.at_unix_ms);
        Effect {
            seq,
            command: self.command.as_str().to_owned(),
            payment_id: self.payment_id.clone().into(),
            amount: self.amount.map(|a| a.to_string()),
            idempotency_key: self.idempotency_key.clone().map(Into::into),
            result_code: self.result_code.to_owned(),
            fep_reference_id: self.fep_reference_id.clone().into(),
            at: format_jst(at),
            at_unix_ms: self.at_unix_ms,
        }
    }
}

/// One delivery attempt of a webhook.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    /// HTTP status answered, if any.
    pub status: Option<u16>,
    /// Transport error, if any.
    pub error: Option<String>,
    /// `true` for the deliberate redelivery after a 200.
    pub redelivery: bool,
}

/// Delivery state of a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not yet answered 200, still retrying.
    Pending,
    /// Answered 200.
    Delivered,
    /// Gave up after the retry policy's time.
    Failed,
}

/// A webhook and its deliveries (`GET /_sandbox/webhooks`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    /// `X-VT-webhook-id`.
    pub webhook_id: String,
    /// Target URL.
    pub url: String,
    /// `transaction.command` of the body.
    pub command: String,
    /// paymentId of the order.
    pub payment_id: String,
    /// The exact body sent.
    pub body: String,
    /// Delivery state.
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: Vec<DeliveryAttempt>,
}

/// A transaction: everything its webhook-extent data is made of, compactly
/// (the JSON is written when asked for).
#[derive(Debug, Clone)]
struct Tx {
    ident: Arc<TxIdent>,
    /// Notification name (`transaction.command`).
    name: &'static str,
    /// `transactionDatetime`.
    at: SystemTime,
    amount: Option<u64>,
    keys: Option<Box<Keys>>,
    /// getTransactionResult answers only UA-U00-001 while pending.
    pending: bool,
    /// `result.resultCode` and `result.vResultCode`.
    code: &'static str,
    v_code: Option<&'static str>,
}

/// What the `control` block of written transaction data holds.
#[derive(Clone, Copy)]
enum Control<'a> {
    Omit,
    Sandbox,
    Redirect(&'a str),
}

/// The last 20 bytes of an identifier (ASCII).
fn last20(s: &str) -> &str {
    s.get(s.len().saturating_sub(20)..).unwrap_or(s)
}

impl Tx {
    /// `"result": {…}` of the transaction.
    fn write_result(&self, o: &mut Obj<'_>) {
        write_result(o, "result", self.code, self.v_code, None);
    }

    /// The webhook-extent data as members of `o`: `order`, `transaction`,
    /// then `control` as asked and `provider` if `provider`.
    fn write_data(&self, o: &mut Obj<'_>, fep_ref: &str, control: Control<'_>, provider: bool) {
        let id = &*self.ident;
        {
            let mut ord = o.obj("order");
            ord.str("payType", id.pay_type.as_str())
                .str("paymentId", &id.payment_id)
                .str("fepOrderId", &id.fep_order_id);
            if let Some((p, f)) = &id.original {
                ord.str("originalPaymentId", p).str("originalFepOrderId", f);
            }
            if let Some(a) = self.amount {
                ord.num_str("amount", a);
            }
        }
        {
            let mut t = o.obj("transaction");
            t.str("fepReferenceId", fep_ref)
                .str("command", self.name)
                .str("transactionDatetime", &format_jst(self.at));
            if let Some(k) = &self.keys {
                t.opt_str("merchantRequestKey1", k.mrk1.as_deref())
                    .opt_str("merchantRequestKey2", k.mrk2.as_deref())
                    .opt_str("metadata1", k.md1.as_deref())
                    .opt_str("metadata2", k.md2.as_deref());
            }
        }
        match control {
            Control::Omit => {}
            Control::Sandbox => {
                o.obj("control").str("requestMode", "sandbox");
            }
            Control::Redirect(url) => {
                o.obj("control")
                    .str("requestMode", "sandbox")
                    .str("redirectUrl", url);
            }
        }
        if provider {
            let mut p = o.obj("provider");
            let mut pay = p.obj("payment");
            pay.prefixed_str("providerOrderId", "SBX", last20(&id.fep_order_id));
            if matches!(id.pay_type, PayType::Paypay | PayType::Rakuten) {
                pay.prefixed_str("gatewayOrderId", "GW", last20(fep_ref));
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IdemKey {
    key: String,
    command: Command,
    ident: String,
}

#[derive(Debug, Clone)]
enum IdemEntry {
    InFlight {
        since: SystemTime,
        seq: u64,
    },
    Done {
        reply: Reply,
        at: SystemTime,
        seq: u64,
    },
}

impl IdemEntry {
    fn at(&self) -> SystemTime {
        match self {
            IdemEntry::InFlight { since, .. } => *since,
            IdemEntry::Done { at, .. } => *at,
        }
    }
    fn seq(&self) -> u64 {
        match self {
            IdemEntry::InFlight { seq, .. } | IdemEntry::Done { seq, .. } => *seq,
        }
    }
}

/// Counts of what the simulator holds (`GET /_sandbox/stats`,
/// [`crate::Sandbox::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStats {
    /// Orders kept.
    pub orders: usize,
    /// Orders evicted so far (capacity or idle time, see [`Retention`]).
    pub orders_evicted: u64,
    /// Transactions kept (answerable by getTransactionResult).
    pub transactions: usize,
    /// Idempotency records kept.
    pub idempotency_records: usize,
    /// Effect-log entries kept.
    pub effects: usize,
    /// Oldest effect-log entries dropped so far (the kept ones are the
    /// newest; `seq` keeps counting from 1 over all of them).
    pub effects_dropped: u64,
    /// Webhook records kept.
    pub webhooks: usize,
    /// Oldest webhook records dropped so far.
    pub webhooks_dropped: u64,
}

/// What the idempotency check decided.
pub(crate) enum IdemDecision {
    /// Replay this exact answer.
    Replay(Reply),
    /// Same key still in process → 406.
    InProcess,
    /// Process; the entry is marked in flight (when a key was given).
    Proceed(Option<IdemKey>),
}

/// The whole mutable state.
pub(crate) struct State {
    orders: HashMap<String, Order>,
    by_fep_order: HashMap<String, String>,
    by_token: HashMap<String, String>,
    txs: HashMap<String, Tx>,
    /// Orders by `Order::touched`: the first is the least recently used.
    lru: BTreeMap<u64, String>,
    touch_seq: u64,
    orders_evicted: u64,
    idem: HashMap<IdemKey, IdemEntry>,
    /// Idempotency keys in the order their records were made (with the
    /// record's `seq`; a stale pair is skipped).
    idem_order: VecDeque<(u64, IdemKey)>,
    idem_seq: u64,
    effects: VecDeque<EffectRec>,
    effects_dropped: u64,
    webhooks: VecDeque<WebhookRecord>,
    webhooks_dropped: u64,
    retention: Retention,
    faults: Vec<FaultRule>,
    random: Option<RandomFaults>,
    rng: u64,
    /// Generator of the random part of identifiers and consumer tokens
    /// (seeded once from the OS; not the seeded fault generator).
    id_rng: u64,
    counter: u64,
}

/// Inputs the engine needs from the configuration.
pub(crate) struct Ctx<'a> {
    pub now: SystemTime,
    pub root_url: &'a str,
    pub push_policy: PushUrlPolicy,
}

fn err_reply(code: &str, message: Option<&str>) -> Reply {
    let rc = ResultCode::from_code(code);
    let status = rc.http_status().unwrap_or(500);
    let mut out = Vec::with_capacity(192);
    write_result(&mut Obj::new(&mut out), "result", code, None, message);
    Reply {
        status,
        body: Bytes::from(out),
    }
}

/// Writes the `result` block for a code as member `key` of `o`:
/// `status, actionCode, resultCode, message[, vResultCode]`.
fn write_result(
    o: &mut Obj<'_>,
    key: &str,
    code: &str,
    v_code: Option<&str>,
    message: Option<&str>,
) {
    let rc = ResultCode::from_code(code);
    let status = rc.status();
    let action = rc.action_code();
    let mut r = o.obj(key);
    r.str("status", status.as_ref().map_or("error", |s| s.as_str()));
    r.str("actionCode", action.as_ref().map_or("", |a| a.as_str()));
    r.str("resultCode", code);
    match message {
        Some(extra) => {
            let msg = format!("{}: {extra}", rc.description().unwrap_or("Error"));
            r.str("message", &msg);
        }
        None => {
            r.str("message", rc.description().unwrap_or(""));
        }
    }
    r.opt_str("vResultCode", v_code);
}

/// Builds the error answer for an HTTP-level error code (auth, schema, faults).
pub(crate) fn error(code: &str, message: Option<&str>) -> Reply {
    err_reply(code, message)
}

fn amount_digit(amount: u64) -> u8 {
    (amount % 10) as u8
}

fn parse_amount(s: Option<&str>) -> Option<u64> {
    s.and_then(|s| s.parse::<u64>().ok())
}

fn check_amount_limit(p: PayType, amount: u64, field: &str) -> Result<(), Reply> {
    let ok = match p {
        PayType::Paypay | PayType::Rakuten | PayType::Au => (1..=9_999_999).contains(&amount),
        PayType::Docomo => (1..=99_999_999).contains(&amount),
        PayType::Merpay => (1..=1_000_000).contains(&amount),
    };
    if ok {
        Ok(())
    } else {
        Err(err_reply(
            "UA-REQ-001",
            Some(&format!("{field} is out of range for {}", p.as_str())),
        ))
    }
}

fn is_loopback_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn is_public_https_443(u: &url::Url) -> bool {
    if u.scheme() != "https" || u.port_or_known_default() != Some(443) {
        return false;
    }
    match u.host() {
        Some(url::Host::Domain(d)) => !d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => {
            !(ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified())
        }
        Some(url::Host::Ipv6(ip)) => {
            !(ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80)
        }
        None => false,
    }
}

fn check_push_url(policy: PushUrlPolicy, field: &str, url: Option<&str>) -> Result<(), Reply> {
    let Some(s) = url else { return Ok(()) };
    let Ok(u) = url::Url::parse(s) else {
        return Err(err_reply(
            "UA-REQ-001",
            Some(&format!("{field} must be a URL")),
        ));
    };
    let ok = match policy {
        PushUrlPolicy::Any => true,
        PushUrlPolicy::Strict => is_public_https_443(&u),
        PushUrlPolicy::RealOrLoopback => is_public_https_443(&u) || is_loopback_host(&u),
    };
    if ok {
        Ok(())
    } else {
        Err(err_reply(
            "UA-REQ-001",
            Some(&format!(
                "{field} must be https on port 443 and not a private address"
            )),
        ))
    }
}

/// splitmix64's output function.
fn splitmix_mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl State {
    pub(crate) fn new(
        faults: Vec<FaultRule>,
        random: Option<RandomFaults>,
        retention: Retention,
    ) -> State {
        let seed = random.as_ref().map_or(0, |r| r.seed);
        State {
            orders: HashMap::default(),
            by_fep_order: HashMap::default(),
            by_token: HashMap::default(),
            txs: HashMap::default(),
            lru: BTreeMap::new(),
            touch_seq: 0,
            orders_evicted: 0,
            idem: HashMap::default(),
            idem_order: VecDeque::new(),
            idem_seq: 0,
            effects: VecDeque::new(),
            effects_dropped: 0,
            webhooks: VecDeque::new(),
            webhooks_dropped: 0,
            retention: retention.normalized(),
            faults,
            random,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            id_rng: uuid::Uuid::new_v4().as_u64_pair().0,
            counter: 0,
        }
    }

    fn next_rand(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix_mix(self.rng)
    }

    /// The random part of identifiers: splitmix64 seeded once from the OS
    /// (one `getrandom` per simulator instead of one per identifier).
    fn next_id_rand(&mut self) -> u64 {
        self.id_rng = self.id_rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix_mix(self.id_rng)
    }

    /// A fresh identifier: 26 upper-case base-32 characters (ULID-like).
    fn new_id(&mut self) -> String {
        self.counter += 1;
        // `next_rand` is drawn as before, so the seeded fault sequence does
        // not depend on how identifiers are made.
        let mut x =
            (u128::from(self.counter) << 64) | u128::from(self.next_rand() ^ self.next_id_rand());
        const ALPHA: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut out = String::with_capacity(27);
        let mut buf = [0u8; 26];
        for c in buf.iter_mut().rev() {
            *c = ALPHA[(x & 31) as usize];
            x >>= 5;
        }
        out.extend(buf.iter().map(|&b| char::from(b)));
        out
    }

    /// A consumer-page token: a version-4 UUID (32 lower-case hex digits).
    fn new_token(&mut self) -> String {
        let hi = self.next_id_rand().to_le_bytes();
        let lo = self.next_id_rand().to_le_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi);
        bytes[8..].copy_from_slice(&lo);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .simple()
            .to_string()
    }

    // ---------------- retention ----------------

    /// Marks an order as just used (it becomes the last to be evicted).
    fn touch(&mut self, payment_id: &str, now: SystemTime) {
        let Some(o) = self.orders.get_mut(payment_id) else {
            return;
        };
        self.touch_seq += 1;
        let key = self
            .lru
            .remove(&o.touched)
            .unwrap_or_else(|| payment_id.to_owned());
        o.touched = self.touch_seq;
        o.touched_at = now;
        self.lru.insert(self.touch_seq, key);
    }

    /// Inserts a new order (replacing a failed one with the same paymentId,
    /// whose transactions it inherits) and marks it used.
    fn insert_order(&mut self, mut order: Order, now: SystemTime) {
        let pid = order.payment_id.clone();
        if let Some(old) = self.orders.remove(&pid) {
            self.lru.remove(&old.touched);
            self.by_fep_order.remove(&old.fep_order_id);
            if let Some(t) = &old.token {
                self.by_token.remove(t);
            }
            order.inherited_txs = old.inherited_txs;
            order.inherited_txs.extend(old.transactions);
        }
        self.by_fep_order
            .insert(order.fep_order_id.clone(), pid.clone());
        if let Some(t) = &order.token {
            self.by_token.insert(t.clone(), pid.clone());
        }
        self.orders.insert(pid.clone(), order);
        self.touch(&pid, now);
    }

    /// Forgets an order and everything only it refers to: its transactions,
    /// its consumer page, its fepOrderId. (Effects, webhook records and
    /// idempotency records have their own bounds.)
    fn evict(&mut self, payment_id: &str) {
        let Some(o) = self.orders.remove(payment_id) else {
            return;
        };
        self.lru.remove(&o.touched);
        self.by_fep_order.remove(&o.fep_order_id);
        if let Some(t) = &o.token {
            self.by_token.remove(t);
        }
        for id in o.transactions.iter().chain(&o.inherited_txs) {
            self.txs.remove(id);
        }
        self.orders_evicted += 1;
    }

    /// Applies the retention bounds: orders over `max_orders` or idle
    /// longer than `order_ttl` (least recently used first), idempotency
    /// records past their life or over `max_idempotency_records`.
    pub(crate) fn enforce_retention(&mut self, now: SystemTime) {
        while self.orders.len() > self.retention.max_orders {
            let Some((_, pid)) = self.lru.pop_first() else {
                break;
            };
            if let Some(o) = self.orders.get_mut(&pid) {
                // Already out of `lru`: make `evict` not remove a newer entry.
                o.touched = 0;
            }
            self.evict(&pid);
        }
        if let Some(ttl) = self.retention.order_ttl {
            while let Some((_, pid)) = self.lru.first_key_value() {
                let Some(o) = self.orders.get(pid) else {
                    // Not an order any more (cannot happen): drop the entry.
                    self.lru.pop_first();
                    continue;
                };
                if now.duration_since(o.touched_at).unwrap_or_default() < ttl {
                    break;
                }
                let pid = pid.clone();
                self.evict(&pid);
            }
        }
        self.sweep_idem(now);
    }

    /// What the simulator holds.
    pub(crate) fn stats(&self) -> SandboxStats {
        SandboxStats {
            orders: self.orders.len(),
            orders_evicted: self.orders_evicted,
            transactions: self.txs.len(),
            idempotency_records: self.idem.len(),
            effects: self.effects.len(),
            effects_dropped: self.effects_dropped,
            webhooks: self.webhooks.len(),
            webhooks_dropped: self.webhooks_dropped,
        }
    }

    /// The effect log (the kept entries, oldest first).
    pub(crate) fn effects(&self) -> Vec<Effect> {
        let first = self.effects_dropped + 1;
        self.effects
            .iter()
            .zip(first..)
            .map(|(e, seq)| e.to_effect(seq))
            .collect()
    }

    /// How many of the oldest effects were dropped.
    pub(crate) fn effects_dropped(&self) -> u64 {
        self.effects_dropped
    }

    /// The webhook records (the kept ones, oldest first).
    pub(crate) fn webhooks(&self) -> Vec<WebhookRecord> {
        self.webhooks.iter().cloned().collect()
    }

    /// How many of the oldest webhook records were dropped.
    pub(crate) fn webhooks_dropped(&self) -> u64 {
        self.webhooks_dropped
    }

    // ---------------- faults ----------------

    pub(crate) fn add_fault(&mut self, rule: FaultRule) {
        self.faults.push(rule);
    }

    pub(crate) fn clear_faults(&mut self) {
        self.faults.clear();
    }

    pub(crate) fn planned_faults(&self) -> Vec<FaultRule> {
        self.faults.clone()
    }

    /// The fault for this request, if any (consumes one count of a planned rule).
    pub(crate) fn take_fault(
        &mut self,
        command: Command,
        ident: Option<&str>,
    ) -> Option<FaultKind> {
        let pos = self.faults.iter().position(|r| {
            r.count > 0
                && r.command.as_deref().is_none_or(|c| c == command.as_str())
                && r.payment_id.as_deref().is_none_or(|p| Some(p) == ident)
        });
        if let Some(i) = pos {
            let kind = self.faults[i].fault;
            self.faults[i].count -= 1;
            if self.faults[i].count == 0 {
                self.faults.remove(i);
            }
            return Some(kind);
        }
        let (rate, kinds) = match &self.random {
            Some(r) if r.rate > 0.0 => (r.rate, r.kinds.clone()),
            _ => return None,
        };
        let draw = (self.next_rand() >> 11) as f64 / (1u64 << 53) as f64;
        if draw >= rate {
            return None;
        }
        let kinds = if kinds.is_empty() {
            FaultKind::ALL
                .iter()
                .copied()
                .filter(|k| *k != FaultKind::Delay)
                .collect()
        } else {
            kinds
        };
        let i = (self.next_rand() % kinds.len() as u64) as usize;
        Some(kinds[i])
    }

    // ---------------- idempotency ----------------

    pub(crate) fn idem_begin(
        &mut self,
        key: Option<&str>,
        command: Command,
        ident: &str,
        now: SystemTime,
    ) -> IdemDecision {
        let Some(key) = key else {
            return IdemDecision::Proceed(None);
        };
        let k = IdemKey {
            key: key.to_owned(),
            command,
            ident: ident.to_owned(),
        };
        match self.idem.get(&k) {
            Some(IdemEntry::Done { reply, at, .. })
                if now.duration_since(*at).unwrap_or_default() < IDEMPOTENCY_TTL =>
            {
                return IdemDecision::Replay(reply.clone());
            }
            Some(IdemEntry::InFlight { since, .. })
                if now.duration_since(*since).unwrap_or_default() < IDEMPOTENCY_TTL =>
            {
                return IdemDecision::InProcess;
            }
            _ => {}
        }
        self.idem_seq += 1;
        let seq = self.idem_seq;
        self.idem
            .insert(k.clone(), IdemEntry::InFlight { since: now, seq });
        self.idem_order.push_back((seq, k.clone()));
        self.sweep_idem(now);
        IdemDecision::Proceed(Some(k))
    }

    /// Records the answer of a request made with a key. (When its in-flight
    /// record was dropped meanwhile — only possible with a tiny
    /// `max_idempotency_records` — no record is made.)
    pub(crate) fn idem_finish(&mut self, key: Option<IdemKey>, reply: &Reply, now: SystemTime) {
        if let Some(k) = key {
            if let Some(e) = self.idem.get_mut(&k) {
                let seq = e.seq();
                *e = IdemEntry::Done {
                    reply: reply.clone(),
                    at: now,
                    seq,
                };
            }
        }
    }

    /// Drops idempotency records past their life (24 h) and the oldest over
    /// `max_idempotency_records`; amortized O(1) per request.
    fn sweep_idem(&mut self, now: SystemTime) {
        while let Some((seq, k)) = self.idem_order.front() {
            let drop_it = match self.idem.get(k) {
                // A record made again under the same key later: stale pair.
                Some(e) if e.seq() != *seq => None,
                Some(e) => Some(
                    self.idem.len() > self.retention.max_idempotency_records
                        || now.duration_since(e.at()).unwrap_or_default() >= IDEMPOTENCY_TTL,
                ),
                None => None,
            };
            match drop_it {
                Some(false) => break,
                Some(true) => {
                    if let Some((_, k)) = self.idem_order.pop_front() {
                        self.idem.remove(&k);
                    }
                }
                None => {
                    self.idem_order.pop_front();
                }
            }
        }
        if self.idem_order.len() > 2 * self.idem.len() + 1024 {
            let idem = &self.idem;
            self.idem_order
                .retain(|(seq, k)| idem.get(k).is_some_and(|e| e.seq() == *seq));
        }
    }

    // ---------------- inspection ----------------

    pub(crate) fn order(&self, payment_id: &str) -> Option<Order> {
        self.orders.get(payment_id).cloned()
    }

    // ---------------- processing ----------------

    fn find_order_id(&self, body: &Value, pid_path: &str, fep_path: &str) -> Option<String> {
        if let Some(p) = str_at(body, pid_path) {
            return self.orders.contains_key(p).then(|| p.to_owned());
        }
        str_at(body, fep_path).and_then(|f| self.by_fep_order.get(f).cloned())
    }

    #[allow(clippy::too_many_arguments)]
    fn record_effect(
        &mut self,
        ctx: &Ctx<'_>,
        command: Command,
        payment_id: &str,
        amount: Option<u64>,
        idem: Option<&IdemKey>,
        code: &'static str,
        fep_ref: &str,
    ) {
        self.effects.push_back(EffectRec {
            command,
            payment_id: payment_id.into(),
            amount,
            idempotency_key: idem.map(|k| k.key.as_str().into()),
            result_code: code,
            fep_reference_id: fep_ref.into(),
            at_unix_ms: unix_millis(ctx.now),
        });
        while self.effects.len() > self.retention.max_effects {
            self.effects.pop_front();
            self.effects_dropped += 1;
        }
    }

    /// Records a transaction, builds the API answer, and queues the webhook
    /// when the notification conditions say so.
    /// [`Self::finish_tx`], then — when `effect_code` is `Some` — records the
    /// applied effect under the new transaction's fepReferenceId. The one place
    /// where a follow-up command's answer and its effect-log entry are made.
    #[allow(clippy::too_many_arguments)]
    fn finish_and_record(
        &mut self,
        ctx: &Ctx<'_>,
        command: Command,
        payment_id: &str,
        (code, v_code): (&'static str, &'static str),
        amount: Option<u64>,
        keys: &Keys,
        push_url: Option<&str>,
        idem: Option<&IdemKey>,
        effect_code: Option<&'static str>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Reply {
        let reply = self.finish_tx(
            ctx, command, payment_id, code, v_code, amount, keys, push_url, jobs,
        );
        if let Some(effect_code) = effect_code {
            let fep = last_tx(&self.orders[payment_id]);
            self.record_effect(ctx, command, payment_id, amount, idem, effect_code, &fep);
        }
        reply
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_tx(
        &mut self,
        ctx: &Ctx<'_>,
        command: Command,
        payment_id: &str,
        code: &'static str,
        v_code: &'static str,
        amount: Option<u64>,
        keys: &Keys,
        push_url: Option<&str>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Reply {
        let fep_ref = format!("X{}", self.new_id());
        let Some(order) = self.orders.get(payment_id) else {
            return err_reply("UA-SYS-002", None);
        };
        let pay_type = order.pay_type;
        let name = command.notification_name().unwrap_or("");
        let (code, v) = if code == "-" {
            ("UA-000-001", tables::success_v_code(pay_type))
        } else {
            (code, v_code)
        };
        let tx = Tx {
            ident: Arc::clone(&order.ident),
            name,
            at: ctx.now,
            amount,
            keys: keys.boxed(),
            pending: code == "UA-U00-001",
            code,
            v_code: (v != "-").then_some(v),
        };
        if let Some(url) = push_url {
            if notifies(command, pay_type) {
                self.queue_webhook(url, &tx, &fep_ref, payment_id, jobs);
            }
        }
        let mut out = Vec::with_capacity(640);
        {
            let mut o = Obj::new(&mut out);
            tx.write_result(&mut o);
            tx.write_data(&mut o, &fep_ref, Control::Omit, true);
        }
        self.txs.insert(fep_ref.clone(), tx);
        if let Some(o) = self.orders.get_mut(payment_id) {
            o.transactions.push(fep_ref);
        }
        let status = ResultCode::from_code(code).http_status().unwrap_or(200);
        Reply {
            status,
            body: Bytes::from(out),
        }
    }

    /// Records a webhook (the transaction's result and data) and queues its
    /// delivery.
    fn queue_webhook(
        &mut self,
        url: &str,
        tx: &Tx,
        fep_ref: &str,
        payment_id: &str,
        jobs: &mut Vec<WebhookJob>,
    ) {
        let name = tx.name;
        let mut out = Vec::with_capacity(640);
        {
            let mut o = Obj::new(&mut out);
            tx.write_result(&mut o);
            tx.write_data(&mut o, fep_ref, Control::Sandbox, true);
        }
        let bytes = Bytes::from(out);
        let webhook_id = self.new_id();
        let index = self.webhooks_dropped + self.webhooks.len() as u64;
        self.webhooks.push_back(WebhookRecord {
            webhook_id: webhook_id.clone(),
            url: url.to_owned(),
            command: name.to_owned(),
            payment_id: payment_id.to_owned(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            state: DeliveryState::Pending,
            attempts: Vec::new(),
        });
        while self.webhooks.len() > self.retention.max_webhooks {
            self.webhooks.pop_front();
            self.webhooks_dropped += 1;
        }
        jobs.push(WebhookJob {
            index,
            url: url.to_owned(),
            webhook_id,
            body: bytes,
        });
    }

    /// Processes a validated command. `idem` is the in-flight key (for the effect log).
    pub(crate) fn process(
        &mut self,
        ctx: &Ctx<'_>,
        command: Command,
        body: &Value,
        idem: Option<&IdemKey>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Reply {
        // An order idle past `order_ttl` is gone before this request looks.
        self.enforce_retention(ctx.now);
        let r = match command {
            Command::Pay | Command::Subscribe => self.pay(ctx, command, body, idem),
            Command::UpdateOrder => self.update_order(ctx, body, idem, jobs),
            Command::Capture => self.capture(ctx, body, idem, jobs),
            Command::Cancel => self.cancel(ctx, body, idem, jobs),
            Command::Charge => self.charge(ctx, body, idem, jobs),
            Command::Terminate => self.terminate(ctx, body, idem, jobs),
            Command::GetTransactionResult => Ok(self.get_transaction_result(body)),
        };
        // Retention: the orders this request used become the most recently
        // used (pay/subscribe/charge orders were when they were inserted).
        let now = ctx.now;
        match command {
            Command::Pay | Command::Subscribe => {}
            Command::GetTransactionResult => {
                let pid = str_at(body, "transaction.fepReferenceId")
                    .and_then(|f| self.txs.get(f))
                    .map(|t| t.ident.payment_id.clone());
                if let Some(pid) = pid {
                    self.touch(&pid, now);
                }
            }
            Command::Charge => {
                let orig =
                    self.find_order_id(body, "order.originalPaymentId", "order.originalFepOrderId");
                if let Some(pid) = orig {
                    self.touch(&pid, now);
                }
            }
            _ => {
                if let Some(pid) = self.find_order_id(body, "order.paymentId", "order.fepOrderId") {
                    self.touch(&pid, now);
                }
            }
        }
        self.enforce_retention(now);
        r.unwrap_or_else(|e| e)
    }

    fn pay(
        &mut self,
        ctx: &Ctx<'_>,
        command: Command,
        body: &Value,
        idem: Option<&IdemKey>,
    ) -> Result<Reply, Reply> {
        let pay_type = str_at(body, "order.payType")
            .and_then(PayType::from_name)
            .ok_or_else(|| err_reply("UA-REQ-001", Some("order.payType")))?;
        if str_at(body, "control.requestMode") != Some("sandbox") {
            return Err(err_reply("UA-REQ-001", Some("control.requestMode must be sandbox in the sandbox environment (unset means live)")));
        }
        let payment_id = str_at(body, "order.paymentId")
            .unwrap_or_default()
            .to_owned();
        let amount = if command == Command::Pay {
            let a = parse_amount(str_at(body, "order.amount"))
                .ok_or_else(|| err_reply("UA-REQ-001", Some("order.amount")))?;
            check_amount_limit(pay_type, a, "order.amount")?;
            a
        } else {
            0
        };
        check_push_url(
            ctx.push_policy,
            "control.pushUrl",
            str_at(body, "control.pushUrl"),
        )?;
        check_push_url(
            ctx.push_policy,
            "control.deregistrationPushUrl",
            str_at(body, "control.deregistrationPushUrl"),
        )?;
        if let Some(o) = self.orders.get(&payment_id) {
            if o.state != OrderState::Failed {
                return Err(err_reply(
                    "UA-REQ-003",
                    Some("order.paymentId is already used"),
                ));
            }
        }
        let fep_order_id = format!("{payment_id}_{}", self.new_id());
        let token = self.new_token();
        let auth_with_capture = command == Command::Pay
            && str_at(body, "order.authCaptureType") == Some("auth_with_capture");
        let ident = Arc::new(TxIdent {
            pay_type,
            payment_id: payment_id.clone(),
            fep_order_id: fep_order_id.clone(),
            original: None,
        });
        let keys = Keys::from_body(body);
        // The transaction stays pending (UA-U00-001 for getTransactionResult)
        // until the consumer comes back; the API answer itself is a success.
        let fep_ref = format!("X{}", self.new_id());
        let tx = Tx {
            ident: Arc::clone(&ident),
            name: command.notification_name().unwrap_or(""),
            at: ctx.now,
            amount: (command == Command::Pay).then_some(amount),
            keys: keys.boxed(),
            pending: true,
            code: "UA-U00-001",
            v_code: None,
        };
        let redirect_url = format!("{}/consumer/{token}", ctx.root_url);
        let mut out = Vec::with_capacity(640);
        {
            let mut o = Obj::new(&mut out);
            write_result(
                &mut o,
                "result",
                "UA-000-001",
                Some(tables::success_v_code(pay_type)),
                None,
            );
            tx.write_data(&mut o, &fep_ref, Control::Redirect(&redirect_url), false);
        }
        let order = Order {
            payment_id: payment_id.clone(),
            fep_order_id,
            pay_type,
            kind: if command == Command::Pay {
                OrderKind::Single
            } else {
                OrderKind::Original
            },
            state: OrderState::AwaitingConsumer,
            auth_with_capture,
            amount,
            captured: 0,
            balance: 0,
            app_method: str_at(body, "paymentInstrument.au.paymentAuthenticationType")
                == Some("app_method"),
            transactions: vec![fep_ref.clone()],
            item_name: body
                .get("item")
                .and_then(|i| i.get(0))
                .and_then(|i| i.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            success_url: str_at(body, "control.successUrl")
                .unwrap_or_default()
                .to_owned(),
            cancel_url: str_at(body, "control.cancelUrl").map(str::to_owned),
            error_url: str_at(body, "control.errorUrl")
                .unwrap_or_default()
                .to_owned(),
            push_url: str_at(body, "control.pushUrl").map(str::to_owned),
            dereg_push_url: str_at(body, "control.deregistrationPushUrl").map(str::to_owned),
            keys,
            token: Some(token),
            final_redirect: None,
            ident,
            inherited_txs: Vec::new(),
            touched: 0,
            touched_at: ctx.now,
        };
        self.insert_order(order, ctx.now);
        self.txs.insert(fep_ref.clone(), tx);
        self.record_effect(
            ctx,
            command,
            &payment_id,
            (command == Command::Pay).then_some(amount),
            idem,
            "UA-000-001",
            &fep_ref,
        );
        Ok(Reply {
            status: 200,
            body: Bytes::from(out),
        })
    }

    fn target(&self, body: &Value) -> Result<String, Reply> {
        self.find_order_id(body, "order.paymentId", "order.fepOrderId")
            .ok_or_else(|| {
                err_reply(
                    "UA-REQ-900",
                    Some("no order matches order.paymentId / order.fepOrderId"),
                )
            })
    }

    fn update_order(
        &mut self,
        ctx: &Ctx<'_>,
        body: &Value,
        idem: Option<&IdemKey>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Reply, Reply> {
        let pid = self.target(body)?;
        let o = &self.orders[&pid];
        let single = o.kind == OrderKind::Single;
        let supported = match o.pay_type {
            PayType::Rakuten => true,
            PayType::Au => single,
            _ => false,
        };
        if !supported {
            return Err(err_reply(
                "UA-REQ-001",
                Some(&format!(
                    "updateOrder is not available for payType {}{}",
                    o.pay_type.as_str(),
                    if o.pay_type == PayType::Au {
                        " On-Demand orders"
                    } else {
                        ""
                    }
                )),
            ));
        }
        if o.state != OrderState::Authorized || o.auth_with_capture {
            return Err(err_reply(
                "UA-REQ-007",
                Some("updateOrder needs an authorized, not captured order"),
            ));
        }
        let new_amount = parse_amount(str_at(body, "order.amount"));
        let extend = str_at(body, "order.authExtensionType") == Some("extend")
            && o.pay_type == PayType::Rakuten;
        if let Some(a) = new_amount {
            check_amount_limit(o.pay_type, a, "order.amount")?;
        }
        let stage = match (extend, new_amount.is_some()) {
            (true, true) => Stage::UpdateExtensionAndAmount,
            (true, false) => Stage::UpdateExtension,
            (false, true) => Stage::UpdateAmount,
            (false, false) => {
                return Err(err_reply(
                    "UA-REQ-001",
                    Some("order.amount or order.authExtensionType=extend is required"),
                ))
            }
        };
        let digit_amount = new_amount.unwrap_or(o.amount);
        let pay_type = o.pay_type;
        let cell = tables::by_digit(pay_type, stage, amount_digit(digit_amount));
        let (code, v) = cell.map_or(("UA-000-001", tables::success_v_code(pay_type)), |c| {
            (c.result_code, c.v_result_code)
        });
        let success = code == "UA-000-001" || code == "-";
        let keys = Keys::from_body(body);
        let push = str_at(body, "control.pushUrl").map(str::to_owned);
        check_push_url(ctx.push_policy, "control.pushUrl", push.as_deref())?;
        if success {
            if let (Some(a), Some(o)) = (new_amount, self.orders.get_mut(&pid)) {
                o.amount = a;
            }
        }
        let amount = self.orders[&pid].amount;
        Ok(self.finish_and_record(
            ctx,
            Command::UpdateOrder,
            &pid,
            (code, v),
            Some(amount),
            &keys,
            push.as_deref(),
            idem,
            success.then_some("UA-000-001"),
            jobs,
        ))
    }

    fn capture(
        &mut self,
        ctx: &Ctx<'_>,
        body: &Value,
        idem: Option<&IdemKey>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Reply, Reply> {
        let pid = self.target(body)?;
        let o = &self.orders[&pid];
        if o.state != OrderState::Authorized {
            return Err(err_reply(
                "UA-REQ-007",
                Some("capture needs an authorized, not yet captured order"),
            ));
        }
        let partial_allowed = matches!(
            o.pay_type,
            PayType::Paypay | PayType::Rakuten | PayType::Merpay
        );
        let requested = if partial_allowed {
            parse_amount(str_at(body, "order.amount"))
        } else {
            None
        };
        let amount = requested.unwrap_or(o.amount);
        if amount == 0 || amount > o.amount {
            return Err(err_reply(
                "UA-REQ-001",
                Some("order.amount exceeds the authorized amount"),
            ));
        }
        let stage = if o.pay_type == PayType::Rakuten && amount < o.amount {
            Stage::CapturePartial
        } else {
            Stage::Capture
        };
        let pay_type = o.pay_type;
        let push = str_at(body, "control.pushUrl").map(str::to_owned);
        check_push_url(ctx.push_policy, "control.pushUrl", push.as_deref())?;
        let cell = tables::by_digit(pay_type, stage, amount_digit(amount));
        let (code, v) = cell.map_or(("UA-000-001", tables::success_v_code(pay_type)), |c| {
            (c.result_code, c.v_result_code)
        });
        let success = code == "UA-000-001" || code == "-";
        if success {
            if let Some(o) = self.orders.get_mut(&pid) {
                o.state = OrderState::Captured;
                o.captured = amount;
                o.balance = amount;
            }
        }
        let keys = Keys::from_body(body);
        Ok(self.finish_and_record(
            ctx,
            Command::Capture,
            &pid,
            (code, v),
            Some(amount),
            &keys,
            push.as_deref(),
            idem,
            success.then_some("UA-000-001"),
            jobs,
        ))
    }

    fn cancel(
        &mut self,
        ctx: &Ctx<'_>,
        body: &Value,
        idem: Option<&IdemKey>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Reply, Reply> {
        let pid = self.target(body)?;
        let o = &self.orders[&pid];
        let requested = parse_amount(str_at(body, "order.amount"));
        let (amount, stage, before_capture) = match o.state {
            OrderState::Authorized => {
                if requested.is_some_and(|a| a != o.amount) {
                    return Err(err_reply(
                        "UA-REQ-001",
                        Some("only the full amount can be cancelled before capture"),
                    ));
                }
                let st = if o.pay_type == PayType::Merpay {
                    Stage::CancelBeforeCapture
                } else {
                    Stage::Cancel
                };
                (o.amount, st, true)
            }
            OrderState::Captured => {
                let a = requested.unwrap_or(o.balance);
                if a == 0 || a > o.balance {
                    return Err(err_reply(
                        "UA-REQ-001",
                        Some("order.amount exceeds the balance"),
                    ));
                }
                if a < o.balance && o.pay_type == PayType::Docomo && o.kind != OrderKind::Single {
                    return Err(err_reply(
                        "UA-REQ-001",
                        Some("partial refunds of d Payment are possible for Single Payment only"),
                    ));
                }
                (a, Stage::Cancel, false)
            }
            _ => {
                return Err(err_reply(
                    "UA-REQ-007",
                    Some("cancel needs an authorized or captured order with a balance"),
                ))
            }
        };
        let pay_type = o.pay_type;
        let push = str_at(body, "control.pushUrl").map(str::to_owned);
        check_push_url(ctx.push_policy, "control.pushUrl", push.as_deref())?;
        let cell = tables::by_digit(pay_type, stage, amount_digit(amount));
        let (code, v) = cell.map_or(("UA-000-001", tables::success_v_code(pay_type)), |c| {
            (c.result_code, c.v_result_code)
        });
        let success = code == "UA-000-001" || code == "-";
        if success {
            if let Some(o) = self.orders.get_mut(&pid) {
                if before_capture {
                    o.state = OrderState::Canceled;
                } else {
                    o.balance -= amount;
                    if o.balance == 0 {
                        o.state = OrderState::Canceled;
                    }
                }
            }
        }
        let keys = Keys::from_body(body);
        Ok(self.finish_and_record(
            ctx,
            Command::Cancel,
            &pid,
            (code, v),
            Some(amount),
            &keys,
            push.as_deref(),
            idem,
            success.then_some("UA-000-001"),
            jobs,
        ))
    }

    fn charge(
        &mut self,
        ctx: &Ctx<'_>,
        body: &Value,
        idem: Option<&IdemKey>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Reply, Reply> {
        let orig = self
            .find_order_id(body, "order.originalPaymentId", "order.originalFepOrderId")
            .ok_or_else(|| err_reply("UA-REQ-900", Some("no original order matches order.originalPaymentId / order.originalFepOrderId")))?;
        let o = &self.orders[&orig];
        if o.kind != OrderKind::Original || o.state != OrderState::Subscribed {
            return Err(err_reply(
                "UA-REQ-007",
                Some("charge needs an original order with an active contract"),
            ));
        }
        let pay_type = o.pay_type;
        let orig_fep = o.fep_order_id.clone();
        let urls = (
            o.success_url.clone(),
            o.cancel_url.clone(),
            o.error_url.clone(),
        );
        let payment_id = str_at(body, "order.paymentId")
            .unwrap_or_default()
            .to_owned();
        let amount = parse_amount(str_at(body, "order.amount"))
            .ok_or_else(|| err_reply("UA-REQ-001", Some("order.amount")))?;
        check_amount_limit(pay_type, amount, "order.amount")?;
        let auth_with_capture = str_at(body, "order.authCaptureType") == Some("auth_with_capture");
        if pay_type == PayType::Paypay && !auth_with_capture {
            return Err(err_reply(
                "UA-REQ-001",
                Some("order.authCaptureType must be auth_with_capture for paypay"),
            ));
        }
        let recovery = pay_type == PayType::Paypay
            && str_at(body, "protocol.recoveryType") == Some("recovery");
        if let Some(s) =
            str_at(body, "protocol.recoveryExpiredDatetime").filter(|_| pay_type == PayType::Paypay)
        {
            if !recovery {
                return Err(err_reply(
                    "UA-REQ-001",
                    Some("protocol.recoveryExpiredDatetime needs protocol.recoveryType=recovery"),
                ));
            }
            let t = parse_jst(s)
                .ok_or_else(|| err_reply("UA-REQ-001", Some("protocol.recoveryExpiredDatetime")))?;
            let lo = ctx.now + Duration::from_secs(600);
            let hi = ctx.now + Duration::from_secs(48 * 3600);
            // The value has a one-second resolution: compare on whole seconds.
            let secs = |x: SystemTime| crate::clock::unix_secs(x);
            if secs(t) < secs(lo) || secs(t) > secs(hi) {
                return Err(err_reply("UA-REQ-001", Some("protocol.recoveryExpiredDatetime must be 10 minutes to 48 hours after the request")));
            }
        }
        let push = str_at(body, "control.pushUrl").map(str::to_owned);
        check_push_url(ctx.push_policy, "control.pushUrl", push.as_deref())?;
        if let Some(existing) = self.orders.get(&payment_id) {
            if existing.state != OrderState::Failed {
                return Err(err_reply(
                    "UA-REQ-003",
                    Some("order.paymentId is already used"),
                ));
            }
        }
        let stage = if recovery && amount_digit(amount) == 5 {
            Stage::ChargeRecovery
        } else {
            Stage::Charge
        };
        let cell = tables::by_digit(pay_type, stage, amount_digit(amount));
        let (code, v) = cell.map_or(("UA-000-001", tables::success_v_code(pay_type)), |c| {
            (c.result_code, c.v_result_code)
        });
        let success = code == "UA-000-001" || code == "-";
        let state = if success {
            if auth_with_capture {
                OrderState::Captured
            } else {
                OrderState::Authorized
            }
        } else if code == "UA-U00-001" {
            OrderState::UserPaying
        } else {
            OrderState::Failed
        };
        let fep_order_id = format!("{payment_id}_{}", self.new_id());
        let captured = if success && auth_with_capture {
            amount
        } else {
            0
        };
        let ident = Arc::new(TxIdent {
            pay_type,
            payment_id: payment_id.clone(),
            fep_order_id: fep_order_id.clone(),
            original: Some((orig.clone(), orig_fep.clone())),
        });
        let keys = Keys::from_body(body);
        self.insert_order(
            Order {
                payment_id: payment_id.clone(),
                fep_order_id,
                pay_type,
                kind: OrderKind::Charge {
                    original_payment_id: orig.clone(),
                    original_fep_order_id: orig_fep,
                },
                state,
                auth_with_capture,
                amount,
                captured,
                balance: captured,
                app_method: false,
                transactions: Vec::new(),
                item_name: None,
                success_url: urls.0,
                cancel_url: urls.1,
                error_url: urls.2,
                push_url: push.clone(),
                dereg_push_url: None,
                keys: keys.clone(),
                token: None,
                final_redirect: None,
                ident,
                inherited_txs: Vec::new(),
                touched: 0,
                touched_at: ctx.now,
            },
            ctx.now,
        );
        Ok(self.finish_and_record(
            ctx,
            Command::Charge,
            &payment_id,
            (code, v),
            Some(amount),
            &keys,
            push.as_deref(),
            idem,
            (success || state == OrderState::UserPaying).then_some(code),
            jobs,
        ))
    }

    fn terminate(
        &mut self,
        ctx: &Ctx<'_>,
        body: &Value,
        idem: Option<&IdemKey>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Reply, Reply> {
        let pid = self.target(body)?;
        let o = &self.orders[&pid];
        if o.pay_type == PayType::Rakuten {
            return Err(err_reply(
                "UA-REQ-001",
                Some("terminate is not available for payType rakuten"),
            ));
        }
        if o.kind != OrderKind::Original || o.state != OrderState::Subscribed {
            return Err(err_reply(
                "UA-REQ-007",
                Some("terminate needs an original order with an active contract"),
            ));
        }
        let pay_type = o.pay_type;
        let push = str_at(body, "control.pushUrl").map(str::to_owned);
        check_push_url(ctx.push_policy, "control.pushUrl", push.as_deref())?;
        if let Some(o) = self.orders.get_mut(&pid) {
            o.state = OrderState::Terminated;
        }
        let keys = Keys::from_body(body);
        Ok(self.finish_and_record(
            ctx,
            Command::Terminate,
            &pid,
            ("UA-000-001", tables::success_v_code(pay_type)),
            None,
            &keys,
            push.as_deref(),
            idem,
            Some("UA-000-001"),
            jobs,
        ))
    }

    fn get_transaction_result(&self, body: &Value) -> Reply {
        let id = str_at(body, "transaction.fepReferenceId").unwrap_or_default();
        let Some(tx) = self.txs.get(id) else {
            return err_reply(
                "UA-REQ-900",
                Some("no transaction matches transaction.fepReferenceId"),
            );
        };
        let mut out = Vec::with_capacity(640);
        {
            let mut o = Obj::new(&mut out);
            if tx.pending {
                write_result(&mut o, "result", "UA-U00-001", None, None);
            } else {
                tx.write_result(&mut o);
                tx.write_data(&mut o.obj("transactionData"), id, Control::Sandbox, true);
            }
        }
        Reply {
            status: 200,
            body: Bytes::from(out),
        }
    }

    // ---------------- consumer step ----------------

    /// The consumer opened the redirect URL with an optional choice.
    pub(crate) fn consumer(
        &mut self,
        ctx: &Ctx<'_>,
        ccid: &str,
        key: &vt4g::Secret,
        token: &str,
        choice: Option<&str>,
        jobs: &mut Vec<WebhookJob>,
    ) -> ConsumerOutcome {
        self.enforce_retention(ctx.now);
        let Some(pid) = self.by_token.get(token).cloned() else {
            return ConsumerOutcome::Page(404, "Unknown or expired payment page.".into());
        };
        self.touch(&pid, ctx.now);
        let o = &self.orders[&pid];
        if let Some(f) = o.final_redirect {
            return match redirect_location(o, ccid, key, f) {
                Ok(loc) => ConsumerOutcome::Redirect(loc),
                Err(e) => ConsumerOutcome::Page(500, e),
            };
        }
        if o.state != OrderState::AwaitingConsumer {
            return ConsumerOutcome::Page(409, "This payment is already finished.".into());
        }
        let command = if o.kind == OrderKind::Single {
            Command::Pay
        } else {
            Command::Subscribe
        };
        let choice_stage = if command == Command::Pay {
            Stage::PayChoice
        } else {
            Stage::SubscribeChoice
        };
        let pay_type = o.pay_type;
        let offered = tables::choices(pay_type, choice_stage);
        let choice = choice.unwrap_or(if pay_type == PayType::Au && o.app_method {
            "app_success"
        } else {
            "success"
        });
        let cell = tables::by_choice(pay_type, choice_stage, choice);
        let (mut code, mut v, landing) = match cell {
            Some(c) => (c.result_code, c.v_result_code, c.landing),
            None if choice == "success" && offered.is_empty() => (
                "UA-000-001",
                tables::success_v_code(pay_type),
                Landing::Redirect,
            ),
            None => {
                let list = if offered.is_empty() {
                    "success".to_owned()
                } else {
                    offered.join(", ")
                };
                return ConsumerOutcome::Page(
                    400,
                    format!("Unknown choice {choice:?}; this page offers: {list}"),
                );
            }
        };
        if landing == Landing::StayOnProviderPage {
            return ConsumerOutcome::Page(
                200,
                format!("Payment Details Confirmation (sandbox): {choice} ({v}). Choose again."),
            );
        }
        // The consumer proceeded: the provider's verdict is the amount table
        // (pay) or the item-name table (Rakuten subscribe).
        if code == "UA-000-001" {
            let verdict = if command == Command::Pay {
                tables::by_digit(pay_type, Stage::Pay, amount_digit(o.amount))
            } else if pay_type == PayType::Rakuten {
                tables::by_item_name(pay_type, o.item_name.as_deref())
            } else {
                None
            };
            if let Some(c) = verdict {
                if c.result_code != "UA-000-001" {
                    code = c.result_code;
                    v = c.v_result_code;
                }
            }
        }
        if landing == Landing::RedirectFailsPending {
            return ConsumerOutcome::Page(200, "The redirect from the provider app failed (sandbox). getTransactionResult answers UA-U00-001.".into());
        }
        let success = code == "UA-000-001";
        let fep_ref = o.transactions.first().cloned().unwrap_or_default();
        let auth_with_capture = o.auth_with_capture;
        let amount = o.amount;
        let push = o.push_url.clone();
        let n_keys = usize::from(o.keys.mrk1.is_some()) + usize::from(o.keys.mrk2.is_some());
        if let Some(o) = self.orders.get_mut(&pid) {
            o.state = match (success, command, auth_with_capture) {
                (false, _, _) => OrderState::Failed,
                (true, Command::Subscribe, _) => OrderState::Subscribed,
                (true, _, true) => OrderState::Captured,
                (true, _, false) => OrderState::Authorized,
            };
            if success && auth_with_capture && command == Command::Pay {
                o.captured = amount;
                o.balance = amount;
            }
        }
        let v_opt = (v != "-").then_some(v);
        if let Some(tx) = self.txs.get_mut(&fep_ref) {
            tx.pending = false;
            tx.code = code;
            tx.v_code = v_opt;
            tx.at = ctx.now;
            let tx = tx.clone();
            if success {
                if let Some(url) = push {
                    self.queue_webhook(&url, &tx, &fep_ref, &pid, jobs);
                }
            }
        }
        if landing == Landing::RedirectFailsFinalized {
            return ConsumerOutcome::Page(
                200,
                "The redirect back to the merchant failed (sandbox); the result was notified."
                    .into(),
            );
        }
        // The rotation is drawn as before (one draw, modulo the number of
        // parameters), so seeded sequences do not change.
        let n_params = 7 + n_keys;
        let rot = (self.next_rand() % n_params as u64) as u8;
        let f = FinalRedirect { code, rot };
        let Some(o) = self.orders.get_mut(&pid) else {
            return ConsumerOutcome::Page(404, "Unknown or expired payment page.".into());
        };
        o.final_redirect = Some(f);
        match redirect_location(o, ccid, key, f) {
            Ok(loc) => ConsumerOutcome::Redirect(loc),
            Err(e) => ConsumerOutcome::Page(500, e),
        }
    }

    // ---------------- admin actions ----------------

    /// The provider deregisters an original order's contract.
    pub(crate) fn deregister(
        &mut self,
        ctx: &Ctx<'_>,
        payment_id: &str,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Value, (u16, String)> {
        self.enforce_retention(ctx.now);
        let o = self
            .orders
            .get(payment_id)
            .ok_or((404, format!("no order {payment_id:?}")))?;
        if o.pay_type == PayType::Rakuten {
            return Err((
                400,
                "Rakuten Pay sends no deregistration notification".into(),
            ));
        }
        if o.kind != OrderKind::Original || o.state != OrderState::Subscribed {
            return Err((
                409,
                "only an original order with an active contract can be deregistered".into(),
            ));
        }
        let url = o.dereg_push_url.clone().or_else(|| o.push_url.clone());
        let pay_type = o.pay_type;
        let ident = Arc::clone(&o.ident);
        let fep_ref = format!("X{}", self.new_id());
        let tx = Tx {
            ident,
            name: "deregistration",
            at: ctx.now,
            amount: None,
            keys: None,
            pending: false,
            code: "UA-000-001",
            v_code: Some(tables::success_v_code(pay_type)),
        };
        if let Some(o) = self.orders.get_mut(payment_id) {
            o.state = OrderState::Deregistered;
            o.transactions.push(fep_ref.clone());
        }
        if let Some(url) = url {
            self.queue_webhook(&url, &tx, &fep_ref, payment_id, jobs);
        }
        self.txs.insert(fep_ref.clone(), tx);
        self.touch(payment_id, ctx.now);
        Ok(json!({"paymentId": payment_id, "fepReferenceId": fep_ref, "state": "deregistered"}))
    }

    /// The consumer completes a PayPay charge that answered UA-U00-001.
    pub(crate) fn complete_user_paying(
        &mut self,
        ctx: &Ctx<'_>,
        payment_id: &str,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Value, (u16, String)> {
        self.enforce_retention(ctx.now);
        let o = self
            .orders
            .get(payment_id)
            .ok_or((404, format!("no order {payment_id:?}")))?;
        if o.state != OrderState::UserPaying {
            return Err((
                409,
                "the order is not waiting for the consumer (UA-U00-001)".into(),
            ));
        }
        let fep_ref = last_tx(o);
        let pay_type = o.pay_type;
        let push = o.push_url.clone();
        let amount = o.amount;
        let awc = o.auth_with_capture;
        if let Some(o) = self.orders.get_mut(payment_id) {
            o.state = if awc {
                OrderState::Captured
            } else {
                OrderState::Authorized
            };
            if awc {
                o.captured = amount;
                o.balance = amount;
            }
        }
        let mut done = None;
        if let Some(tx) = self.txs.get_mut(&fep_ref) {
            tx.pending = false;
            tx.code = "UA-000-001";
            tx.v_code = Some(tables::success_v_code(pay_type));
            tx.at = ctx.now;
            done = Some(tx.clone());
        }
        if let (Some(url), Some(tx)) = (push, done) {
            self.queue_webhook(&url, &tx, &fep_ref, payment_id, jobs);
        }
        self.touch(payment_id, ctx.now);
        Ok(json!({"paymentId": payment_id, "fepReferenceId": fep_ref, "resultCode": "UA-000-001"}))
    }

    /// Records a delivery attempt of webhook number `index` (nothing when
    /// its record was dropped meanwhile).
    pub(crate) fn webhook_attempt(
        &mut self,
        index: u64,
        attempt: DeliveryAttempt,
        state: Option<DeliveryState>,
    ) {
        let Some(i) = index
            .checked_sub(self.webhooks_dropped)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return;
        };
        if let Some(w) = self.webhooks.get_mut(i) {
            w.attempts.push(attempt);
            if let Some(s) = state {
                w.state = s;
            }
        }
    }
}

fn last_tx(o: &Order) -> String {
    o.transactions.last().cloned().unwrap_or_default()
}

/// The reference's notification conditions table (pay/subscribe: only on the
/// consumer's success, handled in the consumer step).
fn notifies(command: Command, p: PayType) -> bool {
    match command {
        Command::UpdateOrder => matches!(p, PayType::Rakuten | PayType::Au),
        Command::Terminate => p != PayType::Rakuten,
        Command::Capture | Command::Cancel | Command::Charge => true,
        Command::Pay | Command::Subscribe | Command::GetTransactionResult => false,
    }
}

/// How a consumer step ends.
pub(crate) enum ConsumerOutcome {
    /// 302 to this Location.
    Redirect(String),
    /// A page with this status and text.
    Page(u16, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(policy: PushUrlPolicy, url: &str) -> bool {
        check_push_url(policy, "control.pushUrl", Some(url)).is_ok()
    }

    #[test]
    fn push_url_policies() {
        use PushUrlPolicy::*;
        for p in [Strict, RealOrLoopback, Any] {
            assert!(allowed(p, "https://merchant.example/hook"), "{p:?}");
        }
        assert!(!allowed(Strict, "http://127.0.0.1:8080/hook"));
        assert!(!allowed(Strict, "https://merchant.example:8443/hook"));
        assert!(!allowed(Strict, "https://10.0.0.1/hook"));
        assert!(!allowed(Strict, "https://192.168.1.1/hook"));
        assert!(allowed(RealOrLoopback, "http://127.0.0.1:8080/hook"));
        assert!(allowed(RealOrLoopback, "http://localhost:1/hook"));
        assert!(allowed(RealOrLoopback, "http://[::1]:9/hook"));
        assert!(!allowed(RealOrLoopback, "http://merchant.example/hook"));
        assert!(!allowed(RealOrLoopback, "https://10.0.0.1/hook"));
        assert!(allowed(Any, "http://merchant.example:8080/hook"));
    }

    fn result_block(code: &str, v: Option<&str>, message: Option<&str>) -> Value {
        let mut out = Vec::new();
        write_result(&mut Obj::new(&mut out), "result", code, v, message);
        let mut v: Value = serde_json::from_slice(&out).unwrap();
        v["result"].take()
    }

    #[test]
    fn result_blocks_follow_the_result_code_table() {
        let b = result_block("UA-PRV-001", Some("1GD1"), None);
        assert_eq!(b["status"], "failure");
        assert_eq!(b["actionCode"], "retry_request");
        assert_eq!(b["vResultCode"], "1GD1");
        assert_eq!(error("UA-REQ-008", None).status, 401);
        assert_eq!(error("UA-PRV-999", None).status, 503);
        assert_eq!(result_block("UA-SYS-003", None, None)["status"], "error");
        let m = result_block("UA-REQ-001", None, Some("order.amount"));
        assert!(m["message"].as_str().unwrap().ends_with(": order.amount"));
        assert!(m.get("vResultCode").is_none());
    }

    fn pay_body(pid: &str) -> Value {
        json!({
            "order": {"payType": "paypay", "paymentId": pid, "amount": "1000"},
            "control": {
                "requestMode": "sandbox",
                "successUrl": "https://merchant.example/success",
                "cancelUrl": "https://merchant.example/cancel",
                "errorUrl": "https://merchant.example/error",
            },
        })
    }

    #[test]
    fn every_index_is_bounded_by_the_order_capacity() {
        let cap = 5;
        let mut st = State::new(
            Vec::new(),
            None,
            Retention {
                max_orders: cap,
                ..Retention::default()
            },
        );
        let ctx = Ctx {
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000),
            root_url: "http://127.0.0.1:1",
            push_policy: PushUrlPolicy::default(),
        };
        let key = vt4g::Secret::new(crate::DEFAULT_AUTH_KEY);
        let mut jobs = Vec::new();
        for i in 0..50 {
            let pid = format!("u-{i}");
            let r = st.process(&ctx, Command::Pay, &pay_body(&pid), None, &mut jobs);
            assert_eq!(r.status, 200);
            if i % 2 == 0 {
                // A failed order whose paymentId is used again: the new order
                // inherits the old transaction, and evicts it with itself.
                if let Some(o) = st.orders.get_mut(&pid) {
                    o.state = OrderState::Failed;
                }
                let r = st.process(&ctx, Command::Pay, &pay_body(&pid), None, &mut jobs);
                assert_eq!(r.status, 200);
                assert_eq!(st.orders[&pid].inherited_txs.len(), 1);
            }
            let token = st.orders[&pid].token.clone().unwrap();
            let out = st.consumer(&ctx, crate::DEFAULT_CCID, &key, &token, None, &mut jobs);
            assert!(matches!(out, ConsumerOutcome::Redirect(_)));
            let body = json!({"order": {"paymentId": pid}});
            let r = st.process(&ctx, Command::Capture, &body, None, &mut jobs);
            assert_eq!(r.status, 200);
            assert!(st.orders.len() <= cap);
            assert_eq!(st.by_fep_order.len(), st.orders.len());
            assert_eq!(st.by_token.len(), st.orders.len());
            assert_eq!(st.lru.len(), st.orders.len());
            let kept_txs: usize = st
                .orders
                .values()
                .map(|o| o.transactions.len() + o.inherited_txs.len())
                .sum();
            assert_eq!(st.txs.len(), kept_txs);
            assert!(st.txs.len() <= 3 * cap);
        }
        assert_eq!(st.orders_evicted, 45);
    }

    #[test]
    fn tokens_are_v4_uuids() {
        let mut st = State::new(Vec::new(), None, Retention::default());
        let t = st.new_token();
        assert_eq!(t.len(), 32);
        let u = uuid::Uuid::parse_str(&t).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_ne!(t, st.new_token());
    }

    #[test]
    fn ids_are_unique_and_in_the_allowed_charset() {
        let mut st = State::new(Vec::new(), None, Retention::default());
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let id = st.new_id();
            assert_eq!(id.len(), 26);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(seen.insert(id));
        }
    }
}
