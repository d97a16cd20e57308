//! The prompt's command language: what a typed line means.
//!
//! One table, [`COMMANDS`], says everything about a command: its name and
//! aliases, the shape of its argument (which is also how it parses and how
//! its usage line reads), its one line of help, and whether Tab offers it.
//! Parsing, completion, `help`, usage messages and the README's command
//! table all come from it (`tests/it/prompt.rs` holds the README to it). A
//! new command is a row here and a `Command` variant.
//!
//! Parsing is pure and total: any string, however long or strange, gives a
//! `Command` (`Unknown` at worst), so the prompt never fails on input.

/// One command of the prompt.
#[derive(Debug)]
pub struct Spec {
    /// The name `help` shows and Tab completes.
    pub name: &'static str,
    /// Other words for it, which parse but are not completed.
    pub aliases: &'static [&'static str],
    /// What may follow the name, and the command it makes.
    pub shape: Shape,
    /// What it does, in one line (`help`, the README).
    pub help: &'static str,
    /// Whether Tab completion offers it.
    pub completes: bool,
}

/// What may follow a command's name: this decides how it parses and how its
/// usage line reads.
#[derive(Debug)]
pub enum Shape {
    /// Nothing.
    Bare(Command),
    /// An optional count of at least 1, 1 when absent: `undo [N]`.
    Count(fn(usize) -> Command),
    /// A number (`meta` names it in the usage line): `rewind N`.
    Number {
        meta: &'static str,
        make: fn(usize) -> Command,
    },
    /// A save slot, optional or not: `save [SLOT]`, `delete SLOT`.
    Slot {
        required: bool,
        make: fn(Option<String>) -> Command,
    },
    /// Optionally the name of a command: `help [COMMAND]`.
    Topic(fn(Option<Topic>) -> Command),
    /// `on [FILE]` or `off`.
    Switch {
        on: fn(Option<String>) -> Command,
        off: Command,
    },
    /// `on` or `off`, nothing more.
    Toggle(fn(bool) -> Command),
    /// A branch by number or name, or `name NAME`: `branch B | name NAME`.
    Branch,
}

/// A branch as the player names it: by its number or by the name given it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchRef {
    Number(usize),
    Name(String),
}

/// A row of [`COMMANDS`], by position: a command that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic(usize);

impl Topic {
    pub fn spec(self) -> &'static Spec {
        &COMMANDS[self.0]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Empty,
    /// A choice by its position in the list (1-based).
    Number(usize),
    /// A choice by key, or an unknown word: the session decides.
    Word(String),
    Look,
    Status,
    Inventory,
    Help(Option<Topic>),
    Quit,
    Restart,
    Save(Option<String>),
    Load(Option<String>),
    Saves,
    Delete(String),
    Undo(usize),
    Redo(usize),
    History,
    Rewind(usize),
    Branches,
    Branch(BranchRef),
    /// `branch name NAME`: names the branch you are on.
    NameBranch(String),
    /// The steps of the path where a choice never taken was open.
    Unseen,
    /// Skip mode on or off.
    Skip(bool),
    Endings,
    TranscriptOn(Option<String>),
    TranscriptOff,
    Reload,
    /// A command's name with arguments that do not fit its shape.
    Malformed(Topic),
}

