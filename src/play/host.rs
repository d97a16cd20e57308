//! The host of an interactive game: it carries out what the session asks
//! (autosaves, save slots, the endings ledger, transcripts, `reload`) and
//! answers. This is where the disk is touched; the text the player reads is
//! written by the session.

use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::history::Tree;
use crate::fsio::{self, Refusal};
use crate::play::journal::{Autosave, Stamp};
use crate::play::ledger::{Known, Profile};
use crate::play::save::{self, AUTOSAVE, DirLock, SaveDir, SaveError, SaveFile};
pub use crate::play::session::render_saves_table;
use crate::play::session::{Answer, Host, Recorded, Reloaded, Request, Restored, Session};
use crate::story::Story;

pub struct GameHost {
    pub saves: SaveDir,
    /// The ledger as last read or written; `None` when the profile file is
    /// unreadable: it is then never overwritten, and the ledger is off for
    /// this session.
    pub profile: Option<Profile>,
    /// The scene the game began in, by id (survives `reload`).
    pub start: String,
    /// Seconds played before this session (from a loaded save).
    pub played_before: u64,
    pub started: Instant,
    pub transcript: Option<(PathBuf, std::fs::File)>,
    /// The story directory, for `reload`; `None` for the embedded story.
    pub story_dir: Option<PathBuf>,
    /// Whether the game autosaves: set when this game holds the saves
    /// directory's lock.
    pub autosave: bool,
    /// The saves directory's lock, held for the game's life; `None` when
    /// another game holds it (this one is then read-only: no autosave).
    lock: Option<DirLock>,
    /// Where the autosave goes, once known: `autosave`, or another slot
    /// when that one holds a file that does not read.
    auto: Option<Autosave>,
}

impl GameHost {
    /// The host, and what the player must be told before play: that the
    /// ledger is off, that another game holds the directory, that the
    /// autosave does not read and the game autosaves elsewhere.
    /// `_color` is unused (the session paints everything the player reads);
    /// it stays until the command line stops passing it.
    pub fn new(
        saves: SaveDir,
        start: String,
        story_dir: Option<PathBuf>,
        _color: bool,
    ) -> (GameHost, Option<String>) {
        let mut warnings = Vec::new();
        let (profile, warning) = match Profile::load(&saves) {
            Ok(p) => (Some(p), None),
            Err(e) => (
                None,
                Some(format!("The endings ledger is off for this session: {e}.")),
            ),
        };
        warnings.extend(warning);
        let (lock, locked) = match saves.lock() {
            Ok(Some(lock)) => (Some(lock), true),
            Ok(None) => {
                warnings.push(format!(
                    "Another game is playing from `{}`: this one does not autosave (`save SLOT` still saves).",
                    saves.dir.display()
                ));
                (None, false)
            }
            // A directory that cannot be locked cannot be written either:
            // the game plays, and each save it tries says why it failed.
            Err(_) => (None, true),
        };
        let mut auto = None;
        if locked {
            if lock.is_some() {
                saves.clean_temporary();
            }
            let (slot, warning) = autosave_slot(&saves);
            warnings.extend(warning);
            auto = slot.map(|slot| Autosave::new(saves.clone(), slot));
        }
        (
            GameHost {
                saves,
                profile,
                start,
                played_before: 0,
                started: Instant::now(),
                transcript: None,
                story_dir,
                autosave: locked,
                lock,
                auto,
            },
            (!warnings.is_empty()).then(|| warnings.join("\n")),
        )
    }

    /// Whether this game holds the saves directory's lock.
    pub fn holds_lock(&self) -> bool {
        self.lock.is_some()
    }

    /// The slot this game autosaves to, if it autosaves.
    pub fn autosave_slot(&self) -> Option<&str> {
        self.auto
            .as_ref()
            .filter(|_| self.autosave)
            .map(Autosave::slot)
    }

    pub fn save(&mut self, session: &Session, slot: &str) -> Result<PathBuf, SaveError> {
        let file = self.capture(session);
        self.saves.write(slot, &file)
    }

