//! A play session: one story, one tree of paths, and the commands a player
//! types. A line of input goes in; a [`Reply`] comes out: the text to show,
//! and the disk work it needs as [`Request`]s. The session does no I/O: a
//! [`Host`] carries each request out and the result comes back through one
//! entry point, [`Session::answer`]. All the game's text is written here, so
//! the prompt, replay and the tests show the same thing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use anstyle::{AnsiColor, Style};

use crate::engine::history::{Step, Tree};
use crate::engine::{Dice, RollMode, State, View};
use crate::play::command::{self, BranchRef, COMMANDS, Command, Shape, Topic};
use crate::play::ledger::{self, Known, Ledger, Outcomes};
pub use crate::play::look::Look;
use crate::play::save::{self, SaveError, SaveInfo};
use crate::story::compile::Failure;
use crate::story::diagnostic::{MAX_CELL, visible, visible_cut};
use crate::story::{ChapterId, ChoiceId, EndingId, EndingKind, SceneId, Story};

/// The dice rule in one sentence, as `help` and the README say it.
pub const DICE_RULE: &str = "Dice: a check's roll comes from the game's seed and where you are (the step, the scene, the choice), so the same choice at the same point always rolls the same, and seeing one choice's roll tells you nothing about another's.";

/// The rule of a game saved in format 1, which keeps the dice it had.
pub const DICE_RULE_OLD: &str = "Dice: this game was saved by an older Callister and rolls as it did then: each check takes the next number of one stream, whatever is chosen.";

/// What the driver should do after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flow {
    #[default]
    Continue,
    Quit,
}

/// What the session gives back for a line or an answer.
#[derive(Debug, Default)]
pub struct Reply {
    /// What to show, wrapped at `look.width`.
    pub text: String,
    /// Disk work to do, in order; each result goes to [`Session::answer`].
    pub requests: Vec<Request>,
    pub flow: Flow,
}

/// Work the session needs a host to do: everything that touches the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The choices the endings ledger has seen taken, for the "new" marks:
    /// asked by the intro before it shows the first scene, and after
    /// `reload`.
    Ledger,
    /// A step that made a new node of the tree: the choice, and the ending
    /// if it reached one, go into the ledger. Moving back and forth in the
    /// tree, or taking the same choice to the same outcome again, asks
    /// nothing, so an ending reached again by `undo` and `redo` is not
    /// counted again.
    Record {
        choice: ChoiceId,
        /// For a check, whether it succeeded: the outcomes seen are noted.
        success: Option<bool>,
        ending: Option<EndingId>,
        turn: u32,
    },
    /// A scene's text was shown in full, and this text of it was not known
    /// to be read before: the ledger notes its hash (`ledger::text_hash`).
    Read {
        scene: SceneId,
        hash: String,
    },
    /// `skip on` or `off`: the profile remembers it.
    SkipSeen(bool),
    /// The game moved: the autosave follows it.
    Autosave,
    /// The player is leaving: the autosave is written whole, with the time
    /// played.
    Leave,
    /// Save to a slot; one holding another playthrough is written over
    /// only with `overwrite` (after asking).
    Save {
        slot: String,
        overwrite: bool,
    },
    /// A slot, or the newest save of this story.
    Load(Option<String>),
    ListSaves,
    /// Delete a slot: without `confirmed`, only say what it holds, for the
    /// question.
    Delete {
        slot: String,
        confirmed: bool,
    },
    Endings,
    TranscriptOn(Option<String>),
    TranscriptOff,
    Reload,
}

/// What came of a request.
#[derive(Debug)]
pub enum Answer {
    /// This host does not do that (replay, tests).
    Unavailable(Request),
    /// This story's ledger and the player's settings; `None` when the
    /// ledger is off.
    Ledger(Option<Known>),
    /// The profile noted a `Read` or a `SkipSeen`.
    Noted(Result<(), SaveError>),
    Recorded(Result<Recorded, SaveError>),
    Autosaved(Result<(), SaveError>),
    Saved {
        slot: String,
        result: Result<PathBuf, SaveError>,
    },
    /// The slot holds another playthrough: saving there needs a yes.
    Occupied {
        slot: String,
        info: SaveInfo,
    },
    /// What a slot to delete holds (or why it does not read), for the
    /// question.
    DeleteWhat {
        slot: String,
        holds: Result<SaveInfo, SaveError>,
    },
    Loaded {
        slot: String,
        result: Result<Restored, SaveError>,
    },
    /// `load` without a slot, and no save of this story.
    NothingToLoad,
    Saves {
        dir: PathBuf,
        good: Vec<SaveInfo>,
        bad: Vec<(String, SaveError)>,
    },
    Deleted {
        slot: String,
        result: Result<(), SaveError>,
    },
    /// This story's ledger; `None` when the ledger is off.
    Endings(Option<Ledger>),
    TranscriptOn(Result<PathBuf, (PathBuf, std::io::Error)>),
    /// The transcript closed, or `None` when none was open.
    TranscriptOff(Option<PathBuf>),
    Reloaded(Reloaded),
}

/// The ledger after a step was recorded.
#[derive(Debug)]
pub struct Recorded {
    /// The ending, when this was the first time it was reached.
    pub new_ending: Option<EndingId>,
    /// How many of the story's endings have been found.
    pub found: usize,
}

/// A game read from a save.
#[derive(Debug)]
pub struct Restored {
    pub tree: Box<Tree>,
    /// What loading it changed or dropped, as sentences.
    pub notes: Vec<String>,
}

/// What came of `reload`.
#[derive(Debug)]
pub enum Reloaded {
    /// The story is built into the binary: there is nothing to re-read.
    Embedded,
    /// The story on disk has errors; the version loaded before plays on.
    Broken(Failure),
    /// The game, carried into the story as it is now on disk.
    Carried {
        story: Box<Story>,
        tree: Box<Tree>,
        dir: PathBuf,
        notes: Vec<String>,
    },
    /// The game cannot be carried into the new version.
    Refused(SaveError),
}

/// What carries out a session's requests: the terminal game's
/// (`host::GameHost`), or [`NoHost`].
pub trait Host {
    /// Does what the session asked. The session is only read: what changes
    /// it is the answer, through [`Session::answer`].
    fn carry_out(&mut self, session: &Session, request: Request) -> Answer;
    /// Everything shown and typed, for an open transcript.
    fn transcribe(&mut self, _text: &str) {}
}

/// A host that keeps nothing and does nothing: replay and tests.
pub struct NoHost;

impl Host for NoHost {
    fn carry_out(&mut self, _session: &Session, request: Request) -> Answer {
        Answer::Unavailable(request)
    }
}

/// Carries out a reply's requests with `host`, handing each answer back to
/// the session (and doing what the answers ask in turn), until nothing is
/// asked. Returns all the text, in order, and the flow.
pub fn settle(session: &mut Session, host: &mut dyn Host, reply: Reply) -> (String, Flow) {
    let Reply {
        mut text,
        requests,
        mut flow,
    } = reply;
    let mut queue: std::collections::VecDeque<Request> = requests.into();
    while let Some(request) = queue.pop_front() {
        let answer = host.carry_out(session, request);
        let more = session.answer(answer);
        text.push_str(&more.text);
        for (i, r) in more.requests.into_iter().enumerate() {
            queue.insert(i, r);
        }
        if more.flow == Flow::Quit {
            flow = Flow::Quit;
        }
    }
    (text, flow)
}