/// Every command, in the order `help` lists them.
pub static COMMANDS: &[Spec] = &[
    Spec {
        name: "look",
        aliases: &["l"],
        shape: Shape::Bare(Command::Look),
        help: "show the scene again",
        completes: true,
    },
    Spec {
        name: "skip",
        aliases: &[],
        shape: Shape::Toggle(Command::Skip),
        help: "skip mode: a scene read in any playthrough shows as its title and one line",
        completes: true,
    },
    Spec {
        name: "status",
        aliases: &["stats"],
        shape: Shape::Bare(Command::Status),
        help: "variables, and the crew and items you have met",
        completes: true,
    },
    Spec {
        name: "inventory",
        aliases: &["inv", "i"],
        shape: Shape::Bare(Command::Inventory),
        help: "what you carry",
        completes: true,
    },
    Spec {
        name: "undo",
        aliases: &["u"],
        shape: Shape::Count(Command::Undo),
        help: "step back N choices (default 1)",
        completes: true,
    },
    Spec {
        name: "redo",
        aliases: &[],
        shape: Shape::Count(Command::Redo),
        help: "step forward again along the path you undid",
        completes: true,
    },
    Spec {
        name: "history",
        aliases: &[],
        shape: Shape::Bare(Command::History),
        help: "the steps taken on this path",
        completes: true,
    },
    Spec {
        name: "rewind",
        aliases: &[],
        shape: Shape::Number {
            meta: "N",
            make: Command::Rewind,
        },
        help: "go back to step N of `history`; a new choice there starts a branch",
        completes: true,
    },
    Spec {
        name: "unseen",
        aliases: &[],
        shape: Shape::Bare(Command::Unseen),
        help: "the steps of this path where a choice never taken in any playthrough was open",
        completes: true,
    },
    Spec {
        name: "branches",
        aliases: &["tree"],
        shape: Shape::Bare(Command::Branches),
        help: "every path tried in this playthrough, and where you are",
        completes: true,
    },
    Spec {
        name: "branch",
        aliases: &[],
        shape: Shape::Branch,
        help: "jump to the end of branch B of `branches` (its number or name); `branch name NAME` names the branch you are on",
        completes: true,
    },
    Spec {
        name: "save",
        aliases: &[],
        shape: Shape::Slot {
            required: false,
            make: Command::Save,
        },
        help: "save the game (default slot `quick`)",
        completes: true,
    },
    Spec {
        name: "load",
        aliases: &[],
        shape: Shape::Slot {
            required: false,
            make: Command::Load,
        },
        help: "load a saved game (default: the latest)",
        completes: true,
    },
    Spec {
        name: "saves",
        aliases: &[],
        shape: Shape::Bare(Command::Saves),
        help: "list saved games",
        completes: true,
    },
    Spec {
        name: "delete",
        aliases: &[],
        shape: Shape::Slot {
            required: true,
            make: delete,
        },
        help: "delete a saved game",
        completes: true,
    },
    Spec {
        name: "endings",
        aliases: &[],
        shape: Shape::Bare(Command::Endings),
        help: "the endings found across all playthroughs",
        completes: true,
    },
    Spec {
        name: "transcript",
        aliases: &[],
        shape: Shape::Switch {
            on: Command::TranscriptOn,
            off: Command::TranscriptOff,
        },
        help: "copy everything shown and typed to a text file, or stop",
        completes: true,
    },
    Spec {
        name: "reload",
        aliases: &[],
        shape: Shape::Bare(Command::Reload),
        help: "re-read the story from disk (authors, with `--scenes`)",
        completes: false,
    },
    Spec {
        name: "restart",
        aliases: &[],
        shape: Shape::Bare(Command::Restart),
        help: "go back to the start (asks first); the paths played stay as branches",
        completes: true,
    },
    Spec {
        name: "help",
        aliases: &["?", "h"],
        shape: Shape::Topic(Command::Help),
        help: "this list, or one command's usage",
        completes: true,
    },
    Spec {
        name: "quit",
        aliases: &["exit", "q"],
        shape: Shape::Bare(Command::Quit),
        help: "leave (Ctrl-D works too); the game is autosaved",
        completes: true,
    },
];

/// The longest line the prompt reads as a command; longer input is refused
/// with a message rather than parsed.
pub const MAX_LINE: usize = 4096;

pub fn parse(line: &str) -> Command {
    let line = line.trim();
    if line.is_empty() {
        return Command::Empty;
    }
    let mut words = line.split_whitespace();
    let head = words.next().unwrap_or("").to_lowercase();
    let args: Vec<&str> = words.collect();
    if let Some(topic) = find(&head) {
        return topic
            .spec()
            .shape
            .parse(&args)
            .unwrap_or(Command::Malformed(topic));
    }
    if args.is_empty() {
        match head.parse::<usize>() {
            Ok(n) => Command::Number(n),
            Err(_) => Command::Word(head),
        }
    } else {
        Command::Word(line.to_lowercase())
    }
}

