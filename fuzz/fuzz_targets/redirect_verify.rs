//! Fuzzes `RedirectVerifier::verify` on arbitrary URL / query text (must never
//! panic, and random text never verifies), and checks that a query signed
//! over fuzzer-chosen values verifies and that a changed value does not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vt4g::redirect::{sign_redirect, RedirectVerifier};
use vt4g::Secret;

fuzz_target!(|data: &[u8]| {
    let verifier = RedirectVerifier::new("FuzzCcid", Secret::new("fuzzKey")).expect("config");
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = verifier.verify(text, "p");

    // Use the text as values of a genuine redirect (split on '\n').
    let mut v = text.split('\n');
    let mut next = || v.next().unwrap_or("x").to_owned();
    let (status, action, result, command, payment) = (next(), next(), next(), next(), next());
    if [&status, &action, &result, &command, &payment]
        .iter()
        .any(|s| s.is_empty())
    {
        return;
    }
    let params = [
        ("status", status.as_str()),
        ("actionCode", action.as_str()),
        ("resultCode", result.as_str()),
        ("command", command.as_str()),
        ("paymentId", payment.as_str()),
    ];
    let order = [
        "paymentId",
        "status",
        "actionCode",
        "resultCode",
        "command",
        "status",
    ];
    let query = sign_redirect("FuzzCcid", &Secret::new("fuzzKey"), &params, &order).expect("sign");
    let verified = verifier
        .verify(query.as_str(), &payment)
        .expect("genuine redirect verifies");
    assert_eq!(verified.payment_id, payment);
    assert_eq!(verified.command, command);
    let tampered_status = format!("{status}x");
    let tampered = [
        ("status", tampered_status.as_str()),
        ("actionCode", action.as_str()),
        ("resultCode", result.as_str()),
        ("command", command.as_str()),
        ("paymentId", payment.as_str()),
    ];
    let forged =
        sign_redirect("FuzzCcid", &Secret::new("otherKey"), &tampered, &order).expect("sign");
    assert!(verifier.verify(forged.as_str(), &payment).is_err());
    assert!(verifier
        .verify(query.as_str(), &format!("{payment}x"))
        .is_err());
});