    /// Loads a slot into the session before play starts (`--continue`,
    /// `--slot`), returning notes for the player. At the prompt, `load` is a
    /// request, answered through the session's one entry point.
    pub fn load(&mut self, session: &mut Session, slot: &str) -> Result<Vec<String>, SaveError> {
        let restored = self.read_slot(&session.story, slot)?;
        session.replace_tree(*restored.tree);
        if let Some(auto) = &mut self.auto {
            if auto.slot() == slot {
                auto.resumed();
            } else {
                auto.forget();
            }
        }
        // The notes name what the save held, and a save can come from
        // anywhere: its control characters are shown, not sent.
        Ok(restored
            .notes
            .iter()
            .map(|n| crate::story::diagnostic::visible(n).into_owned())
            .collect())
    }
}

/// The slot to autosave to: `autosave`, unless it holds a file that does
/// not read, which is never written over: then the first `autosave-N` that
/// is free or holds a readable save, and a sentence saying so.
fn autosave_slot(saves: &SaveDir) -> (Option<String>, Option<String>) {
    // A file that is there but is not a save this game reads. (A directory
    // that cannot be read at all is no reason to look elsewhere: every
    // slot there fails alike, and each autosave says why.)
    let unreadable = |slot: &str| match saves.read(slot) {
        Err(e @ (SaveError::Corrupt(..) | SaveError::Newer(..))) => Some(e),
        _ => None,
    };
    let Some(why) = unreadable(AUTOSAVE) else {
        return (Some(AUTOSAVE.to_string()), None);
    };
    let Some(slot) = (1..=1000)
        .map(|n| format!("{AUTOSAVE}-{n}"))
        .find(|s| unreadable(s).is_none())
    else {
        return (
            None,
            Some(format!(
                "The autosave cannot be read: {why}. Nor can any of `autosave-1` to `autosave-1000`: this game does not autosave."
            )),
        );
    };
    let warning = format!(
        "The autosave cannot be read: {why}. This game autosaves to slot `{slot}` instead."
    );
    (Some(slot), Some(warning))
}