/// The command a word names, by its name or an alias (any case).
pub fn find(word: &str) -> Option<Topic> {
    let word = word.to_lowercase();
    COMMANDS
        .iter()
        .position(|c| c.name == word || c.aliases.contains(&word.as_str()))
        .map(Topic)
}

/// The names Tab offers for a first word, in the table's order.
pub fn completed_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().filter(|c| c.completes).map(|c| c.name)
}

/// Every name and alias, for "did you mean".
pub fn all_names() -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
}

impl Spec {
    /// The usage line, from the name and the shape: `undo [N]`.
    pub fn usage(&self) -> String {
        let name = self.name;
        match &self.shape {
            Shape::Bare(_) => name.to_string(),
            Shape::Count(_) => format!("{name} [N]"),
            Shape::Number { meta, .. } => format!("{name} {meta}"),
            Shape::Slot { required: true, .. } => format!("{name} SLOT"),
            Shape::Slot {
                required: false, ..
            } => format!("{name} [SLOT]"),
            Shape::Topic(_) => format!("{name} [COMMAND]"),
            Shape::Switch { .. } => format!("{name} on [FILE] | off"),
            Shape::Toggle(_) => format!("{name} on | off"),
            Shape::Branch => format!("{name} B | name NAME"),
        }
    }

    /// The words Tab offers as the argument after the name.
    pub fn argument_words(&self) -> Vec<&'static str> {
        match &self.shape {
            Shape::Switch { .. } | Shape::Toggle(_) => vec!["on", "off"],
            Shape::Topic(_) => completed_names().collect(),
            Shape::Branch => vec!["name"],
            _ => Vec::new(),
        }
    }
}

/// The README's command table, as Markdown: one row per command.
pub fn markdown_table() -> String {
    let mut out = String::from("| command | also | does |\n|---|---|---|\n");
    for c in COMMANDS {
        let also = c
            .aliases
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        // A `|` inside a cell is escaped, or it would end the cell.
        let usage = c.usage().replace('|', "\\|");
        out.push_str(&format!("| `{usage}` | {also} | {} |\n", c.help));
    }
    out
}

impl Shape {
    /// The command for these arguments, or `None` when they do not fit.
    fn parse(&self, args: &[&str]) -> Option<Command> {
        let number = |s: &str| s.parse::<usize>().ok();
        match (self, args) {
            (Shape::Bare(c), []) => Some(c.clone()),
            (Shape::Count(make), []) => Some(make(1)),
            (Shape::Count(make), [n]) => number(n).filter(|&n| n > 0).map(make),
            (Shape::Number { make, .. }, [n]) => number(n).map(make),
            (
                Shape::Slot {
                    required: false,
                    make,
                },
                [],
            ) => Some(make(None)),
            (Shape::Slot { make, .. }, [slot]) => Some(make(Some((*slot).to_string()))),
            (Shape::Topic(make), []) => Some(make(None)),
            (Shape::Topic(make), [word]) => find(word).map(|t| make(Some(t))),
            (Shape::Switch { on, .. }, [word]) if word.eq_ignore_ascii_case("on") => Some(on(None)),
            (Shape::Switch { on, .. }, [word, file]) if word.eq_ignore_ascii_case("on") => {
                Some(on(Some((*file).to_string())))
            }
            (Shape::Switch { off, .. }, [word]) if word.eq_ignore_ascii_case("off") => {
                Some(off.clone())
            }
            (Shape::Toggle(make), [word]) if word.eq_ignore_ascii_case("on") => Some(make(true)),
            (Shape::Toggle(make), [word]) if word.eq_ignore_ascii_case("off") => Some(make(false)),
            (Shape::Branch, [word]) => Some(Command::Branch(match number(word) {
                Some(n) => BranchRef::Number(n),
                None => BranchRef::Name((*word).to_string()),
            })),
            (Shape::Branch, [word, name]) if word.eq_ignore_ascii_case("name") => {
                Some(Command::NameBranch((*name).to_string()))
            }
            _ => None,
        }
    }
}

