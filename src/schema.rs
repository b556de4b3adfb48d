//! JSON Schema of a command's request body, with one provider's limits applied.
//!
//! [`request_schema`] derives the schema from the generated request types
//! (`vt4g_generated::types::PayRequest`, …) with `schemars`, then applies what the rule
//! tables ([`crate::generated::rules`]) know, so that a browser frontend or a service in
//! another language can reject a request early, before it reaches this library or the API.
//!
//! # Dialect
//!
//! **JSON Schema draft-07** (`"$schema": "http://json-schema.org/draft-07/schema#"`): the
//! generated types use schemars 0.8, whose draft-07 output is its most widely supported
//! dialect (Ajv, jsonschema for Python, networknt for Java all support it). Every
//! sub-schema is inlined (no `definitions`/`$ref`), so the schema mirrors the JSON paths of
//! the body.
//!
//! # What is applied
//!
//! Always (the spec level, for every provider):
//! - `null` is not accepted for optional fields: a request omits them (the generated
//!   types would read `null` as absent, but the client never sends it);
//! - `maxLength`, `enum` and `required` of every field from the spec (the generated types
//!   do not always carry them into the derived schema);
//! - the spec-level character sets (e.g. `paymentId` `^[A-Za-z0-9_-]*$`).
//!
//! With a provider (`Some(pay_type)`), additionally:
//! - fields the provider does not support are **removed**. The request blocks do not allow
//!   unknown properties (`additionalProperties: false`), so sending such a field fails the
//!   schema, whereas [`crate::validation`] reports it as a warning (the server ignores it);
//!   this schema is meant for early, conservative validation;
//! - `maxLength` = the smaller of the spec's limit and the provider's character limit;
//! - a byte limit ("N bytes or less") cannot be expressed in JSON Schema: it is noted in the
//!   `description` and given as the annotation `"x-vt4g-maxBytes": N`. `maxLength` is
//!   lowered to the byte count only when the field is also restricted to an ASCII character
//!   set (then bytes and characters are the same count);
//! - digit counts become patterns such as `^[0-9]{1,7}$`; value ranges on digit strings
//!   (Merpay amount 1–1000000) become a pattern of the range (leading zeros allowed);
//! - character sets become patterns; "double-byte characters" becomes
//!   `^[^\u0000-\u007F\uFF61-\uFF9F]*$` (no ASCII and no half-width katakana) — the
//!   exclusion of device-dependent characters (NEC/IBM extensions) is only noted
//!   (`"x-vt4g-noDeviceDependent": true`);
//! - fields the provider requires join `required`; a field that must equal a value gets
//!   `const` (and is required unless the server assumes that value when it is absent);
//! - `order.payType`, when the command's body has it, becomes `const` the provider;
//! - rules whose violation the server tolerates (fields it truncates; severity warning) are
//!   **not** constraints: they are listed in the field's `description` and in
//!   `"x-vt4g-warnings"`.
//!
//! Cross-field rules (paymentId xor fepOrderId is already a `oneOf` of the types; URL
//! policies; "only when recoveryType=recovery"; date windows) are not expressed: run
//! [`crate::validation::validate`] (or `vt4g validate`) for the complete check.
//!
//! A provider that does not support the command at all gets a schema that accepts nothing
//! (`"not": {}`), with the reason in its `description`.
//!
//! # Example
//!
//! ```
//! use vt4g::{Command, PayType};
//! let schema = vt4g::schema::request_schema(Command::Pay, Some(PayType::Au));
//! let amount = &schema["properties"]["order"]["properties"]["amount"];
//! assert_eq!(amount["pattern"], "^[0-9]{1,7}$");
//! assert_eq!(schema["properties"]["order"]["properties"]["payType"]["const"], "au");
//! ```

use schemars::gen::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

use crate::generated::rules::{
    command_spec, Charset, Check, CommandSpec, FieldSpec, ProviderRule, RuleSeverity,
};
use crate::generated::types;
use crate::{Command, PayType};

/// The `$schema` URI of the returned schemas.
pub const DIALECT: &str = "http://json-schema.org/draft-07/schema#";

