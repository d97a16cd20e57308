//! Save files: readable RON holding the tree of paths and a snapshot by
//! name, written atomically, and loaded even after the story was edited.
//!
//! A save stores names, never indices, so that it means the same thing to a
//! later version of the story. Loading rebuilds the tree of paths by
//! replaying the saved steps from the seed; when the story changed, it maps
//! the snapshot by name and says what it dropped, or resumes at the last
//! step that still fits.
//!
//! Format 2 (this one) holds every step of the tree once, with the step it
//! follows, so a save grows with the steps taken and no more; it records
//! the dice rule, the playthrough it belongs to and the branches' numbers
//! and names. Format 1 held the current path and each branch as a whole
//! log, and rolled from one stream: it still loads, and keeps its dice.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rand::rngs::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::engine::history::{Step, Tree};
use crate::engine::replay::{Entry, Player, Stop};
use crate::engine::{self, ChooseError, Dice, RollMode, State};
use crate::story::{ChoiceId, SceneId, Story};

/// The save format this build writes; it reads this and every older one.
pub const FORMAT_VERSION: u32 = 2;
/// The one size limit of a save, the profile and the autosave's journal:
/// a file larger than this is never written (the game says so and goes on)
/// and is refused as corrupt rather than parsed.
pub const MAX_SAVE_BYTES: u64 = 64 * 1024 * 1024;
pub const AUTOSAVE: &str = "autosave";
pub const QUICKSAVE: &str = "quick";

/// A save, in format 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Save")]
pub struct SaveFile {
    pub version: u32,
    pub story: String,
    pub fingerprint: String,
    /// Which playthrough this is: a number drawn when a new game begins and
    /// kept in every save of it, so that a load can tell the same game from
    /// another.
    pub playthrough: u64,
    pub seed: u64,
    /// How the game's checks roll.
    pub dice: Dice,
    /// The scene the game began in (the story's start, or `--from`).
    pub start: String,
    /// Seconds since the Unix epoch.
    pub saved_at: u64,
    /// Seconds of play, across sessions.
    pub played_secs: u64,
    /// Every step of the tree of paths, once each, in the order first
    /// taken. A step's `from` is the node it was taken from: 0 for the
    /// start, `n` for the `n`th step of this list.
    pub steps: Vec<SavedStep>,
    /// Where the game is: 0 for the start, `n` for the `n`th step.
    pub at: usize,
    /// The number of each branch, by the step it ends at, and its name.
    #[serde(default)]
    pub branches: Vec<BranchMark>,
    /// The number the next new branch takes.
    pub next_branch: u32,
    pub snapshot: Snapshot,
    /// The state the game began in, when it was not the story's own: a
    /// game begun with `--set` presets. Replaying the steps starts from
    /// it (mapped by name, like the snapshot). Absent otherwise, so that
    /// such saves read as they always did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<Snapshot>,
    /// For the autosave: which journal continues this file (see
    /// `play::journal`); 0 for a slot.
    #[serde(default)]
    pub journal: u64,
    /// What a journal read after this file added (not in the file).
    #[serde(skip)]
    pub journalled: Option<Journalled>,
}

/// One step of the tree of paths in a save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Step")]
pub struct SavedStep {
    /// The node it was taken from: 0 the start, `n` the `n`th step.
    pub from: usize,
    pub scene: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
}

/// A branch's number and name, by the node it ends at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Branch")]
pub struct BranchMark {
    pub number: u32,
    /// The node the branch ends at: 0 the start, `n` the `n`th step.
    pub end: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What the autosave's journal added to its last full save: the snapshot
/// then describes node `snapshot_at`, not `at`, and the steps from
/// `snapshot_steps` on came from the journal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Journalled {
    pub snapshot_at: usize,
    pub snapshot_steps: usize,
    /// Where the game is after the journal, for the saves table.
    pub scene: String,
    pub turn: u32,
    /// Set when the journal's last line was cut short (a kill while it was
    /// written): that step is not in the save.
    pub torn: bool,
    /// The branch names, when the journal changed them.
    pub names: Option<BTreeMap<u32, String>>,
}

/// The state when saved, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Snapshot")]
pub struct Snapshot {
    pub scene: String,
    pub turn: u32,
    pub vars: BTreeMap<String, i64>,
    pub flags: Vec<String>,
    pub items: Vec<String>,
    pub dead: Vec<String>,
    pub visits: BTreeMap<String, u32>,
    /// `once` choices taken, as `scene/key`.
    pub used: Vec<String>,
    /// The scenes the tunnels entered come back to, innermost last (from
    /// format 2 on).
    #[serde(default)]
    pub stack: Vec<String>,
    /// The roll stream, for a game that rolls by [`Dice::Stream`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rng: Option<Xoshiro256PlusPlus>,
}

/// A save in format 1, as it was written: the current path as a log, every
/// other path as a whole log from the start, and rolls from one stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Save")]
pub struct SaveV1 {
    pub version: u32,
    pub story: String,
    pub fingerprint: String,
    pub seed: u64,
    pub start: String,
    pub saved_at: u64,
    pub played_secs: u64,
    /// The choices taken, from the start to the current scene.
    pub log: Vec<Step>,
    /// Every other path explored: each a log from the start.
    #[serde(default)]
    pub branches: Vec<Vec<Step>>,
    pub snapshot: Snapshot,
}

#[derive(Debug)]
#[non_exhaustive]
pub enum SaveError {
    BadSlot(String),
    /// A name the system or the game keeps for itself.
    Reserved(String),
    /// `save autosave`: the game's own slot.
    AutosaveSlot,
    NotFound(String),
    Io(PathBuf, std::io::Error),
    Corrupt(PathBuf, String),
    Newer(PathBuf, u32),
    OtherStory(PathBuf, String),
    /// Nothing of the save fits the story any more.
    Unplayable(PathBuf, String),
    /// The value would not serialise: nothing was written.
    Unserialisable(PathBuf, String),
    /// The save would be larger than [`MAX_SAVE_BYTES`]: nothing was written.
    TooLarge(PathBuf, u64),
    /// The slot holds a file that is not a readable save: it is never
    /// written over.
    Unreadable(PathBuf, Box<SaveError>),
    /// No saves directory was given and there is no home directory to
    /// find the platform's data directory in.
    NoSavesDir,
}

impl std::fmt::Display for SaveError {
    /// A save can come from anywhere: what it names is shown with its
    /// control characters made visible.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = String::new();
        self.describe(&mut text)?;
        f.write_str(&crate::story::diagnostic::visible(&text))
    }
}

