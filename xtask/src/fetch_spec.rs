//! `cargo xtask fetch-spec URL [--version V] [--out FILE] [--lock FILE]`: downloads a
//! vendor OpenAPI document, refuses what is not one, writes it byte for byte and records
//! it in the lock (`openapi/spec.lock`: file, version, source URL, SHA-256).
//!
//! Refused (nothing is written):
//! * an HTTP status other than 2xx, a network error, a body over [`MAX_BYTES`];
//! * a `Content-Type` that is not a YAML or JSON type ([`ACCEPTED_CONTENT_TYPES`]; a
//!   missing header is refused too) — an HTML error page served with status 200 is the
//!   common case;
//! * a body that is not UTF-8 YAML/JSON, or not an OpenAPI 3.0/3.1 document (an `openapi`
//!   version string, `info.title`, `info.version` and a `paths` mapping; each problem with
//!   its JSON pointer).
//!
//! The file is written exactly as downloaded (never re-serialised), so its SHA-256 is the
//! download's. Default output: `openapi/vendor/unified-api-{version}.yaml` (`.json` when
//! the server says JSON), where the version is `--version` or the document's
//! `info.version`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

/// Content types accepted (parameters such as `charset` are ignored, case-insensitive).
pub const ACCEPTED_CONTENT_TYPES: [&str; 9] = [
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "application/vnd.oai.openapi",
    "application/vnd.oai.openapi+json",
    "application/openapi+yaml",
    "application/openapi+json",
    "application/json",
];

/// Largest document accepted (a vendor OpenAPI document is well under 1 MiB).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// What to fetch and where to put it.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// `http://` or `https://` URL.
    pub url: String,
    /// The version to record (default: the document's `info.version`).
    pub version: Option<String>,
    /// Where to write the document (default: `{openapi}/vendor/unified-api-{version}.yaml`).
    pub out: Option<PathBuf>,
    /// The lock file to write; the document must be below its directory.
    pub lock: PathBuf,
}

/// What was fetched and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Where the document was written.
    pub path: PathBuf,
    /// The `file` recorded in the lock (relative to the lock's directory).
    pub lock_file: String,
    /// The version recorded.
    pub version: String,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// The server's content type.
    pub content_type: String,
    /// Remarks for the maintainer (e.g. `--version` differs from `info.version`).
    pub notes: Vec<String>,
}

/// Why nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The URL or the options are unusable (exit 2).
    Usage(String),
    /// Network error or non-2xx status.
    Http(String),
    /// The content type is not a YAML/JSON type.
    ContentType {
        /// What the server sent (`None`: no header).
        got: Option<String>,
    },
    /// The body is not an OpenAPI document; each problem located.
    NotOpenApi(Vec<crate::normalise::Located>),
    /// Writing failed.
    Io(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Usage(m) | FetchError::Http(m) | FetchError::Io(m) => write!(f, "{m}"),
            FetchError::ContentType { got } => write!(
                f,
                "refusing the download: content type {} is not a YAML or JSON type (accepted: {}). \
                 If the server mislabels the file, download it yourself and run `cargo xtask upgrade FILE`.",
                got.as_deref()
                    .map(|g| format!("`{g}`"))
                    .unwrap_or_else(|| "(none)".into()),
                ACCEPTED_CONTENT_TYPES.join(", ")
            ),
            FetchError::NotOpenApi(problems) => {
                writeln!(f, "refusing the download: it is not an OpenAPI document:")?;
                for p in problems {
                    writeln!(f, "  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FetchError {}

/// Whether a `Content-Type` value is one of [`ACCEPTED_CONTENT_TYPES`].
pub fn content_type_accepted(value: &str) -> bool {
    let base = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ACCEPTED_CONTENT_TYPES.contains(&base.as_str())
}

fn is_json_type(value: &str) -> bool {
    let base = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    base.ends_with("json")
}

/// Checks that `bytes` are an OpenAPI 3.0/3.1 document; returns it parsed.
///
/// # Errors
/// Every problem, located.
pub fn check_document(bytes: &[u8]) -> Result<Value, Vec<crate::normalise::Located>> {
    use crate::normalise::Located;
    let text = std::str::from_utf8(bytes)
        .map_err(|e| vec![Located::new("#", format!("the body is not UTF-8: {e}"))])?;
    let doc = crate::spec::parse_yaml(text)
        .map_err(|e| vec![Located::new("#", format!("the body does not parse: {e}"))])?;
    let mut problems = Vec::new();
    if !doc.is_object() {
        return Err(vec![Located::new(
            "#",
            "the document is not a mapping (an HTML page or a bare value?)",
        )]);
    }
    match doc.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.0.") || v.starts_with("3.1.") => {}
        Some(v) => problems.push(Located::new(
            "#/openapi",
            format!("OpenAPI version {v} is not 3.0.x or 3.1.x"),
        )),
        None => problems.push(Located::new(
            "#/openapi",
            "missing: not an OpenAPI document",
        )),
    }
    for k in ["title", "version"] {
        if !doc
            .get("info")
            .and_then(|i| i.get(k))
            .is_some_and(Value::is_string)
        {
            problems.push(Located::new(
                format!("#/info/{k}"),
                "missing or not a string",
            ));
        }
    }
    if !doc.get("paths").is_some_and(Value::is_object) {
        problems.push(Located::new("#/paths", "missing or not a mapping"));
    }
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(problems)
    }
}

/// Downloads `url`: the body and the content type (checked).
///
/// # Errors
/// [`FetchError::Usage`] for a URL that is not http(s), [`FetchError::Http`],
/// [`FetchError::ContentType`].
pub fn download(url: &str) -> Result<(Vec<u8>, String), FetchError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(FetchError::Usage(format!(
            "`{url}` is not an http:// or https:// URL"
        )));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::Http(format!("cannot start the HTTP runtime: {e}")))?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("vt4g-xtask/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Http(format!("cannot build the HTTP client: {e}")))?;
        let mut resp = client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "application/yaml, application/vnd.oai.openapi, application/json;q=0.9",
            )
            .send()
            .await
            .map_err(|e| FetchError::Http(format!("GET {url} failed: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::Http(format!(
                "GET {url} answered HTTP {status}; nothing was written"
            )));
        }
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        match &ct {
            Some(c) if content_type_accepted(c) => {}
            _ => return Err(FetchError::ContentType { got: ct }),
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| FetchError::Http(format!("reading {url} failed: {e}")))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BYTES {
                return Err(FetchError::Http(format!(
                    "{url} is larger than {MAX_BYTES} bytes; refusing it"
                )));
            }
        }
        Ok((body, ct.unwrap_or_default()))
    })
}

