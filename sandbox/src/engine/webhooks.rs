//! Webhook records (the newest `max_webhooks` kept, `GET /_sandbox/webhooks`)
//! and the jobs handed to `crate::delivery`, which reports each attempt back
//! through [`super::State::webhook_attempt`].

use std::collections::VecDeque;

use bytes::Bytes;
use serde::Serialize;
use vt4g::{Command, PayType};

use super::model::{Control, Tx};
use crate::json::Obj;

/// A webhook waiting for delivery.
#[derive(Debug, Clone)]
pub(crate) struct WebhookJob {
    /// Global number of the webhook record (see [`WebhookLog::attempt`]).
    pub index: u64,
    pub url: String,
    pub webhook_id: String,
    pub body: Bytes,
    /// A redelivery asked for through the admin API (its attempts are
    /// recorded with `redelivery: true`).
    pub redelivery: bool,
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

/// The reference's notification conditions table (pay/subscribe: only on the
/// consumer's success, handled in the consumer step).
pub(super) fn notifies(command: Command, p: PayType) -> bool {
    match command {
        Command::UpdateOrder => matches!(p, PayType::Rakuten | PayType::Au),
        Command::Terminate => p != PayType::Rakuten,
        Command::Capture | Command::Cancel | Command::Charge => true,
        Command::Pay | Command::Subscribe | Command::GetTransactionResult => false,
    }
}

/// The kept records and how many older ones were dropped.
pub(super) struct WebhookLog {
    recs: VecDeque<WebhookRecord>,
    dropped: u64,
    max: usize,
}

impl WebhookLog {
    /// Keeps the newest `max` records.
    pub(super) fn new(max: usize) -> WebhookLog {
        WebhookLog {
            recs: VecDeque::new(),
            dropped: 0,
            max,
        }
    }

    /// Records webhook `webhook_id` of transaction `fep_ref` (its result and
    /// data) to `url`, and queues its delivery.
    pub(super) fn queue(
        &mut self,
        webhook_id: String,
        url: &str,
        tx: &Tx,
        fep_ref: &str,
        jobs: &mut Vec<WebhookJob>,
    ) {
        let mut out = Vec::with_capacity(640);
        {
            let mut o = Obj::new(&mut out);
            tx.write_result(&mut o);
            tx.write_data(&mut o, fep_ref, Control::Sandbox, true);
        }
        let bytes = Bytes::from(out);
        let index = self.dropped + self.recs.len() as u64;
        self.recs.push_back(WebhookRecord {
            webhook_id: webhook_id.clone(),
            url: url.to_owned(),
            command: tx.name.to_owned(),
            payment_id: tx.ident.payment_id.clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            state: DeliveryState::Pending,
            attempts: Vec::new(),
        });
        while self.recs.len() > self.max {
            self.recs.pop_front();
            self.dropped += 1;
        }
        jobs.push(WebhookJob {
            index,
            url: url.to_owned(),
            webhook_id,
            body: bytes,
            redelivery: false,
        });
    }

    /// Records a delivery attempt of webhook number `index` (nothing when
    /// its record was dropped meanwhile).
    pub(super) fn attempt(
        &mut self,
        index: u64,
        attempt: DeliveryAttempt,
        state: Option<DeliveryState>,
    ) {
        let Some(i) = index
            .checked_sub(self.dropped)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return;
        };
        if let Some(w) = self.recs.get_mut(i) {
            w.attempts.push(attempt);
            if let Some(s) = state {
                w.state = s;
            }
        }
    }

    /// A redelivery job of the newest kept record with this webhook id: the
    /// same URL, `X-VT-webhook-id` and body bytes.
    pub(super) fn redelivery(&self, webhook_id: &str) -> Option<WebhookJob> {
        let (i, rec) = self
            .recs
            .iter()
            .enumerate()
            .rev()
            .find(|(_, r)| r.webhook_id == webhook_id)?;
        Some(WebhookJob {
            index: self.dropped + i as u64,
            url: rec.url.clone(),
            webhook_id: rec.webhook_id.clone(),
            body: Bytes::from(rec.body.clone().into_bytes()),
            redelivery: true,
        })
    }

    /// The kept records, oldest first.
    pub(super) fn list(&self) -> Vec<WebhookRecord> {
        self.recs.iter().cloned().collect()
    }

    pub(super) fn len(&self) -> usize {
        self.recs.len()
    }

    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }
}
