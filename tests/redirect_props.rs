//! Property tests of redirect signing and verification, and of the
//! boundary-shift forgery: every re-cut of a genuine redirect's signed bytes
//! (under the genuine `authParams` list, or a list with a known name inserted,
//! renamed or dropped) that verifies must verify with the genuine values.
//!
//! `cargo test -p vt4g --test redirect_props`

use base64::Engine as _;
use proptest::prelude::*;
use vt4g::redirect::{
    sign_redirect, RedirectError, RedirectParam, RedirectParams, RedirectVerifier,
    UnverifiedReason, VerifiedRedirect,
};
use vt4g::Secret;

/// The reference's example list: the seven parameters, then again in another
/// order.
const REF_ORDER: [&str; 14] = [
    "status",
    "actionCode",
    "resultCode",
    "command",
    "paymentId",
    "fepOrderId",
    "fepReferenceId",
    "fepReferenceId",
    "paymentId",
    "fepOrderId",
    "actionCode",
    "resultCode",
    "command",
    "status",
];

/// A redirect with values of the reference's syntax, and its signing order.
#[derive(Debug, Clone)]
struct Case {
    params: Vec<(String, String)>,
    order: Vec<String>,
    payment_id: String,
}

impl Case {
    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(list).prop_map(str::to_owned)
}

/// Genuine values: (status, actionCode, resultCode, command, paymentId,
/// fepOrderId suffix, fepReferenceId, merchant keys).
fn values() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        pick(&["success", "failure", "error"]),
        pick(&["success", "retry_payment", "confirm_payment", "user_paying"]),
        "UA-(000|REQ|CST)-00[0-9]",
        pick(&["pay", "subscribe"]),
        "[A-Za-z0-9_-]{1,64}",
        "[0-9A-Z]{26}",
        prop::option::of("[ -~]{1,24}"),
        prop::option::of("[ -~]{1,24}"),
    )
        .prop_map(|(st, ac, rc, cmd, pid, ulid, k1, k2)| {
            let mut v = vec![
                ("status".to_owned(), st),
                ("actionCode".to_owned(), ac),
                ("resultCode".to_owned(), rc),
                ("command".to_owned(), cmd),
                ("paymentId".to_owned(), pid.clone()),
                ("fepOrderId".to_owned(), format!("{pid}_{ulid}")),
                ("fepReferenceId".to_owned(), format!("X{ulid}")),
            ];
            if let Some(k) = k1 {
                v.push(("merchantRequestKey1".to_owned(), k));
            }
            if let Some(k) = k2 {
                v.push(("merchantRequestKey2".to_owned(), k));
            }
            v
        })
}

