//! Configuration of a [`crate::Sandbox`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use vt4g::webhook::WebhookScheme;
use vt4g::{Command, Secret};

use crate::clock::{Clock, SystemClock};

/// Which `pushUrl` / `deregistrationPushUrl` values the simulator accepts.
///
/// The real API accepts only `https` URLs on port 443 whose host is not a
/// private address. A local simulator must deliver to local `http` test
/// servers, so this is an explicit choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PushUrlPolicy {
    /// (Default) What the real API accepts, plus `http`/`https` URLs on any port
    /// whose host is loopback (`127.0.0.0/8`, `::1`, `localhost`). Anything
    /// else (e.g. `http://example.com/`) is rejected with 400 UA-REQ-001, as
    /// the real API would.
    #[default]
    RealOrLoopback,
    /// Exactly the real API's rule: `https`, port 443, not a private, loopback
    /// or link-local address. (Deliveries to https need TLS, which this
    /// simulator's HTTP client does not speak: they are recorded as failed.)
    Strict,
    /// Any absolute `http`/`https` URL.
    Any,
}

/// How webhook deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WebhookRetryPolicy {
    /// Wait before the first retry.
    pub initial_backoff: Duration,
    /// Upper bound of one wait.
    pub max_backoff: Duration,
    /// Factor applied to the wait after each failure.
    pub multiplier: f64,
    /// No new attempt starts after this much time since the first attempt.
    pub max_elapsed: Duration,
    /// Time limit of one attempt.
    pub attempt_timeout: Duration,
}

impl Default for WebhookRetryPolicy {
    /// 200 ms, doubling, at most 5 s apart, for at most 60 s; 5 s per attempt.
    fn default() -> Self {
        WebhookRetryPolicy {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            multiplier: 2.0,
            max_elapsed: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(5),
        }
    }
}

/// A fault the simulator can inject into a request to `/fep/command/*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 500 UA-SYS-003 (internal communication error), no effect.
    ServerError,
    /// 429 UA-LMT-001 (too many concurrent connections), no effect.
    RateLimited,
    /// 406 UA-REQ-005 (in process), no effect.
    InProcess,
    /// 503 UA-PRV-999 (maintenance), no effect.
    Maintenance,
    /// Waits [`SandboxConfig::fault_delay`], then processes the request
    /// normally (the effect is applied even if the client gave up waiting;
    /// meanwhile the same idempotency key answers 406 UA-REQ-005).
    Delay,
    /// Closes the TCP connection without answering, no effect.
    DropConnection,
    /// Processes the request (effect applied, idempotency record written), then
    /// closes the TCP connection without answering.
    ApplyThenDrop,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 7] = [
        FaultKind::ServerError,
        FaultKind::RateLimited,
        FaultKind::InProcess,
        FaultKind::Maintenance,
        FaultKind::Delay,
        FaultKind::DropConnection,
        FaultKind::ApplyThenDrop,
    ];
}

/// A planned fault: the next `count` requests matching `command` and
/// `payment_id` (each `None` = any) get `fault`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    /// Command name as in the path (`capture`, `updateOrder`), or any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The request's `order.paymentId` (for getTransactionResult: its
    /// `transaction.fepReferenceId`), or any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The fault.
    pub fault: FaultKind,
    /// How many matching requests get it (default 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl FaultRule {
    /// A rule for the next matching request of `command`.
    pub fn new(
        command: Option<Command>,
        payment_id: Option<&str>,
        fault: FaultKind,
        count: u32,
    ) -> Self {
        FaultRule {
            command: command.map(|c| c.as_str().to_owned()),
            payment_id: payment_id.map(str::to_owned),
            fault,
            count,
        }
    }
}

/// Faults by seeded probability: each request to `/fep/command/*` gets a fault
/// with probability `rate`, the kind drawn uniformly from `kinds`. The same
/// seed and the same request sequence give the same faults.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomFaults {
    /// Probability in `[0, 1]`.
    pub rate: f64,
    /// Seed of the generator.
    pub seed: u64,
    /// Kinds to draw from (empty = all but `Delay`).
    pub kinds: Vec<FaultKind>,
}

