//! Per-provider request validation: every limit of the reference, checked before a
//! byte goes on the wire.
//!
//! [`validate`] walks a request body (`serde_json::Value`) against the generated tables
//! of `vt4g_generated::rules` (compiled from `openapi/effective/unified-api-1.1.3.yaml` and
//! `openapi/provider-rules.yaml`) and reports **all** findings at once.
//! [`ValidateRequest::validate`] does the same on the typed requests
//! (`vt4g::generated::types::PayRequest`, …) through generated walkers, with the same
//! check functions and exactly the same report (see [`ValidateRequest`]); it is the
//! faster path when the request is already typed.
//!
//! ```
//! use vt4g::validation::{validate, ValidationOptions};
//! use vt4g::Command;
//! let body = serde_json::json!({
//!     "order": {"payType": "docomo", "paymentId": "order-1", "amount": "123456789"},
//!     "item": [{"name": "ｶﾞｲﾄﾞ"}],
//!     "control": {
//!         "successUrl": "https://shop.example/ok",
//!         "cancelUrl": "https://shop.example/cancel",
//!         "errorUrl": "https://shop.example/error"
//!     }
//! });
//! let report = validate(Command::Pay, &body, &ValidationOptions::default());
//! assert!(!report.is_valid());
//! let paths: Vec<&str> = report.violations().iter().map(|v| v.path.as_str()).collect();
//! assert!(paths.contains(&"order.amount"));   // docomo: 8 digits
//! assert!(paths.contains(&"item[0].name"));   // docomo: double-byte characters only
//! ```
//!
//! # What is checked
//! - Spec level (whatever the provider): unknown fields (error — a misspelt optional
//!   field would otherwise be silently ignored), required fields, JSON types, `maxLength`
//!   (characters), `enum` values, the spec's `pattern`s (character sets).
//! - Per provider (`order.payType`, or [`ValidationOptions::pay_type`] for follow-up
//!   commands): the rules file's digits, ranges, bytes, characters, double-byte,
//!   character sets, device-dependent characters, required-for and must-equal rules;
//!   fields the provider does not use (warning: the server ignores them; error in strict
//!   mode); a command the provider does not support (error).
//! - Cross-field: `paymentId` xor `fepOrderId` (and the `original…` pair); URLs
//!   (parseable absolute http(s), ≤ 1024 characters); redirect URLs https in live mode;
//!   webhook URLs https, port 443, no private/loopback/link-local/unspecified IP literal;
//!   `control.requestMode` matching [`ValidationOptions::mode`];
//!   `recoveryExpiredDatetime` only with `recoveryType=recovery`, `yyyyMMddHHmmss` JST,
//!   10 minutes to 48 hours after [`ValidationOptions::now`].
//!
//! # Measures and definitions (choices where the reference is ambiguous)
//! - "N bytes" counts UTF-8 bytes (the API is JSON/UTF-8); "N characters" counts Unicode
//!   scalar values (`char`s). A combining sequence counts one per scalar value: `が`
//!   written as `か` + U+3099 is 2 characters (normalise to NFC first). The spec's
//!   `maxLength` is compared the same way.
//! - "Double byte characters": every character encodes to exactly 2 bytes in windows-31j
//!   (encoding_rs `SHIFT_JIS`). ASCII, half-width katakana, and characters windows-31j
//!   cannot encode (emoji, combining marks, most non-Japanese scripts) are rejected. Use
//!   [`to_full_width`] to widen half-width input.
//! - Device-dependent characters (docomo and au names): the windows-31j codes of the NEC
//!   special characters 0x8740–0x879C, the NEC-selected IBM extensions 0xED40–0xEEFC and
//!   the IBM extensions 0xFA40–0xFC4B.
//! - Amounts: a string of single-byte digits only (no sign, decimal point, spaces or
//!   full-width digits), at most the provider's digit count; leading zeros count as digits.
//!   Merpay: 1–1000000. Rakuten: below 2 is an error, below 100 a warning (Rakuten's
//!   minimum can be lowered by agreement).
//! - Fields the server truncates ("excess characters will be truncated"): a length
//!   violation is a warning, an error in strict mode. Character-class rules of those
//!   fields (double-byte, device-dependent) stay errors.
//! - charge with au and `authCaptureType` other than `auth_with_capture` (or absent,
//!   i.e. `auth`): a warning, never an error — au Easy Payment accepts only
//!   `auth_with_capture`, the Online payment web method accepts both, and which one a
//!   merchant has is contract data the library does not have.
//! - Webhook URLs with a host name: names cannot be resolved offline, so only IP literals
//!   and `localhost`/`*.localhost` are checked against the private-address rule.
//! - `recoveryExpiredDatetime` is compared with [`ValidationOptions::now`] at validation
//!   time; the window is inclusive (exactly 10 minutes and exactly 48 hours pass).
//! - With no provider known (a follow-up command without [`ValidationOptions::pay_type`]),
//!   only spec-level and cross-field rules are checked and an `info` finding says so.
//! - Per-provider rules the reference states only in the supplementary information (au
//!   name format, item category IDs, usage limits) or that depend on the order's history
//!   (au updateOrder only for Single Payment orders; d Payment partial cancel only for
//!   Single Payment) are not checked.