impl Host for GameHost {
    fn carry_out(&mut self, session: &Session, request: Request) -> Answer {
        let story = &session.story;
        match request {
            Request::Ledger => Answer::Ledger(self.profile.as_ref().map(|p| Known {
                ledger: p.ledger(story).cloned().unwrap_or_default(),
                skip_seen: p.skip_seen,
            })),
            Request::Record {
                choice,
                success,
                ending,
                turn,
            } => {
                let Some(known) = &self.profile else {
                    return Answer::Unavailable(request);
                };
                // A choice the ledger has (on disk too: it only grows), an
                // outcome seen before and no ending: nothing to write.
                let outcome_known = success.is_none_or(|s| known.outcome_seen(story, choice, s));
                if ending.is_none() && outcome_known && known.taken(story, choice) {
                    return Answer::Recorded(Ok(Recorded {
                        new_ending: None,
                        found: self.ending_count(story),
                    }));
                }
                // The file is read again and changed under its lock, so
                // that another game's endings are kept.
                let updated = Profile::update(&self.saves, |profile| {
                    profile.record_choice(story, choice);
                    if let Some(success) = success {
                        profile.record_outcome(story, choice, success);
                    }
                    ending.filter(|&e| {
                        profile.record_ending(story, &story.ending(e).id, turn, save::now())
                    })
                });
                Answer::Recorded(updated.map(|(profile, first)| {
                    self.profile = Some(profile);
                    Recorded {
                        new_ending: first,
                        found: self.ending_count(story),
                    }
                }))
            }
            Request::Read { scene, ref hash } => match &self.profile {
                Some(p) if p.read_before(story, scene, hash) => Answer::Noted(Ok(())),
                Some(_) => Answer::Noted(
                    Profile::update(&self.saves, |p| {
                        p.record_read(story, scene, hash);
                    })
                    .map(|(profile, ())| self.profile = Some(profile)),
                ),
                None => Answer::Unavailable(request),
            },
            Request::SkipSeen(on) => match &self.profile {
                Some(_) => Answer::Noted(
                    Profile::update(&self.saves, |p| p.skip_seen = on)
                        .map(|(profile, ())| self.profile = Some(profile)),
                ),
                None => Answer::Unavailable(request),
            },
            Request::Autosave | Request::Leave if self.autosave => {
                let stamp = self.stamp(session);
                let Some(auto) = &mut self.auto else {
                    return Answer::Unavailable(request);
                };
                let result = if request == Request::Leave {
                    auto.finish(story, &session.tree, stamp)
                } else {
                    auto.sync(story, &session.tree, stamp)
                };
                Answer::Autosaved(result)
            }
            Request::Autosave | Request::Leave => Answer::Unavailable(request),
            Request::Save { slot, overwrite } => {
                if let Err(e) = save::check_save_slot(&slot) {
                    return Answer::Saved {
                        slot,
                        result: Err(e),
                    };
                }
                match self.saves.peek(&slot) {
                    Ok(Some(info))
                        if !overwrite && info.playthrough != session.tree.playthrough =>
                    {
                        return Answer::Occupied { slot, info };
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return Answer::Saved {
                            result: Err(SaveError::Unreadable(self.saves.path(&slot), Box::new(e))),
                            slot,
                        };
                    }
                }
                Answer::Saved {
                    result: self.save(session, &slot),
                    slot,
                }
            }
            Request::Load(slot) => {
                let slot = match slot {
                    Some(s) => s,
                    None => match self
                        .saves
                        .list()
                        .0
                        .into_iter()
                        .find(|s| s.story == story.title)
                    {
                        Some(latest) => latest.slot,
                        None => return Answer::NothingToLoad,
                    },
                };
                let result = self.load_keeping(session, &slot);
                if result.is_ok()
                    && let Some(auto) = &mut self.auto
                {
                    auto.forget();
                }
                Answer::Loaded { result, slot }
            }
            Request::ListSaves => {
                let (good, bad) = self.saves.list();
                Answer::Saves {
                    dir: self.saves.dir.clone(),
                    good,
                    bad,
                }
            }
            Request::Delete {
                slot,
                confirmed: false,
            } => match self.saves.peek(&slot) {
                Ok(Some(info)) => Answer::DeleteWhat {
                    slot,
                    holds: Ok(info),
                },
                Ok(None) => Answer::Deleted {
                    result: Err(SaveError::NotFound(slot.clone())),
                    slot,
                },
                Err(e) => Answer::DeleteWhat {
                    slot,
                    holds: Err(e),
                },
            },
            Request::Delete {
                slot,
                confirmed: true,
            } => {
                let result = self.saves.delete(&slot);
                // The autosave deleted is written afresh at the next step.
                if result.is_ok()
                    && let Some(auto) = &mut self.auto
                    && auto.slot() == slot
                {
                    auto.forget();
                }
                Answer::Deleted { result, slot }
            }
            Request::Endings => Answer::Endings(
                self.profile
                    .as_ref()
                    .map(|p| p.ledger(story).cloned().unwrap_or_default()),
            ),
            Request::TranscriptOn(file) => {
                Answer::TranscriptOn(self.transcript_on(file, &story.title))
            }
            Request::TranscriptOff => {
                Answer::TranscriptOff(self.transcript.take().map(|(path, _)| path))
            }
            Request::Reload => {
                let reloaded = self.reload(session);
                if matches!(reloaded, Reloaded::Carried { .. })
                    && let Some(auto) = &mut self.auto
                {
                    auto.forget();
                }
                Answer::Reloaded(reloaded)
            }
        }
    }

    fn transcribe(&mut self, text: &str) {
        if let Some((path, file)) = &mut self.transcript {
            let plain = anstream::adapter::strip_str(text).to_string();
            if let Err(e) = file.write_all(plain.as_bytes()) {
                let path = path.clone();
                self.transcript = None;
                eprintln!("transcript stopped: cannot write `{}`: {e}", path.display());
            }
        }
    }
}

impl GameHost {
    /// Loads a slot at the prompt without losing the game being played:
    /// the same playthrough's branches are merged into the loaded tree;
    /// another playthrough is first kept in a slot of its own, which the
    /// notes name (and if it cannot be kept, nothing is loaded).
    fn load_keeping(&mut self, session: &Session, slot: &str) -> Result<Restored, SaveError> {
        let story = &session.story;
        let here = &session.tree;
        // Read before anything is written: a slot that does not load
        // changes nothing.
        let file = self.saves.read(slot)?;
        let path = self.saves.path(slot);
        let (mut tree, start, report) = file.restore(story, &path)?;
        let mut notes = report.notes;
        if here.nodes.len() > 1 {
            if same_playthrough(here, &tree) {
                let added = merge(story, &mut tree, here);
                if !added.is_empty() {
                    let list: Vec<String> = added.iter().map(u32::to_string).collect();
                    notes.push(format!(
                        "The branches explored since are kept in the loaded game: {} {} (`branches` shows them).",
                        if added.len() == 1 { "branch" } else { "branches" },
                        list.join(", ")
                    ));
                }
            } else {
                let kept = self.keep_aside(session)?;
                notes.push(format!(
                    "The game you were playing is another playthrough: it is kept in slot `{kept}` (`load {kept}` returns to it)."
                ));
            }
        }
        self.start = story.scene(start).id.clone();
        self.played_before = file.played_secs;
        self.started = Instant::now();
        Ok(Restored {
            tree: Box::new(tree),
            notes,
        })
    }

