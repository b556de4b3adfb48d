//! Loading the OpenAPI document: YAML → `serde_json::Value` (key order preserved) →
//! `openapiv3::OpenAPI`, plus the SHA-256 of the file bytes for the do-not-edit headers.

use std::path::Path;

use sha2::{Digest, Sha256};

/// An OpenAPI document as read from disk.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    /// The document as a JSON value, keys in file order.
    pub value: serde_json::Value,
    /// The document parsed by `openapiv3`.
    pub openapi: openapiv3::OpenAPI,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Reads and parses an OpenAPI YAML (or JSON) file.
///
/// # Errors
/// A message naming the file if it cannot be read, is not YAML, or is not an
/// OpenAPI 3.0 document `openapiv3` accepts.
pub fn load(path: &Path) -> Result<LoadedSpec, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|e| format!("{} is not UTF-8: {e}", path.display()))?;
    let value = parse_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let openapi = to_openapi(&value).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(LoadedSpec {
        sha256: sha256_hex(&bytes),
        value,
        openapi,
    })
}

/// Parses YAML text into a JSON value, keeping key order. Non-string mapping keys
/// (e.g. an unquoted response code `200:`) become strings.
///
/// # Errors
/// The YAML parser's message, or a message naming an unsupported key type.
pub fn parse_yaml(text: &str) -> Result<serde_json::Value, String> {
    let y: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    yaml_to_json(y)
}

/// Converts a parsed OpenAPI JSON value into `openapiv3::OpenAPI`.
///
/// # Errors
/// `openapiv3`'s deserialization message.
pub fn to_openapi(value: &serde_json::Value) -> Result<openapiv3::OpenAPI, String> {
    serde_json::from_value(value.clone()).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))
}

fn yaml_to_json(y: serde_yaml::Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    use serde_yaml::Value as Y;
    Ok(match y {
        Y::Null => J::Null,
        Y::Bool(b) => J::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                J::from(i)
            } else if let Some(u) = n.as_u64() {
                J::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(J::Number)
                    .ok_or_else(|| format!("unsupported number {n}"))?
            }
        }
        Y::String(s) => J::String(s),
        Y::Sequence(seq) => J::Array(
            seq.into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            J::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value)?,
    })
}
