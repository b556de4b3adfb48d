//! Orders, their states and kinds, and transactions with the data they
//! write (the webhook-extent `order` / `transaction` / `control` /
//! `provider` blocks).

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;
use vt4g::PayType;

use super::reply::write_result;
use crate::clock::format_jst;
use crate::json::Obj;

/// The life-cycle state of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// pay/subscribe accepted; the consumer has not come back yet.
    AwaitingConsumer,
    /// Authorized (not captured).
    Authorized,
    /// Captured; `balance` is what can still be refunded.
    Captured,
    /// Authorization cancelled, or fully refunded after capture.
    Canceled,
    /// The consumer step or the charge failed (the paymentId may be reused).
    Failed,
    /// PayPay charge waiting for the consumer (UA-U00-001, recovery).
    UserPaying,
    /// Original order (subscribe) with the consumer's consent.
    Subscribed,
    /// Original order terminated by the merchant.
    Terminated,
    /// Original order deregistered by the provider.
    Deregistered,
}

/// What kind of order it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OrderKind {
    /// From `pay`.
    Single,
    /// From `subscribe` (an original order).
    Original,
    /// From `charge` against an original order.
    Charge {
        /// The original order's paymentId.
        #[serde(rename = "originalPaymentId")]
        original_payment_id: String,
        /// The original order's fepOrderId.
        #[serde(rename = "originalFepOrderId")]
        original_fep_order_id: String,
    },
}

/// An order as the simulator holds it (`GET /_sandbox/orders/{paymentId}`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// paymentId.
    pub payment_id: String,
    /// fepOrderId.
    pub fep_order_id: String,
    /// Provider.
    #[serde(serialize_with = "ser_pay_type")]
    pub pay_type: PayType,
    /// Kind.
    pub kind: OrderKind,
    /// State.
    pub state: OrderState,
    /// `auth_with_capture` was requested.
    pub auth_with_capture: bool,
    /// Authorized amount (0 for original orders).
    pub amount: u64,
    /// Captured amount.
    pub captured: u64,
    /// Captured minus refunded.
    pub balance: u64,
    /// au application authentication method.
    pub app_method: bool,
    /// fepReferenceIds of the order's transactions, oldest first.
    pub transactions: Vec<String>,
    #[serde(skip)]
    pub(crate) item_name: Option<String>,
    #[serde(skip)]
    pub(crate) success_url: String,
    #[serde(skip)]
    pub(crate) cancel_url: Option<String>,
    #[serde(skip)]
    pub(crate) error_url: String,
    #[serde(skip)]
    pub(crate) push_url: Option<String>,
    #[serde(skip)]
    pub(crate) dereg_push_url: Option<String>,
    #[serde(skip)]
    pub(crate) keys: Keys,
    #[serde(skip)]
    pub(crate) token: Option<String>,
    #[serde(skip)]
    pub(crate) final_redirect: Option<FinalRedirect>,
    /// What the order's transactions repeat in their data (shared with them).
    #[serde(skip)]
    pub(crate) ident: Arc<TxIdent>,
    /// Transactions of an earlier, failed order with the same paymentId
    /// (still answerable; evicted with this order).
    #[serde(skip)]
    pub(crate) inherited_txs: Vec<String>,
    /// Position in the retention order (larger = used more recently).
    #[serde(skip)]
    pub(crate) touched: u64,
    /// When it was last used, on the simulator's clock.
    #[serde(skip)]
    pub(crate) touched_at: SystemTime,
}

impl Order {
    /// A new order of `kind` for `ident` in `state`, everything else empty
    /// (no amount, no URLs, no keys, no transactions).
    pub(super) fn new(
        ident: Arc<TxIdent>,
        kind: OrderKind,
        state: OrderState,
        now: SystemTime,
    ) -> Order {
        Order {
            payment_id: ident.payment_id.clone(),
            fep_order_id: ident.fep_order_id.clone(),
            pay_type: ident.pay_type,
            kind,
            state,
            auth_with_capture: false,
            amount: 0,
            captured: 0,
            balance: 0,
            app_method: false,
            transactions: Vec::new(),
            item_name: None,
            success_url: String::new(),
            cancel_url: None,
            error_url: String::new(),
            push_url: None,
            dereg_push_url: None,
            keys: Keys::default(),
            token: None,
            final_redirect: None,
            ident,
            inherited_txs: Vec::new(),
            touched: 0,
            touched_at: now,
        }
    }

    /// The payment succeeded: authorized, or captured in full with
    /// `auth_with_capture`.
    pub(super) fn complete_payment(&mut self) {
        if self.auth_with_capture {
            self.state = OrderState::Captured;
            self.captured = self.amount;
            self.balance = self.amount;
        } else {
            self.state = OrderState::Authorized;
        }
    }

    /// fepReferenceId of the newest transaction.
    pub(super) fn last_tx(&self) -> String {
        self.transactions.last().cloned().unwrap_or_default()
    }
}

/// How a finished consumer step redirected: enough to make the identical
/// Location again when the page is opened again (browsers replay redirects),
/// without keeping the ~0.5 KB signed URL per order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FinalRedirect {
    pub(super) code: &'static str,
    /// Rotation of the parameter order (drawn once).
    pub(super) rot: u8,
}