/// The reference's list (merchant keys sent but not listed), or every
/// present name twice in a seeded shuffle.
fn case() -> impl Strategy<Value = Case> {
    (values(), any::<bool>(), any::<u64>()).prop_map(|(params, reference, seed)| {
        let order: Vec<String> = if reference {
            REF_ORDER.iter().map(|s| (*s).to_owned()).collect()
        } else {
            let mut o: Vec<String> = params.iter().map(|(k, _)| k.clone()).collect();
            o.extend(o.clone());
            let mut s = seed | 1;
            for i in (1..o.len()).rev() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                o.swap(i, (s % (i as u64 + 1)) as usize);
            }
            o
        };
        let payment_id = params[4].1.clone();
        let mut params = params;
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

/// Checks a successful verification against the genuine case: every verified
/// value is the genuine one; every unverified value is the received one.
fn check_genuine(c: &Case, r: &VerifiedRedirect) -> Result<(), TestCaseError> {
    prop_assert_eq!(r.status.as_str(), c.get("status").unwrap());
    prop_assert_eq!(r.action_code.as_str(), c.get("actionCode").unwrap());
    prop_assert_eq!(r.result_code.as_str(), c.get("resultCode").unwrap());
    prop_assert_eq!(r.command.as_str(), c.get("command").unwrap());
    prop_assert_eq!(r.payment_id.as_str(), c.payment_id.as_str());
    for (p, got) in [
        (RedirectParam::FepOrderId, &r.fep_order_id),
        (RedirectParam::FepReferenceId, &r.fep_reference_id),
        (RedirectParam::MerchantRequestKey1, &r.merchant_request_key1),
        (RedirectParam::MerchantRequestKey2, &r.merchant_request_key2),
    ] {
        match got {
            Some(v) => prop_assert_eq!(Some(v.as_str()), c.get(p.name())),
            None => prop_assert_eq!(r.unverified(p), c.get(p.name()), "{}", p),
        }
    }
    Ok(())
}

/// Cuts of `signed` into non-empty values for `list` (one value per name),
/// without any syntax rule: the genuine lengths shifted by -3..=3, plus or
/// minus a whole genuine value (a name merged into or split from its
/// neighbour), nearest first; at most `cap` readings and `budget` search nodes
/// (the search over every cut is exponential).
fn readings(
    list: &[&str],
    signed: &str,
    genuine: &Case,
    cap: usize,
    budget: usize,
) -> Vec<Vec<(String, String)>> {
    struct S<'a> {
        list: &'a [&'a str],
        signed: &'a str,
        genuine: &'a Case,
        out: Vec<Vec<(String, String)>>,
        cap: usize,
        nodes: usize,
        budget: usize,
    }
    fn lengths(s: &S<'_>, name: &str, room: usize) -> Vec<usize> {
        let g = s.genuine.get(name).map_or(1, str::len) as i64;
        let mut bases = vec![0i64];
        for (_, v) in &s.genuine.params {
            bases.push(v.len() as i64);
            bases.push(-(v.len() as i64));
        }
        let mut out = Vec::new();
        for d in [0i64, -1, 1, -2, 2, -3, 3] {
            for b in &bases {
                let l = g + b + d;
                if l >= 1 && (l as usize) <= room && !out.contains(&(l as usize)) {
                    out.push(l as usize);
                }
            }
        }
        out
    }
    fn go(s: &mut S<'_>, i: usize, pos: usize, assigned: &mut Vec<(String, String)>) {
        s.nodes += 1;
        if s.out.len() >= s.cap || s.nodes > s.budget {
            return;
        }
        if i == s.list.len() {
            if pos == s.signed.len() {
                s.out.push(assigned.clone());
            }
            return;
        }
        let name = s.list[i];
        if let Some((_, v)) = assigned.iter().find(|(k, _)| k == name) {
            if s.signed[pos..].starts_with(v.as_str()) {
                let l = v.len();
                go(s, i + 1, pos + l, assigned);
            }
            return;
        }
        for len in lengths(s, name, s.signed.len() - pos) {
            if !s.signed.is_char_boundary(pos + len) {
                continue;
            }
            assigned.push((name.to_owned(), s.signed[pos..pos + len].to_owned()));
            go(s, i + 1, pos + len, assigned);
            assigned.pop();
        }
    }
    let mut s = S {
        list,
        signed,
        genuine,
        out: Vec::new(),
        cap,
        nodes: 0,
        budget,
    };
    go(&mut s, 0, 0, &mut Vec::new());
    s.out
}

