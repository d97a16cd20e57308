//! Positions as the protocol counts them: a line and a column in UTF-16
//! code units (what every client supports), against the byte offsets the
//! compiler's spans hold.

use lsp_types::{Position, Range};

/// Where each line of a text starts, to turn byte offsets into protocol
/// positions and back.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { line_starts }
    }

    /// The position of a byte offset of `text` (the text this index was
    /// built from): past the end is the end, inside a character is its
    /// start.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char(text, offset.min(text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let character = text[start..offset].encode_utf16().count();
        Position {
            line: saturate(line),
            character: saturate(character),
        }
    }

    /// The range of bytes `start..end` of `text`.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range {
            start: self.position(text, start),
            end: self.position(text, end.max(start)),
        }
    }

    /// The byte offset of a position in `text`; `None` for a line past the
    /// end. A column past the end of its line is the line's end (as the
    /// protocol says), and one inside a character (half of a surrogate
    /// pair) is that character's start.
    pub fn offset(&self, text: &str, position: Position) -> Option<usize> {
        let line = usize::try_from(position.line).ok()?;
        let start = *self.line_starts.get(line)?;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |&next| next - 1);
        let line_text = text[start..end]
            .strip_suffix('\r')
            .unwrap_or(&text[start..end]);
        let wanted = usize::try_from(position.character).unwrap_or(usize::MAX);
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            if units + c.len_utf16() > wanted {
                return Some(start + i);
            }
            units += c.len_utf16();
        }
        Some(start + line_text.len())
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    /// CJK characters are one UTF-16 unit, an emoji two: the columns
    /// count units, and every offset of a character boundary comes back.
    #[test]
    fn columns_are_utf16_units() {
        let text = "a\n日本😀x\r\nend";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), pos(1, 4));
        assert_eq!(index.offset(text, pos(1, 4)), Some(x));
        // Inside the emoji's surrogate pair: the emoji's start.
        let emoji = text.find('😀').unwrap();
        assert_eq!(index.offset(text, pos(1, 3)), Some(emoji));
        // Past the end of a line: its end, before `\r\n`.
        assert_eq!(index.offset(text, pos(1, 99)), Some(x + 1));
        // A line past the end: none.
        assert_eq!(index.offset(text, pos(7, 0)), None);
        assert_eq!(index.position(text, text.len() + 5), pos(2, 3));
        for (i, _) in text.char_indices().filter(|&(_, c)| c != '\n') {
            assert_eq!(index.offset(text, index.position(text, i)), Some(i), "{i}");
        }
    }
}
