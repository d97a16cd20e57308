//! Source files of a story and positions in them.
//!
//! `ron` only gives positions for syntax errors, so semantic diagnostics find
//! their place by searching the source text (`Source::find_field`).

use std::path::Path;

/// Index of a file in `Sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone)]
pub struct Source {
    /// The path as shown in diagnostics (relative to the story directory's parent).
    pub name: String,
    pub text: String,
    /// Built the first time a line or column is asked for (a diagnostic):
    /// a story that loads clean never pays for it.
    index: std::sync::OnceLock<LineIndex>,
}

/// Where lines start, and where to start counting characters.
#[derive(Debug, Clone)]
struct LineIndex {
    line_starts: Vec<usize>,
    /// For every `CHECKPOINT` bytes: a char boundary at or before it and the
    /// number of characters before that boundary, so that a column costs at
    /// most `CHECKPOINT` bytes of counting even on a line of megabytes.
    checkpoints: Vec<(usize, usize)>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let mut checkpoints = Vec::with_capacity(text.len() / CHECKPOINT + 1);
        let (mut at, mut chars) = (0, 0);
        for i in 0..=text.len() / CHECKPOINT {
            let next = floor_char(text, i * CHECKPOINT);
            chars += text[at..next].chars().count();
            at = next;
            checkpoints.push((at, chars));
        }
        LineIndex {
            line_starts,
            checkpoints,
        }
    }
}

const CHECKPOINT: usize = 4096;

/// Source lines longer than this many bytes are shown as an excerpt around
/// the place a diagnostic points at: at most `SHOWN_BEFORE` characters
/// before it and `SHOWN_AFTER` from it.
pub(crate) const LONG_LINE: usize = 240;
pub(crate) const SHOWN_BEFORE: usize = 60;
pub(crate) const SHOWN_AFTER: usize = 100;

/// One escape (`\"`, `\n`, `\u{e9}`…) in a string literal: the bytes it
/// stands for in the value, and the bytes it takes in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Escape {
    pub value: (usize, usize),
    pub raw: (usize, usize),
}

