//! Parser of the `X-VT-Content-hmac` header value.

use std::fmt;

use super::hex;

/// The only algorithm name the reference defines for `h=`.
pub const ALGORITHM: &str = "HmacSHA512";

/// Length in bytes of an HMAC-SHA512 tag (the `v=` part is twice as many hex digits).
pub const MAC_LEN: usize = 64;

/// Longest header value the parser looks at. A real value is about
/// `h=HmacSHA512;s=` + CCID + `;v=` + 128 hex digits, well under this.
pub const MAX_HEADER_LEN: usize = 1024;

/// The parsed `X-VT-Content-hmac` header: `h=HmacSHA512;s={merchant CCID};v={hmacString}`.
///
/// ```
/// use vt4g::webhook::ContentHmac;
/// let v = format!("v = {} ; s=MyCcid; h=hmacsha512", "AB".repeat(64));
/// let parsed = ContentHmac::parse(&v)?;
/// assert_eq!(parsed.ccid, "MyCcid");
/// assert_eq!(parsed.mac, [0xab; 64]);
/// # Ok::<(), vt4g::webhook::HeaderError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ContentHmac<'a> {
    /// The merchant CCID of the `s=` part, as sent (not yet compared with the
    /// configured one: [`super::WebhookVerifier`] does that).
    pub ccid: &'a str,
    /// The decoded `v=` part.
    pub mac: [u8; MAC_LEN],
}

impl fmt::Debug for ContentHmac<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContentHmac")
            .field("ccid", &self.ccid)
            .field("mac", &hex::encode_lower(&self.mac))
            .finish()
    }
}

