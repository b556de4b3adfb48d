//! `cargo xtask codegen [--check]`: spec (+ rules) → `generated/src/`.
//!
//! Pipeline: build the effective document (`crate::pipeline`: the vendor file
//! `openapi/vendor/unified-api-1.1.3.yaml`, checked against `openapi/spec.lock`, normalised,
//! with the overlay `openapi/vt4g.overlay.yaml` applied; written to
//! `openapi/effective/unified-api-1.1.3.yaml`) → check and compile
//! `openapi/provider-rules.yaml` against the effective document
//! (`crate::rules::generate_rules_module`) → apply the response-leniency transform
//! (`crate::leniency`) to a copy → `progenitor::Generator` (positional interface,
//! merged tags, extra derives `schemars::JsonSchema` and `PartialEq`) → `syn::parse2` +
//! `prettyplease::unparse` → files with a do-not-edit header naming the inputs and their
//! SHA-256.
//!
//! Output files (relative to the output directory, normally `generated/src`):
//! `lib.rs`, `client.rs`, `result_codes.rs`, `rules.rs`, `validate_typed.rs` (the typed-request
//! walkers, from the rule tables and the generated types: `crate::typed`). Nothing in the output depends
//! on the time, the machine or hash-map iteration order, so identical inputs give
//! byte-identical output.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::pipeline::{self, PipelineError, Sources};
use crate::rules::RuleError;
use crate::spec;

/// The file names codegen writes, in the order they are written and checked.
pub const OUTPUT_FILES: [&str; 5] = [
    "lib.rs",
    "client.rs",
    "result_codes.rs",
    "rules.rs",
    "validate_typed.rs",
];

/// The workspace's vendor document, relative to the workspace root.
pub const VENDOR_FILE: &str = "openapi/vendor/unified-api-1.1.3.yaml";
/// The workspace's overlay, relative to the workspace root.
pub const OVERLAY_FILE: &str = "openapi/vt4g.overlay.yaml";
/// The workspace's lock, relative to the workspace root.
pub const LOCK_FILE: &str = "openapi/spec.lock";
/// The workspace's effective document, relative to the workspace root.
pub const EFFECTIVE_FILE: &str = "openapi/effective/unified-api-1.1.3.yaml";
/// The workspace's provider rules, relative to the workspace root.
pub const RULES_FILE: &str = "openapi/provider-rules.yaml";

/// The inputs of one codegen run.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The (vendor) OpenAPI document.
    pub spec: PathBuf,
    /// How the document is named in the generated headers (a stable, relative name).
    pub spec_label: String,
    /// The overlay applied to the document (path, label), if any.
    pub overlay: Option<(PathBuf, String)>,
    /// The lock the document must match, if any (the workspace's default document only).
    pub lock: Option<PathBuf>,
    /// Where the effective document is written and checked (path, label), if anywhere.
    pub effective: Option<(PathBuf, String)>,
    /// The provider-rules file.
    pub rules: PathBuf,
    /// How the rules file is named in the generated headers.
    pub rules_label: String,
}

impl Inputs {
    /// The workspace's inputs under `root`: the vendor document (checked against the lock),
    /// the overlay, the effective document and the provider rules (the `*_FILE` constants).
    /// The vendor file is the one the lock names (`openapi/{file}`), and the effective
    /// document is named after it (`openapi/effective/{stem}.yaml`), so that
    /// `cargo xtask upgrade` can move to `unified-api-1.1.4.yaml`; without a readable lock,
    /// [`VENDOR_FILE`] and [`EFFECTIVE_FILE`] (and codegen then reports the missing lock).
    pub fn workspace(root: &Path) -> Inputs {
        let (vendor, effective) = match crate::lock::SpecLock::read(&root.join(LOCK_FILE)) {
            Ok(l) if !l.file.contains("..") => {
                let stem = Path::new(&l.file)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "unified-api".into());
                (
                    format!("openapi/{}", l.file),
                    format!("openapi/effective/{stem}.yaml"),
                )
            }
            _ => (VENDOR_FILE.to_string(), EFFECTIVE_FILE.to_string()),
        };
        Inputs {
            spec: root.join(&vendor),
            spec_label: vendor,
            overlay: Some((root.join(OVERLAY_FILE), OVERLAY_FILE.into())),
            lock: Some(root.join(LOCK_FILE)),
            effective: Some((root.join(&effective), effective)),
            rules: root.join(RULES_FILE),
            rules_label: RULES_FILE.into(),
        }
    }

    /// An explicit document with the given overlay (or none) and rules: no lock, and the
    /// effective document is not written.
    pub fn explicit(
        spec: PathBuf,
        spec_label: String,
        overlay: Option<(PathBuf, String)>,
        rules: PathBuf,
        rules_label: String,
    ) -> Inputs {
        Inputs {
            spec,
            spec_label,
            overlay,
            lock: None,
            effective: None,
            rules,
            rules_label,
        }
    }

    fn sources(&self) -> Sources {
        Sources {
            vendor: self.spec.clone(),
            vendor_label: self.spec_label.clone(),
            overlay: self.overlay.clone(),
            lock: self.lock.clone(),
        }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the output directory (`client.rs`).
    pub name: String,
    /// Full contents.
    pub contents: String,
}

