//! Helpers shared by the integration tests: `mod common;` in a test file.
#![allow(dead_code)] // each test binary uses a subset

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The fixed "now" of the validation tests (2025-06-15 15:06:40 UTC), so that
/// time-window rules give the same findings on every run.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

/// The PostgreSQL of the tests: `VT4G_TEST_DATABASE_URL`, else the local default.
pub fn database_url() -> String {
    std::env::var("VT4G_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The environment variable `name` parsed as `T`, else `default`.
///
/// # Panics
/// When the variable is set but does not parse: a mistyped size or seed must
/// not silently run the default.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("{name}={s:?} does not parse")),
        Err(_) => default,
    }
}