/// `delete` always has its slot: its shape requires one.
fn delete(slot: Option<String>) -> Command {
    Command::Delete(slot.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_words() {
        let names: Vec<&str> = all_names().collect();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(*n, n.to_lowercase());
            assert!(!n.contains(char::is_whitespace));
            assert!(!names[..i].contains(n), "`{n}` is in the table twice");
        }
    }

    #[test]
    fn every_row_parses_its_usage_and_refuses_extra_words() {
        for (i, c) in COMMANDS.iter().enumerate() {
            let topic = Topic(i);
            for name in std::iter::once(c.name).chain(c.aliases.iter().copied()) {
                // An argument for each placeholder of the usage line.
                let line = match &c.shape {
                    Shape::Bare(_) | Shape::Count(_) | Shape::Topic(_) => name.to_string(),
                    Shape::Number { .. } => format!("{name} 2"),
                    Shape::Slot { .. } => format!("{name} mine"),
                    Shape::Switch { .. } | Shape::Toggle(_) => format!("{name} on"),
                    Shape::Branch => format!("{name} 2"),
                };
                let parsed = parse(&line);
                assert!(
                    !matches!(parsed, Command::Malformed(_) | Command::Word(_)),
                    "`{line}` gives {parsed:?}"
                );
                let shouted = line.replacen(name, &name.to_uppercase(), 1);
                assert_eq!(parse(&shouted), parsed, "`{shouted}`");
                let extra = format!("{line} one two three");
                assert_eq!(parse(&extra), Command::Malformed(topic), "`{extra}`");
            }
        }
    }

    #[test]
    fn arguments() {
        assert_eq!(parse("undo"), Command::Undo(1));
        assert_eq!(parse("u 3"), Command::Undo(3));
        assert_eq!(parse("undo 0"), Command::Malformed(find("undo").unwrap()));
        assert_eq!(parse("redo 2"), Command::Redo(2));
        assert_eq!(parse("rewind"), Command::Malformed(find("rewind").unwrap()));
        assert_eq!(parse("branch 2"), Command::Branch(BranchRef::Number(2)));
        assert_eq!(
            parse("branch Cautious"),
            Command::Branch(BranchRef::Name("Cautious".into()))
        );
        assert_eq!(
            parse("branch name cautious"),
            Command::NameBranch("cautious".into())
        );
        assert_eq!(parse("branch"), Command::Malformed(find("branch").unwrap()));
        assert_eq!(parse("delete"), Command::Malformed(find("delete").unwrap()));
        assert_eq!(parse("save"), Command::Save(None));
        assert_eq!(parse("transcript off"), Command::TranscriptOff);
        assert_eq!(parse("skip on"), Command::Skip(true));
        assert_eq!(parse("SKIP Off"), Command::Skip(false));
        assert_eq!(parse("skip"), Command::Malformed(find("skip").unwrap()));
        assert_eq!(parse("unseen"), Command::Unseen);
        assert_eq!(
            parse("transcript on t.txt"),
            Command::TranscriptOn(Some("t.txt".into()))
        );
        assert_eq!(parse("help undo"), Command::Help(find("undo")));
        assert_eq!(parse("help u"), Command::Help(find("undo")));
        assert_eq!(
            parse("help xyzzy"),
            Command::Malformed(find("help").unwrap())
        );
        assert_eq!(
            parse("look extra"),
            Command::Malformed(find("look").unwrap())
        );
        assert_eq!(parse("3"), Command::Number(3));
        assert_eq!(parse("Shed"), Command::Word("shed".into()));
        assert_eq!(parse("two words"), Command::Word("two words".into()));
        // The typo `r` is nothing: it must not restart.
        assert_eq!(parse("r"), Command::Word("r".into()));
    }

    #[test]
    fn usage_lines_come_from_the_shape() {
        let usage = |w: &str| find(w).unwrap().spec().usage();
        assert_eq!(usage("look"), "look");
        assert_eq!(usage("undo"), "undo [N]");
        assert_eq!(usage("rewind"), "rewind N");
        assert_eq!(usage("branch"), "branch B | name NAME");
        assert_eq!(usage("delete"), "delete SLOT");
        assert_eq!(usage("save"), "save [SLOT]");
        assert_eq!(usage("help"), "help [COMMAND]");
        assert_eq!(usage("transcript"), "transcript on [FILE] | off");
        assert_eq!(usage("skip"), "skip on | off");
    }
}
