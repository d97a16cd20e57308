//! A play session: one story, one tree of paths, and the commands a player
//! types. It turns a line of input into text to show; it does not touch the
//! terminal, so the prompt, replay and the tests share it.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::engine::history::{Step, Tree};
use crate::engine::{RollMode, State, View};
use crate::play::command::{self, Command};
use crate::story::{ChapterId, ChoiceId, EndingKind, Story};

/// What the driver should do after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flow {
    Continue,
    Quit,
}

/// Presentation settings.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    pub color: bool,
    /// Columns to wrap prose at.
    pub width: usize,
}

impl Default for Look {
    fn default() -> Self {
        // The width the prompt uses on an 80-column terminal.
        Look {
            color: false,
            width: 78,
        }
    }
}

/// Hooks a session calls so that saving, the endings ledger and transcripts
/// (which touch the disk) stay outside it. The default does nothing.
pub trait Host {
    /// After every step: autosave, record the choice in the profile.
    fn after_step(&mut self, _session: &Session, _out: &mut String) {}
    /// A command the session does not handle itself (save, load, ...).
    /// Returns `None` when the host does not know it either.
    fn command(
        &mut self,
        _session: &mut Session,
        _command: &Command,
        _out: &mut String,
    ) -> Option<Flow> {
        None
    }
    /// Whether a choice was never taken in any playthrough (marked "new").
    fn is_new(&self, _story: &Story, _choice: ChoiceId) -> bool {
        false
    }
    /// After moving in the tree without a step (undo, rewind, branch,
    /// restart): the autosave follows the player.
    fn after_move(&mut self, _session: &Session, _out: &mut String) {}
    /// Everything shown and typed, for an open transcript.
    fn transcribe(&mut self, _text: &str) {}
}

/// A host that keeps nothing: replay and tests.
pub struct NoHost;
impl Host for NoHost {}

pub struct Session {
    pub story: Story,
    pub tree: Tree,
    pub look: Look,
    last_chapter: Option<ChapterId>,
}

impl Session {
    pub fn new(story: Story, state: State, look: Look) -> Session {
        Session {
            story,
            tree: Tree::new(state),
            look,
            last_chapter: None,
        }
    }

    pub fn state(&self) -> &State {
        self.tree.state()
    }

    /// Replaces the story (after `reload`) keeping the tree; the caller has
    /// mapped every state onto the new story.
    pub fn replace(&mut self, story: Story, tree: Tree) {
        self.story = story;
        self.tree = tree;
        self.last_chapter = None;
    }

    pub fn replace_tree(&mut self, tree: Tree) {
        self.tree = tree;
        self.last_chapter = None;
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.look.color {
            format!("{}{}{}", style.render(), text, style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn wrap(&self, text: &str, indent: &str) -> String {
        let options = textwrap::Options::new(self.look.width.max(20))
            .initial_indent(indent)
            .subsequent_indent(indent);
        textwrap::fill(text, options)
    }

    /// The opening: the title, then the current scene.
    pub fn intro(&mut self, host: &dyn Host) -> String {
        let mut out = String::new();
        let title = self.paint(Style::new().bold(), &self.story.title.to_uppercase());
        let _ = writeln!(out, "{title}");
        if let Some(author) = &self.story.author {
            let _ = writeln!(out, "{}", self.paint(Style::new().dimmed(), author));
        }
        let _ = writeln!(
            out,
            "{}",
            self.paint(
                Style::new().dimmed(),
                "Type a number or a key to choose, `help` for commands."
            )
        );
        out.push('\n');
        self.show_scene(&mut out, host);
        out
    }

    /// The current scene, as `look` shows it.
    pub fn show_scene(&mut self, out: &mut String, host: &dyn Host) {
        let view = self.state().view(&self.story);
        let chapter = self.story.scene(view.scene).chapter;
        if self.last_chapter != Some(chapter) {
            self.last_chapter = Some(chapter);
            let rule = format!("── {} ──", view.chapter);
            let _ = writeln!(
                out,
                "{}\n",
                self.paint(AnsiColor::Cyan.on_default().bold(), &rule)
            );
        }
        self.render_view(&view, out, host);
    }

    fn render_view(&self, view: &View, out: &mut String, host: &dyn Host) {
        let _ = writeln!(
            out,
            "{}",
            self.paint(Style::new().bold().underline(), &view.title)
        );
        let bar = self.status_bar();
        if !bar.is_empty() && self.story.scene(view.scene).status {
            let _ = writeln!(out, "{}", self.paint(Style::new().dimmed(), &bar));
        }
        out.push('\n');
        for p in &view.paragraphs {
            let _ = writeln!(out, "{}\n", self.wrap(p, ""));
        }
        if let Some(ending) = view.ending {
            let ending = self.story.ending(ending);
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
            let _ = writeln!(out, "{}\n", self.paint(style, &banner));
            let _ = writeln!(
                out,
                "{}",
                self.wrap(
                    "Type `restart` to play again, `undo` to step back, `endings` to see what you have found, or `quit`.",
                    ""
                )
            );
            return;
        }
        for (i, c) in view.choices.iter().enumerate() {
            let number = self.paint(Style::new().bold(), &format!("{:>2}.", i + 1));
            let mut line = c.text.clone();
            if let Some(chance) = c.chance {
                let _ = write!(line, " ({chance}%)");
            }
            let key = self.paint(Style::new().dimmed(), &format!("[{}]", c.key));
            let new = if host.is_new(&self.story, c.id) {
                format!(" {}", self.paint(AnsiColor::Magenta.on_default(), "new"))
            } else {
                String::new()
            };
            let wrapped = self.wrap(&line, "    ");
            let _ = writeln!(out, "{number}{} {key}{new}", &wrapped[3..]);
        }
        if view.choices.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                self.paint(
                    AnsiColor::Red.on_default(),
                    "(No choice is open here: the story is stuck. Type `undo` to step back.)"
                )
            );
        }
    }

    /// `Credits 60 · Fuel 4 · Hull 80`: the visible variables.
    pub fn status_bar(&self) -> String {
        self.story
            .variables
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.hidden)
            .map(|(i, v)| format!("{} {}", v.name, self.state().vars[i]))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Candidates for tab completion: numbers and keys of the visible
    /// choices, then the command words.
    pub fn completions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let state = self.state();
        for (i, c) in state.choices(&self.story).enumerate() {
            out.push((i + 1).to_string());
            out.push(self.story.choice(c).key.clone());
        }
        out.extend(command::COMMANDS.iter().map(|s| (*s).to_string()));
        out
    }

