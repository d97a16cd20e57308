//! Authoring diagnostics: every problem found in a story, rendered like rustc.
//!
//! Messages are lowercase with names in backticks. Each diagnostic has a code
//! (`E0xx` errors, `W0xx` warnings), a primary location with a label, optional
//! related locations ("first defined here") and an optional help line.

use std::fmt::Write as _;

use serde::Serialize;

pub use crate::story::code::Code;
use crate::story::source::{Sources, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The code's severity (`Code::severity`), kept beside it for the
    /// drivers that filter on it.
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub primary: Option<Label>,
    pub related: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `code`, with the code's severity.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: code.severity(),
            code,
            message: message.into(),
            primary: None,
            related: Vec::new(),
            help: None,
        }
    }

    /// `new` for an error code: says at the call that it stops the load.
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        debug_assert_eq!(code.severity(), Severity::Error, "{code} is a warning");
        Diagnostic::new(code, message)
    }

    /// `new` for a warning code (a lint).
    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        debug_assert_eq!(code.severity(), Severity::Warning, "{code} is an error");
        Diagnostic::new(code, message)
    }

    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column` of the primary label, if any.
    pub fn location(&self, sources: &Sources) -> Option<(String, usize, usize)> {
        let label = self.primary.as_ref()?;
        let source = sources.get(label.span.file);
        let (line, col) = source.line_col(label.span.start);
        Some((source.name.clone(), line, col))
    }

    /// Renders the diagnostic as text, as rustc does (through
    /// `annotate-snippets`, which counts the caret in display columns: CJK
    /// and emoji are two wide); `color` adds ANSI styles. Control
    /// characters of the story (in its lines, names, file names) are shown
    /// as symbols, never sent to the terminal.
    pub fn render(&self, sources: &Sources, color: bool) -> String {
        use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let labels = self
            .primary
            .iter()
            .map(|l| (l, true))
            .chain(self.related.iter().map(|l| (l, false)));
        let mut group = Group::with_title(
            level
                .primary_title(visible(&self.message))
                .id(self.code.as_str()),
        );
        // Where a long line is shown as an excerpt, the renderer counts the
        // column in the excerpt: each header it writes is then given the
        // real column (`name:line:column`), in order, below.
        let mut columns = Vec::new();
        for (label, primary) in labels {
            let source = sources.get(label.span.file);
            let (line, col) = source.line_col(label.span.start);
            // The line, or an excerpt of a long one, with the label's
            // characters in it: from its column, as many as the span has
            // on this line (at least one).
            let (text, shown_col, right) = source.excerpt(label.span.start);
            let text = visible(&text).into_owned();
            let width = caret_width(source, label.span, line, col, right);
            let start = char_offset(&text, shown_col - 1);
            let end = char_offset(&text[start..], width) + start;
            let kind = if primary {
                AnnotationKind::Primary
            } else {
                AnnotationKind::Context
            };
            let message = visible(&label.message).into_owned();
            let name = visible(&source.name).into_owned();
            columns.push((
                format!("{name}:{line}:{shown_col}"),
                format!("{name}:{line}:{col}"),
            ));
            group = group.element(
                Snippet::source(text)
                    .path(name)
                    .line_start(line)
                    .fold(false)
                    .annotation(
                        kind.span(start..end)
                            .label((!message.is_empty()).then_some(message)),
                    ),
            );
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(visible(help).into_owned()));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
        // Lines are already cut to an excerpt (`Source::excerpt`).
        .term_width(usize::MAX / 2);
        let mut out = renderer.render(&[group]);
        let mut at = out.find('\n').unwrap_or(out.len());
        for (shown, real) in columns {
            if let Some(i) = out[at..].find(&shown).map(|i| at + i) {
                out.replace_range(i..i + shown.len(), &real);
                at = i + real.len();
            }
        }
        out.push('\n');
        out
    }

    /// One JSON object for editors.
    pub fn to_json(&self, sources: &Sources) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            severity: Severity,
            code: Code,
            message: &'a str,
            file: Option<String>,
            line: Option<usize>,
            column: Option<usize>,
            end_line: Option<usize>,
            end_column: Option<usize>,
            label: Option<&'a str>,
            help: Option<&'a str>,
            related: Vec<JsonRelated<'a>>,
        }
        #[derive(Serialize)]
        struct JsonRelated<'a> {
            file: String,
            line: usize,
            column: usize,
            message: &'a str,
        }
        let pos = |span: Span| {
            let s = sources.get(span.file);
            let (l, c) = s.line_col(span.start);
            let (el, ec) = s.line_col(span.end);
            (s.name.clone(), l, c, el, ec)
        };
        let p = self.primary.as_ref().map(|l| pos(l.span));
        let json = Json {
            severity: self.severity,
            code: self.code,
            message: &self.message,
            file: p.as_ref().map(|p| p.0.clone()),
            line: p.as_ref().map(|p| p.1),
            column: p.as_ref().map(|p| p.2),
            end_line: p.as_ref().map(|p| p.3),
            end_column: p.as_ref().map(|p| p.4),
            label: self.primary.as_ref().map(|l| l.message.as_str()),
            help: self.help.as_deref(),
            related: self
                .related
                .iter()
                .map(|l| {
                    let (file, line, column, _, _) = pos(l.span);
                    JsonRelated {
                        file,
                        line,
                        column,
                        message: &l.message,
                    }
                })
                .collect(),
        };
        json_string(&json)
    }
}

/// How many carets underline a span starting at `line`:`col`, with `right`
/// characters shown after its start: to the span's end, or to the end of
/// what is shown of the line.
fn caret_width(
    source: &crate::story::source::Source,
    span: Span,
    line: usize,
    col: usize,
    right: usize,
) -> usize {
    let (end_line, end_col) = source.line_col(span.end);
    let width = if end_line == line {
        end_col.saturating_sub(col).min(right)
    } else {
        right
    };
    width.max(1)
}

/// The byte offset of the character `n` of `text` (its length past the end).
fn char_offset(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

pub(crate) fn json_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Picks the candidate nearest to `name`, if it is near enough to suggest:
/// at most a third of the name's length in edits (and at least one).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut budget = SUGGEST_BUDGET;
    suggest_within(name, candidates, &mut budget)
}

/// The work `suggest` may do for one name, in edit-distance cells (the
/// product of two names' lengths): a few milliseconds.
pub(crate) const SUGGEST_BUDGET: usize = 4_000_000;

/// `suggest`, spending at most `budget` edit-distance cells (each comparison
/// costs the product of the two lengths, and one more to look at a
/// candidate): a compile shares one budget between all its unknown names,
/// so that a hostile story of thousands of long names and as many unknown
/// references still reports in bounded time. When the budget runs out,
/// the best candidate so far (or none) is the answer.
///
/// Names longer than any valid id (200 characters) get no suggestion.
pub(crate) fn suggest_within<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    budget: &mut usize,
) -> Option<&'a str> {
    const LONGEST: usize = 200;
    let length = name.chars().count();
    if length > LONGEST {
        return None;
    }
    let limit = (length / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        if c == name {
            continue;
        }
        let other = c.chars().count();
        // The distance is at least the difference in length: only compute
        // it when it can be within the limit, and while work is left.
        let cost = (length + 1) * (other + 1);
        let mut distance = if other > LONGEST
            || length.abs_diff(other) > limit
            || cost > *budget
            || bag_distance(name, c) > limit
        {
            usize::MAX
        } else {
            *budget -= cost;
            strsim::damerau_levenshtein(name, c)
        };
        // One name extending the other (`tombola` for `tombola_stall`) is a
        // likely slip too.
        if distance > limit && c.len() >= 3 && (name.starts_with(c) || c.starts_with(name)) {
            distance = limit;
        }
        if distance <= limit && best.is_none_or(|(b, _)| distance < b) {
            best = Some((distance, c));
        }
    }
    best.map(|(_, c)| c)
}

/// A lower bound of the edit distance, in linear time: how many characters
/// one name has that the other lacks (the larger of the two counts).
/// Names that are not ASCII get 0, the bound that excludes nothing.
fn bag_distance(a: &str, b: &str) -> usize {
    if !a.is_ascii() || !b.is_ascii() {
        return 0;
    }
    let mut counts = [0i32; 128];
    for x in a.bytes() {
        counts[usize::from(x)] += 1;
    }
    for x in b.bytes() {
        counts[usize::from(x)] -= 1;
    }
    let (more, fewer) = counts.iter().fold((0, 0), |(p, n), &c| {
        (p + c.max(0).unsigned_abs(), n + c.min(0).unsigned_abs())
    });
    more.max(fewer) as usize
}

/// Renders a list of diagnostics and a summary line.
pub fn render_all(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render(sources, color));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    if errors + warnings > 0 {
        let _ = writeln!(
            out,
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
    out
}

/// `text` with every control character but tabs and newlines replaced by a visible
/// symbol of one column (`␛` for escape, `␀` for NUL, `�` for the C1
/// controls), so that text from a story or a save can be printed without
/// the terminal acting on it.
///
/// This is the one function through which the program prints what came
/// from a file: a story (diagnostics, and the prompt's output, through
/// `visible_but_styles`), a save, a plan or the profile (the saves tables,
/// the continue question, load notes, plan failures, replay transcripts).
/// `visible_cut` is the same for a name that goes into a padded column.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let shown = |c: char| match c {
        '\t' | '\n' => c,
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        c if c.is_control() => '\u{fffd}',
        c => c,
    };
    if text
        .chars()
        .any(|c| !matches!(c, '\t' | '\n') && c.is_control())
    {
        std::borrow::Cow::Owned(text.chars().map(shown).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The most characters of a name from a file shown in a padded column:
/// past it the name is cut with `…` (a width over 65,535 would panic the
/// formatter, and no terminal is that wide).
pub const MAX_CELL: usize = 100;

/// `visible`, cut to at most `max` characters, the last of them `…` when
/// cut: a name from a file (a save's scene or story) in a table's column.
pub fn visible_cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let shown = visible(text);
    match shown.char_indices().nth(max) {
        None => shown,
        Some(_) => {
            let mut cut: String = shown.chars().take(max.saturating_sub(1)).collect();
            cut.push('…');
            std::borrow::Cow::Owned(cut)
        }
    }
}

/// `visible` for the prompt's output, which the session styles itself:
/// its SGR sequences (`ESC [` digits and `;` `m`: colour, bold, italics)
/// pass, and every other control character is made visible. A story cannot
/// hold an escape (E038), so this is the last gate, not the first: a
/// screen clear, a window title, a clipboard write or a hyperlink never
/// reaches the terminal whatever the text holds.
pub fn visible_but_styles(text: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| matches!(c, '\t' | '\n') || !c.is_control();
    if text.chars().all(|c| plain(c) || c == '\u{1b}') && sgr_only(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| !plain(c)) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let sgr = sgr_len(tail);
        if sgr > 0 {
            out.push_str(&tail[..sgr]);
            rest = &tail[sgr..];
        } else {
            let c = tail.chars().next().unwrap_or(' ');
            out.push_str(&visible(&tail[..c.len_utf8()]));
            rest = &tail[c.len_utf8()..];
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Whether every escape in `text` starts an SGR sequence.
fn sgr_only(text: &str) -> bool {
    text.match_indices('\u{1b}')
        .all(|(i, _)| sgr_len(&text[i..]) > 0)
}

/// The length of the SGR sequence `text` starts with (0 for none).
fn sgr_len(text: &str) -> usize {
    let Some(params) = text.strip_prefix("\u{1b}[") else {
        return 0;
    };
    let digits = params
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    if digits <= 32 && params.as_bytes().get(digits) == Some(&b'm') {
        2 + digits + 1
    } else {
        0
    }
}
