//! The `X-VT-Idempotency-Key` header's format as a validation finding. The rule
//! itself is [`validate_key`] (`idempotency/key.rs`).

use super::helpers::{describe_char, plural};
use super::report::{RuleKind, Severity, Violation};
use crate::idempotency::{validate_key, InvalidKey, MAX_KEY_LEN};

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
    let Err(invalid) = validate_key(key) else {
        return Ok(());
    };
    let bad = |actual: String, message: String| Violation {
        path: PATH.into(),
        provider: None,
        rule: RuleKind::IdempotencyKey,
        limit: format!("1 to {MAX_KEY_LEN} bytes of [A-Za-z0-9_-]"),
        actual,
        severity: Severity::Error,
        message,
    };
    Err(match invalid {
        InvalidKey::Empty => bad(
            "empty".into(),
            "The X-VT-Idempotency-Key header must not be empty.".into(),
        ),
        InvalidKey::TooLong { len } => bad(
            plural(len, "byte"),
            format!(
                "The X-VT-Idempotency-Key header is {} long; the limit is {MAX_KEY_LEN} bytes.",
                plural(len, "byte")
            ),
        ),
        InvalidKey::InvalidCharacter { position } => {
            // Every byte before `position` is ASCII: it is a character boundary, and
            // the character index equals the byte index.
            let c = key
                .get(position..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or('\u{FFFD}');
            bad(
                format!("{} at character {}", describe_char(c), position + 1),
                format!(
                    "The X-VT-Idempotency-Key header may contain only A-Z, a-z, 0-9, '-' and '_', but has {} at character {}.",
                    describe_char(c),
                    position + 1
                ),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The finding of each way a key can be wrong: limit, measure and message.
    #[test]
    fn findings_name_the_limit_and_the_measure() {
        assert!(validate_idempotency_key(&"a-_Z9".repeat(20)).is_ok());
        let v = validate_idempotency_key("").unwrap_err();
        assert_eq!(
            (v.path.as_str(), v.rule, v.limit.as_str(), v.actual.as_str()),
            (
                "X-VT-Idempotency-Key",
                RuleKind::IdempotencyKey,
                "1 to 100 bytes of [A-Za-z0-9_-]",
                "empty"
            )
        );
        let v = validate_idempotency_key(&"a".repeat(101)).unwrap_err();
        assert_eq!(v.actual, "101 bytes");
        assert_eq!(
            v.message,
            "The X-VT-Idempotency-Key header is 101 bytes long; the limit is 100 bytes."
        );
        let v = validate_idempotency_key("ab c").unwrap_err();
        assert_eq!(v.actual, "U+0020 at character 3");
        let v = validate_idempotency_key("abキー").unwrap_err();
        assert_eq!(v.actual, "'キ' (U+30AD) at character 3");
        assert_eq!(
            v.message,
            "The X-VT-Idempotency-Key header may contain only A-Z, a-z, 0-9, '-' and '_', but has 'キ' (U+30AD) at character 3."
        );
    }
}
