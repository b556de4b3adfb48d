//! `vt4g sandbox serve` off loopback: refused without --allow-remote, a
//! warning and token-protected admin endpoints with it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use common::{run, vt4g};

const TOKEN: &str = "cli-exposure-token-83ac";

#[test]
fn a_non_loopback_addr_is_refused_without_allow_remote() {
    let r = run(
        {
            let mut c = vt4g();
            c.env("VT_TOKEN", TOKEN)
                .args(["sandbox", "serve", "--addr", "0.0.0.0:0"]);
            c
        },
        b"",
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(
        r.stderr.contains("0.0.0.0:0") && r.stderr.contains("--allow-remote"),
        "{}",
        r.stderr
    );
}

/// `GET path` on a fresh connection to 127.0.0.1:port; returns the status.
fn status(port: u16, path: &str, auth: Option<&str>) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = auth.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split(' ').nth(1).unwrap().parse().unwrap()
}

#[test]
fn allow_remote_warns_and_protects_the_admin_endpoints() {
    let mut child = vt4g()
        .env("VT_TOKEN", TOKEN)
        .args(["sandbox", "serve", "--addr", "0.0.0.0:0", "--allow-remote"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim_end()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let stats = (
        status(port, "/_sandbox/stats", None),
        status(port, "/_sandbox/stats", Some("wrong")),
        status(port, "/_sandbox/stats", Some(TOKEN)),
    );
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let code = child.wait().unwrap().code();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(stats, (401, 401, 200));
    assert_eq!(code, Some(0));
    assert!(
        err.contains("warning") && err.contains("not loopback"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "{err}");
}
