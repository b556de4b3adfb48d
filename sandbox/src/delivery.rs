//! Webhook delivery in background tasks: signed with the configured scheme
//! over the exact bytes sent, retried with exponential backoff for a bounded
//! time, optionally redelivered once after a 200.
//!
//! One direction only: the engine queues [`WebhookJob`]s and keeps the
//! records; this module runs the jobs and reports each attempt back through
//! [`crate::engine::State::webhook_attempt`]. The engine knows nothing of it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{Ctx, DeliveryAttempt, DeliveryState, State, WebhookJob};
use crate::shared::Shared;

/// Runs `f` on the engine state under the lock (with the inputs of a request
/// handled now), then starts delivering the webhooks it queued.
pub(crate) fn with_state<R>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&mut State, &Ctx<'_>, &mut Vec<WebhookJob>) -> R,
) -> R {
    let ctx = shared.ctx();
    let mut jobs = Vec::new();
    let r = f(&mut shared.state.lock(), &ctx, &mut jobs);
    spawn_all(shared, jobs);
    r
}

/// Spawns one task per job; never blocks the caller.
pub(crate) fn spawn_all(shared: &Arc<Shared>, jobs: Vec<WebhookJob>) {
    for job in jobs {
        let shared = Arc::clone(shared);
        tokio::spawn(async move { deliver(shared, job).await });
    }
}

/// One POST of the webhook, as its delivery record notes it.
async fn attempt(
    shared: &Shared,
    job: &WebhookJob,
    signature: &str,
    redelivery: bool,
) -> DeliveryAttempt {
    let req = shared
        .http
        .post(&job.url)
        .header("Content-Type", "application/json")
        .header("X-VT-webhook-id", &job.webhook_id)
        .header("X-VT-Content-hmac", signature)
        .timeout(shared.cfg.webhook_retry.attempt_timeout)
        .body(job.body.clone());
    let (status, error) = match req.send().await {
        Ok(resp) => (Some(resp.status().as_u16()), None),
        Err(e) => (
            None,
            Some(if e.is_timeout() {
                "timeout".to_owned()
            } else if e.is_connect() {
                "connection failed".to_owned()
            } else {
                "transport error".to_owned()
            }),
        ),
    };
    DeliveryAttempt {
        status,
        error,
        redelivery,
    }
}

async fn deliver(shared: Arc<Shared>, job: WebhookJob) {
    let record = |a: DeliveryAttempt, s: Option<DeliveryState>| {
        shared.state.lock().webhook_attempt(job.index, a, s);
    };
    let signature = match vt4g::webhook::sign_webhook(
        shared.cfg.webhook_scheme,
        &shared.cfg.merchant_ccid,
        &shared.cfg.auth_key,
        &job.body,
    ) {
        Ok(s) => s,
        Err(e) => {
            let a = DeliveryAttempt {
                status: None,
                error: Some(format!("cannot sign: {e}")),
                redelivery: false,
            };
            record(a, Some(DeliveryState::Failed));
            return;
        }
    };
    let policy = shared.cfg.webhook_retry;
    let started = Instant::now();
    let mut wait = policy.initial_backoff;
    loop {
        let a = attempt(&shared, &job, &signature, false).await;
        if a.status == Some(200) {
            record(a, Some(DeliveryState::Delivered));
            break;
        }
        if started.elapsed() + wait > policy.max_elapsed {
            record(a, Some(DeliveryState::Failed));
            return;
        }
        record(a, None);
        tokio::time::sleep(wait).await;
        let next = wait.as_secs_f64() * policy.multiplier.max(1.0);
        wait = Duration::from_secs_f64(next.min(policy.max_backoff.as_secs_f64()));
    }
    if shared.cfg.redeliver_webhooks {
        tokio::time::sleep(policy.initial_backoff).await;
        let a = attempt(&shared, &job, &signature, true).await;
        record(a, None);
    }
}
