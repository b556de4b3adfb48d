//! Webhook (push notification) verification and signing.
//!
//! The Unified API posts the result of an order to the merchant's `pushUrl`
//! with two headers:
//!
//! ```text
//! X-VT-webhook-id: 01HG79DYJS6MJBN8BRS0HAQ38X
//! X-VT-Content-hmac: h=HmacSHA512;s={merchant CCID};v={hmacString}
//! ```
//!
//! A forged "payment succeeded" is the most expensive bug a payment library can
//! have, so a webhook body must never be trusted before [`WebhookVerifier`] has
//! checked `v=` over the **raw bytes** of the body (never a re-serialized JSON
//! value: any re-serialization changes the bytes and hence the MAC).
//!
//! # Why there is a choice of scheme
//!
//! The reference says `{hmacString}` is the "HmacSHA512" hash of the
//! concatenation *merchant CCID ‖ request body ‖ merchant authentication key*,
//! but an HMAC needs a key besides its message, and the reference does not say
//! which bytes key it (the concatenation already contains the authentication
//! key). [`WebhookScheme`] names the plausible readings:
//!
//! - [`WebhookScheme::Literal`] (`literal`, the default): HMAC-SHA512 keyed with
//!   the authentication key's UTF-8 bytes over `CCID ‖ body ‖ key`, hex.
//! - [`WebhookScheme::HexKey`] (`hex-key`): the same message, keyed with the
//!   hex-decoded authentication key (VeriTrans keys are hex strings).
//! - [`WebhookScheme::MdkBody`] (`mdk-body`): HMAC-SHA512 keyed with the
//!   hex-decoded key over the body alone: the construction of the older
//!   VeriTrans MDK (which used SHA-256; here SHA-512, as `h=` says).
//!
//! A merchant settles the question once: capture one real webhook from the
//! sandbox (headers and raw body) and run [`detect_scheme`] (or
//! `vt4g webhook detect-scheme` in the CLI) on it; then configure the scheme it
//! reports. All three are equally strong; only one matches what VeriTrans sends.
//!
//! # Example
//!
//! ```
//! use vt4g::webhook::{sign_webhook, WebhookScheme, WebhookVerifier};
//! use vt4g::Secret;
//!
//! let key = Secret::new("0123456789abcdef0123456789abcdef");
//! let body = br#"{"result":{"status":"success"}}"#;
//! // What the Unified API (or the simulator) sends:
//! let header = sign_webhook(WebhookScheme::Literal, "MyCcid", &key, body)?;
//!
//! // What the merchant does on receipt:
//! let verifier = WebhookVerifier::new("MyCcid", key, WebhookScheme::Literal)?;
//! let event = verifier.verify(&header, "01HG79DYJS6MJBN8BRS0HAQ38X", body)?;
//! assert_eq!(event.webhook_id, "01HG79DYJS6MJBN8BRS0HAQ38X");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod header;
pub(crate) mod hex;

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;

use crate::Secret;

pub use header::{ContentHmac, HeaderError, ALGORITHM, MAC_LEN, MAX_HEADER_LEN};

/// Name of the header carrying the MAC (compare case-insensitively).
pub const HEADER_CONTENT_HMAC: &str = "X-VT-Content-hmac";
/// Name of the header carrying the notification id (compare case-insensitively).
pub const HEADER_WEBHOOK_ID: &str = "X-VT-webhook-id";
/// Default largest body accepted by [`WebhookVerifier`] (256 KiB), checked
/// before any hashing.
pub const DEFAULT_MAX_BODY_SIZE: usize = 256 * 1024;
/// Longest `X-VT-webhook-id` accepted. The reference gives no limit; its example
/// is a 26-character ULID.
pub const MAX_WEBHOOK_ID_LEN: usize = 128;

/// The decoded webhook body: the generated type of the `Webhook` request body
/// (every field optional, unknown fields ignored, so that a provider-specific
/// field does not fail the decode). Use [`WebhookVerifier::verify_as`] to
/// decode into a type of your own (e.g. `serde_json::Value`).
pub type WebhookPayload = vt4g_generated::types::WebhookPayload;