/// Why an `X-VT-Content-hmac` value was rejected.
///
/// `Display` echoes at most a short, escaped excerpt of what was sent (never
/// any key: the header does not contain one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The value is longer than [`MAX_HEADER_LEN`] bytes.
    #[error("X-VT-Content-hmac is {0} bytes long (at most {MAX_HEADER_LEN} accepted)")]
    TooLong(usize),
    /// The value is not visible ASCII (or not UTF-8).
    #[error("X-VT-Content-hmac contains bytes that are not visible ASCII")]
    NotAscii,
    /// A `;`-separated part has no `=`.
    #[error("X-VT-Content-hmac part {0:?} is not of the form name=value")]
    MalformedPart(String),
    /// A part other than `h`, `s` and `v`.
    #[error("X-VT-Content-hmac has an unknown part {0:?}")]
    UnknownPart(String),
    /// `h`, `s` or `v` appears twice.
    #[error("X-VT-Content-hmac has the part {0:?} more than once")]
    RepeatedPart(&'static str),
    /// `h`, `s` or `v` is absent.
    #[error("X-VT-Content-hmac lacks the part {0:?}")]
    MissingPart(&'static str),
    /// `h`, `s` or `v` is present with an empty value.
    #[error("X-VT-Content-hmac part {0:?} is empty")]
    EmptyValue(&'static str),
    /// `h` is not `HmacSHA512`.
    #[error("X-VT-Content-hmac names the unsupported algorithm {0:?} (expected HmacSHA512)")]
    UnsupportedAlgorithm(String),
    /// `v` contains a character that is not a hex digit.
    #[error("X-VT-Content-hmac v= is not hexadecimal")]
    MacNotHex,
    /// `v` is hex of the wrong length (HMAC-SHA512 gives 128 hex digits).
    #[error("X-VT-Content-hmac v= has {0} hex digits (HMAC-SHA512 gives 128)")]
    MacWrongLength(usize),
}

/// A short, escaped excerpt of attacker-controlled text, for error messages.
fn excerpt(s: &str) -> String {
    const MAX: usize = 32;
    let mut out: String = s.chars().take(MAX).collect();
    if s.chars().count() > MAX {
        out.push('…');
    }
    out
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

impl<'a> ContentHmac<'a> {
    /// Parses `h=HmacSHA512;s={merchant CCID};v={hex}`.
    ///
    /// Tolerated: spaces and tabs around `;` and `=`, the parts in any order,
    /// empty segments (e.g. a trailing `;`), upper- or lower-case hex, and the
    /// part names and the algorithm name in any ASCII case (`HMACSHA512`): the
    /// name only selects the algorithm, and a single one is accepted, so its
    /// case carries no security. Everything else is rejected: a part without
    /// `=`, an unknown part, a repeated part, a missing or empty part, another
    /// algorithm, a non-hex or wrong-length `v` (HMAC-SHA512 → exactly 128 hex
    /// digits; note that the reference's own example shows 64, the length of
    /// an HMAC-SHA256, which this parser rejects on purpose), and a value that
    /// is not visible ASCII or longer than [`MAX_HEADER_LEN`].
    ///
    /// # Errors
    /// [`HeaderError`] saying which rule was broken.
    pub fn parse(value: &'a str) -> Result<Self, HeaderError> {
        if value.len() > MAX_HEADER_LEN {
            return Err(HeaderError::TooLong(value.len()));
        }
        if !value
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
        {
            return Err(HeaderError::NotAscii);
        }
        let mut h: Option<&str> = None;
        let mut s: Option<&str> = None;
        let mut v: Option<&str> = None;
        for segment in value.split(';') {
            let segment = trim(segment);
            if segment.is_empty() {
                continue;
            }
            let (name, val) = segment
                .split_once('=')
                .ok_or_else(|| HeaderError::MalformedPart(excerpt(segment)))?;
            let (name, val) = (trim(name), trim(val));
            let (slot, label) = if name.eq_ignore_ascii_case("h") {
                (&mut h, "h")
            } else if name.eq_ignore_ascii_case("s") {
                (&mut s, "s")
            } else if name.eq_ignore_ascii_case("v") {
                (&mut v, "v")
            } else {
                return Err(HeaderError::UnknownPart(excerpt(name)));
            };
            if slot.is_some() {
                return Err(HeaderError::RepeatedPart(label));
            }
            if val.is_empty() {
                return Err(HeaderError::EmptyValue(label));
            }
            *slot = Some(val);
        }
        let h = h.ok_or(HeaderError::MissingPart("h"))?;
        let s = s.ok_or(HeaderError::MissingPart("s"))?;
        let v = v.ok_or(HeaderError::MissingPart("v"))?;
        if !h.eq_ignore_ascii_case(ALGORITHM) {
            return Err(HeaderError::UnsupportedAlgorithm(excerpt(h)));
        }
        if !hex::is_hex(v.as_bytes()) {
            return Err(HeaderError::MacNotHex);
        }
        let mac = hex::decode_fixed::<MAC_LEN>(v.as_bytes())
            .ok_or(HeaderError::MacWrongLength(v.len()))?;
        Ok(ContentHmac { ccid: s, mac })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac_hex() -> String {
        "0123456789abcdef".repeat(8)
    }

    #[test]
    fn canonical_and_tolerated_forms() {
        let v = mac_hex();
        for value in [
            format!("h=HmacSHA512;s=cc;v={v}"),
            format!(" h = HmacSHA512 ; s = cc ; v = {v} "),
            format!("v={};s=cc;h=hmacsha512;", v.to_uppercase()),
            format!("S=cc;V={v};H=HMACSHA512"),
            format!("h=HmacSHA512;;s=cc;\tv={v}"),
        ] {
            let p = ContentHmac::parse(&value).unwrap_or_else(|e| panic!("{value}: {e}"));
            assert_eq!(p.ccid, "cc");
            assert_eq!(hex::encode_lower(&p.mac), v);
        }
    }

    #[test]
    fn rejections() {
        let v = mac_hex();
        let cases: Vec<(String, HeaderError)> = vec![
            (format!("s=cc;v={v}"), HeaderError::MissingPart("h")),
            (format!("h=HmacSHA512;v={v}"), HeaderError::MissingPart("s")),
            ("h=HmacSHA512;s=cc".into(), HeaderError::MissingPart("v")),
            (
                format!("h=HmacSHA512;h=HmacSHA512;s=cc;v={v}"),
                HeaderError::RepeatedPart("h"),
            ),
            (
                format!("h=HmacSHA512;s=cc;s=cc;v={v}"),
                HeaderError::RepeatedPart("s"),
            ),
            (
                format!("h=HmacSHA512;s=;v={v}"),
                HeaderError::EmptyValue("s"),
            ),
            (
                format!("h=HmacSHA256;s=cc;v={v}"),
                HeaderError::UnsupportedAlgorithm("HmacSHA256".into()),
            ),
            (
                format!("h=HmacSHA512;s=cc;x=1;v={v}"),
                HeaderError::UnknownPart("x".into()),
            ),
            (
                format!("h=HmacSHA512;scc;v={v}"),
                HeaderError::MalformedPart("scc".into()),
            ),
            (
                format!("h=HmacSHA512;s=cc;v={}", &v[..64]),
                HeaderError::MacWrongLength(64),
            ),
            (
                format!("h=HmacSHA512;s=cc;v={}g", &v[..127]),
                HeaderError::MacNotHex,
            ),
            (
                format!("h=HmacSHA512;s=cc;v={v}0"),
                HeaderError::MacWrongLength(129),
            ),
            (format!("h=HmacSHA512;s=cé;v={v}"), HeaderError::NotAscii),
            (
                format!("h=HmacSHA512;s={};v={v}", "c".repeat(2000)),
                HeaderError::TooLong(2000 + 15 + 3 + 128),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(ContentHmac::parse(&value), Err(want), "{value}");
        }
    }

    #[test]
    fn debug_shows_hex() {
        let v = mac_hex();
        let value = format!("h=HmacSHA512;s=cc;v={v}");
        let p = ContentHmac::parse(&value).unwrap();
        assert!(format!("{p:?}").contains(&v));
    }
}
