//! Playing: a session at the prompt (`session`, `command`, `look`), the
//! terminal (`repl`, with the `cli` feature), the interactive host with its
//! saves, the autosave's journal and the ledger (`host`, `save`, `journal`,
//! `ledger`).

pub mod command;
pub mod host;
pub mod journal;
pub mod ledger;
pub mod look;
#[cfg(feature = "cli")]
pub(crate) mod repl;
pub mod save;
pub mod session;
