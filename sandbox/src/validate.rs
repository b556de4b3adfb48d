//! The format check of request bodies (400 UA-REQ-001, message names the field).
//!
//! The check follows the reference's field lists: required fields, JSON types,
//! maximum lengths, enums, character sets of IDs and keys, digits-only amounts,
//! URL format, and the one-of blocks (`paymentId` xor `fepOrderId`). Unknown
//! fields pass this first check; then the body is deserialized into the
//! request type generated from our OpenAPI document ([`check_generated`]),
//! which rejects unknown fields and anything else the schema forbids.
//! Per-provider limits that depend on the order (amount digits) are checked by
//! the engine once the provider is known.

use serde_json::{Map, Value};
use vt4g::Command;

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Id,
    Digits,
    Enum(&'static [&'static str]),
    Url,
    DateTime,
}

struct Field {
    path: &'static str,
    /// Byte index of the last `.` of `path` (every field path has one).
    last_dot: usize,
    required: bool,
    max: usize,
    kind: Kind,
}

const fn f(path: &'static str, required: bool, max: usize, kind: Kind) -> Field {
    let b = path.as_bytes();
    let mut i = b.len();
    while i > 0 && b[i - 1] != b'.' {
        i -= 1;
    }
    assert!(i > 0, "a field path is block.field");
    Field {
        path,
        last_dot: i - 1,
        required,
        max,
        kind,
    }
}

impl Field {
    /// (`block.path`, `field`) without searching.
    fn split(&self) -> (&'static str, &'static str) {
        match (
            self.path.get(..self.last_dot),
            self.path.get(self.last_dot + 1..),
        ) {
            (Some(block), Some(leaf)) => (block, leaf),
            _ => ("", self.path),
        }
    }
}

const PAY_TYPES: &[&str] = &["paypay", "rakuten", "docomo", "au", "merpay"];
const AUTH_CAPTURE: &[&str] = &["auth", "auth_with_capture"];
const COMMODITY: &[&str] = &["digital_content", "product_sales", "service"];
const USE: &[&str] = &["use", "not_use"];
const MODES: &[&str] = &["live", "sandbox"];

const TX_KEYS: [Field; 4] = [
    f("transaction.merchantRequestKey1", false, 100, Kind::Id),
    f("transaction.merchantRequestKey2", false, 100, Kind::Id),
    f("transaction.metadata1", false, 2000, Kind::Text),
    f("transaction.metadata2", false, 2000, Kind::Text),
];

const PAY_SUBSCRIBE_COMMON: [Field; 15] = [
    f("order.payType", true, 20, Kind::Enum(PAY_TYPES)),
    f("order.paymentId", true, 64, Kind::Id),
    f("order.description", false, 255, Kind::Text),
    f("order.commodityType", false, 20, Kind::Enum(COMMODITY)),
    f("merchant.storeId", false, 255, Kind::Id),
    f("merchant.storeName", false, 255, Kind::Text),
    f("merchant.terminalId", false, 255, Kind::Id),
    f("customer.buyer.buyerInfoType", false, 20, Kind::Enum(USE)),
    f(
        "customer.shipping.deliveryAddressType",
        false,
        20,
        Kind::Enum(USE),
    ),
    f("control.requestMode", false, 20, Kind::Enum(MODES)),
    f("control.successUrl", true, 1024, Kind::Url),
    f("control.cancelUrl", false, 1024, Kind::Url),
    f("control.errorUrl", true, 1024, Kind::Url),
    f("control.pushUrl", false, 1024, Kind::Url),
    f(
        "paymentInstrument.au.loginType",
        false,
        20,
        Kind::Enum(&["au_id", "linked_id"]),
    ),
];

const PAY_EXTRA: [Field; 4] = [
    f("order.amount", true, 12, Kind::Digits),
    f("order.authCaptureType", false, 20, Kind::Enum(AUTH_CAPTURE)),
    f("customer.buyer.userAgent", false, 2048, Kind::Text),
    f(
        "paymentInstrument.au.paymentAuthenticationType",
        false,
        20,
        Kind::Enum(&["id_method", "app_method"]),
    ),
];