/// The JSON Schema (draft-07) of `command`'s request body, with `pay_type`'s limits applied
/// when given (see the [module documentation](self) for exactly what is applied).
///
/// The result is a plain [`serde_json::Value`]: serialize it and hand it to any draft-07
/// validator.
///
/// ```
/// use vt4g::{Command, PayType};
/// let generic = vt4g::schema::request_schema(Command::Capture, None);
/// assert_eq!(generic["$schema"], vt4g::schema::DIALECT);
/// // Merpay amounts are 1..=1000000.
/// let merpay = vt4g::schema::request_schema(Command::Pay, Some(PayType::Merpay));
/// let pattern = merpay["properties"]["order"]["properties"]["amount"]["pattern"]
///     .as_str()
///     .unwrap();
/// assert!(pattern.contains("1000000"));
/// ```
pub fn request_schema(command: Command, pay_type: Option<PayType>) -> Value {
    let mut schema = base_schema(command);
    strip_null(&mut schema);
    let spec = command_spec(command);
    if let Value::Object(root) = &mut schema {
        let title = match pay_type {
            Some(p) => format!("{} request ({})", command.as_str(), p.as_str()),
            None => format!("{} request", command.as_str()),
        };
        root.insert("title".into(), Value::String(title));
        root.insert("$schema".into(), Value::String(DIALECT.into()));
    }
    if let Some(p) = pay_type {
        if !spec.providers.contains(p) {
            return json!({
                "$schema": DIALECT,
                "title": format!("{} request ({})", command.as_str(), p.as_str()),
                "description": format!(
                    "{} does not support the `{}` command (supported: {}); no request body is valid.",
                    p.display_name(),
                    command.as_str(),
                    spec.providers
                ),
                "not": {}
            });
        }
    }
    for field in spec.fields {
        apply_field(&mut schema, spec, field, pay_type);
    }
    schema
}

/// The schemars draft-07 schema of the generated request type, every sub-schema inlined.
fn base_schema(command: Command) -> Value {
    fn of<T: JsonSchema>() -> Value {
        let settings = SchemaSettings::draft07().with(|s| {
            s.inline_subschemas = true;
        });
        let root = settings.into_generator().into_root_schema_for::<T>();
        // A RootSchema always serializes (it is a tree of maps, strings and numbers).
        serde_json::to_value(root).unwrap_or(Value::Null)
    }
    match command {
        Command::Pay => of::<types::PayRequest>(),
        Command::Subscribe => of::<types::SubscribeRequest>(),
        Command::UpdateOrder => of::<types::UpdateOrderRequest>(),
        Command::Capture => of::<types::CaptureRequest>(),
        Command::Cancel => of::<types::CancelRequest>(),
        Command::Charge => of::<types::ChargeRequest>(),
        Command::Terminate => of::<types::TerminateRequest>(),
        Command::GetTransactionResult => of::<types::GetTransactionResultRequest>(),
    }
}

/// Whether `rule` applies to `pay_type` (`None`: only the spec-level rules).
fn applies(rule: &ProviderRule, pay_type: Option<PayType>) -> bool {
    rule.all_providers || pay_type.is_some_and(|p| rule.providers.contains(p))
}

