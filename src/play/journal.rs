//! The autosave's journal: what makes an autosave cost the same at step
//! 20,000 as at step 2. The autosave is a full save (`autosave.ron`,
//! written atomically) now and then, and `autosave.journal` beside it, to
//! which each change of the game since (new steps, where you are, branch
//! names) is appended as one line and synced to the disk.
//!
//! A journal's first line names the full save it continues (`follows`,
//! the save's `journal` number); a journal that names another is left over
//! from before the last full save, which already holds all of it, and is
//! ignored. Each later line is one autosave, written whole or cut short
//! by a kill: a last line cut short is ignored (one step is lost, and the
//! load says so); a bad line before the last makes the autosave unreadable,
//! and so never written over. The full save is rewritten once the journal
//! has as many lines as the tree has steps (at least [`COMPACT_AFTER`]),
//! and when the game ends: so the journal costs at most the size of the
//! save again, and the time of a full save is spread over as many steps as
//! it holds, a constant cost per step.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::history::{Tree, is_branch_name};
use crate::play::save::{
    self, Journalled, MAX_SAVE_BYTES, SaveDir, SaveError, SaveFile, SavedStep, read_bounded,
    write_atomic,
};
use crate::story::{SceneId, Story};

/// The journal is folded into a full save after this many lines at least.
pub const COMPACT_AFTER: usize = 1000;

/// A journal's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Journal")]
struct Header {
    follows: u64,
}

/// One autosave after the full save: the steps it added, where the game is,
/// the branch names when they changed, and what the saves table shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Entry")]
struct Line {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    steps: Vec<SavedStep>,
    at: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    names: Option<BTreeMap<u32, String>>,
    scene: String,
    turn: u32,
    saved_at: u64,
    played_secs: u64,
}

