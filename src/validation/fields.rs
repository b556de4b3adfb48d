//! The checks of one field: absent (required, provider-required, must-equal defaults),
//! present but unused by the provider, and a present string against the spec's
//! `maxLength`/`enum` and every applicable provider rule ([`Ctx::apply`]).

use std::fmt;

use vt4g_generated::rules::{Charset, Check, FieldSpec, ProviderRule, RuleSeverity};

use super::charset::first_outside;
use super::ctx::Ctx;
use super::helpers::{describe_char, digit_value, is_digit_string, plural, short_eq};
use super::path::{PathStack, RenderPath, Seg};
use super::report::{RuleKind, Severity};
use super::text;
use crate::PayType;

impl Ctx<'_> {
    /// Reports an absent field (`index`) of the current object (`path`): spec-required,
    /// provider-required, must-equal defaults.
    #[inline]
    pub(super) fn absent_field(&mut self, index: u16, path: &mut PathStack<'_>) {
        let slot = self.provider.map_or(5, |p| p as usize);
        // The common case, inline: an optional field without a rule about its absence.
        if let Some(fast) = self.fast.get(usize::from(index)) {
            if fast[slot].absent_silent {
                return;
            }
        }
        let field = &self.spec.fields[usize::from(index)];
        self.absent_field_rules(field, path);
    }

    /// Every check of [`Ctx::absent_field`], one by one.
    #[inline(never)]
    fn absent_field_rules(&mut self, field: &'static FieldSpec, path: &mut PathStack<'_>) {
        {
            if field.required {
                if !path.push(Seg::Key(field.name)) {
                    return;
                }
                let p = path.render();
                path.pop();
                self.push_at(
                    p.clone(),
                    None,
                    RuleKind::Required,
                    "required".into(),
                    "absent".into(),
                    Severity::Error,
                    format!("{p} is required by the {} request.", self.spec.command),
                );
                return;
            }
            let Some(provider) = self.provider else {
                return;
            };
            for rule in field.rules {
                if !rule.providers.contains(provider) {
                    continue;
                }
                match rule.check {
                    Check::Required => {
                        if !path.push(Seg::Key(field.name)) {
                            continue;
                        }
                        let p = path.render();
                        path.pop();
                        self.push_at(
                            p.clone(),
                            Some(provider),
                            RuleKind::RequiredForProvider,
                            format!("required for {}", provider.display_name()),
                            "absent".into(),
                            severity_of(rule, false, self.opts.strict),
                            format!(
                                "{p} is required for {} in the {} request ({}).",
                                provider.display_name(),
                                self.spec.command,
                                rule.source
                            ),
                        );
                    }
                    Check::MustEqual {
                        value,
                        absent_as: Some(default),
                    } if default != value => {
                        if !path.push(Seg::Key(field.name)) {
                            continue;
                        }
                        let p = path.render();
                        path.pop();
                        self.must_equal_violation(p, provider, rule, value, default, true);
                    }
                    _ => {}
                }
            }
        }
    }

    fn must_equal_violation(
        &mut self,
        p: String,
        provider: PayType,
        rule: &ProviderRule,
        value: &str,
        actual: &str,
        absent: bool,
    ) {
        let how = if absent {
            format!("absent (the server assumes \"{actual}\")")
        } else {
            format!("\"{actual}\"")
        };
        self.push_at(
            p.clone(),
            Some(provider),
            RuleKind::MustEqual,
            format!("\"{value}\""),
            how.clone(),
            severity_of(rule, false, self.opts.strict),
            format!(
                "{p} must be \"{value}\" for {} but is {how} ({}).",
                provider.display_name(),
                rule.source
            ),
        );
    }

    /// Reports a present field the provider does not use (once, at the outermost such
    /// field) and returns whether the field is inside such a field.
    #[inline]
    pub(super) fn field_present(
        &mut self,
        field: &'static FieldSpec,
        path: &impl RenderPath,
        parent_unsupported: bool,
    ) -> bool {
        if let Some(p) = self.provider {
            if !parent_unsupported
                && !field.required
                && !field.supported.is_empty()
                && !field.supported.contains(p)
            {
                self.unsupported_finding(field, p, path);
                return true;
            }
        }
        parent_unsupported
    }

    #[cold]
    #[inline(never)]
    fn unsupported_finding(
        &mut self,
        field: &'static FieldSpec,
        p: PayType,
        path: &impl RenderPath,
    ) {
        let pth = path.render();
        self.push_at(
            pth.clone(),
            Some(p),
            RuleKind::UnsupportedByProvider,
            format!("used by: {}", field.supported),
            "present".into(),
            if self.opts.strict {
                Severity::Error
            } else {
                Severity::Warning
            },
            format!(
                "{pth} is not used by {} (only by {}); the server ignores it.",
                p.display_name(),
                field.supported
            ),
        );
    }

    /// The checks of a present string field: spec `maxLength` and `enum`, then every
    /// applicable rule. The conditions are tested inline; findings are built in cold
    /// functions (nothing is formatted or allocated when the value passes).
    #[inline]
    pub(super) fn check_string(&mut self, index: u16, s: &str, path: &impl RenderPath) {
        let field = &self.spec.fields[usize::from(index)];
        let slot = self.provider.map_or(5, |p| p as usize);
        // The common case, inline: a value within every length limit (the spec's
        // `maxLength` is in the summary), of an allowed enum value, that no applicable
        // rule can object to (see [`FastAccept`]).
        if let Some(fast) = self.fast.get(usize::from(index)) {
            if fast[slot].accepts(s)
                && (field.enum_values.is_empty()
                    || field.enum_values.iter().any(|v| short_eq(v, s)))
            {
                return;
            }
        }
        self.check_string_rules(field, slot, s, path);
    }

    /// Every check of [`Ctx::check_string`], one by one (values the fast accept does
    /// not cover).
    #[inline(never)]
    fn check_string_rules(
        &mut self,
        field: &'static FieldSpec,
        slot: usize,
        s: &str,
        path: &impl RenderPath,
    ) {
        // Spec maxLength (characters); fast path: bytes ≤ limit ⇒ characters ≤ limit.
        if let Some(max) = field.max_length {
            if s.len() > max as usize {
                self.max_length_finding(max as usize, s, path);
            }
        }
        if !field.enum_values.is_empty() && !field.enum_values.iter().any(|v| short_eq(v, s)) {
            self.enum_finding(field, s, path);
        }
        let mut scan: Option<text::SjisScan> = None;
        // The applicable rules, in table order: the `all_providers` ones (provider
        // `None`) and the current provider's.
        let mut mask = field.rule_masks.get(slot).copied().unwrap_or(0);
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let Some(rule) = field.rules.get(k) else {
                break;
            };
            let provider = if rule.all_providers {
                None
            } else {
                self.provider
            };
            if may_violate(rule, provider, s) {
                self.apply(field, rule, provider, s, path, &mut scan);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn max_length_finding(&mut self, max: usize, s: &str, path: &impl RenderPath) {
        let n = text::char_count(s);
        if n > max {
            let pth = path.render();
            self.push_at(
                pth.clone(),
                None,
                RuleKind::MaxLength,
                plural(max, "character"),
                plural(n, "character"),
                Severity::Error,
                format!(
                    "{pth} has {} but the spec allows at most {}.",
                    plural(n, "character"),
                    plural(max, "character")
                ),
            );
        }
    }

    #[cold]
    #[inline(never)]
    fn enum_finding(&mut self, field: &'static FieldSpec, s: &str, path: &impl RenderPath) {
        let pth = path.render();
        let shown: String = if s.len() <= 40 {
            s.to_string()
        } else {
            format!("{} characters", text::char_count(s))
        };
        self.push_at(
            pth.clone(),
            None,
            RuleKind::Enum,
            format!("one of: {}", field.enum_values.join(", ")),
            format!("\"{shown}\""),
            Severity::Error,
            format!(
                "{pth} must be one of {} but is \"{shown}\".",
                field.enum_values.join(", ")
            ),
        );
    }

    /// Applies one rule and reports its finding. Called only when [`may_violate`] says
    /// the value may violate it; the conditions here are the exact ones.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        field: &'static FieldSpec,
        rule: &'static ProviderRule,
        provider: Option<PayType>,
        s: &str,
        path: &impl RenderPath,
        scan_cache: &mut Option<text::SjisScan>,
    ) {
        let strict = self.opts.strict;
        // Only formatted when a finding is reported (no allocation on the happy path).
        let who = Who(provider);
        let _ = field;
        match rule.check {
            Check::MaxDigits(n) => {
                if is_digit_string(s) && s.len() > n as usize {
                    let pth = path.render();
                    self.push_at(
                        pth.clone(),
                        provider,
                        RuleKind::MaxDigits,
                        plural(n as usize, "digit"),
                        plural(s.len(), "digit"),
                        severity_of(rule, false, strict),
                        format!(
                            "{pth} has {}; the limit{who} is {} ({}).",
                            plural(s.len(), "digit"),
                            plural(n as usize, "digit"),
                            rule.source
                        ),
                    );
                }
            }
            Check::MinValue(min) => {
                if is_digit_string(s) && digit_value(s) < min {
                    let pth = path.render();
                    self.push_at(
                        pth.clone(),
                        provider,
                        RuleKind::MinValue,
                        format!("at least {min}"),
                        format!("{}", digit_value(s)),
                        severity_of(rule, false, strict),
                        format!(
                            "{pth} is {}; the minimum{who} is {min} ({}).",
                            digit_value(s),
                            rule.source
                        ),
                    );
                }
            }
            Check::MaxValue(max) => {
                if is_digit_string(s) && digit_value(s) > max {
                    let pth = path.render();
                    let shown = if s.len() <= 20 {
                        digit_value(s).to_string()
                    } else {
                        plural(s.len(), "digit")
                    };
                    self.push_at(
                        pth.clone(),
                        provider,
                        RuleKind::MaxValue,
                        format!("at most {max}"),
                        shown.clone(),
                        severity_of(rule, false, strict),
                        format!(
                            "{pth} is {shown}; the maximum{who} is {max} ({}).",
                            rule.source
                        ),
                    );
                }
            }
            Check::MinChars(n) => {
                let count = text::char_count(s);
                if count < n as usize {
                    let pth = path.render();
                    self.push_at(
                        pth.clone(),
                        provider,
                        RuleKind::MinChars,
                        format!("at least {}", plural(n as usize, "character")),
                        plural(count, "character"),
                        severity_of(rule, false, strict),
                        format!(
                            "{pth} has {} but needs at least {}.",
                            plural(count, "character"),
                            plural(n as usize, "character")
                        ),
                    );
                }
            }
            Check::MaxBytes(n) => {
                if s.len() > n as usize {
                    let pth = path.render();
                    let trunc = if rule.truncated {
                        " (the server truncates the excess)"
                    } else {
                        ""
                    };
                    self.push_at(
                        pth.clone(),
                        provider,
                        RuleKind::MaxBytes,
                        plural(n as usize, "byte") + " (UTF-8)",
                        plural(s.len(), "byte"),
                        severity_of(rule, true, strict),
                        format!(
                            "{pth} is {} in UTF-8; the limit{who} is {}{trunc} ({}).",
                            plural(s.len(), "byte"),
                            plural(n as usize, "byte"),
                            rule.source
                        ),
                    );
                }
            }
            Check::MaxChars(n) => {
                if s.len() > n as usize {
                    let count = text::char_count(s);
                    if count > n as usize {
                        let pth = path.render();
                        let trunc = if rule.truncated {
                            " (the server truncates the excess)"
                        } else {
                            ""
                        };
                        self.push_at(
                            pth.clone(),
                            provider,
                            RuleKind::MaxChars,
                            plural(n as usize, "character"),
                            plural(count, "character"),
                            severity_of(rule, true, strict),
                            format!(
                                "{pth} has {}; the limit{who} is {}{trunc} ({}).",
                                plural(count, "character"),
                                plural(n as usize, "character"),
                                rule.source
                            ),
                        );
                    }
                }
            }
            Check::DoubleByte => {
                let scan = *scan_cache.get_or_insert_with(|| text::sjis_scan(s));
                let bad = scan.single_byte + scan.unmappable;
                if bad > 0 {
                    let pth = path.render();
                    let first = scan.first_not_double.map(describe_char).unwrap_or_default();
                    self.push_at(
                        pth.clone(),
                        provider,
                        RuleKind::DoubleByte,
                        "double-byte characters only".into(),
                        format!(
                            "{} not double-byte (first: {first})",
                            plural(bad, "character")
                        ),
                        severity_of(rule, false, strict),
                        format!(
                            "{pth} must contain only double-byte (full-width, Shift_JIS) characters{who}, but {} {} not (first: {first}); vt4g::validation::to_full_width widens half-width text ({}).",
                            plural(bad, "character"),
                            if bad == 1 { "is" } else { "are" },
                            rule.source
                        ),
                    );
                }
            }
            Check::NoDeviceDependent => {
                if !s.is_ascii() {
                    let scan = *scan_cache.get_or_insert_with(|| text::sjis_scan(s));
                    if scan.device_dependent > 0 {
                        let pth = path.render();
                        let first = scan
                            .first_device_dependent
                            .map(describe_char)
                            .unwrap_or_default();
                        self.push_at(
                            pth.clone(),
                            provider,
                            RuleKind::DeviceDependent,
                            "no device-dependent characters".into(),
                            format!("{} (first: {first})", plural(scan.device_dependent, "device-dependent character")),
                            severity_of(rule, false, strict),
                            format!(
                                "{pth} contains {} (first: {first}), which {} rejects (NEC special characters and IBM extensions such as ①, Ⅰ, ㈱, ㌔) ({}).",
                                plural(scan.device_dependent, "device-dependent character"),
                                provider.map_or("the provider", |p| p.display_name()),
                                rule.source
                            ),
                        );
                    }
                }
            }
            Check::Charset(cs) => {
                if let Some((pos, c)) = first_outside(cs, s) {
                    let pth = path.render();
                    let what = if cs == Charset::Digits && s.is_empty() {
                        "empty".to_string()
                    } else {
                        format!("{} at character {}", describe_char(c), pos + 1)
                    };
                    self.push_at(
                        pth.clone(),
                        provider,
                        RuleKind::Charset,
                        cs.describe().into(),
                        what.clone(),
                        severity_of(rule, false, strict),
                        format!(
                            "{pth} may contain only {}{who}, but has {what}.",
                            cs.describe()
                        ),
                    );
                }
            }
            Check::Required => {}
            Check::MustEqual { value, .. } => {
                if s != value {
                    if let Some(p) = provider {
                        let pth = path.render();
                        let shown: String = s.chars().take(40).collect();
                        self.must_equal_violation(pth, p, rule, value, &shown, false);
                    }
                }
            }
        }
    }
}