fn apply_field(
    schema: &mut Value,
    spec: &CommandSpec,
    field: &FieldSpec,
    pay_type: Option<PayType>,
) {
    let Some((name, parents)) = field.segments.split_last() else {
        return;
    };
    let name: &str = name;
    if let Some(p) = pay_type {
        // A field is unsupported when its badges (with the rules file's overrides) omit the
        // provider. Container blocks carry no badges of their own: keep them.
        if !field.supported.is_empty() && !field.supported.contains(p) {
            for_each_parent(schema, parents, &mut |parent| remove_property(parent, name));
            return;
        }
    }
    let mut required = false;
    let mut edits: Vec<Edit> = Vec::new();
    let hard = |r: &&ProviderRule| {
        applies(r, pay_type) && r.severity == RuleSeverity::Error && !r.truncated
    };
    // A digit-count or range pattern already says "digits only".
    let has_digit_pattern = field.rules.iter().filter(hard).any(|r| {
        matches!(
            r.check,
            Check::MaxDigits(_) | Check::MinValue(_) | Check::MaxValue(_)
        )
    });
    // With an ASCII-only character set, a byte limit is a character limit too.
    let ascii_only = has_digit_pattern
        || field
            .rules
            .iter()
            .filter(hard)
            .any(|r| matches!(r.check, Check::Charset(_)));
    if let Some(max) = field.max_length {
        edits.push(Edit::MaxLength(max));
    }
    if !field.enum_values.is_empty() {
        edits.push(Edit::Enum(field.enum_values));
    }
    if field.required {
        required = true;
    }
    if let Some(p) = pay_type {
        if field.path == "order.payType" {
            edits.push(Edit::Const(p.as_str().to_owned()));
        }
    }
    for rule in field.rules.iter().filter(|r| applies(r, pay_type)) {
        let who = if rule.all_providers {
            "all providers".to_owned()
        } else {
            pay_type.map_or_else(String::new, |p| p.display_name().to_owned())
        };
        if rule.severity == RuleSeverity::Warning || rule.truncated {
            edits.push(Edit::Warning(format!(
                "{who}: {} (tolerated by the server: {})",
                describe(&rule.check),
                if rule.truncated {
                    "truncated"
                } else {
                    "warning"
                }
            )));
            continue;
        }
        match rule.check {
            Check::MaxDigits(n) => {
                edits.push(Edit::Pattern(format!("^[0-9]{{1,{n}}}$")));
                edits.push(Edit::MaxLength(n));
            }
            Check::MinValue(_) | Check::MaxValue(_) => {
                // Handled together below (one range pattern).
            }
            Check::MaxBytes(n) => {
                edits.push(Edit::MaxBytes(n, who));
                if ascii_only {
                    edits.push(Edit::MaxLength(n));
                }
            }
            Check::MaxChars(n) => edits.push(Edit::MaxLength(n)),
            Check::MinChars(n) => edits.push(Edit::MinLength(n)),
            Check::DoubleByte => {
                edits.push(Edit::Pattern(
                    r"^[^\u0000-\u007F\uFF61-\uFF9F]*$".to_owned(),
                ));
                edits.push(Edit::Note(format!(
                    "{who}: double-byte (full-width) characters only"
                )));
            }
            Check::Charset(Charset::Digits) if has_digit_pattern => {}
            Check::Charset(c) => edits.push(Edit::Pattern(charset_pattern(c).to_owned())),
            Check::NoDeviceDependent => edits.push(Edit::NoDeviceDependent(who)),
            Check::Required => required = true,
            Check::MustEqual { value, absent_as } => {
                edits.push(Edit::Const(value.to_owned()));
                if absent_as != Some(value) {
                    required = true;
                }
            }
        }
    }
    let min = field.rules.iter().filter(hard).find_map(|r| match r.check {
        Check::MinValue(v) => Some(v),
        _ => None,
    });
    let max = field.rules.iter().filter(hard).find_map(|r| match r.check {
        Check::MaxValue(v) => Some(v),
        _ => None,
    });
    if min.is_some() || max.is_some() {
        let lo = min.unwrap_or(0);
        let hi = max.unwrap_or(u64::MAX);
        if lo <= hi {
            edits.push(Edit::Pattern(format!("^0*(?:{})$", range_regex(lo, hi))));
        }
        edits.push(Edit::Note(format!("a digit string between {lo} and {hi}")));
    }
    let _ = spec;
    for_each_parent(schema, parents, &mut |parent| {
        if let Some(prop) = parent
            .get_mut("properties")
            .and_then(Value::as_object_mut)
            .and_then(|props| props.get_mut(name))
        {
            for_each_typed(prop, &mut |s| {
                for e in &edits {
                    e.apply(s);
                }
            });
            if required {
                add_required(parent, name);
            }
        }
    });
}

/// One change to a field's schema.
enum Edit {
    MaxLength(u32),
    MinLength(u32),
    Enum(&'static [&'static str]),
    Const(String),
    Pattern(String),
    MaxBytes(u32, String),
    NoDeviceDependent(String),
    Note(String),
    Warning(String),
}

