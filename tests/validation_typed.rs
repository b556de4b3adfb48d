//! Differential tests of the typed validator: for random typed requests of every
//! command (random field values incl. limit edges, non-ASCII, full-width and
//! device-dependent characters, combining marks, emoji, bad URLs; every pay type or
//! none; strict on/off; both modes; both URL policies),
//! `request.validate(opts) == validate(COMMAND, &serde_json::to_value(&request)?, opts)`:
//! the same findings in the same order, compared as whole reports.
//!
//! Requests are built as JSON from the generated rule tables and deserialized into the
//! generated types; bodies the types refuse (over the spec's maxLength, outside its
//! patterns or enums) cannot be typed requests and are skipped, and
//! `enough_bodies_become_typed_requests` checks that most are not.

mod common;

use common::now;

use std::time::Duration;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use vt4g::generated::rules::{command_spec, Charset, Check, CommandSpec, FieldSpec, JsonType};
use vt4g::generated::types::{
    CancelRequest, CaptureRequest, ChargeRequest, GetTransactionResultRequest, PayRequest,
    SubscribeRequest, TerminateRequest, UpdateOrderRequest,
};
use vt4g::validation::{
    format_jst, validate, RequestMode, RuleKind, UrlPolicy, ValidateRequest, ValidationOptions,
    ValidationReport,
};
use vt4g::{Command, PayType};

/// URLs the document's URL pattern accepts (http or https, a host name or IPv4 address).
const DOC_URLS: &[&str] = &[
    "https://shop.example.com/pay/success?order=000001",
    "http://shop.example.com/pay/ok",
    "https://shop.example.com:8443/x",
    "https://shop.example.com:443/x",
    "https://127.0.0.1/hook",
    "http://127.0.0.1:8080/hook",
    "https://10.0.0.1/hook",
    "https://localhost/hook",
    "https://8.8.8.8/hook",
    "https://SHOP.Example.COM/Path?Q=1#F",
];

const URLS: &[&str] = &[
    "https://shop.example.com/pay/success?order=000001",
    "http://shop.example.com/pay/ok",
    "https://shop.example.com:8443/x",
    "https://shop.example.com:443/x",
    "https://127.0.0.1/hook",
    "http://127.0.0.1:8080/hook",
    "https://10.0.0.1/hook",
    "https://[::1]/hook",
    "https://[fe80::1]/hook",
    "https://localhost/hook",
    "https://api.localhost/hook",
    "https://8.8.8.8/hook",
    "https://xn--r8jz45g.jp/",
    "https://ドメイン.jp/path",
    "https://a.0x1f/",
    "https://a.123/",
    "https://user@shop.example.com/",
    "https://shop.example.com/a b",
    "not a url",
    "ftp://files.example.com/",
    "mailto:someone@example.com",
    "https://",
    "https://SHOP.Example.COM/Path?Q=1#F",
    "",
];

const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    "9",
    "-",
    "_",
    "*",
    "@",
    ".",
    " ",
    "テ",
    "ア",
    "漢",
    "ｶ",
    "ﾞ",
    "Ａ",
    "１",
    "①",
    "㈱",
    "Ⅰ",
    "㌔",
    "髙",
    "😀",
    "か\u{3099}",
    "é",
    "\u{301}",
    "\t",
    "\"",
    "'",
    "/",
];

/// The provider limits of a field (for lengths at and around them).
fn limits(field: &FieldSpec) -> Vec<usize> {
    let mut v: Vec<usize> = field
        .rules
        .iter()
        .filter_map(|r| match r.check {
            Check::MaxBytes(n) | Check::MaxChars(n) | Check::MaxDigits(n) | Check::MinChars(n) => {
                Some(n as usize)
            }
            _ => None,
        })
        .collect();
    if let Some(m) = field.max_length {
        v.push(m as usize);
    }
    v
}