/// Why codegen refused or failed.
#[derive(Debug)]
pub enum CodegenError {
    /// An input could not be read or parsed.
    Input(String),
    /// The vendor file does not match the lock, or normalisation, the overlay or the OpenAPI
    /// parse reported located problems.
    Pipeline(PipelineError),
    /// The rules do not match the spec (every problem, each naming the field).
    Rules(Vec<RuleError>),
    /// progenitor/typify rejected the document, or the output did not parse.
    Generator(String),
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::Input(m) => write!(f, "{m}"),
            CodegenError::Pipeline(e) => write!(f, "{e}"),
            CodegenError::Rules(errs) => {
                writeln!(
                    f,
                    "provider rules do not match the spec ({} problem{}); nothing was written:",
                    errs.len(),
                    if errs.len() == 1 { "" } else { "s" }
                )?;
                for e in errs {
                    writeln!(f, "  - {e}")?;
                }
                Ok(())
            }
            CodegenError::Generator(m) => write!(f, "code generation failed: {m}"),
        }
    }
}

impl std::error::Error for CodegenError {}

fn header(inputs: &Inputs, eff: &pipeline::Effective, rules_sha: &str, extra: &[&str]) -> String {
    let mut h = String::new();
    h.push_str(
        "// @generated by `cargo xtask codegen`. DO NOT EDIT: edit the inputs and regenerate.\n",
    );
    h.push_str(&format!(
        "// Spec:  {} (sha256 {})\n",
        inputs.spec_label, eff.vendor_sha256
    ));
    if let (Some((_, label)), Some(sha)) = (&inputs.overlay, &eff.overlay_sha256) {
        h.push_str(&format!("// Overlay: {label} (sha256 {sha})\n"));
    }
    h.push_str(&format!(
        "// Rules: {} (sha256 {rules_sha})\n",
        inputs.rules_label
    ));
    h.push_str("// Check: `cargo xtask codegen --check`\n");
    for line in extra {
        h.push_str("//");
        if !line.is_empty() {
            h.push(' ');
            h.push_str(line);
        }
        h.push('\n');
    }
    h.push('\n');
    h
}

fn pretty(tokens: proc_macro2::TokenStream, what: &str) -> Result<String, CodegenError> {
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| CodegenError::Generator(format!("{what}: output does not parse: {e}")))?;
    Ok(prettyplease::unparse(&file))
}

/// The progenitor settings used (documented in `docs/regenerating.md`).
pub fn progenitor_settings() -> progenitor::GenerationSettings {
    let mut s = progenitor::GenerationSettings::new();
    s.with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq");
    s
}

/// Runs the progenitor step alone on an (already transformed) document.
///
/// # Errors
/// progenitor's error, or a parse error of its output.
pub fn generate_client(doc: &serde_json::Value) -> Result<String, CodegenError> {
    let tokens = match run_progenitor(doc) {
        Ok(tokens) => tokens,
        Err(Failure::Invalid(m)) => return Err(CodegenError::Generator(m)),
        Err(failure) => {
            // Pin the failure to the schema or operation that reproduces it alone.
            let fails = |d: &serde_json::Value| {
                matches!(
                    run_progenitor(d),
                    Err(Failure::Panic(_)) | Err(Failure::Error(_))
                )
            };
            let at = crate::normalise_probe::locate_panic(doc, &fails)
                .map(|l| format!(" at {}: {}", l.pointer, l.message))
                .unwrap_or_else(|| " (no single schema or operation reproduces it)".into());
            return Err(CodegenError::Generator(match failure {
                Failure::Panic(why) => format!(
                    "progenitor panicked ({why}){at}; the document uses a construct progenitor \
                     0.15 does not support (see docs/regenerating.md, \"progenitor behaviour\")"
                ),
                Failure::Error(e) | Failure::Invalid(e) => format!("progenitor: {e}{at}"),
            }));
        }
    };
    pretty(tokens, "client.rs")
}

