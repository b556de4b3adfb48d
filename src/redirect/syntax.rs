//! The redirect parameters the reference defines, the syntax of their values,
//! and the check that the signed string has exactly one reading.
//!
//! `vAuthInfo` hashes the *concatenation* of the listed values with no
//! separator, and `authParams` (the list) is not signed. The same signed bytes
//! can therefore be cut into values in more than one way: from a genuine
//! redirect for `paymentId=order-123` followed by `fepOrderId=order-123_…`, the
//! values `order-12` and `3order-123_…` hash to the same `vAuthInfo`. This
//! module gives each parameter the narrowest syntax the reference allows, and
//! [`Reading::alternative`] searches for another assignment of values to the
//! received list that satisfies every syntax rule and reproduces the signed
//! bytes. A parameter whose value differs in some other reading is not
//! determined by the signature.

use std::fmt;

/// A query parameter of the redirect, as listed in the reference's "Redirect"
/// section (the two authentication parameters aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RedirectParam {
    /// `status` — `success`, `failure` or `error`.
    Status,
    /// `actionCode` — one of the reference's action codes.
    ActionCode,
    /// `resultCode` — `XX-XXX-999` (two capitals, three capitals or digits,
    /// three digits), e.g. `UA-000-001`.
    ResultCode,
    /// `command` — the command that induced the redirect (`pay`, …).
    Command,
    /// `paymentId` — 1 to 64 of `A-Z a-z 0-9 - _`.
    PaymentId,
    /// `fepOrderId` — 1 to 100 of `A-Z a-z 0-9 - _`; by default
    /// `{paymentId}_{suffix}` with an alphanumeric suffix (see
    /// [`FepOrderIdRule`]).
    FepOrderId,
    /// `fepReferenceId` — 1 to 100 of `A-Z a-z 0-9 - _`.
    FepReferenceId,
    /// `merchantRequestKey1` — 1 to 100 printable ASCII characters.
    MerchantRequestKey1,
    /// `merchantRequestKey2` — 1 to 100 printable ASCII characters.
    MerchantRequestKey2,
}

/// The statuses of the reference's "Status" table.
const STATUSES: &[&str] = &["success", "failure", "error"];

/// `success` and the reference's "Action code" table.
const ACTION_CODES: &[&str] = &[
    "success",
    "inquiry_support",
    "maintenance",
    "confirm_payment",
    "confirm_payment_status",
    "confirm_request",
    "confirm_merchant_info",
    "alternate_payment",
    "retry_request",
    "retry_payment",
    "confirm_consumer",
    "confirm_token",
    "user_paying",
    "provider_processing",
    "confirm_pending_status",
];

/// Command names in both the path form and the notification form
/// (`updateOrder` / `update_order`); `getTransactionResult` induces no redirect.
const COMMANDS: &[&str] = &[
    "pay",
    "subscribe",
    "updateOrder",
    "update_order",
    "capture",
    "cancel",
    "charge",
    "terminate",
];

impl RedirectParam {
    /// Every parameter, in the reference's order.
    pub const ALL: [RedirectParam; 9] = [
        RedirectParam::Status,
        RedirectParam::ActionCode,
        RedirectParam::ResultCode,
        RedirectParam::Command,
        RedirectParam::PaymentId,
        RedirectParam::FepOrderId,
        RedirectParam::FepReferenceId,
        RedirectParam::MerchantRequestKey1,
        RedirectParam::MerchantRequestKey2,
    ];

