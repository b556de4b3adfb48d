//! What `cargo xtask upgrade` found, the semver verdict, and the Markdown report.
//!
//! Semver (the same verdict for `vt4g-generated` and for `vt4g`, which re-exports it as
//! `vt4g::generated`); the highest level found wins:
//! * **major**: an operation removed; a field or parameter removed; a required request field
//!   added; a field's type changed; a field becoming required or optional (its Rust type
//!   changes between `T` and `Option<T>`); on the request side a narrower limit (`maxLength`
//!   lower or new, `minLength` higher or new), a changed `pattern`, an enum value removed.
//! * **minor**: an operation added; an optional field added (or any response field); on the
//!   request side a wider limit (`maxLength` higher or dropped, `minLength` lower or
//!   dropped), an enum value added.
//! * **patch**: descriptions and other documentation only; limit, pattern and enum changes on
//!   the response side (responses are generated without them: response leniency); nothing
//!   at all.
//!
//! This is the API-level convention. Rust-strictly, a new field in a struct with public
//! fields and a new variant in an exhaustive enum also break code (struct literals,
//! exhaustive `match`); typify's types are not `#[non_exhaustive]`. The report says so.

use std::fmt::Write as _;

use serde_json::Value;

use crate::normalise::Located;
use crate::spec_diff::{FieldInfo, FieldKey, SpecDiff};

/// A semver level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Documentation only, or nothing.
    Patch,
    /// Additions.
    Minor,
    /// Breaking changes.
    Major,
}

impl Level {
    /// `major`, `minor` or `patch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        }
    }
}

/// The verdict and every reason, highest level first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The highest level found.
    pub level: Level,
    /// (level, reason) for every change, sorted by level (highest first), then text.
    pub reasons: Vec<(Level, String)>,
}

/// Everything the upgrade found.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// `info.version` of the current effective document.
    pub old_version: String,
    /// `info.version` of the new vendor document.
    pub new_version: String,
    /// The new vendor file, as named on the command line.
    pub new_label: String,
    /// The current effective document's label.
    pub old_label: String,
    /// Normalisation problems (located in the new vendor file).
    pub normalise_errors: Vec<Located>,
    /// What normalisation changed.
    pub normalise_notes: Vec<Located>,
    /// Overlay actions that match nothing, or that failed (located in the overlay).
    pub overlay_problems: Vec<Located>,
    /// The field-by-field diff of the effective documents (with the rules' vanished targets).
    pub diff: Option<SpecDiff>,
    /// The same for the vendor documents alone (normalised, no overlay), when the vendor
    /// file the current effective document was made from is still there.
    pub vendor_diff: Option<SpecDiff>,
    /// Fields the vendor removed that the overlay re-creates (a partial property: drift).
    pub overlay_recreated: Vec<String>,
    /// Rule problems, split by kind: (command, field, problem).
    pub rules_vanished: Vec<String>,
    /// Descriptions stating a per-provider limit no rule encodes.
    pub rules_unencoded: Vec<String>,
    /// Other rule problems.
    pub rules_other: Vec<String>,
    /// Result codes in the new vendor document not in the current table.
    pub result_codes_added: Vec<String>,
    /// Result codes in the current table the new vendor document no longer mentions.
    pub result_codes_removed: Vec<String>,
    /// Result codes the new effective document mentions but its table lacks.
    pub result_codes_untabled: Vec<String>,
    /// Whether the effective documents differ in anything (descriptions included).
    pub documents_differ: bool,
    /// Generation failed (the message), if it was attempted.
    pub generation_error: Option<String>,
}

fn is_request(k: &FieldKey) -> bool {
    k.side == "request" || k.side.ends_with(" parameter")
}

fn limit_narrower(attr: &str, old: &Value, new: &Value) -> Option<bool> {
    let (o, n) = (old.as_u64(), new.as_u64());
    match attr {
        "maxLength" => Some(match (o, n) {
            (Some(o), Some(n)) => n < o,
            (None, Some(_)) => true,
            _ => false,
        }),
        "minLength" => Some(match (o, n) {
            (Some(o), Some(n)) => n > o,
            (None, Some(_)) => true,
            _ => false,
        }),
        _ => None,
    }
}

fn brief(info: &FieldInfo) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &info.ty {
        parts.push(t.clone());
    }
    if let Some(m) = info.max_length {
        parts.push(format!("maxLength {m}"));
    }
    if let Some(m) = info.min_length {
        parts.push(format!("minLength {m}"));
    }
    if let Some(p) = &info.pattern {
        parts.push(format!("pattern `{p}`"));
    }
    if let Some(e) = &info.enum_values {
        let vals: Vec<String> = e.iter().map(Value::to_string).collect();
        parts.push(format!("enum [{}]", vals.join(", ")));
    }
    parts.push(
        if info.required {
            "required"
        } else {
            "optional"
        }
        .into(),
    );
    parts.join(", ")
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