type HmacSha512 = Hmac<Sha512>;

/// Which bytes key the HMAC and which bytes it covers (see the [module
/// docs](self) for why there is a choice).
///
/// The stable names (used by the CLI and in configuration files) are
/// `literal`, `hex-key` and `mdk-body`.
///
/// ```
/// use vt4g::webhook::WebhookScheme;
/// assert_eq!(WebhookScheme::default(), WebhookScheme::Literal);
/// assert_eq!("hex-key".parse::<WebhookScheme>()?, WebhookScheme::HexKey);
/// assert_eq!(WebhookScheme::MdkBody.to_string(), "mdk-body");
/// # Ok::<(), vt4g::webhook::UnknownScheme>(())
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum WebhookScheme {
    /// HMAC-SHA512, key = the authentication key's UTF-8 bytes,
    /// message = `CCID ‖ body ‖ authentication key`. The literal reading of the
    /// reference, hence the default.
    #[default]
    Literal,
    /// HMAC-SHA512, key = the hex-decoded authentication key,
    /// message = `CCID ‖ body ‖ authentication key` (the key as text).
    HexKey,
    /// HMAC-SHA512, key = the hex-decoded authentication key, message = the
    /// body alone (the older VeriTrans MDK construction, with SHA-512).
    MdkBody,
}

impl WebhookScheme {
    /// Every scheme, in the order [`detect_scheme`] reports them.
    pub const ALL: [WebhookScheme; 3] = [
        WebhookScheme::Literal,
        WebhookScheme::HexKey,
        WebhookScheme::MdkBody,
    ];

    /// The stable name: `literal`, `hex-key` or `mdk-body`.
    pub const fn name(self) -> &'static str {
        match self {
            WebhookScheme::Literal => "literal",
            WebhookScheme::HexKey => "hex-key",
            WebhookScheme::MdkBody => "mdk-body",
        }
    }

    /// `true` when the scheme keys the HMAC with the hex-decoded key (so the
    /// authentication key must be hexadecimal).
    pub const fn needs_hex_key(self) -> bool {
        !matches!(self, WebhookScheme::Literal)
    }

    /// The HMAC state keyed for this scheme.
    fn keyed(self, key: &Secret) -> Result<HmacSha512, ConfigError> {
        if key.is_empty() {
            return Err(ConfigError::EmptyKey);
        }
        let mac = if self.needs_hex_key() {
            let raw = hex::decode_vec(key.expose().as_bytes())
                .ok_or(ConfigError::KeyNotHex { scheme: self })?;
            HmacSha512::new_from_slice(&raw)
        } else {
            HmacSha512::new_from_slice(key.expose().as_bytes())
        };
        // HMAC accepts keys of every length; keep the error path anyway.
        mac.map_err(|_| ConfigError::EmptyKey)
    }

    /// Runs the message part of the scheme on an already keyed state.
    fn finish(self, mut mac: HmacSha512, ccid: &str, body: &[u8], key: &Secret) -> HmacSha512 {
        match self {
            WebhookScheme::Literal | WebhookScheme::HexKey => {
                mac.update(ccid.as_bytes());
                mac.update(body);
                mac.update(key.expose().as_bytes());
            }
            WebhookScheme::MdkBody => mac.update(body),
        }
        mac
    }
}

impl fmt::Display for WebhookScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scheme name other than `literal`, `hex-key` and `mdk-body`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown webhook scheme {0:?} (expected literal, hex-key or mdk-body)")]
pub struct UnknownScheme(pub String);

impl FromStr for WebhookScheme {
    type Err = UnknownScheme;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WebhookScheme::ALL
            .into_iter()
            .find(|scheme| scheme.name() == s)
            .ok_or_else(|| UnknownScheme(s.chars().take(32).collect()))
    }
}

/// A configuration mistake: the CCID or key cannot be used with the scheme.
/// The messages never contain the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The merchant authentication key is empty.
    #[error("the merchant authentication key is empty")]
    EmptyKey,
    /// The scheme keys the HMAC with the hex-decoded key, and the key is not hex.
    #[error(
        "the merchant authentication key is not hexadecimal, which the {scheme} scheme requires"
    )]
    KeyNotHex {
        /// The scheme that was asked for.
        scheme: WebhookScheme,
    },
    /// The merchant CCID is empty, or contains `;` or characters that are not
    /// visible ASCII (it could not appear in the header).
    #[error("the merchant CCID is empty or not visible ASCII without ';'")]
    BadCcid,
}

