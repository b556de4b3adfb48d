//! A wrapper that keeps credentials out of `Debug`, `Display`, logs and errors.

use std::fmt;

/// A secret string: the bearer token or the merchant authentication key.
///
/// `Debug` and `Display` print `Secret([REDACTED])`; the value is reachable only
/// through [`Secret::expose`], so a secret cannot end up in a log line, an error
/// message or a panic by accident. Comparison of secrets is not offered: compare
/// MACs in constant time instead.
///
/// The bytes are overwritten with zeros when the `Secret` is dropped
/// (`zeroize`). Copies made where the value is used — the `Authorization`
/// header value the client builds per request, an HMAC key schedule — are
/// not under this type's control and are not wiped.
///
/// ```
/// use vt4g::Secret;
/// let token = Secret::new("222fd022-dc1d-4736-eab4-c5d9c507a284");
/// assert_eq!(format!("{token:?}"), "Secret([REDACTED])");
/// assert_eq!(token.expose(), "222fd022-dc1d-4736-eab4-c5d9c507a284");
/// ```
#[derive(Clone)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// The secret value. Call this only where the value is put on the wire or
    /// into a MAC; never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `true` when the secret is the empty string (a configuration mistake).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("top-secret-token");
        assert!(!format!("{s:?}").contains("top-secret"));
        assert!(!format!("{s}").contains("top-secret"));
        assert!(!format!("{:#?}", vec![s.clone()]).contains("top-secret"));
        assert_eq!(s.expose(), "top-secret-token");
    }
}