pub struct Session {
    pub story: Story,
    pub tree: Tree,
    pub look: Look,
    last_chapter: Option<ChapterId>,
    /// A question waiting for its answer on the next line.
    asking: Option<Question>,
    /// Choices taken in any playthrough, as `scene/key`, for the "new"
    /// marks; `None` when there is no ledger.
    taken: Option<BTreeSet<String>>,
    /// Set while the intro waits for the ledger.
    opening: bool,
    /// Set once an autosave failure was reported, so that it is not
    /// repeated after every choice.
    autosave_failed: bool,
    /// Skip mode (`skip on`, `--skip-seen`): a scene whose text was read
    /// before shows as its title and one line, then the choices.
    pub skip_seen: bool,
    /// The outcomes seen of each check taken, by `scene/key` (with
    /// `taken`).
    outcomes: BTreeMap<String, Outcomes>,
    /// The texts of each scene read in full, by scene id, as hashes: from
    /// the ledger, and those read since.
    read: BTreeMap<String, Vec<String>>,
    /// Requests that showing a scene adds (`Read`), sent with the reply.
    pending: Vec<Request>,
    /// Set once a failure to update the profile was reported.
    profile_failed: bool,
}

/// A question the session asked, answered by the next line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Question {
    Restart,
    /// Write over the slot, which holds another playthrough?
    Overwrite(String),
    Delete(String),
}

impl Session {
    pub fn new(story: Story, state: State, look: Look) -> Session {
        Session {
            story,
            tree: Tree::new(state),
            look,
            last_chapter: None,
            asking: None,
            taken: None,
            opening: false,
            autosave_failed: false,
            skip_seen: false,
            outcomes: BTreeMap::new(),
            read: BTreeMap::new(),
            pending: Vec::new(),
            profile_failed: false,
        }
    }

    pub fn state(&self) -> &State {
        self.tree.state()
    }

    /// Replaces the story (after `reload`) keeping the tree; the caller has
    /// mapped every state onto the new story.
    pub fn replace(&mut self, story: Story, tree: Tree) {
        self.story = story;
        self.replace_tree(tree);
    }

    pub fn replace_tree(&mut self, tree: Tree) {
        self.tree = tree;
        self.last_chapter = None;
        self.asking = None;
    }

    /// The opening: it asks for the ledger, then the answer shows the title
    /// and the current scene.
    pub fn intro(&mut self) -> Reply {
        self.opening = true;
        Reply {
            requests: vec![Request::Ledger],
            ..Reply::default()
        }
    }

    /// The prompt for the line editor: where you are, as branch and step
    /// (`b3·42 > `; in plain mode `branch 3, step 42 > `).
    pub fn prompt(&self) -> String {
        let branch = self.tree.branch_here();
        let step = self.tree.depth();
        if self.look.plain {
            format!("branch {branch}, step {step} > ")
        } else {
            format!("b{branch}·{step} > ")
        }
    }

    /// The player leaves (`quit`, the end of input): the autosave is
    /// written whole.
    pub fn leave(&mut self) -> Reply {
        Reply {
            requests: vec![Request::Leave],
            ..Reply::default()
        }
    }

    /// The keys of the open choices, for completion.
    pub fn choice_keys(&self) -> Vec<String> {
        let state = self.state();
        state
            .choices(&self.story)
            .map(|c| self.story.choice(c).key.clone())
            .collect()
    }

    /// Handles one line of input.
    pub fn read(&mut self, line: &str) -> Reply {
        let mut out = String::new();
        if let Some(question) = self.asking.take() {
            return self.reply_to(question, line);
        }
        if line.len() > command::MAX_LINE {
            let _ = writeln!(
                out,
                "That line is {} bytes long; nothing here is longer than a few words. Nothing changed.",
                line.len()
            );
            return self.reply(out, Vec::new());
        }
        if line.contains('\0') {
            let _ = writeln!(out, "That line holds a NUL byte; ignored. Nothing changed.");
            return self.reply(out, Vec::new());
        }
        let cmd = command::parse(line);
        let before = (self.tree.current(), self.tree.nodes.len());
        let names = self.tree.names.clone();
        let mut requests = Vec::new();
        let flow = self.dispatch(&cmd, line, &mut out, &mut requests);
        let moved = matches!(
            cmd,
            Command::Undo(_) | Command::Redo(_) | Command::Rewind(_) | Command::Branch(_)
        );
        if moved && before != (self.tree.current(), self.tree.nodes.len()) {
            requests.push(Request::Autosave);
        }
        if matches!(cmd, Command::NameBranch(_)) && names != self.tree.names {
            requests.push(Request::Autosave);
        }
        let mut reply = self.reply(out, requests);
        reply.flow = flow;
        reply
    }

    /// Reads a line and has `host` carry out what it asks: the whole round
    /// trip, for drivers with nothing to do in between.
    pub fn input(&mut self, line: &str, host: &mut dyn Host) -> (String, Flow) {
        let reply = self.read(line);
        settle(self, host, reply)
    }

