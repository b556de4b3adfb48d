//! The hand-written client of the Unified API: typed commands, local
//! validation, idempotency keys and safe retries.
//!
//! ```no_run
//! use vt4g::client::{Client, Outcome};
//! use vt4g::generated::types;
//!
//! # async fn run(req: types::CaptureRequest) -> Result<(), vt4g::Error> {
//! let client = Client::builder()
//!     .sandbox()
//!     .bearer_token(std::env::var("VT4G_TOKEN").unwrap_or_default())
//!     .build()?;
//!
//! match client.capture(&req).pay_type(vt4g::PayType::Paypay).await? {
//!     Outcome::Success(resp) => println!("captured: {:?}", resp.transaction),
//!     Outcome::ConfirmPayment(_) => println!("UA-000-002: check MAP before anything else"),
//!     Outcome::UserPaying(_) | Outcome::ProviderProcessing(_) => println!("not final yet"),
//! }
//! # Ok(()) }
//! ```
//!
//! # What goes on the wire
//!
//! `POST {base_url}/{command}` (e.g. `…/fep/command/capture`; the reference
//! shows only the base URL and the command names, the per-command path is our
//! documented assumption, the same as the OpenAPI document's) with exactly
//! these headers: `Content-Type: application/json`, `Authorization: Bearer
//! {token}`, `X-VT-Idempotency-Key` (mutating commands), `User-Agent:
//! vt4g/{version} (+rust)`, plus what HTTP/1.1 itself needs (`Host`,
//! `Content-Length`) and `Accept: application/json` (reqwest always sends an
//! `Accept` header; we make it name JSON). Progenitor's `api-version` header is
//! **not** sent: VeriTrans does not document it. The raw progenitor client
//! stays reachable as [`vt4g::generated::Client`](crate::generated::Client)
//! for callers who want it (it does send `api-version`).
//!
//! The request is validated (per provider) and serialized **once**; the same
//! bytes are sent on every attempt. The typed methods ([`Client::pay`] …)
//! validate the generated request struct itself
//! ([`ValidateRequest`](crate::validation::ValidateRequest)) and serialize it
//! with `serde_json::to_vec`; [`Client::call`] takes any serializable body and
//! goes through a `serde_json::Value` (same checks, same bytes for the same
//! request).
//!
//! # Idempotency keys
//!
//! Every mutating command (everything but getTransactionResult) sends
//! `X-VT-Idempotency-Key`: the caller's key
//! ([`Call::idempotency_key`]) or a fresh UUIDv4 made once per logical call.
//! getTransactionResult sends no key unless the caller gives one: it changes
//! nothing, so it is always safe to resend, and a key would make the API
//! replay the *first* answer for 24 h (e.g. a stale `UA-U00-001`) to a caller
//! polling for the final state.
//!
//! Within one process, a caller-given key reused with a different body is
//! refused ([`Error::IdempotencyConflict`]) from a bounded index of the last
//! 10 000 caller-given keys. With an [`IdempotencyStore`] and a
//! [`Call::scope`], the same guarantee holds across processes and restarts.
//!
//! # Retries
//!
//! See [`RetryPolicy`]. Summary: retried (same key, byte-identical body) are
//! connection failures before anything was written; timeouts, dropped
//! connections and 5xx answers without a result code only when a key was sent
//! (or the command is getTransactionResult); and the `retry_request` codes
//! `UA-LMT-001`, `UA-REQ-005`, `UA-PRV-001`, `UA-SYS-003`, `UA-SYS-004`.
//! Never retried: success, `UA-000-002`, `UA-U00-001`, `UA-P00-001`, pending
//! `UA-PND-*` and every other failure; and nothing is sent once the key is
//! 24 h old minus [`RetryPolicy::key_resend_margin`] (default 10 min, i.e.
//! 23 h 50 min) by the injected [`Clock`] (under a ledger scope, the age the
//! ledger's clock gave at `begin`, carried forward on ours).
//! A `Retry-After` on a retried 429 or 503 answer is honoured: the client
//! waits at least that long, or, when that is longer than the policy allows,
//! returns the error with [`Error::retry_after`] set.
//!
//! # Timeouts
//!
//! Connect timeout 10 s, request timeout 30 s per attempt by default.
//! VeriTrans does not publish a server-side timeout; 30 s leaves room for the
//! provider round trips behind pay/capture while bounding a hung connection.
//!
//! # Your own `reqwest::Client`
//!
//! [`ClientBuilder::http_client`] sends through a `reqwest::Client` you built
//! (proxy, custom roots, pool limits). The request timeout and the user agent
//! are then applied per request; the connect timeout is yours to set on that
//! client (see the method for the details).

