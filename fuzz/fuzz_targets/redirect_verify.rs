//! Fuzzes `RedirectVerifier::verify` on arbitrary URL / query text (must never
//! panic, and random text never verifies), then builds a genuine redirect from
//! the text: `paymentId`, the fepOrderId suffix, fepReferenceId and a merchant
//! key from its lines, and a signing order from its bytes. The genuine redirect
//! either verifies with exactly its own values or is refused as ambiguous (the
//! reference's order always verifies); one signed with another key, or checked
//! against another paymentId, never verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vt4g::redirect::{sign_redirect, RedirectError, RedirectParam, RedirectVerifier};
use vt4g::Secret;

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

fuzz_target!(|data: &[u8]| {
    let verifier = RedirectVerifier::new("FuzzCcid", Secret::new("fuzzKey")).expect("config");
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert!(verifier.verify(text, "p").is_err(), "random text verified");

    let mut lines = text.split('\n');
    let (Some(sel), Some(payment), Some(suffix), Some(fep_ref), key1) = (
        lines.next(),
        lines.next(),
        lines.next(),
        lines.next(),
        lines.next(),
    ) else {
        return;
    };
    let fep_order = format!("{payment}_{suffix}");
    if !RedirectParam::PaymentId.accepts(payment)
        || !RedirectParam::FepOrderId.accepts(&fep_order)
        || suffix.is_empty()
        || !suffix.bytes().all(|b| b.is_ascii_alphanumeric())
        || !RedirectParam::FepReferenceId.accepts(fep_ref)
    {
        return;
    }
    let sel = sel.as_bytes();
    let pick =
        |i: usize, list: &[&'static str]| list[usize::from(*sel.get(i).unwrap_or(&0)) % list.len()];
    let status = pick(0, &["success", "failure", "error"]);
    let action = pick(
        1,
        &[
            "success",
            "confirm_payment",
            "confirm_payment_status",
            "retry_payment",
        ],
    );
    let command = pick(2, &["pay", "subscribe", "update_order"]);
    let mut params = vec![
        ("status", status),
        ("actionCode", action),
        ("resultCode", "UA-000-001"),
        ("command", command),
        ("paymentId", payment),
        ("fepOrderId", fep_order.as_str()),
        ("fepReferenceId", fep_ref),
    ];
    if let Some(k) = key1.filter(|k| RedirectParam::MerchantRequestKey1.accepts(k)) {
        params.push(("merchantRequestKey1", k));
    }
    // The reference's order, or one drawn from the selector bytes (every
    // present name at least once).
    let reference = sel.get(3).is_none_or(|b| b % 2 == 0);
    let order: Vec<&str> = if reference {
        REF_ORDER.to_vec()
    } else {
        let mut o: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        for &b in sel.iter().skip(4).take(12) {
            o.push(params[usize::from(b) % params.len()].0);
        }
        let n = o.len();
        for (i, &b) in sel.iter().skip(4).take(n).enumerate() {
            o.swap(i, usize::from(b) % n);
        }
        o
    };
    let query = sign_redirect("FuzzCcid", &Secret::new("fuzzKey"), &params, &order).expect("sign");
    match verifier.verify(query.as_str(), payment) {
        Ok(r) => {
            assert_eq!(r.payment_id, payment);
            assert_eq!(r.status.as_str(), status);
            assert_eq!(r.action_code.as_str(), action);
            assert_eq!(r.command, command);
            assert!(r.fep_order_id.as_deref().is_none_or(|f| f == fep_order));
            assert!(r.fep_reference_id.as_deref().is_none_or(|f| f == fep_ref));
        }
        Err(RedirectError::AmbiguousValue(_)) if !reference => {}
        Err(e) => panic!("genuine redirect refused: {e} ({order:?})"),
    }
    let forged =
        sign_redirect("FuzzCcid", &Secret::new("otherKey"), &params, &order).expect("sign");
    assert!(verifier.verify(forged.as_str(), payment).is_err());
    assert!(verifier
        .verify(query.as_str(), &format!("{payment}x"))
        .is_err());
});