impl SaveError {
    fn describe(&self, f: &mut String) -> std::fmt::Result {
        use std::fmt::Write as _;
        match self {
            SaveError::BadSlot(s) => write!(
                f,
                "`{s}` is not a slot name: use 1 to 64 letters, digits, `-` and `_`"
            ),
            SaveError::Reserved(s) => write!(
                f,
                "`{s}` is a reserved name (systems keep it for a device, or the game for its own file): choose another"
            ),
            SaveError::AutosaveSlot => f.write_str(
                "`autosave` is the game's own slot, written after every step: save under another name",
            ),
            SaveError::NotFound(s) => write!(f, "there is no save in slot `{s}`"),
            SaveError::Io(p, e) => write!(f, "cannot use `{}`: {}", p.display(), io_reason(e)),
            SaveError::Corrupt(p, why) => write!(
                f,
                "`{}` is not a readable save ({why}); it was left untouched",
                p.display()
            ),
            SaveError::Newer(p, v) => write!(
                f,
                "`{}` was written by a newer Callister (save format {v}, this one reads up to {FORMAT_VERSION}); it was left untouched",
                p.display()
            ),
            SaveError::OtherStory(p, title) => write!(
                f,
                "`{}` is a save of another story, “{title}”; it was left untouched",
                p.display()
            ),
            SaveError::Unplayable(p, why) => {
                write!(f, "`{}` cannot be resumed: {why}", p.display())
            }
            SaveError::Unserialisable(p, why) => write!(
                f,
                "cannot write `{}`: {why}; the file on disk was left untouched",
                p.display()
            ),
            SaveError::TooLarge(p, bytes) => write!(
                f,
                "`{}` would be {:.1} MiB, over the {} MiB a save may be; nothing was written",
                p.display(),
                *bytes as f64 / (1024.0 * 1024.0),
                MAX_SAVE_BYTES / (1024 * 1024)
            ),
            SaveError::Unreadable(p, why) => write!(
                f,
                "`{}` holds a file that is not a readable save, and it is never written over ({why}): save under another name, or `delete` it first",
                p.display()
            ),
            SaveError::NoSavesDir => {
                let why = if cfg!(windows) {
                    ""
                } else {
                    " (`HOME` is not set)"
                };
                write!(
                    f,
                    "there is no home directory to keep saves in{why}: \
                     give `--saves DIR` or set `CALLISTER_SAVES`"
                )
            }
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "it does not exist".into(),
        K::PermissionDenied => "permission denied".into(),
        K::StorageFull => "the disk is full".into(),
        K::ReadOnlyFilesystem => "the file system is read-only".into(),
        K::FileTooLarge => "the file is larger than the system allows".into(),
        _ => e.to_string(),
    }
}

/// Checks a slot name: letters, digits, `-`, `_`, 1 to 64 of them, and not
/// a name kept for something else.
pub fn check_slot(slot: &str) -> Result<(), SaveError> {
    let ok = !slot.is_empty()
        && slot.len() <= 64
        && slot
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        Err(SaveError::BadSlot(slot.chars().take(80).collect()))
    } else if is_reserved(slot) {
        Err(SaveError::Reserved(slot.to_string()))
    } else {
        Ok(())
    }
}

/// Checks a slot the player names to save into: a slot name, and not the
/// autosave's.
pub fn check_save_slot(slot: &str) -> Result<(), SaveError> {
    check_slot(slot)?;
    if slot.eq_ignore_ascii_case(AUTOSAVE) {
        return Err(SaveError::AutosaveSlot);
    }
    Ok(())
}

/// Names some systems reserve for devices, and the profile's own name.
fn is_reserved(slot: &str) -> bool {
    let lower = slot.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "con" | "prn" | "aux" | "nul" | "profile" | "history"
    ) || (lower.len() == 4
        && (lower.starts_with("com") || lower.starts_with("lpt"))
        && lower.as_bytes()[3].is_ascii_digit())
}

/// What loading a save did besides restoring the game.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LoadReport {
    /// Sentences for the player: what was dropped or where play resumed.
    pub notes: Vec<String>,
}

impl SaveFile {
    /// Captures a session's tree (every branch and where you are) and
    /// state.
    pub fn capture(
        story: &Story,
        tree: &Tree,
        start: SceneId,
        saved_at: u64,
        played_secs: u64,
    ) -> SaveFile {
        let state = tree.state();
        SaveFile {
            version: FORMAT_VERSION,
            story: story.title.clone(),
            fingerprint: story.fingerprint.clone(),
            playthrough: tree.playthrough,
            seed: state.seed,
            dice: tree.root().dice,
            start: story.scene(start).id.clone(),
            saved_at,
            played_secs,
            steps: saved_steps(tree, 1),
            at: tree.current(),
            branches: branch_marks(tree),
            next_branch: tree.next_branch,
            snapshot: Snapshot::of(story, state),
            root: preset_root(story, tree.root()),
            journal: 0,
            journalled: None,
        }
    }

    /// The scene and turn the save resumes at (after its journal, if any).
    pub fn position(&self) -> (&str, u32) {
        match &self.journalled {
            Some(j) => (&j.scene, j.turn),
            None => (&self.snapshot.scene, self.snapshot.turn),
        }
    }

    /// The save as RON text. An error rather than an empty text, so that a
    /// save that does not serialise is never written over a good one.
    pub fn to_ron(&self) -> Result<String, ron::Error> {
        let config = ron::ser::PrettyConfig::new()
            .depth_limit(2)
            .struct_names(true)
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        ron::ser::to_string_pretty(self, config)
    }

    /// Parses a save's text, of this format or an older one. `path` is for
    /// messages only.
    pub fn parse(text: &str, path: &Path) -> Result<SaveFile, SaveError> {
        let corrupt = |e: ron::error::SpannedError| {
            SaveError::Corrupt(
                path.to_path_buf(),
                format!(
                    "line {}, column {}: {}",
                    e.span.start.line, e.span.start.col, e.code
                ),
            )
        };
        let save = match fast_parse(text)
            .map_or_else(|| ron_options().from_str::<SaveFile>(text), Ok)
        {
            // A newer format that happens to read as this one is newer all
            // the same.
            Ok(save) if save.version > FORMAT_VERSION => {
                return Err(SaveError::Newer(path.to_path_buf(), save.version));
            }
            Ok(save) if save.version == FORMAT_VERSION => save,
            Ok(save) => {
                return Err(SaveError::Corrupt(
                    path.to_path_buf(),
                    format!(
                        "it says it is of save format {}, but is written as format {FORMAT_VERSION}",
                        save.version
                    ),
                ));
            }
            // Only a document that does not read is read again, for its
            // version alone: an older format is read as such, and a newer
            // one named as newer rather than as corrupt.
            Err(e) => match version_of(text) {
                Some(1) => ron_options()
                    .from_str::<SaveV1>(text)
                    .map_err(corrupt)?
                    .upgrade(),
                Some(v) if v > FORMAT_VERSION => {
                    return Err(SaveError::Newer(path.to_path_buf(), v));
                }
                _ => return Err(corrupt(e)),
            },
        };
        save.check()
            .map_err(|why| SaveError::Corrupt(path.to_path_buf(), why))?;
        Ok(save)
    }

