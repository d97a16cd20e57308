//! The host of an interactive game: autosaves, save slots, the endings
//! ledger, transcripts and `reload`. The session asks; this touches the disk.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anstyle::{AnsiColor, Style};

use crate::play::command::Command;
use crate::play::ledger::Profile;
use crate::play::save::{self, AUTOSAVE, QUICKSAVE, SaveDir, SaveError, SaveFile};
use crate::play::session::{Flow, Host, Session};
use crate::story::{ChoiceId, Story};

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
    pub color: bool,
    /// Set once a save error was reported, so autosave does not repeat it
    /// after every choice.
    autosave_failed: bool,
}

impl GameHost {
    pub fn new(
        saves: SaveDir,
        start: String,
        story_dir: Option<PathBuf>,
        color: bool,
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
                color,
                autosave_failed: false,
            },
            warning,
        )
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{}{}", style.render(), text, style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn played(&self) -> u64 {
        self.played_before + self.started.elapsed().as_secs()
    }

    fn capture(&self, session: &Session) -> SaveFile {
        let start = session
            .story
            .scene_by_id(&self.start)
            .unwrap_or(session.story.start);
        SaveFile::capture(
            &session.story,
            &session.tree,
            start,
            save::now(),
            self.played(),
        )
    }

    pub fn save(&mut self, session: &Session, slot: &str) -> Result<PathBuf, SaveError> {
        let file = self.capture(session);
        self.saves.write(slot, &file)
    }

    /// Loads a slot into the session, returning notes for the player.
    pub fn load(&mut self, session: &mut Session, slot: &str) -> Result<Vec<String>, SaveError> {
        let file = self.saves.read(slot)?;
        let path = self.saves.path(slot);
        let (tree, start, report) = file.restore(&session.story, &path)?;
        self.start = session.story.scene(start).id.clone();
        self.played_before = file.played_secs;
        self.started = Instant::now();
        session.replace_tree(tree);
        // The notes name what the save held, and a save can come from
        // anywhere: its control characters are shown, not sent.
        Ok(report
            .notes
            .iter()
            .map(|n| crate::story::diagnostic::visible(n).into_owned())
            .collect())
    }

    fn ending_count(&self, story: &Story) -> (usize, usize) {
        let found = self
            .profile
            .as_ref()
            .and_then(|p| p.ledger(story))
            .map_or(0, |l| {
                story
                    .endings
                    .iter()
                    .filter(|e| l.endings.contains_key(&e.id))
                    .count()
            });
        (found, story.endings.len())
    }

    fn endings(&self, story: &Story, out: &mut String) {
        let Some(profile) = &self.profile else {
            let _ = writeln!(
                out,
                "The endings ledger is off for this session (the profile file is unreadable)."
            );
            return;
        };
        let (found, total) = self.ending_count(story);
        let _ = writeln!(
            out,
            "{}",
            self.paint(
                Style::new().bold(),
                &format!("Endings found: {found}/{total}")
            )
        );
        let ledger = profile.ledger(story);
        for e in &story.endings {
            match ledger.and_then(|l| l.endings.get(&e.id)) {
                Some(r) => {
                    let _ = writeln!(
                        out,
                        "  {} ({}) — first reached {} in {} turns; reached {} time{}, fewest turns {}",
                        self.paint(Style::new().bold(), &e.title),
                        e.kind.label(),
                        save::format_time(r.first),
                        r.turns,
                        r.times,
                        if r.times == 1 { "" } else { "s" },
                        r.fewest_turns
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  {}",
                        self.paint(Style::new().dimmed(), "??? (not yet found)")
                    );
                }
            }
        }
    }

    fn saves_table(&self, story: &Story, out: &mut String) {
        let (good, bad) = self.saves.list();
        if good.is_empty() && bad.is_empty() {
            let _ = writeln!(out, "No saves yet in `{}`.", self.saves.dir.display());
            return;
        }
        out.push_str(&render_saves_table(story, &good, &bad));
    }

    fn reload(&mut self, session: &mut Session, out: &mut String) {
        let Some(dir) = self.story_dir.clone() else {
            let _ = writeln!(
                out,
                "`reload` re-reads a story directory: start with `--scenes DIR` to use it. The shipped story is built in."
            );
            return;
        };
        match crate::story::compile::load_dir(&dir) {
            Err(failure) => {
                out.push_str(&crate::story::diagnostic::render_all(
                    &failure.diagnostics,
                    &failure.sources,
                    self.color,
                ));
                let _ = writeln!(
                    out,
                    "The story has errors; still playing the version loaded before."
                );
            }
            Ok(story) => {
                let file = self.capture(session);
                match file.restore(&story, &dir) {
                    Ok((tree, start, report)) => {
                        self.start = story.scene(start).id.clone();
                        let scenes = story.scenes.len();
                        session.replace(story, tree);
                        let _ = writeln!(
                            out,
                            "{}",
                            self.paint(
                                AnsiColor::Green.on_default(),
                                &format!("Reloaded `{}`: {scenes} scenes.", dir.display())
                            )
                        );
                        for note in report.notes {
                            let _ = writeln!(out, "{}", crate::story::diagnostic::visible(&note));
                        }
                        out.push('\n');
                        let mut scene = String::new();
                        session.show_scene(&mut scene, self);
                        out.push_str(&scene);
                    }
                    Err(e) => {
                        let _ = writeln!(
                            out,
                            "Cannot carry the game into the new version: {e}. Still playing the old one."
                        );
                    }
                }
            }
        }
    }

    fn transcript_on(&mut self, file: Option<&str>, out: &mut String) {
        let path = match file {
            Some(f) => PathBuf::from(f),
            None => {
                let stamp = save::format_time(save::now()).replace([' ', ':'], "-");
                self.saves.dir.join(format!("transcript-{stamp}.txt"))
            }
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(parent);
        }
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            Ok(f) => {
                let _ = writeln!(
                    out,
                    "Transcript on: everything shown and typed now goes to `{}`.",
                    path.display()
                );
                self.transcript = Some((path, f));
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "Cannot open `{}` for the transcript: {e}.",
                    path.display()
                );
            }
        }
    }
}

