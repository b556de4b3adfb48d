//! Validation of the typed request structs (`vt4g::generated::types::PayRequest`, …).
//!
//! [`ValidateRequest::validate`] reports exactly what [`validate`](super::validate) reports
//! for `serde_json::to_value(request)` with the same options — the same findings in the
//! same order (differential proptest in `tests/validation_typed.rs`; the boundary tests
//! run through both).
//!
//! How: `cargo xtask codegen` generates, from the same rule tables as
//! `vt4g_generated::rules` and from the generated types, one walker per command
//! (`vt4g_generated::validate_typed::visit_pay`, …). A walker reads the struct fields
//! directly (no key lookup, no allocation) and reports each present field with its
//! table index, in the order `to_value` would present them (serialization order, which
//! codegen checks is the JSON-key order of `serde_json::Map`), then each object's
//! absent fields in table order. [`TypedWalk`] receives them and calls the very
//! per-field, absent-field and cross-field check functions of the `Value` validator
//! (`Ctx::field_present`, `Ctx::check_string`, `Ctx::absent_field`, `Ctx::cross`), so
//! the two validators cannot disagree on a rule. What the typed walk never needs: the
//! unknown-field and JSON-type checks (the types cannot hold either).

use vt4g_generated::types::{
    CancelRequest, CaptureRequest, ChargeRequest, GetTransactionResultRequest, PayRequest,
    SubscribeRequest, TerminateRequest, UpdateOrderRequest,
};

use vt4g_generated::rules::{command_spec, FieldSpec};
use vt4g_generated::validate_typed::{self, RequestVisitor};

use super::{Ctx, Got, PathStack, Seg, ValidationOptions, ValidationReport, WithLeaf, MAX_DEPTH};
use crate::{Command, PayType};

/// A typed request of one command that can be validated before it is sent.
///
/// Implemented for the eight generated request types.
///
/// ```
/// use vt4g::generated::types::PayRequest;
/// use vt4g::validation::{RequestMode, ValidateRequest, ValidationOptions};
/// use vt4g::PayType;
/// let req: PayRequest = serde_json::from_value(serde_json::json!({
///     "order": {"payType": "docomo", "paymentId": "order-1", "amount": "123456789"},
///     "control": {
///         "successUrl": "https://shop.example/ok",
///         "cancelUrl": "https://shop.example/cancel",
///         "errorUrl": "https://shop.example/error"
///     }
/// }))
/// .unwrap();
/// assert_eq!(req.declared_pay_type(), Some(PayType::Docomo));
/// let report = req.validate(&ValidationOptions::new(RequestMode::Live));
/// assert!(!report.is_valid()); // docomo: at most 8 digits
/// ```
pub trait ValidateRequest {
    /// The command this request type is sent with.
    const COMMAND: Command;

    /// The payType written in the request body (pay, subscribe), if any.
    fn declared_pay_type(&self) -> Option<PayType>;

    /// Validates against `opts` (pay type, mode, strict, URL policy, clock) and returns
    /// every finding, exactly as `validate(Self::COMMAND, &to_value(self), opts)` would.
    fn validate(&self, opts: &ValidationOptions) -> ValidationReport;
}

/// The typed walk: receives the fields of a typed request from the generated walker
/// (`vt4g_generated::validate_typed`) and applies the same per-field and cross-field
/// checks as the `Value` validator (the methods of [`Ctx`]).
struct TypedWalk<'o, 'r> {
    ctx: Ctx<'o>,
    path: PathStack<'static>,
    /// `unsupported[d]`: the object at path depth `d` is inside a field the provider
    /// does not use (its findings were reported once, at that field).
    unsupported: [bool; MAX_DEPTH + 1],
    /// What the cross-field rules see of each field (by table index).
    seen: [Got<'r>; validate_typed::MAX_FIELDS],
}

impl<'o, 'r> TypedWalk<'o, 'r> {
    fn new(command: Command, opts: &'o ValidationOptions) -> Self {
        TypedWalk {
            ctx: Ctx::new(command_spec(command), opts),
            path: PathStack::new(),
            unsupported: [false; MAX_DEPTH + 1],
            seen: [Got::Absent; validate_typed::MAX_FIELDS],
        }
    }

    fn field(&self, field: u16) -> &'static FieldSpec {
        let fields: &'static [FieldSpec] = self.ctx.spec.fields;
        &fields[usize::from(field)]
    }

