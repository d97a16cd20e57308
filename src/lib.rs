//! Callister: a scene-graph engine for terminal text adventures, and the
//! game it ships with.
//!
//! The pipeline reads off the modules: `raw` (the RON files as written) →
//! `compile` (checked, every reference resolved) → `story` (the compiled
//! types) → `engine` (pure: state, view, choose) → the drivers (`repl`, and
//! the `callister` binary's subcommands).

pub mod check;
pub mod command;
pub mod compile;
pub mod condition;
pub mod diagnostic;
pub mod embedded;
pub mod engine;
pub mod explore;
pub mod graph;
pub mod history;
pub mod plan;
pub mod play;
pub mod preset;
pub mod profile;
pub mod raw;
pub mod repl;
pub mod save;
pub mod session;
pub mod source;
pub mod stats;
pub mod story;
pub mod synth;
pub mod text;
