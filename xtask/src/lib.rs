//! Maintainer tasks for the vt4g workspace: `cargo xtask codegen [--check]`,
//! `cargo xtask lock` and `cargo xtask spec-diff OLD NEW [--json]`.
//!
//! The binary (`src/main.rs`) is a thin command-line layer over this library so that
//! the integration tests in `xtask/tests/` can drive the same code.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codegen;
pub mod fetch_spec;
pub mod leniency;
pub mod lock;
pub mod normalise;
mod normalise_oas31;
pub mod normalise_probe;
mod normalise_schemas;
pub mod overlay;
pub mod pipeline;
pub mod result_codes;
pub mod rules;
pub mod spec;
pub mod spec_diff;
pub mod typed;
pub mod upgrade;
pub mod upgrade_report;