mod fast_accept;
mod text;
mod typed;
mod url_rules;

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};
use vt4g_generated::rules::{
    command_spec, Charset, Check, CommandSpec, CrossKind, CrossRule, FieldSpec, JsonType,
    ProviderRule, RuleSeverity,
};

pub use text::to_full_width;
pub use typed::ValidateRequest;
pub use vt4g_generated::rules::RequestMode;

use crate::{Command, PayType};
use fast_accept::FastAccept;

/// How strictly URLs are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UrlPolicy {
    /// The reference's rules: webhook URLs https, port 443, public address; redirect URLs
    /// https in live mode. The default.
    #[default]
    Production,
    /// The explicit relaxation for tests against the local simulator (`vt4g-sandbox`):
    /// http is accepted everywhere, any port, and loopback addresses (`127.0.0.0/8`,
    /// `::1`, `localhost`) are accepted for webhook URLs. Other private addresses are
    /// still rejected. Never use it for requests to VeriTrans.
    AllowLocalSimulator,
}

/// Options of [`validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationOptions {
    /// The environment the request is for (default live): governs the https rule of the
    /// redirect URLs and must match `control.requestMode`.
    pub mode: RequestMode,
    /// Strict mode: fields the provider ignores and values the server truncates are errors.
    pub strict: bool,
    /// The provider, for commands whose body does not carry `order.payType` (everything
    /// but pay/subscribe). When the body carries one, a different value here is an error.
    pub pay_type: Option<PayType>,
    /// URL strictness (default [`UrlPolicy::Production`]).
    pub url_policy: UrlPolicy,
    /// "Now", for time-window rules (`recoveryExpiredDatetime`).
    pub now: SystemTime,
}

impl Default for ValidationOptions {
    /// Live mode, not strict, no provider, production URL policy, the current time.
    fn default() -> Self {
        ValidationOptions {
            mode: RequestMode::Live,
            strict: false,
            pay_type: None,
            url_policy: UrlPolicy::Production,
            now: SystemTime::now(),
        }
    }
}

impl ValidationOptions {
    /// Options for `mode` with the other defaults.
    pub fn new(mode: RequestMode) -> Self {
        ValidationOptions {
            mode,
            ..Self::default()
        }
    }

    /// Sets the provider (for follow-up commands).
    pub fn with_pay_type(mut self, pay_type: PayType) -> Self {
        self.pay_type = Some(pay_type);
        self
    }

    /// Sets strict mode.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets the URL policy.
    pub fn with_url_policy(mut self, policy: UrlPolicy) -> Self {
        self.url_policy = policy;
        self
    }

    /// Sets the clock.
    pub fn at(mut self, now: SystemTime) -> Self {
        self.now = now;
        self
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The request would be rejected or the payment would fail.
    Error,
    /// The request goes through, but not as written (ignored, truncated, contract-dependent).
    Warning,
    /// Information about the validation itself.
    Info,
}

/// The kind of rule a finding comes from; serializes as a stable snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleKind {
    /// The body is not a JSON object, or a field is not in the spec.
    UnknownField,
    /// A field the spec requires is missing.
    Required,
    /// The JSON type differs from the spec's.
    Type,
    /// Longer than the spec's `maxLength` (characters).
    MaxLength,
    /// Not one of the spec's enum values.
    Enum,
    /// The provider does not support the command.
    UnsupportedCommand,
    /// The provider does not use the field (the server ignores it).
    UnsupportedByProvider,
    /// `order.payType` and [`ValidationOptions::pay_type`] differ.
    PayTypeMismatch,
    /// Provider limits were not checked (provider unknown).
    ProviderLimitsNotChecked,
    /// More digits than the provider allows.
    MaxDigits,
    /// Below the provider's minimum amount.
    MinValue,
    /// Above the provider's maximum amount.
    MaxValue,
    /// Fewer characters than the spec's pattern requires.
    MinChars,
    /// More UTF-8 bytes than the provider allows.
    MaxBytes,
    /// More characters than the provider allows.
    MaxChars,
    /// Not only double-byte characters.
    DoubleByte,
    /// A character outside the allowed set.
    Charset,
    /// A device-dependent character.
    DeviceDependent,
    /// Missing although the provider requires it.
    RequiredForProvider,
    /// A value the provider does not accept.
    MustEqual,
    /// Not exactly one of two alternative fields.
    ExactlyOne,
    /// Not a parseable absolute http(s) URL.
    UrlFormat,
    /// http where https is required.
    UrlScheme,
    /// A port other than 443.
    UrlPort,
    /// A private, loopback, link-local or unspecified address.
    UrlPrivateAddress,
    /// Present although a condition field does not have the required value.
    OnlyWhen,
    /// Present but ignored because of another field's value.
    IgnoredWhen,
    /// Not a valid `yyyyMMddHHmmss` date and time.
    DatetimeFormat,
    /// Outside the allowed time window.
    DatetimeWindow,
    /// `control.requestMode` does not match the environment.
    RequestMode,
    /// The idempotency key's format.
    IdempotencyKey,
}

