//! A known-answer redirect computed independently (Python's `hashlib`,
//! `base64`, `urllib.parse.urlencode`) with the reference's example order of
//! `authParams` (names repeated).
//!
//! `cargo test -p vt4g --test redirect_vectors`

use vt4g::redirect::{RedirectError, RedirectVerifier};
use vt4g::result_code::{ActionCode, ResultCode, Status};
use vt4g::Secret;

const QUERY: &str = "status=success&actionCode=success&resultCode=UA-000-001&command=pay&paymentId=paymentId_1234567890&fepOrderId=paymentId_1234567890_01AHK4HS7GFKHGKE7SGFJKTHIH&fepReferenceId=X01AHK4HS7GFKHGKE7SGFJKTHIH&authParams=c3RhdHVzLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHBheW1lbnRJZCxmZXBPcmRlcklkLGZlcFJlZmVyZW5jZUlkLGZlcFJlZmVyZW5jZUlkLHBheW1lbnRJZCxmZXBPcmRlcklkLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHN0YXR1cw%3D%3D&vAuthInfo=5578b5d1dfeb214f8466e278592fcab9f53ba32ebd8a5fd2bf8a1878bc78e789dafa9a55e75752cca46fcdaeb849ddf70c5ed701aa7b418a015ef1909ad8f300";

#[test]
fn independent_vector_verifies() {
    let v = RedirectVerifier::new("FuzzCcid", Secret::new("fuzzKey")).unwrap();
    let r = v.verify(QUERY, "paymentId_1234567890").unwrap();
    assert_eq!(r.status, Status::Success);
    assert_eq!(r.action_code, ActionCode::Success);
    assert_eq!(r.result_code, ResultCode::Success);
    assert_eq!(r.command, "pay");
    assert_eq!(r.payment_id, "paymentId_1234567890");
    assert_eq!(
        r.fep_order_id.as_deref(),
        Some("paymentId_1234567890_01AHK4HS7GFKHGKE7SGFJKTHIH")
    );
    assert_eq!(
        r.fep_reference_id.as_deref(),
        Some("X01AHK4HS7GFKHGKE7SGFJKTHIH")
    );
    assert_eq!(r.merchant_request_key1, None);

    // The replay check: a genuine redirect of another order is refused.
    assert!(matches!(
        v.verify(QUERY, "paymentId_0000000000"),
        Err(RedirectError::PaymentIdMismatch { .. })
    ));
    // Unpadded, '+'-as-space tolerant, upper-case hex.
    let loose = QUERY
        .replace("%3D%3D", "")
        .replace("5578b5d1dfeb", "5578B5D1DFEB");
    assert!(v.verify(loose.as_str(), "paymentId_1234567890").is_ok());
    // Wrong key or CCID.
    let other = RedirectVerifier::new("FuzzCcid", Secret::new("fuzzKey2")).unwrap();
    assert_eq!(
        other.verify(QUERY, "paymentId_1234567890"),
        Err(RedirectError::SignatureMismatch)
    );
    let other = RedirectVerifier::new("FuzzCcie", Secret::new("fuzzKey")).unwrap();
    assert_eq!(
        other.verify(QUERY, "paymentId_1234567890"),
        Err(RedirectError::SignatureMismatch)
    );
}
