//! RON read as tokens, for what the parser does not say: where a syntax
//! error sits among the brackets and fields around it, where the scenes of
//! a chapter that does not parse begin (so that each can be read on its
//! own), and which names such a chapter would declare.
//!
//! `ron` stays the parser (see ARCHITECTURE.md, "Spans"); this reads the
//! same text only to explain its errors and for the checks that need
//! tokens (`Some(..)`, a string that swallowed the file). The reading never
//! fails: an unclosed string or comment runs to the end of the file, a
//! stray bracket is skipped.

use crate::story::source::block_comment;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A name: a field, a variant, a struct's name, `true`.
    Ident,
    /// A number as written; `float` when it has a decimal point or an
    /// exponent.
    Number {
        float: bool,
    },
    /// A string; `raw` for `r"…"` and `r#"…"#`, `closed` unless it runs to
    /// the end of the file.
    Str {
        raw: bool,
        closed: bool,
    },
    /// A character literal `'a'`.
    Char,
    /// `(`, `[` or `{`.
    Open(u8),
    /// `)`, `]` or `}`.
    Close(u8),
    Comma,
    Colon,
    /// Any other character: `;`, `=`, `#`, `+`…
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

/// A file's tokens, comments left out.
pub(crate) struct Tokens<'a> {
    pub text: &'a str,
    pub list: Vec<Token>,
    /// Where a block comment that is never closed begins.
    pub unclosed_comment: Option<usize>,
}

impl<'a> Tokens<'a> {
    /// Reads `text` into tokens, in linear time.
    pub(crate) fn new(text: &'a str) -> Tokens<'a> {
        let bytes = text.as_bytes();
        let mut list = Vec::new();
        let mut unclosed_comment = None;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let start = i;
            let next = bytes.get(i + 1).copied();
            let kind = match b {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'/' if next == Some(b'/') => {
                    i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                    continue;
                }
                b'/' if next == Some(b'*') => {
                    match block_comment(bytes, i) {
                        Some(end) => i = end,
                        None => {
                            unclosed_comment.get_or_insert(start);
                            i = bytes.len();
                        }
                    }
                    continue;
                }
                b'r' if matches!(next, Some(b'"' | b'#'))
                    && raw_string_open(bytes, i).is_some() =>
                {
                    let hashes = raw_string_open(bytes, i).unwrap_or(0);
                    let body = i + 2 + hashes;
                    let mut close = String::from("\"");
                    close.push_str(&"#".repeat(hashes));
                    match memchr::memmem::find(&bytes[body..], close.as_bytes()) {
                        Some(n) => {
                            i = body + n + close.len();
                            Tok::Str {
                                raw: true,
                                closed: true,
                            }
                        }
                        None => {
                            i = bytes.len();
                            Tok::Str {
                                raw: true,
                                closed: false,
                            }
                        }
                    }
                }
                b'"' => {
                    i += 1;
                    let mut closed = false;
                    while let Some(n) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                        i += n;
                        if bytes[i] == b'\\' {
                            // The backslash and the character it escapes.
                            i += 1 + text[i + 1..].chars().next().map_or(0, char::len_utf8);
                            continue;
                        }
                        i += 1;
                        closed = true;
                        break;
                    }
                    if !closed {
                        i = bytes.len();
                    }
                    i = i.min(bytes.len());
                    Tok::Str { raw: false, closed }
                }
                b'\'' => {
                    // `'a'` or `'\n'`; a lone quote is a character of its own.
                    let rest = &text[i + 1..];
                    let mut chars = rest.char_indices();
                    let len = match chars.next() {
                        Some((_, '\\')) => rest[1..].find('\'').filter(|&n| n < 12).map(|n| n + 1),
                        Some((_, c)) => rest[c.len_utf8()..]
                            .starts_with('\'')
                            .then_some(c.len_utf8()),
                        None => None,
                    };
                    match len {
                        Some(len) => {
                            i += len + 2;
                            Tok::Char
                        }
                        None => {
                            i += 1;
                            Tok::Other
                        }
                    }
                }
                b'0'..=b'9' => {
                    let (end, float) = number_end(bytes, i);
                    i = end;
                    Tok::Number { float }
                }
                b'+' | b'-' | b'.' if next.is_some_and(|n| n.is_ascii_digit()) => {
                    let (end, float) = number_end(bytes, i + 1);
                    i = end;
                    Tok::Number {
                        float: float || b == b'.',
                    }
                }
                b'(' | b'[' | b'{' => {
                    i += 1;
                    Tok::Open(b)
                }
                b')' | b']' | b'}' => {
                    i += 1;
                    Tok::Close(b)
                }
                b',' => {
                    i += 1;
                    Tok::Comma
                }
                b':' => {
                    i += 1;
                    Tok::Colon
                }
                _ => {
                    let c = text[i..].chars().next().unwrap_or(' ');
                    if c.is_alphabetic() || c == '_' {
                        // `r#name` is a raw identifier.
                        if text[i..].starts_with("r#") {
                            i += 2;
                        }
                        i += text[i..]
                            .char_indices()
                            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
                            .map_or(text.len() - i, |(n, _)| n);
                        Tok::Ident
                    } else {
                        i += c.len_utf8();
                        if c.is_whitespace() {
                            continue;
                        }
                        Tok::Other
                    }
                }
            };
            list.push(Token {
                kind,
                start,
                end: i,
            });
        }
        Tokens {
            text,
            list,
            unclosed_comment,
        }
    }

    /// The text of token `i`.
    pub(crate) fn text_of(&self, i: usize) -> &'a str {
        let t = self.list[i];
        &self.text[t.start..t.end]
    }

    /// The content of a string token, when it is closed and has no escape
    /// (a name, as ids are written): `None` otherwise.
    pub(crate) fn plain_string(&self, i: usize) -> Option<&'a str> {
        let t = self.list.get(i)?;
        let Tok::Str { raw, closed: true } = t.kind else {
            return None;
        };
        let s = &self.text[t.start..t.end];
        let content = if raw {
            let hashes = s[1..].bytes().take_while(|&b| b == b'#').count();
            &s[2 + hashes..s.len() - 1 - hashes]
        } else {
            let content = &s[1..s.len() - 1];
            if content.contains('\\') {
                return None;
            }
            content
        };
        Some(content)
    }

    /// The index of the first token that ends after `offset`: the token
    /// holding it, or the next one.
    pub(crate) fn index_at(&self, offset: usize) -> usize {
        self.list.partition_point(|t| t.end <= offset)
    }

    /// Whether token `i` is an identifier followed by `:` (a field's key).
    pub(crate) fn is_key(&self, i: usize) -> bool {
        self.list.get(i).is_some_and(|t| t.kind == Tok::Ident)
            && self.list.get(i + 1).is_some_and(|t| t.kind == Tok::Colon)
    }
}