/// How much the simulator keeps, so that a long `vt4g sandbox serve` does not
/// grow without bound. The defaults are far above what a test suite makes
/// (a test never notices them); [`Retention::unbounded`] keeps everything.
///
/// * **Orders** — at most `max_orders` (default 100 000), and, if
///   `order_ttl` is set (default: never), none idle for longer than it on
///   the simulator's [`Clock`]. Over either bound the *least recently used*
///   order goes first — used means a command, getTransactionResult, consumer
///   step or admin action that found it (inspection with
///   `GET /_sandbox/orders/…` does not count). An evicted order is forgotten
///   with its transactions, its consumer page and its fepOrderId: commands
///   naming it answer 404 UA-REQ-900 like any unknown order,
///   getTransactionResult of its fepReferenceIds answers 404 UA-REQ-900, its
///   consumer page answers 404, and its paymentId can be used again.
/// * **Effect log** — the newest `max_effects` entries (default 500 000);
///   older ones are dropped first. `seq` keeps counting over all of them, so a
///   gap before the first kept `seq` shows the truncation;
///   `GET /_sandbox/effects` also answers the header
///   `X-Sandbox-Effects-Dropped` (the count dropped), and
///   [`crate::Sandbox::stats`] / `GET /_sandbox/stats` give the counts.
///   Evicting an order does not remove its effects.
/// * **Webhook records** — the newest `max_webhooks` (default 100 000);
///   deliveries of a dropped record still run, unrecorded.
///   `X-Sandbox-Webhooks-Dropped` on `GET /_sandbox/webhooks`.
/// * **Idempotency records** — 24 h each (the reference), and at most
///   `max_idempotency_records` (default 100 000), oldest first. They do not
///   depend on the order: a retry with a kept key replays the original
///   answer even after its order was evicted, as the real API (which keeps
///   orders) would.
///
/// Every bound is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Most orders kept (default 100 000).
    pub max_orders: usize,
    /// Orders unused for this long are evicted (default `None`: never).
    pub order_ttl: Option<Duration>,
    /// Most effect-log entries kept (default 500 000).
    pub max_effects: usize,
    /// Most webhook records kept (default 100 000).
    pub max_webhooks: usize,
    /// Most idempotency records kept (default 100 000).
    pub max_idempotency_records: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_orders: 100_000,
            order_ttl: None,
            max_effects: 500_000,
            max_webhooks: 100_000,
            max_idempotency_records: 100_000,
        }
    }
}

impl Retention {
    /// Keeps everything for the process's life (memory grows with every
    /// order: only for short-lived simulators).
    pub fn unbounded() -> Self {
        Retention {
            max_orders: usize::MAX,
            order_ttl: None,
            max_effects: usize::MAX,
            max_webhooks: usize::MAX,
            max_idempotency_records: usize::MAX,
        }
    }

    /// Every bound at least 1.
    pub(crate) fn normalized(self) -> Self {
        Retention {
            max_orders: self.max_orders.max(1),
            max_effects: self.max_effects.max(1),
            max_webhooks: self.max_webhooks.max(1),
            max_idempotency_records: self.max_idempotency_records.max(1),
            ..self
        }
    }
}

/// Configuration of the simulator. `SandboxConfig::default()` gives a working
/// simulator on `127.0.0.1:0` with the documented test credentials.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Address to bind (default `127.0.0.1:0`, a free port).
    pub addr: SocketAddr,
    /// The bearer token requests must carry (default `sandbox-token`).
    pub bearer_token: Secret,
    /// Merchant CCID used to sign webhooks and redirects (default `sandboxCcId`).
    pub merchant_ccid: String,
    /// Merchant authentication key (default `sandboxAuthKey0123456789abcdef`;
    /// the default is hex so every [`WebhookScheme`] works).
    pub auth_key: Secret,
    /// How webhooks are signed (default [`WebhookScheme::Literal`]).
    pub webhook_scheme: WebhookScheme,
    /// The clock (default the system clock).
    pub clock: Arc<dyn Clock>,
    /// Planned faults at start (more can be added at run time).
    pub faults: Vec<FaultRule>,
    /// Faults by seeded probability (default none).
    pub random_faults: Option<RandomFaults>,
    /// How long the `Delay` fault waits (default 30 s).
    pub fault_delay: std::time::Duration,
    /// Webhook retry policy.
    pub webhook_retry: WebhookRetryPolicy,
    /// After a delivery answered 200, deliver the same webhook (same
    /// `X-VT-webhook-id`) once more, as the reference warns the real API may
    /// (default `false`).
    pub redeliver_webhooks: bool,
    /// Which push URLs are accepted (default [`PushUrlPolicy::RealOrLoopback`]).
    pub push_url_policy: PushUrlPolicy,
    /// How many orders, effects, webhook records and idempotency records are
    /// kept (default [`Retention::default`]: bounded, far above a test's needs).
    pub retention: Retention,
    /// Allow binding an address that is not loopback (default `false`:
    /// [`Sandbox::start`](crate::Sandbox::start) refuses). Off loopback, the
    /// admin endpoints (`/_sandbox/*`: inject faults, complete orders, which
    /// send signed webhooks) require `Authorization: Bearer` with
    /// [`bearer_token`](Self::bearer_token), like the command endpoint.
    pub allow_remote: bool,
    /// Request size limits (default [`RequestLimits::default`]).
    pub limits: RequestLimits,
}

/// Limits on what one request may send; beyond them the simulator answers
/// without reading further: `414` for the path and query, `431` for the
/// header section, `413` for the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Longest request target (path and query), in bytes (default 2,048).
    pub max_target: usize,
    /// Largest header section (the sum over headers of name + value + 4
    /// bytes for `": "` and CRLF), in bytes (default 16 KiB).
    pub max_header_bytes: usize,
    /// Most header fields (default 64).
    pub max_headers: usize,
    /// Largest request body, in bytes (default 256 KiB: the largest valid
    /// Unified API request is a few KiB).
    pub max_body: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_target: 2048,
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            max_body: 256 * 1024,
        }
    }
}

