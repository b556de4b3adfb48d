//! `cargo xtask upgrade` end to end, on a copy of the workspace's `openapi/` and
//! `generated/src` in a temporary directory: an identical document (exit 0, nothing
//! changes), a synthetic "1.1.4" made from the vendor file with a field added, a limit
//! changed, a field removed and a result code added (exit 1, every change named, semver
//! major, nothing written), an additive "1.1.4" (exit 0, everything rewritten, and codegen
//! --check is then clean), and the exit-2 cases.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A scratch workspace: `openapi/` and `generated/src` copied from the real one.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("openapi"), &dir.path().join("openapi"));
    copy_dir(
        &root().join("generated/src"),
        &dir.path().join("generated/src"),
    );
    dir
}

/// Every file under `dir` with its bytes, sorted by path.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let b = std::fs::read(&p).unwrap();
                out.push((p, b));
            }
        }
    }
    out.sort();
    out
}

fn upgrade(ws: &Path, new_file: &Path) -> (Output, String) {
    let report = ws.join("report.md");
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("upgrade")
        .arg(new_file)
        .arg("--workspace")
        .arg(ws)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    (o, text)
}

fn vendor() -> Value {
    let text = std::fs::read_to_string(root().join(xtask::codegen::VENDOR_FILE)).unwrap();
    xtask::spec::parse_yaml(&text).unwrap()
}

fn write_yaml(dir: &Path, name: &str, doc: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_yaml::to_string(doc).unwrap()).unwrap();
    p
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn an_identical_document_changes_nothing() {
    let ws = scratch();
    let before = snapshot(ws.path());
    let same = ws.path().join("openapi/vendor/unified-api-1.1.3.yaml");
    let (o, report) = upgrade(ws.path(), &same);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", out(&o));
    assert!(out(&o).contains("nothing changed"), "{}", out(&o));
    assert!(report.contains("semver: patch"), "{report}");
    assert!(report.contains("- patch: no change"), "{report}");
    assert_eq!(snapshot(ws.path()), before, "no file may change");
}

/// The synthetic next release: a field added (whose description states a per-provider
/// limit no rule encodes), a limit changed, a field removed, a result code added.
fn synthetic_114() -> Value {
    let mut d = vendor();
    d["info"]["version"] = json!("1.1.4");
    let order = &mut d["components"]["schemas"]["PayOrder"]["properties"];
    order["memo"] = json!({
        "type": "string",
        "maxLength": 100,
        "description": "A note shown to the consumer.\nInput value limits for each payment method\nPayPay: 50 characters or less"
    });
    order["description"]["maxLength"] = json!(300);
    d["components"]["schemas"]["PayMerchant"]["properties"]
        .as_object_mut()
        .unwrap()
        .shift_remove("terminalId");
    let desc = d["info"]["description"].as_str().unwrap().replace(
        "401 UA-REQ-008 Authentication error confirm_token\n",
        "401 UA-REQ-008 Authentication error confirm_token\n400 UA-REQ-010 Unsupported currency confirm_request\n",
    );
    assert!(desc.contains("UA-REQ-010"), "the result code table moved");
    d["info"]["description"] = json!(desc);
    d
}

#[test]
fn a_synthetic_next_release_names_every_change_and_writes_nothing() {
    let ws = scratch();
    let before = snapshot(ws.path());
    let tmp = tempfile::tempdir().unwrap();
    let new = write_yaml(tmp.path(), "unified-api-1.1.4.yaml", &synthetic_114());
    let (o, report) = upgrade(ws.path(), &new);
    assert_eq!(o.status.code(), Some(1), "{}\n{report}", out(&o));
    assert_eq!(snapshot(ws.path()), before, "nothing may be written");
    for expected in [
        "# Upgrade report: 1.1.3 → 1.1.4",
        "semver: major",
        // The field added, with its limit.
        "- `pay request: order.memo` (string, maxLength 100, optional)",
        "- minor: optional field added: pay request: order.memo",
        // The limit changed, old → new.
        "- `pay request: order.description`: maxLength 255 → 300",
        "- minor: wider limit: pay request: order.description: maxLength 255 → 300",
        // The field removed.
        "- `pay request: merchant.terminalId` (was string, maxLength 255",
        "- major: field removed: pay request: merchant.terminalId",
        "`pay request: merchant.terminalId`: removed by the vendor but re-created by an overlay update",
        // The rules on it.
        "provider-rules.yaml: fields[",
        "pay `merchant.terminalId`: the vendor removed this field",
        // The result code added.
        "- added: `UA-REQ-010`",
        "- `UA-REQ-010` has no row in x-vt4g-result-codes",
        // The new description's per-provider limit without a rule.
        "pay `order.memo`: the description states a limit for PayPay",
        "## Decisions needed",
        "- breaking changes (semver major)",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in:\n{report}");
    }
    assert!(out(&o).contains("a person must decide"), "{}", out(&o));
}

