//! Property tests of redirect signing and verification.
//!
//! `cargo test -p vt4g --test redirect_props`

use proptest::prelude::*;
use vt4g::redirect::{sign_redirect, RedirectError, RedirectParams, RedirectVerifier};
use vt4g::Secret;

const TYPED: [&str; 9] = [
    "status",
    "actionCode",
    "resultCode",
    "command",
    "paymentId",
    "fepOrderId",
    "fepReferenceId",
    "merchantRequestKey1",
    "merchantRequestKey2",
];

/// A redirect: values for the 5 required fields, optional others, an extra
/// unlisted parameter, and an order (every present name, shuffled, plus
/// repeats).
#[derive(Debug, Clone)]
struct Case {
    params: Vec<(String, String)>,
    order: Vec<String>,
    payment_id: String,
}

fn value(ascii: bool) -> BoxedStrategy<String> {
    if ascii {
        "[ -~]{1,24}".boxed()
    } else {
        "\\PC{1,24}".boxed()
    }
}

fn case(ascii: bool) -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(value(ascii), 9),
        prop::collection::vec(any::<bool>(), 4),
        prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        any::<u64>(),
    )
        .prop_map(|(values, present, repeats, seed)| {
            let mut params: Vec<(String, String)> = Vec::new();
            for (i, name) in TYPED.iter().enumerate() {
                if i < 5 || present[i - 5] {
                    params.push(((*name).to_owned(), values[i].clone()));
                }
            }
            let mut order: Vec<String> = params.iter().map(|(k, _)| k.clone()).collect();
            for r in repeats {
                let pick = order[r.index(params.len())].clone();
                order.push(pick);
            }
            // Deterministic shuffle from the seed.
            let mut s = seed | 1;
            for i in (1..order.len()).rev() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let j = (s % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            let payment_id = values[4].clone();
            params.push(("utm_source".to_owned(), "mail".to_owned()));
            Case {
                params,
                order,
                payment_id,
            }
        })
}

fn sign(c: &Case, ccid: &str, key: &Secret) -> String {
    let params: Vec<(&str, &str)> = c
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let order: Vec<&str> = c.order.iter().map(String::as_str).collect();
    sign_redirect(ccid, key, &params, &order).unwrap()
}