impl Host for GameHost {
    fn after_step(&mut self, session: &Session, out: &mut String) {
        let story = &session.story;
        let state = session.state();
        // The ledger: the choice just taken, and an ending if reached.
        let node = &session.tree.nodes[session.tree.current];
        let parent = node.parent.map(|p| &session.tree.nodes[p].state);
        if let (Some(profile), Some(step), Some(before)) =
            (self.profile.as_mut(), &node.step, parent)
            && let Some(choice) = story.choice_by_key(before.scene, &step.key)
        {
            profile.record_choice(story, choice);
            let mut new_ending = None;
            if let Some(e) = state.ending(story) {
                let ending = story.ending(e);
                if profile.record_ending(story, &ending.id, state.turn, save::now()) {
                    new_ending = Some(ending.title.clone());
                }
            }
            if let Err(e) = profile.store(&self.saves) {
                if !self.autosave_failed {
                    let _ = writeln!(
                        out,
                        "(Could not update the endings ledger: {e}. The game goes on.)"
                    );
                }
            } else if let Some(title) = new_ending {
                let (found, total) = self.ending_count(story);
                let line = format!("New ending found: {title} ({found}/{total}).");
                let _ = writeln!(
                    out,
                    "{}\n",
                    self.paint(AnsiColor::Magenta.on_default().bold(), &line)
                );
            }
        }
        self.autosave(session, out);
    }

    fn after_move(&mut self, session: &Session, out: &mut String) {
        self.autosave(session, out);
    }

    fn command(
        &mut self,
        session: &mut Session,
        command: &Command,
        out: &mut String,
    ) -> Option<Flow> {
        self.command_impl(session, command, out)
    }

    fn is_new(&self, story: &Story, choice: ChoiceId) -> bool {
        self.profile
            .as_ref()
            .is_some_and(|p| !p.taken(story, choice))
    }

    fn transcribe(&mut self, text: &str) {
        self.transcribe_impl(text);
    }
}