    /// Saves the game being played in the first free `before-load-N`.
    fn keep_aside(&mut self, session: &Session) -> Result<String, SaveError> {
        let slot = (1..)
            .map(|n| format!("before-load-{n}"))
            .find(|s| !self.saves.path(s).exists())
            .unwrap_or_else(|| "before-load".to_string());
        self.save(session, &slot)?;
        Ok(slot)
    }

    fn stamp(&self, session: &Session) -> Stamp {
        Stamp {
            start: session
                .story
                .scene_by_id(&self.start)
                .unwrap_or(session.story.start),
            saved_at: save::now(),
            played_secs: self.played(),
        }
    }
}

/// Whether two trees are the same playthrough: the same number, from the
/// same first state (seed, dice, scene), so that a step of one means the
/// same in the other.
fn same_playthrough(a: &Tree, b: &Tree) -> bool {
    let (ra, rb) = (a.root(), b.root());
    a.playthrough == b.playthrough
        && ra.seed == rb.seed
        && ra.dice == rb.dice
        && ra.scene == rb.scene
}

/// Replays every step of `from` that `into` lacks into it (the union of
/// the two trees), keeping `into`'s position; returns the numbers of the
/// branches that came of it. Names `from` gave its branches are kept where
/// `into` does not use them.
fn merge(story: &Story, into: &mut Tree, from: &Tree) -> Vec<u32> {
    let at = into.current();
    let before = into.nodes.len();
    let mut placed: Vec<Option<usize>> = vec![None; from.nodes.len()];
    placed[0] = Some(0);
    for (i, node) in from.nodes.iter().enumerate().skip(1) {
        let (Some(parent), Some(step)) = (node.parent.and_then(|p| placed[p]), &node.step) else {
            continue;
        };
        into.jump(story, parent);
        if save::replay(story, into, std::slice::from_ref(step)).is_ok() {
            placed[i] = Some(into.current());
        }
    }
    into.jump(story, at);
    let mut added: Vec<u32> = into.nodes[before..].iter().map(|n| n.branch).collect();
    added.sort_unstable();
    added.dedup();
    // Only branches that end among the new steps are new to the player.
    added.retain(|&b| into.end_of(b).is_some_and(|end| end >= before));
    for (number, name) in &from.names {
        if let Some(end) = from.end_of(*number)
            && let Some(there) = placed[end]
        {
            let b = into.nodes[there].branch;
            if !into.names.contains_key(&b) {
                let _ = into.name(b, Some(name));
            }
        }
    }
    added
}

impl GameHost {
    fn played(&self) -> u64 {
        self.played_before
            .saturating_add(self.started.elapsed().as_secs())
    }

    fn capture(&self, session: &Session) -> SaveFile {
        capture(session, &self.start, self.played())
    }

    /// Reads a slot and rebuilds its game on `story`.
    fn read_slot(&mut self, story: &Story, slot: &str) -> Result<Restored, SaveError> {
        let file = self.saves.read(slot)?;
        let path = self.saves.path(slot);
        let (tree, start, report) = file.restore(story, &path)?;
        self.start = story.scene(start).id.clone();
        self.played_before = file.played_secs;
        self.started = Instant::now();
        Ok(Restored {
            tree: Box::new(tree),
            notes: report.notes,
        })
    }

    fn ending_count(&self, story: &Story) -> usize {
        self.profile
            .as_ref()
            .and_then(|p| p.ledger(story))
            .map_or(0, |l| {
                story
                    .endings
                    .iter()
                    .filter(|e| l.endings.contains_key(&e.id))
                    .count()
            })
    }

