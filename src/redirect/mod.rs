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
//! or [`confirm`] (getTransactionResult).
//!
//! # What the signature covers, and what it does not
//!
//! The hash covers the *values* only, concatenated with no separator, and
//! `authParams` itself is not hashed. So the signature binds a byte string,
//! not names to values: whoever holds a genuine redirect can re-cut the same
//! bytes into other values under another (or the same) list. From a genuine
//! redirect for `paymentId=order-123` (followed in the list by
//! `fepOrderId=order-123_01AHK…`) one can build `paymentId=order-12`,
//! `fepOrderId=3order-123_01AHK…` with the same `vAuthInfo`, or list an extra
//! `merchantRequestKey1=3` after `paymentId`. We cannot change what VeriTrans
//! signs; [`RedirectVerifier::verify`] therefore accepts a redirect only when
//! the received list and values are the one reading of the signed bytes:
//!
//! 1. `authParams` names only parameters of the reference's redirect section
//!    ([`RedirectParam`]); any other name is refused
//!    ([`RedirectError::UnknownAuthParam`]). `status`, `actionCode`,
//!    `resultCode`, `command` and `paymentId` must be listed, and by default
//!    `fepOrderId` and `fepReferenceId` too
//!    ([`RedirectVerifier::require_fep_ids`]: without `fepOrderId` in the
//!    list its bytes could be merged into `paymentId`).
//! 2. Every listed value has the narrowest syntax the reference allows
//!    ([`RedirectParam::accepts`]): closed vocabularies for `status`,
//!    `actionCode` and `command`, the fixed `XX-XXX-999` shape for
//!    `resultCode`, `A-Z a-z 0-9 - _` with the reference's lengths for the
//!    identifiers, printable ASCII for the merchant keys, none empty; and
//!    `fepOrderId` is `{paymentId}_{alphanumeric suffix}` as in the
//!    reference's example ([`FepOrderIdRule`], configurable).
//! 3. For every listed parameter, a search bounded in work (every candidate
//!    value it examines counts against a fixed budget) looks for another
//!    assignment of values to the received list (one value per name, repeats
//!    included, every syntax rule and the `fepOrderId` rule holding) that
//!    concatenates to the same signed bytes but gives that parameter another
//!    value. If one exists (or the search gives up), the value is not
//!    determined by the signature: a required parameter makes the redirect
//!    fail ([`RedirectError::AmbiguousValue`]); an optional one is returned
//!    as unverified ([`UnverifiedReason::Ambiguous`]).
//!
//! The shifted forms above fail rule 2 (`3order-123_…` does not start with
//! `order-12_`) or rule 3 (with `merchantRequestKey1=3` listed after
//! `paymentId`, `order-1` + `23` is another reading). The property test in
//! `tests/redirect_props.rs` builds every re-cut of a genuine redirect's
//! signed bytes under the genuine list and under lists with a known name
//! inserted, renamed or dropped, and checks that none verifies with values
//! other than the genuine ones.
//!
//! What a verified redirect proves: VeriTrans signed (with this merchant's
//! key) a byte string that the received list reads in exactly one way, and
//! the returned verified values are that reading. What it cannot prove:
//!
//! - that the redirect belongs to *this* consumer's order, or is recent: a
//!   genuine redirect of an old successful order replays verbatim (the
//!   reference: "it cannot identify cases where the entire redirect
//!   information from a past successful order is replaced"). Pass the
//!   paymentId you stored for the consumer's session as
//!   `expected_payment_id`, never one read from the redirect;
//! - that no *other* list reads the same bytes in another unique way: rule 3
//!   searches the received list only, and the list is chosen by whoever sends
//!   the redirect. The rules above make such lists hard to find (the tests
//!   try the natural ones), but the scheme itself does not exclude them;
//! - that the payment is final or its amount: `status=success` in a redirect
//!   is an overview. Before marking an order paid, call [`confirm`], which
//!   asks getTransactionResult.
//!
//! Known parameters that are present but not listed in `authParams` (the
//! reference's example list does not include `merchantRequestKey1/2`, which
//! are returned whenever they were set) are returned in
//! [`VerifiedRedirect::unverified`], never in the verified fields.
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
//!   ambiguous); a name listed in `authParams` but absent is rejected.
//!   Parameters that are not redirect parameters and not listed are ignored
//!   (never returned).
//!
//! # Example
//!
//! ```
//! use vt4g::redirect::{sign_redirect, RedirectParam, RedirectVerifier};
//! use vt4g::result_code::Status;
//! use vt4g::Secret;
//!
//! let key = Secret::new("sampleKey");
//! let params = [
//!     ("status", "success"), ("actionCode", "success"), ("resultCode", "UA-000-001"),
//!     ("command", "pay"), ("paymentId", "paymentId_1234567890"),
//!     ("fepOrderId", "paymentId_1234567890_01AHK4HS7GFKHGKE7SGFJKTHIH"),
//!     ("fepReferenceId", "X01AHK4HS7GFKHGKE7SGFJKTHIH"),
//!     ("merchantRequestKey1", "freeKey1"),
//! ];
//! // The reference's example order; merchantRequestKey1 is sent but not listed.
//! let order = [
//!     "status", "actionCode", "resultCode", "command", "paymentId", "fepOrderId",
//!     "fepReferenceId", "fepReferenceId", "paymentId", "fepOrderId", "actionCode",
//!     "resultCode", "command", "status",
//! ];
//! let query = sign_redirect("sampleCcId", &key, &params, &order)?;
//! let url = format!("https://shop.example/done?{query}");
//!
//! let verifier = RedirectVerifier::new("sampleCcId", key)?;
//! let redirect = verifier.verify(url.as_str(), "paymentId_1234567890")?;
//! assert_eq!(redirect.status, Status::Success);
//! assert_eq!(redirect.merchant_request_key1, None);
//! assert_eq!(redirect.unverified(RedirectParam::MerchantRequestKey1), Some("freeKey1"));
//! assert!(verifier.verify(url.as_str(), "another_order").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use crate::result_code::{ActionCode, ResultCode, Status};
use crate::webhook::hex;
use crate::webhook::ConfigError;
use crate::Secret;

