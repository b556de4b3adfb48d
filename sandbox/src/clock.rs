//! The simulator's clock (the library's [`Clock`] trait) and the JST
//! `yyyyMMddHHmmss` format the API uses, over the library's one implementation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

// The simulator reads every time (idempotency key life, `transactionDatetime`,
// `recoveryExpiredDatetime` range, effect timestamps) through the configured
// clock, so tests can move it: the client's trait and clocks.
pub use vt4g::client::{Clock, ManualClock, SystemClock};

/// Seconds since the Unix epoch (negative before it).
pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Formats `t` as JST `yyyyMMddHHmmss`, the API's date-time format.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// // 2024-01-01T00:00:00Z is 09:00 JST.
/// let t = UNIX_EPOCH + Duration::from_secs(1_704_067_200);
/// assert_eq!(vt4g_sandbox::format_jst(t), "20240101090000");
/// ```
pub fn format_jst(t: SystemTime) -> String {
    vt4g::validation::format_jst_secs(unix_secs(t))
}

/// Parses a JST `yyyyMMddHHmmss` value; `None` when malformed, not a real
/// date-time, or before 1970.
pub fn parse_jst(s: &str) -> Option<SystemTime> {
    let secs = u64::try_from(vt4g::validation::parse_jst_secs(s)?).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jst_round_trip() {
        for secs in [0u64, 1_704_067_200, 1_709_251_199, 4_102_444_800] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(parse_jst(&format_jst(t)), Some(t), "{secs}");
        }
        assert_eq!(format_jst(UNIX_EPOCH), "19700101090000");
        assert_eq!(parse_jst("20230229000000"), None);
        assert_eq!(parse_jst("2024022900000"), None);
        assert!(parse_jst("20240229000000").is_some());
    }
}