    /// The tree's references point backwards and inside the save.
    fn check(&self) -> Result<(), String> {
        for (i, s) in self.steps.iter().enumerate() {
            if s.from > i {
                return Err(format!(
                    "step {} follows step {}, which comes after it",
                    i + 1,
                    s.from
                ));
            }
        }
        let nodes = self.steps.len();
        if self.at > nodes {
            return Err(format!("it resumes at step {}, of {nodes}", self.at));
        }
        if let Some(b) = self.branches.iter().find(|b| b.end > nodes) {
            return Err(format!(
                "branch {} ends at step {}, of {nodes}",
                b.number, b.end
            ));
        }
        Ok(())
    }

    /// Rebuilds the game this save holds, against `story` (possibly edited).
    pub fn restore(
        &self,
        story: &Story,
        path: &Path,
    ) -> Result<(Tree, SceneId, LoadReport), SaveError> {
        if self.story != story.title {
            return Err(SaveError::OtherStory(
                path.to_path_buf(),
                self.story.clone(),
            ));
        }
        let mut report = LoadReport::default();
        let found = story.scene_by_id(&self.start);
        let start = found.unwrap_or(story.start);
        if found.is_none() {
            report.notes.push(format!(
                "The scene this game began in (`{}`) is gone; its steps are replayed from the story's start.",
                self.start
            ));
        }
        if self.journalled.as_ref().is_some_and(|j| j.torn) {
            report.notes.push(
                "The last step of the autosave was cut short when it was written (the game was stopped mid-save); it resumes one step earlier."
                    .to_string(),
            );
        }
        let mut root = State::at(story, self.seed, start);
        if let Some(preset) = &self.root {
            match preset.restore(story) {
                Ok((began, dropped)) => {
                    // What was preset; where, when and how it rolls are
                    // the game's, as for any start.
                    root = State {
                        scene: root.scene,
                        turn: root.turn,
                        seed: root.seed,
                        rng: root.rng,
                        ..began
                    };
                    report.notes.extend(
                        dropped
                            .into_iter()
                            .map(|d| format!("Of the state this game began in: {d}")),
                    );
                }
                Err(why) => report.notes.push(format!(
                    "The state this game began in (set with `--set`) does not fit the story any more ({why}); its steps are replayed from the story's own start."
                )),
            }
        }
        root.dice = self.dice;
        let mut tree = Tree::new(root);
        tree.nodes.reserve(self.steps.len());
        tree.playthrough = self.playthrough;
        let (snapshot_steps, snapshot_at) = match &self.journalled {
            Some(j) => (j.snapshot_steps, j.snapshot_at),
            None => (self.steps.len(), self.at),
        };
        // Each saved node's place in the rebuilt tree, `None` once a step
        // (or one before it) no longer fits the story.
        let mut placed: Vec<Option<usize>> = vec![Some(0); 1];
        let mut stops: Vec<Option<String>> = vec![None; 1];
        let mut dropped = 0usize;
        for (i, s) in self.steps.iter().enumerate() {
            if i == snapshot_steps {
                number(&mut tree, &placed, &self.branches, self.next_branch);
            }
            let (node, stop) = match placed[s.from] {
                Some(from) => {
                    tree.jump(story, from);
                    match replay_with(story, &mut tree, 1, |_| {
                        entry(&s.scene, &s.key, s.roll, s.success)
                    }) {
                        Ok(()) => (Some(tree.current()), None),
                        Err(why) => (
                            None,
                            Some(why.replacen("step 1", &format!("step {}", i + 1), 1)),
                        ),
                    }
                }
                None => (None, stops[s.from].clone()),
            };
            if node.is_none() {
                dropped += 1;
            }
            placed.push(node);
            stops.push(stop);
        }
        if self.steps.len() == snapshot_steps {
            number(&mut tree, &placed, &self.branches, self.next_branch);
        }
        if let Some(names) = self.journalled.as_ref().and_then(|j| j.names.as_ref()) {
            tree.names.clear();
            for (&b, name) in names {
                if tree.end_of(b).is_some() {
                    let _ = tree.name(b, Some(name));
                }
            }
        }
        // Where play resumes: the saved node, or the last of its steps that
        // still fits.
        let mut resume = self.at;
        while placed[resume].is_none() {
            resume = self.steps[resume - 1].from;
        }
        tree.jump(story, placed[resume].unwrap_or(0));
        let path_dropped = self.path_len(self.at) - self.path_len(resume);
        if dropped > path_dropped {
            report.notes.push(format!(
                "The story changed since this save: {} of other branches no longer fit it and were dropped.",
                plural_steps(dropped - path_dropped)
            ));
        }
        let replayed = match stops[self.at].clone() {
            Some(stop) => Err(stop),
            None => Ok(()),
        };
        let unchanged = self.fingerprint == story.fingerprint;
        // The snapshot describes the saved node only when no journal moved
        // the game on after it.
        let snapshot_here = snapshot_at == self.at;
        if unchanged
            && replayed.is_ok()
            && (!snapshot_here || story.scene(tree.state().scene).id == self.snapshot.scene)
        {
            // The same story, replayed to the scene the snapshot names: the
            // replayed state stands, and mapping the snapshot (which fails
            // only when its scene is gone) would change nothing. On a large
            // story that mapping is most of the cost of a load.
            return Ok((tree, start, report));
        }
        let mapped = if snapshot_here {
            Snapshot::restore(&self.snapshot, story).map(|(mut state, dropped)| {
                state.seed = self.seed;
                state.dice = self.dice;
                // A game that rolls by position keeps the stream it began
                // with, unused.
                if self.snapshot.rng.is_none() {
                    state.rng = <Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(self.seed);
                }
                (state, dropped)
            })
        } else {
            Err("the autosave's last steps came after its snapshot".to_string())
        };
        match (replayed, mapped) {
            (Ok(()), Ok((state, dropped))) => {
                if !unchanged {
                    report.notes.extend(dropped);
                    // The player's state as saved, mapped onto the new story.
                    let current = tree.current();
                    tree.set_state(current, state);
                }
            }
            (Err(stop), Ok((state, dropped))) => {
                report.notes.push(format!(
                    "The story changed since this save: the steps before it could not all be replayed ({stop}), so `undo` starts from here."
                ));
                report.notes.extend(dropped);
                let playthrough = tree.playthrough;
                tree = Tree::new(state);
                tree.playthrough = playthrough;
            }
            (Err(stop), Err(why)) => {
                let at = tree.depth();
                let title = story.scene(tree.state().scene).title.clone();
                if at == 0 && self.at == 0 {
                    return Err(SaveError::Unplayable(path.to_path_buf(), why));
                }
                report.notes.push(format!(
                    "The story changed since this save: {why}. Replayed {at} of {} steps; resuming at “{title}” ({stop}).",
                    self.path_len(self.at)
                ));
            }
            (Ok(()), Err(why)) => {
                // The steps replay but the snapshot does not map: the replay
                // is the truest state we have.
                report.notes.push(format!(
                    "The story changed since this save: {why}; the game was rebuilt from its steps."
                ));
            }
        }
        Ok((tree, start, report))
    }