fn spec_charset(field: &FieldSpec) -> Option<Charset> {
    // The spec-level one (the types enforce its pattern), else a provider's.
    let mut found = None;
    for r in field.rules {
        if let Check::Charset(c) = r.check {
            if r.all_providers || found.is_none() {
                found = Some(c);
            }
        }
    }
    found
}

fn charset_char(rng: &mut StdRng, cs: Charset) -> char {
    let pool: &[u8] = match cs {
        Charset::Alnum => b"aZ09",
        Charset::AlnumHyphenUnderscore => b"aZ09-_",
        Charset::PaypayItemId => b"aZ09*-_@. ",
        Charset::Digits => b"0123456789",
        Charset::SingleByte => b"aZ09 ~!-",
    };
    char::from(pool[rng.random_range(0..pool.len())])
}

fn string_value(rng: &mut StdRng, field: &FieldSpec) -> String {
    if !field.enum_values.is_empty() && rng.random_bool(0.98) {
        return field.enum_values[rng.random_range(0..field.enum_values.len())].to_string();
    }
    if field.name.ends_with("Url") && rng.random_bool(0.9) {
        // Mostly URLs the document's pattern accepts (the others cannot be typed requests).
        let pool = if rng.random_bool(0.8) { DOC_URLS } else { URLS };
        let mut u = pool[rng.random_range(0..pool.len())].to_string();
        if rng.random_bool(0.05) {
            // Near the 1024-character limit.
            let target = 1020 + rng.random_range(0..8);
            while u.chars().count() < target {
                u.push('a');
            }
        }
        return u;
    }
    if field.name.ends_with("Datetime") && rng.random_bool(0.9) {
        let offsets: [i64; 9] = [599, 600, 601, 3600, 172_799, 172_800, 172_801, -5, 0];
        let off = offsets[rng.random_range(0..offsets.len())];
        let t = if off >= 0 {
            now() + Duration::from_secs(off as u64)
        } else {
            now() - Duration::from_secs(off.unsigned_abs())
        };
        return if rng.random_bool(0.9) {
            format_jst(t)
        } else {
            "2024023012000".to_string()
        };
    }
    let lims = limits(field);
    let len = match lims.len() {
        0 => rng.random_range(0..12),
        n => {
            let base = lims[rng.random_range(0..n)];
            (base + rng.random_range(0..3)).saturating_sub(1)
        }
    };
    // Mostly at least the document's minimum (its `+` patterns), like the maximum below.
    let spec_min = field
        .rules
        .iter()
        .filter(|r| r.all_providers)
        .filter_map(|r| match r.check {
            Check::MinChars(n) => Some(n as usize),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let len = if rng.random_bool(0.97) {
        len.max(spec_min)
    } else {
        len
    };
    let cs = spec_charset(field);
    let mut s = String::new();
    let digits = rng.random_bool(0.3);
    let uniform = rng.random_bool(0.5);
    let fixed = PIECES[rng.random_range(0..PIECES.len())];
    for _ in 0..len {
        match cs {
            Some(cs) if rng.random_bool(0.995) => s.push(charset_char(rng, cs)),
            _ if digits => s.push(char::from(b'0' + rng.random_range(0..10u8))),
            _ if uniform => s.push_str(fixed),
            _ => s.push_str(PIECES[rng.random_range(0..PIECES.len())]),
        }
    }
    if let Some(max) = field.max_length {
        if rng.random_bool(0.97) {
            s = s.chars().take(max as usize).collect();
        }
    }
    s
}

fn object(rng: &mut StdRng, spec: &CommandSpec, children: &[u16]) -> Map<String, Value> {
    let mut m = Map::new();
    for &i in children {
        let f = &spec.fields[i as usize];
        let p = if f.required { 0.995 } else { 0.6 };
        if !rng.random_bool(p) {
            continue;
        }
        let v = match f.json_type {
            JsonType::String => Value::String(string_value(rng, f)),
            JsonType::Object => Value::Object(object(rng, spec, f.children)),
            JsonType::Array => {
                let n = rng.random_range(0..4);
                Value::Array(
                    (0..n)
                        .map(|_| Value::Object(object(rng, spec, f.children)))
                        .collect(),
                )
            }
            _ => Value::Null,
        };
        m.insert(f.name.to_string(), v);
    }
    m
}

fn options(rng: &mut StdRng) -> ValidationOptions {
    let p = PayType::ALL[rng.random_range(0..5)];
    options_for(rng, Some(p), [0.5, 0.5, 0.2, 0.8])
}

/// Options with pay type `p` (with probability `odds[3]`), live mode (`odds[0]`),
/// strict (`odds[1]`) and the local-simulator URL relaxation (`odds[2]`).
fn options_for(rng: &mut StdRng, p: Option<PayType>, odds: [f64; 4]) -> ValidationOptions {
    let mut o = ValidationOptions::new(if rng.random_bool(odds[0]) {
        RequestMode::Live
    } else {
        RequestMode::Sandbox
    })
    .strict(rng.random_bool(odds[1]))
    .at(now());
    if rng.random_bool(odds[2]) {
        o = o.with_url_policy(UrlPolicy::AllowLocalSimulator);
    }
    if let Some(p) = p {
        if rng.random_bool(odds[3]) {
            o = o.with_pay_type(p);
        }
    }
    o
}

/// What one typed request gives, or `None` when the body is not a valid typed request.
struct Outcome {
    /// `request.validate(opts)`.
    typed: ValidationReport,
    /// `validate(COMMAND, &to_value(request), opts)`.
    value: ValidationReport,
    /// `request.declared_pay_type()`.
    declared: Option<PayType>,
    /// The payType written in `to_value(request)`.
    in_body: Option<PayType>,
    /// `request.passes_fast_scan(opts)`.
    fast: bool,
}

fn typed<T: DeserializeOwned + Serialize + ValidateRequest>(
    body: &Value,
    o: &ValidationOptions,
) -> Option<Outcome> {
    let t: T = serde_json::from_value(body.clone()).ok()?;
    let v = serde_json::to_value(&t).expect("typed requests serialize");
    let in_body = v
        .get("order")
        .and_then(|o| o.get("payType"))
        .and_then(Value::as_str)
        .and_then(PayType::from_name);
    Some(Outcome {
        typed: t.validate(o),
        value: validate(T::COMMAND, &v, o),
        declared: t.declared_pay_type(),
        in_body,
        fast: t.passes_fast_scan(o),
    })
}

fn run_typed(command: Command, body: &Value, o: &ValidationOptions) -> Option<Outcome> {
    match command {
        Command::Pay => typed::<PayRequest>(body, o),
        Command::Subscribe => typed::<SubscribeRequest>(body, o),
        Command::UpdateOrder => typed::<UpdateOrderRequest>(body, o),
        Command::Capture => typed::<CaptureRequest>(body, o),
        Command::Cancel => typed::<CancelRequest>(body, o),
        Command::Charge => typed::<ChargeRequest>(body, o),
        Command::Terminate => typed::<TerminateRequest>(body, o),
        Command::GetTransactionResult => typed::<GetTransactionResultRequest>(body, o),
    }
}

fn case(seed: u64, command: Command) -> Option<(Value, ValidationOptions, Outcome)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let spec = command_spec(command);
    let body = Value::Object(object(&mut rng, spec, spec.root));
    let o = options(&mut rng);
    run_typed(command, &body, &o).map(|out| (body, o, out))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn typed_validate_equals_value_validate(seed in any::<u64>(), c in 0..8usize) {
        let command = Command::ALL[c];
        if let Some((body, o, out)) = case(seed, command) {
            let (t, v, passes) = (&out.typed, &out.value, out.fast);
            prop_assert_eq!(t, v, "{} body {} opts {:?}", command, body, o);
            prop_assert_eq!(out.declared, out.in_body);
            prop_assert_eq!(
                passes,
                no_per_field_findings(v),
                "{} body {} opts {:?} report {}",
                command,
                body,
                o,
                v
            );
        }
    }
}

/// The differential test is not vacuous: most random bodies are typed requests, and
/// they produce findings of many kinds (not only valid requests).
#[test]
fn enough_bodies_become_typed_requests() {
    for command in Command::ALL {
        let mut typed = 0;
        let mut with_findings = 0;
        let mut rules = std::collections::BTreeSet::new();
        for seed in 0..400u64 {
            if let Some((
                _,
                _,
                Outcome {
                    typed: t, value: v, ..
                },
            )) = case(seed, command)
            {
                assert_eq!(t, v, "{command} seed {seed}");
                typed += 1;
                if !t.violations().is_empty() {
                    with_findings += 1;
                }
                rules.extend(t.violations().iter().map(|x| x.rule.as_str()));
            }
        }
        assert!(
            typed >= 60,
            "{command}: only {typed} of 400 bodies were typed requests"
        );
        assert!(
            with_findings >= 20,
            "{command}: {with_findings} with findings"
        );
        eprintln!("{command}: {typed}/400 typed, {with_findings} with findings, rules {rules:?}");
    }
}

/// `FieldSpec::rule_masks` (generated) selects exactly the rules the provider check
/// selects: the `all_providers` rules, plus the provider's own.
#[test]
fn rule_masks_match_the_rules() {
    for spec in vt4g::generated::rules::COMMANDS.iter() {
        for f in spec.fields {
            for slot in 0..6 {
                let p = PayType::ALL.get(slot).copied();
                let expect: u32 = f
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.all_providers || p.is_some_and(|p| r.providers.contains(p)))
                    .map(|(k, _)| 1u32 << k)
                    .sum();
                assert_eq!(
                    f.rule_masks[slot], expect,
                    "{} {} {p:?}",
                    spec.command, f.path
                );
            }
        }
    }
}

