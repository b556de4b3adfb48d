//! `yyyyMMddHHmmss` in JST (UTC+9), the time format of the API: the one parser
//! and formatter of the workspace (the simulator uses them too).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The JST offset from UTC.
const JST_OFFSET_SECS: i64 = 9 * 3600;

/// Parses `yyyyMMddHHmmss` in JST (UTC+9) to Unix seconds (negative before 1970);
/// `None` when malformed or not a real date and time.
///
/// ```
/// use vt4g::validation::parse_jst_secs;
/// assert_eq!(parse_jst_secs("20231115071320"), Some(1_700_000_000));
/// assert_eq!(parse_jst_secs("19700101085959"), Some(-1));
/// assert_eq!(parse_jst_secs("20230229000000"), None);
/// ```
pub fn parse_jst_secs(s: &str) -> Option<i64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| s[a..b].parse::<u32>().ok();
    let (y, mo, d, h, mi, se) = (
        n(0, 4)?,
        n(4, 6)?,
        n(6, 8)?,
        n(8, 10)?,
        n(10, 12)?,
        n(12, 14)?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > dim || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    Some(days * 86_400 + i64::from(h * 3600 + mi * 60 + se) - JST_OFFSET_SECS)
}

/// Formats a time as `yyyyMMddHHmmss` in JST — the format of `recoveryExpiredDatetime`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(vt4g::validation::format_jst(t), "20231115071320");
/// ```
pub fn format_jst(t: SystemTime) -> String {
    // A time before 1970 is formatted as the epoch.
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    format_jst_secs(secs)
}

/// Formats Unix seconds (negative before 1970) as `yyyyMMddHHmmss` in JST.
///
/// ```
/// assert_eq!(vt4g::validation::format_jst_secs(1_700_000_000), "20231115071320");
/// assert_eq!(vt4g::validation::format_jst_secs(-1), "19700101085959");
/// ```
pub fn format_jst_secs(unix_secs: i64) -> String {
    let secs = unix_secs + JST_OFFSET_SECS;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jst_round_trip() {
        for secs in [0u64, 1_700_000_000, 1_709_164_800, 4_102_444_799] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(parse_jst_secs(&format_jst(t)), Some(secs as i64));
        }
        assert_eq!(parse_jst_secs("20240230120000"), None);
        assert!(parse_jst_secs("20240229120000").is_some());
        assert_eq!(parse_jst_secs("20230229120000"), None);
        assert_eq!(parse_jst_secs("20241301000000"), None);
        assert_eq!(parse_jst_secs("2024010100000"), None);
        assert_eq!(parse_jst_secs("20240101240000"), None);
    }
}
