//! Callister: a scene-graph engine for terminal text adventures, and the
//! game it ships with.
//!
//! The pipeline reads off the folders: `story` (the RON files as written,
//! compiled into a checked model where every reference is resolved) →
//! `engine` (pure: state, view, choose) → `play` (a session at the prompt,
//! saves, the endings ledger) and `tools` (check, stats, graph, explore,
//! replay, synthetic stories) → the `callister` binary.

pub mod engine;
pub mod play;
pub mod story;
pub mod tools;
