//! `callister explore`: an exhaustive walk of a story's state space.
//!
//! Breadth first from the start; a random check branches into both
//! outcomes; states are deduplicated by a 128-bit hash of everything that
//! can change what happens next. It drives the engine itself (`advance`), so
//! what it proves holds for the game as played.
//!
//! The files follow the stages of a walk: `normalise` (what makes two
//! states play the same, from `windows` and `liveness`), `pack` (a state
//! in a fixed number of bytes and its 128-bit key), `walk` (the parallel
//! breadth-first walk and its deduplication set), `crowds` (where a cut-off
//! walk's states pile up), `random` (random playthroughs) and `report`
//! (what was found, as text, JSON and plans). This file is the public API.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;

use crate::story::{ChoiceId, SceneId, Story};
use crate::tools::plan::Plan;

mod crowds;
mod liveness;
mod normalise;
mod pack;
mod random;
#[cfg(feature = "cli")]
pub(crate) mod report;
mod walk;
mod windows;

pub use normalise::Normaliser;
pub use random::{EndingStats, RANDOM_STEP_CAP, RandomReport, random};
pub use walk::{explore, explore_on};

pub const DEFAULT_MAX_STATES: usize = 1_000_000;

/// One step of a path: a choice and, for a check, the forced outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathStep {
    pub choice: ChoiceId,
    pub outcome: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub states: usize,
    pub complete: bool,
    pub scenes_reached: Vec<bool>,
    pub choices_taken: Vec<bool>,
    /// For each ending reached, the shortest path to it.
    pub endings: HashMap<usize, Vec<PathStep>>,
    /// Scenes where a reachable state has no open choice, with the
    /// shortest path there.
    pub soft_locks: Vec<(SceneId, Vec<PathStep>)>,
    /// Distinct states visited in each scene.
    pub scene_states: Vec<u32>,
    /// Bytes held by the deduplication set at the end (its table, not the
    /// frontier or the parent links).
    pub dedup_bytes: usize,
    /// When cut off: where the unexplored states wait, and what tells them
    /// apart. Busiest scene first.
    pub frontier: Vec<Crowd>,
}

/// A scene with many states waiting in the frontier, and the parts of the
/// state that vary among them: what multiplies the state space there.
#[derive(Debug, Clone)]
pub struct Crowd {
    pub scene: SceneId,
    pub states: usize,
    /// Each part that takes more than one value, most values first.
    pub varying: Vec<Varying>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Varying {
    /// `credits`, `flag x`, `item x`, `dead x`, `once scene.key`, `visits(x)`.
    pub part: String,
    /// How many different values it takes among the crowd.
    pub values: usize,
    /// For a variable: how many of its values the story can still tell
    /// apart from this scene (`None`: all of them, it is kept exact).
    pub ahead: Option<usize>,
    pub variable: bool,
}

/// A path as a plan that `callister replay` accepts.
pub fn plan_for(
    story: &Story,
    steps: &[PathStep],
    from: Option<&str>,
    ending: Option<&str>,
) -> Plan {
    Plan {
        seed: 0,
        from: from.map(str::to_string),
        set: Vec::new(),
        choices: steps
            .iter()
            .map(|s| {
                let key = &story.choice(s.choice).key;
                match s.outcome {
                    Some(true) => format!("{key}:pass"),
                    Some(false) => format!("{key}:fail"),
                    None => key.clone(),
                }
            })
            .collect(),
        expect: crate::tools::plan::Expect {
            ending: ending.map(str::to_string),
            ..Default::default()
        },
    }
}
