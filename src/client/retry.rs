//! The retry policy and the retry decision: which attempt outcomes are
//! retried, how long to wait, and when to stop. No I/O here; the loop that
//! sends lives in `transport.rs`.

use std::time::Duration;

use crate::idempotency::KEY_LIFETIME;

/// The default [`RetryPolicy::key_resend_margin`]: no request is sent with a
/// key older than 23 h 50 min.
///
/// The API forgets a key 24 h after its first use and then processes a resend
/// as a new request (a duplicate). A send is decided on the key's age as
/// measured when the attempt starts; between that and the API's own check lie
/// the request's time on the wire (up to the request timeout, 30 s by default)
/// and any difference between our clock and VeriTrans's. Ten minutes covers
/// both with a wide margin while giving up only the last 0.7 % of the key's life.
pub const DEFAULT_KEY_RESEND_MARGIN: Duration = Duration::from_secs(10 * 60);

/// Bounded exponential backoff with full jitter.
///
/// The client retries only what is safe (see the crate docs of
/// [`Client`](crate::Client)): connection failures before the request was
/// written, timeouts and dropped connections after sending *when an
/// idempotency key is sent* (the API then answers a resend with the original
/// response), 5xx answers without a result code (same condition), and the
/// `retry_request` codes `UA-LMT-001`, `UA-REQ-005`, `UA-PRV-001`,
/// `UA-SYS-003`, `UA-SYS-004`. Every retry resends the byte-identical body
/// with the same key. Pending (`UA-PND-*`), `confirm_*` and success answers
/// are never retried, and no retry is made once the key is 24 h old.
///
/// The wait before retry *n* (n = 1, 2, …) is uniformly random in
/// `[0, min(max_backoff, initial_backoff × 2^(n-1))]` ("full jitter"). A retry
/// is not started when `max_attempts` is reached or when its wait would end
/// after `max_elapsed` from the first attempt (an attempt already on the wire
/// may still run for up to the request timeout).
///
/// **`Retry-After`.** When a 429 (`UA-LMT-001`) or 503 answer that is retried
/// carries `Retry-After` (delay-seconds, or an HTTP-date read against the
/// client's [`Clock`](crate::client::Clock)), the wait is at least that long:
/// the client never resends earlier than the server asked. A `Retry-After`
/// longer than `max_backoff`, or one that would end the wait after
/// `max_elapsed` or within [`key_resend_margin`](Self::key_resend_margin) of
/// the idempotency key's 24 h life, ends
/// the retries instead: the answer is returned as an error whose
/// [`Error::retry_after`](crate::Error::retry_after) tells the caller when it
/// may resend (with the same key). `Retry-After` never makes an answer
/// retryable that is not (e.g. a 503 with a non-retryable result code).
///
/// ```no_run
/// use std::time::Duration;
/// use vt4g::client::RetryPolicy;
///
/// # async fn f(client: vt4g::Client, req: vt4g::generated::types::CaptureRequest) {
/// // Wait up to 30 s between attempts when the API asks for it, 2 min in all.
/// let policy = RetryPolicy::default()
///     .max_backoff(Duration::from_secs(30))
///     .max_elapsed(Duration::from_secs(120));
/// # let _ = policy;
/// match client.capture(&req).await {
///     Err(e) if e.retry_after().is_some() => {
///         // Rate limited for longer than the policy waits: resend later,
///         // not before `e.retry_after()`, with `e.idempotency_key()`.
///     }
///     _ => {}
/// }
/// # }
/// ```
///
/// ```
/// use std::time::Duration;
/// use vt4g::client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_elapsed(Duration::from_secs(20));
/// assert_eq!(policy.get_max_attempts(), 5);
/// assert_eq!(RetryPolicy::none().get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    key_resend_margin: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts in all, 250 ms initial backoff, 5 s cap, 60 s total; no send
    /// with a key older than 24 h − [`DEFAULT_KEY_RESEND_MARGIN`].
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(60),
            key_resend_margin: DEFAULT_KEY_RESEND_MARGIN,
        }
    }
}

