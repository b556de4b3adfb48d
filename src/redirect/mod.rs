//! Verification (and signing) of the redirect back to the merchant's
//! completion page.
//!
//! After the consumer pays, the Unified API redirects the browser to the
//! merchant's `successUrl` / `cancelUrl` / `errorUrl` with query parameters
//! (`status`, `actionCode`, `resultCode`, `command`, `paymentId`, `fepOrderId`,
//! `fepReferenceId`, `merchantRequestKey1/2`) plus two authentication
//! parameters:
//!
//! - `authParams`: Base64 of a comma-separated list of parameter names, e.g.
//!   `status,actionCode,resultCode,command,paymentId,fepOrderId,fepReferenceId,fepReferenceId,paymentId,…`
//!   (names may repeat; the order is not fixed).
//! - `vAuthInfo`: hex(SHA-512(merchant CCID ‖ the values of the listed
//!   parameters, in that order, repeats included ‖ merchant authentication
//!   key)), over UTF-8, without delimiters.
//!
//! The redirect passes through the consumer's browser, so nothing in it is
//! trusted before [`RedirectVerifier::verify`] succeeds, and even then the
//! redirect is only an overview: take amounts and final states from the webhook
//! or `getTransactionResult`.
//!
//! # Replay
//!
//! `vAuthInfo` proves that VeriTrans produced the parameters at some time, not
//! that they belong to *this* order: a consumer can replay the whole redirect
//! of an old successful order when a new order fails. The reference therefore
//! requires the merchant to check that `paymentId` is the one it set in the
//! payment request. [`RedirectVerifier::verify`] takes that expected
//! `paymentId` and rejects any other; pass the id you stored for the
//! consumer's session, never one taken from the redirect itself.
//!
//! # Decoding choices
//!
//! - Query strings are decoded as `application/x-www-form-urlencoded` (a `+`
//!   means a space), as web frameworks do; already-decoded pairs are accepted
//!   as they are.
//! - `authParams` is decoded as standard Base64 tolerating the MDK alphabet
//!   (`*`→`=`, `-`→`/`, `_`→`+`), missing padding, and a `+` that became a
//!   space in transit.
//! - Any parameter present twice is rejected (which value was signed would be
//!   ambiguous); a name listed in `authParams` but absent is rejected; a typed
//!   field (`status`, `paymentId`, …) present but not listed in `authParams` is
//!   rejected (it would be unauthenticated). `status`, `actionCode`,
//!   `resultCode`, `command` and `paymentId` are required; the others are
//!   optional. Other, unlisted parameters are ignored (never returned).
//!
//! # Example
//!
//! ```
//! use vt4g::redirect::{sign_redirect, RedirectVerifier};
//! use vt4g::result_code::Status;
//! use vt4g::Secret;
//!
//! let key = Secret::new("sampleKey");
//! let params = [
//!     ("status", "success"), ("actionCode", "success"), ("resultCode", "UA-000-001"),
//!     ("command", "pay"), ("paymentId", "paymentId_1234567890"),
//! ];
//! let order = ["status", "actionCode", "resultCode", "command", "paymentId", "paymentId"];
//! let query = sign_redirect("sampleCcId", &key, &params, &order)?;
//! let url = format!("https://shop.example/done?{query}");
//!
//! let verifier = RedirectVerifier::new("sampleCcId", key)?;
//! let redirect = verifier.verify(url.as_str(), "paymentId_1234567890")?;
//! assert_eq!(redirect.status, Status::Success);
//! assert!(verifier.verify(url.as_str(), "another_order").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use crate::result_code::{ActionCode, ResultCode, Status};
use crate::webhook::hex;
use crate::webhook::ConfigError;
use crate::Secret;

/// Name of the parameter carrying the hash.
pub const V_AUTH_INFO: &str = "vAuthInfo";
/// Name of the parameter carrying the Base64 list of signed names.
pub const AUTH_PARAMS: &str = "authParams";
/// Longest `authParams` accepted (the reference: "<= 4000 characters").
pub const MAX_AUTH_PARAMS_LEN: usize = 4000;

