//! Every integration test, linked once: one binary with a module per area.

mod cli;
mod diagnostics;
mod docs;
mod engine;
mod explore;
mod faults;
mod format;
mod graph;
mod lints;
mod lsp;
mod plans;
mod playthroughs;
mod prompt;
mod properties;
mod reload;
mod saves;
mod security;
mod symbols;
mod synth;
mod watch;
