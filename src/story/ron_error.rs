//! RON syntax and shape errors as diagnostics in an author's words.
//!
//! `ron` says what it expected and roughly where. Read against the file's
//! tokens (`ron_syntax`), each error gets its caret on the mistake (a
//! missing comma: just after the value that needs it), the field it is in,
//! what was found, what was expected, and the fix. No message names a
//! type of the program: the words are the file's own (`chance`, `Add`,
//! a scene).

use ron::error::Error as E;

use crate::story::code::Code;
use crate::story::compile::RECURSION_LIMIT;
use crate::story::diagnostic::{Diagnostic, suggest};
use crate::story::ron_syntax::{Frame, Tok, Token, Tokens, Walk};
use crate::story::source::{FileId, Source, Span};

/// Which kind of file an error is in: the story file or a chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Story,
    Chapter,
}

impl FileKind {
    fn root(self) -> &'static str {
        match self {
            FileKind::Story => "Story",
            FileKind::Chapter => "Chapter",
        }
    }

    fn word(self) -> &'static str {
        match self {
            FileKind::Story => "the story",
            FileKind::Chapter => "the chapter",
        }
    }
}

/// What an effect or a check adjustment takes, in words, and an example
/// that `raw.rs` reads (held to it by the tests below).
pub(crate) struct Call {
    pub name: &'static str,
    /// Each argument: its name in a message, and whether it is a number.
    pub args: &'static [(&'static str, bool)],
    pub takes: &'static str,
    pub example: &'static str,
}

pub(crate) const CALLS: &[Call] = &[
    Call {
        name: "SetFlag",
        args: &[("flag", false)],
        takes: "a flag",
        example: r#"SetFlag("lit")"#,
    },
    Call {
        name: "ClearFlag",
        args: &[("flag", false)],
        takes: "a flag",
        example: r#"ClearFlag("lit")"#,
    },
    Call {
        name: "Add",
        args: &[("variable", false), ("amount", true)],
        takes: "a variable and an amount",
        example: r#"Add("credits", 10)"#,
    },
    Call {
        name: "SetVar",
        args: &[("variable", false), ("value", true)],
        takes: "a variable and a value",
        example: r#"SetVar("fuel", 4)"#,
    },
    Call {
        name: "Give",
        args: &[("item", false)],
        takes: "an item",
        example: r#"Give("lamp")"#,
    },
    Call {
        name: "Take",
        args: &[("item", false)],
        takes: "an item",
        example: r#"Take("lamp")"#,
    },
    Call {
        name: "Kill",
        args: &[("crew member", false)],
        takes: "a crew member",
        example: r#"Kill("nate")"#,
    },
    Call {
        name: "Say",
        args: &[("text", false)],
        takes: "a text",
        example: r#"Say("The lamp gutters.")"#,
    },
    Call {
        name: "Per",
        args: &[("variable", false), ("factor", true)],
        takes: "a variable and a factor",
        example: r#"Per("heat", -2)"#,
    },
    Call {
        name: "When",
        args: &[("condition", false), ("amount", true)],
        takes: "a condition and an amount",
        example: r#"When("alive nate", 15)"#,
    },
];

