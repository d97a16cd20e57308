//! How the game's text looks: colour or none, the width lines wrap at,
//! `*emphasis*`, and the plain mode for screen readers. Pure text in, text
//! out: the terminal is measured by its driver (`repl`), which sets `width`
//! just before each line of input is handled, so what is printed wraps at
//! the width the terminal has when it is printed.

use anstyle::Style;
use textwrap::{Options, WordSplitter};

/// Presentation settings.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    pub color: bool,
    /// Columns to wrap at.
    pub width: usize,
    /// For screen readers (`--plain`, and automatic under `TERM=dumb`): no
    /// colour, no box drawing or decorative symbols, no inline hints, the
    /// status line as a sentence, and every choice on its own line as a
    /// sentence with its key. Lines still wrap between words, so that a
    /// screen reader reading the terminal row by row never meets half a
    /// word.
    pub plain: bool,
}

impl Default for Look {
    fn default() -> Self {
        // The width the prompt uses on an 80-column terminal.
        Look {
            color: false,
            width: width_for(80),
            plain: false,
        }
    }
}

/// The narrowest the game wraps at: on a terminal narrower than this the
/// terminal folds the lines further, rather than every word being broken.
pub const MIN_COLUMNS: usize = 20;
/// The widest: prose is hard to read in longer lines.
pub const MAX_COLUMNS: usize = 88;

/// The width to wrap at on a terminal of `columns` columns.
pub fn width_for(columns: usize) -> usize {
    columns.clamp(MIN_COLUMNS, MAX_COLUMNS) - 2
}

impl Look {
    /// Whether styles are drawn: colour is on and the output is not plain.
    pub fn colored(&self) -> bool {
        self.color && !self.plain
    }

    /// `text` in `style`, or as it is without colour.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.colored() {
            format!("{}{}{}", style.render(), text, style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// Wraps `text` at the width, the first line after `first`, the others
    /// after `rest`. Words are not split at hyphens (`PROC-7734-NULL` stays
    /// whole unless it is wider than the line).
    pub fn wrap(&self, text: &str, first: &str, rest: &str) -> String {
        textwrap::fill(text, self.options(first, rest))
    }

    /// Every line of `text` that is wider than the width, wrapped, its
    /// continuation indented like its start (past a `12. ` list number).
    /// Lines that fit are left exactly as they are.
    pub fn fit(&self, text: &str) -> String {
        let width = self.width.max(1);
        if text
            .split('\n')
            .all(|l| textwrap::core::display_width(l) <= width)
        {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len() + text.len() / 16);
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if textwrap::core::display_width(line) <= width {
                out.push_str(line);
                continue;
            }
            let indent = " ".repeat(hanging_indent(line));
            out.push_str(&textwrap::fill(line, self.options("", &indent)));
        }
        out
    }

    /// `*emphasis*` in prose: italic where colour is on, the asterisks
    /// dropped otherwise. `**`, a lone `*` and an unclosed one are left as
    /// they are. In text that is italic already (`within_italic`), emphasis
    /// is upright, as in print.
    pub fn emphasis(&self, text: &str, within_italic: bool) -> String {
        let spans = emphasis_spans(text);
        if spans.is_empty() {
            return text.to_string();
        }
        let (on, off) = match (self.colored(), within_italic) {
            (false, _) => ("", ""),
            (true, false) => ("\x1b[3m", "\x1b[23m"),
            (true, true) => ("\x1b[23m", "\x1b[3m"),
        };
        let mut out = String::with_capacity(text.len() + spans.len() * 10);
        let mut at = 0;
        for (open, close) in spans {
            out.push_str(&text[at..open]);
            out.push_str(on);
            out.push_str(&text[open + 1..close]);
            out.push_str(off);
            at = close + 1;
        }
        out.push_str(&text[at..]);
        out
    }

