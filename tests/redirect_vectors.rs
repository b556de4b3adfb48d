//! A known-answer redirect computed independently (Python's `hashlib`,
//! `base64`, `urllib.parse.urlencode`) with the reference's example order of
//! `authParams` (names repeated).
//!
//! `cargo test -p vt4g --test redirect_vectors`

use vt4g::redirect::{
    FepOrderIdRule, RedirectError, RedirectParam, RedirectVerifier, UnverifiedParam,
    UnverifiedReason,
};
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

/// The same key and CCID; `paymentId=order-123` with the reference's list and
/// `merchantRequestKey1=key-1` sent but not listed (the reference's example
/// list does not include the merchant keys, which are returned whenever they
/// were set). Computed with Python's `hashlib`/`base64`/`urlencode`.
const REFERENCE_SHAPED: &str = "status=success&actionCode=success&resultCode=UA-000-001&command=pay&paymentId=order-123&fepOrderId=order-123_01AHK4HS7GFKHGKE7SGFJKTHIH&fepReferenceId=X01AHK4HS7GFKHGKE7SGFJKTHIH&merchantRequestKey1=key-1&authParams=c3RhdHVzLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHBheW1lbnRJZCxmZXBPcmRlcklkLGZlcFJlZmVyZW5jZUlkLGZlcFJlZmVyZW5jZUlkLHBheW1lbnRJZCxmZXBPcmRlcklkLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHN0YXR1cw%3D%3D&vAuthInfo=e0f4562e0db0a521600a1fe3de030df52284275a1f68b371305fca0dbf41bf8e90bce282687df067056f73bf36a2d877e0e5fd2acfcdd0b6ced433c14f4cf050";

/// The boundary-shift forgery of [`REFERENCE_SHAPED`] under the same list:
/// the `3` of `order-123` moved into `fepOrderId` (same `vAuthInfo`).
const SHIFT_INTO_FEP_ORDER_ID: &str = "status=success&actionCode=success&resultCode=UA-000-001&command=pay&paymentId=order-12&fepOrderId=3order-123_01AHK4HS7GFKHGKE7SGFJKTHIH&fepReferenceId=X01AHK4HS7GFKHGKE7SGFJKTHIH&authParams=c3RhdHVzLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHBheW1lbnRJZCxmZXBPcmRlcklkLGZlcFJlZmVyZW5jZUlkLGZlcFJlZmVyZW5jZUlkLHBheW1lbnRJZCxmZXBPcmRlcklkLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHN0YXR1cw%3D%3D&vAuthInfo=e0f4562e0db0a521600a1fe3de030df52284275a1f68b371305fca0dbf41bf8e90bce282687df067056f73bf36a2d877e0e5fd2acfcdd0b6ced433c14f4cf050";

/// The forgery with an extra listed name: `merchantRequestKey1=3` after every
/// `paymentId` in `authParams` (same `vAuthInfo`).
const SHIFT_INTO_EXTRA_NAME: &str = "status=success&actionCode=success&resultCode=UA-000-001&command=pay&paymentId=order-12&fepOrderId=order-123_01AHK4HS7GFKHGKE7SGFJKTHIH&fepReferenceId=X01AHK4HS7GFKHGKE7SGFJKTHIH&merchantRequestKey1=3&authParams=c3RhdHVzLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHBheW1lbnRJZCxtZXJjaGFudFJlcXVlc3RLZXkxLGZlcE9yZGVySWQsZmVwUmVmZXJlbmNlSWQsZmVwUmVmZXJlbmNlSWQscGF5bWVudElkLG1lcmNoYW50UmVxdWVzdEtleTEsZmVwT3JkZXJJZCxhY3Rpb25Db2RlLHJlc3VsdENvZGUsY29tbWFuZCxzdGF0dXM%3D&vAuthInfo=e0f4562e0db0a521600a1fe3de030df52284275a1f68b371305fca0dbf41bf8e90bce282687df067056f73bf36a2d877e0e5fd2acfcdd0b6ced433c14f4cf050";

/// The forgery that drops `fepOrderId` from `authParams` and merges its bytes
/// into `paymentId` (same `vAuthInfo`).
const MERGE_FEP_ORDER_ID: &str = "status=success&actionCode=success&resultCode=UA-000-001&command=pay&paymentId=order-123order-123_01AHK4HS7GFKHGKE7SGFJKTHIH&fepReferenceId=X01AHK4HS7GFKHGKE7SGFJKTHIH&authParams=c3RhdHVzLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHBheW1lbnRJZCxmZXBSZWZlcmVuY2VJZCxmZXBSZWZlcmVuY2VJZCxwYXltZW50SWQsYWN0aW9uQ29kZSxyZXN1bHRDb2RlLGNvbW1hbmQsc3RhdHVz&vAuthInfo=e0f4562e0db0a521600a1fe3de030df52284275a1f68b371305fca0dbf41bf8e90bce282687df067056f73bf36a2d877e0e5fd2acfcdd0b6ced433c14f4cf050";

