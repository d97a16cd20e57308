//! The condition language: `has lamp and (oil > 2 or not visited shore)`.
//!
//! Parsing gives an `Expr` whose names are still strings with their byte
//! spans inside the condition text; `compile` resolves them into a
//! `story::Condition` and reports unknown names at their exact column.

use crate::story::CmpOp;

/// Deeper nesting than this is refused, so hostile input cannot overflow the stack.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct Name<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand<'a> {
    Number(i64),
    Var(Name<'a>),
    Visits(Name<'a>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr<'a> {
    True,
    False,
    Flag(Name<'a>),
    Has(Name<'a>),
    Alive(Name<'a>),
    Dead(Name<'a>),
    Visited(Name<'a>),
    /// `ending x`: the state is at ending `x` (an ending's id).
    Ending(Name<'a>),
    Cmp(Operand<'a>, CmpOp, Operand<'a>),
    Not(Box<Expr<'a>>),
    And(Vec<Expr<'a>>),
    Or(Vec<Expr<'a>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// Names in the result borrow from `src`.
pub fn parse(src: &str) -> Result<Expr<'_>, ParseError> {
    parse_at(src, 0)
}

/// Parses a condition that starts at byte `base` of a larger text: every
/// span, of names and errors, is an offset into that text.
pub fn parse_at(src: &str, base: usize) -> Result<Expr<'_>, ParseError> {
    let tokens = lex(src, base).map_err(|e| ParseError {
        start: e.start + base,
        end: e.end + base,
        message: e.message,
    })?;
    let mut p = Parser {
        tokens,
        pos: 0,
        len: base + src.len(),
        depth: 0,
    };
    let expr = p.or()?;
    if let Some(t) = p.peek() {
        return Err(ParseError {
            start: t.start,
            end: t.end,
            message: format!(
                "unexpected {} after the end of the condition",
                t.kind.describe()
            ),
        });
    }
    Ok(expr)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind<'a> {
    Ident(&'a str),
    Number(i64),
    Op(CmpOp),
    LParen,
    RParen,
    And,
    Or,
    Not,
}

impl Kind<'_> {
    fn describe(&self) -> String {
        match self {
            Kind::Ident(s) => format!("`{s}`"),
            Kind::Number(n) => format!("`{n}`"),
            Kind::Op(op) => format!("`{}`", op.symbol()),
            Kind::LParen => "`(`".into(),
            Kind::RParen => "`)`".into(),
            Kind::And => "`and`".into(),
            Kind::Or => "`or`".into(),
            Kind::Not => "`not`".into(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind<'a>,
    start: usize,
    end: usize,
}

/// Tokens' spans are offsets into `src` plus `base`; errors' into `src` only.
fn lex(src: &str, base: usize) -> Result<Vec<Token<'_>>, ParseError> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let two = |s: &str| src[i..].starts_with(s);
        let kind = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            match &src[start..i] {
                "and" => Kind::And,
                "or" => Kind::Or,
                "not" => Kind::Not,
                word => Kind::Ident(word),
            }
        } else if c.is_ascii_digit()
            || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let text = &src[start..i];
            let n = text.parse::<i64>().map_err(|_| ParseError {
                start,
                end: i,
                message: format!("number `{text}` is too large"),
            })?;
            Kind::Number(n)
        } else if two("<=") || two(">=") || two("==") || two("!=") {
            i += 2;
            match &src[start..i] {
                "<=" => Kind::Op(CmpOp::Le),
                ">=" => Kind::Op(CmpOp::Ge),
                "==" => Kind::Op(CmpOp::Eq),
                _ => Kind::Op(CmpOp::Ne),
            }
        } else if let Some((written, word)) = [
            ("&&", "and"),
            ("||", "or"),
            ("&", "and"),
            ("|", "or"),
            ("!", "not"),
        ]
        .into_iter()
        .find(|(written, _)| two(written))
        {
            // The operators of other languages: the condition language
            // has its words, and one way to write each.
            return Err(ParseError {
                start,
                end: start + written.len(),
                message: format!("write `{word}` instead of `{written}`"),
            });
        } else {
            i += src[i..].chars().next().map_or(1, char::len_utf8);
            match c {
                b'<' => Kind::Op(CmpOp::Lt),
                b'>' => Kind::Op(CmpOp::Gt),
                b'(' => Kind::LParen,
                b')' => Kind::RParen,
                b'=' => {
                    return Err(ParseError {
                        start,
                        end: i,
                        message: "write `==` instead of `=`: `=` does not compare".into(),
                    });
                }
                _ => {
                    return Err(ParseError {
                        start,
                        end: i,
                        message: format!("unexpected character `{}` in condition", &src[start..i]),
                    });
                }
            }
        };
        tokens.push(Token {
            kind,
            start: base + start,
            end: base + i,
        });
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    len: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.tokens.get(self.pos).copied();
        self.pos += 1;
        t
    }

    fn eof_error(&self, what: &str) -> ParseError {
        ParseError {
            start: self.len,
            end: self.len,
            message: format!("condition ends where {what} was expected"),
        }
    }

    fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError {
                start: at,
                end: at + 1,
                message: format!("condition nested more than {MAX_DEPTH} deep"),
            });
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr<'a>, ParseError> {
        let first = self.and()?;
        if !self.peek().is_some_and(|t| t.kind == Kind::Or) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.peek().is_some_and(|t| t.kind == Kind::Or) {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(Expr::Or(parts))
    }

    fn and(&mut self) -> Result<Expr<'a>, ParseError> {
        let first = self.unary()?;
        if !self.peek().is_some_and(|t| t.kind == Kind::And) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.peek().is_some_and(|t| t.kind == Kind::And) {
            self.pos += 1;
            parts.push(self.unary()?);
        }
        Ok(Expr::And(parts))
    }

    fn unary(&mut self) -> Result<Expr<'a>, ParseError> {
        let Some(t) = self.peek() else {
            return Err(self.eof_error("a condition"));
        };
        match t.kind {
            Kind::Not => {
                self.pos += 1;
                self.enter(t.start)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Kind::LParen => {
                self.pos += 1;
                self.enter(t.start)?;
                let inner = self.or()?;
                self.depth -= 1;
                match self.next() {
                    Some(Token {
                        kind: Kind::RParen, ..
                    }) => Ok(inner),
                    Some(other) => Err(ParseError {
                        start: other.start,
                        end: other.end,
                        message: format!("expected `)`, found {}", other.kind.describe()),
                    }),
                    None => Err(ParseError {
                        start: t.start,
                        end: t.end,
                        message: "this `(` is never closed".into(),
                    }),
                }
            }
            _ => self.atom_or_keyword(),
        }
    }

    fn name(&mut self, after: &str) -> Result<Name<'a>, ParseError> {
        match self.next() {
            Some(Token {
                kind: Kind::Ident(text),
                start,
                end,
            }) => Ok(Name { text, start, end }),
            Some(t) => Err(ParseError {
                start: t.start,
                end: t.end,
                message: format!(
                    "expected a name after `{after}`, found {}",
                    t.kind.describe()
                ),
            }),
            None => Err(self.eof_error(&format!("a name after `{after}`"))),
        }
    }

    fn atom(&mut self) -> Result<Expr<'a>, ParseError> {
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Token {
                kind: Kind::Op(op), ..
            }) => op,
            _ => {
                return match left {
                    Operand::Var(name) => Ok(Expr::Flag(name)),
                    Operand::Number(_) | Operand::Visits(_) => {
                        Err(self.eof_error_or_found("a comparison"))
                    }
                };
            }
        };
        self.pos += 1;
        let right = self.operand()?;
        Ok(Expr::Cmp(left, op, right))
    }

    fn eof_error_or_found(&self, what: &str) -> ParseError {
        match self.peek() {
            Some(t) => ParseError {
                start: t.start,
                end: t.end,
                message: format!("expected {what}, found {}", t.kind.describe()),
            },
            None => self.eof_error(what),
        }
    }

    /// A number, a variable or `visits(scene)`.
    fn operand(&mut self) -> Result<Operand<'a>, ParseError> {
        let Some(t) = self.next() else {
            return Err(self.eof_error("a condition"));
        };
        match t.kind {
            Kind::Number(n) => Ok(Operand::Number(n)),
            Kind::Ident(word) => match word {
                "visits" => {
                    let open = self.next();
                    if !matches!(open.as_ref().map(|t| &t.kind), Some(Kind::LParen)) {
                        return Err(ParseError {
                            start: t.start,
                            end: t.end,
                            message: "`visits` takes a scene in parentheses: `visits(scene) > 1`"
                                .into(),
                        });
                    }
                    let name = self.name("visits(")?;
                    match self.next() {
                        Some(Token {
                            kind: Kind::RParen, ..
                        }) => Ok(Operand::Visits(name)),
                        _ => Err(ParseError {
                            start: name.start,
                            end: name.end,
                            message: "expected `)` after the scene of `visits(`".into(),
                        }),
                    }
                }
                "has" | "alive" | "dead" | "visited" | "true" | "false" => Err(ParseError {
                    start: t.start,
                    end: t.end,
                    message: format!(
                        "`{word}` starts a condition of its own and cannot be compared"
                    ),
                }),
                _ => Ok(Operand::Var(Name {
                    text: word,
                    start: t.start,
                    end: t.end,
                })),
            },
            other => Err(ParseError {
                start: t.start,
                end: t.end,
                message: format!("expected a condition, found {}", other.describe()),
            }),
        }
    }

    /// Keyword conditions: `has x`, `alive x`, `dead x`, `visited x`,
    /// `ending x`, `true`, `false`.
    fn keyword(&mut self) -> Option<Result<Expr<'a>, ParseError>> {
        let t = self.peek()?;
        let Kind::Ident(word) = t.kind else {
            return None;
        };
        let build: fn(Name<'a>) -> Expr<'a> = match word {
            "true" => {
                self.pos += 1;
                return Some(Ok(Expr::True));
            }
            "false" => {
                self.pos += 1;
                return Some(Ok(Expr::False));
            }
            "has" => Expr::Has,
            "alive" => Expr::Alive,
            "dead" => Expr::Dead,
            "visited" => Expr::Visited,
            // Only before a name, so that a flag called `ending` still reads.
            "ending"
                if matches!(
                    self.tokens.get(self.pos + 1).map(|t| t.kind),
                    Some(Kind::Ident(_))
                ) =>
            {
                Expr::Ending
            }
            _ => return None,
        };
        self.pos += 1;
        Some(self.name(word).map(build))
    }

    fn atom_or_keyword(&mut self) -> Result<Expr<'a>, ParseError> {
        if let Some(result) = self.keyword() {
            return result;
        }
        self.atom()
    }
}