#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<Source>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
            index: std::sync::OnceLock::new(),
        }
    }

    fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// The number of characters before a byte offset (a char boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let (at, chars) = self.index().checkpoints[offset / CHECKPOINT];
        chars + self.text[at..offset].chars().count()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char(&self.text, offset.min(self.text.len()));
        let line = match self.index().line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.index().line_starts[line];
        let col = self.chars_before(offset) - self.chars_before(start) + 1;
        (line + 1, col)
    }

    /// What a diagnostic shows of the line holding `offset`: the line (tabs
    /// as spaces), or on a very long line an excerpt around `offset` with
    /// `…` where it was cut; and the 1-based column of `offset` in it, and
    /// the number of characters shown after it.
    pub fn excerpt(&self, offset: usize) -> (String, usize, usize) {
        let offset = floor_char(&self.text, offset.min(self.text.len()));
        let (line, col) = self.line_col(offset);
        let start = self.index().line_starts[line - 1];
        let end = self
            .index()
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e.saturating_sub(1))
            .max(start);
        let before = &self.text[start..offset];
        let after = self.text[offset..end].trim_end_matches('\r');
        if end - start <= LONG_LINE {
            let right = after.chars().count();
            return (format!("{before}{after}").replace('\t', " "), col, right);
        }
        let mut shown = String::new();
        let mut column = col;
        if col - 1 > SHOWN_BEFORE {
            let cut = before
                .char_indices()
                .rev()
                .nth(SHOWN_BEFORE - 1)
                .map_or(0, |(i, _)| i);
            shown.push('…');
            shown.push_str(&before[cut..]);
            column = SHOWN_BEFORE + 2;
        } else {
            shown.push_str(before);
        }
        let mut rest = after.chars();
        shown.extend(rest.by_ref().take(SHOWN_AFTER));
        let mut right = after.chars().take(SHOWN_AFTER).count();
        if rest.next().is_some() {
            shown.push('…');
            right += 1;
        }
        (shown.replace('\t', " "), column, right)
    }

    /// The byte offset of a 1-based line and column (in characters).
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.index().line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let line_text = rest.split('\n').next().unwrap_or("");
        let skip: usize = line_text
            .chars()
            .take(col.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        start + skip
    }

    /// The text of a 1-based line, without its newline.
    pub fn line(&self, line: usize) -> &str {
        let Some(&start) = self.index().line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .index()
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e.saturating_sub(1));
        self.text[start..end.max(start)].trim_end_matches('\r')
    }

    /// Finds `field: "value"` (or a raw string) at or after `from` and before
    /// `to`, where the string's content starts with `value`, and returns the
    /// span of `value` in it.
    pub(crate) fn find_field(
        &self,
        from: usize,
        to: usize,
        field: &str,
        value: &str,
    ) -> Option<(usize, usize)> {
        self.field_with(from, to, field, value, false)
    }

    /// `find_field` for a string that is exactly `value` (a name: `hall`
    /// does not match `hallway`), and the span of its content.
    pub(crate) fn find_field_exact(
        &self,
        from: usize,
        to: usize,
        field: &str,
        value: &str,
    ) -> Option<(usize, usize)> {
        self.field_with(from, to, field, value, true)
    }

    fn field_with(
        &self,
        from: usize,
        to: usize,
        field: &str,
        value: &str,
        exact: bool,
    ) -> Option<(usize, usize)> {
        let to = to.min(self.text.len());
        let mut at = from;
        while let Some((_, value_start)) = self.find_key(at, to, field) {
            at = value_start;
            let value_region = &self.text[value_start..to];
            if let Some(content) = string_content_start(value_region)
                && value_region[content..].starts_with(value)
            {
                let s = value_start + content;
                let closed = || {
                    let after = &value_region[content + value.len()..];
                    let hashes = content.saturating_sub(2);
                    after.starts_with('"')
                        && after[1..]
                            .bytes()
                            .take(hashes)
                            .filter(|&b| b == b'#')
                            .count()
                            == hashes
                };
                if !exact || closed() {
                    return Some((s, s + value.len()));
                }
            }
        }
        None
    }

    /// Finds the key `field` of a struct (`field` as a whole word, then `:`)
    /// at or after `from` and before `to`: the key's span and where its
    /// value starts (after the colon and any spaces).
    pub(crate) fn find_key(&self, from: usize, to: usize, field: &str) -> Option<(usize, usize)> {
        let to = to.min(self.text.len());
        let hay = self.text.get(from..to)?;
        let bytes = self.text.as_bytes();
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut at = 0;
        while let Some(i) = memchr::memmem::find(&hay.as_bytes()[at..], field.as_bytes()) {
            let key_start = from + at + i;
            let key_end = key_start + field.len();
            at += i + field.len();
            if key_start > 0 && word(bytes[key_start - 1]) {
                continue;
            }
            if bytes.get(key_end).is_some_and(|&b| word(b)) {
                continue;
            }
            // A key opens a struct or follows a comma (or starts a line, or
            // follows a comment): `the chance: 150` in prose is no key.
            let before = self.text[..key_start].trim_end_matches([' ', '\t', '\r']);
            let opens = before.is_empty()
                || before.ends_with(['(', ',', '{', '\n'])
                || before.ends_with("*/");
            if !opens {
                continue;
            }
            let rest = &self.text[key_end..to];
            let trimmed = rest.trim_start();
            let Some(after_colon) = trimmed.strip_prefix(':') else {
                continue;
            };
            let value = after_colon.trim_start();
            return Some((key_start, to - value.len()));
        }
        None
    }

    /// Finds the string argument `name` of a call `Variant("name"...)` (an
    /// effect) at or after `from` and before `to`: the span of its content.
    pub(crate) fn find_call(
        &self,
        from: usize,
        to: usize,
        variant: &str,
        name: &str,
    ) -> Option<(usize, usize)> {
        let mut at = from;
        while let Some((call, content)) = self.find_call_string(at, to, variant) {
            at = call + variant.len();
            let value = &self.text[content..to.min(self.text.len())];
            // The hashes of a raw string's opening, which its close repeats.
            let hashes = self.text[call..content]
                .rsplit('(')
                .next()
                .map_or(0, |open| open.bytes().filter(|&b| b == b'#').count());
            if value.starts_with(name)
                && value[name.len()..].starts_with('"')
                && value[name.len() + 1..]
                    .bytes()
                    .take(hashes)
                    .filter(|&b| b == b'#')
                    .count()
                    == hashes
            {
                return Some((content, content + name.len()));
            }
        }
        None
    }

    /// Finds a call `Variant(` whose first argument is a string, at or after
    /// `from` and before `to`: where the variant's name starts, and where the
    /// string's content does (after `"` or `r#"`).
    pub(crate) fn find_call_string(
        &self,
        from: usize,
        to: usize,
        variant: &str,
    ) -> Option<(usize, usize)> {
        let to = to.min(self.text.len());
        let hay = self.text.get(from..to)?;
        let bytes = self.text.as_bytes();
        let mut at = 0;
        while let Some(i) = memchr::memmem::find(&hay.as_bytes()[at..], variant.as_bytes()) {
            let start = from + at + i;
            at += i + variant.len();
            if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
                continue;
            }
            let rest = self.text[start + variant.len()..to].trim_start();
            let Some(args) = rest.strip_prefix('(') else {
                continue;
            };
            let arg = args.trim_start();
            if let Some(content) = string_content_start(arg) {
                return Some((start, to - arg.len() + content));
            }
        }
        None
    }

    /// The escapes of the string literal whose content starts at `start`
    /// (just after its opening quote), in order: a raw string has none.
    /// With them, `value_offset` maps an offset in the string's value to
    /// the source, so that a name inside a string written with `\"` or
    /// `\u{..}` before it is shown at its real column.
    pub(crate) fn escapes(&self, start: usize) -> Vec<Escape> {
        let mut out = Vec::new();
        let Some(before) = self.text.get(..start) else {
            return out;
        };
        let Some(quote) = before.strip_suffix('"') else {
            return out;
        };
        if quote.trim_end_matches('#').ends_with('r') {
            return out;
        }
        let bytes = self.text.as_bytes();
        let (mut i, mut value) = (start, 0);
        while i < bytes.len() {
            match bytes[i] {
                b'"' => break,
                b'\\' => {
                    let (raw, decoded) = match bytes.get(i + 1) {
                        Some(b'u') => {
                            let window =
                                &bytes[(i + 2).min(bytes.len())..(i + 12).min(bytes.len())];
                            match window.iter().position(|&b| b == b'}') {
                                Some(close) => {
                                    let c = std::str::from_utf8(&window[..close])
                                        .ok()
                                        .map(|d| d.trim_start_matches('{').replace('_', ""))
                                        .and_then(|hex| u32::from_str_radix(&hex, 16).ok())
                                        .and_then(char::from_u32);
                                    (close + 3, c.map_or(1, char::len_utf8))
                                }
                                None => (2, 1),
                            }
                        }
                        Some(b'x') => (4, 1),
                        Some(_) => (2, 1),
                        None => break,
                    };
                    let raw = raw.min(bytes.len() - i);
                    out.push(Escape {
                        value: (value, value + decoded),
                        raw: (i, i + raw),
                    });
                    i += raw;
                    value += decoded;
                }
                b => {
                    let len = match b {
                        0x00..=0x7f => 1,
                        0xc0..=0xdf => 2,
                        0xe0..=0xef => 3,
                        _ => 4,
                    };
                    i += len;
                    value += len;
                }
            }
        }
        out
    }

    /// The source offset of byte `offset` of the value of the string
    /// literal whose content starts at `start`, given its `escapes`.
    pub(crate) fn value_offset(start: usize, escapes: &[Escape], offset: usize) -> usize {
        let k = escapes.partition_point(|e| e.value.0 <= offset);
        match k.checked_sub(1).map(|k| escapes[k]) {
            None => start + offset,
            Some(e) if offset < e.value.1 => e.raw.0,
            Some(e) => e.raw.1 + (offset - e.value.1),
        }
    }

    /// Finds `"name"` (with its quotes) at or after `from` and before `to`:
    /// `find` of the quoted name, without building it.
    pub(crate) fn find_quoted(&self, from: usize, to: usize, name: &str) -> Option<(usize, usize)> {
        let to = to.min(self.text.len());
        let hay = self.text.get(from..to)?;
        let (h, n) = (hay.as_bytes(), name.as_bytes());
        let mut at = 0;
        while let Some(i) = memchr::memchr(b'"', &h[at..]).map(|i| at + i) {
            let rest = &h[i + 1..];
            if rest.len() > n.len() && rest[n.len()] == b'"' && rest[..n.len()] == *n {
                return Some((from + i, from + i + n.len() + 2));
            }
            at = i + 1;
        }
        None
    }

    /// Control characters this file would put on a player's terminal, where
    /// they could recolour the screen, retitle the window or write to the
    /// clipboard: written as they are, or as an escape in a string (`\u{1b}`,
    /// `\x07`, `\0`). Newlines, carriage returns and tabs are text;
    /// comments are skipped. The first `keep`, each with its byte range in
    /// the file, and how many there are in all.
    pub fn control_characters(&self, keep: usize) -> (Vec<(usize, usize, char)>, usize) {
        let hostile = is_terminal_control;
        let text = &self.text;
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut total = 0;
        let mut found = |start: usize, end: usize, c: char| {
            total += 1;
            if out.len() < keep {
                out.push((start, end, c));
            }
        };
        let mut i = 0;
        let mut in_string = false;
        while i < bytes.len() {
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            let next = bytes.get(i + 1).copied();
            if !in_string && c == '/' && next == Some(b'/') {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            if !in_string && c == '/' && next == Some(b'*') {
                i = block_comment_end(bytes, i);
                continue;
            }
            if !in_string && c == 'r' && matches!(next, Some(b'"' | b'#')) {
                // A raw string: no escapes, up to its closing quote and hashes.
                let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                if bytes.get(i + 1 + hashes) == Some(&b'"') {
                    let close = format!("\"{}", "#".repeat(hashes));
                    let body = i + 2 + hashes;
                    let end = text[body..].find(&close).map_or(bytes.len(), |n| body + n);
                    for (j, c) in text[body..end].char_indices() {
                        if hostile(c) {
                            found(body + j, body + j + c.len_utf8(), c);
                        }
                    }
                    i = (end + close.len()).min(bytes.len());
                    continue;
                }
            }
            if c == '"' {
                in_string = !in_string;
            } else if in_string && c == '\\' {
                let (len, decoded) = match next {
                    Some(b'x') => {
                        let d = text
                            .get(i + 2..i + 4)
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                            .map(char::from);
                        (if d.is_some() { 4 } else { 2 }, d)
                    }
                    Some(b'u') => {
                        let close = text[i..].find('}').filter(|&n| n <= 12);
                        let c = close.and_then(|n| {
                            let hex = text[i + 2..i + n].trim_start_matches('{').replace('_', "");
                            u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        });
                        (close.map_or(2, |n| n + 1), c)
                    }
                    Some(b'0') => (2, Some('\0')),
                    // Any other escape: the backslash and the character.
                    _ => (
                        1 + text[i + 1..].chars().next().map_or(0, char::len_utf8),
                        None,
                    ),
                };
                let len = len.min(bytes.len() - i);
                if let Some(d) = decoded.filter(|&d| hostile(d)) {
                    found(i, i + len, d);
                }
                i += len;
                continue;
            } else if hostile(c) {
                found(i, i + c.len_utf8(), c);
            }
            i += c.len_utf8();
        }
        (out, total)
    }
}

