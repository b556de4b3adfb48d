//! One module per subcommand.

pub mod call;
pub mod redirect;
pub mod sandbox;
pub mod schema;
pub mod trigger;
pub mod validate;
pub mod webhook;
