//! Provider- and consumer-side events the admin API simulates
//! (`POST /_sandbox/orders/{paymentId}/deregister`, `/complete` and
//! `/consumer`, `POST /_sandbox/webhooks/{webhookId}/redeliver`).

use std::sync::Arc;

use serde_json::{json, Value};

use super::consumer::ConsumerOutcome;
use super::model::{Order, OrderKind, OrderState, Tx};
use super::state::{Ctx, State};
use super::webhooks::WebhookJob;
use crate::tables::{self, Landing, Stage};
use vt4g::PayType;

/// What the consumer does on the payment page, for
/// [`State::consumer_step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConsumerAction<'a> {
    /// The page's success (the default choice; the amount table may still
    /// turn it into the provider's failure).
    Success,
    /// The first choice of the provider's page that ends in a failure
    /// redirect (not a cancel, not a pending result).
    Failure,
    /// The provider's consumer-cancel choice (UA-CST-002; Merpay's
    /// UA-CST-001 `cancel`).
    Cancel,
    /// A choice by its name in the provider's result-selection table.
    Choice(&'a str),
}

impl<'a> ConsumerAction<'a> {
    /// `success`, `failure`, `cancel`, or any other word as a choice name.
    pub(crate) fn parse(word: &'a str) -> ConsumerAction<'a> {
        match word {
            "success" => ConsumerAction::Success,
            "failure" | "fail" => ConsumerAction::Failure,
            "cancel" => ConsumerAction::Cancel,
            other => ConsumerAction::Choice(other),
        }
    }
}

/// Whether a choice belongs to the page the order shows: au's app
/// authentication choices (`app_*`, `redirect_failure_*`) only for an app
/// order, the ID-method ones only otherwise.
fn offered_to(o: &Order, choice: &str) -> bool {
    if o.pay_type != PayType::Au {
        return true;
    }
    let app_choice = choice.starts_with("app_") || choice.starts_with("redirect_failure_");
    app_choice == o.app_method
}

/// The choice name that performs `action` on `o`'s page, or why none does.
fn choice_for(
    o: &Order,
    stage: Stage,
    action: ConsumerAction<'_>,
) -> Result<Option<String>, AdminError> {
    let offered: Vec<&'static str> = tables::choices(o.pay_type, stage)
        .into_iter()
        .filter(|c| offered_to(o, c))
        .collect();
    let cell = |c: &str| tables::by_choice(o.pay_type, stage, c);
    let found = match action {
        ConsumerAction::Success => return Ok(None),
        ConsumerAction::Choice(c) => offered.iter().copied().find(|x| *x == c),
        ConsumerAction::Cancel => offered.iter().copied().find(|c| {
            cell(c).is_some_and(|x| {
                x.landing == Landing::Redirect
                    && (x.result_code == "UA-CST-002"
                        || (o.pay_type == PayType::Merpay && *c == "cancel"))
            })
        }),
        ConsumerAction::Failure => offered.iter().copied().find(|c| {
            cell(c).is_some_and(|x| {
                x.landing == Landing::Redirect
                    && (x.result_code.starts_with("UA-PRV-")
                        || x.result_code.starts_with("UA-REQ-"))
            })
        }),
    };
    found.map(|c| Some(c.to_owned())).ok_or_else(|| {
        let what = match action {
            ConsumerAction::Choice(c) => format!("a {c:?} choice"),
            ConsumerAction::Cancel => "a consumer cancel".to_owned(),
            _ => "a failure choice".to_owned(),
        };
        let list = if offered.is_empty() {
            "only success; a pay failure comes from the amount's last digit (GET /_sandbox/tables)"
                .to_owned()
        } else {
            offered.join(", ")
        };
        (
            409,
            format!(
                "the {} payment page offers no {what} (it offers: {list})",
                o.pay_type.as_str()
            ),
        )
    })
}

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

    /// The consumer acts on the payment page of an order awaiting them (as
    /// if they opened the redirect URL with `?choice=`): the same state
    /// change, webhook and signed redirect as the page.
    pub(crate) fn consumer_step(
        &mut self,
        ctx: &Ctx<'_>,
        ccid: &str,
        key: &vt4g::Secret,
        payment_id: &str,
        action: ConsumerAction<'_>,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Value, AdminError> {
        let o = self.admin_target(ctx, payment_id)?;
        if o.state != OrderState::AwaitingConsumer {
            return Err((
                409,
                format!(
                    "the order is {}, not awaiting the consumer",
                    serde_json::to_value(o.state)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
            ));
        }
        let stage = if o.kind == OrderKind::Single {
            Stage::PayChoice
        } else {
            Stage::SubscribeChoice
        };
        let choice = choice_for(o, stage, action)?;
        let Some(token) = o.token.clone() else {
            return Err((409, "the order has no payment page".into()));
        };
        let outcome = self.consumer(ctx, ccid, key, &token, choice.as_deref(), jobs);
        let mut out =
            json!({"paymentId": payment_id, "choice": choice.as_deref().unwrap_or("success")});
        match outcome {
            ConsumerOutcome::Redirect(loc) => out["location"] = Value::String(loc),
            ConsumerOutcome::Page(status, text) if status < 300 => {
                out["page"] = Value::String(text);
            }
            ConsumerOutcome::Page(status, text) => return Err((status, text)),
        }
        if let Some(o) = self.store.orders.get(payment_id) {
            out["state"] = serde_json::to_value(o.state).unwrap_or(Value::Null);
        }
        Ok(out)
    }

    /// Delivers a recorded webhook again (same URL, `X-VT-webhook-id` and
    /// body), as the API may redeliver one it sent.
    pub(crate) fn redeliver_webhook(
        &mut self,
        webhook_id: &str,
        jobs: &mut Vec<WebhookJob>,
    ) -> Result<Value, AdminError> {
        let job = self
            .webhooks
            .redelivery(webhook_id)
            .ok_or_else(|| (404, format!("no kept webhook {webhook_id:?}")))?;
        let out = json!({"webhookId": job.webhook_id, "url": job.url});
        jobs.push(job);
        Ok(out)
    }
}
