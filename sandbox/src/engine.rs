//! The simulator's state and the processing of commands, consumer steps and
//! admin actions. Everything here runs synchronously under one mutex; no lock
//! is held across an `.await`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Map, Value};
use vt4g::result_code::ResultCode;
use vt4g::{Command, PayType};

use crate::clock::{format_jst, parse_jst, unix_millis};
use crate::config::{FaultKind, FaultRule, PushUrlPolicy, RandomFaults};
use crate::tables::{self, Landing, Stage};
use crate::validate::str_at;

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
    pub index: usize,
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
    pub(crate) final_redirect: Option<String>,
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
        let g = |k: &str| str_at(body, &format!("transaction.{k}")).map(str::to_owned);
        Keys {
            mrk1: g("merchantRequestKey1"),
            mrk2: g("merchantRequestKey2"),
            md1: g("metadata1"),
            md2: g("metadata2"),
        }
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

#[derive(Debug, Clone)]
struct Tx {
    pending: bool,
    result: Value,
    data: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IdemKey {
    key: String,
    command: Command,
    ident: String,
}

#[derive(Debug, Clone)]
enum IdemEntry {
    InFlight { since: SystemTime },
    Done { reply: Reply, at: SystemTime },
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
    idem: HashMap<IdemKey, IdemEntry>,
    pub(crate) effects: Vec<Effect>,
    pub(crate) webhooks: Vec<WebhookRecord>,
    faults: Vec<FaultRule>,
    random: Option<RandomFaults>,
    rng: u64,
    counter: u64,
    idem_sweep_at: usize,
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
    let body = json!({ "result": result_block(code, None, message) });
    Reply {
        status,
        body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
    }
}

/// The `result` block for a code.
pub(crate) fn result_block(code: &str, v_code: Option<&str>, message: Option<&str>) -> Value {
    let rc = ResultCode::from_code(code);
    let mut m = Map::new();
    m.insert(
        "status".into(),
        json!(rc
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "error".into())),
    );
    m.insert(
        "actionCode".into(),
        json!(rc
            .action_code()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default()),
    );
    m.insert("resultCode".into(), json!(code));
    let msg = match message {
        Some(extra) => format!("{}: {extra}", rc.description().unwrap_or("Error")),
        None => rc.description().unwrap_or("").to_owned(),
    };
    m.insert("message".into(), json!(msg));
    if let Some(v) = v_code {
        m.insert("vResultCode".into(), json!(v));
    }
    Value::Object(m)
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

impl State {
    pub(crate) fn new(faults: Vec<FaultRule>, random: Option<RandomFaults>) -> State {
        let seed = random.as_ref().map_or(0, |r| r.seed);
        State {
            orders: HashMap::new(),
            by_fep_order: HashMap::new(),
            by_token: HashMap::new(),
            txs: HashMap::new(),
            idem: HashMap::new(),
            effects: Vec::new(),
            webhooks: Vec::new(),
            faults,
            random,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            counter: 0,
            idem_sweep_at: 0,
        }
    }

