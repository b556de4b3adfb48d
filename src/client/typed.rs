//! The typed request path: the eight generated request types are validated
//! as they are ([`ValidateRequest`]) and serialized once with
//! `serde_json::to_vec`, without a `serde_json::Value` round trip; and the
//! eight typed responses give their result code back after one decode.

use serde::Serialize;

use super::RequestMode;
use crate::generated::types;
use crate::validation::{ValidateRequest, ValidationOptions, ValidationReport};
use crate::{Command, PayType};

/// A typed request as the client sees it (object safe, so that
/// [`Call`](super::Call) keeps its public shape).
pub(crate) trait TypedBody: Sync {
    /// The command this request type is sent with.
    fn command(&self) -> Command;
    /// `order.paymentId`, else `order.fepOrderId`, for logs and the ledger.
    fn payment_id(&self) -> Option<&str>;
    /// The payType written in the body (pay, subscribe).
    fn declared_pay_type(&self) -> Option<PayType>;
    /// Fills `control.requestMode` with `mode` when the command carries one
    /// and it is absent, then validates and serializes. `conflict` is the
    /// contradicting requestMode, if any (refused after validation, as on the
    /// `Value` path).
    fn validate_and_serialize(&self, mode: RequestMode, opts: &ValidationOptions) -> Prepared;
}

/// What [`TypedBody::validate_and_serialize`] produced.
pub(crate) struct Prepared {
    pub(crate) report: ValidationReport,
    pub(crate) conflict: Option<String>,
    pub(crate) bytes: serde_json::Result<Vec<u8>>,
}

/// Per-type knowledge the generic code needs.
trait Typed: ValidateRequest + Serialize + Clone + Sync {
    fn payment_id(&self) -> Option<&str>;
    /// The body's `control.requestMode` (pay, subscribe): `Ok(None)` when
    /// absent, `Err(())` when the command has none.
    fn request_mode(&self) -> Result<Option<&'static str>, ()> {
        Err(())
    }
    /// Sets `control.requestMode` (pay, subscribe; a no-op otherwise).
    fn set_request_mode(&mut self, _mode: RequestMode) {}
}

impl<R: Typed> TypedBody for R {
    fn command(&self) -> Command {
        R::COMMAND
    }

    fn payment_id(&self) -> Option<&str> {
        Typed::payment_id(self)
    }

    fn declared_pay_type(&self) -> Option<PayType> {
        ValidateRequest::declared_pay_type(self)
    }

    fn validate_and_serialize(&self, mode: RequestMode, opts: &ValidationOptions) -> Prepared {
        let filled;
        let (req, conflict) = match self.request_mode() {
            Ok(None) => {
                // Absent: filled in from the environment (a copy; the caller's
                // request is borrowed).
                let mut copy = self.clone();
                copy.set_request_mode(mode);
                filled = copy;
                (&filled, None)
            }
            Ok(Some(found)) if found != mode.as_str() => (self, Some(found.to_owned())),
            _ => (self, None),
        };
        let report = ValidateRequest::validate(req, opts);
        let bytes = if report.is_valid() && conflict.is_none() {
            serde_json::to_vec(req)
        } else {
            Ok(Vec::new())
        };
        Prepared {
            report,
            conflict,
            bytes,
        }
    }
}

macro_rules! request_mode {
    ($req:ty, $mode:ident) => {
        fn request_mode(&self) -> Result<Option<&'static str>, ()> {
            Ok(self.control.request_mode.map(|m| match m {
                types::$mode::Live => RequestMode::Live.as_str(),
                types::$mode::Sandbox => RequestMode::Sandbox.as_str(),
            }))
        }

        fn set_request_mode(&mut self, mode: RequestMode) {
            self.control.request_mode = Some(match mode {
                RequestMode::Live => types::$mode::Live,
                RequestMode::Sandbox => types::$mode::Sandbox,
            });
        }
    };
}

impl Typed for types::PayRequest {
    fn payment_id(&self) -> Option<&str> {
        Some(self.order.payment_id.as_str())
    }
    request_mode!(types::PayRequest, PayControlRequestMode);
}

impl Typed for types::SubscribeRequest {
    fn payment_id(&self) -> Option<&str> {
        Some(self.order.payment_id.as_str())
    }
    request_mode!(types::SubscribeRequest, SubscribeControlRequestMode);
}

macro_rules! by_order_id {
    ($req:ty, $order:ident, $by_payment_id:ident . $pid:ident, $by_fep:ident . $fid:ident) => {
        impl Typed for $req {
            fn payment_id(&self) -> Option<&str> {
                Some(match &self.order {
                    types::$order::$by_payment_id(o) => o.$pid.as_str(),
                    types::$order::$by_fep(o) => o.$fid.as_str(),
                })
            }
        }
    };
}

by_order_id!(
    types::UpdateOrderRequest,
    UpdateOrderOrder,
    PaymentId.payment_id,
    FepOrderId.fep_order_id
);
by_order_id!(
    types::CaptureRequest,
    CaptureOrder,
    PaymentId.payment_id,
    FepOrderId.fep_order_id
);
by_order_id!(
    types::CancelRequest,
    CancelOrder,
    PaymentId.payment_id,
    FepOrderId.fep_order_id
);
// charge: `order.paymentId` is the new order's id on both branches.
by_order_id!(
    types::ChargeRequest,
    ChargeOrder,
    PaymentId.payment_id,
    FepOrderId.payment_id
);

by_order_id!(
    types::TerminateRequest,
    TerminateOrder,
    PaymentId.payment_id,
    FepOrderId.fep_order_id
);

impl Typed for types::GetTransactionResultRequest {
    fn payment_id(&self) -> Option<&str> {
        None
    }
}

/// Reads `result.resultCode` from a decoded typed response.
pub(crate) type CodeOf<T> = fn(&T) -> Option<&str>;

macro_rules! code_of {
    ($($name:ident: $resp:ty;)*) => {$(
        pub(crate) fn $name(r: &$resp) -> Option<&str> {
            r.result.as_ref()?.result_code.as_deref()
        }
    )*};
}

code_of! {
    code_of_pay: types::PayResponse;
    code_of_subscribe: types::SubscribeResponse;
    code_of_update_order: types::UpdateOrderResponse;
    code_of_capture: types::CaptureResponse;
    code_of_cancel: types::CancelResponse;
    code_of_charge: types::ChargeResponse;
    code_of_terminate: types::TerminateResponse;
    code_of_get_transaction_result: types::GetTransactionResultResponse;
}