impl Edit {
    fn apply(&self, s: &mut Map<String, Value>) {
        match self {
            Edit::MaxLength(n) => {
                let current = s.get("maxLength").and_then(Value::as_u64);
                let n = u64::from(*n);
                if current.is_none_or(|c| n < c) {
                    s.insert("maxLength".into(), json!(n));
                }
            }
            Edit::MinLength(n) => {
                let current = s.get("minLength").and_then(Value::as_u64);
                let n = u64::from(*n);
                if current.is_none_or(|c| n > c) {
                    s.insert("minLength".into(), json!(n));
                }
            }
            Edit::Enum(values) => {
                if !s.contains_key("const") {
                    s.insert("enum".into(), json!(values));
                }
            }
            Edit::Const(v) => {
                s.remove("enum");
                s.insert("const".into(), json!(v));
            }
            Edit::Pattern(p) => add_pattern(s, p),
            Edit::MaxBytes(n, who) => {
                let current = s.get("x-vt4g-maxBytes").and_then(Value::as_u64);
                let n64 = u64::from(*n);
                if current.is_none_or(|c| n64 < c) {
                    s.insert("x-vt4g-maxBytes".into(), json!(n64));
                }
                add_note(s, &format!("{who}: at most {n} bytes in UTF-8"));
            }
            Edit::NoDeviceDependent(who) => {
                s.insert("x-vt4g-noDeviceDependent".into(), Value::Bool(true));
                add_note(
                    s,
                    &format!("{who}: no device-dependent characters (NEC/IBM extensions such as ①, ㈱, Ⅰ)"),
                );
            }
            Edit::Note(n) => add_note(s, n),
            Edit::Warning(w) => {
                let list = s
                    .entry("x-vt4g-warnings")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    if !items.iter().any(|i| i.as_str() == Some(w)) {
                        items.push(Value::String(w.clone()));
                    }
                }
                add_note(s, &format!("Warning: {w}"));
            }
        }
    }
}

