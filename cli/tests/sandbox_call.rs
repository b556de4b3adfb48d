//! `vt4g sandbox serve` as a child process, `vt4g call` against it, then SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};

use common::{run, temp_file, vt4g};
use serde_json::{json, Value};

const TOKEN: &str = "cli-test-token-6f1d2a";
const CCID: &str = "cliTestCcid";
const KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// A running `vt4g sandbox serve`; killed on drop if the test failed before SIGTERM.
struct Server {
    child: Option<Child>,
    root: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut c = vt4g();
        c.env("VT_TOKEN", TOKEN)
            .env("VT_MERCHANT_CCID", CCID)
            .env("VT_MERCHANT_KEY", KEY)
            .args(["sandbox", "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn vt4g sandbox serve");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("read the first line");
        let root = line
            .strip_suffix('\n')
            .and_then(|l| l.strip_prefix("listening on "))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(root.starts_with("http://127.0.0.1:"), "{root}");
        let port: u16 = root["http://127.0.0.1:".len()..].parse().expect("a port");
        assert_ne!(port, 0);
        Server {
            child: Some(child),
            root,
        }
    }

    fn base_url(&self) -> String {
        format!("{}/fep/command", self.root)
    }

    /// Sends SIGTERM and returns (exit code, rest of stdout, stderr).
    fn terminate(mut self) -> (Option<i32>, String, String) {
        let mut child = self.child.take().expect("child");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let out = child.wait().expect("wait");
        let mut rest = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut rest)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (out.code(), rest, err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn pay_body(payment_id: &str, amount: &str) -> Value {
    json!({
        "order": {"payType": "paypay", "paymentId": payment_id, "amount": amount},
        "control": {
            "requestMode": "sandbox",
            "successUrl": "https://shop.example/ok",
            "cancelUrl": "https://shop.example/cancel",
            "errorUrl": "https://shop.example/error"
        }
    })
}

fn call(server: &Server, args: &[&str], body: &Value) -> common::Run {
    let mut c = vt4g();
    c.env("VT_TOKEN", TOKEN)
        .args(["call"])
        .args(args)
        .args(["--base-url", &server.base_url()]);
    run(c, body.to_string().as_bytes())
}

#[test]
fn serve_call_pay_and_terminate_cleanly() {
    let server = Server::start(&[]);

    // A successful pay.
    let ok = call(&server, &["pay"], &pay_body("cli_pay_1", "1000"));
    assert_eq!(ok.code, 0, "{ok:?}");
    let doc = ok.json();
    assert_eq!(doc["result"]["resultCode"], "UA-000-001", "{doc}");
    assert_eq!(doc["order"]["paymentId"], "cli_pay_1");
    assert!(doc["control"]["redirectUrl"]
        .as_str()
        .unwrap()
        .starts_with(&server.root));
    ok.assert_not_leaked(TOKEN);

    // The same paymentId again: an API failure result (409 UA-REQ-003), response printed.
    let dup = call(&server, &["pay"], &pay_body("cli_pay_1", "1000"));
    assert_eq!(dup.code, 1, "{dup:?}");
    assert_eq!(dup.json()["result"]["resultCode"], "UA-REQ-003");

    // The same idempotency key and body twice: the original answer comes back.
    let key = "cli-test-key-0001";
    let first = call(
        &server,
        &["pay", "--idempotency-key", key],
        &pay_body("cli_pay_2", "500"),
    );
    let again = call(
        &server,
        &["pay", "--idempotency-key", key],
        &pay_body("cli_pay_2", "500"),
    );
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(first.json(), again.json());

    // A wrong token: 401 UA-REQ-008, exit 1, and neither token is printed.
    let mut c = vt4g();
    c.env("VT_TOKEN", "wrong-token-b7c9e1")
        .args(["call", "pay", "--base-url", &server.base_url()]);
    let bad = run(c, pay_body("cli_pay_3", "100").to_string().as_bytes());
    assert_eq!(bad.code, 1, "{bad:?}");
    assert_eq!(bad.json()["result"]["resultCode"], "UA-REQ-008");
    bad.assert_not_leaked("wrong-token-b7c9e1");
    bad.assert_not_leaked(TOKEN);

    // Validation failure: nothing is sent, the report is printed.
    let invalid = call(&server, &["pay"], &pay_body("cli_pay_4", "123456789"));
    assert_eq!(invalid.code, 1, "{invalid:?}");
    assert_eq!(invalid.json()["valid"], false);

    // A follow-up command with --pay-type.
    let capture = json!({"order": {"paymentId": "cli_pay_1", "amount": "1000"}});
    let cap = call(&server, &["capture", "--pay-type", "paypay"], &capture);
    assert!(cap.code == 0 || cap.code == 1, "{cap:?}");
    assert!(cap.json()["result"]["resultCode"].is_string(), "{cap:?}");

    let (code, rest, err) = server.terminate();
    assert_eq!(code, Some(0), "stderr: {err}");
    assert!(
        rest.is_empty(),
        "nothing but the first line on stdout: {rest:?}"
    );
    for secret in [TOKEN, KEY] {
        assert!(!err.contains(secret), "secret in stderr: {err}");
    }
}

#[test]
fn serve_with_default_credentials_says_so_without_printing_values() {
    let mut c = vt4g();
    c.args(["sandbox", "serve", "--fault-rate", "0.5", "--seed", "7"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("VT_TOKEN"), "{err}");
    assert!(!err.contains(vt4g_sandbox::DEFAULT_BEARER_TOKEN), "{err}");
    assert!(!err.contains(vt4g_sandbox::DEFAULT_AUTH_KEY), "{err}");
}

#[test]
fn serve_help_names_the_simulator_defaults() {
    let r = common::run_args(&["sandbox", "serve", "--help"]);
    for v in [
        vt4g_sandbox::DEFAULT_BEARER_TOKEN,
        vt4g_sandbox::DEFAULT_CCID,
        vt4g_sandbox::DEFAULT_AUTH_KEY,
    ] {
        assert!(r.stdout.contains(v), "{v}: {}", r.stdout);
    }
}

#[test]
fn call_transport_failure_exits_3_with_the_key() {
    // Bind then drop a listener: the port is (almost certainly) closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = vt4g();
    c.env("VT_TOKEN", TOKEN).args([
        "call",
        "pay",
        "--max-attempts",
        "2",
        "--timeout",
        "5",
        "--idempotency-key",
        "cli-resume-key-42",
        "--base-url",
        &format!("http://127.0.0.1:{port}/fep/command"),
    ]);
    let r = run(c, pay_body("cli_pay_t", "100").to_string().as_bytes());
    assert_eq!(r.code, 3, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["idempotencyKey"], "cli-resume-key-42");
    assert!(doc["error"].as_str().is_some_and(|e| !e.is_empty()));
    r.assert_not_leaked(TOKEN);
}

#[test]
fn call_without_token_or_target_is_a_usage_error() {
    let path = temp_file("pay.json", pay_body("x", "1").to_string().as_bytes());
    let p = path.to_str().unwrap();
    let no_token = common::run_args(&["call", "pay", "--env", "sandbox", p]);
    let mut c = vt4g();
    c.env("VT_TOKEN", TOKEN).args(["call", "pay", p]);
    let no_target = run(c, b"");
    std::fs::remove_file(&path).ok();
    assert_eq!(no_token.code, 2, "{no_token:?}");
    assert!(no_token.stderr.contains("VT_TOKEN"));
    assert_eq!(no_target.code, 2, "{no_target:?}");
    assert!(no_token.stdout.is_empty() && no_target.stdout.is_empty());
}

/// Reads one HTTP/1.1 request (headers and a Content-Length body) from `stream`.
fn read_request(stream: &mut std::net::TcpStream) -> (Vec<(String, String)>, Vec<u8>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut headers = Vec::new();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap(); // request line
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap();
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

/// The simulator's signed webhook and redirect verify with `vt4g webhook verify` and
/// `vt4g redirect verify` (interoperability of the signing and verifying sides).
#[test]
fn simulator_webhook_and_redirect_verify_with_the_cli() {
    use std::io::Write;
    let server = Server::start(&[]);
    let hook = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_url = format!(
        "http://127.0.0.1:{}/hook",
        hook.local_addr().unwrap().port()
    );
    let mut body = pay_body("cli_pay_hook", "1000");
    body["control"]["successUrl"] = json!("http://127.0.0.1:9/ok");
    body["control"]["pushUrl"] = json!(hook_url);

    // pushUrl on loopback over http needs the named relaxation.
    let refused = call(&server, &["pay"], &body);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(refused.json()["valid"], false);
    let ok = call(&server, &["pay", "--allow-local-urls"], &body);
    assert_eq!(ok.code, 0, "{ok:?}");
    let redirect_url = ok.json()["control"]["redirectUrl"]
        .as_str()
        .unwrap()
        .to_owned();

    // The consumer step: GET the redirect URL; the simulator answers 302 to successUrl.
    let rest = redirect_url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path}?choice=success HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 302"), "{resp}");
    let location = resp
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .expect("Location header");

    let with_creds = |args: &[&str]| {
        let mut c = vt4g();
        c.env("VT_MERCHANT_CCID", CCID)
            .env("VT_MERCHANT_KEY", KEY)
            .args(args);
        c
    };
    let r = run(
        with_creds(&[
            "redirect",
            "verify",
            "--expect-payment-id",
            "cli_pay_hook",
            &location,
        ]),
        b"",
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["paymentId"], "cli_pay_hook");
    assert_eq!(doc["command"], "pay");
    let replay = run(
        with_creds(&[
            "redirect",
            "verify",
            "--expect-payment-id",
            "cli_pay_other",
            &location,
        ]),
        b"",
    );
    assert_eq!(replay.code, 1, "{replay:?}");

    // The webhook of the successful order arrives at pushUrl.
    // Bounded wait so that a missing webhook fails the test instead of hanging it.
    hook.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut conn = loop {
        match hook.accept() {
            Ok((c, _)) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no webhook within 60 s"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    conn.set_nonblocking(false).unwrap();
    let (headers, raw) = read_request(&mut conn);
    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    drop(conn);
    let hmac = header(&headers, "x-vt-content-hmac").to_owned();
    let id = header(&headers, "x-vt-webhook-id").to_owned();
    let v = run(
        with_creds(&["webhook", "verify", "--header", &hmac, "--webhook-id", &id]),
        &raw,
    );
    assert_eq!(v.code, 0, "{v:?}");
    let doc = v.json();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["scheme"], "literal");
    assert_eq!(doc["paymentId"], "cli_pay_hook");
    assert_eq!(doc["webhookId"], id.as_str());
    let d = run(
        with_creds(&["webhook", "detect-scheme", "--header", &hmac]),
        &raw,
    );
    assert_eq!(d.code, 0, "{d:?}");
    assert!(d.json()["matches"]
        .as_array()
        .unwrap()
        .contains(&json!("literal")));

    let (code, _, _) = server.terminate();
    assert_eq!(code, Some(0));
}

/// GETs `url` (plain http on loopback) and returns the body.
fn http_get(url: &str) -> String {
    use std::io::Write;
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let body = resp.split_once("\r\n\r\n").unwrap().1.to_owned();
    if resp
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // De-chunk.
        let mut out = String::new();
        let mut rest = body.as_str();
        loop {
            let (size, tail) = rest.split_once("\r\n").unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        body
    }
}

/// Under seeded random faults (500, 429, 406, 503, dropped connections, effect applied then
/// dropped), `vt4g call` with its retries either succeeds or reports a resumable transport
/// failure, and every payment is applied at most once.
#[test]
fn call_retries_under_faults_and_never_applies_twice() {
    let server = Server::start(&["--fault-rate", "0.4", "--seed", "20261122"]);
    let mut succeeded = Vec::new();
    for i in 0..8 {
        let id = format!("cli_fault_{i}");
        let r = call(
            &server,
            &["pay", "--max-attempts", "6"],
            &pay_body(&id, "1000"),
        );
        match r.code {
            0 => {
                assert_eq!(r.json()["result"]["resultCode"], "UA-000-001", "{r:?}");
                succeeded.push(id);
            }
            3 => assert!(r.json()["idempotencyKey"].is_string(), "{r:?}"),
            // A retry_request code still returned after the last attempt.
            1 => assert!(r.json()["result"]["resultCode"].is_string(), "{r:?}"),
            _ => panic!("{r:?}"),
        }
    }
    assert!(!succeeded.is_empty(), "no call got through");
    let effects: Value =
        serde_json::from_str(&http_get(&format!("{}/_sandbox/effects", server.root)))
            .expect("effects JSON");
    let effects = effects.as_array().expect("an array");
    for i in 0..8 {
        let id = format!("cli_fault_{i}");
        let n = effects
            .iter()
            .filter(|e| e["command"] == "pay" && e["paymentId"] == id.as_str())
            .count();
        assert!(n <= 1, "{id} applied {n} times: {effects:?}");
        if succeeded.contains(&id) {
            assert_eq!(n, 1, "{id} succeeded but has no effect");
        }
    }
    let (code, _, _) = server.terminate();
    assert_eq!(code, Some(0));
}

#[test]
fn serve_bounds_the_orders_it_keeps() {
    let server = Server::start(&["--max-orders", "2"]);
    for id in ["cli_keep_1", "cli_keep_2", "cli_keep_3"] {
        let r = call(&server, &["pay"], &pay_body(id, "1000"));
        assert_eq!(r.code, 0, "{r:?}");
    }
    let stats: Value =
        serde_json::from_str(&http_get(&format!("{}/_sandbox/stats", server.root))).unwrap();
    assert_eq!(stats["orders"], 2, "{stats}");
    assert_eq!(stats["ordersEvicted"], 1, "{stats}");
    // The least recently used order is forgotten: a follow-up answers as for an unknown order.
    let cancel = json!({"order": {"paymentId": "cli_keep_1"}});
    let gone = call(&server, &["cancel", "--pay-type", "paypay"], &cancel);
    assert_eq!(gone.code, 1, "{gone:?}");
    assert_eq!(gone.json()["result"]["resultCode"], "UA-REQ-900");
    // The newest is still there.
    let cancel = json!({"order": {"paymentId": "cli_keep_3"}});
    let kept = call(&server, &["cancel", "--pay-type", "paypay"], &cancel);
    assert_ne!(
        kept.json()["result"]["resultCode"],
        "UA-REQ-900",
        "{kept:?}"
    );
    let (code, _, err) = server.terminate();
    assert_eq!(code, Some(0), "stderr: {err}");
}

#[test]
fn serve_rejects_a_zero_bound() {
    let r = common::run_args(&["sandbox", "serve", "--max-orders", "0"]);
    assert_eq!(r.code, 2, "{r:?}");
}

/// One request a [`Receiver`] answered 200: path, headers, body.
type Received = (String, Vec<(String, String)>, Vec<u8>);

/// A loopback HTTP endpoint (a merchant app): answers every request 200 and
/// hands it to the test.
struct Receiver {
    base: String,
    rx: std::sync::mpsc::Receiver<Received>,
}

impl Receiver {
    fn start() -> Receiver {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let path = first.split(' ').nth(1).unwrap_or_default().to_owned();
                let mut headers = Vec::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = l.split_once(':') {
                        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                    }
                }
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .map_or(0, |(_, v)| v.parse().unwrap_or(0));
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                if tx.send((path, headers, body)).is_err() {
                    return;
                }
            }
        });
        Receiver { base, rx }
    }