    /// How many steps lead from the start to saved node `node`.
    fn path_len(&self, mut node: usize) -> usize {
        let mut n = 0;
        while node > 0 {
            node = self.steps[node - 1].from;
            n += 1;
        }
        n
    }
}

/// The state a game began in, by name, when it is not what the story
/// begins with at that scene (presets, `--set`); `None` when it is.
fn preset_root(story: &Story, root: &State) -> Option<Snapshot> {
    let mut plain = State::at(story, root.seed, root.scene);
    plain.dice = root.dice;
    plain.rng = root.rng.clone();
    (plain != *root).then(|| Snapshot::of(story, root))
}

/// Gives the rebuilt tree the save's branch numbers and names, for the
/// saved nodes placed so far.
fn number(tree: &mut Tree, placed: &[Option<usize>], marks: &[BranchMark], next: u32) {
    let ends: Vec<(usize, u32)> = marks
        .iter()
        .filter_map(|m| placed.get(m.end).copied().flatten().map(|n| (n, m.number)))
        .filter(|&(n, _)| tree.nodes[n].children.is_empty())
        .collect();
    tree.renumber(&ends, next);
    for m in marks {
        if let Some(name) = &m.name
            && ends.iter().any(|e| e.1 == m.number)
        {
            let _ = tree.name(m.number, Some(name));
        }
    }
}

fn plural_steps(n: usize) -> String {
    if n == 1 {
        "1 step".to_string()
    } else {
        format!("{n} steps")
    }
}

/// The steps of the tree from node `first` on, as a save holds them.
pub fn saved_steps(tree: &Tree, first: usize) -> Vec<SavedStep> {
    tree.nodes[first.min(tree.nodes.len())..]
        .iter()
        .filter_map(|n| {
            let step = n.step.as_ref()?;
            Some(SavedStep {
                from: n.parent?,
                scene: step.scene.clone(),
                key: step.key.clone(),
                roll: step.roll,
                success: step.success,
            })
        })
        .collect()
}

/// Every branch's number and name, by the node it ends at.
pub fn branch_marks(tree: &Tree) -> Vec<BranchMark> {
    tree.branches()
        .into_iter()
        .map(|(number, end)| BranchMark {
            number,
            end,
            name: tree.names.get(&number).cloned(),
        })
        .collect()
}

impl SaveV1 {
    /// The same game in format 2: the logs folded into one tree, in the
    /// order format 1 replayed them (the branches first, the current path
    /// last), with its stream dice, and a playthrough number made from its
    /// seed and start, so that loading the same old save twice is the same
    /// playthrough.
    pub fn upgrade(self) -> SaveFile {
        let mut steps: Vec<SavedStep> = Vec::new();
        let mut children: HashMap<(usize, Step), usize> = HashMap::new();
        let mut at = 0;
        for log in self.branches.iter().chain(std::iter::once(&self.log)) {
            let mut node = 0;
            for step in log {
                node = *children.entry((node, step.clone())).or_insert_with(|| {
                    steps.push(SavedStep {
                        from: node,
                        scene: step.scene.clone(),
                        key: step.key.clone(),
                        roll: step.roll,
                        success: step.success,
                    });
                    steps.len()
                });
            }
            at = node;
        }
        let playthrough = {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(b"callister save format 1\xff");
            h.update(&self.seed.to_le_bytes());
            h.update(self.start.as_bytes());
            h.digest()
        };
        SaveFile {
            version: FORMAT_VERSION,
            story: self.story,
            fingerprint: self.fingerprint,
            playthrough,
            seed: self.seed,
            dice: Dice::Stream,
            start: self.start,
            saved_at: self.saved_at,
            played_secs: self.played_secs,
            steps,
            at,
            // Replaying gives the branches numbers in the order they were
            // explored, as format 1 listed them.
            branches: Vec::new(),
            next_branch: 2,
            snapshot: self.snapshot,
            root: None,
            journal: 0,
            journalled: None,
        }
    }
}

/// A save as the game writes it, read with its two long lists, the steps
/// and the snapshot's visit counts, taken by hand rather than by RON: they
/// are most of a long game's save, and RON reads a struct of named fields
/// at about half a microsecond and a map's entry at a quarter. Each line of
/// the `steps` list must be exactly what the game writes
/// (`Step(from: 3, scene: "flats", key: "run", roll: 37, success: true),`)
/// and the visits one line of `"name": count` entries, names without
/// escapes; the rest of the document, with empty lists in their place, is
/// read by RON as usual. `None` for anything else (a hand-edited list, an
/// escape before the lists, another format, a document that does not
/// read), which is then read by RON whole, errors and all: this is a
/// shortcut to the same result, never a second reading of the format.
fn fast_parse(text: &str) -> Option<SaveFile> {
    // Where the game puts them, outside any string: no escape before them,
    // so the quotes before each pair up.
    let outside = |at: usize| {
        let before = &text[..at];
        !before.contains('\\') && before.bytes().filter(|&b| b == b'"').count() % 2 == 0
    };
    const STEPS: &str = "\n    steps: [\n";
    let open = text.find(STEPS)? + STEPS.len() - 2;
    // `[` and its line break, the lines, then the line break before `]`.
    let end = open + text[open..].find("\n    ],\n")?;
    let lines = text.get(open + 2..end).unwrap_or_default();
    let close = end + "\n    ]".len();
    let mut steps = Vec::with_capacity(lines.len() / 48);
    for line in lines.split('\n').filter(|l| !l.is_empty()) {
        steps.push(fast_step(line)?);
    }
    const VISITS: &str = "\n        visits: {";
    let from = close + text[close..].find(VISITS)? + VISITS.len() - 1;
    let to = from + text[from..].find("},\n")? + 1;
    let visits = fast_visits(&text[from + 1..to - 1])?;
    if !outside(open) || !outside(from) {
        return None;
    }
    let mut rest = String::with_capacity(text.len() - (close - open) - (to - from) + 4);
    rest.push_str(&text[..open]);
    rest.push_str("[]");
    rest.push_str(&text[close..from]);
    rest.push_str("{}");
    rest.push_str(&text[to..]);
    let mut save = ron_options().from_str::<SaveFile>(&rest).ok()?;
    if !save.steps.is_empty() || !save.snapshot.visits.is_empty() {
        return None;
    }
    save.steps = steps;
    save.snapshot.visits = visits;
    Some(save)
}

