//! The interface contract: `--help` of every subcommand (with an example), usage errors
//! exit 2, help exits 0.

mod common;

use common::run_args;

const SUBCOMMANDS: &[&[&str]] = &[
    &[],
    &["validate"],
    &["webhook"],
    &["webhook", "verify"],
    &["webhook", "detect-scheme"],
    &["redirect"],
    &["redirect", "verify"],
    &["sandbox"],
    &["sandbox", "serve"],
    &["call"],
    &["schema"],
];

#[test]
fn every_subcommand_has_help_with_an_example() {
    for path in SUBCOMMANDS {
        let mut args: Vec<&str> = path.to_vec();
        args.push("--help");
        let r = run_args(&args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        assert!(r.stdout.contains("Usage: vt4g"), "{args:?}: {}", r.stdout);
        // Leaf commands carry an example in their after-help; groups list their leaves.
        let is_group = matches!(path, [] | ["webhook"] | ["redirect"] | ["sandbox"]);
        if is_group {
            assert!(r.stdout.contains("Commands:"), "{args:?}: {}", r.stdout);
        } else {
            assert!(r.stdout.contains("Example"), "{args:?}: {}", r.stdout);
            assert!(r.stdout.contains("vt4g "), "{args:?}: {}", r.stdout);
        }
    }
}

#[test]
fn top_level_help_documents_secrets_and_exit_codes() {
    let r = run_args(&["--help"]);
    for needle in [
        "VT_TOKEN",
        "VT_MERCHANT_CCID",
        "VT_MERCHANT_KEY",
        "UNSAFE",
        "Exit codes",
    ] {
        assert!(r.stdout.contains(needle), "{needle}: {}", r.stdout);
    }
}

#[test]
fn usage_errors_exit_2_with_nothing_on_stdout() {
    for args in [
        &["frobnicate"][..],
        &["validate"],
        &["validate", "refund"],
        &["validate", "pay", "--mode", "test"],
        &["schema", "pay", "--pay-type", "visa"],
        &["webhook", "verify"],
        &["sandbox", "serve", "--fault-rate", "1.5"],
        &["sandbox", "serve", "--addr", "not-an-address"],
        &[
            "call",
            "pay",
            "--env",
            "live",
            "--base-url",
            "http://127.0.0.1:1/fep/command",
        ],
        &["validate", "pay", "/nonexistent/vt4g/input.json"],
    ] {
        let r = run_args(args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert!(!r.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn version_exits_0() {
    let r = run_args(&["--version"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("vt4g "), "{}", r.stdout);
}