    /// The result of a request: the one way the outside changes a session.
    pub fn answer(&mut self, answer: Answer) -> Reply {
        let mut out = String::new();
        let mut requests = Vec::new();
        match answer {
            Answer::Unavailable(Request::Ledger) | Answer::Ledger(None) => {
                self.know(None, &mut out)
            }
            Answer::Ledger(Some(known)) => self.know(Some(known), &mut out),
            Answer::Unavailable(
                Request::Record { .. }
                | Request::Autosave
                | Request::Leave
                | Request::Read { .. }
                | Request::SkipSeen(_),
            ) => {}
            Answer::Noted(Ok(())) => self.profile_failed = false,
            Answer::Noted(Err(e)) => {
                if !std::mem::replace(&mut self.profile_failed, true) {
                    let _ = writeln!(
                        out,
                        "(Could not update the profile: {e}. The game goes on.)"
                    );
                }
            }
            Answer::Unavailable(other) => {
                let _ = writeln!(
                    out,
                    "`{}` is not available here. Nothing changed.",
                    request_name(&other)
                );
            }
            Answer::Recorded(Ok(recorded)) => {
                if let Some(ending) = recorded.new_ending {
                    let line = format!(
                        "New ending found: {} ({}/{}).",
                        self.story.ending(ending).title,
                        recorded.found,
                        self.story.endings.len()
                    );
                    let _ = writeln!(
                        out,
                        "{}\n",
                        self.look
                            .paint(AnsiColor::Magenta.on_default().bold(), &line)
                    );
                }
            }
            Answer::Recorded(Err(e)) => {
                if !self.autosave_failed {
                    let _ = writeln!(
                        out,
                        "(Could not update the endings ledger: {e}. The game goes on.)"
                    );
                }
            }
            Answer::Autosaved(Ok(())) => self.autosave_failed = false,
            Answer::Autosaved(Err(e)) => {
                if !self.autosave_failed {
                    let line =
                        format!("(Autosave failed: {e}. The game goes on; `save` to try again.)");
                    let _ = writeln!(
                        out,
                        "{}",
                        self.look.paint(AnsiColor::Yellow.on_default(), &line)
                    );
                }
                self.autosave_failed = true;
            }
            Answer::Saved { slot, result } => match result {
                Ok(path) => {
                    let _ = writeln!(out, "Saved to slot `{slot}` ({}).", path.display());
                }
                Err(e) => {
                    let _ = writeln!(out, "Not saved: {e}. The game goes on.");
                }
            },
            Answer::Occupied { slot, info } => {
                let _ = writeln!(
                    out,
                    "Slot `{slot}` holds another playthrough: {}. Write over it? [y/N]",
                    self.describe_save(&info)
                );
                self.asking = Some(Question::Overwrite(slot));
            }
            Answer::DeleteWhat { slot, holds } => {
                let what = match &holds {
                    Ok(info) => self.describe_save(info),
                    Err(e) => format!("a file that is not a readable save ({e})"),
                };
                let _ = writeln!(out, "Delete slot `{slot}`, {what}? [y/N]");
                self.asking = Some(Question::Delete(slot));
            }
            Answer::Loaded { slot, result } => match result {
                Ok(restored) => {
                    self.replace_tree(*restored.tree);
                    let _ = writeln!(out, "Loaded slot `{slot}`.");
                    for n in restored.notes {
                        let _ = writeln!(out, "{}", visible(&n));
                    }
                    out.push('\n');
                    self.show_scene(&mut out);
                    // The autosave holds the game being played.
                    requests.push(Request::Autosave);
                }
                Err(e) => {
                    let _ = writeln!(out, "Not loaded: {e}. Nothing changed.");
                }
            },
            Answer::NothingToLoad => {
                let _ = writeln!(out, "There are no saves of this story to load.");
            }
            Answer::Saves { dir, good, bad } => {
                if good.is_empty() && bad.is_empty() {
                    let _ = writeln!(out, "No saves yet in `{}`.", dir.display());
                } else {
                    self.saves_table(&good, &bad, &mut out);
                }
            }
            Answer::Deleted { slot, result } => match result {
                Ok(()) => {
                    let _ = writeln!(out, "Deleted slot `{slot}`.");
                }
                Err(e) => {
                    let _ = writeln!(out, "Not deleted: {e}.");
                }
            },
            Answer::Endings(ledger) => self.endings(ledger.as_ref(), &mut out),
            Answer::TranscriptOn(Ok(path)) => {
                let _ = writeln!(
                    out,
                    "Transcript on: everything shown and typed now goes to `{}`.",
                    path.display()
                );
            }
            Answer::TranscriptOn(Err((path, e))) => {
                let _ = writeln!(
                    out,
                    "Cannot open `{}` for the transcript: {e}.",
                    path.display()
                );
            }
            Answer::TranscriptOff(Some(path)) => {
                let _ = writeln!(out, "Transcript off; it is in `{}`.", path.display());
            }
            Answer::TranscriptOff(None) => {
                let _ = writeln!(out, "No transcript is open.");
            }
            Answer::Reloaded(reloaded) => self.reloaded(reloaded, &mut out, &mut requests),
        }
        self.reply(out, requests)
    }

    /// The current scene, as a step or a move shows it: in skip mode, one
    /// whose text was read before shows as its title and one line.
    pub fn show_scene(&mut self, out: &mut String) {
        self.show_scene_as(out, self.skip_seen);
    }

    /// The current scene; `brief` allows the short form for a text read
    /// before (`look` never asks for it).
    fn show_scene_as(&mut self, out: &mut String, brief: bool) {
        let view = self.state().view(&self.story);
        let chapter = self.story.scene(view.scene).chapter;
        if self.last_chapter != Some(chapter) {
            self.last_chapter = Some(chapter);
            if self.look.plain {
                let _ = writeln!(out, "Chapter: {}.\n", view.chapter);
            } else {
                let rule = format!("── {} ──", view.chapter);
                let _ = writeln!(
                    out,
                    "{}\n",
                    self.look.paint(AnsiColor::Cyan.on_default().bold(), &rule)
                );
            }
        }
        let hash = ledger::text_hash(&view.paragraphs);
        let id = &self.story.scene(view.scene).id;
        let known = self.read.get(id).is_some_and(|texts| texts.contains(&hash));
        if !known && !view.paragraphs.is_empty() {
            if let Some(texts) = self.read.get_mut(id) {
                ledger::remember(texts, &hash);
            } else if self.read.len() < ledger::READ_SCENES {
                self.read.insert(id.clone(), vec![hash.clone()]);
            }
            // Only a ledger notes it: without one there is nowhere to.
            if self.taken.is_some() {
                self.pending.push(Request::Read {
                    scene: view.scene,
                    hash,
                });
            }
        }
        self.render_view(&view, brief && known, out);
    }

    /// Takes a choice: applies it, shows what happened and the next scene.
    pub fn take(&mut self, choice: ChoiceId, mode: RollMode) -> Reply {
        let mut out = String::new();
        let mut requests = Vec::new();
        self.take_into(choice, mode, &mut out, &mut requests);
        self.reply(out, requests)
    }

    /// `Credits 60 · Fuel 4 · Hull 80`: the visible variables (in plain
    /// output, a sentence: `Credits: 60, Fuel: 4, Hull: 80.`).
    pub fn status_bar(&self) -> String {
        let parts: Vec<String> = self
            .story
            .variables
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.hidden)
            .map(|(i, v)| {
                if self.look.plain {
                    format!("{}: {}", v.name, self.state().vars[i])
                } else {
                    format!("{} {}", v.name, self.state().vars[i])
                }
            })
            .collect();
        if parts.is_empty() {
            String::new()
        } else if self.look.plain {
            format!("{}.", parts.join(", "))
        } else {
            parts.join(" · ")
        }
    }
}

// Commands.
impl Session {
    fn dispatch(
        &mut self,
        cmd: &Command,
        line: &str,
        out: &mut String,
        requests: &mut Vec<Request>,
    ) -> Flow {
        match cmd {
            Command::Empty => {}
            Command::Number(n) => {
                let choices: Vec<ChoiceId> = self.state().choices(&self.story).collect();
                match n.checked_sub(1).and_then(|i| choices.get(i)) {
                    Some(&c) => self.take_into(c, RollMode::Random, out, requests),
                    None => self.unknown(line, out),
                }
            }
            Command::Word(word) => match self.choice_by_key(word) {
                Some(c) => self.take_into(c, RollMode::Random, out, requests),
                None => self.unknown(line, out),
            },
            Command::Look => {
                self.last_chapter = None;
                self.show_scene_as(out, false);
            }
            Command::Unseen => self.unseen(out),
            Command::Skip(on) => self.skip(*on, out, requests),
            Command::Status => self.status(out),
            Command::Inventory => self.inventory(out),
            Command::Help(topic) => self.help(*topic, out),
            Command::Quit => return Flow::Quit,
            Command::Restart => self.ask_restart(out),
            Command::Undo(n) => self.undo(*n, out),
            Command::Redo(n) => self.redo(*n, out),
            Command::History => self.history(out),
            Command::Rewind(n) => self.rewind(*n, out),
            Command::Branches => self.branches(out),
            Command::Branch(b) => self.branch(b, out),
            Command::NameBranch(name) => self.name_branch(name, out),
            Command::Save(slot) => {
                let slot = slot.clone().unwrap_or_else(|| save::QUICKSAVE.to_string());
                match save::check_save_slot(&slot) {
                    Ok(()) => requests.push(Request::Save {
                        slot,
                        overwrite: false,
                    }),
                    Err(e) => {
                        let _ = writeln!(out, "Not saved: {e}. The game goes on.");
                    }
                }
            }
            Command::Load(slot) => requests.push(Request::Load(slot.clone())),
            Command::Saves => requests.push(Request::ListSaves),
            Command::Delete(slot) => match save::check_slot(slot) {
                Ok(()) => requests.push(Request::Delete {
                    slot: slot.clone(),
                    confirmed: false,
                }),
                Err(e) => {
                    let _ = writeln!(out, "Not deleted: {e}.");
                }
            },
            Command::Endings => requests.push(Request::Endings),
            Command::TranscriptOn(file) => requests.push(Request::TranscriptOn(file.clone())),
            Command::TranscriptOff => requests.push(Request::TranscriptOff),
            Command::Reload => requests.push(Request::Reload),
            // A command that needs an argument, typed alone, is a choice
            // when a choice has that key (the prologue's `skip`).
            Command::Malformed(topic) => match self.choice_by_key(line.trim()) {
                Some(c) => self.take_into(c, RollMode::Random, out, requests),
                None => self.usage(*topic, out),
            },
        }
        Flow::Continue
    }

