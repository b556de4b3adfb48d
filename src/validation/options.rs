//! The options of a validation.

use std::time::SystemTime;

use vt4g_generated::rules::RequestMode;

use crate::PayType;

/// How strictly URLs are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UrlPolicy {
    /// The reference's rules: webhook URLs https, port 443, public address; redirect URLs
    /// https in live mode. The default.
    #[default]
    Production,
    /// The explicit relaxation for tests against the local simulator (`vt4g-sandbox`):
    /// http is accepted everywhere, any port, and loopback addresses (`127.0.0.0/8`,
    /// `::1`, `localhost`) are accepted for webhook URLs. Other private addresses are
    /// still rejected. Never use it for requests to VeriTrans.
    AllowLocalSimulator,
}

/// Options of [`validate`](super::validate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationOptions {
    /// The environment the request is for (default live): governs the https rule of the
    /// redirect URLs and must match `control.requestMode`.
    pub mode: RequestMode,
    /// Strict mode: fields the provider ignores and values the server truncates are errors.
    pub strict: bool,
    /// The provider, for commands whose body does not carry `order.payType` (everything
    /// but pay/subscribe). When the body carries one, a different value here is an error.
    pub pay_type: Option<PayType>,
    /// URL strictness (default [`UrlPolicy::Production`]).
    pub url_policy: UrlPolicy,
    /// "Now", for time-window rules (`recoveryExpiredDatetime`).
    pub now: SystemTime,
}

impl Default for ValidationOptions {
    /// Live mode, not strict, no provider, production URL policy, the current time.
    fn default() -> Self {
        ValidationOptions {
            mode: RequestMode::Live,
            strict: false,
            pay_type: None,
            url_policy: UrlPolicy::Production,
            now: SystemTime::now(),
        }
    }
}

impl ValidationOptions {
    /// Options for `mode` with the other defaults.
    pub fn new(mode: RequestMode) -> Self {
        ValidationOptions {
            mode,
            ..Self::default()
        }
    }

    /// Sets the provider (for follow-up commands).
    pub fn with_pay_type(mut self, pay_type: PayType) -> Self {
        self.pay_type = Some(pay_type);
        self
    }

    /// Sets strict mode.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets the URL policy.
    pub fn with_url_policy(mut self, policy: UrlPolicy) -> Self {
        self.url_policy = policy;
        self
    }

    /// Sets the clock.
    pub fn at(mut self, now: SystemTime) -> Self {
        self.now = now;
        self
    }
}