/// Whether a character of a story's string would act on a terminal: every
/// control character but newlines, carriage returns and tabs (E038).
pub fn is_terminal_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// Where the block comment opening at `start` (`/*`) ends: after its
/// closing `*/`, counting the comments nested in it as RON does, or at the
/// end of the text when it is not closed.
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    block_comment(bytes, start).unwrap_or(bytes.len())
}

/// Where the block comment opening at `start` ends, as `block_comment_end`
/// says, or `None` when it is never closed.
pub(crate) fn block_comment(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while let Some(at) = memchr::memchr2(b'/', b'*', &bytes[i..]).map(|n| i + n) {
        if bytes[at..].starts_with(b"/*") {
            depth += 1;
            i = at + 2;
        } else if bytes[at..].starts_with(b"*/") {
            depth -= 1;
            i = at + 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i = at + 1;
        }
    }
    None
}

/// The first position of byte `a` or byte `b` in `h`.
pub(crate) fn position_of_either(h: &[u8], a: u8, b: u8) -> Option<usize> {
    memchr::memchr2(a, b, h)
}

/// Where the content of a string literal begins: after `"` or `r#"`.
fn string_content_start(s: &str) -> Option<usize> {
    if s.starts_with('"') {
        return Some(1);
    }
    let rest = s.strip_prefix('r')?;
    let hashes = rest.bytes().take_while(|&b| b == b'#').count();
    if rest[hashes..].starts_with('"') {
        Some(1 + hashes + 1)
    } else {
        None
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Sources {
    pub fn add(&mut self, source: Source) -> FileId {
        self.files.push(source);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &Source {
        &self.files[id.0 as usize]
    }
}

/// The name shown for a file: the path as the user's story directory
/// argument reaches it (`scenes/act1.ron`, `examples/lighthouse/story.ron`).
pub(crate) fn display_name(dir: &Path, file: &Path) -> String {
    let shown = if dir == Path::new(".") {
        file.strip_prefix(dir).unwrap_or(file)
    } else {
        file
    };
    shown.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The searches give what `str::find` gives, on text full of
    /// near-misses and multi-byte characters.
    #[test]
    fn searches_agree_with_find() {
        let alphabet = [
            "i", "d", "id", "\"", "é", "\\", " ", "{", "}", "te", "x", "t", "ü€",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..3000 {
            let hay: String = (0..next(40))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let needle: String = (0..next(4))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let source = Source::new("t", hay.clone());
            let quoted = format!("\"{needle}\"");
            assert_eq!(
                source.find_quoted(0, usize::MAX, &needle),
                hay.find(&quoted).map(|i| (i, i + quoted.len())),
                "{hay:?} {needle:?}"
            );
            assert_eq!(
                position_of_either(hay.as_bytes(), b'{', b'}'),
                hay.find(['{', '}']),
                "{hay:?}"
            );
        }
    }
}
