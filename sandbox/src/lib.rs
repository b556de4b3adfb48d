//! # vt4g-sandbox — a local, stateful simulator of the VeriTrans4G Unified API sandbox
//!
//! A real HTTP server on `127.0.0.1` that behaves like the sandbox the
//! reference describes: Bearer authentication, the format check, stateful
//! orders per provider, the "last digit of the amount" tables and the dummy
//! provider pages ([`tables`]), signed redirects and webhooks, idempotency,
//! and fault injection. See `sandbox/README.md` for the admin API and every
//! reading of an ambiguous reference table.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use vt4g_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("point the client at {}", sandbox.base_url()); // http://127.0.0.1:PORT/fep/command
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod clock;
mod config;
mod delivery;
mod engine;
mod http;
mod json;
mod server;
mod shared;
pub mod tables;
mod validate;

use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use clock::{format_jst, parse_jst, Clock, ManualClock, SystemClock};
pub use config::{
    FaultKind, FaultRule, PushUrlPolicy, RandomFaults, RequestLimits, Retention, SandboxConfig,
    WebhookRetryPolicy, DEFAULT_AUTH_KEY, DEFAULT_BEARER_TOKEN, DEFAULT_CCID,
};
pub use delivery::ForwardedAttempt;
pub use engine::{
    DeliveryAttempt, DeliveryState, Effect, Order, OrderKind, OrderState, SandboxStats,
    WebhookRecord, IDEMPOTENCY_TTL,
};
pub use http::REJECTED_BY_HEADER;
#[doc(hidden)]
pub use http::{parse_command_request, CommandRequest, Refused};

use shared::Shared;

