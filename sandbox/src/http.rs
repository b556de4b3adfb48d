//! HTTP surface: the command endpoint, the consumer page, the admin API, and
//! the connection loop (served with hyper directly so a fault can drop a TCP
//! connection without answering).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use tokio::sync::Notify;
use vt4g::Command;

use crate::config::{FaultKind, FaultRule};
use crate::engine::{self, ConsumerOutcome, Ctx, IdemDecision, Reply};
use crate::shared::Shared;
use crate::{delivery, validate};

/// Lets a handler close its own TCP connection without answering.
#[derive(Clone)]
pub(crate) struct ConnKill(pub Arc<Notify>);

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/fep/command/{command}", post(command))
        .route("/consumer/{token}", get(consumer))
        .route("/_sandbox/effects", get(effects))
        .route("/_sandbox/webhooks", get(webhooks))
        .route("/_sandbox/tables", get(tables_json))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/orders/{payment_id}", get(order))
        .route("/_sandbox/orders/{payment_id}/deregister", post(deregister))
        .route("/_sandbox/orders/{payment_id}/complete", post(complete))
        .route(
            "/_sandbox/orders/{payment_id}/consumer",
            post(consumer_step),
        )
        .route("/_sandbox/webhooks/{webhook_id}/redeliver", post(redeliver))
        .route(
            "/_sandbox/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            shared.cfg.limits.max_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            guard,
        ))
        .with_state(shared)
}

fn plain(status: StatusCode, msg: String) -> Response {
    (status, msg).into_response()
}

/// Every request: the size limits of [`RequestLimits`](crate::RequestLimits)
/// (414 / 431 / 413 by the declared `Content-Length`; bodies without one are
/// cut at the limit where they are read), then the bearer token on
/// `/_sandbox/*` when the simulator is bound off loopback.
async fn guard(
    State(sh): State<Arc<Shared>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let limits = &sh.cfg.limits;
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.max_target {
        return plain(
            StatusCode::URI_TOO_LONG,
            format!(
                "request target is {target} bytes; the simulator's limit is {}",
                limits.max_target
            ),
        );
    }
    let headers = req.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    if headers.len() > limits.max_headers || header_bytes > limits.max_header_bytes {
        return plain(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "{} header fields, {header_bytes} bytes; the simulator's limits are {} fields, {} bytes",
                headers.len(),
                limits.max_headers,
                limits.max_header_bytes
            ),
        );
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body is {} bytes; the simulator's limit is {}",
                declared.unwrap_or_default(),
                limits.max_body
            ),
        );
    }
    if req.uri().path().starts_with("/_sandbox/")
        && sh.cfg.admin_needs_token()
        && !bearer_ok(headers, sh.cfg.bearer_token.expose())
    {
        let mut resp = (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "the simulator is reachable off loopback: /_sandbox/* needs Authorization: Bearer <the simulator's token>"})),
        )
            .into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return resp;
    }
    next.run(req).await
}

fn bearer_ok(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|t| ct_eq(t.trim().as_bytes(), token.as_bytes()))
}

fn json_reply(r: Reply) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The header naming the simulator's format check on its refusals: requests whose body or
/// headers break the document's schema (400 UA-REQ-001 from [`validate`]) carry
/// `X-Sandbox-Rejected-By: format-check`; refusals by a provider, state or environment rule
/// (also 400, e.g. UA-REQ-007, or UA-REQ-001 for a per-provider amount limit) do not. The
/// real API sends no such header; tests use it to tell a schema refusal from the others.
pub const REJECTED_BY_HEADER: &str = "x-sandbox-rejected-by";