    fn reload(&mut self, session: &Session) -> Reloaded {
        let Some(dir) = self.story_dir.clone() else {
            return Reloaded::Embedded;
        };
        let story = match crate::story::compile::load_dir(&dir) {
            Ok(story) => story,
            Err(failure) => return Reloaded::Broken(failure),
        };
        let file = self.capture(session);
        match file.restore(&story, &dir) {
            Ok((tree, start, report)) => {
                self.start = story.scene(start).id.clone();
                Reloaded::Carried {
                    story: Box::new(story),
                    tree: Box::new(tree),
                    dir,
                    notes: report.notes,
                }
            }
            Err(e) => Reloaded::Refused(e),
        }
    }

    /// Opens a transcript: the file the player names, else a new file of
    /// the saves directory with a name nobody can guess ahead
    /// (`transcript-DATE-RANDOM.txt`, created exclusively). A symbolic
    /// link, a FIFO (which would block), a device or a directory is
    /// refused; so are the game's own files in the saves directory and any
    /// existing file that does not start with the transcript header; a
    /// missing directory is not created. Each transcript begins with a
    /// header line, and one that is opened again gets another.
    fn transcript_on(
        &mut self,
        file: Option<String>,
        title: &str,
    ) -> Result<PathBuf, (PathBuf, std::io::Error)> {
        let stamp = save::format_time(save::now());
        let (path, mut file, fresh) = match file {
            Some(f) => {
                let path = PathBuf::from(f);
                match self.open_named_transcript(&path) {
                    Ok((file, fresh)) => (path, file, fresh),
                    Err(e) => return Err((path, e)),
                }
            }
            None => {
                let prefix = format!("transcript-{}-", stamp.replace([' ', ':'], "-"));
                let mut builder = tempfile::Builder::new();
                builder.prefix(&prefix).suffix(".txt").rand_bytes(8);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    builder.permissions(std::fs::Permissions::from_mode(0o644));
                }
                let made = builder
                    .tempfile_in(&self.saves.dir)
                    .and_then(|t| t.keep().map_err(|e| e.error));
                match made {
                    Ok((file, path)) => (path, file, true),
                    Err(e) => return Err((self.saves.dir.join(format!("{prefix}….txt")), e)),
                }
            }
        };
        let header = format!(
            "{}{TRANSCRIPT_HEADER} of “{}”, {} {stamp}\n",
            if fresh { "" } else { "\n" },
            crate::story::diagnostic::visible(title),
            if fresh { "started" } else { "resumed" },
        );
        if let Err(e) = file.write_all(header.as_bytes()) {
            return Err((path, e));
        }
        self.transcript = Some((path.clone(), file));
        Ok(path)
    }

    /// Opens a transcript file the player named, to append to (`fsio`'s
    /// refusals, and the transcript's own); whether it is new or empty.
    fn open_named_transcript(&self, path: &Path) -> std::io::Result<(std::fs::File, bool)> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let own =
            name.ends_with(".ron") || name == "history.txt" || name.starts_with(".callister-");
        if own
            && fsio::is_within(fsio::parent(path), &self.saves.dir)
            && fsio::is_within(&self.saves.dir, fsio::parent(path))
        {
            return Err(Refusal::OwnFile.into());
        }
        let (mut file, existed) = fsio::open_append(path, fsio::Access::Shared)?;
        let len = file.metadata()?.len();
        if existed && len > 0 {
            let mut start = vec![0; TRANSCRIPT_HEADER.len()];
            let read = file
                .seek(std::io::SeekFrom::Start(0))
                .and_then(|_| file.read_exact(&mut start));
            if read.is_err() || start != TRANSCRIPT_HEADER.as_bytes() {
                return Err(Refusal::NotATranscript.into());
            }
        }
        Ok((file, !existed || len == 0))
    }
}

/// The first words of every transcript: what marks a file as one, so that
/// `transcript on FILE` never appends to a file that is something else.
pub const TRANSCRIPT_HEADER: &str = "# Callister transcript";

/// A save of the session's game, as the host writes it.
fn capture(session: &Session, start: &str, played: u64) -> SaveFile {
    let start = session
        .story
        .scene_by_id(start)
        .unwrap_or(session.story.start);
    SaveFile::capture(&session.story, &session.tree, start, save::now(), played)
}
