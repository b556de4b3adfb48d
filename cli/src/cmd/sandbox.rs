//! `vt4g sandbox serve`.
use crate::args::SandboxServeArgs;
use crate::io::{Credentials, Failure, Outcome};

pub fn serve(_a: SandboxServeArgs, _c: &Credentials) -> Result<Outcome, Failure> {
    Err(Failure::usage(
        "`sandbox serve` is not wired yet in this build",
    ))
}