/// The lists an attacker would try: the genuine one, one with a known name
/// inserted after every `paymentId`, one with `fepOrderId` renamed, one with
/// `fepOrderId` dropped (its bytes merged into a neighbour).
fn forged_lists(order: &[String]) -> Vec<Vec<String>> {
    let mut lists = vec![order.to_vec()];
    for extra in ["merchantRequestKey1", "fepReferenceId", "fepOrderId"] {
        let mut l = Vec::new();
        for n in order {
            l.push(n.clone());
            if n == "paymentId" {
                l.push(extra.to_owned());
            }
        }
        lists.push(l);
        lists.push(
            order
                .iter()
                .map(|n| {
                    if n == "fepOrderId" {
                        extra.to_owned()
                    } else {
                        n.clone()
                    }
                })
                .collect(),
        );
    }
    lists.push(
        order
            .iter()
            .filter(|n| *n != "fepOrderId")
            .cloned()
            .collect(),
    );
    lists
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A genuine redirect verifies with its own values (an optional value the
    /// signed bytes do not determine is returned unverified); the reference's
    /// list verifies every listed value. A required value is either verified
    /// or the redirect is refused as ambiguous.
    #[test]
    fn sign_then_verify_round_trips(c in case(), ccid in "[A-Za-z0-9]{1,24}", key in "\\PC{1,40}") {
        let key = Secret::new(key);
        let query = sign(&c, &ccid, &key);
        let v = RedirectVerifier::new(ccid, key).unwrap();
        let url = format!("https://shop.example/done?{query}");
        let with_q = format!("?{query}");
        let pairs = RedirectParams::from_query(&query);
        let reference = c.order.iter().map(String::as_str).eq(REF_ORDER);
        for input in [query.as_str(), with_q.as_str(), url.as_str()] {
            match v.verify(input, &c.payment_id) {
                Ok(r) => {
                    check_genuine(&c, &r)?;
                    if reference {
                        prop_assert!(r.fep_order_id.is_some() && r.fep_reference_id.is_some());
                        for u in &r.unverified {
                            prop_assert_eq!(u.reason, UnverifiedReason::NotCovered);
                        }
                    }
                }
                Err(RedirectError::AmbiguousValue(_)) if !reference => {}
                Err(e) => prop_assert!(false, "{:?}: {}", c.order, e),
            }
        }
        if v.verify(&pairs, &c.payment_id).is_ok() {
            let other = format!("{}x", c.payment_id);
            let is_mismatch = matches!(v.verify(&pairs, &other), Err(RedirectError::PaymentIdMismatch { .. }));
            prop_assert!(is_mismatch);
        }
    }

    /// The boundary-shift forgery: from a genuine redirect, every re-cut of its
    /// signed bytes under the attacker's lists (the signature stays valid) is
    /// either refused or verifies with the genuine status, actionCode,
    /// resultCode, command, paymentId and fepOrderId.
    #[test]
    fn every_boundary_shift_is_rejected(c in case()) {
        let key = Secret::new("k");
        let query = sign(&c, "Ccid", &key);
        let v = RedirectVerifier::new("Ccid", key).unwrap();
        let genuine = RedirectParams::from_query(&query);
        let v_auth_info = genuine.get("vAuthInfo").unwrap().unwrap().to_owned();
        let signed: String = c.order.iter().map(|n| c.get(n).unwrap()).collect();
        let mut tried = 0usize;
        for list in forged_lists(&c.order) {
            let names: Vec<&str> = list.iter().map(String::as_str).collect();
            for reading in readings(&names, &signed, &c, 60, 20_000) {
                tried += 1;
                let mut pairs = reading.clone();
                // Unlisted genuine parameters stay in the URL as they were.
                for (k, val) in &c.params {
                    if !pairs.iter().any(|(n, _)| n == k) {
                        pairs.push((k.clone(), val.clone()));
                    }
                }
                pairs.push(("authParams".to_owned(), base64::engine::general_purpose::STANDARD.encode(list.join(","))));
                pairs.push(("vAuthInfo".to_owned(), v_auth_info.clone()));
                let forged_pid = reading.iter().find(|(k, _)| k == "paymentId").map(|(_, v)| v.clone()).unwrap_or_default();
                if let Ok(r) = v.verify(pairs.as_slice(), &forged_pid) {
                    prop_assert_eq!(r.status.as_str(), c.get("status").unwrap(), "{:?}", reading);
                    prop_assert_eq!(r.action_code.as_str(), c.get("actionCode").unwrap(), "{:?}", reading);
                    prop_assert_eq!(r.result_code.as_str(), c.get("resultCode").unwrap(), "{:?}", reading);
                    prop_assert_eq!(r.command.as_str(), c.get("command").unwrap(), "{:?}", reading);
                    prop_assert_eq!(r.payment_id.as_str(), c.payment_id.as_str(), "{:?}", reading);
                    if let Some(f) = &r.fep_order_id {
                        prop_assert_eq!(Some(f.as_str()), c.get("fepOrderId"), "{:?}", reading);
                    }
                }
            }
        }
        // The genuine reading under the genuine list is among those tried.
        prop_assert!(tried > 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every single-bit flip (within ASCII) of every signed parameter value is
    /// rejected.
    #[test]
    fn every_signed_value_bit_flip_is_rejected(c in case(), key in "[ -~]{1,40}") {
        let key = Secret::new(key);
        let query = sign(&c, "Ccid", &key);
        let v = RedirectVerifier::new("Ccid", key).unwrap();
        let pairs = RedirectParams::from_query(&query).pairs().to_vec();
        let genuine_ok = v.verify(pairs.as_slice(), &c.payment_id).is_ok();
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
                        "flip of {}[{}] bit {} gave {:?} (genuine verifies: {})", name, i, bit, r, genuine_ok);
                }
            }
        }
    }

    /// Every single-bit flip of vAuthInfo is rejected, except an ASCII case
    /// flip of a hex letter (hex is compared case-insensitively).
    #[test]
    fn every_auth_info_bit_flip_is_rejected_unless_case_only(c in case()) {
        let key = Secret::new("k");
        let query = sign(&c, "Ccid", &key);
        let v = RedirectVerifier::new("Ccid", key).unwrap();
        let pairs = RedirectParams::from_query(&query).pairs().to_vec();
        let genuine_ok = v.verify(pairs.as_slice(), &c.payment_id).is_ok();
        let idx = pairs.iter().position(|(k, _)| k == "vAuthInfo").unwrap();
        let original = pairs[idx].1.clone().into_bytes();
        for i in 0..original.len() {
            for bit in 0..7 {
                let mut b = original.clone();
                b[i] ^= 1 << bit;
                let mut tampered = pairs.clone();
                tampered[idx].1 = String::from_utf8(b).unwrap();
                let ok = v.verify(tampered.as_slice(), &c.payment_id).is_ok();
                prop_assert_eq!(ok, genuine_ok && bit == 5 && original[i].is_ascii_alphabetic());
            }
        }
    }

    /// Removing any listed parameter is rejected as missing.
    #[test]
    fn a_missing_listed_parameter_is_rejected(c in case(), pick in any::<prop::sample::Index>()) {
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
    fn a_repeated_parameter_is_rejected(c in case(), pick in any::<prop::sample::Index>(), extra in "[ -~]{0,8}") {
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