impl RuleKind {
    /// The stable snake_case name (as serialized).
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleKind::UnknownField => "unknown_field",
            RuleKind::Required => "required",
            RuleKind::Type => "type",
            RuleKind::MaxLength => "max_length",
            RuleKind::Enum => "enum",
            RuleKind::UnsupportedCommand => "unsupported_command",
            RuleKind::UnsupportedByProvider => "unsupported_by_provider",
            RuleKind::PayTypeMismatch => "pay_type_mismatch",
            RuleKind::ProviderLimitsNotChecked => "provider_limits_not_checked",
            RuleKind::MaxDigits => "max_digits",
            RuleKind::MinValue => "min_value",
            RuleKind::MaxValue => "max_value",
            RuleKind::MinChars => "min_chars",
            RuleKind::MaxBytes => "max_bytes",
            RuleKind::MaxChars => "max_chars",
            RuleKind::DoubleByte => "double_byte",
            RuleKind::Charset => "charset",
            RuleKind::DeviceDependent => "device_dependent",
            RuleKind::RequiredForProvider => "required_for_provider",
            RuleKind::MustEqual => "must_equal",
            RuleKind::ExactlyOne => "exactly_one",
            RuleKind::UrlFormat => "url_format",
            RuleKind::UrlScheme => "url_scheme",
            RuleKind::UrlPort => "url_port",
            RuleKind::UrlPrivateAddress => "url_private_address",
            RuleKind::OnlyWhen => "only_when",
            RuleKind::IgnoredWhen => "ignored_when",
            RuleKind::DatetimeFormat => "datetime_format",
            RuleKind::DatetimeWindow => "datetime_window",
            RuleKind::RequestMode => "request_mode",
            RuleKind::IdempotencyKey => "idempotency_key",
        }
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The JSON path of the field (`item[0].name`; empty for the whole body).
    pub path: String,
    /// The provider whose rule it is (`None` for spec-level rules).
    #[serde(serialize_with = "ser_provider")]
    pub provider: Option<PayType>,
    /// The rule kind.
    pub rule: RuleKind,
    /// The limit, in words (`20 double-byte characters`).
    pub limit: String,
    /// The measure of the actual value (`23 characters`); never the value of free-text fields.
    pub actual: String,
    /// The severity.
    pub severity: Severity,
    /// A sentence naming the field, provider and limit.
    pub message: String,
}

fn ser_provider<S: Serializer>(p: &Option<PayType>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_str(p.as_str()),
        None => s.serialize_none(),
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        write!(f, "{sev}: {}", self.message)
    }
}

/// Every finding of one validation. Serializes as
/// `{"valid": bool, "violations": [{"path", "provider", "rule", "limit", "actual", "severity", "message"}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    violations: Vec<Violation>,
}

impl ValidationReport {
    /// `true` when there is no [`Severity::Error`] finding.
    pub fn is_valid(&self) -> bool {
        !self
            .violations
            .iter()
            .any(|v| v.severity == Severity::Error)
    }

    /// All findings, in the order found (body order, then cross-field rules).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The findings of severity `severity`.
    pub fn with_severity(&self, severity: Severity) -> impl Iterator<Item = &Violation> {
        self.violations
            .iter()
            .filter(move |v| v.severity == severity)
    }

    /// The findings, by value.
    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }
}

impl Serialize for ValidationReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ValidationReport", 2)?;
        st.serialize_field("valid", &self.is_valid())?;
        st.serialize_field("violations", &self.violations)?;
        st.end()
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.violations.is_empty() {
            return f.write_str("valid: no findings");
        }
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ path stack

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

const MAX_DEPTH: usize = 16;

/// The current JSON path as a fixed-size stack (no allocation until reported).
struct PathStack<'a> {
    segs: [Seg<'a>; MAX_DEPTH],
    len: usize,
}

impl<'a> PathStack<'a> {
    fn new() -> Self {
        PathStack {
            segs: [Seg::Index(0); MAX_DEPTH],
            len: 0,
        }
    }

