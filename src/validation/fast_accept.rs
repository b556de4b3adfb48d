//! What a value must satisfy so that the validator has nothing to report about it,
//! summarised per command, field and provider slot from the rule tables — at compile
//! time (`const fn` over `vt4g_generated::rules::COMMANDS`), so the typed validator's
//! fast scan (`typed::FastScan`) sees each field's summary as constants.
//!
//! Every summary is *implied by* the exact checks (property- and unit-tested next to
//! those checks, in `fields.rs` and `cross.rs`): a value it accepts is one no check could report. Values it does
//! not accept go through the exact checks one by one; nothing is approximated.

use vt4g_generated::rules::{Charset, Check, CommandSpec, CrossRule, FieldSpec, PayType, COMMANDS};
use vt4g_generated::validate_typed::MAX_FIELDS;

use super::charset::{and_of_classes, charset_bit, ASCII_BIT};
use super::text::sjis_summary;

/// [`FastAccept::sjis`]: every character is double-byte in windows-31j.
pub(super) const SJIS_DOUBLE_ONLY: u8 = 1;
/// [`FastAccept::sjis`]: no character is device-dependent.
pub(super) const SJIS_NO_DEVICE_DEPENDENT: u8 = 2;

/// The number of provider slots: one per [`PayType`] (`p as usize`) and slot 5 for "no
/// provider known" (as [`FieldSpec::rule_masks`]).
pub(super) const SLOTS: usize = 6;

/// The number of commands in the tables.
pub(super) const COMMAND_COUNT: usize = COMMANDS.len();

/// What a string field's value must satisfy so that no applicable rule can report it
/// (for one field and one provider slot of [`FieldSpec::rule_masks`]): every rule the
/// value passes here is one for which `may_violate` is `false` (property-tested), so
/// skipping the rules is exact, not an approximation. Values outside the summary go
/// through the rules one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FastAccept {
    /// `false` when an applicable rule is not summarised (numeric range, must-equal):
    /// the rules are always applied one by one.
    pub usable: bool,
    /// At most this many bytes (spec `maxLength`, digit, byte and character limits:
    /// bytes ≥ characters); `u32::MAX` for no limit. A longer value is measured
    /// against [`FastAccept::max_bytes`] and [`FastAccept::max_chars`] separately.
    pub max_len: u32,
    /// At most this many bytes (byte limits).
    pub max_bytes: u32,
    /// At most this many characters (spec `maxLength`, digit and character limits).
    pub max_chars: u32,
    /// [`SJIS_DOUBLE_ONLY`] and/or [`SJIS_NO_DEVICE_DEPENDENT`]: the windows-31j
    /// classes every character must have (double-byte; not device-dependent).
    pub sjis: u8,
    /// At least this many bytes (with [`ASCII_BIT`] required: characters = bytes).
    pub min_len: u32,
    /// The `CHARSET_BYTES` bits every byte must have (charsets, [`ASCII_BIT`]).
    pub classes: u8,
    /// The field's absence is never reported for this provider slot (not required,
    /// no provider-required or must-equal-with-default rule): what
    /// `Ctx::absent_field_rules` tests, summarised.
    pub absent_silent: bool,
    /// The field's presence is never reported for this provider slot (the provider
    /// uses it, or no provider is known): what `Ctx::field_present` tests.
    pub present_silent: bool,
}

impl FastAccept {
    const ALL: FastAccept = FastAccept {
        usable: true,
        max_len: u32::MAX,
        max_bytes: u32::MAX,
        max_chars: u32::MAX,
        sjis: 0,
        min_len: 0,
        classes: 0,
        absent_silent: true,
        present_silent: true,
    };

