//! Helpers shared by the CLI tests: run the real `vt4g` binary.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as exactly one JSON document.
    pub fn json(&self) -> serde_json::Value {
        let mut de =
            serde_json::Deserializer::from_str(&self.stdout).into_iter::<serde_json::Value>();
        let doc = de
            .next()
            .unwrap_or_else(|| panic!("no JSON on stdout; stderr: {}", self.stderr))
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout));
        assert!(
            de.next().is_none(),
            "more than one JSON document: {:?}",
            self.stdout
        );
        doc
    }

    /// Asserts that neither stream contains `needle`.
    pub fn assert_not_leaked(&self, needle: &str) {
        assert!(
            !self.stdout.contains(needle),
            "secret on stdout: {}",
            self.stdout
        );
        assert!(
            !self.stderr.contains(needle),
            "secret on stderr: {}",
            self.stderr
        );
    }
}

/// A `vt4g` command with a clean credential environment.
pub fn vt4g() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vt4g"));
    c.env_remove("VT_TOKEN")
        .env_remove("VT_MERCHANT_CCID")
        .env_remove("VT_MERCHANT_KEY");
    c
}

/// Runs `cmd` with `stdin` as its input.
pub fn run(mut cmd: Command, stdin: &[u8]) -> Run {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn vt4g");
    {
        let mut input = child.stdin.take().expect("stdin");
        // The binary may exit before reading (usage errors): ignore a broken pipe.
        let _ = input.write_all(stdin);
    }
    let out = child.wait_with_output().expect("wait vt4g");
    Run {
        code: out
            .status
            .code()
            .expect("exit code (not killed by a signal)"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Runs `vt4g ARGS` with no stdin.
pub fn run_args(args: &[&str]) -> Run {
    let mut c = vt4g();
    c.args(args);
    run(c, b"")
}

/// A unique temporary file path holding `contents`.
pub fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "vt4g-cli-test-{}-{}-{name}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::write(&path, contents).expect("write temp file");
    path
}
