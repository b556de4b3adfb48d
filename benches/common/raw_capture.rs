//! The raw-reqwest baseline of `benches/client.rs` and `perf/client_overhead.rs`
//! (one definition, so both measure the same thing): the pre-serialized capture request
//! posted with the headers `vt4g::Client` sends, and the typed decode of the answer.
#![allow(dead_code)]

use vt4g::generated::types;

/// Posts `body` to `url` with `raw` and decodes the capture answer.
pub async fn raw_capture(
    raw: &reqwest::Client,
    url: &str,
    body: bytes::Bytes,
) -> types::CaptureResponse {
    let resp = raw
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("authorization", "Bearer bench-token")
        .header(
            "x-vt-idempotency-key",
            "29eb1743-b37c-4c4b-badb-7bc4056d9a98",
        )
        .header("user-agent", vt4g::client::USER_AGENT)
        .body(body)
        .send()
        .await
        .expect("send");
    let bytes = resp.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("decode")
}