    fn parent_unsupported(&self) -> bool {
        self.unsupported[self.path.len]
    }

    fn run(
        command: Command,
        pay_type: Option<&'static str>,
        opts: &'o ValidationOptions,
        walk: impl FnOnce(&mut Self),
    ) -> ValidationReport {
        let mut w = TypedWalk::new(command, opts);
        w.ctx.begin(pay_type.and_then(PayType::from_name));
        walk(&mut w);
        // Borrowed in place (moving `seen` out would copy the whole array).
        let seen = &w.seen;
        let ctx = &mut w.ctx;
        let lookup = |i: u16| seen.get(usize::from(i)).copied().unwrap_or_default();
        for rule in ctx.spec.cross_rules {
            ctx.cross(rule, &lookup);
        }
        ValidationReport {
            violations: std::mem::take(&mut w.ctx.out),
        }
    }
}

impl<'r> RequestVisitor<'r> for TypedWalk<'_, 'r> {
    fn string(&mut self, field: u16, value: &'r str) {
        let f = self.field(field);
        let parent = self.parent_unsupported();
        // The key is not pushed: it is appended only when a finding renders the path.
        // (The Value walk skips fields deeper than MAX_DEPTH; typed requests are
        // never that deep.)
        debug_assert!(self.path.len < MAX_DEPTH, "typed requests are shallow");
        let at = WithLeaf {
            stack: &self.path,
            leaf: f.name,
        };
        self.ctx.field_present(f, &at, parent);
        self.ctx.check_string(field, value, &at);
        if let Some(slot) = self.seen.get_mut(usize::from(field)) {
            *slot = Got::Str(value);
        }
    }

    fn enter(&mut self, field: u16) {
        let f = self.field(field);
        let parent = self.parent_unsupported();
        // The generated walk is at most a few levels deep (MAX_DEPTH is 16).
        let pushed = self.path.push(Seg::Key(f.name));
        debug_assert!(pushed, "typed requests are shallow");
        let u = self.ctx.field_present(f, &self.path, parent);
        self.unsupported[self.path.len] = u;
        if let Some(slot) = self.seen.get_mut(usize::from(field)) {
            *slot = Got::Other;
        }
    }

    fn leave(&mut self) {
        self.path.pop();
    }

    fn enter_index(&mut self, index: usize) {
        let parent = self.parent_unsupported();
        let pushed = self.path.push(Seg::Index(index));
        debug_assert!(pushed, "typed requests are shallow");
        self.unsupported[self.path.len] = parent;
    }

    fn leave_index(&mut self) {
        self.path.pop();
    }

    fn absent(&mut self, field: u16) {
        self.ctx.absent_field(field, &mut self.path);
    }
}

macro_rules! impl_validate_request {
    ($ty:ident, $cmd:ident, $visit:ident, $pay_type:ident) => {
        impl ValidateRequest for $ty {
            const COMMAND: Command = Command::$cmd;

            fn declared_pay_type(&self) -> Option<PayType> {
                validate_typed::$pay_type(self).and_then(PayType::from_name)
            }

            fn validate(&self, opts: &ValidationOptions) -> ValidationReport {
                TypedWalk::run(Self::COMMAND, validate_typed::$pay_type(self), opts, |w| {
                    validate_typed::$visit(self, w)
                })
            }
        }
    };
}

impl_validate_request!(PayRequest, Pay, visit_pay, pay_type_pay);
impl_validate_request!(
    SubscribeRequest,
    Subscribe,
    visit_subscribe,
    pay_type_subscribe
);
impl_validate_request!(
    UpdateOrderRequest,
    UpdateOrder,
    visit_update_order,
    pay_type_update_order
);
impl_validate_request!(CaptureRequest, Capture, visit_capture, pay_type_capture);
impl_validate_request!(CancelRequest, Cancel, visit_cancel, pay_type_cancel);
impl_validate_request!(ChargeRequest, Charge, visit_charge, pay_type_charge);
impl_validate_request!(
    TerminateRequest,
    Terminate,
    visit_terminate,
    pay_type_terminate
);
impl_validate_request!(
    GetTransactionResultRequest,
    GetTransactionResult,
    visit_get_transaction_result,
    pay_type_get_transaction_result
);