/// An open bracket, with what it belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// The token index of the bracket.
    pub open: usize,
    /// The identifier just before a `(`: a struct's name (`Chapter`) or an
    /// effect's (`Add`).
    pub name: Option<usize>,
    /// The key this bracket is the value of, in the frame around it; for
    /// the elements of a list, the list's key.
    pub key: Option<usize>,
    /// The last key written in this bracket, and whether a `,` came after
    /// its value.
    pub last_key: Option<usize>,
    pub after_comma: bool,
    /// Commas so far: the index of the element or argument being written.
    pub commas: usize,
    /// The string of this struct's `id:` or `key:`, to name it.
    pub label: Option<usize>,
}

/// The brackets open at a place in a file, from the outermost.
#[derive(Debug, Clone, Default)]
pub(crate) struct Walk {
    pub frames: Vec<Frame>,
    /// A closing bracket that closed nothing was seen: the brackets after
    /// it may be counted wrong.
    pub unmatched: bool,
}

impl Walk {
    /// Takes token `i` into account.
    pub(crate) fn step(&mut self, tokens: &Tokens<'_>, i: usize) {
        let t = tokens.list[i];
        match t.kind {
            Tok::Open(b) => {
                let name = (b == b'(' && i > 0 && tokens.list[i - 1].kind == Tok::Ident)
                    .then(|| i - 1)
                    .filter(|&n| !tokens.is_key(n));
                let parent = self.frames.last();
                let in_list = parent.is_some_and(|p| tokens.list[p.open].kind == Tok::Open(b'['));
                let key = parent.and_then(|p| {
                    if in_list {
                        p.key
                    } else {
                        p.last_key.filter(|_| !p.after_comma)
                    }
                });
                self.frames.push(Frame {
                    open: i,
                    name,
                    key,
                    last_key: None,
                    after_comma: false,
                    commas: 0,
                    label: None,
                });
            }
            Tok::Close(b) => {
                let open = match b {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match self
                    .frames
                    .iter()
                    .rposition(|f| tokens.list[f.open].kind == Tok::Open(open))
                {
                    // A `]` with a `(` still open closes both: the `(`
                    // most likely lacks its `)`.
                    Some(at) => self.frames.truncate(at),
                    None => self.unmatched = true,
                }
            }
            Tok::Comma => {
                if let Some(f) = self.frames.last_mut() {
                    f.commas += 1;
                    f.after_comma = true;
                }
            }
            Tok::Ident if tokens.is_key(i) => {
                if let Some(f) = self.frames.last_mut() {
                    f.last_key = Some(i);
                    f.after_comma = false;
                    if matches!(tokens.text_of(i), "id" | "key") && f.label.is_none() {
                        let value = i + 2;
                        if tokens
                            .list
                            .get(value)
                            .is_some_and(|t| matches!(t.kind, Tok::Str { .. }))
                        {
                            f.label = Some(value);
                        }
                    }
                }
            }
            Tok::Ident | Tok::Number { .. } | Tok::Str { .. } | Tok::Char | Tok::Colon => {}
            Tok::Other => {}
        }
    }

    /// The key of the list or struct the innermost bracket is the value
    /// of, at `depth` frames from the outermost.
    pub(crate) fn key_at<'a>(&self, tokens: &Tokens<'a>, depth: usize) -> Option<&'a str> {
        self.frames
            .get(depth)
            .and_then(|f| f.key)
            .map(|k| tokens.text_of(k))
    }
}

