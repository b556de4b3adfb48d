//! `vt4g sandbox trigger`: drives a running simulator through its admin API.

use std::time::Duration;

use serde_json::{json, Value};

use crate::args::{SandboxTriggerArgs, ScenarioArg};
use crate::io::{Credentials, Exit, Failure, Outcome};

/// How long one admin request may take (the simulator answers at once).
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The admin API of one simulator.
struct Admin {
    root: url::Url,
    http: reqwest::Client,
    token: Option<String>,
}

/// An admin answer: status and JSON body.
struct Answer {
    status: u16,
    body: Value,
}

impl Admin {
    fn new(root: &str, creds: &Credentials) -> Result<Admin, Failure> {
        let mut root = url::Url::parse(root)
            .map_err(|e| Failure::usage(format!("--url {root:?} is not a URL: {e}")))?;
        if !matches!(root.scheme(), "http" | "https") || root.host().is_none() {
            return Err(Failure::usage(format!(
                "--url must be the simulator's http://HOST:PORT, not {root}"
            )));
        }
        // Accept the API URL (…/fep/command) too: the admin API is at the root.
        root.set_path("/");
        root.set_query(None);
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(ADMIN_TIMEOUT)
            .build()
            .map_err(|e| Failure::usage(format!("cannot build the HTTP client: {e}")))?;
        let token = creds.token.as_ref().map(|(s, _)| s.expose().to_owned());
        Ok(Admin { root, http, token })
    }

    fn url(&self, segments: &[&str], query: Option<(&str, &str)>) -> url::Url {
        let mut u = self.root.clone();
        if let Ok(mut path) = u.path_segments_mut() {
            path.clear().push("_sandbox").extend(segments);
        }
        if let Some((k, v)) = query {
            u.query_pairs_mut().append_pair(k, v);
        }
        u
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, Failure> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req.send().await.map_err(|e| Failure {
            exit: Exit::Transport,
            message: format!(
                "the simulator at {} did not answer: {}",
                self.root,
                if e.is_timeout() {
                    "timeout".to_owned()
                } else if e.is_connect() {
                    "connection failed (is `vt4g sandbox serve` running there?)".to_owned()
                } else {
                    "transport error".to_owned()
                }
            ),
        })?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|_| Failure {
            exit: Exit::Transport,
            message: "the simulator's answer was cut off".into(),
        })?;
        let body = serde_json::from_slice(&bytes).unwrap_or_else(
            |_| json!({"error": String::from_utf8_lossy(&bytes[..bytes.len().min(4096)])}),
        );
        Ok(Answer { status, body })
    }

    async fn get(&self, segments: &[&str]) -> Result<Answer, Failure> {
        self.send(self.http.get(self.url(segments, None))).await
    }

    async fn post(
        &self,
        segments: &[&str],
        query: Option<(&str, &str)>,
    ) -> Result<Answer, Failure> {
        self.send(self.http.post(self.url(segments, query))).await
    }
}

fn need<'a>(v: Option<&'a str>, flag: &str, scenario: &str) -> Result<&'a str, Failure> {
    v.ok_or_else(|| Failure::usage(format!("{scenario} needs {flag}")))
}

/// The answer as the command's outcome: 2xx → exit 0, anything else → exit 1
/// with the simulator's `{"error": ...}`.
fn outcome(a: Answer) -> Outcome {
    let exit = if (200..300).contains(&a.status) {
        Exit::Ok
    } else {
        Exit::Invalid
    };
    Outcome::new(a.body, exit)
}

/// Runs `vt4g sandbox trigger`.
pub fn run(a: SandboxTriggerArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let admin = Admin::new(&a.url, creds)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(trigger(&admin, &a))
}

async fn trigger(admin: &Admin, a: &SandboxTriggerArgs) -> Result<Outcome, Failure> {
    let pid = a.payment_id.as_deref();
    let consumer = |action: &'static str| async move {
        let pid = need(pid, "--payment-id", action)?;
        admin
            .post(&["orders", pid, "consumer"], Some(("action", action)))
            .await
    };
    let answer = match a.scenario {
        ScenarioArg::Complete => {
            let pid = need(pid, "--payment-id", "complete")?;
            let order = admin.get(&["orders", pid]).await?;
            if order.status == 200 && order.body["state"] == "user_paying" {
                admin.post(&["orders", pid, "complete"], None).await?
            } else if order.status == 200 {
                consumer("success").await?
            } else {
                order
            }
        }
        ScenarioArg::Fail => consumer("failure").await?,
        ScenarioArg::Cancel => consumer("cancel").await?,
        ScenarioArg::Choose => {
            let pid = need(pid, "--payment-id", "choose")?;
            let choice = need(a.choice.as_deref(), "--choice NAME", "choose")?;
            admin
                .post(&["orders", pid, "consumer"], Some(("action", choice)))
                .await?
        }
        ScenarioArg::Deregister => {
            let pid = need(pid, "--payment-id", "deregister")?;
            admin.post(&["orders", pid, "deregister"], None).await?
        }
        ScenarioArg::RedeliverWebhook => {
            let id = match &a.webhook_id {
                Some(id) => id.clone(),
                None => {
                    let pid = need(pid, "--payment-id or --webhook-id", "redeliver-webhook")?;
                    match newest_webhook(admin, pid).await? {
                        Ok(id) => id,
                        Err(refusal) => return Ok(refusal),
                    }
                }
            };
            admin.post(&["webhooks", &id, "redeliver"], None).await?
        }
    };
    Ok(outcome(answer))
}

/// The id of the newest kept webhook of `pid`, or the refusal to print.
async fn newest_webhook(admin: &Admin, pid: &str) -> Result<Result<String, Outcome>, Failure> {
    let list = admin.get(&["webhooks"]).await?;
    if list.status != 200 {
        return Ok(Err(outcome(list)));
    }
    let newest = list
        .body
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .find(|w| w["paymentId"] == pid)
        .and_then(|w| w["webhookId"].as_str());
    Ok(match newest {
        Some(id) => Ok(id.to_owned()),
        None => Err(Outcome::new(
            json!({"error": format!("the simulator keeps no webhook of order {pid:?}")}),
            Exit::Invalid,
        )),
    })
}