#[test]
fn an_additive_release_is_applied_and_codegen_is_then_clean() {
    let ws = scratch();
    let mut d = vendor();
    d["info"]["version"] = json!("1.1.4");
    d["components"]["schemas"]["ResultBlock"]["properties"]["traceId"] =
        json!({"type": "string", "description": "Support trace identifier."});
    let tmp = tempfile::tempdir().unwrap();
    let new = write_yaml(tmp.path(), "download.yaml", &d);
    let (o, report) = upgrade(ws.path(), &new);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", out(&o));
    assert!(report.contains("semver: minor"), "{report}");
    assert!(
        report.contains("optional field added: pay response 200: result.traceId"),
        "{report}"
    );
    let openapi = ws.path().join("openapi");
    assert!(openapi.join("vendor/unified-api-1.1.4.yaml").exists());
    assert!(!openapi.join("vendor/unified-api-1.1.3.yaml").exists());
    assert!(openapi.join("effective/unified-api-1.1.4.yaml").exists());
    assert!(!openapi.join("effective/unified-api-1.1.3.yaml").exists());
    let lock = xtask::lock::SpecLock::read(&openapi.join("spec.lock")).unwrap();
    assert_eq!(lock.file, "vendor/unified-api-1.1.4.yaml");
    assert_eq!(lock.version, "1.1.4");
    assert_eq!(
        lock.sha256,
        xtask::spec::sha256_hex(&std::fs::read(&new).unwrap())
    );
    let client = std::fs::read_to_string(ws.path().join("generated/src/client.rs")).unwrap();
    assert!(client.contains("trace_id"), "the new field is generated");
    // The workspace is consistent: codegen --check over it finds nothing stale.
    let inputs = xtask::codegen::Inputs::workspace(ws.path());
    let g = xtask::codegen::generate_all(&inputs).unwrap();
    assert_eq!(xtask::codegen::check_effective(&g).unwrap(), None);
    assert!(
        xtask::codegen::check(&ws.path().join("generated/src"), &g.files)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn bad_command_lines_and_unreadable_inputs_exit_2() {
    let ws = scratch();
    let before = snapshot(ws.path());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("upgrade")
            .args(args)
            .arg("--workspace")
            .arg(ws.path())
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["a.yaml", "b.yaml"]).status.code(), Some(2));
    assert_eq!(run(&["a.yaml", "--frobnicate"]).status.code(), Some(2));
    let o = run(&["/nonexistent/unified-api-1.1.4.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        out(&o).contains("cannot read /nonexistent/unified-api-1.1.4.yaml"),
        "{}",
        out(&o)
    );
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.yaml");
    std::fs::write(&junk, "openapi: [3.0\n  info: {").unwrap();
    assert_eq!(run(&[junk.to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(snapshot(ws.path()), before);
}

#[test]
fn after_fetch_spec_recorded_the_new_file_upgrade_adopts_it_in_place() {
    // What `fetch-spec URL` leaves behind: the file under openapi/vendor/ and the lock
    // pointing at it (generated/ and the effective document still the old ones).
    let ws = scratch();
    let mut d = vendor();
    d["info"]["version"] = json!("1.1.4");
    let openapi = ws.path().join("openapi");
    let new = write_yaml(&openapi.join("vendor"), "unified-api-1.1.4.yaml", &d);
    let bytes = std::fs::read(&new).unwrap();
    let url = "https://example.invalid/unified-api-1.1.4.yaml";
    xtask::lock::SpecLock {
        file: "vendor/unified-api-1.1.4.yaml".into(),
        version: "1.1.4".into(),
        source: url.into(),
        sha256: xtask::spec::sha256_hex(&bytes),
    }
    .write(&openapi.join("spec.lock"))
    .unwrap();
    let (o, report) = upgrade(ws.path(), &new);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", out(&o));
    assert!(
        report.contains("- current: `openapi/effective/unified-api-1.1.3.yaml`"),
        "{report}"
    );
    assert!(report.contains("semver: patch"), "{report}");
    assert_eq!(
        std::fs::read(&new).unwrap(),
        bytes,
        "the fetched file is kept byte for byte"
    );
    assert!(!openapi.join("vendor/unified-api-1.1.3.yaml").exists());
    assert!(!openapi.join("effective/unified-api-1.1.3.yaml").exists());
    assert!(openapi.join("effective/unified-api-1.1.4.yaml").exists());
    let lock = xtask::lock::SpecLock::read(&openapi.join("spec.lock")).unwrap();
    assert_eq!(lock.source, url, "the download's source is kept");
    let g = xtask::codegen::generate_all(&xtask::codegen::Inputs::workspace(ws.path())).unwrap();
    assert_eq!(xtask::codegen::check_effective(&g).unwrap(), None);
}