const SUBSCRIBE_EXTRA: [Field; 3] = [
    f("order.orderName", false, 60, Kind::Text),
    f("customer.buyer.userAgent", false, 2048, Kind::Text),
    f("control.deregistrationPushUrl", false, 1024, Kind::Url),
];

const UPDATE_ORDER: [Field; 5] = [
    f("order.paymentId", false, 64, Kind::Id),
    f("order.fepOrderId", false, 100, Kind::Id),
    f("order.amount", false, 12, Kind::Digits),
    f(
        "order.authExtensionType",
        false,
        20,
        Kind::Enum(&["extend", "not_extend"]),
    ),
    f("control.pushUrl", false, 1024, Kind::Url),
];

const CAPTURE: [Field; 5] = [
    f("order.paymentId", false, 64, Kind::Id),
    f("order.fepOrderId", false, 100, Kind::Id),
    f("order.amount", false, 12, Kind::Digits),
    f("order.description", false, 255, Kind::Text),
    f("control.pushUrl", false, 1024, Kind::Url),
];

const CANCEL: [Field; 6] = [
    f("order.paymentId", false, 64, Kind::Id),
    f("order.fepOrderId", false, 100, Kind::Id),
    f("order.amount", false, 12, Kind::Digits),
    f("transaction.reason", false, 255, Kind::Text),
    f("control.pushUrl", false, 1024, Kind::Url),
    f(
        "protocol.forceMode",
        false,
        20,
        Kind::Enum(&["none", "refund"]),
    ),
];

const CHARGE: [Field; 11] = [
    f("order.paymentId", true, 64, Kind::Id),
    f("order.originalPaymentId", false, 64, Kind::Id),
    f("order.originalFepOrderId", false, 100, Kind::Id),
    f("order.authCaptureType", false, 20, Kind::Enum(AUTH_CAPTURE)),
    f("order.amount", true, 12, Kind::Digits),
    f("order.description", false, 255, Kind::Text),
    f("merchant.storeId", false, 255, Kind::Id),
    f("merchant.terminalId", false, 255, Kind::Id),
    f("control.pushUrl", false, 1024, Kind::Url),
    f(
        "protocol.recoveryType",
        false,
        20,
        Kind::Enum(&["recovery", "not_recovery"]),
    ),
    f(
        "protocol.recoveryExpiredDatetime",
        false,
        14,
        Kind::DateTime,
    ),
];

const TERMINATE: [Field; 3] = [
    f("order.paymentId", false, 64, Kind::Id),
    f("order.fepOrderId", false, 100, Kind::Id),
    f("control.pushUrl", false, 1024, Kind::Url),
];

const GET_TRANSACTION_RESULT: [Field; 1] = [f("transaction.fepReferenceId", true, 100, Kind::Id)];

/// The field list of `cmd`, in checking order (the first violation is
/// reported): the command's own fields, then the transaction keys.
fn fields(cmd: Command) -> impl Iterator<Item = &'static Field> {
    let (own, extra, keys): (&'static [Field], &'static [Field], &'static [Field]) = match cmd {
        Command::Pay => (&PAY_SUBSCRIBE_COMMON, &PAY_EXTRA, &TX_KEYS),
        Command::Subscribe => (&PAY_SUBSCRIBE_COMMON, &SUBSCRIBE_EXTRA, &TX_KEYS),
        Command::UpdateOrder => (&UPDATE_ORDER, &[], &TX_KEYS),
        Command::Capture => (&CAPTURE, &[], &TX_KEYS),
        Command::Cancel => (&CANCEL, &[], &TX_KEYS),
        Command::Charge => (&CHARGE, &[], &TX_KEYS),
        Command::Terminate => (&TERMINATE, &[], &TX_KEYS),
        Command::GetTransactionResult => (&GET_TRANSACTION_RESULT, &[], &[]),
    };
    own.iter().chain(extra).chain(keys)
}