    fn push(&mut self, s: Seg<'a>) -> bool {
        if self.len == MAX_DEPTH {
            return false;
        }
        self.segs[self.len] = s;
        self.len += 1;
        true
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for s in &self.segs[..self.len] {
            match s {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

/// Something that renders as the JSON path of a finding (only when one is reported).
trait RenderPath {
    fn render(&self) -> String;
}

impl RenderPath for PathStack<'_> {
    fn render(&self) -> String {
        PathStack::render(self)
    }
}

/// A path that is never shown: for checks whose findings are discarded (the typed fast
/// scan's exact fallback), so no path is rendered.
struct Unrendered;

impl RenderPath for Unrendered {
    fn render(&self) -> String {
        String::new()
    }
}

/// A path stack plus one more key, not pushed (the typed walk's string fields).
struct WithLeaf<'p, 'a> {
    stack: &'p PathStack<'a>,
    leaf: &'static str,
}

impl RenderPath for WithLeaf<'_, '_> {
    fn render(&self) -> String {
        let mut out = self.stack.render();
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(self.leaf);
        out
    }
}

// ------------------------------------------------------------------ the validator

struct Ctx<'o> {
    spec: &'static CommandSpec,
    /// [`FastAccept`] of each field of `spec` (by field index) and provider slot.
    fast: &'static [[FastAccept; fast_accept::SLOTS]],
    opts: &'o ValidationOptions,
    provider: Option<PayType>,
    out: Vec<Violation>,
    url_memo: UrlMemo,
}

/// What the URL fast path learned (scheme and port) of an accepted URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct QuickUrlBits {
    https: bool,
    port: u16,
}

/// The fast path's verdicts of the URL fields seen so far (by field index).
#[derive(Default)]
struct UrlMemo {
    len: usize,
    keys: [u16; 8],
    vals: [Option<QuickUrlBits>; 8],
}

/// Validates a request body of `command` and returns every finding.
///
/// Never panics, whatever the JSON (property-tested). See the [module docs](self) for
/// what is checked and the measures used.
pub fn validate(command: Command, body: &Value, opts: &ValidationOptions) -> ValidationReport {
    let spec = command_spec(command);
    let mut ctx = Ctx::new(spec, opts);
    let Some(root) = body.as_object() else {
        ctx.push_at(
            String::new(),
            None,
            RuleKind::Type,
            "a JSON object".into(),
            json_kind(body).into(),
            Severity::Error,
            format!("The {command} request body must be a JSON object."),
        );
        return ValidationReport {
            violations: ctx.out,
        };
    };
    let from_body = root
        .get("order")
        .and_then(|o| o.get("payType"))
        .and_then(Value::as_str)
        .and_then(PayType::from_name);
    ctx.begin(from_body);
    let mut path = PathStack::new();
    ctx.walk_object(root, spec.root, &mut path, false);
    let lookup = |i: u16| match spec
        .fields
        .get(usize::from(i))
        .and_then(|f| Ctx::lookup(root, f))
    {
        None => Got::Absent,
        Some(Value::String(s)) => Got::Str(s),
        Some(_) => Got::Other,
    };
    for rule in spec.cross_rules {
        ctx.cross(rule, &lookup);
    }
    ValidationReport {
        violations: ctx.out,
    }
}

/// What a cross-field rule sees of a field: absent, a string, or another present value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Got<'v> {
    #[default]
    Absent,
    Str(&'v str),
    Other,
}

impl<'v> Got<'v> {
    fn is_some(self) -> bool {
        !matches!(self, Got::Absent)
    }