mod confirm;
mod params;
mod syntax;

pub use confirm::{confirm, ConfirmError, Confirmation, ConfirmedTransaction};
pub use params::{decode_auth_params, RedirectInput, RedirectParams};
pub use syntax::{FepOrderIdRule, RedirectParam};

use syntax::{Alternative, Reading};

/// Name of the parameter carrying the hash.
pub const V_AUTH_INFO: &str = "vAuthInfo";
/// Name of the parameter carrying the Base64 list of signed names.
pub const AUTH_PARAMS: &str = "authParams";
/// Longest `authParams` accepted (the reference: "<= 4000 characters").
pub const MAX_AUTH_PARAMS_LEN: usize = 4000;

/// Why a redirect was rejected. `Display` never contains the authentication
/// key; names and values taken from the request are shortened and escaped.
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
    /// `authParams` lists a name that is not a redirect parameter of the
    /// reference ([`RedirectParam`]).
    #[error("redirect authParams lists {0:?}, which is not a redirect parameter")]
    UnknownAuthParam(String),
    /// `vAuthInfo` is not 128 hex digits.
    #[error("redirect vAuthInfo is not 128 hex digits")]
    MalformedAuthInfo,
    /// `vAuthInfo` does not match: the parameters were tampered with, or the
    /// CCID or key is wrong.
    #[error("redirect vAuthInfo does not match")]
    SignatureMismatch,
    /// A required parameter is present but not covered by `authParams`.
    #[error("redirect parameter {0:?} is not covered by authParams")]
    UncoveredParameter(&'static str),
    /// A listed parameter is empty.
    #[error("redirect parameter {0:?} is empty")]
    EmptyParameter(&'static str),
    /// A listed parameter's value does not have the parameter's syntax.
    #[error("redirect parameter {param} = {value:?} is not {syntax}")]
    InvalidValue {
        /// The parameter.
        param: RedirectParam,
        /// The value (shortened and escaped).
        value: String,
        /// The expected syntax.
        syntax: &'static str,
    },
    /// The signed `fepOrderId` is not `{paymentId}_{alphanumeric suffix}`
    /// ([`FepOrderIdRule::PaymentIdPrefix`]).
    #[error("redirect fepOrderId {fep_order_id:?} is not paymentId {payment_id:?} followed by '_' and an alphanumeric suffix")]
    FepOrderIdMismatch {
        /// The signed paymentId (shortened and escaped).
        payment_id: String,
        /// The signed fepOrderId (shortened and escaped).
        fep_order_id: String,
    },
    /// The signed bytes can be read with another value for this required
    /// parameter under the received `authParams` (a shifted value boundary).
    #[error("redirect parameter {0} is not determined by the signature: the signed values can be cut differently")]
    AmbiguousValue(RedirectParam),
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

pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 32;
    let mut out: String = s.chars().take(MAX).flat_map(char::escape_default).collect();
    if s.chars().count() > MAX {
        out.push('…');
    }
    out
}

/// Why a parameter is in [`VerifiedRedirect::unverified`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnverifiedReason {
    /// Present in the query but not listed in `authParams`: not signed.
    NotCovered,
    /// Listed, but another reading of the signed bytes gives it another value.
    Ambiguous,
}

