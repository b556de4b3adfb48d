//! Validation cost of a full pay request vs serializing it.
//!
//! `cargo bench -p vt4g --bench validation`
//!
//! - `serde_json_to_vec`: `serde_json::to_vec` of the request (the baseline);
//! - `validate_pay_full`: `vt4g::validation::validate` of the same request (PayPay, 5
//!   items, every field PayPay uses set: the happy path, no finding). Goal: ≤ 0.2× the
//!   baseline's time.
//! - `validate_pay_all_spec_fields`: every field of the spec set (PayPay ignores 10 of
//!   them: 10 warnings are built).
//! - `validate_pay_docomo`: the same shape for docomo (double-byte and device-dependent
//!   scans of the item names).
//! - `typed_to_vec`: `serde_json::to_vec` of the same request as the generated
//!   `PayRequest` (the baseline of the typed validator);
//! - `typed_validate_pay_full`: `ValidateRequest::validate` of that `PayRequest`, same
//!   options (the same findings as `validate_pay_full`: none). Goal: ≤ 0.2× `typed_to_vec`.
//! - `typed_to_vec_docomo` / `typed_validate_pay_docomo`: the same pair for the docomo
//!   request (every spec field set: 10 fields docomo ignores, 10 warnings built).
//! - `typed_to_vec_docomo_fields` / `typed_validate_pay_docomo_fields`: the docomo
//!   request with only the fields docomo uses (Japanese item names checked for
//!   double-byte and device-dependent characters; no finding).
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use vt4g::generated::types::PayRequest;
use vt4g::validation::{validate, RequestMode, ValidateRequest, ValidationOptions};
use vt4g::{Command, PayType};

#[path = "common/validation_input.rs"]
mod input;
use input::{fields_used_by, full_pay, paypay_fields};

fn bench(c: &mut Criterion) {
    let opts = ValidationOptions::new(RequestMode::Live);
    let all = full_pay(PayType::Paypay);
    let paypay = paypay_fields(all.clone());
    assert!(validate(Command::Pay, &paypay, &opts)
        .violations()
        .is_empty());
    let docomo = full_pay(PayType::Docomo);
    let mut g = c.benchmark_group("pay_request");
    g.bench_function("serde_json_to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&paypay)).map(|v| v.len()))
    });
    g.bench_function("validate_pay_full", |b| {
        b.iter(|| {
            validate(Command::Pay, black_box(&paypay), &opts)
                .violations()
                .len()
        })
    });
    g.bench_function("validate_pay_all_spec_fields", |b| {
        b.iter(|| {
            validate(Command::Pay, black_box(&all), &opts)
                .violations()
                .len()
        })
    });
    g.bench_function("validate_pay_docomo", |b| {
        b.iter(|| {
            validate(Command::Pay, black_box(&docomo), &opts)
                .violations()
                .len()
        })
    });
    let typed: PayRequest = serde_json::from_value(paypay.clone()).expect("a typed PayRequest");
    let typed_docomo: PayRequest =
        serde_json::from_value(docomo.clone()).expect("a typed PayRequest");
    assert_eq!(
        typed.validate(&opts),
        validate(Command::Pay, &paypay, &opts),
        "same findings"
    );
    assert_eq!(
        typed_docomo.validate(&opts),
        validate(Command::Pay, &docomo, &opts),
        "same findings"
    );
    g.bench_function("typed_to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&typed)).map(|v| v.len()))
    });
    g.bench_function("typed_validate_pay_full", |b| {
        b.iter(|| black_box(&typed).validate(&opts).violations().len())
    });
    let docomo_own: PayRequest =
        serde_json::from_value(fields_used_by(docomo.clone(), PayType::Docomo))
            .expect("a typed PayRequest");
    assert!(docomo_own.validate(&opts).violations().is_empty());
    g.bench_function("typed_to_vec_docomo_fields", |b| {
        b.iter(|| serde_json::to_vec(black_box(&docomo_own)).map(|v| v.len()))
    });
    g.bench_function("typed_validate_pay_docomo_fields", |b| {
        b.iter(|| black_box(&docomo_own).validate(&opts).violations().len())
    });
    g.bench_function("typed_to_vec_docomo", |b| {
        b.iter(|| serde_json::to_vec(black_box(&typed_docomo)).map(|v| v.len()))
    });
    g.bench_function("typed_validate_pay_docomo", |b| {
        b.iter(|| black_box(&typed_docomo).validate(&opts).violations().len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
