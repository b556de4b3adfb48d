//! The command handlers.
//!
//! - `pay` / `subscribe` make an order that waits for the consumer;
//! - `charge` makes an order against an original order and answers at once;
//! - the follow-up commands (`updateOrder`, `capture`, `cancel`, `terminate`)
//!   share one step, [`State::follow_up`]: find the target order, let the
//!   command's own rule check it and say what it would change
//!   ([`Transition`]), check `control.pushUrl`, draw the provider's verdict
//!   from the table, apply the change on success, then record the
//!   transaction, its webhook and the effect ([`State::finish`]). Each
//!   command's rule (`update_order`, `capture`, `cancel`, `terminate`) states
//!   only what differs;
//! - `getTransactionResult` reads a transaction.
//!
//! The order of the checks is part of the behaviour (the first failing check
//! names the error): the command's rule, then `control.pushUrl`, then (new
//! orders) the paymentId.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::Value;
use vt4g::result_code::ResultCode;
use vt4g::{Command, PayType};

use super::effects::Applied;
use super::idempotency::IdemKey;
use super::model::{Control, Keys, Order, OrderKind, OrderState, Tx, TxIdent};
use super::reply::{error, write_result, Reply};
use super::state::{Request, State};
use super::webhooks::{notifies, WebhookJob};
use crate::clock::{parse_jst, unix_secs};
use crate::config::PushUrlPolicy;
use crate::json::Obj;
use crate::tables::{self, Stage};
use crate::validate::str_at;

pub(super) fn amount_digit(amount: u64) -> u8 {
    (amount % 10) as u8
}

fn parse_amount(s: Option<&str>) -> Option<u64> {
    s.and_then(|s| s.parse::<u64>().ok())
}

fn check_amount_limit(p: PayType, amount: u64, field: &str) -> Result<(), Reply> {
    let ok = match p {
        PayType::Paypay | PayType::Rakuten | PayType::Au => (1..=9_999_999).contains(&amount),
        PayType::Docomo => (1..=99_999_999).contains(&amount),
        PayType::Merpay => (1..=1_000_000).contains(&amount),
    };
    if ok {
        Ok(())
    } else {
        Err(error(
            "UA-REQ-001",
            Some(&format!("{field} is out of range for {}", p.as_str())),
        ))
    }
}

fn is_loopback_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn is_public_https_443(u: &url::Url) -> bool {
    if u.scheme() != "https" || u.port_or_known_default() != Some(443) {
        return false;
    }
    match u.host() {
        Some(url::Host::Domain(d)) => !d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => {
            !(ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified())
        }
        Some(url::Host::Ipv6(ip)) => {
            !(ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80)
        }
        None => false,
    }
}

fn check_push_url(policy: PushUrlPolicy, field: &str, url: Option<&str>) -> Result<(), Reply> {
    let Some(s) = url else { return Ok(()) };
    let Ok(u) = url::Url::parse(s) else {
        return Err(error("UA-REQ-001", Some(&format!("{field} must be a URL"))));
    };
    let ok = match policy {
        PushUrlPolicy::Any => true,
        PushUrlPolicy::Strict => is_public_https_443(&u),
        PushUrlPolicy::RealOrLoopback => is_public_https_443(&u) || is_loopback_host(&u),
    };
    if ok {
        Ok(())
    } else {
        Err(error(
            "UA-REQ-001",
            Some(&format!(
                "{field} must be https on port 443 and not a private address"
            )),
        ))
    }
}

/// The provider's answer to a step: `result.resultCode` and `vResultCode`
/// (a `"-"` cell, the reference's "- -", is simulated as success).
#[derive(Debug, Clone, Copy)]
struct Verdict {
    code: &'static str,
    v_code: &'static str,
}

impl Verdict {
    /// Success with the provider's success vResultCode.
    fn success(pay_type: PayType) -> Verdict {
        Verdict {
            code: "UA-000-001",
            v_code: tables::success_v_code(pay_type),
        }
    }

    /// The cell of `stage`'s table for the last digit of `amount` (success
    /// where the reference gives no table).
    fn by_digit(pay_type: PayType, stage: Stage, amount: u64) -> Verdict {
        tables::by_digit(pay_type, stage, amount_digit(amount)).map_or(
            Verdict::success(pay_type),
            |c| Verdict {
                code: c.result_code,
                v_code: c.v_result_code,
            },
        )
    }

