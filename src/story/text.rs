//! Text markup: `{var}`, `{if COND}..{elif COND}..{else}..{end}`,
//! `{first}..{else}..{end}`, the variations `{seq: a | b}`, `{cycle: ..}`,
//! `{once: ..}` and `{shuffle: ..}`, tags `{#voice:x}`, `{{` and `}}`; and
//! the paragraph layout of rendered text.

use std::borrow::Cow;

use crate::story::condition::{self, Expr, Name, ParseError};

#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// Borrowed from the source unless a `{{` or `}}` was unescaped in it.
    Literal(Cow<'a, str>),
    Var(Name<'a>),
    /// `{if c}then{else}otherwise{end}`; an `{elif}` is an `If` alone in
    /// the `otherwise` of the one before it.
    If(Expr<'a>, Vec<Node<'a>>, Vec<Node<'a>>),
    /// A variation: one of its items is shown, picked by a visit count.
    /// `{first}a{end}` is `Once` of one item, `{first}a{else}b{end}` is
    /// `Sequence` of two.
    Vary(VaryKind, Vec<Vec<Node<'a>>>),
    /// `{#voice:x}`: a tag of the line it is written in, never shown. The
    /// name is the tag's text, spaces trimmed.
    Tag(Name<'a>),
    /// `{assume COND}` at the start of a paragraph: the condition, and the
    /// byte span of its text.
    Assume(Expr<'a>, usize, usize),
}

/// How a variation picks its item from the visit count `n` (1 on the
/// first visit) among `k` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VaryKind {
    /// `{seq: ..}`: item `n`, then the last one for good.
    Sequence,
    /// `{cycle: ..}`: item `n`, round and round.
    Cycle,
    /// `{once: ..}`: item `n`, then nothing.
    Once,
    /// `{shuffle: ..}`: an item drawn from the game's seed, the scene and `n`.
    Shuffle,
}

impl VaryKind {
    /// The word that opens the variation: `seq` in `{seq: a | b}`.
    pub fn word(self) -> &'static str {
        match self {
            VaryKind::Sequence => "seq",
            VaryKind::Cycle => "cycle",
            VaryKind::Once => "once",
            VaryKind::Shuffle => "shuffle",
        }
    }
}

/// Tags are at most this many bytes.
pub const MAX_TAG: usize = 200;

/// Parses markup. Spans in errors and names are byte offsets into `src`,
/// and the nodes borrow from it.
pub fn parse(src: &str) -> Result<Vec<Node<'_>>, ParseError> {
    let mut parser = Parser {
        src,
        bytes: src.as_bytes(),
        i: 0,
        depth: 0,
        varying: Vec::new(),
    };
    let (nodes, stop) = parser.sequence(false)?;
    match stop {
        Stop::End => Ok(nodes),
        // Outside a variation, `|` is text and `}` an error: neither stops.
        Stop::Bar | Stop::Close => Err(ParseError {
            start: parser.i,
            end: parser.i,
            message: "unexpected end of markup".into(),
        }),
    }
}

/// What ended a run of nodes: the end of the text, or (inside a
/// variation) a `|` before the next item or the `}` that closes it.
enum Stop {
    End,
    Bar,
    Close,
}

/// An open `{if}` or `{first}` block.
struct Open<'a> {
    first: bool,
    /// Each arm: its condition (`None` for an `{else}` and for the arms of
    /// a `{first}`) and its nodes.
    arms: Vec<(Option<Expr<'a>>, Vec<Node<'a>>)>,
    closed_by_else: bool,
    start: usize,
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    i: usize,
    /// Blocks and variations open around the current position.
    depth: usize,
    /// The kinds of the variations open around the current position.
    varying: Vec<VaryKind>,
}

impl<'a> Parser<'a> {
    fn error(&self, start: usize, end: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            start,
            end,
            message: message.into(),
        }
    }

    fn too_deep(&self, start: usize, end: usize) -> ParseError {
        self.error(
            start,
            end,
            format!(
                "markup nested more than {} deep (`{{if}}`, `{{first}}` and variations)",
                condition::MAX_DEPTH
            ),
        )
    }

    /// Reads nodes up to the end, or inside a variation up to a `|` or `}`
    /// at this level. Blocks opened here must close here.
    fn sequence(&mut self, in_variation: bool) -> Result<(Vec<Node<'a>>, Stop), ParseError> {
        let src = self.src;
        let bytes = self.bytes;
        let mut stack: Vec<Open<'a>> = Vec::new();
        let mut top: Vec<Node<'a>> = Vec::new();
        // The literal being read: a slice of `src` while it is one run of
        // plain text, owned once a `{{` or `}}` joins runs.
        let mut literal: Cow<'a, str> = Cow::Borrowed("");

        fn current<'a, 'b>(
            stack: &'b mut [Open<'a>],
            top: &'b mut Vec<Node<'a>>,
        ) -> &'b mut Vec<Node<'a>> {
            match stack.last_mut().and_then(|open| open.arms.last_mut()) {
                Some((_, nodes)) => nodes,
                None => top,
            }
        }
        fn flush<'a>(literal: &mut Cow<'a, str>, stack: &mut [Open<'a>], top: &mut Vec<Node<'a>>) {
            if !literal.is_empty() {
                current(stack, top).push(Node::Literal(std::mem::take(literal)));
            }
        }
        fn append<'a>(literal: &mut Cow<'a, str>, run: &'a str) {
            if literal.is_empty() {
                *literal = Cow::Borrowed(run);
            } else {
                literal.to_mut().push_str(run);
            }
        }

        let stop = loop {
            let i = self.i;
            if i >= bytes.len() {
                break Stop::End;
            }
            match bytes[i] {
                b'{' if bytes.get(i + 1) == Some(&b'{') => {
                    append(&mut literal, &src[i..=i]);
                    self.i += 2;
                }
                // Inside a variation a `}` always closes it, so that
                // `{seq: a | {cycle: b | c}}` reads as it looks.
                b'}' if !in_variation && bytes.get(i + 1) == Some(&b'}') => {
                    append(&mut literal, &src[i..=i]);
                    self.i += 2;
                }
                b'|' | b'}' if in_variation => {
                    self.i += 1;
                    break if bytes[i] == b'|' {
                        Stop::Bar
                    } else {
                        Stop::Close
                    };
                }
                b'}' => {
                    return Err(self.error(
                        i,
                        i + 1,
                        "unmatched `}`: write `}}` for a literal brace",
                    ));
                }
                b'{' => {
                    flush(&mut literal, &mut stack, &mut top);
                    if let Some((kind, body)) = variation_at(src, i) {
                        if self.depth + stack.len() >= condition::MAX_DEPTH {
                            return Err(self.too_deep(i, body));
                        }
                        self.i = body;
                        self.depth += stack.len() + 1;
                        let node = self.variation(kind, i)?;
                        self.depth -= stack.len() + 1;
                        current(&mut stack, &mut top).push(node);
                        continue;
                    }
                    let Some(close) = src[i..].find('}') else {
                        return Err(self.error(
                            i,
                            i + 1,
                            "this `{` is never closed: write `{{` for a literal brace",
                        ));
                    };
                    let inner_start = i + 1;
                    let inner = &src[inner_start..i + close];
                    let tag_end = i + close + 1;
                    self.i = tag_end;
                    let trimmed = inner.trim();
                    let lead = inner.len() - inner.trim_start().len();
                    if let Some(tag) = trimmed.strip_prefix('#') {
                        let at = inner_start + lead + 1;
                        let name = tag.trim();
                        let at = at + (tag.len() - tag.trim_start().len());
                        check_tag(name).map_err(|m| self.error(i, tag_end, m))?;
                        current(&mut stack, &mut top).push(Node::Tag(Name {
                            text: name,
                            start: at,
                            end: at + name.len(),
                        }));
                        continue;
                    }
                    let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
                    let word = &trimmed[..word_end];
                    let alone = word_end == trimmed.len();
                    let condition_of = |this: &Self, what: &str| {
                        let cond_src = &trimmed[word_end..];
                        let base = inner_start + lead + word_end;
                        if cond_src.trim().is_empty() {
                            return Err(this.error(
                                i,
                                tag_end,
                                format!("`{{{what}}}` needs a condition: `{{{what} alive karl}}`"),
                            ));
                        }
                        condition::parse_at(cond_src, base)
                    };
                    match word {
                        "if" | "first" => {
                            if self.depth + stack.len() >= condition::MAX_DEPTH {
                                return Err(self.too_deep(i, tag_end));
                            }
                            let first = word == "first";
                            let cond = if first {
                                if !alone {
                                    return Err(self.error(
                                        i,
                                        tag_end,
                                        "`{first}` takes no condition: it holds on the scene's first visit",
                                    ));
                                }
                                None
                            } else {
                                Some(condition_of(self, "if")?)
                            };
                            stack.push(Open {
                                first,
                                arms: vec![(cond, Vec::new())],
                                closed_by_else: false,
                                start: i,
                            });
                        }
                        "elif" => {
                            let cond = condition_of(self, "elif")?;
                            match stack.last_mut() {
                                Some(open) if !open.first && !open.closed_by_else => {
                                    open.arms.push((Some(cond), Vec::new()));
                                }
                                Some(open) if open.first => {
                                    return Err(self.error(
                                        i,
                                        tag_end,
                                        "`{elif}` in a `{first}`: a `{first}` has only `{else}`",
                                    ));
                                }
                                Some(_) => {
                                    return Err(self.error(
                                        i,
                                        tag_end,
                                        "an `{elif}` after the `{else}`: put it before",
                                    ));
                                }
                                None => {
                                    return Err(self.error(
                                        i,
                                        tag_end,
                                        "`{elif}` without an `{if}`",
                                    ));
                                }
                            }
                        }
                        "else" if alone => match stack.last_mut() {
                            Some(open) if !open.closed_by_else => {
                                open.closed_by_else = true;
                                open.arms.push((None, Vec::new()));
                            }
                            Some(_) => {
                                return Err(self.error(
                                    i,
                                    tag_end,
                                    "a second `{else}` in the same block",
                                ));
                            }
                            None => {
                                return Err(self.error(i, tag_end, "`{else}` without an `{if}`"));
                            }
                        },
                        "assume" => {
                            let cond = condition_of(self, "assume")?;
                            if let Some(kind) = self
                                .varying
                                .iter()
                                .find(|k| matches!(k, VaryKind::Cycle | VaryKind::Shuffle))
                            {
                                return Err(self.error(
                                    i,
                                    tag_end,
                                    format!(
                                        "`{{assume}}` inside a `{{{}:}}`: which item shows is not decided by the state the explorer follows, so the assumption could not be checked; put it outside the variation",
                                        kind.word()
                                    ),
                                ));
                            }
                            let before = current(&mut stack, &mut top);
                            if !paragraph_start(before) {
                                return Err(self.error(
                                    i,
                                    tag_end,
                                    "`{assume}` goes at the start of a paragraph (after a blank line, or first in an `{if}`): it says what the paragraph assumes",
                                ));
                            }
                            flush(&mut literal, &mut stack, &mut top);
                            let body = &trimmed[word_end..];
                            let lead_c = body.len() - body.trim_start().len();
                            let start = inner_start + lead + word_end + lead_c;
                            let end = start + body.trim().len();
                            current(&mut stack, &mut top).push(Node::Assume(cond, start, end));
                        }
                        "end" if alone => {
                            let Some(open) = stack.pop() else {
                                return Err(self.error(
                                    i,
                                    tag_end,
                                    "`{end}` without an `{if}` or a `{first}`",
                                ));
                            };
                            let node = close_block(open);
                            current(&mut stack, &mut top).push(node);
                        }
                        _ if alone && is_ident(trimmed) => {
                            current(&mut stack, &mut top).push(Node::Var(Name {
                                text: trimmed,
                                start: inner_start + lead,
                                end: inner_start + lead + trimmed.len(),
                            }));
                        }
                        _ => {
                            return Err(self.error(
                                i,
                                tag_end,
                                format!(
                                    "unknown markup `{{{trimmed}}}`: expected `{{variable}}`, `{{if ...}}`, `{{elif ...}}`, `{{else}}`, `{{end}}`, `{{first}}`, `{{seq: a | b}}` (or `cycle`, `once`, `shuffle`) or `{{#tag}}`"
                                ),
                            ));
                        }
                    }
                }
                _ => {
                    // A run of plain text up to the next brace (or bar,
                    // inside a variation): ASCII, so never inside a
                    // multi-byte character.
                    let rest = &bytes[i..];
                    let brace = crate::story::source::position_of_either(rest, b'{', b'}');
                    let run = match (in_variation, brace) {
                        (true, brace) => {
                            let bar = memchr_bar(rest, brace.unwrap_or(rest.len()));
                            bar.or(brace)
                        }
                        (false, brace) => brace,
                    }
                    .map_or(bytes.len(), |n| i + n);
                    append(&mut literal, &src[i..run]);
                    self.i = run;
                }
            }
        };
        flush(&mut literal, &mut stack, &mut top);
        if let Some(open) = stack.last() {
            let what = if open.first { "`{first}`" } else { "`{if}`" };
            let within = if in_variation {
                " inside this variation's item"
            } else {
                ""
            };
            return Err(self.error(
                open.start,
                open.start + 1,
                format!("this {what} has no `{{end}}`{within}"),
            ));
        }
        Ok((top, stop))
    }

    /// Reads a variation's items, from just after its `word:` to its `}`.
    fn variation(&mut self, kind: VaryKind, start: usize) -> Result<Node<'a>, ParseError> {
        self.varying.push(kind);
        let node = self.items(kind, start);
        self.varying.pop();
        node
    }

    fn items(&mut self, kind: VaryKind, start: usize) -> Result<Node<'a>, ParseError> {
        let mut items = Vec::new();
        loop {
            let (nodes, stop) = self.sequence(true)?;
            items.push(trim_item(nodes));
            match stop {
                Stop::Bar => {}
                Stop::Close => break,
                Stop::End => {
                    return Err(self.error(
                        start,
                        start + 1,
                        format!(
                            "this `{{{}:` is never closed: end it with `}}`",
                            kind.word()
                        ),
                    ));
                }
            }
        }
        if items.iter().all(Vec::is_empty) {
            return Err(self.error(
                start,
                self.i,
                format!(
                    "`{{{}: ..}}` has no text: write its items between `|`s",
                    kind.word()
                ),
            ));
        }
        Ok(Node::Vary(kind, items))
    }
}

