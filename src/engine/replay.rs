//! Replaying a log of choices named by key: the one rule for which choice
//! a logged step takes, shared by loading a save (`play::save::replay`)
//! and by replay plans (`tools::plan`).
//!
//! A step takes the first open choice of the current scene with its key,
//! as the prompt does, and the replay stops at the first step that does
//! not fit, saying why. The two callers once had different fallbacks: a
//! save's step whose choice was closed fell back to the scene's choice of
//! that key, which the engine then refused; a plan's stopped at once. Both
//! stopped at that step with the game unchanged, so they differed only in
//! their words. What remains different is said by the data, not by a
//! policy: a save's step names the scene it was taken in (checked here), a
//! plan's does not; and each caller words a `Stop` in its own way.

use crate::engine::{ChooseError, RollMode, State};
use crate::story::{ChoiceId, SceneId, Story};

/// One logged step.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The scene the step was taken in, when the log says.
    pub scene: Option<&'a str>,
    /// The choice's key.
    pub key: &'a str,
    /// How its check, if it has one, is decided.
    pub mode: RollMode,
}

/// Why a replay stopped at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The step was taken in another scene than the one the game is in.
    Elsewhere { logged: String, here: SceneId },
    /// The scene has a choice with the key, but it is not open now.
    Closed { here: SceneId },
    /// The scene has no choice with the key.
    Missing { here: SceneId },
    /// The engine refused the choice.
    Refused { here: SceneId, error: ChooseError },
}

/// What a log is replayed into: a game with a current state that takes
/// choices (the tree of paths of a save, a session of a plan).
pub trait Player {
    fn story(&self) -> &Story;
    fn state(&self) -> &State;
    /// Called before step `index` (0-based) is replayed.
    fn before(&mut self, _index: usize) {}
    /// Takes an open choice of the current scene.
    fn take(&mut self, choice: ChoiceId, mode: RollMode) -> Result<(), ChooseError>;
}

/// Replays the entries in order from the player's current state. Stops at
/// the first that does not fit: its index (0-based) and why; the steps
/// before it stay taken.
pub fn replay<'a, P: Player + ?Sized>(
    player: &mut P,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Result<(), (usize, Stop)> {
    for (i, entry) in entries.into_iter().enumerate() {
        player.before(i);
        let choice = choice_for(player.story(), player.state(), &entry).map_err(|s| (i, s))?;
        let here = player.state().scene;
        player
            .take(choice, entry.mode)
            .map_err(|error| (i, Stop::Refused { here, error }))?;
    }
    Ok(())
}

/// The choice a step takes in `state`: the first open choice of the
/// current scene with the step's key.
pub fn choice_for(story: &Story, state: &State, entry: &Entry<'_>) -> Result<ChoiceId, Stop> {
    let here = state.scene;
    if let Some(logged) = entry.scene
        && story.scene(here).id != logged
    {
        return Err(Stop::Elsewhere {
            logged: logged.to_string(),
            here,
        });
    }
    // The key first, then whether the choice is open: the same first open
    // choice with the key, without asking every choice before it.
    let mut keyed = story
        .scene(here)
        .choices
        .iter()
        .copied()
        .filter(|&c| story.choice(c).key == entry.key)
        .peekable();
    if keyed.peek().is_none() {
        return Err(Stop::Missing { here });
    }
    keyed
        .find(|&c| state.is_open(story, c))
        .ok_or(Stop::Closed { here })
}
