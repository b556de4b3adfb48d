//! `vt4g schema`.

use crate::args::SchemaArgs;
use crate::io::{Exit, Failure, Outcome};

/// Runs `vt4g schema`: prints [`vt4g::schema::request_schema`].
///
/// A provider that does not support the command is a usage error (exit 2): the library
/// returns a schema that accepts nothing, which is never what the caller wants to save.
pub fn run(a: SchemaArgs) -> Result<Outcome, Failure> {
    let command = a.command.0;
    let pay_type = a.pay_type.map(|p| p.0);
    if let Some(p) = pay_type {
        let providers = vt4g::generated::rules::command_spec(command).providers;
        if !providers.contains(p) {
            return Err(Failure::usage(format!(
                "{} does not support the `{}` command (supported: {providers})",
                p.as_str(),
                command.as_str()
            )));
        }
    }
    Ok(Outcome::new(
        vt4g::schema::request_schema(command, pay_type),
        Exit::Ok,
    ))
}