    fn as_str(self) -> Option<&'v str> {
        match self {
            Got::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'o> Ctx<'o> {
    fn new(spec: &'static CommandSpec, opts: &'o ValidationOptions) -> Self {
        Ctx {
            spec,
            fast: fast_accept_table(spec),
            opts,
            provider: None,
            out: Vec::new(),
            url_memo: UrlMemo::default(),
        }
    }

    /// Determines the provider from the body's payType (`from_body`) and the options,
    /// and reports a mismatch, an unsupported command or an unknown provider.
    fn begin(&mut self, from_body: Option<PayType>) {
        let command = self.spec.command;
        let spec = self.spec;
        self.provider = self.determine_provider(from_body);
        if let Some(p) = self.provider {
            if !spec.providers.contains(p) {
                self.push_at(
                    String::new(),
                    Some(p),
                    RuleKind::UnsupportedCommand,
                    format!("providers supporting {command}: {}", spec.providers),
                    p.as_str().into(),
                    Severity::Error,
                    format!(
                        "{} does not support the {command} command (supported: {}).",
                        p.display_name(),
                        spec.providers
                    ),
                );
            }
        } else {
            self.push_at(
            String::new(),
            None,
            RuleKind::ProviderLimitsNotChecked,
            "payType needed for provider limits".into(),
            "payType unknown".into(),
            Severity::Info,
            format!(
                "The provider is unknown (no valid order.payType in the body and no pay_type option), so only the spec-level limits of {command} were checked, not the provider's."
            ),
        );
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn type_matches(t: JsonType, v: &Value) -> bool {
    match t {
        JsonType::String => v.is_string(),
        JsonType::Integer => v.is_i64() || v.is_u64(),
        JsonType::Number => v.is_number(),
        JsonType::Boolean => v.is_boolean(),
        JsonType::Object => v.is_object(),
        JsonType::Array => v.is_array(),
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Whether `s` is a non-empty string of single-byte digits.
fn is_digit_string(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The numeric value of a digit string (saturating at `u64::MAX`).
fn digit_value(s: &str) -> u64 {
    s.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    })
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push_at(
        &mut self,
        path: String,
        provider: Option<PayType>,
        rule: RuleKind,
        limit: String,
        actual: String,
        severity: Severity,
        message: String,
    ) {
        self.out.push(Violation {
            path,
            provider,
            rule,
            limit,
            actual,
            severity,
            message,
        });
    }

    fn determine_provider(&mut self, from_body: Option<PayType>) -> Option<PayType> {
        match (from_body, self.opts.pay_type) {
            (Some(b), Some(o)) if b != o => {
                self.push_at(
                    "order.payType".into(),
                    Some(b),
                    RuleKind::PayTypeMismatch,
                    format!("pay_type option {o}"),
                    format!("payType {b}"),
                    Severity::Error,
                    format!(
                        "order.payType is \"{b}\" but the validation was asked for {o}; the body's payType is used."
                    ),
                );
                Some(b)
            }
            (Some(b), _) => Some(b),
            (None, o) => o,
        }
    }

    fn walk_object<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        children: &'static [u16],
        path: &mut PathStack<'v>,
        parent_unsupported: bool,
    ) {
        let fields = self.spec.fields;
        // Which children are present (bit k = children[k]); objects have < 64 fields.
        let mut present: u64 = 0;
        for (key, value) in obj {
            let kb = key.as_bytes();
            let found = children
                .iter()
                .enumerate()
                .find(|(_, &i)| {
                    let nb = fields[i as usize].name.as_bytes();
                    nb.len() == kb.len() && nb.first() == kb.first() && nb == kb
                })
                .map(|(k, &i)| {
                    if k < 64 {
                        present |= 1 << k;
                    }
                    i
                });
            if !path.push(Seg::Key(key.as_str())) {
                continue;
            }
            match found {
                Some(i) => self.check_field(i, value, path, parent_unsupported),
                None => {
                    let p = path.render();
                    let allowed: Vec<&str> =
                        children.iter().map(|&i| fields[i as usize].name).collect();
                    self.push_at(
                        p.clone(),
                        None,
                        RuleKind::UnknownField,
                        format!("one of: {}", allowed.join(", ")),
                        "unknown field".into(),
                        Severity::Error,
                        format!(
                            "{p} is not a field of the {} request (allowed here: {}).",
                            self.spec.command,
                            allowed.join(", ")
                        ),
                    );
                }
            }
            path.pop();
        }
        // Absent fields: spec-required, provider-required, must-equal defaults.
        for (k, &i) in children.iter().enumerate() {
            let field = &fields[i as usize];
            let is_present = if k < 64 {
                present & (1 << k) != 0
            } else {
                obj.contains_key(field.name)
            };
            if is_present {
                continue;
            }
            self.absent_field(i, path);
        }
    }

    /// Reports an absent field (`index`) of the current object (`path`): spec-required,
    /// provider-required, must-equal defaults.
    #[inline]
    fn absent_field(&mut self, index: u16, path: &mut PathStack<'_>) {
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
    fn field_present(
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

    fn check_field<'v>(
        &mut self,
        index: u16,
        value: &'v Value,
        path: &mut PathStack<'v>,
        parent_unsupported: bool,
    ) {
        let field = &self.spec.fields[usize::from(index)];
        let unsupported = self.field_present(field, path, parent_unsupported);
        if !type_matches(field.json_type, value) {
            let pth = path.render();
            self.push_at(
                pth.clone(),
                None,
                RuleKind::Type,
                field.json_type.as_str().into(),
                json_kind(value).into(),
                Severity::Error,
                format!(
                    "{pth} must be a JSON {} but is {}.",
                    field.json_type.as_str(),
                    json_kind(value)
                ),
            );
            return;
        }
        match value {
            Value::String(s) => self.check_string(index, s, path),
            Value::Object(map) => self.walk_object(map, field.children, path, unsupported),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !path.push(Seg::Index(i)) {
                        break;
                    }
                    match item.as_object() {
                        Some(map) => self.walk_object(map, field.children, path, unsupported),
                        None => {
                            let pth = path.render();
                            self.push_at(
                                pth.clone(),
                                None,
                                RuleKind::Type,
                                "object".into(),
                                json_kind(item).into(),
                                Severity::Error,
                                format!("{pth} must be a JSON object but is {}.", json_kind(item)),
                            );
                        }
                    }
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// The checks of a present string field: spec `maxLength` and `enum`, then every
    /// applicable rule. The conditions are tested inline; findings are built in cold
    /// functions (nothing is formatted or allocated when the value passes).
    #[inline]
    fn check_string(&mut self, index: u16, s: &str, path: &impl RenderPath) {
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

    fn lookup<'v>(root: &'v Map<String, Value>, field: &FieldSpec) -> Option<&'v Value> {
        let (first, rest) = field.segments.split_first()?;
        let mut v = root.get(*first)?;
        for seg in rest {
            v = v.as_object()?.get(*seg)?;
        }
        Some(v)
    }

    /// Applies one cross-field rule; `lookup` gives what the body holds at a field index.
    /// The common case — nothing to report — is decided inline
    /// ([`Ctx::cross_silent`]); the rule is evaluated exactly only when it may report.
    #[inline(always)]
    fn cross<'v>(&mut self, rule: &'static CrossRule, lookup: &impl Fn(u16) -> Got<'v>) {
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

    /// The URL fast path's verdict on field `field`'s value `s`, computed once per
    /// field and validation (several URL rules look at the same field).
    /// The memo lookup is inline (a hit costs a few compares); the scan is not.
    #[inline]
    fn quick_url(&mut self, field: u16, s: &str) -> Option<QuickUrlBits> {
        let memo = &self.url_memo;
        if let Some(k) = memo.keys[..memo.len].iter().position(|&k| k == field) {
            return memo.vals[k];
        }
        self.quick_url_scan(field, s)
    }

    /// [`Ctx::quick_url`] for a field not seen yet: scans `s` and memoises the verdict.
    #[inline(never)]
    fn quick_url_scan(&mut self, field: u16, s: &str) -> Option<QuickUrlBits> {
        let memo = &mut self.url_memo;
        let v = url_rules::quick_url(s).map(|q| QuickUrlBits {
            https: q.https,
            port: q.port,
        });
        if memo.len < memo.keys.len() {
            memo.keys[memo.len] = field;
            memo.vals[memo.len] = v;
            memo.len += 1;
        }
        v
    }

    fn check_url(&mut self, f: &FieldSpec, s: &str, quick: Option<QuickUrlBits>) {
        if quick.is_some() {
            return;
        }
        let parsed = url::Url::parse(s);
        let problem = match &parsed {
            Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => None,
            Ok(u) => Some(format!("scheme \"{}\" without an http(s) host", u.scheme())),
            Err(e) => Some(format!("not parseable ({e})")),
        };
        if let Some(actual) = problem {
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlFormat,
                "an absolute http(s) URL".into(),
                actual.clone(),
                Severity::Error,
                format!(
                    "{} must be an absolute http(s) URL but is {actual}.",
                    f.path
                ),
            );
        }
    }

    fn check_redirect_url(
        &mut self,
        f: &FieldSpec,
        s: &str,
        quick: Option<QuickUrlBits>,
        rule: &CrossRule,
    ) {
        let is_http = match quick {
            Some(q) => !q.https,
            None => match url::Url::parse(s) {
                Ok(u) => u.scheme() == "http",
                Err(_) => return,
            },
        };
        if self.opts.mode == RequestMode::Live
            && is_http
            && self.opts.url_policy == UrlPolicy::Production
        {
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlScheme,
                "https (live mode)".into(),
                "http".into(),
                Severity::Error,
                format!(
                    "{} uses http, which live-mode requests do not accept; use https ({}).",
                    f.path, rule.source
                ),
            );
        }
    }

    fn check_webhook_url(
        &mut self,
        f: &FieldSpec,
        s: &str,
        quick: Option<QuickUrlBits>,
        rule: &CrossRule,
    ) {
        if let Some(q) = quick {
            if q.https && q.port == 443 {
                // A domain host (never an IP literal or localhost): nothing more to check offline.
                return;
            }
        }
        let Ok(u) = url::Url::parse(s) else { return };
        if !(u.scheme() == "https" || u.scheme() == "http") {
            return;
        }
        let relaxed = self.opts.url_policy == UrlPolicy::AllowLocalSimulator;
        if u.scheme() != "https" && !relaxed {
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlScheme,
                "https".into(),
                u.scheme().into(),
                Severity::Error,
                format!("{} must use https ({}).", f.path, rule.source),
            );
        }
        let port = u.port_or_known_default();
        if port != Some(443) && !relaxed {
            let actual = port.map_or_else(|| "none".to_string(), |p| p.to_string());
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlPort,
                "port 443".into(),
                format!("port {actual}"),
                Severity::Error,
                format!(
                    "{} uses port {actual}; only port 443 is permitted ({}).",
                    f.path, rule.source
                ),
            );
        }
        let reason = match url_rules::host_ip(&u) {
            Some(ip) if relaxed && url_rules::is_loopback(ip) => None,
            Some(ip) => url_rules::non_public_reason(ip),
            None if url_rules::is_localhost_name(&u) && !relaxed => Some("a loopback host name"),
            None => None,
        };
        if let Some(reason) = reason {
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlPrivateAddress,
                "a public address".into(),
                reason.into(),
                Severity::Error,
                format!(
                    "{}'s host is {reason}; webhooks cannot be sent to private, loopback, link-local or unspecified addresses ({}).",
                    f.path, rule.source
                ),
            );
        }
    }

    fn check_datetime(&mut self, f: &FieldSpec, s: &str, min: u64, max: u64, rule: &CrossRule) {
        let Some(at) = parse_jst(s) else {
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

/// String equality without a `memcmp` call for the short strings of enum values.
#[inline]
pub(crate) fn short_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The [`FastAccept`] table of `spec`'s fields (computed by the compiler, see
/// [`fast_accept::FAST`]).
fn fast_accept_table(spec: &'static CommandSpec) -> &'static [[FastAccept; fast_accept::SLOTS]] {
    fast_accept::FAST
        .get(spec.command as usize)
        .map_or(&[], |t| &t[..spec.fields.len().min(t.len())])
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

fn first_outside(cs: Charset, s: &str) -> Option<(usize, char)> {
    if cs == Charset::Digits && s.is_empty() {
        return Some((0, ' '));
    }
    // Every charset is ASCII-only: one table lookup per byte. The first byte outside
    // the set is either an ASCII character or the first byte of a non-ASCII one; every
    // byte before it is ASCII, so its byte index is its character index.
    let bit = charset_bit(cs);
    let b = s.as_bytes();
    // The common case (no character outside the set): one branch-free AND of table
    // entries over all bytes; the exact position is searched only after a miss.
    if and_of_classes(b) & bit != 0 {
        return None;
    }
    let i = b
        .iter()
        .position(|&c| CHARSET_BYTES[usize::from(c)] & bit == 0)?;
    s[i..].chars().next().map(|c| (i, c))
}

/// The AND of the [`CHARSET_BYTES`] entries of all bytes of `b`: the charsets that
/// allow every byte.
#[inline]
pub(crate) fn and_of_classes(b: &[u8]) -> u8 {
    and_over_table(&CHARSET_BYTES, b)
}

/// The AND of `table[byte]` over every byte of `b` (`0xff` for an empty slice). The
/// AND is idempotent, so the last group of bytes may overlap the ones before it: whole
/// 8-byte groups (and one overlapping group for the rest), or two overlapping 4-byte
/// groups, with no byte-at-a-time tail loop except below 4 bytes.
#[inline]
fn and_over_table(table: &[u8; 256], b: &[u8]) -> u8 {
    #[inline(always)]
    fn group<const N: usize>(table: &[u8; 256], g: &[u8; N]) -> u8 {
        g.iter().fold(0xff, |acc, &c| acc & table[usize::from(c)])
    }
    let n = b.len();
    if n >= 8 {
        let mut acc = 0xff;
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            if let Ok(g) = <&[u8; 8]>::try_from(c) {
                acc &= group(table, g);
            }
        }
        if !chunks.remainder().is_empty() {
            if let Ok(g) = <&[u8; 8]>::try_from(&b[n - 8..]) {
                acc &= group(table, g);
            }
        }
        acc
    } else if n >= 4 {
        match (
            <&[u8; 4]>::try_from(&b[..4]),
            <&[u8; 4]>::try_from(&b[n - 4..]),
        ) {
            (Ok(x), Ok(y)) => group(table, x) & group(table, y),
            _ => 0,
        }
    } else {
        b.iter().fold(0xff, |acc, &c| acc & table[usize::from(c)])
    }
}

/// The bit of `cs` in [`CHARSET_BYTES`].
pub(crate) const fn charset_bit(cs: Charset) -> u8 {
    match cs {
        Charset::Alnum => 1,
        Charset::AlnumHyphenUnderscore => 2,
        Charset::PaypayItemId => 4,
        Charset::Digits => 8,
        Charset::SingleByte => 16,
    }
}

/// The bit of [`CHARSET_BYTES`] set for every ASCII byte.
pub(crate) const ASCII_BIT: u8 = 32;

/// For each byte, the charsets (bits of [`charset_bit`]) that allow it, and
/// [`ASCII_BIT`] for the ASCII bytes.
static CHARSET_BYTES: [u8; 256] = {
    const ALL: [Charset; 5] = [
        Charset::Alnum,
        Charset::AlnumHyphenUnderscore,
        Charset::PaypayItemId,
        Charset::Digits,
        Charset::SingleByte,
    ];
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 128 {
        t[c] = ASCII_BIT;
        let mut k = 0;
        while k < ALL.len() {
            if ALL[k].allows(c as u8 as char) {
                t[c] |= charset_bit(ALL[k]);
            }
            k += 1;
        }
        c += 1;
    }
    t
};

/// Describes one character for a message: printable ones quoted, with the code point.
fn describe_char(c: char) -> String {
    if c.is_control()
        || c.is_whitespace()
        || ('\u{300}'..='\u{36F}').contains(&c)
        || ('\u{3099}'..='\u{309A}').contains(&c)
    {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}' (U+{:04X})", c as u32)
    }
}

fn human_secs(s: u64) -> String {
    if s.is_multiple_of(3600) && s >= 3600 {
        plural((s / 3600) as usize, "hour")
    } else if s.is_multiple_of(60) && s >= 60 {
        plural((s / 60) as usize, "minute")
    } else {
        plural(s as usize, "second")
    }
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `yyyyMMddHHmmss` in JST (UTC+9) to Unix seconds; `None` when malformed.
fn parse_jst(s: &str) -> Option<i64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| s[a..b].parse::<u32>().ok();
    let (y, mo, d, h, mi, se) = (
        n(0, 4)?,
        n(4, 6)?,
        n(6, 8)?,
        n(8, 10)?,
        n(10, 12)?,
        n(12, 14)?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > dim || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    Some(days * 86_400 + i64::from(h * 3600 + mi * 60 + se) - 9 * 3600)
}

/// Formats a time as `yyyyMMddHHmmss` in JST — the format of `recoveryExpiredDatetime`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(vt4g::validation::format_jst(t), "20231115071320");
/// ```
pub fn format_jst(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64
        + 9 * 3600;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Checks an `X-VT-Idempotency-Key` value: 1–100 bytes of `[A-Za-z0-9_-]`.
///
/// ```
/// use vt4g::validation::validate_idempotency_key;
/// assert!(validate_idempotency_key("29eb1743-b37c-d7c4-badb-7bc4056d9a98").is_ok());
/// assert!(validate_idempotency_key("has space").is_err());
/// ```
///
/// # Errors
/// A [`Violation`] (rule `idempotency_key`, path `X-VT-Idempotency-Key`) when the key is
/// empty, longer than 100 bytes or has a character outside `[A-Za-z0-9_-]`. The key
/// itself is not echoed.
pub fn validate_idempotency_key(key: &str) -> Result<(), Violation> {
    const PATH: &str = "X-VT-Idempotency-Key";
    let limit = "1 to 100 bytes of [A-Za-z0-9_-]".to_string();
    let bad = |actual: String, message: String| Violation {
        path: PATH.into(),
        provider: None,
        rule: RuleKind::IdempotencyKey,
        limit: limit.clone(),
        actual,
        severity: Severity::Error,
        message,
    };
    if key.is_empty() {
        return Err(bad(
            "empty".into(),
            "The X-VT-Idempotency-Key header must not be empty.".into(),
        ));
    }
    if key.len() > 100 {
        return Err(bad(
            plural(key.len(), "byte"),
            format!(
                "The X-VT-Idempotency-Key header is {} long; the limit is 100 bytes.",
                plural(key.len(), "byte")
            ),
        ));
    }
    if let Some((pos, c)) = first_outside(Charset::AlnumHyphenUnderscore, key) {
        return Err(bad(
            format!("{} at character {}", describe_char(c), pos + 1),
            format!(
                "The X-VT-Idempotency-Key header may contain only A-Z, a-z, 0-9, '-' and '_', but has {} at character {}.",
                describe_char(c),
                pos + 1
            ),
        ));
    }
    Ok(())
}

/// Truncates `value` at a character boundary to the provider's length limit of the field
/// `path` (rules-file form, e.g. `item[].name`) of `command`: the smallest of its
/// `max_bytes` (UTF-8) and `max_chars` rules for `pay_type`. Returns the value unchanged
/// (borrowed) when it fits or when the provider has no length limit for the field.
///
/// This mirrors what the server does for the fields it truncates, so the merchant
/// sees the same text the consumer will.
///
/// ```
/// use vt4g::validation::truncate_for;
/// use vt4g::{Command, PayType};
/// let name = "あいうえおかきくけこさしすせそたちつてとなにぬね";
/// let cut = truncate_for(Command::Pay, "item[].name", PayType::Docomo, name);
/// assert_eq!(cut.chars().count(), 20);
/// ```
pub fn truncate_for<'a>(
    command: Command,
    path: &str,
    pay_type: PayType,
    value: &'a str,
) -> Cow<'a, str> {
    let Some((_, field)) = command_spec(command).field(path) else {
        return Cow::Borrowed(value);
    };
    let mut end = value.len();
    for rule in field.rules {
        if !(rule.all_providers || rule.providers.contains(pay_type)) {
            continue;
        }
        match rule.check {
            Check::MaxBytes(n) => {
                let mut cut = (n as usize).min(end);
                while !value.is_char_boundary(cut) {
                    cut -= 1;
                }
                end = end.min(cut);
            }
            Check::MaxChars(n) => {
                if let Some((i, _)) = value.char_indices().nth(n as usize) {
                    end = end.min(i);
                }
            }
            _ => {}
        }
    }
    if end == value.len() {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(value[..end].to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The byte-table scan (8 bytes per step) finds what the per-character
        /// definition (`Charset::allows`) finds.
        #[test]
        fn first_outside_matches_the_definition(
            s in "[a-zA-Z0-9_*@. ~-]{0,30}(|[^a-z]{0,3})[a-z0-9]{0,12}",
            k in 0..5usize,
        ) {
            let cs = [
                Charset::Alnum,
                Charset::AlnumHyphenUnderscore,
                Charset::PaypayItemId,
                Charset::Digits,
                Charset::SingleByte,
            ][k];
            let expect = if cs == Charset::Digits && s.is_empty() {
                Some((0, ' '))
            } else {
                s.chars().enumerate().find(|(_, c)| !cs.allows(*c))
            };
            prop_assert_eq!(first_outside(cs, &s), expect);
        }

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

    /// The compile-time cross-rule slots: every field a cross-field rule reads has its
    /// own slot, and no other field has one.
    #[test]
    fn cross_slots_cover_exactly_the_cross_rule_fields() {
        for spec in vt4g_generated::rules::COMMANDS.iter() {
            let slots = &fast_accept::CROSS_SLOT[spec.command as usize];
            let mut used = std::collections::BTreeSet::new();
            for (i, &k) in slots.iter().enumerate() {
                let read = spec
                    .cross_rules
                    .iter()
                    .any(|r| r.fields.contains(&(i as u16)));
                assert_eq!(
                    read,
                    k != fast_accept::NO_CROSS_SLOT,
                    "{} field {i}",
                    spec.command
                );
                if read {
                    assert!(used.insert(k), "slot {k} used twice");
                    assert!(usize::from(k) < fast_accept::MAX_CROSS_FIELDS);
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

    #[test]
    fn jst_round_trip() {
        for secs in [0u64, 1_700_000_000, 1_709_164_800, 4_102_444_799] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(parse_jst(&format_jst(t)), Some(secs as i64));
        }
        assert_eq!(parse_jst("20240230120000"), None);
        assert!(parse_jst("20240229120000").is_some());
        assert_eq!(parse_jst("20230229120000"), None);
        assert_eq!(parse_jst("20241301000000"), None);
        assert_eq!(parse_jst("2024010100000"), None);
        assert_eq!(parse_jst("20240101240000"), None);
    }
}
