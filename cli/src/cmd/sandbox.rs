//! `vt4g sandbox serve`.

use std::io::Write;

use vt4g::webhook::WebhookScheme;
use vt4g::Secret;
use vt4g_sandbox::{
    RandomFaults, Retention, Sandbox, SandboxConfig, DEFAULT_AUTH_KEY, DEFAULT_BEARER_TOKEN,
    DEFAULT_CCID,
};

use crate::args::SandboxServeArgs;
use crate::io::{Credentials, Exit, Failure, Outcome, ENV_CCID, ENV_KEY, ENV_TOKEN};

/// Runs `vt4g sandbox serve`: prints `listening on http://HOST:PORT`, serves until SIGINT or
/// SIGTERM, shuts down and exits 0. The signal handlers are installed before the line is
/// printed, so a signal sent right after reading it is never lost.
pub fn serve(a: SandboxServeArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let mut fell_back = Vec::new();
    let token = match &creds.token {
        Some((s, _)) => s.clone(),
        None => {
            fell_back.push(ENV_TOKEN);
            Secret::new(DEFAULT_BEARER_TOKEN)
        }
    };
    let ccid = match &creds.ccid {
        Some((s, _)) => s.expose().to_owned(),
        None => {
            fell_back.push(ENV_CCID);
            DEFAULT_CCID.to_owned()
        }
    };
    let key = match &creds.key {
        Some((s, _)) => s.clone(),
        None => {
            fell_back.push(ENV_KEY);
            Secret::new(DEFAULT_AUTH_KEY)
        }
    };
    if !fell_back.is_empty() {
        eprintln!(
            "vt4g: {} not set: using the simulator's public test value(s) (see `vt4g sandbox serve --help`)",
            fell_back.join(", ")
        );
    }
    let scheme = WebhookScheme::from(a.scheme);
    if scheme.needs_hex_key() && !key.expose().bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Failure::usage(format!(
            "the {} scheme needs a hexadecimal {ENV_KEY}",
            scheme.name()
        )));
    }
    if !a.addr.ip().is_loopback() {
        if !a.allow_remote {
            return Err(Failure::usage(format!(
                "refusing to listen on {}: not a loopback address. The simulator accepts its \
                 public test credentials from anyone who can reach it; pass --allow-remote to \
                 expose it anyway",
                a.addr
            )));
        }
        eprintln!(
            "vt4g: warning: listening on {} (not loopback, --allow-remote): anyone who can reach \
             this address can call the simulator; /_sandbox/* requires the bearer token",
            a.addr
        );
    }
    let mut cfg = SandboxConfig::default()
        .addr(a.addr)
        .allow_remote(a.allow_remote)
        .bearer_token(token)
        .merchant(ccid, key)
        .webhook_scheme(scheme)
        .retention(retention(&a));
    let forward = match &a.forward_webhooks_to {
        Some(u) => Some(
            url::Url::parse(u)
                .ok()
                .filter(|x| matches!(x.scheme(), "http" | "https") && x.host().is_some())
                .ok_or_else(|| {
                    Failure::usage(format!("--forward-webhooks-to {u:?} is not an http(s) URL"))
                })?
                .to_string(),
        ),
        None => None,
    };
    if a.fault_rate > 0.0 {
        let seed = a
            .seed
            .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
        if a.seed.is_none() {
            eprintln!("vt4g: fault injection seed {seed} (replay with --seed {seed})");
        }
        cfg = cfg.random_faults(RandomFaults {
            rate: a.fault_rate,
            seed,
            kinds: Vec::new(),
        });
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let mut signals = Signals::install()
            .map_err(|e| Failure::usage(format!("cannot install signal handlers: {e}")))?;
        let sandbox = Sandbox::start(cfg)
            .await
            .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", a.addr)))?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {}", sandbox.root_url())
                .and_then(|()| out.flush())
                .map_err(|e| Failure::usage(format!("cannot write to stdout: {e}")))?;
        }
        eprintln!(
            "vt4g: simulator API at {} (stop with Ctrl-C or SIGTERM)",
            sandbox.base_url()
        );
        if let Some(url) = forward {
            eprintln!("vt4g: forwarding every webhook to {url}");
            sandbox.forward_webhooks_to(Some(url), |f| {
                let answer = match (&f.status, &f.error) {
                    (Some(s), _) => s.to_string(),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "no answer".to_owned(),
                };
                let end = if f.gave_up { " (gave up)" } else { "" };
                eprintln!(
                    "vt4g: --> {} [{}] {}: {answer}{end}",
                    f.summary, f.webhook_id, f.url
                );
            });
        }
        signals.wait().await;
        eprintln!("vt4g: shutting down");
        sandbox.shutdown().await;
        Ok(Outcome::bare(Exit::Ok))
    })
}

/// The retention bounds the flags ask for.
fn retention(a: &SandboxServeArgs) -> Retention {
    if a.unbounded {
        return Retention::unbounded();
    }
    let clamp = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Retention {
        max_orders: clamp(a.max_orders),
        order_ttl: a.order_ttl.map(std::time::Duration::from_secs),
        max_effects: clamp(a.max_effects),
        ..Retention::default()
    }
}

/// SIGINT and SIGTERM, registered at construction.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Self> {
        Ok(Signals {})
    }

    #[cfg(unix)]
    async fn wait(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn wait(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