/// The semver verdict for a diff (see the module docs).
pub fn verdict(f: &Findings) -> Verdict {
    let mut reasons: Vec<(Level, String)> = Vec::new();
    if let Some(d) = &f.diff {
        for o in &d.operations_removed {
            reasons.push((Level::Major, format!("operation removed: {o}")));
        }
        for o in &d.operations_added {
            reasons.push((Level::Minor, format!("operation added: {o}")));
        }
        for e in &d.fields_removed {
            reasons.push((Level::Major, format!("field removed: {}", e.key)));
        }
        for k in &f.overlay_recreated {
            reasons.push((Level::Major, format!("field removed: {k}")));
        }
        for e in &d.fields_added {
            if is_request(&e.key) && e.info.required {
                reasons.push((
                    Level::Major,
                    format!("required request field added: {}", e.key),
                ));
            } else {
                reasons.push((Level::Minor, format!("optional field added: {}", e.key)));
            }
        }
        for c in &d.fields_changed {
            // A field the vendor removed and the overlay re-created is reported as removed.
            if f.overlay_recreated.contains(&c.key.to_string()) {
                continue;
            }
            let req = is_request(&c.key);
            let what = format!(
                "{}: {} {} → {}",
                c.key,
                c.attribute,
                show(&c.old),
                show(&c.new)
            );
            let level = match c.attribute.as_str() {
                "type" => (Level::Major, "type changed"),
                "required" => (Level::Major, "required changed (T ↔ Option<T>)"),
                "maxLength" | "minLength" if !req => (
                    Level::Patch,
                    "response limit changed (not enforced: leniency)",
                ),
                "maxLength" | "minLength" => {
                    if limit_narrower(&c.attribute, &c.old, &c.new) == Some(true) {
                        (Level::Major, "narrower limit")
                    } else {
                        (Level::Minor, "wider limit")
                    }
                }
                "pattern" if req => (Level::Major, "request pattern changed"),
                "enum" if req => {
                    let old: Vec<&Value> = c
                        .old
                        .as_array()
                        .map(|a| a.iter().collect())
                        .unwrap_or_default();
                    let new: Vec<&Value> = c
                        .new
                        .as_array()
                        .map(|a| a.iter().collect())
                        .unwrap_or_default();
                    if c.new.is_array() && old.iter().any(|v| !new.contains(v)) {
                        (Level::Major, "enum value removed")
                    } else if c.old.is_null() {
                        (Level::Major, "enum added (values restricted)")
                    } else {
                        (Level::Minor, "enum value added")
                    }
                }
                "pattern" | "enum" => (
                    Level::Patch,
                    "response constraint changed (not enforced: leniency)",
                ),
                _ => (Level::Patch, "annotation changed"),
            };
            reasons.push((level.0, format!("{}: {what}", level.1)));
        }
    }
    if reasons.is_empty() {
        reasons.push((
            Level::Patch,
            if f.documents_differ {
                "descriptions or other documentation changed only".to_string()
            } else {
                "no change".to_string()
            },
        ));
    }
    reasons.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    reasons.dedup();
    Verdict {
        level: reasons[0].0,
        reasons,
    }
}

/// Why a person must decide (empty: the upgrade can be applied).
pub fn decisions(f: &Findings, v: &Verdict) -> Vec<String> {
    let mut out = Vec::new();
    let n = |len: usize, what: &str| format!("{len} {what}");
    if !f.normalise_errors.is_empty() {
        out.push(n(
            f.normalise_errors.len(),
            "normalisation problem(s) in the new vendor document",
        ));
    }
    if !f.overlay_problems.is_empty() {
        out.push(n(
            f.overlay_problems.len(),
            "overlay action(s) that no longer apply (drift)",
        ));
    }
    if !f.overlay_recreated.is_empty() {
        out.push(n(
            f.overlay_recreated.len(),
            "field(s) the vendor removed that the overlay re-creates (drift)",
        ));
    }
    if !f.rules_vanished.is_empty() {
        out.push(n(
            f.rules_vanished.len(),
            "provider rule(s) whose field vanished",
        ));
    }
    if !f.rules_unencoded.is_empty() {
        out.push(n(
            f.rules_unencoded.len(),
            "per-provider limit(s) stated in descriptions that no rule encodes",
        ));
    }
    if !f.rules_other.is_empty() {
        out.push(n(f.rules_other.len(), "other provider-rule problem(s)"));
    }
    if !f.result_codes_untabled.is_empty() {
        out.push(n(
            f.result_codes_untabled.len(),
            "result code(s) without a row in the overlay's x-vt4g-result-codes",
        ));
    }
    if !f.result_codes_removed.is_empty() {
        out.push(n(f.result_codes_removed.len(), "result code(s) removed"));
    }
    if let Some(e) = &f.generation_error {
        out.push(format!(
            "code generation failed: {}",
            e.lines().next().unwrap_or("")
        ));
    }
    if v.level == Level::Major {
        out.push("breaking changes (semver major)".into());
    }
    out
}

