//! Load generator for the Unified API: `pay` + `capture` pairs at a fixed
//! concurrency for a bounded time, against any base URL (the vt4g-sandbox
//! simulator, Stoplight Prism mocking our spec, or anything speaking the API).
//!
//! It speaks raw HTTP/1.1 (not `vt4g::Client`), so that what is measured is
//! the server, and the same bytes go to every server: each worker owns one
//! keep-alive connection (hyper's client connection, no pool), like wrk,
//! and reconnects after a transport error.
//!
//! ```text
//! # serve the simulator in its own process (like Prism, which is its own process)
//! cargo run --release --example loadgen -- serve --addr 127.0.0.1:4011
//! # drive it
//! cargo run --release --example loadgen -- run --base-url http://127.0.0.1:4011/fep/command \
//!     --concurrency 64 --duration 10
//! # drive Prism (which mounts the operations at the root: /pay, /capture)
//! cargo run --release --example loadgen -- run --base-url http://127.0.0.1:4010 \
//!     --concurrency 64 --duration 10
//! ```
//!
//! Every pair is: `POST {base}/pay` (new paymentId, payType paypay, amount
//! 1000, `requestMode: sandbox`), then — only if the answer carries an absolute
//! `http://` `control.redirectUrl` on the same host as the base URL (the
//! simulator does; Prism answers the schema placeholder `"string"`) — the
//! consumer step `GET {redirectUrl}` (not followed further: the simulator
//! answers 302 to successUrl), then `POST {base}/capture` of the full amount.
//! "API requests" counts `pay` and `capture` only; the consumer step is extra
//! work done only by the simulator, so the comparison is conservative for it.
//!
//! The generator itself is kept light, since it shares the machine with the
//! server it measures: request bodies are formatted directly (the same bytes
//! `serde_json::json!` produced before), and answers are parsed only for
//! `result.resultCode` and `control.redirectUrl`.
//!
//! Reports API requests/s, pairs/s, p50/p99/max latency of the API requests,
//! the number of errors (transport errors and HTTP status >= 400) and a
//! histogram of `result.resultCode`. Output is one human block, plus one JSON
//! line prefixed `JSON ` for scripts.
#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

const USAGE: &str = "usage:
  loadgen serve [--addr 127.0.0.1:4011]
      run the vt4g-sandbox simulator (default config, bearer token `sandbox-token`) until Ctrl-C
  loadgen run --base-url URL [--concurrency 64] [--duration SECS | --pairs N] [--token T]
              [--no-consumer-step] [--label NAME]
      drive pay + capture pairs against URL and print requests/s and latency";

#[derive(Debug)]
struct RunArgs {
    base_url: String,
    concurrency: usize,
    duration: Option<Duration>,
    pairs: Option<u64>,
    token: String,
    consumer_step: bool,
    label: String,
}

fn parse_run(mut it: impl Iterator<Item = String>) -> Result<RunArgs, String> {
    let mut a = RunArgs {
        base_url: String::new(),
        concurrency: 64,
        duration: None,
        pairs: None,
        token: vt4g_sandbox::DEFAULT_BEARER_TOKEN.to_owned(),
        consumer_step: true,
        label: String::new(),
    };
    while let Some(flag) = it.next() {
        let mut val = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--base-url" => a.base_url = val("--base-url")?.trim_end_matches('/').to_owned(),
            "--concurrency" => {
                a.concurrency = val("--concurrency")?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?;
            }
            "--duration" => {
                let s: f64 = val("--duration")?
                    .parse()
                    .map_err(|e| format!("--duration: {e}"))?;
                if !(s > 0.0 && s <= 3600.0) {
                    return Err("--duration must be in (0, 3600] seconds".into());
                }
                a.duration = Some(Duration::from_secs_f64(s));
            }
            "--pairs" => {
                a.pairs = Some(
                    val("--pairs")?
                        .parse()
                        .map_err(|e| format!("--pairs: {e}"))?,
                )
            }
            "--token" => a.token = val("--token")?,
            "--no-consumer-step" => a.consumer_step = false,
            "--label" => a.label = val("--label")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.base_url.is_empty() {
        return Err("--base-url is required".into());
    }
    if a.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    if a.duration.is_none() && a.pairs.is_none() {
        a.duration = Some(Duration::from_secs(10));
    }
    if a.label.is_empty() {
        a.label = a.base_url.clone();
    }
    Ok(a)
}

/// What one worker measured.
#[derive(Default)]
struct Tally {
    /// Latency of each API request (pay, capture), microseconds.
    lat_us: Vec<u32>,
    api_requests: u64,
    consumer_requests: u64,
    pairs: u64,
    transport_errors: u64,
    http_errors: u64,
    result_codes: BTreeMap<String, u64>,
    first_error: Option<String>,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.lat_us.extend(o.lat_us);
        self.api_requests += o.api_requests;
        self.consumer_requests += o.consumer_requests;
        self.pairs += o.pairs;
        self.transport_errors += o.transport_errors;
        self.http_errors += o.http_errors;
        for (k, v) in o.result_codes {
            *self.result_codes.entry(k).or_default() += v;
        }
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
    }
}