    fn take_into(
        &mut self,
        choice: ChoiceId,
        mode: RollMode,
        out: &mut String,
        requests: &mut Vec<Request>,
    ) {
        let mut state = self.state().clone();
        let scene_id = self.story.scene(state.scene).id.clone();
        let outcome = match state.choose(&self.story, choice, mode) {
            Ok(o) => o,
            Err(e) => {
                let _ = writeln!(out, "{}. Nothing changed.", capitalise(&e.to_string()));
                return;
            }
        };
        let step = Step {
            scene: scene_id,
            key: self.story.choice(choice).key.clone(),
            roll: outcome.roll.as_ref().and_then(|r| r.roll),
            success: outcome.roll.as_ref().map(|r| r.success),
        };
        let text = self.choice_text(choice);
        let echo = if self.look.plain {
            format!("You chose: {}", sentence(&text))
        } else {
            let echo = self.look.wrap(&text, "» ", "  ");
            self.look.paint(Style::new().dimmed(), &echo)
        };
        let _ = writeln!(out, "{echo}\n");
        if let Some(roll) = &outcome.roll {
            let verdict = if roll.success { "success" } else { "failure" };
            // A roll that could not have gone the other way is not shown:
            // "100% chance: rolled 83" reads as if 83 mattered.
            let line = match roll.roll {
                Some(r) if (1..100).contains(&roll.chance) => {
                    format!("{}% chance: rolled {r}, {verdict}", roll.chance)
                }
                _ => format!("{}% chance: {verdict}", roll.chance),
            };
            let style = if roll.success {
                AnsiColor::Green.on_default()
            } else {
                AnsiColor::Red.on_default()
            };
            let line = if self.look.plain {
                format!("{line}.")
            } else {
                self.look.paint(style, &format!("[{line}]"))
            };
            let _ = writeln!(out, "{line}\n");
        }
        for said in &outcome.said {
            let text = self.look.emphasis(said, true);
            let _ = writeln!(
                out,
                "{}\n",
                self.look
                    .paint(Style::new().italic(), &self.look.wrap(&text, "", ""))
            );
        }
        for dead in &outcome.deaths {
            let name = &self.story.crew[dead.index()].name;
            let line = format!("{name} is dead.");
            let _ = writeln!(
                out,
                "{}\n",
                self.look.paint(AnsiColor::Red.on_default().bold(), &line)
            );
        }
        let nodes = self.tree.nodes.len();
        let ending = state.ending(&self.story);
        let turn = state.turn;
        let success = step.success;
        self.tree.push(step, choice, state);
        if self.tree.nodes.len() > nodes {
            if let Some(taken) = &mut self.taken {
                let key = ledger::choice_key(&self.story, choice);
                if let Some(success) = success {
                    let seen = self.outcomes.entry(key.clone()).or_default();
                    if success {
                        seen.success = true;
                    } else {
                        seen.failure = true;
                    }
                }
                taken.insert(key);
            }
            requests.push(Request::Record {
                choice,
                success,
                ending,
                turn,
            });
        }
        self.show_scene(out);
        requests.push(Request::Autosave);
    }

    fn ask_restart(&mut self, out: &mut String) {
        if self.tree.current() == 0 {
            let _ = writeln!(out, "You are at the start already. Nothing changed.");
            return;
        }
        let depth = self.tree.depth();
        let branch = self.tree.branch_here();
        self.asking = Some(Question::Restart);
        let _ = writeln!(
            out,
            "Go back to the start? The {} of this path stay{} in `branches`, as branch {branch}. [y/N]",
            plural(depth, "step"),
            if depth == 1 { "s" } else { "" },
        );
    }

    fn reply_to(&mut self, question: Question, line: &str) -> Reply {
        let mut out = String::new();
        let mut requests = Vec::new();
        let yes = matches!(line.trim().to_lowercase().as_str(), "y" | "yes");
        match question {
            Question::Restart if yes => {
                let branch = self.tree.branch_here();
                self.tree.go_to(&self.story, 0);
                let line = format!(
                    "Back at the start. The path you left is branch {branch}: `branch {branch}` returns to its end, `redo` retraces it."
                );
                let _ = writeln!(out, "{}\n", self.look.paint(Style::new().dimmed(), &line));
                self.show_scene_fresh(&mut out);
                requests.push(Request::Autosave);
            }
            Question::Restart => {
                let _ = writeln!(out, "Not restarted. Nothing changed.");
            }
            Question::Overwrite(slot) if yes => requests.push(Request::Save {
                slot,
                overwrite: true,
            }),
            Question::Overwrite(slot) => {
                let _ = writeln!(out, "Not saved; slot `{slot}` is as it was.");
            }
            Question::Delete(slot) if yes => requests.push(Request::Delete {
                slot,
                confirmed: true,
            }),
            Question::Delete(slot) => {
                let _ = writeln!(out, "Not deleted; slot `{slot}` is as it was.");
            }
        }
        self.reply(out, requests)
    }

    fn undo(&mut self, n: usize, out: &mut String) {
        let done = self.tree.undo(&self.story, n);
        if done == 0 {
            let _ = writeln!(out, "You are at the start; there is nothing to undo.");
            return;
        }
        let line = if self.tree.current() == 0 {
            format!("Undid {}: you are back at the start.", plural(done, "step"))
        } else {
            format!("Undid {}.", plural(done, "step"))
        };
        let _ = writeln!(out, "{}\n", self.look.paint(Style::new().dimmed(), &line));
        self.show_scene_fresh(out);
    }

    fn redo(&mut self, n: usize, out: &mut String) {
        let done = self.tree.redo(&self.story, n);
        if done == 0 {
            let _ = writeln!(
                out,
                "There is nothing to redo here: `redo` follows the path that `undo`, `rewind` or `restart` left. Nothing changed."
            );
            return;
        }
        let mut line = format!("Redid {}.", plural(done, "step"));
        if done < n {
            line.push_str(" That is as far as you had gone.");
        }
        let _ = writeln!(out, "{}\n", self.look.paint(Style::new().dimmed(), &line));
        self.show_scene_fresh(out);
    }

    fn rewind(&mut self, n: usize, out: &mut String) {
        if self.tree.rewind(&self.story, n) {
            let line = format!(
                "Rewound to step {n}. Choose differently to start a new branch; the old one is kept."
            );
            let _ = writeln!(out, "{}\n", self.look.paint(Style::new().dimmed(), &line));
            self.show_scene_fresh(out);
        } else {
            let _ = writeln!(
                out,
                "There is no step {n} behind you (steps 1 to {}). Type `history` to see them.",
                self.tree.depth()
            );
        }
    }

