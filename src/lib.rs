//! Callister: a scene-graph engine for terminal text adventures, and the
//! game it ships with.
//!
//! The pipeline reads off the folders: [`story`] (the RON files as written,
//! compiled into a checked model where every reference is resolved) →
//! [`engine`] (pure: state, view, choose) → [`play`] (a session at the
//! prompt, saves, the endings ledger) and [`tools`] (check, stats, graph,
//! explore, replay, synthetic stories) → the `callister` command line
//! (`cli`, with the `cli` feature). `fsio` is beside the pipeline: every
//! file the drivers write or read that is not a chapter goes through it.
//!
//! # Embedding the engine
//!
//! Without the default `cli` feature the crate has no terminal in it: no
//! line editor, no command line parser, no progress bar. A story compiles
//! from files in memory (or [`story::compile::load_dir`] for a directory,
//! [`story::embedded::story`] for the shipped one), and the engine shows a
//! scene with [`engine::State::view`] and takes a choice with
//! [`engine::State::choose`]:
//!
//! ```
//! use callister::engine::{RollMode, State};
//! use callister::story::compile::{InputFile, compile};
//!
//! let file = |rel: &str, text: &str| InputFile {
//!     rel: rel.to_string(),
//!     name: rel.to_string(),
//!     text: text.to_string(),
//! };
//! let story = compile(vec![
//!     file("story.ron", r#"Story(title: "Two Doors", start: "hall")"#),
//!     file(
//!         "hall.ron",
//!         r#"Chapter(title: "The Hall", scenes: [
//!             (id: "hall", title: "The Hall", text: "Two doors.", choices: [
//!                 (key: "left", text: "Take the left door", goto: "cellar"),
//!                 (key: "right", text: "Take the right door", goto: "garden"),
//!             ]),
//!             (id: "cellar", title: "The Cellar", text: "Damp stairs go up again.", choices: [
//!                 (key: "up", text: "Climb back up", goto: "hall"),
//!             ]),
//!             (id: "garden", title: "The Garden", text: "Sunlight.",
//!                 ending: (id: "out", title: "Outside", kind: Good)),
//!         ])"#,
//!     ),
//! ])
//! .expect("the story compiles");
//!
//! // The same seed and the same choices always give the same game.
//! let mut state = State::new(&story, 7);
//! let view = state.view(&story);
//! assert_eq!(view.title, "The Hall");
//! let keys: Vec<&str> = view.choices.iter().map(|c| c.key.as_str()).collect();
//! assert_eq!(keys, ["left", "right"]);
//!
//! // Two choices: down to the cellar, then back up.
//! state.choose(&story, view.choices[0].id, RollMode::Random).unwrap();
//! let cellar = state.view(&story);
//! assert_eq!(cellar.title, "The Cellar");
//! let outcome = state.choose(&story, cellar.choices[0].id, RollMode::Random).unwrap();
//! assert_eq!(story.scene(outcome.scene).title, "The Hall");
//! assert!(outcome.ending.is_none());
//! ```
//!
//! [`play::session::Session`] wraps the same engine with the prompt's
//! commands (undo, branches, saves through a [`play::session::Host`]) for
//! a driver that reads lines of text.

pub mod engine;
// Some of its writes serve only the command line.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) mod fsio;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod play;
pub mod story;
pub mod tools;

#[cfg(feature = "cli")]
pub mod cli;