    fn is_success(self) -> bool {
        self.code == "UA-000-001" || self.code == "-"
    }
}

/// What a follow-up command would do to its target order, as the command's
/// rule decided after its checks.
pub(super) struct Transition {
    /// The table the verdict is drawn from and the amount whose last digit
    /// selects the cell; `None`: the reference gives no table (success).
    table: Option<(Stage, u64)>,
    /// Applied when the verdict is success.
    change: Change,
}

/// The change a follow-up command makes to its order on success.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// updateOrder: the new amount (`None`: the authorization is only extended).
    Amount(Option<u64>),
    /// capture of this amount.
    Capture(u64),
    /// cancel of the whole authorization (this amount) before capture.
    Void(u64),
    /// cancel of this part of the captured balance.
    Refund(u64),
    /// terminate of the contract.
    Terminate,
}

impl Change {
    fn apply(self, o: &mut Order) {
        match self {
            Change::Amount(a) => {
                if let Some(a) = a {
                    o.amount = a;
                }
            }
            Change::Capture(a) => {
                o.state = OrderState::Captured;
                o.captured = a;
                o.balance = a;
            }
            Change::Void(_) => o.state = OrderState::Canceled,
            Change::Refund(a) => {
                o.balance -= a;
                if o.balance == 0 {
                    o.state = OrderState::Canceled;
                }
            }
            Change::Terminate => o.state = OrderState::Terminated,
        }
    }

    /// The amount the transaction and the effect carry, read after the
    /// change was (or was not) applied: updateOrder tells the order's amount
    /// as it now stands, the others the amount they moved.
    fn amount(self, o: &Order) -> Option<u64> {
        match self {
            Change::Amount(_) => Some(o.amount),
            Change::Capture(a) | Change::Void(a) | Change::Refund(a) => Some(a),
            Change::Terminate => None,
        }
    }
}

/// The rule of a follow-up command: its checks on the target order and the
/// request, and what it would change.
pub(super) type Rule = fn(&Order, &Value) -> Result<Transition, Reply>;

/// `updateOrder`: Rakuten, and au Single Payment; an authorized, not
/// captured order; a new amount, an extension (Rakuten), or both.
pub(super) fn update_order(o: &Order, body: &Value) -> Result<Transition, Reply> {
    let supported = match o.pay_type {
        PayType::Rakuten => true,
        PayType::Au => o.kind == OrderKind::Single,
        _ => false,
    };
    if !supported {
        return Err(error(
            "UA-REQ-001",
            Some(&format!(
                "updateOrder is not available for payType {}{}",
                o.pay_type.as_str(),
                if o.pay_type == PayType::Au {
                    " On-Demand orders"
                } else {
                    ""
                }
            )),
        ));
    }
    if o.state != OrderState::Authorized || o.auth_with_capture {
        return Err(error(
            "UA-REQ-007",
            Some("updateOrder needs an authorized, not captured order"),
        ));
    }
    let new_amount = parse_amount(str_at(body, "order.amount"));
    let extend =
        str_at(body, "order.authExtensionType") == Some("extend") && o.pay_type == PayType::Rakuten;
    if let Some(a) = new_amount {
        check_amount_limit(o.pay_type, a, "order.amount")?;
    }
    let stage = match (extend, new_amount.is_some()) {
        (true, true) => Stage::UpdateExtensionAndAmount,
        (true, false) => Stage::UpdateExtension,
        (false, true) => Stage::UpdateAmount,
        (false, false) => {
            return Err(error(
                "UA-REQ-001",
                Some("order.amount or order.authExtensionType=extend is required"),
            ))
        }
    };
    Ok(Transition {
        table: Some((stage, new_amount.unwrap_or(o.amount))),
        change: Change::Amount(new_amount),
    })
}

/// `capture`: an authorized order; a partial amount for PayPay, Rakuten and
/// Merpay (others capture the authorized amount).
pub(super) fn capture(o: &Order, body: &Value) -> Result<Transition, Reply> {
    if o.state != OrderState::Authorized {
        return Err(error(
            "UA-REQ-007",
            Some("capture needs an authorized, not yet captured order"),
        ));
    }
    let partial_allowed = matches!(
        o.pay_type,
        PayType::Paypay | PayType::Rakuten | PayType::Merpay
    );
    let requested = if partial_allowed {
        parse_amount(str_at(body, "order.amount"))
    } else {
        None
    };
    let amount = requested.unwrap_or(o.amount);
    if amount == 0 || amount > o.amount {
        return Err(error(
            "UA-REQ-001",
            Some("order.amount exceeds the authorized amount"),
        ));
    }
    let stage = if o.pay_type == PayType::Rakuten && amount < o.amount {
        Stage::CapturePartial
    } else {
        Stage::Capture
    };
    Ok(Transition {
        table: Some((stage, amount)),
        change: Change::Capture(amount),
    })
}