impl GameHost {
    fn autosave(&mut self, session: &Session, out: &mut String) {
        if self.autosave {
            match self.save(session, AUTOSAVE) {
                Ok(_) => self.autosave_failed = false,
                Err(e) => {
                    if !self.autosave_failed {
                        let _ = writeln!(
                            out,
                            "{}",
                            self.paint(
                                AnsiColor::Yellow.on_default(),
                                &format!(
                                    "(Autosave failed: {e}. The game goes on; `save` to try again.)"
                                )
                            )
                        );
                    }
                    self.autosave_failed = true;
                }
            }
        }
    }

    fn command_impl(
        &mut self,
        session: &mut Session,
        command: &Command,
        out: &mut String,
    ) -> Option<Flow> {
        match command {
            Command::Save(slot) => {
                let slot = slot.as_deref().unwrap_or(QUICKSAVE);
                match self.save(session, slot) {
                    Ok(path) => {
                        let _ = writeln!(out, "Saved to slot `{slot}` ({}).", path.display());
                    }
                    Err(e) => {
                        let _ = writeln!(out, "Not saved: {e}. The game goes on.");
                    }
                }
            }
            Command::Load(slot) => {
                let slot = match slot {
                    Some(s) => s.clone(),
                    None => match self
                        .saves
                        .list()
                        .0
                        .into_iter()
                        .find(|s| s.story == session.story.title)
                    {
                        Some(latest) => latest.slot,
                        None => {
                            let _ = writeln!(out, "There are no saves of this story to load.");
                            return Some(Flow::Continue);
                        }
                    },
                };
                match self.load(session, &slot) {
                    Ok(notes) => {
                        let _ = writeln!(out, "Loaded slot `{slot}`.");
                        for n in notes {
                            let _ = writeln!(out, "{n}");
                        }
                        out.push('\n');
                        let mut scene = String::new();
                        session.show_scene(&mut scene, self);
                        out.push_str(&scene);
                    }
                    Err(e) => {
                        let _ = writeln!(out, "Not loaded: {e}. Nothing changed.");
                    }
                }
            }
            Command::Saves => self.saves_table(&session.story, out),
            Command::Delete(None) => {
                let _ = writeln!(out, "Usage: delete SLOT. Type `saves` to see them.");
            }
            Command::Delete(Some(slot)) => match self.saves.delete(slot) {
                Ok(()) => {
                    let _ = writeln!(out, "Deleted slot `{slot}`.");
                }
                Err(e) => {
                    let _ = writeln!(out, "Not deleted: {e}.");
                }
            },
            Command::Endings => self.endings(&session.story, out),
            Command::TranscriptOn(file) => self.transcript_on(file.as_deref(), out),
            Command::TranscriptOff => match self.transcript.take() {
                Some((path, _)) => {
                    let _ = writeln!(out, "Transcript off; it is in `{}`.", path.display());
                }
                None => {
                    let _ = writeln!(out, "No transcript is open.");
                }
            },
            Command::Reload => self.reload(session, out),
            _ => return None,
        }
        Some(Flow::Continue)
    }

    fn transcribe_impl(&mut self, text: &str) {
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

/// The `saves` table, shared by the prompt and `callister saves`.
pub fn render_saves_table(
    story: &Story,
    good: &[save::SaveInfo],
    bad: &[(String, SaveError)],
) -> String {
    let mut out = String::new();
    let rows: Vec<[String; 4]> = good
        .iter()
        .map(|s| {
            let scene = if s.story == story.title {
                story.scene_by_id(&s.scene).map_or_else(
                    || format!("{} (scene gone)", s.scene),
                    |id| story.scene(id).title.clone(),
                )
            } else {
                format!("(another story: {})", s.story)
            };
            [
                s.slot.clone(),
                scene,
                s.turn.to_string(),
                save::format_time(s.saved_at),
            ]
        })
        .collect();
    let header = ["slot", "scene", "turn", "saved"];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {}\n",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
    };
    out.push_str(&line(header));
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
    }
    for (slot, e) in bad {
        let _ = writeln!(out, "{slot}: unreadable: {e}");
    }
    out
}