/// Downloads, checks, writes the document and the lock.
///
/// # Errors
/// See [`FetchError`]; nothing is written unless every check passed.
pub fn fetch(opts: &FetchOptions) -> Result<Fetched, FetchError> {
    let (bytes, content_type) = download(&opts.url)?;
    let doc = check_document(&bytes).map_err(FetchError::NotOpenApi)?;
    let info_version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut notes = Vec::new();
    let version = match &opts.version {
        Some(v) => {
            if *v != info_version {
                notes.push(format!(
                    "--version {v} recorded; the document's info.version is {info_version:?}"
                ));
            }
            v.clone()
        }
        None => info_version,
    };
    if version.is_empty()
        || !version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
    {
        return Err(FetchError::Usage(format!(
            "version {version:?} cannot name a file; pass --version V"
        )));
    }
    let lock_dir = opts
        .lock
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let ext = if is_json_type(&content_type) {
        "json"
    } else {
        "yaml"
    };
    let path = opts
        .out
        .clone()
        .unwrap_or_else(|| lock_dir.join(format!("vendor/unified-api-{version}.{ext}")));
    let lock_file = relative_to(&path, &lock_dir).ok_or_else(|| {
        FetchError::Usage(format!(
            "{} is not below {} (the lock's directory); the lock records the file relative to it",
            path.display(),
            lock_dir.display()
        ))
    })?;
    let sha256 = crate::spec::sha256_hex(&bytes);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| FetchError::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(&path, &bytes)
        .map_err(|e| FetchError::Io(format!("cannot write {}: {e}", path.display())))?;
    crate::lock::SpecLock {
        file: lock_file.clone(),
        version: version.clone(),
        source: opts.url.clone(),
        sha256: sha256.clone(),
    }
    .write(&opts.lock)
    .map_err(FetchError::Io)?;
    Ok(Fetched {
        path,
        lock_file,
        version,
        sha256,
        content_type,
        notes,
    })
}

/// `path` relative to `dir` with `/` separators, when it is below it (both made absolute
/// against the current directory first).
fn relative_to(path: &Path, dir: &Path) -> Option<String> {
    let abs = |p: &Path| -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|c| c.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        }
    };
    let clean = |p: PathBuf| -> PathBuf { p.components().collect() };
    let rel = clean(abs(path))
        .strip_prefix(clean(abs(dir)))
        .ok()?
        .to_path_buf();
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty() && !parts.iter().any(|p| p == "..")).then(|| parts.join("/"))
}