    fn branch(&mut self, b: &BranchRef, out: &mut String) {
        let number = match b {
            BranchRef::Number(n) => u32::try_from(*n).ok(),
            BranchRef::Name(name) => self.tree.named(name),
        };
        match number.and_then(|n| Some((n, self.tree.end_of(n)?))) {
            Some((n, end)) => {
                self.tree.go_to(&self.story, end);
                let line = format!("Jumped to the end of {}.", self.branch_label(n));
                let _ = writeln!(out, "{}\n", self.look.paint(Style::new().dimmed(), &line));
                self.show_scene_fresh(out);
            }
            None => {
                let numbers: Vec<String> = self
                    .tree
                    .branches()
                    .iter()
                    .map(|(n, _)| n.to_string())
                    .collect();
                let which = match b {
                    BranchRef::Number(n) => format!("There is no branch {n}"),
                    BranchRef::Name(name) => {
                        let shown: String = name.chars().take(40).collect();
                        format!("No branch is called `{}`", visible(&shown))
                    }
                };
                let _ = writeln!(
                    out,
                    "{which} (branches: {}). Type `branches` to see them; `branch name NAME` names the one you are on.",
                    numbers.join(", ")
                );
            }
        }
    }

    fn name_branch(&mut self, name: &str, out: &mut String) {
        let number = self.tree.branch_here();
        match self.tree.name(number, Some(name)) {
            Ok(()) => {
                let _ = writeln!(
                    out,
                    "This is branch {number}, `{name}`: `branch {name}` returns to its end."
                );
            }
            Err(e) => {
                let shown: String = name.chars().take(40).collect();
                let _ = writeln!(
                    out,
                    "Cannot name the branch `{}`: {e}. Nothing changed.",
                    visible(&shown)
                );
            }
        }
    }

    /// `branch 3`, or `branch 3 (cautious)` when it has a name.
    fn branch_label(&self, number: u32) -> String {
        match self.tree.names.get(&number) {
            Some(name) => format!("branch {number} ({name})"),
            None => format!("branch {number}"),
        }
    }

    /// A save as a phrase: `“The Door”, turn 4, saved 2026-11-24 06:12`.
    fn describe_save(&self, info: &SaveInfo) -> String {
        format!(
            "“{}”, turn {}, saved {}",
            save_scene(&self.story, info),
            info.turn,
            saved_when(info)
        )
    }

    fn usage(&self, topic: Topic, out: &mut String) {
        let spec = topic.spec();
        let none = if matches!(spec.shape, Shape::Bare(_)) {
            format!("`{}` takes no argument. ", spec.name)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{none}Usage: `{}`: {}. Nothing changed.",
            spec.usage(),
            spec.help
        );
    }

    fn unknown(&self, line: &str, out: &mut String) {
        let shown: String = line.trim().chars().take(40).collect();
        let more = if line.trim().chars().count() > 40 {
            "…"
        } else {
            ""
        };
        let choices: Vec<ChoiceId> = self.state().choices(&self.story).collect();
        let keys: Vec<&str> = choices
            .iter()
            .map(|&c| self.story.choice(c).key.as_str())
            .collect();
        let mut msg = format!("`{}{more}` is not a choice or a command.", visible(&shown));
        let word = line.trim().to_lowercase();
        if let Some(near) = crate::story::diagnostic::suggest(
            &word,
            keys.iter().copied().chain(COMMANDS.iter().map(|c| c.name)),
        ) {
            let _ = write!(msg, " Did you mean `{near}`?");
        }
        if self.state().ending(&self.story).is_some() {
            msg.push_str(" The story has ended: `restart`, `undo`, `endings` or `quit`.");
        } else if !choices.is_empty() {
            let _ = write!(
                msg,
                " Choose 1{} or a key ({}), or type `help`.",
                if choices.len() > 1 {
                    format!("–{}", choices.len())
                } else {
                    String::new()
                },
                keys.join(", ")
            );
        }
        let _ = writeln!(out, "{msg} Nothing changed.");
    }

    fn choice_by_key(&self, word: &str) -> Option<ChoiceId> {
        let state = self.state();
        state
            .choices(&self.story)
            .find(|&c| self.story.choice(c).key.eq_ignore_ascii_case(word))
    }
}

// Answers.
impl Session {
    /// The ledger's choices arrived; the intro, when it waits for them.
    fn know(&mut self, known: Option<Known>, out: &mut String) {
        match known {
            Some(known) => {
                let Ledger {
                    choices,
                    outcomes,
                    read,
                    endings: _,
                } = known.ledger;
                self.taken = Some(choices);
                self.outcomes = outcomes;
                // What was read in this session before the answer stays.
                for (scene, texts) in read {
                    let mine = self.read.remove(&scene).unwrap_or_default();
                    let mut all = texts;
                    for t in &mine {
                        ledger::remember(&mut all, t);
                    }
                    self.read.insert(scene, all);
                }
                self.skip_seen |= known.skip_seen;
            }
            None => self.taken = None,
        }
        if !std::mem::take(&mut self.opening) {
            return;
        }
        let title = if self.look.plain {
            self.story.title.clone()
        } else {
            self.look
                .paint(Style::new().bold(), &self.story.title.to_uppercase())
        };
        let _ = writeln!(out, "{title}");
        if let Some(author) = &self.story.author {
            let _ = writeln!(out, "{}", self.look.paint(Style::new().dimmed(), author));
        }
        let _ = writeln!(
            out,
            "{}",
            self.look.paint(
                Style::new().dimmed(),
                "Type a number or a key to choose, `help` for commands."
            )
        );
        out.push('\n');
        self.show_scene(out);
    }

    fn reloaded(&mut self, reloaded: Reloaded, out: &mut String, requests: &mut Vec<Request>) {
        match reloaded {
            Reloaded::Embedded => {
                let _ = writeln!(
                    out,
                    "`reload` re-reads a story directory: start with `--scenes DIR` to use it. The shipped story is built in."
                );
            }
            Reloaded::Broken(failure) => {
                out.push_str(&crate::story::diagnostic::render_all(
                    &failure.diagnostics,
                    &failure.sources,
                    self.look.colored(),
                ));
                let _ = writeln!(
                    out,
                    "The story has errors; still playing the version loaded before."
                );
            }
            Reloaded::Carried {
                story,
                tree,
                dir,
                notes,
            } => {
                let scenes = story.scenes.len();
                self.replace(*story, *tree);
                let line = format!("Reloaded `{}`: {scenes} scenes.", dir.display());
                let _ = writeln!(
                    out,
                    "{}",
                    self.look.paint(AnsiColor::Green.on_default(), &line)
                );
                for note in notes {
                    let _ = writeln!(out, "{}", visible(&note));
                }
                out.push('\n');
                self.show_scene(out);
                // The ledger is kept by the story's title, which an edit may
                // change.
                requests.push(Request::Ledger);
            }
            Reloaded::Refused(e) => {
                let _ = writeln!(
                    out,
                    "Cannot carry the game into the new version: {e}. Still playing the old one."
                );
            }
        }
    }
}

// What the commands show.
impl Session {
    fn reply(&mut self, text: String, mut requests: Vec<Request>) -> Reply {
        requests.append(&mut self.pending);
        Reply {
            text: self.look.fit(&text),
            requests,
            flow: Flow::Continue,
        }
    }

    fn show_scene_fresh(&mut self, out: &mut String) {
        self.last_chapter = None;
        self.show_scene(out);
    }