enum Failure {
    /// The document is not an OpenAPI 3.0 document `openapiv3` reads.
    Invalid(String),
    /// progenitor returned an error.
    Error(String),
    /// progenitor (or typify) panicked; the first line of the message, shortened.
    Panic(String),
}

fn run_progenitor(doc: &serde_json::Value) -> Result<proc_macro2::TokenStream, Failure> {
    let api = spec::to_openapi(doc).map_err(Failure::Invalid)?;
    let mut generator = progenitor::Generator::new(&progenitor_settings());
    // progenitor asserts (panics) on some constructs it does not support; report that
    // as an error naming the cause instead of a bare panic.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&api)
    }))
    .map_err(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let mut first = why.lines().next().unwrap_or_default().to_string();
        if first.chars().count() > 160 {
            first = first.chars().take(160).collect::<String>() + "…";
        }
        Failure::Panic(first)
    })?;
    result.map_err(|e| Failure::Error(e.to_string()))
}

/// Everything one codegen run produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The files of the output directory (`generated/src`), in [`OUTPUT_FILES`] order.
    pub files: Vec<GeneratedFile>,
    /// The effective document, when [`Inputs::effective`] names where it goes: the path and
    /// the file (`name` is the label, `openapi/effective/…`).
    pub effective: Option<(PathBuf, GeneratedFile)>,
}

/// Generates every output file in memory.
///
/// # Errors
/// As [`generate_all`].
pub fn generate(inputs: &Inputs) -> Result<Vec<GeneratedFile>, CodegenError> {
    generate_all(inputs).map(|g| g.files)
}