/// The identity of an order as its transactions' data repeats it.
#[derive(Debug, Clone)]
pub(crate) struct TxIdent {
    pub(super) pay_type: PayType,
    pub(super) payment_id: String,
    pub(super) fep_order_id: String,
    /// (originalPaymentId, originalFepOrderId) of a charge.
    pub(super) original: Option<(String, String)>,
}

fn ser_pay_type<S: serde::Serializer>(p: &PayType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.as_str())
}

/// The merchant's keys of a request, repeated in its transaction's data.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keys {
    pub(super) mrk1: Option<String>,
    pub(super) mrk2: Option<String>,
    md1: Option<String>,
    md2: Option<String>,
}

impl Keys {
    pub(super) fn from_body(body: &Value) -> Keys {
        let tx = body.get("transaction");
        let g = |k: &str| {
            tx.and_then(|t| t.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Keys {
            mrk1: g("merchantRequestKey1"),
            mrk2: g("merchantRequestKey2"),
            md1: g("metadata1"),
            md2: g("metadata2"),
        }
    }

    fn is_empty(&self) -> bool {
        self.mrk1.is_none() && self.mrk2.is_none() && self.md1.is_none() && self.md2.is_none()
    }

    /// A boxed copy, `None` when empty (the common case costs no allocation).
    pub(super) fn boxed(&self) -> Option<Box<Keys>> {
        (!self.is_empty()).then(|| Box::new(self.clone()))
    }

    /// Boxed, `None` when empty.
    pub(super) fn into_boxed(self) -> Option<Box<Keys>> {
        (!self.is_empty()).then(|| Box::new(self))
    }
}

/// A transaction: everything its webhook-extent data is made of, compactly
/// (the JSON is written when asked for).
#[derive(Debug, Clone)]
pub(super) struct Tx {
    pub(super) ident: Arc<TxIdent>,
    /// Notification name (`transaction.command`).
    pub(super) name: &'static str,
    /// `transactionDatetime`.
    pub(super) at: SystemTime,
    pub(super) amount: Option<u64>,
    pub(super) keys: Option<Box<Keys>>,
    /// getTransactionResult answers only UA-U00-001 while pending.
    pub(super) pending: bool,
    /// `result.resultCode` and `result.vResultCode`.
    pub(super) code: &'static str,
    pub(super) v_code: Option<&'static str>,
}

/// What the `control` block of written transaction data holds.
#[derive(Clone, Copy)]
pub(super) enum Control<'a> {
    Omit,
    Sandbox,
    Redirect(&'a str),
}

/// The last 20 bytes of an identifier (ASCII).
fn last20(s: &str) -> &str {
    s.get(s.len().saturating_sub(20)..).unwrap_or(s)
}

impl Tx {
    /// The pending transaction became final with `code` / `v_code` at `now`.
    pub(super) fn settle(
        &mut self,
        code: &'static str,
        v_code: Option<&'static str>,
        now: SystemTime,
    ) {
        self.pending = false;
        self.code = code;
        self.v_code = v_code;
        self.at = now;
    }

    /// `"result": {…}` of the transaction.
    pub(super) fn write_result(&self, o: &mut Obj<'_>) {
        write_result(o, "result", self.code, self.v_code, None);
    }

    /// The webhook-extent data as members of `o`: `order`, `transaction`,
    /// then `control` as asked and `provider` if `provider`.
    pub(super) fn write_data(
        &self,
        o: &mut Obj<'_>,
        fep_ref: &str,
        control: Control<'_>,
        provider: bool,
    ) {
        let id = &*self.ident;
        {
            let mut ord = o.obj("order");
            ord.str("payType", id.pay_type.as_str())
                .str("paymentId", &id.payment_id)
                .str("fepOrderId", &id.fep_order_id);
            if let Some((p, f)) = &id.original {
                ord.str("originalPaymentId", p).str("originalFepOrderId", f);
            }
            if let Some(a) = self.amount {
                ord.num_str("amount", a);
            }
        }
        {
            let mut t = o.obj("transaction");
            t.str("fepReferenceId", fep_ref)
                .str("command", self.name)
                .str("transactionDatetime", &format_jst(self.at));
            if let Some(k) = &self.keys {
                t.opt_str("merchantRequestKey1", k.mrk1.as_deref())
                    .opt_str("merchantRequestKey2", k.mrk2.as_deref())
                    .opt_str("metadata1", k.md1.as_deref())
                    .opt_str("metadata2", k.md2.as_deref());
            }
        }
        match control {
            Control::Omit => {}
            Control::Sandbox => {
                o.obj("control").str("requestMode", "sandbox");
            }
            Control::Redirect(url) => {
                o.obj("control")
                    .str("requestMode", "sandbox")
                    .str("redirectUrl", url);
            }
        }
        if provider {
            let mut p = o.obj("provider");
            let mut pay = p.obj("payment");
            pay.prefixed_str("providerOrderId", "SBX", last20(&id.fep_order_id));
            if matches!(id.pay_type, PayType::Paypay | PayType::Rakuten) {
                pay.prefixed_str("gatewayOrderId", "GW", last20(fep_ref));
            }
        }
    }
}
