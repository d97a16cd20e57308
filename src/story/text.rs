//! Text markup: `{var}`, `{if COND}..{else}..{end}`, `{{` and `}}`; and the
//! paragraph layout of rendered text.

use std::borrow::Cow;

use crate::story::condition::{self, Expr, Name, ParseError};

#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// Borrowed from the source unless a `{{` or `}}` was unescaped in it.
    Literal(Cow<'a, str>),
    Var(Name<'a>),
    If(Expr<'a>, Vec<Node<'a>>, Vec<Node<'a>>),
}

/// Parses markup. Spans in errors and names are byte offsets into `src`,
/// and the nodes borrow from it.
pub fn parse(src: &str) -> Result<Vec<Node<'_>>, ParseError> {
    // Each open `{if}`: its condition, the nodes of the `then` part, the
    // nodes of the `else` part once `{else}` was seen, and where it began.
    struct Open<'a> {
        cond: Expr<'a>,
        then: Vec<Node<'a>>,
        otherwise: Option<Vec<Node<'a>>>,
        start: usize,
    }
    let mut stack: Vec<Open<'_>> = Vec::new();
    let mut top: Vec<Node<'_>> = Vec::new();
    // The literal being read: a slice of `src` while it is one run of plain
    // text, owned once a `{{` or `}}` joins runs.
    let mut literal: Cow<'_, str> = Cow::Borrowed("");
    let bytes = src.as_bytes();
    let mut i = 0;

    fn current<'a, 'b>(
        stack: &'b mut [Open<'a>],
        top: &'b mut Vec<Node<'a>>,
    ) -> &'b mut Vec<Node<'a>> {
        match stack.last_mut() {
            Some(open) => open.otherwise.as_mut().unwrap_or(&mut open.then),
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

    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                append(&mut literal, &src[i..=i]);
                i += 2;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                append(&mut literal, &src[i..=i]);
                i += 2;
            }
            b'}' => {
                return Err(ParseError {
                    start: i,
                    end: i + 1,
                    message: "unmatched `}`: write `}}` for a literal brace".into(),
                });
            }
            b'{' => {
                let Some(close) = src[i..].find('}') else {
                    return Err(ParseError {
                        start: i,
                        end: i + 1,
                        message: "this `{` is never closed: write `{{` for a literal brace".into(),
                    });
                };
                let inner_start = i + 1;
                let inner = &src[inner_start..i + close];
                let tag_end = i + close + 1;
                flush(&mut literal, &mut stack, &mut top);
                let trimmed = inner.trim();
                let lead = inner.len() - inner.trim_start().len();
                let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
                let word = &trimmed[..word_end];
                match word {
                    "if" => {
                        if stack.len() >= condition::MAX_DEPTH {
                            return Err(ParseError {
                                start: i,
                                end: tag_end,
                                message: format!(
                                    "`{{if}}` nested more than {} deep",
                                    condition::MAX_DEPTH
                                ),
                            });
                        }
                        let cond_src = &trimmed[word_end..];
                        let base = inner_start + lead + word_end;
                        if cond_src.trim().is_empty() {
                            return Err(ParseError {
                                start: i,
                                end: tag_end,
                                message: "`{if}` needs a condition: `{if alive karl}`".into(),
                            });
                        }
                        let cond = condition::parse_at(cond_src, base)?;
                        stack.push(Open {
                            cond,
                            then: Vec::new(),
                            otherwise: None,
                            start: i,
                        });
                    }
                    "else" if word_end == trimmed.len() => match stack.last_mut() {
                        Some(open) if open.otherwise.is_none() => open.otherwise = Some(Vec::new()),
                        Some(_) => {
                            return Err(ParseError {
                                start: i,
                                end: tag_end,
                                message: "a second `{else}` in the same `{if}`".into(),
                            });
                        }
                        None => {
                            return Err(ParseError {
                                start: i,
                                end: tag_end,
                                message: "`{else}` without an `{if}`".into(),
                            });
                        }
                    },
                    "end" if word_end == trimmed.len() => {
                        let Some(open) = stack.pop() else {
                            return Err(ParseError {
                                start: i,
                                end: tag_end,
                                message: "`{end}` without an `{if}`".into(),
                            });
                        };
                        let node =
                            Node::If(open.cond, open.then, open.otherwise.unwrap_or_default());
                        current(&mut stack, &mut top).push(node);
                    }
                    _ if word_end == trimmed.len() && is_ident(trimmed) => {
                        current(&mut stack, &mut top).push(Node::Var(Name {
                            text: trimmed,
                            start: inner_start + lead,
                            end: inner_start + lead + trimmed.len(),
                        }));
                    }
                    _ => {
                        return Err(ParseError {
                            start: i,
                            end: tag_end,
                            message: format!(
                                "unknown markup `{{{}}}`: expected `{{variable}}`, `{{if ...}}`, `{{else}}` or `{{end}}`",
                                trimmed
                            ),
                        });
                    }
                }
                i = tag_end;
            }
            _ => {
                // A run of plain text up to the next brace (ASCII, so never
                // inside a multi-byte character).
                let run = crate::story::source::position_of_either(&bytes[i..], b'{', b'}')
                    .map_or(bytes.len(), |n| i + n);
                append(&mut literal, &src[i..run]);
                i = run;
            }
        }
    }
    flush(&mut literal, &mut stack, &mut top);
    if let Some(open) = stack.last() {
        return Err(ParseError {
            start: open.start,
            end: open.start + 1,
            message: "this `{if}` has no `{end}`".into(),
        });
    }
    Ok(top)
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

/// Lays rendered text out as paragraphs: blank lines separate them, and
/// inside one, line breaks and runs of whitespace become a single space.
pub fn paragraphs(text: &str) -> Vec<String> {
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
