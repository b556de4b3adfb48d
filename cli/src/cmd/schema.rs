//! `vt4g schema`.
use crate::args::SchemaArgs;
use crate::io::{Failure, Outcome};

pub fn run(_a: SchemaArgs) -> Result<Outcome, Failure> {
    Err(Failure::usage("`schema` is not wired yet in this build"))
}