/// `cancel`: the whole authorization before capture, or (part of) the
/// balance after it (docomo: partial refunds for Single Payment only).
pub(super) fn cancel(o: &Order, body: &Value) -> Result<Transition, Reply> {
    let requested = parse_amount(str_at(body, "order.amount"));
    match o.state {
        OrderState::Authorized => {
            if requested.is_some_and(|a| a != o.amount) {
                return Err(error(
                    "UA-REQ-001",
                    Some("only the full amount can be cancelled before capture"),
                ));
            }
            let stage = if o.pay_type == PayType::Merpay {
                Stage::CancelBeforeCapture
            } else {
                Stage::Cancel
            };
            Ok(Transition {
                table: Some((stage, o.amount)),
                change: Change::Void(o.amount),
            })
        }
        OrderState::Captured => {
            let a = requested.unwrap_or(o.balance);
            if a == 0 || a > o.balance {
                return Err(error(
                    "UA-REQ-001",
                    Some("order.amount exceeds the balance"),
                ));
            }
            if a < o.balance && o.pay_type == PayType::Docomo && o.kind != OrderKind::Single {
                return Err(error(
                    "UA-REQ-001",
                    Some("partial refunds of d Payment are possible for Single Payment only"),
                ));
            }
            Ok(Transition {
                table: Some((Stage::Cancel, a)),
                change: Change::Refund(a),
            })
        }
        _ => Err(error(
            "UA-REQ-007",
            Some("cancel needs an authorized or captured order with a balance"),
        )),
    }
}

/// `terminate`: an original order with an active contract, not Rakuten;
/// the reference gives no table (always succeeds).
pub(super) fn terminate(o: &Order, _body: &Value) -> Result<Transition, Reply> {
    if o.pay_type == PayType::Rakuten {
        return Err(error(
            "UA-REQ-001",
            Some("terminate is not available for payType rakuten"),
        ));
    }
    if o.kind != OrderKind::Original || o.state != OrderState::Subscribed {
        return Err(error(
            "UA-REQ-007",
            Some("terminate needs an original order with an active contract"),
        ));
    }
    Ok(Transition {
        table: None,
        change: Change::Terminate,
    })
}

/// A transaction a command made, as its answer, its webhook and its
/// effect-log entry tell it.
struct Outcome<'a> {
    verdict: Verdict,
    amount: Option<u64>,
    keys: Keys,
    push_url: Option<&'a str>,
    /// Result code of the effect-log entry; `None`: nothing was applied.
    effect: Option<&'static str>,
}

