//! The I/O of a call: one HTTP attempt, and the loop that resends it as
//! [`RetryPolicy::decide`](super::retry::RetryPolicy::decide) says.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use serde::de::DeserializeOwned;

use super::decode::{
    classify_parsed, decode_error, parse_retry_after, read_answer, with_retry_after,
};
use super::retry::{AttemptOutcome, Decision};
use super::typed::CodeOf;
use super::{Inner, Outcome};
use crate::idempotency::StoredResponse;
use crate::result_code::ResultCode;
use crate::{Command, Error};

/// The header carrying the idempotency key.
pub(crate) const IDEMPOTENCY_HEADER: &str = "X-VT-Idempotency-Key";

/// A request ready for the wire: the same bytes and key on every attempt.
pub(crate) struct Outgoing {
    pub(crate) command: Command,
    pub(crate) body: Bytes,
    pub(crate) key: Option<String>,
    pub(crate) key_created_at: SystemTime,
    /// The client's answer-size cap, for the error message.
    pub(crate) max_response_bytes: usize,
}

/// The last thing an attempt produced.
pub(crate) enum Last<T> {
    Answer {
        status: u16,
        body: Bytes,
        /// `result.resultCode`, read once.
        code: Option<ResultCode>,
        /// The typed body, when it was decoded first (a typed command's
        /// answer carrying one of the four [`Outcome`] codes).
        typed: Option<T>,
        /// `Retry-After` of a 429 or 503 answer.
        retry_after: Option<Duration>,
    },
    Transport(reqwest::Error),
    /// An answer longer than [`ClientBuilder::max_response_bytes`](super::ClientBuilder::max_response_bytes):
    /// not read to the end, so neither its result code nor its body is known.
    Oversized {
        status: u16,
        /// The bytes read before the cap (at most the cap).
        head: Bytes,
    },
}

/// What one attempt read: status, `Retry-After`, body, and whether the body
/// was cut at the cap.
struct Read {
    status: u16,
    retry_after: Option<HeaderValue>,
    body: Bytes,
    oversized: bool,
}

/// The last attempt of a call and what the attempts amount to.
pub(crate) struct Sent<T> {
    pub(crate) last: Last<T>,
    pub(crate) attempts: u32,
    pub(crate) maybe_processed: bool,
}

