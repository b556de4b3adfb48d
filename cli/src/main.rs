//! `vt4g` — the command-line tool of the vt4g library.
//!
//! Validate payloads per provider, verify webhooks and redirects, call the Unified API, run the
//! local simulator, print request JSON Schemas. Machine output is exactly one JSON document on
//! stdout; human messages go to stderr; exit codes 0 ok, 1 invalid/rejected/API failure,
//! 2 usage error, 3 transport failure. Secrets come from `VT_TOKEN`, `VT_MERCHANT_CCID`,
//! `VT_MERCHANT_KEY` and are never printed.
#![forbid(unsafe_code)]

mod args;
mod cmd;
mod io;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Cmd, RedirectCmd, SandboxCmd, WebhookCmd};
use crate::io::{Credentials, Exit, Failure, Outcome};

fn main() -> ExitCode {
    // clap exits 2 on usage errors and 0 on --help/--version by itself.
    let cli = Cli::parse();
    let creds = Credentials::resolve(cli.creds.token, cli.creds.ccid, cli.creds.key);
    let flags = creds.given_as_flags();
    if flags.iter().any(|f| *f != "--ccid") {
        eprintln!(
            "vt4g: warning: {} on the command line is visible to other users in process \
             listings; prefer VT_TOKEN / VT_MERCHANT_KEY",
            flags.join(", ")
        );
    }
    let pretty = cli.pretty;
    let result = run(cli.command, &creds);
    match result {
        Ok(outcome) => {
            if let Some(doc) = &outcome.document {
                if let Err(e) = io::print_document(doc, pretty) {
                    eprintln!("vt4g: cannot write to stdout: {e}");
                    return ExitCode::from(Exit::Usage as u8);
                }
            }
            ExitCode::from(outcome.exit as u8)
        }
        Err(failure) => {
            eprintln!("vt4g: {}", failure.message);
            ExitCode::from(failure.exit as u8)
        }
    }
}

fn run(command: Cmd, creds: &Credentials) -> Result<Outcome, Failure> {
    match command {
        Cmd::Validate(a) => cmd::validate::run(a),
        Cmd::Webhook(WebhookCmd::Verify(a)) => cmd::webhook::verify(a, creds),
        Cmd::Webhook(WebhookCmd::DetectScheme(a)) => cmd::webhook::detect(a, creds),
        Cmd::Webhook(WebhookCmd::Send(a)) => cmd::webhook::send(a, creds),
        Cmd::Redirect(RedirectCmd::Verify(a)) => cmd::redirect::verify(a, creds),
        Cmd::Sandbox(SandboxCmd::Serve(a)) => cmd::sandbox::serve(a, creds),
        Cmd::Sandbox(SandboxCmd::Trigger(a)) => cmd::trigger::run(a, creds),
        Cmd::Call(a) => cmd::call::run(a, creds),
        Cmd::Schema(a) => cmd::schema::run(a),
    }
}
