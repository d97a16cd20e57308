//! A play session: one story, one tree of paths, and the commands a player
//! types. A line of input goes in; a [`Reply`] comes out: the text to show,
//! and the disk work it needs as [`Request`]s. The session does no I/O: a
//! [`Host`] carries each request out and the result comes back through one
//! entry point, [`Session::answer`]. All the game's text is written here, so
//! the prompt, replay and the tests show the same thing.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use anstyle::{AnsiColor, Style};

use crate::engine::history::{Step, Tree};
use crate::engine::{RollMode, State, View};
use crate::play::command::{self, COMMANDS, Command, Shape, Topic};
use crate::play::ledger::{self, Ledger};
pub use crate::play::look::Look;
use crate::play::save::{self, SaveError, SaveInfo};
use crate::story::compile::Failure;
use crate::story::diagnostic::{MAX_CELL, visible, visible_cut};
use crate::story::{ChapterId, ChoiceId, EndingId, EndingKind, Story};

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
        ending: Option<EndingId>,
        turn: u32,
    },
    /// The game moved: the autosave follows it.
    Autosave,
    Save(String),
    /// A slot, or the newest save of this story.
    Load(Option<String>),
    ListSaves,
    Delete(String),
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
    /// The ledger's choices (`scene/key`); `None` when the ledger is off.
    Ledger(Option<BTreeSet<String>>),
    Recorded(Result<Recorded, SaveError>),
    Autosaved(Result<(), SaveError>),
    Saved {
        slot: String,
        result: Result<PathBuf, SaveError>,
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
    pub tree: Tree,
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
        tree: Tree,
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
}