/// Looks a dotted path up; `Err` names the first non-object block on the way.
fn lookup<'a>(root: &'a Map<String, Value>, path: &str) -> Result<Option<&'a Value>, String> {
    let mut cur = root;
    let mut rest = path;
    let mut walked_len = 0;
    loop {
        let (p, tail) = match rest.split_once('.') {
            Some((p, tail)) => (p, Some(tail)),
            None => (rest, None),
        };
        walked_len += p.len();
        let Some(v) = cur.get(p) else { return Ok(None) };
        let Some(tail) = tail else { return Ok(Some(v)) };
        match v {
            Value::Object(m) => cur = m,
            Value::Null => return Ok(None),
            _ => return Err(format!("{} must be an object", &path[..walked_len])),
        }
        walked_len += 1;
        rest = tail;
    }
}

/// The object at a dotted path, `None` when a block on the way is missing
/// or null; `Err` names the first non-object block (as [`lookup`] does).
fn resolve_block<'a>(
    root: &'a Map<String, Value>,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, String> {
    let mut cur = root;
    let mut walked_len = 0;
    for p in path.split('.') {
        walked_len += p.len();
        match cur.get(p) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(m)) => cur = m,
            Some(_) => return Err(format!("{} must be an object", &path[..walked_len])),
        }
        walked_len += 1;
    }
    Ok(Some(cur))
}

fn is_id(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The document's yyyyMMddHHmmss pattern: fourteen digits, month 01-12, day 01-31, hour
/// 00-23, minute and second 00-59. Whether the day exists in that month (`20260231...`) is
/// not a format question: the engine's date rules (e.g. the recovery window) refuse such a
/// value when they read it.
fn is_date_time_shape(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 14 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
    (1..=12).contains(&num(4))
        && (1..=31).contains(&num(6))
        && num(8) <= 23
        && num(10) <= 59
        && num(12) <= 59
}

fn check_value(field: &Field, s: &str) -> Result<(), String> {
    let p = field.path;
    // Byte length bounds the character count: count only when it could exceed.
    if s.len() > field.max && s.chars().count() > field.max {
        return Err(format!("{p} exceeds {} characters", field.max));
    }
    match field.kind {
        Kind::Text => Ok(()),
        Kind::Id if s.is_empty() || !is_id(s) => Err(format!(
            "{p} must be single byte alphanumeric characters, '-' or '_'"
        )),
        Kind::Digits if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) => {
            Err(format!("{p} must be single byte numbers"))
        }
        Kind::Enum(vals) if !vals.contains(&s) => {
            Err(format!("{p} must be one of {}", vals.join(", ")))
        }
        Kind::Url => match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
            _ => Err(format!("{p} must be an absolute http(s) URL")),
        },
        Kind::DateTime if !is_date_time_shape(s) => {
            Err(format!("{p} must be a date-time yyyyMMddHHmmss"))
        }
        _ => Ok(()),
    }
}

