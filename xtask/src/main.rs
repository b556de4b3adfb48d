//! `cargo xtask` entry point. See `docs/regenerating.md`.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::codegen::{self, Inputs};

const USAGE: &str = "\
usage:
  cargo xtask codegen [--check] [--out DIR] [--spec FILE] [--overlay FILE | --no-overlay]
                      [--rules FILE]
      Regenerate generated/src and openapi/effective/ from openapi/vendor/ + the overlay
      (or, with --check, verify the lock, the effective document and generated/src are
      up to date). DIR defaults to $VT4G_CODEGEN_OUT or generated/src. --spec FILE
      generates from any document (overlay and rules applied, no lock, no effective file).
  cargo xtask lock [--source URL]
      Record openapi/vendor/'s file in openapi/spec.lock (after replacing it on purpose).
  cargo xtask fetch-spec URL [--version V] [--out FILE] [--lock FILE]
      Download a vendor OpenAPI document (YAML/JSON content types only), write it byte for
      byte (default openapi/vendor/unified-api-{version}.yaml) and record it in the lock
      (default openapi/spec.lock). Exit 1 if refused, 2 on a bad command line.
  cargo xtask upgrade NEW_FILE [--report FILE] [--workspace DIR]
      Normalise NEW_FILE, apply the overlay and the rules, compare with the current
      effective document. Exit 0: nothing to decide, the vendor file, lock, effective
      document and generated/src were rewritten. Exit 1: a person must decide (nothing
      written). Exit 2: bad command line or unreadable input. The Markdown report goes to
      FILE (default: standard output).
  cargo xtask spec-diff OLD NEW [--rules FILE | --no-rules] [--json]
      Compare two OpenAPI documents (e.g. 1.1.3 and 1.1.4). Rules default to
      openapi/provider-rules.yaml. Exit 0 unless an input can't be read (2).
";

