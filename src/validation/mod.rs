//! Per-provider request validation: every limit of the reference, checked before a
//! byte goes on the wire.
//!
//! [`validate`] walks a request body (`serde_json::Value`) against the generated tables
//! of `vt4g_generated::rules` (compiled from `openapi/effective/unified-api-1.1.3.yaml` and
//! `openapi/provider-rules.yaml`) and reports **all** findings at once.
//! [`ValidateRequest::validate`] does the same on the typed requests
//! (`vt4g::generated::types::PayRequest`, …) through generated walkers, with the same
//! check functions and exactly the same report (see [`ValidateRequest`]); it is the
//! faster path when the request is already typed.
//!
//! ```
//! use vt4g::validation::{validate, ValidationOptions};
//! use vt4g::Command;
//! let body = serde_json::json!({
//!     "order": {"payType": "docomo", "paymentId": "order-1", "amount": "123456789"},
//!     "item": [{"name": "ｶﾞｲﾄﾞ"}],
//!     "control": {
//!         "successUrl": "https://shop.example/ok",
//!         "cancelUrl": "https://shop.example/cancel",
//!         "errorUrl": "https://shop.example/error"
//!     }
//! });
//! let report = validate(Command::Pay, &body, &ValidationOptions::default());
//! assert!(!report.is_valid());
//! let paths: Vec<&str> = report.violations().iter().map(|v| v.path.as_str()).collect();
//! assert!(paths.contains(&"order.amount"));   // docomo: 8 digits
//! assert!(paths.contains(&"item[0].name"));   // docomo: double-byte characters only
//! ```
//!
//! # What is checked
//! - Spec level (whatever the provider): unknown fields (error — a misspelt optional
//!   field would otherwise be silently ignored), required fields, JSON types, `maxLength`
//!   (characters), `enum` values, the spec's `pattern`s (character sets).
//! - Per provider (`order.payType`, or [`ValidationOptions::pay_type`] for follow-up
//!   commands): the rules file's digits, ranges, bytes, characters, double-byte,
//!   character sets, device-dependent characters, required-for and must-equal rules;
//!   fields the provider does not use (warning: the server ignores them; error in strict
//!   mode); a command the provider does not support (error).
//! - Cross-field: `paymentId` xor `fepOrderId` (and the `original…` pair); URLs
//!   (parseable absolute http(s), ≤ 1024 characters); redirect URLs https in live mode;
//!   webhook URLs https, port 443, no private/loopback/link-local/unspecified IP literal;
//!   `control.requestMode` matching [`ValidationOptions::mode`];
//!   `recoveryExpiredDatetime` only with `recoveryType=recovery`, `yyyyMMddHHmmss` JST,
//!   10 minutes to 48 hours after [`ValidationOptions::now`].
//!
//! # Measures and definitions (choices where the reference is ambiguous)
//! - "N bytes" counts UTF-8 bytes (the API is JSON/UTF-8); "N characters" counts Unicode
//!   scalar values (`char`s). A combining sequence counts one per scalar value: `が`
//!   written as `か` + U+3099 is 2 characters (normalise to NFC first). The spec's
//!   `maxLength` is compared the same way.
//! - "Double byte characters": every character encodes to exactly 2 bytes in windows-31j
//!   (encoding_rs `SHIFT_JIS`). ASCII, half-width katakana, and characters windows-31j
//!   cannot encode (emoji, combining marks, most non-Japanese scripts) are rejected. Use
//!   [`to_full_width`] to widen half-width input.
//! - Device-dependent characters (docomo and au names): the windows-31j codes of the NEC
//!   special characters 0x8740–0x879C, the NEC-selected IBM extensions 0xED40–0xEEFC and
//!   the IBM extensions 0xFA40–0xFC4B.
//! - Amounts: a string of single-byte digits only (no sign, decimal point, spaces or
//!   full-width digits), at most the provider's digit count; leading zeros count as digits.
//!   Merpay: 1–1000000. Rakuten: below 2 is an error, below 100 a warning (Rakuten's
//!   minimum can be lowered by agreement).
//! - Fields the server truncates ("excess characters will be truncated"): a length
//!   violation is a warning, an error in strict mode. Character-class rules of those
//!   fields (double-byte, device-dependent) stay errors.
//! - charge with au and `authCaptureType` other than `auth_with_capture` (or absent,
//!   i.e. `auth`): a warning, never an error — au Easy Payment accepts only
//!   `auth_with_capture`, the Online payment web method accepts both, and which one a
//!   merchant has is contract data the library does not have.
//! - Webhook URLs with a host name: names cannot be resolved offline, so only IP literals
//!   and `localhost`/`*.localhost` are checked against the private-address rule.
//! - `recoveryExpiredDatetime` is compared with [`ValidationOptions::now`] at validation
//!   time; the window is inclusive (exactly 10 minutes and exactly 48 hours pass).
//! - With no provider known (a follow-up command without [`ValidationOptions::pay_type`]),
//!   only spec-level and cross-field rules are checked and an `info` finding says so.
//! - Per-provider rules the reference states only in the supplementary information (au
//!   name format, item category IDs, usage limits) or that depend on the order's history
//!   (au updateOrder only for Single Payment orders; d Payment partial cancel only for
//!   Single Payment) are not checked.

mod charset;
mod cross;
mod ctx;
mod fast_accept;
mod fields;
mod helpers;
mod idempotency_key;
mod ip;
mod jst;
mod options;
mod path;
mod report;
mod text;
mod truncate;
mod typed;
mod url_fast;
mod urls;
mod walk;

pub use idempotency_key::validate_idempotency_key;
pub use jst::{format_jst, format_jst_secs, parse_jst_secs};
pub use options::{UrlPolicy, ValidationOptions};
pub use report::{RuleKind, Severity, ValidationReport, Violation};
pub use text::to_full_width;
pub use truncate::truncate_for;
pub use typed::ValidateRequest;
pub use vt4g_generated::rules::RequestMode;
pub use walk::validate;
