//! What surrounds the cursor in a story file, read off the text as it is
//! (often half typed, so that RON cannot parse it): the brackets open
//! around it with the field or call that opened each, and the string it is
//! in. Completion asks this what may be written there; it is a reading of
//! the brackets and strings, not a parser of the story (that is the
//! compiler's, whose results everything else uses).

/// An open bracket around the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// `(` or `[`.
    pub bracket: u8,
    /// Where it opens.
    pub start: usize,
    /// The field it is the value of (`choices: [`), or the name it follows
    /// (`Give(`, `Scene(`).
    pub label: Option<String>,
    /// The fields already written in it, for a struct.
    pub keys: Vec<String>,
}

/// The string literal the cursor is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InString {
    /// Where its content starts.
    pub content: usize,
    /// The field it is the value of (`goto: "`), if any.
    pub key: Option<String>,
}

/// The cursor's surroundings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// The brackets open around the cursor, outermost first.
    pub frames: Vec<Frame>,
    pub string: Option<InString>,
    /// The field whose value the cursor is at (after `kind:`), outside a
    /// string.
    pub after_key: Option<String>,
}

/// The kinds of struct a story file holds, named by the raw structs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Struct {
    Story,
    Chapter,
    Scene,
    Choice,
    Check,
    Branch,
    Ending,
    Variable,
    Item,
    Crew,
}

