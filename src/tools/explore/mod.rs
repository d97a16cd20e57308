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
//! breadth-first walk, its deduplication table and its memory budget),
//! `store` (what the walk keeps of every state: key, scene, edges), `traps`
//! (soft-locks, found backwards over the edges), `crowds` (where a cut-off
//! walk's states pile up, and the loop that feeds them), `random` (random
//! playthroughs) and `report` (what was found, as text, JSON and plans).
//! This file is the public API.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;

use crate::story::source::Span;
use crate::story::{ChoiceId, Condition, SceneId, Story};
use crate::tools::plan::Plan;

mod crowds;
mod liveness;
mod normalise;
mod pack;
mod probes;
mod random;
#[cfg(feature = "cli")]
pub(crate) mod report;
mod store;
mod table;
mod traps;
mod walk;
mod windows;

pub use liveness::strongly_connected;
pub use normalise::Normaliser;
pub use random::{EndingStats, RANDOM_STEP_CAP, RandomReport, Stuck, random};
pub use walk::{explore, explore_on, explore_with, explore_within};

/// The default bound of `callister graph --coverage` and of callers that
/// count states.
pub const DEFAULT_MAX_STATES: usize = 1_000_000;

/// The default memory budget of `callister explore`: 2 GiB, enough for the
/// shipped game's whole state space (about 1.2 GB at its largest) with room
/// for a story a little larger.
pub const DEFAULT_MAX_MEMORY: usize = 2 << 30;

/// How far a walk may go: past either bound it admits no new state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_states: Option<usize>,
    /// Bytes of what the walk keeps (its keys, edges, table and frontier),
    /// the analysis after it included.
    pub max_bytes: Option<usize>,
}

impl Limits {
    pub fn states(n: usize) -> Limits {
        Limits {
            max_states: Some(n),
            max_bytes: None,
        }
    }
}

/// Where a walk is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub states: usize,
    pub queued: usize,
    /// Bytes the walk holds.
    pub bytes: usize,
}

/// Why a walk stopped admitting states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// At `--max-states`.
    States(usize),
    /// At the memory budget, in bytes.
    Memory(usize),
}

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
    /// Why the walk was cut off, if it was.
    pub cut: Option<Cut>,
    pub scenes_reached: Vec<bool>,
    pub choices_taken: Vec<bool>,
    /// For each ending reached, the shortest path to it.
    pub endings: HashMap<usize, Vec<PathStep>>,
    /// Every region where a player can be caught with no ending reachable,
    /// first met first.
    pub soft_locks: Vec<SoftLock>,
    /// Scenes where some reachable state can reach no ending.
    pub trapped: Vec<bool>,
    /// Scenes where a reachable state has no open choice.
    pub dead_ends: Vec<bool>,
    /// Distinct states visited in each scene.
    pub scene_states: Vec<u32>,
    /// Bytes held by the deduplication table and the keys at the end.
    pub dedup_bytes: usize,
    /// The most bytes the walk and its analysis held (their own tables,
    /// not the story or the allocator's slack).
    pub peak_bytes: usize,
    /// When cut off: where the unexplored states wait, and what tells them
    /// apart. Busiest scene first.
    pub frontier: Vec<Crowd>,
    /// How many invariants and assumptions the walk checked in every state.
    pub rules: usize,
    /// Every invariant or assumption broken in a state the walk met, in
    /// the story's order (invariants first), each with the shortest path
    /// to a state that breaks it.
    pub violations: Vec<Violation>,
    /// With a witness asked for: the shortest path to a state where it
    /// holds, `None` if the walk met none.
    pub witness: Option<Option<Vec<PathStep>>>,
}

/// An invariant or an assumption that a reachable state breaks.
#[derive(Debug, Clone)]
pub struct Violation {
    /// What was broken.
    pub rule: Rule,
    pub when: Condition,
    /// Where the condition is written.
    pub span: Span,
    /// The scene of the first state that breaks it.
    pub scene: SceneId,
    /// The shortest path to that state.
    pub path: Vec<PathStep>,
}

/// What kind of condition a violation broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Invariant,
    /// An assumption of this scene's text (its `assume` or an `{assume}`).
    Assumption(SceneId),
}

impl Report {
    pub(crate) fn empty(story: &Story) -> Report {
        Report {
            states: 0,
            complete: true,
            cut: None,
            scenes_reached: vec![false; story.scenes.len()],
            choices_taken: vec![false; story.choices.len()],
            endings: HashMap::new(),
            soft_locks: Vec::new(),
            trapped: vec![false; story.scenes.len()],
            dead_ends: vec![false; story.scenes.len()],
            scene_states: vec![0; story.scenes.len()],
            dedup_bytes: 0,
            peak_bytes: 0,
            frontier: Vec::new(),
            rules: 0,
            violations: Vec::new(),
            witness: None,
        }
    }
}

/// A region of the state space a player can enter and never leave for an
/// ending: the scenes they are caught among, how they get there, and a
/// loop they go round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftLock {
    /// The scenes of the region, in the story's order.
    pub scenes: Vec<SceneId>,
    /// How many distinct states of the region the walk met.
    pub states: usize,
    /// The shortest path into the region.
    pub path: Vec<PathStep>,
    /// After how many steps of `path` no ending can be reached any more (0:
    /// from the start).
    pub no_return: usize,
    /// A loop the player is caught in, from the end of `path` back to the
    /// same state: each step with the scene it leaves. Empty for a dead end,
    /// where no choice is open.
    pub cycle: Vec<(SceneId, PathStep)>,
}

/// A scene with many states waiting in the frontier, and the parts of the
/// state that vary among them: what multiplies the state space there.
#[derive(Debug, Clone)]
pub struct Crowd {
    pub scene: SceneId,
    pub states: usize,
    /// Each part that takes more than one value, most values first.
    pub varying: Vec<Varying>,
    /// Loops through the scene that keep adding to its most varied
    /// variables: where the states come from.
    pub loops: Vec<GrowingLoop>,
}

/// A loop of the scene graph that adds to a variable each time round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrowingLoop {
    pub var: crate::story::VarId,
    /// What one time round adds.
    pub gain: i64,
    /// Each scene of the loop and the choice taken there, from the crowded
    /// scene back to it.
    pub steps: Vec<(SceneId, ChoiceId)>,
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
        story: None,
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
