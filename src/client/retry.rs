//! The retry policy: which failures are retried and how long to wait.

use std::time::Duration;

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
/// `max_elapsed` or within a minute of the idempotency key's 24 h life, ends
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
}

impl Default for RetryPolicy {
    /// 4 attempts in all, 250 ms initial backoff, 5 s cap, 60 s total.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(60),
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
}
