//! `cargo xtask upgrade NEW_FILE [--report FILE]`: brings a new vendor document into the
//! workspace, or says what a person must decide first.
//!
//! 1. The new document is read (unreadable or not YAML/JSON: exit 2) and normalised
//!    (`crate::normalise`), the overlay is applied (actions that match nothing are drift),
//!    the provider rules are checked against the result, and code is generated — all in
//!    memory.
//! 2. It is compared with the current effective document (`openapi/effective/…`, what
//!    `generated/` was made from) field by field (`crate::spec_diff`); result codes are
//!    compared between the current table (`x-vt4g-result-codes`) and the codes the new
//!    document mentions (`UA-XXX-NNN` anywhere in its text).
//! 3. If nothing needs a decision ([`crate::upgrade_report::decisions`]: located
//!    normalisation problems, overlay drift, rule problems, result codes without a table row
//!    or removed, a generation failure, or a semver-major change), the new vendor file, the
//!    lock, the effective document and `generated/src` are written — each staged as a
//!    temporary file first and renamed into place only when every file was staged, so
//!    `generated/` is never half-written — and the exit status is 0. Otherwise nothing is
//!    written and the exit status is 1. The Markdown report is produced either way.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::codegen::{self, Inputs};
use crate::lock::SpecLock;
use crate::normalise::Located;
use crate::upgrade_report::{self, Findings, Verdict};

/// Where the workspace's files are (all paths absolute or relative to the current
/// directory; labels are how they are named in headers and the report).
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root (labels are relative to it).
    pub root: PathBuf,
    /// `openapi/` (the lock's directory).
    pub openapi: PathBuf,
    /// The overlay.
    pub overlay: PathBuf,
    /// The provider rules.
    pub rules: PathBuf,
    /// The lock.
    pub lock: PathBuf,
    /// The current effective document.
    pub effective: PathBuf,
    /// The generated sources directory.
    pub generated: PathBuf,
}

impl Workspace {
    /// The workspace at `root`, with the files `cargo xtask codegen` uses.
    pub fn at(root: &Path) -> Workspace {
        let inputs = Inputs::workspace(root);
        // The effective document generated/ was made from: the one the lock names, or —
        // after `fetch-spec` recorded a new file in the lock — the one that exists.
        let named = inputs
            .effective
            .as_ref()
            .map(|(p, _)| p.clone())
            .unwrap_or_else(|| root.join(codegen::EFFECTIVE_FILE));
        let effective = if named.exists() {
            named
        } else {
            let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("openapi/effective"))
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            if found.len() == 1 {
                found.remove(0)
            } else {
                named
            }
        };
        Workspace {
            root: root.to_path_buf(),
            openapi: root.join("openapi"),
            overlay: root.join(codegen::OVERLAY_FILE),
            rules: root.join(codegen::RULES_FILE),
            lock: root.join(codegen::LOCK_FILE),
            effective,
            generated: root.join("generated/src"),
        }
    }

    fn label(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| p.display().to_string())
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Whether the files were written (exit 0) or a person must decide (exit 1).
    pub applied: bool,
    /// The Markdown report.
    pub report: String,
    /// The semver verdict.
    pub verdict: Verdict,
    /// Why a person must decide (empty when applied).
    pub decisions: Vec<String>,
    /// Files written (labels), when applied.
    pub written: Vec<String>,
}

/// Something that stops the upgrade before any comparison (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for InputError {}

fn read_doc(path: &Path, label: &str) -> Result<(Vec<u8>, Value), InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError(format!("cannot read {label}: {e}")))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| InputError(format!("{label} is not UTF-8: {e}")))?;
    let doc = crate::spec::parse_yaml(text).map_err(|e| InputError(format!("{label}: {e}")))?;
    if !doc.is_object() {
        return Err(InputError(format!("{label} is not a YAML/JSON mapping")));
    }
    Ok((bytes, doc))
}

