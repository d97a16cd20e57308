//! The story: RON files as written (`raw`), read from a directory or the
//! binary (`compile`, `embedded`), checked and resolved into the model
//! (`model`), with the condition and text languages and the diagnostics
//! that point at mistakes.

pub mod code;
pub mod compile;
pub(crate) mod condition;
pub mod diagnostic;
pub mod embedded;
pub mod load;
pub mod model;
pub(crate) mod raw;
mod ron_error;
mod ron_syntax;
pub mod source;
pub(crate) mod text;
pub(crate) mod tunnels;

pub use model::*;
/// The paragraph layout the prompt shows text in.
pub use text::{Layout, PARAGRAPH_BREAK, Shape, paragraphs, split_paragraphs};
