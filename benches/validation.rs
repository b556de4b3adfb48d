//! Validation bench (filled in once vt4g::validation is in the tree).
fn main() {}