/// The Markdown report.
pub fn render(f: &Findings, v: &Verdict, decided: &[String], applied: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Upgrade report: {} → {}\n",
        f.old_version, f.new_version
    );
    let _ = writeln!(s, "- current: `{}`", f.old_label);
    let _ = writeln!(s, "- new vendor document: `{}`", f.new_label);
    if applied {
        let _ = writeln!(s, "- outcome: **applied** — vendor file, lock, effective document and generated/ rewritten (exit 0)");
    } else {
        let _ = writeln!(
            s,
            "- outcome: **a person must decide** — nothing was written (exit 1)"
        );
    }
    let _ = writeln!(s, "\nsemver: {}\n", v.level.as_str());
    let _ = writeln!(
        s,
        "The same verdict applies to `vt4g-generated` and to `vt4g` (which re-exports it as `vt4g::generated`). Reasons:\n"
    );
    for (l, r) in &v.reasons {
        let _ = writeln!(s, "- {}: {r}", l.as_str());
    }
    let _ = writeln!(
        s,
        "\n(API-level convention; Rust-strictly a new struct field or enum variant also breaks struct literals and exhaustive matches: typify's types are not `#[non_exhaustive]`.)"
    );
    if !decided.is_empty() {
        let _ = writeln!(s, "\n## Decisions needed\n");
        for d in decided {
            let _ = writeln!(s, "- {d}");
        }
    }
    let section = |s: &mut String, title: &str, lines: &[String]| {
        let _ = writeln!(s, "\n## {title} ({})\n", lines.len());
        if lines.is_empty() {
            let _ = writeln!(s, "None.");
        }
        for l in lines {
            let _ = writeln!(s, "- {l}");
        }
    };
    // What VeriTrans changed: the vendor documents' diff when the old vendor file is there,
    // else the effective documents' (which also shows our overlay's annotations).
    let d = f
        .vendor_diff
        .clone()
        .or_else(|| f.diff.clone())
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "\nChanges below compare the {} documents.",
        if f.vendor_diff.is_some() {
            "vendor (normalised, before the overlay)"
        } else {
            "effective (the old vendor file is not available)"
        }
    );
    let ops: Vec<String> = d
        .operations_added
        .iter()
        .map(|o| format!("added: `{o}`"))
        .chain(
            d.operations_removed
                .iter()
                .map(|o| format!("removed: `{o}`")),
        )
        .collect();
    section(&mut s, "Operations added/removed", &ops);
    section(
        &mut s,
        "Fields added",
        &d.fields_added
            .iter()
            .map(|e| format!("`{}` ({})", e.key, brief(&e.info)))
            .collect::<Vec<_>>(),
    );
    section(
        &mut s,
        "Fields removed",
        &d.fields_removed
            .iter()
            .map(|e| format!("`{}` (was {})", e.key, brief(&e.info)))
            .collect::<Vec<_>>(),
    );
    let limits = ["maxLength", "minLength", "pattern", "enum"];
    section(
        &mut s,
        "Limits changed (old → new)",
        &d.fields_changed
            .iter()
            .filter(|c| limits.contains(&c.attribute.as_str()))
            .map(|c| {
                format!(
                    "`{}`: {} {} → {}",
                    c.key,
                    c.attribute,
                    show(&c.old),
                    show(&c.new)
                )
            })
            .collect::<Vec<_>>(),
    );
    section(
        &mut s,
        "Other field changes (old → new)",
        &d.fields_changed
            .iter()
            .filter(|c| !limits.contains(&c.attribute.as_str()))
            .map(|c| {
                format!(
                    "`{}`: {} {} → {}",
                    c.key,
                    c.attribute,
                    show(&c.old),
                    show(&c.new)
                )
            })
            .collect::<Vec<_>>(),
    );
    let mut codes: Vec<String> = f
        .result_codes_added
        .iter()
        .map(|c| format!("added: `{c}`"))
        .collect();
    codes.extend(
        f.result_codes_removed
            .iter()
            .map(|c| format!("removed: `{c}`")),
    );
    codes.extend(f.result_codes_untabled.iter().map(|c| {
        format!("`{c}` has no row in x-vt4g-result-codes (add its HTTP status, status and action code to the overlay)")
    }));
    section(&mut s, "Result codes", &codes);
    let mut drift: Vec<String> = f.overlay_problems.iter().map(ToString::to_string).collect();
    drift.extend(f.overlay_recreated.iter().map(|k| {
        format!("`{k}`: removed by the vendor but re-created by an overlay update (without its type); remove it from the overlay")
    }));
    section(&mut s, "Overlay drift and failed actions", &drift);
    section(
        &mut s,
        "Provider rules whose field vanished",
        &f.rules_vanished,
    );
    section(
        &mut s,
        "Per-provider limits in descriptions that no rule encodes",
        &f.rules_unencoded,
    );
    section(&mut s, "Other provider-rule problems", &f.rules_other);
    section(
        &mut s,
        "Normalisation problems",
        &f.normalise_errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    );
    section(
        &mut s,
        "Normalisation changes",
        &f.normalise_notes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    );
    if let Some(e) = &f.generation_error {
        let _ = writeln!(s, "\n## Code generation\n\n```text\n{}\n```", e.trim_end());
    }
    s
}
