//! The `X-VT-Idempotency-Key` value: validation, generation, body fingerprints.

use std::fmt;

use sha2::{Digest, Sha256};

/// The longest key the API accepts, in bytes ("100 bytes or less").
pub const MAX_KEY_LEN: usize = 100;

/// A validated `X-VT-Idempotency-Key`: 1 to 100 bytes of `[A-Za-z0-9_-]`
/// ("Single byte alphanumeric characters and symbols, 100 bytes or less …
/// a hyphen (-) and an underscore (_) can be used").
///
/// The reference recommends UUIDv4, which [`IdempotencyKey::generate`] makes.
/// The empty string is refused (the header is optional, but an empty value
/// would not identify anything).
///
/// ```
/// use vt4g::idempotency::IdempotencyKey;
///
/// let k = IdempotencyKey::new("order-123_capture").unwrap();
/// assert_eq!(k.as_str(), "order-123_capture");
/// assert!(IdempotencyKey::new("has space").is_err());
/// assert!(IdempotencyKey::new("x".repeat(101)).is_err());
/// assert_eq!(IdempotencyKey::generate().as_str().len(), 36);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

/// Why a string is not a valid idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidKey {
    /// The key is the empty string.
    #[error("idempotency key is empty")]
    Empty,
    /// The key is longer than [`MAX_KEY_LEN`] bytes.
    #[error("idempotency key is {len} bytes long; at most {MAX_KEY_LEN} are allowed")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The key contains a byte outside `[A-Za-z0-9_-]`.
    #[error("idempotency key has a character outside [A-Za-z0-9_-] at byte {position}")]
    InvalidCharacter {
        /// Byte offset of the first offending character.
        position: usize,
    },
}

impl IdempotencyKey {
    /// Validates `key`.
    ///
    /// # Errors
    /// [`InvalidKey`] when `key` is empty, longer than 100 bytes or contains a
    /// character other than ASCII letters, digits, `-` and `_`.
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidKey> {
        let key = key.into();
        validate_key(&key)?;
        Ok(IdempotencyKey(key))
    }

    /// A fresh random UUIDv4 key (lower-case hyphenated, 36 bytes), from the
    /// operating system's generator (`getrandom`): unlike a user-space
    /// generator it cannot hand the same key to both sides of a `fork`.
    pub fn generate() -> Self {
        IdempotencyKey(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// The key as sent in the header.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = InvalidKey;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        IdempotencyKey::new(value)
    }
}

impl TryFrom<&str> for IdempotencyKey {
    type Error = InvalidKey;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        IdempotencyKey::new(value)
    }
}

impl std::str::FromStr for IdempotencyKey {
    type Err = InvalidKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdempotencyKey::new(s)
    }
}

/// Checks that `key` is a valid `X-VT-Idempotency-Key` value.
///
/// # Errors
/// See [`IdempotencyKey::new`].
pub fn validate_key(key: &str) -> Result<(), InvalidKey> {
    if key.is_empty() {
        return Err(InvalidKey::Empty);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(InvalidKey::TooLong { len: key.len() });
    }
    if let Some(position) = key
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return Err(InvalidKey::InvalidCharacter { position });
    }
    Ok(())
}

/// SHA-256 of the exact request body bytes: the fingerprint stored in
/// [`IdempotencyRecord::fingerprint`](super::IdempotencyRecord::fingerprint)
/// and compared to detect a key or scope reused with a different body.
///
/// ```
/// let a = vt4g::idempotency::body_fingerprint(br#"{"a":1}"#);
/// let b = vt4g::idempotency::body_fingerprint(br#"{"a": 1}"#);
/// assert_ne!(a, b); // byte-exact: whitespace counts
/// ```
pub fn body_fingerprint(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_boundaries() {
        assert!(IdempotencyKey::new("a".repeat(100)).is_ok());
        assert_eq!(
            IdempotencyKey::new("a".repeat(101)),
            Err(InvalidKey::TooLong { len: 101 })
        );
        assert_eq!(IdempotencyKey::new(""), Err(InvalidKey::Empty));
        assert_eq!(
            IdempotencyKey::new("abc.def"),
            Err(InvalidKey::InvalidCharacter { position: 3 })
        );
        // multi-byte characters are refused (single byte only)
        assert!(IdempotencyKey::new("キー").is_err());
        assert!(IdempotencyKey::new("AZaz09-_").is_ok());
    }

    #[test]
    fn generated_keys_are_valid_and_distinct() {
        let a = IdempotencyKey::generate();
        let b = IdempotencyKey::generate();
        assert_ne!(a, b);
        assert!(validate_key(a.as_str()).is_ok());
        assert_eq!(a.as_str().as_bytes()[14], b'4'); // UUID version 4
    }

    #[test]
    fn fingerprint_is_sha256() {
        // SHA-256("abc")
        let fp = body_fingerprint(b"abc");
        assert_eq!(fp[0], 0xba);
        assert_eq!(fp[31], 0xad);
    }
}