    /// The query parameter name.
    pub const fn name(self) -> &'static str {
        match self {
            RedirectParam::Status => "status",
            RedirectParam::ActionCode => "actionCode",
            RedirectParam::ResultCode => "resultCode",
            RedirectParam::Command => "command",
            RedirectParam::PaymentId => "paymentId",
            RedirectParam::FepOrderId => "fepOrderId",
            RedirectParam::FepReferenceId => "fepReferenceId",
            RedirectParam::MerchantRequestKey1 => "merchantRequestKey1",
            RedirectParam::MerchantRequestKey2 => "merchantRequestKey2",
        }
    }

    /// The parameter called `name` (exact, case-sensitive).
    pub fn from_name(name: &str) -> Option<RedirectParam> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// `status`, `actionCode`, `resultCode`, `command` and `paymentId` must be
    /// present and signed; the others are optional.
    pub const fn is_required(self) -> bool {
        matches!(
            self,
            RedirectParam::Status
                | RedirectParam::ActionCode
                | RedirectParam::ResultCode
                | RedirectParam::Command
                | RedirectParam::PaymentId
        )
    }

    /// The longest value the reference allows.
    pub const fn max_len(self) -> usize {
        match self {
            RedirectParam::Status | RedirectParam::ResultCode => 10,
            RedirectParam::Command => 20,
            RedirectParam::ActionCode | RedirectParam::PaymentId => 64,
            _ => 100,
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The candidate lengths of a value of this parameter at the start of
    /// `rest` (`back == false`) or at its end (`back == true`): every length
    /// whose slice is a valid value, shortest first.
    fn candidates(self, rest: &[u8], back: bool, out: &mut Lengths) {
        self.candidates_inner(rest, back, out);
        #[cfg(test)]
        EXAMINED.with(|c| c.set(c.get() + 1 + out.len as u64));
    }

    fn candidates_inner(self, rest: &[u8], back: bool, out: &mut Lengths) {
        out.clear();
        match self {
            RedirectParam::Status => words(STATUSES, rest, back, out),
            RedirectParam::ActionCode => words(ACTION_CODES, rest, back, out),
            RedirectParam::Command => words(COMMANDS, rest, back, out),
            RedirectParam::ResultCode => {
                let n = rest.len();
                let slice = if back {
                    n.checked_sub(10).map(|s| &rest[s..])
                } else {
                    rest.get(..10)
                };
                if slice.is_some_and(is_result_code) {
                    out.push(10);
                }
            }
            _ => {
                let ok = self.char_ok();
                let max = self.max_len().min(rest.len());
                for i in 0..max {
                    let b = if back {
                        rest[rest.len() - 1 - i]
                    } else {
                        rest[i]
                    };
                    if !ok(b) {
                        break;
                    }
                    out.push(i + 1);
                }
            }
        }
    }

    fn char_ok(self) -> fn(u8) -> bool {
        match self {
            RedirectParam::MerchantRequestKey1 | RedirectParam::MerchantRequestKey2 => {
                |b: u8| (0x20..=0x7e).contains(&b)
            }
            _ => |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_',
        }
    }

    /// Whether `value` is a valid value of this parameter on its own (the
    /// `fepOrderId`/`paymentId` relation is checked separately).
    ///
    /// ```
    /// use vt4g::redirect::RedirectParam;
    /// assert!(RedirectParam::PaymentId.accepts("paymentId_1234567890"));
    /// assert!(!RedirectParam::PaymentId.accepts("order.1"));
    /// assert!(RedirectParam::ResultCode.accepts("UA-000-001"));
    /// assert!(!RedirectParam::Status.accepts("successs"));
    /// ```
    pub fn accepts(self, value: &str) -> bool {
        if value.is_empty() || value.len() > self.max_len() {
            return false;
        }
        let mut l = Lengths::default();
        self.candidates(value.as_bytes(), false, &mut l);
        let found = l.as_slice().any(|n| n == value.len());
        found
    }

    /// What the syntax is, for error messages.
    pub(crate) const fn syntax(self) -> &'static str {
        match self {
            RedirectParam::Status => "one of success, failure, error",
            RedirectParam::ActionCode => "one of the reference's action codes",
            RedirectParam::ResultCode => "a result code like UA-000-001",
            RedirectParam::Command => "a command name",
            RedirectParam::PaymentId => "1-64 of A-Z a-z 0-9 - _",
            RedirectParam::FepOrderId | RedirectParam::FepReferenceId => "1-100 of A-Z a-z 0-9 - _",
            RedirectParam::MerchantRequestKey1 | RedirectParam::MerchantRequestKey2 => {
                "1-100 printable ASCII characters"
            }
        }
    }
}