/// A genuine signature over a list that names `utm_source`, which is not a
/// redirect parameter.
const UNKNOWN_LISTED: &str = "status=success&actionCode=success&resultCode=UA-000-001&command=pay&paymentId=order-123&fepOrderId=order-123_01AHK4HS7GFKHGKE7SGFJKTHIH&fepReferenceId=X01AHK4HS7GFKHGKE7SGFJKTHIH&utm_source=mail&authParams=c3RhdHVzLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHBheW1lbnRJZCxmZXBPcmRlcklkLGZlcFJlZmVyZW5jZUlkLGZlcFJlZmVyZW5jZUlkLHBheW1lbnRJZCxmZXBPcmRlcklkLGFjdGlvbkNvZGUscmVzdWx0Q29kZSxjb21tYW5kLHN0YXR1cyx1dG1fc291cmNl&vAuthInfo=66cb0e82a1469a715498681d3c387b964be38fc1430ab050e14cfdb905b233e14461a7d6f6b26d65c5f1ce924d7c8f6f30a3258246349aced21570d040ba56eb";

fn verifier() -> RedirectVerifier {
    RedirectVerifier::new("FuzzCcid", Secret::new("fuzzKey")).unwrap()
}

#[test]
fn reference_shaped_redirect_with_an_unlisted_merchant_key_verifies() {
    let r = verifier().verify(REFERENCE_SHAPED, "order-123").unwrap();
    assert_eq!(r.payment_id, "order-123");
    assert_eq!(
        r.fep_order_id.as_deref(),
        Some("order-123_01AHK4HS7GFKHGKE7SGFJKTHIH")
    );
    // Never merged into the verified fields; returned separately.
    assert_eq!(r.merchant_request_key1, None);
    assert_eq!(
        r.unverified,
        vec![UnverifiedParam {
            param: RedirectParam::MerchantRequestKey1,
            value: "key-1".into(),
            reason: UnverifiedReason::NotCovered,
        }]
    );
}

#[test]
fn boundary_shift_forgeries_are_rejected() {
    let v = verifier();
    // The signature is genuine in every forgery (same vAuthInfo, same
    // concatenation); the expected paymentId is the forged one, a real
    // pending order of the merchant.
    assert_eq!(
        v.verify(SHIFT_INTO_FEP_ORDER_ID, "order-12"),
        Err(RedirectError::FepOrderIdMismatch {
            payment_id: "order-12".into(),
            fep_order_id: "3order-123_01AHK4HS7GFKHGKE7SGFJ…".into(),
        })
    );
    assert!(matches!(
        v.verify(SHIFT_INTO_EXTRA_NAME, "order-12"),
        Err(RedirectError::FepOrderIdMismatch { .. })
    ));
    // Without the fepOrderId relation, the unique-reading check alone refuses
    // it: `order-1` + `23` is another reading of the same bytes.
    let syntax_only = v.clone().fep_order_id_rule(FepOrderIdRule::SyntaxOnly);
    assert_eq!(
        syntax_only.verify(SHIFT_INTO_EXTRA_NAME, "order-12"),
        Err(RedirectError::AmbiguousValue(RedirectParam::PaymentId))
    );
    assert_eq!(
        syntax_only.verify(SHIFT_INTO_FEP_ORDER_ID, "order-12"),
        Err(RedirectError::AmbiguousValue(RedirectParam::PaymentId))
    );
    // In the reference's list paymentId is always followed by fepOrderId, so
    // without the relation even the genuine redirect has several readings and
    // is refused: the relation is what makes the reference's shape verifiable.
    assert_eq!(
        syntax_only.verify(REFERENCE_SHAPED, "order-123"),
        Err(RedirectError::AmbiguousValue(RedirectParam::PaymentId))
    );
    assert_eq!(
        v.verify(
            MERGE_FEP_ORDER_ID,
            "order-123order-123_01AHK4HS7GFKHGKE7SGFJKTHIH"
        ),
        Err(RedirectError::MissingParameter("fepOrderId".into()))
    );
    // Why fepOrderId must be listed by default: with the FEP identifiers
    // optional, the merged reading is the only one of its list, so it
    // verifies (for a merchant that really has an order with that id).
    let merged = v
        .clone()
        .require_fep_ids(false)
        .verify(
            MERGE_FEP_ORDER_ID,
            "order-123order-123_01AHK4HS7GFKHGKE7SGFJKTHIH",
        )
        .unwrap();
    assert_eq!(merged.fep_order_id, None);
}

#[test]
fn a_listed_name_that_is_not_a_redirect_parameter_is_rejected() {
    assert_eq!(
        verifier().verify(UNKNOWN_LISTED, "order-123"),
        Err(RedirectError::UnknownAuthParam("utm_source".into()))
    );
}
