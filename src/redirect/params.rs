//! Reading the redirect's query parameters and the `authParams` list.

use std::borrow::Cow;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::{excerpt, RedirectError, MAX_AUTH_PARAMS_LEN, V_AUTH_INFO};

/// Standard Base64 decoding that accepts padded and unpadded input.
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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

    pub(crate) fn first_repeated(&self) -> Option<&str> {
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
    pub(crate) fn into_params(self) -> Result<Cow<'a, RedirectParams>, RedirectError> {
        Ok(match self {
            RedirectInput::Url(u) => Cow::Owned(RedirectParams::from_url(u)?),
            RedirectInput::Query(q) => Cow::Owned(RedirectParams::from_query(q)),
            RedirectInput::Params(p) => p,
        })
    }
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