/// The entries of a snapshot's `visits` as the game writes them:
/// `"name": 2, "other": 1`.
fn fast_visits(entries: &str) -> Option<BTreeMap<String, u32>> {
    let mut visits: Vec<(String, u32)> = Vec::new();
    if !entries.is_empty() {
        for entry in entries.split(", ") {
            let (name, count) = entry.strip_prefix('"')?.split_once('"')?;
            // In the order the game writes them, each name once.
            if name.contains('\\') || visits.last().is_some_and(|(last, _)| last.as_str() >= name) {
                return None;
            }
            visits.push((name.to_string(), digits(count.strip_prefix(": ")?)?));
        }
    }
    // Sorted already: built in one pass.
    Some(visits.into_iter().collect())
}

/// A number written in decimal digits alone, as the game writes one.
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| s.parse().ok()).flatten()
}

/// One line of a save's `steps` list, exactly as the game writes it.
fn fast_step(line: &str) -> Option<SavedStep> {
    // A name runs to the next quote, and holds no escape.
    fn name(s: &str) -> Option<(&str, &str)> {
        let end = s.find('"')?;
        (!s[..end].contains('\\')).then(|| (&s[..end], &s[end + 1..]))
    }
    let inner = line
        .strip_prefix("        Step(from: ")?
        .strip_suffix("),")?;
    let comma = inner.find(',')?;
    let from = digits(&inner[..comma])?;
    let (scene, rest) = name(inner[comma..].strip_prefix(", scene: \"")?)?;
    let (key, mut rest) = name(rest.strip_prefix(", key: \"")?)?;
    let mut roll = None;
    if let Some(r) = rest.strip_prefix(", roll: ") {
        let end = r.find(',').unwrap_or(r.len());
        roll = Some(digits(&r[..end])?);
        rest = &r[end..];
    }
    let success = match rest {
        "" => None,
        ", success: true" => Some(true),
        ", success: false" => Some(false),
        _ => return None,
    };
    Some(SavedStep {
        from,
        scene: scene.to_string(),
        key: key.to_string(),
        roll,
        success,
    })
}

fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(64)
}

/// The version a save says it is of, read from its `version` field alone
/// (every other field ignored), or `None` when even that does not read.
fn version_of(text: &str) -> Option<u32> {
    #[derive(Deserialize)]
    #[serde(rename = "Save")]
    struct VersionOnly {
        version: u32,
    }
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(64)
        .from_str::<IgnoringRest<VersionOnly>>(text)
        .ok()
        .map(|v| v.0.version)
}

/// Deserialises a struct's known fields and ignores the rest.
struct IgnoringRest<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for IgnoringRest<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(IgnoringRest)
    }
}

/// Replays logged steps from the tree's current node. Stops at the first step
/// that no longer fits the story, saying why; the steps before it stay in
/// the tree. The rule for which choice a step takes is `engine::replay`'s.
pub fn replay(story: &Story, tree: &mut Tree, log: &[Step]) -> Result<(), String> {
    replay_with(story, tree, log.len(), |i| {
        let s = &log[i];
        entry(&s.scene, &s.key, s.roll, s.success)
    })
}

/// A logged step as the engine's replay reads it.
fn entry<'a>(scene: &'a str, key: &'a str, roll: Option<i64>, success: Option<bool>) -> Entry<'a> {
    Entry {
        scene: Some(scene),
        key,
        mode: engine::history::replay_mode(roll, success),
    }
}

/// [`replay`] of `n` steps, the `i`th read by `at(i)`: a save's steps are
/// replayed from where they lie, with no copy of their names.
fn replay_with<'a>(
    story: &Story,
    tree: &mut Tree,
    n: usize,
    at: impl Fn(usize) -> Entry<'a>,
) -> Result<(), String> {
    engine::replay::replay(&mut IntoTree { story, tree }, (0..n).map(&at)).map_err(|(i, stop)| {
        let n = i + 1;
        let key = at(i).key;
        match stop {
            Stop::Elsewhere { logged, here } => format!(
                "step {n} was taken in `{logged}`, but the game is in `{}`",
                story.scene(here).id
            ),
            Stop::Missing { here } => format!(
                "step {n}: scene `{}` has no choice `{key}` any more",
                story.scene(here).id
            ),
            Stop::Closed { here } => format!(
                "step {n}: choice `{key}` in `{}`: {}",
                story.scene(here).id,
                ChooseError::NotAvailable
            ),
            Stop::Refused { here, error } => format!(
                "step {n}: choice `{key}` in `{}`: {error}",
                story.scene(here).id
            ),
        }
    })
}

/// A log replayed into the tree of paths: each step a node, its roll as the
/// engine made it.
struct IntoTree<'a> {
    story: &'a Story,
    tree: &'a mut Tree,
}

impl Player for IntoTree<'_> {
    fn story(&self) -> &Story {
        self.story
    }

    fn state(&self) -> &State {
        self.tree.state()
    }

    fn take(&mut self, choice: ChoiceId, mode: RollMode) -> Result<(), ChooseError> {
        self.tree.advance(self.story, choice, mode).map(|_| ())
    }
}

impl Snapshot {
    pub fn of(story: &Story, state: &State) -> Snapshot {
        Snapshot {
            scene: story.scene(state.scene).id.clone(),
            turn: state.turn,
            vars: story
                .variables
                .iter()
                .zip(&state.vars)
                .map(|(v, &x)| (v.id.clone(), x))
                .collect(),
            flags: state
                .flags
                .iter()
                .map(|i| story.flags[i].id.clone())
                .collect(),
            items: state
                .items
                .iter()
                .map(|i| story.items[i].id.clone())
                .collect(),
            dead: state
                .dead
                .iter()
                .map(|i| story.crew[i].id.clone())
                .collect(),
            visits: state
                .visits
                .iter()
                .map(|(s, n)| (story.scene(s).id.clone(), n))
                .collect(),
            used: state
                .used
                .iter()
                .map(|i| {
                    let c = story.choice(i);
                    format!("{}/{}", story.scene(c.scene).id, c.key)
                })
                .collect(),
            stack: state
                .stack
                .iter()
                .map(|&s| story.scene(s).id.clone())
                .collect(),
            rng: (state.dice == Dice::Stream).then(|| state.rng.clone()),
        }
    }

