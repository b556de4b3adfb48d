//! Validation of the typed request structs (`vt4g::generated::types::PayRequest`, …).
//!
//! [`ValidateRequest::validate`] reports exactly what [`validate`](super::validate) reports
//! for `serde_json::to_value(request)` with the same options — the same findings in the
//! same order (differential proptest in `tests/validation_typed.rs`, also run by the
//! `validate_json` fuzz target; the boundary tests run through both).
//!
//! How: `cargo xtask codegen` generates, from the same rule tables as
//! `vt4g_generated::rules` and from the generated types, one walker per command
//! (`vt4g_generated::validate_typed::visit_pay`, …). A walker reads the struct fields
//! directly (no key lookup, no allocation) and reports each present field with its
//! table index — a const generic parameter — in the order `to_value` would present
//! them (serialization order, which codegen checks is the JSON-key order of
//! `serde_json::Map`), then each object's absent fields in table order.
//!
//! Two visitors run over that walk:
//! - [`FastScan`], first: for each field it reads the field's summary for the provider
//!   ([`FastAccept`]: length bounds, character classes, whether the provider uses the
//!   field, whether its absence is reported) as a compile-time constant — the summaries
//!   are computed by the compiler from the rule tables (`fast_accept::FAST`), one
//!   compiled scan per command and provider slot — and a value outside its summary gets
//!   the exact per-field checks with their findings discarded. If no per-field check has
//!   anything to report (the valid request), the cross-field rules are evaluated on the
//!   fields the scan recorded, by constant rule index, with the shared `Ctx::cross`, and
//!   that is the report.
//! - [`TypedWalk`], otherwise: the full walk, calling the very per-field, absent-field
//!   and cross-field check functions of the `Value` validator (`Ctx::field_present`,
//!   `Ctx::check_string`, `Ctx::absent_field`, `Ctx::cross`), so the two validators
//!   cannot disagree on a rule, with paths rendered for every finding.
//!
//! The fast scan passes exactly when the full walk would have no per-field finding
//! (tested over near-valid requests of every command and provider, and in the random
//! differential test). What the typed walk never needs: the unknown-field and
//! JSON-type checks (the types cannot hold either).

use vt4g_generated::types::{
    CancelRequest, CaptureRequest, ChargeRequest, GetTransactionResultRequest, PayRequest,
    SubscribeRequest, TerminateRequest, UpdateOrderRequest,
};

use vt4g_generated::rules::{FieldSpec, COMMANDS};
use vt4g_generated::validate_typed::{self, RequestVisitor};

use super::ctx::{Ctx, Got};
use super::fast_accept::{
    cross_rule, fields_of, FastAccept, CROSS_SLOT, FAST, MAX_CROSS_FIELDS, MAX_CROSS_RULES,
    NO_CROSS_SLOT,
};
use super::helpers::short_eq;
use super::options::ValidationOptions;
use super::path::{PathStack, Seg, Unrendered, WithLeaf, MAX_DEPTH};
use super::report::ValidationReport;
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

    /// Whether the typed validator's fast scan proves that no per-field check has
    /// anything to report (so only the provider and cross-field findings remain).
    /// For tests and benchmarks of the validator; not part of the stable API.
    #[doc(hidden)]
    fn passes_fast_scan(&self, opts: &ValidationOptions) -> bool;
}

/// The typed validation of one request of command `C` (`Command as usize`):
/// the provider is determined (`Ctx::begin`), then the fast scan runs; when it proves
/// that no per-field check has anything to report, only the cross-field rules are
/// evaluated (by the shared `Ctx::cross`, on the fields the scan recorded) — the
/// report is then exactly what the full walk would give, since the full walk's
/// per-field findings would be none. Otherwise the full walk ([`TypedWalk`]) runs.
fn validate_typed<'o, 'r, const C: usize>(
    opts: &'o ValidationOptions,
    pay_type: Option<&'static str>,
    fast: impl FnOnce(usize, &mut Ctx<'o>, &mut [Got<'r>; MAX_CROSS_FIELDS]) -> bool,
    walk: impl FnOnce(&mut TypedWalk<'o, 'r>),
) -> ValidationReport {
    let (mut ctx, slot) = begin::<C>(opts, pay_type);
    let mut seen = [Got::Absent; MAX_CROSS_FIELDS];
    if fast(slot, &mut ctx, &mut seen) {
        cross_rules::<C>(&mut ctx, &seen);
        return ValidationReport {
            violations: ctx.out,
        };
    }
    TypedWalk::run(ctx, walk)
}

