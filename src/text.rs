//! Text markup: `{var}`, `{if COND}..{else}..{end}`, `{{` and `}}`; and the
//! paragraph layout of rendered text.

use crate::condition::{self, Expr, Name, Operand, ParseError};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Literal(String),
    Var(Name),
    If(Expr, Vec<Node>, Vec<Node>),
}

/// Parses markup. Spans in errors and names are byte offsets into `src`.
pub fn parse(src: &str) -> Result<Vec<Node>, ParseError> {
    // Each open `{if}`: its condition, the nodes of the `then` part, the
    // nodes of the `else` part once `{else}` was seen, and where it began.
    struct Open {
        cond: Expr,
        then: Vec<Node>,
        otherwise: Option<Vec<Node>>,
        start: usize,
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    let mut literal = String::new();
    let bytes = src.as_bytes();
    let mut i = 0;

    fn current<'a>(stack: &'a mut [Open], top: &'a mut Vec<Node>) -> &'a mut Vec<Node> {
        match stack.last_mut() {
            Some(open) => open.otherwise.as_mut().unwrap_or(&mut open.then),
            None => top,
        }
    }
    fn flush(literal: &mut String, stack: &mut [Open], top: &mut Vec<Node>) {
        if !literal.is_empty() {
            current(stack, top).push(Node::Literal(std::mem::take(literal)));
        }
    }

    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                literal.push('{');
                i += 2;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                literal.push('}');
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
                        let cond = condition::parse(cond_src).map_err(|e| ParseError {
                            start: e.start + base,
                            end: e.end + base,
                            message: e.message,
                        })?;
                        stack.push(Open {
                            cond: shift(cond, base),
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
                            text: trimmed.to_string(),
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
                let ch = src[i..].chars().next().unwrap_or(' ');
                literal.push(ch);
                i += ch.len_utf8();
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

/// Moves every name span of a condition parsed from a substring by `base`.
fn shift(expr: Expr, base: usize) -> Expr {
    let name = |n: Name| Name {
        start: n.start + base,
        end: n.end + base,
        text: n.text,
    };
    let operand = |o: Operand| match o {
        Operand::Number(n) => Operand::Number(n),
        Operand::Var(n) => Operand::Var(name(n)),
        Operand::Visits(n) => Operand::Visits(name(n)),
    };
    match expr {
        Expr::True | Expr::False => expr,
        Expr::Flag(n) => Expr::Flag(name(n)),
        Expr::Has(n) => Expr::Has(name(n)),
        Expr::Alive(n) => Expr::Alive(name(n)),
        Expr::Dead(n) => Expr::Dead(name(n)),
        Expr::Visited(n) => Expr::Visited(name(n)),
        Expr::Cmp(a, op, b) => Expr::Cmp(operand(a), op, operand(b)),
        Expr::Not(e) => Expr::Not(Box::new(shift(*e, base))),
        Expr::And(v) => Expr::And(v.into_iter().map(|e| shift(e, base)).collect()),
        Expr::Or(v) => Expr::Or(v.into_iter().map(|e| shift(e, base)).collect()),
    }
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