// ---------------------------------------------------------------- the fast scan

/// The findings that are not about one field's own presence, absence or value: the
/// provider determination and the cross-field rules. The typed validator's fast scan
/// must pass exactly when a report holds no other kind.
fn no_per_field_findings(r: &ValidationReport) -> bool {
    r.violations().iter().all(|v| {
        matches!(
            v.rule,
            RuleKind::UnsupportedCommand
                | RuleKind::PayTypeMismatch
                | RuleKind::ProviderLimitsNotChecked
                | RuleKind::ExactlyOne
                | RuleKind::UrlFormat
                | RuleKind::UrlScheme
                | RuleKind::UrlPort
                | RuleKind::UrlPrivateAddress
                | RuleKind::OnlyWhen
                | RuleKind::IgnoredWhen
                | RuleKind::DatetimeFormat
                | RuleKind::DatetimeWindow
                | RuleKind::RequestMode
        )
    })
}

/// A value of `field` that the rules of provider `p` (or the spec's alone) accept —
/// or, with probability `bad`, one just past a limit or with a character it refuses.
fn good_value(rng: &mut StdRng, field: &FieldSpec, p: Option<PayType>, bad: f64) -> String {
    let rules: Vec<Check> = field
        .rules
        .iter()
        .filter(|r| r.all_providers || p.is_some_and(|p| r.providers.contains(p)))
        .map(|r| r.check)
        .collect();
    if field.name == "payType" {
        if let Some(p) = p {
            return p.as_str().to_string();
        }
    }
    if let Some(v) = rules.iter().find_map(|c| match c {
        Check::MustEqual { value, .. } => Some(*value),
        _ => None,
    }) {
        if !rng.random_bool(bad) {
            return v.to_string();
        }
    }
    if !field.enum_values.is_empty() {
        return field.enum_values[rng.random_range(0..field.enum_values.len())].to_string();
    }
    if field.name.ends_with("Url") {
        return if rng.random_bool(1.0 - bad) {
            format!(
                "https://shop.example.com/p/{}?q=1",
                rng.random_range(0..1000)
            )
        } else {
            URLS[rng.random_range(0..URLS.len())].to_string()
        };
    }
    if field.name.ends_with("Datetime") {
        let off = if rng.random_bool(1.0 - bad) { 3600 } else { 60 };
        return format_jst(now() + Duration::from_secs(off));
    }
    let mut max = field.max_length.map_or(usize::MAX, |m| m as usize);
    let mut max_bytes = usize::MAX;
    let (mut min, mut digits, mut charset, mut double) = (0usize, false, false, false);
    let (mut lo, mut hi) = (0u64, u64::MAX);
    for c in &rules {
        match *c {
            Check::MaxDigits(n) | Check::MaxChars(n) => max = max.min(n as usize),
            Check::MaxBytes(n) => max_bytes = max_bytes.min(n as usize),
            Check::MinChars(n) => min = min.max(n as usize),
            Check::MinValue(n) => (lo, digits) = (lo.max(n), true),
            Check::MaxValue(n) => (hi, digits) = (hi.min(n), true),
            Check::Charset(Charset::Digits) => digits = true,
            Check::Charset(_) => charset = true,
            Check::DoubleByte => double = true,
            _ => {}
        }
    }
    let spec_cs = spec_charset(field);
    if spec_cs == Some(Charset::Digits) {
        digits = true;
    }
    charset |= spec_cs.is_some();
    // The values below are ASCII (1 byte a character) or double-byte kana (3 bytes).
    max = max.min(if double { max_bytes / 3 } else { max_bytes });
    if lo > 0 || hi < u64::MAX {
        let hi = hi.min(10u64.saturating_pow(max.min(18) as u32).saturating_sub(1));
        let v = if rng.random_bool(bad) {
            lo.saturating_sub(1)
        } else {
            rng.random_range(lo..=hi.max(lo))
        };
        return v.to_string();
    }
    let len = if max != usize::MAX && rng.random_bool(bad) {
        max + 1
    } else {
        let top = max.min(min.max(1) + 12);
        rng.random_range(min.max(1).min(top)..=top)
    };
    let mut s = String::new();
    for _ in 0..len {
        if digits {
            s.push(char::from(b'0' + rng.random_range(0..10u8)));
        } else if double {
            s.push(['テ', 'ス', 'ト', '商', '品'][rng.random_range(0..5)]);
        } else if charset {
            s.push(char::from(b"abcXYZ019"[rng.random_range(0..9)]));
        } else {
            s.push(char::from(b"abc XYZ 019"[rng.random_range(0..11)]));
        }
    }
    if rng.random_bool(bad / 2.0) && !s.is_empty() {
        // A character some rule refuses (device-dependent, full-width digit, emoji).
        let c = ['①', '１', '😀', 'ｶ'][rng.random_range(0..4)];
        s.replace_range(..s.chars().next().map_or(0, char::len_utf8), &c.to_string());
    }
    s
}

