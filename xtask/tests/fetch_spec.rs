//! `cargo xtask fetch-spec` against a local HTTP server on 127.0.0.1:0: a good YAML
//! document, a wrong content type, an HTML error page, an unparseable body, a non-2xx
//! status. Each refusal writes nothing.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

/// Serves `(status line, content type, body)` to every request on 127.0.0.1:0 from a
/// background thread; returns the base URL. The thread ends with the test process.
fn serve(status: &'static str, content_type: Option<&'static str>, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let mut head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            if let Some(ct) = content_type {
                head.push_str(&format!("Content-Type: {ct}\r\n"));
            }
            head.push_str("\r\n");
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}")
}

fn run(url: &str, dir: &Path, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.arg("fetch-spec")
        .arg(url)
        .arg("--lock")
        .arg(dir.join("spec.lock"))
        .args(extra);
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const DOC: &str = "openapi: 3.0.3\ninfo:\n  title: Unified API\n  version: 1.1.4\npaths: {}\n";

fn nothing_written(dir: &Path) {
    let entries: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert!(entries.is_empty(), "files were written: {entries:?}");
}

#[test]
fn a_yaml_document_is_written_byte_for_byte_and_locked() {
    let url = serve(
        "200 OK",
        Some("application/yaml; charset=utf-8"),
        DOC.into(),
    );
    let dir = tempfile::tempdir().unwrap();
    let o = run(&format!("{url}/unified-api.yaml"), dir.path(), &[]);
    assert!(o.status.success(), "{}", text(&o));
    let file = dir.path().join("vendor/unified-api-1.1.4.yaml");
    assert_eq!(std::fs::read(&file).unwrap(), DOC.as_bytes());
    let lock = xtask::lock::SpecLock::read(&dir.path().join("spec.lock")).unwrap();
    assert_eq!(lock.file, "vendor/unified-api-1.1.4.yaml");
    assert_eq!(lock.version, "1.1.4");
    assert_eq!(lock.source, format!("{url}/unified-api.yaml"));
    assert_eq!(lock.sha256, xtask::spec::sha256_hex(DOC.as_bytes()));
    lock.verify("the download", DOC.as_bytes()).unwrap();
}

#[test]
fn version_and_out_options_are_recorded() {
    let url = serve(
        "200 OK",
        Some("application/vnd.oai.openapi+json"),
        br#"{"openapi":"3.1.0","info":{"title":"t","version":"1.1.4"},"paths":{}}"#.to_vec(),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vendor/next.json");
    let o = run(
        &url,
        dir.path(),
        &["--version", "1.1.4-rc1", "--out", out.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("--version 1.1.4-rc1 recorded; the document's info.version is \"1.1.4\"")
    );
    let lock = xtask::lock::SpecLock::read(&dir.path().join("spec.lock")).unwrap();
    assert_eq!(
        (lock.file.as_str(), lock.version.as_str()),
        ("vendor/next.json", "1.1.4-rc1")
    );
    // A file outside the lock's directory cannot be recorded: a command-line error.
    let other = tempfile::tempdir().unwrap();
    let o = run(
        &url,
        dir.path(),
        &["--out", other.path().join("x.yaml").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is not below"), "{}", text(&o));
}

#[test]
fn a_wrong_content_type_is_refused_naming_the_accepted_ones() {
    let url = serve("200 OK", Some("application/octet-stream"), DOC.into());
    let dir = tempfile::tempdir().unwrap();
    let o = run(&url, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("content type `application/octet-stream` is not a YAML or JSON type"),
        "{t}"
    );
    assert!(
        t.contains("application/yaml") && t.contains("application/json"),
        "{t}"
    );
    nothing_written(dir.path());

    let url = serve("200 OK", None, DOC.into());
    let o = run(&url, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("content type (none)"), "{}", text(&o));
    nothing_written(dir.path());
}

#[test]
fn an_html_error_page_is_refused() {
    let page = b"<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>".to_vec();
    let url = serve("200 OK", Some("text/html; charset=utf-8"), page.clone());
    let dir = tempfile::tempdir().unwrap();
    let o = run(&url, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("`text/html; charset=utf-8` is not a YAML or JSON type"),
        "{}",
        text(&o)
    );
    nothing_written(dir.path());
    // The same page mislabelled as YAML: it parses as a YAML string, not an OpenAPI document.
    let url = serve("200 OK", Some("application/yaml"), page);
    let o = run(&url, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("#: the document is not a mapping"),
        "{}",
        text(&o)
    );
    nothing_written(dir.path());
}

#[test]
fn an_unparseable_or_non_openapi_document_is_refused() {
    let url = serve(
        "200 OK",
        Some("application/yaml"),
        b"openapi: [3.0\n  info: {".to_vec(),
    );
    let dir = tempfile::tempdir().unwrap();
    let o = run(&url, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("#: the body does not parse: invalid YAML"),
        "{}",
        text(&o)
    );
    nothing_written(dir.path());

    let url = serve(
        "200 OK",
        Some("application/json"),
        br#"{"swagger":"2.0","info":{"title":"t"}}"#.to_vec(),
    );
    let o = run(&url, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    for p in [
        "#/openapi: missing",
        "#/info/version: missing",
        "#/paths: missing",
    ] {
        assert!(t.contains(p), "{p} in {t}");
    }
    nothing_written(dir.path());
}

#[test]
fn an_error_status_and_a_bad_command_line_write_nothing() {
    let url = serve("404 Not Found", Some("application/yaml"), DOC.into());
    let dir = tempfile::tempdir().unwrap();
    let o = run(&url, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("answered HTTP 404 Not Found"),
        "{}",
        text(&o)
    );
    nothing_written(dir.path());

    let o = run("ftp://example.invalid/spec.yaml", dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["fetch-spec", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    nothing_written(dir.path());
}
