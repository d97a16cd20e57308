//! Save files: readable RON holding the event log and a snapshot by name,
//! written atomically, and loaded even after the story was edited.
//!
//! A save stores names, never indices, so that it means the same thing to a
//! later version of the story. Loading rebuilds the tree of paths by
//! replaying the logged steps from the seed; when the story changed, it maps
//! the snapshot by name and says what it dropped, or resumes at the last
//! step that still fits.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand::rngs::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::engine::history::{Step, Tree};
use crate::engine::replay::{Entry, Player, Stop};
use crate::engine::{self, ChooseError, RollMode, State};
use crate::story::{ChoiceId, CrewId, FlagId, ItemId, SceneId, Story, VarId};

/// The save format this build writes; it reads this and every older one.
pub const FORMAT_VERSION: u32 = 1;
/// Saves larger than this are refused as corrupt rather than parsed.
pub const MAX_SAVE_BYTES: u64 = 64 * 1024 * 1024;
pub const AUTOSAVE: &str = "autosave";
pub const QUICKSAVE: &str = "quick";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Save")]
pub struct SaveFile {
    pub version: u32,
    pub story: String,
    pub fingerprint: String,
    pub seed: u64,
    /// The scene the game began in (the story's start, or `--from`).
    pub start: String,
    /// Seconds since the Unix epoch.
    pub saved_at: u64,
    /// Seconds of play, across sessions.
    pub played_secs: u64,
    /// The choices taken, from the start to the current scene.
    pub log: Vec<Step>,
    /// Every other path explored (`branches`): each a log from the start.
    #[serde(default)]
    pub branches: Vec<Vec<Step>>,
    pub snapshot: Snapshot,
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
    /// The scenes the tunnels entered come back to, innermost last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<String>,
    pub rng: Xoshiro256PlusPlus,
}