    /// Maps the snapshot onto a story by name. Fails when its scene is gone;
    /// otherwise returns the state and a sentence for each thing dropped.
    pub fn restore(&self, story: &Story) -> Result<(State, Vec<String>), String> {
        // Each name is looked up in the story's index (`Story::lookup`),
        // so the cost is the snapshot's, not the story's.
        let Some(scene) = story.scene_by_id(&self.scene) else {
            return Err(format!(
                "the scene it was saved in (`{}`) no longer exists",
                self.scene
            ));
        };
        let mut state = State {
            scene,
            vars: story.variables.iter().map(|v| v.initial).collect(),
            flags: crate::engine::BitSet::with_len(story.flags.len()),
            items: crate::engine::BitSet::with_len(story.items.len()),
            dead: crate::engine::BitSet::with_len(story.crew.len()),
            visits: crate::engine::Visits::default(),
            used: crate::engine::Taken::default(),
            stack: Vec::new(),
            turn: self.turn,
            seed: 0,
            dice: Dice::Position,
            rng: self
                .rng
                .clone()
                .unwrap_or_else(|| <Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(0)),
        };
        let mut dropped = Vec::new();
        let mut gone = |kind: &str, names: Vec<&str>| {
            if !names.is_empty() {
                let list = names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                dropped.push(format!(
                    "Dropped {kind} that the story no longer has: {list}."
                ));
            }
        };
        let mut missing = Vec::new();
        for (name, &value) in &self.vars {
            match story.var_by_id(name) {
                Some(v) => state.set_var(story, v, value),
                None => missing.push(name.as_str()),
            }
        }
        gone("variables", missing);
        let mut missing = Vec::new();
        for name in &self.flags {
            match story.flag_by_id(name) {
                Some(f) => state.flags.set(f.index(), true),
                None => missing.push(name.as_str()),
            }
        }
        gone("flags", missing);
        let mut missing = Vec::new();
        for name in &self.items {
            match story.item_by_id(name) {
                Some(i) => state.items.set(i.index(), true),
                None => missing.push(name.as_str()),
            }
        }
        gone("items", missing);
        let mut missing = Vec::new();
        for name in &self.dead {
            match story.crew_by_id(name) {
                Some(c) => state.dead.set(c.index(), true),
                None => missing.push(name.as_str()),
            }
        }
        gone("crew members", missing);
        // Gathered and sorted once: setting each in turn would move the
        // list's tail at every insert (names sort otherwise than ids).
        state.visits = crate::engine::Visits::from_counts(
            self.visits
                .iter()
                .filter_map(|(name, &n)| Some((story.scene_by_id(name)?, n)))
                .collect(),
        );
        for used in &self.used {
            if let Some((scene, key)) = used.split_once('/')
                && let Some(s) = story.scene_by_id(scene)
                && let Some(c) = story.choice_by_key(s, key)
            {
                state.used.set(c, true);
            }
        }
        // The way back from each tunnel entered, by name: one whose scene
        // is gone is dropped (its `return` then goes to the next one out).
        let mut missing = Vec::new();
        for name in &self.stack {
            match story.scene_by_id(name) {
                Some(s) if state.stack.len() < crate::story::MAX_TUNNEL_DEPTH => {
                    state.stack.push(s);
                }
                Some(_) | None => missing.push(name.as_str()),
            }
        }
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            dropped.push(format!(
                "Dropped the way back from a tunnel to scenes the story no longer has: {list}."
            ));
        }
        Ok((state, dropped))
    }
}

/// A saves directory.
#[derive(Debug, Clone)]
pub struct SaveDir {
    pub dir: PathBuf,
}

/// A row of the `saves` table.
#[derive(Debug, Clone)]
pub struct SaveInfo {
    pub slot: String,
    pub story: String,
    pub playthrough: u64,
    pub scene: String,
    pub turn: u32,
    pub saved_at: u64,
    /// The save says it was made later than now (a clock set wrong, a save
    /// copied from another machine): it is ordered by when its file was
    /// last written instead, and the table says so.
    pub future: bool,
    /// When the save counts as made, for ordering: `saved_at`, or for a
    /// save stamped in the future the time its file was written (never
    /// later than now).
    pub order: u64,
}

/// Temporary files of an interrupted write older than this are removed
/// when a game starts.
pub const STALE_TEMPORARY_SECS: u64 = 5 * 60;

impl SaveDir {
    /// The saves directory: `--saves DIR`, else `CALLISTER_SAVES`, else
    /// `saves` in the platform's data directory. Never the current
    /// directory: without a home directory it is an error, not a guess.
    pub fn resolve(flag: Option<&Path>) -> Result<SaveDir, SaveError> {
        if let Some(dir) = flag {
            return Ok(SaveDir {
                dir: dir.to_path_buf(),
            });
        }
        if let Some(dir) = std::env::var_os("CALLISTER_SAVES").filter(|d| !d.is_empty()) {
            return Ok(SaveDir { dir: dir.into() });
        }
        let data = platform_data_dir().ok_or(SaveError::NoSavesDir)?;
        Ok(SaveDir {
            dir: data.join("saves"),
        })
    }

    pub fn path(&self, slot: &str) -> PathBuf {
        self.dir.join(format!("{slot}.ron"))
    }

    /// The journal beside a slot's file (only the autosave has one).
    pub fn journal_path(&self, slot: &str) -> PathBuf {
        self.dir.join(format!("{slot}.journal"))
    }

    /// Writes a save atomically: a temporary file in the same directory,
    /// flushed and synced, then renamed over the old one. A save over
    /// [`MAX_SAVE_BYTES`] is refused before anything is written.
    pub fn write(&self, slot: &str, save: &SaveFile) -> Result<PathBuf, SaveError> {
        self.write_within(slot, save, MAX_SAVE_BYTES)
    }

    /// `write`, with another limit than [`MAX_SAVE_BYTES`] (tests).
    pub fn write_within(
        &self,
        slot: &str,
        save: &SaveFile,
        limit: u64,
    ) -> Result<PathBuf, SaveError> {
        check_slot(slot)?;
        let path = self.path(slot);
        let text = save
            .to_ron()
            .map_err(|e| SaveError::Unserialisable(path.clone(), e.to_string()))?;
        if text.len() as u64 > limit {
            return Err(SaveError::TooLarge(path, text.len() as u64));
        }
        write_atomic(&self.dir, &path, text.as_bytes())?;
        // A journal left beside the slot belongs to an older file: the
        // new save holds everything.
        if save.journal == 0 {
            remove_if_there(&self.journal_path(slot))?;
        }
        Ok(path)
    }

    /// Reads a slot, with its journal when it has one.
    pub fn read(&self, slot: &str) -> Result<SaveFile, SaveError> {
        check_slot(slot)?;
        let path = self.path(slot);
        let mut save = read_save(&path).map_err(|e| match e {
            SaveError::Io(_, ref io) if io.kind() == std::io::ErrorKind::NotFound => {
                SaveError::NotFound(slot.into())
            }
            other => other,
        })?;
        crate::play::journal::apply(&mut save, &self.journal_path(slot))?;
        Ok(save)
    }

