//! Provider- and consumer-side events the admin API simulates
//! (`POST /_sandbox/orders/{paymentId}/deregister` and `/complete`).

use std::sync::Arc;

use serde_json::{json, Value};

use super::model::{Order, OrderKind, OrderState, Tx};
use super::state::{Ctx, State};
use super::webhooks::WebhookJob;
use crate::tables;
use vt4g::PayType;

/// An admin action's error: HTTP status and message.
type AdminError = (u16, String);

impl State {
    /// The target of an admin action: retention first (as for a request),
    /// then the order, or 404.
    fn admin_target(&mut self, ctx: &Ctx<'_>, payment_id: &str) -> Result<&Order, AdminError> {
        self.enforce_retention(ctx.now);
        self.store
            .orders
            .get(payment_id)
            .ok_or_else(|| (404, format!("no order {payment_id:?}")))
    }

    /// The provider deregisters an original order's contract: a new
    /// `deregistration` transaction, notified to `deregistrationPushUrl`
    /// (else `pushUrl`).
    pub(crate) fn deregister(
        &mut self,
        ctx: &Ctx<'_>,
        payment_id: &str,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Value, AdminError> {
        let o = self.admin_target(ctx, payment_id)?;
        if o.pay_type == PayType::Rakuten {
            return Err((
                400,
                "Rakuten Pay sends no deregistration notification".into(),
            ));
        }
        if o.kind != OrderKind::Original || o.state != OrderState::Subscribed {
            return Err((
                409,
                "only an original order with an active contract can be deregistered".into(),
            ));
        }
        let url = o.dereg_push_url.clone().or_else(|| o.push_url.clone());
        let v_code = tables::success_v_code(o.pay_type);
        let ident = Arc::clone(&o.ident);
        let fep_ref = format!("X{}", self.ids.new_id());
        let tx = Tx {
            ident,
            name: "deregistration",
            at: ctx.now,
            amount: None,
            keys: None,
            pending: false,
            code: "UA-000-001",
            v_code: Some(v_code),
        };
        if let Some(o) = self.store.orders.get_mut(payment_id) {
            o.state = OrderState::Deregistered;
            o.transactions.push(fep_ref.clone());
        }
        if let Some(url) = url {
            self.notify(&url, &tx, &fep_ref, jobs);
        }
        self.store.txs.insert(fep_ref.clone(), tx);
        self.store.touch(payment_id, ctx.now);
        Ok(json!({"paymentId": payment_id, "fepReferenceId": fep_ref, "state": "deregistered"}))
    }

    /// The consumer completes a PayPay charge that answered UA-U00-001: the
    /// order is paid and its transaction settles with UA-000-001 (notified
    /// to `pushUrl`).
    pub(crate) fn complete_user_paying(
        &mut self,
        ctx: &Ctx<'_>,
        payment_id: &str,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Value, AdminError> {
        let o = self.admin_target(ctx, payment_id)?;
        if o.state != OrderState::UserPaying {
            return Err((
                409,
                "the order is not waiting for the consumer (UA-U00-001)".into(),
            ));
        }
        let fep_ref = o.last_tx();
        let v_code = tables::success_v_code(o.pay_type);
        let push = o.push_url.clone();
        if let Some(o) = self.store.orders.get_mut(payment_id) {
            o.complete_payment();
        }
        let settled = self
            .store
            .settle_tx(&fep_ref, "UA-000-001", Some(v_code), ctx.now)
            .filter(|_| push.is_some())
            .cloned();
        if let (Some(url), Some(tx)) = (push, settled) {
            self.notify(&url, &tx, &fep_ref, jobs);
        }
        self.store.touch(payment_id, ctx.now);
        Ok(json!({"paymentId": payment_id, "fepReferenceId": fep_ref, "resultCode": "UA-000-001"}))
    }
}