mod call;
mod clock;
mod decode;
mod ledger;
mod outcome;
mod prepare;
mod retry;
mod transport;
mod typed;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use clock::{Clock, ManualClock, SystemClock};
pub use outcome::Outcome;
/// The `reqwest` this crate is built with, for [`ClientBuilder::http_client`].
pub use reqwest;
pub use retry::{RetryPolicy, DEFAULT_KEY_RESEND_MARGIN};
pub use vt4g_generated::rules::RequestMode;

use crate::generated::types;
use crate::idempotency::{IdempotencyKey, IdempotencyStore};
use crate::validation::UrlPolicy;
use crate::{Command, Error, PayType, Secret};

/// The live endpoint (`control.requestMode = live`).
pub const LIVE_BASE_URL: &str = "https://api.unified.veritrans.jp/fep/command";
/// The sandbox endpoint (`control.requestMode = sandbox`).
pub const SANDBOX_BASE_URL: &str = "https://api.sandbox.unified.veritrans.jp/fep/command";
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default per-attempt request timeout (VeriTrans publishes none).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default lease on a ledger entry while a call is in flight: longer than the
/// longest a call can take with the default policy and timeouts (60 s budget
/// + 30 s request timeout). The holder renews it while it works.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5 * 60);

/// The lease [`ClientBuilder::build`] requires at least, for a worst-case call
/// of `worst` ([`RetryPolicy::worst_case_call`]): `worst` plus a margin of 10 %
/// (at least 100 ms) for the ledger's own statements around the call.
pub fn min_lease(worst: Duration) -> Duration {
    worst.saturating_add((worst / 10).max(Duration::from_millis(100)))
}
/// The user agent sent with every request.
pub const USER_AGENT: &str = concat!("vt4g/", env!("CARGO_PKG_VERSION"), " (+rust)");

const KEY_INDEX_CAPACITY: usize = 10_000;

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use vt4g::client::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .sandbox()
///     .bearer_token("222fd022-dc1d-4736-eab4-c5d9c507a284")
///     .request_timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().max_attempts(3))
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("222fd022"));
/// ```
#[must_use]
pub struct ClientBuilder {
    base: Option<(String, RequestMode)>,
    token: Option<Secret>,
    connect_timeout: Option<Duration>,
    request_timeout: Duration,
    retry: RetryPolicy,
    store: Option<Arc<dyn IdempotencyStore>>,
    lease: Duration,
    strict: bool,
    url_policy: UrlPolicy,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::Client>,
    max_response_bytes: usize,
}