    /// A scene as the player sees it; `brief`: its text was read before,
    /// and skip mode shows one line instead.
    fn render_view(&self, view: &View, brief: bool, out: &mut String) {
        let _ = writeln!(
            out,
            "{}",
            self.look
                .paint(Style::new().bold().underline(), &view.title)
        );
        let bar = self.status_bar();
        if !bar.is_empty() && self.story.scene(view.scene).status {
            let _ = writeln!(out, "{}", self.look.paint(Style::new().dimmed(), &bar));
        }
        out.push('\n');
        if brief {
            let line = self
                .look
                .wrap("Read before; `look` to read it again.", "", "");
            let _ = writeln!(out, "{}\n", self.look.paint(Style::new().dimmed(), &line));
        } else {
            for p in &view.paragraphs {
                let _ = writeln!(
                    out,
                    "{}\n",
                    self.look.wrap(&self.look.emphasis(p, false), "", "")
                );
            }
        }
        if let Some(ending) = view.ending {
            let ending = self.story.ending(ending);
            let banner = if self.look.plain {
                format!(
                    "The end: {} (a {} ending).",
                    ending.title,
                    ending.kind.label()
                )
            } else {
                let style = match ending.kind {
                    EndingKind::Good => AnsiColor::Green.on_default().bold(),
                    EndingKind::Bittersweet => AnsiColor::Yellow.on_default().bold(),
                    EndingKind::Bad => AnsiColor::Red.on_default().bold(),
                };
                let banner = format!(
                    "*** THE END: {} (a {} ending) ***",
                    ending.title,
                    ending.kind.label()
                );
                self.look.paint(style, &banner)
            };
            let _ = writeln!(out, "{banner}\n");
            let _ = writeln!(
                out,
                "{}",
                self.look.wrap(
                    "Type `restart` to play again, `undo` to step back, `endings` to see what you have found, or `quit`.",
                    "",
                    ""
                )
            );
            return;
        }
        for (i, c) in view.choices.iter().enumerate() {
            let text = self.look.emphasis(&c.text, false);
            let new = self
                .taken
                .as_ref()
                .is_some_and(|t| !t.contains(&ledger::choice_key(&self.story, c.id)));
            let unseen = if new {
                None
            } else {
                self.unseen_outcome(c.id, c.chance)
            };
            let line = if self.look.plain {
                let mut about: Vec<String> = c
                    .chance
                    .map(|p| format!("{p}% chance"))
                    .into_iter()
                    .collect();
                about.extend(unseen.map(|o| format!("{o} not yet seen")));
                about.push(format!("key {}", c.key));
                if new {
                    about.push("new".to_string());
                }
                format!("{}. {text} ({})", i + 1, about.join(", "))
            } else {
                let number = self
                    .look
                    .paint(Style::new().bold(), &format!("{:>2}.", i + 1));
                let chance = match (c.chance, unseen) {
                    (Some(p), Some(o)) => format!(" ({p}%, {o} not yet seen)"),
                    (Some(p), None) => format!(" ({p}%)"),
                    (None, _) => String::new(),
                };
                let key = self
                    .look
                    .paint(Style::new().dimmed(), &format!("[{}]", c.key));
                let new = if new {
                    format!(
                        " {}",
                        self.look.paint(AnsiColor::Magenta.on_default(), "new")
                    )
                } else {
                    String::new()
                };
                format!("{number} {text}{chance} {key}{new}")
            };
            let _ = writeln!(out, "{}", self.look.wrap(&line, "", "    "));
        }
        if view.choices.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                self.look.paint(
                    AnsiColor::Red.on_default(),
                    "(No choice is open here: the story is stuck. Type `undo` to step back.)"
                )
            );
        }
    }

    /// For a check taken before: the outcome never seen in any
    /// playthrough, when the chance now allows it ("failure"). Nothing
    /// when both were seen, or when the ledger does not know (a check
    /// taken before outcomes were noted).
    fn unseen_outcome(&self, choice: ChoiceId, chance: Option<i64>) -> Option<&'static str> {
        let chance = chance?;
        self.taken.as_ref()?;
        let seen = self
            .outcomes
            .get(&ledger::choice_key(&self.story, choice))?;
        if !seen.success && chance > 0 {
            Some("success")
        } else if !seen.failure && chance < 100 {
            Some("failure")
        } else {
            None
        }
    }

    /// A choice's text as the player saw it, on one line.
    fn choice_text(&self, choice: ChoiceId) -> String {
        let text = crate::story::text::paragraphs(
            &self
                .state()
                .render(&self.story, &self.story.choice(choice).text),
        )
        .join(" ");
        self.look.emphasis(&text, false)
    }

    fn status(&self, out: &mut String) {
        let state = self.state();
        let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), "Status"));
        let visible: Vec<_> = self
            .story
            .variables
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.hidden)
            .collect();
        let width = visible
            .iter()
            .map(|(_, v)| v.name.chars().count())
            .max()
            .unwrap_or(0);
        for (i, v) in visible {
            if self.look.plain {
                let _ = writeln!(out, "  {}: {} of {}.", v.name, state.vars[i], v.max);
            } else {
                let _ = writeln!(
                    out,
                    "  {:<width$}  {} (of {})",
                    v.name, state.vars[i], v.max
                );
            }
        }
        // Only the crew the story has introduced (their `met`).
        let met: Vec<_> = self
            .story
            .crew
            .iter()
            .enumerate()
            .filter(|(_, c)| self.known(c.met.as_ref()))
            .collect();
        if !met.is_empty() {
            let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), "Crew"));
            for (i, c) in met {
                let alive = !state.dead.get(i);
                let mark = if alive {
                    self.look.paint(AnsiColor::Green.on_default(), "alive")
                } else {
                    self.look.paint(AnsiColor::Red.on_default(), "dead")
                };
                let role = c
                    .role
                    .as_deref()
                    .map(|r| format!(", {r}"))
                    .unwrap_or_default();
                let _ = writeln!(out, "  {}{role}: {mark}", c.name);
            }
        }
        self.inventory(out);
        let _ = writeln!(out, "Turn {}, seed {}.", state.turn, state.seed);
    }

    fn inventory(&self, out: &mut String) {
        let state = self.state();
        let held: Vec<&str> = self
            .story
            .items
            .iter()
            .enumerate()
            .filter(|(i, item)| state.items.get(*i) && self.known(item.met.as_ref()))
            .map(|(_, item)| item.name.as_str())
            .collect();
        if held.is_empty() {
            let _ = writeln!(out, "You carry nothing of note.");
        } else {
            let _ = writeln!(out, "You carry: {}.", held.join(", "));
        }
    }

    /// Whether a crew member or an item is known to the player now: its
    /// `met` holds, or it has none.
    fn known(&self, met: Option<&crate::story::Met>) -> bool {
        met.is_none_or(|m| self.state().holds(&self.story, &m.when))
    }

    /// `help`: every command from the table; `help NAME`: one of them.
    fn help(&self, topic: Option<Topic>, out: &mut String) {
        let also = |spec: &command::Spec| {
            if spec.aliases.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = spec.aliases.iter().map(|a| format!("`{a}`")).collect();
                format!(" (also {})", names.join(", "))
            }
        };
        if let Some(topic) = topic {
            let spec = topic.spec();
            let _ = writeln!(out, "`{}`{}: {}.", spec.usage(), also(spec), spec.help);
            return;
        }
        let mut rows = vec![(
            "1, 2, ... or a key".to_string(),
            "take a choice".to_string(),
        )];
        rows.extend(
            COMMANDS
                .iter()
                .map(|c| (c.usage(), format!("{}{}", c.help, also(c)))),
        );
        let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), "Commands"));
        if self.look.plain {
            for (usage, what) in rows {
                let _ = writeln!(
                    out,
                    "{}",
                    self.look.wrap(&format!("{usage}: {what}."), "", "  ")
                );
            }
        } else {
            let column = rows
                .iter()
                .map(|(u, _)| u.chars().count())
                .max()
                .unwrap_or(0);
            let column = column.min(self.look.width / 3);
            let indent = " ".repeat(column + 5);
            for (usage, what) in rows {
                let name = self.look.paint(Style::new().bold(), &usage);
                let width = usage.chars().count();
                let line = if width > column {
                    // Too long for the column: the help goes below it.
                    format!("  {name}\n{}", self.look.wrap(&what, &indent, &indent))
                } else {
                    let pad = " ".repeat(column - width);
                    self.look.wrap(&what, &format!("  {name}   {pad}"), &indent)
                };
                let _ = writeln!(out, "{line}");
            }
        }
        let dice = match self.tree.root().dice {
            Dice::Position => DICE_RULE,
            Dice::Stream => DICE_RULE_OLD,
        };
        let _ = writeln!(out, "{}", self.look.wrap(dice, "", ""));
        let _ = writeln!(
            out,
            "`help COMMAND` shows one; Tab completes commands and keys."
        );
    }

    /// The state at each node of the path from the start to where play
    /// is, in order.
    fn states_along_path(&self) -> Vec<State> {
        let mut states = Vec::new();
        self.tree
            .along(&self.story, self.tree.current(), &mut |_, s| {
                states.push(s.clone());
            });
        states
    }

    fn history(&self, out: &mut String) {
        let path = self.tree.path();
        if path.len() == 1 {
            let _ = writeln!(out, "No steps yet: you are at the start.");
            return;
        }
        let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), "History"));
        let states = self.states_along_path();
        for (i, pair) in path.windows(2).enumerate() {
            let (state, to) = (&states[i], pair[1]);
            let step = self.tree.nodes[to].step.as_ref();
            let scene = &self.story.scene(state.scene).title;
            let taken = step.map_or(String::new(), |s| {
                let text = self
                    .story
                    .choice_by_key(state.scene, &s.key)
                    .map(|c| {
                        let text = crate::story::text::paragraphs(
                            &state.render(&self.story, &self.story.choice(c).text),
                        )
                        .join(" ");
                        self.look.emphasis(&text, false)
                    })
                    .unwrap_or_default();
                let outcome = match s.success {
                    Some(true) => " (success)",
                    Some(false) => " (failure)",
                    None => "",
                };
                format!("{text} [{}]{outcome}", s.key)
            });
            let _ = writeln!(out, "  {:>3}. {scene}: {taken}", i + 1);
        }
        let here = self.story.scene(self.state().scene).title.clone();
        let _ = writeln!(out, "  now: {here}");
    }

    fn branches(&self, out: &mut String) {
        let leaves = self.tree.leaves();
        let heading = if self.look.plain {
            format!(
                "{} in this playthrough. You are on {}.",
                plural(leaves.len(), "branch"),
                self.branch_label(self.tree.branch_here())
            )
        } else {
            format!("Branches ({}); * marks where you are", leaves.len())
        };
        let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), &heading));
        let current_path = self.tree.path();
        let mut lines = Vec::new();
        self.draw(0, "", true, &leaves, &current_path, &mut lines);
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }

    /// Draws the subtree under `node`, collapsing straight runs of steps.
    fn draw(
        &self,
        node: usize,
        prefix: &str,
        last: bool,
        leaves: &[usize],
        current: &[usize],
        lines: &mut Vec<String>,
    ) {
        let tree = &self.tree;
        // Follow the straight run from `node` to the next fork or leaf.
        let mut run = vec![node];
        let mut end = node;
        while tree.nodes[end].children.len() == 1 {
            end = tree.nodes[end].children[0];
            run.push(end);
        }
        let steps = run
            .iter()
            .filter(|&&n| tree.nodes[n].step.is_some())
            .count();
        let title = &self.story.scene(tree.nodes[end].scene).title;
        let plain = self.look.plain;
        // Where you are: at the end of this run, or part way along it.
        let here = if tree.current() == end {
            if plain { " You are here." } else { " *" }.to_string()
        } else if run.contains(&tree.current()) {
            let at = &self.story.scene(tree.state().scene).title;
            match (tree.depth(), plain) {
                (0, true) => format!(" You are at the start, {at}."),
                (0, false) => format!(" * at the start: {at}"),
                (d, true) => format!(" You are on it after step {d}, {at}."),
                (d, false) => format!(" * after step {d}: {at}"),
            }
        } else {
            String::new()
        };
        let on_path = current.contains(&end);
        let ending = self.story.scene(tree.nodes[end].scene).ending.map(|e| {
            let title = &self.story.ending(e).title;
            if plain {
                format!(", ending: {title}")
            } else {
                format!(" — ending: {title}")
            }
        });
        let ending = ending.unwrap_or_default();
        let label = if leaves.contains(&end) {
            let label = self.branch_label(tree.nodes[end].branch);
            if plain {
                format!("{}: ", capitalise(&label))
            } else {
                format!("{label}: ")
            }
        } else {
            String::new()
        };
        let first_key = tree.nodes[node].step.as_ref().map(|s| s.key.as_str());
        let steps = plural(steps, "step");
        let (connector, child_prefix) = if node == 0 {
            (String::new(), String::new())
        } else if plain {
            ("  ".to_string(), format!("{prefix}  "))
        } else if last {
            ("└─ ".to_string(), format!("{prefix}   "))
        } else {
            ("├─ ".to_string(), format!("{prefix}│  "))
        };
        let text = if plain {
            let from = first_key.map(|k| format!("{k}, to ")).unwrap_or_default();
            format!("{label}{from}{title}, {steps}{ending}.{here}")
        } else {
            let from = first_key.map(|k| format!("{k} → ")).unwrap_or_default();
            format!("{label}{from}{title} ({steps}){ending}{here}")
        };
        let text = if on_path {
            self.look.paint(Style::new().bold(), &text)
        } else {
            text
        };
        let first = format!("{prefix}{connector}");
        let rest = if plain {
            first.clone()
        } else {
            format!("{child_prefix}   ")
        };
        lines.push(self.look.wrap(&text, &first, &rest));
        let children = &tree.nodes[end].children;
        for (i, &c) in children.iter().enumerate() {
            self.draw(
                c,
                &child_prefix,
                i + 1 == children.len(),
                leaves,
                current,
                lines,
            );
        }
    }

    /// `endings`: those found, then those not yet found by the chapter of
    /// their scene, with their hints once half of the endings are found.
    fn endings(&self, ledger: Option<&Ledger>, out: &mut String) {
        let Some(ledger) = ledger else {
            let _ = writeln!(
                out,
                "The endings ledger is off for this session (the profile file is unreadable)."
            );
            return;
        };
        let story = &self.story;
        let (found, unfound): (Vec<_>, Vec<_>) = story
            .endings
            .iter()
            .partition(|e| ledger.endings.contains_key(&e.id));
        let heading = format!("Endings found: {}/{}", found.len(), story.endings.len());
        let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), &heading));
        for e in &found {
            let Some(r) = ledger.endings.get(&e.id) else {
                continue;
            };
            let line = format!(
                "{} ({}) — first reached {} in {}; reached {}, fewest turns {}",
                self.look.paint(Style::new().bold(), &e.title),
                e.kind.label(),
                save::format_time(r.first),
                plural(r.turns as usize, "turn"),
                plural(r.times as usize, "time"),
                r.fewest_turns
            );
            let _ = writeln!(out, "{}", self.look.wrap(&line, "  ", "    "));
        }
        if unfound.is_empty() {
            return;
        }
        // Hints once at least half of the endings are found.
        let hints = found.len() * 2 >= story.endings.len();
        let heading = format!("Not yet found: {}, by chapter", unfound.len());
        let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), &heading));
        let mut chapters: Vec<ChapterId> = unfound
            .iter()
            .map(|e| story.scene(e.scene).chapter)
            .collect();
        chapters.sort();
        chapters.dedup();
        for chapter in chapters {
            let title = &story.chapters[chapter.index()].title;
            let title = if self.look.plain {
                format!("In {title}:")
            } else {
                title.clone()
            };
            let _ = writeln!(out, "{}", self.look.wrap(&title, "  ", "    "));
            for e in unfound
                .iter()
                .filter(|e| story.scene(e.scene).chapter == chapter)
            {
                let hint = e.hint.as_deref().filter(|_| hints);
                let line = match (hint, self.look.plain) {
                    (Some(h), true) => format!("Not yet found. Hint: {}", sentence(h)),
                    (Some(h), false) => format!(
                        "{} {}",
                        self.look.paint(Style::new().dimmed(), "??? hint:"),
                        self.look.emphasis(h, false)
                    ),
                    (None, true) => "Not yet found.".to_string(),
                    (None, false) => self
                        .look
                        .paint(Style::new().dimmed(), "??? (not yet found)"),
                };
                let _ = writeln!(out, "{}", self.look.wrap(&line, "    ", "      "));
            }
        }
        let hinted = unfound.iter().any(|e| e.hint.is_some());
        if !hints && hinted {
            let more = story.endings.len().div_ceil(2) - found.len();
            let line = format!(
                "Hints show once you have found half of the endings: {} more.",
                more
            );
            let _ = writeln!(
                out,
                "{}",
                self.look
                    .paint(Style::new().dimmed(), &self.look.wrap(&line, "", ""))
            );
        }
    }

    /// The saves as a table when it fits the width, else one sentence each.
    fn saves_table(&self, good: &[SaveInfo], bad: &[(String, SaveError)], out: &mut String) {
        let table = render_saves_table(&self.story, good, bad);
        let fits = table
            .lines()
            .all(|l| textwrap::core::display_width(l) <= self.look.width);
        if fits && !self.look.plain {
            out.push_str(&table);
            return;
        }
        for s in good {
            let _ = writeln!(out, "{}: {}.", s.slot, self.describe_save(s));
        }
        for (slot, e) in bad {
            let _ = writeln!(out, "{slot}: unreadable: {e}");
        }
    }
}