/// A 400 UA-REQ-001 answer of the format check, marked with [`REJECTED_BY_HEADER`].
fn format_refusal(msg: &str) -> Response {
    let mut resp = json_reply(engine::error("UA-REQ-001", Some(msg)));
    resp.headers_mut().insert(
        header::HeaderName::from_static(REJECTED_BY_HEADER),
        header::HeaderValue::from_static("format-check"),
    );
    resp
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn ident_of(cmd: Command, v: &Value) -> String {
    let paths: &[&str] = match cmd {
        Command::GetTransactionResult => &["transaction.fepReferenceId"],
        _ => &["order.paymentId", "order.fepOrderId"],
    };
    paths
        .iter()
        .find_map(|p| validate::str_at(v, p))
        .unwrap_or_default()
        .to_owned()
}

/// A command request the endpoint accepted: the command, its JSON body and
/// its idempotency key.
#[doc(hidden)]
#[derive(Debug)]
pub struct CommandRequest {
    /// The command of the path.
    pub command: Command,
    /// The parsed body.
    pub body: Value,
    /// `X-VT-Idempotency-Key`, when sent.
    pub idempotency_key: Option<String>,
}

/// Why the command endpoint refused a request before processing it.
#[doc(hidden)]
#[derive(Debug)]
pub enum Refused {
    /// The path names no command: `404 Page not found`.
    NotFound,
    /// An API error answer (status and JSON body).
    Api {
        /// The HTTP status.
        status: u16,
        /// The JSON body.
        body: Bytes,
    },
    /// A format-check refusal (400 UA-REQ-001), answered with [`REJECTED_BY_HEADER`].
    Format(String),
}

impl From<Reply> for Refused {
    fn from(r: Reply) -> Self {
        Refused::Api {
            status: r.status,
            body: r.body,
        }
    }
}

/// The command endpoint's checks of untrusted input, in order: the command
/// name of the path, the bearer token, the idempotency key, the JSON body and
/// its validation. Public (hidden) for the fuzz target.
///
/// # Errors
/// [`Refused`] with the answer the simulator gives.
#[doc(hidden)]
pub fn parse_command_request(
    name: &str,
    headers: &HeaderMap,
    body: &[u8],
    bearer_token: &str,
) -> Result<CommandRequest, Refused> {
    let Some(cmd) = Command::from_name(name).filter(|c| c.as_str() == name) else {
        return Err(Refused::NotFound);
    };
    if !bearer_ok(headers, bearer_token) {
        return Err(engine::error("UA-REQ-008", None).into());
    }
    let key = match headers.get("x-vt-idempotency-key") {
        None => None,
        Some(h) => match h.to_str() {
            Ok(k) if vt4g::idempotency::validate_key(k).is_ok() => Some(k.to_owned()),
            _ => {
                return Err(Refused::Format(
                    "X-VT-Idempotency-Key must be 1-100 single byte alphanumeric characters, '-' or '_'"
                        .to_owned(),
                ))
            }
        },
    };
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Err(Refused::Format(format!("malformed JSON: {e}"))),
    };
    if let Err(msg) = validate::check(cmd, &v).and_then(|()| validate::check_generated(cmd, body)) {
        return Err(Refused::Format(msg));
    }
    Ok(CommandRequest {
        command: cmd,
        body: v,
        idempotency_key: key,
    })
}

async fn command(
    State(sh): State<Arc<Shared>>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    if Command::from_name(&name).is_none_or(|c| c.as_str() != name) {
        return (StatusCode::NOT_FOUND, "Page not found").into_response();
    }
    // The headers are read in place (the `HeaderMap` extractor would clone them).
    let (parts, body) = req.into_parts();
    let kill = parts.extensions.get::<ConnKill>().cloned().map(Extension);
    let body = match axum::body::to_bytes(body, sh.cfg.limits.max_body).await {
        Ok(b) => b,
        Err(e) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "Failed to buffer the request body (the simulator's limit is {} bytes): {e}",
                    sh.cfg.limits.max_body
                ),
            )
        }
    };
    let parsed = parse_command_request(&name, &parts.headers, &body, sh.cfg.bearer_token.expose());
    let CommandRequest {
        command: cmd,
        body: v,
        idempotency_key: key,
    } = match parsed {
        Ok(r) => r,
        Err(Refused::NotFound) => return (StatusCode::NOT_FOUND, "Page not found").into_response(),
        Err(Refused::Api { status, body }) => return json_reply(Reply { status, body }),
        Err(Refused::Format(msg)) => return format_refusal(&msg),
    };
    let ident = ident_of(cmd, &v);
    let fault = sh.state.lock().take_fault(cmd, Some(&ident));
    match fault {
        None => json_reply(run(&sh, cmd, v, ident, key, None).await),
        Some(FaultKind::ServerError) => json_reply(engine::error("UA-SYS-003", None)),
        Some(FaultKind::RateLimited) => json_reply(engine::error("UA-LMT-001", None)),
        Some(FaultKind::InProcess) => json_reply(engine::error("UA-REQ-005", None)),
        Some(FaultKind::Maintenance) => json_reply(engine::error("UA-PRV-999", None)),
        Some(FaultKind::Delay) => {
            json_reply(run(&sh, cmd, v, ident, key, Some(sh.cfg.fault_delay)).await)
        }
        Some(FaultKind::DropConnection) => drop_connection(kill).await,
        Some(FaultKind::ApplyThenDrop) => {
            let _applied = run(&sh, cmd, v, ident, key, None).await;
            drop_connection(kill).await
        }
    }
}

async fn drop_connection(kill: Option<Extension<ConnKill>>) -> Response {
    match kill {
        Some(Extension(k)) => {
            k.0.notify_one();
            std::future::pending::<Response>().await
        }
        // Not served by our connection loop: the closest we can do.
        None => json_reply(engine::error("UA-SYS-003", None)),
    }
}

/// Idempotency check, then processing (after `delay`, in a task that finishes
/// even if the client goes away), then the idempotency record.
async fn run(
    sh: &Arc<Shared>,
    cmd: Command,
    v: Value,
    ident: String,
    key: Option<String>,
    delay: Option<Duration>,
) -> Reply {
    let now = sh.cfg.clock.now();
    let decision = sh.state.lock().idem_begin(key.as_deref(), cmd, &ident, now);
    let idem = match decision {
        IdemDecision::Replay(r) => return r,
        IdemDecision::InProcess => return engine::error("UA-REQ-005", None),
        IdemDecision::Proceed(k) => k,
    };
    let work = {
        let sh = Arc::clone(sh);
        move || {
            let now = sh.cfg.clock.now();
            let ctx = Ctx {
                now,
                root_url: &sh.root_url,
                push_policy: sh.cfg.push_url_policy,
            };
            let mut jobs = Vec::new();
            let reply = {
                let mut st = sh.state.lock();
                let r = st.process(&ctx, cmd, &v, idem.as_ref(), &mut jobs);
                st.idem_finish(idem, &r, now);
                r
            };
            delivery::spawn_all(&sh, jobs);
            reply
        }
    };
    match delay {
        None => work(),
        Some(d) => {
            let task = tokio::spawn(async move {
                tokio::time::sleep(d).await;
                work()
            });
            task.await
                .unwrap_or_else(|_| engine::error("UA-SYS-002", None))
        }
    }
}