/// The path of the first JSON `null` in `v` (depth first, members in document order).
///
/// No request field of the document is nullable: each is a string, object or array
/// (`type` without `nullable`), so a `null` is a value of the wrong type, refused like a
/// number where a string belongs. An absent field is the way to leave one out.
fn first_null(v: &Value, path: &mut String) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.iter().any(|(k, v)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            let found = first_null(v, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Array(a) => a.iter().enumerate().any(|(i, v)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = first_null(v, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    }
}

/// Checks the body of `cmd`; returns the message of the first violation.
pub(crate) fn check(cmd: Command, body: &Value) -> Result<(), String> {
    let Value::Object(root) = body else {
        return Err("the request body must be a JSON object".into());
    };
    let mut null_at = String::new();
    if first_null(body, &mut null_at) {
        return Err(format!(
            "{null_at} must not be null (leave the field out instead)"
        ));
    }
    // Consecutive fields mostly share their parent block: resolve it once.
    let mut parent: Option<(&str, Option<&Map<String, Value>>)> = None;
    for field in fields(cmd) {
        let (prefix, leaf) = field.split();
        let block = match parent {
            Some((p, block)) if p == prefix => block,
            _ => {
                let block = resolve_block(root, prefix)?;
                parent = Some((prefix, block));
                block
            }
        };
        let found = block.and_then(|m| m.get(leaf));
        match found {
            None | Some(Value::Null) => {
                if field.required {
                    return Err(format!("{} is required", field.path));
                }
            }
            Some(Value::String(s)) => check_value(field, s)?,
            Some(_) => return Err(format!("{} must be a string", field.path)),
        }
    }
    // Blocks the field list names must be objects when present.
    if let Some(v) = root.get("control") {
        if !v.is_object() {
            return Err("control must be an object".into());
        }
    }
    match cmd {
        Command::Pay | Command::Subscribe => {
            if !root.get("control").is_some_and(Value::is_object) {
                return Err("control is required".into());
            }
            // cancelUrl is required for every provider the reference badges (not Rakuten).
            let pay_type = lookup(root, "order.payType")?.and_then(Value::as_str);
            if pay_type != Some("rakuten") && lookup(root, "control.cancelUrl")?.is_none() {
                return Err("control.cancelUrl is required".into());
            }
            check_items(cmd, root)?;
        }
        Command::Charge => {
            one_of(root, "order.originalPaymentId", "order.originalFepOrderId")?;
            check_items(cmd, root)?;
        }
        Command::UpdateOrder | Command::Capture | Command::Cancel | Command::Terminate => {
            one_of(root, "order.paymentId", "order.fepOrderId")?;
        }
        Command::GetTransactionResult => {}
    }
    Ok(())
}

fn one_of(root: &Map<String, Value>, a: &str, b: &str) -> Result<(), String> {
    let has = |p: &str| lookup(root, p).map(|v| v.is_some_and(|v| !v.is_null()));
    match (has(a)?, has(b)?) {
        (true, true) => Err(format!("{a} cannot be specified together with {b}")),
        (false, false) => Err(format!("{a} or {b} is required")),
        _ => Ok(()),
    }
}

fn check_items(cmd: Command, root: &Map<String, Value>) -> Result<(), String> {
    let Some(items) = root.get("item") else {
        return Ok(());
    };
    let Value::Array(items) = items else {
        return Err("item must be an array".into());
    };
    let name_max = if cmd == Command::Charge { 900 } else { 4000 };
    for (i, it) in items.iter().enumerate() {
        let Value::Object(m) = it else {
            return Err(format!("item[{i}] must be an object"));
        };
        for (key, max) in [("id", 255), ("name", name_max), ("categoryId", 4)] {
            match m.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.chars().count() > max => {
                    return Err(format!("item[{i}].{key} exceeds {max} characters"));
                }
                Some(Value::String(_)) => {}
                Some(_) => return Err(format!("item[{i}].{key} must be a string")),
            }
        }
    }
    Ok(())
}

fn typed<T: serde::de::DeserializeOwned>(raw: &[u8], name: &str) -> Result<(), String> {
    // Fast path: a plain deserialization; only a refused body is deserialized
    // again with path tracking, for the message.
    if serde_json::from_slice::<T>(raw).is_ok() {
        return Ok(());
    }
    let de = &mut serde_json::Deserializer::from_slice(raw);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(_) => Ok(()),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Err(format!(
                "{path}: does not match the {name} schema ({inner})"
            ))
        }
    }
}