/// A walk that goes on from where it was last asked for: the errors of a
/// file come in order, and each is read in its context without walking
/// the file from its start again.
#[derive(Debug, Default)]
pub(crate) struct Walker {
    walk: Walk,
    upto: usize,
}

impl Walker {
    /// The brackets open before the token at `offset`.
    pub(crate) fn to(&mut self, tokens: &Tokens<'_>, offset: usize) -> Walk {
        let at = tokens.index_at(offset);
        if at < self.upto {
            *self = Walker::default();
        }
        for i in self.upto..at {
            self.walk.step(tokens, i);
        }
        self.upto = at;
        self.walk.clone()
    }
}

/// Field names that begin the story's structure, as E007 looks for them
/// in prose.
const STRUCTURE_KEYS: &[&str] = &[
    "id", "title", "text", "key", "goto", "choices", "on_enter", "effects", "when", "ending",
    "check", "chance", "success", "failure", "adjust", "kind", "once", "status",
];

/// Where a text holds the story's own structure: a field's name and `:`,
/// at the start of the text or a line or after `(` or `,`, followed by a
/// string or a bracket (`choices: [`, `id: "cellar"`, `text: r#"`). Prose
/// such as `text: read me` is not structure. The span of the first, as
/// offsets in the text.
pub(crate) fn structure_in(text: &str) -> Option<(usize, usize)> {
    structures(text).next()
}

/// The ids in a text's structure: `id: "cellar"` gives `cellar`, with
/// the span of `id: "cellar"` in the text.
pub(crate) fn ids_in(text: &str) -> Vec<(&str, (usize, usize))> {
    structures(text)
        .filter(|&(s, e)| &text[s..e] == "id:")
        .filter_map(|(s, e)| {
            let rest = &text[e..];
            let value = rest.trim_start().strip_prefix('"')?;
            let open = e + rest.len() - value.len();
            let end = value.find(['"', '\\', '\n'])?;
            (value[end..].starts_with('"') && end > 0).then(|| (&value[..end], (s, open + end + 1)))
        })
        .collect()
}

fn structures(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    memchr::memchr_iter(b':', text.as_bytes()).filter_map(move |colon| {
        let before = &text[..colon];
        let key_start = before
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
            .len();
        let key = &text[key_start..colon];
        if !STRUCTURE_KEYS.contains(&key) {
            return None;
        }
        let lead = text[..key_start].trim_end_matches([' ', '\t']);
        if !(lead.is_empty() || lead.ends_with(['\n', '(', ','])) {
            return None;
        }
        let after = text[colon + 1..].trim_start_matches([' ', '\t']);
        let opens = after.starts_with(['"', '[', '('])
            || after.starts_with("r#")
            || after.starts_with("r\"");
        opens.then_some((key_start, colon + 1))
    })
}

/// A name a chapter that does not parse would declare, of which kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Declared {
    Scene,
    Ending,
    Variable,
    Flag,
    Item,
}