/// Standard Base64 decoding that accepts padded and unpadded input.
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a redirect was rejected. `Display` never contains the authentication
/// key; names taken from the request are shortened and escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// The input looked like a URL and did not parse as one.
    #[error("redirect URL does not parse")]
    InvalidUrl,
    /// A parameter appears more than once.
    #[error("redirect parameter {0:?} appears more than once")]
    RepeatedParameter(String),
    /// A required parameter, or one listed in `authParams`, is absent.
    #[error("redirect parameter {0:?} is missing")]
    MissingParameter(String),
    /// `authParams` is not Base64 of a UTF-8, comma-separated list of non-empty
    /// names, lists `vAuthInfo`, or is longer than [`MAX_AUTH_PARAMS_LEN`].
    #[error("redirect authParams is malformed: {0}")]
    MalformedAuthParams(&'static str),
    /// `vAuthInfo` is not 128 hex digits.
    #[error("redirect vAuthInfo is not 128 hex digits")]
    MalformedAuthInfo,
    /// `vAuthInfo` does not match: the parameters were tampered with, or the
    /// CCID or key is wrong.
    #[error("redirect vAuthInfo does not match")]
    SignatureMismatch,
    /// A typed field is present but not covered by `authParams`.
    #[error("redirect parameter {0:?} is not covered by authParams")]
    UncoveredParameter(&'static str),
    /// A required typed field is empty.
    #[error("redirect parameter {0:?} is empty")]
    EmptyParameter(&'static str),
    /// The signed `paymentId` is not the one the merchant expects (a replayed
    /// redirect of another order).
    #[error("redirect paymentId {actual:?} is not the expected {expected:?}")]
    PaymentIdMismatch {
        /// The paymentId the merchant passed.
        expected: String,
        /// The (signed) paymentId in the redirect.
        actual: String,
    },
    /// Signing: a parameter named in the order is not among the parameters, or
    /// the parameters contain `vAuthInfo` or `authParams`.
    #[error("cannot sign the redirect: {0}")]
    Sign(String),
    /// The CCID or key is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn excerpt(s: &str) -> String {
    const MAX: usize = 32;
    let mut out: String = s.chars().take(MAX).flat_map(char::escape_default).collect();
    if s.chars().count() > MAX {
        out.push('…');
    }
    out
}

/// Decoded redirect parameters, in the order received.
///
/// ```
/// use vt4g::redirect::RedirectParams;
/// let p = RedirectParams::parse("https://shop.example/done?status=success&paymentId=p%5F1")?;
/// assert_eq!(p.get("paymentId")?, Some("p_1"));
/// assert_eq!(RedirectParams::from_query("?a=1&b=x+y").get("b")?, Some("x y"));
/// # Ok::<(), vt4g::redirect::RedirectError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectParams {
    pairs: Vec<(String, String)>,
}

impl RedirectParams {
    /// Parses a full URL (the query part is used), a path with a query
    /// (`/done?status=…`, as in an HTTP request line; the part after the first
    /// `?`, without any `#fragment`), or a query string with or without the
    /// leading `?`.
    ///
    /// # Errors
    /// [`RedirectError::InvalidUrl`] when `input` contains `://` and does not
    /// parse as a URL.
    pub fn parse(input: &str) -> Result<Self, RedirectError> {
        if input.contains("://") {
            Self::from_url(input)
        } else if input.starts_with('/') {
            let query = input.split_once('?').map_or("", |(_, q)| q);
            let query = query.split_once('#').map_or(query, |(q, _)| q);
            Ok(Self::from_query(query))
        } else {
            Ok(Self::from_query(input))
        }
    }

    /// The query parameters of a full URL.
    ///
    /// # Errors
    /// [`RedirectError::InvalidUrl`] when `url` does not parse.
    pub fn from_url(url: &str) -> Result<Self, RedirectError> {
        let url = url::Url::parse(url).map_err(|_| RedirectError::InvalidUrl)?;
        Ok(Self::from_query(url.query().unwrap_or("")))
    }

    /// A form-urlencoded query string, with or without the leading `?`.
    pub fn from_query(query: &str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        RedirectParams {
            pairs: url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// Already-decoded `(name, value)` pairs (e.g. from a web framework).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        RedirectParams {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The pairs, in the order received.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of `name`, if present once.
    ///
    /// # Errors
    /// [`RedirectError::RepeatedParameter`] when `name` appears more than once.
    pub fn get(&self, name: &str) -> Result<Option<&str>, RedirectError> {
        let mut found = None;
        for (k, v) in &self.pairs {
            if k == name {
                if found.is_some() {
                    return Err(RedirectError::RepeatedParameter(excerpt(name)));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found)
    }

    fn first_repeated(&self) -> Option<&str> {
        let mut names: Vec<&str> = self.pairs.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for RedirectParams {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::from_pairs(iter)
    }
}

/// What [`RedirectVerifier::verify`] accepts: a full URL, a path with a
/// query, a query string, or decoded parameters. A `&str` is read as
/// [`RedirectParams::parse`] reads it.
#[derive(Debug, Clone)]
pub enum RedirectInput<'a> {
    /// A full URL.
    Url(&'a str),
    /// A query string, with or without the leading `?`.
    Query(&'a str),
    /// Decoded parameters.
    Params(Cow<'a, RedirectParams>),
}

impl<'a> From<&'a str> for RedirectInput<'a> {
    fn from(s: &'a str) -> Self {
        if s.contains("://") {
            RedirectInput::Url(s)
        } else if s.starts_with('/') {
            let query = s.split_once('?').map_or("", |(_, q)| q);
            RedirectInput::Query(query.split_once('#').map_or(query, |(q, _)| q))
        } else {
            RedirectInput::Query(s)
        }
    }
}

impl<'a> From<&'a String> for RedirectInput<'a> {
    fn from(s: &'a String) -> Self {
        RedirectInput::from(s.as_str())
    }
}

impl<'a> From<&'a RedirectParams> for RedirectInput<'a> {
    fn from(p: &'a RedirectParams) -> Self {
        RedirectInput::Params(Cow::Borrowed(p))
    }
}

impl From<RedirectParams> for RedirectInput<'_> {
    fn from(p: RedirectParams) -> Self {
        RedirectInput::Params(Cow::Owned(p))
    }
}

impl<'a> From<&'a [(String, String)]> for RedirectInput<'a> {
    fn from(p: &'a [(String, String)]) -> Self {
        RedirectInput::Params(Cow::Owned(RedirectParams::from_pairs(p.iter().cloned())))
    }
}

impl<'a> From<&'a [(&'a str, &'a str)]> for RedirectInput<'a> {
    fn from(p: &'a [(&'a str, &'a str)]) -> Self {
        RedirectInput::Params(Cow::Owned(RedirectParams::from_pairs(p.iter().copied())))
    }
}

impl<'a> RedirectInput<'a> {
    fn into_params(self) -> Result<Cow<'a, RedirectParams>, RedirectError> {
        Ok(match self {
            RedirectInput::Url(u) => Cow::Owned(RedirectParams::from_url(u)?),
            RedirectInput::Query(q) => Cow::Owned(RedirectParams::from_query(q)),
            RedirectInput::Params(p) => p,
        })
    }
}

/// A redirect whose `vAuthInfo` and `paymentId` were verified. Every field
/// comes from a parameter covered by `authParams`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRedirect {
    /// `status` (an overview only: confirm with the webhook or
    /// `getTransactionResult`).
    pub status: Status,
    /// `actionCode`.
    pub action_code: ActionCode,
    /// `resultCode`.
    pub result_code: ResultCode,
    /// `command` (the command that induced the redirect, e.g. `pay`).
    pub command: String,
    /// `paymentId` (equal to the expected one).
    pub payment_id: String,
    /// `fepOrderId`, when sent.
    pub fep_order_id: Option<String>,
    /// `fepReferenceId`, when sent.
    pub fep_reference_id: Option<String>,
    /// `merchantRequestKey1`, when it was set in the request.
    pub merchant_request_key1: Option<String>,
    /// `merchantRequestKey2`, when it was set in the request.
    pub merchant_request_key2: Option<String>,
}

