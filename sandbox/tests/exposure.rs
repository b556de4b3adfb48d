//! The simulator's exposure over real HTTP: a non-loopback bind needs
//! `allow_remote`, the admin endpoints then need the bearer token, and the
//! request size limits answer 414 / 431 / 413.
//!
//! `cargo test -p vt4g-sandbox --test exposure`

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vt4g_sandbox::{RequestLimits, Sandbox, SandboxConfig, DEFAULT_BEARER_TOKEN};

/// Sends `request` as is on a fresh connection; returns the status code and
/// the rest of the answer.
async fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before the whole request is written.
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test]
async fn a_non_loopback_bind_is_refused_unless_allowed() {
    let any = SocketAddr::from(([0, 0, 0, 0], 0));
    let err = Sandbox::start(SandboxConfig::default().addr(any))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("0.0.0.0:0"), "{err}");
    assert!(err.to_string().contains("allow_remote"), "{err}");
    // Loopback needs nothing, IPv6 loopback included.
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0));
    if let Ok(sb) = Sandbox::start(SandboxConfig::default().addr(v6)).await {
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn off_loopback_the_admin_endpoints_need_the_token() {
    let any = SocketAddr::from(([0, 0, 0, 0], 0));
    let sb = Sandbox::start(SandboxConfig::default().addr(any).allow_remote(true))
        .await
        .unwrap();
    let addr = loopback(sb.addr().port());
    for path in ["/_sandbox/stats", "/_sandbox/faults", "/_sandbox/effects"] {
        let (status, text) = raw(addr, &get(path, "")).await;
        assert_eq!(status, 401, "{path}: {text}");
        assert!(text.contains("Bearer"), "{text}");
        let (status, _) = raw(addr, &get(path, "Authorization: Bearer wrong\r\n")).await;
        assert_eq!(status, 401, "{path}");
        let auth = format!("Authorization: Bearer {DEFAULT_BEARER_TOKEN}\r\n");
        let (status, text) = raw(addr, &get(path, &auth)).await;
        assert_eq!(status, 200, "{path}: {text}");
    }
    // Injecting a fault without the token changes nothing.
    let body = r#"{"fault":"serverError"}"#;
    let req = format!(
        "POST /_sandbox/faults HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, _) = raw(addr, req.as_bytes()).await;
    assert_eq!(status, 401);
    let auth = format!("Authorization: Bearer {DEFAULT_BEARER_TOKEN}\r\n");
    let (_, text) = raw(addr, &get("/_sandbox/faults", &auth)).await;
    assert!(text.ends_with("[]"), "{text}");
    sb.shutdown().await;
}

#[tokio::test]
async fn on_loopback_the_admin_endpoints_stay_open() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let (status, text) = raw(sb.addr(), &get("/_sandbox/stats", "")).await;
    assert_eq!(status, 200, "{text}");
    sb.shutdown().await;
}

#[tokio::test]
async fn size_limits_answer_414_431_413() {
    let limits = RequestLimits {
        max_target: 256,
        max_header_bytes: 1024,
        max_headers: 16,
        max_body: 4096,
    };
    let sb = Sandbox::start(SandboxConfig::default().limits(limits))
        .await
        .unwrap();
    let addr = sb.addr();

    // Path and query.
    let long = format!("/_sandbox/orders/{}", "a".repeat(300));
    let (status, text) = raw(addr, &get(&long, "")).await;
    assert_eq!(status, 414, "{text}");
    assert!(text.contains("256"), "{text}");
    let (status, _) = raw(
        addr,
        &get(&format!("/_sandbox/orders/{}", "a".repeat(200)), ""),
    )
    .await;
    assert_eq!(status, 404, "within the limit: the order is unknown");

    // Header count and size.
    let many: String = (0..20).map(|i| format!("X-H{i}: v\r\n")).collect();
    let (status, text) = raw(addr, &get("/_sandbox/stats", &many)).await;
    assert_eq!(status, 431, "{text}");
    let big = format!("X-Big: {}\r\n", "v".repeat(1100));
    let (status, text) = raw(addr, &get("/_sandbox/stats", &big)).await;
    assert_eq!(status, 431, "{text}");

    // Body: by Content-Length before reading, and chunked while reading.
    let auth = format!("Authorization: Bearer {DEFAULT_BEARER_TOKEN}\r\n");
    let head = |extra: &str| {
        format!("POST /fep/command/pay HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}Content-Type: application/json\r\n{extra}\r\n")
    };
    let (status, text) = raw(addr, head("Content-Length: 5000\r\n").as_bytes()).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("4096"), "{text}");
    let mut chunked = head("Transfer-Encoding: chunked\r\n").into_bytes();
    for _ in 0..5 {
        chunked.extend_from_slice(format!("400\r\n{}\r\n", " ".repeat(0x400)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = raw(addr, &chunked).await;
    assert_eq!(status, 413, "{text}");
    // The admin endpoint's body too.
    let req = "POST /_sandbox/faults HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5000\r\n\r\n";
    let (status, _) = raw(addr, req.as_bytes()).await;
    assert_eq!(status, 413);
    // A body within the limit reaches the API (and is judged by it).
    let body = "{}";
    let ok = format!(
        "{}{body}",
        head(&format!("Content-Length: {}\r\n", body.len()))
    );
    let (status, text) = raw(addr, ok.as_bytes()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("UA-REQ-001"), "{text}");
    sb.shutdown().await;
}