/// `UA-XXX-NNN` result codes mentioned anywhere in the strings of `v`, sorted.
pub fn mentioned_result_codes(v: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::String(s) => {
                let b = s.as_bytes();
                let mut i = 0;
                while i + 10 <= b.len() {
                    let w = &b[i..i + 10];
                    let ok = w.starts_with(b"UA-")
                        && w[3..6]
                            .iter()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                        && w[6] == b'-'
                        && w[7..10].iter().all(u8::is_ascii_digit)
                        && b.get(i + 10).is_none_or(|c| !c.is_ascii_alphanumeric())
                        && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
                    if ok {
                        out.insert(String::from_utf8_lossy(w).into_owned());
                        i += 10;
                    } else {
                        i += 1;
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut set = std::collections::BTreeSet::new();
    walk(v, &mut set);
    set.into_iter().collect()
}

fn table_codes(doc: &Value) -> Vec<String> {
    crate::result_codes::read_tables(doc)
        .map(|t| {
            t.result_codes
                .into_iter()
                .map(|r| r.code)
                .filter(|c| c.starts_with("UA-"))
                .collect()
        })
        .unwrap_or_default()
}

fn overlay_located(e: crate::overlay::OverlayError) -> Located {
    Located::new(e.pointer, e.message)
}

/// Runs the upgrade (see the module docs).
///
/// # Errors
/// [`InputError`] when the new document, the current effective document, the overlay or
/// the rules cannot be read or parsed.
pub fn upgrade(ws: &Workspace, new_file: &Path, new_label: &str) -> Result<Outcome, InputError> {
    let (new_bytes, new_doc) = read_doc(new_file, new_label)?;
    let old_label = ws.label(&ws.effective);
    let (old_eff_bytes, old_eff) = read_doc(&ws.effective, &old_label)?;
    // The vendor file the current effective document was made from: named, with its hash,
    // in the effective document's header.
    let (old_vendor_path, old_vendor) = match old_vendor_of(ws, &old_eff_bytes) {
        Some((p, v)) => (Some(p), Some(v)),
        None => (None, None),
    };
    let overlay_label = ws.label(&ws.overlay);
    let (_, overlay_doc) = read_doc(&ws.overlay, &overlay_label)?;
    let rules_label = ws.label(&ws.rules);
    let rules_text = std::fs::read_to_string(&ws.rules)
        .map_err(|e| InputError(format!("cannot read {rules_label}: {e}")))?;
    let overlay = crate::overlay::parse(&overlay_doc).map_err(|errs| {
        InputError(format!(
            "{overlay_label} is not a valid overlay: {}",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;

    let version = |d: &Value| {
        d.pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let mut f = Findings {
        old_version: version(&old_eff),
        new_version: version(&new_doc),
        new_label: new_label.to_string(),
        old_label: old_label.clone(),
        ..Findings::default()
    };

    // Normalise, then the overlay (drift collected; the other actions still applied).
    let mut new_eff = match crate::normalise::normalise(new_doc.clone()) {
        Ok(n) => {
            f.normalise_notes = n.notes;
            Some(n.doc)
        }
        Err(errors) => {
            f.normalise_errors = errors;
            None
        }
    };
    if let Some(doc) = new_eff.as_mut() {
        if let Err(problems) = crate::overlay::apply(doc, &overlay) {
            f.overlay_problems = problems.into_iter().map(overlay_located).collect();
        }
    }

    // Compare, check the rules, look at the result codes.
    let old_codes = table_codes(&old_eff);
    let new_codes = mentioned_result_codes(&new_doc);
    f.result_codes_added = new_codes
        .iter()
        .filter(|c| !old_codes.contains(c))
        .cloned()
        .collect();
    f.result_codes_removed = old_codes
        .iter()
        .filter(|c| !new_codes.contains(c))
        .cloned()
        .collect();
    if let Some(doc) = &new_eff {
        let table = table_codes(doc);
        f.result_codes_untabled = new_codes
            .iter()
            .filter(|c| !table.contains(c))
            .cloned()
            .collect();
        f.documents_differ = strip_version(doc) != strip_version(&old_eff);
        let d = crate::spec_diff::diff(&old_eff, doc, Some((&rules_label, &rules_text)))
            .map_err(InputError)?;
        // What VeriTrans changed, before the overlay: fields the vendor removed but an
        // overlay update re-creates (without type or limits) do not show as removed in the
        // effective documents.
        let vendor_diff = match (&old_vendor, crate::normalise::normalise(new_doc.clone())) {
            (Some(old), Ok(new)) => crate::normalise::normalise(old.clone()).ok().and_then(|o| {
                crate::spec_diff::diff(&o.doc, &new.doc, Some((&rules_label, &rules_text))).ok()
            }),
            _ => None,
        };
        if let Some(v) = &vendor_diff {
            // Rules on request fields the vendor removed (the overlay may still re-create
            // the field, hiding it from the rules check below).
            for r in &v.rules_with_vanished_targets {
                let removed = v.fields_removed.iter().any(|e| {
                    e.key.side == "request" && e.key.operation == r.command && e.key.path == r.path
                });
                if removed {
                    f.rules_vanished.push(format!(
                        "{rules_label}: {}: {} `{}`: the vendor removed this field",
                        r.rule, r.command, r.path
                    ));
                }
            }
            for e in &v.fields_removed {
                if !d.fields_removed.iter().any(|x| x.key == e.key) {
                    f.overlay_recreated.push(e.key.to_string());
                }
            }
        }
        f.vendor_diff = vendor_diff;
        f.diff = Some(d);
        match crate::normalise::final_check(doc) {
            Ok(api) => {
                if let Err(errs) = crate::rules::generate_rules_and_layouts(&api, &rules_text) {
                    for e in errs {
                        let line = e.to_string();
                        if e.problem.contains("targets a field that does not exist") {
                            f.rules_vanished.push(line);
                        } else if e.problem.starts_with("the description states a limit")
                            || e.problem.starts_with("the description says")
                        {
                            f.rules_unencoded.push(line);
                        } else {
                            f.rules_other.push(line);
                        }
                    }
                }
            }
            Err(e) => f.generation_error = Some(format!("the effective document: {e}")),
        }
    }

    // Generate everything in memory (only when the pieces are consistent).
    let lock_old = SpecLock::read(&ws.lock).ok();
    // A file already under openapi/vendor/ (e.g. written by fetch-spec) keeps its name.
    let inside = std::fs::canonicalize(new_file).ok().and_then(|p| {
        let base = std::fs::canonicalize(ws.openapi.join("vendor")).ok()?;
        p.strip_prefix(&base)
            .ok()
            .map(|r| format!("vendor/{}", r.to_string_lossy().replace('\\', "/")))
    });
    let vendor_rel = inside.unwrap_or_else(|| {
        format!(
            "vendor/unified-api-{}.yaml",
            sanitize_version(&f.new_version)
        )
    });
    let vendor_path = ws.openapi.join(&vendor_rel);
    let vendor_label = ws.label(&vendor_path);
    let stem = Path::new(&vendor_rel)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unified-api".into());
    let effective_path = ws.openapi.join(format!("effective/{stem}.yaml"));
    let mut generated = None;
    let clean = new_eff.is_some()
        && f.overlay_problems.is_empty()
        && f.overlay_recreated.is_empty()
        && f.rules_vanished.is_empty()
        && f.rules_unencoded.is_empty()
        && f.rules_other.is_empty()
        && f.generation_error.is_none();
    if clean {
        let mut inputs = Inputs::explicit(
            new_file.to_path_buf(),
            vendor_label.clone(),
            Some((ws.overlay.clone(), overlay_label.clone())),
            ws.rules.clone(),
            rules_label.clone(),
        );
        inputs.effective = Some((effective_path.clone(), ws.label(&effective_path)));
        match codegen::generate_all(&inputs) {
            Ok(g) => generated = Some(g),
            Err(e) => f.generation_error = Some(e.to_string()),
        }
    }

    let verdict = upgrade_report::verdict(&f);
    let decisions = upgrade_report::decisions(&f, &verdict);
    let mut written = Vec::new();
    let applied = decisions.is_empty() && generated.is_some();
    if let (true, Some(g)) = (applied, generated) {
        let source = match &lock_old {
            Some(l) if l.sha256 == crate::spec::sha256_hex(&new_bytes) => l.source.clone(),
            _ => new_label.to_string(),
        };
        let lock = SpecLock {
            file: vendor_rel.clone(),
            version: f.new_version.clone(),
            source,
            sha256: crate::spec::sha256_hex(&new_bytes),
        };
        let mut stage: Vec<(PathBuf, Vec<u8>)> = vec![
            (vendor_path.clone(), new_bytes.clone()),
            (ws.lock.clone(), lock.render().into_bytes()),
        ];
        if let Some((p, file)) = &g.effective {
            stage.push((p.clone(), file.contents.clone().into_bytes()));
        }
        for file in &g.files {
            stage.push((
                ws.generated.join(&file.name),
                file.contents.clone().into_bytes(),
            ));
        }
        // The previous vendor and effective files, when the new ones have other names.
        let mut obsolete = Vec::new();
        for old in [
            old_vendor_path.clone(),
            lock_old.as_ref().map(|l| ws.openapi.join(&l.file)),
        ]
        .into_iter()
        .flatten()
        {
            if old != vendor_path && !obsolete.contains(&old) {
                obsolete.push(old);
            }
        }
        if ws.effective != effective_path {
            obsolete.push(ws.effective.clone());
        }
        written = write_all(&stage, &obsolete).map_err(InputError)?;
        written = written.iter().map(|p| ws.label(Path::new(p))).collect();
    }
    let report = upgrade_report::render(&f, &verdict, &decisions, applied);
    Ok(Outcome {
        applied,
        report,
        verdict,
        decisions,
        written,
    })
}

/// The vendor file named in an effective document's `# Vendor:` header line (path,
/// parsed), when it exists and still has the recorded SHA-256.
fn old_vendor_of(ws: &Workspace, effective: &[u8]) -> Option<(PathBuf, Value)> {
    let text = std::str::from_utf8(effective).ok()?;
    let line = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix("# Vendor:"))?
        .trim();
    let (label, rest) = line.split_once(" (sha256 ")?;
    let sha = rest.trim_end_matches(')');
    let path = ws.root.join(label);
    let bytes = std::fs::read(&path).ok()?;
    if crate::spec::sha256_hex(&bytes) != sha {
        return None;
    }
    let doc = crate::spec::parse_yaml(std::str::from_utf8(&bytes).ok()?).ok()?;
    Some((path, doc))
}

fn strip_version(doc: &Value) -> Value {
    let mut d = doc.clone();
    if let Some(i) = d.get_mut("info").and_then(Value::as_object_mut) {
        i.remove("version");
    }
    d
}

fn sanitize_version(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes every file (only those whose contents change) by staging `name.upgrade-tmp`
/// files first and renaming them into place once all are staged; then deletes `obsolete`.
/// Returns the paths written or deleted.
fn write_all(stage: &[(PathBuf, Vec<u8>)], obsolete: &[PathBuf]) -> Result<Vec<String>, String> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (path, bytes) in stage {
        if std::fs::read(path).is_ok_and(|b| &b == bytes) {
            continue;
        }
        let tmp = path.with_extension(format!(
            "{}.upgrade-tmp",
            path.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        let r = path
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(&tmp, bytes));
        if let Err(e) = r {
            cleanup(&staged);
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "cannot write {}: {e}; nothing was changed",
                tmp.display()
            ));
        }
        staged.push((tmp, path.clone()));
    }
    let mut done = Vec::new();
    for (tmp, path) in &staged {
        std::fs::rename(tmp, path)
            .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), path.display()))?;
        done.push(path.display().to_string());
    }
    for p in obsolete {
        if p.exists() {
            std::fs::remove_file(p).map_err(|e| format!("cannot delete {}: {e}", p.display()))?;
            done.push(format!("{} (deleted)", p.display()));
        }
    }
    Ok(done)
}