/// The schema check proper: deserializes the raw body into the type generated
/// from our OpenAPI document (`vt4g_generated::types::*Request`: lengths,
/// patterns, enums, one-of blocks, no unknown fields). Runs after [`check`],
/// whose messages are friendlier for the common mistakes.
pub(crate) fn check_generated(cmd: Command, raw: &[u8]) -> Result<(), String> {
    use vt4g_generated::types as t;
    match cmd {
        Command::Pay => typed::<t::PayRequest>(raw, "PayRequest"),
        Command::Subscribe => typed::<t::SubscribeRequest>(raw, "SubscribeRequest"),
        Command::UpdateOrder => typed::<t::UpdateOrderRequest>(raw, "UpdateOrderRequest"),
        Command::Capture => typed::<t::CaptureRequest>(raw, "CaptureRequest"),
        Command::Cancel => typed::<t::CancelRequest>(raw, "CancelRequest"),
        Command::Charge => typed::<t::ChargeRequest>(raw, "ChargeRequest"),
        Command::Terminate => typed::<t::TerminateRequest>(raw, "TerminateRequest"),
        Command::GetTransactionResult => {
            typed::<t::GetTransactionResultRequest>(raw, "GetTransactionResultRequest")
        }
    }
}

/// A string at a dotted path (after [`check`] passed).
pub(crate) fn str_at<'a>(body: &'a Value, path: &str) -> Option<&'a str> {
    let mut cur = body;
    let mut rest = path;
    while let Some((p, tail)) = rest.split_once('.') {
        cur = cur.get(p)?;
        rest = tail;
    }
    cur.get(rest)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_non_objects_are_named() {
        let e = check(Command::Capture, &json!({"order": "x"})).unwrap_err();
        assert_eq!(e, "order must be an object");
        let e = check(
            Command::Pay,
            &json!({"order": {"payType": "paypay", "paymentId": "p"}, "customer": {"buyer": 1}}),
        )
        .unwrap_err();
        assert_eq!(e, "customer.buyer must be an object");
        assert_eq!(str_at(&json!({"a": {"b": {"c": "x"}}}), "a.b.c"), Some("x"));
        assert_eq!(str_at(&json!({"a": "x"}), "a"), Some("x"));
        assert_eq!(str_at(&json!({"a": "x"}), "a.b"), None);
    }

    #[test]
    fn names_the_field() {
        let e = check(Command::Capture, &json!({"order": {"paymentId": "a b"}})).unwrap_err();
        assert!(e.contains("order.paymentId"), "{e}");
        let e = check(Command::Capture, &json!({"order": {}})).unwrap_err();
        assert!(e.contains("order.paymentId or order.fepOrderId"), "{e}");
        let e = check(
            Command::Capture,
            &json!({"order": {"paymentId": "p", "amount": 5}}),
        )
        .unwrap_err();
        assert!(e.contains("order.amount must be a string"), "{e}");
        assert!(check(
            Command::Capture,
            &json!({"order": {"paymentId": "p", "amount": "5"}})
        )
        .is_ok());
        let e = check(Command::GetTransactionResult, &json!({})).unwrap_err();
        assert!(e.contains("transaction.fepReferenceId"), "{e}");
    }
}

#[cfg(test)]
mod document_agreement {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_is_refused_with_its_path() {
        let e = check(
            Command::Subscribe,
            &json!({"order": {"payType": "au", "paymentId": "p"},
                    "control": {"successUrl": "https://a.example/", "cancelUrl": "https://a.example/",
                                "errorUrl": "https://a.example/"},
                    "paymentInstrument": {"au": {"loginType": null}}}),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "paymentInstrument.au.loginType must not be null (leave the field out instead)"
        );
        let e = check(
            Command::Capture,
            &json!({"order": {"paymentId": "p"}, "item": [1, null]}),
        )
        .unwrap_err();
        assert!(e.starts_with("item[1] must not be null"), "{e}");
    }

    #[test]
    fn date_time_format_is_the_documents_pattern() {
        for ok in ["20260101120000", "20260231000000", "20261231235959"] {
            let body = json!({"order": {"paymentId": "c", "originalPaymentId": "s", "amount": "1"},
                              "protocol": {"recoveryExpiredDatetime": ok}});
            assert_eq!(check(Command::Charge, &body), Ok(()), "{ok}");
        }
        for bad in [
            "20261301000000",
            "20260100000000",
            "20260101240000",
            "20260101126000",
            "2026010112000",
            "2026-01-01 120",
        ] {
            assert!(!is_date_time_shape(bad), "{bad}");
        }
    }
}