/// Why a webhook was rejected. `Display` never contains the authentication key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is absent.
    #[error("webhook header {0} is missing")]
    MissingHeader(&'static str),
    /// A header that must appear once appears more than once.
    #[error("webhook header {0} appears more than once")]
    RepeatedHeader(&'static str),
    /// `X-VT-Content-hmac` is malformed.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// `s=` names a merchant CCID other than the configured one.
    #[error("X-VT-Content-hmac s= names another merchant CCID ({0:?})")]
    CcidMismatch(String),
    /// `X-VT-webhook-id` is empty, too long or not `[A-Za-z0-9_-]+`.
    #[error("X-VT-webhook-id is empty, longer than {MAX_WEBHOOK_ID_LEN} or not [A-Za-z0-9_-]")]
    InvalidWebhookId,
    /// The body is larger than the configured limit (checked before hashing).
    #[error("webhook body of {len} bytes exceeds the limit of {max} bytes")]
    BodyTooLarge {
        /// Length of the body received.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The MAC does not match: the body or header was tampered with, or the
    /// key or scheme is wrong.
    #[error("webhook signature does not match")]
    SignatureMismatch,
    /// The signature is valid but the body does not decode into the payload
    /// type (the sender is genuine; our type or the body shape is wrong).
    #[error("webhook {webhook_id} is genuine but its body does not decode: {source}")]
    Decode {
        /// The (validated) `X-VT-webhook-id`.
        webhook_id: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
}

impl WebhookError {
    /// `true` for the errors that mean "not from VeriTrans or tampered with"
    /// (everything but [`WebhookError::Decode`]): a receiver answers these with
    /// a 4xx and records nothing.
    pub fn is_authentication_failure(&self) -> bool {
        !matches!(self, WebhookError::Decode { .. })
    }
}

/// A webhook whose signature was verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedWebhook<T = WebhookPayload> {
    /// The `X-VT-webhook-id` (validated `[A-Za-z0-9_-]{1,128}`): the key for
    /// redelivery de-duplication.
    pub webhook_id: String,
    /// The decoded body.
    pub payload: T,
}

/// Checks `X-VT-webhook-id`: 1 to [`MAX_WEBHOOK_ID_LEN`] characters of
/// `[A-Za-z0-9_-]` (the reference: "single byte alphanumeric characters and
/// symbols … hyphen (-) and underscore (_)").
///
/// ```
/// use vt4g::webhook::is_valid_webhook_id;
/// assert!(is_valid_webhook_id("01HG79DYJS6MJBN8BRS0HAQ38X"));
/// assert!(!is_valid_webhook_id("a b"));
/// assert!(!is_valid_webhook_id(""));
/// ```
pub fn is_valid_webhook_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_WEBHOOK_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_ccid(ccid: &str) -> Result<(), ConfigError> {
    if ccid.is_empty() || !ccid.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b';') {
        return Err(ConfigError::BadCcid);
    }
    Ok(())
}

/// Computes the HMAC of `raw_body` under `scheme` and returns the full
/// `X-VT-Content-hmac` header value, `h=HmacSHA512;s={ccid};v={lower-case hex}`.
///
/// This is what the Unified API sends; the simulator (`vt4g-sandbox`) and tests
/// use it.
///
/// ```
/// use vt4g::webhook::{sign_webhook, WebhookScheme};
/// let header = sign_webhook(WebhookScheme::Literal, "sampleCcId", &"sampleKey".into(), b"{}")?;
/// assert!(header.starts_with("h=HmacSHA512;s=sampleCcId;v="));
/// assert_eq!(header.len(), "h=HmacSHA512;s=sampleCcId;v=".len() + 128);
/// # Ok::<(), vt4g::webhook::ConfigError>(())
/// ```
///
/// # Errors
/// [`ConfigError`] when the key is empty, the scheme needs a hex key and the
/// key is not hex, or the CCID is empty or could not appear in the header.
pub fn sign_webhook(
    scheme: WebhookScheme,
    ccid: &str,
    key: &Secret,
    raw_body: &[u8],
) -> Result<String, ConfigError> {
    check_ccid(ccid)?;
    let mac = scheme.finish(scheme.keyed(key)?, ccid, raw_body, key);
    let tag = hex::encode_lower(&mac.finalize().into_bytes());
    Ok(format!("h={ALGORITHM};s={ccid};v={tag}"))
}

/// Says which schemes verify a captured webhook: run it once on a real sandbox
/// webhook (its `X-VT-Content-hmac` value and the raw body bytes, exactly as
/// received) and configure the scheme it returns.
///
/// An empty result means none matches: the header is malformed, names another
/// CCID, the key is wrong, or the body was altered on the way (e.g. by a proxy
/// or a framework that re-serialized the JSON). Schemes that need a hex key are
/// skipped when the key is not hex.
///
/// ```
/// use vt4g::webhook::{detect_scheme, sign_webhook, WebhookScheme};
/// use vt4g::Secret;
/// let key = Secret::new("00ff00ff");
/// let body = br#"{"result":{}}"#;
/// let header = sign_webhook(WebhookScheme::HexKey, "cc", &key, body)?;
/// assert_eq!(detect_scheme("cc", &key, &header, body), vec![WebhookScheme::HexKey]);
/// # Ok::<(), vt4g::webhook::ConfigError>(())
/// ```
pub fn detect_scheme(
    ccid: &str,
    key: &Secret,
    header_value: &str,
    raw_body: &[u8],
) -> Vec<WebhookScheme> {
    let Ok(parsed) = ContentHmac::parse(header_value) else {
        return Vec::new();
    };
    if parsed.ccid != ccid {
        return Vec::new();
    }
    WebhookScheme::ALL
        .into_iter()
        .filter(|scheme| match scheme.keyed(key) {
            Ok(keyed) => scheme
                .finish(keyed, ccid, raw_body, key)
                .verify_slice(&parsed.mac)
                .is_ok(),
            Err(_) => false,
        })
        .collect()
}

/// Verifies incoming webhooks for one merchant (CCID, authentication key,
/// scheme) and decodes them.
///
/// The keyed HMAC state is prepared once in [`WebhookVerifier::new`]; each
/// verification clones it. `Debug` shows the CCID and scheme only.
#[derive(Clone)]
pub struct WebhookVerifier {
    ccid: String,
    key: Secret,
    scheme: WebhookScheme,
    keyed: HmacSha512,
    max_body_size: usize,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("ccid", &self.ccid)
            .field("key", &self.key)
            .field("scheme", &self.scheme)
            .field("max_body_size", &self.max_body_size)
            .finish_non_exhaustive()
    }
}