/// Whether markup met after `before` (the nodes of its block so far, the
/// text before it among them) starts a paragraph: nothing but spaces
/// since the block began or since the last blank line.
fn paragraph_start(before: &[Node<'_>]) -> bool {
    match before {
        [] => true,
        [.., Node::Literal(l)] if l.trim().is_empty() => {
            l.matches('\n').count() >= 2 || before.len() == 1
        }
        [.., Node::Literal(l)] => l[l.trim_end().len()..].matches('\n').count() >= 2,
        [.., _] => false,
    }
}

/// The first `|` in `bytes[..limit]`.
fn memchr_bar(bytes: &[u8], limit: usize) -> Option<usize> {
    bytes[..limit].iter().position(|&b| b == b'|')
}

/// A variation opening at `{` at byte `i`: its kind and where its first
/// item starts (after the `:`).
fn variation_at(src: &str, i: usize) -> Option<(VaryKind, usize)> {
    let rest = &src[i + 1..];
    let lead = rest.len() - rest.trim_start().len();
    let rest = &rest[lead..];
    for kind in [
        VaryKind::Sequence,
        VaryKind::Cycle,
        VaryKind::Once,
        VaryKind::Shuffle,
    ] {
        if let Some(after) = rest.strip_prefix(kind.word())
            && let Some(body) = after.strip_prefix(':')
        {
            return Some((kind, src.len() - body.len()));
        }
    }
    None
}

/// A closed block as a node: an `{if}` chain folded from its last arm, a
/// `{first}` as a variation.
fn close_block(open: Open<'_>) -> Node<'_> {
    if open.first {
        let kind = if open.arms.len() > 1 {
            VaryKind::Sequence
        } else {
            VaryKind::Once
        };
        return Node::Vary(kind, open.arms.into_iter().map(|(_, n)| n).collect());
    }
    let mut arms = open.arms;
    let mut otherwise = match arms.last() {
        Some((None, _)) => arms.pop().map(|(_, n)| n).unwrap_or_default(),
        _ => Vec::new(),
    };
    // Every arm left has its condition: the `{if}`'s, then the `{elif}`s'.
    while let Some((cond, then)) = arms.pop() {
        let Some(cond) = cond else { continue };
        otherwise = vec![Node::If(cond, then, otherwise)];
    }
    otherwise.pop().unwrap_or(Node::Literal(Cow::Borrowed("")))
}

/// An item with the spaces around it dropped: `{seq: a | b}` shows `a`,
/// not ` a `.
fn trim_item(mut nodes: Vec<Node<'_>>) -> Vec<Node<'_>> {
    fn trim<'a>(s: Cow<'a, str>, f: fn(&str) -> &str) -> Cow<'a, str> {
        match s {
            Cow::Borrowed(b) => Cow::Borrowed(f(b)),
            Cow::Owned(o) => Cow::Owned(f(&o).to_string()),
        }
    }
    if let Some(Node::Literal(l)) = nodes.first_mut() {
        *l = trim(std::mem::take(l), str::trim_start);
        if l.is_empty() {
            nodes.remove(0);
        }
    }
    if let Some(Node::Literal(l)) = nodes.last_mut() {
        *l = trim(std::mem::take(l), str::trim_end);
        if l.is_empty() {
            nodes.pop();
        }
    }
    nodes
}

/// Whether a tag's text is one: 1 to `MAX_TAG` bytes without spaces or
/// braces; a `line:` tag names a line id (see `is_line_id`).
fn check_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("an empty tag: write `{#voice:kabir_12}`, say".into());
    }
    if tag.len() > MAX_TAG {
        return Err(format!("a tag is at most {MAX_TAG} bytes"));
    }
    if tag.chars().any(char::is_whitespace) {
        return Err(format!(
            "the tag `{tag}` holds a space: tags are one word, such as `mood:dread`"
        ));
    }
    if let Some(id) = tag.strip_prefix("line:")
        && !is_line_id(id)
    {
        return Err(format!(
            "`{id}` is not a line id: 1 to 200 letters, digits, `_`, `-` and `.`"
        ));
    }
    Ok(())
}