/// Default cap on one answer's body ([`ClientBuilder::max_response_bytes`]): 1 MiB, two
/// orders of magnitude above the largest answer the reference describes.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("store", &self.store)
            .field("lease", &self.lease)
            .field("strict", &self.strict)
            .field("url_policy", &self.url_policy)
            .field("clock", &self.clock)
            .field("http_client", &self.http.as_ref().map(|_| "custom"))
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base: None,
            token: None,
            connect_timeout: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            store: None,
            lease: DEFAULT_LEASE,
            strict: false,
            url_policy: UrlPolicy::default(),
            clock: Arc::new(SystemClock),
            http: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl ClientBuilder {
    /// Targets the sandbox ([`SANDBOX_BASE_URL`], request mode `sandbox`).
    pub fn sandbox(mut self) -> Self {
        self.base = Some((SANDBOX_BASE_URL.to_owned(), RequestMode::Sandbox));
        self
    }

    /// Targets live ([`LIVE_BASE_URL`], request mode `live`): real money.
    pub fn live(mut self) -> Self {
        self.base = Some((LIVE_BASE_URL.to_owned(), RequestMode::Live));
        self
    }

    /// Targets a custom server (e.g. the `vt4g-sandbox` simulator's
    /// `base_url()`); `mode` is the request mode that server expects and is
    /// what `control.requestMode` is checked against.
    pub fn base_url(mut self, url: impl Into<String>, mode: RequestMode) -> Self {
        self.base = Some((url.into(), mode));
        self
    }

    /// The bearer token (from MAP, "Bearer Authentication Settings").
    pub fn bearer_token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// TCP/TLS connect timeout (default 10 s). Not applicable with
    /// [`http_client`](Self::http_client): set it on that `reqwest::Client`
    /// ([`build`](Self::build) refuses the combination).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// Per-attempt timeout from sending to the end of the response body
    /// (default 30 s). Also applied, per request, with
    /// [`http_client`](Self::http_client).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// The largest answer body the client reads (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`]). A longer answer (by `Content-Length` or
    /// while reading) is not read to the end: the call ends with
    /// [`Error::Decode`] (always `maybe_processed`: the API did answer, so the
    /// effect may have happened) carrying the first bytes, and a ledger scope is
    /// released for a resume with the same key.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The idempotency ledger used for calls given a [`Call::scope`].
    pub fn idempotency_store(mut self, store: Arc<dyn IdempotencyStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// How long a scope's ledger entry stays leased to this client while a
    /// call is in flight (default 5 min). While the call runs, a heartbeat
    /// renews the lease every third of it (on the ledger's clock), so a live
    /// holder keeps it however long the call takes; the lease is how soon
    /// another process may take over after this one died.
    ///
    /// [`build`](Self::build) refuses (with an idempotency store) a lease
    /// shorter than [`min_lease`] of the worst-case call
    /// ([`RetryPolicy::worst_case_call`] with the request timeout): even if
    /// renewal fails (ledger unreachable), no other holder can take the
    /// scope over and resend while this call's request may still be on the wire.
    pub fn ledger_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Validation options: `strict` turns warnings into violations; the URL
    /// policy decides what `successUrl`/`pushUrl`… may be.
    pub fn validation(mut self, strict: bool, url_policy: UrlPolicy) -> Self {
        self.strict = strict;
        self.url_policy = url_policy;
        self
    }

    /// The clock used for key age and ledger leases (default the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sends through this pre-built `reqwest::Client` instead of one made by
    /// [`build`](Self::build): for proxies, custom root certificates,
    /// connection-pool limits, a local address, DNS overrides….
    ///
    /// What changes with a custom HTTP client:
    ///
    /// * the **request timeout** of this builder ([`request_timeout`](Self::request_timeout),
    ///   default 30 s) is applied to every attempt as a per-request timeout,
    ///   overriding the `reqwest::Client`'s own `timeout`;
    /// * the **connect timeout** is the `reqwest::Client`'s: set
    ///   `reqwest::ClientBuilder::connect_timeout` yourself (reqwest has none
    ///   by default). Calling [`connect_timeout`](Self::connect_timeout) as
    ///   well is refused by [`build`](Self::build), so that nobody believes it
    ///   applies;
    /// * the **User-Agent** `vt4g/<version> (+rust)` ([`USER_AGENT`]) is sent
    ///   as a per-request header, overriding the `reqwest::Client`'s default
    ///   one; the other headers (Content-Type, Accept, Authorization,
    ///   X-VT-Idempotency-Key) are per request in any case. Default headers
    ///   of your `reqwest::Client` with other names are sent too: do not put
    ///   secrets there that should not reach VeriTrans;
    /// * redirects, TLS settings and the rest are the `reqwest::Client`'s:
    ///   keep TLS certificate verification on (the bearer token travels in
    ///   every request).
    ///
    /// ```
    /// use std::time::Duration;
    /// use vt4g::client::Client;
    ///
    /// // vt4g::client::reqwest is the reqwest this crate uses (the versions must match).
    /// let http = vt4g::client::reqwest::Client::builder()
    ///     .connect_timeout(Duration::from_secs(5))   // ours does not apply here
    ///     .pool_max_idle_per_host(16)
    ///     // .proxy(reqwest::Proxy::https("http://proxy.internal:3128")?)
    ///     // .add_root_certificate(corporate_root)
    ///     .build()?;
    /// let client = Client::builder()
    ///     .sandbox()
    ///     .bearer_token("222fd022-dc1d-4736-eab4-c5d9c507a284")
    ///     .http_client(http)
    ///     .request_timeout(Duration::from_secs(20)) // applied per request
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] when no environment or no (or an empty) bearer token
    /// was given, when the base URL does not parse as an http(s) URL, when
    /// the HTTP client cannot be built, or when both
    /// [`http_client`](Self::http_client) and
    /// [`connect_timeout`](Self::connect_timeout) were given, or when an
    /// idempotency store is set and the [`ledger_lease`](Self::ledger_lease)
    /// is shorter than [`min_lease`] of the worst-case call.
    pub fn build(self) -> Result<Client, Error> {
        if self.store.is_some() {
            let worst = self.retry.worst_case_call(self.request_timeout);
            let need = min_lease(worst);
            if self.lease < need {
                return Err(Error::Config(format!(
                    "ledger_lease {:?} is shorter than the worst-case call: {:?} \
                     (retry budget max_elapsed {:?} + request timeout {:?}, or the request \
                     timeout alone with one attempt) + 10 % margin = {:?}; another process \
                     could take the scope over while this call's request is on the wire",
                    self.lease,
                    worst,
                    self.retry.get_max_elapsed(),
                    self.request_timeout,
                    need
                )));
            }
        }
        let (base, mode) = self.base.ok_or_else(|| {
            Error::Config("no environment: call .sandbox(), .live() or .base_url()".into())
        })?;
        let token = self
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Config("no bearer token".into()))?;
        let base = base.trim_end_matches('/').to_owned();
        let parsed = url::Url::parse(&base)
            .map_err(|e| Error::Config(format!("invalid base URL {base:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!("base URL {base:?} is not http(s)")));
        }
        let mut urls = Vec::with_capacity(Command::ALL.len());
        for c in Command::ALL {
            let u = reqwest::Url::parse(&format!("{base}/{}", c.as_str()))
                .map_err(|e| Error::Config(format!("invalid base URL {base:?}: {e}")))?;
            urls.push(u);
        }
        let mut auth =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(
                |_| {
                    Error::Config("bearer token contains characters not allowed in a header".into())
                },
            )?;
        auth.set_sensitive(true);
        let (http, custom_http) = match self.http {
            Some(_) if self.connect_timeout.is_some() => {
                return Err(Error::Config(
                    "connect_timeout does not apply to a custom http_client: \
                     set it on the reqwest::Client"
                        .into(),
                ))
            }
            Some(http) => (http, true),
            None => (
                reqwest::Client::builder()
                    .user_agent(USER_AGENT)
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .timeout(self.request_timeout)
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?,
                false,
            ),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                custom_http,
                request_timeout: self.request_timeout,
                base,
                mode,
                token,
                auth,
                urls,
                retry: self.retry,
                store: self.store,
                lease: self.lease,
                strict: self.strict,
                url_policy: self.url_policy,
                clock: self.clock,
                key_index: Mutex::new(KeyIndex::default()),
                max_response_bytes: self.max_response_bytes,
            }),
        })
    }
}

