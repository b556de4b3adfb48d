//! The consumer's step on the dummy provider page (`GET /consumer/{token}`,
//! `?choice=` from the page tables) and the signed redirect back to the
//! merchant.

use vt4g::result_code::ResultCode;
use vt4g::{Command, PayType};

use super::commands::amount_digit;
use super::model::{FinalRedirect, Order, OrderKind, OrderState};
use super::state::{Ctx, State};
use super::webhooks::WebhookJob;
use crate::tables::{self, Landing, Stage};

/// How a consumer step ends.
pub(crate) enum ConsumerOutcome {
    /// 302 to this Location.
    Redirect(String),
    /// A page with this status and text.
    Page(u16, String),
}

impl ConsumerOutcome {
    fn redirect(o: &Order, ccid: &str, key: &vt4g::Secret, f: FinalRedirect) -> ConsumerOutcome {
        match redirect_location(o, ccid, key, f) {
            Ok(loc) => ConsumerOutcome::Redirect(loc),
            Err(e) => ConsumerOutcome::Page(500, e),
        }
    }
}

/// The 302 Location of a finished consumer step of `o`: the target URL for
/// the result code with the signed redirect query.
fn redirect_location(
    o: &Order,
    ccid: &str,
    key: &vt4g::Secret,
    f: FinalRedirect,
) -> Result<String, String> {
    let code = f.code;
    let command = if o.kind == OrderKind::Single {
        Command::Pay
    } else {
        Command::Subscribe
    };
    let target_url = if code == "UA-000-001" {
        &o.success_url
    } else if code == "UA-CST-002" || (code == "UA-CST-001" && o.pay_type == PayType::Merpay) {
        o.cancel_url.as_ref().unwrap_or(&o.error_url)
    } else {
        &o.error_url
    };
    let rc = ResultCode::from_code(code);
    let (status, action) = (rc.status(), rc.action_code());
    let mut pairs: Vec<(&str, &str)> = vec![
        ("status", status.as_ref().map_or("", |s| s.as_str())),
        ("actionCode", action.as_ref().map_or("", |a| a.as_str())),
        ("resultCode", code),
        ("command", command.notification_name().unwrap_or("")),
        ("paymentId", &o.payment_id),
        ("fepOrderId", &o.fep_order_id),
        (
            "fepReferenceId",
            o.transactions.first().map_or("", String::as_str),
        ),
    ];
    if let Some(k) = &o.keys.mrk1 {
        pairs.push(("merchantRequestKey1", k));
    }
    if let Some(k) = &o.keys.mrk2 {
        pairs.push(("merchantRequestKey2", k));
    }
    // A deliberately unnatural order with repeats, rotated per request, so
    // verifiers must follow authParams.
    let mut order: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
    let len = order.len();
    order.rotate_left(usize::from(f.rot) % len);
    order.reverse();
    order.push("fepReferenceId");
    order.push("status");
    let query = vt4g::redirect::sign_redirect(ccid, key, &pairs, &order)
        .map_err(|e| format!("cannot sign the redirect: {e}"))?;
    let sep = if target_url.contains('?') { '&' } else { '?' };
    Ok(format!("{target_url}{sep}{query}"))
}

