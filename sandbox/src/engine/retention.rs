//! The order store: orders, their transactions and indexes, and the bounds
//! on what is kept (at most `max_orders`, least recently used evicted first;
//! idle longer than `order_ttl`). An evicted order takes its transactions,
//! consumer page and fepOrderId with it.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::Value;

use super::hash::HashMap;
use super::model::{Order, Tx};
use crate::config::Retention;
use crate::validate::str_at;

/// Orders by paymentId, with their indexes and the recency order.
pub(super) struct OrderStore {
    pub(super) orders: HashMap<String, Order>,
    /// fepOrderId → paymentId.
    pub(super) by_fep_order: HashMap<String, String>,
    /// Consumer-page token → paymentId.
    pub(super) by_token: HashMap<String, String>,
    /// Transactions by fepReferenceId.
    pub(super) txs: HashMap<String, Tx>,
    /// Orders by `Order::touched`: the first is the least recently used.
    lru: BTreeMap<u64, String>,
    touch_seq: u64,
    evicted: u64,
    max_orders: usize,
    order_ttl: Option<std::time::Duration>,
}

impl OrderStore {
    /// Empty, with the bounds of `retention` (normalized).
    pub(super) fn new(retention: &Retention) -> OrderStore {
        OrderStore {
            orders: HashMap::default(),
            by_fep_order: HashMap::default(),
            by_token: HashMap::default(),
            txs: HashMap::default(),
            lru: BTreeMap::new(),
            touch_seq: 0,
            evicted: 0,
            max_orders: retention.max_orders,
            order_ttl: retention.order_ttl,
        }
    }

    /// Orders evicted so far.
    pub(super) fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The paymentId of the order named by `pid_path` (a paymentId) or, when
    /// the body has none, by `fep_path` (a fepOrderId).
    pub(super) fn find_id(&self, body: &Value, pid_path: &str, fep_path: &str) -> Option<String> {
        if let Some(p) = str_at(body, pid_path) {
            return self.orders.contains_key(p).then(|| p.to_owned());
        }
        str_at(body, fep_path).and_then(|f| self.by_fep_order.get(f).cloned())
    }

    /// Marks an order as just used (it becomes the last to be evicted).
    pub(super) fn touch(&mut self, payment_id: &str, now: SystemTime) {
        let Some(o) = self.orders.get_mut(payment_id) else {
            return;
        };
        self.touch_seq += 1;
        let key = self
            .lru
            .remove(&o.touched)
            .unwrap_or_else(|| payment_id.to_owned());
        o.touched = self.touch_seq;
        o.touched_at = now;
        self.lru.insert(self.touch_seq, key);
    }

    /// Inserts a new order (replacing a failed one with the same paymentId,
    /// whose transactions it inherits) and marks it used.
    pub(super) fn insert(&mut self, mut order: Order, now: SystemTime) {
        let pid = order.payment_id.clone();
        if let Some(old) = self.orders.remove(&pid) {
            self.lru.remove(&old.touched);
            self.by_fep_order.remove(&old.fep_order_id);
            if let Some(t) = &old.token {
                self.by_token.remove(t);
            }
            order.inherited_txs = old.inherited_txs;
            order.inherited_txs.extend(old.transactions);
        }
        self.by_fep_order
            .insert(order.fep_order_id.clone(), pid.clone());
        if let Some(t) = &order.token {
            self.by_token.insert(t.clone(), pid.clone());
        }
        self.orders.insert(pid.clone(), order);
        self.touch(&pid, now);
    }

    /// Forgets an order and everything only it refers to: its transactions,
    /// its consumer page, its fepOrderId. (Effects, webhook records and
    /// idempotency records have their own bounds.)
    fn evict(&mut self, payment_id: &str) {
        let Some(o) = self.orders.remove(payment_id) else {
            return;
        };
        self.lru.remove(&o.touched);
        self.by_fep_order.remove(&o.fep_order_id);
        if let Some(t) = &o.token {
            self.by_token.remove(t);
        }
        for id in o.transactions.iter().chain(&o.inherited_txs) {
            self.txs.remove(id);
        }
        self.evicted += 1;
    }

    /// Evicts orders over `max_orders` or idle longer than `order_ttl`,
    /// least recently used first.
    pub(super) fn enforce(&mut self, now: SystemTime) {
        while self.orders.len() > self.max_orders {
            let Some((_, pid)) = self.lru.pop_first() else {
                break;
            };
            if let Some(o) = self.orders.get_mut(&pid) {
                // Already out of `lru`: make `evict` not remove a newer entry.
                o.touched = 0;
            }
            self.evict(&pid);
        }
        if let Some(ttl) = self.order_ttl {
            while let Some((_, pid)) = self.lru.first_key_value() {
                let Some(o) = self.orders.get(pid) else {
                    // Not an order any more (cannot happen): drop the entry.
                    self.lru.pop_first();
                    continue;
                };
                if now.duration_since(o.touched_at).unwrap_or_default() < ttl {
                    break;
                }
                let pid = pid.clone();
                self.evict(&pid);
            }
        }
    }

    /// The pending transaction `fep_ref` became final with `code` /
    /// `v_code` at `now` (`None` if it is gone).
    pub(super) fn settle_tx(
        &mut self,
        fep_ref: &str,
        code: &'static str,
        v_code: Option<&'static str>,
        now: SystemTime,
    ) -> Option<&Tx> {
        let tx = self.txs.get_mut(fep_ref)?;
        tx.settle(code, v_code, now);
        Some(tx)
    }

    /// Entries of the recency order (equal to the number of orders).
    #[cfg(test)]
    pub(super) fn lru_len(&self) -> usize {
        self.lru.len()
    }
}