/// A field written with a value, for a help line: `title: "The Hall"`.
/// Each is read by `raw.rs` in its struct (tested below).
const FIELD_EXAMPLES: &[(&str, &str)] = &[
    ("id", r#"id: "hall""#),
    ("title", r#"title: "The Hall""#),
    ("start", r#"start: "hall""#),
    ("text", r#"text: "A bare hall.""#),
    ("key", r#"key: "go""#),
    ("goto", r#"goto: "hall""#),
    ("name", r#"name: "a brass key""#),
    ("kind", "kind: Good"),
    ("chance", "chance: 50"),
    ("success", r#"success: (goto: "ledge")"#),
    ("failure", r#"failure: (goto: "sea")"#),
    (
        "ending",
        r#"ending: (id: "done", title: "Done", kind: Good)"#,
    ),
    (
        "check",
        r#"check: (chance: 50, success: (goto: "ledge"), failure: (goto: "sea"))"#,
    ),
    ("scenes", r#"scenes: [(id: "hall", title: "The Hall")]"#),
    (
        "choices",
        r#"choices: [(key: "go", text: "Go on", goto: "hall")]"#,
    ),
];

/// Turns a ron error into a diagnostic. `start..end` is ron's span as byte
/// offsets in `source`; `tokens` are the file's, and `walk` the brackets
/// open before the token at `start` (`Walker::to`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn ron_error(
    source: &Source,
    file: FileId,
    tokens: &Tokens<'_>,
    walk: Walk,
    kind: FileKind,
    code: &E,
    start: usize,
    end: usize,
) -> Diagnostic {
    let cx = Context::new(source, file, tokens, walk, kind, start, end);
    cx.diagnose(code)
}

/// A ron error's position as a byte offset: `line` and `col` are 1-based
/// and counted from `base`, the offset where ron began reading.
pub(crate) fn offset_of(source: &Source, base: usize, line: usize, col: usize) -> usize {
    let (base_line, base_col) = source.line_col(base);
    if line <= 1 {
        source.offset(base_line, base_col + col.saturating_sub(1))
    } else {
        source.offset(base_line + line - 1, col)
    }
}

/// What surrounds an error: the brackets open before it and the token at it.
struct Context<'s, 't, 'a> {
    source: &'s Source,
    file: FileId,
    tokens: &'t Tokens<'a>,
    kind: FileKind,
    walk: Walk,
    /// The token at the error: the one holding ron's position, or the
    /// next; `tokens.list.len()` at the end of the file.
    at: usize,
    start: usize,
    end: usize,
}

/// What a value should have been.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Integer,
    String,
    Bool,
    List,
    Struct,
    Name,
}

impl Expect {
    fn words(self) -> &'static str {
        match self {
            Expect::Integer => "a whole number",
            Expect::String => "a string in quotes",
            Expect::Bool => "`true` or `false`",
            Expect::List => "a list in `[ ]`",
            Expect::Struct => "`( .. )`",
            Expect::Name => "a name without quotes",
        }
    }
}

/// Where the value at the error is being written.
enum Slot<'a> {
    /// After `key:`.
    Value(&'a str),
    /// An argument of an effect: the effect and the argument's index.
    Arg(&'static Call, usize),
    /// An element of the list of `key`.
    Element(Option<&'a str>),
    /// Where a field's name should be, in a struct.
    Key,
    /// Outside every bracket.
    Top,
}

impl<'s, 't, 'a> Context<'s, 't, 'a> {
    fn new(
        source: &'s Source,
        file: FileId,
        tokens: &'t Tokens<'a>,
        walk: Walk,
        kind: FileKind,
        start: usize,
        end: usize,
    ) -> Self {
        let at = tokens.index_at(start);
        Context {
            source,
            file,
            tokens,
            kind,
            walk,
            at,
            start,
            end,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span {
            file: self.file,
            start,
            end,
        }
    }

    fn token_span(&self, i: usize) -> Span {
        match self.tokens.list.get(i) {
            Some(t) => self.span(t.start, t.end),
            None => self.span(self.source.text.len(), self.source.text.len()),
        }
    }

    fn found(&self) -> Option<Token> {
        self.tokens.list.get(self.at).copied()
    }

    fn found_text(&self) -> &'a str {
        if self.at < self.tokens.list.len() {
            self.tokens.text_of(self.at)
        } else {
            ""
        }
    }

    fn prev(&self) -> Option<Token> {
        self.at
            .checked_sub(1)
            .and_then(|i| self.tokens.list.get(i))
            .copied()
    }

    fn inner(&self) -> Option<&Frame> {
        self.walk.frames.last()
    }

    fn is_open(&self, frame: &Frame, b: u8) -> bool {
        self.tokens.list[frame.open].kind == Tok::Open(b)
    }

    /// What was found at the error, in words: "the string `\"40\"`".
    fn describe(&self, i: usize) -> String {
        let Some(t) = self.tokens.list.get(i) else {
            return "the end of the file".into();
        };
        let text = self.tokens.text_of(i);
        let short = text.chars().count() <= 40 && !text.contains('\n');
        match t.kind {
            Tok::Str { .. } if short => format!("the string `{text}`"),
            Tok::Str { .. } => "a string".into(),
            Tok::Number { .. } => format!("the number `{text}`"),
            Tok::Char => format!("the character `{text}`"),
            Tok::Ident if short => format!("`{text}`"),
            Tok::Ident => "a name".into(),
            Tok::Open(_) | Tok::Close(_) | Tok::Comma | Tok::Colon | Tok::Other => {
                format!("`{text}`")
            }
        }
    }

    /// The word for what a bracket holds: "scene", "choice", "check".
    fn role(&self, depth: usize) -> Option<&'static str> {
        let frame = self.walk.frames.get(depth)?;
        if depth == 0 {
            return Some(match self.kind {
                FileKind::Story => "story",
                FileKind::Chapter => "chapter",
            });
        }
        let key = frame.key.map(|k| self.tokens.text_of(k))?;
        Some(match key {
            "scenes" => "scene",
            "choices" => "choice",
            "variables" => "variable",
            "items" => "item",
            "crew" => "crew member",
            "ending" => "ending",
            "check" => "check",
            "success" => "`success` branch",
            "failure" => "`failure` branch",
            "on_enter" | "effects" => "effect",
            "adjust" => "check adjustment",
            _ => return None,
        })
    }

    /// A bracket named for a message: "scene `hall`", "the chapter",
    /// "a choice".
    fn owner(&self, depth: usize) -> String {
        if depth == 0 && !self.walk.frames.is_empty() {
            return self.kind.word().into();
        }
        if let Some(frame) = self.walk.frames.get(depth)
            && self.is_open(frame, b'[')
        {
            return match frame.key {
                Some(k) => format!("the list of `{}`", self.tokens.text_of(k)),
                None => "this list".into(),
            };
        }
        let label = self
            .walk
            .frames
            .get(depth)
            .and_then(|f| f.label)
            .and_then(|l| self.tokens.plain_string(l))
            .filter(|l| l.len() <= 60);
        match (self.role(depth), label) {
            (Some(role), Some(label)) => format!("{role} `{label}`"),
            (Some(role), None) => with_article(role),
            (None, _) => match self.walk.frames.get(depth).and_then(|f| f.key) {
                Some(k) => format!("the value of `{}`", self.tokens.text_of(k)),
                None => "this value".into(),
            },
        }
    }

    /// The effect whose parentheses the innermost bracket is.
    fn call(&self) -> Option<&'static Call> {
        let frame = self.inner()?;
        let name = frame.name.map(|n| self.tokens.text_of(n))?;
        CALLS.iter().find(|c| c.name == name)
    }

    /// Where the token at the error is being written.
    fn slot(&self) -> Slot<'a> {
        let Some(frame) = self.inner().copied() else {
            return Slot::Top;
        };
        if let Some(call) = self.call() {
            return Slot::Arg(call, frame.commas);
        }
        if self.is_open(&frame, b'[') {
            return Slot::Element(frame.key.map(|k| self.tokens.text_of(k)));
        }
        match (frame.last_key, self.prev()) {
            (Some(k), Some(p)) if !frame.after_comma && p.kind != Tok::Comma => {
                Slot::Value(self.tokens.text_of(k))
            }
            _ => Slot::Key,
        }
    }

    /// The span of the value starting at token `i`: a token, or a name and
    /// its brackets, or brackets.
    fn value_end(&self, i: usize) -> usize {
        let list = &self.tokens.list;
        let mut j = i;
        if list.get(j).is_some_and(|t| t.kind == Tok::Ident)
            && list.get(j + 1).is_some_and(|t| t.kind == Tok::Open(b'('))
        {
            j += 1;
        }
        match list.get(j).map(|t| t.kind) {
            Some(Tok::Open(_)) => {
                let mut depth = 0usize;
                for (k, t) in list.iter().enumerate().skip(j) {
                    match t.kind {
                        Tok::Open(_) => depth += 1,
                        Tok::Close(_) => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return k;
                            }
                        }
                        _ => {}
                    }
                }
                list.len().saturating_sub(1)
            }
            _ => j,
        }
    }

    /// The source of tokens `i..=j`, if it is short and on one line.
    fn short_source(&self, i: usize, j: usize) -> Option<&'a str> {
        let (a, b) = (self.tokens.list.get(i)?, self.tokens.list.get(j)?);
        let s = &self.tokens.text[a.start..b.end];
        (s.chars().count() <= 60 && !s.contains('\n')).then_some(s)
    }

    /// `key: value` with the token at the error written as `fixed`.
    fn fixed(&self, key: &str, fixed: &str) -> String {
        format!("{key}: {fixed}")
    }

    /// The call around the error with its argument `i` written as `fixed`.
    fn fixed_call(&self, fixed: &str) -> Option<String> {
        let frame = self.inner()?;
        let name = frame.name?;
        let close = self.value_end(name);
        let t = self.found()?;
        let whole = self.short_source(name, close)?;
        let base = self.tokens.list[name].start;
        let (a, b) = (t.start.checked_sub(base)?, t.end.checked_sub(base)?);
        Some(format!("{}{fixed}{}", whole.get(..a)?, whole.get(b..)?))
    }

    fn diagnose(&self, code: &E) -> Diagnostic {
        // A `Some(..)` or `None` where a value was expected is refused as
        // such, whatever ron expected.
        if let Some(d) = self.some_or_none() {
            return d;
        }
        if let Some(d) = self.string_ran_on() {
            return d;
        }
        // A decimal where a whole number was expected: ron stops at the
        // `.` and says something else.
        if let Some(t) = self.found()
            && t.kind == (Tok::Number { float: true })
            && (t.start < self.start || matches!(code, E::ExpectedInteger))
        {
            return self.decimal();
        }
        match code {
            E::ExpectedInteger => self.wrong_value(Expect::Integer),
            E::ExpectedString | E::ExpectedStringEnd
                if !matches!(self.found().map(|t| t.kind), Some(Tok::Str { .. })) =>
            {
                self.wrong_value(Expect::String)
            }
            E::ExpectedStringEnd | E::ExpectedString => self.unclosed_string(),
            E::ExpectedBoolean => self.wrong_value(Expect::Bool),
            E::ExpectedArray => self.wrong_value(Expect::List),
            E::ExpectedStructLike | E::ExpectedNamedStructLike(_) => self.expected_struct(),
            E::ExpectedIdentifier => self.expected_identifier(),
            E::ExpectedComma => self.expected_comma(),
            E::ExpectedMapColon => self.expected_colon(),
            E::ExpectedStructLikeEnd | E::ExpectedOptionEnd => self.expected_close(b')'),
            E::ExpectedArrayEnd => self.expected_close(b']'),
            E::ExpectedMapEnd => self.expected_close(b'}'),
            E::Eof => self.unclosed_bracket(),
            E::ExpectedDifferentLength { found, .. } => self.argument_count(*found),
            E::ExpectedDifferentStructName { expected, found } => {
                self.struct_name(expected, found)
            }
            E::NoSuchStructField {
                expected,
                found,
                outer,
            } => self.unknown_field(expected, found, outer.as_deref()),
            E::MissingStructField { field, outer } => self.missing_field(field, outer.as_deref()),
            E::DuplicateStructField { field, outer } => {
                self.duplicate_field(field, outer.as_deref())
            }
            E::NoSuchEnumVariant {
                expected,
                found,
                outer,
            } => self.unknown_variant(expected, found, outer.as_deref()),
            E::InvalidEscape(_) => self.invalid_escape(),
            E::IntegerOutOfBounds => self.out_of_bounds(),
            E::UnclosedBlockComment => self.unclosed_comment(),
            E::TrailingCharacters => self.trailing(),
            E::ExceededRecursionLimit => Diagnostic::error(
                Code::E001,
                format!("nested more than {RECURSION_LIMIT} levels deep"),
            )
            .at(self.token_span(self.at), "")
            .help("a story needs only a few levels of brackets: look for brackets opened and never closed"),
            other => self.generic(other),
        }
    }

    /// E008 for `Some(..)` or `None` at the error.
    fn some_or_none(&self) -> Option<Diagnostic> {
        let t = self.found()?;
        if t.kind != Tok::Ident {
            return None;
        }
        let text = self.found_text();
        let next = self.tokens.list.get(self.at + 1).map(|t| t.kind);
        match (text, next) {
            ("Some", Some(Tok::Open(b'('))) | ("None", _) => {
                Some(some_or_none_diagnostic(self.tokens, self.file, self.at))
            }
            _ => None,
        }
    }

    /// A string not closed on its line ends at the next `"` in the file,
    /// the opening quote of a later string, and what follows that quote
    /// is read as RON: the error is where the string began.
    fn string_ran_on(&self) -> Option<Diagnostic> {
        let prev = self.prev()?;
        let found = self.found()?;
        let Tok::Str { raw, closed: true } = prev.kind else {
            return None;
        };
        let written = &self.tokens.text[prev.start..prev.end];
        let adjacent =
            found.start == prev.end && matches!(found.kind, Tok::Ident | Tok::Number { .. });
        if !written.contains('\n') || !adjacent {
            return None;
        }
        let opener = if raw {
            2 + written[1..].bytes().take_while(|&b| b == b'#').count()
        } else {
            1
        };
        let subject = match self.slot_before(self.at - 1) {
            Some(key) => format!("the string of `{key}`"),
            None => "a string".into(),
        };
        let close = self.tokens.text[..prev.end]
            .char_indices()
            .next_back()
            .map_or(prev.end, |(i, _)| i);
        Some(
            Diagnostic::error(Code::E001, format!("{subject} is not closed on its line"))
                .at(
                    self.span(prev.start, prev.start + opener),
                    "the string starts here",
                )
                .related(
                    self.span(close, prev.end),
                    "and ends here, at the opening quote of another string",
                )
                .help("add the closing `\"` where the text ends"),
        )
    }

    /// The key whose value token `i` is, when it directly follows `key:`.
    fn slot_before(&self, i: usize) -> Option<&'a str> {
        (i >= 2 && self.tokens.list[i - 1].kind == Tok::Colon && self.tokens.is_key(i - 2))
            .then(|| self.tokens.text_of(i - 2))
    }

    /// E006: a value of the wrong kind, or E001 where no value was written.
    fn wrong_value(&self, expected: Expect) -> Diagnostic {
        let Some(t) = self.found() else {
            return self.unclosed_bracket();
        };
        if matches!(t.kind, Tok::Comma | Tok::Close(_)) {
            return self.missing_value(expected);
        }
        let found = self.describe(self.at);
        let text = self.found_text();
        let content = self.tokens.plain_string(self.at);
        let slot = self.slot();
        let (subject, verb) = match &slot {
            Slot::Value(key) => (format!("`{key}`"), "takes"),
            Slot::Arg(call, n) => match call.args.get(*n) {
                Some((arg, _)) => (format!("the {arg} of `{}`", call.name), "is"),
                None => return self.too_many_arguments(call),
            },
            Slot::Element(list) => (element_words(*list), "is"),
            Slot::Key => return self.expected_identifier(),
            Slot::Top => return self.top_level(),
        };
        let expected_words = match (expected, &slot) {
            (Expect::Name, Slot::Value("kind")) => {
                let variants = ending_kinds();
                or_list(&variants)
            }
            (Expect::Struct, _) => match self.role_of_slot(&slot) {
                Some(role) => format!("{} in `( .. )`", with_article(role)),
                None => expected.words().into(),
            },
            _ => expected.words().into(),
        };
        let message = format!("{subject} {verb} {expected_words}, found {found}");
        let label = match expected {
            Expect::Integer => "expected a whole number",
            Expect::String => "expected a string",
            Expect::Bool => "expected `true` or `false`",
            Expect::List => "expected `[`",
            Expect::Struct => "expected `(`",
            Expect::Name => "expected a name without quotes",
        };
        let value_span = {
            let last = self.value_end(self.at);
            let end = self.tokens.list.get(last).map_or(t.end, |l| l.end);
            if self.short_source(self.at, last).is_some() {
                self.span(t.start, end)
            } else {
                self.span(t.start, t.end)
            }
        };
        // The value as it should be written, where it can be said.
        let unquoted = content.filter(|c| match expected {
            Expect::Integer => c.trim().parse::<i64>().is_ok(),
            Expect::Bool => matches!(c.trim(), "true" | "false"),
            Expect::Name => is_ident(c.trim()),
            Expect::String | Expect::List | Expect::Struct => false,
        });
        let fix = |fixed: &str| match &slot {
            Slot::Value(key) => Some(self.fixed(key, fixed)),
            Slot::Arg(..) => self.fixed_call(fixed),
            Slot::Element(_) | Slot::Key | Slot::Top => Some(fixed.to_string()),
        };
        let help = if let Some(c) = unquoted {
            fix(c.trim()).map(|f| format!("remove the quotes: `{f}`"))
        } else {
            match (expected, &slot) {
                (Expect::String, _)
                    if matches!(t.kind, Tok::Ident | Tok::Number { .. } | Tok::Char) =>
                {
                    let inner = if t.kind == Tok::Char {
                        &text[1..text.len() - 1]
                    } else {
                        text
                    };
                    fix(&format!("\"{inner}\"")).map(|f| format!("put it in quotes: `{f}`"))
                }
                (Expect::List, Slot::Value(key)) => {
                    let last = self.value_end(self.at);
                    Some(match self.short_source(self.at, last) {
                        Some(v) => format!("put it in brackets: `{key}: [{v}]`"),
                        None => format!("put the list in brackets: `{key}: [ .. ]`"),
                    })
                }
                (Expect::Bool, Slot::Value(key)) => {
                    Some(format!("write `{key}: true` or `{key}: false`"))
                }
                (Expect::Integer, Slot::Value(key)) => {
                    Some(format!("write a whole number, such as `{key}: 50`"))
                }
                (Expect::Struct | Expect::Name, Slot::Value(key)) => {
                    example_of(key).map(|e| format!("`{key}` is written like this: `{e}`"))
                }
                (Expect::Name, Slot::Element(Some("on_enter" | "effects" | "adjust"))) => {
                    let named = content.and_then(|c| CALLS.iter().find(|call| call.name == c));
                    Some(match named {
                        Some(call) => {
                            format!("an effect is written without quotes: `{}`", call.example)
                        }
                        None => {
                            "an effect is written without quotes, such as `Give(\"lamp\")`".into()
                        }
                    })
                }
                (_, Slot::Arg(call, _)) => Some(call_help(call)),
                _ => None,
            }
        };
        let mut d = Diagnostic::error(Code::E006, message).at(value_span, label);
        if let Some(help) = help {
            d = d.help(help);
        }
        d
    }

    /// What a slot's value is, for a struct: "choice", "check".
    fn role_of_slot(&self, slot: &Slot<'_>) -> Option<&'static str> {
        let key = match slot {
            Slot::Value(key) => *key,
            Slot::Element(Some(key)) => key,
            _ => return None,
        };
        Some(match key {
            "scenes" => "scene",
            "choices" => "choice",
            "variables" => "variable",
            "items" => "item",
            "crew" => "crew member",
            "ending" => "ending",
            "check" => "check",
            "success" | "failure" => "branch",
            _ => return None,
        })
    }

    /// A decimal where a whole number is expected.
    fn decimal(&self) -> Diagnostic {
        let Some(t) = self.found() else {
            return self.unclosed_bracket();
        };
        let text = self.found_text();
        let slot = self.slot();
        let subject = match &slot {
            Slot::Value(key) => format!("`{key}` takes"),
            Slot::Arg(call, n) => format!(
                "the {} of `{}` is",
                call.args.get(*n).map_or("argument", |a| a.0),
                call.name
            ),
            _ => "this number must be".into(),
        };
        let mut d = Diagnostic::error(
            Code::E006,
            format!("{subject} a whole number, found `{text}`"),
        )
        .at(self.span(t.start, t.end), "a decimal number");
        let value: Option<f64> = text.replace('_', "").parse().ok();
        let whole = value.filter(|v| v.is_finite() && v.abs() < 1e15).map(|v| {
            let (down, up) = (v.floor() as i64, v.ceil() as i64);
            if down == up {
                vec![down]
            } else {
                vec![down, up]
            }
        });
        if let Some(whole) = whole {
            let written: Vec<String> = whole
                .iter()
                .filter_map(|n| match &slot {
                    Slot::Value(key) => Some(self.fixed(key, &n.to_string())),
                    Slot::Arg(..) => self.fixed_call(&n.to_string()),
                    _ => Some(n.to_string()),
                })
                .map(|s| format!("`{s}`"))
                .collect();
            d = d.help(format!(
                "stories count in whole numbers: write {}",
                written.join(" or ")
            ));
        }
        d
    }

    /// E001: a field or argument with nothing after it.
    fn missing_value(&self, expected: Expect) -> Diagnostic {
        let at = self.prev().map_or(self.start, |p| p.end);
        let (message, help) = match self.slot() {
            Slot::Value(key) => (
                format!("`{key}` has no value"),
                example_of(key).map_or_else(
                    || format!("write {} after `{key}:`", expected.words()),
                    |e| format!("write its value after the `:`: `{e}`"),
                ),
            ),
            Slot::Arg(call, n) if n < call.args.len() => (
                format!(
                    "`{}` lacks its {}, found {}",
                    call.name,
                    call.args[n].0,
                    self.describe(self.at)
                ),
                call_help(call),
            ),
            Slot::Arg(call, _) => return self.too_many_arguments(call),
            _ => (
                format!(
                    "expected {}, found {}",
                    expected.words(),
                    self.describe(self.at)
                ),
                match self.found().map(|t| t.kind) {
                    Some(Tok::Comma) => "remove the extra `,`".into(),
                    _ => format!("write {} here", expected.words()),
                },
            ),
        };
        Diagnostic::error(Code::E001, message)
            .at(self.span(at, at), format!("expected {}", expected.words()))
            .help(help)
    }

    /// A string that runs to the end of the file.
    fn unclosed_string(&self) -> Diagnostic {
        let (start, raw_hashes) = match self.found() {
            Some(
                t @ Token {
                    kind: Tok::Str { raw, .. },
                    ..
                },
            ) => {
                let text = self.found_text();
                let hashes = raw.then(|| text[1..].bytes().take_while(|&b| b == b'#').count());
                (t.start, hashes)
            }
            _ => (self.start, None),
        };
        let opener_len = raw_hashes.map_or(1, |h| h + 2);
        let help = match raw_hashes {
            Some(h) => {
                let hashes = "#".repeat(h);
                format!(
                    "a raw string opened with `r{hashes}\"` ends only at `\"{hashes}`: add it where the text ends"
                )
            }
            None => {
                "a string ends at the next `\"` that has no `\\` before it: add the closing `\"`"
                    .into()
            }
        };
        Diagnostic::error(Code::E001, "this string is never closed")
            .at(
                self.span(start, start + opener_len),
                "the string starts here and runs to the end of the file",
            )
            .help(help)
    }

    /// `ExpectedStructLike`: an effect without its parentheses, or a value
    /// that should be a struct.
    fn expected_struct(&self) -> Diagnostic {
        // `Give` with no `(`: the effect's name is the token before.
        if let Some(p) = self.prev()
            && p.kind == Tok::Ident
            && let Some(call) = CALLS
                .iter()
                .find(|c| c.name == self.tokens.text_of(self.at - 1))
        {
            return Diagnostic::error(
                Code::E006,
                format!("`{}` needs {} in parentheses", call.name, call.takes),
            )
            .at(
                self.token_span(self.at - 1),
                format!("expected `{}(..)`", call.name),
            )
            .help(call_help(call));
        }
        if self.walk.frames.is_empty() {
            return self.top_level();
        }
        if self.found().is_some_and(|t| t.kind == Tok::Comma)
            && self.prev().is_some_and(|p| p.kind == Tok::Comma)
        {
            return Diagnostic::error(Code::E001, "a second `,` with nothing between")
                .at(self.token_span(self.at), "remove this `,`");
        }
        self.wrong_value(Expect::Struct)
    }

    /// `ExpectedIdentifier`: a field's name in quotes, a struct not
    /// closed, or a value that should be a bare name.
    fn expected_identifier(&self) -> Diagnostic {
        match self.slot() {
            Slot::Key => {}
            Slot::Top => return self.top_level(),
            _ => return self.wrong_value(Expect::Name),
        }
        let found = self.describe(self.at);
        let t = self.found();
        match t.map(|t| t.kind) {
            Some(Tok::Str { .. })
                if self
                    .tokens
                    .list
                    .get(self.at + 1)
                    .is_some_and(|n| n.kind == Tok::Colon) =>
            {
                let name = self.tokens.plain_string(self.at).unwrap_or("name");
                Diagnostic::error(
                    Code::E001,
                    format!("a field's name is written without quotes, found {found}"),
                )
                .at(self.token_span(self.at), "expected a field's name")
                .help(format!("remove the quotes: `{name}:`"))
            }
            Some(Tok::Open(b'(')) => {
                let depth = self.walk.frames.len() - 1;
                let owner = self.owner(depth);
                let open = self.walk.frames[depth].open;
                Diagnostic::error(
                    Code::E001,
                    format!("expected a field's name, found `(`: {owner} is not closed"),
                )
                .at(self.token_span(self.at), "expected a field's name")
                .related(self.token_span(open), format!("{owner} opens here"))
                .help(format!("close {owner} with `)` before the next one starts"))
            }
            Some(Tok::Comma) => Diagnostic::error(Code::E001, "a second `,` with nothing between")
                .at(self.token_span(self.at), "remove this `,`"),
            None => self.unclosed_bracket(),
            _ => Diagnostic::error(
                Code::E001,
                format!("expected a field's name, found {found}"),
            )
            .at(self.token_span(self.at), "expected a field's name")
            .help("a field is written `name: value`, as in `title: \"The Hall\"`"),
        }
    }

    /// `ExpectedComma`: a comma missing, a bracket closed by the wrong
    /// kind, a stray character, or the end of the file.
    fn expected_comma(&self) -> Diagnostic {
        let Some(t) = self.found() else {
            return self.unclosed_bracket();
        };
        let depth = self.walk.frames.len().saturating_sub(1);
        match t.kind {
            Tok::Close(b) => {
                let Some(frame) = self.inner() else {
                    return self.trailing();
                };
                let close = closer(self.tokens.list[frame.open].kind);
                if close == b {
                    return self.generic(&E::ExpectedComma);
                }
                let owner = self.owner(depth);
                Diagnostic::error(
                    Code::E001,
                    format!(
                        "expected `{}` to close {owner}, found `{}`",
                        close as char, b as char
                    ),
                )
                .at(
                    self.token_span(self.at),
                    format!("expected `{}` before this", close as char),
                )
                .related(self.token_span(frame.open), format!("{owner} opens here"))
                .help(format!("add `{}` where {owner} ends", close as char))
            }
            Tok::Ident | Tok::Str { .. } | Tok::Number { .. } | Tok::Char | Tok::Open(_) => {
                self.missing_comma()
            }
            Tok::Colon | Tok::Comma | Tok::Other => {
                let text = self.found_text();
                let mut d = Diagnostic::error(Code::E001, format!("unexpected `{text}`"))
                    .at(self.token_span(self.at), "expected `,`");
                d = d.help(match text {
                    ";" => "fields and list elements are separated by `,`, not `;`".to_string(),
                    "+" => "a string cannot be added to: write the whole text in one string"
                        .to_string(),
                    _ => format!("remove the `{text}`"),
                });
                d
            }
        }
    }

    /// A comma missing before the token at the error: the caret goes just
    /// after the value that needs it.
    fn missing_comma(&self) -> Diagnostic {
        let Some(prev) = self.prev() else {
            return self.top_level();
        };
        let after = self.span(prev.end, prev.end);
        let found = self.describe(self.at);
        let Some(frame) = self.inner().copied() else {
            return self.trailing();
        };
        let depth = self.walk.frames.len() - 1;
        if let Some(call) = self.call() {
            return Diagnostic::error(
                Code::E001,
                format!(
                    "expected `,` between the arguments of `{}`, found {found}",
                    call.name
                ),
            )
            .at(after, "add a `,` here")
            .help(call_help(call));
        }
        if self.is_open(&frame, b'[') {
            let what = frame
                .key
                .map(|k| element_words(Some(self.tokens.text_of(k))))
                .unwrap_or_else(|| "an element".into());
            return Diagnostic::error(
                Code::E001,
                format!("expected `,` after {what}, found {found}"),
            )
            .at(after, "add a `,` here")
            .help("the elements of a list are separated by `,`");
        }
        match frame.last_key {
            Some(k) => {
                let key = self.tokens.text_of(k);
                let written = self.short_source(k, self.at - 1);
                let mut d = Diagnostic::error(
                    Code::E001,
                    format!("expected `,` after the value of `{key}`, found {found}"),
                )
                .at(after, "add a `,` here");
                d = d.help(match written {
                    Some(w) => format!("fields are separated by `,`: `{w},`"),
                    None => "fields are separated by `,`".into(),
                });
                d
            }
            None => Diagnostic::error(
                Code::E001,
                format!("expected `,` in {}, found {found}", self.owner(depth)),
            )
            .at(after, "add a `,` here"),
        }
    }

    /// `ExpectedMapColon`: a field's name without its `:`.
    fn expected_colon(&self) -> Diagnostic {
        let key = self
            .prev()
            .filter(|p| p.kind == Tok::Ident)
            .map(|_| self.tokens.text_of(self.at - 1));
        let found = self.describe(self.at);
        let message = match key {
            Some(key) => format!("expected `:` after the field's name `{key}`, found {found}"),
            None => format!("expected `:`, found {found}"),
        };
        let mut d = Diagnostic::error(Code::E001, message).at(
            match self.found() {
                Some(t) if self.found_text() == "=" => self.span(t.start, t.end),
                _ => self.span(
                    self.prev().map_or(self.start, |p| p.end),
                    self.prev().map_or(self.start, |p| p.end),
                ),
            },
            "expected `:`",
        );
        if let Some(key) = key {
            d = d.help(match example_of(key) {
                Some(e) => format!("a field is written with `:` after its name: `{e}`"),
                None => format!("a field is written with `:` after its name: `{key}: ..`"),
            });
        }
        d
    }

    /// `ExpectedStructLikeEnd` and its kin: something after the last field
    /// or argument.
    fn expected_close(&self, close: u8) -> Diagnostic {
        if let Some(call) = self.call() {
            return self.too_many_arguments(call);
        }
        let Some(t) = self.found() else {
            return self.unclosed_bracket();
        };
        let depth = self.walk.frames.len().saturating_sub(1);
        let owner = self.owner(depth);
        Diagnostic::error(
            Code::E001,
            format!(
                "expected `{}` to close {owner}, found {}",
                close as char,
                self.describe(self.at)
            ),
        )
        .at(
            self.span(t.start, t.end),
            format!("expected `{}`", close as char),
        )
    }

    /// An effect given too many arguments.
    fn too_many_arguments(&self, call: &Call) -> Diagnostic {
        let n = call.args.len();
        // The arguments written: the commas at the call's own depth.
        let found = self.inner().map_or(n + 1, |frame| {
            let close = self.value_end(frame.open);
            let mut depth = 0usize;
            let mut commas = 0;
            for i in frame.open + 1..close {
                match self.tokens.list[i].kind {
                    Tok::Open(_) => depth += 1,
                    Tok::Close(_) => depth = depth.saturating_sub(1),
                    Tok::Comma if depth == 0 && i + 1 != close => commas += 1,
                    _ => {}
                }
            }
            commas + 1
        });
        Diagnostic::error(
            Code::E006,
            format!(
                "`{}` takes {}, found {found}",
                call.name,
                count(n, "argument")
            ),
        )
        .at(self.token_span(self.at), "one too many")
        .help(call_help(call))
    }

    /// `ExpectedDifferentLength`: an effect with too few arguments.
    fn argument_count(&self, found: usize) -> Diagnostic {
        let Some(call) = self.call() else {
            return self.generic(&E::ExpectedDifferentLength {
                expected: String::new(),
                found,
            });
        };
        let frame = self.inner().copied();
        let span = match frame.and_then(|f| f.name) {
            Some(name) => {
                let close = self.value_end(name);
                let end = self.tokens.list.get(close).map_or(self.end, |t| t.end);
                self.span(self.tokens.list[name].start, end)
            }
            None => self.token_span(self.at),
        };
        let found_words = match found {
            0 => "none".to_string(),
            1 => "one".to_string(),
            n => n.to_string(),
        };
        Diagnostic::error(
            Code::E006,
            format!(
                "`{}` takes {}, found {found_words}",
                call.name,
                count(call.args.len(), "argument")
            ),
        )
        .at(span, "")
        .help(call_help(call))
    }

    /// `ExpectedDifferentStructName`: a chapter holding a `Story`, a struct
    /// misnamed, or a bare word where a struct was expected.
    fn struct_name(&self, expected: &str, found: &str) -> Diagnostic {
        let followed_by_paren = self
            .tokens
            .list
            .get(self.at + 1)
            .is_some_and(|t| t.kind == Tok::Open(b'('));
        let span = self.token_span(self.at);
        if self.walk.frames.is_empty() {
            return match (self.kind, found) {
                (FileKind::Chapter, "Story") => Diagnostic::error(
                    Code::E001,
                    format!("`{}` holds a `Story`, but it is a chapter file", self.source.name),
                )
                .at(span, "expected `Chapter`")
                .help("a story directory has one `story.ron` with the `Story`: every other `.ron` file is a `Chapter(title: .., scenes: [..])`"),
                (FileKind::Story, "Chapter") => Diagnostic::error(
                    Code::E001,
                    format!("`{}` holds a `Chapter`, but it is the story file", self.source.name),
                )
                .at(span, "expected `Story`")
                .help("`story.ron` holds `Story(title: .., start: ..)`: move the scenes to a chapter file of their own, such as `hall.ron`"),
                _ => self.top_level(),
            };
        }
        if !followed_by_paren {
            return self.wrong_value(Expect::Struct);
        }
        let depth = self.walk.frames.len();
        let role = self.role_of_slot(&self.slot()).or_else(|| self.role(depth));
        let named = role.is_some_and(|r| r.eq_ignore_ascii_case(expected));
        let mut d = Diagnostic::error(
            Code::E002,
            format!("`{found}` is not the name of this struct"),
        )
        .at(span, "");
        d = d.help(if named {
            format!("write `{expected}(` or leave the name out: `(`")
        } else {
            "leave the name out: write `(` alone".into()
        });
        d
    }

    fn unknown_field(&self, expected: &[&str], found: &str, outer: Option<&str>) -> Diagnostic {
        let help = match suggest(found, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("expected one of {}", backticked(expected)),
        };
        let within = self.within(outer);
        Diagnostic::error(Code::E002, format!("unknown field `{found}` in {within}"))
            .at(self.span(self.start, self.end.max(self.start)), "")
            .help(help)
    }

    /// The struct the innermost bracket is, named: "scene `cellar`", else
    /// by ron's word for it.
    fn within(&self, outer: Option<&str>) -> String {
        let depth = self.walk.frames.len().saturating_sub(1);
        if !self.walk.frames.is_empty()
            && (self.role(depth).is_some() || self.walk.frames[depth].label.is_some())
        {
            return self.owner(depth);
        }
        outer.map_or_else(|| "this struct".into(), |o| outer_words(o).into())
    }

    fn missing_field(&self, field: &str, outer: Option<&str>) -> Diagnostic {
        let within = self.within(outer);
        let frame = self.inner().copied();
        let span = match frame.and_then(|f| f.label) {
            Some(label) => self.token_span(label),
            None => frame.map_or_else(|| self.token_span(self.at), |f| self.token_span(f.open)),
        };
        let message = format!("{within} has no `{field}`");
        let depth = self.walk.frames.len().saturating_sub(1);
        let label = match self.role(depth).filter(|_| !self.walk.frames.is_empty()) {
            Some(role) => format!("add `{field}` to this {role}"),
            None => format!("add `{field}` here"),
        };
        let mut d = Diagnostic::error(Code::E003, message).at(span, label);
        d = d.help(match example_of(field) {
            Some(e) => format!("add it: `{e}`"),
            None => format!("add `{field}: ..`"),
        });
        d
    }

    fn duplicate_field(&self, field: &str, outer: Option<&str>) -> Diagnostic {
        let within = self.within(outer);
        let mut d = Diagnostic::error(Code::E001, format!("`{field}` is given twice in {within}"))
            .at(
                self.span(self.start, self.end.max(self.start)),
                "given again here",
            );
        // The first: a key of the same name at this bracket's own depth.
        if let Some(frame) = self.inner() {
            let mut depth = 0usize;
            for i in frame.open + 1..self.at.min(self.tokens.list.len()) {
                match self.tokens.list[i].kind {
                    Tok::Open(_) => depth += 1,
                    Tok::Close(_) => depth = depth.saturating_sub(1),
                    _ => {}
                }
                if depth == 0 && self.tokens.is_key(i) && self.tokens.text_of(i) == field {
                    if self.tokens.list[i].start != self.start {
                        d = d.related(self.token_span(i), "first given here");
                    }
                    break;
                }
            }
        }
        d.help("remove one of them")
    }

    fn unknown_variant(&self, expected: &[&str], found: &str, outer: Option<&str>) -> Diagnostic {
        let help = match suggest(found, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("expected one of {}", backticked(expected)),
        };
        let message = match outer {
            Some("Effect") => format!("unknown effect `{found}`"),
            Some("Adjust") => format!("unknown check adjustment `{found}`"),
            Some("EndingKind") => format!("unknown ending kind `{found}`"),
            Some(o) => format!("unknown `{found}` in {}", outer_words(o)),
            None => format!("unknown `{found}`"),
        };
        Diagnostic::error(Code::E002, message)
            .at(self.span(self.start, self.end.max(self.start)), "")
            .help(help)
    }

    /// An escape ron does not know, found in the string at the error.
    fn invalid_escape(&self) -> Diagnostic {
        let string = self
            .tokens
            .list
            .get(self.at)
            .filter(|t| matches!(t.kind, Tok::Str { raw: false, .. }));
        let bad = string.and_then(|t| {
            let s = &self.tokens.text[t.start..t.end];
            let mut chars = s.char_indices().skip(1);
            while let Some((i, c)) = chars.next() {
                if c == '\\' {
                    let (_, e) = chars.next()?;
                    if !matches!(e, '\'' | '"' | '\\' | 'n' | 'r' | 't' | '0' | 'x' | 'u') {
                        return Some((t.start + i, t.start + i + 1 + e.len_utf8()));
                    }
                }
            }
            None
        });
        let (start, end) = bad.unwrap_or((self.start, self.end.max(self.start)));
        let written = &self.source.text[start..end];
        // The string as a raw string, when it is short and can be one.
        let raw = string.and_then(|t| {
            let s = &self.tokens.text[t.start + 1..t.end - 1];
            (s.chars().count() <= 50 && !s.contains('\n') && !s.contains("\"#"))
                .then(|| format!("r#\"{s}\"#"))
        });
        let help = match raw {
            Some(raw) => {
                format!("write `\\\\` for a backslash, or write the text as a raw string: `{raw}`")
            }
            None => "write `\\\\` for a backslash, or write the text as a raw string: `r#\"..\"#`"
                .into(),
        };
        Diagnostic::error(
            Code::E001,
            format!("unknown escape `{written}` in a string"),
        )
        .at(self.span(start, end), "")
        .help(help)
    }

    fn out_of_bounds(&self) -> Diagnostic {
        let subject = match self.slot() {
            Slot::Value(key) => format!("`{key}`"),
            Slot::Arg(call, n) => format!(
                "the {} of `{}`",
                call.args.get(n).map_or("argument", |a| a.0),
                call.name
            ),
            _ => "this number".into(),
        };
        Diagnostic::error(
            Code::E001,
            format!("{subject} does not fit in a whole number"),
        )
        .at(self.token_span(self.at), "")
        .help(format!(
            "whole numbers in a story are between {} and {}",
            i64::MIN,
            i64::MAX
        ))
    }

    fn unclosed_comment(&self) -> Diagnostic {
        let at = self.tokens.unclosed_comment.unwrap_or(self.start);
        Diagnostic::error(Code::E001, "this comment is never closed")
            .at(self.span(at, at + 2), "the comment starts here")
            .help("close it with `*/`: comments nest, so each `/*` inside it needs its own `*/`")
    }

    /// `TrailingCharacters`: something after the file's one value.
    fn trailing(&self) -> Diagnostic {
        let found = self.describe(self.at);
        let root = self.kind.root();
        let mut d = Diagnostic::error(
            Code::E001,
            format!("unexpected {found} after the end of {}", self.kind.word()),
        )
        .at(self.token_span(self.at), "");
        if let Some(p) = self.prev() {
            d = d.related(
                self.span(p.start, p.end),
                format!("the `{root}(` that opens the file closes here"),
            );
        }
        d.help(format!(
            "a file holds one `{root}(..)`: remove what follows it, or look for a bracket closed too early"
        ))
    }

    /// Before or instead of the file's `Chapter(` or `Story(`.
    fn top_level(&self) -> Diagnostic {
        let root = self.kind.root();
        let example = match self.kind {
            FileKind::Story => "Story(title: \"My Story\", start: \"hall\")",
            FileKind::Chapter => "Chapter(title: \"One\", scenes: [..])",
        };
        if self.tokens.list.is_empty() {
            return Diagnostic::error(Code::E001, format!("`{}` is empty", self.source.name))
                .at(self.span(0, 0), format!("expected `{root}(`"))
                .help(format!(
                    "a {} file holds `{example}`",
                    match self.kind {
                        FileKind::Story => "story",
                        FileKind::Chapter => "chapter",
                    }
                ));
        }
        Diagnostic::error(
            Code::E001,
            format!("expected `{root}(`, found {}", self.describe(self.at)),
        )
        .at(self.token_span(self.at), format!("expected `{root}(`"))
        .help(format!("the file holds `{example}`"))
    }

    /// The end of the file with brackets still open.
    fn unclosed_bracket(&self) -> Diagnostic {
        let Some(frame) = self.inner().copied() else {
            return self.top_level();
        };
        let depth = self.walk.frames.len() - 1;
        let owner = self.owner(depth);
        // Each bracket still open, the innermost first.
        let closes: Vec<String> = (0..=depth)
            .rev()
            .map(|d| {
                let close = closer(self.tokens.list[self.walk.frames[d].open].kind) as char;
                format!("{} with `{close}`", self.owner(d))
            })
            .collect();
        let help = match closes.as_slice() {
            [one] => format!("close {one}"),
            [init @ .., last] => format!("close {} and {last}", init.join(", ")),
            [] => String::new(),
        };
        Diagnostic::error(
            Code::E001,
            format!("the file ends before {owner} is closed"),
        )
        .at(
            self.token_span(frame.open),
            format!("this `{}` is never closed", self.tokens.text_of(frame.open)),
        )
        .help(help)
    }

    /// Any other error: ron's words, lowercased, with the caret on the token.
    fn generic(&self, code: &E) -> Diagnostic {
        let span = match self.found() {
            Some(t) if t.start <= self.start.max(t.start) => self.span(t.start, t.end),
            _ => self.span(self.start, self.end.max(self.start)),
        };
        Diagnostic::error(Code::E001, plain_words(&code.to_string())).at(span, "")
    }
}

/// E008 for the `Some` or `None` at token `i`.
pub(crate) fn some_or_none_diagnostic(tokens: &Tokens<'_>, file: FileId, i: usize) -> Diagnostic {
    let t = tokens.list[i];
    let span = Span {
        file,
        start: t.start,
        end: t.end,
    };
    let key = (i >= 2 && tokens.list[i - 1].kind == Tok::Colon && tokens.is_key(i - 2))
        .then(|| tokens.text_of(i - 2));
    if tokens.text_of(i) == "None" {
        let help = match key {
            Some(key) => format!("leave `{key}` out: a field that is not written has no value"),
            None => "leave the field out: a field that is not written has no value".into(),
        };
        return Diagnostic::error(Code::E008, "`None` is not written in a story file")
            .at(span, "")
            .help(help);
    }
    // The value inside `Some(..)`, when it is short.
    let inner = {
        let mut depth = 0usize;
        let mut close = None;
        for (j, t) in tokens.list.iter().enumerate().skip(i + 1) {
            match t.kind {
                Tok::Open(_) => depth += 1,
                Tok::Close(_) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        close = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        close.and_then(|c| {
            let (a, b) = (tokens.list.get(i + 2)?, tokens.list.get(c.checked_sub(1)?)?);
            let s = tokens.text.get(a.start..b.end)?;
            (c > i + 2 && s.chars().count() <= 60 && !s.contains('\n')).then_some(s)
        })
    };
    let help = match (key, inner) {
        (Some(key), Some(inner)) => format!("write the value itself: `{key}: {inner}`"),
        (None, Some(inner)) => format!("write the value itself: `{inner}`"),
        _ => "write the value itself, without `Some(..)` around it".into(),
    };
    Diagnostic::error(Code::E008, "`Some(..)` is not written in a story file")
        .at(span, "")
        .help(help)
}

/// "`Add` takes a variable and an amount: `Add(\"credits\", 10)`".
fn call_help(call: &Call) -> String {
    format!("`{}` takes {}: `{}`", call.name, call.takes, call.example)
}

/// What an element of the list of `key` is: "a flag", "an effect".
fn element_words(key: Option<&str>) -> String {
    match key {
        Some("flags") => "a flag".into(),
        Some("inventory") => "an item of the inventory".into(),
        Some("on_enter" | "effects") => "an effect".into(),
        Some("adjust") => "a check adjustment".into(),
        Some("scenes") => "a scene".into(),
        Some("choices") => "a choice".into(),
        Some("variables") => "a variable".into(),
        Some("items") => "an item".into(),
        Some("crew") => "a crew member".into(),
        Some(key) => format!("an element of `{key}`"),
        None => "an element".into(),
    }
}

/// ron's name of a struct or enum, in an author's words.
fn outer_words(outer: &str) -> &'static str {
    match outer {
        "Story" => "the story",
        "Chapter" => "the chapter",
        "Scene" => "a scene",
        "Choice" => "a choice",
        "Check" => "a check",
        "Branch" => "a branch",
        "Ending" => "an ending",
        "Effect" => "an effect",
        "Adjust" => "a check adjustment",
        "EndingKind" => "an ending's kind",
        "RawVariable" => "a variable",
        "RawItem" => "an item",
        "RawCrew" => "a crew member",
        _ => "this struct",
    }
}

fn example_of(key: &str) -> Option<&'static str> {
    FIELD_EXAMPLES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, e)| *e)
}

