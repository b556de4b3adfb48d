//! `cargo xtask` entry point. See `docs/regenerating.md`.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::codegen::{self, Inputs};

const USAGE: &str = "\
usage:
  cargo xtask codegen [--check] [--out DIR] [--spec FILE] [--rules FILE]
      Regenerate generated/src from openapi/ (or, with --check, verify it is up to date).
      DIR defaults to $VT4G_CODEGEN_OUT or generated/src.
  cargo xtask spec-diff OLD NEW [--rules FILE] [--json]
      Compare two OpenAPI documents (e.g. 1.1.3 and 1.1.4).
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
            }),
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

    let files = match codegen::generate(&inputs) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        match codegen::check(&out, &files) {
            Ok(stale) if stale.is_empty() => {
                println!("{}", codegen::render_check(&out_label, &stale).trim_end());
                ExitCode::SUCCESS
            }
            Ok(stale) => {
                eprint!("{}", codegen::render_check(&out_label, &stale));
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    } else {
        match codegen::write(&out, &files) {
            Ok(()) => {
                println!("wrote {} files to {out_label}", files.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }
}