/// Adds what the journal at `path` holds after `save` to it. A missing
/// journal, or one left from before `save` was written, adds nothing.
pub fn apply(save: &mut SaveFile, path: &Path) -> Result<(), SaveError> {
    if save.journal == 0 {
        return Ok(());
    }
    let bytes = match read_bounded(path, MAX_SAVE_BYTES) {
        Ok(b) => b,
        Err(SaveError::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let corrupt = |why: String| SaveError::Corrupt(path.to_path_buf(), why);
    let text =
        std::str::from_utf8(&bytes).map_err(|_| corrupt("it is not UTF-8 text".to_string()))?;
    let options = ron::Options::default().with_recursion_limit(16);
    let mut lines = text.split_inclusive('\n').enumerate();
    let Some((_, first)) = lines.next() else {
        return Ok(());
    };
    match options.from_str::<Header>(first.trim_end()) {
        Ok(h) if h.follows == save.journal => {}
        // Left over from before the full save, which holds it all.
        Ok(_) => return Ok(()),
        // A header cut short: the journal was being started, and holds
        // nothing yet.
        Err(_) if !first.ends_with('\n') => return Ok(()),
        Err(e) => return Err(corrupt(format!("line 1: {}", e.code))),
    }
    let mut journalled = Journalled {
        snapshot_at: save.at,
        snapshot_steps: save.steps.len(),
        scene: save.snapshot.scene.clone(),
        turn: save.snapshot.turn,
        torn: false,
        names: None,
    };
    let mut lines = lines.peekable();
    while let Some((i, raw)) = lines.next() {
        let last = lines.peek().is_none();
        let parsed = options
            .from_str::<Line>(raw.trim_end())
            .map_err(|e| e.code.to_string())
            .and_then(|line| fits(save, &line).map(|()| line));
        let line = match parsed {
            Ok(line) if raw.ends_with('\n') => line,
            // Cut short by a kill while it was written: the step is lost.
            _ if last => {
                journalled.torn = true;
                break;
            }
            Ok(_) => return Err(corrupt(format!("line {} was cut short", i + 1))),
            Err(why) => return Err(corrupt(format!("line {}: {why}", i + 1))),
        };
        save.steps.extend(line.steps);
        save.at = line.at;
        save.saved_at = line.saved_at;
        save.played_secs = line.played_secs;
        journalled.scene = line.scene;
        journalled.turn = line.turn;
        if let Some(names) = line.names {
            journalled.names = Some(names);
        }
    }
    save.journalled = Some(journalled);
    Ok(())
}

/// A line's references point into the tree as it grows.
fn fits(save: &SaveFile, line: &Line) -> Result<(), String> {
    let mut nodes = save.steps.len();
    for s in &line.steps {
        if s.from > nodes {
            return Err(format!("a step follows step {}, of {nodes}", s.from));
        }
        nodes += 1;
    }
    if line.at > nodes {
        return Err(format!("it resumes at step {}, of {nodes}", line.at));
    }
    if let Some(names) = &line.names
        && names.values().any(|n| !is_branch_name(n))
    {
        return Err("a branch name is not one".to_string());
    }
    Ok(())
}

/// The autosave of one game: its full save and journal, and what of the
/// game they hold.
#[derive(Debug)]
pub struct Autosave {
    dir: SaveDir,
    slot: String,
    /// The open journal, once a full save was written.
    open: Option<Open>,
    /// Set when the game was resumed from this slot and has not moved
    /// since: the slot holds it already.
    resumed: bool,
    /// Bytes written in all, full saves and journal lines.
    written: u64,
}

#[derive(Debug)]
struct Open {
    file: std::fs::File,
    lines: usize,
    /// The full save's size and the journal's.
    bytes: u64,
    /// The tree's nodes, position and names as on disk.
    nodes: usize,
    at: usize,
    names: BTreeMap<u32, String>,
}

/// What the autosave needs of the game besides its tree.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub start: SceneId,
    pub saved_at: u64,
    pub played_secs: u64,
}

impl Autosave {
    /// The autosave in `slot`; nothing is written until the first `sync`,
    /// which writes a full save.
    pub fn new(dir: SaveDir, slot: String) -> Autosave {
        Autosave {
            dir,
            slot,
            open: None,
            resumed: false,
            written: 0,
        }
    }

    pub fn slot(&self) -> &str {
        &self.slot
    }

    /// Bytes written in all, full saves and journal lines: what the
    /// autosave has cost the disk.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The game was replaced (a load, a reload): the next `sync` writes a
    /// full save.
    pub fn forget(&mut self) {
        self.open = None;
        self.resumed = false;
    }

    /// The game was resumed from this very slot: until it moves, there is
    /// nothing to write.
    pub fn resumed(&mut self) {
        self.open = None;
        self.resumed = true;
    }

    /// The game ends: the full save is written, with the time played, so
    /// that the next start reads one file. Nothing is written for a game
    /// that never moved (a new one, or one resumed from this slot).
    pub fn finish(&mut self, story: &Story, tree: &Tree, stamp: Stamp) -> Result<(), SaveError> {
        if self.open.is_none() && (self.resumed || tree.nodes.len() <= 1) {
            return Ok(());
        }
        self.write_full(story, tree, stamp)
    }

    /// Brings the autosave up to the game: one line appended for what
    /// changed, or a full save when there is none yet or the journal is as
    /// long as the game. Nothing is written when nothing changed.
    pub fn sync(&mut self, story: &Story, tree: &Tree, stamp: Stamp) -> Result<(), SaveError> {
        let Some(open) = &mut self.open else {
            return self.write_full(story, tree, stamp);
        };
        if open.nodes > tree.nodes.len() {
            return self.write_full(story, tree, stamp);
        }
        let steps = save::saved_steps(tree, open.nodes);
        let names = (open.names != tree.names).then(|| tree.names.clone());
        if steps.is_empty() && names.is_none() && open.at == tree.current() {
            return Ok(());
        }
        if open.lines >= COMPACT_AFTER.max(tree.nodes.len()) {
            return self.write_full(story, tree, stamp);
        }
        let state = tree.state();
        let line = Line {
            steps,
            at: tree.current(),
            names,
            scene: story.scene(state.scene).id.clone(),
            turn: state.turn,
            saved_at: stamp.saved_at,
            played_secs: stamp.played_secs,
        };
        let path = self.dir.journal_path(&self.slot);
        let mut text =
            one_line(&line).map_err(|e| SaveError::Unserialisable(path.clone(), e.to_string()))?;
        text.push('\n');
        if open.bytes + text.len() as u64 > MAX_SAVE_BYTES {
            return self.write_full(story, tree, stamp);
        }
        let written = open
            .file
            .write_all(text.as_bytes())
            .and_then(|()| open.file.sync_data());
        if let Err(e) = written {
            // What reached the file is a line cut short at worst, which a
            // load ignores; the next autosave starts afresh.
            self.open = None;
            return Err(SaveError::Io(path, e));
        }
        open.lines += 1;
        open.bytes += text.len() as u64;
        self.written += text.len() as u64;
        open.nodes = tree.nodes.len();
        open.at = tree.current();
        open.names.clone_from(&tree.names);
        Ok(())
    }

    /// Writes the full save and starts its journal.
    pub fn write_full(
        &mut self,
        story: &Story,
        tree: &Tree,
        stamp: Stamp,
    ) -> Result<(), SaveError> {
        self.open = None;
        self.resumed = false;
        let number = save::fresh_id();
        let mut file =
            SaveFile::capture(story, tree, stamp.start, stamp.saved_at, stamp.played_secs);
        file.journal = number;
        let bytes = self
            .dir
            .write(&self.slot, &file)
            .map(|path| std::fs::metadata(path).map_or(0, |m| m.len()))?;
        // Until this rename, the old journal names the old full save and
        // is ignored beside the new one.
        let path = self.dir.journal_path(&self.slot);
        let header = one_line(&Header { follows: number })
            .map_err(|e| SaveError::Unserialisable(path.clone(), e.to_string()))?;
        write_atomic(&self.dir.dir, &path, format!("{header}\n").as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| SaveError::Io(path.clone(), e))?;
        self.written += bytes + header.len() as u64 + 1;
        self.open = Some(Open {
            file,
            lines: 0,
            bytes: bytes + header.len() as u64 + 1,
            nodes: tree.nodes.len(),
            at: tree.current(),
            names: tree.names.clone(),
        });
        Ok(())
    }
}

/// A value as RON on one line, with its struct names: `Entry(at: 3, …)`.
fn one_line<T: Serialize>(value: &T) -> Result<String, ron::Error> {
    let config = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .new_line("")
        .indentor("")
        .compact_structs(true)
        .compact_maps(true)
        .compact_arrays(true);
    ron::ser::to_string_pretty(value, config)
}
