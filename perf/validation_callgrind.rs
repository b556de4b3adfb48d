//! Instruction counts of the validation benchmark's two sides, for
//! `valgrind --tool=callgrind` (deterministic, unlike timings on a shared machine):
//!
//! ```sh
//! cargo build --release --example validation_callgrind
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!     target/release/examples/validation_callgrind paypay 2000   # or docomo, docomo-fields
//! callgrind_annotate --inclusive=yes /tmp/cg.out | grep side_
//! ```
//!
//! Each `side_*` function runs its operation N times (default 2000) on the request of
//! `benches/validation.rs`; their inclusive instruction counts divided by N are the
//! per-call costs, and their ratios are the instruction-count ratios of the bench.
use std::hint::black_box;

use vt4g::generated::types::PayRequest;
use vt4g::validation::{validate, RequestMode, ValidateRequest, ValidationOptions};
use vt4g::{Command, PayType};

#[path = "../benches/common/validation_input.rs"]
mod input;

#[inline(never)]
fn side_typed_to_vec(r: &PayRequest, n: usize) -> usize {
    (0..n)
        .map(|_| serde_json::to_vec(black_box(r)).map_or(0, |v| v.len()))
        .sum()
}

#[inline(never)]
fn side_typed_validate(r: &PayRequest, o: &ValidationOptions, n: usize) -> usize {
    (0..n)
        .map(|_| black_box(r).validate(o).violations().len())
        .sum()
}

#[inline(never)]
fn side_value_to_vec(v: &serde_json::Value, n: usize) -> usize {
    (0..n)
        .map(|_| serde_json::to_vec(black_box(v)).map_or(0, |v| v.len()))
        .sum()
}

#[inline(never)]
fn side_value_validate(v: &serde_json::Value, o: &ValidationOptions, n: usize) -> usize {
    (0..n)
        .map(|_| validate(Command::Pay, black_box(v), o).violations().len())
        .sum()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "paypay".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let opts = ValidationOptions::new(RequestMode::Live);
    let body = match which.as_str() {
        "docomo" => input::full_pay(PayType::Docomo),
        "docomo-fields" => input::fields_used_by(input::full_pay(PayType::Docomo), PayType::Docomo),
        _ => input::paypay_fields(input::full_pay(PayType::Paypay)),
    };
    let typed: PayRequest = serde_json::from_value(body.clone()).expect("typed");
    let mut total = 0;
    total += side_typed_to_vec(&typed, n);
    total += side_typed_validate(&typed, &opts, n);
    total += side_value_to_vec(&body, n);
    total += side_value_validate(&body, &opts, n);
    println!("{which}: {n} iterations per side (checksum {total})");
}