    /// What a slot holds, for a question before it is written over or
    /// deleted: `Ok(None)` when it is empty.
    pub fn peek(&self, slot: &str) -> Result<Option<SaveInfo>, SaveError> {
        match self.read(slot) {
            Ok(save) => Ok(Some(self.info(slot, &save))),
            Err(SaveError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn delete(&self, slot: &str) -> Result<(), SaveError> {
        check_slot(slot)?;
        let path = self.path(slot);
        std::fs::remove_file(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SaveError::NotFound(slot.into()),
            _ => SaveError::Io(path, e),
        })?;
        remove_if_there(&self.journal_path(slot))
    }

    /// Every readable save, newest first; unreadable files are listed by
    /// slot with their problem.
    pub fn list(&self) -> (Vec<SaveInfo>, Vec<(String, SaveError)>) {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return (good, bad);
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(slot) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".ron"))
                .map(str::to_string)
            else {
                continue;
            };
            if check_slot(&slot).is_err() {
                continue;
            }
            match self.read(&slot) {
                Ok(save) => good.push(self.info(&slot, &save)),
                Err(e) => bad.push((slot, e)),
            }
        }
        good.sort_by(|a, b| b.order.cmp(&a.order).then(a.slot.cmp(&b.slot)));
        bad.sort_by(|a, b| a.0.cmp(&b.0));
        (good, bad)
    }

    /// A save's row of the table.
    fn info(&self, slot: &str, save: &SaveFile) -> SaveInfo {
        let now = now();
        // A minute of grace for clocks a little apart.
        let future = save.saved_at > now.saturating_add(60);
        let order = if future {
            let written = [self.path(slot), self.journal_path(slot)]
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
                .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs())
                .max()
                .unwrap_or(0);
            written.min(now)
        } else {
            save.saved_at
        };
        let (scene, turn) = save.position();
        SaveInfo {
            slot: slot.to_string(),
            story: save.story.clone(),
            playthrough: save.playthrough,
            scene: scene.to_string(),
            turn,
            saved_at: save.saved_at,
            future,
            order,
        }
    }

    /// Locks the directory for one game, for as long as the lock lives:
    /// `Ok(None)` when another game holds it. An advisory lock (`flock`) on
    /// `.lock` in the directory, which the system lets go when the game
    /// ends, however it ends. Where there is no `flock` (not Unix) every
    /// game gets the lock.
    pub fn lock(&self) -> Result<Option<DirLock>, SaveError> {
        let io = |e| SaveError::Io(self.dir.clone(), e);
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(LOCK_FILE))
            .map_err(io)?;
        match flock(&file, false) {
            Ok(true) => Ok(Some(DirLock { _file: file })),
            Ok(false) => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    /// Runs `f` holding the lock of one file of the directory (the
    /// profile's), waiting for another game to let go of it: what `f`
    /// reads and writes is then not written in between by that game.
    /// Where the lock cannot be had at all (a directory that cannot be
    /// written), `f` runs all the same and meets the same problem.
    pub fn with_lock<T>(&self, name: &str, f: impl FnOnce() -> T) -> T {
        let file = std::fs::create_dir_all(&self.dir).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(self.dir.join(name))
        });
        let _held = file.ok().filter(|f| flock(f, true).unwrap_or(false));
        f()
    }

    /// Removes what interrupted writes left: regular files named
    /// `.callister-*.tmp`, owned by this user, older than
    /// [`STALE_TEMPORARY_SECS`]. Only the game holding the directory's lock
    /// calls this, so no write in progress is touched. Returns how many.
    pub fn clean_temporary(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let now = std::time::SystemTime::now();
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !(name.starts_with(".callister-") && name.ends_with(".tmp")) {
                continue;
            }
            // Not followed: a link is not ours to judge.
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            let old = meta
                .modified()
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age.as_secs() >= STALE_TEMPORARY_SECS);
            if meta.file_type().is_file()
                && owned_by_us(&meta)
                && old
                && std::fs::remove_file(entry.path()).is_ok()
            {
                removed += 1;
            }
        }
        removed
    }
}

/// The directory lock's file.
pub const LOCK_FILE: &str = ".lock";
/// The lock held while the profile is read, merged and written.
pub const PROFILE_LOCK_FILE: &str = ".profile.lock";

/// A saves directory's lock, held while it lives.
#[derive(Debug)]
pub struct DirLock {
    _file: std::fs::File,
}

/// Takes an exclusive `flock` on `file`: waiting for it when `wait`, else
/// `Ok(false)` when another process holds it.
#[cfg(unix)]
fn flock(file: &std::fs::File, wait: bool) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd as _;
    let op = if wait {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    loop {
        // SAFETY: `flock` reads nothing but the descriptor, which `file`
        // keeps open for the duration of the call.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.kind() {
            std::io::ErrorKind::Interrupted => continue,
            std::io::ErrorKind::WouldBlock => return Ok(false),
            _ => return Err(e),
        }
    }
}

#[cfg(not(unix))]
fn flock(_file: &std::fs::File, _wait: bool) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(unix)]
fn owned_by_us(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    // SAFETY: `geteuid` cannot fail and touches no memory.
    meta.uid() == unsafe { libc::geteuid() }
}

#[cfg(not(unix))]
fn owned_by_us(_meta: &std::fs::Metadata) -> bool {
    true
}

fn remove_if_there(path: &Path) -> Result<(), SaveError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SaveError::Io(path.to_path_buf(), e)),
    }
}

/// A number no other playthrough or journal is likely to have drawn: the
/// process's randomised hasher over the time and the process id.
pub fn fresh_id() -> u64 {
    use std::hash::BuildHasher as _;
    std::collections::hash_map::RandomState::new()
        .hash_one((std::time::SystemTime::now(), std::process::id()))
        .max(1)
}

pub fn read_save(path: &Path) -> Result<SaveFile, SaveError> {
    let bytes = read_bounded(path, MAX_SAVE_BYTES)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SaveError::Corrupt(path.to_path_buf(), "it is not UTF-8 text".into()))?;
    SaveFile::parse(&text, path)
}

/// Reads a file of the saves directory, refusing what is not a regular file
/// (a symbolic link, which someone else put there; a FIFO would block
/// forever, a device might never end) and reading at most `max` bytes
/// whatever the file claims its size is (`fsio::read_bounded`).
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, SaveError> {
    crate::fsio::read_bounded(path, max, crate::fsio::Follow::No).map_err(|e| {
        match crate::fsio::refusal(&e) {
            Some(crate::fsio::Refusal::TooLarge(_)) => {
                SaveError::Corrupt(path.to_path_buf(), "it is far too large".into())
            }
            Some(why) => SaveError::Corrupt(path.to_path_buf(), why.to_string()),
            None => SaveError::Io(path.to_path_buf(), e),
        }
    })
}

/// Serialises a value and writes it atomically. A value that does not
/// serialise is an error before anything on disk is touched: never an empty
/// file written over the old one.
pub fn write_serialised<E: std::fmt::Display>(
    dir: &Path,
    path: &Path,
    serialise: impl FnOnce() -> Result<String, E>,
) -> Result<(), SaveError> {
    let text =
        serialise().map_err(|e| SaveError::Unserialisable(path.to_path_buf(), e.to_string()))?;
    write_atomic(dir, path, text.as_bytes())
}

/// Writes `bytes` to `path` atomically; the directory is created if needed.
pub fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    write_atomic_with(dir, path, |w| w.write_all(bytes))
}