    /// The next `n` requests (bounded wait: a missing one fails the test), by path.
    fn take(&self, n: usize) -> Vec<Received> {
        let mut got: Vec<Received> = (0..n)
            .map(|i| {
                self.rx
                    .recv_timeout(std::time::Duration::from_secs(60))
                    .unwrap_or_else(|_| {
                        panic!("request {} of {n} did not arrive within 60 s", i + 1)
                    })
            })
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        got
    }
}

fn trigger(server: &Server, args: &[&str]) -> common::Run {
    let mut c = vt4g();
    c.args(["sandbox", "trigger"])
        .args(args)
        .args(["--url", &server.root]);
    run(c, b"")
}

fn verify_webhook(headers: &[(String, String)], body: &[u8]) -> common::Run {
    let mut c = vt4g();
    c.env("VT_MERCHANT_CCID", CCID)
        .env("VT_MERCHANT_KEY", KEY)
        .args([
            "webhook",
            "verify",
            "--header",
            header(headers, "x-vt-content-hmac"),
        ])
        .args(["--webhook-id", header(headers, "x-vt-webhook-id")]);
    run(c, body)
}

/// The developer loop over the real binary: `sandbox serve --forward-webhooks-to`, `sandbox
/// trigger` (complete, cancel, fail, redeliver-webhook, refusals) and `webhook send`.
#[test]
fn dev_loop_trigger_forward_and_send() {
    let app = Receiver::start();
    let server = Server::start(&["--forward-webhooks-to", &format!("{}/fwd", app.base)]);

    // PayPay order with a loopback pushUrl; the consumer completes it through `trigger`.
    let mut body = pay_body("cli_loop_1", "1000");
    body["control"]["pushUrl"] = json!(format!("{}/push", app.base));
    let paid = call(&server, &["pay", "--allow-local-urls"], &body);
    assert_eq!(paid.code, 0, "{paid:?}");
    let done = trigger(&server, &["complete", "--payment-id", "cli_loop_1"]);
    assert_eq!(done.code, 0, "{done:?}");
    let doc = done.json();
    assert_eq!(doc["choice"], "success");
    assert_ne!(doc["state"], "awaiting_consumer");
    let location = doc["location"].as_str().unwrap();
    assert!(
        location.starts_with("https://shop.example/ok?"),
        "{location}"
    );
    let mut c = vt4g();
    c.env("VT_MERCHANT_CCID", CCID)
        .env("VT_MERCHANT_KEY", KEY)
        .args([
            "redirect",
            "verify",
            "--expect-payment-id",
            "cli_loop_1",
            location,
        ]);
    let r = run(c, b"");
    assert_eq!(r.code, 0, "{r:?}");

    // The webhook reaches pushUrl and, forwarded, the app: same id, same bytes, verifying.
    let got = app.take(2);
    assert_eq!((got[0].0.as_str(), got[1].0.as_str()), ("/fwd", "/push"));
    assert_eq!(got[0].2, got[1].2);
    let id = header(&got[0].1, "x-vt-webhook-id").to_owned();
    assert_eq!(id, header(&got[1].1, "x-vt-webhook-id"));
    let v = verify_webhook(&got[0].1, &got[0].2);
    assert_eq!(v.code, 0, "{v:?}");
    assert_eq!(v.json()["paymentId"], "cli_loop_1");

    // A redelivery: the same webhook again, to both.
    let again = trigger(
        &server,
        &["redeliver-webhook", "--payment-id", "cli_loop_1"],
    );
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.json()["webhookId"], id.as_str());
    let re = app.take(2);
    for (_, h, b) in &re {
        assert_eq!(header(h, "x-vt-webhook-id"), id);
        assert_eq!(b, &got[0].2);
    }

    // Docomo's page has a consumer cancel: the redirect goes to cancelUrl, the order fails.
    let mut dc = pay_body("cli_loop_2", "1000");
    dc["order"]["payType"] = json!("docomo");
    let paid = call(&server, &["pay"], &dc);
    assert_eq!(paid.code, 0, "{paid:?}");
    let cancel = trigger(&server, &["cancel", "--payment-id", "cli_loop_2"]);
    assert_eq!(cancel.code, 0, "{cancel:?}");
    let doc = cancel.json();
    assert_eq!(doc["choice"], "cancel");
    assert_eq!(doc["state"], "failed");
    assert!(doc["location"]
        .as_str()
        .unwrap()
        .starts_with("https://shop.example/cancel?"));
    // ... and it is finished now.
    let late = trigger(&server, &["complete", "--payment-id", "cli_loop_2"]);
    assert_eq!(late.code, 1, "{late:?}");
    assert!(late.json()["error"]
        .as_str()
        .unwrap()
        .contains("not awaiting"));

    // PayPay's page has no failure choice: refused, with where failures come from.
    let paid = call(&server, &["pay"], &pay_body("cli_loop_3", "1000"));
    assert_eq!(paid.code, 0, "{paid:?}");
    let fail = trigger(&server, &["fail", "--payment-id", "cli_loop_3"]);
    assert_eq!(fail.code, 1, "{fail:?}");
    assert!(fail.json()["error"]
        .as_str()
        .unwrap()
        .contains("last digit"));
    let unknown = trigger(&server, &["complete", "--payment-id", "no_such_order"]);
    assert_eq!(unknown.code, 1, "{unknown:?}");
    let usage = trigger(&server, &["choose", "--payment-id", "cli_loop_3"]);
    assert_eq!(usage.code, 2, "{usage:?}");

    // `webhook send`: the file's bytes, signed, to the app; the signature verifies.
    let file = temp_file("send.json", &got[0].2);
    let mut c = vt4g();
    c.env("VT_MERCHANT_CCID", CCID)
        .env("VT_MERCHANT_KEY", KEY)
        .args(["webhook", "send", "--to", &format!("{}/sent", app.base)])
        .args(["--webhook-id", "W-SEND-1", file.to_str().unwrap()]);
    let sent = run(c, b"");
    std::fs::remove_file(&file).ok();
    assert_eq!(sent.code, 0, "{sent:?}");
    assert_eq!(sent.json()["status"], 200);
    sent.assert_not_leaked(KEY);
    let got_sent = app.take(1);
    assert_eq!(got_sent[0].0, "/sent");
    assert_eq!(header(&got_sent[0].1, "x-vt-webhook-id"), "W-SEND-1");
    let v = verify_webhook(&got_sent[0].1, &got_sent[0].2);
    assert_eq!(v.code, 0, "{v:?}");

    let root = server.root.clone();
    let (code, _, err) = server.terminate();
    assert_eq!(code, Some(0));
    assert!(err.contains("forwarding every webhook to"), "{err}");
    assert!(err.contains(&format!("[{id}]")), "{err}");
    assert!(!err.contains(KEY));

    // Nothing listens there any more: a transport failure, exit 3.
    let mut c = vt4g();
    c.args([
        "sandbox",
        "trigger",
        "complete",
        "--payment-id",
        "x",
        "--url",
        &root,
    ]);
    let gone = run(c, b"");
    assert_eq!(gone.code, 3, "{gone:?}");
}
