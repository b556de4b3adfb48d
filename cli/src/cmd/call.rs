//! `vt4g call`.
use crate::args::CallArgs;
use crate::io::{Credentials, Failure, Outcome};

pub fn run(_a: CallArgs, _c: &Credentials) -> Result<Outcome, Failure> {
    Err(Failure::usage("`call` is not wired yet in this build"))
}