impl fmt::Display for RedirectParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn words(list: &[&str], rest: &[u8], back: bool, out: &mut Lengths) {
    for w in list {
        let hit = if back {
            rest.ends_with(w.as_bytes())
        } else {
            rest.starts_with(w.as_bytes())
        };
        if hit {
            out.push(w.len());
        }
    }
    out.sort();
}

fn words_fit(list: &[&str], rest: &[u8], back: bool) -> bool {
    list.iter().any(|w| {
        if back {
            rest.ends_with(w.as_bytes())
        } else {
            rest.starts_with(w.as_bytes())
        }
    })
}

fn is_result_code(v: &[u8]) -> bool {
    v.len() == 10
        && v[..2].iter().all(u8::is_ascii_uppercase)
        && v[2] == b'-'
        && v[3..6]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && v[6] == b'-'
        && v[7..].iter().all(u8::is_ascii_digit)
}

/// How `fepOrderId` must relate to `paymentId`.
///
/// The reference's examples are `paymentId=paymentId_1234567890` and
/// `fepOrderId=paymentId_1234567890_01AHK4HS7GFKHGKE7SGFJKTHIH`: the
/// paymentId, `_`, then an alphanumeric suffix. The relation is what pins the
/// boundary after `paymentId` in the signed string, so it is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FepOrderIdRule {
    /// `fepOrderId` is `{paymentId}_{suffix}`, the suffix one or more ASCII
    /// letters or digits (no `_`, so `paymentId` is everything before the
    /// last `_`).
    #[default]
    PaymentIdPrefix,
    /// Only the character set and length are checked, for an account whose
    /// `fepOrderId`s do not follow the reference's example. The boundary
    /// after `paymentId` is then protected by the unique-reading check alone;
    /// in the reference's list `paymentId` is always followed by
    /// `fepOrderId`, so such a redirect has several readings and is refused
    /// ([`RedirectError::AmbiguousValue`](super::RedirectError::AmbiguousValue)):
    /// this rule only helps with lists that separate the two.
    SyntaxOnly,
}

impl FepOrderIdRule {
    pub(crate) fn holds(self, payment_id: &[u8], fep_order_id: &[u8]) -> bool {
        match self {
            FepOrderIdRule::SyntaxOnly => true,
            FepOrderIdRule::PaymentIdPrefix => {
                fep_order_id.len() > payment_id.len() + 1
                    && fep_order_id.starts_with(payment_id)
                    && fep_order_id[payment_id.len()] == b'_'
                    && fep_order_id[payment_id.len() + 1..]
                        .iter()
                        .all(u8::is_ascii_alphanumeric)
            }
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Candidate lengths examined on this thread (calls plus lengths found),
    /// so tests can bound a search's work without timing it.
    pub(crate) static EXAMINED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Up to 100 candidate lengths (the longest value), without allocating.
struct Lengths {
    buf: [u8; 100],
    len: usize,
}

impl Default for Lengths {
    fn default() -> Self {
        Lengths {
            buf: [0; 100],
            len: 0,
        }
    }
}

impl Lengths {
    fn clear(&mut self) {
        self.len = 0;
    }
    fn push(&mut self, n: usize) {
        if self.len < self.buf.len() {
            // Candidate lengths are at most 100 (the longest value).
            self.buf[self.len] = u8::try_from(n).unwrap_or(u8::MAX);
            self.len += 1;
        }
    }
    fn retain(&mut self, keep: impl Fn(usize) -> bool) {
        let mut n = 0;
        for k in 0..self.len {
            if keep(usize::from(self.buf[k])) {
                self.buf[n] = self.buf[k];
                n += 1;
            }
        }
        self.len = n;
    }
    fn sort(&mut self) {
        self.buf[..self.len].sort_unstable();
    }
    fn as_slice(&self) -> impl Iterator<Item = usize> + '_ {
        self.buf[..self.len].iter().map(|&b| usize::from(b))
    }
}

/// Work one search may do before giving up: every search node and every
/// candidate length it examines costs one unit, so the bound is on time, not
/// on recursion depth. A genuine redirect in the reference's order needs a few
/// hundred units; the simulator-shaped lists with both free-text merchant keys
/// (`simulator_shaped_lists_verify`) up to about 194,000. Giving up counts as
/// "not determined". At most nine searches run per redirect, so one `verify`
/// examines at most 9 × this many lengths (tens of milliseconds, reached only
/// by a signed redirect with a contrived list).
pub(crate) const SEARCH_BUDGET: u32 = 500_000;

/// The outcome of [`Reading::alternative`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alternative {
    /// No other reading gives this parameter another value.
    None,
    /// Another reading gives this parameter another value.
    Found,
    /// The search ran out of budget (treated like `Found`).
    GaveUp,
}

/// The received list and the signed bytes (the concatenated values).
pub(crate) struct Reading<'a> {
    list: &'a [RedirectParam],
    signed: &'a [u8],
    rule: FepOrderIdRule,
    /// How many times each parameter is listed.
    count: [usize; 9],
}

