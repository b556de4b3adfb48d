//! Small helpers shared by the checks and their messages.

/// String equality without a `memcmp` call for the short strings of enum values.
#[inline]
pub(super) fn short_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

pub(super) fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Whether `s` is a non-empty string of single-byte digits.
pub(super) fn is_digit_string(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The numeric value of a digit string (saturating at `u64::MAX`).
pub(super) fn digit_value(s: &str) -> u64 {
    s.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    })
}

/// Describes one character for a message: printable ones quoted, with the code point.
pub(super) fn describe_char(c: char) -> String {
    if c.is_control()
        || c.is_whitespace()
        || ('\u{300}'..='\u{36F}').contains(&c)
        || ('\u{3099}'..='\u{309A}').contains(&c)
    {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}' (U+{:04X})", c as u32)
    }
}

pub(super) fn human_secs(s: u64) -> String {
    if s.is_multiple_of(3600) && s >= 3600 {
        plural((s / 3600) as usize, "hour")
    } else if s.is_multiple_of(60) && s >= 60 {
        plural((s / 60) as usize, "minute")
    } else {
        plural(s as usize, "second")
    }
}