impl RetryPolicy {
    /// Never retry (one attempt).
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Total attempts including the first (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The backoff ceiling before the first retry (doubles each retry).
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// The largest backoff ceiling.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// No retry starts after this much time since the first attempt.
    pub fn max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// No request — first attempt, retry or a resume of a ledger scope — is
    /// sent with a key whose age plus the wait before it reaches 24 h minus
    /// `margin` (default [`DEFAULT_KEY_RESEND_MARGIN`], 10 min; at least 1 min).
    /// The call then fails with
    /// [`Error::IdempotencyKeyExpired`](crate::Error::IdempotencyKeyExpired).
    pub fn key_resend_margin(mut self, margin: Duration) -> Self {
        self.key_resend_margin = margin.clamp(Duration::from_secs(60), KEY_LIFETIME);
        self
    }

    /// See [`key_resend_margin`](Self::key_resend_margin).
    pub fn get_key_resend_margin(&self) -> Duration {
        self.key_resend_margin
    }

    /// The longest one call can keep a request on the wire: the request
    /// timeout alone with one attempt, else the time budget (`max_elapsed`,
    /// after which no retry starts) plus the last attempt's request timeout.
    pub fn worst_case_call(&self, request_timeout: Duration) -> Duration {
        if self.max_attempts <= 1 {
            request_timeout
        } else {
            self.max_elapsed.saturating_add(request_timeout)
        }
    }

    /// Total attempts including the first.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The largest backoff ceiling (also the longest `Retry-After` the client
    /// waits for before a retry).
    pub fn get_max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The time budget of one logical call.
    pub fn get_max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The ceiling of the wait before retry number `retry` (1-based).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff)
    }

    /// A random wait in `[0, backoff_ceiling(retry)]` (full jitter).
    pub fn backoff(&self, retry: u32) -> Duration {
        use rand::Rng;
        let ceiling = self.backoff_ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

/// What one attempt produced, as far as the retry decision is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    /// An answer with a `result.resultCode`; `retryable` when its action is
    /// `retry_request` ([`ResultCode::is_retryable`](crate::result_code::ResultCode::is_retryable)).
    Coded {
        /// The code asks for a retry.
        retryable: bool,
        /// The answer's `Retry-After` (read on 429 and 503 only).
        retry_after: Option<Duration>,
    },
    /// An answer without a result code.
    Uncoded {
        /// The HTTP status.
        status: u16,
        /// The answer's `Retry-After` (read on 429 and 503 only).
        retry_after: Option<Duration>,
    },
    /// The connection failed before the request was written: never processed.
    NotSent,
    /// The request may have reached the API but no answer came back
    /// (timeout, dropped connection): maybe processed.
    NoAnswer,
}

/// Why the retries stop; the last attempt is then the call's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The outcome is not one that is retried (or resending is not safe).
    NotRetryable,
    /// `max_attempts` attempts were made.
    Attempts,
    /// The server asked for a longer wait than `max_backoff`.
    RetryAfterTooLong,
    /// The wait would end after `max_elapsed` from the first attempt.
    Elapsed,
    /// The wait would end within the key resend margin of the key's 24 h life.
    KeyAge,
}

/// The retry decision after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Resend the same bytes with the same key after this wait.
    Retry(Duration),
    /// Do not resend.
    Stop(Stop),
}

impl RetryPolicy {
    /// `true` when a wait of `extra` would bring a key of age `key_age` within
    /// the key resend margin of its 24 h life (`None`: no key, never too old).
    pub(crate) fn key_too_old(&self, key_age: Option<Duration>, extra: Duration) -> bool {
        key_age.is_some_and(|age| age + extra + self.key_resend_margin >= KEY_LIFETIME)
    }