/// Generates every output file and the effective document in memory.
///
/// # Errors
/// [`CodegenError::Input`] if an input can't be read or parsed,
/// [`CodegenError::Pipeline`] if the vendor file does not match the lock or the
/// overlay/normalisation report located problems,
/// [`CodegenError::Rules`] with every rule-vs-spec problem,
/// [`CodegenError::Generator`] if progenitor fails.
pub fn generate_all(inputs: &Inputs) -> Result<Generated, CodegenError> {
    let sources = inputs.sources();
    let eff = pipeline::build(&sources).map_err(|e| match e {
        PipelineError::Input(m) => CodegenError::Input(m),
        other => CodegenError::Pipeline(other),
    })?;
    let effective = match &inputs.effective {
        Some((path, label)) => Some((
            path.clone(),
            GeneratedFile {
                name: label.clone(),
                contents: pipeline::render_effective(&sources, &eff)
                    .map_err(CodegenError::Generator)?,
            },
        )),
        None => None,
    };
    let rules_bytes = std::fs::read(&inputs.rules)
        .map_err(|e| CodegenError::Input(format!("cannot read {}: {e}", inputs.rules.display())))?;
    let rules_text = String::from_utf8(rules_bytes.clone()).map_err(|e| {
        CodegenError::Input(format!("{} is not UTF-8: {e}", inputs.rules.display()))
    })?;
    let rules_sha = spec::sha256_hex(&rules_bytes);

    // Rules are checked against the faithful (effective) document, before anything else.
    let (rules_src, layouts) = crate::rules::generate_rules_and_layouts(&eff.openapi, &rules_text)
        .map_err(CodegenError::Rules)?;

    let tables = crate::result_codes::read_tables(&eff.value).map_err(|e| {
        CodegenError::Input(format!("{} (effective document): {e}", inputs.spec_label))
    })?;

    let mut lenient = eff.value.clone();
    let report = crate::leniency::apply(&mut lenient);
    crate::leniency::split_default_responses(&mut lenient);
    let client = generate_client(&lenient)?;
    let typed_src = crate::typed::generate_typed_module(&layouts, &client)
        .map_err(|e| CodegenError::Generator(format!("validate_typed.rs: {e}")))?;

    let relaxed = if report.relaxed.is_empty() {
        "(none)".to_string()
    } else {
        report.relaxed.join(", ")
    };
    let copied = if report.copied.is_empty() {
        "(none)".to_string()
    } else {
        report
            .copied
            .iter()
            .map(|n| format!("Lenient{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let relaxed_line = format!("Relaxed in place: {relaxed}");
    let copied_line = format!("Relaxed copies of schemas shared with requests: {copied}");
    let client_header = header(
        inputs,
        &eff,
        &rules_sha,
        &[
            "",
            "progenitor output (positional interface, merged tags). Response leniency: schemas",
            "reachable from responses, webhooks and redirects were generated without",
            "maxLength/minLength/pattern/numeric bounds/format/enum/additionalProperties:false",
            "(documented values are kept in the doc comments); request schemas keep every",
            "constraint. `default` responses were split into `4XX` and `5XX` (progenitor",
            "needs one success type). See docs/regenerating.md.",
            &relaxed_line,
            &copied_line,
            "",
            "Note: progenitor's client sends an `api-version` header (the spec's info.version)",
            "on every request; vt4g::Client does not use this client and does not send it.",
        ],
    );
    let codes_src = pretty(
        crate::result_codes::module_tokens(&tables),
        "result_codes.rs",
    )?;

    let plain_header = header(inputs, &eff, &rules_sha, &[]);
    let files = vec![
        GeneratedFile {
            name: "lib.rs".into(),
            contents: format!("{plain_header}{}", lib_rs()),
        },
        GeneratedFile {
            name: "client.rs".into(),
            contents: format!("{client_header}{client}"),
        },
        GeneratedFile {
            name: "result_codes.rs".into(),
            contents: format!("{plain_header}{codes_src}"),
        },
        GeneratedFile {
            name: "rules.rs".into(),
            contents: format!("{plain_header}{}", ensure_trailing_newline(rules_src)),
        },
        GeneratedFile {
            name: "validate_typed.rs".into(),
            contents: format!("{plain_header}{}", ensure_trailing_newline(typed_src)),
        },
    ];
    Ok(Generated { files, effective })
}

fn ensure_trailing_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// The fixed `lib.rs` (already in rustfmt style, so `cargo fmt --check` accepts it).
fn lib_rs() -> &'static str {
    r#"//! The VeriTrans4G Unified API 1.1.3, generated from the OpenAPI document in `openapi/`.
//!
//! * [`types`]: request, response, webhook and redirect types (progenitor/typify), deriving
//!   `serde::Serialize`, `serde::Deserialize`, `Clone`, `Debug`, `PartialEq` and
//!   `schemars::JsonSchema` (schemars 0.8).
//! * [`Client`]: progenitor's client (one method per command). The `vt4g` crate has its
//!   own hand-written client; this one is kept for completeness and sends progenitor's
//!   `api-version` header.
//! * [`rules`]: per-provider limits as static tables, and `Command`, `PayType`,
//!   `ProviderSet`.
//! * [`result_codes`]: result codes, statuses and action codes as static tables.
//! * [`validate_typed`]: walkers over the typed requests, reporting each field with its
//!   index in the rule tables (used by `vt4g::validation::ValidateRequest`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Doc comments are the reference's description text copied through the spec; it contains
// bare URLs and `string <date>`, which rustdoc would otherwise flag.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

/// progenitor's client and the typify types ([`types`]), one method per command.
// typify writes no doc for a property that is only a `$ref` (its documentation is on the
// referenced type, which is linked from the field's type) nor for the variants of an
// untagged `oneOf`; everything else in here carries the reference's description.
#[allow(missing_docs)]
#[rustfmt::skip]
pub mod client;
#[rustfmt::skip]
pub mod result_codes;
/// Per-provider limits as static tables (from `openapi/provider-rules.yaml`), and `Command`,
/// `PayType`, `ProviderSet`.
#[rustfmt::skip]
pub mod rules;
#[rustfmt::skip]
pub mod validate_typed;

pub use client::{types, Client};
"#
}

/// Writes the files into `out` (creating it), after everything was generated.
///
/// # Errors
/// The I/O error, naming the file.
pub fn write(out: &Path, files: &[GeneratedFile]) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    for f in files {
        let p = out.join(&f.name);
        let same = std::fs::read(&p)
            .map(|b| b == f.contents.as_bytes())
            .unwrap_or(false);
        if !same {
            std::fs::write(&p, &f.contents)
                .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        }
    }
    Ok(())
}

/// How an output file differs from what codegen would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaleKind {
    /// The file does not exist.
    Missing,
    /// The file exists with other contents; a short unified diff (disk → expected).
    Differs {
        /// The first lines of a unified diff.
        diff_excerpt: String,
    },
    /// A `.rs` file in the output directory that codegen does not produce.
    Unexpected,
}