struct Search<'a> {
    r: &'a Reading<'a>,
    /// (start, len) into `signed` of each assigned parameter.
    assigned: [Option<(usize, usize)>; 9],
    target: RedirectParam,
    received: &'a [u8],
    /// Work done so far (see [`SEARCH_BUDGET`]).
    steps: u32,
}

impl<'a> Reading<'a> {
    pub(crate) fn new(list: &'a [RedirectParam], signed: &'a [u8], rule: FepOrderIdRule) -> Self {
        let mut count = [0; 9];
        for p in list {
            count[p.index()] += 1;
        }
        Reading {
            list,
            signed,
            rule,
            count,
        }
    }

    /// Searches for a reading of the signed bytes under the list in which
    /// `target` has a value other than `received`, every value satisfies its
    /// syntax, repeated names have one value, and the `fepOrderId` rule holds.
    pub(crate) fn alternative(&self, target: RedirectParam, received: &str) -> Alternative {
        let mut s = Search {
            r: self,
            assigned: [None; 9],
            target,
            received: received.as_bytes(),
            steps: 0,
        };
        match s.dfs(0, 0, self.list.len(), self.signed.len()) {
            Ok(true) => Alternative::Found,
            Ok(false) => Alternative::None,
            Err(GaveUp) => Alternative::GaveUp,
        }
    }
}

struct GaveUp;