/// Why [`SandboxConfig::check_bind`] refuses an address.
fn refuse_remote(addr: SocketAddr) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "refusing to bind {addr}: it is not a loopback address, and the simulator trusts \
             anyone who can reach it with its public test credentials; allow it explicitly \
             (SandboxConfig::allow_remote, `vt4g sandbox serve --allow-remote`)"
        ),
    )
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("addr", &self.addr)
            .field("bearer_token", &self.bearer_token)
            .field("merchant_ccid", &self.merchant_ccid)
            .field("auth_key", &self.auth_key)
            .field("webhook_scheme", &self.webhook_scheme)
            .field("faults", &self.faults)
            .field("random_faults", &self.random_faults)
            .field("fault_delay", &self.fault_delay)
            .field("webhook_retry", &self.webhook_retry)
            .field("redeliver_webhooks", &self.redeliver_webhooks)
            .field("push_url_policy", &self.push_url_policy)
            .field("retention", &self.retention)
            .field("allow_remote", &self.allow_remote)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Default bearer token of [`SandboxConfig::default`].
pub const DEFAULT_BEARER_TOKEN: &str = "sandbox-token";
/// Default merchant CCID of [`SandboxConfig::default`].
pub const DEFAULT_CCID: &str = "sandboxCcId";
/// Default authentication key of [`SandboxConfig::default`].
pub const DEFAULT_AUTH_KEY: &str = "0123456789abcdef0123456789abcdef";

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            bearer_token: Secret::new(DEFAULT_BEARER_TOKEN),
            merchant_ccid: DEFAULT_CCID.to_owned(),
            auth_key: Secret::new(DEFAULT_AUTH_KEY),
            webhook_scheme: WebhookScheme::default(),
            clock: Arc::new(SystemClock),
            faults: Vec::new(),
            random_faults: None,
            fault_delay: std::time::Duration::from_secs(30),
            webhook_retry: WebhookRetryPolicy::default(),
            redeliver_webhooks: false,
            push_url_policy: PushUrlPolicy::default(),
            retention: Retention::default(),
            allow_remote: false,
            limits: RequestLimits::default(),
        }
    }
}

impl SandboxConfig {
    /// Sets the bind address.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }
    /// Sets the bearer token.
    pub fn bearer_token(mut self, token: Secret) -> Self {
        self.bearer_token = token;
        self
    }
    /// Sets the merchant CCID and authentication key.
    pub fn merchant(mut self, ccid: impl Into<String>, auth_key: Secret) -> Self {
        self.merchant_ccid = ccid.into();
        self.auth_key = auth_key;
        self
    }
    /// Sets the webhook signing scheme.
    pub fn webhook_scheme(mut self, scheme: WebhookScheme) -> Self {
        self.webhook_scheme = scheme;
        self
    }
    /// Sets the clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// Adds a planned fault.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }
    /// Sets random faults.
    pub fn random_faults(mut self, faults: RandomFaults) -> Self {
        self.random_faults = Some(faults);
        self
    }
    /// Sets the delay of the `Delay` fault.
    pub fn fault_delay(mut self, delay: Duration) -> Self {
        self.fault_delay = delay;
        self
    }
    /// Sets the webhook retry policy.
    pub fn webhook_retry(mut self, policy: WebhookRetryPolicy) -> Self {
        self.webhook_retry = policy;
        self
    }
    /// Switches deliberate redelivery on or off.
    pub fn redeliver_webhooks(mut self, on: bool) -> Self {
        self.redeliver_webhooks = on;
        self
    }
    /// Sets the push-URL policy.
    pub fn push_url_policy(mut self, policy: PushUrlPolicy) -> Self {
        self.push_url_policy = policy;
        self
    }
    /// Sets what the simulator keeps (see [`Retention`]).
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }
    /// Allows (or refuses) binding a non-loopback address (see
    /// [`allow_remote`](Self::allow_remote)).
    pub fn allow_remote(mut self, allow: bool) -> Self {
        self.allow_remote = allow;
        self
    }
    /// Sets the request size limits.
    pub fn limits(mut self, limits: RequestLimits) -> Self {
        self.limits = limits;
        self
    }
    /// Whether the admin endpoints need the bearer token: when the address
    /// is not loopback.
    pub fn admin_needs_token(&self) -> bool {
        !self.addr.ip().is_loopback()
    }
    /// Checks the bind address: a non-loopback address needs
    /// [`allow_remote`](Self::allow_remote).
    ///
    /// # Errors
    /// An `InvalidInput` I/O error naming the address when it is not loopback
    /// and remote access is not allowed.
    pub fn check_bind(&self) -> std::io::Result<()> {
        if self.admin_needs_token() && !self.allow_remote {
            return Err(refuse_remote(self.addr));
        }
        Ok(())
    }
}