    fn next_rand(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A fresh identifier: 26 upper-case base-32 characters (ULID-like).
    fn new_id(&mut self) -> String {
        self.counter += 1;
        let mut x = (u128::from(self.counter) << 64)
            | u128::from(self.next_rand() ^ uuid::Uuid::new_v4().as_u64_pair().0);
        const ALPHA: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut out = [0u8; 26];
        for c in out.iter_mut().rev() {
            *c = ALPHA[(x & 31) as usize];
            x >>= 5;
        }
        String::from_utf8_lossy(&out).into_owned()
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
        self.sweep_idem(now);
        let k = IdemKey {
            key: key.to_owned(),
            command,
            ident: ident.to_owned(),
        };
        match self.idem.get(&k) {
            Some(IdemEntry::Done { reply, at })
                if now.duration_since(*at).unwrap_or_default() < IDEMPOTENCY_TTL =>
            {
                return IdemDecision::Replay(reply.clone());
            }
            Some(IdemEntry::InFlight { since })
                if now.duration_since(*since).unwrap_or_default() < IDEMPOTENCY_TTL =>
            {
                return IdemDecision::InProcess;
            }
            _ => {}
        }
        self.idem
            .insert(k.clone(), IdemEntry::InFlight { since: now });
        IdemDecision::Proceed(Some(k))
    }

    pub(crate) fn idem_finish(&mut self, key: Option<IdemKey>, reply: &Reply, now: SystemTime) {
        if let Some(k) = key {
            self.idem.insert(
                k,
                IdemEntry::Done {
                    reply: reply.clone(),
                    at: now,
                },
            );
        }
    }

    /// Drops expired keys, a few per call (bounded work per request).
    fn sweep_idem(&mut self, now: SystemTime) {
        if self.idem.len() < 4096 {
            return;
        }
        self.idem_sweep_at += 1;
        if self.idem_sweep_at % 1024 != 0 {
            return;
        }
        self.idem.retain(|_, e| {
            let t = match e {
                IdemEntry::InFlight { since } => *since,
                IdemEntry::Done { at, .. } => *at,
            };
            now.duration_since(t).unwrap_or_default() < IDEMPOTENCY_TTL
        });
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
        code: &str,
        fep_ref: &str,
    ) {
        let seq = self.effects.len() as u64 + 1;
        self.effects.push(Effect {
            seq,
            command: command.as_str().to_owned(),
            payment_id: payment_id.to_owned(),
            amount: amount.map(|a| a.to_string()),
            idempotency_key: idem.map(|k| k.key.clone()),
            result_code: code.to_owned(),
            fep_reference_id: fep_ref.to_owned(),
            at: format_jst(ctx.now),
            at_unix_ms: unix_millis(ctx.now),
        });
    }

    /// The webhook-extent data of a transaction (without `result`).
    #[allow(clippy::too_many_arguments)]
    fn tx_data(
        order: &Order,
        notification_name: &str,
        fep_ref: &str,
        now: SystemTime,
        amount: Option<u64>,
        keys: &Keys,
    ) -> Value {
        let mut o = Map::new();
        o.insert("payType".into(), json!(order.pay_type.as_str()));
        o.insert("paymentId".into(), json!(order.payment_id));
        o.insert("fepOrderId".into(), json!(order.fep_order_id));
        if let OrderKind::Charge {
            original_payment_id,
            original_fep_order_id,
        } = &order.kind
        {
            o.insert("originalPaymentId".into(), json!(original_payment_id));
            o.insert("originalFepOrderId".into(), json!(original_fep_order_id));
        }
        if let Some(a) = amount {
            o.insert("amount".into(), json!(a.to_string()));
        }
        let mut t = Map::new();
        t.insert("fepReferenceId".into(), json!(fep_ref));
        t.insert("command".into(), json!(notification_name));
        t.insert("transactionDatetime".into(), json!(format_jst(now)));
        for (k, v) in [
            ("merchantRequestKey1", &keys.mrk1),
            ("merchantRequestKey2", &keys.mrk2),
            ("metadata1", &keys.md1),
            ("metadata2", &keys.md2),
        ] {
            if let Some(v) = v {
                t.insert(k.into(), json!(v));
            }
        }
        let mut payment = Map::new();
        payment.insert(
            "providerOrderId".into(),
            json!(format!(
                "SBX{}",
                &order.fep_order_id[order.fep_order_id.len().saturating_sub(20)..]
            )),
        );
        if matches!(order.pay_type, PayType::Paypay | PayType::Rakuten) {
            payment.insert(
                "gatewayOrderId".into(),
                json!(format!(
                    "GW{}",
                    &fep_ref[fep_ref.len().saturating_sub(20)..]
                )),
            );
        }
        json!({
            "order": o,
            "transaction": t,
            "control": {"requestMode": "sandbox"},
            "provider": {"payment": payment},
        })
    }

    fn reply_json(status: u16, v: &Value) -> Reply {
        Reply {
            status,
            body: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
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
        (code, v_code): (&str, &str),
        amount: Option<u64>,
        keys: &Keys,
        push_url: Option<&str>,
        idem: Option<&IdemKey>,
        effect_code: Option<&str>,
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
        code: &str,
        v_code: &str,
        amount: Option<u64>,
        keys: &Keys,
        push_url: Option<&str>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Reply {
        let fep_ref = format!("X{}", self.new_id());
        let order = self.orders.get(payment_id).cloned();
        let Some(order) = order else {
            return err_reply("UA-SYS-002", None);
        };
        let name = command.notification_name().unwrap_or("");
        let data = Self::tx_data(&order, name, &fep_ref, ctx.now, amount, keys);
        let (code, v) = if code == "-" {
            ("UA-000-001", tables::success_v_code(order.pay_type))
        } else {
            (code, v_code)
        };
        let v = (v != "-").then_some(v);
        let result = result_block(code, v, None);
        let pending = code == "UA-U00-001";
        self.txs.insert(
            fep_ref.clone(),
            Tx {
                pending,
                result: result.clone(),
                data: data.clone(),
            },
        );
        if let Some(o) = self.orders.get_mut(payment_id) {
            o.transactions.push(fep_ref.clone());
        }
        if let Some(url) = push_url {
            if notifies(command, order.pay_type) {
                self.queue_webhook(url, &result, &data, payment_id, name, jobs);
            }
        }
        let mut body = data;
        if let Value::Object(m) = &mut body {
            m.remove("control");
            m.insert("result".into(), result);
        }
        let status = ResultCode::from_code(code).http_status().unwrap_or(200);
        Self::reply_json(status, &reorder(body))
    }

    fn queue_webhook(
        &mut self,
        url: &str,
        result: &Value,
        data: &Value,
        payment_id: &str,
        name: &str,
        jobs: &mut Vec<WebhookJob>,
    ) {
        let mut body = Map::new();
        body.insert("result".into(), result.clone());
        if let Value::Object(m) = data {
            for (k, v) in m {
                body.insert(k.clone(), v.clone());
            }
        }
        let bytes = Bytes::from(serde_json::to_vec(&Value::Object(body)).unwrap_or_default());
        let webhook_id = self.new_id();
        let index = self.webhooks.len();
        self.webhooks.push(WebhookRecord {
            webhook_id: webhook_id.clone(),
            url: url.to_owned(),
            command: name.to_owned(),
            payment_id: payment_id.to_owned(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            state: DeliveryState::Pending,
            attempts: Vec::new(),
        });
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
        let r = match command {
            Command::Pay | Command::Subscribe => self.pay(ctx, command, body, idem),
            Command::UpdateOrder => self.update_order(ctx, body, idem, jobs),
            Command::Capture => self.capture(ctx, body, idem, jobs),
            Command::Cancel => self.cancel(ctx, body, idem, jobs),
            Command::Charge => self.charge(ctx, body, idem, jobs),
            Command::Terminate => self.terminate(ctx, body, idem, jobs),
            Command::GetTransactionResult => Ok(self.get_transaction_result(body)),
        };
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
            let old = o.fep_order_id.clone();
            let token = o.token.clone();
            self.by_fep_order.remove(&old);
            if let Some(t) = token {
                self.by_token.remove(&t);
            }
        }
        let fep_order_id = format!("{payment_id}_{}", self.new_id());
        let token = uuid::Uuid::new_v4().simple().to_string();
        let auth_with_capture = command == Command::Pay
            && str_at(body, "order.authCaptureType") == Some("auth_with_capture");
        let order = Order {
            payment_id: payment_id.clone(),
            fep_order_id: fep_order_id.clone(),
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
            transactions: Vec::new(),
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
            keys: Keys::from_body(body),
            token: Some(token.clone()),
            final_redirect: None,
        };
        let keys = order.keys.clone();
        self.orders.insert(payment_id.clone(), order);
        self.by_fep_order.insert(fep_order_id, payment_id.clone());
        self.by_token.insert(token.clone(), payment_id.clone());
        // The transaction stays pending (UA-U00-001 for getTransactionResult)
        // until the consumer comes back; the API answer itself is a success.
        let fep_ref = format!("X{}", self.new_id());
        let o = &self.orders[&payment_id];
        let name = command.notification_name().unwrap_or("");
        let data = Self::tx_data(
            o,
            name,
            &fep_ref,
            ctx.now,
            (command == Command::Pay).then_some(amount),
            &keys,
        );
        let pending_result = result_block("UA-U00-001", None, None);
        self.txs.insert(
            fep_ref.clone(),
            Tx {
                pending: true,
                result: pending_result,
                data: data.clone(),
            },
        );
        if let Some(o) = self.orders.get_mut(&payment_id) {
            o.transactions.push(fep_ref.clone());
        }
        self.record_effect(
            ctx,
            command,
            &payment_id,
            (command == Command::Pay).then_some(amount),
            idem,
            "UA-000-001",
            &fep_ref,
        );
        let mut out = data;
        if let Value::Object(m) = &mut out {
            m.insert(
                "result".into(),
                result_block("UA-000-001", Some(tables::success_v_code(pay_type)), None),
            );
            m.insert("control".into(), json!({"requestMode": "sandbox", "redirectUrl": format!("{}/consumer/{token}", ctx.root_url)}));
            m.remove("provider");
        }
        Ok(Self::reply_json(200, &reorder(out)))
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
            let old = existing.fep_order_id.clone();
            self.by_fep_order.remove(&old);
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
        self.orders.insert(
            payment_id.clone(),
            Order {
                payment_id: payment_id.clone(),
                fep_order_id: fep_order_id.clone(),
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
                keys: Keys::from_body(body),
                token: None,
                final_redirect: None,
            },
        );
        self.by_fep_order.insert(fep_order_id, payment_id.clone());
        let keys = Keys::from_body(body);
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
        if tx.pending {
            return Self::reply_json(
                200,
                &json!({"result": result_block("UA-U00-001", None, None)}),
            );
        }
        Self::reply_json(
            200,
            &json!({"result": tx.result, "transactionData": tx.data}),
        )
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
        let Some(pid) = self.by_token.get(token).cloned() else {
            return ConsumerOutcome::Page(404, "Unknown or expired payment page.".into());
        };
        let o = &self.orders[&pid];
        if let Some(loc) = &o.final_redirect {
            return ConsumerOutcome::Redirect(loc.clone());
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
        let target_url = if success {
            o.success_url.clone()
        } else if code == "UA-CST-002" || (code == "UA-CST-001" && pay_type == PayType::Merpay) {
            o.cancel_url.clone().unwrap_or_else(|| o.error_url.clone())
        } else {
            o.error_url.clone()
        };
        let (fep_order_id, keys) = (o.fep_order_id.clone(), o.keys.clone());
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
        let result = result_block(code, v_opt, None);
        let name = command.notification_name().unwrap_or("");
        if let Some(tx) = self.txs.get_mut(&fep_ref) {
            tx.pending = false;
            tx.result = result.clone();
            if let Some(t) = tx
                .data
                .get_mut("transaction")
                .and_then(Value::as_object_mut)
            {
                t.insert("transactionDatetime".into(), json!(format_jst(ctx.now)));
            }
            let data = tx.data.clone();
            if success {
                if let Some(url) = push {
                    self.queue_webhook(&url, &result, &data, &pid, name, jobs);
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
        let status = ResultCode::from_code(code);
        let mut params: Vec<(&str, String)> = vec![
            (
                "status",
                status
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            (
                "actionCode",
                status
                    .action_code()
                    .map(|a| a.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            ("resultCode", code.to_owned()),
            ("command", name.to_owned()),
            ("paymentId", pid.clone()),
            ("fepOrderId", fep_order_id),
            ("fepReferenceId", fep_ref),
        ];
        if let Some(k) = &keys.mrk1 {
            params.push(("merchantRequestKey1", k.clone()));
        }
        if let Some(k) = &keys.mrk2 {
            params.push(("merchantRequestKey2", k.clone()));
        }
        // A deliberately unnatural order with repeats, rotated per request, so
        // verifiers must follow authParams.
        let mut order: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        let rot = (self.next_rand() % order.len() as u64) as usize;
        order.rotate_left(rot);
        order.reverse();
        order.push("fepReferenceId");
        order.push("status");
        let pairs: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let query = match vt4g::redirect::sign_redirect(ccid, key, &pairs, &order) {
            Ok(q) => q,
            Err(e) => return ConsumerOutcome::Page(500, format!("cannot sign the redirect: {e}")),
        };
        let sep = if target_url.contains('?') { '&' } else { '?' };
        let location = format!("{target_url}{sep}{query}");
        if let Some(o) = self.orders.get_mut(&pid) {
            o.final_redirect = Some(location.clone());
        }
        ConsumerOutcome::Redirect(location)
    }

    // ---------------- admin actions ----------------

    /// The provider deregisters an original order's contract.
    pub(crate) fn deregister(
        &mut self,
        ctx: &Ctx<'_>,
        payment_id: &str,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Value, (u16, String)> {
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
        let fep_ref = format!("X{}", self.new_id());
        let mut order = self.orders[payment_id].clone();
        order.state = OrderState::Deregistered;
        let data = Self::tx_data(
            &order,
            "deregistration",
            &fep_ref,
            ctx.now,
            None,
            &Keys::default(),
        );
        let result = result_block("UA-000-001", Some(tables::success_v_code(pay_type)), None);
        self.txs.insert(
            fep_ref.clone(),
            Tx {
                pending: false,
                result: result.clone(),
                data: data.clone(),
            },
        );
        order.transactions.push(fep_ref.clone());
        self.orders.insert(payment_id.to_owned(), order);
        if let Some(url) = url {
            self.queue_webhook(&url, &result, &data, payment_id, "deregistration", jobs);
        }
        Ok(json!({"paymentId": payment_id, "fepReferenceId": fep_ref, "state": "deregistered"}))
    }

    /// The consumer completes a PayPay charge that answered UA-U00-001.
    pub(crate) fn complete_user_paying(
        &mut self,
        ctx: &Ctx<'_>,
        payment_id: &str,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Value, (u16, String)> {
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
        let result = result_block("UA-000-001", Some(tables::success_v_code(pay_type)), None);
        let mut data = Value::Null;
        if let Some(tx) = self.txs.get_mut(&fep_ref) {
            tx.pending = false;
            tx.result = result.clone();
            if let Some(t) = tx
                .data
                .get_mut("transaction")
                .and_then(Value::as_object_mut)
            {
                t.insert("transactionDatetime".into(), json!(format_jst(ctx.now)));
            }
            data = tx.data.clone();
        }
        if let Some(url) = push {
            self.queue_webhook(&url, &result, &data, payment_id, "charge", jobs);
        }
        Ok(json!({"paymentId": payment_id, "fepReferenceId": fep_ref, "resultCode": "UA-000-001"}))
    }

    pub(crate) fn webhook_attempt(
        &mut self,
        index: usize,
        attempt: DeliveryAttempt,
        state: Option<DeliveryState>,
    ) {
        if let Some(w) = self.webhooks.get_mut(index) {
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

/// Puts `result` first (cosmetic; key order of the other blocks is kept).
fn reorder(v: Value) -> Value {
    let Value::Object(mut m) = v else { return v };
    let mut out = Map::new();
    for k in [
        "result",
        "order",
        "transaction",
        "control",
        "provider",
        "customer",
    ] {
        if let Some(x) = m.remove(k) {
            out.insert(k.into(), x);
        }
    }
    out.extend(m);
    Value::Object(out)
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

    #[test]
    fn result_blocks_follow_the_result_code_table() {
        let b = result_block("UA-PRV-001", Some("1GD1"), None);
        assert_eq!(b["status"], "failure");
        assert_eq!(b["actionCode"], "retry_request");
        assert_eq!(b["vResultCode"], "1GD1");
        assert_eq!(error("UA-REQ-008", None).status, 401);
        assert_eq!(error("UA-PRV-999", None).status, 503);
        assert_eq!(result_block("UA-SYS-003", None, None)["status"], "error");
    }

    #[test]
    fn ids_are_unique_and_in_the_allowed_charset() {
        let mut st = State::new(Vec::new(), None);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let id = st.new_id();
            assert_eq!(id.len(), 26);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(seen.insert(id));
        }
    }
}
