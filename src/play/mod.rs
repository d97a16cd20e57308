//! Playing: a session at the prompt (`session`, `command`, `look`), the
//! terminal (`repl`), the interactive host with its saves and ledger
//! (`host`, `save`, `ledger`).

pub mod command;
pub mod host;
pub mod ledger;
pub mod look;
pub mod repl;
pub mod save;
pub mod session;