impl State {
    /// The consumer opened the redirect URL with an optional choice.
    pub(crate) fn consumer(
        &mut self,
        ctx: &Ctx<'_>,
        ccid: &str,
        key: &vt4g::Secret,
        token: &str,
        choice: Option<&str>,
        jobs: &mut Vec<WebhookJob>,
    ) -> ConsumerOutcome {
        self.enforce_retention(ctx.now);
        let Some(pid) = self.store.by_token.get(token).cloned() else {
            return ConsumerOutcome::Page(404, "Unknown or expired payment page.".into());
        };
        self.store.touch(&pid, ctx.now);
        let o = &self.store.orders[&pid];
        if let Some(f) = o.final_redirect {
            return ConsumerOutcome::redirect(o, ccid, key, f);
        }
        if o.state != OrderState::AwaitingConsumer {
            return ConsumerOutcome::Page(409, "This payment is already finished.".into());
        }
        let command = if o.kind == OrderKind::Single {
            Command::Pay
        } else {
            Command::Subscribe
        };
        let choice_stage = if command == Command::Pay {
            Stage::PayChoice
        } else {
            Stage::SubscribeChoice
        };
        let pay_type = o.pay_type;
        let offered = tables::choices(pay_type, choice_stage);
        let choice = choice.unwrap_or(if pay_type == PayType::Au && o.app_method {
            "app_success"
        } else {
            "success"
        });
        let cell = tables::by_choice(pay_type, choice_stage, choice);
        let (mut code, mut v, landing) = match cell {
            Some(c) => (c.result_code, c.v_result_code, c.landing),
            None if choice == "success" && offered.is_empty() => (
                "UA-000-001",
                tables::success_v_code(pay_type),
                Landing::Redirect,
            ),
            None => {
                let list = if offered.is_empty() {
                    "success".to_owned()
                } else {
                    offered.join(", ")
                };
                return ConsumerOutcome::Page(
                    400,
                    format!("Unknown choice {choice:?}; this page offers: {list}"),
                );
            }
        };
        if landing == Landing::StayOnProviderPage {
            return ConsumerOutcome::Page(
                200,
                format!("Payment Details Confirmation (sandbox): {choice} ({v}). Choose again."),
            );
        }
        // The consumer proceeded: the provider's verdict is the amount table
        // (pay) or the item-name table (Rakuten subscribe).
        if code == "UA-000-001" {
            let verdict = if command == Command::Pay {
                tables::by_digit(pay_type, Stage::Pay, amount_digit(o.amount))
            } else if pay_type == PayType::Rakuten {
                tables::by_item_name(pay_type, o.item_name.as_deref())
            } else {
                None
            };
            if let Some(c) = verdict {
                if c.result_code != "UA-000-001" {
                    code = c.result_code;
                    v = c.v_result_code;
                }
            }
        }
        if landing == Landing::RedirectFailsPending {
            return ConsumerOutcome::Page(200, "The redirect from the provider app failed (sandbox). getTransactionResult answers UA-U00-001.".into());
        }
        let success = code == "UA-000-001";
        let fep_ref = o.transactions.first().cloned().unwrap_or_default();
        let push = o.push_url.clone().filter(|_| success);
        let n_keys = usize::from(o.keys.mrk1.is_some()) + usize::from(o.keys.mrk2.is_some());
        if let Some(o) = self.store.orders.get_mut(&pid) {
            match (success, command) {
                (false, _) => o.state = OrderState::Failed,
                (true, Command::Subscribe) => o.state = OrderState::Subscribed,
                (true, _) => o.complete_payment(),
            }
        }
        let v_opt = (v != "-").then_some(v);
        let settled = self.store.settle_tx(&fep_ref, code, v_opt, ctx.now);
        let to_notify = settled.filter(|_| push.is_some()).cloned();
        if let (Some(url), Some(tx)) = (push, to_notify) {
            self.notify(&url, &tx, &fep_ref, jobs);
        }
        if landing == Landing::RedirectFailsFinalized {
            return ConsumerOutcome::Page(
                200,
                "The redirect back to the merchant failed (sandbox); the result was notified."
                    .into(),
            );
        }
        // One seeded draw (modulo the number of parameters), so seeded
        // sequences stay the same.
        let n_params = 7 + n_keys;
        let rot = (self.ids.next_rand() % n_params as u64) as u8;
        let f = FinalRedirect { code, rot };
        let Some(o) = self.store.orders.get_mut(&pid) else {
            return ConsumerOutcome::Page(404, "Unknown or expired payment page.".into());
        };
        o.final_redirect = Some(f);
        ConsumerOutcome::redirect(o, ccid, key, f)
    }
}