impl Context {
    /// Reads `text` up to `offset`.
    pub fn at(text: &str, offset: usize) -> Context {
        let offset = offset.min(text.len());
        let bytes = text.as_bytes();
        let mut cx = Context::default();
        let mut last = Token::Start;
        // The token before `last`: what precedes a word being typed.
        let mut prev = Token::Start;
        let mut word_end = 0;
        let mut i = 0;
        while i < offset {
            let b = bytes[i];
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => i = comment_end(bytes, i),
                b'"' => {
                    let end = string_end(bytes, i + 1);
                    if end.is_none_or(|end| end > offset) {
                        cx.string = Some(InString {
                            content: i + 1,
                            key: key_of(&last),
                        });
                        return cx;
                    }
                    prev = std::mem::replace(&mut last, Token::Str);
                    i = end.unwrap_or(bytes.len());
                }
                b'r' if raw_hashes(bytes, i).is_some() => {
                    let hashes = raw_hashes(bytes, i).unwrap_or(0);
                    let content = i + 2 + hashes;
                    let end = raw_end(bytes, content, hashes);
                    if end > offset || end == bytes.len() {
                        cx.string = Some(InString {
                            content,
                            key: key_of(&last),
                        });
                        return cx;
                    }
                    prev = std::mem::replace(&mut last, Token::Str);
                    i = end;
                }
                b'(' | b'[' => {
                    let label = match &last {
                        Token::Colon(key) | Token::Ident(key) => Some(key.clone()),
                        Token::Start | Token::Str | Token::Other => None,
                    };
                    cx.frames.push(Frame {
                        bracket: b,
                        start: i,
                        label,
                        keys: Vec::new(),
                    });
                    prev = std::mem::replace(&mut last, Token::Other);
                    i += 1;
                }
                b')' | b']' => {
                    cx.frames.pop();
                    prev = std::mem::replace(&mut last, Token::Other);
                    i += 1;
                }
                b':' => {
                    if let Token::Ident(key) = &last {
                        let key = key.clone();
                        if let Some(frame) = cx.frames.last_mut() {
                            frame.keys.push(key.clone());
                        }
                        prev = std::mem::replace(&mut last, Token::Colon(key));
                    } else {
                        prev = std::mem::replace(&mut last, Token::Other);
                    }
                    i += 1;
                }
                _ if b.is_ascii_alphabetic() || b == b'_' => {
                    let end = i + bytes[i..offset]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                    prev = std::mem::replace(&mut last, Token::Ident(text[i..end].to_string()));
                    word_end = end;
                    i = end;
                }
                _ => {
                    prev = std::mem::replace(&mut last, Token::Other);
                    i += text[i..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
        // A word being typed at the cursor stands in the place of what
        // follows the token before it.
        let before = match last {
            Token::Ident(_) if word_end == offset => prev,
            other => other,
        };
        if let Token::Colon(key) = before {
            cx.after_key = Some(key);
        }
        cx
    }

    /// The struct the innermost `(` is, in a file that is `story.ron` or
    /// not.
    pub fn owner(&self, is_story: bool) -> Option<Struct> {
        let i = self.frames.iter().rposition(|f| f.bracket == b'(')?;
        let frame = &self.frames[i];
        let parent = i.checked_sub(1).map(|p| &self.frames[p]);
        let by_label = frame.label.as_deref().and_then(|l| match l {
            "Story" => Some(Struct::Story),
            "Chapter" => Some(Struct::Chapter),
            "Scene" => Some(Struct::Scene),
            "Choice" => Some(Struct::Choice),
            "check" | "Check" => Some(Struct::Check),
            "success" | "failure" | "Branch" => Some(Struct::Branch),
            "ending" | "Ending" => Some(Struct::Ending),
            _ => None,
        });
        if by_label.is_some() {
            return by_label;
        }
        if frame.label.is_some() {
            // A call: `Give(`, `Per(`.
            return None;
        }
        match parent.and_then(|p| p.label.as_deref()) {
            Some("scenes") => Some(Struct::Scene),
            Some("choices") => Some(Struct::Choice),
            Some("variables") => Some(Struct::Variable),
            Some("items") => Some(Struct::Item),
            Some("crew") => Some(Struct::Crew),
            Some(_) => None,
            None if i == 0 && is_story => Some(Struct::Story),
            None if i == 0 => Some(Struct::Chapter),
            None => None,
        }
    }

    /// The label of the innermost bracket.
    pub fn innermost(&self) -> Option<&str> {
        self.frames.last().and_then(|f| f.label.as_deref())
    }
}

/// The last thing read before the cursor.
enum Token {
    Start,
    Ident(String),
    /// A field's key and its colon.
    Colon(String),
    Str,
    Other,
}

fn key_of(token: &Token) -> Option<String> {
    match token {
        Token::Colon(key) => Some(key.clone()),
        Token::Start | Token::Ident(_) | Token::Str | Token::Other => None,
    }
}

/// Where a string whose content starts at `from` ends (after its closing
/// quote); `None` when it is never closed.
fn string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The number of `#` of a raw string opening at `i` (`r"`, `r#"`).
fn raw_hashes(bytes: &[u8], i: usize) -> Option<usize> {
    if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        return None;
    }
    let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
    (bytes.get(i + 1 + hashes) == Some(&b'"')).then_some(hashes)
}

/// Where a raw string with `hashes` whose content starts at `from` ends.
fn raw_end(bytes: &[u8], from: usize, hashes: usize) -> usize {
    let mut i = from;
    while let Some(q) = memchr::memchr(b'"', &bytes[i.min(bytes.len())..]).map(|n| i + n) {
        if bytes[q + 1..]
            .iter()
            .take(hashes)
            .filter(|&&b| b == b'#')
            .count()
            == hashes
        {
            return q + 1 + hashes;
        }
        i = q + 1;
    }
    bytes.len()
}

/// Where a block comment opening at `start` ends, nested ones counted.
fn comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < bytes.len() {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Where the bracket opening at `open` closes: the offset of its closing
/// bracket, strings and comments skipped.
pub fn closing(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = comment_end(bytes, i);
                continue;
            }
            b'"' => {
                i = string_end(bytes, i + 1)?;
                continue;
            }
            b'r' if raw_hashes(bytes, i).is_some() => {
                let hashes = raw_hashes(bytes, i).unwrap_or(0);
                i = raw_end(bytes, i + 2 + hashes, hashes);
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The name being typed before `offset`: where it starts (letters, digits
/// and `_` back from the cursor).
pub fn word_start(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = offset.min(bytes.len());
    while i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Context {
        let offset = text.find('|').expect("a cursor");
        let text = text.replacen('|', "", 1);
        Context::at(&text, offset)
    }

    #[test]
    fn strings_brackets_and_keys() {
        let cx = at(r#"Chapter(title: "A", scenes: [(id: "a", choices: [(key: "k", goto: "b|"#);
        let labels: Vec<_> = cx.frames.iter().map(|f| f.label.clone()).collect();
        assert_eq!(
            labels,
            [
                Some("Chapter".to_string()),
                Some("scenes".into()),
                None,
                Some("choices".into()),
                None
            ]
        );
        assert_eq!(
            cx.string.as_ref().and_then(|s| s.key.as_deref()),
            Some("goto")
        );
        assert_eq!(cx.frames[4].keys, ["key", "goto"]);
        assert_eq!(cx.owner(false), Some(Struct::Choice));

        let cx = at(r#"(scenes: [(id: "a", text: r#" a "quote" {if |"#);
        assert_eq!(cx.string.and_then(|s| s.key).as_deref(), Some("text"));
        let cx = at("(scenes: [(on_enter: [Give(\"k\"), Add(\"|");
        assert_eq!(cx.innermost(), Some("Add"));
        assert!(cx.string.is_some());
        // A comment or a closed string hides what it holds.
        let cx = at("(scenes: [/* goto: \"x */ (id: \"a\", |");
        assert_eq!(cx.owner(false), Some(Struct::Scene));
        assert!(cx.string.is_none());
        let cx = at("(scenes: [(id: \"a\", ending: (kind: |");
        assert_eq!(cx.after_key.as_deref(), Some("kind"));
        assert_eq!(cx.owner(false), Some(Struct::Ending));
    }

    #[test]
    fn closing_brackets() {
        let text = r#"[(a: "]"), /* ] */ r"]" ]"#;
        assert_eq!(closing(text, 0), Some(text.len() - 1));
    }
}