// Replaying faster.
impl Session {
    /// `unseen`: the steps of the current path, nearest first, where a
    /// choice never taken in any playthrough was open, so that `rewind N`
    /// goes back to one.
    fn unseen(&self, out: &mut String) {
        let Some(taken) = &self.taken else {
            let _ = writeln!(
                out,
                "The endings ledger is off for this session, so nothing is known of other playthroughs."
            );
            return;
        };
        let untaken = |state: &State| -> Vec<String> {
            state
                .choices(&self.story)
                .filter(|&c| !taken.contains(&ledger::choice_key(&self.story, c)))
                .map(|c| self.story.choice(c).key.clone())
                .collect()
        };
        let path = self.tree.path();
        let states = self.states_along_path();
        let mut lines = Vec::new();
        // Where you are, then each step back: step N is taken at node N - 1.
        for (i, state) in states.iter().enumerate().rev() {
            let keys = untaken(state);
            if keys.is_empty() {
                continue;
            }
            let title = &self.story.scene(state.scene).title;
            let keys = keys.join(", ");
            let line = match (i + 1 == path.len(), self.look.plain) {
                (true, true) => format!("Now, {title}: {keys}."),
                (true, false) => format!("  now: {title}: {keys}"),
                (false, true) => format!("Step {}, {title}: {keys}.", i + 1),
                (false, false) => format!("  {:>3}. {title}: {keys}", i + 1),
            };
            lines.push(line);
        }
        if lines.is_empty() {
            let _ = writeln!(
                out,
                "Every choice that was open along this path has been taken in some playthrough."
            );
            return;
        }
        let heading = "Choices never taken, nearest first; `rewind N` goes back to step N";
        let _ = writeln!(
            out,
            "{}",
            self.look
                .paint(Style::new().bold(), &self.look.wrap(heading, "", ""))
        );
        for line in lines {
            let _ = writeln!(out, "{}", self.look.wrap(&line, "", "       "));
        }
    }