/// The only parts of an answer the generator reads (serde skips the rest).
#[derive(Deserialize, Default)]
struct Answer<'a> {
    #[serde(borrow, default)]
    result: Option<ResultPart<'a>>,
    #[serde(borrow, default)]
    control: Option<ControlPart<'a>>,
}

#[derive(Deserialize)]
struct ResultPart<'a> {
    #[serde(borrow, default, rename = "resultCode")]
    result_code: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ControlPart<'a> {
    #[serde(borrow, default, rename = "redirectUrl")]
    redirect_url: Option<Cow<'a, str>>,
}

/// What an API call gave back to the worker: the consumer step's URL, if any.
struct Ok2xx {
    redirect_url: Option<String>,
}

/// Time limit of one request (connecting included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

type Body = http_body_util::Full<bytes::Bytes>;

/// A worker's connection: opened on first use, dropped after an error.
#[derive(Default)]
struct Conn(Option<hyper::client::conn::http1::SendRequest<Body>>);

impl Conn {
    /// Sends one request on the worker's connection; (status, body).
    async fn send(
        &mut self,
        sh: &Shared,
        method: hyper::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(hyper::StatusCode, bytes::Bytes), String> {
        let r = tokio::time::timeout(REQUEST_TIMEOUT, self.send_inner(sh, method, path, body))
            .await
            .unwrap_or_else(|_| Err("timeout".to_owned()));
        if r.is_err() {
            self.0 = None;
        }
        r
    }

    async fn send_inner(
        &mut self,
        sh: &Shared,
        method: hyper::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(hyper::StatusCode, bytes::Bytes), String> {
        use http_body_util::BodyExt;
        if self.0.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(sh.addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(conn);
            self.0 = Some(sender);
        }
        let Some(sender) = self.0.as_mut() else {
            return Err("no connection".to_owned());
        };
        sender.ready().await.map_err(|e| e.to_string())?;
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &sh.host_header);
        let body = match body {
            Some(b) => {
                req = req
                    .header(hyper::header::AUTHORIZATION, &sh.auth)
                    .header(hyper::header::CONTENT_TYPE, "application/json");
                Body::new(bytes::Bytes::from(b))
            }
            None => Body::default(),
        };
        let req = req.body(body).map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading body: {e}"))?
            .to_bytes();
        Ok((status, bytes))
    }
}

struct Shared {
    /// The server's address (resolved once).
    addr: std::net::SocketAddr,
    /// `Host` header value (`host:port` of the base URL).
    host_header: String,
    /// Path of the base URL without a trailing `/` (`/fep/command`, or empty).
    base_path: String,
    /// (scheme, host, port) of `base`, for the consumer step's same-origin check.
    base_origin: Option<(String, Option<String>, Option<u16>)>,
    auth: String,
    consumer_step: bool,
    run_id: String,
    next_pair: AtomicU64,
    max_pairs: Option<u64>,
    deadline: Option<Instant>,
}

/// One API call; `Some` when the status was < 400.
async fn api(
    sh: &Shared,
    conn: &mut Conn,
    t: &mut Tally,
    command: &str,
    body: String,
) -> Option<Ok2xx> {
    let start = Instant::now();
    let path = format!("{}/{command}", sh.base_path);
    let out = match conn.send(sh, hyper::Method::POST, &path, Some(body)).await {
        Ok(r) => Some(r),
        Err(e) => {
            t.transport_errors += 1;
            t.first_error
                .get_or_insert_with(|| format!("{command}: {e}"));
            None
        }
    };
    let micros = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
    t.lat_us.push(micros);
    t.api_requests += 1;
    let (status, b) = out?;
    let v: Answer<'_> = serde_json::from_slice(&b).unwrap_or_default();
    if let Some(code) = v.result.as_ref().and_then(|r| r.result_code.as_deref()) {
        match t.result_codes.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                t.result_codes.insert(code.to_owned(), 1);
            }
        }
    }
    if status.as_u16() >= 400 {
        t.http_errors += 1;
        t.first_error.get_or_insert_with(|| {
            let s = String::from_utf8_lossy(&b);
            format!(
                "{command}: HTTP {status}: {}",
                s.chars().take(300).collect::<String>()
            )
        });
        return None;
    }
    Some(Ok2xx {
        redirect_url: v.control.and_then(|c| c.redirect_url).map(Cow::into_owned),
    })
}