/// The names a chapter's text appears to declare, read off its tokens;
/// `complete` unless the reading met an unclosed string or comment or a
/// bracket out of place, where names may hide.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sketch {
    pub names: Vec<(Declared, String)>,
    pub complete: bool,
}

/// Where a chapter's scenes begin: each scene's `(` (its token index), by
/// the brackets, and after `from` also by layout: a `(` followed by `id:`
/// that begins a line at the column of the scene at `from`, where brackets
/// out of place before it would hide it.
pub(crate) fn scene_starts(tokens: &Tokens<'_>, from: usize) -> Vec<usize> {
    let mut walk = Walk::default();
    let mut starts = Vec::new();
    let mut column: Option<usize> = None;
    let line_start = |at: usize| tokens.text[..at].rfind('\n').map_or(0, |n| n + 1);
    for i in 0..tokens.list.len() {
        let t = tokens.list[i];
        if t.kind == Tok::Open(b'(') {
            let by_brackets = walk.frames.len() == 2
                && walk.key_at(tokens, 1) == Some("scenes")
                && tokens.list[walk.frames[1].open].kind == Tok::Open(b'[');
            let opens_with_id = {
                // `(id:` or `Scene(id:`.
                tokens.is_key(i + 1) && tokens.text_of(i + 1) == "id"
            };
            let after_separator = i > 0
                && matches!(
                    tokens.list[i - 1].kind,
                    Tok::Comma | Tok::Open(b'[') | Tok::Close(_)
                )
                || (i > 1
                    && tokens.list[i - 1].kind == Tok::Ident
                    && tokens.text_of(i - 1) == "Scene");
            let at_line_start = tokens.text[line_start(t.start)..t.start]
                .trim_start()
                .trim_start_matches("Scene")
                .is_empty();
            let by_layout = t.start >= from
                && opens_with_id
                && after_separator
                && at_line_start
                && column.is_some_and(|c| c == t.start - line_start(t.start));
            if by_brackets || by_layout {
                if t.start <= from || column.is_none() {
                    column = Some(t.start - line_start(t.start));
                }
                starts.push(i);
            }
        }
        walk.step(tokens, i);
    }
    starts
}

/// The names a chapter's text appears to declare: its scenes' and
/// endings' ids, and the ids of its variables, items and flags.
pub(crate) fn sketch(tokens: &Tokens<'_>) -> Sketch {
    let mut names = Vec::new();
    let mut walk = Walk::default();
    let starts = scene_starts(tokens, 0);
    for i in 0..tokens.list.len() {
        let t = tokens.list[i];
        if matches!(t.kind, Tok::Str { .. }) && walk.frames.len() >= 2 {
            let depth = walk.frames.len();
            let inner = walk.frames[depth - 1];
            let value_of = |key: &str| {
                i >= 2 && tokens.list[i - 1].kind == Tok::Colon && tokens.text_of(i - 2) == key
            };
            let list_key = inner.key.map(|k| tokens.text_of(k));
            let declared = if depth == 2 && list_key == Some("flags") && !value_of("title") {
                Some(Declared::Flag)
            } else if value_of("id") && depth == 3 {
                match walk.key_at(tokens, 2) {
                    Some("variables") => Some(Declared::Variable),
                    Some("items") => Some(Declared::Item),
                    _ => None,
                }
            } else if value_of("id") && depth == 4 && list_key == Some("ending") {
                Some(Declared::Ending)
            } else {
                None
            };
            if let (Some(kind), Some(name)) = (declared, tokens.plain_string(i)) {
                names.push((kind, name.to_string()));
            }
        }
        walk.step(tokens, i);
    }
    // Scene ids by the scenes' starts, which layout finds where brackets
    // out of place lose them.
    for &s in &starts {
        if tokens.is_key(s + 1)
            && tokens.text_of(s + 1) == "id"
            && let Some(name) = tokens.plain_string(s + 3)
        {
            names.push((Declared::Scene, name.to_string()));
        }
    }
    let complete = tokens.unclosed_comment.is_none()
        && !walk.unmatched
        && walk.frames.is_empty()
        && tokens
            .list
            .iter()
            .all(|t| !matches!(t.kind, Tok::Str { closed: false, .. }));
    Sketch { names, complete }
}

/// The number of `#` of a raw string opening at `i` (`r#"`), if one does.
fn raw_string_open(bytes: &[u8], i: usize) -> Option<usize> {
    let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
    (bytes.get(i + 1 + hashes) == Some(&b'"')).then_some(hashes)
}