    fn options<'a>(&self, first: &'a str, rest: &'a str) -> Options<'a> {
        Options::new(self.width.max(1))
            .initial_indent(first)
            .subsequent_indent(rest)
            .word_splitter(WordSplitter::NoHyphenation)
    }
}

/// How far a wrapped line's continuation is indented: its leading spaces,
/// and past a list number (`  12. `) when it has one.
fn hanging_indent(line: &str) -> usize {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[spaces..];
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let indent = if digits > 0 && rest[digits..].starts_with(". ") {
        spaces + digits + 2
    } else {
        spaces
    };
    // A continuation that leaves no room for text is no help.
    indent.min(12)
}

/// The byte positions of each `*` pair that marks emphasis: an opening `*`
/// not after a letter, digit or `*` and before a character that is not a
/// space or `*`, and the first `*` after it, which must close: after a
/// character that is not a space and not before a letter, digit or `*`.
fn emphasis_spans(text: &str) -> Vec<(usize, usize)> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '*');
    let before = |at: usize| text[..at].chars().next_back();
    let after = |at: usize| text[at + 1..].chars().next();
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(found) = text[i..].find('*') {
        let open = i + found;
        i = open + 1;
        let opens =
            !word(before(open)) && after(open).is_some_and(|c| !c.is_whitespace() && c != '*');
        if !opens {
            continue;
        }
        let Some(len) = text[open + 1..].find('*') else {
            break;
        };
        let close = open + 1 + len;
        let closes = before(close).is_some_and(|c| !c.is_whitespace()) && !word(after(close));
        if closes {
            spans.push((open, close));
            i = close + 1;
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(color: bool) -> Look {
        Look {
            color,
            width: 20,
            plain: false,
        }
    }

    #[test]
    fn emphasis_marks_pairs_and_leaves_the_rest() {
        let plain = look(false);
        let cases = [
            ("a *word* here", "a word here"),
            ("*Captain's log,* you think", "Captain's log, you think"),
            ("(*aside*).", "(aside)."),
            ("*a* *b*", "a b"),
            ("**bold** stays", "**bold** stays"),
            ("5 * 3 * 2", "5 * 3 * 2"),
            ("a*b*c", "a*b*c"),
            ("*unclosed", "*unclosed"),
            ("*", "*"),
            ("***", "***"),
            ("*no *", "*no *"),
            ("*é*", "é"),
            ("“*Why*?”", "“Why?”"),
            ("é*x*", "é*x*"),
        ];
        for (text, want) in cases {
            assert_eq!(plain.emphasis(text, false), want, "{text:?}");
        }
        assert_eq!(
            look(true).emphasis("a *word* here", false),
            "a \x1b[3mword\x1b[23m here"
        );
        assert_eq!(
            look(true).emphasis("*x*", true),
            "\x1b[23mx\x1b[3m",
            "upright inside italic"
        );
    }

    #[test]
    fn wrapping_keeps_hyphenated_words_whole() {
        let l = look(false);
        let text = "far out at PROC-7734-NULL there";
        let wrapped = l.wrap(text, "", "");
        assert!(
            wrapped.lines().any(|line| line == "PROC-7734-NULL there"),
            "{wrapped}"
        );
        // Wider than the line, a word is broken: nothing is lost.
        let long = "x".repeat(45);
        assert!(l.wrap(&long, "", "").lines().all(|s| s.len() <= 20));
    }

    #[test]
    fn fit_wraps_only_long_lines_with_their_indent() {
        let l = look(false);
        let text = "short\n  12. a line that is long enough to wrap twice over\nok";
        let fitted = l.fit(text);
        let lines: Vec<&str> = fitted.lines().collect();
        assert_eq!(lines[0], "short");
        assert!(lines[1].starts_with("  12. a line"), "{fitted}");
        assert!(lines[2].starts_with("      "), "{fitted}");
        assert_eq!(*lines.last().unwrap(), "ok");
        assert!(lines.iter().all(|s| s.len() <= 20), "{fitted}");
    }
}
