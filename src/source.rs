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
    line_starts: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<Source>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.text[start..floor_char(&self.text, offset)]
            .chars()
            .count()
            + 1;
        (line + 1, col)
    }

    /// The byte offset of a 1-based line and column (in characters).
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
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
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e.saturating_sub(1));
        self.text[start..end.max(start)].trim_end_matches('\r')
    }

    /// Finds `field: "value"` (or a raw string) at or after `from` and before
    /// `to`, and returns the span of the value's text without its quotes.
    pub fn find_field(
        &self,
        from: usize,
        to: usize,
        field: &str,
        value: &str,
    ) -> Option<(usize, usize)> {
        let to = to.min(self.text.len());
        let hay = self.text.get(from..to)?;
        let mut at = 0;
        while let Some(i) = hay[at..].find(field) {
            let key_start = from + at + i;
            at += i + field.len();
            let before_ok = key_start == 0
                || !self.text.as_bytes()[key_start - 1].is_ascii_alphanumeric()
                    && self.text.as_bytes()[key_start - 1] != b'_';
            if !before_ok {
                continue;
            }
            let rest = &self.text[key_start + field.len()..to];
            let trimmed = rest.trim_start();
            let Some(after_colon) = trimmed.strip_prefix(':') else {
                continue;
            };
            let value_region = after_colon.trim_start();
            let region_start = to - value_region.len();
            if let Some(content) = string_content_start(value_region)
                && value_region[content..].starts_with(value)
            {
                let s = region_start + content;
                return Some((s, s + value.len()));
            }
        }
        None
    }

    /// Finds `needle` at or after `from` and before `to`.
    pub fn find(&self, from: usize, to: usize, needle: &str) -> Option<(usize, usize)> {
        let to = to.min(self.text.len());
        let hay = self.text.get(from..to)?;
        hay.find(needle)
            .map(|i| (from + i, from + i + needle.len()))
    }
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
pub fn display_name(dir: &Path, file: &Path) -> String {
    let shown = if dir == Path::new(".") {
        file.strip_prefix(dir).unwrap_or(file)
    } else {
        file
    };
    shown.to_string_lossy().replace('\\', "/")
}