/// One stale output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// Path relative to the output directory.
    pub name: String,
    /// What is wrong with it.
    pub kind: StaleKind,
}

/// Maximum number of diff lines shown per file.
const DIFF_LINES: usize = 40;

/// Compares the generated files with the contents of `out`.
///
/// # Errors
/// An I/O error other than "not found", naming the file.
pub fn check(out: &Path, files: &[GeneratedFile]) -> Result<Vec<Stale>, String> {
    let mut stale = Vec::new();
    for f in files {
        let p = out.join(&f.name);
        match std::fs::read(&p) {
            Ok(bytes) if bytes == f.contents.as_bytes() => {}
            Ok(bytes) => {
                let disk = String::from_utf8_lossy(&bytes);
                stale.push(Stale {
                    name: f.name.clone(),
                    kind: StaleKind::Differs {
                        diff_excerpt: diff_excerpt(&disk, &f.contents, &f.name),
                    },
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => stale.push(Stale {
                name: f.name.clone(),
                kind: StaleKind::Missing,
            }),
            Err(e) => return Err(format!("cannot read {}: {e}", p.display())),
        }
    }
    if let Ok(entries) = std::fs::read_dir(out) {
        let mut extra: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".rs") && !files.iter().any(|f| &f.name == n))
            .collect();
        extra.sort();
        stale.extend(extra.into_iter().map(|name| Stale {
            name,
            kind: StaleKind::Unexpected,
        }));
    }
    Ok(stale)
}

fn diff_excerpt(old: &str, new: &str, name: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} (on disk)"), &format!("{name} (expected)"))
        .to_string();
    let total = text.lines().count();
    let mut out: String = text
        .lines()
        .take(DIFF_LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    if total > DIFF_LINES {
        out.push_str(&format!("... ({} more diff lines)\n", total - DIFF_LINES));
    }
    out
}

/// The human-readable `--check` summary.
pub fn render_check(out_label: &str, stale: &[Stale]) -> String {
    if stale.is_empty() {
        return format!("{out_label} is up to date.\n");
    }
    let mut s = format!(
        "{out_label} is stale: {} file{} differ from what `cargo xtask codegen` would write.\n",
        stale.len(),
        if stale.len() == 1 { "" } else { "s" }
    );
    for st in stale {
        match &st.kind {
            StaleKind::Missing => s.push_str(&format!("\n* {}: missing\n", st.name)),
            StaleKind::Unexpected => s.push_str(&format!(
                "\n* {}: not produced by codegen (delete it, or hand-written code belongs elsewhere)\n",
                st.name
            )),
            StaleKind::Differs { diff_excerpt } => {
                s.push_str(&format!("\n* {}: contents differ\n", st.name));
                for l in diff_excerpt.lines() {
                    s.push_str("    ");
                    s.push_str(l);
                    s.push('\n');
                }
            }
        }
    }
    s.push_str(
        "\nFix: run `cargo xtask codegen` and commit the result together with the input change.\n",
    );
    s
}

/// Writes the effective document, if this run has one.
///
/// # Errors
/// The I/O error, naming the file.
pub fn write_effective(generated: &Generated) -> Result<(), String> {
    let Some((path, file)) = &generated.effective else {
        return Ok(());
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let same = std::fs::read(path)
        .map(|b| b == file.contents.as_bytes())
        .unwrap_or(false);
    if !same {
        std::fs::write(path, &file.contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Compares the effective document with the file on disk (`None`: up to date or not part
/// of this run).
///
/// # Errors
/// An I/O error other than "not found", naming the file.
pub fn check_effective(generated: &Generated) -> Result<Option<Stale>, String> {
    let Some((path, file)) = &generated.effective else {
        return Ok(None);
    };
    match std::fs::read(path) {
        Ok(bytes) if bytes == file.contents.as_bytes() => Ok(None),
        Ok(bytes) => Ok(Some(Stale {
            name: file.name.clone(),
            kind: StaleKind::Differs {
                diff_excerpt: diff_excerpt(
                    &String::from_utf8_lossy(&bytes),
                    &file.contents,
                    &file.name,
                ),
            },
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Some(Stale {
            name: file.name.clone(),
            kind: StaleKind::Missing,
        })),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}