/// One HTTP attempt: the status, the raw `Retry-After` of a 429 or 503, the body.
async fn send_once(inner: &Inner, p: &Outgoing) -> Result<Read, reqwest::Error> {
    let url = inner.urls[Command::ALL
        .iter()
        .position(|c| *c == p.command)
        .unwrap_or_default()]
    .clone();
    let mut rb = inner
        .http
        .post(url)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(AUTHORIZATION, inner.auth.clone());
    if let Some(k) = &p.key {
        rb = rb.header(IDEMPOTENCY_HEADER, k.as_str());
    }
    if inner.custom_http {
        rb = rb
            .timeout(inner.request_timeout)
            .header(USER_AGENT, HeaderValue::from_static(super::USER_AGENT));
    }
    let resp = rb.body(p.body.clone()).send().await?;
    let status = resp.status().as_u16();
    let retry_after = match status {
        429 | 503 => resp.headers().get(RETRY_AFTER).cloned(),
        _ => None,
    };
    let cap = inner.max_response_bytes;
    // Refuse a declared length over the cap before reading anything.
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Ok(Read {
            status,
            retry_after,
            body: Bytes::new(),
            oversized: true,
        });
    }
    let mut resp = resp;
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await? {
        if buf.len() + chunk.len() > cap {
            let room = cap - buf.len();
            buf.extend_from_slice(&chunk[..room]);
            // Dropping the response closes the connection instead of draining it.
            return Ok(Read {
                status,
                retry_after,
                body: buf.freeze(),
                oversized: true,
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Read {
        status,
        retry_after,
        body: buf.freeze(),
        oversized: false,
    })
}

/// Sends until a non-retryable answer, or the policy/budget/key life ends.
pub(crate) async fn send_with_retries<T: DeserializeOwned>(
    inner: &Inner,
    p: &Outgoing,
    span: &tracing::Span,
    code_of: Option<CodeOf<T>>,
) -> Result<Sent<T>, Error> {
    let policy = &inner.retry;
    let started = Instant::now();
    // The key's age now (`None` without a key, or with a clock behind its creation).
    let key_age = || -> Option<Duration> {
        p.key.as_ref()?;
        inner.clock.now().duration_since(p.key_created_at).ok()
    };
    if policy.key_too_old(key_age(), Duration::ZERO) {
        return Err(Error::IdempotencyKeyExpired {
            key: p.key.clone().unwrap_or_default(),
            scope: None,
            created_at: p.key_created_at,
        });
    }
    // Resending after "maybe processed" is safe only with a key, or for the read-only command.
    let resend_safe = p.key.is_some() || !p.command.is_mutating();
    let mut attempts = 0u32;
    let mut maybe_processed = false;
    loop {
        attempts += 1;
        span.record("attempt", attempts);
        let res = send_once(inner, p).await;
        let (last, outcome) = match res {
            Ok(Read {
                status,
                body,
                oversized: true,
                ..
            }) => {
                span.record("http_status", status);
                maybe_processed = true;
                // Resending would fetch the same answer: the call ends here, resumable.
                (
                    Last::Oversized { status, head: body },
                    AttemptOutcome::Uncoded {
                        status: status.min(499),
                        retry_after: None,
                    },
                )
            }
            Ok(Read {
                status,
                retry_after,
                body,
                oversized: false,
            }) => {
                span.record("http_status", status);
                let retry_after =
                    retry_after.and_then(|v| parse_retry_after(v.as_bytes(), inner.clock.now()));
                let (code, typed) = read_answer(status, &body, code_of);
                maybe_processed = true;
                let outcome = match &code {
                    Some(c) => {
                        span.record("result_code", c.as_str());
                        AttemptOutcome::Coded {
                            retryable: c.is_retryable(),
                            retry_after,
                        }
                    }
                    None => AttemptOutcome::Uncoded {
                        status,
                        retry_after,
                    },
                };
                (
                    Last::Answer {
                        status,
                        body,
                        code,
                        typed,
                        retry_after,
                    },
                    outcome,
                )
            }
            Err(e) => {
                // A connect error means nothing was written: never processed.
                let reached = !e.is_connect();
                maybe_processed |= reached;
                let outcome = if reached {
                    AttemptOutcome::NoAnswer
                } else {
                    AttemptOutcome::NotSent
                };
                (Last::Transport(e), outcome)
            }
        };
        let decision = policy.decide(
            outcome,
            attempts,
            resend_safe,
            || started.elapsed(),
            key_age,
            |retry| policy.backoff(retry),
        );
        let Decision::Retry(delay) = decision else {
            return Ok(Sent {
                last,
                attempts,
                maybe_processed,
            });
        };
        tracing::debug!(
            attempt = attempts,
            delay_ms = delay.as_millis() as u64,
            "retrying with the same key and body"
        );
        tokio::time::sleep(delay).await;
    }
}

/// Turns the last attempt into the call's result, and says what the ledger
/// should store (`Some`: a final answer; `None`: release the lease).
pub(crate) fn finish<T: DeserializeOwned>(
    p: &Outgoing,
    sent: Sent<T>,
) -> (Option<StoredResponse>, Result<Outcome<T>, Error>) {
    let key = p.key.clone();
    match sent.last {
        Last::Answer {
            status,
            body,
            code,
            typed,
            retry_after,
        } => {
            let stored = code
                .as_ref()
                .filter(|c| c.is_final())
                .map(|_| StoredResponse {
                    http_status: status,
                    body: body.to_vec(),
                });
            let result = match (typed, &code) {
                (Some(typed), Some(code)) => Outcome::from_code(code, typed).ok_or_else(|| {
                    // Unreachable: `typed` is kept only for an outcome code.
                    decode_error(
                        p.command,
                        status,
                        Some(code.clone()),
                        "not an outcome code".into(),
                        &body,
                        key.as_deref(),
                        sent.attempts,
                    )
                }),
                _ => classify_parsed(
                    p.command,
                    status,
                    &body,
                    code,
                    key.as_deref(),
                    sent.attempts,
                )
                .map_err(|e| with_retry_after(e, retry_after)),
            };
            (stored, result)
        }
        Last::Oversized { status, head } => (
            None,
            Err(decode_error(
                p.command,
                status,
                None,
                format!(
                    "the answer (HTTP {status}) is longer than the client's limit of {} bytes \
                     (ClientBuilder::max_response_bytes) and was not read to the end; the effect \
                     may have happened: resume with the same idempotency key",
                    p.max_response_bytes
                ),
                &head,
                key.as_deref(),
                sent.attempts,
            )),
        ),
        Last::Transport(source) => {
            let err = if source.is_timeout() && !source.is_connect() {
                Error::Timeout {
                    command: p.command,
                    idempotency_key: key,
                    attempts: sent.attempts,
                    maybe_processed: sent.maybe_processed,
                }
            } else {
                Error::Transport {
                    command: p.command,
                    source,
                    idempotency_key: key,
                    attempts: sent.attempts,
                    maybe_processed: sent.maybe_processed,
                }
            };
            (None, Err(err))
        }
    }
}