/// `write_atomic`, with the bytes written by `fill` into the temporary
/// file: the seam where tests put a writer that fails, as a full disk does.
/// The write is `fsio::write_atomic`'s (private, mode 0600): a target that
/// is a symbolic link, a FIFO, a device or a directory is refused, and
/// nothing is ever written through a link.
pub fn write_atomic_with(
    dir: &Path,
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), SaveError> {
    std::fs::create_dir_all(dir).map_err(|e| SaveError::Io(dir.to_path_buf(), e))?;
    crate::fsio::write_atomic(path, crate::fsio::Access::Private, fill)
        .map_err(|e| SaveError::Io(path.to_path_buf(), e))
}

/// The platform's data directory for Callister (`$XDG_DATA_HOME/callister`
/// or `~/.local/share/callister` on Linux, `~/Library/Application
/// Support/callister` on macOS, `%APPDATA%\callister\data` on Windows).
/// `None` without a home directory. Where the platform's directories hang
/// off `HOME`, an unset or empty `HOME` counts as none, though `directories`
/// would fall back to the account database: a process started without a
/// home (a service, `env -i`) is told to name its saves directory rather
/// than have one chosen for it.
fn platform_data_dir() -> Option<PathBuf> {
    let home_from_env = !cfg!(windows);
    if home_from_env && std::env::var_os("HOME").is_none_or(|h| h.is_empty()) {
        return None;
    }
    directories::ProjectDirs::from("", "", "callister").map(|p| p.data_dir().to_path_buf())
}

/// Seconds since the Unix epoch (0 for a clock set before it).
pub fn now() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0)
}

/// `2026-11-24 06:12` for a Unix time, in the local time zone (`TZ`, else
/// the system's); `unknown` for a time no calendar holds (a corrupt save).
pub fn format_time(secs: u64) -> String {
    format_time_in(secs, jiff::tz::TimeZone::system())
}

fn format_time_in(secs: u64, zone: jiff::tz::TimeZone) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(
            || "unknown".to_string(),
            |t| {
                t.to_zoned_datetime(zone)
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string()
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_zone_given() {
        // 2026-11-24 06:12:00 UTC.
        let t = 1_795_500_720;
        assert_eq!(
            format_time_in(t, jiff::tz::TimeZone::UTC),
            "2026-11-24 06:12"
        );
        let east = jiff::tz::TimeZone::fixed(jiff::tz::offset(10));
        assert_eq!(format_time_in(t, east), "2026-11-24 16:12");
        assert_eq!(
            format_time_in(0, jiff::tz::TimeZone::UTC),
            "1970-01-01 00:00"
        );
        assert_eq!(format_time_in(u64::MAX, jiff::tz::TimeZone::UTC), "unknown");
        assert_eq!(
            format_time_in(i64::MAX as u64, jiff::tz::TimeZone::UTC),
            "unknown"
        );
    }

    /// A save as the game would write it, with these steps.
    fn save_with(
        steps: Vec<SavedStep>,
        visits: BTreeMap<String, u32>,
        title: &str,
        preset: bool,
    ) -> SaveFile {
        let snapshot = Snapshot {
            scene: "pro_cole".into(),
            turn: 2,
            vars: BTreeMap::from([("credits".into(), 60)]),
            flags: vec!["a1_robbed_nobody".into()],
            items: Vec::new(),
            dead: Vec::new(),
            visits,
            used: Vec::new(),
            stack: Vec::new(),
            rng: None,
        };
        // A game begun with presets: its first state, with visits of its
        // own, comes after the snapshot's.
        let root = preset.then(|| Snapshot {
            scene: "prologue".into(),
            turn: 0,
            vars: BTreeMap::from([("credits".into(), 500)]),
            visits: BTreeMap::from([("prologue".into(), 1)]),
            ..snapshot.clone()
        });
        SaveFile {
            version: FORMAT_VERSION,
            story: title.to_string(),
            fingerprint: "ab12".into(),
            playthrough: 7,
            seed: 3,
            dice: Dice::Position,
            start: "prologue".into(),
            saved_at: 1_796_226_737,
            played_secs: 12,
            at: steps.len(),
            steps,
            branches: vec![BranchMark {
                number: 1,
                end: 1,
                name: Some("safe".into()),
            }],
            next_branch: 2,
            snapshot,
            root,
            journal: 0,
            journalled: None,
        }
    }

    fn ron_only(text: &str) -> Option<SaveFile> {
        ron_options().from_str::<SaveFile>(text).ok()
    }

    proptest::proptest! {
        /// The steps and visits read by hand are what RON reads, for every
        /// save the game writes; and a document changed anywhere either
        /// reads the same both ways or is left to RON.
        #[test]
        fn the_lists_read_by_hand_are_what_ron_reads(
            steps in proptest::collection::vec(
                (0usize..50, "[a-z_][a-z0-9_]{0,12}", "[a-z_][a-z0-9_]{0,8}",
                 proptest::option::of(1i64..=100), proptest::option::of(proptest::bool::ANY)),
                0..40,
            ),
            visits in proptest::collection::btree_map("[a-z_][a-z0-9_]{0,12}", 0u32..2000, 0..30),
            title in "[ -~]{0,20}",
            preset in proptest::bool::ANY,
            at in proptest::num::usize::ANY,
            byte in proptest::num::u8::ANY,
        ) {
            let steps: Vec<SavedStep> = steps
                .into_iter()
                .map(|(from, scene, key, roll, success)| SavedStep { from, scene, key, roll, success })
                .collect();
            let some = !steps.is_empty();
            let text = save_with(steps, visits, &title, preset).to_ron().unwrap();
            let expected = ron_only(&text);
            proptest::prop_assert!(expected.is_some());
            let fast = fast_parse(&text);
            // Only an empty list (`steps: []`), or a title written with an
            // escape before the list, is left to RON.
            let escaped = text.split("steps:").next().unwrap_or_default().contains('\\');
            proptest::prop_assert!(fast.is_some() || !some || escaped);
            if let Some(fast) = fast {
                proptest::prop_assert_eq!(Some(fast), expected);
            }
            let mut changed = text.into_bytes();
            let i = at % changed.len();
            changed[i] = byte;
            if let Ok(changed) = String::from_utf8(changed)
                && let Some(fast) = fast_parse(&changed)
            {
                proptest::prop_assert_eq!(Some(fast), ron_only(&changed));
            }
        }
    }

    #[test]
    fn a_value_that_does_not_serialise_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slot.ron");
        write_atomic(dir.path(), &path, b"Save(good)").unwrap();
        let err = write_serialised(dir.path(), &path, || {
            Err::<String, _>("the serialiser gave up")
        })
        .unwrap_err();
        assert!(matches!(err, SaveError::Unserialisable(..)), "{err:?}");
        assert!(
            err.to_string()
                .contains("the file on disk was left untouched"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"Save(good)");
        // Nothing else was left in the directory: no temporary file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // The same path with a serialiser that works replaces it.
        write_serialised(dir.path(), &path, || Ok::<_, String>("Save(new)".into())).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"Save(new)");
    }
}