    /// The summary of `field` for provider slot `slot`: its spec `maxLength` and the
    /// rules `rule_masks[slot]` selects, its absence and its presence.
    pub(super) const fn of(field: &FieldSpec, slot: usize) -> FastAccept {
        let mut fa = FastAccept::ALL;
        let provider = if slot < PayType::ALL.len() {
            Some(PayType::ALL[slot])
        } else {
            None
        };
        fa.absent_silent = absent_silent(field, provider);
        fa.present_silent = match provider {
            Some(p) => field.required || field.supported.is_empty() || field.supported.contains(p),
            None => true,
        };
        if let Some(max) = field.max_length {
            // Characters ≤ bytes.
            fa.max_len = max;
            fa.max_chars = max;
        }
        let mask = field.rule_masks[slot];
        let rules = field.rules;
        let mut k = 0;
        while k < rules.len() {
            if k >= 32 || mask & (1 << k) == 0 {
                k += 1;
                continue;
            }
            match rules[k].check {
                Check::MaxDigits(n) | Check::MaxChars(n) => {
                    // A digit string is ASCII: its digits are its characters.
                    if n < fa.max_len {
                        fa.max_len = n;
                    }
                    if n < fa.max_chars {
                        fa.max_chars = n;
                    }
                }
                Check::MaxBytes(n) => {
                    if n < fa.max_len {
                        fa.max_len = n;
                    }
                    if n < fa.max_bytes {
                        fa.max_bytes = n;
                    }
                }
                Check::MinChars(n) => {
                    if n > fa.min_len {
                        fa.min_len = n;
                    }
                    fa.classes |= ASCII_BIT;
                }
                Check::NoDeviceDependent => fa.sjis |= SJIS_NO_DEVICE_DEPENDENT,
                Check::DoubleByte => fa.sjis |= SJIS_DOUBLE_ONLY,
                Check::Charset(cs) => {
                    fa.classes |= charset_bit(cs);
                    if matches!(cs, Charset::Digits) && fa.min_len < 1 {
                        fa.min_len = 1;
                    }
                }
                Check::Required => {}
                Check::MinValue(_) | Check::MaxValue(_) | Check::MustEqual { .. } => {
                    fa.usable = false
                }
            }
            k += 1;
        }
        let len = if rules.len() < 32 { rules.len() } else { 32 };
        if len < 32 && mask >> len != 0 {
            // A rule bit without a rule: leave it to the exact loop.
            fa.usable = false;
        }
        fa
    }

    /// `true` only when no rule summarised by `self` can report `s`.
    #[inline(always)]
    pub(super) fn accepts(self, s: &str) -> bool {
        self.usable
            && s.len() >= self.min_len as usize
            && (self.classes == 0 || and_of_classes(s.as_bytes()) & self.classes == self.classes)
            && ((s.len() <= self.max_len as usize && self.sjis == 0) || self.accepts_measured(s))
    }

    /// The length and windows-31j part of [`FastAccept::accepts`] for a value longer
    /// than [`FastAccept::max_len`] bytes (multi-byte characters) or a field with
    /// windows-31j rules: characters and bytes counted separately, classes looked up.
    #[inline(never)]
    fn accepts_measured(self, s: &str) -> bool {
        if s.len() > self.max_bytes as usize {
            return false;
        }
        let sum = sjis_summary(s);
        sum.chars <= self.max_chars as usize
            && (self.sjis & SJIS_DOUBLE_ONLY == 0 || sum.all_double)
            && (self.sjis & SJIS_NO_DEVICE_DEPENDENT == 0 || sum.no_device_dependent)
    }
}

/// Whether `Ctx::absent_field_rules` reports nothing for an absent `field` whatever
/// the path (the same conditions, without the findings).
pub(super) const fn absent_silent(field: &FieldSpec, provider: Option<PayType>) -> bool {
    if field.required {
        return false;
    }
    let Some(provider) = provider else {
        return true;
    };
    let mut k = 0;
    while k < field.rules.len() {
        let rule = &field.rules[k];
        if rule.providers.contains(provider) {
            match rule.check {
                Check::Required => return false,
                Check::MustEqual {
                    value,
                    absent_as: Some(default),
                } if !str_eq(default, value) => return false,
                _ => {}
            }
        }
        k += 1;
    }
    true
}

/// `a == b`, in a `const fn`.
const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// [`FastAccept`] of every field (by index, padded to `MAX_FIELDS`) and provider slot,
/// per command (by `Command as usize`), computed by the compiler.
pub(super) static FAST: [[[FastAccept; SLOTS]; MAX_FIELDS]; COMMAND_COUNT] = {
    let mut t = [[FastAccept::ALL; SLOTS]; MAX_FIELDS];
    let mut all = [t; COMMAND_COUNT];
    let mut c = 0;
    while c < COMMAND_COUNT {
        let spec: &CommandSpec = &COMMANDS[c];
        // The tables are indexed by `Command as usize`.
        assert!(spec.command as usize == c);
        assert!(spec.fields.len() <= MAX_FIELDS);
        t = [[FastAccept::ALL; SLOTS]; MAX_FIELDS];
        let mut i = 0;
        while i < spec.fields.len() {
            let mut slot = 0;
            while slot < SLOTS {
                t[i][slot] = FastAccept::of(&spec.fields[i], slot);
                slot += 1;
            }
            i += 1;
        }
        all[c] = t;
        c += 1;
    }
    all
};

