//! `callister lsp`: a language server for story directories, over stdio.
//!
//! It reuses the real compiler and lints: the diagnostics are those of
//! `callister check`, and definitions, references, rename and hover read the
//! compiler's symbol table (`compile::Symbols`) and the model's visitor.
//! Each file's parse is cached (`compile::Cache`), so an edit re-parses one
//! file and then resolves the names and runs the lints over all of them.
//! The `lsp` feature (which `cli` enables) carries it.
//!
//! - `server`: the loop, the handshake, notifications and dispatch;
//! - `documents`: story directories, open documents over files on disk,
//!   the analysis;
//! - `positions`: byte offsets and the protocol's UTF-16 positions;
//! - `features`: one module per request;
//! - `watch`: files changed on disk (shared with `play --watch` and
//!   `check --watch`).

pub(crate) mod documents;
mod features;
pub mod positions;
mod server;
pub(crate) mod watch;

pub use server::{DEBOUNCE, Options, run, serve};
