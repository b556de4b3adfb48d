//! The vendor document, the lock, overlay drift and the effective document.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::codegen::{self, CodegenError, Inputs, StaleKind};
use xtask::pipeline::PipelineError;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn vendor_text() -> String {
    std::fs::read_to_string(root().join(codegen::VENDOR_FILE)).unwrap()
}

fn xtask() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.current_dir(root()).env_remove("VT4G_CODEGEN_OUT");
    c
}

/// The workspace inputs with the vendor file replaced by `vendor` and the effective
/// document redirected to `effective` (the workspace's files are never written).
fn inputs_with(vendor: &Path, effective: &Path) -> Inputs {
    let mut inputs = Inputs::workspace(&root());
    inputs.spec = vendor.to_path_buf();
    inputs.effective = Some((effective.to_path_buf(), codegen::EFFECTIVE_FILE.into()));
    inputs
}

#[test]
fn the_vendor_file_has_no_extension_or_note_of_ours() {
    let text = vendor_text();
    for ours in [
        "x-vt4g",
        "OUR ASSUMPTION",
        "OUR INFERENCE",
        "OUR CHOICE",
        "Our choice",
    ] {
        assert!(!text.contains(ours), "the vendor file contains {ours:?}");
    }
    let doc = xtask::spec::parse_yaml(&text).unwrap();
    xtask::spec::to_openapi(&doc).expect("the vendor file is OpenAPI 3.0");
    assert!(doc.pointer("/paths/~1pay/post/operationId").is_none());
}

#[test]
fn a_vendor_file_that_does_not_match_the_lock_is_refused_with_the_fix_command() {
    let tmp = tempfile::tempdir().unwrap();
    let vendor = tmp.path().join("vendor.yaml");
    std::fs::write(&vendor, format!("{}# one more line\n", vendor_text())).unwrap();
    let effective = tmp.path().join("effective.yaml");
    match codegen::generate_all(&inputs_with(&vendor, &effective)) {
        Err(CodegenError::Pipeline(PipelineError::Lock(m))) => {
            assert!(m.contains("cargo xtask lock"), "{m}");
            assert!(m.contains("does not match openapi/spec.lock"), "{m}");
        }
        other => panic!(
            "expected a lock refusal, got {:?}",
            other.map(|g| g.files.len())
        ),
    }
    assert!(!effective.exists());
}

#[test]
fn an_explicit_spec_is_generated_without_the_lock_and_with_the_overlay() {
    let tmp = tempfile::tempdir().unwrap();
    let vendor = tmp.path().join("vendor.yaml");
    std::fs::write(&vendor, format!("{}# one more line\n", vendor_text())).unwrap();
    let out = tmp.path().join("src");
    let o = xtask()
        .args(["codegen", "--spec"])
        .arg(&vendor)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let client = std::fs::read_to_string(out.join("client.rs")).unwrap();
    assert!(client.contains("// Overlay: openapi/vt4g.overlay.yaml (sha256 "));
    // The overlay's operationIds reached progenitor.
    assert!(client.contains("pub async fn get_transaction_result"));
}

#[test]
fn overlay_drift_is_a_located_error_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let vendor = tmp.path().join("vendor.yaml");
    // A field the overlay annotates disappears from the vendor document.
    let changed = vendor_text().replace("recoveryExpiredDatetime:", "recoveryExpiry:");
    std::fs::write(&vendor, changed).unwrap();
    let out = tmp.path().join("src");
    let o = xtask()
        .args(["codegen", "--spec"])
        .arg(&vendor)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("openapi/vt4g.overlay.yaml: applying the overlay"),
        "{err}"
    );
    assert!(err.contains("#/actions/"), "{err}");
    assert!(
        err.contains(
            "target `$.components.schemas.ChargeProtocol.properties.recoveryExpiredDatetime.format`"
        ),
        "{err}"
    );
    assert!(err.contains("drift"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "nothing may be written on drift");
}

#[test]
fn a_stale_or_missing_effective_document_fails_the_check() {
    let tmp = tempfile::tempdir().unwrap();
    let effective = tmp.path().join("effective.yaml");
    let inputs = inputs_with(&root().join(codegen::VENDOR_FILE), &effective);
    let generated = codegen::generate_all(&inputs).unwrap();
    let missing = codegen::check_effective(&generated).unwrap().unwrap();
    assert_eq!(missing.kind, StaleKind::Missing);
    assert_eq!(missing.name, codegen::EFFECTIVE_FILE);

    codegen::write_effective(&generated).unwrap();
    assert_eq!(codegen::check_effective(&generated).unwrap(), None);

    let text = std::fs::read_to_string(&effective).unwrap();
    std::fs::write(&effective, text.replace("maxLength: 64", "maxLength: 65")).unwrap();
    match codegen::check_effective(&generated).unwrap() {
        Some(s) => match s.kind {
            StaleKind::Differs { diff_excerpt } => {
                assert!(diff_excerpt.contains("maxLength: 65"), "{diff_excerpt}")
            }
            other => panic!("expected Differs, got {other:?}"),
        },
        None => panic!("a changed effective document must be stale"),
    }
}

#[test]
fn the_committed_effective_document_names_its_inputs_and_their_hashes() {
    let r = root();
    let sha = |p: &str| xtask::spec::sha256_hex(&std::fs::read(r.join(p)).unwrap());
    let text = std::fs::read_to_string(r.join(codegen::EFFECTIVE_FILE)).unwrap();
    assert!(text.starts_with("# @generated by `cargo xtask codegen`. DO NOT EDIT"));
    assert!(text.contains(&format!(
        "# Vendor:  {} (sha256 {})\n",
        codegen::VENDOR_FILE,
        sha(codegen::VENDOR_FILE)
    )));
    assert!(text.contains(&format!(
        "# Overlay: {} (sha256 {})\n",
        codegen::OVERLAY_FILE,
        sha(codegen::OVERLAY_FILE)
    )));
    let lock = xtask::lock::SpecLock::read(&r.join(codegen::LOCK_FILE)).unwrap();
    assert_eq!(lock.sha256, sha(codegen::VENDOR_FILE));
    assert_eq!(
        xtask::lock::SpecLock::read(&r.join(codegen::LOCK_FILE))
            .unwrap()
            .render(),
        std::fs::read_to_string(r.join(codegen::LOCK_FILE)).unwrap(),
        "the lock is in the form `cargo xtask lock` writes"
    );
}
