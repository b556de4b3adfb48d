//! What every part of a running simulator shares: the configuration, its own
//! root URL, the engine state behind one mutex, and the HTTP client that
//! delivers webhooks.

use parking_lot::Mutex;

use crate::config::SandboxConfig;
use crate::engine::{Ctx, State};

/// One per [`crate::Sandbox`], behind an `Arc`.
pub(crate) struct Shared {
    pub(crate) cfg: SandboxConfig,
    /// `http://127.0.0.1:PORT`.
    pub(crate) root_url: String,
    pub(crate) state: Mutex<State>,
    /// Client for webhook delivery.
    pub(crate) http: reqwest::Client,
    /// Where every webhook is also delivered (`None`: nowhere).
    pub(crate) forward: Mutex<Option<crate::delivery::Forward>>,
}

impl Shared {
    /// The engine's inputs for a request handled now.
    pub(crate) fn ctx(&self) -> Ctx<'_> {
        Ctx {
            now: self.cfg.clock.now(),
            root_url: &self.root_url,
            push_policy: self.cfg.push_url_policy,
        }
    }
}