/// The pay body: PayPay, 1000 JPY, auth, sandbox. Byte for byte what
/// `serde_json::json!` (sorted keys) made of the same object.
fn pay_body(payment_id: &str) -> String {
    format!(
        concat!(
            r#"{{"control":{{"cancelUrl":"https://merchant.example/cancel","#,
            r#""errorUrl":"https://merchant.example/error","requestMode":"sandbox","#,
            r#""successUrl":"https://merchant.example/success"}},"#,
            r#""order":{{"amount":"1000","payType":"paypay","paymentId":"{}"}}}}"#
        ),
        payment_id
    )
}

/// The capture body: the full amount.
fn capture_body(payment_id: &str) -> String {
    format!(r#"{{"order":{{"amount":"1000","paymentId":"{payment_id}"}}}}"#)
}

async fn worker(sh: Arc<Shared>, w: usize) -> Tally {
    let mut t = Tally::default();
    let mut conn = Conn::default();
    loop {
        if sh.deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let n = sh.next_pair.fetch_add(1, Ordering::Relaxed);
        if sh.max_pairs.is_some_and(|m| n >= m) {
            break;
        }
        // paymentIds are [A-Za-z0-9_-]: no JSON escaping needed in the bodies.
        let payment_id = format!("lg-{}-{w}-{n}", sh.run_id);
        let Some(resp) = api(&sh, &mut conn, &mut t, "pay", pay_body(&payment_id)).await else {
            continue;
        };
        if sh.consumer_step {
            let redirect = resp.redirect_url.as_deref();
            if let Some(path) = redirect.and_then(|u| same_origin_path(u, sh.base_origin.as_ref()))
            {
                t.consumer_requests += 1;
                match conn.send(&sh, hyper::Method::GET, &path, None).await {
                    Ok((status, _)) if status.is_redirection() || status.is_success() => {}
                    Ok((status, _)) => {
                        t.http_errors += 1;
                        t.first_error
                            .get_or_insert_with(|| format!("consumer step: HTTP {status}"));
                        continue;
                    }
                    Err(e) => {
                        t.transport_errors += 1;
                        t.first_error
                            .get_or_insert_with(|| format!("consumer step: {e}"));
                        continue;
                    }
                }
            }
        }
        if api(&sh, &mut conn, &mut t, "capture", capture_body(&payment_id))
            .await
            .is_some()
        {
            t.pairs += 1;
        }
    }
    t
}

/// (scheme, host, port) of a URL.
fn origin(u: &url::Url) -> (String, Option<String>, Option<u16>) {
    (
        u.scheme().to_owned(),
        u.host_str().map(str::to_owned),
        u.port_or_known_default(),
    )
}

/// The path (and query) of `url` when it has the same scheme, host and port
/// as the base URL (whose origin is parsed once).
fn same_origin_path(
    url: &str,
    base: Option<&(String, Option<String>, Option<u16>)>,
) -> Option<String> {
    match (url::Url::parse(url), base) {
        (Ok(u), Some(b)) if origin(&u) == *b => Some(match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }),
        _ => None,
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // nearest-rank
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    f64::from(sorted[rank.min(sorted.len()) - 1]) / 1000.0
}

async fn run(a: RunArgs) -> Result<(), String> {
    let base = url::Url::parse(&a.base_url).map_err(|e| format!("--base-url: {e}"))?;
    if base.scheme() != "http" {
        return Err("--base-url: only http:// is supported".into());
    }
    let host = base.host_str().ok_or("--base-url: no host")?.to_owned();
    let port = base.port_or_known_default().unwrap_or(80);
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("resolving {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("resolving {host}: no address"))?;
    let host_header = match base.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let run_id = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let start = Instant::now();
    let sh = Arc::new(Shared {
        addr,
        host_header,
        base_path: base.path().trim_end_matches('/').to_owned(),
        base_origin: Some(origin(&base)),
        auth: format!("Bearer {}", a.token),
        consumer_step: a.consumer_step,
        run_id,
        next_pair: AtomicU64::new(0),
        max_pairs: a.pairs,
        deadline: a.duration.map(|d| start + d),
    });
    let handles: Vec<_> = (0..a.concurrency)
        .map(|w| tokio::spawn(worker(Arc::clone(&sh), w)))
        .collect();
    let mut total = Tally::default();
    for h in handles {
        total.merge(h.await.map_err(|e| format!("worker panicked: {e}"))?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    total.lat_us.sort_unstable();
    let rps = total.api_requests as f64 / elapsed;
    let pps = total.pairs as f64 / elapsed;
    let (p50, p99, max) = (
        percentile(&total.lat_us, 50.0),
        percentile(&total.lat_us, 99.0),
        percentile(&total.lat_us, 100.0),
    );
    let errors = total.transport_errors + total.http_errors;
    println!("target          {}", a.label);
    println!("base url        {}", a.base_url);
    println!("concurrency     {}", a.concurrency);
    println!("elapsed         {elapsed:.2} s");
    println!("API requests    {} ({rps:.0}/s)", total.api_requests);
    println!("pairs completed {} ({pps:.0}/s)", total.pairs);
    println!("consumer steps  {}", total.consumer_requests);
    println!("latency (ms)    p50 {p50:.2}  p99 {p99:.2}  max {max:.2}");
    println!(
        "errors          {errors} (transport {}, HTTP >= 400 {})",
        total.transport_errors, total.http_errors
    );
    println!("result codes    {:?}", total.result_codes);
    if let Some(e) = &total.first_error {
        println!("first error     {e}");
    }
    let summary = json!({
        "label": a.label,
        "baseUrl": a.base_url,
        "concurrency": a.concurrency,
        "elapsedSecs": elapsed,
        "apiRequests": total.api_requests,
        "apiRequestsPerSec": rps,
        "pairs": total.pairs,
        "pairsPerSec": pps,
        "consumerSteps": total.consumer_requests,
        "p50Ms": p50,
        "p99Ms": p99,
        "maxMs": max,
        "errors": errors,
        "transportErrors": total.transport_errors,
        "httpErrors": total.http_errors,
        "resultCodes": total.result_codes,
    });
    println!("JSON {summary}");
    Ok(())
}

async fn serve(mut it: impl Iterator<Item = String>) -> Result<(), String> {
    let mut addr: std::net::SocketAddr = ([127, 0, 0, 1], 4011).into();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--addr" => {
                addr = it
                    .next()
                    .ok_or("--addr needs a value")?
                    .parse()
                    .map_err(|e| format!("--addr: {e}"))?;
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let sb = vt4g_sandbox::Sandbox::start(vt4g_sandbox::SandboxConfig::default().addr(addr))
        .await
        .map_err(|e| format!("starting the simulator on {addr}: {e}"))?;
    println!("simulator listening; base URL {}", sb.base_url());
    sb.run_until_signal().await.map_err(|e| e.to_string())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let sub = args.next().unwrap_or_default();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    let r = match sub.as_str() {
        "serve" => rt.block_on(serve(args)),
        "run" => match parse_run(args) {
            Ok(a) => rt.block_on(run(a)),
            Err(e) => Err(e),
        },
        _ => Err(USAGE.to_owned()),
    };
    if let Err(e) = r {
        eprintln!("{e}");
        std::process::exit(2);
    }
}