impl WebhookVerifier {
    /// A verifier for the merchant `ccid` with authentication key `key`, using
    /// `scheme`, accepting bodies up to [`DEFAULT_MAX_BODY_SIZE`].
    ///
    /// # Errors
    /// [`ConfigError`] when the key is empty, the scheme needs a hex key and
    /// the key is not hex, or the CCID is empty or not visible ASCII without `;`.
    pub fn new(
        ccid: impl Into<String>,
        key: Secret,
        scheme: WebhookScheme,
    ) -> Result<Self, ConfigError> {
        let ccid = ccid.into();
        check_ccid(&ccid)?;
        let keyed = scheme.keyed(&key)?;
        Ok(WebhookVerifier {
            ccid,
            key,
            scheme,
            keyed,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        })
    }

    /// Sets the largest body accepted (checked before hashing).
    #[must_use]
    pub fn with_max_body_size(mut self, max: usize) -> Self {
        self.max_body_size = max;
        self
    }

    /// The configured merchant CCID.
    pub fn ccid(&self) -> &str {
        &self.ccid
    }

    /// The configured scheme.
    pub fn scheme(&self) -> WebhookScheme {
        self.scheme
    }

    /// The configured body size limit.
    pub fn max_body_size(&self) -> usize {
        self.max_body_size
    }