/// Evaluates the cross-field rules of command `C` (in table order, by the shared
/// `Ctx::cross`) on the fields the fast scan recorded. Each rule is a compile-time
/// constant here (one call per rule index), so its kind and fields fold away and the
/// common case — nothing to report — costs a few compares per rule.
#[inline(always)]
fn cross_rules<const C: usize>(ctx: &mut Ctx<'_>, seen: &[Got<'_>; MAX_CROSS_FIELDS]) {
    macro_rules! each_rule {
        ($($r:literal)*) => {
            $( cross_rule_at::<C, $r>(ctx, seen); )*
        };
    }
    const { assert!(MAX_CROSS_RULES == 16) };
    each_rule!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
}

/// Cross-field rule `R` of command `C`, if the command has that many.
#[inline(always)]
fn cross_rule_at<'r, const C: usize, const R: usize>(
    ctx: &mut Ctx<'_>,
    seen: &[Got<'r>; MAX_CROSS_FIELDS],
) {
    if let Some(rule) = const { cross_rule(C, R) } {
        let lookup = |i: u16| match CROSS_SLOT[C].get(usize::from(i)) {
            Some(&k) if k != NO_CROSS_SLOT => seen.get(usize::from(k)).copied().unwrap_or_default(),
            _ => Got::Absent,
        };
        ctx.cross(rule, &lookup);
    }
}

/// A validation context of command `C` with its provider determined (and its
/// findings reported), and the provider slot.
fn begin<'o, const C: usize>(
    opts: &'o ValidationOptions,
    pay_type: Option<&'static str>,
) -> (Ctx<'o>, usize) {
    let mut ctx = Ctx::new(&COMMANDS[C], opts);
    ctx.begin(pay_type.and_then(PayType::from_name));
    let slot = ctx.provider.map_or(5, |p| p as usize);
    (ctx, slot)
}

/// The fast scan of a typed request of command `C` for provider slot `P`: reads every
/// field's summary ([`FastAccept`]) as a compile-time constant and tests the value
/// against it; a value outside its summary gets the exact checks (`Ctx::check_string`),
/// with any finding discarded. `ok` stays `true` only when no per-field check
/// (present, absent, string) has anything to report; the scan records the values the
/// cross-field rules read.
struct FastScan<'c, 'o, 'r, const C: usize, const P: usize> {
    ok: bool,
    seen: &'c mut [Got<'r>; MAX_CROSS_FIELDS],
    ctx: &'c mut Ctx<'o>,
}

impl<'c, 'o, 'r, const C: usize, const P: usize> FastScan<'c, 'o, 'r, C, P> {
    /// Runs `visit` over the scan, recording into `seen`; `true` when it passed.
    #[inline(always)]
    fn run(
        ctx: &'c mut Ctx<'o>,
        seen: &'c mut [Got<'r>; MAX_CROSS_FIELDS],
        visit: impl FnOnce(&mut Self),
    ) -> bool {
        let mut scan = FastScan {
            ok: true,
            seen,
            ctx,
        };
        visit(&mut scan);
        scan.ok
    }

    #[inline(always)]
    fn record<const F: u16>(&mut self, got: Got<'r>) {
        let k = const { CROSS_SLOT[C][F as usize] };
        if k != NO_CROSS_SLOT {
            if let Some(slot) = self.seen.get_mut(usize::from(k)) {
                *slot = got;
            }
        }
    }
}

/// Whether the exact string checks of field `field` find nothing in `value` (their
/// findings, if any, are discarded: the full walk reports them with their paths).
#[inline(never)]
fn exact_string_passes(ctx: &mut Ctx<'_>, field: u16, value: &str) -> bool {
    let before = ctx.out.len();
    ctx.check_string(field, value, &Unrendered);
    let passes = ctx.out.len() == before;
    ctx.out.truncate(before);
    passes
}

