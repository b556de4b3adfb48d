//! The `X-VT-Idempotency-Key` header's format.

use vt4g_generated::rules::Charset;

use super::charset::first_outside;
use super::helpers::{describe_char, plural};
use super::report::{RuleKind, Severity, Violation};

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
