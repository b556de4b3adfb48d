//! Table-driven boundary tests: for EVERY provider rule in the generated tables
//! (`vt4g_generated::rules::COMMANDS`, compiled from `openapi/provider-rules.yaml`), a value
//! at the limit passes that rule and a value just past it fails it. A rule added to the
//! rules file is tested here automatically.
//!
//! Every body is validated twice: by the `Value` validator and, when it is a typed
//! request (the generated types refuse values over the spec's maxLength or outside its
//! patterns, e.g. most "past the spec limit" bodies), by [`ValidateRequest`]; the two
//! reports must be equal, and each test asserts which share went through both.

mod common;

use common::now;

use serde_json::{json, Map, Value};
use std::cell::Cell;
use vt4g::generated::rules::{
    command_spec, Charset, Check, CommandSpec, CrossKind, FieldSpec, ProviderRule, COMMANDS,
};

use serde::de::DeserializeOwned;
use serde::Serialize;
use vt4g::generated::types::{
    CancelRequest, CaptureRequest, ChargeRequest, GetTransactionResultRequest, PayRequest,
    SubscribeRequest, TerminateRequest, UpdateOrderRequest,
};
use vt4g::validation::{
    RequestMode, RuleKind, ValidateRequest, ValidationOptions, ValidationReport, Violation,
};
use vt4g::{Command, PayType};