/// Whether a tag's text is one (`{#..}` in text, `tags: [..]` on a scene
/// or a choice): the message to show if not.
pub fn tag_problem(tag: &str) -> Option<String> {
    if tag.contains(['{', '}']) {
        return Some(format!("the tag `{tag}` holds a brace"));
    }
    check_tag(tag).err()
}

/// A line id, as written in `{#line:ID}`: 1 to 200 ASCII letters, digits,
/// `_`, `-` and `.`.
pub fn is_line_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

/// Lays rendered text out as paragraphs: blank lines separate them, and
/// inside one, line breaks and runs of whitespace become a single space.
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = String::new();
    Layout::paragraphs(&mut out).raw(text);
    split_paragraphs(&out).map(String::from).collect()
}

/// The paragraphs of text a [`Layout::paragraphs`] wrote.
pub fn split_paragraphs(laid_out: &str) -> impl Iterator<Item = &str> {
    let empty = laid_out.is_empty();
    laid_out.split(PARAGRAPH_BREAK).filter(move |_| !empty)
}

/// What separates two paragraphs in text a [`Layout`] wrote. Paragraphs
/// hold no line break, so it cannot be mistaken.
pub const PARAGRAPH_BREAK: &str = "\n\n";

/// The paragraph layout, written as text is rendered, into a buffer the
/// caller keeps: no string is built and split again. Words are the runs of
/// non-whitespace across every piece written (a `{var}` against a word is
/// one word); between two words goes one space, or a paragraph break where
/// a blank line (a line of only whitespace) came between them. This is
/// what `paragraphs` does to the whole rendered string, piece by piece.
#[derive(Debug)]
pub struct Layout<'o> {
    out: &'o mut String,
    /// What a blank line becomes: `PARAGRAPH_BREAK`, or a space in a line.
    blank: &'static str,
    /// A word was written.
    started: bool,
    /// Whitespace came since the last word.
    space: bool,
    /// A blank line came since the last word.
    broken: bool,
    /// The current line holds only whitespace so far.
    line_blank: bool,
}