fn workspace_root() -> PathBuf {
    // xtask/Cargo.toml lives one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => run_codegen(&args[1..]),
        Some("lock") => run_lock(&args[1..]),
        Some("spec-diff") => run_spec_diff(&args[1..]),
        Some("fetch-spec") => run_fetch_spec(&args[1..]),
        Some("upgrade") => run_upgrade(&args[1..]),
        Some("-h") | Some("--help") | Some("help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn take_value(args: &[String], i: &mut usize, flag: &str) -> Result<String, String> {
    *i += 1;
    args.get(*i)
        .cloned()
        .ok_or_else(|| format!("{flag} needs a value"))
}

fn run_codegen(args: &[String]) -> ExitCode {
    let root = workspace_root();
    let mut inputs = Inputs::workspace(&root);
    let mut check = false;
    let mut out: Option<PathBuf> = std::env::var_os("VT4G_CODEGEN_OUT").map(PathBuf::from);
    let mut i = 0;
    while i < args.len() {
        let r = match args[i].as_str() {
            "--check" => {
                check = true;
                Ok(())
            }
            "--out" => take_value(args, &mut i, "--out").map(|v| out = Some(PathBuf::from(v))),
            "--spec" => take_value(args, &mut i, "--spec").map(|v| {
                inputs.spec_label = v.clone();
                inputs.spec = PathBuf::from(v);
                inputs.lock = None;
                inputs.effective = None;
            }),
            "--overlay" => take_value(args, &mut i, "--overlay")
                .map(|v| inputs.overlay = Some((PathBuf::from(&v), v))),
            "--no-overlay" => {
                inputs.overlay = None;
                Ok(())
            }
            "--rules" => take_value(args, &mut i, "--rules").map(|v| {
                inputs.rules_label = v.clone();
                inputs.rules = PathBuf::from(v);
            }),
            other => Err(format!("unknown argument {other}")),
        };
        if let Err(e) = r {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
        i += 1;
    }
    let out = out.unwrap_or_else(|| root.join("generated/src"));
    let out_label = out
        .strip_prefix(&root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| out.display().to_string());

    let generated = match codegen::generate_all(&inputs) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let files = &generated.files;
    if check {
        let effective = match codegen::check_effective(&generated) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut ok = true;
        if let Some(st) = effective {
            ok = false;
            eprint!("{}", codegen::render_check("openapi/effective", &[st]));
        } else if let Some((_, f)) = &generated.effective {
            println!("{} is up to date.", f.name);
        }
        match codegen::check(&out, files) {
            Ok(stale) if stale.is_empty() => {
                println!("{}", codegen::render_check(&out_label, &stale).trim_end());
            }
            Ok(stale) => {
                ok = false;
                eprint!("{}", codegen::render_check(&out_label, &stale));
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
        if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    } else {
        match codegen::write(&out, files).and_then(|()| codegen::write_effective(&generated)) {
            Ok(()) => {
                match &generated.effective {
                    Some((_, f)) => {
                        println!("wrote {} files to {out_label} and {}", files.len(), f.name)
                    }
                    None => println!("wrote {} files to {out_label}", files.len()),
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

/// `cargo xtask lock [--source URL]`: records the workspace's vendor file in the lock
/// (file and source kept from the existing lock unless given; version from `info.version`).
fn run_lock(args: &[String]) -> ExitCode {
    let root = workspace_root();
    let mut source: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--source" => match take_value(args, &mut i, "--source") {
                Ok(v) => source = Some(v),
                Err(e) => {
                    eprintln!("error: {e}\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("error: unknown argument {other}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    let lock_path = root.join(codegen::LOCK_FILE);
    let previous = xtask::lock::SpecLock::read(&lock_path).ok();
    let file = previous
        .as_ref()
        .map(|l| l.file.clone())
        .unwrap_or_else(|| "vendor/unified-api-1.1.3.yaml".into());
    let vendor = root.join("openapi").join(&file);
    let bytes = match std::fs::read(&vendor) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", vendor.display());
            return ExitCode::from(2);
        }
    };
    let version = match std::str::from_utf8(&bytes)
        .map_err(|e| e.to_string())
        .and_then(xtask::spec::parse_yaml)
    {
        Ok(v) => v
            .pointer("/info/version")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown")
            .to_string(),
        Err(e) => {
            eprintln!("error: openapi/{file}: {e}");
            return ExitCode::from(2);
        }
    };
    let lock = xtask::lock::SpecLock {
        file: file.clone(),
        version,
        source: source
            .or_else(|| previous.map(|l| l.source))
            .unwrap_or_else(|| "unknown".into()),
        sha256: xtask::spec::sha256_hex(&bytes),
    };
    match lock.write(&lock_path) {
        Ok(()) => {
            println!("openapi/spec.lock: openapi/{file} sha256 {}", lock.sha256);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Exit codes: 0 whatever the differences, 2 if an input can't be read or parsed.
fn run_spec_diff(args: &[String]) -> ExitCode {
    let root = workspace_root();
    let mut json = false;
    let mut positional = Vec::new();
    let mut rules: Option<PathBuf> = None;
    let mut no_rules = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--json" => json = true,
            "--no-rules" => no_rules = true,
            "--rules" => match take_value(args, &mut i, "--rules") {
                Ok(v) => rules = Some(PathBuf::from(v)),
                Err(e) => {
                    eprintln!("error: {e}\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            other if other.starts_with("--") => {
                eprintln!("error: unknown argument {other}\n{USAGE}");
                return ExitCode::from(2);
            }
            other => positional.push(other.to_string()),
        }
        i += 1;
    }
    let [old_path, new_path] = positional.as_slice() else {
        eprintln!("error: spec-diff needs OLD and NEW\n{USAGE}");
        return ExitCode::from(2);
    };
    let read = |p: &str| -> Result<serde_json::Value, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?;
        xtask::spec::parse_yaml(&text).map_err(|e| format!("{p}: {e}"))
    };
    let (old, new) = match (read(old_path), read(new_path)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Rules: --rules FILE, else the workspace's file if present, unless --no-rules.
    let default_rules = root.join("openapi/provider-rules.yaml");
    let rules_path = if no_rules {
        None
    } else {
        match rules {
            Some(p) => Some(p),
            None if default_rules.exists() => Some(default_rules),
            None => None,
        }
    };
    let rules_text = match &rules_path {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => Some((p.strip_prefix(&root).unwrap_or(p).display().to_string(), t)),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let d = match xtask::spec_diff::diff(
        &old,
        &new,
        rules_text.as_ref().map(|(l, t)| (l.as_str(), t.as_str())),
    ) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if json {
        print!("{}", xtask::spec_diff::render_json(&d));
    } else {
        print!("{}", xtask::spec_diff::render_text(&d, old_path, new_path));
    }
    ExitCode::SUCCESS
}

/// Exit codes: 0 written, 1 refused (HTTP, content type, not OpenAPI, I/O), 2 bad command line.
fn run_fetch_spec(args: &[String]) -> ExitCode {
    use xtask::fetch_spec::{self, FetchError, FetchOptions};
    let root = workspace_root();
    let mut url = None;
    let mut version = None;
    let mut out = None;
    let mut lock = root.join("openapi/spec.lock");
    let mut i = 0;
    while i < args.len() {
        let r = match args[i].as_str() {
            "--version" => take_value(args, &mut i, "--version").map(|v| version = Some(v)),
            "--out" => take_value(args, &mut i, "--out").map(|v| out = Some(PathBuf::from(v))),
            "--lock" => take_value(args, &mut i, "--lock").map(|v| lock = PathBuf::from(v)),
            other if other.starts_with("--") => Err(format!("unknown argument {other}")),
            other if url.is_none() => {
                url = Some(other.to_string());
                Ok(())
            }
            other => Err(format!("unexpected argument {other}")),
        };
        if let Err(e) = r {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
        i += 1;
    }
    let Some(url) = url else {
        eprintln!("error: fetch-spec needs a URL\n{USAGE}");
        return ExitCode::from(2);
    };
    let opts = FetchOptions {
        url,
        version,
        out,
        lock: lock.clone(),
    };
    match fetch_spec::fetch(&opts) {
        Ok(f) => {
            for n in &f.notes {
                println!("note: {n}");
            }
            println!(
                "wrote {} ({}, sha256 {}) and recorded it in {} (file {}, version {})",
                f.path.display(),
                f.content_type,
                f.sha256,
                lock.display(),
                f.lock_file,
                f.version
            );
            println!(
                "next: `cargo xtask upgrade {}` (see docs/regenerating.md)",
                f.path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e @ FetchError::Usage(_)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprint!("error: {e}");
            if !e.to_string().ends_with('\n') {
                eprintln!();
            }
            ExitCode::FAILURE
        }
    }
}

/// Exit codes: 0 applied, 1 a person must decide, 2 bad command line or unreadable input.
fn run_upgrade(args: &[String]) -> ExitCode {
    let mut root = workspace_root();
    let mut new_file = None;
    let mut report: Option<PathBuf> = None;
    let mut i = 0;
    while i < args.len() {
        let r = match args[i].as_str() {
            "--report" => {
                take_value(args, &mut i, "--report").map(|v| report = Some(PathBuf::from(v)))
            }
            "--workspace" => {
                take_value(args, &mut i, "--workspace").map(|v| root = PathBuf::from(v))
            }
            other if other.starts_with("--") => Err(format!("unknown argument {other}")),
            other if new_file.is_none() => {
                new_file = Some(other.to_string());
                Ok(())
            }
            other => Err(format!("unexpected argument {other}")),
        };
        if let Err(e) = r {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
        i += 1;
    }
    let Some(new_file) = new_file else {
        eprintln!("error: upgrade needs NEW_FILE\n{USAGE}");
        return ExitCode::from(2);
    };
    let ws = xtask::upgrade::Workspace::at(&root);
    let outcome = match xtask::upgrade::upgrade(&ws, Path::new(&new_file), &new_file) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match &report {
        Some(p) => {
            if let Err(e) = std::fs::write(p, &outcome.report) {
                eprintln!("error: cannot write {}: {e}", p.display());
                return ExitCode::from(2);
            }
            println!("report written to {}", p.display());
        }
        None => print!("{}", outcome.report),
    }
    println!("semver: {}", outcome.verdict.level.as_str());
    if outcome.applied {
        for w in &outcome.written {
            println!("wrote {w}");
        }
        if outcome.written.is_empty() {
            println!("nothing changed");
        }
        ExitCode::SUCCESS
    } else {
        eprintln!("a person must decide (nothing was written):");
        for d in &outcome.decisions {
            eprintln!("  - {d}");
        }
        ExitCode::FAILURE
    }
}