/// Decodes `authParams` into the list of names.
///
/// Accepts standard Base64 with or without padding, the MDK alphabet
/// (`*`→`=`, `-`→`/`, `_`→`+`) and spaces that were `+` before a
/// form-urlencoded decode.
///
/// ```
/// use vt4g::redirect::decode_auth_params;
/// // "status,paymentId" in standard Base64, then with MDK characters and no padding.
/// assert_eq!(decode_auth_params("c3RhdHVzLHBheW1lbnRJZA==")?, ["status", "paymentId"]);
/// assert_eq!(decode_auth_params("c3RhdHVzLHBheW1lbnRJZA**")?, ["status", "paymentId"]);
/// assert_eq!(decode_auth_params("c3RhdHVzLHBheW1lbnRJZA")?, ["status", "paymentId"]);
/// # Ok::<(), vt4g::redirect::RedirectError>(())
/// ```
///
/// # Errors
/// [`RedirectError::MalformedAuthParams`] when the value is too long, not
/// Base64, not UTF-8, has an empty name, or lists `vAuthInfo`.
pub fn decode_auth_params(value: &str) -> Result<Vec<String>, RedirectError> {
    if value.len() > MAX_AUTH_PARAMS_LEN {
        return Err(RedirectError::MalformedAuthParams("too long"));
    }
    let normalized: String = value
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' => '+',
            '-' => '/',
            '*' => '=',
            other => other,
        })
        .collect();
    let bytes = LENIENT_STANDARD
        .decode(normalized.as_bytes())
        .map_err(|_| RedirectError::MalformedAuthParams("not Base64"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| RedirectError::MalformedAuthParams("not UTF-8"))?;
    let names: Vec<String> = text.split(',').map(str::to_owned).collect();
    if names.iter().any(String::is_empty) {
        return Err(RedirectError::MalformedAuthParams("empty name"));
    }
    if names.iter().any(|n| n == V_AUTH_INFO) {
        return Err(RedirectError::MalformedAuthParams("lists vAuthInfo"));
    }
    Ok(names)
}

