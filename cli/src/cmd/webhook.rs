//! `vt4g webhook verify`, `vt4g webhook detect-scheme` and `vt4g webhook send`.

use serde_json::{json, Value};
use vt4g::webhook::{detect_scheme, WebhookError, WebhookScheme, WebhookVerifier};

use crate::args::{SchemeArg, WebhookDetectArgs, WebhookSendArgs, WebhookVerifyArgs};
use crate::io::{read_input, Credentials, Exit, Failure, Outcome};

/// The webhook id used when `--webhook-id` is not given. The id is not covered by the MAC,
/// so the signature check is the same; the output then reports `"webhookId": null`.
const NO_WEBHOOK_ID: &str = "vt4g-cli-no-webhook-id";

impl From<SchemeArg> for WebhookScheme {
    fn from(s: SchemeArg) -> Self {
        match s {
            SchemeArg::Literal => WebhookScheme::Literal,
            SchemeArg::HexKey => WebhookScheme::HexKey,
            SchemeArg::MdkBody => WebhookScheme::MdkBody,
        }
    }
}

fn rejected(reason: impl Into<String>) -> Outcome {
    Outcome::new(
        json!({"valid": false, "reason": reason.into()}),
        Exit::Invalid,
    )
}

/// Picks a string at `pointer` out of the decoded body (`null` when absent).
fn pick(body: &Value, pointer: &str) -> Value {
    match body.pointer(pointer) {
        Some(Value::String(s)) => Value::String(s.clone()),
        _ => Value::Null,
    }
}

/// Runs `vt4g webhook verify`.
pub fn verify(a: WebhookVerifyArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let (ccid, key) = creds.require_ccid_and_key()?;
    let scheme = WebhookScheme::from(a.scheme);
    let verifier = WebhookVerifier::new(ccid.expose(), key, scheme)
        .map_err(|e| Failure::usage(format!("cannot verify with these credentials: {e}")))?;
    let body = read_input(a.input.as_deref())?;
    let id = a.webhook_id.as_deref().unwrap_or(NO_WEBHOOK_ID);
    match verifier.verify_as::<Value>(&a.header, id, &body) {
        Ok(verified) => {
            let p = &verified.payload;
            let webhook_id = match a.webhook_id {
                Some(id) => Value::String(id),
                None => Value::Null,
            };
            Ok(Outcome::new(
                json!({
                    "valid": true,
                    "scheme": scheme.name(),
                    "command": pick(p, "/transaction/command"),
                    "paymentId": pick(p, "/order/paymentId"),
                    "resultCode": pick(p, "/result/resultCode"),
                    "webhookId": webhook_id,
                }),
                Exit::Ok,
            ))
        }
        Err(WebhookError::Decode { source, .. }) => Ok(rejected(format!(
            "the signature is genuine but the body is not JSON: {source}"
        ))),
        Err(e) => Ok(rejected(e.to_string())),
    }
}

/// Runs `vt4g webhook detect-scheme`.
pub fn detect(a: WebhookDetectArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let (ccid, key) = creds.require_ccid_and_key()?;
    let body = read_input(a.input.as_deref())?;
    let matches: Vec<&str> = detect_scheme(ccid.expose(), &key, &a.header, &body)
        .into_iter()
        .map(WebhookScheme::name)
        .collect();
    let exit = if matches.is_empty() {
        eprintln!(
            "vt4g: no scheme verifies this webhook (malformed header, another CCID, wrong key, \
             or a body altered in transit)"
        );
        Exit::Invalid
    } else {
        Exit::Ok
    };
    Ok(Outcome::new(json!({ "matches": matches }), exit))
}

/// Runs `vt4g webhook send`: signs the file's bytes as the API would and POSTs them.
pub fn send(a: WebhookSendArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let (ccid, key) = creds.require_ccid_and_key()?;
    let scheme = WebhookScheme::from(a.scheme);
    let to = url::Url::parse(&a.to)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| Failure::usage(format!("--to {:?} is not an http(s) URL", a.to)))?;
    let body = read_input(a.input.as_deref())?;
    let signature = vt4g::webhook::sign_webhook(scheme, ccid.expose(), &key, &body)
        .map_err(|e| Failure::usage(format!("cannot sign with these credentials: {e}")))?;
    let webhook_id = a
        .webhook_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string().to_uppercase());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(a.timeout))
            .build()
            .map_err(|e| Failure::usage(format!("cannot build the HTTP client: {e}")))?;
        let resp = http
            .post(to.clone())
            .header("Content-Type", "application/json")
            .header("X-VT-webhook-id", &webhook_id)
            .header("X-VT-Content-hmac", &signature)
            .body(body)
            .send()
            .await
            .map_err(|e| Failure {
                exit: Exit::Transport,
                message: format!(
                    "{to} did not answer: {}",
                    if e.is_timeout() {
                        "timeout"
                    } else if e.is_connect() {
                        "connection failed"
                    } else {
                        "transport error"
                    }
                ),
            })?;
        let status = resp.status();
        let answer = resp.bytes().await.unwrap_or_default();
        let text = String::from_utf8_lossy(&answer[..answer.len().min(4096)]).into_owned();
        let exit = if status.is_success() {
            Exit::Ok
        } else {
            Exit::Invalid
        };
        Ok(Outcome::new(
            json!({"status": status.as_u16(), "webhookId": webhook_id, "url": to.as_str(), "body": text}),
            exit,
        ))
    })
}