thread_local! {
    /// (bodies checked, bodies also checked through the typed path) by this test's thread.
    static COUNTS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Asserts that at least `min_share` of this test's bodies went through both validators.
fn assert_typed_share(test: &str, min_share: f64) {
    let (all, typed) = COUNTS.with(Cell::get);
    eprintln!("{test}: {typed} of {all} bodies also validated as typed requests");
    assert!(
        all > 0 && typed as f64 >= min_share * all as f64,
        "{test}: only {typed} of {all} bodies went through the typed path"
    );
}

fn typed_report<T: DeserializeOwned + Serialize + ValidateRequest>(
    body: &Value,
    o: &ValidationOptions,
) -> Option<ValidationReport> {
    let t: T = serde_json::from_value(body.clone()).ok()?;
    // Only bodies the typed request reproduces exactly are comparable.
    (serde_json::to_value(&t).ok()? == *body).then(|| t.validate(o))
}

/// Validates `body` with the `Value` validator and, when the body is a typed request
/// of `command` (the generated types refuse values over the spec's maxLength or
/// outside its patterns), with the typed validator too: both must report the same.
fn validate(command: Command, body: &Value, o: &ValidationOptions) -> ValidationReport {
    let by_value = vt4g::validation::validate(command, body, o);
    let typed = match command {
        Command::Pay => typed_report::<PayRequest>(body, o),
        Command::Subscribe => typed_report::<SubscribeRequest>(body, o),
        Command::UpdateOrder => typed_report::<UpdateOrderRequest>(body, o),
        Command::Capture => typed_report::<CaptureRequest>(body, o),
        Command::Cancel => typed_report::<CancelRequest>(body, o),
        Command::Charge => typed_report::<ChargeRequest>(body, o),
        Command::Terminate => typed_report::<TerminateRequest>(body, o),
        Command::GetTransactionResult => typed_report::<GetTransactionResultRequest>(body, o),
    };
    let is_typed = typed.is_some();
    if let Some(t) = typed {
        assert_eq!(t, by_value, "typed vs Value, {command}: {body}");
    }
    COUNTS.with(|c| {
        let (all, n) = c.get();
        c.set((all + 1, n + usize::from(is_typed)));
    });
    by_value
}

/// The provider rules of `field` that apply to `p`.
fn applicable(field: &FieldSpec, p: PayType) -> impl Iterator<Item = &'static ProviderRule> + '_ {
    field
        .rules
        .iter()
        .filter(move |r| r.all_providers || r.providers.contains(p))
}

fn has_check(field: &FieldSpec, p: PayType, pred: impl Fn(&Check) -> bool) -> bool {
    applicable(field, p).any(|r| pred(&r.check))
}

fn charset_of(field: &FieldSpec, p: PayType) -> Option<Charset> {
    // The most restrictive applicable charset (provider-specific over spec-level).
    let mut found = None;
    for r in applicable(field, p) {
        if let Check::Charset(c) = r.check {
            if found.is_none() || !r.all_providers {
                found = Some(c);
            }
        }
    }
    found
}

/// One character satisfying every class rule of the field for `p`.
fn good_char(field: &FieldSpec, p: PayType) -> char {
    if has_check(field, p, |c| matches!(c, Check::DoubleByte)) {
        return 'テ';
    }
    match charset_of(field, p) {
        Some(Charset::Digits) => '1',
        Some(_) => 'a',
        None => 'a',
    }
}

/// A valid value for a string field.
fn sample_value(field: &FieldSpec, p: PayType) -> String {
    for r in applicable(field, p) {
        if let Check::MustEqual { value, .. } = r.check {
            return value.to_string();
        }
    }
    if field.path == "order.payType" {
        return p.as_str().to_string();
    }
    if let Some(first) = field.enum_values.first() {
        return first.to_string();
    }
    if field.format.is_some_and(|f| f.contains("URL")) {
        return "https://shop.example.com/callback".to_string();
    }
    if field.name == "recoveryExpiredDatetime" {
        return vt4g::validation::format_jst(now() + std::time::Duration::from_secs(3600));
    }
    if has_check(field, p, |c| {
        matches!(
            c,
            Check::MaxDigits(_) | Check::MinValue(_) | Check::MaxValue(_)
        )
    }) {
        return "100".to_string();
    }
    let c = good_char(field, p);
    let min = applicable(field, p)
        .filter_map(|r| match r.check {
            Check::MinChars(n) => Some(n as usize),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    std::iter::repeat_n(c, min.max(3)).collect()
}

fn opts(p: PayType) -> ValidationOptions {
    ValidationOptions::new(RequestMode::Live)
        .with_pay_type(p)
        .at(now())
}

/// Whether the field must be present in a minimal valid body for `p`.
fn needed(spec: &CommandSpec, idx: usize, p: PayType) -> bool {
    let f = &spec.fields[idx];
    f.required || has_check(f, p, |c| matches!(c, Check::Required))
}

/// Builds the value of field `idx` (objects/arrays recursively), including every needed
/// child and, when `force` names a descendant path, that one too.
fn build(spec: &CommandSpec, idx: usize, p: PayType, force: &str) -> Value {
    let f = &spec.fields[idx];
    match f.json_type {
        vt4g::generated::rules::JsonType::Object | vt4g::generated::rules::JsonType::Array => {
            let mut map = Map::new();
            for &c in f.children {
                let child = &spec.fields[c as usize];
                if needed(spec, c as usize, p) || is_prefix(child.path, force) {
                    map.insert(child.name.to_string(), build(spec, c as usize, p, force));
                }
            }
            if f.json_type == vt4g::generated::rules::JsonType::Array {
                Value::Array(vec![Value::Object(map)])
            } else {
                Value::Object(map)
            }
        }
        _ => Value::String(sample_value(f, p)),
    }
}

fn is_prefix(path: &str, force: &str) -> bool {
    force == path
        || force.starts_with(&format!("{path}."))
        || force.starts_with(&format!("{path}[]"))
}

/// A minimal valid body of `spec.command` for `p`, with the field `force` present.
fn base_body(spec: &CommandSpec, p: PayType, force: &str) -> Value {
    let mut root = Map::new();
    for &r in spec.root {
        let f = &spec.fields[r as usize];
        if needed(spec, r as usize, p)
            || is_prefix(f.path, force)
            || subtree_needed(spec, r as usize, p)
        {
            root.insert(f.name.to_string(), build(spec, r as usize, p, force));
        }
    }
    // One of each exactly_one group (the first), unless the forced field is another member.
    for c in spec.cross_rules {
        if c.kind == CrossKind::ExactlyOne {
            let members: Vec<&FieldSpec> =
                c.fields.iter().map(|&i| &spec.fields[i as usize]).collect();
            let chosen = members
                .iter()
                .find(|m| m.path == force)
                .copied()
                .unwrap_or(members[0]);
            set_path(
                &mut root,
                chosen.segments,
                Value::String(sample_value(chosen, p)),
            );
        }
    }
    Value::Object(root)
}

fn subtree_needed(spec: &CommandSpec, idx: usize, p: PayType) -> bool {
    spec.fields[idx].children.iter().any(|&c| {
        needed(spec, c as usize, p)
            && (spec.fields[idx].required
                || spec.fields[idx].json_type == vt4g::generated::rules::JsonType::Array)
    })
}

fn set_path(root: &mut Map<String, Value>, segments: &[&str], v: Value) {
    let (last, parents) = segments.split_last().expect("non-empty path");
    let mut cur = root;
    for s in parents {
        let entry = cur.entry(s.to_string()).or_insert_with(|| json!({}));
        let entry = if let Value::Array(items) = entry {
            &mut items[0]
        } else {
            entry
        };
        cur = entry.as_object_mut().expect("object");
    }
    cur.insert(last.to_string(), v);
}

fn remove_path(root: &mut Value, segments: &[&str]) {
    let (last, parents) = segments.split_last().expect("non-empty path");
    let mut cur = root;
    for s in parents {
        cur = cur.get_mut(*s).expect("parent");
        if cur.is_array() {
            cur = &mut cur[0];
        }
    }
    cur.as_object_mut().expect("object").remove(*last);
}

fn with_value(spec: &CommandSpec, field: &FieldSpec, p: PayType, v: &str) -> Value {
    let mut body = base_body(spec, p, field.path);
    let root = body.as_object_mut().expect("object");
    set_path(root, field.segments, Value::String(v.to_string()));
    body
}

fn report_path(field: &FieldSpec) -> String {
    field.path.replace("[]", "[0]")
}

fn kind_of(check: &Check) -> RuleKind {
    match check {
        Check::MaxDigits(_) => RuleKind::MaxDigits,
        Check::MinValue(_) => RuleKind::MinValue,
        Check::MaxValue(_) => RuleKind::MaxValue,
        Check::MinChars(_) => RuleKind::MinChars,
        Check::MaxBytes(_) => RuleKind::MaxBytes,
        Check::MaxChars(_) => RuleKind::MaxChars,
        Check::DoubleByte => RuleKind::DoubleByte,
        Check::Charset(_) => RuleKind::Charset,
        Check::NoDeviceDependent => RuleKind::DeviceDependent,
        Check::Required => RuleKind::RequiredForProvider,
        Check::MustEqual { .. } => RuleKind::MustEqual,
    }
}

fn limit_text(check: &Check) -> Option<String> {
    match check {
        Check::MinValue(m) => Some(format!("at least {m}")),
        Check::MaxValue(m) => Some(format!("at most {m}")),
        _ => None,
    }
}

fn hits<'a>(vs: &'a [Violation], path: &str, check: &Check) -> Vec<&'a Violation> {
    let kind = kind_of(check);
    let limit = limit_text(check);
    vs.iter()
        .filter(|v| v.path == path && v.rule == kind)
        .filter(|v| limit.as_ref().is_none_or(|l| &v.limit == l))
        .collect()
}

/// (at the limit, just past it) values for a rule; `None` for `Required`.
fn boundary(field: &FieldSpec, p: PayType, rule: &ProviderRule) -> Vec<(String, String)> {
    let c = good_char(field, p);
    let rep = |ch: char, n: usize| -> String { std::iter::repeat_n(ch, n).collect() };
    let free_text =
        charset_of(field, p).is_none() && !has_check(field, p, |c| matches!(c, Check::DoubleByte));
    match rule.check {
        Check::MaxDigits(n) => vec![(rep('1', n as usize), rep('1', n as usize + 1))],
        Check::MinValue(m) => vec![(m.to_string(), m.saturating_sub(1).to_string())],
        Check::MaxValue(m) => vec![(m.to_string(), (m + 1).to_string())],
        Check::MinChars(n) => vec![(rep(c, n as usize), rep(c, n as usize - 1))],
        Check::MaxBytes(n) => {
            let n = n as usize;
            let mut cases = vec![(rep(c, n), rep(c, n + 1))];
            if free_text {
                // 3-byte kana and 4-byte emoji, ending exactly at the limit.
                let kana = rep('あ', n / 3) + &rep('a', n % 3);
                cases.push((kana.clone(), kana + "a"));
                let emoji = rep('😀', n / 4) + &rep('a', n % 4);
                cases.push((emoji.clone(), emoji + "a"));
            }
            cases
        }
        Check::MaxChars(n) => {
            let n = n as usize;
            let mut cases = vec![(rep(c, n), rep(c, n + 1))];
            if free_text {
                cases.push((rep('😀', n), rep('😀', n + 1)));
                // A combining sequence counts one character per scalar value.
                let comb = rep('か', n - 2) + "か\u{3099}";
                cases.push((comb.clone(), comb + "\u{3099}"));
            }
            cases
        }
        Check::DoubleByte => vec![
            ("テスト".into(), "テストｱ".into()),
            ("テスト".into(), "テストA".into()),
            ("テスト".into(), "テスト😀".into()),
            ("テスト".into(), "テスト\u{3099}".into()),
        ],
        Check::Charset(cs) => {
            let ok = match cs {
                Charset::Alnum => "Az09",
                Charset::AlnumHyphenUnderscore => "Az09-_",
                Charset::PaypayItemId => "Az09*-_@. ",
                Charset::Digits => "0123456789",
                Charset::SingleByte => "Az09 !~",
            };
            let bad: &[char] = match cs {
                Charset::Alnum => &['-', ' ', 'Ａ', 'é'],
                Charset::AlnumHyphenUnderscore => &['.', ' ', '＿', 'é'],
                Charset::PaypayItemId => &['#', '/', '＊', 'é'],
                Charset::Digits => &['a', '-', '.', '１'],
                Charset::SingleByte => &['\t', 'é', 'Ａ', '😀'],
            };
            bad.iter()
                .map(|b| (ok.to_string(), format!("{ok}{b}")))
                .collect()
        }
        Check::NoDeviceDependent => ['①', 'Ⅰ', '㈱', '㌔', '№', '髙', 'ⅰ', '￤']
            .iter()
            .map(|d| ("テスト".to_string(), format!("テスト{d}")))
            .collect(),
        Check::Required | Check::MustEqual { .. } => Vec::new(),
    }
}

#[test]
fn every_rule_passes_at_its_limit_and_fails_past_it() {
    let mut tested = 0usize;
    let mut failures = Vec::new();
    for spec in COMMANDS.iter() {
        for field in spec.fields {
            for rule in field.rules {
                let providers: Vec<PayType> = if rule.all_providers {
                    spec.providers.iter().take(1).collect()
                } else {
                    rule.providers.iter().collect()
                };
                for p in providers {
                    let path = report_path(field);
                    let o = opts(p);
                    let mut cases: Vec<(Value, Value)> = Vec::new();
                    match rule.check {
                        Check::Required => {
                            let present = base_body(spec, p, field.path);
                            let mut absent = present.clone();
                            remove_path(&mut absent, field.segments);
                            cases.push((present, absent));
                        }
                        Check::MustEqual { value, absent_as } => {
                            let other = field
                                .enum_values
                                .iter()
                                .find(|v| **v != value)
                                .copied()
                                .unwrap_or("other");
                            cases.push((
                                with_value(spec, field, p, value),
                                with_value(spec, field, p, other),
                            ));
                            if absent_as.is_some() {
                                let mut absent = base_body(spec, p, field.path);
                                remove_path(&mut absent, field.segments);
                                cases.push((with_value(spec, field, p, value), absent));
                            }
                        }
                        _ => {
                            for (at, past) in boundary(field, p, rule) {
                                cases.push((
                                    with_value(spec, field, p, &at),
                                    with_value(spec, field, p, &past),
                                ));
                            }
                        }
                    }
                    assert!(
                        !cases.is_empty(),
                        "no case for {} {} {:?}",
                        spec.command,
                        field.path,
                        rule.check
                    );
                    for (at, past) in cases {
                        tested += 1;
                        let r_at = validate(spec.command, &at, &o);
                        let r_past = validate(spec.command, &past, &o);
                        let at_hits = hits(r_at.violations(), &path, &rule.check);
                        let past_hits = hits(r_past.violations(), &path, &rule.check);
                        if !at_hits.is_empty() {
                            failures.push(format!(
                                "{} {} {p} {:?}: at the limit it fails: {:?}",
                                spec.command, field.path, rule.check, at_hits
                            ));
                        }
                        if past_hits.is_empty() {
                            failures.push(format!(
                                "{} {} {p} {:?}: past the limit it passes; body {past}; report {:?}",
                                spec.command, field.path, rule.check, r_past.violations()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(tested > 100, "only {tested} boundary cases");
    assert_typed_share("every_rule_passes_at_its_limit_and_fails_past_it", 0.7);
}

#[test]
fn minimal_bodies_are_valid_for_every_supported_provider() {
    for spec in COMMANDS.iter() {
        for p in spec.providers.iter() {
            let body = base_body(spec, p, "");
            let report = validate(spec.command, &body, &opts(p));
            let errors: Vec<&Violation> = report
                .violations()
                .iter()
                .filter(|v| v.severity == vt4g::validation::Severity::Error)
                .collect();
            assert!(
                errors.is_empty(),
                "{} {p}: {body}\n{errors:?}",
                spec.command
            );
        }
    }
    assert_typed_share("minimal_bodies_are_valid_for_every_supported_provider", 1.0);
}

#[test]
fn every_spec_max_length_is_enforced_at_its_boundary() {
    let mut tested = 0;
    for spec in COMMANDS.iter() {
        let p = spec.providers.iter().next().expect("a provider");
        for field in spec.fields {
            let (Some(max), true) = (field.max_length, field.enum_values.is_empty()) else {
                continue;
            };
            if field.json_type != vt4g::generated::rules::JsonType::String {
                continue;
            }
            let c = good_char(field, p);
            // URL fields: a URL of the maximum length (the document's URL pattern refuses
            // a run of one character, so the typed path could not take it).
            let prefix = if field.format.is_some_and(|f| f.contains("URL")) {
                "https://shop.example.com/"
            } else {
                ""
            };
            let at: String = std::iter::repeat_n(c, max as usize - prefix.len()).collect();
            let at = format!("{prefix}{at}");
            let past = format!("{at}{c}");
            let path = report_path(field);
            let r_at = validate(spec.command, &with_value(spec, field, p, &at), &opts(p));
            let r_past = validate(spec.command, &with_value(spec, field, p, &past), &opts(p));
            let is = |r: &vt4g::validation::ValidationReport| {
                r.violations()
                    .iter()
                    .any(|v| v.path == path && v.rule == RuleKind::MaxLength)
            };
            assert!(!is(&r_at), "{} {}", spec.command, field.path);
            assert!(is(&r_past), "{} {}", spec.command, field.path);
            tested += 1;
        }
    }
    assert!(tested > 50);
    assert_typed_share("every_spec_max_length_is_enforced_at_its_boundary", 0.45);
}

#[test]
fn the_spec_for_every_command_is_present() {
    for c in Command::ALL {
        assert_eq!(command_spec(c).command, c);
        assert!(!command_spec(c).fields.is_empty(), "{c}");
    }
}