/// The client. Cheap to clone (shared connection pool and state).
///
/// Build it with [`Client::builder`]. One method per command; each returns a
/// [`Call`] to `.await` directly or to refine first (idempotency key, ledger
/// scope, pay type).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    /// `http` came from [`ClientBuilder::http_client`]: timeout and user
    /// agent are applied per request.
    custom_http: bool,
    request_timeout: Duration,
    base: String,
    mode: RequestMode,
    #[allow(dead_code)] // kept so the secret's lifetime is the client's; sent via `auth`
    token: Secret,
    auth: reqwest::header::HeaderValue,
    urls: Vec<reqwest::Url>,
    retry: RetryPolicy,
    store: Option<Arc<dyn IdempotencyStore>>,
    lease: Duration,
    strict: bool,
    url_policy: UrlPolicy,
    clock: Arc<dyn Clock>,
    key_index: Mutex<KeyIndex>,
    /// [`ClientBuilder::max_response_bytes`].
    max_response_bytes: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &i.base)
            .field("mode", &i.mode)
            .field("token", &"[REDACTED]")
            .field("custom_http_client", &i.custom_http)
            .field("request_timeout", &i.request_timeout)
            .field("retry", &i.retry)
            .field("store", &i.store)
            .field("lease", &i.lease)
            .field("strict", &i.strict)
            .field("url_policy", &i.url_policy)
            .field("clock", &i.clock)
            .finish()
    }
}

/// Caller-given keys seen in this process → fingerprint of the body sent
/// with them (bounded; oldest forgotten first).
#[derive(Default)]
pub(crate) struct KeyIndex {
    map: HashMap<String, ([u8; 32], SystemTime)>,
    order: VecDeque<String>,
}

impl KeyIndex {
    /// Records `key` → `fp`, or reports a conflict if `key` was used with a
    /// different fingerprint less than 24 h ago.
    pub(crate) fn check_and_insert(&mut self, key: &str, fp: [u8; 32], now: SystemTime) -> bool {
        if let Some((old, at)) = self.map.get(key) {
            let fresh = now
                .duration_since(*at)
                .map(|age| age < crate::idempotency::KEY_LIFETIME)
                .unwrap_or(true);
            if fresh {
                return *old == fp;
            }
        }
        if self.map.insert(key.to_owned(), (fp, now)).is_none() {
            self.order.push_back(key.to_owned());
            while self.order.len() > KEY_INDEX_CAPACITY {
                if let Some(k) = self.order.pop_front() {
                    self.map.remove(&k);
                }
            }
        }
        true
    }
}

