//! The pure engine: the game state and what a choice does (`state`), the
//! tree of paths tried (`history`), replaying a log of choices (`replay`),
//! and presets for authors (`preset`).

pub mod history;
pub(crate) mod preset;
pub(crate) mod replay;
pub mod state;

pub use state::*;