/// A known redirect parameter whose value the signature does not establish.
/// Treat it like any other input from the consumer's browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedParam {
    /// The parameter.
    pub param: RedirectParam,
    /// The value as received.
    pub value: String,
    /// Why it is not verified.
    pub reason: UnverifiedReason,
}

/// A redirect whose `vAuthInfo` and `paymentId` were verified. Every field but
/// [`unverified`](Self::unverified) is a value listed in `authParams`, of the
/// parameter's syntax, and determined by the signed bytes (see the module
/// documentation for what that proves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRedirect {
    /// `status` (an overview only: confirm with the webhook or [`confirm`]).
    pub status: Status,
    /// `actionCode`.
    pub action_code: ActionCode,
    /// `resultCode`.
    pub result_code: ResultCode,
    /// `command` (the command that induced the redirect, e.g. `pay`).
    pub command: String,
    /// `paymentId` (equal to the expected one).
    pub payment_id: String,
    /// `fepOrderId`, when signed.
    pub fep_order_id: Option<String>,
    /// `fepReferenceId`, when signed.
    pub fep_reference_id: Option<String>,
    /// `merchantRequestKey1`, when signed.
    pub merchant_request_key1: Option<String>,
    /// `merchantRequestKey2`, when signed.
    pub merchant_request_key2: Option<String>,
    /// Known parameters that were present but are not verified: not listed in
    /// `authParams`, or listed but not determined by the signed bytes. Never
    /// copied into the fields above.
    pub unverified: Vec<UnverifiedParam>,
}

impl VerifiedRedirect {
    /// The unverified value of `param`, if it was present and not verified.
    pub fn unverified(&self, param: RedirectParam) -> Option<&str> {
        self.unverified
            .iter()
            .find(|u| u.param == param)
            .map(|u| u.value.as_str())
    }
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
    let auth_params =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, order.join(","));
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
    fep_order_id_rule: FepOrderIdRule,
    require_fep_ids: bool,
}

