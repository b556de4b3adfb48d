//! Reading an answer: the `result` block (leniently, before the typed body),
//! the typed body, `Retry-After`, and the errors built from them.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::typed::CodeOf;
use super::Outcome;
use crate::error::{excerpt, ApiFailure, DecodeFailure};
use crate::result_code::{ActionCode, ResultCode, Status};
use crate::{Command, Error};

/// A string field of the `result` block, borrowed from the body unless it
/// has escapes (serde borrows a `Cow<str>` only as a direct field).
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl Text<'_> {
    fn owned(t: Option<Text<'_>>) -> Option<String> {
        t.map(|t| t.0.into_owned())
    }
}

/// The `result` block, read leniently before the typed body. Borrowed: the
/// success path needs only the code, so nothing is allocated for it.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawResult<'a> {
    #[serde(borrow)]
    result_code: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    action_code: Option<Text<'a>>,
    #[serde(borrow)]
    v_result_code: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    result: Option<RawResult<'a>>,
}

fn read_result(body: &[u8]) -> Option<RawResult<'_>> {
    serde_json::from_slice::<Envelope<'_>>(body).ok()?.result
}

/// The `result.resultCode` of an answer (`None` when the body has no
/// well-formed result block).
fn read_code(body: &[u8]) -> Option<ResultCode> {
    read_result(body)?
        .result_code
        .map(|c| ResultCode::from_code(&c.0))
}

/// The answer's result code, and the typed body when it could be decoded
/// first: for a typed command (`code_of`), an HTTP 200 answer is decoded
/// straight into `T`, and when its `result.resultCode` is one of the four
/// [`Outcome`] codes that decode is the only parse of the body. Otherwise
/// (and for any other answer) the result block is read on its own, exactly as
/// [`classify`] does; a body that decodes into `T` has a well-formed result
/// block, so both ways read the same code.
pub(crate) fn read_answer<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    code_of: Option<CodeOf<T>>,
) -> (Option<ResultCode>, Option<T>) {
    if let (200, Some(code_of)) = (status, code_of) {
        if let Ok(typed) = serde_json::from_slice::<T>(body) {
            if let Some(code) = code_of(&typed).map(ResultCode::from_code) {
                if Outcome::from_code(&code, ()).is_some() {
                    return (Some(code), Some(typed));
                }
            }
        }
    }
    (read_code(body), None)
}

/// Decodes an answer: the result block first, then the typed body.
pub(crate) fn classify<T: DeserializeOwned>(
    command: Command,
    status: u16,
    body: &[u8],
    key: Option<&str>,
    attempts: u32,
) -> Result<Outcome<T>, Error> {
    classify_parsed(command, status, body, read_code(body), key, attempts)
}

/// [`classify`] with the result code already read (by [`read_code`]).
pub(crate) fn classify_parsed<T: DeserializeOwned>(
    command: Command,
    status: u16,
    body: &[u8],
    code: Option<ResultCode>,
    key: Option<&str>,
    attempts: u32,
) -> Result<Outcome<T>, Error> {
    let Some(code) = code else {
        if status == 404 {
            return Err(Error::Api(Box::new(ApiFailure {
                command,
                http_status: status,
                result_code: ResultCode::PageNotFound,
                status: None,
                action_code: None,
                v_result_code: None,
                message: None,
                idempotency_key: key.map(str::to_owned),
                attempts,
                body_excerpt: excerpt(body),
                retry_after: None,
            })));
        }
        return Err(decode_error(
            command,
            status,
            None,
            "the response has no result.resultCode".into(),
            body,
            key,
            attempts,
        ));
    };
    if status == 200 && matches!(code, ResultCode::Unknown(_)) {
        // A code this crate does not know on HTTP 200 may be a new kind of
        // success: keep the whole body and flag it as maybe processed.
        return Err(decode_error(
            command,
            status,
            Some(code),
            "unknown result code on HTTP 200".into(),
            body,
            key,
            attempts,
        ));
    }
    if Outcome::from_code(&code, ()).is_some() {
        return match serde_json::from_slice::<T>(body) {
            Ok(typed) => Ok(Outcome::from_code(&code, typed)
                .unwrap_or_else(|| unreachable!("from_code accepted this code a moment ago"))),
            Err(e) => Err(decode_error(
                command,
                status,
                Some(code),
                format!("the typed body did not decode: {e}"),
                body,
                key,
                attempts,
            )),
        };
    }
    // A failure: now read the rest of the result block (the code was read
    // from the same block, so it parses again).
    let raw = read_result(body).unwrap_or_default();
    let failure = ApiFailure {
        command,
        http_status: status,
        status: raw.status.map(|s| Status::from_code(&s.0)),
        action_code: raw
            .action_code
            .map(|a| ActionCode::from_code(&a.0))
            .or_else(|| code.action_code()),
        v_result_code: Text::owned(raw.v_result_code),
        message: Text::owned(raw.message),
        idempotency_key: key.map(str::to_owned),
        attempts,
        body_excerpt: excerpt(body),
        result_code: code,
        retry_after: None,
    };
    if failure.result_code.is_pending() {
        Err(Error::Pending(Box::new(failure)))
    } else {
        Err(Error::Api(Box::new(failure)))
    }
}