    /// Whether to resend after an attempt, and after how long.
    ///
    /// `attempts` counts the attempts made, this one included. `resend_safe`:
    /// a resend after "maybe processed" is safe (a key is sent, or the
    /// command is read-only). The time inputs are read only when a retry is
    /// still possible, so that a final answer costs no clock read:
    /// `elapsed` is the time since the first attempt started, `key_age` the
    /// key's age (`None` without a key, or when the clock reads earlier than
    /// the key's creation: never too old), `backoff(n)` draws the jittered
    /// wait before retry `n` ([`RetryPolicy::backoff`] in the client).
    ///
    /// The checks, in order: a non-retryable outcome stops; then
    /// `max_attempts`; then the wait is the drawn backoff raised to the
    /// answer's `Retry-After` (one longer than `max_backoff` stops); a wait
    /// ending after `max_elapsed`, or too close to the key's 24 h life, stops.
    pub(crate) fn decide(
        &self,
        outcome: AttemptOutcome,
        attempts: u32,
        resend_safe: bool,
        elapsed: impl FnOnce() -> Duration,
        key_age: impl FnOnce() -> Option<Duration>,
        backoff: impl FnOnce(u32) -> Duration,
    ) -> Decision {
        let (retry, retry_after) = match outcome {
            AttemptOutcome::Coded {
                retryable,
                retry_after,
            } => (retryable, retry_after),
            // 5xx without a result code: like a timeout, maybe processed.
            AttemptOutcome::Uncoded {
                status,
                retry_after,
            } => (status >= 500 && resend_safe, retry_after),
            AttemptOutcome::NotSent => (true, None),
            AttemptOutcome::NoAnswer => (resend_safe, None),
        };
        if !retry {
            return Decision::Stop(Stop::NotRetryable);
        }
        if attempts >= self.max_attempts {
            return Decision::Stop(Stop::Attempts);
        }
        let mut delay = backoff(attempts);
        if let Some(asked) = retry_after {
            // The server's Retry-After (429, 503) is a floor on the wait. One
            // longer than the policy's largest backoff ends the retries: the
            // error carries it, for the caller to schedule the resend.
            if asked > self.max_backoff {
                return Decision::Stop(Stop::RetryAfterTooLong);
            }
            delay = delay.max(asked);
        }
        if elapsed() + delay > self.max_elapsed {
            return Decision::Stop(Stop::Elapsed);
        }
        if self.key_too_old(key_age(), delay) {
            return Decision::Stop(Stop::KeyAge);
        }
        Decision::Retry(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_and_cap() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(1000));
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(p.backoff_ceiling(4), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(5), Duration::from_millis(1000));
        assert_eq!(p.backoff_ceiling(200), Duration::from_millis(1000));
        for r in 1..10 {
            assert!(p.backoff(r) <= p.backoff_ceiling(r));
        }
        assert_eq!(RetryPolicy::default().max_attempts(0).get_max_attempts(), 1);
    }

    /// One row per outcome class × the budget, attempt and key-age edges,
    /// against the default policy (4 attempts, 5 s largest backoff, 60 s in
    /// all) with the jitter replaced by the backoff ceiling (250 ms, 500 ms,
    /// 1 s before retries 1, 2, 3).
    #[test]
    fn decide_table() {
        use AttemptOutcome::{Coded, NoAnswer, NotSent, Uncoded};
        use Decision::{Retry, Stop as S};

        const NS: Duration = Duration::from_nanos(1);
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        let coded = |retryable, retry_after| Coded {
            retryable,
            retry_after,
        };
        let uncoded = |status, retry_after| Uncoded {
            status,
            retry_after,
        };
        // The key age at which a wait of `delay` just reaches the safety margin.
        let key_edge = |delay: Duration| KEY_LIFETIME - DEFAULT_KEY_RESEND_MARGIN - delay;

        // (outcome, attempts, resend_safe, elapsed, key age, expected)
        type Row = (
            AttemptOutcome,
            u32,
            bool,
            Duration,
            Option<Duration>,
            Decision,
        );
        #[rustfmt::skip]
        let table: &[Row] = &[
            // Coded answers: the code alone decides, whether or not a resend is safe.
            (coded(true, None), 1, true, s(0), None, Retry(ms(250))),
            (coded(true, None), 1, false, s(0), None, Retry(ms(250))),
            (coded(false, None), 1, true, s(0), None, S(Stop::NotRetryable)),
            (coded(false, Some(s(1))), 1, true, s(0), None, S(Stop::NotRetryable)),
            // Retry-After is a floor on the wait, up to max_backoff inclusive.
            (coded(true, Some(ms(100))), 1, true, s(0), None, Retry(ms(250))),
            (coded(true, Some(s(3))), 1, true, s(0), None, Retry(s(3))),
            (coded(true, Some(s(5))), 1, true, s(0), None, Retry(s(5))),
            (coded(true, Some(s(5) + NS)), 1, true, s(0), None, S(Stop::RetryAfterTooLong)),
            // Answers without a code: 5xx retried only when a resend is safe.
            (uncoded(500, None), 1, true, s(0), None, Retry(ms(250))),
            (uncoded(500, None), 1, false, s(0), None, S(Stop::NotRetryable)),
            (uncoded(503, Some(s(2))), 2, true, s(0), None, Retry(s(2))),
            (uncoded(503, Some(s(6))), 2, true, s(0), None, S(Stop::RetryAfterTooLong)),
            (uncoded(499, None), 1, true, s(0), None, S(Stop::NotRetryable)),
            (uncoded(429, Some(s(1))), 1, true, s(0), None, S(Stop::NotRetryable)),
            (uncoded(200, None), 1, true, s(0), None, S(Stop::NotRetryable)),
            // Not sent: always safe to resend. No answer: only when a resend is safe.
            (NotSent, 1, false, s(0), None, Retry(ms(250))),
            (NotSent, 2, true, s(0), None, Retry(ms(500))),
            (NoAnswer, 3, true, s(0), None, Retry(s(1))),
            (NoAnswer, 1, false, s(0), None, S(Stop::NotRetryable)),
            // Attempts: the fourth attempt is the last; a non-retryable outcome says so first.
            (coded(true, None), 4, true, s(0), None, S(Stop::Attempts)),
            (NotSent, 9, true, s(0), None, S(Stop::Attempts)),
            (uncoded(500, None), 4, false, s(0), None, S(Stop::NotRetryable)),
            (coded(true, Some(s(60))), 4, true, s(0), None, S(Stop::Attempts)),
            // Budget: a wait may end exactly at max_elapsed, not after it.
            (coded(true, None), 1, true, s(60) - ms(250), None, Retry(ms(250))),
            (coded(true, None), 1, true, s(60) - ms(250) + NS, None, S(Stop::Elapsed)),
            (uncoded(503, Some(s(5))), 1, true, s(55), None, Retry(s(5))),
            (uncoded(503, Some(s(5))), 1, true, s(55) + NS, None, S(Stop::Elapsed)),
            (NoAnswer, 1, true, s(3600), None, S(Stop::Elapsed)),
            // Key age: the wait must end more than a minute before the 24 h life.
            (coded(true, None), 1, true, s(0), Some(key_edge(ms(250)) - NS), Retry(ms(250))),
            (coded(true, None), 1, true, s(0), Some(key_edge(ms(250))), S(Stop::KeyAge)),
            (coded(true, Some(s(5))), 1, true, s(0), Some(key_edge(s(5)) - NS), Retry(s(5))),
            (coded(true, Some(s(5))), 1, true, s(0), Some(key_edge(s(5))), S(Stop::KeyAge)),
            (NotSent, 1, true, s(0), Some(KEY_LIFETIME * 2), S(Stop::KeyAge)),
            (NotSent, 1, true, s(0), Some(s(0)), Retry(ms(250))),
            // Over budget and over age: the budget is checked first.
            (NoAnswer, 1, true, s(60), Some(KEY_LIFETIME), S(Stop::Elapsed)),
        ];
        let policy = RetryPolicy::default();
        for (i, &(outcome, attempts, safe, elapsed, key_age, expected)) in table.iter().enumerate()
        {
            let got = policy.decide(
                outcome,
                attempts,
                safe,
                || elapsed,
                || key_age,
                |n| policy.backoff_ceiling(n),
            );
            assert_eq!(got, expected, "row {i}: {outcome:?} attempt {attempts} safe {safe} elapsed {elapsed:?} key age {key_age:?}");
        }
    }