fn auth_info<'v>(ccid: &str, key: &Secret, values: impl IntoIterator<Item = &'v str>) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(ccid.as_bytes());
    for v in values {
        h.update(v.as_bytes());
    }
    h.update(key.expose().as_bytes());
    h.finalize().into()
}

fn check_credentials(ccid: &str, key: &Secret) -> Result<(), ConfigError> {
    if key.is_empty() {
        return Err(ConfigError::EmptyKey);
    }
    if ccid.is_empty() || ccid.chars().any(char::is_control) {
        return Err(ConfigError::BadCcid);
    }
    Ok(())
}

/// Builds the signed query string the Unified API appends to the merchant's
/// URL: the `params` in their order, then `authParams` (standard Base64 of
/// `order` joined with `,`) and `vAuthInfo`, form-urlencoded. `order` may
/// repeat names. Used by the simulator and tests.
///
/// ```
/// use vt4g::redirect::sign_redirect;
/// let q = sign_redirect("cc", &"key".into(), &[("status", "success")], &["status"])?;
/// assert!(q.starts_with("status=success&authParams=c3RhdHVz&vAuthInfo="));
/// # Ok::<(), vt4g::redirect::RedirectError>(())
/// ```
///
/// # Errors
/// [`RedirectError::Sign`] when a name of `order` is not in `params`, a name
/// of `params` repeats, or `params` contains `vAuthInfo` or `authParams`;
/// [`RedirectError::Config`] for an empty key or CCID.
pub fn sign_redirect(
    ccid: &str,
    key: &Secret,
    params: &[(&str, &str)],
    order: &[&str],
) -> Result<String, RedirectError> {
    check_credentials(ccid, key)?;
    let decoded = RedirectParams::from_pairs(params.iter().copied());
    if let Some(name) = decoded.first_repeated() {
        return Err(RedirectError::Sign(format!(
            "parameter {:?} repeats",
            excerpt(name)
        )));
    }
    if decoded.get(V_AUTH_INFO)?.is_some() || decoded.get(AUTH_PARAMS)?.is_some() {
        return Err(RedirectError::Sign(
            "parameters must not contain vAuthInfo or authParams".into(),
        ));
    }
    if order.is_empty() || order.iter().any(|n| n.is_empty() || n.contains(',')) {
        return Err(RedirectError::Sign(
            "order must be non-empty names without ','".into(),
        ));
    }
    let mut values = Vec::with_capacity(order.len());
    for name in order {
        let v = decoded.get(name)?.ok_or_else(|| {
            RedirectError::Sign(format!(
                "{:?} is in the order but not a parameter",
                excerpt(name)
            ))
        })?;
        values.push(v);
    }
    let v_auth_info = hex::encode_lower(&auth_info(ccid, key, values));
    let auth_params = base64::engine::general_purpose::STANDARD.encode(order.join(","));
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    out.extend_pairs(params.iter().copied());
    out.append_pair(AUTH_PARAMS, &auth_params);
    out.append_pair(V_AUTH_INFO, &v_auth_info);
    Ok(out.finish())
}