impl<'r, const C: usize, const P: usize> RequestVisitor<'r> for FastScan<'_, '_, 'r, C, P> {
    #[inline(always)]
    fn string<const F: u16>(&mut self, value: &'r str) {
        let fa: FastAccept = const { FAST[C][F as usize][P] };
        let enums: &'static [&'static str] = const { fields_of(C)[F as usize].enum_values };
        // What `Ctx::field_present` and `Ctx::check_string` test, summarised; the
        // exact checks for a value outside the summary.
        self.ok &= fa.present_silent
            && ((fa.accepts(value)
                && (enums.is_empty() || enums.iter().any(|v| short_eq(v, value))))
                || exact_string_passes(self.ctx, F, value));
        self.record::<F>(Got::Str(value));
    }

    #[inline(always)]
    fn enter<const F: u16>(&mut self) {
        self.ok &= const { FAST[C][F as usize][P].present_silent };
        self.record::<F>(Got::Other);
    }

    #[inline(always)]
    fn leave(&mut self) {}

    #[inline(always)]
    fn enter_index(&mut self, _index: usize) {}

    #[inline(always)]
    fn leave_index(&mut self) {}

    #[inline(always)]
    fn absent<const F: u16>(&mut self) {
        // `absent_silent` is exact (tested), no exact fallback needed.
        self.ok &= const { FAST[C][F as usize][P].absent_silent };
    }
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
    fn field(&self, field: u16) -> &'static FieldSpec {
        let fields: &'static [FieldSpec] = self.ctx.spec.fields;
        &fields[usize::from(field)]
    }

    fn parent_unsupported(&self) -> bool {
        self.unsupported[self.path.len]
    }

    /// The full walk, after `Ctx::begin` (the provider is known to `ctx`).
    fn run(ctx: Ctx<'o>, walk: impl FnOnce(&mut Self)) -> ValidationReport {
        let mut w = TypedWalk {
            ctx,
            path: PathStack::new(),
            unsupported: [false; MAX_DEPTH + 1],
            seen: [Got::Absent; validate_typed::MAX_FIELDS],
        };
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

    #[inline(never)]
    fn string_at(&mut self, field: u16, value: &'r str) {
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

    #[inline(never)]
    fn enter_at(&mut self, field: u16) {
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
}

impl<'r> RequestVisitor<'r> for TypedWalk<'_, 'r> {
    #[inline]
    fn string<const F: u16>(&mut self, value: &'r str) {
        self.string_at(F, value);
    }

    #[inline]
    fn enter<const F: u16>(&mut self) {
        self.enter_at(F);
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

    #[inline]
    fn absent<const F: u16>(&mut self) {
        self.ctx.absent_field(F, &mut self.path);
    }
}

/// Runs the fast scan of `$visit` over `$r` for command `$c` and the provider slot
/// `$slot` (each slot its own compiled scan, with its constants).
macro_rules! fast_scan {
    ($c:expr, $slot:expr, $ctx:expr, $seen:expr, $visit:path, $r:expr) => {
        match $slot {
            0 => FastScan::<{ $c }, 0>::run($ctx, $seen, |v| $visit($r, v)),
            1 => FastScan::<{ $c }, 1>::run($ctx, $seen, |v| $visit($r, v)),
            2 => FastScan::<{ $c }, 2>::run($ctx, $seen, |v| $visit($r, v)),
            3 => FastScan::<{ $c }, 3>::run($ctx, $seen, |v| $visit($r, v)),
            4 => FastScan::<{ $c }, 4>::run($ctx, $seen, |v| $visit($r, v)),
            _ => FastScan::<{ $c }, 5>::run($ctx, $seen, |v| $visit($r, v)),
        }
    };
}

macro_rules! impl_validate_request {
    ($ty:ident, $cmd:ident, $visit:ident, $pay_type:ident) => {
        impl ValidateRequest for $ty {
            const COMMAND: Command = Command::$cmd;

            fn declared_pay_type(&self) -> Option<PayType> {
                validate_typed::$pay_type(self).and_then(PayType::from_name)
            }

            fn validate(&self, opts: &ValidationOptions) -> ValidationReport {
                const C: usize = Command::$cmd as usize;
                validate_typed::<C>(
                    opts,
                    validate_typed::$pay_type(self),
                    |slot, ctx, seen| fast_scan!(C, slot, ctx, seen, validate_typed::$visit, self),
                    |w| validate_typed::$visit(self, w),
                )
            }

            fn passes_fast_scan(&self, opts: &ValidationOptions) -> bool {
                const C: usize = Command::$cmd as usize;
                let (mut ctx, slot) = begin::<C>(opts, validate_typed::$pay_type(self));
                let mut seen = [Got::Absent; MAX_CROSS_FIELDS];
                let (ctx, seen) = (&mut ctx, &mut seen);
                fast_scan!(C, slot, ctx, seen, validate_typed::$visit, self)
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