    /// Handles one line of input.
    pub fn input(&mut self, line: &str, host: &mut dyn Host) -> (String, Flow) {
        let mut out = String::new();
        if line.len() > command::MAX_LINE {
            let _ = writeln!(
                out,
                "That line is {} bytes long; nothing here is longer than a few words. Nothing changed.",
                line.len()
            );
            return (out, Flow::Continue);
        }
        if line.contains('\0') {
            let _ = writeln!(out, "That line holds a NUL byte; ignored. Nothing changed.");
            return (out, Flow::Continue);
        }
        let cmd = command::parse(line);
        let flow = self.run(&cmd, line, host, &mut out);
        (out, flow)
    }

    fn run(&mut self, cmd: &Command, line: &str, host: &mut dyn Host, out: &mut String) -> Flow {
        let before = (self.tree.current, self.tree.nodes.len(), self.state().seed);
        let flow = self.dispatch(cmd, line, host, out);
        let moved = matches!(
            cmd,
            Command::Undo(_) | Command::Rewind(_) | Command::Branch(_) | Command::Restart
        );
        if moved && before != (self.tree.current, self.tree.nodes.len(), self.state().seed) {
            host.after_move(self, out);
        }
        flow
    }

    fn dispatch(
        &mut self,
        cmd: &Command,
        line: &str,
        host: &mut dyn Host,
        out: &mut String,
    ) -> Flow {
        match cmd {
            Command::Empty => {}
            Command::Number(n) => {
                let choices: Vec<ChoiceId> = self.state().choices(&self.story).collect();
                match n.checked_sub(1).and_then(|i| choices.get(i)) {
                    Some(&c) => self.take(c, RollMode::Random, host, out),
                    None => self.unknown(line, out),
                }
            }
            Command::Word(word) => match self.choice_by_key(word) {
                Some(c) => self.take(c, RollMode::Random, host, out),
                None => self.unknown(line, out),
            },
            Command::Look => self.show_scene_fresh(out, host),
            Command::Status => self.status(out),
            Command::Inventory => self.inventory(out),
            Command::Help => self.help(out),
            Command::Quit => return Flow::Quit,
            Command::Restart => {
                let seed = self.state().seed;
                let state = State::new(&self.story, seed.wrapping_add(1));
                self.tree = Tree::new(state);
                self.last_chapter = None;
                let _ = writeln!(
                    out,
                    "{}\n",
                    self.paint(Style::new().dimmed(), "You begin again.")
                );
                self.show_scene(out, host);
            }
            Command::Undo(n) => {
                let done = self.tree.undo(*n);
                if done == 0 {
                    let _ = writeln!(out, "You are at the start; there is nothing to undo.");
                } else {
                    let _ = writeln!(
                        out,
                        "{}\n",
                        self.paint(
                            Style::new().dimmed(),
                            &format!("Undid {done} step{}.", if done == 1 { "" } else { "s" })
                        )
                    );
                    self.show_scene_fresh(out, host);
                }
            }
            Command::History => self.history(out),
            Command::Rewind(None) => {
                let _ = writeln!(
                    out,
                    "Usage: {}. Type `history` to see the steps.",
                    command::usage("rewind")
                );
            }
            Command::Rewind(Some(n)) => {
                if self.tree.rewind(*n) {
                    let _ = writeln!(
                        out,
                        "{}\n",
                        self.paint(
                            Style::new().dimmed(),
                            &format!("Rewound to step {n}. Choose differently to start a new branch; the old one is kept.")
                        )
                    );
                    self.show_scene_fresh(out, host);
                } else {
                    let _ = writeln!(
                        out,
                        "There is no step {n} behind you (steps 1 to {}). Type `history` to see them.",
                        self.tree.depth()
                    );
                }
            }
            Command::Branches => self.branches(out),
            Command::Branch(None) => {
                let _ = writeln!(
                    out,
                    "Usage: {}. Type `branches` to see them.",
                    command::usage("branch")
                );
            }
            Command::Branch(Some(b)) => {
                let leaves = self.tree.leaves();
                match b.checked_sub(1).and_then(|i| leaves.get(i)) {
                    Some(&leaf) => {
                        self.tree.current = leaf;
                        let _ = writeln!(
                            out,
                            "{}\n",
                            self.paint(
                                Style::new().dimmed(),
                                &format!("Jumped to the end of branch {b}.")
                            )
                        );
                        self.show_scene_fresh(out, host);
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
            Command::Malformed(word) => {
                let _ = writeln!(out, "Usage: {}. Nothing changed.", command::usage(word));
            }
            other => match host.command(self, other, out) {
                Some(flow) => return flow,
                None => {
                    let _ = writeln!(
                        out,
                        "`{}` is not available here. Nothing changed.",
                        line.trim()
                    );
                }
            },
        }
        Flow::Continue
    }

    fn show_scene_fresh(&mut self, out: &mut String, host: &dyn Host) {
        self.last_chapter = None;
        self.show_scene(out, host);
    }

    fn choice_by_key(&self, word: &str) -> Option<ChoiceId> {
        let state = self.state();
        state
            .choices(&self.story)
            .find(|&c| self.story.choice(c).key.eq_ignore_ascii_case(word))
    }

    /// Takes a choice: applies it, shows what happened and the next scene.
    pub fn take(
        &mut self,
        choice: ChoiceId,
        mode: RollMode,
        host: &mut dyn Host,
        out: &mut String,
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
        let _ = writeln!(
            out,
            "{}\n",
            self.paint(
                Style::new().dimmed(),
                &format!("» {}", self.plain_choice_text(choice))
            )
        );
        if let Some(roll) = &outcome.roll {
            let verdict = if roll.success { "success" } else { "failure" };
            let line = match roll.roll {
                Some(r) => format!("[{}% chance: rolled {r}, {verdict}]", roll.chance),
                None => format!("[{}% chance: {verdict}]", roll.chance),
            };
            let style = if roll.success {
                AnsiColor::Green.on_default()
            } else {
                AnsiColor::Red.on_default()
            };
            let _ = writeln!(out, "{}\n", self.paint(style, &line));
        }
        for said in &outcome.said {
            let _ = writeln!(
                out,
                "{}\n",
                self.paint(Style::new().italic(), &self.wrap(said, ""))
            );
        }
        for dead in &outcome.deaths {
            let name = &self.story.crew[dead.index()].name;
            let line = format!("{name} is dead.");
            let _ = writeln!(
                out,
                "{}\n",
                self.paint(AnsiColor::Red.on_default().bold(), &line)
            );
        }
        self.tree.push(step, state);
        self.show_scene(out, host);
        host.after_step(self, out);
    }

    fn plain_choice_text(&self, choice: ChoiceId) -> String {
        crate::story::text::paragraphs(
            &self
                .state()
                .render(&self.story, &self.story.choice(choice).text),
        )
        .join(" ")
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
        let mut msg = format!("`{shown}{more}` is not a choice or a command.");
        let word = line.trim().to_lowercase();
        if let Some(near) = crate::story::diagnostic::suggest(
            &word,
            keys.iter()
                .copied()
                .chain(command::COMMANDS.iter().copied()),
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

    fn status(&self, out: &mut String) {
        let state = self.state();
        let _ = writeln!(out, "{}", self.paint(Style::new().bold(), "Status"));
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
            let _ = writeln!(
                out,
                "  {:<width$}  {} (of {})",
                v.name, state.vars[i], v.max
            );
        }
        if !self.story.crew.is_empty() {
            let _ = writeln!(out, "{}", self.paint(Style::new().bold(), "Crew"));
            for (i, c) in self.story.crew.iter().enumerate() {
                let alive = !state.dead.get(i);
                let mark = if alive {
                    self.paint(AnsiColor::Green.on_default(), "alive")
                } else {
                    self.paint(AnsiColor::Red.on_default(), "dead")
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

    fn help(&self, out: &mut String) {
        let rows = [
            ("1, 2, ... or a key", "take a choice"),
            ("look", "show the scene again"),
            ("status", "variables, crew and items"),
            ("inventory", "what you carry"),
            ("undo [N]", "step back N choices (default 1)"),
            ("history", "the steps taken on this path"),
            (
                "rewind N",
                "go back to step N; a new choice there starts a branch",
            ),
            ("branches", "the tree of paths explored"),
            ("branch B", "jump to the end of branch B"),
            ("save [SLOT]", "save the game (default slot `quick`)"),
            ("load [SLOT]", "load a saved game (default: the latest)"),
            ("saves", "list saved games"),
            ("delete SLOT", "delete a saved game"),
            ("endings", "the endings found across all playthroughs"),
            (
                "transcript on [FILE]",
                "copy everything to a text file; `transcript off` stops",
            ),
            ("reload", "re-read the story from disk (authors)"),
            ("restart", "begin again"),
            ("quit", "leave (Ctrl-D works too); the game is autosaved"),
        ];
        let _ = writeln!(out, "{}", self.paint(Style::new().bold(), "Commands"));
        for (cmd, what) in rows {
            let _ = writeln!(out, "  {:<22} {what}", self.paint(Style::new().bold(), cmd));
        }
    }

    fn history(&self, out: &mut String) {
        let path = self.tree.path();
        if path.len() == 1 {
            let _ = writeln!(out, "No steps yet: you are at the start.");
            return;
        }
        let _ = writeln!(out, "{}", self.paint(Style::new().bold(), "History"));
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
                        crate::story::text::paragraphs(
                            &state.render(&self.story, &self.story.choice(c).text),
                        )
                        .join(" ")
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
        let current_path = self.tree.path();
        let _ = writeln!(
            out,
            "{}",
            self.paint(
                Style::new().bold(),
                &format!("Branches ({}); * marks where you are", leaves.len())
            )
        );
        // Draw the tree: each node that is a branch point or a leaf.
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
        // Follow the straight run from `node` to the next fork or leaf.
        let mut run = vec![node];
        let mut end = node;
        while self.tree.nodes[end].children.len() == 1 {
            end = self.tree.nodes[end].children[0];
            run.push(end);
        }
        let steps = run
            .iter()
            .filter(|&&n| self.tree.nodes[n].step.is_some())
            .count();
        let end_state = &self.tree.nodes[end].state;
        let title = &self.story.scene(end_state.scene).title;
        let here = if run.contains(&self.tree.current) {
            " *"
        } else {
            ""
        };
        let on_path = current.contains(&end);
        let ending = end_state
            .ending(&self.story)
            .map(|e| format!(" — ending: {}", self.story.ending(e).title))
            .unwrap_or_default();
        let label = match leaves.iter().position(|&l| l == end) {
            Some(b) => format!("branch {}: ", b + 1),
            None => String::new(),
        };
        let first_key = self.tree.nodes[node]
            .step
            .as_ref()
            .map(|s| format!("{} → ", s.key))
            .unwrap_or_default();
        let connector = if node == 0 {
            String::new()
        } else if last {
            "└─ ".to_string()
        } else {
            "├─ ".to_string()
        };
        let text = format!(
            "{prefix}{connector}{label}{first_key}{title} ({} step{}){ending}{here}",
            steps,
            if steps == 1 { "" } else { "s" }
        );
        let text = if on_path {
            self.paint(Style::new().bold(), &text)
        } else {
            text
        };
        lines.push(text);
        let children = &self.tree.nodes[end].children;
        let child_prefix = if node == 0 {
            String::new()
        } else if last {
            format!("{prefix}   ")
        } else {
            format!("{prefix}│  ")
        };
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
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