impl State {
    /// The one step of the follow-up commands (see the module docs).
    pub(super) fn follow_up(
        &mut self,
        req: &Request<'_>,
        rule: Rule,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Reply, Reply> {
        let body = req.body;
        let pid = self
            .store
            .find_id(body, "order.paymentId", "order.fepOrderId")
            .ok_or_else(|| {
                error(
                    "UA-REQ-900",
                    Some("no order matches order.paymentId / order.fepOrderId"),
                )
            })?;
        let o = &self.store.orders[&pid];
        let t = rule(o, body)?;
        let pay_type = o.pay_type;
        let push_url = str_at(body, "control.pushUrl");
        check_push_url(req.ctx.push_policy, "control.pushUrl", push_url)?;
        let verdict = t
            .table
            .map_or(Verdict::success(pay_type), |(stage, amount)| {
                Verdict::by_digit(pay_type, stage, amount)
            });
        let success = verdict.is_success();
        let amount = self.store.orders.get_mut(&pid).and_then(|o| {
            if success {
                t.change.apply(o);
            }
            t.change.amount(o)
        });
        let outcome = Outcome {
            verdict,
            amount,
            keys: Keys::from_body(body),
            push_url,
            effect: success.then_some("UA-000-001"),
        };
        Ok(self.finish(req, &pid, outcome, jobs))
    }

    /// Records a command's transaction on order `payment_id`, queues its
    /// webhook when the notification conditions say so, records the effect
    /// if one was applied, and writes the answer.
    fn finish(
        &mut self,
        req: &Request<'_>,
        payment_id: &str,
        out: Outcome<'_>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Reply {
        let (ctx, command) = (req.ctx, req.command);
        let fep_ref = format!("X{}", self.ids.new_id());
        let Some(order) = self.store.orders.get(payment_id) else {
            return error("UA-SYS-002", None);
        };
        let pay_type = order.pay_type;
        let Verdict { code, v_code } = if out.verdict.code == "-" {
            Verdict::success(pay_type)
        } else {
            out.verdict
        };
        let tx = Tx {
            ident: Arc::clone(&order.ident),
            name: command.notification_name().unwrap_or(""),
            at: ctx.now,
            amount: out.amount,
            keys: out.keys.into_boxed(),
            pending: code == "UA-U00-001",
            code,
            v_code: (v_code != "-").then_some(v_code),
        };
        if let Some(url) = out.push_url {
            if notifies(command, pay_type) {
                self.notify(url, &tx, &fep_ref, jobs);
            }
        }
        let mut body = Vec::with_capacity(640);
        {
            let mut o = Obj::new(&mut body);
            tx.write_result(&mut o);
            tx.write_data(&mut o, &fep_ref, Control::Omit, true);
        }
        self.store.txs.insert(fep_ref.clone(), tx);
        if let Some(effect_code) = out.effect {
            let applied = Applied {
                command,
                payment_id,
                amount: out.amount,
                idempotency_key: req.idem.map(IdemKey::key),
                result_code: effect_code,
                fep_reference_id: &fep_ref,
            };
            self.effects.record(applied, ctx.now);
        }
        if let Some(o) = self.store.orders.get_mut(payment_id) {
            o.transactions.push(fep_ref);
        }
        Reply {
            status: ResultCode::from_code(code).http_status().unwrap_or(200),
            body: Bytes::from(body),
        }
    }

    /// The identity of a new order under `payment_id`, with a fresh
    /// fepOrderId. Refused while an order that did not fail holds the
    /// paymentId.
    fn new_order_ident(
        &mut self,
        payment_id: &str,
        pay_type: PayType,
        original: Option<(String, String)>,
    ) -> Result<Arc<TxIdent>, Reply> {
        if let Some(o) = self.store.orders.get(payment_id) {
            if o.state != OrderState::Failed {
                return Err(error("UA-REQ-003", Some("order.paymentId is already used")));
            }
        }
        let fep_order_id = format!("{payment_id}_{}", self.ids.new_id());
        Ok(Arc::new(TxIdent {
            pay_type,
            payment_id: payment_id.to_owned(),
            fep_order_id,
            original,
        }))
    }

    /// `pay` / `subscribe`: a new order waiting for the consumer; the answer
    /// carries the consumer page as `control.redirectUrl`.
    pub(super) fn pay(&mut self, req: &Request<'_>) -> Result<Reply, Reply> {
        let Request {
            ctx,
            command,
            body,
            idem,
        } = *req;
        let pay_type = str_at(body, "order.payType")
            .and_then(PayType::from_name)
            .ok_or_else(|| error("UA-REQ-001", Some("order.payType")))?;
        if str_at(body, "control.requestMode") != Some("sandbox") {
            return Err(error("UA-REQ-001", Some("control.requestMode must be sandbox in the sandbox environment (unset means live)")));
        }
        let payment_id = str_at(body, "order.paymentId").unwrap_or_default();
        let single = command == Command::Pay;
        let amount = if single {
            let a = parse_amount(str_at(body, "order.amount"))
                .ok_or_else(|| error("UA-REQ-001", Some("order.amount")))?;
            check_amount_limit(pay_type, a, "order.amount")?;
            a
        } else {
            0
        };
        let push_url = str_at(body, "control.pushUrl");
        let dereg_push_url = str_at(body, "control.deregistrationPushUrl");
        check_push_url(ctx.push_policy, "control.pushUrl", push_url)?;
        check_push_url(
            ctx.push_policy,
            "control.deregistrationPushUrl",
            dereg_push_url,
        )?;
        let ident = self.new_order_ident(payment_id, pay_type, None)?;
        let token = self.ids.new_token();
        let keys = Keys::from_body(body);
        // The transaction stays pending (UA-U00-001 for getTransactionResult)
        // until the consumer comes back; the API answer itself is a success.
        let fep_ref = format!("X{}", self.ids.new_id());
        let tx = Tx {
            ident: Arc::clone(&ident),
            name: command.notification_name().unwrap_or(""),
            at: ctx.now,
            amount: single.then_some(amount),
            keys: keys.boxed(),
            pending: true,
            code: "UA-U00-001",
            v_code: None,
        };
        let redirect_url = format!("{}/consumer/{token}", ctx.root_url);
        let mut out = Vec::with_capacity(640);
        {
            let mut o = Obj::new(&mut out);
            let v_code = tables::success_v_code(pay_type);
            write_result(&mut o, "result", "UA-000-001", Some(v_code), None);
            tx.write_data(&mut o, &fep_ref, Control::Redirect(&redirect_url), false);
        }
        let kind = if single {
            OrderKind::Single
        } else {
            OrderKind::Original
        };
        let order = Order {
            auth_with_capture: single
                && str_at(body, "order.authCaptureType") == Some("auth_with_capture"),
            amount,
            app_method: str_at(body, "paymentInstrument.au.paymentAuthenticationType")
                == Some("app_method"),
            transactions: vec![fep_ref.clone()],
            item_name: body
                .get("item")
                .and_then(|i| i.get(0))
                .and_then(|i| i.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            success_url: str_at(body, "control.successUrl")
                .unwrap_or_default()
                .to_owned(),
            cancel_url: str_at(body, "control.cancelUrl").map(str::to_owned),
            error_url: str_at(body, "control.errorUrl")
                .unwrap_or_default()
                .to_owned(),
            push_url: push_url.map(str::to_owned),
            dereg_push_url: dereg_push_url.map(str::to_owned),
            keys,
            token: Some(token),
            ..Order::new(ident, kind, OrderState::AwaitingConsumer, ctx.now)
        };
        self.store.insert(order, ctx.now);
        let applied = Applied {
            command,
            payment_id,
            amount: single.then_some(amount),
            idempotency_key: idem.map(IdemKey::key),
            result_code: "UA-000-001",
            fep_reference_id: &fep_ref,
        };
        self.effects.record(applied, ctx.now);
        self.store.txs.insert(fep_ref, tx);
        Ok(Reply {
            status: 200,
            body: Bytes::from(out),
        })
    }

    /// `charge`: a new order against an original order with an active
    /// contract, answered at once from the table (PayPay with
    /// `recoveryType=recovery` may answer UA-U00-001: the consumer pays later).
    pub(super) fn charge(
        &mut self,
        req: &Request<'_>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Reply, Reply> {
        let (ctx, body) = (req.ctx, req.body);
        let orig_id = self
            .store
            .find_id(body, "order.originalPaymentId", "order.originalFepOrderId")
            .ok_or_else(|| error("UA-REQ-900", Some("no original order matches order.originalPaymentId / order.originalFepOrderId")))?;
        let orig = &self.store.orders[&orig_id];
        if orig.kind != OrderKind::Original || orig.state != OrderState::Subscribed {
            return Err(error(
                "UA-REQ-007",
                Some("charge needs an original order with an active contract"),
            ));
        }
        let pay_type = orig.pay_type;
        let payment_id = str_at(body, "order.paymentId").unwrap_or_default();
        let amount = parse_amount(str_at(body, "order.amount"))
            .ok_or_else(|| error("UA-REQ-001", Some("order.amount")))?;
        check_amount_limit(pay_type, amount, "order.amount")?;
        let auth_with_capture = str_at(body, "order.authCaptureType") == Some("auth_with_capture");
        if pay_type == PayType::Paypay && !auth_with_capture {
            return Err(error(
                "UA-REQ-001",
                Some("order.authCaptureType must be auth_with_capture for paypay"),
            ));
        }
        let recovery = pay_type == PayType::Paypay
            && str_at(body, "protocol.recoveryType") == Some("recovery");
        if let Some(s) =
            str_at(body, "protocol.recoveryExpiredDatetime").filter(|_| pay_type == PayType::Paypay)
        {
            check_recovery_expiry(s, recovery, ctx.now)?;
        }
        let push_url = str_at(body, "control.pushUrl");
        check_push_url(ctx.push_policy, "control.pushUrl", push_url)?;
        let original = (orig_id, orig.fep_order_id.clone());
        let (success_url, cancel_url, error_url) = (
            orig.success_url.clone(),
            orig.cancel_url.clone(),
            orig.error_url.clone(),
        );
        let ident = self.new_order_ident(payment_id, pay_type, Some(original.clone()))?;
        let stage = if recovery && amount_digit(amount) == 5 {
            Stage::ChargeRecovery
        } else {
            Stage::Charge
        };
        let verdict = Verdict::by_digit(pay_type, stage, amount);
        let success = verdict.is_success();
        let user_paying = verdict.code == "UA-U00-001";
        let keys = Keys::from_body(body);
        let kind = OrderKind::Charge {
            original_payment_id: original.0,
            original_fep_order_id: original.1,
        };
        let state = if user_paying {
            OrderState::UserPaying
        } else {
            OrderState::Failed
        };
        let mut order = Order {
            auth_with_capture,
            amount,
            success_url,
            cancel_url,
            error_url,
            push_url: push_url.map(str::to_owned),
            keys: keys.clone(),
            ..Order::new(ident, kind, state, ctx.now)
        };
        if success {
            order.complete_payment();
        }
        self.store.insert(order, ctx.now);
        let outcome = Outcome {
            verdict,
            amount: Some(amount),
            keys,
            push_url,
            effect: (success || user_paying).then_some(verdict.code),
        };
        Ok(self.finish(req, payment_id, outcome, jobs))
    }

    /// `getTransactionResult`: the transaction's result and data (only
    /// UA-U00-001 while it is pending).
    pub(super) fn get_transaction_result(&self, body: &Value) -> Reply {
        let id = str_at(body, "transaction.fepReferenceId").unwrap_or_default();
        let Some(tx) = self.store.txs.get(id) else {
            return error(
                "UA-REQ-900",
                Some("no transaction matches transaction.fepReferenceId"),
            );
        };
        let mut out = Vec::with_capacity(640);
        {
            let mut o = Obj::new(&mut out);
            if tx.pending {
                write_result(&mut o, "result", "UA-U00-001", None, None);
            } else {
                tx.write_result(&mut o);
                tx.write_data(&mut o.obj("transactionData"), id, Control::Sandbox, true);
            }
        }
        Reply {
            status: 200,
            body: Bytes::from(out),
        }
    }
}

/// PayPay's `protocol.recoveryExpiredDatetime`: only with
/// `recoveryType=recovery`, 10 minutes to 48 hours after the request (on
/// whole seconds: the value has a one-second resolution).
fn check_recovery_expiry(s: &str, recovery: bool, now: SystemTime) -> Result<(), Reply> {
    if !recovery {
        return Err(error(
            "UA-REQ-001",
            Some("protocol.recoveryExpiredDatetime needs protocol.recoveryType=recovery"),
        ));
    }
    let t = parse_jst(s)
        .ok_or_else(|| error("UA-REQ-001", Some("protocol.recoveryExpiredDatetime")))?;
    let lo = unix_secs(now + Duration::from_secs(600));
    let hi = unix_secs(now + Duration::from_secs(48 * 3600));
    if unix_secs(t) < lo || unix_secs(t) > hi {
        return Err(error(
            "UA-REQ-001",
            Some(
                "protocol.recoveryExpiredDatetime must be 10 minutes to 48 hours after the request",
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(policy: PushUrlPolicy, url: &str) -> bool {
        check_push_url(policy, "control.pushUrl", Some(url)).is_ok()
    }

    #[test]
    fn push_url_policies() {
        use PushUrlPolicy::*;
        for p in [Strict, RealOrLoopback, Any] {
            assert!(allowed(p, "https://merchant.example/hook"), "{p:?}");
        }
        assert!(!allowed(Strict, "http://127.0.0.1:8080/hook"));
        assert!(!allowed(Strict, "https://merchant.example:8443/hook"));
        assert!(!allowed(Strict, "https://10.0.0.1/hook"));
        assert!(!allowed(Strict, "https://192.168.1.1/hook"));
        assert!(allowed(RealOrLoopback, "http://127.0.0.1:8080/hook"));
        assert!(allowed(RealOrLoopback, "http://localhost:1/hook"));
        assert!(allowed(RealOrLoopback, "http://[::1]:9/hook"));
        assert!(!allowed(RealOrLoopback, "http://merchant.example/hook"));
        assert!(!allowed(RealOrLoopback, "https://10.0.0.1/hook"));
        assert!(allowed(Any, "http://merchant.example:8080/hook"));
    }
}
