//! `vt4g::client::parse_retry_after` on arbitrary header bytes: never panics;
//! a digits-only value is exactly that many seconds (saturating); a value that
//! is not UTF-8 is ignored; an HTTP-date is never a wait past the date itself.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first 4 bytes choose "now" (seconds after the epoch); the rest is the value.
    let (now_bytes, value) = data.split_at(data.len().min(4));
    let mut secs = [0u8; 4];
    secs[..now_bytes.len()].copy_from_slice(now_bytes);
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(u32::from_le_bytes(secs)));
    let got = vt4g::client::parse_retry_after(value, now);
    let Ok(text) = std::str::from_utf8(value) else {
        assert!(got.is_none());
        return;
    };
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let want = t.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(got, Some(Duration::from_secs(want)));
    } else if let Some(wait) = got {
        let at = httpdate::parse_http_date(t).expect("only dates besides digits are accepted");
        assert_eq!(wait, at.duration_since(now).unwrap_or(Duration::ZERO));
    }
});