/// A cheap pre-test of [`Ctx::apply`]: `false` only when `rule` certainly finds nothing
/// in `s` (each condition is implied by the exact one in `apply`).
#[inline]
fn may_violate(rule: &ProviderRule, provider: Option<PayType>, s: &str) -> bool {
    match rule.check {
        Check::MaxDigits(n) => s.len() > n as usize && is_digit_string(s),
        Check::MinValue(min) => is_digit_string(s) && digit_value(s) < min,
        Check::MaxValue(max) => is_digit_string(s) && digit_value(s) > max,
        Check::MinChars(n) => s.len() < n as usize || text::char_count(s) < n as usize,
        Check::MaxBytes(n) => s.len() > n as usize,
        Check::MaxChars(n) => s.len() > n as usize && text::char_count(s) > n as usize,
        Check::DoubleByte => !text::sjis_summary(s).all_double,
        Check::NoDeviceDependent => !s.is_ascii() && !text::sjis_summary(s).no_device_dependent,
        Check::Charset(cs) => first_outside(cs, s).is_some(),
        Check::Required => false,
        Check::MustEqual { value, .. } => provider.is_some() && s != value,
    }
}

/// Formats " for <Provider>" (or nothing) lazily inside `format!`.
struct Who(Option<PayType>);

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, " for {}", p.display_name()),
            None => Ok(()),
        }
    }
}

