//! From the vendor document to the effective document:
//! read the vendor file (checking it against `openapi/spec.lock` when asked) → normalise →
//! apply the overlay → parse as OpenAPI 3.0. `crate::codegen` then checks the provider rules
//! against the effective document, applies the response leniency and runs progenitor.
//!
//! The effective document is also written to `openapi/effective/…` (YAML with a do-not-edit
//! header naming the vendor file, the overlay and their SHA-256) so that reviewers, the
//! validators and `scripts/audit_spec.py` read exactly what the generator reads.

use std::fmt;
use std::path::PathBuf;

use crate::lock::SpecLock;
use crate::overlay::{self, OverlayError};
use crate::spec;

/// Where the vendor document, the overlay and the lock are.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The vendor OpenAPI document (YAML or JSON).
    pub vendor: PathBuf,
    /// How the vendor document is named in headers and messages.
    pub vendor_label: String,
    /// The overlay (and its label), or `None` to use the document as it is.
    pub overlay: Option<(PathBuf, String)>,
    /// The lock the vendor file must match, or `None` (explicit `--spec FILE`).
    pub lock: Option<PathBuf>,
}

/// The effective document and how it was made.
#[derive(Debug, Clone)]
pub struct Effective {
    /// SHA-256 of the vendor file's bytes.
    pub vendor_sha256: String,
    /// SHA-256 of the overlay file's bytes, if an overlay was applied.
    pub overlay_sha256: Option<String>,
    /// The document after normalisation and overlay, keys in document order.
    pub value: serde_json::Value,
    /// The same, parsed by `openapiv3`.
    pub openapi: openapiv3::OpenAPI,
}

/// Why the effective document could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipelineError {
    /// A file could not be read or parsed (the message names it).
    Input(String),
    /// The vendor file does not match the lock (the message gives the fix command).
    Lock(String),
    /// Located problems in one file: the file's label and each problem.
    Located {
        /// The file the pointers refer to.
        file: String,
        /// What step found them (`normalise`, `overlay`, `OpenAPI 3.0`).
        step: String,
        /// Each problem: a JSON pointer and a sentence.
        problems: Vec<OverlayError>,
    },
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Input(m) | PipelineError::Lock(m) => write!(f, "{m}"),
            PipelineError::Located {
                file,
                step,
                problems,
            } => {
                writeln!(
                    f,
                    "{file}: {step} failed ({} problem{}); nothing was written:",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    writeln!(f, "  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for PipelineError {}

fn read(path: &std::path::Path) -> Result<Vec<u8>, PipelineError> {
    std::fs::read(path)
        .map_err(|e| PipelineError::Input(format!("cannot read {}: {e}", path.display())))
}

fn parse(label: &str, bytes: &[u8]) -> Result<serde_json::Value, PipelineError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| PipelineError::Input(format!("{label} is not UTF-8: {e}")))?;
    spec::parse_yaml(text).map_err(|e| PipelineError::Input(format!("{label}: {e}")))
}

/// The normalisation step (`crate::normalise`): turns constructs vendors publish into what
/// progenitor accepts, before the overlay (so overlay targets see the normalised shapes,
/// e.g. derived operationIds and hoisted schema names). The only call of normalisation.
fn normalise(doc: serde_json::Value) -> Result<serde_json::Value, Vec<OverlayError>> {
    crate::normalise::normalise(doc)
        .map(|n| n.doc)
        .map_err(|errors| errors.into_iter().map(located).collect())
}

fn located(l: crate::normalise::Located) -> OverlayError {
    OverlayError {
        pointer: l.pointer,
        message: l.message,
    }
}

/// Builds the effective document.
///
/// # Errors
/// [`PipelineError::Input`] for an unreadable or unparsable file,
/// [`PipelineError::Lock`] when the vendor file does not match the lock,
/// [`PipelineError::Located`] for normalisation, overlay (drift included) and OpenAPI
/// problems, each with a JSON pointer.
pub fn build(sources: &Sources) -> Result<Effective, PipelineError> {
    let vendor_bytes = read(&sources.vendor)?;
    if let Some(lock_path) = &sources.lock {
        let lock = SpecLock::read(lock_path).map_err(PipelineError::Lock)?;
        lock.verify(&sources.vendor_label, &vendor_bytes)
            .map_err(PipelineError::Lock)?;
    }
    let vendor = parse(&sources.vendor_label, &vendor_bytes)?;
    let mut doc = normalise(vendor).map_err(|problems| PipelineError::Located {
        file: sources.vendor_label.clone(),
        step: "normalise".into(),
        problems,
    })?;
    let mut overlay_sha256 = None;
    if let Some((path, label)) = &sources.overlay {
        let bytes = read(path)?;
        overlay_sha256 = Some(spec::sha256_hex(&bytes));
        let ov_doc = parse(label, &bytes)?;
        let ov = overlay::parse(&ov_doc).map_err(|problems| PipelineError::Located {
            file: label.clone(),
            step: "reading the overlay".into(),
            problems,
        })?;
        overlay::apply(&mut doc, &ov).map_err(|problems| PipelineError::Located {
            file: label.clone(),
            step: format!("applying the overlay to {}", sources.vendor_label),
            problems,
        })?;
    }
    let openapi = crate::normalise::final_check(&doc).map_err(|e| PipelineError::Located {
        file: format!("effective document ({} + overlay)", sources.vendor_label),
        step: "reading it as OpenAPI 3.0".into(),
        problems: vec![located(e)],
    })?;
    Ok(Effective {
        vendor_sha256: spec::sha256_hex(&vendor_bytes),
        overlay_sha256,
        value: doc,
        openapi,
    })
}

/// The effective document as written to `openapi/effective/…`: a do-not-edit header naming
/// the inputs and their SHA-256, then the document as YAML.
///
/// # Errors
/// The YAML serialiser's message (not expected for a JSON value).
pub fn render_effective(sources: &Sources, eff: &Effective) -> Result<String, String> {
    let mut s = String::new();
    s.push_str(
        "# @generated by `cargo xtask codegen`. DO NOT EDIT: edit the inputs and regenerate.\n",
    );
    s.push_str(&format!(
        "# Vendor:  {} (sha256 {})\n",
        sources.vendor_label, eff.vendor_sha256
    ));
    if let (Some((_, label)), Some(sha)) = (&sources.overlay, &eff.overlay_sha256) {
        s.push_str(&format!("# Overlay: {label} (sha256 {sha})\n"));
    }
    s.push_str(
        "# The effective document: the vendor document, normalised, with the overlay applied.\n",
    );
    s.push_str("# Check: `cargo xtask codegen --check`\n");
    let body = serde_yaml::to_string(&eff.value)
        .map_err(|e| format!("cannot serialise the effective document: {e}"))?;
    s.push_str(&body);
    Ok(s)
}
