//! Webhook delivery in background tasks: signed with the configured scheme
//! over the exact bytes sent, retried with exponential backoff for a bounded
//! time, optionally redelivered once after a 200.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{DeliveryAttempt, DeliveryState, WebhookJob};
use crate::Shared;

/// Spawns one task per job; never blocks the caller.
pub(crate) fn spawn_all(shared: &Arc<Shared>, jobs: Vec<WebhookJob>) {
    for job in jobs {
        let shared = Arc::clone(shared);
        tokio::spawn(async move { deliver(shared, job).await });
    }
}

async fn attempt(shared: &Shared, job: &WebhookJob, signature: &str) -> Result<u16, String> {
    let req = shared
        .http
        .post(&job.url)
        .header("Content-Type", "application/json")
        .header("X-VT-webhook-id", &job.webhook_id)
        .header("X-VT-Content-hmac", signature)
        .timeout(shared.cfg.webhook_retry.attempt_timeout)
        .body(job.body.clone());
    match req.send().await {
        Ok(resp) => Ok(resp.status().as_u16()),
        Err(e) => Err(if e.is_timeout() {
            "timeout".to_owned()
        } else if e.is_connect() {
            "connection failed".to_owned()
        } else {
            "transport error".to_owned()
        }),
    }
}

async fn deliver(shared: Arc<Shared>, job: WebhookJob) {
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
            shared
                .state
                .lock()
                .webhook_attempt(job.index, a, Some(DeliveryState::Failed));
            return;
        }
    };
    let policy = shared.cfg.webhook_retry;
    let started = Instant::now();
    let mut wait = policy.initial_backoff;
    loop {
        let res = attempt(&shared, &job, &signature).await;
        let ok = matches!(res, Ok(200));
        let (status, error) = match res {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        let a = DeliveryAttempt {
            status,
            error,
            redelivery: false,
        };
        if ok {
            shared
                .state
                .lock()
                .webhook_attempt(job.index, a, Some(DeliveryState::Delivered));
            break;
        }
        if started.elapsed() + wait > policy.max_elapsed {
            shared
                .state
                .lock()
                .webhook_attempt(job.index, a, Some(DeliveryState::Failed));
            return;
        }
        shared.state.lock().webhook_attempt(job.index, a, None);
        tokio::time::sleep(wait).await;
        let next = wait.as_secs_f64() * policy.multiplier.max(1.0);
        wait = Duration::from_secs_f64(next.min(policy.max_backoff.as_secs_f64()));
    }
    if shared.cfg.redeliver_webhooks {
        tokio::time::sleep(policy.initial_backoff).await;
        let res = attempt(&shared, &job, &signature).await;
        let (status, error) = match res {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        let a = DeliveryAttempt {
            status,
            error,
            redelivery: true,
        };
        shared.state.lock().webhook_attempt(job.index, a, None);
    }
}
