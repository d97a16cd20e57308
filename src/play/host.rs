//! The host of an interactive game: it carries out what the session asks
//! (autosaves, save slots, the endings ledger, transcripts, `reload`) and
//! answers. This is where the disk is touched; the text the player reads is
//! written by the session.

use std::collections::BTreeSet;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::fsio::{self, Refusal};
use crate::play::ledger::Profile;
use crate::play::save::{self, AUTOSAVE, SaveDir, SaveError, SaveFile};
pub use crate::play::session::render_saves_table;
use crate::play::session::{Answer, Host, Recorded, Reloaded, Request, Restored, Session};
use crate::story::Story;

pub struct GameHost {
    pub saves: SaveDir,
    /// `None` when the profile file is unreadable: it is then never
    /// overwritten, and the ledger is off for this session.
    pub profile: Option<Profile>,
    /// The scene the game began in, by id (survives `reload`).
    pub start: String,
    /// Seconds played before this session (from a loaded save).
    pub played_before: u64,
    pub started: Instant,
    pub transcript: Option<(PathBuf, std::fs::File)>,
    /// The story directory, for `reload`; `None` for the embedded story.
    pub story_dir: Option<PathBuf>,
    pub autosave: bool,
}

impl GameHost {
    /// The host, and a warning for the player when the ledger is off.
    /// `_color` is unused (the session paints everything the player reads);
    /// it stays until the command line stops passing it.
    pub fn new(
        saves: SaveDir,
        start: String,
        story_dir: Option<PathBuf>,
        _color: bool,
    ) -> (GameHost, Option<String>) {
        let (profile, warning) = match Profile::load(&saves) {
            Ok(p) => (Some(p), None),
            Err(e) => (
                None,
                Some(format!("The endings ledger is off for this session: {e}.")),
            ),
        };
        (
            GameHost {
                saves,
                profile,
                start,
                played_before: 0,
                started: Instant::now(),
                transcript: None,
                story_dir,
                autosave: true,
            },
            warning,
        )
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
        session.replace_tree(restored.tree);
        // The notes name what the save held, and a save can come from
        // anywhere: its control characters are shown, not sent.
        Ok(restored
            .notes
            .iter()
            .map(|n| crate::story::diagnostic::visible(n).into_owned())
            .collect())
    }
}

impl Host for GameHost {
    fn carry_out(&mut self, session: &Session, request: Request) -> Answer {
        let story = &session.story;
        match request {
            Request::Ledger => Answer::Ledger(self.profile.as_ref().map(|p| {
                p.ledger(story)
                    .map_or_else(BTreeSet::new, |l| l.choices.clone())
            })),
            Request::Record {
                choice,
                ending,
                turn,
            } => {
                let Some(profile) = self.profile.as_mut() else {
                    return Answer::Unavailable(request);
                };
                profile.record_choice(story, choice);
                let first = ending.filter(|&e| {
                    profile.record_ending(story, &story.ending(e).id, turn, save::now())
                });
                Answer::Recorded(profile.store(&self.saves).map(|()| Recorded {
                    new_ending: first,
                    found: self.ending_count(story),
                }))
            }
            Request::Autosave if self.autosave => {
                Answer::Autosaved(self.save(session, AUTOSAVE).map(|_| ()))
            }
            Request::Autosave => Answer::Unavailable(request),
            Request::Save(slot) => Answer::Saved {
                result: self.save(session, &slot),
                slot,
            },
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
                Answer::Loaded {
                    result: self.read_slot(story, &slot),
                    slot,
                }
            }
            Request::ListSaves => {
                let (good, bad) = self.saves.list();
                Answer::Saves {
                    dir: self.saves.dir.clone(),
                    good,
                    bad,
                }
            }
            Request::Delete(slot) => Answer::Deleted {
                result: self.saves.delete(&slot),
                slot,
            },
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
            Request::Reload => Answer::Reloaded(self.reload(session)),
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
    fn played(&self) -> u64 {
        self.played_before + self.started.elapsed().as_secs()
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
            tree,
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
                    tree,
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