    /// A stop decided before any wait is drawn reads neither clock nor jitter.
    #[test]
    fn decide_reads_time_only_when_a_retry_is_possible() {
        let policy = RetryPolicy::default();
        let never_d = || -> Duration { panic!("time read for a final outcome") };
        let never_k = || -> Option<Duration> { panic!("key age read for a final outcome") };
        let never_b = |_: u32| -> Duration { panic!("backoff drawn for a final outcome") };
        let final_ = AttemptOutcome::Coded {
            retryable: false,
            retry_after: None,
        };
        assert_eq!(
            policy.decide(final_, 1, true, never_d, never_k, never_b),
            Decision::Stop(Stop::NotRetryable)
        );
        assert_eq!(
            policy.decide(AttemptOutcome::NotSent, 4, true, never_d, never_k, never_b),
            Decision::Stop(Stop::Attempts)
        );
        // The key age is not read once the budget has stopped the retries.
        assert_eq!(
            policy.decide(
                AttemptOutcome::NotSent,
                1,
                true,
                || Duration::from_secs(3600),
                never_k,
                |_| Duration::ZERO
            ),
            Decision::Stop(Stop::Elapsed)
        );
    }

    #[test]
    fn key_too_old_edges() {
        let edge = KEY_LIFETIME - DEFAULT_KEY_RESEND_MARGIN;
        assert!(!RetryPolicy::default().key_too_old(None, KEY_LIFETIME * 10));
        assert!(!RetryPolicy::default()
            .key_too_old(Some(edge - Duration::from_nanos(1)), Duration::ZERO));
        assert!(RetryPolicy::default().key_too_old(Some(edge), Duration::ZERO));
        assert!(RetryPolicy::default().key_too_old(Some(Duration::ZERO), edge));
    }
}
