//! Exit codes, the one JSON document on stdout, input reading and credentials.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use vt4g::Secret;

/// The process exit codes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: ok / valid.
    Ok = 0,
    /// 1: invalid, rejected, or an API failure result.
    Invalid = 1,
    /// 2: usage error.
    Usage = 2,
    /// 3: transport failure.
    Transport = 3,
}

/// A failure that ends the run before a JSON document was produced: a human message on
/// stderr and an exit code (usually [`Exit::Usage`]).
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// The message for stderr. Never contains a secret.
    pub message: String,
}

impl Failure {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            exit: Exit::Usage,
            message: message.into(),
        }
    }
}

/// What a subcommand produces: the JSON document for stdout and the exit code.
#[derive(Debug)]
pub struct Outcome {
    /// The document printed on stdout (`None` for `sandbox serve`, which prints its
    /// `listening on` line itself).
    pub document: Option<serde_json::Value>,
    /// The exit code.
    pub exit: Exit,
}

impl Outcome {
    /// Builds an outcome with a document.
    pub fn new(document: serde_json::Value, exit: Exit) -> Self {
        Outcome {
            document: Some(document),
            exit,
        }
    }

    /// An outcome without a document.
    pub fn bare(exit: Exit) -> Self {
        Outcome {
            document: None,
            exit,
        }
    }
}

/// Prints `value` as exactly one JSON document followed by a newline, then flushes.
///
/// # Errors
/// When stdout cannot be written (e.g. a closed pipe).
pub fn print_document(value: &serde_json::Value, pretty: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(std::io::Error::other)?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Largest input accepted (request bodies and webhook bodies are a few KiB).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads the raw bytes of `FILE`, or stdin when the argument is absent or `-`.
///
/// The bytes are returned exactly as read (webhook bodies must be verified unchanged).
///
/// # Errors
/// A usage failure when the file cannot be read or is larger than [`MAX_INPUT_BYTES`].
pub fn read_input(path: Option<&Path>) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    match path {
        Some(p) if p != Path::new("-") => {
            let file = std::fs::File::open(p)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", p.display())))?;
            file.take(MAX_INPUT_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", p.display())))?;
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("vt4g: reading the input from stdin (end with Ctrl-D)");
            }
            stdin
                .lock()
                .take(MAX_INPUT_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
        }
    }
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::usage(format!(
            "input larger than {MAX_INPUT_BYTES} bytes"
        )));
    }
    Ok(buf)
}

/// Where a credential came from (for messages; the value itself is never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The command-line flag.
    Flag,
    /// The environment variable.
    Env,
}

/// The credentials resolved from flags and environment. Each value is held in a
/// [`Secret`] (the CCID is not secret, but it is kept out of output all the same).
#[derive(Debug, Default)]
pub struct Credentials {
    /// Bearer token.
    pub token: Option<(Secret, Source)>,
    /// Merchant CCID.
    pub ccid: Option<(Secret, Source)>,
    /// Merchant authentication key.
    pub key: Option<(Secret, Source)>,
}

/// Environment variable of the bearer token.
pub const ENV_TOKEN: &str = "VT_TOKEN";
/// Environment variable of the merchant CCID.
pub const ENV_CCID: &str = "VT_MERCHANT_CCID";
/// Environment variable of the merchant authentication key.
pub const ENV_KEY: &str = "VT_MERCHANT_KEY";

fn resolve(flag: Option<String>, env: &str) -> Option<(Secret, Source)> {
    if let Some(v) = flag {
        return Some((Secret::new(v), Source::Flag));
    }
    match std::env::var(env) {
        Ok(v) if !v.is_empty() => Some((Secret::new(v), Source::Env)),
        _ => None,
    }
}

impl Credentials {
    /// Resolves each credential: the flag if given, else the environment variable
    /// (an empty variable counts as unset).
    pub fn resolve(token: Option<String>, ccid: Option<String>, key: Option<String>) -> Self {
        Credentials {
            token: resolve(token, ENV_TOKEN),
            ccid: resolve(ccid, ENV_CCID),
            key: resolve(key, ENV_KEY),
        }
    }

    /// The flags (`--token`, `--ccid`, `--key`) that were given on the command line, for the
    /// warning that they are visible in process listings.
    pub fn given_as_flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        for (v, flag) in [
            (&self.token, "--token"),
            (&self.ccid, "--ccid"),
            (&self.key, "--key"),
        ] {
            if matches!(v, Some((_, Source::Flag))) {
                flags.push(flag);
            }
        }
        flags
    }

    /// The bearer token.
    ///
    /// # Errors
    /// A usage failure naming `VT_TOKEN`/`--token` when neither is set.
    pub fn require_token(&self) -> Result<Secret, Failure> {
        require(&self.token, ENV_TOKEN, "--token")
    }

    /// The merchant CCID and authentication key.
    ///
    /// # Errors
    /// A usage failure naming the missing variables when either is unset.
    pub fn require_ccid_and_key(&self) -> Result<(Secret, Secret), Failure> {
        let ccid = require(&self.ccid, ENV_CCID, "--ccid");
        let key = require(&self.key, ENV_KEY, "--key");
        match (ccid, key) {
            (Ok(c), Ok(k)) => Ok((c, k)),
            (Err(_), Err(_)) => Err(Failure::usage(format!(
                "{ENV_CCID} and {ENV_KEY} are not set (or pass --ccid and --key, unsafe on shared hosts)"
            ))),
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }
}

fn require(v: &Option<(Secret, Source)>, env: &str, flag: &str) -> Result<Secret, Failure> {
    match v {
        Some((s, _)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(Failure::usage(format!(
            "{env} is not set (or pass {flag}, unsafe on shared hosts)"
        ))),
    }
}