/// Decodes one HTTP answer of `command` exactly as the client does after its
/// last attempt (result block first, then the typed body), without any I/O:
/// e.g. to re-read a stored response body. Never panics, whatever the bytes
/// (fuzzed by `fuzz/fuzz_targets/decode_response.rs`).
///
/// ```
/// use vt4g::client::{decode_response, Outcome};
/// use vt4g::Command;
///
/// let body = br#"{"result":{"resultCode":"UA-SYS-003","status":"failure"}}"#;
/// let err = decode_response::<serde_json::Value>(Command::Capture, 500, body).unwrap_err();
/// assert_eq!(err.result_code().map(|c| c.as_str()), Some("UA-SYS-003"));
/// ```
///
/// # Errors
/// [`Error::Api`] / [`Error::Pending`] for failure and pending result codes,
/// [`Error::Decode`] when there is no result code or the typed body does not
/// decode.
pub fn decode_response<T: DeserializeOwned>(
    command: Command,
    http_status: u16,
    body: &[u8],
) -> Result<Outcome<T>, Error> {
    decode::classify(command, http_status, body, None, 1)
}

/// Reads a `Retry-After` header value as the client does: delay-seconds, or an
/// HTTP-date (IMF-fixdate, RFC 850, asctime) measured against `now` (a date in
/// the past is no wait); anything else is `None`. Never panics, whatever the
/// bytes (fuzzed by `fuzz/fuzz_targets/retry_after.rs`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(vt4g::client::parse_retry_after(b"120", now), Some(Duration::from_secs(120)));
/// assert_eq!(vt4g::client::parse_retry_after(b"soon", now), None);
/// ```
pub fn parse_retry_after(value: &[u8], now: std::time::SystemTime) -> Option<Duration> {
    decode::parse_retry_after(value, now)
}

impl Client {
    /// A new [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The request mode of the environment this client talks to.
    pub fn request_mode(&self) -> RequestMode {
        self.inner.mode
    }

    /// The base URL (without the command).
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Any command with any serializable body, decoded into `T`.
    ///
    /// The body goes through `serde_json::Value` and is validated as JSON;
    /// its object keys are sent sorted (the order of the generated request
    /// types), so the same request gives the same bytes — and the same
    /// idempotency fingerprint — whether it was sent typed or as JSON, and
    /// whatever key order it was built in or whether serde_json's
    /// `preserve_order` feature is on in your build.
    pub fn call<R: Serialize + ?Sized, T>(&self, command: Command, request: &R) -> Call<'_, T> {
        Call {
            client: self,
            command,
            body: Body::Value(serde_json::to_value(request).map_err(|e| e.to_string())),
            opts: CallOptions::default(),
            code_of: None,
        }
    }

    /// A typed command: validated as the typed request and serialized once.
    fn typed<'a, R: typed::TypedBody, T>(
        &'a self,
        request: &'a R,
        code_of: typed::CodeOf<T>,
    ) -> Call<'a, T> {
        Call {
            client: self,
            command: request.command(),
            body: Body::Typed(request),
            opts: CallOptions::default(),
            code_of: Some(code_of),
        }
    }

    /// `pay` — Payment Request. `control.requestMode` is filled in from the
    /// environment when absent and refused when it contradicts it.
    pub fn pay<'a>(&'a self, req: &'a types::PayRequest) -> Call<'a, types::PayResponse> {
        self.typed(req, typed::code_of_pay)
    }

    /// `subscribe` — On-Demand Payment Request (creates an original order).
    pub fn subscribe<'a>(
        &'a self,
        req: &'a types::SubscribeRequest,
    ) -> Call<'a, types::SubscribeResponse> {
        self.typed(req, typed::code_of_subscribe)
    }

    /// `updateOrder` — Payment Request Change. Give the provider with
    /// [`Call::pay_type`] so its limits are checked (the body has no payType).
    pub fn update_order<'a>(
        &'a self,
        req: &'a types::UpdateOrderRequest,
    ) -> Call<'a, types::UpdateOrderResponse> {
        self.typed(req, typed::code_of_update_order)
    }

    /// `capture` — Capture (see [`Call::pay_type`]).
    pub fn capture<'a>(
        &'a self,
        req: &'a types::CaptureRequest,
    ) -> Call<'a, types::CaptureResponse> {
        self.typed(req, typed::code_of_capture)
    }

    /// `cancel` — Cancel / partial refund (see [`Call::pay_type`]).
    pub fn cancel<'a>(&'a self, req: &'a types::CancelRequest) -> Call<'a, types::CancelResponse> {
        self.typed(req, typed::code_of_cancel)
    }

    /// `charge` — On-Demand Payment against an original order (see [`Call::pay_type`]).
    pub fn charge<'a>(&'a self, req: &'a types::ChargeRequest) -> Call<'a, types::ChargeResponse> {
        self.typed(req, typed::code_of_charge)
    }

    /// `terminate` — Cancellation of Contract (see [`Call::pay_type`]).
    pub fn terminate<'a>(
        &'a self,
        req: &'a types::TerminateRequest,
    ) -> Call<'a, types::TerminateResponse> {
        self.typed(req, typed::code_of_terminate)
    }

    /// `getTransactionResult` — Get Transaction Result (no idempotency key
    /// unless given; always safe to resend).
    pub fn get_transaction_result<'a>(
        &'a self,
        req: &'a types::GetTransactionResultRequest,
    ) -> Call<'a, types::GetTransactionResultResponse> {
        self.typed(req, typed::code_of_get_transaction_result)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    pub(crate) key: Option<IdempotencyKey>,
    pub(crate) scope: Option<String>,
    pub(crate) pay_type: Option<PayType>,
}