/// Removes `null` from the schema: `type: [T, "null"]` becomes `type: T` and `null`
/// alternatives of `anyOf`/`oneOf` are dropped. The generated types accept `null` for an
/// absent optional field, but a request omits such a field (the client never sends
/// `null`), so the schema describes the wire format.
fn strip_null(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t.as_str() != Some("null"));
                if types.len() == 1 {
                    let single = types.remove(0);
                    map.insert("type".into(), single);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alts)) = map.get_mut(key) {
                    alts.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
                    if alts.len() == 1 {
                        let only = alts.remove(0);
                        map.remove(key);
                        if let Value::Object(inner) = only {
                            for (k, v) in inner {
                                map.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            for v in map.values_mut() {
                strip_null(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// Adds `pattern`; a second, different pattern goes into `allOf` (a schema has one
/// `pattern` keyword, and all must hold).
fn add_pattern(s: &mut Map<String, Value>, pattern: &str) {
    match s.get("pattern").and_then(Value::as_str) {
        None => {
            s.insert("pattern".into(), Value::String(pattern.to_owned()));
        }
        Some(p) if p == pattern => {}
        Some(_) => {
            let all = s.entry("allOf").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = all {
                let item = json!({ "pattern": pattern });
                if !items.contains(&item) {
                    items.push(item);
                }
            }
        }
    }
}

fn add_note(s: &mut Map<String, Value>, note: &str) {
    let text = match s.get("description").and_then(Value::as_str) {
        Some(d) if d.contains(note) => return,
        Some(d) => format!("{d}\n{note}."),
        None => format!("{note}."),
    };
    s.insert("description".into(), Value::String(text));
}

fn add_required(parent: &mut Map<String, Value>, name: &str) {
    let req = parent
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = req {
        if !items.iter().any(|i| i.as_str() == Some(name)) {
            items.push(Value::String(name.to_owned()));
        }
    }
}

fn remove_property(parent: &mut Map<String, Value>, name: &str) {
    if let Some(Value::Object(props)) = parent.get_mut("properties") {
        props.remove(name);
    }
    if let Some(Value::Array(req)) = parent.get_mut("required") {
        req.retain(|r| r.as_str() != Some(name));
    }
}

fn describe(check: &Check) -> String {
    match check {
        Check::MaxDigits(n) => format!("at most {n} digits"),
        Check::MinValue(n) => format!("at least {n}"),
        Check::MaxValue(n) => format!("at most {n}"),
        Check::MaxBytes(n) => format!("at most {n} bytes in UTF-8"),
        Check::MaxChars(n) => format!("at most {n} characters"),
        Check::MinChars(n) => format!("at least {n} characters"),
        Check::DoubleByte => "double-byte characters only".to_owned(),
        Check::Charset(c) => c.describe().to_owned(),
        Check::NoDeviceDependent => "no device-dependent characters".to_owned(),
        Check::Required => "required".to_owned(),
        Check::MustEqual { value, .. } => format!("must be {value}"),
    }
}

fn charset_pattern(c: Charset) -> &'static str {
    match c {
        Charset::Alnum => "^[A-Za-z0-9]*$",
        Charset::AlnumHyphenUnderscore => "^[A-Za-z0-9_-]*$",
        Charset::PaypayItemId => "^[A-Za-z0-9*_@. -]*$",
        Charset::Digits => "^[0-9]+$",
        Charset::SingleByte => r"^[\x20-\x7E]*$",
    }
}

/// Calls `f` on every object schema reached by following `path` (property names; arrays
/// and `anyOf`/`oneOf`/`allOf` alternatives are descended transparently) from `schema`.
fn for_each_parent(schema: &mut Value, path: &[&str], f: &mut dyn FnMut(&mut Map<String, Value>)) {
    for_each_object(schema, &mut |obj| match path.split_first() {
        None => f(obj),
        Some((head, rest)) => {
            if let Some(child) = obj
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .and_then(|props| props.get_mut(*head))
            {
                for_each_parent(child, rest, f);
            }
        }
    });
}

/// Calls `f` on every object-typed schema in `schema`: itself, its alternatives, its array
/// items.
fn for_each_object(schema: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    let Value::Object(map) = schema else { return };
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(alts)) = map.get_mut(key) {
            for alt in alts {
                for_each_object(alt, f);
            }
        }
    }
    if let Some(items) = map.get_mut("items") {
        for_each_object(items, f);
    }
    if map.contains_key("properties") {
        f(map);
    }
}

/// Calls `f` on every non-null alternative of a field's schema (`Option<T>` becomes
/// `anyOf: [T, null]` or `type: [T, "null"]`).
fn for_each_typed(schema: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    let Value::Object(map) = schema else { return };
    let mut descended = false;
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = map.get_mut(key) {
            for alt in alts.iter_mut() {
                if alt.get("type").and_then(Value::as_str) != Some("null") {
                    for_each_typed(alt, f);
                    descended = true;
                }
            }
        }
    }
    if !descended {
        f(map);
    }
}

/// A regular expression (without anchors) matching the decimal numbers `lo..=hi`
/// written without leading zeros.
fn range_regex(lo: u64, hi: u64) -> String {
    let mut alts = Vec::new();
    range_parts(lo, hi, &mut alts);
    alts.join("|")
}

/// Splits `lo..=hi` into ranges of equal digit count and emits a regex for each.
fn range_parts(lo: u64, hi: u64, out: &mut Vec<String>) {
    let mut start = lo;
    loop {
        let digits = start.checked_ilog10().unwrap_or(0) + 1;
        let top = 10u64.checked_pow(digits).map_or(u64::MAX, |p| p - 1);
        let end = top.min(hi);
        same_length(&start.to_string(), &end.to_string(), out);
        if end >= hi {
            break;
        }
        start = end + 1;
    }
}

/// Regex alternatives matching the numbers between `a` and `b` (same number of digits).
fn same_length(a: &str, b: &str, out: &mut Vec<String>) {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    // Common prefix.
    let common = ab.iter().zip(bb).take_while(|(x, y)| x == y).count();
    if common == ab.len() {
        out.push(a.to_owned());
        return;
    }
    let prefix = &a[..common];
    let rest = ab.len() - common - 1;
    let (da, db) = (ab[common], bb[common]);
    let a_tail = &a[common + 1..];
    let b_tail = &b[common + 1..];
    let all_zero = a_tail.bytes().all(|c| c == b'0');
    let all_nine = b_tail.bytes().all(|c| c == b'9');
    let any = |n: usize| {
        if n == 0 {
            String::new()
        } else if n == 1 {
            "[0-9]".to_owned()
        } else {
            format!("[0-9]{{{n}}}")
        }
    };
    let class = |x: u8, y: u8| {
        if x == y {
            (x as char).to_string()
        } else {
            format!("[{}-{}]", x as char, y as char)
        }
    };
    if all_zero && all_nine {
        out.push(format!("{prefix}{}{}", class(da, db), any(rest)));
        return;
    }
    // Lower edge: da followed by a_tail..=99..9.
    let mut lower_first = da;
    if all_zero {
        // Covered by the middle block.
    } else {
        let mut sub = Vec::new();
        same_length(a_tail, &"9".repeat(rest), &mut sub);
        for s in sub {
            out.push(format!("{prefix}{}{s}", da as char));
        }
        lower_first = da + 1;
    }
    // Upper edge: db followed by 00..0..=b_tail.
    let upper_last = if all_nine { db } else { db - 1 };
    if lower_first <= upper_last {
        out.push(format!(
            "{prefix}{}{}",
            class(lower_first, upper_last),
            any(rest)
        ));
    }
    if !all_nine {
        let mut sub = Vec::new();
        same_length(&"0".repeat(rest), b_tail, &mut sub);
        for s in sub {
            out.push(format!("{prefix}{}{s}", db as char));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(re: &str, s: &str) -> bool {
        // A tiny matcher for the regexes range_regex emits: alternatives of literal digits,
        // `[a-b]` classes and `[0-9]{n}` repeats.
        re.split('|')
            .any(|alt| match_alt(alt.as_bytes(), s.as_bytes()))
    }

    fn match_alt(re: &[u8], s: &[u8]) -> bool {
        if re.is_empty() {
            return s.is_empty();
        }
        if re[0] == b'[' {
            let (lo, hi) = (re[1], re[3]);
            let mut rest = &re[5..];
            let mut n = 1;
            if rest.first() == Some(&b'{') {
                let close = rest.iter().position(|&c| c == b'}').unwrap();
                n = std::str::from_utf8(&rest[1..close])
                    .unwrap()
                    .parse()
                    .unwrap();
                rest = &rest[close + 1..];
            }
            s.len() >= n
                && s[..n].iter().all(|&c| (lo..=hi).contains(&c))
                && match_alt(rest, &s[n..])
        } else {
            !s.is_empty() && s[0] == re[0] && match_alt(&re[1..], &s[1..])
        }
    }

    #[test]
    fn unsupported_command_accepts_nothing() {
        // updateOrder: Rakuten Pay and au only.
        let s = request_schema(Command::UpdateOrder, Some(PayType::Paypay));
        assert_eq!(s["not"], json!({}));
        assert!(s.get("properties").is_none());
        let au = request_schema(Command::UpdateOrder, Some(PayType::Au));
        assert!(au["properties"].is_object());
    }

    #[test]
    fn optional_fields_are_not_nullable() {
        let s = request_schema(Command::Pay, None);
        let text = s.to_string();
        assert!(!text.contains("\"null\""), "{text}");
    }

    #[test]
    fn provider_rules_become_constraints_or_notes() {
        let docomo = request_schema(Command::Pay, Some(PayType::Docomo));
        let order = &docomo["properties"]["order"]["properties"];
        assert_eq!(order["amount"]["pattern"], "^[0-9]{1,8}$");
        assert_eq!(order["payType"]["const"], "docomo");
        let item = &docomo["properties"]["item"]["items"]["properties"];
        // Single-byte alphanumerics, 15 bytes: bytes = characters.
        assert_eq!(item["id"]["maxLength"], 15);
        assert_eq!(item["id"]["x-vt4g-maxBytes"], 15);
        // Docomo item names are truncated at 20 characters: a warning, not a constraint.
        assert!(item["name"]["x-vt4g-warnings"].is_array());
        assert_eq!(item["name"]["x-vt4g-noDeviceDependent"], true);
        // Merpay-only field removed.
        assert!(item.get("categoryId").is_none());
        // Without a provider, only spec-level limits.
        let generic = request_schema(Command::Pay, None);
        let amount = &generic["properties"]["order"]["properties"]["amount"];
        assert_eq!(amount["maxLength"], 12);
        assert!(amount.get("x-vt4g-warnings").is_none());
    }

    #[test]
    fn range_regex_matches_exactly_the_range() {
        for (lo, hi) in [
            (1, 1_000_000),
            (0, 9),
            (5, 5),
            (1, 100),
            (37, 4512),
            (100, 999),
            (2, 10),
        ] {
            let re = range_regex(lo, hi);
            for n in 0..=(hi + 50).min(1_100_000) {
                if n % 997 != 0 && n > 20_000 && n.abs_diff(hi) > 20 && n.abs_diff(lo) > 20 {
                    continue;
                }
                assert_eq!(
                    matches(&re, &n.to_string()),
                    (lo..=hi).contains(&n),
                    "{lo}..={hi} {re} vs {n}"
                );
            }
        }
    }
}