fn severity_of(rule: &ProviderRule, length_check: bool, strict: bool) -> Severity {
    if length_check && rule.truncated {
        return if strict {
            Severity::Error
        } else {
            Severity::Warning
        };
    }
    match rule.severity {
        RuleSeverity::Error => Severity::Error,
        RuleSeverity::Warning => Severity::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::fast_accept::fast_accept_table;
    use crate::validation::options::ValidationOptions;
    use proptest::prelude::*;
    use vt4g_generated::rules::RequestMode;

    proptest! {
        /// The fast accept is exact: whenever it accepts a value, no applicable rule
        /// of that field (any command, any provider slot) may report it.
        #[test]
        fn fast_accept_implies_no_rule_may_violate(
            s in prop_oneof![
                "[a-zA-Z0-9_*@. ~-]{0,40}",
                "[0-9]{0,14}",
                ".{0,30}",
                "[ｱ-ﾝＡ-Ｚ０-９あ-ん①㈱Ⅰ a-z]{0,25}",
            ],
        ) {
            for spec in vt4g_generated::rules::COMMANDS.iter() {
                let table = fast_accept_table(spec);
                prop_assert_eq!(table.len(), spec.fields.len());
                for (field, fast) in spec.fields.iter().zip(table) {
                    for (slot, fa) in fast.iter().enumerate() {
                        if !fa.accepts(&s) {
                            continue;
                        }
                        let provider = PayType::ALL.get(slot).copied();
                        for (k, rule) in field.rules.iter().enumerate() {
                            if field.rule_masks[slot] & (1 << k) == 0 {
                                continue;
                            }
                            let p = if rule.all_providers { None } else { provider };
                            prop_assert!(
                                !may_violate(rule, p, &s),
                                "{} slot {} rule {:?} value {:?}",
                                field.path,
                                slot,
                                rule.check,
                                s
                            );
                        }
                    }
                }
            }
        }
    }

    /// `absent_silent` is exact: an absent field it marks silent gets no finding from
    /// the full absent-field checks (every command, field and provider slot).
    #[test]
    fn absent_silent_matches_the_absent_checks() {
        let opts = ValidationOptions::new(RequestMode::Live);
        for spec in vt4g_generated::rules::COMMANDS.iter() {
            let table = fast_accept_table(spec);
            for (field, fast) in spec.fields.iter().zip(table) {
                for (slot, fa) in fast.iter().enumerate() {
                    let mut ctx = Ctx::new(spec, &opts);
                    ctx.provider = PayType::ALL.get(slot).copied();
                    ctx.absent_field_rules(field, &mut PathStack::new());
                    assert_eq!(
                        fa.absent_silent,
                        ctx.out.is_empty(),
                        "{} slot {slot}",
                        field.path
                    );
                }
            }
        }
    }

    /// `present_silent` is exact: a present field it marks silent gets no finding from
    /// `Ctx::field_present` (outside an unsupported parent), and one it does not mark
    /// gets one (every command, field and provider slot).
    #[test]
    fn present_silent_matches_the_presence_check() {
        let opts = ValidationOptions::new(RequestMode::Live);
        for spec in vt4g_generated::rules::COMMANDS.iter() {
            let table = fast_accept_table(spec);
            assert_eq!(table.len(), spec.fields.len());
            for (field, fast) in spec.fields.iter().zip(table) {
                for (slot, fa) in fast.iter().enumerate() {
                    let mut ctx = Ctx::new(spec, &opts);
                    ctx.provider = PayType::ALL.get(slot).copied();
                    ctx.field_present(field, &PathStack::new(), false);
                    assert_eq!(
                        fa.present_silent,
                        ctx.out.is_empty(),
                        "{} slot {slot}",
                        field.path
                    );
                }
            }
        }
    }
}