/// Verifies redirects for one merchant (CCID and authentication key).
/// `Debug` shows the CCID only.
#[derive(Clone)]
pub struct RedirectVerifier {
    ccid: String,
    key: Secret,
}

impl fmt::Debug for RedirectVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedirectVerifier")
            .field("ccid", &self.ccid)
            .field("key", &self.key)
            .finish()
    }
}

impl RedirectVerifier {
    /// A verifier for the merchant `ccid` with authentication key `key`.
    ///
    /// # Errors
    /// [`ConfigError`] when the key or CCID is empty (or the CCID has control
    /// characters).
    pub fn new(ccid: impl Into<String>, key: Secret) -> Result<Self, ConfigError> {
        let ccid = ccid.into();
        check_credentials(&ccid, &key)?;
        Ok(RedirectVerifier { ccid, key })
    }

    /// The configured merchant CCID.
    pub fn ccid(&self) -> &str {
        &self.ccid
    }

    /// Verifies `vAuthInfo` over the parameters listed by `authParams`
    /// (constant-time comparison, hex in either case), then that the signed
    /// `paymentId` equals `expected_payment_id`, and returns the typed result.
    ///
    /// `expected_payment_id` must be the paymentId the merchant set in the
    /// payment request for this consumer (e.g. stored in its session), never a
    /// value read from the redirect: a genuine redirect of an older successful
    /// order verifies too, and only this comparison detects its replay.
    ///
    /// # Errors
    /// [`RedirectError`]: URL that does not parse, a repeated parameter, a
    /// missing `vAuthInfo`/`authParams`/listed/required parameter, malformed
    /// `authParams` or `vAuthInfo`, a mismatching hash, a typed field not
    /// covered by `authParams`, an empty required field, or another paymentId.
    pub fn verify<'a>(
        &self,
        input: impl Into<RedirectInput<'a>>,
        expected_payment_id: &str,
    ) -> Result<VerifiedRedirect, RedirectError> {
        let params = input.into().into_params()?;
        if let Some(name) = params.first_repeated() {
            return Err(RedirectError::RepeatedParameter(excerpt(name)));
        }
        let v_auth_info = params
            .get(V_AUTH_INFO)?
            .ok_or_else(|| RedirectError::MissingParameter(V_AUTH_INFO.into()))?;
        let auth_params = params
            .get(AUTH_PARAMS)?
            .ok_or_else(|| RedirectError::MissingParameter(AUTH_PARAMS.into()))?;
        let claimed = hex::decode_fixed::<64>(v_auth_info.trim().as_bytes())
            .ok_or(RedirectError::MalformedAuthInfo)?;
        let names = decode_auth_params(auth_params)?;
        let mut values = Vec::with_capacity(names.len());
        for name in &names {
            let v = params
                .get(name)?
                .ok_or_else(|| RedirectError::MissingParameter(excerpt(name)))?;
            values.push(v);
        }
        let computed = auth_info(&self.ccid, &self.key, values);
        if !bool::from(computed.ct_eq(&claimed)) {
            return Err(RedirectError::SignatureMismatch);
        }

        let covered = |field: &'static str| -> Result<Option<String>, RedirectError> {
            match params.get(field)? {
                None => Ok(None),
                Some(_) if !names.iter().any(|n| n == field) => {
                    Err(RedirectError::UncoveredParameter(field))
                }
                Some(v) => Ok(Some(v.to_owned())),
            }
        };
        let required = |field: &'static str| -> Result<String, RedirectError> {
            let v = covered(field)?.ok_or_else(|| RedirectError::MissingParameter(field.into()))?;
            if v.is_empty() {
                return Err(RedirectError::EmptyParameter(field));
            }
            Ok(v)
        };
        let payment_id = required("paymentId")?;
        if payment_id != expected_payment_id {
            return Err(RedirectError::PaymentIdMismatch {
                expected: excerpt(expected_payment_id),
                actual: excerpt(&payment_id),
            });
        }
        Ok(VerifiedRedirect {
            status: Status::from_code(&required("status")?),
            action_code: ActionCode::from_code(&required("actionCode")?),
            result_code: ResultCode::from_code(&required("resultCode")?),
            command: required("command")?,
            payment_id,
            fep_order_id: covered("fepOrderId")?,
            fep_reference_id: covered("fepReferenceId")?,
            merchant_request_key1: covered("merchantRequestKey1")?,
            merchant_request_key2: covered("merchantRequestKey2")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: [(&str, &str); 7] = [
        ("status", "success"),
        ("actionCode", "success"),
        ("resultCode", "UA-000-001"),
        ("command", "pay"),
        ("paymentId", "paymentId_1234567890"),
        (
            "fepOrderId",
            "paymentId_1234567890_01AHK4HS7GFKHGKE7SGFJKTHIH",
        ),
        ("fepReferenceId", "X01AHK4HS7GFKHGKE7SGFJKTHIH"),
    ];
    /// The reference's example order, repeats included.
    const REF_ORDER: [&str; 14] = [
        "status",
        "actionCode",
        "resultCode",
        "command",
        "paymentId",
        "fepOrderId",
        "fepReferenceId",
        "fepReferenceId",
        "paymentId",
        "fepOrderId",
        "actionCode",
        "resultCode",
        "command",
        "status",
    ];

    fn verifier() -> RedirectVerifier {
        RedirectVerifier::new("sampleCcId", Secret::new("sampleKey")).unwrap()
    }

    #[test]
    fn hash_is_sha512_of_ccid_values_key() {
        let q = sign_redirect("sampleCcId", &"sampleKey".into(), &FULL, &REF_ORDER).unwrap();
        let p = RedirectParams::from_query(&q);
        let concat: String = std::iter::once("sampleCcId")
            .chain(REF_ORDER.iter().map(|n| p.get(n).unwrap().unwrap()))
            .chain(std::iter::once("sampleKey"))
            .collect();
        let want = hex::encode_lower(&Sha512::digest(concat.as_bytes()));
        assert_eq!(p.get(V_AUTH_INFO).unwrap(), Some(want.as_str()));
        let r = verifier()
            .verify(q.as_str(), "paymentId_1234567890")
            .unwrap();
        assert_eq!(r.result_code, ResultCode::Success);
        assert_eq!(r.action_code, ActionCode::Success);
        assert_eq!(r.command, "pay");
        assert_eq!(
            r.fep_reference_id.as_deref(),
            Some("X01AHK4HS7GFKHGKE7SGFJKTHIH")
        );
        assert_eq!(r.merchant_request_key1, None);
    }

    #[test]
    fn tolerated_encodings() {
        let q = sign_redirect("sampleCcId", &"sampleKey".into(), &FULL, &REF_ORDER).unwrap();
        let p = RedirectParams::from_query(&q);
        let auth = p.get(AUTH_PARAMS).unwrap().unwrap().to_owned();
        let vinfo = p.get(V_AUTH_INFO).unwrap().unwrap().to_owned();
        let rebuild = |auth: &str, vinfo: &str| -> RedirectParams {
            p.pairs()
                .iter()
                .map(|(k, v)| match k.as_str() {
                    AUTH_PARAMS => (k.clone(), auth.to_owned()),
                    V_AUTH_INFO => (k.clone(), vinfo.to_owned()),
                    _ => (k.clone(), v.clone()),
                })
                .collect()
        };
        let mdk: String = auth
            .chars()
            .map(|c| match c {
                '=' => '*',
                '/' => '-',
                '+' => '_',
                o => o,
            })
            .collect();
        for (a, v) in [
            (auth.clone(), vinfo.to_uppercase()),
            (auth.trim_end_matches('=').to_owned(), vinfo.clone()),
            (auth.replace('+', " "), vinfo.clone()),
            (mdk, vinfo.clone()),
        ] {
            verifier()
                .verify(rebuild(&a, &v), "paymentId_1234567890")
                .unwrap_or_else(|e| panic!("{a}: {e}"));
        }
        // As a path with a query (an HTTP request target).
        verifier()
            .verify(format!("/shop/done?{q}").as_str(), "paymentId_1234567890")
            .unwrap();
        // With a leading '?', and as a URL.
        verifier()
            .verify(format!("?{q}").as_str(), "paymentId_1234567890")
            .unwrap();
        verifier()
            .verify(
                format!("https://shop.example/ok?{q}#frag").as_str(),
                "paymentId_1234567890",
            )
            .unwrap();
    }

    #[test]
    fn rejections() {
        let v = verifier();
        let q = sign_redirect("sampleCcId", &"sampleKey".into(), &FULL, &REF_ORDER).unwrap();
        assert_eq!(
            v.verify(q.as_str(), "paymentId_other"),
            Err(RedirectError::PaymentIdMismatch {
                expected: "paymentId_other".into(),
                actual: "paymentId_1234567890".into()
            })
        );
        assert_eq!(
            v.verify(
                format!("{q}&status=failure").as_str(),
                "paymentId_1234567890"
            ),
            Err(RedirectError::RepeatedParameter("status".into()))
        );
        let without_cmd = q.replace("command=pay&", "");
        assert_eq!(
            v.verify(without_cmd.as_str(), "paymentId_1234567890"),
            Err(RedirectError::MissingParameter("command".into()))
        );
        let tampered = q.replace("status=success", "status=failure");
        assert_eq!(
            v.verify(tampered.as_str(), "paymentId_1234567890"),
            Err(RedirectError::SignatureMismatch)
        );
        // A typed field that is not signed.
        let partial = sign_redirect(
            "sampleCcId",
            &"sampleKey".into(),
            &FULL,
            &["actionCode", "resultCode", "command", "paymentId"],
        )
        .unwrap();
        assert_eq!(
            v.verify(partial.as_str(), "paymentId_1234567890"),
            Err(RedirectError::UncoveredParameter("status"))
        );
        assert_eq!(
            v.verify("status=success", "p"),
            Err(RedirectError::MissingParameter("vAuthInfo".into()))
        );
        assert_eq!(
            v.verify(
                format!("authParams=c3RhdHVz&vAuthInfo={}", "0".repeat(127)).as_str(),
                "p"
            ),
            Err(RedirectError::MalformedAuthInfo)
        );
        assert_eq!(
            v.verify(
                format!("authParams=%21%21&vAuthInfo={}", "0".repeat(128)).as_str(),
                "p"
            ),
            Err(RedirectError::MalformedAuthParams("not Base64"))
        );
        assert_eq!(v.verify("http://[", "p"), Err(RedirectError::InvalidUrl));
        // Other key.
        let other = RedirectVerifier::new("sampleCcId", Secret::new("otherKey")).unwrap();
        assert_eq!(
            other.verify(q.as_str(), "paymentId_1234567890"),
            Err(RedirectError::SignatureMismatch)
        );
    }

    #[test]
    fn signer_rejects_bad_input() {
        let key = Secret::new("k");
        assert!(matches!(
            sign_redirect("cc", &key, &[("a", "1")], &["b"]),
            Err(RedirectError::Sign(_))
        ));
        assert!(matches!(
            sign_redirect("cc", &key, &[("a", "1"), ("a", "2")], &["a"]),
            Err(RedirectError::Sign(_))
        ));
        assert!(matches!(
            sign_redirect("cc", &key, &[("vAuthInfo", "1")], &["vAuthInfo"]),
            Err(RedirectError::Sign(_))
        ));
        assert_eq!(
            sign_redirect("cc", &Secret::new(""), &[("a", "1")], &["a"]),
            Err(RedirectError::Config(ConfigError::EmptyKey))
        );
        let e = RedirectVerifier::new("cc", Secret::new("SECRETVALUE")).unwrap();
        assert!(!format!("{e:?}").contains("SECRETVALUE"));
    }
}