impl Search<'_> {
    /// Counts `units` of work; gives up once the budget is spent.
    fn charge(&mut self, units: usize) -> Result<(), GaveUp> {
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        self.steps = self.steps.saturating_add(units);
        if self.steps > SEARCH_BUDGET {
            Err(GaveUp)
        } else {
            Ok(())
        }
    }

    fn value(&self, p: RedirectParam) -> Option<&[u8]> {
        self.assigned[p.index()].map(|(s, l)| &self.r.signed[s..s + l])
    }

    fn relation_ok(&self) -> bool {
        match (
            self.value(RedirectParam::PaymentId),
            self.value(RedirectParam::FepOrderId),
        ) {
            (Some(p), Some(f)) => self.r.rule.holds(p, f),
            _ => true,
        }
    }

    /// A parameter listed once, unassigned, not the target and not in the
    /// `fepOrderId` rule: how a run of such items splits its bytes matters to
    /// nothing else, only where the run ends.
    fn collapsible(&self, p: RedirectParam) -> bool {
        self.r.count[p.index()] == 1
            && self.value(p).is_none()
            && p != self.target
            && !matches!(p, RedirectParam::PaymentId | RedirectParam::FepOrderId)
    }

    /// Items `i..k` are collapsible: branch on where the run can end (each
    /// item reading a valid value), not on how it splits.
    fn run(&mut self, i: usize, fp: usize, j: usize, bp: usize) -> Result<bool, GaveUp> {
        let signed = self.r.signed;
        let mut k = i;
        while k < j && self.collapsible(self.r.list[k]) {
            k += 1;
        }
        let width = bp - fp;
        let mut reach = vec![false; width + 1];
        reach[0] = true;
        let mut lengths = Lengths::default();
        for &p in &self.r.list[i..k] {
            let mut next = vec![false; width + 1];
            // Zeroing the next row costs about a unit per cache line.
            self.charge(1 + width / 64)?;
            for off in 0..=width {
                if !reach[off] {
                    continue;
                }
                p.candidates(&signed[fp + off..bp], false, &mut lengths);
                self.charge(1 + lengths.len)?;
                for n in lengths.as_slice() {
                    next[off + n] = true;
                }
            }
            reach = next;
        }
        if k == j {
            return Ok(reach[width]);
        }
        let nk = self.r.list[k];
        for off in (0..=width).filter(|&o| reach[o]) {
            let e = fp + off;
            if bp - e < j - k || !self.fits(nk, &signed[e..bp], false) {
                continue;
            }
            if self.dfs(k, e, j, bp)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether `p` can read a prefix (`back == false`) or suffix of `rest`.
    fn fits(&self, p: RedirectParam, rest: &[u8], back: bool) -> bool {
        if let Some(v) = self.value(p) {
            return if back {
                rest.ends_with(v)
            } else {
                rest.starts_with(v)
            };
        }
        match p {
            RedirectParam::Status => words_fit(STATUSES, rest, back),
            RedirectParam::ActionCode => words_fit(ACTION_CODES, rest, back),
            RedirectParam::Command => words_fit(COMMANDS, rest, back),
            RedirectParam::ResultCode => {
                let mut l = Lengths::default();
                p.candidates(rest, back, &mut l);
                l.len > 0
            }
            _ => {
                let b = if back { rest.last() } else { rest.first() };
                b.is_some_and(|&b| p.char_ok()(b))
            }
        }
    }

    /// Whether assigning `p = signed[start..start + len]` is allowed (not the
    /// received value of the target, and the `fepOrderId` rule holds).
    fn try_assign(&mut self, p: RedirectParam, start: usize, len: usize) -> bool {
        if p == self.target && &self.r.signed[start..start + len] == self.received {
            return false;
        }
        self.assigned[p.index()] = Some((start, len));
        if self.relation_ok() {
            true
        } else {
            self.assigned[p.index()] = None;
            false
        }
    }

    /// The list items `i..j` must read `signed[fp..bp]`. Consumes the list
    /// from both ends: an item whose parameter already has a value is a
    /// forced check; otherwise the end with fewer candidate values branches;
    /// the last item takes the whole gap.
    fn dfs(&mut self, i: usize, fp: usize, j: usize, bp: usize) -> Result<bool, GaveUp> {
        self.charge(1)?;
        let signed = self.r.signed;
        if i == j {
            return Ok(fp == bp);
        }
        if bp - fp < j - i {
            return Ok(false);
        }
        let (pf, pb) = (self.r.list[i], self.r.list[j - 1]);
        if let Some(v) = self.value(pf) {
            let l = v.len();
            return if signed[fp..bp].starts_with(v) {
                self.dfs(i + 1, fp + l, j, bp)
            } else {
                Ok(false)
            };
        }
        if let Some(v) = self.value(pb) {
            let l = v.len();
            return if signed[fp..bp].ends_with(v) {
                self.dfs(i, fp, j - 1, bp - l)
            } else {
                Ok(false)
            };
        }
        if i + 1 == j {
            let len = bp - fp;
            if len > pf.max_len()
                || !pf.accepts(std::str::from_utf8(&signed[fp..bp]).unwrap_or("\u{0}"))
                || !self.try_assign(pf, fp, len)
            {
                return Ok(false);
            }
            self.assigned[pf.index()] = None;
            return Ok(true);
        }
        if self.collapsible(pf) {
            return self.run(i, fp, j, bp);
        }
        let (mut front, mut back) = (Lengths::default(), Lengths::default());
        pf.candidates(&signed[fp..bp], false, &mut front);
        pb.candidates(&signed[fp..bp], true, &mut back);
        self.charge(front.len + back.len)?;
        // The neighbour on the same side must be able to follow: its known
        // value, or one of its candidate values, must be adjacent.
        let (nf, nb) = (self.r.list[i + 1], self.r.list[j - 2]);
        front.retain(|len| self.fits(nf, &signed[fp + len..bp], false));
        back.retain(|len| self.fits(nb, &signed[fp..bp - len], true));
        let from_back = back.len < front.len;
        let (p, lengths) = if from_back { (pb, &back) } else { (pf, &front) };
        for k in 0..lengths.len {
            let len = usize::from(lengths.buf[k]);
            let start = if from_back { bp - len } else { fp };
            if !self.try_assign(p, start, len) {
                continue;
            }
            let found = if from_back {
                self.dfs(i, fp, j - 1, bp - len)
            } else {
                self.dfs(i + 1, fp + len, j, bp)
            };
            self.assigned[p.index()] = None;
            if found? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RedirectParam as P;

    #[test]
    fn syntax() {
        assert!(P::Status.accepts("success"));
        assert!(!P::Status.accepts("succes"));
        assert!(P::ActionCode.accepts("confirm_payment"));
        assert!(P::ActionCode.accepts("confirm_payment_status"));
        assert!(P::Command.accepts("update_order"));
        assert!(!P::Command.accepts("getTransactionResult"));
        assert!(P::ResultCode.accepts("UA-REQ-001"));
        assert!(!P::ResultCode.accepts("UA-000-0011"));
        assert!(P::PaymentId.accepts(&"a".repeat(64)));
        assert!(!P::PaymentId.accepts(&"a".repeat(65)));
        assert!(!P::PaymentId.accepts(""));
        assert!(P::MerchantRequestKey1.accepts("free key 1!"));
        assert!(!P::MerchantRequestKey1.accepts("キー"));
        for code in crate::result_code::ResultCode::ALL {
            if code.as_str() != "-" {
                assert!(P::ResultCode.accepts(code.as_str()), "{}", code.as_str());
            }
        }
        for a in ACTION_CODES {
            assert_eq!(crate::result_code::ActionCode::from_code(a).as_str(), *a);
        }
    }

    #[test]
    fn fep_order_rule() {
        let r = FepOrderIdRule::PaymentIdPrefix;
        assert!(r.holds(b"order_1", b"order_1_01AHK"));
        assert!(!r.holds(b"order", b"order_1_01AHK"));
        assert!(!r.holds(b"order-12", b"3order-123_01AHK"));
        assert!(!r.holds(b"order", b"order_"));
        assert!(FepOrderIdRule::SyntaxOnly.holds(b"x", b"y"));
    }

    #[test]
    fn shifted_boundary_is_another_reading() {
        // paymentId then a free merchant key: moving one character across
        // the boundary gives another reading.
        let list = [P::PaymentId, P::MerchantRequestKey1];
        let r = Reading::new(&list, b"order-123", FepOrderIdRule::default());
        assert_eq!(r.alternative(P::PaymentId, "order-12"), Alternative::Found);
        // paymentId then fepOrderId: the relation pins the boundary.
        let list = [P::PaymentId, P::FepOrderId];
        let r = Reading::new(
            &list,
            b"order-123order-123_01AHK",
            FepOrderIdRule::default(),
        );
        assert_eq!(r.alternative(P::PaymentId, "order-123"), Alternative::None);
    }
}
