//! Fuzzes the `X-VT-Content-hmac` parser: it must never panic, and whatever it
//! accepts must satisfy the documented rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vt4g::webhook::{ContentHmac, MAX_HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = ContentHmac::parse(text) {
        assert!(text.len() <= MAX_HEADER_LEN);
        assert!(!parsed.ccid.is_empty());
        assert!(!parsed.ccid.contains(';'));
        assert!(text.is_ascii());
    }
});