/// The fields of one command's table (`Command as usize`), by index.
pub(super) const fn fields_of(command: usize) -> &'static [FieldSpec] {
    COMMANDS[command].fields
}

/// No cross-rule slot: the field is read by no cross-field rule.
pub(super) const NO_CROSS_SLOT: u8 = u8::MAX;

/// At most this many distinct fields are read by the cross-field rules of one command.
pub(super) const MAX_CROSS_FIELDS: usize = 16;

/// For each command and field, its slot among the fields the command's cross-field
/// rules read ([`NO_CROSS_SLOT`] for the others): the fast scan records only those.
pub(super) static CROSS_SLOT: [[u8; MAX_FIELDS]; COMMAND_COUNT] = {
    let mut all = [[NO_CROSS_SLOT; MAX_FIELDS]; COMMAND_COUNT];
    let mut c = 0;
    while c < COMMAND_COUNT {
        let rules = COMMANDS[c].cross_rules;
        let mut next: u8 = 0;
        let mut r = 0;
        while r < rules.len() {
            let fields = rules[r].fields;
            let mut k = 0;
            while k < fields.len() {
                let f = fields[k] as usize;
                if all[c][f] == NO_CROSS_SLOT {
                    assert!((next as usize) < MAX_CROSS_FIELDS);
                    all[c][f] = next;
                    next += 1;
                }
                k += 1;
            }
            r += 1;
        }
        c += 1;
    }
    all
};

/// At most this many cross-field rules per command (the typed fast path evaluates them
/// by constant index; checked at compile time).
pub(super) const MAX_CROSS_RULES: usize = 16;

const _: () = {
    let mut c = 0;
    while c < COMMAND_COUNT {
        assert!(COMMANDS[c].cross_rules.len() <= MAX_CROSS_RULES);
        c += 1;
    }
};

/// Cross-field rule `r` of command `c` (`Command as usize`), if it has that many (for
/// `const` blocks).
pub(super) const fn cross_rule(c: usize, r: usize) -> Option<&'static CrossRule> {
    let rules: &'static [CrossRule] = COMMANDS[c].cross_rules;
    if r < rules.len() {
        Some(&rules[r])
    } else {
        None
    }
}

/// The [`FastAccept`] table of `spec`'s fields (computed by the compiler, see
/// [`FAST`]).
pub(super) fn fast_accept_table(spec: &'static CommandSpec) -> &'static [[FastAccept; SLOTS]] {
    FAST.get(spec.command as usize)
        .map_or(&[], |t| &t[..spec.fields.len().min(t.len())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use vt4g_generated::rules::command_spec;

    use crate::Command;

    /// The compile-time cross-rule slots: every field a cross-field rule reads has its
    /// own slot, and no other field has one.
    #[test]
    fn cross_slots_cover_exactly_the_cross_rule_fields() {
        for spec in vt4g_generated::rules::COMMANDS.iter() {
            let slots = &CROSS_SLOT[spec.command as usize];
            let mut used = std::collections::BTreeSet::new();
            for (i, &k) in slots.iter().enumerate() {
                let read = spec
                    .cross_rules
                    .iter()
                    .any(|r| r.fields.contains(&(i as u16)));
                assert_eq!(read, k != NO_CROSS_SLOT, "{} field {i}", spec.command);
                if read {
                    assert!(used.insert(k), "slot {k} used twice");
                    assert!(usize::from(k) < MAX_CROSS_FIELDS);
                }
            }
        }
    }

    /// The fast accept is used: the fields of a typical PayPay pay request are accepted
    /// without applying their rules one by one (and are refused past a limit).
    #[test]
    fn fast_accept_covers_common_fields() {
        let spec = command_spec(Command::Pay);
        let table = fast_accept_table(spec);
        let slot = PayType::Paypay as usize;
        let idx = |path: &str| spec.fields.iter().position(|f| f.path == path).expect(path);
        let pid = table[idx("order.paymentId")][slot];
        assert!(pid.accepts("order-20250615-000001"));
        assert!(!pid.accepts("order 1"));
        let name = table[idx("item[].name")][slot];
        assert!(name.accepts("Organic green tea"));
    }
}
