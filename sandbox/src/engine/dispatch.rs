//! [`State::process`]: a validated command to its handler, with retention
//! before (an idle order is gone before the request looks) and after (the
//! orders the request used become the most recently used).

use serde_json::Value;
use vt4g::Command;

use super::commands::{cancel, capture, terminate, update_order};
use super::idempotency::IdemKey;
use super::reply::Reply;
use super::state::{Ctx, Request, State};
use super::webhooks::WebhookJob;
use crate::validate::str_at;

impl State {
    /// Processes a validated command. `idem` is the in-flight key (for the effect log).
    pub(crate) fn process(
        &mut self,
        ctx: &Ctx<'_>,
        command: Command,
        body: &Value,
        idem: Option<&IdemKey>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Reply {
        self.enforce_retention(ctx.now);
        let req = Request {
            ctx,
            command,
            body,
            idem,
        };
        let r = match command {
            Command::Pay | Command::Subscribe => self.pay(&req),
            Command::Charge => self.charge(&req, jobs),
            Command::UpdateOrder => self.follow_up(&req, update_order, jobs),
            Command::Capture => self.follow_up(&req, capture, jobs),
            Command::Cancel => self.follow_up(&req, cancel, jobs),
            Command::Terminate => self.follow_up(&req, terminate, jobs),
            Command::GetTransactionResult => Ok(self.get_transaction_result(body)),
        };
        // Pay/subscribe/charge orders were marked used when they were inserted.
        let now = ctx.now;
        let used = match command {
            Command::Pay | Command::Subscribe => None,
            Command::GetTransactionResult => str_at(body, "transaction.fepReferenceId")
                .and_then(|f| self.store.txs.get(f))
                .map(|t| t.ident.payment_id.clone()),
            Command::Charge => {
                self.store
                    .find_id(body, "order.originalPaymentId", "order.originalFepOrderId")
            }
            _ => self
                .store
                .find_id(body, "order.paymentId", "order.fepOrderId"),
        };
        if let Some(pid) = used {
            self.store.touch(&pid, now);
        }
        self.enforce_retention(now);
        r.unwrap_or_else(|e| e)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::json;

    use super::*;
    use crate::config::{PushUrlPolicy, Retention, DEFAULT_AUTH_KEY, DEFAULT_CCID};
    use crate::engine::{ConsumerOutcome, OrderState};

    fn pay_body(pid: &str) -> Value {
        json!({
            "order": {"payType": "paypay", "paymentId": pid, "amount": "1000"},
            "control": {
                "requestMode": "sandbox",
                "successUrl": "https://merchant.example/success",
                "cancelUrl": "https://merchant.example/cancel",
                "errorUrl": "https://merchant.example/error",
            },
        })
    }

    #[test]
    fn every_index_is_bounded_by_the_order_capacity() {
        let cap = 5;
        let mut st = State::new(
            Vec::new(),
            None,
            Retention {
                max_orders: cap,
                ..Retention::default()
            },
        );
        let ctx = Ctx {
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000),
            root_url: "http://127.0.0.1:1",
            push_policy: PushUrlPolicy::default(),
        };
        let key = vt4g::Secret::new(DEFAULT_AUTH_KEY);
        let mut jobs = Vec::new();
        for i in 0..50 {
            let pid = format!("u-{i}");
            let r = st.process(&ctx, Command::Pay, &pay_body(&pid), None, &mut jobs);
            assert_eq!(r.status, 200);
            if i % 2 == 0 {
                // A failed order whose paymentId is used again: the new order
                // inherits the old transaction, and evicts it with itself.
                if let Some(o) = st.store.orders.get_mut(&pid) {
                    o.state = OrderState::Failed;
                }
                let r = st.process(&ctx, Command::Pay, &pay_body(&pid), None, &mut jobs);
                assert_eq!(r.status, 200);
                assert_eq!(st.store.orders[&pid].inherited_txs.len(), 1);
            }
            let token = st.store.orders[&pid].token.clone().unwrap();
            let out = st.consumer(&ctx, DEFAULT_CCID, &key, &token, None, &mut jobs);
            assert!(matches!(out, ConsumerOutcome::Redirect(_)));
            let body = json!({"order": {"paymentId": pid}});
            let r = st.process(&ctx, Command::Capture, &body, None, &mut jobs);
            assert_eq!(r.status, 200);
            let store = &st.store;
            assert!(store.orders.len() <= cap);
            assert_eq!(store.by_fep_order.len(), store.orders.len());
            assert_eq!(store.by_token.len(), store.orders.len());
            assert_eq!(store.lru_len(), store.orders.len());
            let kept_txs: usize = store
                .orders
                .values()
                .map(|o| o.transactions.len() + o.inherited_txs.len())
                .sum();
            assert_eq!(store.txs.len(), kept_txs);
            assert!(store.txs.len() <= 3 * cap);
        }
        assert_eq!(st.store.evicted(), 45);
    }
}