/// Adds the server's `Retry-After` to an API or decode error.
pub(crate) fn with_retry_after(mut e: Error, retry_after: Option<Duration>) -> Error {
    match &mut e {
        Error::Api(f) | Error::Pending(f) => f.retry_after = retry_after,
        Error::Decode(d) => d.retry_after = retry_after,
        _ => {}
    }
    e
}

/// Reads a `Retry-After` value: delay-seconds, or an HTTP-date (IMF-fixdate,
/// RFC 850 or asctime) measured against `now`, the client's [`Clock`](super::Clock)
/// (a date in the past means no wait). Anything else is ignored (`None`).
pub(crate) fn parse_retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
    let value = std::str::from_utf8(value).ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurdly long number is a wait longer than any policy allows.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A [`Error::Decode`] for an answer that could not be read as expected.
pub(crate) fn decode_error(
    command: Command,
    status: u16,
    result_code: Option<ResultCode>,
    reason: String,
    body: &[u8],
    key: Option<&str>,
    attempts: u32,
) -> Error {
    Error::Decode(Box::new(DecodeFailure {
        command,
        http_status: status,
        result_code,
        reason,
        idempotency_key: key.map(str::to_owned),
        attempts,
        excerpt: excerpt(body),
        body: body.to_vec(),
        retry_after: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let secs = |s: u64| Some(Duration::from_secs(s));
        assert_eq!(parse_retry_after(b"0", now), secs(0));
        assert_eq!(parse_retry_after(b" 7 ", now), secs(7));
        assert_eq!(
            parse_retry_after(b"99999999999999999999999", now),
            secs(u64::MAX)
        );
        for bad in [&b""[..], b"-1", b"1.5", b"soon", b"\xff"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse_retry_after(later.as_bytes(), now), secs(90));
        // The three HTTP-date forms; a date in the past means no wait.
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_retry_after(form.as_bytes(), t), secs(0), "{form}");
            assert_eq!(
                parse_retry_after(form.as_bytes(), t - Duration::from_secs(5)),
                secs(5),
                "{form}"
            );
            assert_eq!(parse_retry_after(form.as_bytes(), now), secs(0), "{form}");
        }
    }

    #[test]
    fn lenient_result_reading() {
        let r =
            read_result(br#"{"result":{"resultCode":"UA-000-001","extra":1},"order":5}"#).unwrap();
        assert_eq!(r.result_code.map(|c| c.0), Some("UA-000-001".into()));
        let escaped =
            read_result(br#"{"result":{"resultCode":"UA-REQ-001","message":"\u3042"}}"#).unwrap();
        assert_eq!(Text::owned(escaped.message).as_deref(), Some("\u{3042}"));
        assert_eq!(
            read_code(br#"{"result":{"resultCode":"UA-SYS-003"}}"#),
            Some(ResultCode::InternalCommunicationError)
        );
        assert!(read_result(b"<html>").is_none());
        assert!(read_result(br#"{"order":{}}"#).is_none());
    }
}