/// Where a number starting at `i` ends, and whether it is a float.
fn number_end(bytes: &[u8], mut i: usize) -> (usize, bool) {
    let hex = bytes[i..].starts_with(b"0x")
        || bytes[i..].starts_with(b"0b")
        || bytes[i..].starts_with(b"0o");
    let mut float = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() || b == b'_' {
            if !hex && matches!(b, b'e' | b'E') && matches!(bytes.get(i + 1), Some(b'+' | b'-')) {
                float = true;
                i += 2;
                continue;
            }
            i += 1;
        } else if b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) && !hex {
            float = true;
            i += 1;
        } else if b == b'.' && !hex && !float {
            // `45.` is a float too.
            float = true;
            i += 1;
        } else {
            break;
        }
    }
    (i, float)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Tok, &str)> {
        let t = Tokens::new(text);
        (0..t.list.len())
            .map(|i| (t.list[i].kind, t.text_of(i)))
            .collect()
    }

    #[test]
    fn tokens_of_ron() {
        let k = kinds(
            r##"Chapter( /* a /* nested */ comment */ title: "a \" b", n: -4.5, // x
            r: r#"raw "quoted""#, c: 'x', [1_000, 0x1f],)"##,
        );
        let texts: Vec<&str> = k.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            texts,
            [
                "Chapter",
                "(",
                "title",
                ":",
                "\"a \\\" b\"",
                ",",
                "n",
                ":",
                "-4.5",
                ",",
                "r",
                ":",
                "r#\"raw \"quoted\"\"#",
                ",",
                "c",
                ":",
                "'x'",
                ",",
                "[",
                "1_000",
                ",",
                "0x1f",
                "]",
                ",",
                ")"
            ]
        );
        assert_eq!(k[8].0, Tok::Number { float: true });
        assert_eq!(k[19].0, Tok::Number { float: false });
    }

    /// Tokens cover the text in order, each on character boundaries,
    /// whatever the text: random strings of RON's tricky pieces.
    #[test]
    fn tokens_are_ordered_and_on_boundaries() {
        let pieces = [
            "\"", "\\", "r#\"", "\"#", "'", "'\\n'", "/*", "*/", "//", "\n", "é", "€", "(", ")",
            "[", "]", ",", ":", "1", ".5", "-", "e", "id", " ", "r", "#", "\\é",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..5000 {
            let text: String = (0..next(30)).map(|_| pieces[next(pieces.len())]).collect();
            let tokens = Tokens::new(&text);
            let mut at = 0;
            for t in &tokens.list {
                assert!(
                    t.start >= at && t.end > t.start && t.end <= text.len(),
                    "{text:?}"
                );
                assert!(
                    text.is_char_boundary(t.start) && text.is_char_boundary(t.end),
                    "{text:?}"
                );
                at = t.end;
            }
            let _ = sketch(&tokens);
            let _ = scene_starts(&tokens, text.len() / 2);
            let _ = ids_in(&text);
        }
        assert_eq!(Tokens::new("'\\n', x").list.len(), 3);
    }

    #[test]
    fn unclosed_strings_and_comments_run_to_the_end() {
        let t = Tokens::new("(a: \"open, b: 1)");
        assert_eq!(
            t.list.last().map(|t| t.kind),
            Some(Tok::Str {
                raw: false,
                closed: false
            })
        );
        let t = Tokens::new("(a: r#\"open\", b: 1)");
        assert_eq!(
            t.list.last().map(|t| t.kind),
            Some(Tok::Str {
                raw: true,
                closed: false
            })
        );
        let t = Tokens::new("(a: 1) /* /* */");
        assert_eq!(t.unclosed_comment, Some(7));
    }

    #[test]
    fn scenes_are_found_by_brackets_and_by_layout() {
        let text = "Chapter(title: \"T\", scenes: [\n    (\n        id: \"a\", text: \"x\", choices: [(key: \"k\", goto: \"b\"]\n    ),\n    (\n        id: \"b\"),\n])";
        let tokens = Tokens::new(text);
        // The choice's `(` is never closed, but `]` closes it: both scenes
        // are found by their brackets.
        let starts = scene_starts(&tokens, 0);
        assert_eq!(starts.len(), 2, "{starts:?}");
        let sketch = sketch(&tokens);
        assert!(sketch.names.contains(&(Declared::Scene, "b".into())));
        assert!(sketch.complete);
    }
}
