//! `openapi/spec.lock`: which vendor document the workspace is generated from.
//!
//! A small YAML mapping: `file` (relative to `openapi/`), `version`, `source` (where the file
//! was obtained, or `unknown`) and `sha256` (of the file's bytes, lower-case hex). Codegen
//! refuses a default vendor file whose hash differs from the lock, printing
//! [`UPDATE_COMMAND`]; `cargo xtask fetch-spec` and `cargo xtask lock` write it.

use std::path::Path;

use crate::spec;

/// The command that rewrites the lock for the current vendor file.
pub const UPDATE_COMMAND: &str = "cargo xtask lock";

/// The contents of `spec.lock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecLock {
    /// The vendor file, relative to the lock's directory (`vendor/unified-api-1.1.3.yaml`).
    pub file: String,
    /// The API version the file describes (`info.version`).
    pub version: String,
    /// Where the file came from (a URL), or `unknown`.
    pub source: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

const HEADER: &str = "\
# The vendor document the workspace is generated from (see docs/regenerating.md).
# `cargo xtask codegen` refuses openapi/<file> when its SHA-256 differs from `sha256`.
# Written by `cargo xtask lock` (after replacing the vendor file) and `cargo xtask fetch-spec`.
";

impl SpecLock {
    /// Reads and checks a lock file.
    ///
    /// # Errors
    /// The file cannot be read or is not a mapping with the four string keys (named).
    pub fn read(path: &Path) -> Result<SpecLock, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let value = spec::parse_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let field = |k: &str| -> Result<String, String> {
            value
                .get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    format!(
                        "{}: #/{k}: missing or not a string (expected file, version, source, sha256)",
                        path.display()
                    )
                })
        };
        let lock = SpecLock {
            file: field("file")?,
            version: field("version")?,
            source: field("source")?,
            sha256: field("sha256")?,
        };
        if lock.sha256.len() != 64 || !lock.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "{}: #/sha256: not a SHA-256 in hex ({:?})",
                path.display(),
                lock.sha256
            ));
        }
        Ok(lock)
    }

    /// The lock's text (stable: same contents, same bytes).
    pub fn render(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"));
        format!(
            "{HEADER}file: {}\nversion: {}\nsource: {}\nsha256: {}\n",
            q(&self.file),
            q(&self.version),
            q(&self.source),
            self.sha256
        )
    }

    /// Writes the lock.
    ///
    /// # Errors
    /// The I/O error, naming the file.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        std::fs::write(path, self.render())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Checks `bytes` (the vendor file's contents) against the lock.
    ///
    /// # Errors
    /// A message naming the file, both hashes and [`UPDATE_COMMAND`].
    pub fn verify(&self, vendor_label: &str, bytes: &[u8]) -> Result<(), String> {
        let actual = spec::sha256_hex(bytes);
        if actual == self.sha256 {
            Ok(())
        } else {
            Err(format!(
                "{vendor_label} does not match openapi/spec.lock (sha256 {actual}, locked \
                 {}). If the new file is intended, record it with `{UPDATE_COMMAND}` (or \
                 `cargo xtask fetch-spec URL`), review `cargo xtask upgrade`, and commit both; \
                 otherwise restore the locked file.",
                self.sha256
            ))
        }
    }
}
