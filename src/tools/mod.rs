//! Authoring tools over a compiled story: lints (`check`), counts
//! (`stats`), drawings (`graph`), exhaustive and random exploration
//! (`explore`), string tables (`export`), replay plans (`plan`) and
//! synthetic stories (`synth`).

pub mod check;
pub mod explore;
pub mod export;
pub mod graph;
pub mod plan;
pub mod stats;
pub mod synth;
