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

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    format_jst, validate, RequestMode, UrlPolicy, ValidateRequest, ValidationOptions,
    ValidationReport,
};
use vt4g::{Command, PayType};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

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
        let mut u = URLS[rng.random_range(0..URLS.len())].to_string();
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
    let mut o = ValidationOptions::new(if rng.random_bool(0.5) {
        RequestMode::Live
    } else {
        RequestMode::Sandbox
    })
    .strict(rng.random_bool(0.5))
    .at(now());
    if rng.random_bool(0.2) {
        o = o.with_url_policy(UrlPolicy::AllowLocalSimulator);
    }
    if rng.random_bool(0.8) {
        o = o.with_pay_type(PayType::ALL[rng.random_range(0..5)]);
    }
    o
}

/// `(typed report, Value report of to_value(typed), declared pay type, the body's payType)`,
/// or `None` when the body is not a valid typed request.
type Outcome = (
    ValidationReport,
    ValidationReport,
    Option<PayType>,
    Option<PayType>,
);

fn typed<T: DeserializeOwned + Serialize + ValidateRequest>(
    body: &Value,
    o: &ValidationOptions,
) -> Option<Outcome> {
    let t: T = serde_json::from_value(body.clone()).ok()?;
    let v = serde_json::to_value(&t).expect("typed requests serialize");
    let declared = v
        .get("order")
        .and_then(|o| o.get("payType"))
        .and_then(Value::as_str)
        .and_then(PayType::from_name);
    Some((
        t.validate(o),
        validate(T::COMMAND, &v, o),
        t.declared_pay_type(),
        declared,
    ))
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
        if let Some((body, o, (t, v, declared, in_body))) = case(seed, command) {
            prop_assert_eq!(&t, &v, "{} body {} opts {:?}", command, body, o);
            prop_assert_eq!(declared, in_body);
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
            if let Some((_, _, (t, v, _, _))) = case(seed, command) {
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