impl<'o> Layout<'o> {
    /// Paragraphs, separated by `PARAGRAPH_BREAK`.
    pub fn paragraphs(out: &'o mut String) -> Layout<'o> {
        Layout::new(out, PARAGRAPH_BREAK)
    }

    /// One line: the paragraphs joined by a space (a choice's label).
    pub fn line(out: &'o mut String) -> Layout<'o> {
        Layout::new(out, " ")
    }

    fn new(out: &'o mut String, blank: &'static str) -> Layout<'o> {
        Layout {
            out,
            blank,
            started: false,
            space: false,
            broken: false,
            line_blank: true,
        }
    }

    /// Any text.
    pub fn raw(&mut self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            let white = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            self.white(&rest[..white]);
            rest = &rest[white..];
            let word = rest.find(char::is_whitespace).unwrap_or(rest.len());
            self.word(&rest[..word]);
            rest = &rest[word..];
        }
    }

    /// A literal of a compiled text: one copy when the compiler found it
    /// laid out already (see [`Lit`]).
    pub fn literal(&mut self, lit: &Lit) {
        let laid_out = match lit.shape() {
            Shape::Tidy => true,
            Shape::TidyWithBreaks => self.blank == PARAGRAPH_BREAK,
            Shape::Other => false,
        };
        if laid_out {
            let text: &str = lit;
            let body = text.trim_start();
            self.white(&text[..text.len() - body.len()]);
            let trimmed = body.trim_end();
            self.word(trimmed);
            self.white(&body[trimmed.len()..]);
        } else {
            self.raw(lit);
        }
    }

