//! The findings of a validation: [`Violation`], its [`Severity`] and [`RuleKind`], and
//! the [`ValidationReport`] that holds them.

use std::fmt;

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::PayType;

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
    /// `order.payType` and [`ValidationOptions::pay_type`](super::ValidationOptions::pay_type) differ.
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
    pub(super) violations: Vec<Violation>,
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