/// A question the session asked, answered by the next line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    Restart,
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
        let before = (self.tree.current, self.tree.nodes.len());
        let mut requests = Vec::new();
        let flow = self.dispatch(&cmd, line, &mut out, &mut requests);
        let moved = matches!(
            cmd,
            Command::Undo(_) | Command::Redo(_) | Command::Rewind(_) | Command::Branch(_)
        );
        if moved && before != (self.tree.current, self.tree.nodes.len()) {
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
            Answer::Ledger(Some(taken)) => self.know(Some(taken), &mut out),
            Answer::Unavailable(Request::Record { .. } | Request::Autosave) => {}
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
            Answer::Loaded { slot, result } => match result {
                Ok(restored) => {
                    self.replace_tree(restored.tree);
                    let _ = writeln!(out, "Loaded slot `{slot}`.");
                    for n in restored.notes {
                        let _ = writeln!(out, "{}", visible(&n));
                    }
                    out.push('\n');
                    self.show_scene(&mut out);
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

    /// The current scene, as `look` shows it.
    pub fn show_scene(&mut self, out: &mut String) {
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
        self.render_view(&view, out);
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
            Command::Look => self.show_scene_fresh(out),
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
            Command::Branch(b) => self.branch(*b, out),
            Command::Save(slot) => requests.push(Request::Save(
                slot.clone().unwrap_or_else(|| save::QUICKSAVE.to_string()),
            )),
            Command::Load(slot) => requests.push(Request::Load(slot.clone())),
            Command::Saves => requests.push(Request::ListSaves),
            Command::Delete(slot) => requests.push(Request::Delete(slot.clone())),
            Command::Endings => requests.push(Request::Endings),
            Command::TranscriptOn(file) => requests.push(Request::TranscriptOn(file.clone())),
            Command::TranscriptOff => requests.push(Request::TranscriptOff),
            Command::Reload => requests.push(Request::Reload),
            Command::Malformed(topic) => self.usage(*topic, out),
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
            let line = match roll.roll {
                Some(r) => format!("{}% chance: rolled {r}, {verdict}", roll.chance),
                None => format!("{}% chance: {verdict}", roll.chance),
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
        self.tree.push(step, state);
        if self.tree.nodes.len() > nodes {
            if let Some(taken) = &mut self.taken {
                taken.insert(ledger::choice_key(&self.story, choice));
            }
            requests.push(Request::Record {
                choice,
                ending,
                turn,
            });
        }
        self.show_scene(out);
        requests.push(Request::Autosave);
    }

    fn ask_restart(&mut self, out: &mut String) {
        if self.tree.current == 0 {
            let _ = writeln!(out, "You are at the start already. Nothing changed.");
            return;
        }
        let depth = self.tree.depth();
        let branch = self.tree.branch_of(self.tree.current) + 1;
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
                let branch = self.tree.branch_of(self.tree.current) + 1;
                self.tree.go_to(0);
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
        }
        self.reply(out, requests)
    }

    fn undo(&mut self, n: usize, out: &mut String) {
        let done = self.tree.undo(n);
        if done == 0 {
            let _ = writeln!(out, "You are at the start; there is nothing to undo.");
            return;
        }
        let line = if self.tree.current == 0 {
            format!("Undid {}: you are back at the start.", plural(done, "step"))
        } else {
            format!("Undid {}.", plural(done, "step"))
        };
        let _ = writeln!(out, "{}\n", self.look.paint(Style::new().dimmed(), &line));
        self.show_scene_fresh(out);
    }

    fn redo(&mut self, n: usize, out: &mut String) {
        let done = self.tree.redo(n);
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
        if self.tree.rewind(n) {
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

    fn branch(&mut self, b: usize, out: &mut String) {
        let leaves = self.tree.leaves();
        match b.checked_sub(1).and_then(|i| leaves.get(i)) {
            Some(&leaf) => {
                self.tree.go_to(leaf);
                let line = format!("Jumped to the end of branch {b}.");
                let _ = writeln!(out, "{}\n", self.look.paint(Style::new().dimmed(), &line));
                self.show_scene_fresh(out);
            }
            None => {
                let _ = writeln!(
                    out,
                    "There is no branch {b} (branches 1 to {}). Type `branches` to see them.",
                    leaves.len()
                );
            }
        }
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
    fn know(&mut self, taken: Option<BTreeSet<String>>, out: &mut String) {
        self.taken = taken;
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
                self.replace(*story, tree);
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
    fn reply(&self, text: String, requests: Vec<Request>) -> Reply {
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

    fn render_view(&self, view: &View, out: &mut String) {
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
        for p in &view.paragraphs {
            let _ = writeln!(
                out,
                "{}\n",
                self.look.wrap(&self.look.emphasis(p, false), "", "")
            );
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
            let line = if self.look.plain {
                let mut about: Vec<String> = c
                    .chance
                    .map(|p| format!("{p}% chance"))
                    .into_iter()
                    .collect();
                about.push(format!("key {}", c.key));
                if new {
                    about.push("new".to_string());
                }
                format!("{}. {text} ({})", i + 1, about.join(", "))
            } else {
                let number = self
                    .look
                    .paint(Style::new().bold(), &format!("{:>2}.", i + 1));
                let chance = c.chance.map(|p| format!(" ({p}%)")).unwrap_or_default();
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
        if !self.story.crew.is_empty() {
            let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), "Crew"));
            for (i, c) in self.story.crew.iter().enumerate() {
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
            .filter(|(i, _)| state.items.get(*i))
            .map(|(_, item)| item.name.as_str())
            .collect();
        if held.is_empty() {
            let _ = writeln!(out, "You carry nothing of note.");
        } else {
            let _ = writeln!(out, "You carry: {}.", held.join(", "));
        }
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
        let _ = writeln!(
            out,
            "`help COMMAND` shows one; Tab completes commands and keys."
        );
    }

    fn history(&self, out: &mut String) {
        let path = self.tree.path();
        if path.len() == 1 {
            let _ = writeln!(out, "No steps yet: you are at the start.");
            return;
        }
        let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), "History"));
        for (i, pair) in path.windows(2).enumerate() {
            let (from, to) = (pair[0], pair[1]);
            let state = &self.tree.nodes[from].state;
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
                "{} in this playthrough. You are on branch {}.",
                plural(leaves.len(), "branch"),
                self.tree.branch_of(self.tree.current) + 1
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
        let end_state = &tree.nodes[end].state;
        let title = &self.story.scene(end_state.scene).title;
        let plain = self.look.plain;
        // Where you are: at the end of this run, or part way along it.
        let here = if tree.current == end {
            if plain { " You are here." } else { " *" }.to_string()
        } else if run.contains(&tree.current) {
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
        let ending = end_state.ending(&self.story).map(|e| {
            let title = &self.story.ending(e).title;
            if plain {
                format!(", ending: {title}")
            } else {
                format!(" — ending: {title}")
            }
        });
        let ending = ending.unwrap_or_default();
        let label = match leaves.iter().position(|&l| l == end) {
            Some(b) if plain => format!("Branch {}: ", b + 1),
            Some(b) => format!("branch {}: ", b + 1),
            None => String::new(),
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

    fn endings(&self, ledger: Option<&Ledger>, out: &mut String) {
        let Some(ledger) = ledger else {
            let _ = writeln!(
                out,
                "The endings ledger is off for this session (the profile file is unreadable)."
            );
            return;
        };
        let story = &self.story;
        let found = story
            .endings
            .iter()
            .filter(|e| ledger.endings.contains_key(&e.id))
            .count();
        let heading = format!("Endings found: {found}/{}", story.endings.len());
        let _ = writeln!(out, "{}", self.look.paint(Style::new().bold(), &heading));
        for e in &story.endings {
            let line = match ledger.endings.get(&e.id) {
                Some(r) => format!(
                    "{} ({}) — first reached {} in {} turns; reached {}, fewest turns {}",
                    self.look.paint(Style::new().bold(), &e.title),
                    e.kind.label(),
                    save::format_time(r.first),
                    r.turns,
                    plural(r.times as usize, "time"),
                    r.fewest_turns
                ),
                None if self.look.plain => "Not yet found.".to_string(),
                None => self
                    .look
                    .paint(Style::new().dimmed(), "??? (not yet found)"),
            };
            let _ = writeln!(out, "{}", self.look.wrap(&line, "  ", "    "));
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
            let _ = writeln!(
                out,
                "{}: {}, turn {}, saved {} UTC.",
                s.slot,
                save_scene(&self.story, s),
                s.turn,
                save::format_time(s.saved_at)
            );
        }
        for (slot, e) in bad {
            let _ = writeln!(out, "{slot}: unreadable: {e}");
        }
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
        Request::Ledger | Request::Record { .. } | Request::Endings => "endings",
        Request::Autosave | Request::Save(_) => "save",
        Request::Load(_) => "load",
        Request::ListSaves => "saves",
        Request::Delete(_) => "delete",
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
