//! Fuzzes the simulator's command endpoint checks of untrusted input
//! (`vt4g_sandbox::parse_command_request`: command name, bearer token,
//! idempotency key, JSON body and its validation). Byte 0 picks the command
//! name (or a garbage one), byte 1 the headers' shape; the rest is the body.
//! It must never panic; an accepted request has the path's command and a key
//! of 1-100 of `A-Z a-z 0-9 - _`; a refusal's body is JSON with a result code.
#![no_main]

use axum::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use vt4g::Command;
use vt4g_sandbox::{parse_command_request, Refused};

const TOKEN: &str = "fuzz-token";

fuzz_target!(|data: &[u8]| {
    let [name_sel, header_sel, body @ ..] = data else {
        return;
    };
    let name = match usize::from(*name_sel) {
        i if i < Command::ALL.len() => Command::ALL[i].as_str().to_owned(),
        i if i < 2 * Command::ALL.len() => Command::ALL[i - Command::ALL.len()]
            .notification_name()
            .unwrap_or("x")
            .to_owned(),
        _ => String::from_utf8_lossy(&body[..body.len().min(12)]).into_owned(),
    };
    let mut headers = HeaderMap::new();
    match header_sel & 3 {
        0 => {}
        1 => {
            headers.insert(
                "authorization",
                HeaderValue::from_static("Bearer fuzz-token"),
            );
        }
        _ => {
            headers.insert(
                "authorization",
                HeaderValue::from_static("Bearer fuzz-token"),
            );
            // The key from the body's first bytes, as raw header bytes.
            let n = usize::from(header_sel >> 2).min(body.len());
            if let Ok(v) = HeaderValue::from_bytes(&body[..n]) {
                headers.insert("x-vt-idempotency-key", v);
            }
        }
    }
    match parse_command_request(&name, &headers, body, TOKEN) {
        Ok(req) => {
            assert_eq!(req.command.as_str(), name);
            if let Some(k) = &req.idempotency_key {
                assert!((1..=100).contains(&k.len()));
                assert!(k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
        }
        Err(Refused::NotFound) => assert!(Command::ALL.iter().all(|c| c.as_str() != name)),
        Err(Refused::Api { status, body }) => {
            assert!((400..600).contains(&status), "{status}");
            let v: serde_json::Value = serde_json::from_slice(&body).expect("error body is JSON");
            assert!(v["result"]["resultCode"].is_string(), "{v}");
        }
        Err(Refused::Format(msg)) => assert!(!msg.is_empty()),
    }
});