/// A running simulator. Dropping it stops accepting connections (like
/// [`Sandbox::shutdown`] without waiting).
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds `cfg.addr` and starts serving in the background.
    ///
    /// # Errors
    /// A non-loopback address without [`SandboxConfig::allow_remote`]
    /// (`InvalidInput`), the bind error (address in use, permission) or the
    /// HTTP client for webhook delivery could not be built.
    pub async fn start(cfg: SandboxConfig) -> std::io::Result<Sandbox> {
        cfg.check_bind()?;
        let listener = TcpListener::bind(cfg.addr).await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| std::io::Error::other(format!("webhook HTTP client: {e}")))?;
        let state =
            engine::State::new(cfg.faults.clone(), cfg.random_faults.clone(), cfg.retention);
        let shared = Arc::new(Shared {
            root_url: format!("http://{addr}"),
            cfg,
            state: Mutex::new(state),
            http,
            forward: Mutex::new(None),
        });
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), stop_rx));
        Ok(Sandbox {
            shared,
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API server URL, as in the spec: `http://127.0.0.1:PORT/fep/command`.
    pub fn base_url(&self) -> String {
        format!("{}/fep/command", self.shared.root_url)
    }

    /// `http://127.0.0.1:PORT` (admin endpoints live under `/_sandbox`).
    pub fn root_url(&self) -> String {
        self.shared.root_url.clone()
    }

    /// The configured bearer token.
    pub fn bearer_token(&self) -> &vt4g::Secret {
        &self.shared.cfg.bearer_token
    }

    /// Every effect applied so far, in order (the newest
    /// [`Retention::max_effects`]; see [`Sandbox::stats`] for how many older
    /// ones were dropped).
    pub fn effects(&self) -> Vec<Effect> {
        self.shared.state.lock().effects()
    }

    /// Every webhook and its deliveries so far (the newest
    /// [`Retention::max_webhooks`]).
    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        self.shared.state.lock().webhooks()
    }

    /// Counts of what the simulator holds and what it dropped (see
    /// [`Retention`]). Same as `GET /_sandbox/stats`.
    pub fn stats(&self) -> SandboxStats {
        self.shared.state.lock().stats()
    }

    /// An order by paymentId (`None` if unknown or evicted, see [`Retention`]).
    pub fn order(&self, payment_id: &str) -> Option<Order> {
        self.shared.state.lock().order(payment_id)
    }

    /// Plans a fault (same as `POST /_sandbox/faults`).
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.state.lock().add_fault(rule);
    }

    /// Removes every planned fault.
    pub fn clear_faults(&self) {
        self.shared.state.lock().clear_faults();
    }

    fn admin(
        &self,
        f: impl FnOnce(
            &mut engine::State,
            &engine::Ctx<'_>,
            &mut Vec<engine::WebhookJob>,
        ) -> Result<serde_json::Value, (u16, String)>,
    ) -> Result<serde_json::Value, String> {
        delivery::with_state(&self.shared, f).map_err(|(_, m)| m)
    }

    /// Simulates the provider cancelling an original order's contract: the
    /// order becomes `deregistered` and the `deregistration` webhook goes to
    /// `deregistrationPushUrl` (else `pushUrl`). Same as
    /// `POST /_sandbox/orders/{paymentId}/deregister`.
    ///
    /// # Errors
    /// No such order, Rakuten (no deregistration notifications), or not an
    /// original order with an active contract.
    pub fn deregister(&self, payment_id: &str) -> Result<serde_json::Value, String> {
        self.admin(|st, ctx, jobs| st.deregister(ctx, payment_id, jobs))
    }

    /// Simulates the consumer paying a PayPay charge that answered
    /// UA-U00-001 (`recoveryType=recovery`): the order completes and a second
    /// webhook with UA-000-001 is sent. Same as
    /// `POST /_sandbox/orders/{paymentId}/complete`.
    ///
    /// # Errors
    /// No such order, or it is not waiting for the consumer.
    pub fn complete_user_paying(&self, payment_id: &str) -> Result<serde_json::Value, String> {
        self.admin(|st, ctx, jobs| st.complete_user_paying(ctx, payment_id, jobs))
    }

    /// Simulates the consumer on the payment page of an order awaiting them:
    /// `success`, `failure` (the provider page's first failure choice),
    /// `cancel` (its consumer-cancel choice) or any choice name of the
    /// provider's result-selection table. Same state change, webhook and
    /// signed redirect as opening the page; the JSON has the `choice`, the
    /// `location` of the redirect (or the `page` text) and the new `state`.
    /// Same as `POST /_sandbox/orders/{paymentId}/consumer?action=...`.
    ///
    /// # Errors
    /// No such order, it is not awaiting the consumer, or its provider's page
    /// offers no such choice (the message lists what it offers).
    pub fn consumer_step(
        &self,
        payment_id: &str,
        action: &str,
    ) -> Result<serde_json::Value, String> {
        let (ccid, key) = (&self.shared.cfg.merchant_ccid, &self.shared.cfg.auth_key);
        let action = engine::ConsumerAction::parse(action);
        self.admin(|st, ctx, jobs| st.consumer_step(ctx, ccid, key, payment_id, action, jobs))
    }

    /// Delivers a recorded webhook again: same URL, `X-VT-webhook-id` and
    /// body (attempts recorded with `redelivery: true`). Same as
    /// `POST /_sandbox/webhooks/{webhookId}/redeliver`.
    ///
    /// # Errors
    /// No kept webhook record has this id.
    pub fn redeliver_webhook(&self, webhook_id: &str) -> Result<serde_json::Value, String> {
        self.admin(|st, _, jobs| st.redeliver_webhook(webhook_id, jobs))
    }

    /// From now on, every webhook is also delivered to `url` (signed the
    /// same way, retried with the same policy), like `stripe listen
    /// --forward-to`: a merchant app on a laptop receives what the order's
    /// `pushUrl` receives. `report` hears of every attempt of a forwarded
    /// copy; those attempts are not in [`Sandbox::webhooks`]. `None` stops
    /// forwarding.
    pub fn forward_webhooks_to(
        &self,
        url: Option<String>,
        report: impl Fn(&ForwardedAttempt) + Send + Sync + 'static,
    ) {
        *self.shared.forward.lock() = url.map(|url| delivery::Forward {
            url,
            report: Arc::new(report),
        });
    }

    /// Stops accepting connections, lets open connections finish their
    /// current request, and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// Serves until Ctrl-C (or SIGTERM on Unix), then shuts down gracefully.
    ///
    /// # Errors
    /// The signal handler could not be installed.
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        server::wait_for_signal().await?;
        self.shutdown().await;
        Ok(())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