/// A body of mostly-valid fields for provider `p`: the fields it uses, with values its
/// rules accept; rarely a field it does not use, an absent required one or a bad value.
fn near_valid_object(
    rng: &mut StdRng,
    spec: &CommandSpec,
    children: &[u16],
    p: Option<PayType>,
    bad: f64,
) -> Map<String, Value> {
    let mut m = Map::new();
    for &i in children {
        let f = &spec.fields[i as usize];
        let used =
            f.required || f.supported.is_empty() || p.is_none_or(|p| f.supported.contains(p));
        let include = if f.required {
            !rng.random_bool(bad / 4.0)
        } else if used {
            rng.random_bool(0.7)
        } else {
            rng.random_bool(bad / 4.0)
        };
        if !include {
            continue;
        }
        let v = match f.json_type {
            JsonType::String => Value::String(good_value(rng, f, p, bad)),
            JsonType::Object => Value::Object(near_valid_object(rng, spec, f.children, p, bad)),
            JsonType::Array => Value::Array(
                (0..rng.random_range(1..4))
                    .map(|_| Value::Object(near_valid_object(rng, spec, f.children, p, bad)))
                    .collect(),
            ),
            _ => Value::Null,
        };
        m.insert(f.name.to_string(), v);
    }
    m
}

/// The fast scan is exact and used: over near-valid requests of every command and
/// provider (and no provider), it passes exactly when the `Value` validator reports no
/// per-field finding, the typed report equals the `Value` report either way, and it
/// passes for a good share of them (so the fast path is what these tests exercise).
#[test]
fn fast_scan_passes_exactly_when_no_field_has_a_finding() {
    for command in Command::ALL {
        let spec = command_spec(command);
        let (mut typed, mut passed) = (0, 0);
        let mut passed_with_findings = 0;
        for seed in 0..600u64 {
            let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
            // Mostly a provider supporting the command; sometimes none or any.
            let supporting: Vec<PayType> = PayType::ALL
                .into_iter()
                .filter(|&p| spec.providers.contains(p))
                .collect();
            let p = match rng.random_range(0..10) {
                0 => None,
                1 => Some(PayType::ALL[rng.random_range(0..5)]),
                _ => Some(supporting[rng.random_range(0..supporting.len())]),
            };
            let bad = [0.0, 0.02, 0.1, 0.3][rng.random_range(0..4)];
            let body = Value::Object(near_valid_object(&mut rng, spec, spec.root, p, bad));
            let o = options_for(&mut rng, p, [0.7, 0.3, 0.1, 0.9]);
            let Some(Outcome {
                typed: t,
                value: v,
                fast: passes,
                ..
            }) = run_typed(command, &body, &o)
            else {
                if seed < 8 {
                    eprintln!("{command}: not a typed request: {body}");
                }
                continue;
            };
            typed += 1;
            assert_eq!(t, v, "{command} body {body} opts {o:?}");
            assert_eq!(
                passes,
                no_per_field_findings(&v),
                "{command} body {body} opts {o:?} report {v}"
            );
            if passes {
                passed += 1;
                if !v.violations().is_empty() {
                    passed_with_findings += 1;
                }
            }
        }
        eprintln!("{command}: {typed} typed, {passed} passed the fast scan ({passed_with_findings} with provider/cross findings)");
        assert!(typed >= 150, "{command}: only {typed} typed requests");
        assert!(
            passed * 3 >= typed,
            "{command}: the fast scan passed only {passed} of {typed}"
        );
        // terminate and getTransactionResult have no per-field rule beyond the document's
        // (ID patterns, maxLength): the generated types refuse every bad value, so each of
        // their typed requests passes the scan.
        let all_rules_in_types =
            matches!(command, Command::Terminate | Command::GetTransactionResult);
        assert!(
            passed < typed || all_rules_in_types,
            "{command}: every request passed; the bad values never reached the scan"
        );
    }
}

/// The benchmark's requests take the fast path (PayPay: no finding at all; docomo with
/// every spec field set: ignored-field warnings, so the full walk).
#[test]
fn the_benchmark_requests_take_the_expected_path() {
    #[path = "../benches/common/validation_input.rs"]
    mod input;
    let o = ValidationOptions::new(RequestMode::Live);
    let paypay: PayRequest =
        serde_json::from_value(input::paypay_fields(input::full_pay(PayType::Paypay)))
            .expect("typed");
    assert!(paypay.passes_fast_scan(&o));
    assert!(paypay.validate(&o).violations().is_empty());
    let docomo: PayRequest =
        serde_json::from_value(input::full_pay(PayType::Docomo)).expect("typed");
    assert!(!docomo.passes_fast_scan(&o));
}
