//! The cross-field rules: exactly one of two fields, URL format and scheme, webhook
//! URL rules, request mode, fields that depend on another's value, and the
//! `recoveryExpiredDatetime` window. [`Ctx::cross_silent`] decides the common case
//! inline; [`Ctx::cross_exact`] evaluates a rule that may report.

use std::time::UNIX_EPOCH;

use vt4g_generated::rules::{CrossKind, CrossRule, FieldSpec, RequestMode};

use super::ctx::{Ctx, Got};
use super::helpers::{human_secs, plural};
use super::jst::parse_jst_secs;
use super::report::{RuleKind, Severity};
use super::text;

impl Ctx<'_> {
    /// Applies one cross-field rule; `lookup` gives what the body holds at a field index.
    /// The common case — nothing to report — is decided inline
    /// ([`Ctx::cross_silent`]); the rule is evaluated exactly only when it may report.
    #[inline(always)]
    pub(super) fn cross<'v>(&mut self, rule: &'static CrossRule, lookup: &impl Fn(u16) -> Got<'v>) {
        if !self.cross_silent(rule, lookup) {
            self.cross_exact(rule, lookup);
        }
    }

    /// Whether cross-field rule `rule` certainly has nothing to report: each condition
    /// implies that [`Ctx::cross_exact`] finds nothing (a URL the fast path accepted;
    /// https on port 443 for a webhook URL; a matching request mode; a conditional
    /// field that is absent). `false` means "evaluate it".
    #[inline(always)]
    fn cross_silent<'v>(
        &mut self,
        rule: &'static CrossRule,
        lookup: &impl Fn(u16) -> Got<'v>,
    ) -> bool {
        if let Some(p) = self.provider {
            if !rule.providers.contains(p) {
                return true;
            }
        }
        let Some(&f0) = rule.fields.first() else {
            return true;
        };
        let v0 = lookup(f0);
        match rule.kind {
            CrossKind::ExactlyOne => {
                rule.fields.iter().filter(|&&i| lookup(i).is_some()).count() == 1
            }
            CrossKind::Url => v0.as_str().is_none_or(|s| self.quick_url(f0, s).is_some()),
            CrossKind::RedirectUrl => v0.as_str().is_none_or(|s| {
                matches!(self.quick_url(f0, s), Some(q) if q.https || self.opts.mode != RequestMode::Live)
            }),
            CrossKind::WebhookUrl => v0.as_str().is_none_or(|s| {
                matches!(self.quick_url(f0, s), Some(q) if q.https && q.port == 443)
            }),
            CrossKind::RequestMode => v0
                .as_str()
                .is_none_or(|s| RequestMode::from_name(s).is_none_or(|m| m == self.opts.mode)),
            CrossKind::OnlyWhen { .. }
            | CrossKind::IgnoredWhen { .. }
            | CrossKind::DatetimeWindow { .. } => !v0.is_some(),
        }
    }

    /// [`Ctx::cross`]'s exact evaluation of one rule.
    #[inline(never)]
    fn cross_exact<'v>(&mut self, rule: &'static CrossRule, lookup: &impl Fn(u16) -> Got<'v>) {
        if let Some(p) = self.provider {
            if !rule.providers.contains(p) {
                return;
            }
        }
        let fields = self.spec.fields;
        let field = |k: usize| rule.fields.get(k).map(|&i| &fields[i as usize]);
        let Some(f0) = field(0) else {
            return;
        };
        let v0 = rule.fields.first().map_or(Got::Absent, |&i| lookup(i));
        match rule.kind {
            CrossKind::ExactlyOne => {
                let count = rule.fields.iter().filter(|&&i| lookup(i).is_some()).count();
                if count != 1 {
                    let present: Vec<&str> = rule
                        .fields
                        .iter()
                        .filter(|&&i| lookup(i).is_some())
                        .map(|&i| fields[i as usize].path)
                        .collect();
                    let names: Vec<&str> = rule
                        .fields
                        .iter()
                        .map(|&i| fields[i as usize].path)
                        .collect();
                    let actual = if present.is_empty() {
                        "none present".to_string()
                    } else {
                        format!("{} present", present.join(" and "))
                    };
                    self.push_at(
                        names.join(" | "),
                        None,
                        RuleKind::ExactlyOne,
                        format!("exactly one of {}", names.join(", ")),
                        actual.clone(),
                        Severity::Error,
                        format!(
                            "Exactly one of {} must be given, but {actual}.",
                            names.join(" or ")
                        ),
                    );
                }
            }
            CrossKind::Url => {
                if let Some(s) = v0.as_str() {
                    let q = self.quick_url(rule.fields[0], s);
                    self.check_url(f0, s, q);
                }
            }
            CrossKind::RedirectUrl => {
                if let Some(s) = v0.as_str() {
                    let q = self.quick_url(rule.fields[0], s);
                    self.check_redirect_url(f0, s, q, rule);
                }
            }
            CrossKind::WebhookUrl => {
                if let Some(s) = v0.as_str() {
                    let q = self.quick_url(rule.fields[0], s);
                    self.check_webhook_url(f0, s, q, rule);
                }
            }
            CrossKind::OnlyWhen { value } => {
                let Some(f1) = field(1) else { return };
                if v0.is_some() {
                    let v1 = rule.fields.get(1).and_then(|&i| lookup(i).as_str());
                    if v1 != Some(value) {
                        let actual = match v1 {
                            Some(v) => format!(
                                "{} is \"{}\"",
                                f1.path,
                                v.chars().take(40).collect::<String>()
                            ),
                            None => format!("{} is absent", f1.path),
                        };
                        self.push_at(
                            f0.path.into(),
                            self.provider,
                            RuleKind::OnlyWhen,
                            format!("only with {}={value}", f1.path),
                            actual.clone(),
                            Severity::Error,
                            format!(
                                "{} may be given only when {} is \"{value}\", but {actual} ({}).",
                                f0.path, f1.path, rule.source
                            ),
                        );
                    }
                }
            }
            CrossKind::IgnoredWhen { value } => {
                let Some(f1) = field(1) else { return };
                if v0.is_some()
                    && rule.fields.get(1).and_then(|&i| lookup(i).as_str()) == Some(value)
                {
                    self.push_at(
                        f0.path.into(),
                        self.provider,
                        RuleKind::IgnoredWhen,
                        format!("not with {}={value}", f1.path),
                        format!("{} is \"{value}\"", f1.path),
                        if self.opts.strict {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        format!(
                            "{} is ignored when {} is \"{value}\" ({}).",
                            f0.path, f1.path, rule.source
                        ),
                    );
                }
            }
            CrossKind::DatetimeWindow { min_secs, max_secs } => {
                if let Some(s) = v0.as_str() {
                    self.check_datetime(f0, s, min_secs, max_secs, rule);
                }
            }
            CrossKind::RequestMode => {
                if let Some(s) = v0.as_str() {
                    if let Some(m) = RequestMode::from_name(s) {
                        if m != self.opts.mode {
                            self.push_at(
                                f0.path.into(),
                                None,
                                RuleKind::RequestMode,
                                format!("\"{}\"", self.opts.mode),
                                format!("\"{m}\""),
                                Severity::Error,
                                format!(
                                    "{} is \"{m}\" but the request is for the {} environment; the server rejects a mismatch ({}).",
                                    f0.path, self.opts.mode, rule.source
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    fn check_datetime(&mut self, f: &FieldSpec, s: &str, min: u64, max: u64, rule: &CrossRule) {
        let Some(at) = parse_jst_secs(s) else {
            self.push_at(
                f.path.into(),
                self.provider,
                RuleKind::DatetimeFormat,
                "yyyyMMddHHmmss (JST)".into(),
                if s.len() <= 20 {
                    format!("\"{s}\"")
                } else {
                    plural(text::char_count(s), "character")
                },
                Severity::Error,
                format!(
                    "{} must be a valid date and time yyyyMMddHHmmss in JST.",
                    f.path
                ),
            );
            return;
        };
        let now = self
            .opts
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0i64, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let delta = at.saturating_sub(now);
        if delta < min as i64 || delta > max as i64 {
            let actual = if delta < 0 {
                format!("{} in the past", human_secs(delta.unsigned_abs()))
            } else {
                format!("{} after now", human_secs(delta as u64))
            };
            self.push_at(
                f.path.into(),
                self.provider,
                RuleKind::DatetimeWindow,
                format!("{} to {} after now", human_secs(min), human_secs(max)),
                actual.clone(),
                Severity::Error,
                format!(
                    "{} must be between {} and {} after the request time, but is {actual} ({}).",
                    f.path,
                    human_secs(min),
                    human_secs(max),
                    rule.source
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::validation::options::{UrlPolicy, ValidationOptions};
    use crate::PayType;

    /// `cross_silent` is sound: whenever it says a cross-field rule has nothing to
    /// report, the exact evaluation reports nothing (every command, rule, provider slot,
    /// mode and URL policy; values around every rule's conditions).
    #[test]
    fn cross_silent_implies_the_exact_rule_reports_nothing() {
        let mut values: Vec<Got<'static>> = vec![Got::Absent, Got::Other];
        for s in [
            "https://shop.example.com/x",
            "http://shop.example.com/x",
            "https://shop.example.com:8443/x",
            "https://shop.example.com:443/x",
            "http://shop.example.com:443/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://localhost/x",
            "https://a.localhost/x",
            "ftp://shop.example.com/",
            "not a url",
            "live",
            "sandbox",
            "LIVE",
            "20260101000000",
            "",
        ] {
            values.push(Got::Str(s));
        }
        let mut checked = 0;
        for spec in vt4g_generated::rules::COMMANDS.iter() {
            for rule in spec.cross_rules {
                let mut vals = values.clone();
                if let CrossKind::OnlyWhen { value } | CrossKind::IgnoredWhen { value } = rule.kind
                {
                    vals.push(Got::Str(value));
                }
                for mode in [RequestMode::Live, RequestMode::Sandbox] {
                    for policy in [UrlPolicy::Production, UrlPolicy::AllowLocalSimulator] {
                        let opts = ValidationOptions::new(mode)
                            .with_url_policy(policy)
                            .at(UNIX_EPOCH + Duration::from_secs(1_767_225_600));
                        for slot in 0..6 {
                            for &v0 in &vals {
                                for &v1 in &vals {
                                    let lookup = |i: u16| {
                                        if rule.fields.first() == Some(&i) {
                                            v0
                                        } else if rule.fields.get(1) == Some(&i) {
                                            v1
                                        } else {
                                            Got::Absent
                                        }
                                    };
                                    let mut ctx = Ctx::new(spec, &opts);
                                    ctx.provider = PayType::ALL.get(slot).copied();
                                    if ctx.cross_silent(rule, &lookup) {
                                        ctx.cross_exact(rule, &lookup);
                                        assert!(
                                            ctx.out.is_empty(),
                                            "{} {:?} {v0:?} {v1:?}: {:?}",
                                            spec.command,
                                            rule.kind,
                                            ctx.out
                                        );
                                        checked += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }
}