fn get<'a>(c: &'a Case, name: &str) -> Option<&'a str> {
    c.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sign_then_verify_round_trips(c in case(false), ccid in "[A-Za-z0-9]{1,24}", key in "\\PC{1,40}") {
        let key = Secret::new(key);
        let query = sign(&c, &ccid, &key);
        let v = RedirectVerifier::new(ccid, key).unwrap();
        let url = format!("https://shop.example/done?{query}");
        let with_q = format!("?{query}");
        let pairs = RedirectParams::from_query(&query);
        for input in [query.as_str(), with_q.as_str(), url.as_str()] {
            let r = v.verify(input, &c.payment_id).unwrap();
            prop_assert_eq!(r.status.as_str(), get(&c, "status").unwrap());
            prop_assert_eq!(r.action_code.as_str(), get(&c, "actionCode").unwrap());
            prop_assert_eq!(r.result_code.as_str(), get(&c, "resultCode").unwrap());
            prop_assert_eq!(r.command.as_str(), get(&c, "command").unwrap());
            prop_assert_eq!(r.payment_id.as_str(), c.payment_id.as_str());
            prop_assert_eq!(r.fep_order_id.as_deref(), get(&c, "fepOrderId"));
            prop_assert_eq!(r.fep_reference_id.as_deref(), get(&c, "fepReferenceId"));
            prop_assert_eq!(r.merchant_request_key1.as_deref(), get(&c, "merchantRequestKey1"));
            prop_assert_eq!(r.merchant_request_key2.as_deref(), get(&c, "merchantRequestKey2"));
        }
        prop_assert!(v.verify(&pairs, &c.payment_id).is_ok());
        let other = format!("{}x", c.payment_id);
        let is_mismatch = matches!(v.verify(&pairs, &other), Err(RedirectError::PaymentIdMismatch { .. }));
        prop_assert!(is_mismatch);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every single-bit flip (within ASCII) of every signed parameter value is
    /// rejected.
    #[test]
    fn every_signed_value_bit_flip_is_rejected(c in case(true), key in "[ -~]{1,40}") {
        let key = Secret::new(key);
        let query = sign(&c, "Ccid", &key);
        let v = RedirectVerifier::new("Ccid", key).unwrap();
        let pairs = RedirectParams::from_query(&query).pairs().to_vec();
        prop_assert!(v.verify(pairs.as_slice(), &c.payment_id).is_ok());
        for (idx, (name, value)) in pairs.iter().enumerate() {
            if !c.order.contains(name) {
                continue;
            }
            for i in 0..value.len() {
                for bit in 0..7 {
                    let mut b = value.clone().into_bytes();
                    b[i] ^= 1 << bit;
                    let mut tampered = pairs.clone();
                    tampered[idx].1 = String::from_utf8(b).unwrap();
                    // Compare with the tampered paymentId too, so that only the
                    // signature can reject it.
                    let expected = if name == "paymentId" { tampered[idx].1.clone() } else { c.payment_id.clone() };
                    let r = v.verify(tampered.as_slice(), &expected);
                    prop_assert!(matches!(r, Err(RedirectError::SignatureMismatch)),
                        "flip of {}[{}] bit {} gave {:?}", name, i, bit, r);
                }
            }
        }
    }

    /// Every single-bit flip of vAuthInfo is rejected, except an ASCII case
    /// flip of a hex letter (hex is compared case-insensitively).
    #[test]
    fn every_auth_info_bit_flip_is_rejected_unless_case_only(c in case(true)) {
        let key = Secret::new("k");
        let query = sign(&c, "Ccid", &key);
        let v = RedirectVerifier::new("Ccid", key).unwrap();
        let pairs = RedirectParams::from_query(&query).pairs().to_vec();
        let idx = pairs.iter().position(|(k, _)| k == "vAuthInfo").unwrap();
        let original = pairs[idx].1.clone().into_bytes();
        for i in 0..original.len() {
            for bit in 0..7 {
                let mut b = original.clone();
                b[i] ^= 1 << bit;
                let mut tampered = pairs.clone();
                tampered[idx].1 = String::from_utf8(b).unwrap();
                let ok = v.verify(tampered.as_slice(), &c.payment_id).is_ok();
                prop_assert_eq!(ok, bit == 5 && original[i].is_ascii_alphabetic());
            }
        }
    }

    /// Removing any listed parameter is rejected as missing.
    #[test]
    fn a_missing_listed_parameter_is_rejected(c in case(true), pick in any::<prop::sample::Index>()) {
        let key = Secret::new("k");
        let query = sign(&c, "Ccid", &key);
        let v = RedirectVerifier::new("Ccid", key).unwrap();
        let name = c.order[pick.index(c.order.len())].clone();
        let pairs: Vec<(String, String)> = RedirectParams::from_query(&query)
            .pairs()
            .iter()
            .filter(|(k, _)| *k != name)
            .cloned()
            .collect();
        prop_assert_eq!(v.verify(pairs.as_slice(), &c.payment_id), Err(RedirectError::MissingParameter(name)));
    }

    /// A repeated parameter is rejected, whatever its value.
    #[test]
    fn a_repeated_parameter_is_rejected(c in case(true), pick in any::<prop::sample::Index>(), extra in "[ -~]{0,8}") {
        let key = Secret::new("k");
        let query = sign(&c, "Ccid", &key);
        let v = RedirectVerifier::new("Ccid", key).unwrap();
        let mut pairs = RedirectParams::from_query(&query).pairs().to_vec();
        let dup = pairs[pick.index(pairs.len())].0.clone();
        pairs.push((dup.clone(), extra));
        prop_assert_eq!(v.verify(pairs.as_slice(), &c.payment_id), Err(RedirectError::RepeatedParameter(dup)));
    }

    /// Arbitrary input never panics.
    #[test]
    fn verify_is_total(q in "\\PC{0,300}") {
        let v = RedirectVerifier::new("Ccid", Secret::new("k")).unwrap();
        let _ = v.verify(q.as_str(), "p");
    }
}