    /// A number, as `{var}` shows it.
    pub fn number(&mut self, n: i64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n.unsigned_abs();
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.before_word();
        if n < 0 {
            self.out.push('-');
        }
        // Only ASCII digits were written.
        self.out
            .push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
    }

    /// Whitespace only.
    fn white(&mut self, white: &str) {
        if white.is_empty() {
            return;
        }
        self.space = true;
        for b in white.bytes() {
            if b == b'\n' {
                if self.line_blank {
                    self.broken = true;
                }
                self.line_blank = true;
            }
        }
    }

    /// Text that starts and ends with a word, and whose whitespace (if
    /// any) is laid out already.
    fn word(&mut self, word: &str) {
        if word.is_empty() {
            return;
        }
        self.before_word();
        self.out.push_str(word);
    }

    fn before_word(&mut self) {
        if self.started {
            if self.broken {
                self.out.push_str(self.blank);
            } else if self.space {
                self.out.push(' ');
            }
        }
        self.started = true;
        self.space = false;
        self.broken = false;
        self.line_blank = false;
    }
}

/// A literal piece of a compiled text, as written, with what the compiler
/// found of its layout: whether its whitespace between the first word and
/// the last is laid out already (each run one space, or a blank line
/// written as `PARAGRAPH_BREAK`), so that `Layout` copies it whole. Held
/// in one allocation: a byte of shape, then the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Lit(Box<str>);