/// The kinds of ending, as `raw.rs` reads them.
fn ending_kinds() -> Vec<&'static str> {
    match ron::from_str::<crate::story::raw::RawEndingKind>("Nope") {
        Err(ron::error::SpannedError {
            code: E::NoSuchEnumVariant { expected, .. },
            ..
        }) => expected.to_vec(),
        _ => Vec::new(),
    }
}

fn closer(open: Tok) -> u8 {
    match open {
        Tok::Open(b'[') => b']',
        Tok::Open(b'{') => b'}',
        _ => b')',
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "`Good`, `Bittersweet` or `Bad`".
fn or_list(names: &[&str]) -> String {
    match names {
        [] => "a name".into(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!("{} or `{last}`", backticked(init)),
    }
}

fn count(n: usize, word: &str) -> String {
    match n {
        1 => format!("one {word}"),
        n => format!("{n} {word}s"),
    }
}

fn with_article(role: &str) -> String {
    let vowel = role
        .trim_start_matches('`')
        .starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {role}", if vowel { "an" } else { "a" })
}

/// ron's message, lowercased, with any type name of the program taken
/// out (`RawEffect::Add` is `Add`).
fn plain_words(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("Raw") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        let word = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        rest = &after[word..];
        rest = rest.strip_prefix("::").unwrap_or(rest);
        if word == 0 {
            out.push_str("Raw");
        }
    }
    out.push_str(rest);
    let mut c = out.chars();
    match c.next() {
        Some(f) if !c.clone().next().is_some_and(char::is_uppercase) => {
            f.to_lowercase().chain(c).collect()
        }
        Some(f) => std::iter::once(f).chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::raw::{RawAdjust, RawEffect};

    /// Every effect and adjustment the table names is one `raw.rs` reads,
    /// with the arguments the table says; and every variant `raw.rs`
    /// knows is in the table.
    #[test]
    fn the_table_of_calls_is_the_raw_structs() {
        let variants = |e: ron::error::SpannedError| match e.code {
            E::NoSuchEnumVariant { expected, .. } => expected.to_vec(),
            other => panic!("{other:?}"),
        };
        let mut known = variants(ron::from_str::<RawEffect>("Nope").expect_err("no such"));
        known.extend(variants(
            ron::from_str::<RawAdjust>("Nope").expect_err("no such"),
        ));
        for call in CALLS {
            let effect = ron::from_str::<RawEffect>(call.example).is_ok();
            let adjust = ron::from_str::<RawAdjust>(call.example).is_ok();
            assert!(effect || adjust, "{} does not parse", call.example);
            assert!(call.example.starts_with(&format!("{}(", call.name)));
            let args = call.example.matches(',').count() + 1;
            assert_eq!(args, call.args.len(), "{}", call.name);
        }
        let mut named: Vec<&str> = CALLS.iter().map(|c| c.name).collect();
        named.sort_unstable();
        known.sort_unstable();
        assert_eq!(named, known);
    }

    /// Each field example is read by ron in a struct that has the field.
    #[test]
    fn field_examples_parse() {
        use crate::story::raw::*;
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        // Each struct with its required fields; the example's own field is
        // left out of them.
        let structs: [(&str, &[&str]); 8] = [
            ("scene", &["id: \"a\"", "title: \"A\""]),
            ("choice", &["key: \"a\"", "text: \"A\""]),
            ("ending", &["id: \"a\"", "title: \"A\"", "kind: Good"]),
            ("check", &["chance: 1"]),
            ("story", &["title: \"T\"", "start: \"a\""]),
            ("chapter", &["title: \"T\""]),
            ("item", &["id: \"a\"", "name: \"A\""]),
            ("branch", &["goto: \"a\""]),
        ];
        for (key, example) in FIELD_EXAMPLES {
            assert!(example.starts_with(&format!("{key}: ")), "{example}");
            let ok = structs.iter().any(|(name, required)| {
                let mut fields: Vec<&str> = required
                    .iter()
                    .copied()
                    .filter(|f| !f.starts_with(&format!("{key}:")))
                    .collect();
                fields.push(example);
                let text = format!("({})", fields.join(", "));
                match *name {
                    "scene" => options.from_str::<RawScene>(&text).is_ok(),
                    "choice" => options.from_str::<RawChoice>(&text).is_ok(),
                    "ending" => options.from_str::<RawEnding>(&text).is_ok(),
                    "check" => options.from_str::<RawCheck>(&text).is_ok(),
                    "story" => options.from_str::<RawStory>(&text).is_ok(),
                    "chapter" => options.from_str::<RawChapter>(&text).is_ok(),
                    "item" => options.from_str::<RawItem>(&text).is_ok(),
                    _ => options.from_str::<RawBranch>(&text).is_ok(),
                }
            });
            assert!(ok, "`{example}` is read by no struct");
        }
    }

    #[test]
    fn type_names_are_taken_out() {
        assert_eq!(
            plain_words("Expected tuple variant RawEffect::Add with 2 elements"),
            "expected tuple variant Add with 2 elements"
        );
        assert_eq!(plain_words("missing RawVariable"), "missing ");
    }

    #[test]
    fn ending_kinds_come_from_the_raw_enum() {
        assert_eq!(ending_kinds(), ["Good", "Bittersweet", "Bad"]);
    }
}
