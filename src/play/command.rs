//! The prompt's command language: what a typed line means.
//!
//! Parsing is pure and total: any string, however long or strange, gives a
//! `Command` (`Unknown` at worst), so the prompt never fails on input.

/// Every command word, for completion and for "did you mean".
pub const COMMANDS: &[&str] = &[
    "look",
    "status",
    "inventory",
    "help",
    "quit",
    "restart",
    "save",
    "load",
    "saves",
    "delete",
    "undo",
    "history",
    "rewind",
    "branches",
    "branch",
    "endings",
    "transcript",
    "reload",
];

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
    Help,
    Quit,
    Restart,
    Save(Option<String>),
    Load(Option<String>),
    Saves,
    Delete(Option<String>),
    Undo(usize),
    History,
    Rewind(Option<usize>),
    Branches,
    Branch(Option<usize>),
    Endings,
    TranscriptOn(Option<String>),
    TranscriptOff,
    Reload,
    /// A command word with arguments it does not take.
    Malformed(String),
}

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
    let arg = args.first().map(|s| (*s).to_string());
    let one = |c: Command| {
        if args.is_empty() {
            c
        } else {
            Command::Malformed(head.clone())
        }
    };
    let at_most_one = |c: Command| {
        if args.len() <= 1 {
            c
        } else {
            Command::Malformed(head.clone())
        }
    };
    let number = |s: &str| s.parse::<usize>().ok();
    match head.as_str() {
        "look" | "l" => one(Command::Look),
        "status" | "stats" => one(Command::Status),
        "inventory" | "inv" | "i" => one(Command::Inventory),
        "help" | "?" | "h" => one(Command::Help),
        "quit" | "exit" | "q" => one(Command::Quit),
        "restart" => one(Command::Restart),
        "save" => at_most_one(Command::Save(arg)),
        "load" => at_most_one(Command::Load(arg)),
        "saves" => one(Command::Saves),
        "delete" => at_most_one(Command::Delete(arg)),
        "undo" | "u" => match args.as_slice() {
            [] => Command::Undo(1),
            [n] => number(n)
                .filter(|&n| n > 0)
                .map_or(Command::Malformed(head), Command::Undo),
            _ => Command::Malformed(head),
        },
        "history" => one(Command::History),
        "rewind" => match args.as_slice() {
            [] => Command::Rewind(None),
            [n] => number(n).map_or(Command::Malformed(head), |n| Command::Rewind(Some(n))),
            _ => Command::Malformed(head),
        },
        "branches" | "tree" => one(Command::Branches),
        "branch" => match args.as_slice() {
            [] => Command::Branch(None),
            [n] => number(n).map_or(Command::Malformed(head), |n| Command::Branch(Some(n))),
            _ => Command::Malformed(head),
        },
        "endings" => one(Command::Endings),
        "transcript" => match args.as_slice() {
            ["off"] => Command::TranscriptOff,
            ["on"] => Command::TranscriptOn(None),
            ["on", file] => Command::TranscriptOn(Some((*file).to_string())),
            _ => Command::Malformed(head),
        },
        "reload" => one(Command::Reload),
        _ if args.is_empty() => match number(&head) {
            Some(n) => Command::Number(n),
            None => Command::Word(head),
        },
        _ => Command::Word(line.to_lowercase()),
    }
}

/// The usage line of a command, for `help` and for malformed input.
pub fn usage(word: &str) -> &'static str {
    match word {
        "save" => "save [SLOT]",
        "load" => "load [SLOT]",
        "delete" => "delete SLOT",
        "undo" | "u" => "undo [N]",
        "rewind" => "rewind N (a step number from `history`)",
        "branch" => "branch B (a branch number from `branches`)",
        "transcript" => "transcript on [FILE] | transcript off",
        _ => "",
    }
}