async fn consumer(
    State(sh): State<Arc<Shared>>,
    Path(token): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let now = sh.cfg.clock.now();
    let ctx = Ctx {
        now,
        root_url: &sh.root_url,
        push_policy: sh.cfg.push_url_policy,
    };
    let mut jobs = Vec::new();
    let outcome = sh.state.lock().consumer(
        &ctx,
        &sh.cfg.merchant_ccid,
        &sh.cfg.auth_key,
        &token,
        q.get("choice").map(String::as_str),
        &mut jobs,
    );
    delivery::spawn_all(&sh, jobs);
    match outcome {
        ConsumerOutcome::Redirect(loc) => Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, loc)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        ConsumerOutcome::Page(status, text) => {
            (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), text).into_response()
        }
    }
}

async fn effects(State(sh): State<Arc<Shared>>) -> Response {
    let (list, dropped) = {
        let st = sh.state.lock();
        (st.effects(), st.effects_dropped())
    };
    (
        [("x-sandbox-effects-dropped", dropped.to_string())],
        Json(list),
    )
        .into_response()
}

async fn webhooks(State(sh): State<Arc<Shared>>) -> Response {
    let (list, dropped) = {
        let st = sh.state.lock();
        (st.webhooks(), st.webhooks_dropped())
    };
    (
        [("x-sandbox-webhooks-dropped", dropped.to_string())],
        Json(list),
    )
        .into_response()
}

async fn stats(State(sh): State<Arc<Shared>>) -> Response {
    Json(sh.state.lock().stats()).into_response()
}

async fn tables_json() -> Response {
    Json(crate::tables::CELLS).into_response()
}

async fn order(State(sh): State<Arc<Shared>>, Path(pid): Path<String>) -> Response {
    match sh.state.lock().order(&pid) {
        Some(o) => Json(o).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such order"})),
        )
            .into_response(),
    }
}

fn admin_result(
    sh: &Arc<Shared>,
    f: impl FnOnce(
        &mut engine::State,
        &Ctx<'_>,
        &mut Vec<engine::WebhookJob>,
    ) -> Result<Value, (u16, String)>,
) -> Response {
    let ctx = Ctx {
        now: sh.cfg.clock.now(),
        root_url: &sh.root_url,
        push_policy: sh.cfg.push_url_policy,
    };
    let mut jobs = Vec::new();
    let r = f(&mut sh.state.lock(), &ctx, &mut jobs);
    delivery::spawn_all(sh, jobs);
    match r {
        Ok(v) => Json(v).into_response(),
        Err((s, msg)) => (
            StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_REQUEST),
            Json(json!({"error": msg})),
        )
            .into_response(),
    }
}

async fn deregister(State(sh): State<Arc<Shared>>, Path(pid): Path<String>) -> Response {
    admin_result(&sh, |st, ctx, jobs| st.deregister(ctx, &pid, jobs))
}

async fn complete(State(sh): State<Arc<Shared>>, Path(pid): Path<String>) -> Response {
    admin_result(&sh, |st, ctx, jobs| {
        st.complete_user_paying(ctx, &pid, jobs)
    })
}

/// `?action=success|failure|cancel|<choice>` (default `success`).
async fn consumer_step(
    State(sh): State<Arc<Shared>>,
    Path(pid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let action = engine::ConsumerAction::parse(q.get("action").map_or("success", String::as_str));
    let (ccid, key) = (&sh.cfg.merchant_ccid, &sh.cfg.auth_key);
    admin_result(&sh, |st, ctx, jobs| {
        st.consumer_step(ctx, ccid, key, &pid, action, jobs)
    })
}

async fn redeliver(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    admin_result(&sh, |st, _, jobs| st.redeliver_webhook(&id, jobs))
}

async fn add_fault(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultRule>(&body) {
        Ok(rule) => {
            if let Some(c) = &rule.command {
                if Command::from_name(c).is_none_or(|x| x.as_str() != c) {
                    return (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"error": format!("unknown command {c:?}")})),
                    )
                        .into_response();
                }
            }
            sh.state.lock().add_fault(rule.clone());
            (StatusCode::CREATED, Json(rule)).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

async fn list_faults(State(sh): State<Arc<Shared>>) -> Response {
    Json(sh.state.lock().planned_faults()).into_response()
}

async fn clear_faults(State(sh): State<Arc<Shared>>) -> Response {
    sh.state.lock().clear_faults();
    StatusCode::NO_CONTENT.into_response()
}