/// What a [`Lit`]'s inner whitespace is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Single spaces only.
    Tidy,
    /// Single spaces and blank lines written as `PARAGRAPH_BREAK`.
    TidyWithBreaks,
    /// Anything else: laid out as it is read.
    Other,
}

impl Lit {
    pub fn new(text: &str) -> Lit {
        let body = text.trim();
        let (mut tidy, mut breaks) = (true, false);
        if body.is_ascii() {
            // Bytes, for every start of the game compiles the story: ASCII
            // whitespace is `char::is_whitespace` on ASCII (with the
            // vertical tab, which `u8::is_ascii_whitespace` leaves out).
            let white = |b: u8| b.is_ascii_whitespace() || b == 0x0b;
            let bytes = body.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if !white(bytes[i]) {
                    i += 1;
                    continue;
                }
                let run = i;
                while i < bytes.len() && white(bytes[i]) {
                    i += 1;
                }
                match &bytes[run..i] {
                    b" " => {}
                    b"\n\n" => breaks = true,
                    _ => tidy = false,
                }
            }
        } else {
            let mut rest = body;
            while let Some(at) = rest.find(char::is_whitespace) {
                let after = &rest[at..];
                let word = after
                    .find(|c: char| !c.is_whitespace())
                    .unwrap_or(after.len());
                match &after[..word] {
                    " " => {}
                    PARAGRAPH_BREAK => breaks = true,
                    _ => tidy = false,
                }
                rest = &after[word..];
            }
        }
        let shape = match (tidy, breaks) {
            (true, false) => '0',
            (true, true) => '1',
            (false, _) => '2',
        };
        let mut held = String::with_capacity(text.len() + 1);
        held.push(shape);
        held.push_str(text);
        Lit(held.into_boxed_str())
    }

    pub fn shape(&self) -> Shape {
        match self.0.as_bytes().first() {
            Some(b'0') => Shape::Tidy,
            Some(b'1') => Shape::TidyWithBreaks,
            _ => Shape::Other,
        }
    }
}