/// One logical call, ready to be `.await`ed (it implements [`IntoFuture`]).
///
/// ```no_run
/// # async fn f(client: vt4g::Client, req: vt4g::generated::types::CaptureRequest) -> Result<(), vt4g::Error> {
/// use vt4g::idempotency::IdempotencyKey;
/// let outcome = client
///     .capture(&req)
///     .pay_type(vt4g::PayType::Au)
///     .idempotency_key(IdempotencyKey::new("order-123-capture-1")?)
///     .scope("order-123/capture")
///     .await?;
/// # let _ = outcome; Ok(()) }
/// ```
#[must_use = "a Call does nothing until it is awaited"]
pub struct Call<'a, T> {
    client: &'a Client,
    command: Command,
    body: Body<'a>,
    opts: CallOptions,
    /// For the typed commands: reads the result code of a decoded `T`.
    code_of: Option<typed::CodeOf<T>>,
}

/// The request of a [`Call`].
enum Body<'a> {
    /// From [`Client::call`]: the body as a `serde_json::Value` (or why it
    /// could not be made one).
    Value(Result<serde_json::Value, String>),
    /// From a typed method.
    Typed(&'a dyn typed::TypedBody),
}

impl<T> fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("command", &self.command)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl<'a, T> Call<'a, T> {
    /// Sends this key as `X-VT-Idempotency-Key` (default: a fresh UUIDv4 for
    /// mutating commands). Reusing a key with a different body is refused.
    pub fn idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.opts.key = Some(key);
        self
    }

    /// Records the call in the client's [`IdempotencyStore`] under `scope`
    /// (e.g. `order-123/capture`): a crashed or concurrent caller resumes
    /// with the stored key and body, a completed scope is answered from the
    /// ledger. The call fails with [`Error::Config`] when the client has no
    /// store (so that a caller never believes it is protected when it is not);
    /// ignored for getTransactionResult without a key (nothing to protect).
    /// When the scope already exists, its stored key wins over
    /// [`idempotency_key`](Self::idempotency_key).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.opts.scope = Some(scope.into());
        self
    }

    /// The provider of the order, for validating follow-up commands whose
    /// body has no `payType` (updateOrder, capture, cancel, charge,
    /// terminate). Without it only the limits common to all providers the
    /// command supports are checked.
    pub fn pay_type(mut self, pay_type: PayType) -> Self {
        self.opts.pay_type = Some(pay_type);
        self
    }
}

impl<'a, T> IntoFuture for Call<'a, T>
where
    T: DeserializeOwned + Send + 'a,
{
    type Output = Result<Outcome<T>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let request = match self.body {
                Body::Value(body) => prepare::Request::Value(body.map_err(|e| {
                    Error::Config(format!(
                        "the {} request could not be serialized: {e}",
                        self.command
                    ))
                })?),
                Body::Typed(req) => prepare::Request::Typed(req),
            };
            call::execute(
                &self.client.inner,
                self.command,
                request,
                self.opts,
                self.code_of,
            )
            .await
        })
    }
}
