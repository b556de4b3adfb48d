//! Property tests of webhook signing and verification.
//!
//! `cargo test -p vt4g --test webhook_props`

use proptest::prelude::*;
use vt4g::webhook::{
    detect_scheme, sign_webhook, ContentHmac, WebhookError, WebhookScheme, WebhookVerifier,
};
use vt4g::Secret;

fn scheme() -> impl Strategy<Value = WebhookScheme> {
    prop::sample::select(WebhookScheme::ALL.to_vec())
}

/// A hex key of 1 to 40 bytes (usable with every scheme).
fn hex_key() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 1..40)
        .prop_map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
}

fn ccid() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{1,24}"
}

const ID: &str = "01HG79DYJS6MJBN8BRS0HAQ38X";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sign_then_verify_round_trips(
        scheme in scheme(), ccid in ccid(), key in hex_key(),
        body in prop::collection::vec(any::<u8>(), 0..3000),
    ) {
        let key = Secret::new(key);
        let header = sign_webhook(scheme, &ccid, &key, &body).unwrap();
        let v = WebhookVerifier::new(ccid.clone(), key.clone(), scheme).unwrap();
        prop_assert!(v.verify_signature(&header, ID, &body).is_ok());
        prop_assert!(detect_scheme(&ccid, &key, &header, &body).contains(&scheme));
        // The literal scheme also works with any (non-hex) key text.
        let text_key = Secret::new(format!("{}-é", key.expose()));
        let h2 = sign_webhook(WebhookScheme::Literal, &ccid, &text_key, &body).unwrap();
        let v2 = WebhookVerifier::new(ccid, text_key, WebhookScheme::Literal).unwrap();
        prop_assert!(v2.verify_signature(&h2, ID, &body).is_ok());
    }

    #[test]
    fn json_bodies_decode_after_verification(
        scheme in scheme(), ccid in ccid(), key in hex_key(),
        status in "[a-z]{1,10}", amount in 0u64..10_000_000, memo in "\\PC{0,50}",
    ) {
        let body = serde_json::to_vec(&serde_json::json!({
            "result": {"status": status}, "order": {"amount": amount.to_string(), "memo": memo}
        })).unwrap();
        let key = Secret::new(key);
        let header = sign_webhook(scheme, &ccid, &key, &body).unwrap();
        let v = WebhookVerifier::new(ccid, key, scheme).unwrap();
        let event = v.verify(&header, ID, &body).unwrap();
        prop_assert_eq!(event.webhook_id.as_str(), ID);
        let result = event.payload.result.unwrap();
        prop_assert_eq!(result.status.as_deref(), Some(status.as_str()));
        let raw = v.verify_as::<serde_json::Value>(&header, ID, &body).unwrap();
        prop_assert_eq!(raw.payload["order"]["memo"].as_str(), Some(memo.as_str()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every single-bit flip anywhere in the body is rejected.
    #[test]
    fn every_body_bit_flip_is_rejected(
        scheme in scheme(), ccid in ccid(), key in hex_key(),
        body in prop::collection::vec(any::<u8>(), 1..160),
    ) {
        let key = Secret::new(key);
        let header = sign_webhook(scheme, &ccid, &key, &body).unwrap();
        let v = WebhookVerifier::new(ccid, key, scheme).unwrap();
        let mut flipped = body.clone();
        for i in 0..body.len() {
            for bit in 0..8 {
                flipped[i] ^= 1 << bit;
                prop_assert!(
                    matches!(v.verify_signature(&header, ID, &flipped), Err(WebhookError::SignatureMismatch)),
                    "flip of byte {} bit {} accepted", i, bit
                );
                flipped[i] ^= 1 << bit;
            }
        }
        prop_assert!(v.verify_signature(&header, ID, &flipped).is_ok());
    }

    /// Every single-bit flip of the header value is rejected, except a flip of
    /// the ASCII case bit of a letter in the case-insensitive parts (hex
    /// digits a-f, the part names, the algorithm name), which leaves the
    /// header's meaning unchanged. A case flip inside the CCID is rejected.
    #[test]
    fn every_header_bit_flip_is_rejected_unless_case_only(
        scheme in scheme(), ccid in ccid(), key in hex_key(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        spaced in any::<bool>(),
    ) {
        let key = Secret::new(key);
        let mut header = sign_webhook(scheme, &ccid, &key, &body).unwrap();
        if spaced {
            header = header.replace(';', " ; ").replace('=', " = ");
        }
        let marker = if spaced { "s = " } else { "s=" };
        let ccid_start = header.find(marker).unwrap() + marker.len();
        let ccid_range = ccid_start..ccid_start + ccid.len();
        let v = WebhookVerifier::new(ccid, key, scheme).unwrap();
        let original = ContentHmac::parse(&header).unwrap().mac;
        let bytes = header.as_bytes().to_vec();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut f = bytes.clone();
                f[i] ^= 1 << bit;
                let Ok(text) = String::from_utf8(f) else { continue };
                let accepted = v.verify_signature(&text, ID, &body).is_ok();
                if accepted {
                    let case_flip = bit == 5 && bytes[i].is_ascii_alphabetic();
                    prop_assert!(case_flip && !ccid_range.contains(&i),
                        "flip of byte {} bit {} of {:?} accepted", i, bit, header);
                    prop_assert_eq!(ContentHmac::parse(&text).unwrap().mac, original);
                }
            }
        }
    }

    /// The configured CCID must match exactly.
    #[test]
    fn another_ccid_is_rejected(
        ccid in ccid(), other in ccid(), key in hex_key(), body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        prop_assume!(ccid != other);
        let key = Secret::new(key);
        let header = sign_webhook(WebhookScheme::Literal, &other, &key, &body).unwrap();
        let v = WebhookVerifier::new(ccid, key, WebhookScheme::Literal).unwrap();
        prop_assert!(matches!(v.verify_signature(&header, ID, &body), Err(WebhookError::CcidMismatch(_))));
    }

    /// The header parser never panics, and whatever it accepts re-verifies
    /// only with the right MAC.
    #[test]
    fn header_parser_total(s in "\\PC{0,200}") {
        let _ = ContentHmac::parse(&s);
    }
}

#[test]
fn body_limit_is_checked_before_hashing() {
    let key = Secret::new("00ff");
    let body = vec![b'x'; 101];
    let header = sign_webhook(WebhookScheme::Literal, "cc", &key, &body).unwrap();
    let v = WebhookVerifier::new("cc", key, WebhookScheme::Literal)
        .unwrap()
        .with_max_body_size(100);
    assert!(matches!(
        v.verify_signature(&header, ID, &body),
        Err(WebhookError::BodyTooLarge { len: 101, max: 100 })
    ));
    assert!(v.verify_signature(&header, ID, &body[..100]).is_err());
}

#[test]
fn webhook_ids_are_validated() {
    let key = Secret::new("00ff");
    let header = sign_webhook(WebhookScheme::Literal, "cc", &key, b"{}").unwrap();
    let v = WebhookVerifier::new("cc", key, WebhookScheme::Literal).unwrap();
    for bad in ["", "a b", "a/b", "ü", &"a".repeat(129)] {
        assert!(
            matches!(
                v.verify_signature(&header, bad, b"{}"),
                Err(WebhookError::InvalidWebhookId)
            ),
            "{bad:?}"
        );
    }
    assert!(v.verify_signature(&header, &"a".repeat(128), b"{}").is_ok());
    assert!(v.verify_signature(&header, "A-z_09", b"{}").is_ok());
}

#[test]
fn verify_headers_finds_headers_case_insensitively() {
    let key = Secret::new("00ff");
    let header = sign_webhook(WebhookScheme::Literal, "cc", &key, b"{}").unwrap();
    let v = WebhookVerifier::new("cc", key, WebhookScheme::Literal).unwrap();
    let ok = [
        ("content-type", b"application/json".as_slice()),
        ("x-vt-content-hmac", header.as_bytes()),
        ("X-VT-WEBHOOK-ID", b"id1".as_slice()),
    ];
    assert_eq!(v.verify_headers(ok, b"{}").unwrap().webhook_id, "id1");
    let repeated = [
        ("x-vt-content-hmac", header.as_bytes()),
        ("x-vt-webhook-id", b"id1".as_slice()),
        ("X-VT-webhook-id", b"id2".as_slice()),
    ];
    assert!(matches!(
        v.verify_headers(repeated, b"{}"),
        Err(WebhookError::RepeatedHeader(_))
    ));
    let missing = [("x-vt-content-hmac", header.as_bytes())];
    assert!(matches!(
        v.verify_headers(missing, b"{}"),
        Err(WebhookError::MissingHeader("X-VT-webhook-id"))
    ));
}

#[test]
fn errors_and_debug_never_contain_the_key() {
    let secret = "5ec12e7ab1e5ec12e7ab1e";
    let key = Secret::new(secret);
    let v = WebhookVerifier::new("cc", key.clone(), WebhookScheme::HexKey).unwrap();
    assert!(!format!("{v:?}").contains(secret));
    let header = sign_webhook(WebhookScheme::Literal, "cc", &key, b"{}").unwrap();
    let errors = [
        v.verify_signature(&header, ID, b"{}").unwrap_err(),
        v.verify_signature("h=x", ID, b"{}").unwrap_err(),
        v.verify(
            &sign_webhook(WebhookScheme::HexKey, "cc", &key, b"nope").unwrap(),
            ID,
            b"nope",
        )
        .unwrap_err(),
    ];
    for e in errors {
        assert!(!e.to_string().contains(secret));
        assert!(!format!("{e:?}").contains(secret));
    }
}

#[test]
fn a_realistic_webhook_decodes_into_the_generated_payload() {
    let body = br#"{"result":{"status":"success","actionCode":"success","resultCode":"UA-000-001","message":"Success"},"order":{"paymentId":"paymentId_1234567890","fepOrderId":"paymentId_1234567890_01AHK4HS7GFKHGKE7SGFJKTHIH","payType":"paypay","amount":"10000"},"transaction":{"command":"pay"},"someFutureBlock":{"x":1}}"#;
    let key = Secret::new("00ff");
    let header = sign_webhook(WebhookScheme::Literal, "cc", &key, body).unwrap();
    let v = WebhookVerifier::new("cc", key, WebhookScheme::Literal).unwrap();
    let event = v.verify(&header, ID, body).unwrap();
    let result = event.payload.result.expect("result block");
    assert_eq!(result.result_code.as_deref(), Some("UA-000-001"));
    assert_eq!(result.status.as_deref(), Some("success"));
    assert!(event.payload.order.is_some());
    assert!(event.payload.transaction.is_some());
}