impl fmt::Debug for RedirectVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedirectVerifier")
            .field("ccid", &self.ccid)
            .field("key", &self.key)
            .field("fep_order_id_rule", &self.fep_order_id_rule)
            .field("require_fep_ids", &self.require_fep_ids)
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
        Ok(RedirectVerifier {
            ccid,
            key,
            fep_order_id_rule: FepOrderIdRule::default(),
            require_fep_ids: true,
        })
    }

    /// Whether `fepOrderId` and `fepReferenceId` must be present and listed in
    /// `authParams` (default `true`). The reference lists both among the
    /// redirect's parameters without a condition (unlike the merchant keys,
    /// "if not set at the time of request, it will not be returned") and its
    /// `authParams` example covers both. Requiring them closes a forgery:
    /// without `fepOrderId` in the list, a re-cut can merge its bytes into
    /// `paymentId` (`order-1` + `order-1_01AHK…` read as one paymentId
    /// `order-1order-1_01AHK…`). Set `false` only for an account whose
    /// redirects omit them; such redirects are then verified without that
    /// protection.
    pub fn require_fep_ids(mut self, require: bool) -> Self {
        self.require_fep_ids = require;
        self
    }

    fn is_required(&self, p: RedirectParam) -> bool {
        p.is_required()
            || (self.require_fep_ids
                && matches!(p, RedirectParam::FepOrderId | RedirectParam::FepReferenceId))
    }

    /// How a signed `fepOrderId` must relate to `paymentId` (default
    /// [`FepOrderIdRule::PaymentIdPrefix`], the reference's example).
    pub fn fep_order_id_rule(mut self, rule: FepOrderIdRule) -> Self {
        self.fep_order_id_rule = rule;
        self
    }

    /// The configured merchant CCID.
    pub fn ccid(&self) -> &str {
        &self.ccid
    }

    /// Verifies `vAuthInfo` over the parameters listed by `authParams`
    /// (constant-time comparison, hex in either case), the syntax of every
    /// listed value, that the signed bytes have one reading under the list
    /// (module documentation), then that the signed `paymentId` equals
    /// `expected_payment_id`, and returns the typed result.
    ///
    /// `expected_payment_id` must be the paymentId the merchant set in the
    /// payment request for this consumer (e.g. stored in its session), never a
    /// value read from the redirect: a genuine redirect of an older successful
    /// order verifies too, and only this comparison detects its replay.
    ///
    /// # Errors
    /// [`RedirectError`]: URL that does not parse, a repeated parameter, a
    /// missing `vAuthInfo`/`authParams`/listed/required parameter, malformed
    /// `authParams` or `vAuthInfo`, a name in `authParams` that is not a
    /// redirect parameter, a mismatching hash, a required field not covered
    /// by `authParams`, a listed value of the wrong syntax, a `fepOrderId`
    /// not derived from `paymentId`, a required value the signed bytes do not
    /// determine, or another paymentId.
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
        let list = names
            .iter()
            .map(|n| {
                RedirectParam::from_name(n)
                    .ok_or_else(|| RedirectError::UnknownAuthParam(excerpt(n)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Every known parameter's value, once (repeats were refused above).
        let mut present: [Option<&str>; 9] = [None; 9];
        for p in RedirectParam::ALL {
            present[p.index()] = params.get(p.name())?;
        }
        let mut listed = [false; 9];
        for p in &list {
            listed[p.index()] = true;
        }
        for p in RedirectParam::ALL
            .into_iter()
            .filter(|&p| self.is_required(p))
        {
            if !listed[p.index()] {
                return Err(match present[p.index()] {
                    Some(_) => RedirectError::UncoveredParameter(p.name()),
                    None => RedirectError::MissingParameter(p.name().into()),
                });
            }
        }
        let mut signed = String::new();
        for p in &list {
            let v = present[p.index()]
                .ok_or_else(|| RedirectError::MissingParameter(p.name().into()))?;
            signed.push_str(v);
        }
        let computed = auth_info(&self.ccid, &self.key, [signed.as_str()]);
        if !bool::from(computed.ct_eq(&claimed)) {
            return Err(RedirectError::SignatureMismatch);
        }

        // Syntax of every listed value, then the fepOrderId relation.
        for p in RedirectParam::ALL.into_iter().filter(|p| listed[p.index()]) {
            let v = present[p.index()].unwrap_or_default();
            if v.is_empty() {
                return Err(RedirectError::EmptyParameter(p.name()));
            }
            if !p.accepts(v) {
                return Err(RedirectError::InvalidValue {
                    param: p,
                    value: excerpt(v),
                    syntax: p.syntax(),
                });
            }
        }
        let payment_id = present[RedirectParam::PaymentId.index()].unwrap_or_default();
        if let Some(f) = present[RedirectParam::FepOrderId.index()] {
            if listed[RedirectParam::FepOrderId.index()]
                && !self
                    .fep_order_id_rule
                    .holds(payment_id.as_bytes(), f.as_bytes())
            {
                return Err(RedirectError::FepOrderIdMismatch {
                    payment_id: excerpt(payment_id),
                    fep_order_id: excerpt(f),
                });
            }
        }

        // One reading: every listed value is determined by the signed bytes.
        let reading = Reading::new(&list, signed.as_bytes(), self.fep_order_id_rule);
        let mut determined = [false; 9];
        for p in RedirectParam::ALL.into_iter().filter(|p| listed[p.index()]) {
            let v = present[p.index()].unwrap_or_default();
            determined[p.index()] = reading.alternative(p, v) == Alternative::None;
            if p.is_required() && !determined[p.index()] {
                return Err(RedirectError::AmbiguousValue(p));
            }
        }

        if payment_id != expected_payment_id {
            return Err(RedirectError::PaymentIdMismatch {
                expected: excerpt(expected_payment_id),
                actual: excerpt(payment_id),
            });
        }
        let mut unverified = Vec::new();
        let mut verified = |p: RedirectParam| -> Option<String> {
            let v = present[p.index()]?;
            if determined[p.index()] {
                return Some(v.to_owned());
            }
            unverified.push(UnverifiedParam {
                param: p,
                value: v.to_owned(),
                reason: if listed[p.index()] {
                    UnverifiedReason::Ambiguous
                } else {
                    UnverifiedReason::NotCovered
                },
            });
            None
        };
        let required = |p: RedirectParam| present[p.index()].unwrap_or_default();
        Ok(VerifiedRedirect {
            status: Status::from_code(required(RedirectParam::Status)),
            action_code: ActionCode::from_code(required(RedirectParam::ActionCode)),
            result_code: ResultCode::from_code(required(RedirectParam::ResultCode)),
            command: required(RedirectParam::Command).to_owned(),
            payment_id: payment_id.to_owned(),
            fep_order_id: verified(RedirectParam::FepOrderId),
            fep_reference_id: verified(RedirectParam::FepReferenceId),
            merchant_request_key1: verified(RedirectParam::MerchantRequestKey1),
            merchant_request_key2: verified(RedirectParam::MerchantRequestKey2),
            unverified,
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

    /// The simulator's lists: the parameters once each, rotated and
    /// reversed, then `fepReferenceId` and `status` again. Every rotation,
    /// with and without merchant keys, has one reading of every required
    /// value (and the search stays within its budget: giving up would refuse
    /// them). Where a merchant key precedes `fepReferenceId`, the boundary
    /// between `fepOrderId`'s suffix and `fepReferenceId` is not pinned, and
    /// `fepOrderId` is returned unverified.
    #[test]
    fn simulator_shaped_lists_verify() {
        for pid in ["order-1", "a", "x_y-z_0", &"P".repeat(64)] {
            let fep = format!("{pid}_0000000000000SEN3PSS8YWGK3");
            for keys in [0, 1, 2] {
                let mut pairs: Vec<(&str, &str)> = vec![
                    ("status", "success"),
                    ("actionCode", "success"),
                    ("resultCode", "UA-000-001"),
                    ("command", "pay"),
                    ("paymentId", pid),
                    ("fepOrderId", &fep),
                    ("fepReferenceId", "X00000000000018XR03830C9KPX"),
                ];
                if keys >= 1 {
                    pairs.push(("merchantRequestKey1", "k1"));
                }
                if keys >= 2 {
                    pairs.push(("merchantRequestKey2", "key two"));
                }
                for rot in 0..pairs.len() {
                    let mut order: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
                    order.rotate_left(rot);
                    order.reverse();
                    order.push("fepReferenceId");
                    order.push("status");
                    let q =
                        sign_redirect("sampleCcId", &"sampleKey".into(), &pairs, &order).unwrap();
                    let r = verifier()
                        .verify(q.as_str(), pid)
                        .unwrap_or_else(|e| panic!("{order:?}: {e}"));
                    assert_eq!(r.payment_id, pid);
                    match &r.fep_order_id {
                        Some(f) => assert_eq!(f, &fep),
                        None => {
                            assert_eq!(r.unverified(RedirectParam::FepOrderId), Some(fep.as_str()))
                        }
                    }
                }
            }
        }
    }

    /// The CI fuzz smoke's `redirect_verify` timeout (its input, decoded the
    /// way the fuzz target does): a genuine redirect whose 18-item list mixes
    /// repeated names and a free-text merchant key. The search counted
    /// recursion steps but not the lengths each step examined, so one
    /// `verify` ran for seconds; now every examined length is charged to the
    /// budget.
    #[test]
    fn hostile_signing_order_is_bounded_work() {
        let sel = b"succe2s.%2EceU";
        let (payment, fep_order, fep_ref, key1) = (
            "Ass-000-001",
            "Ass-000-001_paactikNvs",
            "UA-000-001",
            "paaNvs",
        );
        let params = [
            ("status", "failure"),
            ("actionCode", "confirm_payment"),
            ("resultCode", "UA-000-001"),
            ("command", "pay"),
            ("paymentId", payment),
            ("fepOrderId", fep_order),
            ("fepReferenceId", fep_ref),
            ("merchantRequestKey1", key1),
        ];
        let mut order: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        for &b in sel.iter().skip(4).take(12) {
            order.push(params[usize::from(b) % params.len()].0);
        }
        let n = order.len();
        for (i, &b) in sel.iter().skip(4).take(n).enumerate() {
            order.swap(i, usize::from(b) % n);
        }
        let key = Secret::new("fuzzKey");
        let query = sign_redirect("FuzzCcid", &key, &params, &order).unwrap();
        let v = RedirectVerifier::new("FuzzCcid", key).unwrap();
        syntax::EXAMINED.with(|c| c.set(0));
        match v.verify(query.as_str(), payment) {
            Ok(r) => assert_eq!(r.payment_id, payment),
            Err(RedirectError::AmbiguousValue(_)) => {}
            Err(e) => panic!("genuine redirect refused: {e}"),
        }
        let examined = syntax::EXAMINED.with(std::cell::Cell::get);
        // Nine searches at most, each within its budget, plus the syntax
        // checks of the received values.
        let bound = 10 * u64::from(syntax::SEARCH_BUDGET);
        assert!(
            examined <= bound,
            "{examined} lengths examined (bound {bound})"
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
