//! [`State`]: the parts of the simulator's memory together, with the
//! entry points the HTTP layer, delivery and [`crate::Sandbox`] call that
//! are not processing (inspection, faults, idempotency, delivery reports).

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;
use vt4g::Command;

use super::effects::{Effect, EffectLog};
use super::faults::Faults;
use super::idempotency::{IdemDecision, IdemKey, IdemLog};
use super::ids::Ids;
use super::model::{Order, Tx};
use super::reply::Reply;
use super::retention::OrderStore;
use super::webhooks::{DeliveryAttempt, DeliveryState, WebhookJob, WebhookLog, WebhookRecord};
use crate::config::{FaultKind, FaultRule, PushUrlPolicy, RandomFaults, Retention};

/// Inputs the engine needs from the configuration, for one request.
pub(crate) struct Ctx<'a> {
    pub now: SystemTime,
    pub root_url: &'a str,
    pub push_policy: PushUrlPolicy,
}

/// One validated command being processed: its inputs, the body, and the
/// in-flight idempotency key (for the effect log).
pub(super) struct Request<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) command: Command,
    pub(super) body: &'a Value,
    pub(super) idem: Option<&'a IdemKey>,
}

/// Counts of what the simulator holds (`GET /_sandbox/stats`,
/// [`crate::Sandbox::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStats {
    /// Orders kept.
    pub orders: usize,
    /// Orders evicted so far (capacity or idle time, see [`crate::Retention`]).
    pub orders_evicted: u64,
    /// Transactions kept (answerable by getTransactionResult).
    pub transactions: usize,
    /// Idempotency records kept.
    pub idempotency_records: usize,
    /// Effect-log entries kept.
    pub effects: usize,
    /// Oldest effect-log entries dropped so far (the kept ones are the
    /// newest; `seq` keeps counting from 1 over all of them).
    pub effects_dropped: u64,
    /// Webhook records kept.
    pub webhooks: usize,
    /// Oldest webhook records dropped so far.
    pub webhooks_dropped: u64,
}

/// The whole mutable state.
pub(crate) struct State {
    pub(super) store: OrderStore,
    pub(super) idem: IdemLog,
    pub(super) effects: EffectLog,
    pub(super) webhooks: WebhookLog,
    pub(super) faults: Faults,
    pub(super) ids: Ids,
}

impl State {
    pub(crate) fn new(
        faults: Vec<FaultRule>,
        random: Option<RandomFaults>,
        retention: Retention,
    ) -> State {
        let retention = retention.normalized();
        let faults = Faults::new(faults, random);
        State {
            store: OrderStore::new(&retention),
            idem: IdemLog::new(retention.max_idempotency_records),
            effects: EffectLog::new(retention.max_effects),
            webhooks: WebhookLog::new(retention.max_webhooks),
            ids: Ids::new(faults.seed()),
            faults,
        }
    }

    /// Applies the retention bounds: orders over `max_orders` or idle
    /// longer than `order_ttl` (least recently used first), idempotency
    /// records past their life or over `max_idempotency_records`.
    pub(crate) fn enforce_retention(&mut self, now: SystemTime) {
        self.store.enforce(now);
        self.idem.sweep(now);
    }

    /// Records webhook `tx` of transaction `fep_ref` to `url` under a fresh
    /// webhook id and queues its delivery.
    pub(super) fn notify(&mut self, url: &str, tx: &Tx, fep_ref: &str, jobs: &mut Vec<WebhookJob>) {
        let webhook_id = self.ids.new_id();
        self.webhooks.queue(webhook_id, url, tx, fep_ref, jobs);
    }

    // ---------------- inspection ----------------

    /// What the simulator holds.
    pub(crate) fn stats(&self) -> SandboxStats {
        SandboxStats {
            orders: self.store.orders.len(),
            orders_evicted: self.store.evicted(),
            transactions: self.store.txs.len(),
            idempotency_records: self.idem.len(),
            effects: self.effects.len(),
            effects_dropped: self.effects.dropped(),
            webhooks: self.webhooks.len(),
            webhooks_dropped: self.webhooks.dropped(),
        }
    }

    /// The effect log (the kept entries, oldest first).
    pub(crate) fn effects(&self) -> Vec<Effect> {
        self.effects.list()
    }

    /// How many of the oldest effects were dropped.
    pub(crate) fn effects_dropped(&self) -> u64 {
        self.effects.dropped()
    }

    /// The webhook records (the kept ones, oldest first).
    pub(crate) fn webhooks(&self) -> Vec<WebhookRecord> {
        self.webhooks.list()
    }

    /// How many of the oldest webhook records were dropped.
    pub(crate) fn webhooks_dropped(&self) -> u64 {
        self.webhooks.dropped()
    }

    /// A copy of an order.
    pub(crate) fn order(&self, payment_id: &str) -> Option<Order> {
        self.store.orders.get(payment_id).cloned()
    }

    // ---------------- faults ----------------

    pub(crate) fn add_fault(&mut self, rule: FaultRule) {
        self.faults.add(rule);
    }

    pub(crate) fn clear_faults(&mut self) {
        self.faults.clear();
    }

    pub(crate) fn planned_faults(&self) -> Vec<FaultRule> {
        self.faults.planned()
    }

    /// The fault for this request, if any (consumes one count of a planned rule).
    pub(crate) fn take_fault(
        &mut self,
        command: Command,
        ident: Option<&str>,
    ) -> Option<FaultKind> {
        self.faults.take(command, ident, &mut self.ids)
    }

    // ---------------- idempotency ----------------

    /// The idempotency check before processing (see [`IdemDecision`]).
    pub(crate) fn idem_begin(
        &mut self,
        key: Option<&str>,
        command: Command,
        ident: &str,
        now: SystemTime,
    ) -> IdemDecision {
        match key {
            Some(key) => self.idem.begin(IdemKey::new(key, command, ident), now),
            None => IdemDecision::Proceed(None),
        }
    }

    /// Records the answer of a request made with a key.
    pub(crate) fn idem_finish(&mut self, key: Option<IdemKey>, reply: &Reply, now: SystemTime) {
        self.idem.finish(key, reply, now);
    }

    // ---------------- delivery reports ----------------

    /// Records a delivery attempt of webhook number `index` (nothing when
    /// its record was dropped meanwhile).
    pub(crate) fn webhook_attempt(
        &mut self,
        index: u64,
        attempt: DeliveryAttempt,
        state: Option<DeliveryState>,
    ) {
        self.webhooks.attempt(index, attempt, state);
    }
}