impl std::ops::Deref for Lit {
    type Target = str;

    fn deref(&self) -> &str {
        // The first byte is the shape, ASCII.
        self.0.get(1..).unwrap_or_default()
    }
}

impl std::fmt::Debug for Lit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(nodes: &[Node<'_>]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Node::Literal(l) => format!("'{l}'"),
                Node::Var(v) => format!("${}", v.text),
                Node::If(_, a, b) => format!("if({})({})", shape(a), shape(b)),
                Node::Vary(k, items) => format!(
                    "{}[{}]",
                    k.word(),
                    items.iter().map(|i| shape(i)).collect::<Vec<_>>().join("|")
                ),
                Node::Tag(t) => format!("#{}", t.text),
                Node::Assume(..) => "assume".to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn ok(src: &str) -> String {
        shape(&parse(src).unwrap_or_else(|e| panic!("{src}: {}", e.message)))
    }

    #[test]
    fn elif_chains_nest_in_the_else() {
        assert_eq!(
            ok("{if a}A{elif b}B{elif c}C{else}D{end}"),
            "if('A')(if('B')(if('C')('D')))"
        );
        assert_eq!(ok("{if a}A{elif b}B{end}"), "if('A')(if('B')())");
    }

    #[test]
    fn variations_hold_markup_and_trim_their_items() {
        assert_eq!(
            ok("The bar is {seq: quiet | loud, {n} deep | {if a}x{end} |}."),
            "'The bar is ' seq['quiet'|'loud, ' $n ' deep'|if('x')()|] '.'"
        );
        assert_eq!(
            ok("{cycle:a|{shuffle: b | c}}"),
            "cycle['a'|shuffle['b'|'c']]"
        );
        assert_eq!(ok("a | b"), "'a | b'");
        assert_eq!(ok("{first}Hi{end}"), "once['Hi']");
        assert_eq!(ok("{first}Hi{else}Again{end}"), "seq['Hi'|'Again']");
        assert_eq!(
            ok("x {#voice:k_1} {# mood:dread }"),
            "'x ' #voice:k_1 ' ' #mood:dread"
        );
    }

    #[test]
    fn tag_spans_are_the_tag() {
        let src = "x {# mood:dread }";
        let nodes = parse(src).unwrap();
        let Node::Tag(t) = &nodes[1] else {
            panic!("{nodes:?}")
        };
        assert_eq!(&src[t.start..t.end], "mood:dread");
    }

    #[test]
    fn bad_markup_is_an_error_at_its_place() {
        for (src, message) in [
            ("{seq: a | b", "never closed"),
            ("{seq: | }", "has no text"),
            ("{first}a{elif x}b{end}", "has only `{else}`"),
            ("{if a}a{else}b{elif c}c{end}", "after the `{else}`"),
            ("{elif a}", "without an `{if}`"),
            ("{first x}a{end}", "takes no condition"),
            ("{seq: {if a}x | y{end}}", "inside this variation's item"),
            ("{#}", "an empty tag"),
            ("{#line:a b}", "holds a space"),
            ("{#line:}", "not a line id"),
            ("{first}a", "no `{end}`"),
        ] {
            let e = parse(src).expect_err(src);
            assert!(e.message.contains(message), "{src}: {}", e.message);
            assert!(e.end <= src.len(), "{src}");
        }
    }

    /// The layout written piece by piece, literals compiled, equals
    /// `paragraphs` of the whole string (the old definition, kept here).
    #[test]
    fn layout_by_pieces_is_the_layout_of_the_whole() {
        fn whole(text: &str) -> Vec<String> {
            let mut out = Vec::new();
            let mut current = String::new();
            for line in text.lines() {
                if line.trim().is_empty() {
                    if !current.is_empty() {
                        out.push(std::mem::take(&mut current));
                    }
                    continue;
                }
                for word in line.split_whitespace() {
                    if !current.is_empty() {
                        current.push(' ');
                    }
                    current.push_str(word);
                }
            }
            if !current.is_empty() {
                out.push(current);
            }
            out
        }
        use proptest::prelude::*;
        let piece = prop_oneof![
            "[ a\n\r\t\u{a0}b]{0,8}".prop_map(|s| (s, None)),
            any::<i8>().prop_map(|n| (String::new(), Some(i64::from(n)))),
        ];
        proptest!(|(pieces in proptest::collection::vec(piece, 0..8))| {
            let mut text = String::new();
            let (mut laid, mut line) = (String::new(), String::new());
            let mut p = Layout::paragraphs(&mut laid);
            let mut l = Layout::line(&mut line);
            for (s, n) in &pieces {
                match n {
                    Some(n) => {
                        text.push_str(&n.to_string());
                        p.number(*n);
                        l.number(*n);
                    }
                    None => {
                        text.push_str(s);
                        p.literal(&Lit::new(s));
                        l.literal(&Lit::new(s));
                    }
                }
            }
            let expected = whole(&text);
            prop_assert_eq!(split_paragraphs(&laid).collect::<Vec<_>>(), expected.clone());
            prop_assert_eq!(line, expected.join(" "));
            prop_assert_eq!(paragraphs(&text), expected);
        });
    }

    #[test]
    fn literals_know_their_shape() {
        assert_eq!(Lit::new(" a b ").shape(), Shape::Tidy);
        assert_eq!(Lit::new("\n\na b\n\nc\n").shape(), Shape::TidyWithBreaks);
        assert_eq!(Lit::new("a  b").shape(), Shape::Other);
        assert_eq!(Lit::new("a\nb").shape(), Shape::Other);
        assert_eq!(Lit::new("a\u{b}b").shape(), Shape::Other);
        assert_eq!(Lit::new("é b\n\nc").shape(), Shape::TidyWithBreaks);
        assert_eq!(Lit::new("é\u{a0}b").shape(), Shape::Other);
        assert_eq!(&*Lit::new(" a\n"), " a\n");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "{seq: ".repeat(100) + &"}".repeat(100);
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
        let mixed = "{if a}{seq: ".repeat(40) + &"x}{end}".repeat(40);
        assert!(parse(&mixed).unwrap_err().message.contains("nested"));
        let fine = "{seq: ".repeat(30) + "x" + &"}".repeat(30);
        assert!(parse(&fine).is_ok());
    }
}