    /// Checks the webhook id, the body size, the header and the MAC (constant
    /// time, over the raw bytes), without decoding the body.
    ///
    /// # Errors
    /// Any [`WebhookError`] but [`WebhookError::Decode`].
    pub fn verify_signature(
        &self,
        content_hmac: &str,
        webhook_id: &str,
        raw_body: &[u8],
    ) -> Result<(), WebhookError> {
        if !is_valid_webhook_id(webhook_id) {
            return Err(WebhookError::InvalidWebhookId);
        }
        if raw_body.len() > self.max_body_size {
            return Err(WebhookError::BodyTooLarge {
                len: raw_body.len(),
                max: self.max_body_size,
            });
        }
        let parsed = ContentHmac::parse(content_hmac)?;
        if parsed.ccid != self.ccid {
            return Err(WebhookError::CcidMismatch(
                parsed.ccid.chars().take(32).collect(),
            ));
        }
        self.scheme
            .finish(self.keyed.clone(), &self.ccid, raw_body, &self.key)
            .verify_slice(&parsed.mac)
            .map_err(|_| WebhookError::SignatureMismatch)
    }

    /// Verifies the webhook (see [`WebhookVerifier::verify_signature`]) and
    /// decodes the body into [`WebhookPayload`].
    ///
    /// `content_hmac` is the value of `X-VT-Content-hmac`, `webhook_id` that of
    /// `X-VT-webhook-id`, `raw_body` the body bytes exactly as received.
    ///
    /// # Errors
    /// [`WebhookError`]: every variant but `Decode` means the webhook is not
    /// authentic (answer 4xx); `Decode` means it is authentic but not decodable.
    pub fn verify(
        &self,
        content_hmac: &str,
        webhook_id: &str,
        raw_body: &[u8],
    ) -> Result<VerifiedWebhook, WebhookError> {
        self.verify_as(content_hmac, webhook_id, raw_body)
    }

    /// Like [`WebhookVerifier::verify`], decoding the body into `T`.
    ///
    /// # Errors
    /// As [`WebhookVerifier::verify`].
    pub fn verify_as<T: serde::de::DeserializeOwned>(
        &self,
        content_hmac: &str,
        webhook_id: &str,
        raw_body: &[u8],
    ) -> Result<VerifiedWebhook<T>, WebhookError> {
        self.verify_signature(content_hmac, webhook_id, raw_body)?;
        match serde_json::from_slice(raw_body) {
            Ok(payload) => Ok(VerifiedWebhook {
                webhook_id: webhook_id.to_owned(),
                payload,
            }),
            Err(source) => Err(WebhookError::Decode {
                webhook_id: webhook_id.to_owned(),
                source,
            }),
        }
    }

    /// Like [`WebhookVerifier::verify`], taking the request headers as
    /// `(name, value)` pairs (names compared case-insensitively), e.g. from
    /// `http::HeaderMap::iter()` mapped to `(name.as_str(), value.as_bytes())`.
    ///
    /// # Errors
    /// As [`WebhookVerifier::verify`], plus [`WebhookError::MissingHeader`] and
    /// [`WebhookError::RepeatedHeader`] for `X-VT-Content-hmac` and
    /// `X-VT-webhook-id`.
    pub fn verify_headers<'h, I>(
        &self,
        headers: I,
        raw_body: &[u8],
    ) -> Result<VerifiedWebhook, WebhookError>
    where
        I: IntoIterator<Item = (&'h str, &'h [u8])>,
    {
        let (content_hmac, webhook_id) = find_headers(headers)?;
        self.verify(content_hmac, webhook_id, raw_body)
    }
}