    /// `skip on` or `off`, remembered in the profile.
    fn skip(&mut self, on: bool, out: &mut String, requests: &mut Vec<Request>) {
        self.skip_seen = on;
        let line = if on {
            "Skip mode on: a scene read before shows as its title and one line; `look` reads it again."
        } else {
            "Skip mode off: every scene shows in full."
        };
        let _ = writeln!(out, "{line}");
        requests.push(Request::SkipSeen(on));
    }
}

/// The `saves` table, shared by the prompt and `callister saves`.
pub fn render_saves_table(story: &Story, good: &[SaveInfo], bad: &[(String, SaveError)]) -> String {
    let mut out = String::new();
    let rows: Vec<[String; 4]> = good
        .iter()
        .map(|s| {
            [
                s.slot.clone(),
                save_scene(story, s),
                s.turn.to_string(),
                saved_when(s),
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

/// When a save was made, in local time; a time later than now is said to
/// be in the future.
fn saved_when(s: &SaveInfo) -> String {
    let when = save::format_time(s.saved_at);
    if s.future {
        format!("{when} (in the future)")
    } else {
        when
    }
}

/// Where a save stands, by the scene's title in this story. What comes
/// from the save (a scene gone, another story's title) is shown with its
/// control characters visible and cut to a column's width.
fn save_scene(story: &Story, s: &SaveInfo) -> String {
    let name = |n: &str| visible_cut(n, MAX_CELL).into_owned();
    if s.story == story.title {
        story.scene_by_id(&s.scene).map_or_else(
            || format!("{} (scene gone)", name(&s.scene)),
            |id| story.scene(id).title.clone(),
        )
    } else {
        format!("(another story: {})", name(&s.story))
    }
}

/// The command a request comes from, for "not available here".
fn request_name(request: &Request) -> &'static str {
    match request {
        Request::Ledger | Request::Record { .. } | Request::Read { .. } | Request::Endings => {
            "endings"
        }
        Request::SkipSeen(_) => "skip",
        Request::Autosave | Request::Leave | Request::Save { .. } => "save",
        Request::Load(_) => "load",
        Request::ListSaves => "saves",
        Request::Delete { .. } => "delete",
        Request::TranscriptOn(_) | Request::TranscriptOff => "transcript",
        Request::Reload => "reload",
    }
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "branch") => format!("{n} branches"),
        _ => format!("{n} {word}s"),
    }
}

/// Text as a sentence: a full stop unless it ends in punctuation already.
fn sentence(text: &str) -> String {
    if text.ends_with(['.', '!', '?', '…', '"', '”']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
