//! `vt4g validate`.
use crate::args::ValidateArgs;
use crate::io::{Failure, Outcome};

pub fn run(_a: ValidateArgs) -> Result<Outcome, Failure> {
    Err(Failure::usage("`validate` is not wired yet in this build"))
}