/// Picks `X-VT-Content-hmac` and `X-VT-webhook-id` out of `(name, value)` pairs.
///
/// # Errors
/// Missing or repeated header; a value that is not UTF-8 (reported as
/// [`HeaderError::NotAscii`] or [`WebhookError::InvalidWebhookId`]).
pub fn find_headers<'h, I>(headers: I) -> Result<(&'h str, &'h str), WebhookError>
where
    I: IntoIterator<Item = (&'h str, &'h [u8])>,
{
    let mut hmac: Option<&'h [u8]> = None;
    let mut id: Option<&'h [u8]> = None;
    for (name, value) in headers {
        let slot = if name.eq_ignore_ascii_case(HEADER_CONTENT_HMAC) {
            (&mut hmac, HEADER_CONTENT_HMAC)
        } else if name.eq_ignore_ascii_case(HEADER_WEBHOOK_ID) {
            (&mut id, HEADER_WEBHOOK_ID)
        } else {
            continue;
        };
        if slot.0.is_some() {
            return Err(WebhookError::RepeatedHeader(slot.1));
        }
        *slot.0 = Some(value);
    }
    let hmac = hmac.ok_or(WebhookError::MissingHeader(HEADER_CONTENT_HMAC))?;
    let id = id.ok_or(WebhookError::MissingHeader(HEADER_WEBHOOK_ID))?;
    let hmac = std::str::from_utf8(hmac).map_err(|_| HeaderError::NotAscii)?;
    let id = std::str::from_utf8(id).map_err(|_| WebhookError::InvalidWebhookId)?;
    Ok((hmac, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn literal_scheme_matches_an_independent_computation() {
        // HMAC-SHA512(key = "sampleKey", msg = "sampleCcId" ‖ body ‖ "sampleKey").
        let body = br#"{"a":1}"#;
        let header = sign_webhook(
            WebhookScheme::Literal,
            "sampleCcId",
            &"sampleKey".into(),
            body,
        )
        .unwrap();
        let mut mac = HmacSha512::new_from_slice(b"sampleKey").unwrap();
        mac.update(b"sampleCcId{\"a\":1}sampleKey");
        let want = hex::encode_lower(&mac.finalize().into_bytes());
        assert_eq!(header, format!("h=HmacSHA512;s=sampleCcId;v={want}"));
    }

    #[test]
    fn hmac_sha512_known_answer() {
        // RFC 4231 test case 2.
        let mut mac = HmacSha512::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode_lower(&mac.finalize().into_bytes()),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
             9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
    }

    #[test]
    fn each_scheme_verifies_only_itself() {
        let key = Secret::new(KEY);
        let body = br#"{"result":{"status":"success"}}"#;
        for scheme in WebhookScheme::ALL {
            let header = sign_webhook(scheme, "cc", &key, body).unwrap();
            assert_eq!(detect_scheme("cc", &key, &header, body), vec![scheme]);
            for other in WebhookScheme::ALL {
                let v = WebhookVerifier::new("cc", key.clone(), other).unwrap();
                let r = v.verify(&header, "id-1", body);
                assert_eq!(r.is_ok(), other == scheme, "{scheme} vs {other}");
            }
        }
    }

    #[test]
    fn config_errors_never_show_the_key() {
        let key = Secret::new("not-hex-SECRETVALUE");
        let e = WebhookVerifier::new("cc", key.clone(), WebhookScheme::HexKey).unwrap_err();
        assert_eq!(
            e,
            ConfigError::KeyNotHex {
                scheme: WebhookScheme::HexKey
            }
        );
        assert!(!e.to_string().contains("SECRETVALUE"));
        let v = WebhookVerifier::new("cc", key, WebhookScheme::Literal).unwrap();
        assert!(!format!("{v:?}").contains("SECRETVALUE"));
        assert_eq!(
            WebhookVerifier::new("", Secret::new(KEY), WebhookScheme::Literal).unwrap_err(),
            ConfigError::BadCcid
        );
        assert_eq!(
            WebhookVerifier::new("a;b", Secret::new(KEY), WebhookScheme::Literal).unwrap_err(),
            ConfigError::BadCcid
        );
        assert_eq!(
            sign_webhook(WebhookScheme::Literal, "cc", &Secret::new(""), b"").unwrap_err(),
            ConfigError::EmptyKey
        );
    }

    #[test]
    fn scheme_names_round_trip() {
        for s in WebhookScheme::ALL {
            assert_eq!(s.name().parse::<WebhookScheme>().unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.name())
            );
        }
        assert!("Literal".parse::<WebhookScheme>().is_err());
    }
}