#[derive(Debug)]
#[non_exhaustive]
pub enum SaveError {
    BadSlot(String),
    NotFound(String),
    Io(PathBuf, std::io::Error),
    Corrupt(PathBuf, String),
    Newer(PathBuf, u32),
    OtherStory(PathBuf, String),
    /// Nothing of the save fits the story any more.
    Unplayable(PathBuf, String),
    /// The value would not serialise: nothing was written.
    Unserialisable(PathBuf, String),
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

/// Checks a slot name: letters, digits, `-`, `_`, 1 to 64 of them.
pub fn check_slot(slot: &str) -> Result<(), SaveError> {
    let ok = !slot.is_empty()
        && slot.len() <= 64
        && slot
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !is_reserved(slot);
    if ok {
        Ok(())
    } else {
        Err(SaveError::BadSlot(slot.chars().take(80).collect()))
    }
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
    /// Captures a session's tree (current path and branches) and state.
    pub fn capture(
        story: &Story,
        tree: &Tree,
        start: SceneId,
        saved_at: u64,
        played_secs: u64,
    ) -> SaveFile {
        let state = tree.state();
        let current_path = tree.path();
        let branches = tree
            .leaves()
            .into_iter()
            .filter(|l| !current_path.contains(l))
            .map(|l| tree.log_to(l))
            .collect();
        SaveFile {
            version: FORMAT_VERSION,
            story: story.title.clone(),
            fingerprint: story.fingerprint.clone(),
            seed: state.seed,
            start: story.scene(start).id.clone(),
            saved_at,
            played_secs,
            log: tree.log(),
            branches,
            snapshot: Snapshot::of(story, state),
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

    /// Parses a save's text. `path` is for messages only.
    pub fn parse(text: &str, path: &Path) -> Result<SaveFile, SaveError> {
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .with_recursion_limit(64);
        match options.from_str::<SaveFile>(text) {
            // A newer format that happens to read as this one is newer all
            // the same.
            Ok(save) if save.version > FORMAT_VERSION => {
                Err(SaveError::Newer(path.to_path_buf(), save.version))
            }
            Ok(save) => Ok(save),
            Err(e) => {
                // Only a document that does not read is read again, for its
                // version alone: a newer format is named as such rather than
                // as corrupt.
                if let Some(version) = newer_version(text) {
                    return Err(SaveError::Newer(path.to_path_buf(), version));
                }
                Err(SaveError::Corrupt(
                    path.to_path_buf(),
                    format!(
                        "line {}, column {}: {}",
                        e.span.start.line, e.span.start.col, e.code
                    ),
                ))
            }
        }
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
        let root = State::at(story, self.seed, start);
        let mut tree = Tree::new(root);
        // Branches first, so that the current path is explored last and the
        // tree ends on it.
        for branch in &self.branches {
            tree.current = 0;
            let _ = replay(story, &mut tree, branch);
        }
        tree.current = 0;
        let replayed = replay(story, &mut tree, &self.log);
        let unchanged = self.fingerprint == story.fingerprint;
        if unchanged
            && replayed.is_ok()
            && story.scene(tree.state().scene).id == self.snapshot.scene
        {
            // The same story, replayed to the scene the snapshot names: the
            // replayed state stands, and mapping the snapshot (which fails
            // only when its scene is gone) would change nothing. On a large
            // story that mapping is most of the cost of a load.
            return Ok((tree, start, report));
        }
        let mapped = Snapshot::restore(&self.snapshot, story).map(|(mut state, dropped)| {
            state.seed = self.seed;
            (state, dropped)
        });
        match (replayed, mapped) {
            (Ok(()), Ok((state, dropped))) => {
                if !unchanged {
                    report.notes.extend(dropped);
                    // The player's state as saved, mapped onto the new story.
                    let current = tree.current;
                    tree.nodes[current].state = state;
                }
            }
            (Err(stop), Ok((state, dropped))) => {
                report.notes.push(format!(
                    "The story changed since this save: the steps before it could not all be replayed ({stop}), so `undo` starts from here."
                ));
                report.notes.extend(dropped);
                tree = Tree::new(state);
            }
            (Err(stop), Err(why)) => {
                let at = tree.depth();
                let title = story.scene(tree.state().scene).title.clone();
                if at == 0 && self.log.is_empty() {
                    return Err(SaveError::Unplayable(path.to_path_buf(), why));
                }
                report.notes.push(format!(
                    "The story changed since this save: {why}. Replayed {at} of {} steps; resuming at “{title}” ({stop}).",
                    self.log.len()
                ));
            }
            (Ok(()), Err(why)) => {
                // The log replays but the snapshot does not map: the replay
                // is the truest state we have.
                report.notes.push(format!(
                    "The story changed since this save: {why}; the game was rebuilt from its steps."
                ));
            }
        }
        Ok((tree, start, report))
    }
}

/// The version of a save written by a newer Callister, read from a document
/// that does not read as this format: every other field is ignored.
fn newer_version(text: &str) -> Option<u32> {
    #[derive(Deserialize)]
    #[serde(rename = "Save")]
    struct VersionOnly {
        version: u32,
    }
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::empty())
        .from_str::<IgnoringRest<VersionOnly>>(text)
        .ok()
        .map(|v| v.0.version)
        .filter(|&v| v > FORMAT_VERSION)
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
    let entries = log.iter().map(|step| Entry {
        scene: Some(&step.scene),
        key: &step.key,
        mode: match step.success {
            Some(s) if step.roll.is_some() => RollMode::Recorded(s),
            Some(s) => RollMode::Force(s),
            None => RollMode::Random,
        },
    });
    engine::replay::replay(&mut IntoTree { story, tree }, entries).map_err(|(i, stop)| {
        let n = i + 1;
        let key = &log[i].key;
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
        let mut state = self.tree.state().clone();
        let scene = self.story.scene(state.scene).id.clone();
        let roll = state.advance(self.story, choice, mode)?;
        let step = Step {
            scene,
            key: self.story.choice(choice).key.clone(),
            roll: roll.as_ref().and_then(|r| r.roll),
            success: roll.as_ref().map(|r| r.success),
        };
        self.tree.push(step, state);
        Ok(())
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
            rng: state.rng.clone(),
        }
    }

    /// Maps the snapshot onto a story by name. Fails when its scene is gone;
    /// otherwise returns the state and a sentence for each thing dropped.
    pub fn restore(&self, story: &Story) -> Result<(State, Vec<String>), String> {
        // Each name list is indexed once: a snapshot names every scene
        // visited, and `Story::scene_by_id` and the like scan the story.
        let scenes = by_name(&story.scenes, |s| &s.id, SceneId);
        let Some(&scene) = scenes.get(self.scene.as_str()) else {
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
            rng: self.rng.clone(),
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
        let vars = by_name(&story.variables, |v| &v.id, VarId);
        let mut missing = Vec::new();
        for (name, &value) in &self.vars {
            match vars.get(name.as_str()) {
                Some(&v) => state.set_var(story, v, value),
                None => missing.push(name.as_str()),
            }
        }
        gone("variables", missing);
        let flags = by_name(&story.flags, |f| &f.id, FlagId);
        let mut missing = Vec::new();
        for name in &self.flags {
            match flags.get(name.as_str()) {
                Some(f) => state.flags.set(f.index(), true),
                None => missing.push(name.as_str()),
            }
        }
        gone("flags", missing);
        let items = by_name(&story.items, |i| &i.id, ItemId);
        let mut missing = Vec::new();
        for name in &self.items {
            match items.get(name.as_str()) {
                Some(i) => state.items.set(i.index(), true),
                None => missing.push(name.as_str()),
            }
        }
        gone("items", missing);
        let crew = by_name(&story.crew, |c| &c.id, CrewId);
        let mut missing = Vec::new();
        for name in &self.dead {
            match crew.get(name.as_str()) {
                Some(c) => state.dead.set(c.index(), true),
                None => missing.push(name.as_str()),
            }
        }
        gone("crew members", missing);
        for (name, &n) in &self.visits {
            if let Some(s) = scenes.get(name.as_str()) {
                state.visits.set(*s, n);
            }
        }
        for used in &self.used {
            if let Some((scene, key)) = used.split_once('/')
                && let Some(&s) = scenes.get(scene)
                && let Some(c) = story.choice_by_key(s, key)
            {
                state.used.set(c, true);
            }
        }
        // The way back from each tunnel entered, by name: one whose scene
        // is gone is dropped (its `return` then goes to the next one out).
        let mut missing = Vec::new();
        for name in &self.stack {
            match scenes.get(name.as_str()) {
                Some(&s) if state.stack.len() < crate::story::MAX_TUNNEL_DEPTH => {
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

/// Every id of a story's list (scenes, flags…) to its index, for looking up
/// many names at once. Where ids repeat, the first wins, as in
/// `Story::scene_by_id`.
fn by_name<'s, T, I>(
    list: &'s [T],
    id: impl Fn(&'s T) -> &'s String,
    index: fn(u32) -> I,
) -> HashMap<&'s str, I> {
    let mut map = HashMap::with_capacity(list.len());
    for (i, x) in list.iter().enumerate() {
        map.entry(id(x).as_str()).or_insert_with(|| index(i as u32));
    }
    map
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
    pub scene: String,
    pub turn: u32,
    pub saved_at: u64,
}

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

    /// Writes a save atomically: a temporary file in the same directory,
    /// flushed and synced, then renamed over the old one.
    pub fn write(&self, slot: &str, save: &SaveFile) -> Result<PathBuf, SaveError> {
        check_slot(slot)?;
        let path = self.path(slot);
        write_serialised(&self.dir, &path, || save.to_ron())?;
        Ok(path)
    }

    pub fn read(&self, slot: &str) -> Result<SaveFile, SaveError> {
        check_slot(slot)?;
        let path = self.path(slot);
        read_save(&path).map_err(|e| match e {
            SaveError::Io(_, ref io) if io.kind() == std::io::ErrorKind::NotFound => {
                SaveError::NotFound(slot.into())
            }
            other => other,
        })
    }

    pub fn delete(&self, slot: &str) -> Result<(), SaveError> {
        check_slot(slot)?;
        let path = self.path(slot);
        std::fs::remove_file(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SaveError::NotFound(slot.into()),
            _ => SaveError::Io(path, e),
        })
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
            match read_save(&path) {
                Ok(save) => good.push(SaveInfo {
                    slot,
                    story: save.story,
                    scene: save.snapshot.scene,
                    turn: save.snapshot.turn,
                    saved_at: save.saved_at,
                }),
                Err(e) => bad.push((slot, e)),
            }
        }
        good.sort_by(|a, b| b.saved_at.cmp(&a.saved_at).then(a.slot.cmp(&b.slot)));
        bad.sort_by(|a, b| a.0.cmp(&b.0));
        (good, bad)
    }
}

pub fn read_save(path: &Path) -> Result<SaveFile, SaveError> {
    let bytes = read_bounded(path, MAX_SAVE_BYTES)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SaveError::Corrupt(path.to_path_buf(), "it is not UTF-8 text".into()))?;
    SaveFile::parse(&text, path)
}

/// Reads a file of the saves directory, refusing what is not a regular file
/// (a FIFO would block forever, a device might never end) and reading at
/// most `max` bytes whatever the file claims its size is.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, SaveError> {
    use std::io::Read as _;
    let too_large = || SaveError::Corrupt(path.to_path_buf(), "it is far too large".into());
    let meta = std::fs::metadata(path).map_err(|e| SaveError::Io(path.to_path_buf(), e))?;
    if meta.len() > max {
        return Err(too_large());
    }
    if !meta.is_file() {
        return Err(SaveError::Corrupt(
            path.to_path_buf(),
            "it is not a regular file".into(),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(|e| SaveError::Io(path.to_path_buf(), e))?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
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
pub fn write_atomic_with(
    dir: &Path,
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), SaveError> {
    let io = |e: std::io::Error| SaveError::Io(dir.to_path_buf(), e);
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".callister-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    fill(&mut tmp).map_err(io)?;
    tmp.flush().map_err(io)?;
    // The data and what reading it back needs (its size) reach the disk
    // before the rename: a crash leaves the old file or the whole new one.
    // `sync_data` is enough for that (the timestamps `sync_all` would also
    // write do not matter); the cost of either is the disk's flush (see
    // docs/performance.md).
    tmp.as_file().sync_data().map_err(io)?;
    // On failure the temporary file is removed when `tmp` drops.
    tmp.persist(path)
        .map_err(|e| SaveError::Io(path.to_path_buf(), e.error))?;
    Ok(())
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
